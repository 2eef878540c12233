// The visited-state table of the compiled explorer: states are (encoding bytes, context id),
// the bytes kept in one arena, found by open addressing (linear probing) on a 32-bit FNV-1a
// hash, compared in full on a hash match, so a collision costs a probe, never a wrong answer.
export class StateTable {
  readonly width: number;
  size = 0;
  private arena: Uint8Array;
  private ctx: Int32Array;
  private table: Int32Array;
  private mask: number;

  constructor(width: number) {
    this.width = width;
    this.arena = new Uint8Array(Math.max(1, width) * 1024);
    this.ctx = new Int32Array(1024);
    this.table = new Int32Array(2048);
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
      const e = table[p]!;
      if (e === 0) break;
      const s = e - 1;
      if (this.ctx[s] === ctx) {
        let same = true;
        const o = s * w;
        for (let i = 0; i < w; i++) {
          if (arena[o + i] !== cfg[i]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.inserted = false;
          return s;
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
    table[p] = s + 1;
    this.inserted = true;
    if (this.size * 2 > this.mask) this.rehash();
    return s;
  }

  inserted = false;

  /** The encoding of state `s` (a view into the arena, valid until the next insertion). */
  cfgAt(s: number): Uint8Array {
    return this.arena.subarray(s * this.width, (s + 1) * this.width);
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
    this.table = new Int32Array(old.length * 2);
    this.mask = this.table.length - 1;
    const w = this.width;
    for (const e of old) {
      if (e === 0) continue;
      const s = e - 1;
      let h = 0x811c9dc5 ^ this.ctx[s]!;
      h = Math.imul(h, 0x01000193);
      for (let i = 0; i < w; i++) {
        h ^= this.arena[s * w + i]!;
        h = Math.imul(h, 0x01000193);
      }
      h ^= h >>> 15;
      let p = h & this.mask;
      while (this.table[p] !== 0) p = (p + 1) & this.mask;
      this.table[p] = e;
    }
  }
}
