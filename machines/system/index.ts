// The struct kvm machine and the composed guest.
import { coreSpec } from './spec.ts';
import { kvmConfigurations } from './kvm.bounds.ts';
import { kvmInvariants } from './kvm.invariants.ts';
import { kvmVariants } from './kvm.variants.ts';
import { systemConfigurations } from './system.bounds.ts';
import { systemInvariants } from './system.invariants.ts';
import { systemLiveness } from './system.liveness.ts';
import { systemVariants } from './system.variants.ts';
import { ALL_PARTS } from './system.machine.ts';
import { kvmAudit } from './kvm.audit.ts';
import { systemAudit } from './system.audit.ts';
import { coarseFootprints } from './system.footprints.ts';

export const kvmSpec = coreSpec({
  id: 'kvm',
  audit: kvmAudit,
  area: 'system',
  kernelObject: 'kvm',
  parts: { kvm: true, env: true },
  configurations: kvmConfigurations,
  variants: kvmVariants,
  invariants: kvmInvariants,
});

export const systemSpec = coreSpec({
  id: 'system',
  audit: systemAudit,
  area: 'system',
  kernelObject: 'kvm (composed: kvm_s390_gib, kvm_s390_gisa_interrupt, kvm_vcpu, ap_matrix_mdev, vfio_ap_queue)',
  parts: ALL_PARTS,
  configurations: systemConfigurations,
  variants: systemVariants,
  invariants: systemInvariants,
  liveness: systemLiveness,
  stateFootprints: coarseFootprints,
});
