// Partial-order reduction over state-dependent footprints (issue 19: the coarse composed guest,
// where every event is a whole kernel function and which VM a queue's step reaches is what
// `matrix_mdev->kvm` or `q->hwGisa` names now). The model declares, per event, modes (the state
// decides which one: `Model.stateFootprints.mode`) and per mode a footprint that holds in every
// state where the event is in that mode. For the stubborn-set theory an event in mode m is a
// transition of its own, `e@m`, whose guard is "e is enabled and in mode m"; its footprint is a
// static one, so the classic conditions apply unchanged (Valmari 1991, strong stubborn sets;
// the refinement of a transition by the value of what decides its footprint is Godefroid and
// Pirottin 1993, "Refining dependencies improves partial-order verification methods").
// The mode function reads only what the current mode's footprint reads (checked with the
// recording proxy: verifyStateFootprints), so only a step writing into those reads can change
// an event's mode: that is the necessary enabling set of a disabled `e@m` (whether e is in
// another mode, or in mode m with a false guard, whose reads are in the footprint too).
//
// Stubborn set T(s), closure from each enabled seed, the smallest kept:
//  - an enabled e@m in T: every e'@m' (any mode, enabled or not) dependent on it (one writes
//    what the other reads or writes), and, per non-stable invariant it is visible to (it writes
//    what the invariant reads), every transition visible to that invariant (Valmari's V per
//    invariant, as src/check/por.ts argues for invariants);
//  - a disabled e@m in T: every transition writing what e's current mode reads (D1 for
//    disabled transitions: none outside T can enable it); of a writer w whose mode only what
//    that set covers decides, only w in its current mode (the first write to the set comes
//    before any change of w's mode: FirstWriters).
// The explored set is the enabled events in T. Cycle proviso: not the breadth-first C3 of
// por.ts (an ample successor stored before: expand all), which on the coarse guest's cyclic
// objects (a vcpu's run loop, a queue's enable/disable) expands nearly every state, but
// Valmari's terminal-strong-component condition: after the breadth-first closure, in every
// terminal strongly connected component of the reduced graph that has no fully expanded state,
// one state is expanded fully, and the search goes on, until no such component is left. An
// event enabled in s and left out stays enabled along the reduced path (D1) until it is in some
// T; every path ends in a terminal component, where a fully expanded state takes it: no event is
// ignored forever (Valmari, "Stubborn set methods for process algebras", 1997; "The state
// explosion problem", 1998, sec. 7, condition S). With D0 (an enabled seed), D1, D2 (a
// dependent transition is in T), V and S, every reachable violation of an invariant is
// reachable in the reduced graph; stable invariants need no visible step (src/check/por.ts).
//
// Scope: invariants only. Liveness and alwaysReachable need every interleaving: `check`
// explores a model that has any in full (check.ts reductions). Symmetry: not combined.
import type { EventObject } from 'xstate';
import type { InvariantReads, Model, Path, StateFootprints } from '../spec.ts';
import type { Compiled } from './compile.ts';
import { changedPaths, covered, initialState, invariantReads, overlaps, Recorder } from './footprint.ts';
import { probe } from './probe.ts';

export interface ModalTables {
  fp: StateFootprints<unknown>;
  /** First transition index of each event's modes. */
  base: Int32Array;
  /** Modes per event. */
  count: Int32Array;
  /** Transitions (e@m) in all. */
  n: number;
  words: number;
  /** Per transition: the transitions dependent on it, with those visible to the same non-stable invariant. */
  depsV: Uint32Array[];
  /** Per transition: the transitions that can first write what its enabledness depends on (its necessary enabling set when disabled). */
  writersOfReads: FirstWriters[];
  /** Event index of each transition. */
  eventOf: Int32Array;
  /** Per event: the source chains (slot, child pairs) of the machine transitions it may take. */
  chains: number[][][];
  /** Per encoding slot: the transitions (e@m) writing its region. */
  regionWriters: Uint32Array[];
  /** Per event: the transitions that can first write what decides its mode. */
  modeWriters: FirstWriters[];
}

/**
 * The transitions that can be the first on a path to write a set X of paths: every w@m writing
 * X, except that where what decides w's mode lies inside X (X covers every path of
 * `decides(w)`), w keeps its current mode until that first write, so only w in its current
 * mode can be it (`dynamic`: such events w, with the mask of their modes that write X).
 */
