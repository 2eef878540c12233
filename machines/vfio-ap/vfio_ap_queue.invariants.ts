// Safety predicates of vfio_ap queues: AQIC resources, pins and their order.
import { FAULT, ISC_INVALID } from '../context.ts';
import { inv, region, savedIsc, top } from '../invariant-lib.ts';
import { reported } from '../kthread.ts';

export const QueueTypeOK = inv(
  'QueueTypeOK',
  'vfio_ap_private.h: saved_isc is VFIO_AP_ISC_INVALID unless AQIC was enabled; saved_iova goes with it',
  ({ value, context }) =>
    context.queues.every((q, i) => {
      const st = region(value, `q${i}`);
      const enabled = st !== undefined && typeof st === 'object' && (st as Record<string, string>).assigned === 'aqic_enabled';
      // where q->freed is tracked (apAnswers, pqap-remove-queue), the region is removed exactly when kfree(q) ran
      return q.pins >= 0 && enabled === savedIsc(q.isc) && savedIsc(q.isc) === q.nib && (top(st) !== 'removed' || !q.irq) && (q.freed === undefined || (top(st) === 'removed') === q.freed);
    }),
  // per configuration: the regions q0..q<n-1> of the configuration's queues (kick-wait has none)
  ({ context }) => ({ context: [['queues', '*', 'pins'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', '*', 'irq'], ['queues', '*', 'freed'], ['queues', 'length']], value: context.queues.map((_, i) => [`q${i}`]) }),
);

export const EveryNibPinReleasedOnce = inv(
  'EveryNibPinReleasedOnce',
  'vfio_ap_ops.c vfio_ap_irq_enable/vfio_ap_free_aqic_resources: each vfio_pin_pages of a NIB is undone by exactly one vfio_unpin_pages, so a pin is either saved (q->saved_iova) or gone',
  ({ context }) => context.queues.every((q) => q.pins === (q.nib ? 1 : 0) && !(q.faults & FAULT.UNPIN_NOT_PINNED)),
  { context: [['queues', '*', 'pins'], ['queues', '*', 'nib'], ['queues', '*', 'faults'], ['queues', 'length']] },
);

export const GiscUnregisterBeforeNibUnpin = inv(
  'GiscUnregisterBeforeNibUnpin',
  'vfio_ap_ops.c vfio_ap_free_aqic_resources and the OTHERWISE_CHANGED path: kvm_s390_gisc_unregister first, then vfio_unpin_pages',
  ({ context }) => context.queues.every((q) => !(q.faults & FAULT.UNPIN_BEFORE_UNREGISTER)),
  { context: [['queues', '*', 'faults'], ['queues', 'length']] }, { stable: true },
);

export const IrqEnabledImpliesNibPinned = inv(
  'IrqEnabledImpliesNibPinned',
  'the AP writes the NIB while interruptions are enabled: it must stay pinned until AQIC ir=0 or a reset (Halil Pasic: the machine must not poke freed memory)',
  ({ context }) => context.queues.every((q) => (!q.irq || q.nib) && !(q.faults & FAULT.NIB_WRITE_UNPINNED)),
  { context: [['queues', '*', 'irq'], ['queues', '*', 'nib'], ['queues', '*', 'faults'], ['queues', 'length']] },
);

export const GiscRefcountMatchesSavedIscs = inv(
  'GiscRefcountMatchesSavedIscs',
  'interrupt.c ref_count[gisc] counts registrations; vfio_ap registers once per queue with a saved ISC and unregisters when it frees it',
  ({ context }) =>
    context.vms.every((k, vm) =>
      !k.gisa.origin ||
      context.params.iscs.every((isc) => {
        const saved = context.queues.filter((q) => q.isc === isc && (context.mdev.kvm === vm || q.hwGisa === vm)).length;
        const fixed = context.params.preRegistered?.includes(isc) ? 1 : 0;
        return (k.gisa.ref[isc] ?? 0) === saved + fixed;
      }),
    ),
  { context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'ref'], ['vms', 'length'], ['params'], ['queues'], ['mdev', 'kvm']] },
);

// The fine-grained pqap-close configuration (machines/vfio-ap/vfio_ap_ops.threads.ts): the PQAP
// intercept against QEMU closing the mdev.

export const NoPqapHookUseAfterClear = inv(
  'NoPqapHookUseAfterClear',
  'priv.c handle_pqap: the pqap_hook is dereferenced and called only while vfio_ap cannot clear it (since 1e753732bda6, v5.15: under kvm->arch.crypto.pqap_hook_rwsem, which vfio_ap_mdev_unset_kvm takes for writing to clear it); a NULL or stale hook is an oops or a use after free',
  ({ context }) => !reported(context, FAULT.PQAP_HOOK_USE_AFTER_CLEAR),
  { context: [['threads', 'found']] }, { stable: true },
);

export const NoAqicResourcesAfterUnsetKvm = inv(
  'NoAqicResourcesAfterUnsetKvm',
  'vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.3..v5.10 vfio_ap_mdev_release): the queues are reset before matrix_mdev->kvm = NULL, under the driver lock handle_pqap takes; so once the pointer is NULL no queue has a saved ISC, a pinned NIB or AP interruptions, and vfio_ap holds no GISC registration in the VM (vfio_ap_free_aqic_resources): nothing is left for the VM\'s teardown',
  ({ context }) =>
    context.mdev.kvm >= 0 ||
    (context.queues.every((q) => !savedIsc(q.isc) && !q.nib && q.pins === 0 && !q.irq) &&
      context.vms.every((k) => k.gisa.ref.every((r, isc) => r === (context.params.preRegistered?.includes(isc) ? 1 : 0)))),
  { context: [['mdev', 'kvm'], ['queues'], ['vms', '*', 'gisa', 'ref'], ['vms', 'length'], ['params', 'preRegistered']] },
);

// Issue 14 (mutation analysis): properties the mutants showed missing.

export const ApInterruptsIntoSavedGisc = inv(
  'ApInterruptsIntoSavedGisc',
  'vfio_ap_ops.c vfio_ap_irq_enable: ap_aqic is given aqic_gisa.isc = the ISC kvm_s390_gisc_register returned for the guest ISC it then saves in q->saved_isc, and aqic_gisa.gisa = matrix_mdev->kvm\'s gisa_int.origin; AQIC ir=0 (vfio_ap_irq_disable: a zeroed aqic_gisa) and ZAPQ (vfio_ap_mdev_reset_queue, the guest\'s own PQAP(ZAPQ)) take both back, and they come before the saved ISC and matrix_mdev->kvm are cleared: an AP with interruptions enabled interrupts on the saved ISC into the GISA of the mdev\'s KVM, one without holds no GISA',
  ({ context }) =>
    context.queues.every((q) => (q.irq ? q.hwIsc === q.isc && q.hwGisa === context.mdev.kvm : q.hwGisa === -1 && q.hwIsc === ISC_INVALID)),
  { context: [['queues', '*', 'irq'], ['queues', '*', 'hwIsc'], ['queues', '*', 'isc'], ['queues', '*', 'hwGisa'], ['queues', 'length'], ['mdev', 'kvm']] },
);

export const NoUnbalancedGiscUnregister = inv(
  'NoUnbalancedGiscUnregister',
  'interrupt.c kvm_s390_gisc_unregister: ref_count[gisc] == 0 is refused with -EINVAL (an unregister without its register); vfio_ap, the only caller in these machines, unregisters exactly the GISC it registered and saved (vfio_ap_free_aqic_resources: only for a valid q->saved_isc; vfio_ap_irq_enable\'s OTHERWISE_CHANGED case: the ISC it just registered)',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISC_UNREGISTER_UNBALANCED)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] },
);

