// One shard of a breadth-first exploration over collapse-compressed state vectors
// (vector.ts): the states whose content hash falls to this shard, their parent links, the
// edges into them, and the first violation of each invariant. Alone (one shard) it explores
// the whole machine in the order exploreCompiled does, so both number states alike; as one of
// several (parallel.ts, one per worker thread) it expands its part of each BFS level and hands
// the successors owned by another shard to `send` as batches of flattened rows, which that
// shard interns. Most successors are states seen before (about 90 % of 9 transitions per state
// in the composed guest), so a shard keeps, per peer, a direct-mapped cache of the vectors it
// has sent: a successor found there is not sent again, only its edge as a reference to the
// cache slot when edges are kept (the peer maps each slot to the local index the row got).
// A state's global id is local * shards + shard.
import type { EventObject } from 'xstate';
import type { AbstractState, Model } from '../spec.ts';
import type { Compiled } from './compile.ts';
import { Canonicaliser } from './symmetry.ts';
import { StateTable } from './table.ts';
import { Layout } from './vector.ts';

export interface ShardOptions {
  shard: number;
  shards: number;
  keepEdges: boolean;
  symmetry: boolean;
  /** Slots of the cache of vectors sent to each peer, a power of two (default SENT_SLOTS; 1: almost none kept). */
  sentSlots?: number;
}

/** Records on their way to one peer, and the vectors sent to it (by slot). */
interface Outbox {
  buf: Int32Array;
  /** ints used in buf */
  n: number;
  /** sentSlots vectors, slot k at k * vectorBytes */
  sent: Uint8Array;
  /** whether slot k holds a vector */
  full: Uint8Array;
}

/**
 * Ints before a state's row in a message: parent global id, event index, and the tag: a slot
 * k >= 0 of the sender's cache (the row follows; the receiver remembers the row's local index
 * for k) or -(k + 1) (no row: the state last sent from slot k).
 */
export const RECORD_HEAD = 3;

/** Slots of the cache of sent vectors per peer (a power of two); `ShardOptions.sentSlots`. */
export const SENT_SLOTS = 1 << 16;

