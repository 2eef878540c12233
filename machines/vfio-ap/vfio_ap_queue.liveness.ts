// Liveness of vfio_ap queues: the reset work and the close waiting for it (issue 12, apAnswers configurations).
import type { SystemContext } from '../context.ts';
import type { LivenessProperty } from '../../src/spec.ts';

export const ResetWorkCanFinish: LivenessProperty<SystemContext> = {
  name: 'ResetWorkCanFinish',
  cite: 'vfio_ap_ops.c apq_reset_check: the loop ends (break after vfio_ap_free_aqic_resources, or return on -EIO) once TAPQ answers anything but RESET_IN_PROGRESS/BUSY, and vfio_ap_mdev_reset_queues\' flush_work then returns to vfio_ap_mdev_unset_kvm: from every state the close can still complete and leave no reset work queued (only an AP that answers busy forever keeps it waiting)',
  kind: 'alwaysReachable',
  q: ({ context }) => !context.mdev.unsetting && context.queues.every((q) => q.work === undefined || q.work === 'idle'),
};

export const apAnswerLiveness = [ResetWorkCanFinish];
