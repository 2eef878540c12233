// A mutation worker process (forked by src/mutate/pool.ts): it registers the module overlay
// with every scoped file's mutant schemata, then loads the machines and transcriptions once and
// runs jobs until its parent disconnects. Nothing here imports a machine before the overlay.
import { registerOverlay } from './overlay.ts';
import type { Job, JobResult } from './jobs.ts';

export type ToWorker = { type: 'init'; sources: Record<string, string>; mutants: number } | { type: 'job'; id: number; job: Job };
export type FromWorker = { type: 'ready' } | { type: 'result'; id: number; result: JobResult } | { type: 'error'; message: string };

let mutants = 0;
let run: ((job: Job, mutants: number) => Promise<JobResult>) | undefined;
const send = (m: FromWorker) => process.send!(m);

process.on('message', (m: ToWorker) => {
  void (async () => {
    try {
      if (m.type === 'init') {
        registerOverlay(m.sources);
        mutants = m.mutants;
        run = (await import('./jobs.ts')).runJob;
        send({ type: 'ready' });
      } else {
        send({ type: 'result', id: m.id, result: await run!(m.job, mutants) });
      }
    } catch (e) {
      send({ type: 'error', message: (e as Error).stack ?? String(e) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
