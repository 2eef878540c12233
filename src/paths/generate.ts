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
