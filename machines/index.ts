// Every machine of the package, in the order `list` and `check` show them.
import type { MachineSpec } from '../src/spec.ts';
import { vfioCcwPrivate } from './vfio-ccw/index.ts';

export const specs: MachineSpec[] = [vfioCcwPrivate];

export function findSpec(id: string): MachineSpec | undefined {
  return specs.find((s) => s.id === id);
}
