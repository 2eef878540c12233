// Where a variant's code failed: the checking mode a variant file runs in (stored contexts and
// the shared configuration deep-frozen, so a write to either throws where it happens), a plain
// breadth-first search that finds the first step that throws (or hangs: it publishes where it
// is, for the watchdog), the write a frozen-object error was, named as a path, and the one
// line that reports it all: the file and line, the event, the state.
import { getInitialSnapshot, type AnyMachineSnapshot, type EventObject } from 'xstate';
import type { AbstractState, MachineSpec, Model } from '../spec.ts';
import { replay, type CheckStep } from './check.ts';
import { compile, Unsupported } from './compile.ts';
import { abstractState, inertScope } from './explore.ts';

/** Freezes `v` and everything reachable from it that is not frozen yet (shared parts stop the walk). */
export function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || ArrayBuffer.isView(v)) return;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
}

/** Freezes every configuration of a spec (their parameters and bounds): the configuration every model and state shares. */
export function freezeConfigurations(spec: MachineSpec): void {
  for (const c of spec.configurations) deepFreeze(c);
}

/** A TypeError a write to a frozen object raises in strict code. */
export function isFrozenWrite(e: unknown): e is TypeError {
  return e instanceof TypeError && /^Cannot (assign to read only property|add property|delete property|define property|redefine property)/.test(e.message);
}

/** The property a frozen-object TypeError names. */
const writtenProperty = (e: TypeError): string | undefined => /property '?([^' ,]+)'?/.exec(e.message)?.[1];

export interface Located {
  /** The step that threw: its state's index in the search, the event's index in `model.events` (-1: a property evaluated in the state threw), the state. */
  head: number;
  event: number;
  /** The property that threw, when one did. */
  property?: string;
  state: AbstractState<unknown>;
  /** Event indices from the initial state to the state. */
  path: number[];
  error: unknown;
  /** Runs the failing step again with another context in the state (to see what it writes). */
  rerun(context: unknown): void;
}

/** What the search publishes as it goes, for a watchdog in another thread (watchdog.ts). */
export interface LocateShared {
  /** [0]: the head being expanded, [1]: the event being stepped, [2]: steps taken (a heartbeat). */
  at: Int32Array;
  /** Per state: the state it was first reached from (-1 for the initial one) and the event. */
  parent: Int32Array;
  parentEvent: Int32Array;
}

/**
 * Breadth-first search from the initial state, without reductions, until a step throws (its
 * state, event and shortest path) or `maxStates` states were expanded (undefined). Stored
 * contexts are frozen when `freeze`, as in the checking mode. Slower than the explorer (a
 * JSON key per state); only a failed check runs it.
 */
export function locate(model: Model, options: { maxStates: number; freeze: boolean; shared?: LocateShared }): Located | undefined {
  const stepper = stepperFor(model);
  const keys = new Map<string, number>();
  const states: { value: unknown; context: unknown; raw: unknown }[] = [];
  const parent: number[] = [];
  const parentEvent: number[] = [];
  const sh = options.shared;
  let failed: Located | undefined;
  let instances: (readonly Readonly<Record<string, number>>[])[] | undefined;
  const add = (raw: unknown, from: number, ev: number) => {
    const s = stepper.view(raw);
    const key = JSON.stringify([s.value, s.context]);
    if (keys.has(key)) return;
    if (options.freeze) deepFreeze(s.context);
    // the properties, as the checker evaluates them: one of the file's may throw
    const st = s as AbstractState<unknown>;
    instances ??= model.liveness.map((l) => l.instances?.(st) ?? [{}]);
    let property = '';
    try {
      for (const inv of model.invariants) (property = inv.name), inv.holds(st);
      model.liveness.forEach((l, k) => {
        property = l.name;
        for (const i of instances![k]!) (l.p?.(st, i), l.q(st, i));
      });
    } catch (error) {
      failed ??= { head: states.length, event: -1, property, state: st, path: [...pathTo(from), ...(ev >= 0 ? [ev] : [])], error, rerun: () => {} };
    }
    keys.set(key, states.length);
    if (sh && states.length < sh.parent.length) {
      sh.parent[states.length] = from;
      sh.parentEvent[states.length] = ev;
    }
    states.push({ ...s, raw });
    parent.push(from);
    parentEvent.push(ev);
  };
  const pathTo = (i: number) => {
    const out: number[] = [];
    for (let s = i; s >= 0 && parent[s]! >= 0; s = parent[s]!) out.push(parentEvent[s]!);
    return out.reverse();
  };
  add(stepper.initial(), -1, -1);
  for (let head = 0; head < states.length && head < options.maxStates; head++) {
    if (failed) return failed;
    const st = states[head]!;
    for (let e = 0; e < model.events.length; e++) {
      if (sh) {
        sh.at[0] = head;
        sh.at[1] = e;
        Atomics.add(sh.at, 2, 1);
      }
      let next: unknown;
      try {
        next = stepper.step(st.raw, model.events[e]!);
      } catch (error) {
        const ev = model.events[e]!;
        return { head, event: e, state: { value: st.value as AbstractState<unknown>["value"], context: st.context }, path: pathTo(head), error, rerun: (c) => void stepper.step(stepper.withContext(st.raw, c), ev) };
      }
      if (next !== undefined) add(next, head, e);
    }
  }
  return failed;
}

