// A variant file's code runs where it can be stopped: its checks run in a worker thread, and
// the command's thread watches it. Why a worker: a loop in JavaScript cannot be interrupted
// from the thread it runs in, and `worker.terminate()` stops one wherever it is, without the
// second Node process, the second command line and the serialised results a child process
// would need; the worker shares memory with the command's thread (a SharedArrayBuffer), so
// the watchdog reads the worker's heartbeat without messages and costs the explorer nothing
// but a counter per state. The worker re-plans the check from the same flags (the file was
// type-checked and every usage error reported here), runs each check in the checking mode
// (stored contexts and the configuration frozen, a growth watch, the file's replacements
// counted) and posts each result. The watchdog stops it when:
// - one check runs longer than `--timeout` (the result is undecided: a mismatch, exit 1; the
//   next check runs in a fresh worker);
// - a step does not finish within `--step-timeout`: no state was expanded for that long, or
//   one call of the file's code did not return. Then a second worker searches breadth-first
//   for the step (locate.ts), publishing where it is in shared memory; when it hangs there
//   too, the watchdog reads the state and the path to it and reports one line, exit 2.
// A step that throws is located in the same worker and reported the same way.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CheckFlags } from '../commands/check.ts';
import type { Model } from '../spec.ts';
import { replay, type CheckResult } from './check.ts';
import { definitionOf, eventText, stateText, stepsText, traceLines, type StepFailure } from './locate.ts';
import { sourceWorker } from './source-worker.ts';
import { variantOf } from './variant-file.ts';

/** Shared memory slots (Int32Array indices). */
export const SLOT = {
  /** Bumped for every state the explorer expands or stores: the exploration's heartbeat. */
  HEART: 0,
  /** 1 while exploring (the heartbeat must move), 2 while evaluating properties (only the file's own calls are timed), 0 otherwise. */
  PHASE: 1,
  /** Calls of the file's code open now, and the serial of the last one entered. */
  DEPTH: 2,
  ENTERED: 3,
  /** Index (in the names the worker posts) of the innermost open call of the file's code, -1 for none. */
  NAME: 4,
  /** Locating: the state being expanded, the event being stepped, steps taken. */
  AT: 5,
  /** States expanded so far in the current check. */
  STATES: 8,
  /** Index of the last call of the file's code entered, -1 for none. */
  LAST: 9,
  SIZE: 10,
} as const;

export interface JobHooks {
  start(job: number, label: string): void;
  progress(states: number, queued: number): void;
  result(job: number, r: CheckResult): void;
}

export interface Limits {
  /** Longest one check may run, ms (undefined: no bound). */
  checkMs?: number;
  /** Longest one step may take, ms. */
  stepMs: number;
  /** Print the trace to a failing step. */
  verbose: boolean;
}

/** The default bound on one step: a step of any shipped machine takes well under a millisecond. */
export const DEFAULT_STEP_SECONDS = 10;

type FromWorker =
  | { kind: 'start'; job: number; label: string }
  | { kind: 'names'; names: string[] }
  | { kind: 'progress'; states: number; queued: number }
  | { kind: 'result'; job: number; result: CheckResult }
  | { kind: 'failure'; job: number; failure: StepFailure }
  | { kind: 'fatal'; message: string }
  | { kind: 'done' };

export interface WorkerData {
  flags: CheckFlags;
  /** The variant file's transpiled modules (the command's), so the worker loads no compiler. */
  compiled: Readonly<Record<string, string>>;
  mode: 'check' | 'locate';
  /** First job to run (check), or the job to locate in. */
  job: number;
  shared: SharedArrayBuffer;
  /** Locating: per state, the parent and the event that reached it. */
  parents?: SharedArrayBuffer;
  maxStates: number;
  verbose: boolean;
}

/** A failure in a variant's code: the one line (and with --verbose the trace); the command exits 2. */
export class StepFailureError extends Error {
  override name = 'StepFailureError';
}

export { sourceWorker } from './source-worker.ts';

const here = fileURLToPath(import.meta.url);
const workerEntry = new URL(`./watchdog-worker${extname(here)}`, import.meta.url);

function startWorker(data: WorkerData): Worker {
  return sourceWorker(workerEntry, { ...data });
}

/** A worker whose last check ended normally, kept (unref'd) for the next check when `keepWatchdogWorker` is on. */
let idle: Worker | undefined;
let keep = false;

/**
 * Keeps the check's worker after a check that ended normally and runs the next check in it,
 * which saves starting a worker and loading the machines in it again (a test process that
 * checks many variant files); off, the idle worker is stopped. Off by default: the CLI runs one
 * check and starts one worker. A worker stopped by the watchdog (a hang, --timeout) or that
 * reported a failure is never kept. The checks in a kept worker share its modules, as the
 * checks of one process share the command's (where each check also plans its models).
 */
export function keepWatchdogWorker(on: boolean): void {
  keep = on;
  if (!on && idle) void idle.terminate();
  if (!on) idle = undefined;
}

