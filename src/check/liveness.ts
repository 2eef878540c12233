// Liveness on the explored graph. `leadsTo` (p ~> q) under weak fairness of the fair
// events: a violation is a reachable p-state from which the run can avoid q forever,
// either by stopping in a state where no fair event is enabled (as in TLA+, a run may
// stutter; only fair events must happen) or by looping in a cycle that treats every fair
// event fairly. `alwaysReachable`: from every reachable state some q-state stays reachable.
// Fairness is per event instance (type and payload, one entry of `model.events`), so
// "a runnable vcpu runs" is a separate obligation for each vcpu.
import type { Exploration } from './explore.ts';
import type { LivenessProperty, Model } from '../spec.ts';

/** A path in the explored graph: `states[k+1]` is reached from `states[k]` by `events[k]`. */
export interface GraphPath {
  states: number[];
  /** Indices into `model.events`. */
  events: number[];
}

export interface LivenessViolation {
  /** From the initial state to the cycle entry (or to the state where the run stops). */
  prefix: GraphPath;
  /** Index into `prefix.states` of the state where p held and q never holds afterwards. */
  trigger: number;
  /** The cycle that repeats forever, starting and ending at the last state of `prefix`; absent when the run stops there. */
  cycle?: GraphPath;
}

/** The explored graph in compressed-row form: out-edges of state s are `off[s]..off[s+1]`. */
export interface Graph {
  n: number;
  off: Int32Array;
  ev: Int32Array;
  to: Int32Array;
}

export function graphOf(x: Exploration): Graph {
  const n = x.states.length;
  const m = x.edges.length / 3;
  const off = new Int32Array(n + 1);
  for (let k = 0; k < m; k++) off[x.edges[3 * k]! + 1]!++;
  for (let s = 0; s < n; s++) off[s + 1]! += off[s]!;
  const fill = off.slice(0, n);
  const ev = new Int32Array(m);
  const to = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const at = fill[x.edges[3 * k]!]!++;
    ev[at] = x.edges[3 * k + 1]!;
    to[at] = x.edges[3 * k + 2]!;
  }
  return { n, off, ev, to };
}

