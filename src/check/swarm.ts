// Swarm verification (as SPIN's swarm): when the exhaustive search is out of reach, many small
// independent searches, each a depth-first search bounded in states and depth, with its own
// seed choosing the order events are tried in every state, and a hash-compacted visited set
// (64 bits per state: a state wrongly taken for visited is skipped, so a search may miss
// states, never report one it did not reach). Each search checks every invariant on every state
// it visits; a violation is kept with the path that reached it, renamed into a concrete trace
// and replayed through xstate. A search writes what a merge needs: its figures, its violations,
// and a 1/64 sample of the hashes it visited (the states whose hash has its top 6 bits zero),
// from which `mergeSwarm` counts the distinct states all searches visited and estimates how
// many there are (Chao1 over how many searches saw each sampled state: a lower bound, and
// searches that favour the same states, as depth-first ones from one initial state do, make it
// lower still; measured: 39,485 estimated where 58,070 are reachable). It is not a proof:
// an invariant no search broke may still be broken in a state none reached.
import type { EventObject } from 'xstate';
import type { AbstractState, Model } from '../spec.ts';
import { reduces } from './explore.ts';
import type { ModelRecipe } from './recipe.ts';
import { compiledOf } from './scaled.ts';
import { Canonicaliser, compareStates } from './symmetry.ts';
import { Layout } from './vector.ts';

export interface SwarmOptions {
  /** The first search's seed; search k uses seed + k. */
  seed: number;
  searches: number;
  /** States each search visits at most. */
  maxStates: number;
  /** Depth each search goes to at most. */
  maxDepth: number;
  symmetry?: boolean;
}

export interface SearchFigures {
  seed: number;
  states: number;
  transitions: number;
  maxDepth: number;
  /** The search stopped at its state bound (else it ran out of states within its depth bound). */
  limitReached: boolean;
  /** States whose successors the depth bound cut off. */
  cutOff: number;
  millis: number;
  /** Base64 of the sorted low 32 bits of the hashes of sampled states (1 in 64). */
  sample: string;
}

export interface SwarmViolation {
  property: string;
  seed: number;
  /** Concrete events (indices into the model's events) from the initial state; replayed, the last state violates the property. */
  events: number[];
}

export interface SwarmFile {
  tool: 's390-kvm-spec';
  kind: 'swarm';
  version: 1;
  machine: string;
  variant: string;
  configuration: string;
  recipe: ModelRecipe;
  /** Identifies the model: a hash of its events and initial context (files of different models do not merge). */
  fingerprint: string;
  symmetry: boolean;
  maxStates: number;
  maxDepth: number;
  /** Invariants searched, with whether the variant expects each to hold. */
  invariants: { property: string; expected: boolean }[];
  searches: SearchFigures[];
  violations: SwarmViolation[];
}

/** 1 in 2^SAMPLE_BITS visited states is sampled for the coverage estimate. */
const SAMPLE_BITS = 6;

/** mulberry32: a small seeded generator, the same sequence on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A hash-compacted set: pairs of 32-bit hashes in open addressing (a fixed capacity). */
class HashSet64 {
  private readonly table: Int32Array;
  private readonly mask: number;
  constructor(capacity: number) {
    let n = 1024;
    while (n < capacity * 2) n *= 2;
    this.table = new Int32Array(2 * n);
    this.mask = n - 1;
  }
  /** Adds (h1, h2), h2 never 0; whether it was new. */
  add(h1: number, h2: number): boolean {
    let p = h1 & this.mask;
    for (;;) {
      const b = this.table[2 * p + 1]!;
      if (b === 0) {
        this.table[2 * p] = h1;
        this.table[2 * p + 1] = h2;
        return true;
      }
      if (b === h2 && this.table[2 * p] === h1) return false;
      p = (p + 1) & this.mask;
    }
  }
}

function hashes(v: Uint8Array): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < v.length; i++) {
    a = Math.imul(a ^ v[i]!, 0x01000193);
    b = Math.imul(b ^ v[i]!, 0x5bd1e995);
    b ^= b >>> 13;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 15), 0xc2b2ae35);
  b ^= b >>> 16;
  return [a | 0, b | 0 || 1];
}

