// One shard of a breadth-first exploration over collapse-compressed state vectors
// (vector.ts): the states whose content hash falls to this shard, their parent links, the
// edges into them, and the first violation of each invariant. Alone (one shard) it explores
// the whole machine in the order exploreCompiled does, so both number states alike; as one of
// several (parallel.ts, one per worker thread) it expands its part of each BFS level and hands
// the successors owned by another shard to `send` as flattened rows, which that shard interns.
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
}

/** Ints before a state's row in a message: parent global id and event index. */
export const RECORD_HEAD = 2;

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
  private readonly row: Int32Array;

  constructor(
    readonly model: Model,
    readonly compiled: Compiled,
    readonly options: ShardOptions,
    /** Called with a successor owned by another shard: its row (RECORD_HEAD ints, then the flattened state). */
    readonly send?: (shard: number, record: Int32Array) => void,
  ) {
    this.layout = new Layout(compiled);
    this.vectors = new StateTable(this.layout.vectorBytes);
    this.canon = options.symmetry && model.symmetry ? new Canonicaliser(compiled, model.symmetry.groups) : undefined;
    this.ids = model.events.map((e) => compiled.eventId(e.type));
    this.vec = new Uint8Array(this.layout.vectorBytes);
    this.cfgBuf = new Uint8Array(compiled.slots);
    this.valueTable = new StateTable(compiled.slots);
    this.row = new Int32Array(RECORD_HEAD + this.layout.rowInts);
  }

  get size(): number {
    return this.vectors.size;
  }

  /** The owner of a vector (in `this.vec`). */
  private owner(): number {
    return this.options.shards === 1 ? 0 : this.layout.contentHash(this.vec, 0) % this.options.shards;
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
        else {
          const row = this.row;
          row[0] = gid;
          row[1] = e;
          this.layout.rowOf(this.vec, 0, row, RECORD_HEAD);
          this.send!(owner, row);
        }
      }
    }
  }

  /** Interns the records another shard sent (`n` records of RECORD_HEAD + rowInts ints). */
  receive(records: Int32Array, n: number): void {
    const w = RECORD_HEAD + this.layout.rowInts;
    for (let r = 0; r < n; r++) {
      const at = r * w;
      this.layout.vectorOfRow(records, at + RECORD_HEAD, this.vec);
      const local = this.vectors.intern(this.vec, 0);
      if (this.options.keepEdges) {
        this.edges.push(records[at]!);
        this.edges.push(records[at + 1]!);
        this.edges.push(local);
      }
      if (!this.vectors.inserted) continue;
      this.parent.push(records[at]!);
      this.parentEvent.push(records[at + 1]!);
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

  /** Bytes this shard holds: vectors and their table, parent links, edges, component tables. */
  get bytes(): number {
    return this.vectors.bytes + 8 * this.size + 4 * this.edges.n + this.layout.tableBytes;
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
