// Test paths over an explored graph, for three coverage goals: every transition (edge), every
// state, or every event payload the bounds enumerate. A path starts in the initial state; the
// greedy construction takes the shortest path to the shallowest uncovered goal, then keeps
// going along steps that cover something new. An edge filter restricts the paths to steps a
// harness can perform (kselftest: what userspace can cause), and coverage is counted within it.
import type { Exploration } from '../check/explore.ts';
import type { EdgePath } from './cover.ts';

export type Cover = 'edges' | 'states' | 'payloads';
export const COVERS: readonly Cover[] = ['edges', 'states', 'payloads'];

export interface Coverage {
  states: number;
  statesCovered: number;
  transitions: number;
  transitionsCovered: number;
  /** Event payloads (entries of `model.events`) that label some transition, and how many the paths take. */
  payloads: number;
  payloadsCovered: number;
}

export interface PathSet {
  paths: EdgePath[];
  coverage: Coverage;
}

export interface CoverOptions {
  /** Only these edges (indices into the exploration's triples) may be taken. Default: all. */
  allowed?: (edge: number) => boolean;
  /** A path is cut at this many steps (the greedy extension stops). Default 64, as edgeCoverPaths. */
  maxLength?: number;
}

/** Paths meeting `cover` on the explored graph, with what they cover of the whole graph. */
export function coverPaths(x: Exploration, cover: Cover, options: CoverOptions = {}): PathSet {
  const maxLength = options.maxLength ?? 64;
  const nEdges = x.edges.length / 3;
  const from = (e: number) => x.edges[3 * e]!;
  const label = (e: number) => x.edges[3 * e + 1]!;
  const to = (e: number) => x.edges[3 * e + 2]!;
  const allowed = new Uint8Array(nEdges).fill(1);
  if (options.allowed) for (let e = 0; e < nEdges; e++) allowed[e] = options.allowed(e) ? 1 : 0;
  const out: number[][] = x.states.map(() => []);
  for (let e = 0; e < nEdges; e++) if (allowed[e]) out[from(e)]!.push(e);

  // breadth-first over the allowed edges in the explorer's order: without a filter this is the
  // explorer's own shortest-path tree, so the edge cover equals edgeCoverPaths
  const via = new Int32Array(x.states.length).fill(-1);
  const depth = new Int32Array(x.states.length).fill(-1);
  depth[0] = 0;
  for (let queue = [0], i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    for (const e of out[s]!) {
      if (depth[to(e)] !== -1) continue;
      depth[to(e)] = depth[s]! + 1;
      via[to(e)] = e;
      queue.push(to(e));
    }
  }
  const reachable = (s: number) => depth[s] !== -1;
  const prefix = (s: number): number[] => {
    const p: number[] = [];
    for (let t = s; via[t]! >= 0; t = from(via[t]!)) p.push(via[t]!);
    return p.reverse();
  };

  const edgeDone = new Uint8Array(nEdges);
  const stateDone = new Uint8Array(x.states.length);
  const payloadDone = new Uint8Array(labels(x).reduce((m, l) => Math.max(m, l + 1), 0));
  stateDone[0] = 1;
  const take = (e: number) => {
    edgeDone[e] = 1;
    stateDone[to(e)] = 1;
    payloadDone[label(e)] = 1;
  };
  /** Whether taking `e` now covers something the goal counts. */
  const fresh = (e: number): boolean =>
    cover === 'edges' ? !edgeDone[e] : cover === 'states' ? !stateDone[to(e)] : !payloadDone[label(e)];

  // the goals, shallowest first (stable in the explorer's edge order, as edgeCoverPaths sorts)
  const goalEdges = Array.from({ length: nEdges }, (_, e) => e).filter((e) => allowed[e] && reachable(from(e)));
  goalEdges.sort((a, b) => depth[from(a)]! - depth[from(b)]!);
  const paths: EdgePath[] = [];
  // what a path covers counts as soon as it is taken, so the extension looks for what is still new
  const extend = (edges: number[], here: number) => {
    for (const e of edges) take(e);
    while (edges.length < maxLength) {
      const next = out[here]!.find((e) => fresh(e) && !edges.includes(e));
      if (next === undefined) break;
      edges.push(next);
      take(next);
      here = to(next);
    }
    paths.push({ edges });
  };
  if (cover === 'states') {
    const goalStates = x.states.map((_, s) => s).filter((s) => s > 0 && reachable(s));
    goalStates.sort((a, b) => depth[a]! - depth[b]!);
    for (const s of goalStates) if (!stateDone[s]) extend(prefix(s), s);
  } else {
    for (const e of goalEdges) {
      if (cover === 'edges' ? edgeDone[e] : payloadDone[label(e)]) continue;
      extend([...prefix(from(e)), e], to(e));
    }
  }

  const count = (a: Uint8Array, keep: (i: number) => boolean) => a.reduce((n, v, i) => n + (v && keep(i) ? 1 : 0), 0);
  const labelled = new Set(goalEdges.map(label));
  return {
    paths,
    coverage: {
      states: x.states.length,
      statesCovered: count(stateDone, () => true),
      transitions: nEdges,
      transitionsCovered: count(edgeDone, () => true),
      payloads: new Set(labels(x)).size,
      payloadsCovered: count(payloadDone, (i) => labelled.has(i)),
    },
  };
}