/** A model's fingerprint: events and initial context, hashed. */
export function fingerprint(model: Model): string {
  const compiled = compiledOf(model);
  const text = JSON.stringify([model.machineId, model.variantId, model.configurationId, model.events, compiled.initial.context, model.invariants.map((i) => i.name)]);
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995) ^ (b >>> 13);
  }
  return ((a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0'));
}

interface Frame {
  cfg: Uint8Array;
  context: unknown;
  order: Int32Array;
  next: number;
  /** the event (index) that led here from the frame below */
  via: number;
}

/** One bounded random-order depth-first search. */
export function search(model: Model, seed: number, options: Omit<SwarmOptions, 'seed' | 'searches'>): { figures: SearchFigures; violations: SwarmViolation[] } {
  const started = performance.now();
  const compiled = compiledOf(model);
  const layout = new Layout(compiled);
  const symmetric = reduces(model, { ...(options.symmetry !== undefined ? { symmetry: options.symmetry } : {}) });
  const canon = symmetric ? new Canonicaliser(compiled, model.symmetry!.groups) : undefined;
  const rnd = random(seed);
  const events = model.events;
  const ids = events.map((e) => compiled.eventId(e.type));
  const visited = new HashSet64(options.maxStates);
  const vec = new Uint8Array(layout.vectorBytes);
  const sample: number[] = [];
  const found = new Map<string, SwarmViolation>();
  const values = new Map<string, unknown>();
  let states = 0;
  let transitions = 0;
  let maxDepth = 0;
  let cutOff = 0;
  let limitReached = false;

  const shuffled = (): Int32Array => {
    const o = new Int32Array(events.length);
    for (let i = 0; i < o.length; i++) o[i] = i;
    for (let i = o.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const t = o[i]!;
      o[i] = o[j]!;
      o[j] = t;
    }
    return o;
  };
  const stack: Frame[] = [];
  // a new state (reached from the top of the stack by event `via`): count, sample, check; false when already visited
  const visit = (cfg: Uint8Array, context: unknown, via: number): boolean => {
    layout.encodeState(cfg, context, vec);
    const [h1, h2] = hashes(vec);
    if (!visited.add(h1, h2)) return false;
    states++;
    const [c1, c2] = layout.contentHashes(vec, 0);
    if (c1 >>> (32 - SAMPLE_BITS) === 0) sample.push(c2 >>> 0);
    const key = cfg.join(',');
    let value = values.get(key);
    if (value === undefined) values.set(key, (value = compiled.value(cfg)));
    const st = { value, context } as AbstractState<unknown>;
    for (const inv of model.invariants) {
      if (found.has(inv.name) || inv.holds(st)) continue;
      const path = [...stack.slice(1), { cfg, context, via }].filter((f) => f.via >= 0);
      found.set(inv.name, { property: inv.name, seed, events: concretise(model, canon, path) });
    }
    return true;
  };

  const canonical = (cfg: Uint8Array, context: unknown): [Uint8Array, unknown] => (canon && canon.apply(cfg, context) ? [canon.cfg, canon.context] : [cfg, context]);
  const [c0, x0] = canonical(compiled.initial.cfg, compiled.initial.context);
  visit(c0, x0, -1);
  stack.push({ cfg: c0.slice(), context: x0, order: shuffled(), next: 0, via: -1 });
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.next >= events.length) {
      stack.pop();
      continue;
    }
    const e = top.order[top.next++]!;
    const next = compiled.step(top.cfg, top.context, events[e] as EventObject, ids[e]);
    if (!next) continue;
    transitions++;
    const [c, x] = canonical(next, compiled.context);
    const copy = c.slice();
    if (!visit(copy, x, e)) continue;
    if (states >= options.maxStates) {
      limitReached = true;
      break;
    }
    if (stack.length >= options.maxDepth) {
      cutOff++;
      continue;
    }
    stack.push({ cfg: copy, context: x, order: shuffled(), next: 0, via: e });
    if (stack.length - 1 > maxDepth) maxDepth = stack.length - 1;
  }
  sample.sort((a, b) => a - b);
  return {
    figures: { seed, states, transitions, maxDepth, limitReached, cutOff, millis: Math.round(performance.now() - started), sample: Buffer.from(Uint32Array.from(sample).buffer).toString('base64') },
    violations: [...found.values()],
  };
}

