// The section of `npm run bench` for `check --jobs` and `page --jobs`: every check `check` plans
// with no arguments, and every design whose coverage the review page measures, first one after
// another in this thread, then on the worker pool (src/commands/pool.ts), in the same process;
// then npm start's worker part (each check with its design's page coverage, explored again where
// the check is reduced, and violation marks) in the plan's order and costliest first (longestFirst).
// `--jobs-only` runs this section alone. Wall and CPU seconds (every thread of the process).
import { loadavg } from 'node:os';
import { specs } from '../machines/index.ts';
import { runJob } from '../src/check/checking.ts';
import { longestFirst, plan, recordedTransitions, reducedDesigns } from '../src/commands/check.ts';
import { runPool, type PoolTask } from '../src/commands/pool.ts';
import { designCoverage, pageDesigns } from '../src/export/page.ts';
import { pick } from '../src/spec.ts';

const MAX_STATES = 1_000_000;
const load = () => loadavg()[0]!.toFixed(1);

/** Wall and CPU seconds of `f`, and the load average before it. */
async function timed(f: () => unknown): Promise<string> {
  const l = load();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return `${((performance.now() - t0) / 1000).toFixed(1)} s / ${((c.user + c.system) / 1e6).toFixed(1)} s CPU (${l})`;
}

export async function jobsBench(threads = 2): Promise<string[]> {
  const jobs = await plan({}, { typeCheck: false });
  const designs = pageDesigns(specs);
  const checkTasks = jobs.map((_, job): PoolTask => ({ kind: 'check', flags: {}, job, maxStates: MAX_STATES }));
  const coverTasks = designs.map((d): PoolTask => ({ kind: 'coverage', ...d }));
  const rows: string[] = [`npm start's checks and page coverage, this thread against ${threads} worker threads: wall / CPU seconds (load average before each run in brackets)`];
  const row = (what: string, one: string, many: string) => rows.push(`  ${what.padEnd(34)} 1 thread ${one}   ${threads} threads ${many}`);
  const oneCheck = await timed(() => jobs.forEach((j) => runJob(j.spec, j.model, { maxStates: MAX_STATES })));
  const manyCheck = await timed(() => runPool(checkTasks, threads, () => undefined));
  row(`check (${jobs.length} checks)`, oneCheck, manyCheck);
  const oneCover = await timed(() => designs.forEach((d) => designCoverage(pick('machine', 'bench', specs, d.machine).model(d.variant, d.configuration), undefined)));
  const manyCover = await timed(() => runPool(coverTasks, threads, () => undefined));
  row(`page coverage (${designs.length} designs)`, oneCover, manyCover);
  // npm start's pool: what check --jobs posts with the page's coverage handed over (src/start.ts)
  const startFlags = { report: 'report' };
  const reduced = reducedDesigns(jobs);
  // each check's worker also explores its design again where the check reduces it (pool-worker.ts)
  const startTasks = jobs.map((_, job): PoolTask => ({ kind: 'check', flags: startFlags, job, maxStates: MAX_STATES, coverage: true }));
  const keys = jobs.map((j) => j.key);
  const inPlan = await timed(() => runPool(startTasks, threads, () => undefined));
  const costliest = await timed(() => runPool(startTasks, threads, () => undefined, longestFirst(keys, recordedTransitions())));
  rows.push(`  npm start's ${threads} workers (${jobs.length} checks with coverage and marks, ${reduced.length} of them reduced and explored again): plan order ${inPlan}   costliest first ${costliest}`);
  rows.push(`  (the ${threads}-thread figures include starting the workers and each loading the machines)`);
  return rows;
}
