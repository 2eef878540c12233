// The collapse-compressed explorer in one thread: one Shard (shard.ts) explores the whole
// machine breadth first, in exploreCompiled's order (the same state numbers, parents, edges
// and first violations), but keeps a state as a vector of component ids instead of an object
// per state; states are decoded when asked for (`states[i]`). `lazyExploration` wraps any
// explorer's arrays and a decoder into the Exploration the checker reads.
import type { AnyMachineSnapshot } from 'xstate';
import type { AbstractState, Model } from '../spec.ts';
import { compile, type Compiled } from './compile.ts';
import { reduces, stateKey, type Exploration, type ExploreOptions } from './explore.ts';
import type { Canonicaliser } from './symmetry.ts';
import { Shard } from './shard.ts';
import { deadCompiled } from './dead.ts';

export interface ScaledOptions extends ExploreOptions {
  /** Called after each BFS level with the states at each depth so far; a string stops the exploration there (`stopped` says why). */
  onLevel?: (perDepth: readonly number[], states: number) => string | undefined;
}

const compiledMachines = new WeakMap<object, Compiled>();
export function compiledOf(model: Model): Compiled {
  let c = compiledMachines.get(model.machine);
  if (!c) compiledMachines.set(model.machine, (c = compile(model.machine)));
  return c;
}

/** Breadth-first exploration over state vectors, one thread; refuses (throws) what `compile` or the layout refuses. */
export function exploreScaled<C>(model: Model<C>, options: ScaledOptions = {}): Exploration<C> & { bytes: number } {
  const started = performance.now();
  const compiled = deadCompiled(model, compiledOf(model), options.dead);
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const every = options.progressEvery ?? 10_000;
  const shard = new Shard(model, compiled, { shard: 0, shards: 1, keepEdges: options.keepEdges ?? true, symmetry: reduces(model, options) });
  shard.start();
  shard.endLevel();
  let limitReached = false;
  let head = 0;
  const perDepth = [1];
  let stopped: string | undefined;
  while (head < shard.size) {
    const end = shard.size;
    for (; head < end; head++) {
      if (shard.size >= maxStates) {
        limitReached = true;
        break;
      }
      shard.expand(head, head + 1);
      if (options.onProgress && head % every === 0) options.onProgress(shard.size, shard.size - head);
    }
    if (limitReached) break;
    const added = shard.endLevel();
    if (!added) break;
    perDepth.push(added);
    stopped = options.onLevel?.(perDepth, shard.size);
    if (stopped) {
      limitReached = head < shard.size;
      break;
    }
  }
  const n = shard.size;
  const depths = new Int32Array(n);
  const starts = shard.levelStarts;
  let maxDepth = 0;
  for (let l = 0; l + 1 < starts.length; l++) {
    depths.fill(l, starts[l]!, Math.min(n, starts[l + 1]!));
    if (starts[l + 1]! > starts[l]!) maxDepth = l;
  }
  // states added by the level cut short by the limit
  if (starts[starts.length - 1]! < n) {
    depths.fill(starts.length - 1, starts[starts.length - 1]!, n);
    maxDepth = starts.length - 1;
  }
  const x = lazyExploration<C>(model, {
    count: n,
    state: (i) => shard.state(i) as AbstractState<C>,
    encoding: (i) => shard.encoding(i),
    parent: shard.parent.done(),
    parentEvent: shard.parentEvent.done(),
    depth: depths,
    edges: shard.edges.done(),
    transitions: shard.transitions,
    maxDepth,
    limitReached,
    millis: performance.now() - started,
    violations: shard.violations,
    canon: shard.canon,
    perDepth,
    stopped,
  });
  return Object.assign(x, { bytes: shard.bytes });
}

export interface Decoded<C> {
  count: number;
  state: (i: number) => AbstractState<C>;
  encoding: (i: number) => Uint8Array;
  parent: Int32Array;
  parentEvent: Int32Array;
  depth: Int32Array;
  edges: Int32Array;
  transitions: number;
  maxDepth: number;
  limitReached: boolean;
  millis: number;
  violations: Map<string, number>;
  canon: Canonicaliser | undefined;
  perDepth: number[];
  stopped: string | undefined;
}

/** An Exploration whose states are decoded on demand (`states` is a read-only array view). */
export function lazyExploration<C>(model: Model<C>, d: Decoded<C>): Exploration<C> {
  const states = new Proxy([] as AbstractState<C>[], {
    get(target, prop, receiver) {
      if (prop === 'length') return d.count;
      if (typeof prop === 'string') {
        const i = Number(prop);
        if (Number.isInteger(i) && i >= 0 && String(i) === prop) return i < d.count ? d.state(i) : undefined;
      }
      return Reflect.get(target, prop, receiver);
    },
    has(target, prop) {
      if (typeof prop === 'string') {
        const i = Number(prop);
        if (Number.isInteger(i) && String(i) === prop) return i >= 0 && i < d.count;
      }
      return Reflect.has(target, prop);
    },
    set() {
      return false;
    },
  });
  let snapshots: AnyMachineSnapshot[] | undefined;
  let keys: string[] | undefined;
  const x = {
    engine: 'compiled' as const,
    states,
    parent: d.parent,
    parentEvent: d.parentEvent,
    depth: d.depth,
    edges: d.edges,
    transitions: d.transitions,
    maxDepth: d.maxDepth,
    limitReached: d.limitReached,
    millis: d.millis,
    violations: d.violations,
    encoding: d.encoding,
    perDepth: d.perDepth,
    ...(d.stopped ? { stopped: d.stopped } : {}),
    ...(d.canon ? { symmetry: { canon: d.canon, perm: new Int32Array(0) } } : {}),
  };
  return Object.defineProperties(x, {
    snapshots: { enumerable: true, get: () => (snapshots ??= Array.from(states, (s) => model.machine.resolveState(s as never) as AnyMachineSnapshot)) },
    keys: { enumerable: true, get: () => (keys ??= Array.from(states, stateKey)) },
  }) as unknown as Exploration<C>;
}
