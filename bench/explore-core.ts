// The explorer core of two trees in one process (issue 11): npm start's checks (the plan of
// `check` with no arguments), run in this thread with the compiled code of a base tree (`--base
// DIR`, another checkout, required) and of this one (each tree's .start/, brought up to date first by its
// src/start-cache.mjs `refresh`): in each of `--runs` rounds (default 3, after a warm-up round)
// every check runs with the base's code and with this one's, in turn. `--top N` runs the N checks with
// the most recorded transitions (default 30), `--all` every one. Prints each round's CPU seconds
// per side (process.cpuUsage: this thread's, the checks run in it), the load average, each check's
// least CPU over the rounds summed, and fails if a check's states, transitions, depth or property
// results and traces differ between the trees (the core must not change what a check finds).
//   npx tsx bench/explore-core.ts --base DIR [--top N | --all] [--runs R]
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const usage = 'usage: tsx bench/explore-core.ts --base <other checkout> [--top N | --all] [--runs N]';
let values: { base?: string; top?: string; all?: boolean; runs?: string };
try {
  ({ values } = parseArgs({ options: { base: { type: 'string' }, top: { type: 'string', default: '30' }, all: { type: 'boolean', default: false }, runs: { type: 'string', default: '3' } } }));
} catch (e) {
  console.error(`explore-core: ${(e as Error).message}; ${usage}`);
  process.exit(2);
}
if (!values.base) {
  console.error(`explore-core: --base names the checkout to compare with (its .start/ built by npm start); ${usage}`);
  process.exit(2);
}
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
  /** the chosen checks, each run once: its figures and CPU seconds */
  checks: (() => { figures: string; cpu: number })[];
  /** per round, per check: CPU seconds */
  cpu: number[][];
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
    checks: chosen.map((j) => () => {
      const c0 = process.cpuUsage();
      const o = runJob(j.spec, j.model, { checking: false, maxStates: 1_000_000 });
      const c = process.cpuUsage(c0);
      if ('failure' in o) throw new Error(`${key(j)}: ${o.failure.line}`);
      const r = o.result;
      const figures = `${key(j)} ${r.states} ${r.transitions} ${r.depth} ${JSON.stringify(r.results.map((p: { property: string; holds: unknown; trace: { event: unknown }[] }) => [p.property, p.holds, p.trace.map((s) => s.event)]))}`;
      return { figures, cpu: (c.user + c.system) / 1e6 };
    }),
  };
}

const sides = [await side(trees[0]!), await side(trees[1]!)];
const n = sides[0]!.checks.length;
// round 0 warms up each side's JIT and builds its models, not counted; in each round every check
// runs with both trees' code, one after the other (so a burst of load hits both alike), the base's
// first in odd rounds, this one's in even rounds (each pays for the other's garbage equally often)
for (let k = 0; k <= runs; k++) {
  const load = loadavg()[0]!.toFixed(2);
  const cpu = sides.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const figures: string[] = [];
    for (const x of k % 2 ? [0, 1] : [1, 0]) {
      const r = sides[x]!.checks[i]!();
      cpu[x]![i] = r.cpu;
      figures[x] = r.figures;
    }
    const [a, b] = figures;
    if (a !== b) {
      console.error(`explore-core: a check differs between the trees:\n  base ${a}\n  this ${b}`);
      process.exit(1);
    }
  }
  if (k > 0) sides.forEach((s, x) => s.cpu.push(cpu[x]!));
  const sum = (a: number[]) => a.reduce((t, x) => t + x, 0);
  console.log(`${k ? `round ${k}` : 'warm-up'}: ${n} checks, base ${sum(cpu[0]!).toFixed(2)} s CPU, this ${sum(cpu[1]!).toFixed(2)} s CPU (load ${load})`);
}
// noise only adds time: each check's least CPU over the rounds, summed, and the median round
const least = sides.map((s) => s.cpu[0]!.map((_, i) => Math.min(...s.cpu.map((r) => r[i]!))).reduce((t, x) => t + x, 0));
const median = sides.map((s) => [...s.cpu.map((r) => r.reduce((t, x) => t + x, 0))].sort((x, y) => x - y)[Math.floor(runs / 2)]!);
const pct = (b: number, t: number) => `${(((b - t) / b) * 100).toFixed(1)} % less`;
console.log(`each check's least CPU over ${runs} rounds, summed: base ${least[0]!.toFixed(2)} s, this ${least[1]!.toFixed(2)} s: ${pct(least[0]!, least[1]!)}`);
console.log(`median round: base ${median[0]!.toFixed(2)} s, this ${median[1]!.toFixed(2)} s: ${pct(median[0]!, median[1]!)}`);
