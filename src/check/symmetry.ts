// Symmetry reduction: interchangeable objects (the VMs, the vcpus of a VM with the same CR6,
// the AP queues of the mdev) are permuted into a canonical order before a state is interned,
// so the explorer keeps one state per orbit. A member of a group is its region (a contiguous
// run of encoding slots), its element of a context array and the payload field naming it in
// events; a group may also name its members elsewhere in the context (`refs`: the GIB alert
// list's bit per VM, the mdev's KVM pointer, the GISA a queue's AP was given), and a group may
// sit inside another's members (the vcpus inside a VM), so it moves with them.
// The canonical form: first the groups that need no renaming of refs are sorted (members by
// their slots, then their context element); then the members of the group with refs are
// sorted by the same key, every order of members with equal keys is tried (each followed by
// sorting the groups whose elements hold the refs), and the least resulting state is kept.
// Since that is a function of the orbit, the explorer keeps exactly one state per orbit.
// A trace through canonical states is turned back into a concrete trace of the machine by
// searching, step by step, for a concrete event that leads into the next state's orbit.
// `verifySymmetry` checks on a full exploration that a declared group is an automorphism of
// the transition relation; a group it refutes is only approximately symmetric.
import type { EventObject } from 'xstate';
import type { Model, SymmetryGroup, SymmetryRef } from '../spec.ts';
import type { Compiled } from './compile.ts';

interface Member {
  start: number;
  end: number;
  index: number;
}

type Role = 'free' | 'outer' | 'inner' | 'dependent';

export interface Group {
  def: SymmetryGroup;
  members: Member[];
  /** offset of this group's positions in a flat permutation */
  offset: number;
  /** outer: has refs; inner: lies inside the outer group's members; dependent: its elements hold the outer group's refs */
  role: Role;
  /** member position by member index */
  position: Map<number, number>;
}

/** Rejected symmetry declaration (unknown region, regions of different shapes): the message says which. */
export class SymmetryError extends Error {
  override name = 'SymmetryError';
}

/** Orders of the outer group tried per state at most (ties among 6 members). */
const MAX_TIED_ORDERS = 720;

/** Canonicalises (encoding, context) pairs of one compiled machine. */
export class Canonicaliser {
  readonly groups: Group[] = [];
  /** After `apply`: the canonical encoding and context (the inputs themselves when already canonical). */
  cfg: Uint8Array;
  context: unknown;
  readonly compiled: Compiled;
  private readonly width: number;
  private readonly positions: number;
  private readonly outer: Group | undefined;
  /** groups sorted before the outer one (free and inner), and after each of its orders (dependent) */
  private readonly first: Group[];
  private readonly after: Group[];

  constructor(compiled: Compiled, groups: readonly SymmetryGroup[]) {
    this.compiled = compiled;
    let offset = 0;
    for (const def of groups) {
      if (def.members.length < 2) continue;
      let shape: string | undefined;
      const members = def.members.map((m) => {
        const sub = compiled.subtree(m.region);
        if (!sub) throw new SymmetryError(`symmetry group '${def.name}': no state node '${m.region}' in machine ${compiled.machine.id}`);
        if (shape !== undefined && sub.shape.replace(/^[^:]*/, '') !== shape) throw new SymmetryError(`symmetry group '${def.name}': region '${m.region}' differs in shape from '${def.members[0]!.region}'`);
        shape = sub.shape.replace(/^[^:]*/, '');
        return { start: sub.start, end: sub.end, index: m.index };
      });
      const position = new Map(members.map((m, i) => [m.index, i]));
      this.groups.push({ def, members, offset, role: 'free', position });
      offset += members.length;
    }
    if (offset > 13 || this.groups.some((g) => g.members.length > 16)) throw new SymmetryError('symmetry: at most 13 interchangeable objects in all, 16 per group');
    const outer = this.groups.filter((g) => g.def.refs?.length);
    if (outer.length > 1) throw new SymmetryError(`symmetry: at most one group may have refs; ${outer.map((g) => `'${g.def.name}'`).join(' and ')} both do`);
    this.outer = outer[0];
    if (this.outer) {
      const o = this.outer;
      o.role = 'outer';
      for (const g of this.groups) {
        if (g === o) continue;
        const a = g.def.array;
        const inside = a.length > o.def.array.length + 1 && o.def.array.every((k, i) => a[i] === k) && o.position.has(a[o.def.array.length] as number);
        const holdsRefs = o.def.refs!.some((r) => r.path.length > a.length + 1 && a.every((k, i) => r.path[i] === k) && r.path[a.length] === '*');
        if (inside && holdsRefs) throw new SymmetryError(`symmetry group '${g.def.name}': lies inside '${o.def.name}' and holds its refs`);
        if (inside) {
          // it moves with the outer members: its regions must lie inside theirs
          const host = o.members[o.position.get(a[o.def.array.length] as number)!]!;
          if (!g.members.every((m) => m.start >= host.start && m.end <= host.end)) throw new SymmetryError(`symmetry group '${g.def.name}': its regions do not lie inside '${o.def.name}' member ${host.index}`);
          g.role = 'inner';
        } else if (holdsRefs) g.role = 'dependent';
        else if (o.def.refs!.some((r) => r.path.length > a.length && a.every((k, i) => r.path[i] === k))) {
          throw new SymmetryError(`symmetry group '${g.def.name}': a ref of '${o.def.name}' lies inside one of its elements but not as '*'`);
        }
      }
    }
    this.first = this.groups.filter((g) => g.role === 'free' || g.role === 'inner');
    this.after = this.groups.filter((g) => g.role === 'dependent');
    this.positions = offset;
    this.width = compiled.slots;
    this.cfg = new Uint8Array(this.width);
  }

