// Every machine of the package, in the order `list` and `check` show them.
import type { MachineSpec } from '../src/spec.ts';
import { kvmMemorySlotSpec } from './dirty-log/kvm_memory_slot.variants.ts';

export const specs: MachineSpec[] = [kvmMemorySlotSpec];

export function findSpec(id: string): MachineSpec | undefined {
  return specs.find((s) => s.id === id);
}
