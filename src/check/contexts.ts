// Contexts interned by value with JSON semantics (the checker's state keys are JSON): a hash
// computed by walking the values (keys left out of the hash, compared in order on a match),
// open addressing, and an exact comparison, so no JSON string is built per transition.
export class ContextTable {
  private readonly set = new ValueSet();
  readonly contexts: unknown[] = this.set.items;
  /** Sub-objects of stored contexts, one per JSON value (hash-consed), with their hashes. */
  private readonly nodes = new NodeTable();

  intern(c: unknown): number {
    const h = this.nodes.hash(c, 0x811c9dc5);
    const known = this.set.find(c, h);
    if (known >= 0) return known;
    this.nodes.shareChildren(c); // same JSON, same hash: the slot `find` left stays right
    return this.set.add(c, h);
  }
}

/** JSON values by hash, open addressing, compared exactly with `same` on a hash match. */
class ValueSet {
  readonly items: unknown[] = [];
  private hashes: Int32Array = new Int32Array(1024);
  private table: Int32Array = new Int32Array(2048);
  private mask = 2047;
  /** where the last `find` stopped: the free slot `add` fills */
  private free = 0;

  /** The index of a value equal to `v` (hash `h`), or -1. */
  find(v: unknown, h: number): number {
    let p = h & this.mask;
    for (;;) {
      const e = this.table[p]!;
      if (e === 0) break;
      if (this.hashes[e - 1] === h && same(this.items[e - 1], v)) return e - 1;
      p = (p + 1) & this.mask;
    }
    this.free = p;
    return -1;
  }

  /** Store `v` (hash `h`) after a `find` that returned -1; its index. */
  add(v: unknown, h: number): number {
    const id = this.items.length;
    this.items.push(v);
    if (id >= this.hashes.length) {
      const b = new Int32Array(this.hashes.length * 2);
      b.set(this.hashes);
      this.hashes = b;
    }
    this.hashes[id] = h;
    this.table[this.free] = id + 1;
    if (this.items.length * 2 > this.mask) this.rehash();
    return id;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    this.mask = this.table.length - 1;
    for (let id = 0; id < this.items.length; id++) {
      let p = this.hashes[id]! & this.mask;
      while (this.table[p] !== 0) p = (p + 1) & this.mask;
      this.table[p] = id + 1;
    }
  }
}

/**
 * Hash-consing of the plain objects and arrays inside stored contexts: a new context's
 * sub-objects are replaced by the stored ones with the same JSON, so contexts share them
 * (memory), a comparison with a context built from a stored one by copying only what changed
 * stops at the shared, identical parts, and a shared sub-object's hash is not recomputed.
 * Stored contexts must not be mutated afterwards (the machines copy a context to change it).
 */
class NodeTable {
  private readonly hashOf = new Map<object, number>();
  private readonly set = new ValueSet();

  /** A hash of a JSON value; an object or array enters it by its own hash (`node`), so a shared one's is reused. */
  hash(v: unknown, h: number): number {
    return typeof v === 'object' && v !== null ? mix(h, this.node(v)) : hash(v, h);
  }

  private node(v: object): number {
    const known = this.hashOf.get(v);
    if (known !== undefined) return known;
    let h = 0x9e3779b9;
    if (Array.isArray(v)) {
      h = mix(h, 0x2000 + v.length);
      for (let i = 0; i < v.length; i++) h = this.hash(jsonArrayItem(v[i]), h);
      return h;
    }
    if (!isPlain(v)) return hash(v, h);
    h = mix(h, 0x3000);
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (omitted(x)) continue;
      h = this.hash(x, h);
    }
    return mix(h, 0x3001);
  }

  /** Replace the plain sub-objects of `v` by their shared equals, sharing the new ones. */
  shareChildren(v: unknown): void {
    if (typeof v !== 'object' || v === null || !(Array.isArray(v) || isPlain(v))) return;
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (typeof x !== 'object' || x === null || this.hashOf.has(x) || !(Array.isArray(x) || isPlain(x))) continue;
      const y = this.share(x);
      if (y !== x) Reflect.set(o, k, y); // false (kept) if the property is read-only
    }
  }

  private share(v: object): object {
    this.shareChildren(v);
    const h = this.node(v);
    const known = this.set.find(v, h);
    if (known >= 0) return this.set.items[known] as object;
    this.set.add(v, h);
    this.hashOf.set(v, h);
    return v;
  }
}

/** Plain objects (not class instances such as Date, whose JSON is their toJSON). */
const isPlain = (v: object) => {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};

const mix = (h: number, x: number) => Math.imul(h ^ x, 0x01000193);

function hash(v: unknown, h: number): number {
  switch (typeof v) {
    case 'number':
      if ((v | 0) === v) return mix(h, v);
      return Number.isFinite(v) ? hashString(String(v), mix(h, 3)) : mix(h, 0x13); // JSON: non-finite is null
    case 'boolean':
      return mix(h, v ? 0x1001 : 0x1002);
    case 'string':
      return hashString(v, mix(h, 5));
    case 'object': {
      if (v === null) return mix(h, 0x13);
      if (Array.isArray(v)) {
        h = mix(h, 0x2000 + v.length);
        for (let i = 0; i < v.length; i++) h = hash(jsonArrayItem(v[i]), h);
        return h;
      }
      h = mix(h, 0x3000);
      const o = v as Record<string, unknown>;
      for (const k in o) {
        const x = o[k];
        if (omitted(x)) continue;
        h = hash(x, h);
      }
      return mix(h, 0x3001);
    }
    default:
      return mix(h, 0x4000); // undefined, functions: dropped by JSON (at top level: no context)
  }
}

function hashString(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

const omitted = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';
/** JSON writes undefined and functions in arrays as null. */
const jsonArrayItem = (x: unknown) => (omitted(x) ? null : x);

/** Equal as JSON.stringify sees them (same keys in the same order, same values). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta !== typeof b) {
    return ta === 'number' && !Number.isFinite(a as number) && b === null || typeof b === 'number' && !Number.isFinite(b) && a === null;
  }
  if (ta === 'number') return (!Number.isFinite(a as number) && !Number.isFinite(b as number)) || a === b || (a === 0 && b === 0);
  if (ta !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(jsonArrayItem(a[i]), jsonArrayItem(b[i]))) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const oa = a as Record<string, unknown>;
  const ob = b as Record<string, unknown>;
  const ka = Object.keys(oa);
  const kb = Object.keys(ob);
  if (ka.length === kb.length) {
    // same keys in the same order and nothing JSON omits: compare pairwise
    let i = 0;
    for (; i < ka.length; i++) {
      const k = ka[i]!;
      if (k !== kb[i]) break;
      const x = oa[k];
      const y = ob[k];
      if (omitted(x) || omitted(y)) break;
      if (!same(x, y)) return false;
    }
    if (i === ka.length) return true;
  }
  return sameSlow(oa, ob);
}

function sameSlow(oa: Record<string, unknown>, ob: Record<string, unknown>): boolean {
  const ka: string[] = [];
  for (const k in oa) if (!omitted(oa[k])) ka.push(k);
  let i = 0;
  for (const k in ob) {
    if (omitted(ob[k])) continue;
    if (ka[i] !== k || !same(oa[k], ob[k])) return false;
    i++;
  }
  return i === ka.length;
}
