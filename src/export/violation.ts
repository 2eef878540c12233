// The violating state of a counterexample, as the review page marks it: the state the trace
// ends in (an invariant; a goal no longer reachable) or the state after which a leadsTo's
// condition held for good, replayed through the machine, with the fields the property read
// there and their values, grouped by object (`queues[0]: irq = true, hwGisa = 0`). Where the
// trace cannot be replayed (a variant file, a machine not in the registry) the values are the
// last ones the trace's steps set.
import { replayLast } from '../check/check.ts';
import type { Exploration } from '../check/explore.ts';
import type { AbstractState, Instance, MachineSpec, Model } from '../spec.ts';
import type { CheckResult, PropertyResult } from './results.ts';

export interface ViolationMark {
  property: string;
  kind: 'invariant' | 'liveness';
  /** The step after which the marked state holds (0: the initial state). */
  step: number;
  /** A per-object property's object: `vm 0, vcpu 1`. */
  instance?: string;
  /** Per object, the fields and values: what the property read, or (not replayed) what the trace set last. */
  objects: { object: string; values: [string, string][] }[];
  /** Whether the values come from replaying the trace and reading the property (else from the trace's own changes). */
  replayed: boolean;
}

/** The fields a predicate reads (leaves, as `state.<region>` and `ctx.<path>`), in order, with their values. */
export function readsOf(predicate: (s: AbstractState<unknown>) => unknown, state: AbstractState<unknown>): [string, unknown][] {
  const seen = new Map<string, unknown>();
  // a JSON copy: stored contexts may be frozen, and a proxy must not lie about frozen fields
  const copy = JSON.parse(JSON.stringify({ value: state.value, context: state.context ?? null })) as { value: unknown; context: unknown };
  const wrap = (v: unknown, path: string): unknown => {
    if (v === null || typeof v !== 'object') {
      seen.set(path, v);
      return v;
    }
    return new Proxy(v as object, {
      get(target, key, receiver) {
        const x = Reflect.get(target, key, receiver);
        if (typeof key === 'symbol' || key === 'length' || typeof x === 'function') return x;
        return wrap(x, `${path}.${key}`);
      },
    });
  };
  const root = { get value() { return wrap(copy.value, 'state'); }, get context() { return wrap(copy.context, 'ctx'); } };
  predicate(root as AbstractState<unknown>);
  return [...seen];
}

