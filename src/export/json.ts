// JSON for Stately's editor (Import → JSON): the machine's own config, with descriptions and
// meta, made JSON-safe (inline functions replaced by their names, combinator guards by their
// label, a context factory by the initial context it produces).
import type { AnyStateMachine } from 'xstate';
import { jsonSafe, type Chart } from './chart.ts';

export function toStatelyJson(machine: AnyStateMachine, chart: Chart): string {
  const config = { ...(machine.config as Record<string, unknown>) };
  if (typeof config['context'] === 'function') config['context'] = chart.context;
  if (config['id'] === undefined) config['id'] = chart.machineId;
  return JSON.stringify(jsonSafe(config), null, 2) + '\n';
}
