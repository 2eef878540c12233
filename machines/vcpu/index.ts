// The machine of the vcpu area.
import { coreSpec } from '../system/spec.ts';
import { vcpuConfigurations } from './kvm_vcpu.bounds.ts';
import { vcpuInvariants } from './kvm_vcpu.invariants.ts';
import { vcpuVariants } from './kvm_vcpu.variants.ts';

export const vcpuSpec = coreSpec({
  id: 'kvm_vcpu',
  area: 'vcpu',
  kernelObject: 'kvm_vcpu',
  parts: {
    vcpus: true,
    rootOn: { GISA_ADAPTER_INTERRUPTION: { actions: { type: 'GISA_ADAPTER_INTERRUPTION' }, meta: { actor: 'hardware' } } },
  },
  configurations: vcpuConfigurations,
  variants: vcpuVariants,
  invariants: vcpuInvariants,
});
