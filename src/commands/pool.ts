// `--jobs N` of check and page: their independent jobs (one check of a variant in a
// configuration, one design's coverage) on N worker threads. Each worker loads the sources
// once (in a checkout with tsx registered: src/check/source-worker.ts), builds the models itself (check: the same
// plan from the same flags, so the same models; page: spec.model of the named design) and runs
// the jobs it is handed one at a time; the caller gets each result with its job's index.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { sourceWorker } from '../check/source-worker.ts';
import type { CheckResult } from '../check/check.ts';
import type { DesignCoverage } from '../export/page.ts';
import type { CheckFlags } from './check.ts';
import type { SequenceMark } from '../export/sequence.ts';

// pool-worker.ts in a checkout, pool-worker.js in the package
const ENTRY = new URL(`./pool-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** What a worker is asked to do: job `job` of the plan the flags make (with `coverage`, also its design's page coverage from its exploration: CheckWithCoverage), or the coverage of one design. */
export type PoolTask =
  | { kind: 'check'; flags: CheckFlags; job: number; maxStates: number; coverage?: boolean }
  | { kind: 'coverage'; machine: string; variant: string; configuration: string; maxStates?: number };

/** A 'check' task's answer with `coverage`: the result, and the page's coverage of its design where its graph gives it (coverageFromCheck). */
export interface CheckWithCoverage {
  result: CheckResult;
  coverage?: Omit<DesignCoverage, 'nodes'> & { nodes: string[] };
  /** The page's violation mark of each of the result's properties that has a counterexample (markOf), null for the others. */
  marks?: (SequenceMark | null)[];
}

export type FromPoolWorker = { i: number; ok: unknown } | { i: number; error: string } | { kind: 'fatal'; message: string };

export class PoolError extends Error {
  override name = 'PoolError';
}

/** A worker started before its jobs, and what it said or did before they came (its loading failed, it exited). */
interface Early {
  worker: Worker;
  /** What runPool's own listeners would have failed with, but for the worker's number. */
  failure?: (k: number) => string;
  detach(): void;
}

const early: Early[] = [];

/**
 * Starts `threads` pool workers now, for the next runPool to take (npm start: they load the
 * machines while this thread loads its commands and plans). Unref'd until taken: an unused one
 * keeps no process alive. Their failure to load is kept and reported by the runPool that takes them.
 */
export function prestartPool(threads: number): Worker[] {
  for (let k = 0; k < threads; k++) {
    const e: Early = { worker: sourceWorker(ENTRY, {}), detach: () => {} };
    const onMessage = (m: FromPoolWorker) => void ('kind' in m && (e.failure ??= (k) => `worker ${k} did not start: ${m.message.split('\n')[0]}`));
    const onError = (err: Error) => void (e.failure ??= (k) => `worker ${k}: ${err.message}`);
    const onExit = (code: number) => void (e.failure ??= (k) => `worker ${k} exited (code ${code}) before its first job`);
    e.worker.on('message', onMessage).on('error', onError).on('exit', onExit).unref();
    e.detach = () => {
      e.worker.off('message', onMessage).off('error', onError).off('exit', onExit).ref();
    };
    early.push(e);
  }
  return early.slice(-threads).map((e) => e.worker);
}

/** Jobs left per worker above which each worker holds two (runPool). */
const AHEAD = 4;

/** Runs `tasks` on `threads` workers (fewer when there are fewer tasks), handed out in `order` (indices; default: as given); `onResult` gets each result with its task's index, in completion order. */
export async function runPool<R>(tasks: readonly PoolTask[], threads: number, onResult: (i: number, r: R) => void, order?: readonly number[]): Promise<void> {
  const n = Math.max(1, Math.min(threads, tasks.length));
  if (!tasks.length) return;
  let next = 0;
  let left = tasks.length;
  const workers: Worker[] = [];
  // jobs posted to each worker and not answered yet
  const posted: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      // a worker holds a second job while more than AHEAD jobs per worker are left, so that it goes on without
      // waiting for this thread (busy with npm start's export: src/start.ts); near the end one at a time, so
      // that no worker holds a job another could start
      const post = (k: number) => {
        const i = order ? order[next++]! : next++;
        posted[k]!++;
        workers[k]!.postMessage({ i, task: tasks[i] });
      };
      const hand = (k: number) => {
        while (next < tasks.length && posted[k]! < (tasks.length - next > AHEAD * n ? 2 : 1)) post(k);
      };
      for (let k = 0; k < n; k++) {
        const pre = early.shift();
        pre?.detach();
        const w = pre?.worker ?? sourceWorker(ENTRY, {});
        workers.push(w);
        posted.push(0);
        // a prestarted worker that failed before it was taken
        if (pre?.failure) return fail(new PoolError(pre.failure(k)));
        w.on('message', (m: FromPoolWorker) => {
          // the worker could not load (sourceWorker's bootstrap), or a job threw
          if ('kind' in m) return fail(new PoolError(`worker ${k} did not start: ${m.message.split('\n')[0]}`));
          if ('error' in m) return fail(new PoolError(m.error));
          onResult(m.i, m.ok as R);
          posted[k]!--;
          if (--left === 0) resolve();
          else hand(k);
        });
        w.on('error', (e) => fail(new PoolError(`worker ${k}: ${e.message}`)));
        w.on('exit', (code) => left > 0 && fail(new PoolError(`worker ${k} exited (code ${code}) with ${left} job${left === 1 ? '' : 's'} left`)));
      }
      // one job each first, then the second ones: a pool of few jobs spreads them over every worker
      for (let k = 0; k < n && next < tasks.length; k++) post(k);
      for (let k = 0; k < n; k++) hand(k);
    });
  } finally {
    // and the prestarted ones this pool did not need
    await Promise.all([...workers, ...early.splice(0).map((e) => e.worker)].map((w) => w.terminate()));
  }
}
