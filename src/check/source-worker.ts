// A worker thread that runs a module of the package in the same form as this thread runs it: from
// the TypeScript sources in a checkout (tsx registered in the worker) or from the compiled files
// (the package, npm start's .start/). Its own module, importing node alone, so that npm start can
// start the check's workers before it loads the machines (src/commands/pool.ts prestartPool).
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { packageRoot } from './variant-loader.ts';

const here = fileURLToPath(import.meta.url);

/** A worker thread running `entry` (a module beside this one) from the TypeScript sources (a checkout: tsx registered in it) or from the compiled package, with the main thread's heap limit. */
export function sourceWorker(entry: URL, data: Record<string, unknown>): Worker {
  const fromSources = extname(here) === '.ts';
  // tsx's own loader flags are not inherited: the bootstrap registers it where sources run
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i]!;
    if ((a === '--import' || a === '--require' || a === '--loader') && /tsx/.test(process.execArgv[i + 1] ?? '')) i++;
    else if (!/tsx/.test(a)) execArgv.push(a);
  }
  const tsx = fromSources ? pathToFileURL(createRequire(`${packageRoot}/package.json`).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href : undefined;
  const boot = `
    const { workerData } = require('node:worker_threads');
    (async () => {
      if (workerData.tsx) (await import(workerData.tsx)).register();
      await import(workerData.entry);
    })().catch((e) => {
      require('node:worker_threads').parentPort.postMessage({ kind: 'fatal', message: String(e && e.stack || e) });
    });`;
  const heapMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  // tsx keeps a cache in the temporary folder; a process that does not run tsx itself (vitest, a tool) gets none from its worker,
  // unless its environment says (TSX_DISABLE_CACHE set, even empty: vitest.config.ts keeps the cache, saving each worker the transpiling)
  const ownTsx = process.execArgv.some((a) => /tsx/.test(a)) || process.env['TSX_DISABLE_CACHE'] !== undefined;
  const start = (argv: string[]) =>
    new Worker(boot, {
      eval: true,
      execArgv: argv,
      ...(fromSources && !ownTsx ? { env: { ...process.env, TSX_DISABLE_CACHE: '1' } } : {}),
      workerData: { ...data, tsx, entry: entry.href },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
      stdout: false,
      stderr: false,
    });
  try {
    return start(execArgv);
  } catch (e) {
    // a process-wide flag a worker may not take (node --expose-gc, as npm run bench starts): the worker runs without it
    if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    const invalid = new Set((e as Error).message.replace(/^.*flags: /, '').split(/,\s*/));
    return start(execArgv.filter((a) => !invalid.has(a)));
  }
}
