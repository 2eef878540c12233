// The explorer core of two trees in one process (issue 11): npm start's checks (the plan of
// `check` with no arguments), run one after another in this thread with the compiled code of a
// base tree (`--base DIR`, default /work/main) and of this one (each tree's .start/, brought up to
// date first by its src/start-cache.mjs `refresh`), alternating base / this `--runs` times (default 3) after a warm-up run of each.
// `--top N` runs the N checks with the most recorded transitions (default 30), `--all` every one.
// Prints each side's CPU seconds per run (this thread's only: process.cpuUsage, one thread), the
// load average before each run, and fails if a check's states, transitions, depth or property
// results and traces differ between the trees (the core must not change what a check finds).
//   npx tsx bench/explore-core.ts [--base DIR] [--top N | --all] [--runs R]
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { base: { type: 'string', default: '/work/main' }, top: { type: 'string', default: '30' }, all: { type: 'boolean', default: false }, runs: { type: 'string', default: '3' } } });
const here = resolve(import.meta.dirname, '..');
const trees = [resolve(values.base!), here];
const runs = Number(values.runs);
const top = values.all ? Number.POSITIVE_INFINITY : Number(values.top);
if (!Number.isInteger(runs) || runs < 1 || !(top > 0)) {
  console.error('explore-core: --runs and --top take a positive integer');
  process.exit(2);
}

interface Side {
  tree: string;
  run: () => string[];
  cpu: number[];
}

async function side(tree: string): Promise<Side> {
  await (await import(pathToFileURL(join(tree, 'src/start-cache.mjs')).href)).refresh();
  const at = (f: string) => import(pathToFileURL(join(tree, '.start', f)).href);
  const { plan, recordedTransitions } = await at('src/commands/check.js');
  const { runJob } = await at('src/check/checking.js');
  const jobs = (await plan({}, { typeCheck: false }, true)) as { spec: unknown; model: { machineId: string; variantId: string; configurationId: string } }[];
  const key = (j: (typeof jobs)[number]) => `${j.model.machineId}/${j.model.variantId}/${j.model.configurationId}`;
  const recorded = recordedTransitions() as Map<string, number>;
  const chosen = [...jobs].sort((a, b) => (recorded.get(key(b)) ?? 0) - (recorded.get(key(a)) ?? 0)).slice(0, top);
  return {
    tree,
    cpu: [],
    run: () =>
      chosen.map((j) => {
        const o = runJob(j.spec, j.model, { checking: false, maxStates: 1_000_000 });
        if ('failure' in o) throw new Error(`${key(j)}: ${o.failure.line}`);
        const r = o.result;
        return `${key(j)} ${r.states} ${r.transitions} ${r.depth} ${JSON.stringify(r.results.map((p: { property: string; holds: unknown; trace: { event: unknown }[] }) => [p.property, p.holds, p.trace.map((s) => s.event)]))}`;
      }),
  };
}

const sides = [await side(trees[0]!), await side(trees[1]!)];
let reference: string[] | undefined;
// run 0 of each side warms up its JIT and builds its models, not counted
for (let k = 0; k <= runs; k++) {
  for (const s of sides) {
    const load = loadavg()[0]!.toFixed(2);
    const c0 = process.cpuUsage();
    const figures = s.run();
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    if (k > 0) s.cpu.push(cpu);
    console.log(`${k ? `run ${k}` : 'warm-up'} ${s === sides[0] ? 'base' : 'this'}: ${figures.length} checks ${cpu.toFixed(2)} s CPU (load ${load})`);
    reference ??= figures;
    const differ = figures.filter((f, i) => f !== reference![i]);
    if (differ.length) {
      console.error(`explore-core: ${differ.length} checks differ from the base tree's first run, e.g. ${differ[0]} (base: ${reference[figures.indexOf(differ[0]!)]})`);
      process.exit(1);
    }
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const [b, t] = sides.map((s) => median(s.cpu)) as [number, number];
console.log(`median CPU of ${runs} runs: base ${b.toFixed(2)} s, this ${t.toFixed(2)} s: ${(((b - t) / b) * 100).toFixed(1)} % less`);