interface Stepper {
  initial(): unknown;
  /** The next raw state, or undefined when no transition is enabled. */
  step(raw: unknown, event: EventObject): unknown;
  view(raw: unknown): { value: unknown; context: unknown };
  withContext(raw: unknown, context: unknown): unknown;
}

/** The compiled transition function where the compiler takes the machine, else xstate's. */
function stepperFor(model: Model): Stepper {
  try {
    const c = compile(model.machine);
    return {
      initial: () => ({ cfg: c.initial.cfg.slice(), context: c.initial.context }),
      step: (raw, event) => {
        const r = raw as { cfg: Uint8Array; context: unknown };
        const next = c.step(r.cfg, r.context, event);
        return next ? { cfg: next.slice(), context: c.context } : undefined;
      },
      view: (raw) => {
        const r = raw as { cfg: Uint8Array; context: unknown };
        return { value: c.value(r.cfg), context: r.context };
      },
      withContext: (raw, context) => ({ cfg: (raw as { cfg: Uint8Array }).cfg, context }),
    };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
  }
  const scope = inertScope(model.machine);
  return {
    initial: () => getInitialSnapshot(model.machine),
    step: (raw, event) => {
      const next = model.machine.transition(raw as AnyMachineSnapshot, event, scope);
      return next === raw ? undefined : next;
    },
    view: (raw) => abstractState(raw as AnyMachineSnapshot),
    withContext: (raw, context) => model.machine.resolveState({ value: (raw as AnyMachineSnapshot).value, context } as never),
  };
}

/**
 * The path of the write a frozen-object error was: the step run again on a recording,
 * read-only view of the state's context (`ctx.vms.0.gisa.ipm`; the core machines' shared
 * configuration is `ctx.params`), else the places in the state's context and the
 * configurations that have a property of that name.
 */
export function nameWrite(at: Located, error: TypeError, configurations: readonly unknown[]): string | undefined {
  const state = at.state;
  let path: string | undefined;
  const views = new WeakMap<object, object>();
  const view = (target: unknown, at: string): unknown => {
    if (target === null || typeof target !== 'object') return target;
    const known = views.get(target);
    if (known) return known;
    const p = new Proxy(target, {
      get: (t, k, r) => (typeof k === 'string' ? view(Reflect.get(t, k, r), `${at}.${k}`) : Reflect.get(t, k, r)),
      set: (_t, k) => {
        path ??= `${at}.${String(k)}`;
        throw new TypeError(`write to ${path}`);
      },
      deleteProperty: (_t, k) => {
        path ??= `${at}.${String(k)}`;
        throw new TypeError(`delete of ${path}`);
      },
      defineProperty: (_t, k) => {
        path ??= `${at}.${String(k)}`;
        throw new TypeError(`write to ${path}`);
      },
    });
    views.set(target, p);
    return p;
  };
  try {
    // a copy: a proxy of a frozen object must return the object's own values, not views of them
    at.rerun(view(structuredClone(state.context), 'ctx'));
  } catch {
    // the write (or the failure the write was) ends the step; `path` says which it was
  }
  if (path) return path.startsWith('ctx.params') ? path.slice(4) : path;
  const prop = writtenProperty(error);
  if (!prop) return undefined;
  const found = [...pathsTo(state.context, prop, 'ctx'), ...configurations.flatMap((c) => pathsTo(c, prop, 'configuration'))];
  return found.length ? found.slice(0, 3).join(' or ') : undefined;
}

/** Paths under `v` whose last key is `prop`. */
function pathsTo(v: unknown, prop: string, at: string, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (v === null || typeof v !== 'object' || seen.has(v)) return out;
  seen.add(v);
  for (const [k, x] of Object.entries(v)) {
    if (k === prop) out.push(`${at}.${k}`);
    pathsTo(x, prop, `${at}.${k}`, out, seen);
  }
  return out;
}

