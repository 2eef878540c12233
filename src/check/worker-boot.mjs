// Entry of a worker thread of the parallel explorer: registers tsx (so the TypeScript sources
// load as they do in the main thread), then runs the worker module named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
