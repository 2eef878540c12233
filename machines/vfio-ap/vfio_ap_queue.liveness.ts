// Liveness of vfio_ap queues: the reset work and the close waiting for it (issue 12, apAnswers configurations);
// that the guest can enable the interruptions of an assigned queue (issue 14, apmut).
import { ISC_INVALID, type SystemContext } from '../context.ts';
import type { LivenessProperty } from '../../src/spec.ts';

export const ResetWorkCanFinish: LivenessProperty<SystemContext> = {
  name: 'ResetWorkCanFinish',
  cite: 'vfio_ap_ops.c apq_reset_check: the loop ends (break after vfio_ap_free_aqic_resources, or return on -EIO) once TAPQ answers anything but RESET_IN_PROGRESS/BUSY, and vfio_ap_mdev_reset_queues\' flush_work then returns to vfio_ap_mdev_unset_kvm: from every state the close can still complete and leave no reset work queued (only an AP that answers busy forever keeps it waiting)',
  kind: 'alwaysReachable',
  q: ({ context }) => !context.mdev.unsetting && context.queues.every((q) => q.work === undefined || q.work === 'idle'),
};

export const apAnswerLiveness = [ResetWorkCanFinish];

/**
 * Checked in one-queue-kept (one-queue-answered without the remove: not in one-queue, where upstream's default-response
 * leak fills the pin bound and the bounds then stop every PQAP(AQIC) ir=1, a state where enabling is unreachable by
 * construction; not where the queue can be removed, which no later event undoes).
 */
export const AqicCanBeEnabled: LivenessProperty<SystemContext> = {
  name: 'AqicCanBeEnabled',
  cite: 'vfio_ap_ops.c (v6.17-rc4): assign_adapter_store/assign_domain_store put the APQN in the matrix, vfio_ap_mdev_set_kvm (open_device) sets kvm->arch.crypto.pqap_hook and matrix_mdev->kvm, and handle_pqap ("If IR bit(16) is set we enable the interrupt") calls vfio_ap_irq_enable for a queue of the mdev\'s qtable, which on ap_aqic NORMAL saves the ISC and leaves the AP interrupting (priv.c handle_pqap: the intercept reaches the hook whenever it is set); so from every state (the queue bound to vfio_ap) userspace and the guest can still get the queue\'s interruptions enabled',
  kind: 'alwaysReachable',
  q: ({ context }) => context.queues.some((q) => q.irq && q.isc !== ISC_INVALID),
};
