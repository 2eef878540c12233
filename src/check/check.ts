// One check of one model: explore every reachable state, evaluate every invariant and
// liveness property, and compare each verdict with the variant's expectation. Every
// violation comes with its shortest trace; a liveness violation with its lasso.
import type { EventObject } from 'xstate';
import { getInitialSnapshot, type AnyMachineSnapshot } from 'xstate';
import { abstractState, explore, inertScope, reduces, type Exploration, type ExploreOptions } from './explore.ts';
import { concreteTrace, SymmetryError } from './symmetry.ts';
import { checkAlwaysReachable, checkLeadsTo, graphOf, type GraphPath } from './liveness.ts';
import { perDepthText, project } from './growth.ts';
import type { AbstractState, Instance, Model } from '../spec.ts';
import type { GrowingField } from './leak.ts';
import type { OverrideUse } from './variant-file.ts';

export interface CheckOptions {
  maxStates?: number;
  /** Called during exploration with the number of states so far and the queue length. */
  onProgress?: (states: number, queued: number) => void;
  /** Symmetry reduction on or off (default: the configuration's choice, `model.symmetry.byDefault`). */
  symmetry?: boolean;
  /** The explorer (default `explore`): check-scaled.ts passes the collapse-compressed or parallel one. */
  explorer?: (model: Model, options: ExploreOptions) => Exploration;
  /** Partial-order reduction on or off (default: the configuration's choice, `model.por.byDefault`). */
  por?: boolean;
  /** Dead-variable reduction over `model.dead` (src/check/dead.ts), default off. */
  dead?: boolean;
  /**
   * Stop as soon as the frontier's growth makes the state limit certain and the limit is
   * projected to be further away than this many seconds (default 30; Infinity: never stop early).
   */
  earlyStopSeconds?: number;
  /** Called after each complete BFS level with the states per depth so far (for progress). */
  onGrowth?: (perDepth: readonly number[]) => void;
  /** How many states apart `onProgress` is called (default 1000; the watchdog's worker asks for 1, a heartbeat per state). */
  progressEvery?: number;
  /** Called with the exploration once it is done, before the properties are evaluated (the growth report reads it). */
  onExplored?: (x: Exploration) => void;
}

/** One step of a counterexample, with what changed in the state after it. */
export interface CheckStep {
  step: number;
  event: EventObject;
  actor: string;
  /** A thread's step (machines/kthread.ts): the thread, whose lane it is drawn in; the event type is its program counter. */
  thread?: string;
  /** The parts of the state value (`state...`) and context (`ctx...`) this step changed. */
  after: Record<string, unknown>;
}

export interface PropertyResult {
  property: string;
  kind: 'invariant' | 'liveness';
  /** null: not decided, because the state limit stopped the exploration first. */
  holds: boolean | null;
  expected: boolean;
  /** Shortest trace to the violating state; for a lasso, to the cycle entry. */
  trace: CheckStep[];
  /** The steps that repeat forever (a liveness violation whose run does not stop). */
  cycle?: CheckStep[];
  /** For a leadsTo violation: the step after which p held and q never holds again (0: initially). */
  trigger?: number;
  /** For a leadsTo violation whose run stops in its last state: no fair event is enabled there. */
  stuck?: boolean;
  /** For a per-object property, the object the violation is about. */
  instance?: Instance;
  note?: string;
}

export interface CheckResult {
  machine: string;
  variant: string;
  configuration: string;
  states: number;
  transitions: number;
  depth: number;
  millis: number;
  limitReached: boolean;
  /** Why the exploration stopped before the limit: the growth it saw made the limit certain. */
  stopped?: string;
  /** When the limit was reached or the run stopped: states per BFS depth, to show the growth. */
  perDepth?: number[];
  /** Every result's `holds` equals its `expected`. */
  matches: boolean;
  /** Under dead-variable reduction (--dead-variables): what the model resets (states counts one per class). */
  dead?: string;
  /** Under symmetry reduction: the groups of interchangeable objects (states counts one per orbit). */
  symmetry?: { group: string; members: number; exact: boolean; note?: string }[];
  /**
   * When partial-order reduction was asked for (by the configuration or --por): whether the
   * exploration was reduced, and if not why. Counterexamples are the shortest of the machine:
   * where the reduction left out interleavings and found a violation, every interleaving is
   * searched breadth-first up to the reduced trace's depth for it (`states` stays the reduced
   * count).
   */
  por?: { reduced: boolean; note?: string; ampleStates?: number; fullStates?: number };
  results: PropertyResult[];
  /** A variant file's replacements and how often each ran; one that never ran and is not expected to is a mismatch. */
  overrides?: OverrideUse[];
  /** At the state limit: the context fields that kept growing along the deepest paths (leak.ts). */
  growth?: GrowingField[];
}

