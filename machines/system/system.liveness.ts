// Liveness of the composed guest, kept apart from safety.
import type { LivenessProperty } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';
import { AlertListDrained } from '../gisa/kvm_s390_gib.invariants.ts';
import { NoLostWakeup, VcpuCanHalt } from '../vcpu/kvm_vcpu.liveness.ts';

/** Every VM destroyed and freed, no NIB pinned, no GISC saved, no reference held by vfio_ap. */
export function cleanTeardown(c: SystemContext): boolean {
  return c.vms.every((k) => k.freed) && c.queues.every((q) => q.pins === 0 && q.isc < 0 && !q.irq) && c.mdev.kvm < 0 && !c.mdev.kvmRef;
}

export const CleanTeardownReachable: LivenessProperty<SystemContext> = {
  name: 'CleanTeardownReachable',
  cite: 'kvm_destroy_vm after vfio_ap_mdev_unset_kvm: from every state QEMU can still close everything and leave no GISC registered, no NIB pinned and no reference behind',
  kind: 'alwaysReachable',
  q: ({ context }) => cleanTeardown(context),
};

export const systemLiveness = [NoLostWakeup, CleanTeardownReachable, AlertListDrained];
// VcpuCanHalt only where QEMU cannot close the VM fd: with teardown, stopping the vcpu and closing the fd reaches its goal from anywhere
export const airqLiveness = [NoLostWakeup, VcpuCanHalt, AlertListDrained];
