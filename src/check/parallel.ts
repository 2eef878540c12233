// Exploration in worker threads (node:worker_threads), partitioned by hash: each worker owns
// the states whose content hash falls to it (shard.ts) and rebuilds the compiled machine from
// the model's recipe (machine, variant, configuration, parameters, variant file). The search is
// level-synchronous breadth first: every worker expands its part of level d, sends successors
// it does not own straight to their owner (each once while its cache of sent vectors holds it:
// shard.ts), and the main thread starts level d+1 only when
// every worker has interned all of level d+1; so every state is reached at its BFS depth and
// every counterexample is as short as in one thread. Afterwards the workers transfer their
// arrays, and states are numbered level by level, shard by shard (the same states, transitions,
// depth and violations as one thread, numbered differently within a level).
import { Worker, MessageChannel } from 'node:worker_threads';
import type { AbstractState, Model } from '../spec.ts';
import { reduces, type Exploration, type ExploreOptions } from './explore.ts';
import { recipeOf, type ModelRecipe } from './recipe.ts';
import { compiledOf, lazyExploration } from './scaled.ts';
import { deadCompiled } from './dead.ts';
import { Canonicaliser } from './symmetry.ts';
import { Layout, type DictEntry } from './vector.ts';
import type { InitMessage } from './worker.ts';

export interface ParallelOptions extends ExploreOptions {
  /** Worker threads (shards), default 2. */
  workers?: number;
  /** The model's recipe; default `recipeOf(model)` (shipped specs). */
  recipe?: ModelRecipe;
  /** Called after each BFS level with the states at each depth so far; a string stops the exploration there (`stopped` says why). */
  onLevel?: (perDepth: readonly number[], states: number) => string | undefined;
  /** Slots of each worker's cache of the vectors it sent each peer (shard.ts SENT_SLOTS). */
  sentSlots?: number;
}

export class WorkerError extends Error {
  override name = 'WorkerError';
}

interface Result {
  arena: Uint8Array;
  tables: { data: Int32Array; hashes: Int32Array; size: number }[];
  parent: Int32Array;
  parentEvent: Int32Array;
  edges: Int32Array;
  levelStarts: number[];
  transitions: number;
  violations: [string, number][];
  bytes: number;
  dictionaries: DictEntry[];
  /** CPU seconds of the worker thread (NaN where not measured), and of its start-up (rebuilding the model) */
  cpu: number;
  readyCpu: number;
  /** successors sent to another shard, and those not sent again (found in the cache of sent vectors) */
  sentRows: number;
  sentHits: number;
}

/** What the workers did: CPU seconds of each thread and of its start-up, successors sent to another shard and those the cache kept back. */
export interface WorkerStats {
  cpu: number[];
  /** of which start-up (loading the sources, rebuilding and compiling the model) */
  startCpu: number[];
  sentRows: number;
  sentHits: number;
}

const BOOT = new URL('./worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./worker.ts', import.meta.url).href;

/** Breadth-first exploration in `workers` threads; resolves to the same Exploration as one thread (states numbered per level and shard). */
export async function exploreParallel<C>(model: Model<C>, options: ParallelOptions = {}): Promise<Exploration<C> & { bytes: number; workers: number; stats: WorkerStats }> {
  const started = performance.now();
  const n = options.workers ?? 2;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new WorkerError(`workers must be an integer from 1 to 64, got ${n}`);
  const compiled = deadCompiled(model, compiledOf(model), options.dead);
  const symmetry = reduces(model, options);
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const recipe = options.recipe ?? recipeOf(model);
  const expect = { machineId: model.machineId, variantId: model.variantId, configurationId: model.configurationId, events: JSON.stringify(model.events), slots: compiled.slots, context: JSON.stringify(compiled.initial.context) };
  const workers = Array.from({ length: n }, () => new Worker(BOOT, { workerData: { entry: ENTRY } }));
  const counter = new SharedArrayBuffer(4);
  // one reply per worker per request; the first worker error fails the round at once (its peers may be waiting for it)
  let fail: (e: Error) => void = () => {};
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => {});
  const waiting: ((m: any) => void)[][] = workers.map(() => []);
  workers.forEach((w, i) => {
    w.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error') fail(new WorkerError(`worker ${i}: ${m.message}`));
      else waiting[i]!.shift()?.(m);
    });
    w.on('error', (e) => fail(new WorkerError(`worker ${i}: ${e.message}`)));
    w.on('exit', (code) => fail(new WorkerError(`worker ${i} exited (code ${code})`)));
  });
  const round = async <T,>(post: (w: Worker, i: number) => void): Promise<T[]> => {
    const replies = workers.map((w, i) => new Promise<T>((resolve) => waiting[i]!.push(resolve)));
    workers.forEach(post);
    return Promise.race([Promise.all(replies), failure]);
  };
  try {
    const ports: Record<number, import('node:worker_threads').MessagePort>[] = workers.map(() => ({}));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const { port1, port2 } = new MessageChannel();
        ports[i]![j] = port1;
        ports[j]![i] = port2;
      }
    }
    await round((w, i) => {
      const init: InitMessage = { type: 'init', recipe, expect, shard: i, shards: n, keepEdges: options.keepEdges ?? true, symmetry, dead: !!(options.dead && model.dead), ...(options.sentSlots ? { sentSlots: options.sentSlots } : {}), ports: ports[i]!, counter, maxStates: Number.isFinite(maxStates) ? maxStates : 2 ** 31 - 1 };
      w.postMessage(init, Object.values(ports[i]!));
    });
    let total = 1;
    let limitReached = false;
    const perDepth = [1];
    let stopped: string | undefined;
    for (;;) {
      const replies = await round<{ added: number; stopped: boolean }>((w) => w.postMessage({ type: 'level' }));
      const added = replies.reduce((s, r) => s + r.added, 0);
      total += added;
      if (replies.some((r) => r.stopped)) {
        limitReached = true;
        break;
      }
      if (!added) break;
      perDepth.push(added);
      options.onProgress?.(total, added);
      stopped = options.onLevel?.(perDepth, total);
      if (stopped || total >= maxStates) {
        limitReached = true;
        break;
      }
    }
    const results = await round<Result>((w) => w.postMessage({ type: 'finish' }));
    const x = assemble(model, results, n, limitReached, symmetry, performance.now() - started, stopped, options.dead);
    const stats: WorkerStats = { cpu: results.map((r) => r.cpu), startCpu: results.map((r) => r.readyCpu), sentRows: results.reduce((s, r) => s + r.sentRows, 0), sentHits: results.reduce((s, r) => s + r.sentHits, 0) };
    return Object.assign(x, { bytes: results.reduce((s, r) => s + r.bytes, 0), workers: n, stats });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** One Exploration from the shards' arrays: states numbered level by level, shard by shard. */
