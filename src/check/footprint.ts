// Footprints: what each transition of a machine reads and writes, as its `meta.footprint`
// declares (machines/kthread.ts steps, and the regions of a fine-grained configuration), and
// the verification that the declaration is true. `verifyFootprints` explores the model in
// full and runs every step with a recording proxy (once per valuation of what it reads:
// instrument's memo): each guard evaluated and each action run
// is attributed to its transition, and any read or write outside that transition's declared
// footprint, any change of the context the fired transitions did not declare, any raised
// event not declared, fails with a message naming the transition, the path and the
// declaration. Invariants that declare `reads` are checked the same way in every state.
// Transitions without a footprint are not checked: the reduction treats them as dependent
// on everything.
import type { AbstractState, Invariant, InvariantReads, Model, Path } from '../spec.ts';
import type { Compiled, TransitionInfo } from './compile.ts';
import { probe, PROBED } from './probe.ts';

/** A declared footprint found to be wrong, or a declaration that cannot be checked. */
export class FootprintError extends Error {
  override name = 'FootprintError';
}

export interface DeclaredFootprint {
  reads: readonly Path[];
  writes: readonly Path[];
  raises: readonly string[];
  /** What the event's enabledness depends on (default: reads and writes). */
  enables: readonly Path[];
}

/** The footprint a transition declares in `meta.footprint`, or undefined. */
export function declared(t: TransitionInfo): DeclaredFootprint | undefined {
  const fp = t.meta?.['footprint'] as { reads?: Path[]; writes?: Path[]; raises?: string[]; enables?: Path[] } | undefined;
  if (!fp) return undefined;
  const reads = fp.reads ?? [];
  const writes = fp.writes ?? [];
  return { reads, writes, raises: fp.raises ?? [], enables: fp.enables ?? [...reads, ...writes] };
}

/** What an invariant reads in the configuration whose initial state is `initial` (undefined: it does not say, so it reads everything). */
export function invariantReads<C>(inv: Invariant<C>, initial: AbstractState<C>): InvariantReads | undefined {
  return typeof inv.reads === 'function' ? inv.reads(initial) : inv.reads;
}

/** The initial abstract state of a compiled machine. */
export function initialState(compiled: Compiled): AbstractState<unknown> {
  return { value: compiled.value(compiled.initial.cfg) as AbstractState<unknown>['value'], context: compiled.initial.context };
}

/** Whether two paths overlap: one is a prefix of the other, '*' matching any key. */
export function overlaps(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== '*' && b[i] !== '*' && String(a[i]) !== String(b[i])) return false;
  return true;
}

/** Whether `p` lies inside a declared path (a declaration is a prefix of it, '*' matching any key). */
export function covered(p: Path, decl: readonly Path[]): boolean {
  return decl.some((d) => d.length <= p.length && d.every((k, i) => k === '*' || String(k) === String(p[i])));
}

const show = (p: Path) => (p.length ? p.map(String).join('.') : '(the whole context)');

/** What a recording proxy answers with its target (Recorder.unwrap). */
const RAW = Symbol('footprint target');

/**
 * Recording proxies. `wrap(x, at)` gives a proxy of `x` that logs every read (a primitive read
 * through it, a key tested, an object's keys listed) and every write into `log(owner)` with its
 * path from `x`; objects read through it come back wrapped too.
 */
export class Recorder {
  readonly reads = new Map<string, Path[]>();
  readonly writes = new Map<string, Path[]>();
  /** With `shapes` on: the paths where a read found an object (not a logged read: only its presence decided anything), for the memo's valuation. */
  readonly objects = new Map<string, Path[]>();
  shapes = false;
  /** Appended to the owner of reads while set (':enables' while a guard decides enabledness). */
  suffix = '';
  /** Writes are not logged (a guard working on a scratch copy). */
  readOnly = false;

