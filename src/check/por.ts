// Partial-order reduction for the compiled explorer: strong stubborn sets (Valmari) over the
// model's events, with the visibility condition and a cycle proviso, so that
// steps of different threads that touch disjoint context are not explored in every order.
//
// Dependence comes from declared footprints (`meta.footprint` of each transition, checked by
// footprint.ts): an event's transitions, with those of the internal events they raise, read
// and write context paths and encoding slots (the source's regions, the regions of stateIn
// guards; a targeted transition writes its domain's regions). Two events are dependent when
// one writes what the other reads or writes; an event with a transition that declares no
// footprint (or a guard the analysis cannot see through) is dependent on everything.
//
// In a state s, from each enabled seed event: add, for an enabled event, every event
// dependent on it; for a disabled one, a necessary enabling set (one of its events must happen
// before it can become enabled): per transition of it whose source is inactive, the events that
// move the first inactive region on the source's chain from its active child to a child from
// which the needed one can be reached, over the region's own transition graph (each
// transition's source child and the child it enters, compile.ts `enters`; a mover that leads
// elsewhere is not the first step of any path that enables it, and a needed child that cannot be
// reached at all, a statement a once-thread has passed, needs nothing); per transition whose
// source is active, the events that write what its guard reads. The enabled events of the smallest closure are
// explored (the ample set); all enabled events are explored instead when
//   - C2 (visibility): a transition the ample set fires writes something an invariant reads,
//   - C0: the ample events changed nothing (no successor).
// and the cycle proviso (explore.ts), Valmari's terminal-component condition S: after the
// breadth-first closure, one state of each terminal strongly connected component of the reduced
// graph with no fully expanded state is expanded fully, and the search goes on, until every
// terminal component has one (so from every state the reduced graph reaches a state where every
// enabled event is explored). `porProvisos.cycle: 'stored'` is the former breadth-first form
// (C3: expand every event where an ample successor was stored before s was expanded, so every
// cycle has a fully expanded state), stronger than needed and kept for the bench: where threads
// loop (a vcpu's KVM_RUN loop) nearly every ample successor was stored before.
// With C0..C2 and S, an invariant is violated in a reachable state of the full graph iff it is
// in the reduced one (Valmari 1991, 1993; Clarke, Grumberg, Peled, Model Checking, ch. 10, with
// C3 for stutter equivalence).
//
// Two weakenings of C2, both for invariants (safety) only. The argument: let a path w of the
// full graph lead from an expanded state s to a state violating invariant I. If w contains an
// event of the stubborn set T(s), its first one commutes to the front (D1) and the rest of w
// is shorter. Otherwise every enabled t of T(s) commutes with all of w (D1, D2): s -t w-> s''
// and s -w t-> s''; the reduced graph follows t, w is as long as before. By S the reduced
// graph leads from s through such steps to a fully expanded state, where w's first event (still
// enabled: nothing dependent on it fired) is explored, so this happens finitely often before w
// gets shorter (with the BFS form, each such successor is new, stored after s). C2 is only needed so that
// s'' still violates I, i.e. that t cannot repair the violation w reached:
//  - stable invariants (`Invariant.stable`: once violated, violated for good, a fault or finding
//    bit set and never cleared; the footprint verification checks it on every edge) cannot be
//    repaired by any step, so no step is visible to them. This is the reason deadlock
//    preservation needs no visibility condition (Valmari 1988/1991; Godefroid 1996, ch. 6:
//    a deadlock is a stable property), applied to every stable violation.
//  - Valmari's condition V per invariant (Valmari 1993, "On-the-fly verification with stubborn
//    sets"; Valmari, "The state explosion problem", 1998, sec. 7): if T(s) contains an enabled
//    event visible to I, it contains every event visible to I (`depsV`). Then in the second case
//    with t visible to I, w contains no event visible to I, so nothing I reads changed along w
//    and s itself violates I (found when s was stored); with t invisible to I, s'' violates I.
//    Where the plain ample set fires a visible transition, the V set is tried before expanding
//    every enabled event. Per invariant: an event visible to one invariant brings in only the
//    events visible to that one.
//  - an invariant given as a conjunction (`Invariant.conjuncts`: one part per VM) is, for C2 and V,
//    one invariant per conjunct: s violates I iff it violates some conjunct, and the argument
//    above holds for each conjunct on its own reads, so a conjunct violated in the full graph is
//    violated in the reduced one. A step of one VM is then invisible to the other VMs' parts. The
//    footprint verification checks each conjunct's reads and, in every state, that `holds` is the
//    conjunction.
// Events a configuration declares never enabled (`Model.por.neverEnabled`: with no GISA ever
// listed, a destroy's walk of the alert list) are left out: no reachable state enables one and no
// path leads to one, so it fires nothing, is dependent on nothing that fires, and the empty set is
// its necessary enabling set. The footprint verification checks the fact on the full exploration;
// the reduced exploration fails on a state that enables one; `check --set` and a variant file's
// design or kernel drop the declaration (machines/system/spec.ts).
// SPIN does the corresponding thing for assertions: an assert is a statement of its process,
// and only statements that touch no global (or only exclusive channels) are "safe" in an ample
// set (Holzmann and Peled 1994); global-reading invariants are never-claims and need C2 (Peled
// 1993/1996, ample sets). Counterexamples under the reduction are paths of the machine, not
// necessarily shortest; check.ts re-searches every interleaving up to their depth for shortest ones.
//
// Invariant reads are per configuration: `Invariant.reads` may be a function of the
// configuration's initial state, and a state-value path naming a region the configuration does
// not have reads nothing there.
// Liveness under weak fairness and alwaysReachable (a branching-time property) are not
// preserved by these provisos: `check` explores those models in full (check.ts).
import type { InvariantReads, Model, Path } from '../spec.ts';
import type { Compiled } from './compile.ts';
import { declared, initialState, invariantReads, overlaps } from './footprint.ts';

