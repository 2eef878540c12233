// Symmetry reduction: interchangeable objects (the vcpus of a VM with the same CR6, the AP
// queues of the mdev) are permuted into a canonical order before a state is interned, so the
// explorer keeps one state per orbit. A member of a group is its region (a contiguous run of
// encoding slots), its element of a context array and the payload field naming it in events.
// The canonical order sorts members by (slots, context element); the permutation that sorted
// each new state is kept, so a trace through canonical states is turned back into a concrete
// trace of the machine (events renamed along the way) and replayed.
// `verifySymmetry` checks on a full exploration that a declared group is an automorphism of
// the transition relation; a group it refutes is only approximately symmetric.
import type { EventObject } from 'xstate';
import type { Model, SymmetryGroup } from '../spec.ts';
import type { Compiled } from './compile.ts';

interface Member {
  start: number;
  end: number;
  index: number;
}

interface Group {
  def: SymmetryGroup;
  members: Member[];
  /** offset of this group's positions in a flat permutation */
  offset: number;
}

/** Rejected symmetry declaration (unknown region, regions of different shapes): the message says which. */
export class SymmetryError extends Error {
  override name = 'SymmetryError';
}

/** Canonicalises (encoding, context) pairs of one compiled machine. */
export class Canonicaliser {
  readonly groups: Group[] = [];
  /** Interned flat permutations (new position -> old position, per group); id 0 is the identity. */
  readonly perms: Int32Array[] = [];
  /** After `apply`: the canonical encoding (a scratch buffer) and context. */
  cfg: Uint8Array;
  context: unknown;
  private readonly permIds = new Map<number, number>();
  private readonly width: number;
  private readonly order: number[][];
  private readonly scratch: Int32Array;