function labels(x: Exploration): number[] {
  const out: number[] = [];
  for (let e = 1; e < x.edges.length; e += 3) out.push(x.edges[e]!);
  return out;
}

export interface PairCover {
  paths: EdgePath[];
  /** Pairs of consecutive transitions (into a state, then out of it) in the graph, and how many the paths take. */
  pairs: number;
  pairsCovered: number;
}

/**
 * Paths that take every pair of consecutive transitions (an edge into a state followed by an
 * edge out of it): a transcription whose state carries something the machine's does not (what
 * a teardown left behind, an order of earlier calls) shows it on the step after, which an edge
 * cover takes from one incoming edge only. Re-opening after a close, re-assigning after a
 * remove, re-probing after a release are such pairs wherever the graph has them. For the
 * shallowest pair not yet taken: the shortest path to its first edge's source (the explorer's
 * tree, as edgeCoverPaths), the pair, then onward along pairs not yet taken, up to maxLength.
 */
export function pairCoverPaths(x: Exploration, maxLength = 64): PairCover {
  const nEdges = x.edges.length / 3;
  const from = (e: number) => x.edges[3 * e]!;
  const to = (e: number) => x.edges[3 * e + 2]!;
  const out: number[][] = x.states.map(() => []);
  for (let e = 0; e < nEdges; e++) out[from(e)]!.push(e);
  const via = new Int32Array(x.states.length).fill(-1);
  for (let e = 0; e < nEdges; e++) {
    const t = to(e);
    if (via[t] === -1 && x.parent[t] === from(e) && x.parentEvent[t] === x.edges[3 * e + 1]) via[t] = e;
  }
  const prefix = (s: number): number[] => {
    const p: number[] = [];
    for (let t = s; x.parent[t]! >= 0; t = x.parent[t]!) p.push(via[t]!);
    return p.reverse();
  };
  const done = new Set<number>();
  const key = (a: number, b: number) => a * nEdges + b;
  let pairs = 0;
  for (let e = 0; e < nEdges; e++) pairs += out[to(e)]!.length;
  const order = Array.from({ length: nEdges }, (_, e) => e).sort((a, b) => x.depth[from(a)]! - x.depth[from(b)]!);
  const paths: EdgePath[] = [];
  for (const first of order) {
    for (const second of out[to(first)]!) {
      if (done.has(key(first, second))) continue;
      const edges = [...prefix(from(first)), first, second];
      for (let i = 1; i < edges.length; i++) done.add(key(edges[i - 1]!, edges[i]!));
      let last = second;
      while (edges.length < maxLength) {
        const next = out[to(last)]!.find((e) => !done.has(key(last, e)));
        if (next === undefined) break;
        done.add(key(last, next));
        edges.push(next);
        last = next;
      }
      paths.push({ edges });
    }
  }
  return { paths, pairs, pairsCovered: done.size };
}