/**
 * Concrete events along a path of (canonical) states from the initial state: `path[k]` is
 * reached by event `path[k].via`. Without symmetry these are the events; with it, each step's
 * concrete event is the first (the path's own first) that leads into the orbit of the next
 * state. With an approximate group a step may have none: the events up to there are returned.
 */
function concretise(model: Model, canon: Canonicaliser | undefined, path: readonly { cfg: Uint8Array; context: unknown; via: number }[]): number[] {
  if (!canon) return path.map((f) => f.via);
  const compiled = canon.compiled;
  const ids = model.events.map((e) => compiled.eventId(e.type));
  const out: number[] = [];
  let cfg = compiled.initial.cfg.slice();
  let context = compiled.initial.context;
  for (const t of path) {
    let found = -1;
    for (let j = -1; j < model.events.length && found < 0; j++) {
      const e = j < 0 ? t.via : j;
      if (j === t.via) continue;
      const next = compiled.step(cfg, context, model.events[e]!, ids[e]);
      if (!next) continue;
      const nextContext = compiled.context;
      canon.apply(next, nextContext);
      if (compareStates(canon.cfg, canon.context, t.cfg, t.context) !== 0) continue;
      found = e;
      cfg = next.slice();
      context = nextContext;
    }
    if (found < 0) return out;
    out.push(found);
  }
  return out;
}

/** All searches of one swarm run, as the file a merge reads. */
export function runSwarm(model: Model, recipe: ModelRecipe, options: SwarmOptions): SwarmFile {
  const symmetry = reduces(model, { ...(options.symmetry !== undefined ? { symmetry: options.symmetry } : {}) });
  const searches: SearchFigures[] = [];
  const violations: SwarmViolation[] = [];
  for (let k = 0; k < options.searches; k++) {
    const r = search(model, options.seed + k, { maxStates: options.maxStates, maxDepth: options.maxDepth, symmetry });
    searches.push(r.figures);
    violations.push(...r.violations);
  }
  return {
    tool: 's390-kvm-spec',
    kind: 'swarm',
    version: 1,
    machine: model.machineId,
    variant: model.variantId,
    configuration: model.configurationId,
    recipe,
    fingerprint: fingerprint(model),
    symmetry,
    maxStates: options.maxStates,
    maxDepth: options.maxDepth,
    invariants: model.invariants.map((i) => ({ property: i.name, expected: !model.expectedViolations.includes(i.name) })),
    searches,
    violations,
  };
}

export class SwarmFileError extends Error {
  override name = 'SwarmFileError';
}