  /** The identity permutation over every group's positions. */
  identity(): Int32Array {
    const p = new Int32Array(this.positions);
    for (const g of this.groups) for (let i = 0; i < g.members.length; i++) p[g.offset + i] = i;
    return p;
  }

  /** Puts (cfg, context) in canonical form into `cfg`/`context`; returns 0 when it already was (they are then the inputs), else 1. */
  apply(cfg: Uint8Array, context: unknown): number {
    let c = cfg;
    let x = context;
    for (const g of this.first) [c, x] = this.sortGroup(g, c, x);
    if (this.outer) [c, x] = this.sortOuter(this.outer, c, x);
    this.cfg = c;
    this.context = x;
    return c === cfg && x === context ? 0 : 1;
  }

  /** The group's members sorted by (slots, context element): the state permuted, or the same objects when already sorted. */
  private sortGroup(g: Group, cfg: Uint8Array, context: unknown): [Uint8Array, unknown] {
    const order = this.sortedOrder(g, cfg, context);
    return isIdentity(order) ? [cfg, context] : this.permuteGroup(g, order, cfg, context);
  }

  private sortedOrder(g: Group, cfg: Uint8Array, context: unknown): number[] {
    const elements = arrayAt(context, g.def.array);
    const order = g.members.map((_, i) => i);
    // insertion sort: groups have a handful of members
    for (let i = 1; i < order.length; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= 0 && this.compare(g, order[j]!, x, cfg, elements) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = x;
    }
    return order;
  }

  /** The outer group: sorted by key, every order of equal keys tried with the dependent groups sorted after it; the least state. */
  private sortOuter(g: Group, cfg: Uint8Array, context: unknown): [Uint8Array, unknown] {
    const order = this.sortedOrder(g, cfg, context);
    const elements = arrayAt(context, g.def.array);
    const runs: [number, number][] = [];
    for (let i = 0; i < order.length; ) {
      let j = i + 1;
      while (j < order.length && this.compare(g, order[i]!, order[j]!, cfg, elements) === 0) j++;
      if (j - i > 1) runs.push([i, j]);
      i = j;
    }
    if (!runs.length) return this.candidate(g, order, cfg, context);
    let best: [Uint8Array, unknown] | undefined;
    let tried = 0;
    for (const o of orders(order, runs)) {
      if (++tried > MAX_TIED_ORDERS) throw new SymmetryError(`symmetry group '${g.def.name}': more than ${MAX_TIED_ORDERS} orders of equal members to try`);
      const c = this.candidate(g, o, cfg, context);
      if (!best || compareStates(c[0], c[1], best[0], best[1]) < 0) best = c;
    }
    return best!;
  }

  /** The outer group in order `o`, then the dependent groups sorted (a method, not a closure per state: tsx wraps every closure it creates in __name). */
  private candidate(g: Group, o: readonly number[], cfg: Uint8Array, context: unknown): [Uint8Array, unknown] {
    let [c, x] = isIdentity(o) ? [cfg, context] : this.permuteGroup(g, o, cfg, context);
    for (const d of this.after) [c, x] = this.sortGroup(d, c, x);
    return [c, x];
  }

