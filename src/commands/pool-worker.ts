// A worker thread of pool.ts: runs the jobs the main thread hands it, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { specs } from '../../machines/index.ts';
import { runJob } from '../check/checking.ts';
import { coverageFromCheck, designCoverage, isPageDesign, markOf } from '../export/page.ts';
import { isCounterexample, parseResults } from '../export/results.ts';
import { pick } from '../spec.ts';
import { flagOptions, plan } from './check.ts';
import type { CheckWithCoverage, PoolTask } from './pool.ts';
import type { DesignCoverage } from '../export/page.ts';
import type { Exploration } from '../check/explore.ts';

// the plan of the flags, made once per worker (the same models the main thread planned), each model built when a job of this worker needs it
const plans = new Map<string, ReturnType<typeof plan>>();

/** One job, as the worker runs it (exported: a test runs it in its own thread). */
export async function run(task: PoolTask): Promise<unknown> {
  if (task.kind === 'coverage') {
    const spec = pick('machine', 's390-kvm-spec', specs, task.machine);
    // without the chart: the definitions column is not asked for (page --definitions runs in the main thread)
    const d = designCoverage(spec.model(task.variant, task.configuration), undefined, task.maxStates, false);
    return { ...d, nodes: [...d.nodes] };
  }
  const key = JSON.stringify(task.flags);
  if (!plans.has(key)) plans.set(key, plan(task.flags, { typeCheck: false }, true));
  const job = (await plans.get(key)!)[task.job]!;
  // npm start: the page's coverage of the design from the check's own graph, measured here (the main thread has no graph)
  let coverage: DesignCoverage | undefined;
  let graph: Exploration | undefined;
  const onGraph = task.coverage
    ? (x: Exploration) => {
        coverage = coverageFromCheck(job.spec, job.model, x);
        graph = x;
      }
    : undefined;
  const outcome = runJob(job.spec, job.model, { checking: false, maxStates: task.maxStates, ...flagOptions(task.flags), ...(onGraph ? { onGraph } : {}) });
  if ('failure' in outcome) throw new Error(outcome.failure.line);
  if (!task.coverage) return outcome.result;
  // a design whose check did not explore the page's graph (a symmetry or POR reduction): explored again, in full, here
  if (!coverage && isPageDesign(job.spec, job.model)) coverage = designCoverage(job.model, undefined);
  const c = coverage as DesignCoverage | undefined;
  // the page's marks of the counterexamples, from the result as the page reads it (results.json): each violating state
  // looked up in the check's graph when it holds concrete states (not a symmetry quotient, not dead-variable reduced),
  // else replayed on the check's model (not built again)
  const [read] = parseResults(JSON.parse(JSON.stringify({ checks: [outcome.result] })));
  const concrete = graph && !graph.symmetry && !outcome.result.dead ? graph : undefined;
  const marks = read!.results.map((p) => (isCounterexample(p) ? markOf(job.spec, read!, p, job.model, concrete) : null));
  return { result: outcome.result, ...(c ? { coverage: { ...c, nodes: [...c.nodes] } } : {}), marks } satisfies CheckWithCoverage;
}

// one job at a time, in the order they came (the pool may post the next one before this one is done)
let queue: Promise<void> = Promise.resolve();
// only in a pool worker (source-worker.ts names its entry): a test imports this module in its own thread
if ((workerData as { entry?: string } | null)?.entry === import.meta.url) parentPort!.on('message', (m: { i: number; task: PoolTask }) => {
  queue = queue.then(() =>
    run(m.task).then(
      (ok) => parentPort!.postMessage({ i: m.i, ok }),
      (e: unknown) => parentPort!.postMessage({ i: m.i, error: String((e as Error)?.message ?? e).split('\n')[0] }),
    ),
  );
});
