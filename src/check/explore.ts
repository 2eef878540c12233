// Breadth-first exploration of a machine over xstate's pure transition API: canonical
// state keys, de-duplication on insertion, parent links (so every state has a shortest
// trace), the edge list, and every invariant evaluated in every reachable state.
import { createActor, getInitialSnapshot, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { SpecError, type AbstractState, type Model } from '../spec.ts';
import { compile, Unsupported, type Compiled } from './compile.ts';
import { ContextTable } from './contexts.ts';
import { Canonicaliser, SymmetryError } from './symmetry.ts';
import { instrument, verifyNeverEnabled, verifyStable } from './footprint.ts';
import { ampleSet, closeFrom, porTables, PorRefused, type PorTables } from './por.ts';
import { modalAmple, modalScratch, modalTables, terminalComponents, type ModalTables } from './por-modal.ts';
import { StateTable } from './table.ts';
import { deadCompiled } from './dead.ts';

export interface ExploreOptions {
  /** Stop after this many states; the result then says `limitReached`. */
  maxStates?: number;
  /** Keep the edge list (needed for liveness and path generation). Default true. */
  keepEdges?: boolean;
  /** Called every `progressEvery` states with the number of states and the queue length. */
  onProgress?: (states: number, queued: number) => void;
  progressEvery?: number;
  /**
   * `compiled` (default): the machine compiled by `compile.ts`, falling back to xstate's
   * transition when the compiler refuses a feature; `xstate`: xstate's transition only.
   */
  engine?: 'compiled' | 'xstate';
  /**
   * Symmetry reduction over `model.symmetry.groups`: true or false, default the
   * configuration's `byDefault`. Needs the compiled engine.
   */
  symmetry?: boolean;
  /**
   * Partial-order reduction (por.ts) over the steps' declared footprints: true or false,
   * default the configuration's `model.por.byDefault`. Needs the compiled engine; not
   * combined with symmetry reduction.
   */
  por?: boolean;
  /**
   * Tests only: leave out a proviso of the reduction (false), which makes it unsound; the
   * differential test (test/check/por.test.ts) shows that it then misses violations. The cycle
   * proviso of the static reduction: 'terminal' (default, as true) one fully expanded state in
   * each terminal strongly connected component of the reduced graph; 'stored' the breadth-first
   * one (an ample successor stored before the state: expand every event), for the bench.
   */
  porProvisos?: { visibility?: boolean; cycle?: boolean | 'stored' | 'terminal' };
  /**
   * The weaker visibility conditions of por.ts (default true): stable invariants make no step
   * visible, and where an ample set fires a visible transition (C2 fails) the stubborn set closed
   * under Valmari's condition V per invariant is tried before expanding every enabled event.
   * false: the plain C2 of Clarke, Grumberg and Peled, for the differential test and the bench.
   */
  porWeakVisibility?: boolean;
  /**
   * Run every step with a recording context and fail (FootprintError) on any access outside
   * the declared footprints (footprint.ts). Explores in full. 'every-step': run the recording
   * proxies on every step and state, not once per valuation of the declared footprint (the
   * memo's differential, test/check/footprints.test.ts).
   */
  verifyFootprints?: boolean | 'every-step';
  /** Dead-variable reduction over `model.dead` (dead.ts): default false. Needs the compiled engine. */
  dead?: boolean;
  /**
   * Called after each BFS level with the number of states at each depth so far; return a
   * string to stop the exploration there (`stopped` says why): `check` stops a run the
   * growth shows cannot finish within its state limit.
   */
  onLevel?: (perDepth: readonly number[], states: number) => string | undefined;
}

export interface TraceStep {
  step: number;
  event: EventObject;
  actor: string;
}

export interface Exploration<C = any> {
  states: AbstractState<C>[];
  /** Which transition function explored the machine, and why the compiler refused it if it did. */
  engine: 'compiled' | 'xstate';
  refused?: string;
  /** The xstate snapshot of each state, index-aligned with `states` (built on first use by the compiled engine). */
  snapshots: AnyMachineSnapshot[];
  keys: string[];
  /** Index of the state a state was first reached from (-1 for the initial state). */
  parent: Int32Array;
  /** Index into `model.events` of the event that first reached a state. */
  parentEvent: Int32Array;
  depth: Int32Array;
  /** Edges as flat triples: from, event index, to. */
  edges: Int32Array;
  transitions: number;
  maxDepth: number;
  limitReached: boolean;
  millis: number;
  /** First (hence shallowest) state violating each invariant, by invariant name. */
  violations: Map<string, number>;
  /** The compiled engine's encoding of state i (a copy). */
  encoding?: (i: number) => Uint8Array;
  /** Under symmetry reduction: the canonicaliser and, per state, the permutation that made it canonical. */
  symmetry?: { canon: Canonicaliser; perm: Int32Array };
  /**
   * When reduction was asked for: whether it ran, why not, and in how many expanded states the
   * ample set was the whole enabled set (`full`) or smaller (`reduced`).
   */
  por?: { reduced: boolean; note?: string; full: number; ampleStates: number; viaV?: number; provisoRounds?: number };
  /** States at each BFS depth (index = depth). */
  perDepth: number[];
  /** Why `onLevel` stopped the exploration early. */
  stopped?: string;
}

export function stateKey(s: AbstractState<unknown>): string {
  return JSON.stringify([s.value, s.context]);
}

export function abstractState<C>(snap: AnyMachineSnapshot): AbstractState<C> {
  return { value: snap.value, context: snap.context as C };
}

/** Whether `event` enables a transition in `snap` (guards evaluated, as xstate's `can`). */
export function enabled(model: Model, snap: AnyMachineSnapshot, event: EventObject): boolean {
  return model.machine.getTransitionData(snap as never, event).length > 0;
}

/**
 * One inert actor scope for a whole exploration. xstate's `transition()` builds a fresh actor
 * (and computes its initial snapshot) on every call, which cost 80 us of each step; the
 * machines are pure (no invoke, no spawn), so one scope whose executor drops actions serves all.
 */
export function inertScope(machine: AnyStateMachine): AnyActorScope {
  const self = createActor(machine);
  return {
    self,
    defer: () => {},
    id: '',
    logger: () => {},
    sessionId: '',
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: () => {},
  } as unknown as AnyActorScope;
}

/** Whether `explore` reduces by symmetry with these options. */
export function reduces(model: Model, options: ExploreOptions = {}): boolean {
  return !!model.symmetry?.groups.some((g) => g.members.length > 1) && (options.symmetry ?? model.symmetry!.byDefault);
}

/** Whether `explore` applies partial-order reduction with these options. */
export function reducesPor(model: Model, options: ExploreOptions = {}): boolean {
  return !options.verifyFootprints && (options.por ?? model.por?.byDefault ?? false);
}

export function explore<C>(model: Model<C>, options: ExploreOptions = {}): Exploration<C> {
  const symmetric = reduces(model, options);
  const por = reducesPor(model, options);
  if (symmetric && por) throw new SymmetryError(`symmetry and partial-order reduction are not combined (${model.machineId}/${model.configurationId}): choose one with --no-symmetry or --no-por`);
  // the reset writes fields no step's footprint declares
  if (options.dead && model.dead && (por || options.verifyFootprints)) throw new SymmetryError(`dead-variable reduction is not combined with partial-order reduction or the footprint verification (${model.machineId}/${model.configurationId}): drop --dead-variables or use --no-por`);
  if (options.engine === 'xstate') {
    if (symmetric) throw new SymmetryError('symmetry reduction needs the compiled engine');
    if (options.verifyFootprints) throw new SymmetryError('the footprint verification needs the compiled engine');
    if (options.dead && model.dead) throw new SymmetryError('dead-variable reduction needs the compiled engine');
    const x = exploreXstate(model, options);
    return por ? { ...x, por: { reduced: false, note: 'partial-order reduction needs the compiled engine', full: 0, ampleStates: 0 } } : x;
  }
  let compiled: Compiled;
  try {
    compiled = deadCompiled(model, compiledFor(model.machine), options.dead);
  } catch (e) {
    if (e instanceof Unsupported && options.dead && model.dead) throw new SymmetryError(`dead-variable reduction needs the compiled engine, which refuses ${model.machineId}: ${e.message}`);
    if (e instanceof Unsupported && symmetric) throw new SymmetryError(`symmetry reduction needs the compiled engine, which refuses ${model.machineId}: ${e.message}`);
    if (e instanceof Unsupported && options.verifyFootprints) throw new SymmetryError(`the footprint verification needs the compiled engine, which refuses ${model.machineId}: ${e.message}`);
    if (e instanceof Unsupported) {
      const x = exploreXstate(model, options);
      return { ...x, refused: e.message, ...(por ? { por: { reduced: false, note: `partial-order reduction needs the compiled engine, which refuses the machine: ${e.message}`, full: 0, ampleStates: 0 } } : {}) };
    }
    throw e;
  }
  if (symmetric) return exploreCompiled(model, compiled, options, new Canonicaliser(compiled, model.symmetry!.groups));
  if (options.verifyFootprints) {
    const probe = instrument(model, compiled, options.verifyFootprints !== 'every-step');
    try {
      const x = exploreCompiled(model, compiled, { ...options, keepEdges: true }, undefined, undefined, probe);
      verifyStable(model, x);
      probe.done();
      verifyNeverEnabled(model, compiled, x);
      return x;
    } finally {
      probe.done();
    }
  }
  if (por) {
    const t = tablesFor(model, compiled, options.porWeakVisibility ?? true);
    // no step declares a footprint of its own: the state-dependent footprints of the events (por-modal.ts), where the model has them
    if (t instanceof PorRefused && model.stateFootprints) return exploreCompiled(model, compiled, options, undefined, undefined, undefined, modalFor(model, compiled));
    if (t instanceof PorRefused) return { ...exploreCompiled(model, compiled, options), por: { reduced: false, note: t.reason, full: 0, ampleStates: 0 } };
    return exploreCompiled(model, compiled, options, undefined, t);
  }
  try {
    return exploreCompiled(model, compiled, options);
  } catch (e) {
    if (e instanceof Unsupported) return { ...exploreXstate(model, options), refused: e.message };
    throw e;
  }
}

const tables = [new WeakMap<Model, PorTables | PorRefused>(), new WeakMap<Model, PorTables | PorRefused>()];
function tablesFor(model: Model, compiled: Compiled, weak: boolean): PorTables | PorRefused {
  const m = tables[weak ? 1 : 0]!;
  let t = m.get(model);
  if (!t) m.set(model, (t = porTables(model, compiled, { stable: weak })));
  return t;
}

const modals = new WeakMap<Model, ModalTables>();
function modalFor(model: Model, compiled: Compiled): ModalTables {
  let t = modals.get(model);
  if (!t) modals.set(model, (t = modalTables(model, model.stateFootprints!, compiled)));
  return t;
}

const compiledMachines = new WeakMap<AnyStateMachine, Compiled | Unsupported>();
function compiledFor(machine: AnyStateMachine): Compiled {
  let c = compiledMachines.get(machine);
  if (!c) {
    try {
      c = compile(machine);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      c = e;
    }
    compiledMachines.set(machine, c);
  }
  if (c instanceof Unsupported) throw c;
  return c;
}

/** Breadth-first exploration over the compiled transition function; same states, order, edges and traces as `exploreXstate`. */
export function exploreCompiled<C>(model: Model<C>, compiled: Compiled, options: ExploreOptions = {}, canon?: Canonicaliser, por?: PorTables, verify?: ReturnType<typeof instrument>, modal?: ModalTables): Exploration<C> {
  const started = performance.now();
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const keepEdges = options.keepEdges ?? true;
  const every = options.progressEvery ?? 10_000;
  const table = new StateTable(compiled.slots);
  // contexts interned by value (JSON equality); a state is (encoding, context id)
  const contextTable = new ContextTable();
  const contexts = contextTable.contexts as C[];
  // state values interned by encoding: many states share one (they differ in the context)
  const valueTable = new StateTable(compiled.slots);
  const values: AbstractState<C>['value'][] = [];
  const states: AbstractState<C>[] = [];
  let parent: Int32Array<ArrayBuffer> = new Int32Array(1024);
  let parentEvent: Int32Array<ArrayBuffer> = new Int32Array(1024);
  let depth: Int32Array<ArrayBuffer> = new Int32Array(1024);
  // under symmetry reduction: the permutation that made each state canonical
  let perm: Int32Array<ArrayBuffer> = new Int32Array(canon ? 1024 : 0);
  let permOfNext = 0;
  const edges = new Triples();
  const violations = new Map<string, number>();
  const invariants = model.invariants;
  const events = model.events;
  const eventIds = events.map((e) => compiled.eventId(e.type));
  let transitions = 0;
  let maxDepth = 0;
  let limitReached = false;
  const perDepth: number[] = [];
  let stopped: string | undefined;

  const add = (cfg: Uint8Array, context: C, ctx: number, from: number, ev: number): number => {
    if (ctx < 0) ctx = contextTable.intern(verify ? verify.raw(context) : context);
    const i = table.intern(cfg, ctx);
    if (!table.inserted) return i;
    if (i >= parent.length) {
      parent = grow(parent);
      parentEvent = grow(parentEvent);
      depth = grow(depth);
    }
    if (canon) {
      if (i >= perm.length) perm = grow(perm);
      perm[i] = permOfNext;
    }
    const v = valueTable.intern(cfg, 0);
    if (valueTable.inserted) values.push(compiled.value(cfg) as AbstractState<C>['value']);
    const st: AbstractState<C> = { value: values[v]!, context: contexts[ctx]! };
    states.push(st);
    parent[i] = from;
    parentEvent[i] = ev;
    depth[i] = from < 0 ? 0 : depth[from]! + 1;
    if (depth[i]! > maxDepth) maxDepth = depth[i]!;
    perDepth[depth[i]!] = (perDepth[depth[i]!] ?? 0) + 1;
    if (verify) verify.state(st);
    for (const inv of invariants) {
      if (!violations.has(inv.name) && !inv.holds(st)) violations.set(inv.name, i);
    }
    return i;
  };

  // partial-order reduction: per state, which events are enabled and which are explored
  const nEvents = events.length;
  const isEnabled = new Uint8Array(nEvents);
  const ample = new Int32Array(nEvents);
  const done = new Uint8Array(nEvents);
  const scratch = por ? { s: new Uint32Array(por.words), best: new Uint32Array(por.words), work: new Int32Array(nEvents + 1), nes: new Uint32Array(por.words) } : undefined;
  let fullStates = 0;
  let ampleStates = 0;
  let viaV = 0;
  const useV = options.porWeakVisibility ?? true;
  const made = new Uint8Array(nEvents);
  const visible = por?.visible;
  const checkVisible = options.porProvisos?.visibility ?? true;
  // the cycle proviso of the static reduction (por.ts): Valmari's terminal-component condition, as the
  // state-dependent reduction has it ('terminal', the default), or an ample successor stored before s ('stored')
  const cycleRule = options.porProvisos?.cycle === false ? 'none' : options.porProvisos?.cycle === 'stored' ? 'stored' : 'terminal';
  const checkCycle = cycleRule === 'stored';
  const terminal = !!por && cycleRule === 'terminal';
  const graph = !!modal || terminal;
  let level = 0;
  // state-dependent reduction (por-modal.ts): the mode of each event, whether a state was expanded
  // with a reduced set, and the reduced graph's edges for the terminal-component proviso
  const mode = new Int32Array(modal ? nEvents : 0);
  const mscratch = modal ? modalScratch(modal) : undefined;
  let reducedAt: Uint8Array<ArrayBuffer> = new Uint8Array(graph ? 1024 : 0);
  let gFrom: Int32Array<ArrayBuffer> = new Int32Array(graph ? 1024 : 0);
  let gTo: Int32Array<ArrayBuffer> = new Int32Array(graph ? 1024 : 0);
  let gN = 0;
  let provisoRounds = 0;
  const edge = (a: number, b: number) => {
    if (gN >= gFrom.length) (gFrom = grow(gFrom)), (gTo = grow(gTo));
    gFrom[gN] = a;
    gTo[gN++] = b;
  };
  // fires the enabled events of state `i` not yet fired (done[e] = 0), recording the reduced graph's edges where the reduction is state-dependent
  // fires event `e` in state `i`: the successor's index, or -1 where the event was not taken
  const fireIn = (i: number, cfg: Uint8Array, context: C, ctxHead: number, e: number): number => {
    const next = compiled.step(cfg, context, events[e]!, eventIds[e]);
    if (!next) return -1;
    const nextContext = compiled.context as C;
    const to = add(next, nextContext, nextContext === context ? ctxHead : -1, i, e);
    transitions++;
    if (keepEdges) edges.push(i, e, to);
    return to;
  };
  const expandRest = (i: number, cfg: Uint8Array, context: C, ctxHead: number) => {
    for (let e = 0; e < nEvents; e++) {
      if (!isEnabled[e] || done[e]) continue;
      const to = fireIn(i, cfg, context, ctxHead, e);
      if (to >= 0 && graph) edge(i, to);
    }
  };
  const enabledAt = (cfg: Uint8Array, context: C): number => {
    let nEnabled = 0;
    for (let e = 0; e < nEvents; e++) {
      isEnabled[e] = compiled.enabled(cfg, context, events[e]!, eventIds[e]) ? 1 : 0;
      nEnabled += isEnabled[e]!;
      done[e] = 0;
    }
    return nEnabled;
  };
  // Valmari's terminal-component proviso: one state of each terminal component of the reduced graph with no fully expanded state is expanded fully; whether any was
  const proviso = (): boolean => {
    provisoRounds++;
    const n = states.length;
    const start = new Int32Array(n + 1);
    for (let k = 0; k < gN; k++) start[gFrom[k]! + 1]!++;
    for (let v = 0; v < n; v++) start[v + 1]! += start[v]!;
    const fillAt = start.slice(0, n);
    const to = new Int32Array(gN);
    for (let k = 0; k < gN; k++) to[fillAt[gFrom[k]!]!++] = gTo[k]!;
    let expanded = false;
    for (const comp of terminalComponents(n, start, to)) {
      let pick = -1;
      for (const v of comp) if (reducedAt[v] && (pick < 0 || v < pick)) pick = v;
      if (pick < 0) continue;
      const how = reducedAt[pick]!;
      reducedAt[pick] = 0;
      ampleStates--;
      fullStates++;
      const cfg = table.cfgAt(pick);
      const context = states[pick]!.context;
      const nEnabled = enabledAt(cfg, context);
      if (terminal) {
        // the static reduction's sets are a function of the state: the events fired then, not fired again
        const k1 = ampleSet(por!, cfg, isEnabled, nEnabled, ample, scratch!);
        for (let i = 0; i < k1; i++) done[ample[i]!] = 1;
        const k2 = how === 2 ? closeFrom(por!, cfg, isEnabled, ample.slice(0, k1), ample, scratch!, por!.depsV) : 0;
        for (let i = 0; i < k2; i++) done[ample[i]!] = 1;
      }
      expandRest(pick, cfg, context, table.contextAt(pick));
      expanded = true;
    }
    return expanded;
  };

  if (canon) {
    permOfNext = canon.apply(compiled.initial.cfg, compiled.initial.context);
    add(canon.cfg, canon.context as C, -1, -1, -1);
  } else add(compiled.initial.cfg, compiled.initial.context as C, -1, -1, -1);
  let head = 0;
  for (;;) {
  for (; head < states.length; head++) {
    if (states.length >= maxStates) {
      limitReached = head < states.length;
      break;
    }
    if (options.onLevel && depth[head]! > level) {
      level = depth[head]!;
      stopped = options.onLevel(perDepth, states.length);
      if (stopped) {
        limitReached = true;
        break;
      }
    }
    const cfg = table.cfgAt(head);
    const context = states[head]!.context;
    const ctxHead = table.contextAt(head);
    if (modal) {
      const nEnabled = enabledAt(cfg, context);
      for (let e = 0; e < nEvents; e++) mode[e] = modal.fp.mode(context, events[e]!);
      const k = modalAmple(modal, cfg, isEnabled, mode, nEnabled, ample, mscratch!);
      let produced = 0;
      for (let i = 0; i < k; i++) {
        const e = ample[i]!;
        done[e] = 1;
        const to = fireIn(head, cfg, context, ctxHead, e);
        if (to < 0) continue;
        edge(head, to);
        if (to !== head) produced++;
      }
      if (head >= reducedAt.length) reducedAt = growBytes(reducedAt);
      if (k < nEnabled && produced > 0) {
        reducedAt[head] = 1;
        ampleStates++;
      } else {
        // C0: the explored events changed nothing; or nothing was left out
        if (k < nEnabled) fullStates++;
        expandRest(head, cfg, context, ctxHead);
      }
      if (options.onProgress && head % every === 0) options.onProgress(states.length, states.length - head);
      continue;
    }
    if (por) {
      let nEnabled = 0;
      for (let e = 0; e < nEvents; e++) {
        isEnabled[e] = compiled.enabled(cfg, context, events[e]!, eventIds[e]) ? 1 : 0;
        nEnabled += isEnabled[e]!;
        done[e] = 0;
        if (isEnabled[e] && por.never[e]) throw new SpecError(`${model.machineId}/${model.variantId}/${model.configurationId}: event ${JSON.stringify(events[e])} is enabled in state ${head}, but the configuration declares it never enabled (Model.por.neverEnabled): the reduction would be unsound; check it with --no-por`);
      }
      const k = ampleSet(por, cfg, isEnabled, nEnabled, ample, scratch!);
      let full = k === nEnabled;
      const before = states.length;
      let produced = 0;
      let seen = false; // C3: an ample successor stored before this expansion
      let shown = false; // C2: an ample transition fired that is visible
      let usedV = false;
      const fire = (e: number): void => {
        done[e] = 1;
        const next = compiled.step(cfg, context, events[e]!, eventIds[e]);
        if (!next) return;
        produced++;
        made[e] = 1;
        if (checkVisible) for (let f = 0; f < compiled.nFired; f++) if (visible![compiled.fired[f]!]) shown = true;
        const nextContext = compiled.context as C;
        const to = add(next, nextContext, nextContext === context ? ctxHead : -1, head, e);
        transitions++;
        if (keepEdges) edges.push(head, e, to);
        if (terminal) edge(head, to);
        if (to < before && checkCycle) seen = true;
      };
      for (let i = 0; i < k; i++) made[ample[i]!] = 0, fire(ample[i]!);
      if (!full && shown && !seen && useV) {
        // C2 fails: instead of every enabled event, the closure of the fired ones under Valmari's V
        // per invariant (por.ts), when it is smaller; its C0 and C3 are checked on the events it adds
        const k2 = closeFrom(por, cfg, isEnabled, ample.slice(0, k), ample, scratch!, por.depsV);
        if (k2 < nEnabled) {
          produced = 0;
          for (let i = 0; i < k2; i++) {
            const e = ample[i]!;
            if (!done[e]) made[e] = 0, fire(e);
            if (made[e]) produced++;
          }
          shown = false;
          viaV++;
          usedV = true;
        }
      }
      if (shown || seen || produced === 0) full = true; // C2, C3, C0
      if (terminal && head >= reducedAt.length) reducedAt = growBytes(reducedAt);
      if (full) {
        if (k < nEnabled) fullStates++;
        expandRest(head, cfg, context, ctxHead);
      } else {
        ampleStates++;
        if (terminal) reducedAt[head] = usedV ? 2 : 1;
      }
      if (options.onProgress && head % every === 0) options.onProgress(states.length, states.length - head);
      continue;
    }
    for (let e = 0; e < events.length; e++) {
      verify?.beforeStep(states[head]!.value, e, context);
      let next = compiled.step(cfg, context, events[e]!, eventIds[e]);
      if (verify) verify.afterStep(e, context, next ? verify.raw(compiled.context) : undefined);
      if (!next) continue;
      let nextContext = compiled.context as C;
      if (canon && (permOfNext = canon.apply(next, nextContext)) !== 0) {
        next = canon.cfg;
        nextContext = canon.context as C;
      }
      const to = add(next, nextContext, nextContext === context ? ctxHead : -1, head, e);
      transitions++;
      if (keepEdges) edges.push(head, e, to);
    }
    if (options.onProgress && head % every === 0) options.onProgress(states.length, states.length - head);
  }
  if (!graph || limitReached || stopped || head < states.length) break;
  if (states.length > reducedAt.length) reducedAt = growBytes(reducedAt, states.length);
  if (!proviso()) break;
  }
  const x = {
    engine: 'compiled' as const, ...finish(states, parent, parentEvent, depth), edges: edges.done(), transitions, maxDepth, limitReached, millis: performance.now() - started, violations,
    ...(canon ? { symmetry: { canon, perm: perm.slice(0, states.length) } } : {}),
    ...(por || modal ? { por: (modal ? { reduced: true, full: fullStates, ampleStates, provisoRounds } : { reduced: true, full: fullStates, ampleStates, viaV, ...(terminal ? { provisoRounds } : {}) }) as NonNullable<Exploration['por']> } : {}),
    perDepth,
    ...(stopped ? { stopped } : {}),
    encoding: (i: number) => table.cfgAt(i).slice(),
  };
  let snapshots: AnyMachineSnapshot[] | undefined;
  let keys: string[] | undefined;
  return Object.defineProperties(x, {
    snapshots: {
      enumerable: true,
      get: () => (snapshots ??= states.map((s) => model.machine.resolveState(s as never) as AnyMachineSnapshot)),
    },
    keys: { enumerable: true, get: () => (keys ??= states.map(stateKey)) },
  }) as Exploration<C>;
}

/** Breadth-first exploration over xstate's own transition function. */
export function exploreXstate<C>(model: Model<C>, options: ExploreOptions = {}): Exploration<C> {
  const started = performance.now();
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const keepEdges = options.keepEdges ?? true;
  const every = options.progressEvery ?? 10_000;
  const index = new Map<string, number>();
  const states: AbstractState<C>[] = [];
  const snapshots: AnyMachineSnapshot[] = [];
  const keys: string[] = [];
  let parent: Int32Array<ArrayBuffer> = new Int32Array(1024);
  let parentEvent: Int32Array<ArrayBuffer> = new Int32Array(1024);
  let depth: Int32Array<ArrayBuffer> = new Int32Array(1024);
  const edges = new Triples();
  const violations = new Map<string, number>();
  let transitions = 0;
  let maxDepth = 0;
  let limitReached = false;
  const perDepth: number[] = [];
  let stopped: string | undefined;
  let level = 0;

  const add = (snap: AnyMachineSnapshot, from: number, ev: number): number => {
    const st = abstractState<C>(snap);
    const key = stateKey(st);
    const known = index.get(key);
    if (known !== undefined) return known;
    const i = states.length;
    if (i >= parent.length) {
      parent = grow(parent);
      parentEvent = grow(parentEvent);
      depth = grow(depth);
    }
    index.set(key, i);
    states.push(st);
    snapshots.push(snap);
    keys.push(key);
    parent[i] = from;
    parentEvent[i] = ev;
    depth[i] = from < 0 ? 0 : depth[from]! + 1;
    if (depth[i]! > maxDepth) maxDepth = depth[i]!;
    perDepth[depth[i]!] = (perDepth[depth[i]!] ?? 0) + 1;
    for (const inv of model.invariants) {
      if (!violations.has(inv.name) && !inv.holds(st)) violations.set(inv.name, i);
    }
    return i;
  };

  const scope = inertScope(model.machine);
  add(getInitialSnapshot(model.machine), -1, -1);
  for (let head = 0; head < states.length; head++) {
    if (states.length >= maxStates) {
      limitReached = head < states.length;
      break;
    }
    if (options.onLevel && depth[head]! > level) {
      level = depth[head]!;
      stopped = options.onLevel(perDepth, states.length);
      if (stopped) {
        limitReached = true;
        break;
      }
    }
    const snap = snapshots[head]!;
    for (let e = 0; e < model.events.length; e++) {
      const event = model.events[e]!;
      const next = model.machine.transition(snap, event, scope) as AnyMachineSnapshot;
      if (next === snap) continue; // no enabled transition: xstate returns the snapshot itself
      const to = add(next, head, e);
      transitions++;
      if (keepEdges) edges.push(head, e, to);
    }
    if (options.onProgress && head % every === 0) options.onProgress(states.length, states.length - head);
  }
  return { engine: 'xstate', ...finish(states, parent, parentEvent, depth), snapshots, keys, edges: edges.done(), transitions, maxDepth, limitReached, millis: performance.now() - started, violations, perDepth, ...(stopped ? { stopped } : {}) };
}

/** A growable list of int32 triples (the edge list: 590,490 edges are 7 MB, not 14 MB of boxed array slots). */
class Triples {
  private a = new Int32Array(3 * 1024);
  private n = 0;
  push(x: number, y: number, z: number): void {
    if (this.n + 3 > this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = x;
    this.a[this.n + 1] = y;
    this.a[this.n + 2] = z;
    this.n += 3;
  }
  done(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

/** The states and their parent links, trimmed to the number of states. */
function finish<C>(states: AbstractState<C>[], parent: Int32Array, parentEvent: Int32Array, depth: Int32Array) {
  const n = states.length;
  return { states, parent: parent.slice(0, n), parentEvent: parentEvent.slice(0, n), depth: depth.slice(0, n) };
}

function growBytes(a: Uint8Array<ArrayBuffer>, atLeast = 0): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(Math.max(a.length * 2, atLeast + 1024));
  b.set(a);
  return b;
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The shortest event sequence from the initial state to state `i`. */
export function traceTo(model: Model, x: Exploration, i: number): TraceStep[] {
  const events: EventObject[] = [];
  for (let s = i; x.parent[s]! >= 0; s = x.parent[s]!) events.push(model.events[x.parentEvent[s]!]!);
  events.reverse();
  return events.map((event, k) => ({ step: k + 1, event, actor: model.eventInfo[event.type]?.actor ?? 'unknown' }));
}

/** One line per step: `3. [guest] PQAP_AQIC {"q":0,"ir":1}`. */
export function formatTrace(trace: readonly TraceStep[]): string {
  return trace
    .map((t) => {
      const { type, ...payload } = t.event;
      const args = Object.keys(payload).length ? ' ' + JSON.stringify(payload) : '';
      return `${t.step}. [${t.actor}] ${type}${args}`;
    })
    .join('\n');
}