/** Which reductions a check applies, from the options and the configuration's defaults; a note when one was turned off. */
export function reductions(model: Model, options: CheckOptions): { symmetry: boolean; por: boolean; note?: string } {
  let symmetry = reduces(model, options);
  let por = options.por ?? model.por?.byDefault ?? false;
  let note: string | undefined;
  if (symmetry && por) {
    const why = 'symmetry reduction and partial-order reduction are not combined (the ample sets and the cycle proviso are not proved to hold on canonical states)';
    if (options.symmetry === true && options.por === true) throw new SymmetryError(`${why}: give --symmetry or --por, not both`);
    if (options.por === true) {
      symmetry = false;
      note = 'symmetry reduction off: --por asked for partial-order reduction, and the two are not combined';
    } else if (options.symmetry === true) {
      por = false;
      note = 'partial-order reduction off: --symmetry asked for symmetry reduction, and the two are not combined';
    } else throw new SymmetryError(`configuration ${model.configurationId} of ${model.machineId} opts in to both reductions; ${why}`);
  }
  if (por && model.liveness.length) {
    por = false;
    note = `partial-order reduction off: ${model.liveness.map((l) => l.name).join(', ')} (leadsTo under weak fairness, alwaysReachable) needs every interleaving, so the check explores in full`;
  }
  return { symmetry, por, ...(note ? { note } : {}) };
}

/** The explorers' onLevel for a check: tells onGrowth, and stops when the growth makes the state limit certain and more than earlyStopSeconds away. */
export function earlyStopper(options: CheckOptions, started: number): (perDepth: readonly number[], states: number) => string | undefined {
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const earlyStop = options.earlyStopSeconds ?? 30;
  return (perDepth, states) => {
    options.onGrowth?.(perDepth);
    const complete = perDepth.length - 1; // every level is complete when the next one starts being expanded
    const g = project(perDepth, complete, states, maxStates, performance.now() - started);
    if (g.depthAtLimit < 0 || g.secondsToLimit <= earlyStop) return undefined;
    return `stopped at depth ${complete + 1} after ${((performance.now() - started) / 1000).toFixed(1)} s: the frontier grows x${g.ratio.toFixed(1)} per level (states per depth ${perDepthText(perDepth, complete + 1)}), so the ${maxStates.toLocaleString('en')}-state limit is certain near depth ${g.depthAtLimit}, about ${Math.round(g.secondsToLimit)} s away; verdicts so far are kept, the others are undecided (a smaller configuration, partial-order or symmetry reduction, or a higher --max-states with --no-early-stop)`;
  };
}