  constructor(compiled: Compiled, groups: readonly SymmetryGroup[]) {
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
      this.groups.push({ def, members, offset });
      offset += members.length;
    }
    if (offset > 13 || this.groups.some((g) => g.members.length > 16)) throw new SymmetryError('symmetry: at most 13 interchangeable objects in all, 16 per group');
    this.width = compiled.slots;
    this.cfg = new Uint8Array(this.width);
    this.order = this.groups.map((g) => g.members.map((_, i) => i));
    this.scratch = new Int32Array(offset);
    for (let i = 0; i < offset; i++) this.scratch[i] = i - this.offsetOf(i);
    this.intern(this.scratch);
  }

  private offsetOf(flat: number): number {
    let o = 0;
    for (const g of this.groups) if (g.offset <= flat) o = g.offset;
    return o;
  }

  private intern(p: Int32Array): number {
    // positions hold values below 16 (checked in the constructor): 4 bits each, as a number key
    let key = 0;
    for (let i = 0; i < p.length; i++) key = key * 16 + p[i]!;
    let id = this.permIds.get(key);
    if (id === undefined) {
      id = this.perms.length;
      this.perms.push(p.slice());
      this.permIds.set(key, id);
    }
    return id;
  }

  /** Sorts the members of every group; returns the permutation id (0: already canonical, `cfg`/`context` are the inputs). */
  apply(cfg: Uint8Array, context: unknown): number {
    let changed = false;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi]!;
      const order = this.order[gi]!;
      const elements = arrayAt(context, g.def.array);
      for (let i = 0; i < order.length; i++) order[i] = i;
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
      for (let i = 0; i < order.length; i++) {
        this.scratch[g.offset + i] = order[i]!;
        if (order[i] !== i) changed = true;
      }
    }
    if (!changed) {
      this.context = context;
      this.cfg = cfg;
      return 0;
    }
    const [out, ctx] = this.permute(cfg, context, this.scratch);
    this.cfg = out;
    this.context = ctx;
    return this.intern(this.scratch);
  }

  /** The state whose member at position i (of each group) is the member at position p[i] of the given one. */
  permute(cfg: Uint8Array, context: unknown, p: Int32Array): [Uint8Array, unknown] {
    const out = new Uint8Array(this.width);
    out.set(cfg);
    let ctx = context;
    for (const g of this.groups) {
      const elements = arrayAt(context, g.def.array);
      let permuted: unknown[] | undefined;
      for (let i = 0; i < g.members.length; i++) {
        const from = g.members[p[g.offset + i]!]!;
        const to = g.members[i]!;
        if (from === to) continue;
        out.set(cfg.subarray(from.start, from.end), to.start);
        (permuted ??= elements.slice())[to.index] = elements[from.index];
      }
      if (permuted) ctx = setAt(ctx, g.def.array, 0, permuted);
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

  /** The identity permutation, with positions i and i+1 of group `gi` swapped. */
  transposition(gi: number, i: number): Int32Array {
    const p = this.perms[0]!.slice();
    const o = this.groups[gi]!.offset;
    p[o + i] = i + 1;
    p[o + i + 1] = i;
    return p;
  }

  /** The event renamed for a permuted state: a member at position m is named by position inv[m]. */
  renameEvent(event: EventObject, inv: Int32Array): EventObject {
    let out = event;
    for (const g of this.groups) {
      const v = (event as unknown as Record<string, unknown>)[g.def.field];
      if (typeof v !== 'number') continue;
      const where = g.def.where ?? {};
      if (!Object.entries(where).every(([k, w]) => (event as unknown as Record<string, unknown>)[k] === w)) continue;
      const pos = g.members.findIndex((m) => m.index === v);
      if (pos < 0) continue;
      const np = inv[g.offset + pos]!;
      if (np !== pos) out = { ...out, [g.def.field]: g.members[np]!.index };
    }
    return out;
  }
}

/** Which group positions `p` (new -> old) sends back: the inverse permutation. */
export function inverse(p: Int32Array, groups: readonly Group[]): Int32Array {
  const inv = new Int32Array(p.length);
  for (const g of groups) for (let i = 0; i < g.members.length; i++) inv[g.offset + p[g.offset + i]!] = i;
  return inv;
}

/** Composition `a` after `b`, per group: x -> a[b[x]]. */
function compose(a: Int32Array, b: Int32Array, groups: readonly Group[]): Int32Array {
  const out = new Int32Array(a.length);
  for (const g of groups) for (let i = 0; i < g.members.length; i++) out[g.offset + i] = a[g.offset + b[g.offset + i]!]!;
  return out;
}

/**
 * The concrete events (indices into `model.events`) that lead from the machine's initial state
 * to a state in the orbit of canonical state `i`, following the BFS parent links. With c_k =
 * g_k(s_k) (position j of c_k holds member g_k[j] of s_k): g_0 is the inverse of the initial
 * state's permutation, g_{k+1} = p_{k+1}^-1 after g_k, and the event of step k names, for a
 * member m of s_k, the position g_k^-1(m).
 */
export function concreteEvents(model: Model, canon: Canonicaliser, parent: Int32Array, parentEvent: Int32Array, perm: Int32Array, i: number): number[] {
  const chain: number[] = [];
  for (let s = i; s >= 0; s = parent[s]!) chain.push(s);
  chain.reverse();
  const index = new Map(model.events.map((e, k) => [JSON.stringify(e), k]));
  let g = inverse(canon.perms[perm[chain[0]!]!]!, canon.groups);
  const out: number[] = [];
  for (let k = 1; k < chain.length; k++) {
    const s = chain[k]!;
    const e = model.events[parentEvent[s]!]!;
    const renamed = canon.renameEvent(e, inverse(g, canon.groups));
    const id = index.get(JSON.stringify(renamed));
    if (id === undefined) throw new SymmetryError(`symmetry: event ${JSON.stringify(renamed)} is not among the model's events (a group names a member the bounds do not enumerate)`);
    out.push(id);
    g = compose(inverse(canon.perms[perm[s]!]!, canon.groups), g, canon.groups);
  }
  return out;
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