/** A worker to run a check: the idle one, sent the check's data, or a new one. */
function checkWorker(data: WorkerData): Worker {
  const w = idle;
  idle = undefined;
  if (!w) return startWorker(data);
  w.ref();
  w.postMessage(data);
  return w;
}

/**
 * Runs the jobs the flags plan (`models`, built here by the same plan) in a worker, under the
 * watchdog. Results arrive through `hooks` in job order; a hung or throwing step of the
 * variant's code rejects with a StepFailureError.
 */
export async function runInWorker(flags: CheckFlags, compiled: Readonly<Record<string, string>>, models: readonly Model[], hooks: JobHooks, limits: Limits, maxStates: number): Promise<void> {
  let next = 0;
  while (next < models.length) {
    const outcome = await runFrom(flags, compiled, next, hooks, limits, maxStates);
    if (outcome.kind === 'done') return;
    if (outcome.kind === 'timeout') {
      hooks.result(outcome.job, timedOut(models[outcome.job]!, outcome, limits.checkMs!));
      next = outcome.job + 1;
      continue;
    }
    // a hung step: find it
    throw new StepFailureError(await locateHang(flags, compiled, models[outcome.job]!, outcome, limits, maxStates));
  }
}

type Outcome =
  | { kind: 'done' }
  | { kind: 'timeout'; job: number; states: number; millis: number }
  | { kind: 'hang'; job: number; name: string | undefined; last: string | undefined };

