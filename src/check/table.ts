// The visited-state table of the compiled explorer: states are (encoding bytes, context id),
// the bytes kept in one arena, found by open addressing (linear probing) on a 32-bit FNV-1a
// hash, compared in full on a hash match, so a collision costs a probe, never a wrong answer.
// Each slot holds (hash, state + 1, context id), so a probe that cannot match is rejected
// without reading the arena, and growing the table does not rehash the bytes.
export class StateTable {
  readonly width: number;
  size = 0;
  private arena: Uint8Array;
  private ctx: Int32Array;
  /** slots of three int32: hash, state + 1 (0: empty), context id */
  private table: Int32Array;
  private mask: number;

  constructor(width: number) {
    this.width = width;
    this.arena = new Uint8Array(Math.max(1, width) * 1024);
    this.ctx = new Int32Array(1024);
    this.table = new Int32Array(3 * 2048);
    this.mask = 2047;
  }

  /** The index of the state, inserting it (as index `size`) when new; `inserted` says which. */
  intern(cfg: Uint8Array, ctx: number): number {
    const w = this.width;
    let h = 0x811c9dc5 ^ ctx;
    h = Math.imul(h, 0x01000193);
    for (let i = 0; i < w; i++) {
      h ^= cfg[i]!;
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 15;
    const table = this.table;
    const arena = this.arena;
    let p = h & this.mask;
    for (;;) {
      const t = 3 * p;
      const e = table[t + 1]!;
      if (e === 0) break;
      if (table[t] === h && table[t + 2] === ctx) {
        const o = (e - 1) * w;
        let i = 0;
        while (i < w && arena[o + i] === cfg[i]) i++;
        if (i === w) {
          this.inserted = false;
          return e - 1;
        }
      }
      p = (p + 1) & this.mask;
    }
    const s = this.size++;
    if ((s + 1) * w > this.arena.length) {
      const a = new Uint8Array(this.arena.length * 2);
      a.set(this.arena);
      this.arena = a;
    }
    if (s >= this.ctx.length) {
      const c = new Int32Array(this.ctx.length * 2);
      c.set(this.ctx);
      this.ctx = c;
    }
    const o = s * w;
    for (let i = 0; i < w; i++) this.arena[o + i] = cfg[i]!;
    this.ctx[s] = ctx;
    table[3 * p] = h;
    table[3 * p + 1] = s + 1;
    table[3 * p + 2] = ctx;
    this.inserted = true;
    if (this.size * 2 > this.mask) this.rehash();
    return s;
  }

  inserted = false;

  /** The encoding of state `s` (a view into the arena, valid until the next insertion). */
  cfgAt(s: number): Uint8Array {
    return this.arena.subarray(s * this.width, (s + 1) * this.width);
  }

  /** The arena of encodings, state s at s * width (valid until the next insertion). */
  get arenaBytes(): Uint8Array {
    return this.arena;
  }

  /** The context id of state `s`. */
  contextAt(s: number): number {
    return this.ctx[s]!;
  }

  /** Bytes of memory the table holds. */
  get bytes(): number {
    return this.arena.byteLength + this.ctx.byteLength + this.table.byteLength;
  }

  private rehash(): void {
    const old = this.table;
    this.mask = 2 * (this.mask + 1) - 1;
    const table = (this.table = new Int32Array(3 * (this.mask + 1)));
    for (let t = 0; t < old.length; t += 3) {
      if (old[t + 1] === 0) continue;
      let p = old[t]! & this.mask;
      while (table[3 * p + 1] !== 0) p = (p + 1) & this.mask;
      table[3 * p] = old[t]!;
      table[3 * p + 1] = old[t + 1]!;
      table[3 * p + 2] = old[t + 2]!;
    }
  }
}