export interface FirstWriters {
  fixed: Uint32Array;
  dynamic: Int32Array;
  masks: Int32Array;
}

/** The transitions of the reduction (an event in each of its modes), their dependence and visibility. */
export function modalTables(model: Model, fp: StateFootprints<unknown>, compiled: Compiled): ModalTables {
  const events = model.events;
  const base = new Int32Array(events.length);
  const count = new Int32Array(events.length);
  let n = 0;
  events.forEach((e, i) => {
    base[i] = n;
    count[i] = fp.modes(e);
    n += count[i]!;
  });
  const eventOf = new Int32Array(n);
  const reads: (readonly Path[])[] = [];
  const writes: (readonly Path[])[] = [];
  events.forEach((e, i) => {
    for (let m = 0; m < count[i]!; m++) {
      const f = fp.footprint(e, m);
      eventOf[base[i]! + m] = i;
      reads.push([...f.reads, ...f.writes]);
      writes.push(f.writes);
    }
  });
  // atoms: every distinct path; a footprint is a bitset of atoms, and two overlap when an atom of
  // one overlaps an atom of the other (a prefix, '*' matching any key)
  const initial = initialState(compiledLike(model));
  const invReads = model.invariants.map((inv) => (inv.stable ? undefined : regionPaths(invariantReads(inv, initial as never))));
  const atomIx = new Map<string, number>();
  const atoms: Path[] = [];
  const atom = (p: Path): number => {
    const k = JSON.stringify(p);
    let i = atomIx.get(k);
    if (i === undefined) atomIx.set(k, (i = atoms.length)), atoms.push(p);
    return i;
  };
  const rIx = reads.map((ps) => ps.map(atom));
  const wIx = writes.map((ps) => ps.map(atom));
  const iIx = invReads.map((ps) => ps?.map(atom));
  const eIx: number[][] = [];
  events.forEach((e, i) => {
    for (let m = 0; m < count[i]!; m++) eIx.push((fp.footprint(e, m).enables ?? reads[base[i]! + m]!).map(atom));
  });
  const aw = Math.max(1, Math.ceil(atoms.length / 32));
  const set = (b: Uint32Array, i: number) => (b[i >>> 5]! |= 1 << (i & 31));
  const meets = (a: Uint32Array, b: Uint32Array) => {
    for (let w = 0; w < a.length; w++) if (a[w]! & b[w]!) return true;
    return false;
  };
  // per atom: the atoms it overlaps
  const near = atoms.map((p) => {
    const b = new Uint32Array(aw);
    atoms.forEach((q, j) => overlaps(p, q) && set(b, j));
    return b;
  });
  const bits = (ix: number[]) => {
    const b = new Uint32Array(aw);
    for (const i of ix) set(b, i);
    return b;
  };
  const wide = (ix: number[]) => {
    const b = new Uint32Array(aw);
    for (const i of ix) for (let w = 0; w < aw; w++) b[w]! |= near[i]![w]!;
    return b;
  };
  const R = rIx.map(bits);
  const Wwide = wIx.map(wide);
  const words = Math.max(1, Math.ceil(n / 32));
  const deps = Array.from({ length: n }, () => new Uint32Array(words));
  const E = eIx.map(bits);
  const enablesPaths = eIx.map((ix) => ix.map((i) => atoms[i]!));
  const decidesOf = events.map((e) => fp.decides(e));
  // what some transition writes (what none writes never changes: X need not cover it)
  const written = (p: Path) => writes.some((ws) => ws.some((w) => overlaps(w, p)));
  // the first writers of X: each w@m writing X (`writesX`), w in its current mode only where X covers decides(w)
  const firstWriters = (X: readonly Path[], writesX: (t: number) => boolean): FirstWriters => {
    const fixed = new Uint32Array(words);
    const dyn: number[] = [], masks: number[] = [];
    events.forEach((_, w) => {
      const inside = count[w]! > 1 && count[w]! <= 31 && decidesOf[w]!.every((p) => covered(p, X) || !written(p));
      let mask = 0;
      for (let m = 0; m < count[w]!; m++) if (writesX(base[w]! + m)) (inside ? (mask |= 1 << m) : set(fixed, base[w]! + m));
      if (mask) dyn.push(w), masks.push(mask);
    });
    return { fixed, dynamic: Int32Array.from(dyn), masks: Int32Array.from(masks) };
  };
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      // b writes what a reads or writes (reads include the writes)
      if (meets(Wwide[b]!, R[a]!)) {
        set(deps[a]!, b);
        set(deps[b]!, a);
      }
    }
  }
  const writersOfReads = E.map((ea, a) => firstWriters(enablesPaths[a]!, (b) => meets(Wwide[b]!, ea)));
  const finish = (): ModalTables => {
    const regions = slotRegions(compiled);
    const byType = new Map<string, number[]>();
    for (const t of compiled.transitions) byType.set(t.event, [...(byType.get(t.event) ?? []), t.id]);
    const chains = events.map((e) => (byType.get(e.type) ?? []).filter((id) => !compiled.rejects(id, e)).map((id) => compiled.transitions[id]!.chain));
    const regionWriters = regions.map((r) => {
      const b = new Uint32Array(words);
      for (let t = 0; t < n; t++) if (writes[t]!.some((w) => overlaps(w, r))) set(b, t);
      return b;
    });
    const modeWriters = events.map((_, e) => {
      const d = decidesOf[e]!;
      return firstWriters(d, (t) => writes[t]!.some((w) => d.some((q) => overlaps(w, q))));
    });
    return { fp, base, count, n, words, depsV, writersOfReads, eventOf, chains, regionWriters, modeWriters };
  };
  const depsV = deps.map((d) => d.slice());
  invReads.forEach((_, k) => {
    const ix = iIx[k];
    if (!ix) return;
    const r = bits(ix);
    const vis = new Uint32Array(words);
    for (let t = 0; t < n; t++) if (meets(Wwide[t]!, r)) set(vis, t);
    for (let t = 0; t < n; t++) if (vis[t >>> 5]! & (1 << (t & 31))) for (let w = 0; w < words; w++) depsV[t]![w]! |= vis[w]!;
  });
  return finish();
}