function assemble<C>(model: Model<C>, results: Result[], n: number, limitReached: boolean, symmetry: boolean, millis: number, stopped: string | undefined, dead?: boolean): Exploration<C> {
  const compiled = deadCompiled(model, compiledOf(model), dead);
  const layouts = results.map((r) => {
    const l = new Layout(compiled);
    l.adopt(r.tables);
    // dictionary codes are content hashes, the same in every worker; each layout decodes every worker's values
    for (const q of results) l.adoptDictionaries(q.dictionaries);
    return l;
  });
  const sizes = results.map((r) => r.parent.length);
  const count = sizes.reduce((a, b) => a + b, 0);
  const levels = Math.max(...results.map((r) => r.levelStarts.length));
  // level l of shard s: local [start(s, l), start(s, l + 1)); its global base
  const start = (s: number, l: number) => Math.min(results[s]!.levelStarts[l] ?? sizes[s]!, sizes[s]!);
  const base = results.map(() => new Int32Array(levels + 1));
  const shardOf = new Uint8Array(count);
  const localOf = new Int32Array(count);
  const depth = new Int32Array(count);
  let g = 0;
  let maxDepth = 0;
  for (let l = 0; l <= levels; l++) {
    for (let s = 0; s < n; s++) {
      base[s]![l] = g;
      const to = l === levels ? sizes[s]! : start(s, l + 1);
      for (let k = start(s, l); k < to; k++, g++) {
        shardOf[g] = s;
        localOf[g] = k;
        depth[g] = l;
        maxDepth = l;
      }
    }
  }
  const globalOf = (gid: number): number => {
    const s = gid % n;
    const local = (gid - s) / n;
    const starts = results[s]!.levelStarts;
    // the last level whose start is at most local
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= local) lo = mid;
      else hi = mid - 1;
    }
    return base[s]![lo]! + local - start(s, lo);
  };
  const parent = new Int32Array(count);
  const parentEvent = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const r = results[shardOf[i]!]!;
    const p = r.parent[localOf[i]!]!;
    parent[i] = p < 0 ? -1 : globalOf(p);
    parentEvent[i] = r.parentEvent[localOf[i]!]!;
  }
  const edgeCount = results.reduce((a, r) => a + r.edges.length, 0);
  const edges = new Int32Array(edgeCount);
  let e = 0;
  results.forEach((r, s) => {
    for (let k = 0; k < r.edges.length; k += 3) {
      edges[e++] = globalOf(r.edges[k]!);
      edges[e++] = r.edges[k + 1]!;
      edges[e++] = globalOf(r.edges[k + 2]! * n + s);
    }
  });
  // the first violation of each invariant: the shallowest, then the lowest global number
  const violations = new Map<string, number>();
  for (const inv of model.invariants) {
    let best = -1;
    results.forEach((r, s) => {
      const local = r.violations.find(([name]) => name === inv.name)?.[1];
      if (local === undefined) return;
      const gi = globalOf(local * n + s);
      if (best < 0 || depth[gi]! < depth[best]! || (depth[gi] === depth[best] && gi < best)) best = gi;
    });
    if (best >= 0) violations.set(inv.name, best);
  }
  const vb = layouts[0]!.vectorBytes;
  const cfgOf = (i: number) => layouts[shardOf[i]!]!.cfgOf(results[shardOf[i]!]!.arena, localOf[i]! * vb, new Uint8Array(compiled.slots));
  return lazyExploration<C>(model, {
    count,
    state: (i) => ({ value: compiled.value(cfgOf(i)) as AbstractState<C>['value'], context: layouts[shardOf[i]!]!.contextOf(results[shardOf[i]!]!.arena, localOf[i]! * vb) as C }),
    encoding: cfgOf,
    parent,
    parentEvent,
    depth,
    edges,
    transitions: results.reduce((a, r) => a + r.transitions, 0),
    maxDepth,
    limitReached,
    millis,
    violations,
    canon: symmetry && model.symmetry ? new Canonicaliser(compiled, model.symmetry.groups) : undefined,
    perDepth: Array.from({ length: maxDepth + 1 }, (_, l) => results.reduce((a, _r, s) => a + (l === levels ? 0 : start(s, l + 1) - start(s, l)), 0)),
    stopped,
  });
}