/** Why a model is explored in full although reduction was asked for. */
export class PorRefused {
  constructor(readonly reason: string) {}
}

export interface PorTables {
  /** Per event (index into model.events): events dependent on it, as a bitset of `words` words. */
  deps: Uint32Array[];
  /**
   * Per event: `deps`, and for each invariant the event is visible to (one of its transitions
   * writes what the invariant reads), every event visible to that invariant (Valmari's
   * condition V, applied per invariant: see the comment at the top of the file).
   */
  depsV: Uint32Array[];
  /** Per invariant, or per conjunct of one given as a conjunction (Invariant.conjuncts), in model.invariants order: the events visible to it, as a bitset. */
  visibleTo: Uint32Array[];
  /** The names of `visibleTo`'s entries (an invariant's, or `name (conjunct c)`). */
  visibleNames: string[];
  /** Per event: the ids of the transitions that can take it (not those of the events they raise). */
  cands: number[][];
  /** Per transition id: its source's activity chain (slot, child index pairs). */
  chain: number[][];
  /** Per transition id: events that can make its guard true while its source is active (its enables, its stateIn regions). */
  guardEnablers: Uint32Array[];
  /**
   * Per slot: the events that can change it, by the active child their transition's source lies under (-1: outside the
   * slot's subtree, always included), then by the child they leave in it.
   */
  slotMovers: Map<number, Map<number, Uint32Array>>[];
  /** Per slot: the children each child can lead to through the slot's transitions (itself included), the key -1 what any child can. */
  slotReach: Map<number, Set<number>>[];
  /** necessary(): per (slot, active child, needed child), the movers that lead towards it (null: it cannot be reached). */
  towards: Map<number, Uint32Array | null>;
  /** Per transition id: it writes something an invariant reads (or declares no footprint). */
  visible: Uint8Array;
  words: number;
  /** Events whose transitions all declare footprints (the rest are dependent on everything). */
  declaredEvents: number;
  /** Per event: 1 where Model.por.neverEnabled names its type. */
  never: Uint8Array;
}

interface Fp {
  global: boolean;
  reads: Path[];
  writes: Path[];
  /** what the event's enabledness depends on */
  enables: Path[];
  readSlots: Set<number>;
  writeSlots: Set<number>;
  enableSlots: Set<number>;
}

