// Every machine of the package, in the order `list` and `check` show them.
import type { MachineSpec } from '../src/spec.ts';
import { gibSpec, gisaSpec } from './gisa/index.ts';
import { vcpuSpec } from './vcpu/index.ts';
import { mdevSpec, queueSpec } from './vfio-ap/index.ts';
import { kvmSpec, systemSpec } from './system/index.ts';

export const specs: MachineSpec[] = [gibSpec, gisaSpec, vcpuSpec, queueSpec, mdevSpec, kvmSpec, systemSpec];

export function findSpec(id: string): MachineSpec | undefined {
  return specs.find((s) => s.id === id);
}