export const queueInvariants = [QueueTypeOK, EveryNibPinReleasedOnce, GiscUnregisterBeforeNibUnpin, IrqEnabledImpliesNibPinned, ApInterruptsIntoSavedGisc, NoUnbalancedGiscUnregister];

// The fine-grained pqap-open configuration (machines/vfio-ap/vfio_ap_ops.threads.ts): the PQAP
// intercept against QEMU opening the mdev (vfio_ap_mdev_set_kvm).

export const NoAqicResourcesWithoutKvmReference = inv(
  'NoAqicResourcesWithoutKvmReference',
  'vfio_ap_ops.c handle_pqap: "if (!matrix_mdev->kvm) goto out_unlock" under mdevs_lock, which vfio_ap_mdev_set_kvm holds for kvm_get_kvm and the pointer store (v5.3..v5.14: matrix_dev->lock, the hook stored with the pointer); so a saved ISC, a pinned NIB, AP interruptions or a GISC registration vfio_ap made exist only while matrix_mdev->kvm is set and vfio_ap holds its KVM reference (a PQAP in the window where the hook is set and the pointer is not is answered rc 01, AP_RESPONSE_Q_NOT_AVAIL)',
  ({ context }) =>
    (context.mdev.kvm >= 0 && context.mdev.kvmRef) ||
    (context.queues.every((q) => !savedIsc(q.isc) && !q.nib && q.pins === 0 && !q.irq) &&
      context.vms.every((k) => k.gisa.ref.every((r, isc) => r === (context.params.preRegistered?.includes(isc) ? 1 : 0)))),
  { context: [['mdev', 'kvm'], ['mdev', 'kvmRef'], ['queues'], ['vms', '*', 'gisa', 'ref'], ['vms', 'length'], ['params', 'preRegistered']] },
);

