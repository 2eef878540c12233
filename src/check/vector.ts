// Collapse compression (as SPIN's -DCOLLAPSE): a state is cut into components, each object's
// part of the encoding (a top-level region's slots) and each object's part of the context (a
// top-level field, an array field element by element); each component value is stored once in
// a table of its kind and a state is the vector of their ids, three bytes each. States that
// differ in one vcpu share every other component, so bytes per state fall as objects are added.
// A component value is flattened to int32s by a shape taken from the initial state (objects
// with fixed keys, arrays of fixed length, integer, boolean or dictionary-coded leaves: other
// primitives, a null that may become a record, and an empty record or array that may gain keys
// or items, coded by a hash of their JSON, the same in every worker); a context that leaves
// the shape (a key added, an array grown, a fraction where an integer was) is refused with
// `ShapeError` naming the path, never stored wrongly. Records equal but for the order of their
// keys are one state here (JSON text would tell them apart; no shipped machine reorders keys,
// as the differential test shows). The table keeps the JS object it first
// saw for each id (the machines never mutate a stored context), so decoding a state allocates
// only its top-level record and arrays, and a successor's unchanged parts are found by identity.
import type { Compiled } from './compile.ts';

export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** A dictionary leaf's value learnt by a layout: the leaf (its index in the layout), the code, the value. */
export type DictEntry = [number, number, unknown];

type Shape =
  | { kind: 'int' }
  | { kind: 'bool' }
  | { kind: 'dict'; values: Map<number, unknown>; codes: Map<unknown, number>; index?: number; log?: DictEntry[] }
  | { kind: 'object'; keys: string[]; fields: Shape[] }
  | { kind: 'array'; items: Shape[] };

function shapeOf(v: unknown, path: string): Shape {
  // an empty record or array is where a machine adds keys or items (kthread.ts: a thread's locals, the locks it holds): one leaf, coded by its JSON
  if ((Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0)) return { kind: 'dict', values: new Map(), codes: new Map() };
  if (typeof v === 'number' && Number.isInteger(v) && (v | 0) === v) return { kind: 'int' };
  if (typeof v === 'boolean') return { kind: 'bool' };
  if (Array.isArray(v)) return { kind: 'array', items: v.map((x, i) => shapeOf(x, `${path}[${i}]`)) };
  if (v !== null && typeof v === 'object') {
    const p = Object.getPrototypeOf(v);
    if (p !== Object.prototype && p !== null) throw new ShapeError(`context ${path || '(root)'} is a ${p?.constructor?.name ?? 'class instance'}, not plain data`);
    const keys = Object.keys(v);
    return { kind: 'object', keys, fields: keys.map((k) => shapeOf((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k)) };
  }
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') throw new ShapeError(`context ${path || '(root)'} holds a ${typeof v}`);
  return { kind: 'dict', values: new Map(), codes: new Map() };
}

const signature = (s: Shape): string =>
  s.kind === 'object' ? `{${s.keys.map((k, i) => `${JSON.stringify(k)}:${signature(s.fields[i]!)}`).join(',')}}` : s.kind === 'array' ? `[${s.items.map(signature).join(',')}]` : s.kind;

const width = (s: Shape): number => (s.kind === 'object' ? s.fields.reduce((n, f) => n + width(f), 0) : s.kind === 'array' ? s.items.reduce((n, f) => n + width(f), 0) : 1);

/** Writes `v` by shape `s` into `out` from `at`; returns the next position. */
function encode(s: Shape, v: any, out: Int32Array, at: number, path: string): number {
  switch (s.kind) {
    case 'int':
      if (typeof v !== 'number' || (v | 0) !== v) throw new ShapeError(`context ${path} is ${JSON.stringify(v)}, where the initial state has an integer`);
      out[at] = v;
      return at + 1;
    case 'bool':
      if (typeof v !== 'boolean') throw new ShapeError(`context ${path} is ${JSON.stringify(v)}, where the initial state has a boolean`);
      out[at] = v ? 1 : 0;
      return at + 1;
    case 'dict':
      if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') throw new ShapeError(`context ${path} holds a ${typeof v}`);
      out[at] = dictCode(s, v);
      return at + 1;
    case 'array':
      if (!Array.isArray(v) || v.length !== s.items.length) throw new ShapeError(`context ${path} is no longer an array of ${s.items.length}`);
      for (let i = 0; i < s.items.length; i++) at = encode(s.items[i]!, v[i], out, at, path);
      return at;
    case 'object': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ShapeError(`context ${path} is no longer a record`);
      let n = 0;
      for (const _ in v) n++;
      if (n !== s.keys.length) throw new ShapeError(`context ${path} has keys ${JSON.stringify(Object.keys(v))}, the initial state ${JSON.stringify(s.keys)}`);
      for (let i = 0; i < s.keys.length; i++) {
        const k = s.keys[i]!;
        if (!(k in v)) throw new ShapeError(`context ${path} lost its key '${k}'`);
        at = encode(s.fields[i]!, v[k], out, at, path);
      }
      return at;
    }
  }
}

