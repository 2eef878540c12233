// A machine compiled into a transition function over a compact state encoding: one small
// integer per compound state node (its active child; 0 when the node is inactive, so the
// encoding is canonical), the context kept as the machine's own actions produce it. It
// mirrors xstate v5's macrostep for the subset the package uses (hierarchy, parallel regions,
// guarded transitions with and/or/not/stateIn, assign, enqueueActions with assign/raise,
// raise, entry/exit actions, internal events processed to quiescence) and calls the
// machine's own guard and action implementations. Anything else is refused with an
// `Unsupported` error naming the feature; `explore` then falls back to xstate's transition.
import { getInitialSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { inertScope } from './explore.ts';

export class Unsupported extends Error {}

interface CNode {
  sn: any;
  key: string;
  type: 'atomic' | 'compound' | 'parallel';
  parent: CNode | undefined;
  children: CNode[];
  /** index of this node among its parent's children */
  index: number;
  /** slot in the encoding (compound nodes), else -1 */
  slot: number;
  order: number;
  entry: unknown[];
  exit: unknown[];
  initialActions: unknown[];
  trans: Map<string, CTrans[]>;
  /** by event id: candidate transitions of this node, and whether the subtree has any */
  byEvent: (CTrans[] | undefined)[];
  subtree: Uint8Array;
  /** parallel nodes, by event id: the children whose subtree has candidates */
  relevant: CNode[][];
}

interface CTrans {
  /** index in `compiled.transitions` */
  id: number;
  /** the event type it is defined for */
  event: string;
  meta: Record<string, unknown> | undefined;
  source: CNode;
  targeted: boolean;
  guard: unknown;
  /** the guard, resolved (set once the guard implementations are known) */
  check: ((context: unknown, event: EventObject, cfg: Uint8Array) => boolean) | undefined;
  actions: unknown[];
  domain: CNode;
  /** states entered, by document order, and those entered by default (their initial actions run) */
  enter: CNode[];
  defaultEntry: Set<CNode>;
  /** index-aligned with `enter`: entered by default */
  enterDefault: boolean[];
  /**
   * When no exit, entry or initial action can run in its exit and entry sets: the whole change
   * to the encoding, as (slot, value) pairs (slots of the domain's compound descendants zeroed,
   * then the entered states' slots), so a microstep applies it without walking the tree.
   */
  writes: Int32Array | undefined;
}

/** What partial-order reduction and the footprint verification need to know of one transition definition. */
export interface TransitionInfo {
  id: number;
  event: string;
  /** the source state node's id */
  source: string;
  meta: Record<string, unknown> | undefined;
  /** encoding slots whose values decide whether the transition is selectable: the source's compound ancestors and every `stateIn` target's */
  readSlots: number[];
  /** the source is active iff `cfg[chain[2k]] === chain[2k+1]` for every k (its compound ancestors, outermost first) */
  chain: number[];
  /** the slots its `stateIn` guards read */
  guardSlots: number[];
  /** encoding slots the transition may change: every compound node under its domain (none when targetless) */
  writeSlots: number[];
  /** what a targeted transition leaves in the slots it writes: (slot, child index) pairs of the states it enters (none when targetless) */
  enters: number[];
  /** a guard the analysis cannot see through (a `stateIn` by value, an unknown built-in): its reads are unknown */
  opaque: boolean;
  /** its actions, its exit and entry sets' actions, resolved to their implementations */
  actions: unknown[];
}

/** Hooks of the footprint verification (footprint.ts); unset in normal exploration. */
export interface CompileHooks {
  /** The context a guard of transition `id` is evaluated on (a recording proxy). */
  guardContext(context: unknown, id: number): unknown;
  /** Transition `id`'s actions (and its exit and entry actions) are about to run. */
  actions(id: number): void;
  /** An internal event was raised by the actions running. */
  raised(type: string): void;
}

export interface Compiled {
  machine: AnyStateMachine;
  slots: number;
  /** Initial encoding and context (from xstate's own initial snapshot). */
  initial: { cfg: Uint8Array; context: unknown };
  /**
   * The encoding after `event` (a scratch buffer, overwritten by the next call), or undefined
   * when xstate would return the snapshot itself; the context after it is then in `context`
   * (the same object when no action assigned).
   */
  step(cfg: Uint8Array, context: unknown, event: EventObject, id?: number): Uint8Array | undefined;
  context: unknown;
  /** The id `step` takes for an event type (-1: no transition of the machine names it), to skip a lookup per step. */
  eventId(type: string): number;
  /** xstate's state value for an encoding. */
  value(cfg: Uint8Array): unknown;
  /** The encoding slots of the subtree under a state node (contiguous), and its shape (keys and types), or undefined for an unknown id. */
  subtree(stateId: string): { start: number; end: number; shape: string } | undefined;
  /** Every transition definition, by id. */
  transitions: TransitionInfo[];
  /** Whether `event` selects a transition (guards evaluated, no action run); the selected ones are then in `fired`. */
  enabled(cfg: Uint8Array, context: unknown, event: EventObject, id?: number): boolean;
  /** The ids of the transitions the last `step` ran (raised events' included) or the last `enabled` selected: `fired[0..nFired)`. */
  fired: Int32Array;
  nFired: number;
  /** Set by the footprint verification. */
  hooks: CompileHooks | undefined;
  /** Whether transition `id`'s guard is false for `event` before it reads the context or the state (it tests the event's payload only): the transition never takes that event. */
  rejects(id: number, event: EventObject): boolean;
}

const isDescendant = (n: CNode, anc: CNode): boolean => {
  for (let p = n.parent; p; p = p.parent) if (p === anc) return true;
  return false;
};

const properAncestors = (n: CNode, upTo?: CNode): CNode[] => {
  const out: CNode[] = [];
  if (upTo === n) return out;
  for (let p = n.parent; p && p !== upTo; p = p.parent) out.push(p);
  return out;
};

export function compile(machine: AnyStateMachine): Compiled {
  const byNode = new Map<unknown, CNode>();
  const all: CNode[] = [];
  let slots = 0;
  const build = (sn: any, parent: CNode | undefined, index: number): CNode => {
    const where = `state '${sn.id}'`;
    if (sn.type === 'history') throw new Unsupported(`history state (${where})`);
    if (sn.type === 'final') throw new Unsupported(`final state (${where})`);
    if (sn.invoke?.length) throw new Unsupported(`invoke (${where})`);
    if (sn.config?.after) throw new Unsupported(`after / delayed transition (${where})`);
    if (sn.always?.length) throw new Unsupported(`always / eventless transition (${where})`);
    const n: CNode = {
      sn,
      key: sn.key,
      type: sn.type,
      parent,
      children: [],
      index,
      slot: sn.type === 'compound' ? slots++ : -1,
      order: sn.order,
      entry: sn.entry ?? [],
      exit: sn.exit ?? [],
      initialActions: sn.type === 'compound' ? (sn.initial?.actions ?? []) : [],
      trans: new Map(),
      byEvent: [],
      subtree: new Uint8Array(0),
      relevant: [],
    };
    byNode.set(sn, n);
    all.push(n);
    const kids = Object.values(sn.states ?? {}) as any[];
    if (kids.length > 256) throw new Unsupported(`more than 256 children, one byte each (${where})`);
    kids.forEach((k, i) => n.children.push(build(k, n, i)));
    return n;
  };
  const root = build(machine.root, undefined, 0);

  const eventIds = new Map<string, number>();
  const ctrans: CTrans[] = [];
  for (const n of all) {
    for (const [type, ts] of n.sn.transitions as Map<string, any[]>) {
      if (type === '*' || type.endsWith('.*')) throw new Unsupported(`wildcard event descriptor '${type}' (state '${n.sn.id}')`);
      n.trans.set(type, ts.map((t) => compileTransition(t, n)));
      if (!eventIds.has(type)) eventIds.set(type, eventIds.size);
    }
  }
  for (const n of all) {
    n.subtree = new Uint8Array(eventIds.size);
    for (const [type, ts] of n.trans) n.byEvent[eventIds.get(type)!] = ts;
  }
  for (const n of all) for (const type of n.trans.keys()) for (let p: CNode | undefined = n; p; p = p.parent) p.subtree[eventIds.get(type)!] = 1;
  for (const n of all) if (n.type === 'parallel') for (let ev = 0; ev < eventIds.size; ev++) n.relevant.push(n.children.filter((c) => c.subtree[ev]));
  // by event id: the compound state whose atomic children hold all its candidates, when one does (its active child's candidates are the only ones)
  const flat: (CNode | undefined)[] = [];
  for (let ev = 0; ev < eventIds.size; ev++) {
    const owners = all.filter((n) => n.byEvent[ev]);
    const p = owners[0]?.parent;
    flat.push(p?.type === 'compound' && owners.every((n) => n.parent === p && n.type === 'atomic') ? p : undefined);
  }

  function compileTransition(t: any, source: CNode): CTrans {
    if (t.reenter) throw new Unsupported(`reenter transition (state '${source.sn.id}', event '${t.eventType}')`);
    const targets: CNode[] = (t.target ?? []).map((sn: any) => {
      const c = byNode.get(sn);
      if (!c) throw new Unsupported(`target outside the machine (state '${source.sn.id}')`);
      return c;
    });
    const targeted = targets.length > 0;
    let domain = source;
    if (targeted && !targets.every((x) => x === source || isDescendant(x, source))) {
      const [head, ...tail] = [...targets, source];
      const lca = properAncestors(head!).find((a) => tail.every((x) => isDescendant(x, a)));
      domain = lca ?? root;
    }
    const enter = new Set<CNode>();
    const defaultEntry = new Set<CNode>();
    if (targeted) entrySet(targets, source, domain, enter, defaultEntry);
    const entered = [...enter].sort((a, b) => a.order - b.order);
    const enterDefault = entered.map((x) => defaultEntry.has(x));
    const ct: CTrans = { id: ctrans.length, event: t.eventType, meta: t.meta, source, targeted, guard: t.guard, check: undefined, actions: t.actions ?? [], domain, enter: entered, defaultEntry, enterDefault, writes: targeted ? staticWrites(domain, entered, enterDefault) : undefined };
    ctrans.push(ct);
    return ct;
  }

  // the encoding change of a targeted transition, or undefined when a state it may exit or enters has actions
  function staticWrites(domain: CNode, entered: CNode[], enterDefault: boolean[]): Int32Array | undefined {
    const out = new Map<number, number>();
    const exits = (n: CNode): boolean => {
      for (const c of n.children) {
        if (c.exit.length || !exits(c)) return false;
        if (c.slot >= 0) out.set(c.slot, 0); // inactive compound states already hold 0
      }
      return true;
    };
    if (!exits(domain)) return undefined;
    for (let i = 0; i < entered.length; i++) {
      const s = entered[i]!;
      if (s.entry.length || (enterDefault[i] && s.initialActions.length)) return undefined;
      if (s.parent?.type === 'compound') out.set(s.parent.slot, s.index);
    }
    return Int32Array.from([...out].flat());
  }

  // xstate's computeEntrySet for one transition without history or reenter
  function entrySet(targets: CNode[], source: CNode, domain: CNode, enter: Set<CNode>, def: Set<CNode>): void {
    const descendants = (s: CNode): void => {
      if (s.type === 'compound') {
        const init = byNode.get(s.sn.initial.target[0])!;
        enter.add(init);
        def.add(init);
        descendants(init);
        ancestors(properAncestors(init, s));
      } else if (s.type === 'parallel') {
        for (const c of s.children) {
          if (![...enter].some((x) => isDescendant(x, c))) {
            enter.add(c);
            def.add(c);
            descendants(c);
          }
        }
      }
    };
    const ancestors = (ancs: CNode[], reentrancy?: CNode): void => {
      for (const a of ancs) {
        if (!reentrancy || isDescendant(a, reentrancy)) enter.add(a);
        if (a.type === 'parallel') {
          for (const c of a.children) {
            if (![...enter].some((x) => isDescendant(x, c))) {
              enter.add(c);
              descendants(c);
            }
          }
        }
      }
    };
    for (const s of targets) {
      if (source !== s || source !== domain) {
        enter.add(s);
        def.add(s);
      }
      descendants(s);
    }
    for (const s of targets) {
      const ancs = properAncestors(s, domain);
      if (domain.type === 'parallel') ancs.push(domain);
      ancestors(ancs, domain);
    }
  }

  const guards = (machine.implementations.guards ?? {}) as Record<string, any>;
  const actions = (machine.implementations.actions ?? {}) as Record<string, any>;
  const self = inertScope(machine).self;
  const system = (self as any).system;

  const active = (cfg: Uint8Array, n: CNode): boolean => {
    for (let c = n; c.parent; c = c.parent) {
      const p = c.parent;
      if (p.type === 'compound' && cfg[p.slot] !== c.index) return false;
    }
    return true;
  };

  const stateIds = new Map<string, CNode>();
  // xstate's evaluateGuard; stateIn('#id') reads the encoding
  function evalGuard(guard: any, context: unknown, event: EventObject, cfg: Uint8Array): boolean {
    const inline = typeof guard === 'function';
    const resolved = inline ? guard : guards[typeof guard === 'string' ? guard : guard.type];
    if (!inline && !resolved) throw new Unsupported(`guard '${typeof guard === 'string' ? guard : guard.type}' is not implemented`);
    if (typeof resolved !== 'function') return evalGuard(resolved, context, event, cfg);
    if (!('check' in resolved)) {
      const params = inline || typeof guard === 'string' ? undefined : 'params' in guard ? (typeof guard.params === 'function' ? guard.params({ context, event }) : guard.params) : undefined;
      return resolved({ context, event }, params);
    }
    if (resolved.guards) {
      const gs = resolved.guards as unknown[];
      switch (resolved.name) {
        case 'and':
          for (let i = 0; i < gs.length; i++) if (!evalGuard(gs[i], context, event, cfg)) return false;
          return true;
        case 'or':
          for (let i = 0; i < gs.length; i++) if (evalGuard(gs[i], context, event, cfg)) return true;
          return false;
        case 'not':
          return !evalGuard(gs[0], context, event, cfg);
      }
    }
    if (resolved.name === 'stateIn' && typeof resolved.stateValue === 'string' && resolved.stateValue[0] === '#') {
      let target = stateIds.get(resolved.stateValue);
      if (!target) {
        target = byNode.get(machine.getStateNodeById(resolved.stateValue));
        if (!target) throw new Unsupported(`stateIn('${resolved.stateValue}')`);
        stateIds.set(resolved.stateValue, target);
      }
      return active(cfg, target);
    }
    throw new Unsupported(`built-in guard '${resolved.name}'`);
  }

  type Check = (context: unknown, event: EventObject, cfg: Uint8Array) => boolean;
  // a transition's guard resolved once: a named or inline implementation with fixed params, and/or/not of such; the rest through evalGuard
  function compileGuard(guard: any): Check {
    const inline = typeof guard === 'function';
    const resolved = inline ? guard : guards[typeof guard === 'string' ? guard : guard.type];
    if (typeof resolved === 'function' && !('check' in resolved)) {
      if (inline || typeof guard === 'string' || !('params' in guard)) return (context, event) => resolved({ context, event }, undefined);
      const params = guard.params;
      if (typeof params !== 'function') return (context, event) => resolved({ context, event }, params);
    }
    if (typeof resolved === 'function' && resolved.guards) {
      const gs = (resolved.guards as unknown[]).map(compileGuard);
      switch (resolved.name) {
        case 'and':
          return (context, event, cfg) => {
            for (let i = 0; i < gs.length; i++) if (!gs[i]!(context, event, cfg)) return false;
            return true;
          };
        case 'or':
          return (context, event, cfg) => {
            for (let i = 0; i < gs.length; i++) if (gs[i]!(context, event, cfg)) return true;
            return false;
          };
        case 'not':
          return (context, event, cfg) => !gs[0]!(context, event, cfg);
      }
    }
    return (context, event, cfg) => evalGuard(guard, context, event, cfg);
  }
  for (const n of all) for (const ts of n.trans.values()) for (const t of ts) if (t.guard !== undefined) t.check = compileGuard(t.guard);

  // xstate's transitionNode over the encoding: the first enabled candidate, innermost first, into `selected[0..nSelected)`
  const selected: CTrans[] = [];
  let nSelected = 0;
  function select(n: CNode, cfg: Uint8Array, context: unknown, event: EventObject, ev: number): void {
    if (!n.subtree[ev]) return;
    const before = nSelected;
    if (n.type === 'compound') select(n.children[cfg[n.slot]!]!, cfg, context, event, ev);
    else if (n.type === 'parallel') {
      const kids = n.relevant[ev]!;
      for (let i = 0; i < kids.length; i++) select(kids[i]!, cfg, context, event, ev);
    }
    if (nSelected > before) return;
    const cands = n.byEvent[ev];
    if (cands) pick(cands, cfg, context, event);
  }

  // the first enabled candidate, into `selected`
  function pick(cands: CTrans[], cfg: Uint8Array, context: unknown, event: EventObject): void {
    const hooks = compiled.hooks;
    for (let i = 0; i < cands.length; i++) {
      const t = cands[i]!;
      if (t.check === undefined || t.check(hooks ? hooks.guardContext(context, t.id) : context, event, cfg)) {
        selected[nSelected++] = t;
        return;
      }
    }
  }

  // `select` for an event whose candidates are all on atomic children of `p`: the active child's first enabled one, if `p` is active
  function selectIn(p: CNode, cfg: Uint8Array, context: unknown, event: EventObject, ev: number): void {
    if (!active(cfg, p)) return;
    const cands = p.children[cfg[p.slot]!]!.byEvent[ev];
    if (cands) pick(cands, cfg, context, event);
  }

  // active proper descendants of the domain (xstate's computeExitSet for one transition), in document order
  function exitSet(t: CTrans, cfg: Uint8Array, out: CNode[]): void {
    if (t.targeted) below(t.domain, cfg, out);
  }
  function below(n: CNode, cfg: Uint8Array, out: CNode[]): void {
    if (n.type === 'compound') {
      const c = n.children[cfg[n.slot]!]!;
      out.push(c);
      below(c, cfg, out);
    } else if (n.type === 'parallel') {
      for (const c of n.children) {
        out.push(c);
        below(c, cfg, out);
      }
    }
  }

  const intersects = (a: CNode[], b: CNode[]) => a.some((x) => b.includes(x));

  function removeConflicting(ts: CTrans[], cfg: Uint8Array): CTrans[] {
    if (ts.length < 2) return ts;
    const exits = new Map<CTrans, CNode[]>();
    const ex = (t: CTrans) => {
      let e = exits.get(t);
      if (!e) exitSet(t, cfg, (e = []));
      exits.set(t, e);
      return e;
    };
    let filtered: CTrans[] = [];
    for (const t1 of ts) {
      if (filtered.includes(t1)) continue;
      let preempted = false;
      const remove: CTrans[] = [];
      for (const t2 of filtered) {
        if (intersects(ex(t1), ex(t2))) {
          if (isDescendant(t1.source, t2.source)) remove.push(t2);
          else {
            preempted = true;
            break;
          }
        }
      }
      if (!preempted) {
        filtered = filtered.filter((t) => !remove.includes(t));
        filtered.push(t1);
      }
    }
    return filtered;
  }

  interface Run {
    context: unknown;
    changed: boolean;
    queue: EventObject[];
    cfg: Uint8Array;
  }

  // one `enqueue` for every enqueueActions call; assign and raise are recorded as markers, not built as xstate actions
  let collecting: unknown[] = [];
  const enqueue: any = (a: unknown) => void collecting.push(a);
  enqueue.assign = (assignment: unknown) => void collecting.push(new Assign(assignment));
  enqueue.raise = (e: unknown, options?: { delay?: unknown }) => {
    if (options?.delay !== undefined) throw new Unsupported('delayed raise');
    collecting.push(new Raise(e));
  };
  // `check` of the enqueueActions call being collected (one function, not a closure per call)
  let checking: { context: unknown; event: EventObject; cfg: Uint8Array } = { context: undefined, event: { type: '' }, cfg: new Uint8Array(0) };
  const check = (g: unknown) => evalGuard(g, checking.context, checking.event, checking.cfg);
  for (const k of ['cancel', 'sendTo', 'sendParent', 'spawnChild', 'stopChild', 'emit']) {
    enqueue[k] = () => {
      throw new Unsupported(`enqueue.${k}`);
    };
  }

  // xstate's resolveAndExecuteActionsWithContext: built-in actions resolve, the rest are executed (dropped)
  function run(r: Run, list: readonly unknown[], event: EventObject): void {
    for (const action of list as any[]) {
      if (action instanceof Assign) {
        applyAssign(r, action.assignment, event, undefined);
        continue;
      }
      if (action instanceof Raise) {
        const e = action.event;
        if (typeof e === 'string') throw new Unsupported('raise of a string event');
        r.queue.push(typeof e === 'function' ? e({ context: r.context, event, self, system }, undefined) : e);
        compiled.hooks?.raised(r.queue[r.queue.length - 1]!.type);
        continue;
      }
      const inline = typeof action === 'function';
      const resolved = inline ? action : actions[typeof action === 'string' ? action : action.type];
      if (!resolved || !('resolve' in resolved)) continue;
      const params = inline || typeof action === 'string' ? undefined : 'params' in action ? (typeof action.params === 'function' ? action.params({ context: r.context, event }) : action.params) : undefined;
      switch (resolved.type) {
        case 'xstate.assign':
          applyAssign(r, resolved.assignment, event, params);
          break;
        case 'xstate.raise': {
          if (resolved.delay !== undefined) throw new Unsupported('delayed raise');
          const e = resolved.event;
          if (typeof e === 'string') throw new Unsupported('raise of a string event');
          r.queue.push(typeof e === 'function' ? e({ context: r.context, event, self, system }, params) : e);
          compiled.hooks?.raised(r.queue[r.queue.length - 1]!.type);
          break;
        }
        case 'xstate.enqueueActions': {
          const saved = collecting;
          const savedCheck = checking;
          const collected: unknown[] = (collecting = []);
          checking = { context: r.context, event, cfg: r.cfg };
          try {
            resolved.collect({ context: r.context, event, enqueue, check, self, system }, params);
          } finally {
            collecting = saved;
            checking = savedCheck;
          }
          run(r, collected, event);
          break;
        }
        case 'xstate.log':
          break;
        default:
          throw new Unsupported(`action '${resolved.type}'`);
      }
    }
  }

  // xstate's resolveAssign
  function applyAssign(r: Run, a: any, event: EventObject, params: unknown): void {
    const args = { context: r.context, event, spawn: noSpawn, self, system };
    let partial: Record<string, unknown> = {};
    if (typeof a === 'function') partial = a(args, params);
    else for (const k of Object.keys(a)) partial[k] = typeof a[k] === 'function' ? a[k](args, params) : a[k];
    r.context = Object.assign({}, r.context, partial);
    r.changed = true;
  }

  // the encoding after a microstep goes to whichever scratch buffer does not hold the one before
  const bufA = new Uint8Array(slots);
  const bufB = new Uint8Array(slots);
  function microstep(r: Run, event: EventObject): void {
    const cfg = r.cfg;
    const next = cfg === bufA ? bufB : bufA;
    for (let i = 0; i < slots; i++) next[i] = cfg[i]!; // a loop: TypedArray.set costs more on a few bytes
    if (nSelected === 1) {
      // one transition: no conflicts, its exit set is already in document order
      const t = selected[0]!;
      fire(t);
      const w = t.writes;
      if (w) {
        for (let i = 0; i < w.length; i += 2) next[w[i]!] = w[i + 1]!;
        if (t.actions.length) run(r, t.actions, event);
      } else {
        if (t.targeted) {
          const exit: CNode[] = [];
          below(t.domain, cfg, exit);
          for (let i = exit.length - 1; i >= 0; i--) leave(r, exit[i]!, next, event);
        }
        if (t.actions.length) run(r, t.actions, event);
        const enter = t.enter;
        for (let i = 0; i < enter.length; i++) arrive(r, enter[i]!, t.enterDefault[i]!, next, event);
      }
    } else {
      const filtered = removeConflicting(selected.slice(0, nSelected), cfg);
      for (const t of filtered) fire(t);
      const exit: CNode[] = [];
      for (const t of filtered) exitSet(t, cfg, exit);
      for (const s of [...new Set(exit)].sort(byOrderDesc)) leave(r, s, next, event);
      for (const t of filtered) if (t.actions.length) run(r, t.actions, event);
      const enter = [...new Set(filtered.flatMap(enterOf))].sort(byOrder);
      for (const s of enter) arrive(r, s, filtered.some((t) => t.defaultEntry.has(s)), next, event);
    }
    for (let i = 0; i < next.length; i++) {
      if (next[i] !== cfg[i]) {
        r.changed = true;
        break;
      }
    }
    r.cfg = next;
  }

  // records a transition the step runs; under verification, its actions are attributed to it
  // (with several transitions in one microstep, exit and entry actions go to the last one)
  function fire(t: CTrans): void {
    if (compiled.nFired >= compiled.fired.length) {
      const b = new Int32Array(compiled.fired.length * 2);
      b.set(compiled.fired);
      compiled.fired = b;
    }
    compiled.fired[compiled.nFired++] = t.id;
    compiled.hooks?.actions(t.id);
  }

  function leave(r: Run, s: CNode, next: Uint8Array, event: EventObject): void {
    if (s.exit.length) run(r, s.exit, event);
    if (s.slot >= 0) next[s.slot] = 0;
  }

  function arrive(r: Run, s: CNode, byDefault: boolean, next: Uint8Array, event: EventObject): void {
    if (s.entry.length) run(r, s.entry, event);
    if (byDefault && s.initialActions.length) run(r, s.initialActions, event);
    const p = s.parent;
    if (p && p.type === 'compound') next[p.slot] = s.index;
  }

  // `step` is not re-entered (guards and actions cannot step the machine), so its lists are reused
  const r: Run = { context: undefined, changed: false, queue: [], cfg: new Uint8Array(0) };
  function step(cfg: Uint8Array, context: unknown, event: EventObject, ev = eventIds.get(event.type) ?? -1): Uint8Array | undefined {
    compiled.nFired = 0;
    if (ev < 0) return undefined;
    nSelected = 0;
    const p = flat[ev];
    if (p) selectIn(p, cfg, context, event, ev);
    else select(root, cfg, context, event, ev);
    if (!nSelected) return undefined;
    r.context = context;
    r.changed = false;
    r.cfg = cfg;
    if (r.queue.length) r.queue.length = 0; // left over only if a guard or action threw
    microstep(r, event);
    if (r.queue.length) drain(r);
    if (!r.changed) return undefined;
    compiled.context = r.context;
    return r.cfg;
  }

  // internal events raised during a step, each a microstep of its own, in order
  function drain(r: Run): void {
    const queue = r.queue; // microsteps append to it
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i]!;
      const id = eventIds.get(e.type);
      if (id === undefined) continue;
      nSelected = 0;
      select(root, r.cfg, r.context, e, id);
      if (nSelected) microstep(r, e);
    }
    queue.length = 0;
  }

  function valueOf(cfg: Uint8Array): unknown {
    const of = (n: CNode): unknown => {
      if (n.type === 'compound') {
        const c = n.children[cfg[n.slot]!]!;
        return c.type === 'atomic' ? c.key : { [c.key]: of(c) };
      }
      const o: Record<string, unknown> = {};
      for (const c of n.children) o[c.key] = of(c);
      return o;
    };
    return of(root);
  }

  // the same as generated code: an object literal per parallel state, a conditional per compound one
  function valueCode(n: CNode): string {
    const of = (c: CNode) => (c.type === 'atomic' ? JSON.stringify(c.key) : `{${JSON.stringify(c.key)}: ${valueCode(c)}}`);
    if (n.type === 'compound') return n.children.map((c, i) => (i < n.children.length - 1 ? `cfg[${n.slot}] === ${i} ? ${of(c)} : ` : of(c))).join('');
    return `{${n.children.map((c) => `${JSON.stringify(c.key)}: ${valueCode(c)}`).join(', ')}}`;
  }
  // interpreted when a literal '__proto__' key would set the prototype, or code generation is disallowed
  const value = all.some((n) => n.key === '__proto__') ? valueOf : generated('cfg', `return ${valueCode(root)};`) ?? valueOf;

  const snap = getInitialSnapshot(machine) as any;
  const init = new Uint8Array(slots);
  for (const sn of snap._nodes) {
    const n = byNode.get(sn)!;
    if (n.parent?.type === 'compound') init[n.parent.slot] = n.index;
  }
  // slots are numbered depth first, so a subtree's slots are contiguous
  function subtree(stateId: string): { start: number; end: number; shape: string } | undefined {
    let sn: unknown;
    try {
      sn = machine.getStateNodeById(stateId);
    } catch {
      return undefined;
    }
    const n = byNode.get(sn);
    if (!n) return undefined;
    let start = Number.POSITIVE_INFINITY;
    let end = -1;
    const shape = (c: CNode): string => {
      if (c.slot >= 0) (start = Math.min(start, c.slot)), (end = Math.max(end, c.slot + 1));
      return `${c.key}:${c.type}(${c.children.map(shape).join(',')})`;
    };
    const sh = shape(n);
    return end < 0 ? { start: 0, end: 0, shape: sh } : { start, end, shape: sh };
  }

  function enabled(cfg: Uint8Array, context: unknown, event: EventObject, ev = eventIds.get(event.type) ?? -1): boolean {
    compiled.nFired = 0;
    if (ev < 0) return false;
    nSelected = 0;
    const p = flat[ev];
    if (p) selectIn(p, cfg, context, event, ev);
    else select(root, cfg, context, event, ev);
    for (let i = 0; i < nSelected; i++) {
      if (compiled.nFired >= compiled.fired.length) {
        const b = new Int32Array(compiled.fired.length * 2);
        b.set(compiled.fired);
        compiled.fired = b;
      }
      compiled.fired[compiled.nFired++] = selected[i]!.id;
    }
    return nSelected > 0;
  }

  // the slots each transition reads (its source's compound ancestors, stateIn targets') and may write (its domain's subtree)
  const ancestorSlots = (n: CNode): number[] => {
    const out: number[] = [];
    for (let p = n.parent; p; p = p.parent) if (p.type === 'compound') out.push(p.slot);
    return out;
  };
  const subtreeSlots = (n: CNode, out: number[] = []): number[] => {
    if (n.slot >= 0) out.push(n.slot);
    for (const c of n.children) subtreeSlots(c, out);
    return out;
  };
  const resolveAction = (a: unknown): unknown => (typeof a === 'string' ? actions[a] : a && typeof a === 'object' && 'type' in a ? (actions[(a as { type: string }).type] ?? a) : a);
  function info(t: CTrans): TransitionInfo {
    const reads = new Set(ancestorSlots(t.source));
    const chain: number[] = [];
    for (let c: CNode = t.source; c.parent; c = c.parent) if (c.parent.type === 'compound') chain.unshift(c.parent.slot, c.index);
    const guardSlots = new Set<number>();
    let opaque = false;
    const walk = (g: any): void => {
      if (g === undefined) return;
      const inline = typeof g === 'function';
      const resolved = inline ? g : guards[typeof g === 'string' ? g : g.type];
      if (typeof resolved !== 'function') {
        if (resolved === undefined) opaque = true;
        else walk(resolved);
        return;
      }
      if (!('check' in resolved)) return; // an implementation: it reads context, declared in the footprint
      if (resolved.guards) for (const x of resolved.guards as unknown[]) walk(x);
      else if (resolved.name === 'stateIn' && typeof resolved.stateValue === 'string' && resolved.stateValue[0] === '#') {
        const target = byNode.get(machine.getStateNodeById(resolved.stateValue));
        if (!target) opaque = true;
        else for (const sl of [...ancestorSlots(target), target.slot]) if (sl >= 0) reads.add(sl), guardSlots.add(sl);
      } else opaque = true;
    };
    walk(t.guard);
    const exitEntry: unknown[] = [];
    if (t.targeted) {
      const under = (n: CNode): void => {
        for (const c of n.children) {
          exitEntry.push(...c.exit, ...c.entry, ...c.initialActions);
          under(c);
        }
      };
      under(t.domain);
    }
    return {
      id: t.id,
      event: t.event,
      source: t.source.sn.id,
      meta: t.meta,
      readSlots: [...reads].sort((a, b) => a - b),
      chain,
      guardSlots: [...guardSlots].sort((a, b) => a - b),
      writeSlots: t.targeted ? subtreeSlots(t.domain).sort((a, b) => a - b) : [],
      enters: t.targeted ? t.enter.flatMap((n) => (n.parent?.type === 'compound' ? [n.parent.slot, n.index] : [])) : [],
      opaque,
      actions: [...t.actions, ...exitEntry].map(resolveAction),
    };
  }

  // a context and an encoding that throw when read: a guard that returns without reading them decided on the event alone
  const untouchable = new Proxy({}, { get: () => { throw UNTOUCHED; }, has: () => { throw UNTOUCHED; }, ownKeys: () => { throw UNTOUCHED; } });
  const untouchableCfg = new Proxy(new Uint8Array(slots), { get: () => { throw UNTOUCHED; } });
  function rejects(id: number, event: EventObject): boolean {
    const t = ctrans[id]!;
    if (t.check === undefined) return false;
    try {
      return !t.check(untouchable, event, untouchableCfg as Uint8Array);
    } catch (e) {
      if (e === UNTOUCHED) return false;
      throw e;
    }
  }

  const compiled: Compiled = {
    machine, slots, initial: { cfg: init, context: snap.context }, step, value, subtree, context: undefined, eventId: (type) => eventIds.get(type) ?? -1,
    transitions: ctrans.map(info), enabled, fired: new Int32Array(16), nFired: 0, hooks: undefined, rejects,
  };
  return compiled;
}

const UNTOUCHED = Symbol('untouched');

/** enqueue.assign / enqueue.raise inside enqueueActions, resolved by `run` like xstate's assign and raise */
class Assign {
  constructor(readonly assignment: unknown) {}
}
class Raise {
  constructor(readonly event: unknown) {}
}

const byOrder = (a: CNode, b: CNode) => a.order - b.order;
const byOrderDesc = (a: CNode, b: CNode) => b.order - a.order;
const enterOf = (t: CTrans) => t.enter;

/** A function from generated source, or undefined where code generation from strings is disallowed. */
function generated(arg: string, body: string): ((x: Uint8Array) => unknown) | undefined {
  try {
    return new Function(arg, body) as (x: Uint8Array) => unknown;
  } catch (e) {
    if (e instanceof EvalError) return undefined;
    throw e;
  }
}

function noSpawn(): never {
  throw new Unsupported('spawn');
}