  /** The state whose member at position i is the member at position order[i] of the given one; refs renamed. */
  private permuteGroup(g: Group, order: readonly number[], cfg: Uint8Array, context: unknown): [Uint8Array, unknown] {
    const out = new Uint8Array(this.width);
    out.set(cfg);
    const elements = arrayAt(context, g.def.array);
    const permuted = elements.slice();
    let moved = false;
    for (let i = 0; i < g.members.length; i++) {
      const from = g.members[order[i]!]!;
      const to = g.members[i]!;
      if (from === to) continue;
      moved = true;
      out.set(cfg.subarray(from.start, from.end), to.start);
      permuted[to.index] = elements[from.index];
    }
    if (!moved) return [cfg, context];
    let ctx = setAt(context, g.def.array, 0, permuted);
    if (g.def.refs) {
      // member at old position order[i] is now at position i: index m -> index of members[newPos]
      const rename = new Map<number, number>();
      for (let i = 0; i < g.members.length; i++) rename.set(g.members[order[i]!]!.index, g.members[i]!.index);
      for (const r of g.def.refs) ctx = renameRef(ctx, r, 0, rename);
    }
    return [out, ctx];
  }

  private compare(g: Group, a: number, b: number, cfg: Uint8Array, elements: readonly unknown[]): number {
    const ma = g.members[a]!;
    const mb = g.members[b]!;
    for (let i = 0; i < ma.end - ma.start; i++) {
      const d = cfg[ma.start + i]! - cfg[mb.start + i]!;
      if (d !== 0) return d;
    }
    return compareValues(elements[ma.index], elements[mb.index]);
  }

  /** The state permuted by `p` (per group, new position -> old position; groups applied in order, inner before outer), as verifySymmetry uses it. */
  permute(cfg: Uint8Array, context: unknown, p: Int32Array): [Uint8Array, unknown] {
    let c = cfg;
    let x = context;
    const ordered = [...this.groups.filter((g) => g.role !== 'outer'), ...(this.outer ? [this.outer] : [])];
    for (const g of ordered) {
      const order = g.members.map((_, i) => p[g.offset + i]!);
      if (!isIdentity(order)) [c, x] = this.permuteGroup(g, order, c, x);
    }
    if (c === cfg) c = cfg.slice();
    return [c, x];
  }

  /** The identity permutation, with positions i and i+1 of group `gi` swapped. */
  transposition(gi: number, i: number): Int32Array {
    const p = this.identity();
    const o = this.groups[gi]!.offset;
    p[o + i] = i + 1;
    p[o + i + 1] = i;
    return p;
  }

  /** A transposition's event renamed: a member at position m is named by position t[m] (t is its own inverse). */
  renameEvent(event: EventObject, t: Int32Array): EventObject {
    let out = event;
    for (const g of this.groups) {
      const v = (event as unknown as Record<string, unknown>)[g.def.field];
      if (typeof v !== 'number') continue;
      const where = g.def.where ?? {};
      if (!Object.entries(where).every(([k, w]) => (event as unknown as Record<string, unknown>)[k] === w)) continue;
      const pos = g.position.get(v);
      if (pos === undefined) continue;
      const np = t[g.offset + pos]!;
      if (np !== pos) out = { ...out, [g.def.field]: g.members[np]!.index };
    }
    return out;
  }
}

function isIdentity(order: readonly number[]): boolean {
  for (let i = 0; i < order.length; i++) if (order[i] !== i) return false;
  return true;
}

/** Every order obtained from `order` by permuting the positions inside each run [from, to). */
function* orders(order: number[], runs: [number, number][], k = 0): Generator<number[]> {
  if (k === runs.length) {
    yield order.slice();
    return;
  }
  const [from, to] = runs[k]!;
  const run = order.slice(from, to);
  for (const p of permutations(run)) {
    const o = order.slice();
    for (let i = 0; i < p.length; i++) o[from + i] = p[i]!;
    yield* orders(o, runs, k + 1);
  }
}

function* permutations(xs: number[]): Generator<number[]> {
  if (xs.length <= 1) {
    yield xs;
    return;
  }
  for (let i = 0; i < xs.length; i++) {
    const rest = [...xs.slice(0, i), ...xs.slice(i + 1)];
    for (const p of permutations(rest)) yield [xs[i]!, ...p];
  }
}

/** Total order on states: encoding bytes, then context. */
export function compareStates(ca: Uint8Array, xa: unknown, cb: Uint8Array, xb: unknown): number {
  for (let i = 0; i < ca.length; i++) {
    const d = ca[i]! - cb[i]!;
    if (d !== 0) return d;
  }
  return compareValues(xa, xb);
}