/**
 * `encode` as straight-line code generated for one shape (a component's): the fields read by
 * name, every check kept; returns -1 where `encode` would throw (it is then called for the
 * message). Undefined where code generation from strings is disallowed.
 */
function encoder(s: Shape): ((v: unknown, out: Int32Array, at: number) => number) | undefined {
  const dicts: Shape[] = [];
  let vars = 0;
  const body: string[] = [];
  const emit = (sh: Shape, v: string): void => {
    switch (sh.kind) {
      case 'int':
        body.push(`if (typeof ${v} !== 'number' || (${v} | 0) !== ${v}) return -1; out[at++] = ${v};`);
        return;
      case 'bool':
        body.push(`if (${v} === true) out[at++] = 1; else if (${v} === false) out[at++] = 0; else return -1;`);
        return;
      case 'dict':
        dicts.push(sh);
        body.push(`if (typeof ${v} === 'function' || typeof ${v} === 'symbol' || typeof ${v} === 'bigint') return -1; out[at++] = code(dicts[${dicts.length - 1}], ${v});`);
        return;
      case 'array': {
        body.push(`if (!Array.isArray(${v}) || ${v}.length !== ${sh.items.length}) return -1;`);
        sh.items.forEach((item, i) => {
          const x = `v${++vars}`;
          body.push(`const ${x} = ${v}[${i}];`);
          emit(item, x);
        });
        return;
      }
      case 'object': {
        const n = `n${++vars}`;
        body.push(`if (${v} === null || typeof ${v} !== 'object' || Array.isArray(${v})) return -1;`);
        body.push(`let ${n} = 0; for (const k in ${v}) ${n}++; if (${n} !== ${sh.keys.length}) return -1;`);
        sh.keys.forEach((k, i) => {
          const x = `v${++vars}`;
          body.push(`if (!(${JSON.stringify(k)} in ${v})) return -1; const ${x} = ${v}[${JSON.stringify(k)}];`);
          emit(sh.fields[i]!, x);
        });
        return;
      }
    }
  };
  emit(s, 'v0');
  body.push('return at;');
  try {
    const f = new Function('dicts', 'code', `return function encode(v0, out, at) {\n${body.join('\n')}\n};`);
    return f(dicts, dictCode) as (v: unknown, out: Int32Array, at: number) => number;
  } catch (e) {
    if (e instanceof EvalError) return undefined;
    throw e;
  }
}

/**
 * The code of a dictionary leaf's value: primitives by value, records and arrays (a nullable
 * record) by their JSON. The code is a hash of that text, so it is the same in every worker,
 * process and search (worker threads exchange rows; swarm files compare content hashes); two
 * values that hash alike are refused here, and across workers when their dictionaries meet
 * (`adoptDictionaries`), never conflated.
 */
function dictCode(s: Shape & { kind: 'dict' }, v: unknown): number {
  const key = v !== null && typeof v === 'object' ? '\u0000' + JSON.stringify(v) : v;
  let c = s.codes.get(key);
  if (c === undefined) {
    c = textHash(typeof key === 'string' ? 's' + key : `${typeof key}:${String(key)}`);
    const other = s.values.get(c);
    if (other !== undefined || s.values.has(c)) throw new ShapeError(`two values of a dictionary-coded context leaf hash alike (${JSON.stringify(other) ?? 'undefined'} and ${JSON.stringify(v) ?? 'undefined'}); run without --workers and --swarm`);
    s.values.set(c, v);
    s.codes.set(key, c);
    s.log?.push([s.index!, c, v]);
  }
  return c;
}

