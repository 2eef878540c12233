// The machine of the vcpu area.
import { coreSpec } from '../system/spec.ts';
import type { Parts } from '../system/system.machine.ts';
import { vcpuConfigurations } from './kvm_vcpu.bounds.ts';
import { vcpuInvariants } from './kvm_vcpu.invariants.ts';
import { AdapterInterruptionLedger } from '../gisa/kvm_s390_gisa_interrupt.invariants.ts';
import { vcpuLiveness } from './kvm_vcpu.liveness.ts';
import { vcpuVariants } from './kvm_vcpu.variants.ts';
import { vcpuAudit } from './kvm_vcpu.audit.ts';

/** The vcpu regions, and adapter interruptions made pending in the GISA by the environment. */
export const vcpuSpecParts: Parts = {
  vcpus: true,
  rootOn: { GISA_ADAPTER_INTERRUPTION: { actions: { type: 'GISA_ADAPTER_INTERRUPTION' }, meta: { actor: 'hardware' } } },
};

export const vcpuSpec = coreSpec({
  id: 'kvm_vcpu',
  audit: vcpuAudit,
  area: 'vcpu',
  kernelObject: 'kvm_vcpu',
  parts: vcpuSpecParts,
  configurations: vcpuConfigurations,
  variants: vcpuVariants,
  // issue 14: the GISA's IPM ledger too (the vcpu's delivery, STOSM and TPI steps record it): which ISC a step presents
  invariants: [...vcpuInvariants, AdapterInterruptionLedger],
  liveness: vcpuLiveness,
});