/** The dependence tables of a model, or the reason it cannot be reduced. */
export function porTables(model: Model, compiled: Compiled, options: { stable?: boolean; conjuncts?: boolean } = {}): PorTables | PorRefused {
  const infos = compiled.transitions;
  if (!infos.some((t) => declared(t))) return new PorRefused('no transition declares a footprint (machines/kthread.ts): nothing to reduce');
  const initial = initialState(compiled);
  const invReads = model.invariants.map((i) => invariantReads(i, initial as never));
  const undeclaredInv = model.invariants.filter((_, k) => !invReads[k]).map((i) => i.name);
  if (undeclaredInv.length) return new PorRefused(`invariant ${undeclaredInv.join(', ')} declares no reads, so every step is visible: declare Invariant.reads`);
  const reads = invReads as InvariantReads[];

  const byType = new Map<string, number[]>();
  for (const t of infos) {
    const list = byType.get(t.event) ?? [];
    list.push(t.id);
    byType.set(t.event, list);
  }
  // an event's transitions (those whose guard does not reject it on its payload alone), with those
  // of the internal events they raise (transitively: their payload is not known, so all of them)
  const direct = (e: { type: string }): number[] => (byType.get(e.type) ?? []).filter((id) => !compiled.rejects(id, e));
  const closure = (e: { type: string }): number[] => {
    const out = new Set<number>(direct(e));
    const types: string[] = [];
    const seenTypes = new Set<string>([e.type]);
    const more = (id: number) => {
      for (const r of declared(infos[id]!)?.raises ?? []) if (!seenTypes.has(r)) seenTypes.add(r), types.push(r);
    };
    for (const id of out) more(id);
    for (let i = 0; i < types.length; i++) {
      for (const id of byType.get(types[i]!) ?? []) {
        out.add(id);
        more(id);
      }
    }
    return [...out];
  };
  const fpOf = (ids: number[]): Fp => {
    const fp: Fp = { global: false, reads: [], writes: [], enables: [], readSlots: new Set(), writeSlots: new Set(), enableSlots: new Set() };
    for (const id of ids) {
      const t = infos[id]!;
      const d = declared(t);
      if (!d || t.opaque) fp.global = true;
      else {
        // what decides enabledness is read too (a step that changes it enables or disables the event)
        fp.reads.push(...d.reads, ...d.writes, ...d.enables);
        fp.writes.push(...d.writes);
        fp.enables.push(...d.enables);
      }
      for (const s of t.readSlots) fp.readSlots.add(s), fp.enableSlots.add(s);
      for (const s of t.writeSlots) fp.readSlots.add(s), fp.writeSlots.add(s);
    }
    return fp;
  };
  const n = model.events.length;
  // an event no reachable state enables (Model.por.neverEnabled, verified on the full exploration) fires nothing: no footprint, no enabling set
  const never = new Set(model.por?.neverEnabled ?? []);
  const dead = (e: { type: string }) => never.has(e.type);
  const fps = model.events.map((e) => fpOf(dead(e) ? [] : closure(e)));
  const writesInto = (w: Fp, r: Fp): boolean => {
    for (const s of w.writeSlots) if (r.readSlots.has(s)) return true;
    for (const p of w.writes) for (const q of r.reads) if (overlaps(p, q)) return true;
    return false;
  };
  // only the events of the same raise closure's transitions: whether `w` can change whether `r` is enabled
  const enablesInto = (w: Fp, r: Fp): boolean => {
    for (const s of w.writeSlots) if (r.enableSlots.has(s)) return true;
    for (const p of w.writes) for (const q of r.enables) if (overlaps(p, q)) return true;
    return false;
  };
  const words = Math.max(1, Math.ceil(n / 32));
  const deps = Array.from({ length: n }, () => new Uint32Array(words));
  const set = (b: Uint32Array, i: number) => (b[i >>> 5]! |= 1 << (i & 31));
  for (let e = 0; e < n; e++) {
    for (let f = 0; f < n; f++) {
      const a = fps[e]!, b = fps[f]!;
      if (a.global || b.global || writesInto(a, b) || writesInto(b, a)) set(deps[e]!, f);
    }
  }
  // disabled events: what can enable one of their transitions. A transition whose source is
  // inactive needs the first inactive region on its chain to change: the events that can change
  // that region from where it is (their source under its active child, or outside it). One
  // whose source is active needs its guard to change: the events writing its enables or stateIn regions.
  const cands = model.events.map((e) => (dead(e) ? [] : direct(e)));
  const all = new Uint32Array(words).fill(0xffffffff);
  const guardEnablers = infos.map((t) => {
    const d = declared(t);
    if (!d || t.opaque) return all;
    const b = new Uint32Array(words);
    const probe: Fp = { global: false, reads: [...d.enables], writes: [], enables: [...d.enables], readSlots: new Set(t.guardSlots), writeSlots: new Set(), enableSlots: new Set(t.guardSlots) };
    for (let f = 0; f < n; f++) if (fps[f]!.global || enablesInto(fps[f]!, probe)) set(b, f);
    return b;
  });
  const slotMovers: Map<number, Map<number, Uint32Array>>[] = Array.from({ length: compiled.slots }, () => new Map());
  // where t's source lies relative to slot r (under which child of r, or outside: -1), and the child t leaves in r (0 when it enters none: the slot is zeroed)
  const fromChild = (t: (typeof infos)[number], r: number): number => {
    for (let k = 0; k < t.chain.length; k += 2) if (t.chain[k] === r) return t.chain[k + 1]!;
    return -1;
  };
  const toChild = (t: (typeof infos)[number], r: number): number => {
    for (let k = 0; k < t.enters.length; k += 2) if (t.enters[k] === r) return t.enters[k + 1]!;
    return 0;
  };
  model.events.forEach((_, f) => {
    for (const id of dead(model.events[f]!) ? [] : closure(model.events[f]!)) {
      const t = infos[id]!;
      for (const r of t.writeSlots) {
        const from = fromChild(t, r);
        const m = slotMovers[r]!;
        let byTo = m.get(from);
        if (!byTo) m.set(from, (byTo = new Map()));
        const to = toChild(t, r);
        let b = byTo.get(to);
        if (!b) byTo.set(to, (b = new Uint32Array(words)));
        set(b, f);
      }
    }
  });
  // the children of each slot reachable from each child, over every transition of the machine (raised events' included)
  const slotReach: Map<number, Set<number>>[] = Array.from({ length: compiled.slots }, () => new Map());
  const edges: Map<number, Set<number>>[] = Array.from({ length: compiled.slots }, () => new Map());
  // (a transition of an event that is never enabled moves nothing; one of an internal event may be raised by any event's)
  const neverFires = new Set(model.events.filter(dead).flatMap(direct));
  for (const e of model.events) if (!dead(e)) for (const id of closure(e)) neverFires.delete(id);
  for (const t of infos) {
    if (neverFires.has(t.id)) continue;
    for (const r of t.writeSlots) {
      const from = fromChild(t, r);
      let e = edges[r]!.get(from);
      if (!e) edges[r]!.set(from, (e = new Set()));
      e.add(toChild(t, r));
    }
  }
  for (let r = 0; r < compiled.slots; r++) {
    const anywhere = edges[r]!.get(-1) ?? new Set<number>();
    const reach = (a: number): Set<number> => {
      const seen = new Set<number>([a, ...anywhere]);
      const work = [...seen];
      while (work.length) for (const b of edges[r]!.get(work.pop()!) ?? []) if (!seen.has(b)) seen.add(b), work.push(b);
      return seen;
    };
    for (const a of new Set([0, ...edges[r]!.keys(), ...[...edges[r]!.values()].flatMap((x) => [...x])])) if (a >= 0) slotReach[r]!.set(a, reach(a));
    slotReach[r]!.set(-1, reach(-1));
  }
  // visibility: a transition writing what an invariant reads (context paths, or regions of the state
  // value), per invariant
  const visible = new Uint8Array(infos.length);
  const visibleTo: Uint32Array[] = [];
  const visibleNames: string[] = [];
  const closures = model.events.map(closure);
  // an invariant given as a conjunction: each conjunct is an invariant of its own here (see the top of the file)
  const units = model.invariants.flatMap((inv, k) => {
    const parts = options.conjuncts === false ? undefined : inv.conjuncts?.(initial as never);
    return parts ? parts.map((c) => ({ name: `${inv.name} (conjunct ${c.name})`, stable: inv.stable, reads: c.reads })) : [{ name: inv.name, stable: inv.stable, reads: reads[k]! }];
  });
  for (const unit of units) {
    visibleNames.push(unit.name);
    // a stable invariant (once violated, violated for good) needs no visible step: see the top of the file
    if (unit.stable && (options.stable ?? true)) {
      visibleTo.push(new Uint32Array(words));
      continue;
    }
    const invPaths: readonly Path[] = unit.reads.context ?? [];
    const invSlots = new Set<number>();
    for (const p of unit.reads.value ?? []) for (const s of slotsOfValuePath(compiled, p)) invSlots.add(s);
    const vis = new Uint8Array(infos.length);
    for (const t of infos) {
      const d = declared(t);
      if (!d || t.opaque || t.writeSlots.some((s) => invSlots.has(s)) || d.writes.some((p) => invPaths.some((q) => overlaps(p, q)))) vis[t.id] = visible[t.id] = 1;
    }
    const ev = new Uint32Array(words);
    closures.forEach((ids, e) => {
      if (!dead(model.events[e]!) && ids.some((id) => vis[id])) set(ev, e);
    });
    visibleTo.push(ev);
  }
  const depsV = deps.map((d, e) => {
    const out = d.slice();
    for (const ev of visibleTo) if (ev[e >>> 5]! & (1 << (e & 31))) for (let w = 0; w < words; w++) out[w]! |= ev[w]!;
    return out;
  });
  return { deps, depsV, visibleTo, visibleNames, cands, chain: infos.map((t) => t.chain), guardEnablers, slotMovers, slotReach, towards: new Map(), visible, words, declaredEvents: fps.filter((f) => !f.global).length, never: Uint8Array.from(model.events, (e) => (dead(e) ? 1 : 0)) };
}