/** `ctx.queues.0.irq` -> [`queues[0]`, `irq`]; `ctx.vms.0.gisa.ref.3` -> [`vms[0]`, `gisa.ref[3]`]; `state.vm0.gisa` -> [`state`, `vm0.gisa`]. */
export function objectOf(path: string): [string, string] {
  const [root, ...rest] = path.split('.');
  const index = (x: string) => /^\d+$/.test(x);
  const label = (segs: readonly string[]) => segs.map((x, i) => (index(x) ? `[${x}]` : `${i ? '.' : ''}${x}`)).join('');
  if (root === 'state') return ['state', label(rest) || '(value)'];
  // the object: the path up to the last array index before the field
  let cut = -1;
  for (let i = 0; i < rest.length - 1; i++) if (index(rest[i]!)) cut = i;
  if (cut >= 0) return [label(rest.slice(0, cut + 1)), label(rest.slice(cut + 1))];
  return rest.length > 1 ? [rest[0]!, label(rest.slice(1))] : ['context', rest[0] ?? '(value)'];
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function group(leaves: readonly [string, unknown][], limit = 8): ViolationMark['objects'] {
  const out: ViolationMark['objects'] = [];
  for (const [path, v] of leaves) {
    const [object, field] = objectOf(path);
    let g = out.find((x) => x.object === object);
    if (!g) out.push((g = { object, values: [] }));
    const prev = g.values.findIndex(([f]) => f === field);
    if (prev >= 0) g.values.splice(prev, 1);
    g.values.push([field, show(v)]);
  }
  return out.slice(-limit);
}

/** `default[vcpus=1,iscs=[3,5]]` -> the configuration and its parameters. */
export function parseConfiguration(id: string): { base: string; params?: Record<string, unknown> } {
  const m = /^([^[]+)\[(.*)\]$/.exec(id);
  if (!m) return { base: id };
  const params: Record<string, unknown> = {};
  for (const kv of m[2]!.split(/,(?=[A-Za-z_][A-Za-z0-9_]*=)/)) {
    const eq = kv.indexOf('=');
    params[kv.slice(0, eq)] = JSON.parse(kv.slice(eq + 1));
  }
  return { base: m[1]!, params };
}

/** The model of the last check result replayed (undefined: it cannot be built): a result's counterexamples come one after another (504 in 166 checks for npm start), its model built once. */
let lastModel: { spec: MachineSpec; r: CheckResult; model: Model | undefined; index?: Map<string, number> } | undefined;

function modelOf(spec: MachineSpec, r: CheckResult): Model | undefined {
  if (lastModel?.spec === spec && lastModel.r === r) return lastModel.model;
  let model: Model | undefined;
  try {
    const { base, params } = parseConfiguration(r.configuration);
    model = spec.model(r.variant, base, params ? { params } : undefined);
  } catch {
    model = undefined;
  }
  lastModel = { spec, r, model };
  return model;
}

/** Each graph's out-edges by source state (flat, as edgeCoverPaths lays them out), built on first use. */
const outEdgesOf = new WeakMap<Exploration, { start: Int32Array; edges: Int32Array }>();

/**
 * The stored state the explored graph reaches from its initial state along `events`, or undefined
 * where the graph has no such step (a partial-order reduced graph leaves steps out). Only for a
 * graph of concrete states: not a symmetry quotient, not dead-variable reduced.
 */
export function stateAlong(x: Exploration, events: readonly number[]): AbstractState<unknown> | undefined {
  let out = outEdgesOf.get(x);
  if (!out) {
    const n = x.states.length;
    const m = x.edges.length / 3;
    const start = new Int32Array(n + 1);
    for (let e = 0; e < m; e++) start[x.edges[3 * e]! + 1]!++;
    for (let s = 0; s < n; s++) start[s + 1]! += start[s]!;
    const edges = new Int32Array(m);
    const fill = start.slice(0, n);
    for (let e = 0; e < m; e++) edges[fill[x.edges[3 * e]!]!++] = e;
    outEdgesOf.set(x, (out = { start, edges }));
  }
  let s = 0;
  for (const ev of events) {
    let to = -1;
    for (let j = out.start[s]!; j < out.start[s + 1]!; j++) {
      const e = out.edges[j]!;
      if (x.edges[3 * e + 1] === ev) {
        to = x.edges[3 * e + 2]!;
        break;
      }
    }
    if (to < 0) return undefined;
    s = to;
  }
  return x.states[s];
}

/** Each given model's event index (a check's model, replayed for each of its counterexamples). */
const indices = new WeakMap<Model, Map<string, number>>();

function replayed(spec: MachineSpec, r: CheckResult, p: PropertyResult, step: number, given?: Model, graph?: Exploration): Omit<ViolationMark, 'property' | 'kind' | 'step' | 'replayed' | 'instance'> | undefined {
  const mine = given && given.machineId === r.machine && given.variantId === r.variant && given.configurationId === r.configuration;
  const model = mine ? given : modelOf(spec, r);
  if (!model) return undefined;
  let index = mine ? indices.get(model) : lastModel!.index;
  if (!index) {
    index = new Map(model.events.map((e, i) => [JSON.stringify(e), i]));
    if (mine) indices.set(model, index);
    else lastModel!.index = index;
  }
  const steps = [...(p.trace ?? []), ...(p.cycle ?? [])].slice(0, step);
  const events = steps.map((s) => index.get(JSON.stringify(s.event)));
  if (events.some((e) => e === undefined)) return undefined;
  // the check's own graph where it has every step (a machine is deterministic: one edge per state and event), else a replay
  let last = mine && graph ? stateAlong(graph, events as number[]) : undefined;
  if (!last) {
    try {
      last = replayLast(model, events as number[]);
    } catch {
      return undefined;
    }
  }
  if (p.kind === 'invariant') {
    const inv = model.invariants.find((x) => x.name === p.property);
    if (!inv || inv.holds(last)) return undefined;
    return { objects: group(readsOf((s) => inv.holds(s), last)) };
  }
  const prop = model.liveness.find((x) => x.name === p.property);
  if (!prop) return undefined;
  const inst: Instance = p.instance ?? {};
  return { objects: group(readsOf((s) => [prop.p?.(s, inst), prop.q(s, inst)], last)) };
}

/** `model`: the check's own model (the check's worker has it), replayed instead of one built from the result's ids; `graph`: its exploration, of concrete states (see stateAlong), where the violating state is looked up first. */
export function violationMark(spec: MachineSpec | undefined, r: CheckResult, p: PropertyResult, model?: Model, graph?: Exploration): ViolationMark {
  const trace = p.trace ?? [];
  const step = p.kind === 'liveness' && p.trigger !== undefined ? p.trigger : trace.length;
  const instance = p.instance && Object.keys(p.instance).length ? Object.entries(p.instance).map(([k, v]) => `${k} ${v}`).join(', ') : undefined;
  const base = { property: p.property, kind: p.kind, step, ...(instance ? { instance } : {}) };
  const found = spec ? replayed(spec, r, p, step, model, graph) : undefined;
  if (found) return { ...base, ...found, replayed: true };
  const set: [string, unknown][] = trace.slice(0, step).flatMap((s) => Object.entries(s.after ?? {}));
  return { ...base, objects: group(set, 4), replayed: false };
}
