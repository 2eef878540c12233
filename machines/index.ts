// Every machine of the package, in the order `list` and `check` show them.
import type { MachineSpec } from '../src/spec.ts';
import { flicSpec } from './flic-ais/index.ts';

export const specs: MachineSpec[] = [flicSpec];

export function findSpec(id: string): MachineSpec | undefined {
  return specs.find((s) => s.id === id);
}