/**
 * The encoding slots a state-value path depends on: the named regions' subtrees and their
 * ancestors ('*' any key). A key a state does not have among its children names nothing: a
 * state's value only ever has keys that are its children's names, so the path is absent in
 * every state and no step changes what the invariant reads there (an invariant over q0 in a
 * configuration without queues). The footprint verification checks that what an invariant
 * reads is covered by what it declares, so a misspelt declaration is caught there.
 */
function slotsOfValuePath(compiled: Compiled, p: Path): number[] {
  const out = new Set<number>();
  const walk = (sn: any, i: number, ancestors: number[]): void => {
    if (i === p.length) {
      const sub = compiled.subtree(sn.id);
      if (sub) for (let s = sub.start; s < sub.end; s++) out.add(s);
      for (const a of ancestors) out.add(a);
      return;
    }
    const here = sn.type === 'compound' ? [...ancestors, compiled.subtree(sn.id)!.start] : ancestors;
    const keys = p[i] === '*' ? Object.keys(sn.states ?? {}) : [String(p[i])];
    for (const k of keys) if (sn.states?.[k]) walk(sn.states[k], i + 1, here);
  };
  walk(compiled.machine.root, 0, []);
  return [...out];
}

/**
 * The ample set of a state: indices of enabled events (`enabled[e]`), the smallest stubborn
 * closure over all seeds, written to `out`; returns its size (equal to the number of enabled
 * events when nothing can be left out).
 */