export function checkModel(model: Model, options: CheckOptions = {}): CheckResult {
  const started = performance.now();
  const red = reductions(model, options);
  const symmetric = red.symmetry;
  const porAsked = options.por !== undefined || !!model.por?.byDefault;
  const x = (options.explorer ?? explore)(model, {
    ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress, progressEvery: options.progressEvery ?? 1000 } : {}),
    symmetry: symmetric,
    por: red.por,
    ...(options.dead ? { dead: true } : {}),
    onLevel: earlyStopper(options, started),
  });
  const dead = options.dead && model.dead ? model.dead.note : undefined;
  const reducedByPor = !!x.por?.reduced;
  // Under partial-order reduction a counterexample is a path of the machine but not always a
  // shortest one. Where the reduction left out some interleaving and found a violation, every
  // interleaving is explored breadth-first up to the longest such trace (no deeper), so each
  // reported trace is again a shortest one, as without the reduction.
  let shortest: Exploration | undefined;
  if (reducedByPor && x.violations.size && (x.por?.ampleStates ?? 0) > 0) {
    const bound = Math.max(...[...x.violations.values()].map((i) => pathTo(x, i).events.length));
    shortest = (options.explorer ?? explore)(model, {
      ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
      symmetry: false,
      por: false,
      ...(options.dead ? { dead: true } : {}),
      onLevel: (perDepth) => (perDepth.length - 1 >= bound ? `bounded at depth ${bound}` : undefined),
    });
  }
  options.onExplored?.(x);
  const results: PropertyResult[] = [];
  const expected = (name: string) => !model.expectedViolations.includes(name);
  const incomplete = x.stopped ? `not decided: ${x.stopped}` : `not decided: explored ${x.states.length} states, limit reached`;
  const groups = x.symmetry?.canon.groups.map((g) => g.def) ?? [];
  const approximate = groups.filter((g) => !g.exact);
  const approxNote = approximate.length ? `under approximate symmetry of ${approximate.map((g) => g.name).join('; ')} (${approximate[0]!.note ?? 'not an automorphism'}): run with --no-symmetry to decide` : undefined;

  for (const inv of model.invariants) {
    const bad = x.violations.get(inv.name);
    const r: PropertyResult = { property: inv.name, kind: 'invariant', holds: bad === undefined, expected: expected(inv.name), trace: [] };
    if (bad !== undefined) {
      const short = shortest?.violations.get(inv.name);
      if (shortest && short !== undefined) r.trace = steps(model, shortest, pathTo(shortest, short));
      else if (reducedByPor) {
        // a path of the reduced graph is a path of the machine: replayed through xstate to show it is one
        const concrete = replay(model, pathTo(x, bad).events);
        r.trace = concrete.steps;
        if (inv.holds(concrete.last)) throw new Error(`internal: the partial-order-reduced trace to ${inv.name} does not replay to a violation`);
      } else if (!x.symmetry && dead) {
        // the stored states have their dead fields reset: the trace is replayed through xstate, concrete
        const concrete = replay(model, pathTo(x, bad).events);
        r.trace = concrete.steps;
        if (inv.holds(concrete.last)) throw new Error(`internal: the trace to ${inv.name} found with dead-variable reduction does not replay to a violation`);
      } else if (!x.symmetry) r.trace = steps(model, x, pathTo(x, bad));
      else {
        // the canonical states' trace, renamed into a concrete one and replayed through the machine
        const found = concreteTrace(model, x.symmetry.canon, x, bad);
        const concrete = replay(model, found.events);
        r.trace = concrete.steps;
        if (!found.complete || inv.holds(concrete.last)) {
          r.holds = null;
          r.note = `found in the symmetry-reduced graph, but the concrete trace does not reach a violation ${approxNote ?? ''}`.trimEnd();
        }
      }
    } else if (x.limitReached) {
      r.holds = null;
      r.note = incomplete;
    } else if (approxNote) r.note = `holds ${approxNote}`;
    results.push(r);
  }
  const g = model.liveness.length && !x.limitReached ? graphOf(x) : undefined;
  for (const prop of model.liveness) {
    const r: PropertyResult = { property: prop.name, kind: 'liveness', holds: null, expected: expected(prop.name), trace: [] };
    if (!g) r.note = incomplete;
    else if (x.symmetry && (prop.kind === 'leadsTo' || prop.instances)) r.note = 'not checked under symmetry reduction (a per-object or fairness property needs the full graph): run with --no-symmetry';
    else if (x.symmetry) {
      // AG EF q with a symmetric q: a canonical state that cannot reach q stands for its whole orbit
      const bad = checkAlwaysReachable(x, { ...prop, q: (s: AbstractState<unknown>) => prop.q(s, {}) }, g);
      r.holds = bad === undefined;
      if (bad !== undefined) r.trace = replay(model, concreteTrace(model, x.symmetry.canon, x, bad).events).steps;
      else if (approxNote) r.note = `holds ${approxNote}`;
    } else {
      r.holds = true;
      // a per-object property is checked object by object; the first violated one is reported
      for (const instance of prop.instances ? prop.instances(x.states[0]!) : [{}]) {
        const one = { ...prop, q: (s: AbstractState<unknown>) => prop.q(s, instance), ...(prop.p ? { p: (s: AbstractState<unknown>) => prop.p!(s, instance) } : {}) };
        if (prop.kind === 'leadsTo') {
          const v = checkLeadsTo(model, x, one, g);
          if (!v) continue;
          r.trace = steps(model, x, v.prefix);
          r.trigger = v.trigger;
          if (v.cycle) r.cycle = steps(model, x, v.cycle, v.prefix.events.length);
          else r.stuck = true;
        } else {
          const bad = checkAlwaysReachable(x, one, g);
          if (bad === undefined) continue;
          r.trace = steps(model, x, pathTo(x, bad));
        }
        r.holds = false;
        if (prop.instances) r.instance = instance;
        break;
      }
    }
    results.push(r);
  }
  return {
    machine: model.machineId,
    variant: model.variantId,
    configuration: model.configurationId,
    states: x.states.length,
    transitions: x.transitions,
    depth: x.maxDepth,
    millis: Math.round(performance.now() - started),
    limitReached: x.limitReached,
    ...(x.stopped ? { stopped: x.stopped } : {}),
    ...(x.limitReached ? { perDepth: x.perDepth } : {}),
    matches: results.every((r) => r.holds === r.expected),
    results,
    ...(dead ? { dead } : {}),
    ...(x.symmetry ? { symmetry: groups.map((g) => ({ group: g.name, members: g.members.length, exact: g.exact, ...(g.note ? { note: g.note } : {}) })) } : {}),
    ...(porAsked || x.por ? { por: porResult(x, red.note, options.por === false) } : {}),
  };
}

