// Safety predicates that span objects: the GISA-destroy hazard of the AQIC series.
import { AlertMaskZeroAtDestroy, NoGisaUseAfterFree, gisaInvariants } from '../gisa/kvm_s390_gisa_interrupt.invariants.ts';
import { gibInvariants } from '../gisa/kvm_s390_gib.invariants.ts';
import { inv, savedIsc } from '../invariant-lib.ts';
import { vcpuInvariants } from '../vcpu/kvm_vcpu.invariants.ts';
import { mdevInvariants } from '../vfio-ap/ap_matrix_mdev.invariants.ts';
import { GiscRefcountMatchesSavedIscs, queueInvariants } from '../vfio-ap/vfio_ap_queue.invariants.ts';
import { NoGiscCallOnFreedKvm, kvmInvariants } from './kvm.invariants.ts';

export const AqicResourcesFreedBeforeGisaDestroy = inv(
  'AqicResourcesFreedBeforeGisaDestroy',
  'Halil Pasic on "[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control": interruptions enabled with AQIC are disabled, the GISC unregistered and the NIB unpinned before kvm_s390_gisa_destroy() makes the GISA go away',
  ({ context }) =>
    context.vms.every(
      (k, vm) =>
        k.gisa.origin ||
        context.queues.every((q) => !(q.irq && q.hwGisa === vm) && !((savedIsc(q.isc) || q.nib) && (q.hwGisa === vm || context.mdev.kvm === vm))),
    ),
  {
    context: [['vms', '*', 'gisa', 'origin'], ['vms', 'length'], ['queues', '*', 'irq'], ['queues', '*', 'hwGisa'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', 'length'], ['mdev', 'kvm']],
  },
);

export const systemInvariants = [
  ...gibInvariants,
  ...gisaInvariants,
  ...vcpuInvariants,
  ...kvmInvariants,
  ...mdevInvariants,
  ...queueInvariants,
  GiscRefcountMatchesSavedIscs,
  AqicResourcesFreedBeforeGisaDestroy,
  AlertMaskZeroAtDestroy,
  NoGisaUseAfterFree,
  NoGiscCallOnFreedKvm,
];