/** A growable int32 list. */
export class IntList {
  a: Int32Array;
  n = 0;
  constructor(capacity = 1024) {
    this.a = new Int32Array(capacity);
  }
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
  done(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

export class Shard {
  readonly layout: Layout;
  readonly vectors: StateTable;
  readonly parent = new IntList();
  readonly parentEvent = new IntList();
  /** local index where each level starts */
  readonly levelStarts: number[] = [0];
  /** edges into this shard's states: from (global), event, to (local) */
  readonly edges = new IntList();
  /** first violating local state of each invariant (the lowest level first) */
  readonly violations = new Map<string, number>();
  readonly canon: Canonicaliser | undefined;
  transitions = 0;
  private readonly ids: number[];
  private readonly vec: Uint8Array;
  private readonly cfgBuf: Uint8Array;
  private readonly valueTable: StateTable;
  private readonly values: unknown[] = [];
  /** Per peer: what is on its way there, and what was sent. */
  private readonly outboxes: (Outbox | undefined)[] = [];
  /** Per peer: the local index of the state the peer last sent from each slot. */
  private readonly slotLocal: (Int32Array | undefined)[] = [];
  private readonly slotMask: number;
  /** the content hash of `this.vec`, from owner() */
  private hash = 0;
  /** Cross-shard successors found in the sent cache (not sent again), and those sent. */
  sentHits = 0;
  sentRows = 0;

  constructor(
    readonly model: Model,
    readonly compiled: Compiled,
    readonly options: ShardOptions,
    /** Called with a batch of records for another shard (`ints` ints of `records`, which it may keep: the shard does not touch them again). */
    readonly send?: (shard: number, records: Int32Array, ints: number) => void,
  ) {
    this.layout = new Layout(compiled);
    this.vectors = new StateTable(this.layout.vectorBytes);
    this.canon = options.symmetry && model.symmetry ? new Canonicaliser(compiled, model.symmetry.groups) : undefined;
    this.ids = model.events.map((e) => compiled.eventId(e.type));
    this.vec = new Uint8Array(this.layout.vectorBytes);
    this.cfgBuf = new Uint8Array(compiled.slots);
    this.valueTable = new StateTable(compiled.slots);
    const slots = options.sentSlots ?? SENT_SLOTS;
    if (!Number.isInteger(Math.log2(slots))) throw new RangeError(`sentSlots must be a power of two, got ${slots}`);
    this.slotMask = slots - 1;
  }

  /** Ints of a batch: flushed when the next full record might not fit. */
  private static readonly BATCH_INTS = 1 << 16;

  private outbox(peer: number): Outbox {
    let o = this.outboxes[peer];
    if (!o) {
      const slots = this.slotMask + 1;
      o = this.outboxes[peer] = { buf: new Int32Array(Math.max(Shard.BATCH_INTS, 4 * (RECORD_HEAD + this.layout.rowInts))), n: 0, sent: new Uint8Array(slots * this.layout.vectorBytes), full: new Uint8Array(slots) };
    }
    return o;
  }

  /** Hands the records gathered for `peer` to `send`. */
  flush(peer: number): void {
    const o = this.outboxes[peer];
    if (!o?.n) return;
    // the length first: `send` may transfer the buffer (detached, length 0)
    const length = o.buf.length;
    this.send!(peer, o.buf, o.n);
    o.buf = new Int32Array(length);
    o.n = 0;
  }

  /** A successor (in `this.vec`, hash in `this.hash`) owned by `peer`: recorded for it unless sent before (then only its edge, when edges are kept). */
  private post(peer: number, from: number, ev: number): void {
    const o = this.outbox(peer);
    const vb = this.layout.vectorBytes;
    const vec = this.vec;
    const h = Math.imul(this.hash, 0x9e3779b1);
    const k = (h ^ (h >>> 16)) & this.slotMask;
    const sent = o.sent;
    const at = k * vb;
    let i = 0;
    if (o.full[k]) while (i < vb && sent[at + i] === vec[i]) i++;
    if (i === vb) {
      this.sentHits++;
      if (!this.options.keepEdges) return;
      if (o.n + RECORD_HEAD > o.buf.length) this.flush(peer);
      o.buf[o.n++] = from;
      o.buf[o.n++] = ev;
      o.buf[o.n++] = -(k + 1);
      return;
    }
    this.sentRows++;
    for (i = 0; i < vb; i++) sent[at + i] = vec[i]!;
    o.full[k] = 1;
    if (o.n + RECORD_HEAD + this.layout.rowInts > o.buf.length) this.flush(peer);
    const b = o.buf;
    b[o.n++] = from;
    b[o.n++] = ev;
    b[o.n++] = k;
    o.n = this.layout.rowOf(vec, 0, b, o.n);
  }

  get size(): number {
    return this.vectors.size;
  }

  /** The owner of a vector (in `this.vec`). */
  private owner(): number {
    if (this.options.shards === 1) return 0;
    this.hash = this.layout.contentHash(this.vec, 0);
    return this.hash % this.options.shards;
  }

  /** The initial state, if this shard owns it. */
  start(): void {
    let cfg = this.compiled.initial.cfg;
    let context = this.compiled.initial.context;
    if (this.canon && this.canon.apply(cfg, context)) {
      cfg = this.canon.cfg;
      context = this.canon.context;
    }
    this.layout.encodeState(cfg, context, this.vec);
    if (this.owner() === this.options.shard) this.insert(cfg, context, -1, -1);
  }

  /** Inserts the vector in `this.vec` (its encoding and context given); returns whether it was new. */
  private insert(cfg: Uint8Array, context: unknown, from: number, ev: number): boolean {
    const local = this.vectors.intern(this.vec, 0);
    if (this.options.keepEdges && from >= 0) {
      this.edges.push(from);
      this.edges.push(ev);
      this.edges.push(local);
    }
    if (!this.vectors.inserted) return false;
    this.parent.push(from);
    this.parentEvent.push(ev);
    if (this.model.invariants.length) {
      const v = this.valueTable.intern(cfg, 0);
      if (this.valueTable.inserted) this.values.push(this.compiled.value(cfg));
      const st: AbstractState<unknown> = { value: this.values[v] as AbstractState<unknown>['value'], context };
      for (const inv of this.model.invariants) if (!this.violations.has(inv.name) && !inv.holds(st)) this.violations.set(inv.name, local);
    }
    return true;
  }

  /** Expands local states [from, to): every event, each successor canonicalised, inserted here or sent to its owner. */
  expand(from: number, to: number, each?: (done: number) => void): void {
    const { shard, shards } = this.options;
    const events = this.model.events;
    const ids = this.ids;
    const vectors = this.vectors;
    for (let s = from; s < to; s++) {
      if (each && ((s - from) & 255) === 0) each(s - from);
      const at = s * this.layout.vectorBytes;
      const arena = vectors.arenaBytes;
      const cfg = this.layout.cfgOf(arena, at, this.cfgBuf);
      const context = this.layout.contextOf(arena, at);
      const parentVec = arena.subarray(at, at + this.layout.vectorBytes).slice();
      const gid = s * shards + shard;
      for (let e = 0; e < events.length; e++) {
        let next = this.compiled.step(cfg, context, events[e] as EventObject, ids[e]);
        if (!next) continue;
        this.transitions++;
        let nextContext = this.compiled.context;
        if (this.canon && this.canon.apply(next, nextContext)) {
          next = this.canon.cfg;
          nextContext = this.canon.context;
        }
        this.layout.encodeState(next, nextContext, this.vec, parentVec, context, cfg);
        const owner = this.owner();
        if (owner === shard) this.insert(next, nextContext, gid, e);
        else this.post(owner, gid, e);
      }
    }
  }

  /** Interns the records shard `peer` sent (`ints` ints of them, in the order it sent them). */
  receive(peer: number, records: Int32Array, ints: number): void {
    let slotLocal = this.slotLocal[peer];
    if (!slotLocal) slotLocal = this.slotLocal[peer] = new Int32Array(this.slotMask + 1);
    const w = RECORD_HEAD + this.layout.rowInts;
    for (let at = 0; at < ints; ) {
      const tag = records[at + 2]!;
      if (tag < 0) {
        // a state this peer sent before: only the edge
        this.edges.push(records[at]!);
        this.edges.push(records[at + 1]!);
        this.edges.push(slotLocal[-tag - 1]!);
        at += RECORD_HEAD;
        continue;
      }
      const from = records[at]!;
      const ev = records[at + 1]!;
      this.layout.vectorOfRow(records, at + RECORD_HEAD, this.vec);
      at += w;
      const local = this.vectors.intern(this.vec, 0);
      slotLocal[tag] = local;
      if (this.options.keepEdges) {
        this.edges.push(from);
        this.edges.push(ev);
        this.edges.push(local);
      }
      if (!this.vectors.inserted) continue;
      this.parent.push(from);
      this.parentEvent.push(ev);
      if (this.model.invariants.length) {
        const cfg = this.layout.cfgOf(this.vectors.arenaBytes, local * this.layout.vectorBytes, new Uint8Array(this.compiled.slots));
        const context = this.layout.contextOf(this.vectors.arenaBytes, local * this.layout.vectorBytes);
        const v = this.valueTable.intern(cfg, 0);
        if (this.valueTable.inserted) this.values.push(this.compiled.value(cfg));
        const st: AbstractState<unknown> = { value: this.values[v] as AbstractState<unknown>['value'], context };
        for (const inv of this.model.invariants) if (!this.violations.has(inv.name) && !inv.holds(st)) this.violations.set(inv.name, local);
      }
    }
  }

  /** Closes the current level: the states added since the last call form the next one. */
  endLevel(): number {
    const added = this.size - this.levelStarts[this.levelStarts.length - 1]!;
    this.levelStarts.push(this.size);
    return added;
  }

  /** Bytes this shard holds: vectors and their table, parent links, edges, component tables, the caches of sent vectors and the slot maps. */
  get bytes(): number {
    let exchange = 0;
    for (const o of this.outboxes) if (o) exchange += o.sent.byteLength + o.full.byteLength + 4 * o.buf.length;
    for (const l of this.slotLocal) if (l) exchange += l.byteLength;
    return this.vectors.bytes + 8 * this.size + 4 * this.edges.n + this.layout.tableBytes + exchange;
  }

  /** The state of local index `s`. */
  state(s: number): AbstractState<unknown> {
    const at = s * this.layout.vectorBytes;
    const cfg = this.layout.cfgOf(this.vectors.arenaBytes, at, new Uint8Array(this.compiled.slots));
    return { value: this.compiled.value(cfg) as AbstractState<unknown>['value'], context: this.layout.contextOf(this.vectors.arenaBytes, at) };
  }

  /** The encoding of local state `s` (a copy). */
  encoding(s: number): Uint8Array {
    return this.layout.cfgOf(this.vectors.arenaBytes, s * this.layout.vectorBytes, new Uint8Array(this.compiled.slots));
  }
}