  log(kind: 'reads' | 'writes' | 'objects', owner: string, p: Path): void {
    if (kind === 'writes' && this.readOnly) return;
    if (kind === 'reads') owner += this.suffix;
    const m = this[kind];
    let list = m.get(owner);
    if (!list) m.set(owner, (list = []));
    list.push(p);
  }

  clear(): void {
    // Map.clear allocates a new table: not on the many steps that logged nothing
    if (this.reads.size) this.reads.clear();
    if (this.writes.size) this.writes.clear();
    if (this.objects.size) this.objects.clear();
  }

  unwrap<T>(x: T): T {
    // a proxy answers RAW with its target (cheaper than a WeakMap from every proxy to its target); a plain object has no RAW
    return (x !== null && typeof x === 'object' && ((x as Record<symbol, unknown>)[RAW] as T)) || x;
  }

  /** `x` with every proxy inside it replaced by its target (values written through a proxy, results built from proxies). */
  deepUnwrap<T>(x: T, seen = new Set<object>()): T {
    if (x === null || typeof x !== 'object') return x;
    const raw = this.unwrap(x) as Record<string, unknown>;
    if (seen.has(raw)) return raw as T;
    seen.add(raw);
    for (const k of Object.keys(raw)) {
      const v = raw[k];
      if (v !== null && typeof v === 'object') {
        const u = this.deepUnwrap(v, seen);
        if (u !== v) raw[k] = u;
      }
    }
    return raw as T;
  }

  wrap<T>(x: T, owner: string, at: Path = []): T {
    if (x === null || typeof x !== 'object') return x;
    const target = this.unwrap(x) as object;
    const self = this;
    // the proxy handed out for each object-valued key, while the key still holds that object: a
    // context is read along the same paths step after step, and a new proxy per read dominated
    const children = new Map<string, { raw: object; proxy: unknown }>();
    const proxy = new Proxy(target, {
      get(t, k, receiver) {
        if (typeof k === 'symbol') return k === RAW ? t : Reflect.get(t, k, receiver);
        if (!Object.prototype.hasOwnProperty.call(t, k) && k in t) return Reflect.get(t, k, receiver); // a method
        const v = (t as Record<string, unknown>)[k];
        if (v !== null && typeof v === 'object') {
          const raw = self.unwrap(v) as object;
          const known = children.get(k);
          if (self.shapes) self.log('objects', owner, [...at, Array.isArray(t) && /^\d+$/.test(k) ? Number(k) : k]);
          if (known && known.raw === raw) return known.proxy;
          const child = self.wrap(v, owner, [...at, Array.isArray(t) && /^\d+$/.test(k) ? Number(k) : k]);
          children.set(k, { raw, proxy: child });
          return child;
        }
        self.log('reads', owner, [...at, Array.isArray(t) && /^\d+$/.test(k) ? Number(k) : k]);
        return v;
      },
      has(t, k) {
        // an array index's presence is the array's length (Array.prototype.every and friends test it)
        if (typeof k !== 'symbol') self.log('reads', owner, Array.isArray(t) && /^\d+$/.test(k) ? [...at, 'length'] : [...at, k]);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        self.log('reads', owner, at);
        return Reflect.ownKeys(t);
      },
      set(t, k, v) {
        if (typeof k !== 'symbol') self.log('writes', owner, [...at, Array.isArray(t) && /^\d+$/.test(k) ? Number(k) : k]);
        return Reflect.set(t, k, self.deepUnwrap(v));
      },
      deleteProperty(t, k) {
        if (typeof k !== 'symbol') self.log('writes', owner, [...at, k]);
        return Reflect.deleteProperty(t, k);
      },
    });
    return proxy as T;
  }
}

/** The leaf paths where two JSON-like values differ (a changed shape: the path of the node). */
export function changedPaths(a: unknown, b: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (a === b) return out;
  const oa = a !== null && typeof a === 'object';
  const ob = b !== null && typeof b === 'object';
  if (!oa || !ob || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(at);
    return out;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) {
    const key = Array.isArray(a) ? Number(k) : k;
    if (!(k in ra) || !(k in rb)) {
      if (ra[k] !== undefined || rb[k] !== undefined) out.push([...at, key]);
      continue;
    }
    changedPaths(ra[k], rb[k], [...at, key], out);
  }
  return out;
}