/** FNV-1a over the UTF-16 code units, then mixed. */
function textHash(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Every dictionary leaf of a shape, in a fixed order. */
function dictsOf(s: Shape, out: (Shape & { kind: 'dict' })[] = []): (Shape & { kind: 'dict' })[] {
  if (s.kind === 'dict') out.push(s);
  else if (s.kind === 'object') for (const f of s.fields) dictsOf(f, out);
  else if (s.kind === 'array') for (const f of s.items) dictsOf(f, out);
  return out;
}

/** The value of shape `s` stored at `data[at..]`, and the next position. */
function decode(s: Shape, data: Int32Array, at: number): [unknown, number] {
  switch (s.kind) {
    case 'int':
      return [data[at]!, at + 1];
    case 'bool':
      return [data[at] === 1, at + 1];
    case 'dict':
      return [s.values.get(data[at]!), at + 1];
    case 'array': {
      const a: unknown[] = [];
      for (const item of s.items) {
        const [x, next] = decode(item, data, at);
        a.push(x);
        at = next;
      }
      return [a, at];
    }
    case 'object': {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < s.keys.length; i++) {
        const [x, next] = decode(s.fields[i]!, data, at);
        o[s.keys[i]!] = x;
        at = next;
      }
      return [o, at];
    }
  }
}

/** Values of one kind of component: int32 rows of a fixed width, found by hash, ids from 0. */
export class ComponentTable {
  readonly width: number;
  size = 0;
  data: Int32Array;
  hashes: Int32Array;
  private table: Int32Array;
  private mask: number;
  /** The JS value of each id (context components), built by decoding when not seen as an object. */
  objects: unknown[] = [];

  /** The shape's generated encoder (context components), if code generation is allowed. */
  readonly encode: ((v: unknown, out: Int32Array, at: number) => number) | undefined;

  constructor(width: number, readonly shape: Shape | undefined) {
    this.width = width;
    this.encode = shape ? encoder(shape) : undefined;
    this.data = new Int32Array(Math.max(1, width) * 256);
    this.hashes = new Int32Array(256);
    this.table = new Int32Array(512);
    this.mask = 511;
  }

  /** The id of row `row[at..at+width)` (hash `h`, as `hashRow` gives it), inserting it when new. */
  intern(row: Int32Array, at: number, h: number): number {
    const w = this.width;
    const data = this.data;
    let p = h & this.mask;
    for (;;) {
      const e = this.table[p]!;
      if (e === 0) break;
      if (this.hashes[e - 1] === h) {
        const o = (e - 1) * w;
        let i = 0;
        while (i < w && data[o + i] === row[at + i]) i++;
        if (i === w) return e - 1;
      }
      p = (p + 1) & this.mask;
    }
    const id = this.size++;
    if (id >= MAX_ID) throw new ShapeError(`more than ${MAX_ID} distinct values of one component`);
    if ((id + 1) * w > this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    if (id >= this.hashes.length) {
      const d = new Int32Array(this.hashes.length * 2);
      d.set(this.hashes);
      this.hashes = d;
    }
    this.data.set(row.subarray(at, at + w), id * w);
    this.hashes[id] = h;
    this.table[p] = id + 1;
    if (this.size * 2 > this.mask) this.rehash();
    return id;
  }

  /** The JS value of id `id` (context components). */
  object(id: number): unknown {
    let o = this.objects[id];
    if (o === undefined && this.shape) {
      o = decode(this.shape, this.data, id * this.width)[0];
      this.objects[id] = o;
    }
    return o;
  }

  get bytes(): number {
    return this.data.byteLength + this.hashes.byteLength + this.table.byteLength;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    this.mask = this.table.length - 1;
    for (let id = 0; id < this.size; id++) {
      let p = this.hashes[id]! & this.mask;
      while (this.table[p] !== 0) p = (p + 1) & this.mask;
      this.table[p] = id + 1;
    }
  }
}

/** Ids take three bytes in a state vector. */
export const ID_BYTES = 3;
const MAX_ID = 1 << 24;

export function hashRow(row: Int32Array, at: number, w: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w; i++) h = Math.imul(h ^ row[at + i]!, 0x01000193);
  return h ^ (h >>> 15);
}