export function ampleSet(t: PorTables, cfg: Uint8Array, enabled: Uint8Array, nEnabled: number, out: Int32Array, scratch: { s: Uint32Array; best: Uint32Array; work: Int32Array; nes: Uint32Array }, deps: Uint32Array[] = t.deps): number {
  const n = enabled.length;
  let bestCount = nEnabled;
  if (nEnabled <= 1) return fill(enabled, out);
  const { s, best, work, nes } = scratch;
  let haveBest = false;
  for (let seed = 0; seed < n && bestCount > 1; seed++) {
    if (!enabled[seed]) continue;
    s.fill(0);
    s[seed >>> 5]! |= 1 << (seed & 31);
    let top = 0;
    work[top++] = seed;
    const count = close(t, cfg, enabled, deps, s, work, top, nes, 1, bestCount);
    if (count < bestCount) {
      bestCount = count;
      best.set(s);
      haveBest = true;
    }
  }
  if (!haveBest) return fill(enabled, out);
  let k = 0;
  for (let e = 0; e < n; e++) if (enabled[e] && best[e >>> 5]! & (1 << (e & 31))) out[k++] = e;
  return k;
}

/**
 * The enabled events of the closure of `seeds` (all at once) under `deps` and the necessary
 * enabling sets, written to `out`; returns their number. Where the ample set fired a visible
 * transition, the closure of the events already fired under `depsV`: the events explored in the
 * state are then one stubborn set that satisfies V (the union of the ample set with another V set
 * need not: the ample set's visible event brings in the events visible to its invariant).
 */
