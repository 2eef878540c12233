// A worker thread of the parallel explorer (parallel.ts): rebuilds the model from its recipe,
// compiles it, and runs one Shard. Per BFS level the main thread says `level`; the worker
// expands its part of the level, sends the successors other shards own to them directly (one
// MessagePort per peer, batches of records that Shard gathers), interns what its peers send, and answers
// `levelDone` once every peer has said it is done sending. `finish` transfers its arrays back.
import { readFileSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Model } from '../spec.ts';
import { modelOf, type ModelRecipe } from './recipe.ts';
import { compiledOf } from './scaled.ts';
import { deadCompiled } from './dead.ts';
import { Shard } from './shard.ts';
import type { DictEntry } from './vector.ts';

export interface InitMessage {
  type: 'init';
  recipe: ModelRecipe;
  /** What the main thread built, to check the rebuilt model against. */
  expect: { machineId: string; variantId: string; configurationId: string; events: string; slots: number; context: string };
  shard: number;
  shards: number;
  keepEdges: boolean;
  symmetry: boolean;
  /** dead-variable reduction (dead.ts) */
  dead: boolean;
  /** slots of the cache of sent vectors per peer (shard.ts) */
  sentSlots?: number;
  /** peer shard -> port */
  ports: Record<number, MessagePort>;
  /** shared counter of states (all shards) and the limit */
  counter: SharedArrayBuffer;
  maxStates: number;
}

/** CPU seconds this thread has used (Linux: /proc/thread-self/stat, clock ticks taken as 1/100 s), or NaN elsewhere. */
function threadCpu(): number {
  try {
    const f = readFileSync('/proc/thread-self/stat', 'utf8');
    const t = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(t[11]) + Number(t[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

if (parentPort && workerData?.entry) {
  const main = parentPort;
  let shard: Shard | undefined;
  let init: InitMessage | undefined;
  const peers: [number, MessagePort][] = [];
  const portOf = new Map<number, MessagePort>();
  let doneFrom = 0;
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  let counter: Int32Array;
  let stopped = false;
  /** this thread's CPU seconds when the model was rebuilt (start-up: loading and compiling) */
  let readyCpu = 0;

  const handle = (peer: number, m: { buf?: ArrayBuffer; n?: number; done?: boolean; dict?: DictEntry[] }) => {
    if (m.done) doneFrom++;
    else {
      // the dictionary values the rows' codes stand for, which this worker may not have seen
      if (m.dict?.length) shard!.layout.adoptDictionaries(m.dict);
      shard!.receive(peer, new Int32Array(m.buf!), m.n!);
    }
  };
  /** Per peer: how much of this worker's dictionary log it has been sent. */
  const dictSent = new Map<number, number>();
  const drain = (): boolean => {
    let any = false;
    for (const [peer, port] of peers) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        handle(peer, m.message);
        any = true;
      }
    }
    return any;
  };
  /** A batch of records for a peer (the shard lets go of the buffer), with the dictionary values it has not been sent. */
  const send = (peer: number, records: Int32Array, ints: number) => {
    const log = shard!.layout.dictLog;
    const sent = dictSent.get(peer) ?? 0;
    portOf.get(peer)!.postMessage({ buf: records.buffer, n: ints, ...(log.length > sent ? { dict: log.slice(sent) } : {}) }, [records.buffer as ArrayBuffer]);
    dictSent.set(peer, log.length);
  };

  main.on('message', async (m: { type: string } & Partial<InitMessage>) => {
    try {
      if (m.type === 'init') {
        init = m as InitMessage;
        const model: Model = await modelOf(init.recipe);
        const compiled = deadCompiled(model, compiledOf(model), init.dead);
        const e = init.expect;
        const got = { machineId: model.machineId, variantId: model.variantId, configurationId: model.configurationId, events: JSON.stringify(model.events), slots: compiled.slots, context: JSON.stringify(compiled.initial.context) };
        if (JSON.stringify(got) !== JSON.stringify(e)) {
          throw new Error(`the model rebuilt from ${JSON.stringify(init.recipe)} is not the one checked (${model.machineId}/${model.variantId}/${model.configurationId})`);
        }
        for (const [k, port] of Object.entries(init.ports)) {
          peers.push([Number(k), port]);
          portOf.set(Number(k), port);
        }
        shard = new Shard(model, compiled, { shard: init.shard, shards: init.shards, keepEdges: init.keepEdges, symmetry: init.symmetry, ...(init.sentSlots ? { sentSlots: init.sentSlots } : {}) }, send);
        counter = new Int32Array(init.counter);
        shard.start();
        Atomics.add(counter, 0, shard.size);
        readyCpu = threadCpu();
        main.postMessage({ type: 'ready', added: shard.endLevel() });
      } else if (m.type === 'level') {
        const s = shard!;
        const starts = s.levelStarts;
        const from = starts[starts.length - 2]!;
        const to = starts[starts.length - 1]!;
        const before = s.size;
        let counted = before;
        const transitionsBefore = s.transitions;
        const violationsBefore = new Set(s.violations.keys());
        for (let i = from; i < to && !stopped; i += 64) {
          s.expand(i, Math.min(to, i + 64));
          drain();
          const total = Atomics.add(counter, 0, s.size - counted) + s.size - counted;
          counted = s.size;
          if (total >= init!.maxStates) stopped = true;
        }
        for (const [p, port] of peers) {
          s.flush(p);
          port.postMessage({ done: true });
        }
        while (doneFrom < peers.length) if (!drain()) Atomics.wait(sleep, 0, 0, 1);
        doneFrom = 0;
        Atomics.add(counter, 0, s.size - counted);
        const violations = [...s.violations].filter(([name]) => !violationsBefore.has(name));
        main.postMessage({ type: 'levelDone', added: s.endLevel(), grew: s.size - before, transitions: s.transitions - transitionsBefore, violations, stopped, bytes: s.bytes });
      } else if (m.type === 'finish') {
        const s = shard!;
        const arena = s.vectors.arenaBytes.slice(0, s.size * s.layout.vectorBytes);
        const tables = s.layout.tables.map((t) => ({ data: t.data.slice(0, t.size * t.width), hashes: t.hashes.slice(0, t.size), size: t.size }));
        const parent = s.parent.done();
        const parentEvent = s.parentEvent.done();
        const edges = s.edges.done();
        const transfer = [arena.buffer, parent.buffer, parentEvent.buffer, edges.buffer, ...tables.flatMap((t) => [t.data.buffer, t.hashes.buffer])] as ArrayBuffer[];
        main.postMessage({ type: 'result', arena, tables, parent, parentEvent, edges, levelStarts: s.levelStarts, transitions: s.transitions, violations: [...s.violations], bytes: s.bytes, dictionaries: s.layout.dictLog, cpu: threadCpu(), readyCpu, sentRows: s.sentRows, sentHits: s.sentHits }, transfer);
      }
    } catch (e) {
      main.postMessage({ type: 'error', message: (e as Error).message, stack: (e as Error).stack });
    }
  });
}