/** One component: a run of encoding slots, or a context field (an element of a top-level array field). */
interface Part {
  /** encoding slots [start, end), or context */
  start: number;
  end: number;
  /** top-level context key, and the element index when the field is an array split per element (-1: whole field) */
  key: string | undefined;
  element: number;
  table: ComponentTable;
  /** position of its id in the state vector */
  at: number;
  /** the other context parts with the same table */
  siblings: Part[];
}

/**
 * How the states of one compiled machine are cut into components, with their tables: the
 * top-level regions of the encoding (one component when the root is not parallel) and the
 * top-level context fields, array fields element by element; parts of the same shape share a
 * table (the vm0 and vm1 regions, every vms[i]).
 */
export class Layout {
  readonly parts: Part[] = [];
  readonly cfgParts: Part[] = [];
  readonly ctxParts: Part[] = [];
  /** Bytes of a state vector. */
  readonly vectorBytes: number;
  /** Ints of a flattened state (every component's row, for a message to another shard). */
  readonly rowInts: number;
  readonly tables: ComponentTable[] = [];
  /** The context is not a record: one component, the whole of it. */
  private readonly whole: boolean;
  private readonly rootKeys: string[];
  private readonly arrays: Map<string, number>;
  /** scratch: the flattened row of one component */
  private readonly scratch: Int32Array;

  constructor(readonly compiled: Compiled) {
    const tables = new Map<string, ComponentTable>();
    const tableFor = (sig: string, w: number, shape: Shape | undefined) => {
      let t = tables.get(sig);
      if (!t) {
        t = new ComponentTable(w, shape);
        tables.set(sig, t);
        this.tables.push(t);
      }
      return t;
    };
    const root = compiled.machine.root as { type: string; states: Record<string, { id: string }> };
    const regions = root.type === 'parallel' ? Object.values(root.states).map((s) => compiled.subtree(s.id)!).filter((r) => r.end > r.start) : [{ start: 0, end: compiled.slots, shape: 'root' }];
    for (const r of regions) {
      const part: Part = { start: r.start, end: r.end, key: undefined, element: -1, table: tableFor(`cfg:${r.shape.replace(/^[^:]*/, '')}`, r.end - r.start, undefined), at: 0, siblings: [] };
      this.parts.push(part);
      this.cfgParts.push(part);
    }
    const context = compiled.initial.context;
    const plain = context !== null && typeof context === 'object' && !Array.isArray(context) && [Object.prototype, null].includes(Object.getPrototypeOf(context));
    this.whole = !plain;
    this.rootKeys = plain ? Object.keys(context as object) : [];
    this.arrays = new Map();
    if (!plain) {
      const shape = shapeOf(context, '');
      const part: Part = { start: 0, end: 0, key: undefined, element: -1, table: tableFor(`ctx:${signature(shape)}`, width(shape), shape), at: 0, siblings: [] };
      this.parts.push(part);
      this.ctxParts.push(part);
    } else {
      for (const key of this.rootKeys) {
        const v = (context as Record<string, unknown>)[key];
        const elements = Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object') ? v : undefined;
        if (elements) this.arrays.set(key, elements.length);
        for (const [element, x] of elements ? elements.map((x, i) => [i, x] as const) : [[-1, v] as const]) {
          const shape = shapeOf(x, element < 0 ? key : `${key}[${element}]`);
          const sig = `ctx:${signature(shape)}`;
          const part: Part = { start: 0, end: 0, key, element, table: tableFor(sig, width(shape), tables.get(sig)?.shape ?? shape), at: 0, siblings: [] };
          this.parts.push(part);
          this.ctxParts.push(part);
        }
      }
    }
    this.parts.forEach((p, i) => (p.at = i * ID_BYTES));
    for (const t of this.tables) {
      for (const d of t.shape ? dictsOf(t.shape) : []) {
        d.index = this.dicts.length;
        d.log = this.dictLog;
        this.dicts.push(d);
      }
    }
    for (const p of this.ctxParts) p.siblings = this.ctxParts.filter((q) => q !== p && q.table === p.table);
    this.vectorBytes = this.parts.length * ID_BYTES;
    this.rowInts = this.parts.reduce((n, p) => n + 1 + p.table.width, 0);
    this.scratch = new Int32Array(Math.max(1, ...this.tables.map((t) => t.width)));
  }

