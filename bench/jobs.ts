// The section of `npm run bench` for `check --jobs` and `page --jobs`: every check `check` plans
// with no arguments, and every design whose coverage the review page measures, first one after
// another in this thread, then on the worker pool (src/commands/pool.ts), in the same process;
// `--jobs-only` runs this section alone.
import { loadavg } from 'node:os';
import { specs } from '../machines/index.ts';
import { runJob } from '../src/check/checking.ts';
import { plan } from '../src/commands/check.ts';
import { runPool, type PoolTask } from '../src/commands/pool.ts';
import { designCoverage, pageDesigns } from '../src/export/page.ts';
import { pick } from '../src/spec.ts';

const MAX_STATES = 1_000_000;
const load = () => loadavg()[0]!.toFixed(1);

async function timed(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

export async function jobsBench(threads = 2): Promise<string[]> {
  const jobs = await plan({}, { typeCheck: false });
  const designs = pageDesigns(specs);
  const checkTasks = jobs.map((_, job): PoolTask => ({ kind: 'check', flags: {}, job, maxStates: MAX_STATES }));
  const coverTasks = designs.map((d): PoolTask => ({ kind: 'coverage', ...d }));
  const rows: string[] = [`npm start's checks and page coverage, this thread against ${threads} worker threads (load average before each run in brackets)`];
  const row = (what: string, one: number, l1: string, many: number, l2: string) =>
    rows.push(`  ${what.padEnd(34)} 1 thread ${one.toFixed(1)} s (${l1})   ${threads} threads ${many.toFixed(1)} s (${l2})   ${(one / many).toFixed(2)}x`);
  let l1 = load();
  const oneCheck = await timed(() => jobs.forEach((j) => runJob(j.spec, j.model, { maxStates: MAX_STATES })));
  let l2 = load();
  const manyCheck = await timed(() => runPool(checkTasks, threads, () => undefined));
  row(`check (${jobs.length} checks)`, oneCheck, l1, manyCheck, l2);
  l1 = load();
  const oneCover = await timed(() => designs.forEach((d) => designCoverage(pick('machine', 'bench', specs, d.machine).model(d.variant, d.configuration), undefined)));
  l2 = load();
  const manyCover = await timed(() => runPool(coverTasks, threads, () => undefined));
  row(`page coverage (${designs.length} designs)`, oneCover, l1, manyCover, l2);
  rows.push(`  (the ${threads}-thread figures include starting the workers and each loading the machines)`);
  return rows;
}