/** Strongly connected components of the subgraph induced by `inside` (iterative Tarjan); -1 outside. */
export function sccs(g: Graph, inside: Uint8Array): { comp: Int32Array; count: number } {
  const comp = new Int32Array(g.n).fill(-1);
  const low = new Int32Array(g.n);
  const num = new Int32Array(g.n).fill(-1);
  const onStack = new Uint8Array(g.n);
  const stack: number[] = [];
  const callV: number[] = [];
  const callE: number[] = [];
  let counter = 0;
  let count = 0;
  for (let root = 0; root < g.n; root++) {
    if (!inside[root] || num[root] !== -1) continue;
    callV.push(root);
    callE.push(g.off[root]!);
    num[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callV.length) {
      const v = callV[callV.length - 1]!;
      const k = callE[callE.length - 1]!;
      if (k < g.off[v + 1]!) {
        callE[callE.length - 1] = k + 1;
        const w = g.to[k]!;
        if (!inside[w]) continue;
        if (num[w] === -1) {
          num[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callV.push(w);
          callE.push(g.off[w]!);
        } else if (onStack[w] && num[w]! < low[v]!) {
          low[v] = num[w]!;
        }
        continue;
      }
      callV.pop();
      callE.pop();
      if (callV.length) {
        const u = callV[callV.length - 1]!;
        if (low[v]! < low[u]!) low[u] = low[v]!;
      }
      if (low[v] === num[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = count;
        } while (w !== v);
        count++;
      }
    }
  }
  return { comp, count };
}

function fairEventIndices(model: Model): number[] {
  const out: number[] = [];
  model.events.forEach((e, i) => {
    if (model.eventInfo[e.type]?.fair) out.push(i);
  });
  return out;
}

/**
 * Shortest path of at least one step from `from` to a state satisfying `goal` (told the
 * event it is reached by), moving only through `allowed` states (BFS).
 */
function shortestPath(g: Graph, from: number, allowed: (s: number) => boolean, goal: (s: number, viaEv: number) => boolean): GraphPath | undefined {
  const prev = new Map<number, [number, number]>();
  const queue: number[] = [from];
  const seen = new Set<number>([from]);
  for (let h = 0; h < queue.length; h++) {
    const v = queue[h]!;
    for (let k = g.off[v]!; k < g.off[v + 1]!; k++) {
      const w = g.to[k]!;
      if (!allowed(w)) continue;
      if (goal(w, g.ev[k]!)) {
        const path: GraphPath = { states: [w], events: [g.ev[k]!] };
        for (let s = v; s !== from; ) {
          const [p, e] = prev.get(s)!;
          path.states.push(s);
          path.events.push(e);
          s = p;
        }
        path.states.push(from);
        path.states.reverse();
        path.events.reverse();
        return path;
      }
      if (seen.has(w)) continue;
      seen.add(w);
      prev.set(w, [v, g.ev[k]!]);
      queue.push(w);
    }
  }
  return undefined;
}

function concat(a: GraphPath, b: GraphPath): GraphPath {
  return { states: [...a.states, ...b.states.slice(1)], events: [...a.events, ...b.events] };
}

/**
 * Checks `p ~> q` under weak fairness. Returns undefined when it holds, else the lasso with
 * the shortest prefix to a bad cycle (or a state where the run may stop) that passes a p-state with q never after.
 */
export function checkLeadsTo(model: Model, x: Exploration, prop: LivenessProperty<any>, g = graphOf(x)): LivenessViolation | undefined {
  const n = g.n;
  const P = new Uint8Array(n);
  const notQ = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const st = x.states[s]!;
    notQ[s] = prop.q(st, {}) ? 0 : 1;
    P[s] = notQ[s] && (prop.p ? prop.p(st, {}) : true) ? 1 : 0;
  }
  // fair cycles: non-trivial SCCs outside q in which no fair event is enabled everywhere and never taken
  const { comp, count } = sccs(g, notQ);
  const size = new Int32Array(count);
  const nontrivial = new Uint8Array(count);
  for (let s = 0; s < n; s++) if (comp[s]! >= 0) size[comp[s]!]!++;
  for (let s = 0; s < n; s++) {
    if (comp[s]! < 0) continue;
    for (let k = g.off[s]!; k < g.off[s + 1]!; k++) if (comp[g.to[k]!] === comp[s]) nontrivial[comp[s]!] = 1;
  }
  const fair = fairEventIndices(model);
  const fairSlot = new Int32Array(model.events.length).fill(-1);
  fair.forEach((e, i) => (fairSlot[e] = i));
  // per component and fair event: in how many of its states it is enabled, and whether an inner edge takes it
  const enabledIn = new Int32Array(count * fair.length);
  const takenIn = new Uint8Array(count * fair.length);
  if (fair.length) {
    const mark = new Int32Array(fair.length).fill(-1);
    for (let s = 0; s < n; s++) {
      const c = comp[s]!;
      if (c < 0 || !nontrivial[c]) continue;
      for (let k = g.off[s]!; k < g.off[s + 1]!; k++) {
        const slot = fairSlot[g.ev[k]!]!;
        if (slot < 0) continue;
        if (mark[slot] !== s) {
          mark[slot] = s;
          enabledIn[c * fair.length + slot]!++;
        }
        if (comp[g.to[k]!] === c) takenIn[c * fair.length + slot] = 1;
      }
    }
  }
  const fairComp = new Uint8Array(count);
  for (let c = 0; c < count; c++) {
    if (!nontrivial[c]) continue;
    let ok = true;
    for (let i = 0; i < fair.length && ok; i++) {
      if (enabledIn[c * fair.length + i] === size[c] && !takenIn[c * fair.length + i]) ok = false;
    }
    fairComp[c] = ok ? 1 : 0;
  }
  // a run may stop (stutter forever) where no fair event is enabled: deadlocks, and states where only
  // events nobody guarantees (guest, userspace, hardware) are possible
  const fairEnabled = (s: number): boolean => {
    for (let k = g.off[s]!; k < g.off[s + 1]!; k++) if (fairSlot[g.ev[k]!]! >= 0) return true;
    return false;
  };
  const bad = (s: number): boolean => notQ[s] === 1 && (!fairEnabled(s) || fairComp[comp[s]!] === 1);

  // BFS over (state, phase): phase 0 before p, phase 1 after a p-state with q not yet seen.
  // Entering phase 1 costs no step, so the first bad phase-1 state found ends the shortest prefix.
  const seen = new Uint8Array(2 * n);
  const prevNode = new Int32Array(2 * n).fill(-1);
  const prevEv = new Int32Array(2 * n).fill(-1);
  const queue: number[] = [];
  let goal = -1;
  const visit = (node: number, from: number, e: number): boolean => {
    if (seen[node]) return false;
    seen[node] = 1;
    prevNode[node] = from;
    prevEv[node] = e;
    const s = node >> 1;
    if (node & 1) {
      if (bad(s)) {
        goal = node;
        return true;
      }
      queue.push(node);
      return false;
    }
    queue.push(node);
    return P[s] === 1 && visit(node | 1, node, -1);
  };
  if (n > 0 && !visit(0, -1, -1)) {
    for (let h = 0; h < queue.length && goal < 0; h++) {
      const node = queue[h]!;
      const v = node >> 1;
      const phase = node & 1;
      for (let k = g.off[v]!; k < g.off[v + 1]!; k++) {
        const w = g.to[k]!;
        if (phase && !notQ[w]) continue;
        if (visit((w << 1) | phase, node, g.ev[k]!)) break;
      }
    }
  }
  if (goal < 0) return undefined;

  const nodes: number[] = [];
  for (let node = goal; node >= 0; node = prevNode[node]!) nodes.push(node);
  nodes.reverse();
  const prefix: GraphPath = { states: [], events: [] };
  let triggerAt = 0;
  nodes.forEach((node, i) => {
    if (i > 0 && prevEv[node] === -1) {
      triggerAt = prefix.states.length - 1; // the switch to phase 1 stays in the same state
      return;
    }
    prefix.states.push(node >> 1);
    if (i > 0) prefix.events.push(prevEv[node]!);
  });
  const entry = goal >> 1;
  if (!fairEnabled(entry)) return { prefix, trigger: triggerAt };
  return { prefix, trigger: triggerAt, cycle: fairCycle(g, entry, comp, fair, fairSlot) };
}