/** An invariant's reads as footprint paths: context paths as they are, state-value paths under '@'. */
function regionPaths(r: InvariantReads | undefined): Path[] | undefined {
  if (!r) return [[]]; // reads everything
  return [...(r.context ?? []), ...(r.value ?? []).map((p) => ['@', ...p])];
}

/** Just enough of a compiled machine for initialState: the model's own initial snapshot. */
function compiledLike(model: Model): Compiled {
  const snap = model.machine.getInitialSnapshot({} as never) as unknown as { value: unknown; context: unknown };
  return { value: () => snap.value, initial: { cfg: new Uint8Array(0), context: snap.context } } as unknown as Compiled;
}

export interface ModalScratch {
  s: Uint32Array;
  best: Uint32Array;
  work: Int32Array;
  added: Uint8Array;
  nes: Uint32Array;
  /** The first writers of the necessary enabling sets considered, in the current modes. */
  nesA: Uint32Array;
  nesB: Uint32Array;
  /** The enabled transitions of the state (each enabled event in its current mode). */
  en: Uint32Array;
}

export function modalScratch(t: ModalTables): ModalScratch {
  return { s: new Uint32Array(t.words), best: new Uint32Array(t.words), work: new Int32Array(t.n + 1), added: new Uint8Array(t.eventOf.length), nes: new Uint32Array(t.words), nesA: new Uint32Array(t.words), nesB: new Uint32Array(t.words), en: new Uint32Array(t.words) };
}

/**
 * The events to explore in a state: `enabled[e]`, `mode[e]` per event; writes the chosen
 * enabled events to `out` and returns how many (nEnabled when nothing can be left out).
 */