function porResult(x: Exploration, note: string | undefined, off: boolean): NonNullable<CheckResult['por']> {
  if (x.por?.reduced) return { reduced: true, ampleStates: x.por.ampleStates, fullStates: x.por.full, ...(note ? { note } : {}) };
  const why = [off ? 'turned off (--no-por)' : undefined, note, x.por?.note].filter(Boolean).join('; ');
  return { reduced: false, ...(why ? { note: why } : {}) };
}

/** Replays concrete events (indices into `model.events`) through xstate's own transition: the steps with their changes, and the last state. */
export function replay(model: Model, events: readonly number[]): { steps: CheckStep[]; last: AbstractState<unknown> } {
  const scope = inertScope(model.machine);
  let snap = getInitialSnapshot(model.machine) as AnyMachineSnapshot;
  let state = abstractState<unknown>(snap);
  const out: CheckStep[] = [];
  events.forEach((e, k) => {
    const event = model.events[e]!;
    snap = model.machine.transition(snap, event, scope) as AnyMachineSnapshot;
    const next = abstractState<unknown>(snap);
    out.push({ step: k + 1, event, actor: model.eventInfo[event.type]?.actor ?? 'unknown', ...threadOf(event), after: stateDiff(state, next) });
    state = next;
  });
  return { steps: out, last: state };
}

/** The state after concrete events, as `replay(...).last`, without each step's changes (the page's violation marks need the last state only). */
export function replayLast(model: Model, events: readonly number[]): AbstractState<unknown> {
  const scope = inertScope(model.machine);
  let snap = getInitialSnapshot(model.machine) as AnyMachineSnapshot;
  for (const e of events) snap = model.machine.transition(snap, model.events[e]!, scope) as AnyMachineSnapshot;
  return abstractState<unknown>(snap);
}

/** The shortest path from the initial state to state `i`, along the BFS parent links. */
export function pathTo(x: Exploration, i: number): GraphPath {
  const states = [i];
  const events: number[] = [];
  for (let s = i; x.parent[s]! >= 0; s = x.parent[s]!) {
    events.push(x.parentEvent[s]!);
    states.push(x.parent[s]!);
  }
  return { states: states.reverse(), events: events.reverse() };
}

function steps(model: Model, x: Exploration, path: GraphPath, first = 0): CheckStep[] {
  return path.events.map((e, k) => {
    const event = model.events[e]!;
    return {
      step: first + k + 1,
      event,
      actor: model.eventInfo[event.type]?.actor ?? 'unknown',
      ...threadOf(event),
      after: stateDiff(x.states[path.states[k]!]!, x.states[path.states[k + 1]!]!),
    };
  });
}

function threadOf(event: EventObject): { thread?: string } {
  const t = (event as { thread?: unknown }).thread;
  return typeof t === 'string' ? { thread: t } : {};
}

/** The leaves of `b` that differ from `a`: state value paths as `state.<region>`, context as `ctx.<field>`. */
export function stateDiff(a: AbstractState<unknown>, b: AbstractState<unknown>): Record<string, unknown> {
  const fa = flatten(a), fb = flatten(b);
  const out: Record<string, unknown> = {};
  for (const [k, v] of fb) if (!fa.has(k) || JSON.stringify(fa.get(k)) !== JSON.stringify(v)) out[k] = v;
  const bKeys = [...fb.keys()];
  // a leaf that became a subtree (an empty list filled with records) is shown by its new leaves,
  // a subtree that became a leaf (a compound state left) by the new leaf
  for (const k of fa.keys()) if (!fb.has(k) && !bKeys.some((b) => b.startsWith(k + '.') || k.startsWith(b + '.'))) out[k] = null;
  return out;
}

function flatten(s: AbstractState<unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((y) => y === null || typeof y !== 'object'))) {
      for (const [k, y] of Object.entries(v)) walk(`${prefix}.${k}`, y);
    } else out.set(prefix, v);
  };
  walk('state', s.value);
  walk('ctx', s.context);
  return out;
}