/** A cycle through `entry` inside its component that takes or passes a disabling state of every fair event. */
function fairCycle(g: Graph, entry: number, comp: Int32Array, fair: number[], fairSlot: Int32Array): GraphPath {
  const c = comp[entry]!;
  const inC = (s: number): boolean => comp[s] === c;
  const enabledAt = (s: number, e: number): boolean => {
    for (let k = g.off[s]!; k < g.off[s + 1]!; k++) if (g.ev[k] === e) return true;
    return false;
  };
  let path: GraphPath = { states: [entry], events: [] };
  let here = entry;
  const done = new Uint8Array(fair.length);
  const settle = (s: number, viaEv: number): void => {
    for (let i = 0; i < fair.length; i++) if (!done[i] && !enabledAt(s, fair[i]!)) done[i] = 1;
    if (viaEv >= 0 && fairSlot[viaEv]! >= 0) done[fairSlot[viaEv]!] = 1;
  };
  settle(entry, -1);
  for (let i = 0; i < fair.length; i++) {
    if (done[i]) continue;
    const e = fair[i]!;
    // shortest way to take e inside the component, or to reach a state where e is disabled
    const leg = shortestPath(g, here, inC, (s, viaEv) => viaEv === e || !enabledAt(s, e));
    if (!leg) continue; // cannot happen in a fair component
    for (let k = 1; k < leg.states.length; k++) settle(leg.states[k]!, leg.events[k - 1]!);
    path = concat(path, leg);
    here = leg.states[leg.states.length - 1]!;
  }
  if (here !== entry || path.events.length === 0) {
    const back = shortestPath(g, here, inC, (s) => s === entry)!;
    path = concat(path, back);
  }
  return path;
}

/**
 * Checks that from every reachable state a q-state is reachable. Returns the shallowest
 * state from which none is (states are in BFS order, so the lowest index is the shallowest).
 */
export function checkAlwaysReachable(x: Exploration, prop: LivenessProperty<any>, g = graphOf(x)): number | undefined {
  const n = g.n;
  const roff = new Int32Array(n + 1);
  for (let k = 0; k < g.to.length; k++) roff[g.to[k]! + 1]!++;
  for (let s = 0; s < n; s++) roff[s + 1]! += roff[s]!;
  const fill = roff.slice(0, n);
  const rfrom = new Int32Array(g.to.length);
  for (let s = 0; s < n; s++) for (let k = g.off[s]!; k < g.off[s + 1]!; k++) rfrom[fill[g.to[k]!]!++] = s;
  const ok = new Uint8Array(n);
  const queue: number[] = [];
  for (let s = 0; s < n; s++) {
    if (prop.q(x.states[s]!, {})) {
      ok[s] = 1;
      queue.push(s);
    }
  }
  for (let h = 0; h < queue.length; h++) {
    const v = queue[h]!;
    for (let k = roff[v]!; k < roff[v + 1]!; k++) {
      const u = rfrom[k]!;
      if (!ok[u]) {
        ok[u] = 1;
        queue.push(u);
      }
    }
  }
  for (let s = 0; s < n; s++) if (!ok[s]) return s;
  return undefined;
}