export function modalAmple(t: ModalTables, cfg: Uint8Array, enabled: Uint8Array, mode: Int32Array, nEnabled: number, out: Int32Array, sc: ModalScratch): number {
  const nEv = enabled.length;
  if (nEnabled <= 1) return fill(enabled, out);
  let bestCount = nEnabled;
  let haveBest = false;
  const { s, best, work, en } = sc;
  en.fill(0);
  for (let e = 0; e < nEv; e++) {
    if (!enabled[e]) continue;
    const x = t.base[e]! + mode[e]!;
    en[x >>> 5]! |= 1 << (x & 31);
  }
  for (let seed = 0; seed < nEv && bestCount > 1; seed++) {
    if (!enabled[seed]) continue;
    s.fill(0);
    const first = t.base[seed]! + mode[seed]!;
    s[first >>> 5]! |= 1 << (first & 31);
    let top = 0;
    work[top++] = first;
    let count = 1;
    while (top > 0 && count < bestCount) {
      const x = work[--top]!;
      const e = t.eventOf[x]!;
      const cur = t.base[e]! + mode[e]!;
      const add = enabled[e] && x === cur ? t.depsV[x]! : necessary(t, cfg, mode, e, x, cur, !!enabled[e], sc);
      for (let w = 0; w < t.words; w++) {
        let fresh = add[w]! & ~s[w]!;
        if (!fresh) continue;
        s[w]! |= fresh;
        while (fresh) {
          const bit = fresh & -fresh;
          const y = (w << 5) + (31 - Math.clz32(bit));
          fresh ^= bit;
          work[top++] = y;
          const f = t.eventOf[y]!;
          if (enabled[f] && y === t.base[f]! + mode[f]!) count++;
        }
      }
    }
    if (count < bestCount) {
      bestCount = count;
      best.set(s);
      haveBest = true;
    }
  }
  if (!haveBest) return fill(enabled, out);
  let k = 0;
  for (let e = 0; e < nEv; e++) {
    if (!enabled[e]) continue;
    const x = t.base[e]! + mode[e]!;
    if (best[x >>> 5]! & (1 << (x & 31))) out[k++] = e;
  }
  return k;
}

/**
 * A necessary enabling set of the disabled transition `x` (event `e`, whose current mode is
 * `cur`) in the state with encoding `cfg`: one of those that are valid, the one adding the fewest
 * enabled transitions to the closure `s` (every enabled one it adds is explored):
 *  - every machine transition e may take has an inactive source: the transitions writing the
 *    region of the first inactive slot on each one's chain (one of them must move it first);
 *  - x is e in another mode than `cur`: the transitions writing what decides e's mode (the only
 *    choice when e itself is enabled);
 *  - e is disabled: the transitions writing what e's enabledness depends on in mode `cur`.
 */
export function necessary(t: ModalTables, cfg: Uint8Array, mode: Int32Array, e: number, x: number, cur: number, eEnabled: boolean, sc: ModalScratch): Uint32Array {
  const { nes: out, s, en } = sc;
  const cost = (b: Uint32Array) => {
    let c = 0;
    for (let w = 0; w < t.words; w++) c += popcount(b[w]! & en[w]! & ~s[w]!);
    return c;
  };
  if (eEnabled) return current(t, t.modeWriters[e]!, mode, sc.nesA); // x !== cur: only a change of mode enables it
  let best = current(t, t.writersOfReads[cur]!, mode, sc.nesA);
  let bestCost = cost(best);
  if (bestCost && x !== cur) {
    const m = current(t, t.modeWriters[e]!, mode, sc.nesB);
    const c = cost(m);
    if (c < bestCost) (best = m), (bestCost = c);
  }
  const chains = t.chains[e]!;
  if (bestCost && chains.length) {
    out.fill(0);
    let valid = true;
    for (const chain of chains) {
      let inactive = -1;
      for (let k = 0; k < chain.length; k += 2) if (cfg[chain[k]!] !== chain[k + 1]) { inactive = chain[k]!; break; }
      if (inactive < 0) { valid = false; break; }
      const w = t.regionWriters[inactive]!;
      for (let i = 0; i < t.words; i++) out[i]! |= w[i]!;
    }
    if (valid && cost(out) < bestCost) best = out;
  }
  return best;
}

