// A worker thread of test/check/footprints.test.ts: runs the footprint verifications it is sent.
import { parentPort } from 'node:worker_threads';
import { verify, type FootprintCase } from './footprint-cases.ts';

parentPort!.on('message', (m: { id: number; c: FootprintCase }) => parentPort!.postMessage({ id: m.id, r: verify(m.c) }));
parentPort!.postMessage({ ready: true });