/** Human name of a transition: event, source state, thread. */
export function describe(t: TransitionInfo): string {
  const thread = t.meta?.['thread'];
  return `transition '${t.event}' from ${t.source}${typeof thread === 'string' ? ` (thread ${thread})` : ''}`;
}

/** A place a verified step or invariant read: a value, or (object) only whether an object is there. */
interface Site {
  path: Path;
  object: boolean;
}

/**
 * The values of `x` at the sites, as a string: two contexts with the same string agree on every
 * value the recorded code read. A subtree (a key listing read a whole object) is named by the
 * number of its JSON text, kept per object (stored contexts are immutable and share their
 * unchanged subtrees).
 */
export class Valuations {
  private readonly ids = new Map<string, number>();
  private readonly named = new WeakMap<object, number>();

  of(x: unknown, sites: readonly Site[]): string {
    let out = '';
    for (const site of sites) out += ' ' + this.at(x, site);
    return out;
  }

  private id(x: object): string {
    let n = this.named.get(x);
    if (n === undefined) {
      const text = JSON.stringify(x);
      n = this.ids.get(text);
      if (n === undefined) this.ids.set(text, (n = this.ids.size));
      this.named.set(x, n);
    }
    return '#' + n;
  }

  private at(x: unknown, site: Site): string {
    const p = site.path;
    for (let i = 0; i < p.length; i++) {
      if (x === null || typeof x !== 'object') return 'x'; // the path ends below a primitive: not a context the step read
      const key = String(p[i]);
      if (Array.isArray(x) && key === 'length') x = x.length;
      else if (!Object.prototype.hasOwnProperty.call(x, key)) return 'm';
      else x = (x as Record<string, unknown>)[key];
    }
    if (x === undefined) return 'u';
    if (x === null || typeof x !== 'object') return JSON.stringify(x);
    return site.object ? (Array.isArray(x) ? 'a' : 'o') : this.id(x);
  }
}

/** The sites a recording logged (reads, and objects found), deduplicated, in a fixed order; with their key. */
function sitesOf(reads: Iterable<Path[]>, objects: Iterable<Path[]>): { sites: Site[]; key: string } {
  const m = new Map<string, Site>();
  for (const list of reads) for (const path of list) m.set('v' + path.join('\u0002'), { path, object: false });
  for (const list of objects) for (const path of list) m.set('o' + path.join('\u0002'), { path, object: true });
  const keys = [...m.keys()].sort();
  return { sites: keys.map((k) => m.get(k)!), key: keys.join('\u0003') };
}

/**
 * Installs the recorder into the compiled machine and the probe for one exploration; returns
 * the check to run after each step and each new state, and the uninstall.
 *
 * `memo` (explore's verifyFootprints: true; 'every-step' turns it off): the recording proxies run on a step
 * (a state value and an event) only the first time it meets a valuation of what it read, and on
 * an invariant the same. The skip is exact: a step verified on state s read the context at sites
 * P (each value read through the proxy, each key tested or listed, and each object found on the
 * way), and each access it logged lay inside its transition's declaration (else the verification
 * failed on s). On a state s' with the same state value, the same event and the same values at P,
 * the compiled step (deterministic: no cache; stateIn reads the state value) evaluates the same
 * guards and runs the same actions on the same values, so it logs the same accesses, which passed
 * on s. It holds for code that sees the context only through the proxy: a step or invariant that
 * unwrapped a proxy other than its state's context (a ghost postcondition reading the raw copy,
 * a later microstep) or ran a transition without a footprint (its guard sees the raw context) is
 * not remembered, so each of its states is verified. What does not rest on the proxy still runs
 * on every step: the check that the step changed only what its fired transitions declare as
 * written, the raised events, each declared action running through the probe.
 */