  /** The context value of part `p` in context `c`. */
  private valueOf(p: Part, c: any): unknown {
    if (p.key === undefined) return c;
    const v = c[p.key];
    return p.element < 0 ? v : v?.[p.element];
  }

  /**
   * Writes the vector of (cfg, context) into `out`. `prev`: the vector of a state whose
   * context objects are `prevContext` (the parent), so a part whose value is the same object
   * (or the same object as another part of the parent with the same table) reuses its id;
   * `prevCfg`: the parent's encoding, so a region whose slots it left alone reuses its id too.
   */
  encodeState(cfg: Uint8Array, context: unknown, out: Uint8Array, prev?: Uint8Array, prevContext?: unknown, prevCfg?: Uint8Array): void {
    const s = this.scratch;
    for (const p of this.cfgParts) {
      const w = p.end - p.start;
      if (prev && prevCfg) {
        let i = 0;
        while (i < w && cfg[p.start + i] === prevCfg[p.start + i]) i++;
        if (i === w) {
          out[p.at] = prev[p.at]!;
          out[p.at + 1] = prev[p.at + 1]!;
          out[p.at + 2] = prev[p.at + 2]!;
          continue;
        }
      }
      for (let i = 0; i < w; i++) s[i] = cfg[p.start + i]!;
      writeId(out, p.at, p.table.intern(s, 0, hashRow(s, 0, w)));
    }
    if (!this.whole) {
      if (context === null || typeof context !== 'object') throw new ShapeError('the context is no longer a record');
      let n = 0;
      for (const _ in context as object) n++;
      if (n !== this.rootKeys.length) throw new ShapeError(`the context has keys ${JSON.stringify(Object.keys(context as object))}, the initial state ${JSON.stringify(this.rootKeys)}`);
      for (const [key, length] of this.arrays) {
        const v = (context as Record<string, unknown>)[key];
        if (!Array.isArray(v) || v.length !== length) throw new ShapeError(`context ${key} is no longer an array of ${length}`);
      }
    }
    for (const p of this.ctxParts) {
      const v = this.valueOf(p, context);
      let id = -1;
      if (prev && prevContext !== undefined) {
        // the parent's part at the same place, else its other parts of the same table (a value a permutation moved)
        if (this.valueOf(p, prevContext) === v) id = readId(prev, p.at);
        else {
          for (const q of p.siblings) {
            if (this.valueOf(q, prevContext) === v) {
              id = readId(prev, q.at);
              break;
            }
          }
        }
      }
      if (id < 0) {
        const w = p.table.width;
        if (!p.table.encode || p.table.encode(v, s, 0) < 0) encode(p.table.shape!, v, s, 0, p.key === undefined ? '(root)' : p.element < 0 ? p.key : `${p.key}[${p.element}]`);
        id = p.table.intern(s, 0, hashRow(s, 0, w));
        if (p.table.objects[id] === undefined) p.table.objects[id] = v;
      }
      writeId(out, p.at, id);
    }
  }

  /** The encoding of vector `v` (at `at` in `vectors`) into `cfg`. */
  cfgOf(vectors: Uint8Array, at: number, cfg: Uint8Array): Uint8Array {
    for (const p of this.cfgParts) {
      const id = readId(vectors, at + p.at);
      const w = p.end - p.start;
      const d = p.table.data;
      for (let i = 0; i < w; i++) cfg[p.start + i] = d[id * w + i]!;
    }
    return cfg;
  }