/** The first writers `f` in the state whose events are in modes `mode`, written to `out`. */
function current(t: ModalTables, f: FirstWriters, mode: Int32Array, out: Uint32Array): Uint32Array {
  out.set(f.fixed);
  for (let k = 0; k < f.dynamic.length; k++) {
    const w = f.dynamic[k]!;
    const m = mode[w]!;
    if (f.masks[k]! & (1 << m)) {
      const y = t.base[w]! + m;
      out[y >>> 5]! |= 1 << (y & 31);
    }
  }
  return out;
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function fill(enabled: Uint8Array, out: Int32Array): number {
  let k = 0;
  for (let e = 0; e < enabled.length; e++) if (enabled[e]) out[k++] = e;
  return k;
}

/**
 * Terminal strongly connected components of a graph (nodes 0..n-1, `adj` in CSR form: the
 * successors of v are `to[start[v]..start[v+1])`): for each, its members (Tarjan, iterative).
 */
export function terminalComponents(n: number, start: Int32Array, to: Int32Array): number[][] {
  const index = new Int32Array(n).fill(-1), low = new Int32Array(n), comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const callV: number[] = [], callK: number[] = [];
  let counter = 0, comps = 0;
  const members: number[][] = [];
  for (let r = 0; r < n; r++) {
    if (index[r] !== -1) continue;
    index[r] = low[r] = counter++, stack.push(r), (onStack[r] = 1);
    callV.push(r), callK.push(start[r]!);
    while (callV.length) {
      const top = callV.length - 1;
      const v = callV[top]!;
      const k = callK[top]!;
      if (k < start[v + 1]!) {
        callK[top] = k + 1;
        const w = to[k]!;
        if (index[w] === -1) index[w] = low[w] = counter++, stack.push(w), (onStack[w] = 1), callV.push(w), callK.push(start[w]!);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
      } else {
        callV.pop(), callK.pop();
        if (callV.length) {
          const u = callV[callV.length - 1]!;
          low[u] = Math.min(low[u]!, low[v]!);
        }
        if (low[v] === index[v]) {
          const m: number[] = [];
          let w: number;
          do (w = stack.pop()!), (onStack[w] = 0), (comp[w] = comps), m.push(w);
          while (w !== v);
          members.push(m);
          comps++;
        }
      }
    }
  }
  return members.filter((m) => {
    const c = comp[m[0]!]!;
    for (const v of m) for (let k = start[v]!; k < start[v + 1]!; k++) if (comp[to[k]!] !== c) return false;
    return true;
  });
}

/** A state-dependent footprint found to be wrong. */
export class StateFootprintError extends Error {
  override name = 'StateFootprintError';
}

const show = (p: Path) => (p.length ? p.map(String).join('.') : '(the whole context)');

/**
 * The region path (['@', top] or ['@', top, child] under a parallel top region) of each encoding
 * slot of the compiled machine.
 */
function slotRegions(compiled: Compiled): Path[] {
  const out: Path[] = Array.from({ length: compiled.slots }, () => ['@']);
  const root = compiled.machine.root as unknown as { states?: Record<string, { id: string; type: string; states?: Record<string, { id: string }> }> };
  for (const [top, sn] of Object.entries(root.states ?? {})) {
    const mark = (id: string, p: Path) => {
      const sub = compiled.subtree(id);
      if (sub) for (let s = sub.start; s < sub.end; s++) out[s] = p;
    };
    mark(sn.id, ['@', top]);
    if (sn.type === 'parallel') for (const [child, c] of Object.entries(sn.states ?? {})) mark(c.id, ['@', top, child]);
  }
  return out;
}

/**
 * Checks the state-dependent footprints on states `states` (every state of a full exploration):
 * for every event, in every state, with the recording proxy of footprint.ts, that the mode
 * function reads only what that mode's footprint reads; that the guards evaluated (enabled or
 * not) and the kernel functions run read only that; that the step changes only context and
 * regions the footprint writes; and that the regions whose activity decides the step (the
 * sources and stateIn targets of the transitions it may take) are among the reads. Throws
 * StateFootprintError naming the event, the mode and the path; returns the number of steps checked.
 */
export function verifyStateFootprints(model: Model, compiled: Compiled, states: readonly { cfg: Uint8Array; context: unknown }[], collect?: Set<string>): number {
  const fp = model.stateFootprints;
  if (!fp) throw new StateFootprintError(`${model.machineId}/${model.configurationId} declares no state-dependent footprints`);
  const regions = slotRegions(compiled);
  const rec = new Recorder();
  const events = model.events;
  const ids = events.map((e) => compiled.eventId(e.type));
  const byType = new Map<string, number[]>();
  for (const t of compiled.transitions) byType.set(t.event, [...(byType.get(t.event) ?? []), t.id]);
  let checked = 0;
  // `collect`: every distinct failure (event type and what), instead of the first one thrown
  const fail = (e: EventObject, m: number, what: string) => {
    if (collect) return void collect.add(`${e.type} mode ${m}: ${what.replace(/, outside.*/, '')}`);
    throw new StateFootprintError(`event ${JSON.stringify(e)} in mode ${m}: ${what}`);
  };
  try {
    for (const st of states) {
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        rec.clear();
        const m = fp.mode(rec.wrap(st.context, 'mode'), e);
        if (!(m >= 0 && m < fp.modes(e))) fail(e, m, `mode out of range 0..${fp.modes(e) - 1}`);
        const f = fp.footprint(e, m);
        const rw = [...f.reads, ...f.writes];
        const decides = fp.decides(e);
        for (const p of rec.reads.get('mode') ?? []) if (!covered(p, rw) || !covered(p, decides)) fail(e, m, `the mode function reads ${show(p)}, outside the mode's reads [${rw.map(show).join(', ')}] or its declared decides [${decides.map(show).join(', ')}]`);
        // what decides enabledness: the guards' reads while compiled.enabled evaluates them, the regions of the transitions' sources and stateIn targets
        const en = f.enables ?? rw;
        rec.clear();
        compiled.hooks = { guardContext: (c) => rec.wrap(c, 'enables'), actions() {}, raised() {} };
        compiled.enabled(st.cfg, st.context, e, ids[i]);
        compiled.hooks = undefined;
        for (const p of rec.reads.get('enables') ?? []) if (!covered(p, en)) fail(e, m, `its guards read ${show(p)}, outside what the mode declares its enabledness depends on [${en.map(show).join(', ')}]`);
        for (const id of (byType.get(e.type) ?? []).filter((id) => !compiled.rejects(id, e))) {
          const t = compiled.transitions[id]!;
          for (const sl of [...t.guardSlots, ...t.chain.filter((_, k) => k % 2 === 0)]) if (!covered(regions[sl]!, en)) fail(e, m, `its enabledness depends on region ${show(regions[sl]!)} (transition from ${t.source}), outside what the mode declares`);
        }
        rec.clear();
        compiled.hooks = { guardContext: (c) => rec.wrap(c, 'step'), actions() {}, raised() {} };
        probe.wrap = (c) => rec.wrap(c, 'step');
        probe.unwrap = (c) => rec.unwrap(c);
        const before = st.context;
        const next = compiled.step(st.cfg, st.context, e, ids[i]);
        const after = next ? rec.deepUnwrap(compiled.context) : before; // no step: compiled.context is the last step's
        compiled.hooks = undefined;
        probe.wrap = undefined;
        probe.unwrap = (c) => c;
        checked++;
        for (const p of rec.reads.get('step') ?? []) if (!covered(p, rw)) fail(e, m, `its step reads ${show(p)}, outside the mode's reads [${rw.map(show).join(', ')}]`);
        for (const p of rec.writes.get('step') ?? []) if (!covered(p, f.writes)) fail(e, m, `its step writes ${show(p)}, outside the mode's writes [${f.writes.map(show).join(', ')}]`);
        for (const p of changedPaths(before, after)) if (!covered(p, f.writes)) fail(e, m, `its step changed ${show(p)}, outside the mode's writes [${f.writes.map(show).join(', ')}]`);
        if (next) for (let s = 0; s < compiled.slots; s++) if (next[s] !== st.cfg[s] && !covered(regions[s]!, f.writes)) fail(e, m, `its step changed region ${show(regions[s]!)}, outside the mode's writes`);
        // the regions read: the source chains and stateIn slots of the transitions the event may take (its payload
        // not rejecting them), and of every transition the step ran (raised events')
        const taken = (byType.get(e.type) ?? []).filter((id) => !compiled.rejects(id, e));
        const ran = Array.from(compiled.fired.subarray(0, compiled.nFired));
        for (const id of [...taken, ...ran]) {
          const t = compiled.transitions[id]!;
          const slots = [...t.guardSlots, ...t.chain.filter((_, k) => k % 2 === 0)];
          for (const s of slots) if (!covered(regions[s]!, rw)) fail(e, m, `it reads region ${show(regions[s]!)} (transition from ${t.source}), outside the mode's reads`);
        }
      }
    }
  } finally {
    compiled.hooks = undefined;
    probe.wrap = undefined;
    probe.unwrap = (c) => c;
  }
  return checked;
}