export function instrument(model: Model, compiled: Compiled, memo = false): {
  beforeStep(value: unknown, event: number, context: unknown): void;
  afterStep(event: number, before: unknown, after: unknown | undefined): void;
  /** The context to hand to `compiled.step` for the guards (a recording proxy is made per guard). */
  state(s: AbstractState<unknown>): void;
  /** The raw context to store (proxies removed). */
  raw<T>(c: T): T;
  done(): void;
} {
  const rec = new Recorder();
  rec.shapes = memo;
  const infos = compiled.transitions;
  const decl = infos.map(declared);
  const coarse = infos.map((t) => typeof t.meta?.['thread'] !== 'string');
  let current = -1;
  const raised = new Map<number, string[]>();
  // the recording proxies are on (off: a step the memo skips)
  let active = true;
  // the transitions whose guard or action ran in this step, and whether code unwrapped one of its proxies
  const touched = new Set<number>();
  let tainted = false;
  // per state value and event: the valuations verified, grouped by the paths they were taken on
  const verified = new Map<unknown, Map<number, { sites: readonly Site[]; key: string; seen: Set<string> }[]>>();
  let stepValue: unknown;
  // the state's context this step starts from (the kthread steps and kernel() unwrap it only to copy it), undefined while invariants run
  let stepContext: unknown;
  const valuations = new Valuations();
  compiled.hooks = {
    guardContext(context, id) {
      current = id;
      touched.add(id);
      rec.readOnly = true;
      // a coarse transition's guard decides only whether it is taken: what it reads is what its enabledness depends on
      // (a kthread step's guard also runs the step's effect, and marks its enabling reads itself: probe.phase)
      rec.suffix = coarse[id] ? ':enables' : '';
      return active && decl[id] ? rec.wrap(context, String(id)) : context;
    },
    actions(id) {
      current = id;
      touched.add(id);
      rec.readOnly = false;
      rec.suffix = '';
      if (!decl[id]) return;
      for (const a of infos[id]!.actions) {
        if (a === undefined || !(a as Record<symbol, unknown>)[PROBED]) {
          throw new FootprintError(`${describe(infos[id]!)} declares a footprint, but its action ${actionText(a)} does not run through the probe, so what it reads cannot be verified: write it with kernel()/update() (machines/lib.ts) or as a kthread step`);
        }
      }
    },
    raised(type) {
      if (current < 0) return;
      const list = raised.get(current) ?? [];
      list.push(type);
      raised.set(current, list);
    },
  };
  probe.wrap = (c) => (active && current >= 0 && decl[current] ? rec.wrap(c, String(current)) : c);
  probe.unwrap = (c) => {
    const r = rec.unwrap(c);
    if (r !== c && r !== stepContext) tainted = true;
    return r;
  };
  probe.phase = (p) => void (rec.suffix = p ? ':' + p : '');
  const initial = initialState(compiled);
  const invs = model.invariants.flatMap((inv) => {
    const reads = invariantReads(inv as Invariant<unknown>, initial);
    return reads ? [{ inv: inv as Pick<Invariant<unknown>, 'name' | 'holds'>, reads, groups: [] as { context: Site[]; value: Site[]; key: string; seen: Set<string> }[] }] : [];
  });
  // an invariant given as a conjunction: each conjunct's reads are verified as an invariant's, and the conjunction against `holds` in every state
  const conjunctions = model.invariants.flatMap((inv) => {
    const parts = (inv as Invariant<unknown>).conjuncts?.(initial);
    if (!parts) return [];
    for (const c of parts) invs.push({ inv: { name: `${inv.name} (conjunct ${c.name})`, holds: c.holds }, reads: c.reads, groups: [] });
    return [{ inv: inv as Invariant<unknown>, parts }];
  });
  return {
    beforeStep(value, e, context) {
      rec.clear();
      rec.suffix = '';
      if (raised.size) raised.clear();
      current = -1;
      if (touched.size) touched.clear();
      tainted = false;
      active = true;
      stepValue = value;
      stepContext = context;
      if (!memo) return;
      for (const g of verified.get(value)?.get(e) ?? []) {
        if (g.seen.has(valuations.of(context, g.sites))) {
          active = false;
          return;
        }
      }
    },
    afterStep(e, before, after) {
      const ev = model.events[e]!;
      if (active) {
        // every access attributed to a transition must be within its declaration
        for (const [kind, m] of [['reads', rec.reads], ['writes', rec.writes]] as const) {
          for (const [owner, paths] of m) {
            const enabling = owner.endsWith(':enables');
            const id = Number(enabling ? owner.slice(0, -':enables'.length) : owner);
            const d = decl[id];
            if (!d) continue;
            const allowed = kind === 'writes' ? d.writes : enabling ? d.enables : [...d.reads, ...d.writes];
            const what = kind === 'writes' ? 'writes' : enabling ? 'enables (what its enabledness depends on)' : 'reads and writes';
            for (const p of paths) {
              if (!covered(p, allowed)) {
                throw new FootprintError(`${describe(infos[id]!)}, on event ${JSON.stringify(ev)}: ${kind === 'reads' ? 'reads' : 'writes'} ${show(p)}${enabling ? ' to decide whether it is enabled' : ''}, outside its declared ${what} [${allowed.map(show).join(', ')}]`);
              }
            }
          }
        }
      }
      if (raised.size) {
        for (const [id, types] of raised) {
          const d = decl[id];
          if (!d) continue;
          for (const t of types) if (!d.raises.includes(t)) throw new FootprintError(`${describe(infos[id]!)}: raises ${t}, not in its declared raises [${d.raises.join(', ')}]`);
        }
      }
      if (after !== undefined && after !== before) {
        // and the step as a whole changed nothing its fired transitions did not declare
        const fired = Array.from(compiled.fired.subarray(0, compiled.nFired));
        if (!fired.some((id) => !decl[id])) {
          const writes = fired.length === 1 ? decl[fired[0]!]!.writes : fired.flatMap((id) => decl[id]!.writes);
          for (const p of changedPaths(before, after)) {
            if (!covered(p, writes)) {
              throw new FootprintError(`event ${JSON.stringify(ev)} (${fired.map((id) => describe(infos[id]!)).join(', ')}) changed ${show(p)}, which none of them declares as written`);
            }
          }
        }
      }
      // a verified step whose code read only through the proxy: its valuation is remembered
      if (!memo || !active || tainted) return;
      for (const id of touched) if (!decl[id]) return;
      const { sites, key } = sitesOf(rec.reads.values(), rec.objects.values());
      let byEvent = verified.get(stepValue);
      if (!byEvent) verified.set(stepValue, (byEvent = new Map()));
      let groups = byEvent.get(e);
      if (!groups) byEvent.set(e, (groups = []));
      let g = groups.find((x) => x.key === key);
      if (!g) groups.push((g = { sites, key, seen: new Set() }));
      g.seen.add(valuations.of(before, sites));
    },
    state(s) {
      rec.suffix = '';
      stepContext = undefined;
      for (const { inv, parts } of conjunctions) {
        const whole = inv.holds(s);
        if (whole !== parts.every((c) => c.holds(s))) throw new FootprintError(`invariant ${inv.name} ${whole ? 'holds' : 'is violated'} in a state where its conjuncts (${parts.map((c) => `${c.name} ${c.holds(s) ? 'holds' : 'violated'}`).join(', ')}) say otherwise: Invariant.conjuncts must be a conjunction equal to it`);
      }
      for (const { inv, reads, groups } of invs) {
        const ctx = reads.context ?? [];
        const val = reads.value ?? [];
        if (memo && groups.some((g) => g.seen.has(valuations.of(s.context, g.context) + '|' + valuations.of(s.value, g.value)))) {
          continue;
        }
        rec.clear();
        tainted = false;
        const owner = `inv:${inv.name}`;
        inv.holds({ value: rec.wrap(s.value, owner + ':value'), context: rec.wrap(s.context, owner) });
        for (const p of rec.reads.get(owner) ?? []) if (!covered(p, ctx)) throw new FootprintError(`invariant ${inv.name} reads context ${show(p)}, outside its declared reads [${ctx.map(show).join(', ')}]`);
        for (const p of rec.reads.get(owner + ':value') ?? []) if (!covered(p, val)) throw new FootprintError(`invariant ${inv.name} reads state value ${show(p)}, outside its declared value reads [${val.map(show).join(', ')}]`);
        if (!memo || tainted) continue;
        const c = sitesOf([rec.reads.get(owner) ?? []], [rec.objects.get(owner) ?? []]);
        const v = sitesOf([rec.reads.get(owner + ':value') ?? []], [rec.objects.get(owner + ':value') ?? []]);
        const key = c.key + '|' + v.key;
        let g = groups.find((x) => x.key === key);
        if (!g) groups.push((g = { context: c.sites, value: v.sites, key, seen: new Set() }));
        g.seen.add(valuations.of(s.context, g.context) + '|' + valuations.of(s.value, g.value));
      }
      rec.clear();
    },
    // a step the memo skipped made no proxy (a kthread step's cached effect was unwrapped when it was stored)
    raw: (c) => (active ? rec.deepUnwrap(c) : c),
    done() {
      compiled.hooks = undefined;
      probe.wrap = undefined;
      probe.unwrap = (c) => c;
      probe.phase = undefined;
    },
  };
}

