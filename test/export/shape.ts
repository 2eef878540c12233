// Two independent readings of a statechart for the round-trip test: straight from xstate's
// state nodes, and from a parsed SCXML document. Both give sorted state and transition lists.
import type { AnyStateMachine } from 'xstate';

export interface Shape {
  states: string[];
  transitions: string[];
}

type Node = { id: string; type: string; states: Record<string, Node>; initial?: { target: { id: string }[] }; transitions: Map<string, { target?: { id: string }[] }[]>; always?: { target?: { id: string }[] }[] };

export function machineShape(m: AnyStateMachine): Shape {
  const states: string[] = [];
  const transitions: string[] = [];
  const visit = (n: Node) => {
    const init = n.type === 'compound' ? n.initial?.target[0]?.id ?? '' : '';
    states.push(`${n.id} ${n.type === 'compound' || n.type === 'atomic' ? 'state' : n.type} ${init}`.trim());
    for (const [event, defs] of n.transitions) for (const d of defs) transitions.push(`${n.id} ${event} -> ${(d.target ?? []).map((t) => t.id).join(' ')}`);
    for (const d of n.always ?? []) transitions.push(`${n.id}  -> ${(d.target ?? []).map((t) => t.id).join(' ')}`);
    Object.values(n.states).forEach(visit);
  };
  visit(m.root as unknown as Node);
  return { states: states.sort(), transitions: transitions.sort() };
}

type El = Record<string, unknown>;

export function scxmlShape(doc: El): Shape {
  const states: string[] = [];
  const transitions: string[] = [];
  const visit = (tag: string, el: El) => {
    const id = String(el['id']);
    states.push(`${id} ${tag} ${el['initial'] ?? ''}`.trim());
    for (const t of (el['transition'] as El[] | undefined) ?? []) transitions.push(`${id} ${t['event'] ?? ''} -> ${t['target'] ?? ''}`);
    for (const child of ['state', 'parallel', 'final', 'history']) for (const c of (el[child] as El[] | undefined) ?? []) visit(child, c);
  };
  const scxml = (doc['scxml'] as El[])[0]!;
  for (const child of ['state', 'parallel', 'final']) for (const c of (scxml[child] as El[] | undefined) ?? []) visit(child, c);
  return { states: states.sort(), transitions: transitions.sort() };
}