// The AP's answers (issue 12: configurations ap-answers, reset-warn, aqic-off-warn, params.apAnswers).

export const GuestToldSuccessMatchesAp = inv(
  'GuestToldSuccessMatchesAp',
  'vfio_ap_ops.c handle_pqap: the status vfio_ap_irq_enable/vfio_ap_irq_disable return is copied to the guest\'s GR1 ("AP_RESPONSE_NORMAL (0) : in case of success"); PQAP(AQIC) answered 0 tells the guest its queue now interrupts on the ISC it gave (ir=1) or not at all (ir=0), so an answer 0 must leave the AP so',
  ({ context }) => context.queues.every((q) => !(q.faults & FAULT.GUEST_TOLD_SUCCESS)),
  { context: [['queues', '*', 'faults'], ['queues', 'length']] }, { stable: true },
);

export const NoResetWorkAfterUnsetKvm = inv(
  'NoResetWorkAfterUnsetKvm',
  'vfio_ap_ops.c vfio_ap_mdev_reset_queues: flush_work(&q->reset_work) for every queue before vfio_ap_mdev_unset_kvm calls kvm_put_kvm and clears matrix_mdev->kvm; apq_reset_check frees through q->matrix_mdev->kvm, so no reset work may be queued once the pointer is NULL',
  ({ context }) => context.mdev.kvm >= 0 || context.queues.every((q) => q.work === undefined || q.work === 'idle'),
  { context: [['mdev', 'kvm'], ['queues', '*', 'work'], ['queues', 'length']] },
);

export const RemovedQueueHoldsNothing = inv(
  'RemovedQueueHoldsNothing',
  'vfio_ap_ops.c vfio_ap_mdev_remove_queue: kfree(q) takes saved_isc and saved_iova with it, so the queue must be reset first (vfio_ap_mdev_reset_queue, flush_work; or reset_queues_for_apid): a removed queue leaves no registered GISC, no pinned NIB and no AP interruptions, which nothing could release any more',
  ({ value, context }) => context.queues.every((q, i) => top(region(value, `q${i}`)) !== 'removed' || (!savedIsc(q.isc) && !q.nib && q.pins === 0 && !q.irq)),
  ({ context }) => ({ context: [['queues', '*', 'pins'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', '*', 'irq'], ['queues', 'length']], value: context.queues.map((_, i) => [`q${i}`]) }),
);

/** Checked in the apAnswers configurations, besides the machine's. */
export const apAnswerInvariants = [GuestToldSuccessMatchesAp, NoResetWorkAfterUnsetKvm, NoAqicResourcesAfterUnsetKvm, RemovedQueueHoldsNothing];

// The fine-grained pqap-remove-queue configuration (machines/vfio-ap/vfio_ap_ops.threads.ts): the
// PQAP intercept against the AP bus removing the queue (vfio_ap_mdev_remove_queue).

export const NoQueueUseAfterFree = inv(
  'NoQueueUseAfterFree',
  'vfio_ap_ops.c vfio_ap_mdev_remove_queue: hash_del and kfree(q) under matrix_dev->mdevs_lock; handle_pqap looks q up in matrix_mdev->qtable (vfio_ap_mdev_get_queue) and uses it (vfio_ap_irq_enable/disable) under the same lock, so no PQAP uses a freed struct vfio_ap_queue',
  ({ context }) => !reported(context, FAULT.QUEUE_USE_AFTER_FREE),
  { context: [['threads', 'found']] }, { stable: true },
);

export const FreedQueueHoldsNothing = inv(
  'FreedQueueHoldsNothing',
  'vfio_ap_ops.c vfio_ap_mdev_remove_queue: the queue is reset (reset_queues_for_apid or vfio_ap_mdev_reset_queue + flush_work: vfio_ap_free_aqic_resources) before kfree(q) takes saved_isc and saved_iova with it, under mdevs_lock; so a freed queue leaves no saved ISC (GISC registration), no pinned NIB and no AP interruptions that nothing could release any more',
  ({ context }) => context.queues.every((q) => q.freed !== true || (!savedIsc(q.isc) && !q.nib && q.pins === 0 && !q.irq)),
  { context: [['queues', '*', 'freed'], ['queues', '*', 'pins'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', '*', 'irq'], ['queues', 'length']] },
);