export function closeFrom(t: PorTables, cfg: Uint8Array, enabled: Uint8Array, seeds: ArrayLike<number>, out: Int32Array, scratch: { s: Uint32Array; work: Int32Array; nes: Uint32Array }, deps: Uint32Array[]): number {
  const { s, work, nes } = scratch;
  s.fill(0);
  let top = 0;
  for (let i = 0; i < seeds.length; i++) {
    const e = seeds[i]!;
    if (s[e >>> 5]! & (1 << (e & 31))) continue;
    s[e >>> 5]! |= 1 << (e & 31);
    work[top++] = e;
  }
  close(t, cfg, enabled, deps, s, work, top, nes, 0, Infinity);
  let k = 0;
  for (let e = 0; e < enabled.length; e++) if (enabled[e] && s[e >>> 5]! & (1 << (e & 31))) out[k++] = e;
  return k;
}

/**
 * Closes the set `s` (the events `work[0..top)` still to expand) under `deps` for enabled events and the
 * necessary enabling sets for disabled ones; returns `count` plus the enabled events added, stopping
 * once that reaches `bound` (the stubborn-set search: a larger set than the best one is of no use).
 */
function close(t: PorTables, cfg: Uint8Array, enabled: Uint8Array, deps: Uint32Array[], s: Uint32Array, work: Int32Array, top: number, nes: Uint32Array, count: number, bound: number): number {
  while (top > 0 && count < bound) {
    const e = work[--top]!;
    const add = enabled[e] ? deps[e]! : necessary(t, cfg, e, nes);
    for (let w = 0; w < t.words; w++) {
      let fresh = add[w]! & ~s[w]!;
      if (!fresh) continue;
      s[w]! |= fresh;
      while (fresh) {
        const bit = fresh & -fresh;
        const f = (w << 5) + (31 - Math.clz32(bit));
        fresh ^= bit;
        work[top++] = f;
        if (enabled[f]) count++;
      }
    }
  }
  return count;
}

/**
 * A necessary enabling set of disabled event `e` in the state with encoding `cfg`, into `out`: per transition of `e`,
 * when its source is inactive, the events that move the first inactive region on its chain from its active child
 * towards the needed one (a mover whose target cannot lead there is never the first step of a path that enables it;
 * a transition whose needed child cannot be reached at all never fires from here and needs nothing); else its guard's enablers.
 */
export function necessary(t: PorTables, cfg: Uint8Array, e: number, out: Uint32Array): Uint32Array {
  out.fill(0);
  for (const id of t.cands[e]!) {
    const chain = t.chain[id]!;
    let inactive = false;
    for (let k = 0; k < chain.length; k += 2) {
      const slot = chain[k]!;
      if (cfg[slot] === chain[k + 1]) continue;
      // the source is inactive: region `slot` must move away from its active child first
      const b = towards(t, slot, cfg[slot]!, chain[k + 1]!);
      if (b) for (let w = 0; w < t.words; w++) out[w]! |= b[w]!;
      inactive = true;
      break;
    }
    if (!inactive) {
      const g = t.guardEnablers[id]!;
      for (let w = 0; w < t.words; w++) out[w]! |= g[w]!;
    }
  }
  return out;
}

/** The events that move region `slot` from child `from` to a child from which `to` can be reached (null: `to` cannot be reached from `from`). */
function towards(t: PorTables, slot: number, from: number, to: number): Uint32Array | null {
  const key = (slot * 256 + from) * 256 + to;
  let b = t.towards.get(key);
  if (b !== undefined) return b;
  const reach = t.slotReach[slot]!;
  if (!(reach.get(from) ?? reach.get(-1)!).has(to)) b = null;
  else {
    b = new Uint32Array(t.words);
    for (const src of [from, -1]) {
      for (const [dst, movers] of t.slotMovers[slot]!.get(src) ?? []) {
        if (!(reach.get(dst) ?? reach.get(-1)!).has(to)) continue;
        for (let w = 0; w < t.words; w++) b[w]! |= movers[w]!;
      }
    }
  }
  t.towards.set(key, b);
  return b;
}

function fill(enabled: Uint8Array, out: Int32Array): number {
  let k = 0;
  for (let e = 0; e < enabled.length; e++) if (enabled[e]) out[k++] = e;
  return k;
}