/** Reads a swarm result file's JSON, checking its shape; the message names the file and what is wrong. */
export function parseSwarmFile(name: string, text: string): SwarmFile {
  let v: any;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SwarmFileError(`${name}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const bad = (what: string) => new SwarmFileError(`${name}: not a swarm result file of s390-kvm-spec (${what}); write one with check --swarm N --seed S --report DIR`);
  if (!v || v.tool !== 's390-kvm-spec' || v.kind !== 'swarm') throw bad('no tool/kind swarm');
  if (v.version !== 1) throw bad(`version ${JSON.stringify(v.version)}, this merge reads version 1`);
  for (const k of ['machine', 'variant', 'configuration', 'fingerprint']) if (typeof v[k] !== 'string') throw bad(`${k} missing`);
  if (!v.recipe || typeof v.recipe.machine !== 'string') throw bad('recipe missing');
  if (!Array.isArray(v.invariants) || !v.invariants.every((i: any) => typeof i?.property === 'string' && typeof i?.expected === 'boolean')) throw bad('invariants malformed');
  if (!Array.isArray(v.searches) || !v.searches.every((s: any) => ['seed', 'states', 'transitions', 'maxDepth', 'cutOff', 'millis'].every((k) => Number.isInteger(s?.[k])) && typeof s.sample === 'string' && typeof s.limitReached === 'boolean')) throw bad('searches malformed');
  if (!Array.isArray(v.violations) || !v.violations.every((x: any) => typeof x?.property === 'string' && Number.isInteger(x?.seed) && Array.isArray(x?.events) && x.events.every(Number.isInteger))) throw bad('violations malformed');
  return v as SwarmFile;
}

export interface SwarmSummary {
  machine: string;
  variant: string;
  configuration: string;
  recipe: ModelRecipe;
  files: number;
  searches: number;
  /** Seeds that ran more than once (the same search twice adds nothing). */
  repeatedSeeds: number[];
  /** States visited, summed over the searches (a state two searches visited counts twice). */
  visits: number;
  transitions: number;
  /** Distinct states the searches visited together, estimated from the samples. */
  distinct: number;
  /** Reachable states, estimated from below (Chao1 over how many searches saw each sampled state); undefined with too few samples. */
  estimatedTotal: number | undefined;
  results: { property: string; expected: boolean; found: boolean; seed?: number; events?: number[] }[];
  /** Every violation found is expected, every expected one found. */
  matches: boolean;
}

/** Combines swarm files of one model: every violation (the shortest trace per property), the visits, and the coverage estimate. */
export function mergeSwarm(files: readonly { name: string; file: SwarmFile }[]): SwarmSummary {
  if (!files.length) throw new SwarmFileError('merge needs at least one swarm result file');
  const first = files[0]!.file;
  for (const { name, file } of files) {
    if (file.fingerprint !== first.fingerprint) throw new SwarmFileError(`${name} is for ${file.machine}/${file.variant}/${file.configuration} (model ${file.fingerprint}), ${files[0]!.name} for ${first.machine}/${first.variant}/${first.configuration} (model ${first.fingerprint}): merge files of one model`);
  }
  const searches = files.flatMap((f) => f.file.searches);
  const seen = new Map<number, number>();
  for (const s of searches) {
    const u32 = new Uint32Array(Uint8Array.from(Buffer.from(s.sample, 'base64')).buffer);
    let last = -1;
    for (const h of u32) {
      if (h === last) continue; // a search counts a sampled state once
      last = h;
      seen.set(h, (seen.get(h) ?? 0) + 1);
    }
  }
  let f1 = 0;
  let f2 = 0;
  for (const c of seen.values()) {
    if (c === 1) f1++;
    else if (c === 2) f2++;
  }
  const u = seen.size;
  const scale = 2 ** SAMPLE_BITS;
  const chao = f2 > 0 ? u + (f1 * f1) / (2 * f2) : u + (f1 * (f1 - 1)) / 2;
  const seeds = new Map<number, number>();
  for (const s of searches) seeds.set(s.seed, (seeds.get(s.seed) ?? 0) + 1);
  const violations = files.flatMap((f) => f.file.violations);
  const results = first.invariants.map((inv) => {
    const best = violations.filter((v) => v.property === inv.property).sort((a, b) => a.events.length - b.events.length || a.seed - b.seed)[0];
    return { property: inv.property, expected: inv.expected, found: !!best, ...(best ? { seed: best.seed, events: best.events } : {}) };
  });
  return {
    machine: first.machine,
    variant: first.variant,
    configuration: first.configuration,
    recipe: first.recipe,
    files: files.length,
    searches: searches.length,
    repeatedSeeds: [...seeds].filter(([, n]) => n > 1).map(([s]) => s),
    visits: searches.reduce((a, s) => a + s.states, 0),
    transitions: searches.reduce((a, s) => a + s.transitions, 0),
    distinct: Math.round(u * scale),
    // with fewer than 10 sampled states, or with no state seen twice, the estimate says nothing
    estimatedTotal: u >= 10 && f1 < u ? Math.round(chao * scale) : undefined,
    results,
    matches: results.every((r) => r.found === !r.expected),
  };
}
