// The statechart as the exporters see it: every state node of `machine.root` and every
// transition definition, walked once into plain records with stable ids and labels, so
// Mermaid, DOT, SCXML and the page all draw the same thing and count the same things.
import { getInitialSnapshot, type AnyStateMachine } from 'xstate';

export type NodeType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartNode {
  /** xstate's state node id, e.g. `vfio_ap_queue.irq.enabled`. */
  id: string;
  key: string;
  type: NodeType;
  depth: number;
  /** For history nodes: 'shallow' or 'deep'. */
  history?: string;
  /** Id of the initial child (compound nodes). */
  initial?: string;
  description?: string;
  meta?: Record<string, unknown>;
  /** Children in definition order (the order the author wrote, hence the order of regions). */
  children: ChartNode[];
  transitions: ChartTransition[];
}

export interface ChartTransition {
  /** Stable index in the whole chart (depth-first over nodes, events sorted, then priority). */
  index: number;
  source: string;
  /** Event descriptor; '' for an eventless (`always`) transition. */
  event: string;
  /** Target node ids; empty for a targetless transition (context update only). */
  targets: string[];
  /** Guard as a label (`name`, `name(q=0)`, `and(a, !b)`), undefined when unguarded. */
  guard?: string;
  /** Guard as an ECMAScript condition for SCXML (`name({"q":0}) && !b`, `In('id')`). */
  cond?: string;
  actions: string[];
  actor?: string;
  reenter: boolean;
  description?: string;
  meta?: Record<string, unknown>;
  /** The xstate transition definition itself, for coverage by identity. */
  definition: object;
}

export interface Chart {
  machineId: string;
  root: ChartNode;
  nodes: ChartNode[];
  transitions: ChartTransition[];
  /** The machine's initial context, JSON-safe. */
  context: unknown;
}

// xstate's StateNode as far as the exporters read it (its public fields are typed loosely).
interface SN {
  id: string;
  key: string;
  type: NodeType;
  history: false | 'shallow' | 'deep';
  states: Record<string, SN>;
  initial: { target: SN[] } | undefined;
  transitions: Map<string, TD[]>;
  always?: TD[];
  description?: string;
  meta?: Record<string, unknown>;
}
interface TD {
  target?: SN[] | undefined;
  guard?: unknown;
  actions: unknown[];
  reenter?: boolean;
  meta?: Record<string, unknown>;
  description?: string;
}

export function chartOf(machine: AnyStateMachine, machineId: string = machine.id): Chart {
  const nodes: ChartNode[] = [];
  const transitions: ChartTransition[] = [];
  const visit = (sn: SN, depth: number): ChartNode => {
    const node: ChartNode = { id: sn.id, key: depth === 0 ? machineId : sn.key, type: sn.type, depth, children: [], transitions: [] };
    if (sn.type === 'history') node.history = sn.history || 'shallow';
    const init = sn.type === 'compound' ? sn.initial?.target[0] : undefined;
    if (init) node.initial = init.id;
    if (sn.description !== undefined) node.description = sn.description;
    if (sn.meta !== undefined) node.meta = sn.meta;
    nodes.push(node);
    const byEvent = [...sn.transitions.entries()].sort(([a], [b]) => cmp(a, b));
    if (sn.always?.length) byEvent.push(['', sn.always]);
    for (const [event, defs] of byEvent) {
      for (const td of defs) {
        const t: ChartTransition = {
          index: transitions.length,
          source: sn.id,
          event,
          targets: (td.target ?? []).map((x) => x.id),
          actions: td.actions.map(actionName),
          reenter: td.reenter ?? false,
          definition: td,
        };
        if (td.guard !== undefined) {
          t.guard = guardLabel(td.guard);
          t.cond = guardCond(td.guard);
        }
        const actor = td.meta?.['actor'];
        if (typeof actor === 'string') t.actor = actor;
        if (td.description !== undefined) t.description = td.description;
        if (td.meta !== undefined) t.meta = td.meta;
        transitions.push(t);
        node.transitions.push(t);
      }
    }
    node.children = Object.values(sn.states).map((c) => visit(c, depth + 1));
    return node;
  };
  const root = visit(machine.root as unknown as SN, 0);
  return { machineId, root, nodes, transitions, context: jsonSafe(initialContext(machine)) };
}

