// A worker thread of pool.ts: runs the jobs the main thread hands it, one at a time.
import { parentPort } from 'node:worker_threads';
import { specs } from '../../machines/index.ts';
import { runJob } from '../check/checking.ts';
import { designCoverage } from '../export/page.ts';
import { pick } from '../spec.ts';
import { flagOptions, plan } from './check.ts';
import type { PoolTask } from './pool.ts';

// the plan of the flags, made once per worker (the same models the main thread planned)
const plans = new Map<string, ReturnType<typeof plan>>();

async function run(task: PoolTask): Promise<unknown> {
  if (task.kind === 'coverage') {
    const spec = pick('machine', 's390-kvm-spec', specs, task.machine);
    // without the chart: the definitions column is not asked for (page --definitions runs in the main thread)
    const d = designCoverage(spec.model(task.variant, task.configuration), undefined, task.maxStates, false);
    return { ...d, nodes: [...d.nodes] };
  }
  const key = JSON.stringify(task.flags);
  if (!plans.has(key)) plans.set(key, plan(task.flags, { typeCheck: false }));
  const job = (await plans.get(key)!)[task.job]!;
  const outcome = runJob(job.spec, job.model, { checking: false, maxStates: task.maxStates, ...flagOptions(task.flags) });
  if ('failure' in outcome) throw new Error(outcome.failure.line);
  return outcome.result;
}

parentPort!.on('message', (m: { i: number; task: PoolTask }) => {
  run(m.task).then(
    (ok) => parentPort!.postMessage({ i: m.i, ok }),
    (e: unknown) => parentPort!.postMessage({ i: m.i, error: String((e as Error)?.message ?? e).split('\n')[0] }),
  );
});