  /** The context of vector `v` (at `at` in `vectors`): stored component objects in a fresh top-level record. */
  contextOf(vectors: Uint8Array, at: number): unknown {
    if (this.whole) {
      const p = this.ctxParts[0]!;
      return p.table.object(readId(vectors, at + p.at));
    }
    const out: Record<string, unknown> = {};
    for (const key of this.rootKeys) out[key] = undefined;
    for (const [key, length] of this.arrays) out[key] = new Array(length);
    for (const p of this.ctxParts) {
      const v = p.table.object(readId(vectors, at + p.at));
      if (p.element < 0) out[p.key!] = v;
      else (out[p.key!] as unknown[])[p.element] = v;
    }
    return out;
  }

  /** Flattens vector `v` into `row` from `at`: per part, the hash of its row, then the row (what another shard needs to intern it). */
  rowOf(vectors: Uint8Array, vAt: number, row: Int32Array, at: number): number {
    for (const p of this.parts) {
      const id = readId(vectors, vAt + p.at);
      const t = p.table;
      row[at++] = t.hashes[id]!;
      row.set(t.data.subarray(id * t.width, (id + 1) * t.width), at);
      at += t.width;
    }
    return at;
  }

  /** The vector of a flattened state (as `rowOf` wrote it) into `out`, interning its parts here. */
  vectorOfRow(row: Int32Array, at: number, out: Uint8Array): number {
    for (const p of this.parts) {
      const h = row[at++]!;
      writeId(out, p.at, p.table.intern(row, at, h));
      at += p.table.width;
    }
    return at;
  }

  /** A hash of the state's content (not of its ids, which differ between shards): which shard owns it. */
  contentHash(vectors: Uint8Array, at: number): number {
    let h = 0x9e3779b9;
    for (const p of this.parts) h = Math.imul(h ^ p.table.hashes[readId(vectors, at + p.at)]!, 0x01000193);
    return (h ^ (h >>> 13)) >>> 0;
  }

  /** Takes over the tables another layout of the same machine filled (a worker's, transferred). */
  /**
   * Every dictionary value this layout has learnt, in order: a worker sends the entries after
   * the ones a peer has seen with each batch of rows, since a row holds only their codes.
   */
  readonly dictLog: DictEntry[] = [];
  private readonly dicts: (Shape & { kind: 'dict' })[] = [];

  /** Learns another layout's dictionary values (a peer's, a worker's): a code that means another value here is refused. */
  adoptDictionaries(entries: readonly DictEntry[]): void {
    for (const [k, code, v] of entries) {
      const d = this.dicts[k]!;
      const key = v !== null && typeof v === 'object' ? '\u0000' + JSON.stringify(v) : v;
      const had = d.codes.get(key);
      if (had === code) continue;
      if (had !== undefined || d.values.has(code)) throw new ShapeError(`two values of a dictionary-coded context leaf hash alike in different workers (${JSON.stringify(v) ?? 'undefined'}); run without --workers`);
      d.values.set(code, v);
      d.codes.set(key, code);
      this.dictLog.push([k, code, v]);
    }
  }

  adopt(tables: readonly { data: Int32Array; hashes: Int32Array; size: number }[]): void {
    tables.forEach((t, i) => {
      const c = this.tables[i]!;
      c.data = t.data;
      c.hashes = t.hashes;
      c.size = t.size;
      c.objects = [];
    });
  }

  /** Two independent 32-bit hashes of the state's content (the same in every process and search, unlike its ids). */
  contentHashes(vectors: Uint8Array, at: number): [number, number] {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (const p of this.parts) {
      const h = p.table.hashes[readId(vectors, at + p.at)]!;
      a = Math.imul(a ^ h, 0x01000193);
      b = Math.imul(b ^ h, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a ^= a >>> 16;
    a = Math.imul(a, 0x85ebca6b);
    a ^= a >>> 13;
    b = Math.imul(b, 0xc2b2ae35);
    b ^= b >>> 16;
    return [a | 0, b | 0];
  }

  get tableBytes(): number {
    return this.tables.reduce((n, t) => n + t.bytes, 0);
  }
}

export function writeId(out: Uint8Array, at: number, id: number): void {
  out[at] = id & 0xff;
  out[at + 1] = (id >>> 8) & 0xff;
  out[at + 2] = id >>> 16;
}

export function readId(v: Uint8Array, at: number): number {
  return v[at]! | (v[at + 1]! << 8) | (v[at + 2]! << 16);
}
