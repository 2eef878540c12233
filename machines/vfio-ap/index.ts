// The machines of the vfio-ap area: the queue (with the mdev it belongs to) and the mdev (with its VM).
import { KvmTypeOK, NoGiscCallOnFreedKvm } from '../system/kvm.invariants.ts';
import { coreSpec } from '../system/spec.ts';
import { mdevInvariants } from './ap_matrix_mdev.invariants.ts';
import { apAnswerConfigurations, deviceResetConfigurations, guestResetConfigurations, guestStatusConfigurations, mdevConfigurations, queueConfigurations } from './vfio_ap_queue.bounds.ts';
import { AqicStepPostcondition, GiscRefcountMatchesSavedIscs, queueInvariants, ResetStepPostcondition } from './vfio_ap_queue.invariants.ts';
import { apAnswerVariants, apRemoveVariant, deviceResetVariants, guestResetVariants, guestStatusVariants, mdevVariants, queueVariants, resetWarnDisables } from './vfio_ap_queue.variants.ts';
import { mdevAudit } from './ap_matrix_mdev.audit.ts';
import { queueAudit } from './vfio_ap_queue.audit.ts';

export const queueSpec = coreSpec({
  id: 'vfio_ap_queue',
  audit: queueAudit,
  area: 'vfio-ap',
  kernelObject: 'vfio_ap_queue',
  parts: { mdev: true, queues: true },
  configurations: [...queueConfigurations, ...apAnswerConfigurations, ...deviceResetConfigurations, ...guestResetConfigurations, ...guestStatusConfigurations],
  variants: [...queueVariants, ...apAnswerVariants, apRemoveVariant, resetWarnDisables, ...deviceResetVariants, ...guestResetVariants, ...guestStatusVariants],
  invariants: [...queueInvariants, ...mdevInvariants, GiscRefcountMatchesSavedIscs, AqicStepPostcondition, ResetStepPostcondition],
});

export const mdevSpec = coreSpec({
  id: 'ap_matrix_mdev',
  audit: mdevAudit,
  area: 'vfio-ap',
  kernelObject: 'ap_matrix_mdev',
  parts: { mdev: true, kvm: true },
  configurations: mdevConfigurations,
  variants: mdevVariants,
  invariants: [...mdevInvariants, KvmTypeOK, NoGiscCallOnFreedKvm],
});