function runFrom(flags: CheckFlags, compiled: Readonly<Record<string, string>>, from: number, hooks: JobHooks, limits: Limits, maxStates: number): Promise<Outcome> {
  const { shared, at } = sharedSlots();
  const worker = checkWorker({ flags, compiled, mode: 'check', job: from, shared, maxStates, verbose: limits.verbose });
  let names: string[] = [];
  let job = -1;
  let started = 0;
  return new Promise<Outcome>((resolvePromise, reject) => {
    let settled = false;
    const finish = (o: Outcome | Error, reusable = false) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (reusable && keep && !idle) {
        worker.unref();
        idle = worker;
        worker.once('exit', () => void (idle === worker && (idle = undefined)));
      } else void worker.terminate();
      if (o instanceof Error) reject(o);
      else resolvePromise(o);
    };
    const dog = heartbeat(at, limits.stepMs);
    const timer = setInterval(() => {
      if (job < 0) return;
      const now = performance.now();
      if (limits.checkMs !== undefined && now - started > limits.checkMs) {
        finish({ kind: 'timeout', job, states: at[SLOT.STATES]!, millis: Math.round(now - started) });
        return;
      }
      const stuck = dog.stuck(now);
      if (stuck) finish({ kind: 'hang', job, name: stuck === 'call' ? names[at[SLOT.NAME]!] : undefined, last: names[at[SLOT.LAST]!] });
    }, 50);
    const onMessage = (m: FromWorker) => {
      switch (m.kind) {
        case 'start':
          job = m.job;
          started = performance.now();
          dog.reset(started);
          hooks.start(m.job, m.label);
          break;
        case 'names':
          names = m.names;
          break;
        case 'progress':
          hooks.progress(m.states, m.queued);
          break;
        case 'result':
          job = -1;
          hooks.result(m.job, m.result);
          break;
        case 'failure':
          finish(new StepFailureError([m.failure.line, ...(limits.verbose ? m.failure.trace : [])].join('\n')));
          break;
        case 'fatal':
          finish(new Error(`the check's worker failed: ${m.message}`));
          break;
        case 'done':
          finish({ kind: 'done' }, true);
          break;
      }
    };
    const onError = (e: unknown) => finish(e instanceof Error ? e : new Error(String(e)));
    const onExit = (code: number) => finish(code === 0 ? { kind: 'done' } : new Error(`the check's worker exited with code ${code}`));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/** The shared slots, no call of the file's code open or entered yet. */
function sharedSlots(): { shared: SharedArrayBuffer; at: Int32Array } {
  const shared = new SharedArrayBuffer(SLOT.SIZE * 4);
  const at = new Int32Array(shared);
  at[SLOT.NAME] = at[SLOT.LAST] = -1;
  return { shared, at };
}

/** The watchdog's view of the heartbeat: stuck when exploring without a heartbeat, or in one call of the file's code, for `stepMs`. */
function heartbeat(at: Int32Array, stepMs: number) {
  let heart = -1, entered = -1, beat = 0, inCall = 0;
  return {
    reset(now: number) {
      heart = entered = -1;
      beat = inCall = now;
    },
    stuck(now: number): 'step' | 'call' | undefined {
      const h = at[SLOT.HEART]!;
      if (h !== heart) (heart = h), (beat = now);
      const e = at[SLOT.ENTERED]!;
      if (at[SLOT.DEPTH]! === 0 || e !== entered) (entered = e), (inCall = now);
      if (at[SLOT.DEPTH]! > 0 && now - inCall > stepMs) return 'call';
      // a call entered shortly after the last heartbeat and still running is the hang (else the
      // step check, which counts from the heartbeat, would win the race and lose the name); calls
      // entered again and again (a raise loop) keep inCall within one poll of now
      if (at[SLOT.PHASE] === 1 && now - beat > stepMs) return at[SLOT.DEPTH]! > 0 && now - inCall > stepMs / 2 ? 'call' : 'step';
      return undefined;
    },
  };
}

/** The result of a check stopped by --timeout: every property undecided, a mismatch. */
function timedOut(model: Model, o: { states: number; millis: number }, checkMs: number): CheckResult {
  const note = `not decided: the check ran longer than --timeout ${checkMs / 1000} s`;
  const results = [
    ...model.invariants.map((i) => ({ property: i.name, kind: 'invariant' as const, holds: null, expected: !model.expectedViolations.includes(i.name), trace: [], note })),
    ...model.liveness.map((l) => ({ property: l.name, kind: 'liveness' as const, holds: null, expected: !model.expectedViolations.includes(l.name), trace: [], note })),
  ];
  return {
    machine: model.machineId,
    variant: model.variantId,
    configuration: model.configurationId,
    states: o.states,
    transitions: 0,
    depth: 0,
    millis: o.millis,
    limitReached: true,
    matches: false,
    results,
    stopped: `stopped by --timeout after ${(o.millis / 1000).toFixed(1)} s (${o.states.toLocaleString('en')} states expanded); the properties are undecided`,
  };
}

/** Runs the search for the hung step in a second worker; when it hangs too, reads where from shared memory. */
async function locateHang(flags: CheckFlags, compiled: Readonly<Record<string, string>>, model: Model, hang: { job: number; name: string | undefined; last: string | undefined }, limits: Limits, maxStates: number): Promise<string> {
  const { shared, at } = sharedSlots();
  const parents = new SharedArrayBuffer(8 * (maxStates + 1));
  const worker = startWorker({ flags, compiled, mode: 'locate', job: hang.job, shared, parents, maxStates, verbose: limits.verbose });
  const file = variantOf(model);
  const read = (f: string) => readFileSync(f, 'utf8');
  const lastAt = hang.last && file ? definitionOf(hang.last, file.files, read) : undefined;
  const what = hang.name
    ? `${hang.name} did not return within ${limits.stepMs / 1000} s`
    : `a step did not finish within ${limits.stepMs / 1000} s${hang.last ? ` (it kept running the file's ${hang.last}${lastAt ? `, ${lastAt}` : ''}: does it raise an event that leads back to it?)` : ''}`;
  const where = hang.name && file ? definitionOf(hang.name, file.files, read) : undefined;
  const found = await new Promise<StepFailure | 'hung' | undefined>((done) => {
    let locating = false;
    let steps = -1;
    let last = 0;
    const timer = setInterval(() => {
      if (!locating) return;
      const now = performance.now();
      // the search bumps AT+2 before every step: no bump for stepMs is the hang
      const s = at[SLOT.AT + 2]!;
      if (s !== steps) (steps = s), (last = now);
      else if (now - last > limits.stepMs) end('hung');
    }, 20);
    const end = (r: StepFailure | 'hung' | undefined) => {
      clearInterval(timer);
      void worker.terminate();
      done(r);
    };
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'start') {
        locating = true;
        last = performance.now();
      } else if (m.kind === 'failure') end(m.failure);
      else if (m.kind === 'done' || m.kind === 'fatal') end(undefined);
    });
    worker.on('error', () => end(undefined));
  });
  if (found === 'hung') return fromShared(model, at, parents, what, where, limits.verbose);
  const plain = `${where ? `${where}: ` : file ? `variant file ${file.id}: ` : ''}${what} (--step-timeout)`;
  if (found === undefined) return `${plain}; a search of every state without reductions did not reach it again`;
  return [found.line, ...(limits.verbose ? found.trace : [])].join('\n');
}

/** The one line (and trace) for a step the search hung in: the state and event it published, the path from the parents. */
function fromShared(model: Model, at: Int32Array, parents: SharedArrayBuffer, what: string, where: string | undefined, verbose: boolean): string {
  const head = at[SLOT.AT]!, event = at[SLOT.AT + 1]!;
  const n = parents.byteLength / 8;
  const parent = new Int32Array(parents, 0, n), parentEvent = new Int32Array(parents, 4 * n, n);
  const path: number[] = [];
  for (let s = head; s > 0 && parent[s]! >= 0; s = parent[s]!) path.push(parentEvent[s]!);
  path.reverse();
  const trace = traceLines(model, path, false);
  const e = model.events[event];
  let state = '';
  try {
    // the path's steps finished in the worker, so replaying them here finishes too
    state = ` in state ${stateText(replay(model, path).last)}`;
  } catch {
    state = ` after the ${path.length} steps --verbose shows`;
  }
  const line = `${where ? `${where}: ` : ''}${what} (--step-timeout), at event ${e ? eventText(e) : '?'}${state} (${stepsText(path.length)})`;
  return [line, ...(verbose ? trace : [])].join('\n');
}

