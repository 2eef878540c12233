// Worker processes for the mutation analysis (node:child_process, one per core by default).
// Each loads the mutant schemata once and runs jobs in turn; a job that outlives its deadline
// (a mutant that loops, or makes a counter grow faster than the state limit notices) gets
// its worker killed and replaced, and is reported as a timeout.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Job, JobResult } from './jobs.ts';
import type { FromWorker, ToWorker } from './worker.ts';

export type PoolResult = JobResult | { status: 'timeout'; millis: number };

interface Pending {
  job: Job;
  deadline: number;
  resolve: (r: PoolResult) => void;
}

interface Worker {
  child: ChildProcess;
  ready: boolean;
  current?: { id: number; pending: Pending; timer: NodeJS.Timeout; started: number };
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** The tsx loader the workers run the TypeScript sources with, or undefined outside a checkout (tsx is a devDependency). */
export function tsxLoader(): string | undefined {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

export class Pool {
  private readonly workers: Worker[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  /** Workers replaced after a timeout or an exit. */
  restarts = 0;

  constructor(
    private readonly size: number,
    private readonly sources: Record<string, string>,
    private readonly mutants: number,
    private readonly onFatal: (message: string) => void,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    const child = fork(WORKER, [], { execArgv: ['--import', tsxLoader()!], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w: Worker = { child, ready: false };
    child.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        w.ready = true;
        this.dispatch();
      } else if (m.type === 'result' && w.current?.id === m.id) {
        const c = w.current;
        clearTimeout(c.timer);
        delete w.current;
        c.pending.resolve(m.result);
        this.dispatch();
      } else if (m.type === 'error') this.onFatal(m.message);
    });
    child.on('exit', (code, signal) => {
      const i = this.workers.indexOf(w);
      if (i < 0 || this.closed) return;
      // the worker died on its own (out of memory, a mutant that killed the process)
      if (w.current) {
        clearTimeout(w.current.timer);
        w.current.pending.resolve({ status: 'crashed', message: `worker exited (${signal ?? code})`, millis: Date.now() - w.current.started });
      } else if (!w.ready) this.onFatal(`a mutation worker exited before it was ready (${signal ?? code})`);
      this.restarts++;
      this.workers[i] = this.spawn();
    });
    child.send({ type: 'init', sources: this.sources, mutants: this.mutants } satisfies ToWorker);
    return w;
  }

  /** Runs a job on the next free worker; a timeout after `deadline` ms. */
  run(job: Job, deadline: number, first = false): Promise<PoolResult> {
    return new Promise((resolve) => {
      const p = { job, deadline, resolve };
      if (first) this.queue.unshift(p);
      else this.queue.push(p);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (!w.ready || w.current || !this.queue.length) continue;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      const started = Date.now();
      const timer = setTimeout(() => {
        delete w.current;
        const i = this.workers.indexOf(w);
        this.workers[i] = this.spawn();
        this.restarts++;
        w.child.removeAllListeners('exit');
        w.child.kill('SIGKILL');
        pending.resolve({ status: 'timeout', millis: Date.now() - started });
      }, pending.deadline);
      w.current = { id, pending, timer, started };
      w.child.send({ type: 'job', id, job: pending.job } satisfies ToWorker);
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) {
      if (w.current) clearTimeout(w.current.timer);
      w.child.kill('SIGKILL');
    }
  }
}