/** `v` with the ref at `path[from..]` renamed (copies along the path only where something changes). */
function renameRef(v: any, r: SymmetryRef, from: number, rename: Map<number, number>): any {
  if (from === r.path.length) {
    if (typeof v !== 'number') throw new SymmetryError(`symmetry: ref ${r.path.join('.')} is not a number`);
    if (r.kind === 'index') return rename.get(v) ?? v;
    let mask = v;
    for (const m of rename.keys()) mask &= ~(1 << m);
    for (const [m, n] of rename) if (v & (1 << m)) mask |= 1 << n;
    return mask;
  }
  const k = r.path[from]!;
  if (v === null || typeof v !== 'object') throw new SymmetryError(`symmetry: ref path ${r.path.join('.')} does not match the context`);
  if (k === '*') {
    if (!Array.isArray(v)) throw new SymmetryError(`symmetry: ref path ${r.path.join('.')}: '*' on something that is not an array`);
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const y = renameRef(v[i], r, from + 1, rename);
      if (y !== v[i]) (copy ??= v.slice())[i] = y;
    }
    return copy ?? v;
  }
  const y = renameRef(v[k], r, from + 1, rename);
  if (y === v[k]) return v;
  const copy = Array.isArray(v) ? v.slice() : { ...v };
  (copy as any)[k] = y;
  return copy;
}

/**
 * The concrete events (indices into `model.events`) that lead from the machine's initial state
 * to a state in the orbit of canonical state `i`, following the BFS parent links: at each step
 * the first event (the canonical one first) that takes the concrete state into the orbit of the
 * next canonical state. With exact groups one always exists; with an approximate group the
 * search may fail, and `complete` is then false (the events found so far are returned).
 */
export function concreteTrace(
  model: Model,
  canon: Canonicaliser,
  x: { parent: Int32Array; parentEvent: Int32Array; encoding?: (i: number) => Uint8Array; states: readonly { context: unknown }[] },
  i: number,
): { events: number[]; complete: boolean } {
  const compiled = canon.compiled;
  const chain: number[] = [];
  for (let s = i; s >= 0; s = x.parent[s]!) chain.push(s);
  chain.reverse();
  const ids = model.events.map((e) => compiled.eventId(e.type));
  let cfg = compiled.initial.cfg.slice();
  let context = compiled.initial.context;
  const out: number[] = [];
  for (let k = 1; k < chain.length; k++) {
    const s = chain[k]!;
    const tcfg = x.encoding!(s);
    const tctx = x.states[s]!.context;
    const first = x.parentEvent[s]!;
    let found = -1;
    for (let j = -1; j < model.events.length && found < 0; j++) {
      const e = j < 0 ? first : j;
      if (j === first) continue;
      const next = compiled.step(cfg, context, model.events[e]!, ids[e]);
      if (!next) continue;
      const nextContext = compiled.context;
      canon.apply(next, nextContext);
      if (compareStates(canon.cfg, canon.context, tcfg, tctx) !== 0) continue;
      found = e;
      cfg = next.slice();
      context = nextContext;
    }
    if (found < 0) return { events: out, complete: false };
    out.push(found);
  }
  return { events: out, complete: true };
}

/** Total order on JSON-like values of the same shape (numbers, booleans, strings, arrays, records). */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (ta === 'number') return (a as number) - (b as number);
  if (ta === 'boolean') return (a ? 1 : 0) - (b ? 1 : 0);
  if (ta === 'string') return (a as string) < (b as string) ? -1 : 1;
  if (a === null) return -1;
  if (b === null) return 1;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return a.length - bb.length;
    for (let i = 0; i < a.length; i++) {
      const d = compareValues(a[i], bb[i]);
      if (d !== 0) return d;
    }
    return 0;
  }
  const oa = a as Record<string, unknown>;
  const ob = b as Record<string, unknown>;
  for (const k in oa) {
    const d = compareValues(oa[k], ob[k]);
    if (d !== 0) return d;
  }
  return 0;
}

function arrayAt(context: unknown, path: readonly (string | number)[]): unknown[] {
  let v: any = context;
  for (const k of path) v = v?.[k];
  if (!Array.isArray(v)) throw new SymmetryError(`symmetry: context path ${path.join('.')} is not an array`);
  return v;
}

/** A copy of `v` with the value at `path[from..]` replaced, sharing everything else. */
function setAt(v: any, path: readonly (string | number)[], from: number, x: unknown): any {
  if (from === path.length) return x;
  const k = path[from]!;
  const copy = Array.isArray(v) ? v.slice() : { ...v };
  copy[k] = setAt(v[k], path, from + 1, x);
  return copy;
}