function actionText(a: unknown): string {
  if (typeof a === 'string') return `'${a}'`;
  if (a && typeof a === 'object' && 'type' in a) return `'${String((a as { type: unknown }).type)}'`;
  if (typeof a === 'function') return `'${a.name || 'inline'}'`;
  return 'inline';
}

/**
 * The invariants that declare `stable` are: on every edge of the full exploration `x` (edges
 * kept), a violating source has a violating target. Fails naming the invariant, the event and
 * the two states.
 */
export function verifyStable(model: Model, x: { states: readonly AbstractState<unknown>[]; edges?: Int32Array }): void {
  const stable = model.invariants.filter((i) => i.stable);
  if (!stable.length || !x.edges) return;
  for (const inv of stable) {
    const holds = new Int8Array(x.states.length); // 0 unknown, 1 holds, 2 violated
    const h = (i: number) => (holds[i] ||= inv.holds(x.states[i]! as never) ? 1 : 2) === 1;
    for (let k = 0; k < x.edges.length; k += 3) {
      const a = x.edges[k]!, e = x.edges[k + 1]!, b = x.edges[k + 2]!;
      if (!h(a) && h(b)) throw new FootprintError(`invariant ${inv.name} declares stable (once violated, violated for good), but event ${JSON.stringify(model.events[e])} leads from state ${a}, which violates it, to state ${b}, where it holds`);
    }
  }
}

/**
 * The events the model declares never enabled (Model.por.neverEnabled) are enabled in no state of
 * the full exploration `x`. Fails naming the event and the state.
 */
export function verifyNeverEnabled(model: Model, compiled: Compiled, x: { states: readonly AbstractState<unknown>[]; encoding?: (i: number) => Uint8Array }): void {
  const never = new Set(model.por?.neverEnabled ?? []);
  if (!never.size) return;
  const events = model.events.filter((e) => never.has(e.type));
  if (!x.encoding) throw new FootprintError('the never-enabled events cannot be checked: the exploration keeps no encodings');
  for (let i = 0; i < x.states.length; i++) {
    const cfg = x.encoding(i);
    for (const e of events) {
      if (compiled.enabled(cfg, x.states[i]!.context, e)) throw new FootprintError(`event ${JSON.stringify(e)} is declared never enabled (Model.por.neverEnabled), but state ${i} of the full exploration enables it`);
    }
  }
}
