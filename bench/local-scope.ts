// Issue 11 (deadlocals): what dropping a kthread's dead locals (machines/kthread.ts `localScoping`)
// saves on the checks `npm start` runs (`check` with no flags: each variant in its own
// configuration), alternating in one process: every check with the dropping off, then on, `--runs N`
// times (default 3), after one warm-up pass of each (not counted: the first pass compiles the code). Prints per run the checks' summed millis, the process CPU and the load average,
// then the medians, and the checks whose states changed (states off -> on, millis off -> on of the
// last run). `--changed-only`: after the warm-up, only the checks whose states the dropping changes
// (less noise on a loaded machine). A bench prints figures: no test times it.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { localScoping } from '../machines/kthread.ts';
import { runJob } from '../src/check/checking.ts';
import { plan } from '../src/commands/check.ts';

let values: { runs: string; 'changed-only': boolean };
try {
  ({ values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'changed-only': { type: 'boolean', default: false } } }));
} catch (e) {
  console.error(`local-scope: ${(e as Error).message}; usage: tsx bench/local-scope.ts [--runs N] [--changed-only]`);
  process.exit(2);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('local-scope: --runs takes a positive integer');
  process.exit(2);
}
let jobs = await plan({});
const changedOnly = values['changed-only'];
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const figures: Record<'off' | 'on', { millis: number[]; cpu: number[] }> = { off: { millis: [], cpu: [] }, on: { millis: [], cpu: [] } };
const per: Record<'off' | 'on', Map<string, { states: number; millis: number }>> = { off: new Map(), on: new Map() };

console.log(`${jobs.length} checks (npm start's), ${runs} runs each way, alternating, after a warm-up pass of each`);
for (let r = 0; r <= runs; r++) {
  for (const mode of ['off', 'on'] as const) {
    localScoping.on = mode === 'on';
    const load = loadavg()[0]!.toFixed(2);
    const c0 = process.cpuUsage();
    let millis = 0;
    for (const { spec, model } of jobs) {
      const outcome = runJob(spec, model, {});
      if (!('result' in outcome)) throw new Error(`${model.machineId}/${model.variantId}/${model.configurationId}: a step failed`);
      const { result } = outcome;
      millis += result.millis;
      per[mode].set(`${result.machine}/${result.variant}/${result.configuration}`, { states: result.states, millis: result.millis });
      if (!result.matches) throw new Error(`${result.machine}/${result.variant}/${result.configuration}: a result not as expected with the dropping ${mode}`);
    }
    const c = process.cpuUsage(c0);
    if (r === 0 && mode === 'on' && changedOnly) {
      jobs = jobs.filter(({ model }) => {
        const id = `${model.machineId}/${model.variantId}/${model.configurationId}`;
        return per.off.get(id)?.states !== per.on.get(id)?.states;
      });
      console.log(`from here on the ${jobs.length} checks whose states the dropping changes`);
    }
    const cpu = (c.user + c.system) / 1e6;
    if (r > 0) figures[mode].millis.push(millis);
    if (r > 0) figures[mode].cpu.push(cpu);
    console.log(`${r ? `run ${r}` : 'warm-up'} dropping ${mode.padEnd(3)}: summed millis ${(millis / 1000).toFixed(2)} s, process CPU ${cpu.toFixed(2)} s, load ${load}`);
  }
}
localScoping.on = true;
for (const mode of ['off', 'on'] as const) console.log(`median dropping ${mode}: summed millis ${(median(figures[mode].millis) / 1000).toFixed(2)} s, CPU ${median(figures[mode].cpu).toFixed(2)} s`);
console.log(`ratio on/off: millis ${(median(figures.on.millis) / median(figures.off.millis)).toFixed(3)}, CPU ${(median(figures.on.cpu) / median(figures.off.cpu)).toFixed(3)}`);
console.log('checks whose states changed (states off -> on, millis off -> on, last run):');
for (const [id, off] of per.off) {
  const on = per.on.get(id)!;
  if (on.states !== off.states) console.log(`  ${id}: ${off.states} -> ${on.states}, ${off.millis} -> ${on.millis} ms`);
}