/** The machine's own count: state nodes (the root included) and transition definitions. */
export function machineCounts(machine: AnyStateMachine): { states: number; transitions: number } {
  let states = 0;
  let transitions = 0;
  const visit = (sn: SN) => {
    states++;
    for (const defs of sn.transitions.values()) transitions += defs.length;
    transitions += sn.always?.length ?? 0;
    Object.values(sn.states).forEach(visit);
  };
  visit(machine.root as unknown as SN);
  return { states, transitions };
}

function initialContext(machine: AnyStateMachine): unknown {
  try {
    return getInitialSnapshot(machine).context;
  } catch {
    return typeof machine.config.context === 'function' ? undefined : machine.config.context;
  }
}

/** `transition` label: `event [guard]`; eventless transitions are labelled `always`. */
export function transitionLabel(t: ChartTransition): string {
  const ev = t.event === '' ? 'always' : t.event;
  return t.guard ? `${ev} [${t.guard}]` : ev;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Fn = ((...args: never[]) => unknown) & { guards?: unknown[]; stateValue?: unknown; type?: unknown };

function fnName(f: Fn): string {
  if (typeof f.type === 'string') return f.type;
  return f.name && f.name !== 'anonymous' ? f.name : 'inline';
}

/** Guard configs: a name, `{ type, params }` (params an object or a function), an inline function or a combinator. */
export function guardLabel(g: unknown): string {
  if (typeof g === 'string') return g;
  if (typeof g === 'function') {
    const f = g as Fn;
    if (f.stateValue !== undefined) return `stateIn(${stateInText(f.stateValue)})`;
    if (Array.isArray(f.guards)) {
      const parts = f.guards.map(guardLabel);
      if (f.name === 'not') return `!${parts[0]}`;
      return `${f.name}(${parts.join(', ')})`;
    }
    return fnName(f);
  }
  if (g && typeof g === 'object' && 'type' in g) {
    const { type, params } = g as { type: string; params?: unknown };
    if (params === undefined) return type;
    if (typeof params === 'function') return `${type}(${fnName(params as Fn)})`;
    if (params && typeof params === 'object') {
      const kv = Object.entries(params as Record<string, unknown>).map(([k, v]) => `${k}=${scalar(v)}`);
      return `${type}(${kv.join(', ')})`;
    }
    return `${type}(${scalar(params)})`;
  }
  return 'guard';
}

/** The same guard as an ECMAScript condition (SCXML `cond`, ecmascript data model). */
export function guardCond(g: unknown): string {
  if (typeof g === 'string') return `${g}()`;
  if (typeof g === 'function') {
    const f = g as Fn;
    if (f.stateValue !== undefined) return `In(${JSON.stringify(stateInText(f.stateValue))})`;
    if (Array.isArray(f.guards)) {
      const parts = f.guards.map(guardCond);
      if (f.name === 'not') return `!(${parts[0]})`;
      return `(${parts.join(f.name === 'and' ? ' && ' : ' || ')})`;
    }
    return `${fnName(f)}()`;
  }
  if (g && typeof g === 'object' && 'type' in g) {
    const { type, params } = g as { type: string; params?: unknown };
    if (params === undefined) return `${type}()`;
    if (typeof params === 'function') return `${type}(${fnName(params as Fn)})`;
    return `${type}(${JSON.stringify(jsonSafe(params))})`;
  }
  return 'guard()';
}

function stateInText(v: unknown): string {
  if (typeof v === 'string') return v.replace(/^#/, '');
  return JSON.stringify(v);
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'function' ? fnName(v as Fn) : JSON.stringify(jsonSafe(v));
}

export function actionName(a: unknown): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'function') return fnName(a as Fn);
  if (a && typeof a === 'object' && 'type' in a) return String((a as { type: unknown }).type);
  return 'action';
}

/** JSON-safe copy: functions become their names, undefined is dropped, key order kept. */
export function jsonSafe(v: unknown): unknown {
  const fnText = (f: Fn) => (Array.isArray(f.guards) || f.stateValue !== undefined ? guardLabel(f) : fnName(f));
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? fnText(x as Fn) : x)) ?? 'null');
}
