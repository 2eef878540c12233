// The worker side of watchdog.ts: plans the check from the command's flags (the file is
// re-imported, not type-checked again), runs each check in the checking mode with a
// heartbeat in shared memory, and posts the results; or, asked to locate, searches for the
// failing step and publishes where it is.
import { parentPort, workerData } from 'node:worker_threads';
import { flagOptions, plan } from '../commands/check.ts';
import { locateJob, runJob } from './checking.ts';
import { watch } from './watch.ts';
import { SLOT, type WorkerData } from './watchdog.ts';

// the shared slots of the current run (a kept worker runs again with new ones: watchdog.ts keepWatchdogWorker)
let at = new Int32Array((workerData as WorkerData).shared);
const post = (m: unknown) => parentPort!.postMessage(m);

// the file's code tells the watchdog when it runs, and which replacement it is
const names: string[] = [];
const ids = new Map<string, number>();
const open: number[] = [];
watch.enter = (name) => {
  let id = ids.get(name);
  if (id === undefined) {
    ids.set(name, (id = names.length));
    names.push(name);
    post({ kind: 'names', names });
  }
  open.push(id);
  at[SLOT.NAME] = id;
  at[SLOT.LAST] = id;
  at[SLOT.ENTERED]!++;
  at[SLOT.DEPTH]!++;
};
watch.leave = () => {
  open.pop();
  at[SLOT.NAME] = open.length ? open[open.length - 1]! : -1;
  at[SLOT.DEPTH]!--;
};

async function main(data: WorkerData): Promise<void> {
  at = new Int32Array(data.shared);
  names.length = 0;
  ids.clear();
  open.length = 0;
  const jobs = await plan(data.flags, { typeCheck: false, compiled: data.compiled });
  if (data.mode === 'locate') {
    const job = jobs[data.job]!;
    const n = data.parents!.byteLength / 8;
    post({ kind: 'start', job: data.job, label: '' });
    const failure = locateJob(job.spec, job.model, data.maxStates, {
      at: new Int32Array(data.shared, SLOT.AT * 4, 3),
      parent: new Int32Array(data.parents!, 0, n),
      parentEvent: new Int32Array(data.parents!, 4 * n, n),
    });
    post(failure ? { kind: 'failure', job: data.job, failure } : { kind: 'done' });
    return;
  }
  let lastProgress = 0;
  for (let j = data.job; j < jobs.length; j++) {
    const { spec, model } = jobs[j]!;
    at[SLOT.STATES] = 0;
    post({ kind: 'start', job: j, label: `${model.machineId}/${model.variantId}/${model.configurationId}` });
    const outcome = runJob(spec, model, {
      // the checking mode (frozen contexts, growth watch) is for a file's code; a plain check under --timeout only needs the heartbeat
      checking: !!data.flags.variantFile,
      maxStates: data.maxStates,
      ...flagOptions(data.flags),
      beat: () => void at[SLOT.HEART]!++,
      phase: (p) => void (at[SLOT.PHASE] = p),
      onProgress: (states, queued) => {
        at[SLOT.STATES] = states;
        const now = performance.now();
        if (now - lastProgress < 200) return;
        lastProgress = now;
        post({ kind: 'progress', states, queued });
      },
    });
    if ('failure' in outcome) {
      post({ kind: 'failure', job: j, failure: outcome.failure });
      return;
    }
    post({ kind: 'result', job: j, result: outcome.result });
  }
  post({ kind: 'done' });
}

const run = (data: WorkerData) => void main(data).catch((e) => post({ kind: 'fatal', message: String((e as Error)?.stack ?? e) }));
run(workerData as WorkerData);
// a worker the watchdog keeps after a run that ended 'done' is sent the next run's data
parentPort!.on('message', run);
