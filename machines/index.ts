// Every machine of the package, in the order `list` and `check` show them.
import type { MachineSpec } from '../src/spec.ts';
import { gibSpec, gisaSpec } from './gisa/index.ts';
import { vcpuSpec } from './vcpu/index.ts';
import { mdevSpec, queueSpec } from './vfio-ap/index.ts';
import { kvmSpec, systemSpec } from './system/index.ts';
import { flicSpec } from './flic-ais/index.ts';
import { vfioCcwPrivate } from './vfio-ccw/index.ts';
import { kvmMemorySlotSpec } from './dirty-log/kvm_memory_slot.variants.ts';

export const specs: MachineSpec[] = [gibSpec, gisaSpec, vcpuSpec, queueSpec, mdevSpec, kvmSpec, systemSpec, flicSpec, vfioCcwPrivate, kvmMemorySlotSpec];

export function findSpec(id: string): MachineSpec | undefined {
  return specs.find((s) => s.id === id);
}