/** `vm0.kvm=running vm0.gisa=alive q0=aqic_disabled` and the context, short enough for one line. */
export function stateText(state: AbstractState<unknown>): string {
  const leaves: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    else leaves.push(prefix ? `${prefix}=${String(v)}` : String(v));
  };
  walk('', state.value);
  return leaves.join(' ');
}

/** `PQAP_AQIC {"q":0,"ir":1}` */
export function eventText(e: EventObject): string {
  const { type, ...payload } = e;
  return Object.keys(payload).length ? `${type} ${JSON.stringify(payload)}` : type;
}

/** The first stack frame in one of `files` (a variant file and what it extends), else the first frame at all, as `path:line`. */
export function frameOf(error: unknown, files: readonly string[]): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frames = [...stack.matchAll(/(?:\(|at )((?:file:\/\/)?\/[^():\s]+):(\d+):\d+\)?/g)].map((m) => ({ file: m[1]!.replace(/^file:\/\//, ''), line: m[2]! }));
  const own = frames.find((f) => files.some((x) => decodeURIComponent(f.file) === x));
  const f = own ?? frames.find((x) => !x.file.includes('/node_modules/') && !x.file.startsWith('node:'));
  return f ? `${relativeToCwd(decodeURIComponent(f.file))}:${f.line}` : undefined;
}

/** The line in one of `files` that defines `name` (a replacement: `name(`, `name:`; a property: `name: 'Name'`), as `path:line`. */
export function definitionOf(name: string, files: readonly string[], read: (f: string) => string): string | undefined {
  const bare = name.replace(/^(invariant|liveness) /, '').replace(/ [pq]$/, '');
  const esc = bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = [new RegExp(`\\b${esc}\\s*(\\(|:)`), new RegExp(`['"\`]${esc}['"\`]`)];
  for (const file of files) {
    const lines = read(file).split('\n');
    for (const re of patterns) {
      const i = lines.findIndex((l) => re.test(l));
      if (i >= 0) return `${relativeToCwd(file)}:${i + 1}`;
    }
  }
  return undefined;
}

function relativeToCwd(f: string): string {
  const cwd = process.cwd() + '/';
  return f.startsWith(cwd) ? f.slice(cwd.length) : f;
}

/** A step of a check that failed: what the one-line error and the `--verbose` trace say. */
export interface StepFailure {
  /** The one line (without a trailing newline). */
  line: string;
  /** The numbered steps to the state, for --verbose. */
  trace: string[];
}

/** The one line and trace for an error thrown in a step, located by `locate`. */
export function describeThrow(model: Model, at: Located, files: readonly string[], configurations: readonly unknown[]): StepFailure {
  const event = model.events[at.event];
  const where = frameOf(at.error, files);
  let what: string;
  if (isFrozenWrite(at.error) && event) {
    const path = nameWrite(at, at.error, configurations);
    const shared = path?.startsWith('params') || path?.startsWith('configuration');
    what = shared
      ? `writes ${path}, the shared configuration every state reads (set parameters with the file's params or --set)`
      : `writes ${path ?? 'a stored context'} of a stored context, which other states share (change the copy kernel()/update() give you, or return new objects from assign)`;
  } else {
    const e = at.error as { name?: string; message?: string };
    what = `${e?.name ?? 'Error'}: ${String(e?.message ?? at.error).split('\n')[0]}`;
  }
  return {
    line: `${where ? `${where}: ` : ''}${what}, ${event ? `at event ${eventText(event)} in state` : `evaluating ${at.property} in state`} ${stateText(at.state)} (${stepsText(at.path.length)})`,
    trace: traceLines(model, at.path),
  };
}

/** How far the state is from the initial one. */
export const stepsText = (n: number): string => (n === 0 ? 'the initial state' : `${n} step${n === 1 ? '' : 's'} from the initial state; --verbose shows them`);

/** The steps of a path, numbered, with the actor and what each changed (the steps ran before, so replaying them is safe). */
export function traceLines(model: Model, path: readonly number[], withChanges = true): string[] {
  let steps: CheckStep[];
  if (withChanges) {
    try {
      steps = replay(model, path).steps;
    } catch {
      steps = path.map((e, k) => ({ step: k + 1, event: model.events[e]!, actor: model.eventInfo[model.events[e]!.type]?.actor ?? 'unknown', after: {} }));
    }
  } else steps = path.map((e, k) => ({ step: k + 1, event: model.events[e]!, actor: model.eventInfo[model.events[e]!.type]?.actor ?? 'unknown', after: {} }));
  return steps.map((t) => {
    const changed = Object.entries(t.after)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `  ${t.step}. [${t.actor}] ${eventText(t.event)}${changed ? '  -> ' + changed : ''}`;
  });
}
