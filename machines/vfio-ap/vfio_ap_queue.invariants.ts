// Safety predicates of vfio_ap queues: AQIC resources, pins and their order.
import { probe } from '../../src/check/probe.ts';
import { FAULT, ISC_INVALID, type GuestPqap, type PqapPath, type QueueContext, type SystemContext } from '../context.ts';
import { inv, region, savedIsc, top } from '../invariant-lib.ts';
import { reported } from '../kthread.ts';
import { kernel, type CoreAction, type Effects, type Ix, type SpecEvent } from '../lib.ts';
import type { AqicOff, AqicOutcome, PqapAqic, ZapqAnswer } from './vfio_ap_queue.machine.ts';

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
  'vfio_ap_ops.c vfio_ap_free_aqic_resources and the OTHERWISE_CHANGED path: kvm_s390_gisc_unregister first, then vfio_unpin_pages (an unregister refused with -EINVAL, or skipped by the WARN on a NULL kvm, leaves the registration made with the NIB live where it was made)',
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

// The fine-grained pqap-no-aiv configuration (issue 12): the PQAP intercept of a VM without ECA_AIV.

/** The driver lock vfio_ap's handle_pqap takes (v6.0+ matrix_dev->mdevs_lock; before, matrix_dev->lock), by its kthread key. */
const DRIVER_LOCKS = ['matrix_dev->mdevs_lock', 'matrix_dev->lock'];

export const PqapWithoutAivGoesToUserspace = inv(
  'PqapWithoutAivGoesToUserspace',
  'vfio_ap_ops.c handle_pqap: "If we do not use the AIV facility just go to userland": if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP, before mutex_lock(&matrix_dev->mdevs_lock) (kvm_arch_vcpu_setup sets ECA_AIV only with a GISA descriptor); priv.c returns the -EOPNOTSUPP, so userspace handles the PQAP and the vcpu never enters vfio_ap\'s critical section while its VM has no GISA',
  ({ context }) => context.vms.every((v) => v.gisa.origin) || DRIVER_LOCKS.every((l) => context.threads?.locks[l] !== 'vcpu'),
  { context: [['threads', 'locks'], ['vms', '*', 'gisa', 'origin'], ['vms', 'length']] },
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

// QEMU's VFIO_DEVICE_RESET (issue 12: configurations device-reset, device-reset-warn, params.deviceReset).

export const DeviceResetReturnsDocumentedCode = inv(
  'DeviceResetReturnsDocumentedCode',
  'include/uapi/linux/vfio.h VFIO_DEVICE_RESET ("Reset a device"; ioctl(2): 0 on success, -1 with errno on error); vfio_ap_ops.c vfio_ap_mdev_ioctl returns vfio_ap_mdev_reset_queues\' ret, which is 0 or -EIO ("if (q->reset_status.response_code) ret = -EIO"), and vfio_device_fops_unl_ioctl hands it to userspace unchanged: a positive value (a response code) would read as success, another errno is undocumented',
  ({ context }) => context.mdev.resetRc === undefined || context.mdev.resetRc === null || context.mdev.resetRc === 0 || context.mdev.resetRc === -5,
  { context: [['mdev', 'resetRc']] },
);

export const DeviceResetReportedDoneIsDone = inv(
  'DeviceResetReportedDoneIsDone',
  'vfio_ap_ops.c vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) -> vfio_ap_mdev_reset_queues: ZAPQ every queue of the qtable, flush_work(&q->reset_work) (apq_reset_check: TAPQ until the reset completed, then vfio_ap_free_aqic_resources), -EIO unless every stored reset_status is 0; so a reset reported done (0) has left no queue of the mdev with AP interruptions enabled, a GISC registered (saved ISC), a NIB pinned or its reset work queued (cf. "s390/vfio-ap: No need to disable IRQ after queue reset": the reset disables interrupts, the resources are cleaned up with it)',
  ({ context }) => context.queues.every((q) => !(q.faults & FAULT.RESET_REPORTED_UNDONE)),
  { context: [['queues', '*', 'faults'], ['queues', 'length']] }, { stable: true },
);

/**
 * VFIO_DEVICE_RESET returned `rc` to userspace (harness, not mutated: DeviceResetReportedDoneIsDone's check): a 0 promises
 * every queue of the mdev reset (vfio.h "Reset a device"; vfio_ap's reset: ZAPQ, the work's TAPQ until done,
 * vfio_ap_free_aqic_resources). A queue of the matrix with AP interruptions, a saved ISC, a pinned NIB or a queued work
 * then is FAULT.RESET_REPORTED_UNDONE.
 */
export function resetReported(c: SystemContext, rc: number | undefined): void {
  if (rc !== 0) return;
  for (const q of c.queues) {
    if (!q.apid || !q.apqi || q.freed) continue;
    if (q.irq || q.isc !== ISC_INVALID || q.nib || q.pins > 0 || (q.work !== undefined && q.work !== 'idle')) q.faults |= FAULT.RESET_REPORTED_UNDONE;
  }
}

/** Checked in the deviceReset configurations, besides the apAnswers ones. */
export const deviceResetInvariants = [DeviceResetReturnsDocumentedCode, DeviceResetReportedDoneIsDone];

/** Checked in the apAnswers configurations, besides the machine's. */
// The guest's own PQAP(ZAPQ) and its GR1 as state (issue 12: configuration guest-zapq, params.guestReset).

export const AqicAnswerHolds = inv(
  'AqicAnswerHolds',
  'vfio_ap_ops.c handle_pqap (v6.17-rc4): the status of vfio_ap_irq_enable is copied into the guest\'s GR1 ("AP_RESPONSE_NORMAL (0) : in case of success"), and priv.c handle_pqap sets cc 0 for it; a queue\'s interruptions, once enabled, stay on until AQIC ir=0 or a reset of the queue (the guest\'s ZAPQ/RAPQ, the host\'s vfio_ap_mdev_reset_queue: ap_queue.c ap_sm_reset_wait enables them again after its own reset). So while the guest\'s last PQAP(AQIC) ir=1 was answered 0 and its queue was not reset since, the AP interrupts on the ISC it asked for into the GISA of the mdev\'s KVM',
  ({ context }) => context.queues.every((q) => q.told === undefined || q.told === ISC_INVALID || (q.irq && q.hwIsc === q.told && q.hwGisa === context.mdev.kvm)),
  { context: [['queues', '*', 'told'], ['queues', '*', 'irq'], ['queues', '*', 'hwIsc'], ['queues', '*', 'hwGisa'], ['queues', 'length'], ['mdev', 'kvm']] },
);

export const guestResetInvariants = [AqicAnswerHolds];

// The guest's view (guestReset), kept beside the property that reads it (harness, not mutated: not kernel code).

/** The guest's GR1 after PQAP(AQIC) (handle_pqap: memcpy(&vcpu->run->s.regs.gprs[1], &qstatus, ...)): a 0 for ir=1 promises that ISC. */
export function guestGr1(q: QueueContext, aqic: PqapAqic, status: unknown): void {
  if (q.told !== undefined) q.told = aqic.ir === 1 && status === 'NORMAL' ? aqic.isc & 0x07 : ISC_INVALID;
}

/** The queue was reset (the guest's ZAPQ, the host's reset): what PQAP(AQIC) told the guest no longer stands. */
export function guestSawReset(q: QueueContext): void {
  if (q.told !== undefined) q.told = ISC_INVALID;
}

/**
 * After the close's vfio_ap_mdev_unset_kvm, guestReset's (and guestStatus') bookkeeping for every queue of the matrix it reset: the host's
 * reset completes before the close returns (ZAPQ and its completion are one step there), so a reset the guest started is
 * over (hwReset), and what PQAP(AQIC) told the guest no longer stands (told). guestReset configurations have neither
 * VFIO_DEVICE_RESET nor the remove; one that adds them must do the same there.
 */
export function hostResetSeen(c: SystemContext): void {
  for (const q of c.queues) {
    if (q.told === undefined || !q.apid || !q.apqi) continue;
    guestSawReset(q);
    if (q.hwReset !== undefined) q.hwReset = false;
  }
}

// PQAP(AQIC) as the guest sees it (issue 12, branch appqap: guestStatus configurations pqap-refusals, pqap-no-fac65).

/**
 * The branch of priv.c and vfio_ap handle_pqap (v6.17-rc4) that answers a PQAP(AQIC) from the guest of VM `vm`, read from the
 * context before the step, apart from the machine's kernel functions (harness, not mutated): ECA_APIE (crypto.apie), facility
 * 65, the hook, ECA_AIV (the GISA), matrix_mdev->kvm, the queue in the qtable (both halves of the APQN assigned), then
 * vfio_ap_irq_enable/disable (ensure_nib_shared's failure for the payload NIB_NOT_SHARED).
 */
export function pqapPathOf(c: SystemContext, e: SpecEvent, q: number): PqapPath {
  const vm = c.mdev.hook >= 0 ? c.mdev.hook : 0;
  const x = c.queues[q]!;
  if (!c.vms[vm]!.apie) return 'no-apie';
  if (c.params.fac65 === false) return 'no-fac65';
  if (c.mdev.hook < 0) return 'no-hook';
  if (!c.vms[vm]!.gisa.origin) return 'no-aiv';
  if (c.mdev.kvm < 0) return 'no-kvm';
  if (!x.apid || !x.apqi || x.freed === true) return 'no-queue';
  return e.ir === 1 && e.outcome === 'NIB_NOT_SHARED' ? 'nib-not-shared' : 'vfio_ap';
}

/**
 * What each branch documents for the guest: priv.c handle_pqap "Verify that the guest is allowed to use AP instructions"
 * (-EOPNOTSUPP: userspace handles the instruction) and "facility 65 not present for AQIC function code" (PGM_SPECIFICATION);
 * "If no callback is available, the queues are not available, return this response code to the caller and set CC to 3"
 * (AP_RESPONSE_Q_NOT_AVAIL); vfio_ap handle_pqap "If we do not use the AIV facility just go to userland" and
 * "AP_RESPONSE_Q_NOT_AVAIL: if the queue is not available" (no KVM, no queue); vfio_ap_irq_enable "NIB in non-shared storage
 * is a rc 6 for PV guests" (AP_RESPONSE_INVALID_ADDRESS); otherwise the AP's status with priv.c's cc: 3 for a non-zero
 * response code, else 0 (PoP: PQAP sets cc 3 when the AP queue status word holds a non-zero response code).
 */
export function documentedGr1(path: PqapPath, gr1: GuestPqap): boolean {
  switch (path) {
    case 'none': return gr1 === 'none';
    case 'no-apie': case 'no-aiv': return gr1 === 'USERSPACE';
    case 'no-fac65': return gr1 === 'PGM_SPECIFICATION';
    case 'no-hook': case 'no-kvm': case 'no-queue': return gr1 === 'cc3 rc01';
    case 'nib-not-shared': return gr1 === 'cc3 rc06';
    case 'vfio_ap': return gr1 === 'cc0 rc00' || (/^cc3 rc/.test(gr1) && gr1 !== 'cc3 rc00');
  }
}

export const PqapStatusAsDocumented = inv(
  'PqapStatusAsDocumented',
  'priv.c and vfio_ap_ops.c handle_pqap (v6.17-rc4): each way a PQAP(AQIC) is answered leaves the guest the status its comment documents: no ECA_APIE or no ECA_AIV: -EOPNOTSUPP, userspace handles it; no facility 65: PGM_SPECIFICATION; no hook ("If no callback is available, the queues are not available, return this response code to the caller and set CC to 3"), no KVM, no queue: AP_RESPONSE_Q_NOT_AVAIL (01) with cc 3; a PV guest\'s NIB not shared: 06; else the AP\'s response code with cc 3 exactly when it is non-zero; the guest reads the code in GR1 bits 32-63 (union ap_queue_status_reg)',
  ({ context }) => context.queues.every((q) => q.gr1 === undefined || documentedGr1(q.pqapPath ?? 'none', q.gr1)),
  { context: [['queues', '*', 'gr1'], ['queues', '*', 'pqapPath'], ['queues', 'length']] },
);

/** What the guest reads after its PQAP(AQIC) (guestStatus, harness): GR1 and cc; a 0 in the response code for ir=1 promises the ISC (told: a Linux guest's ap_aqic reads only GR1, ap_queue_enable_irq takes 00 as enabled). */
export function guestReads(q: QueueContext, aqic: PqapAqic, gr1: GuestPqap): void {
  if (q.gr1 === undefined) return;
  q.gr1 = gr1;
  q.told = aqic.ir === 1 && gr1.endsWith(' rc00') ? aqic.isc & 0x07 : ISC_INVALID;
}

/** The ghost of userspace's KVM_S390_VM_CRYPTO_ENABLE_APIE / DISABLE_APIE (harness, not mutated): read from the event, apart from the machine's kernel function. */
export function apieAsked(c: SystemContext, e: SpecEvent): void {
  const raw = probe.unwrap(c);
  const kvm = raw.vms[e.vm ?? 0];
  if (kvm?.apieAsked !== undefined) kvm.apieAsked = e.type === 'KVM_S390_VM_CRYPTO_ENABLE_APIE';
}

export const ApieAsSetByUserspace = inv(
  'ApieAsSetByUserspace',
  'Documentation/virt/kvm/devices/vm.rst, KVM_S390_VM_CRYPTO: KVM_S390_VM_CRYPTO_ENABLE_APIE / DISABLE_APIE "Allow / Disallow interpretation of AP instructions" (kvm_s390_vm_set_crypto: crypto.apie, then kvm_s390_vcpu_crypto_reset_all sets every vcpu\'s ECA_APIE from it): once the ioctl returned, ECA_APIE (read by priv.c handle_pqap) is what userspace last asked for',
  ({ context }) => context.vms.every((k) => k.apieAsked === undefined || k.apie === k.apieAsked),
  { context: [['vms', '*', 'apie'], ['vms', '*', 'apieAsked'], ['vms', 'length']] },
);

export const guestStatusInvariants = [PqapStatusAsDocumented, AqicAnswerHolds, ApieAsSetByUserspace];

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

// Issue 14 (apconc3): step postconditions of vfio_ap_ops.c, v6.17-rc4 (design aqic 'upstream'; v5.3 and the
// v4 series follow their own code, which the audit pins). A ghost check around the action runs the
// machine's kernel function and compares what it did with what the C does on each path; it reads and
// writes the raw context (probe.unwrap), so the footprint verification sees only the kernel function.

/** a queue as the ghost checks compare it (faults without GUEST_TOLD_SUCCESS and RESET_REPORTED_UNDONE, which the handle_pqap and VFIO_DEVICE_RESET actions themselves record) */
export interface QSnap { isc: number; nib: boolean; pins: number; irq: boolean; hwIsc: number; hwGisa: number; faults: number; work: string | undefined; freed: boolean | undefined; assigned: boolean; resetStatus?: string | undefined }
export interface ApSnap { queues: QSnap[]; ref: number[][]; origin: boolean[]; users: number[]; ipm: number[]; gisaFreed: boolean[]; inSie: boolean[]; kvm: number; kvmRef: boolean; hook: number; unsetting: boolean | undefined; resetting: boolean | undefined; resetRc: number | null | undefined }

export function apSnap(c: SystemContext): ApSnap {
  return {
    queues: c.queues.map((q) => ({ isc: q.isc, nib: q.nib, pins: q.pins, irq: q.irq, hwIsc: q.hwIsc, hwGisa: q.hwGisa, faults: q.faults & ~(FAULT.GUEST_TOLD_SUCCESS | FAULT.RESET_REPORTED_UNDONE), work: q.work, freed: q.freed, assigned: q.apid && q.apqi, resetStatus: q.resetStatus })),
    ref: c.vms.map((k) => [...k.gisa.ref]),
    origin: c.vms.map((k) => k.gisa.origin),
    users: c.vms.map((k) => k.users),
    ipm: c.vms.map((k) => k.gisa.ipm),
    gisaFreed: c.vms.map((k) => k.gisa.freed),
    inSie: c.vms.map((k) => k.vcpus.some((v) => v.inSie)),
    kvm: c.mdev.kvm,
    kvmRef: c.mdev.kvmRef,
    hook: c.mdev.hook,
    unsetting: c.mdev.unsetting,
    resetting: c.mdev.resetting,
    resetRc: c.mdev.resetRc,
  };
}

export const sameQ = (x: QSnap, y: QSnap) => x.isc === y.isc && x.nib === y.nib && x.pins === y.pins && x.irq === y.irq && x.hwIsc === y.hwIsc && x.hwGisa === y.hwGisa;
/** the AP holds no interruption for the queue (ap_aqic ir=0 took, or a reset completed) */
export const apOff = (x: QSnap) => !x.irq && x.hwGisa === -1 && x.hwIsc === ISC_INVALID;

/**
 * vfio_ap_free_aqic_resources(q) as v6.17-rc4 has it: with a valid saved_isc and matrix_mdev->kvm set,
 * kvm_s390_gisc_unregister(kvm, saved_isc) and saved_isc = VFIO_AP_ISC_INVALID; "WARN_ON(!(q->matrix_mdev &&
 * q->matrix_mdev->kvm))" skips both (saved_isc kept); then a saved NIB is unpinned (saved_iova = 0). Returns the
 * ISC whose registration it dropped (or -1) and the fault bits the lifetime tracker may add (the WARN path's
 * unpin with the GISC still registered).
 */
export function freedAqic(b: QSnap, a: QSnap, kvm: number, refused = false): { ok: boolean; dropped: number; faults: number } {
  const warn = b.isc !== ISC_INVALID && kvm < 0;
  const pins = b.pins - (b.nib ? 1 : 0);
  if (warn) return { ok: a.isc === b.isc && !a.nib && a.pins === pins, dropped: -1, faults: b.nib ? FAULT.UNPIN_BEFORE_UNREGISTER : 0 };
  // `refused`: kvm_s390_gisc_unregister answered -EINVAL (the ISC saved on another VM): nothing dropped, and the NIB is
  // unpinned with the registration made together with it still live on that VM
  if (refused) return { ok: a.isc === ISC_INVALID && !a.nib && a.pins === pins, dropped: -1, faults: b.nib ? FAULT.UNPIN_BEFORE_UNREGISTER : 0 };
  return { ok: a.isc === ISC_INVALID && !a.nib && a.pins === pins, dropped: b.isc, faults: 0 };
}

/** every VM's ref_count[] moved by exactly `delta` (isc -> change) in VM `vm`, nothing elsewhere; freed VMs are the destroy's business */
export function refsMoved(b: ApSnap, a: ApSnap, vm: number, delta: Map<number, number>): boolean {
  return a.ref.every((r, v) => !a.origin[v] || r.every((n, i) => n === b.ref[v]![i]! + (v === vm ? (delta.get(i) ?? 0) : 0)));
}

const add = (m: Map<number, number>, isc: number, d: number) => { if (isc !== ISC_INVALID && isc >= 0) m.set(isc, (m.get(isc) ?? 0) + d); return m; };

/**
 * Whether vfio_ap_free_aqic_resources' kvm_s390_gisc_unregister(vm, saved ISC) is refused: interrupt.c answers
 * ref_count[gisc] == 0 with -EINVAL ("rc = -EINVAL; goto out"), nothing moved (an ISC saved on another VM,
 * reset-warn-two-vms); `before` the moves the same step made first (vfio_ap_irq_enable registers the new ISC before it
 * frees the old one).
 */
function refusedAt(b: ApSnap, vm: number, q: QSnap, before: Map<number, number>): boolean {
  if (q.isc < 0 || vm < 0 || !b.origin[vm]) return false; // "if (!gi->origin) return -ENODEV" comes first
  return (b.ref[vm]?.[q.isc] ?? 0) + (before.get(q.isc) ?? 0) <= 0;
}

/**
 * handle_pqap past its checks (FAULT.AQIC_STEP_POST), v6.17-rc4 vfio_ap_ops.c. vfio_ap_irq_enable: an invalid NIB
 * (vfio_ap_validate_nib) or a failed vfio_pin_pages answer AP_RESPONSE_INVALID_ADDRESS having taken nothing; a failed
 * kvm_s390_gisc_register (no GISA origin) unpins the NIB it pinned and answers INVALID_ADDRESS; ap_aqic NORMAL frees
 * the older configuration (vfio_ap_free_aqic_resources) and saves the new NIB pinned and the guest ISC registered, the AP
 * interrupting on it into matrix_mdev->kvm's GISA; OTHERWISE_CHANGED unregisters the new GISC, unpins the new NIB and
 * leaves the saved configuration and the AP as they were; any other response runs vfio_ap_irq_disable (the saved
 * configuration freed, the AP told ir=0) and answers that response (the new pin and registration either kept, upstream's
 * leak, or released). vfio_ap_irq_disable: ap_aqic(ir=0) with its retries, then vfio_ap_free_aqic_resources on every
 * path (end_free): the AP's interruptions off unless the IR bit never cleared or the AQIC never took; it answers
 * BUSY after 6 busy answers, NOT_OPER for a non-operational AP, else NORMAL. No other queue changes, no lifetime finding.
 */
export function aqicPost(b: ApSnap, a: ApSnap, q: number, aqic: PqapAqic, status: unknown, path: PqapPath = 'vfio_ap'): boolean {
  const qb = b.queues[q]!;
  const qa = a.queues[q]!;
  const vm = b.kvm;
  // guestStatus: a refused PQAP (priv.c or vfio_ap handle_pqap before vfio_ap_irq_*) takes nothing: no pin, no registration, the AP as it was
  const nothing = () => a.queues.every((x, i) => sameQ(x, b.queues[i]!) && x.faults === b.queues[i]!.faults) && a.ref.every((r, v) => r.every((n, i) => n === b.ref[v]![i]));
  if (path !== 'vfio_ap' && path !== 'nib-not-shared') return status === undefined && nothing();
  // ensure_nib_shared failed: "vfio_unpin_pages(&q->matrix_mdev->vdev, nib, 1); status.response_code = AP_RESPONSE_INVALID_ADDRESS"
  if (path === 'nib-not-shared') return status === 'INVALID_ADDRESS' && nothing();
  if (vm < 0) return false; // handle_pqap: "if (!matrix_mdev->kvm) goto out_unlock": vfio_ap_irq_* never run
  if (!a.queues.every((x, i) => i === q || (sameQ(x, b.queues[i]!) && x.faults === b.queues[i]!.faults))) return false;
  const unchanged = sameQ(qa, qb) && qa.faults === qb.faults && refsMoved(b, a, vm, new Map());
  if (aqic.ir === 0) {
    const f = freedAqic(qb, qa, vm, refusedAt(b, vm, qb, new Map()));
    const kept = aqic.off === 'IR_STUCK' || aqic.off === 'BUSY_EXHAUSTED';
    const st = aqic.off === 'BUSY_EXHAUSTED' ? 'BUSY' : aqic.off === 'NOT_OPER' ? 'NOT_OPER' : 'NORMAL';
    const ap = kept ? qa.irq === qb.irq && qa.hwIsc === qb.hwIsc && qa.hwGisa === qb.hwGisa : apOff(qa);
    return status === st && f.ok && ap && qa.faults === (qb.faults | f.faults) && refsMoved(b, a, vm, add(new Map(), f.dropped, -1));
  }
  if (aqic.outcome === 'NIB_INVALID' || aqic.outcome === 'PIN_FAILED' || !b.origin[vm]) return status === 'INVALID_ADDRESS' && unchanged;
  switch (aqic.outcome) {
    case 'NORMAL': {
      const registered = add(new Map(), aqic.isc, 1);
      const f = freedAqic(qb, { ...qa, isc: ISC_INVALID, nib: false, pins: qa.pins - 1 }, vm, refusedAt(b, vm, qb, registered));
      const moved = add(registered, f.dropped, -1);
      return status === 'NORMAL' && f.ok && qa.isc === aqic.isc && qa.nib && qa.irq && qa.hwIsc === aqic.isc && qa.hwGisa === vm && qa.faults === (qb.faults | f.faults) && refsMoved(b, a, vm, moved);
    }
    case 'OTHERWISE_CHANGED':
      return status === 'OTHERWISE_CHANGED' && unchanged;
    default: {
      const refused = refusedAt(b, vm, qb, add(new Map(), aqic.isc, 1));
      const f = freedAqic(qb, qa, vm, refused);
      const pinsOf = (leak: number) => ({ ...qa, pins: qa.pins - leak });
      const moved = (leak: number) => add(add(add(new Map(), aqic.isc, 1), f.dropped, -1), aqic.isc, leak - 1);
      const leakOk = (leak: number) => freedAqic(qb, pinsOf(leak), vm, refused).ok && refsMoved(b, a, vm, moved(leak));
      return status === 'OTHER' && apOff(qa) && qa.faults === (qb.faults | f.faults) && (leakOk(0) || leakOk(1));
    }
  }
}

/** PQAP(AQIC) as the guest's registers give it (handle_pqap: GR1 bit 16 is IR, `status & 0x07` the ISC), read from the event apart from the machine's own decoding */
function guestAqic(e: SpecEvent): PqapAqic {
  if (e.ir !== 1) return e.off === undefined ? { ir: 0 } : { ir: 0, off: e.off as AqicOff };
  return { ir: 1, isc: (e.isc ?? 0) & 0x07, outcome: e.outcome as AqicOutcome };
}

/**
 * The AP's side of the AQIC contract (FAULT.AQIC_STEP_POST): an AP with interruptions enabled (ap_aqic ir=1 answered NORMAL)
 * sets the NIB and makes aqic_gisa.gisc pending in the GISA at aqic_gisa.gisa (the IPM bit 0x80 >> isc), unless millicode
 * presents it at once to a vcpu in SIE enabled for it; a freed GISA is GISA_WRITE_AFTER_FREE's business. No queue changes.
 */
function airqPost(b: ApSnap, a: ApSnap, q: number): boolean {
  const qb = b.queues[q]!;
  if (!a.queues.every((x, i) => sameQ(x, b.queues[i]!))) return false;
  if (!qb.irq || qb.hwGisa < 0 || b.gisaFreed[qb.hwGisa] || b.inSie[qb.hwGisa]) return true;
  return (a.ipm[qb.hwGisa]! & (0x80 >> qb.hwIsc)) !== 0;
}

/** vfio_ap_mdev_reset_queue's switch (v6.17-rc4): the branch each ZAPQ answer of the bounds takes, as the ghost reads it (not the machine's zapqAnswer) */
const ZAPQ_BRANCH: Readonly<Record<string, ZapqAnswer>> = {
  NORMAL: 'NORMAL', IN_PROGRESS: 'IN_PROGRESS', BUSY: 'IN_PROGRESS', STATE_CHANGE: 'IN_PROGRESS', DECONFIGURED: 'DECONFIGURED', CHECKSTOPPED: 'DECONFIGURED', INVALID: 'INVALID',
};
const zapqBranch = (code: unknown): ZapqAnswer | undefined => (code === undefined ? undefined : ZAPQ_BRANCH[code as string]);

/** what vfio_ap_mdev_reset_queue leaves for ZAPQ answer `zapq` (undefined: the coarse one-step reset) with matrix_mdev->kvm `kvm`; the ISC whose registration it dropped */
export function resetPost(qb: QSnap, qa: QSnap, kvm: number, zapq: ZapqAnswer | undefined, refused = false): { ok: boolean; dropped: number } {
  if (zapq === undefined || qb.work === undefined) {
    // ZAPQ NORMAL and the reset work's done branch in one step: the AP's interruptions off, the AQIC resources freed
    const f = freedAqic(qb, qa, kvm, refused);
    return { ok: f.ok && apOff(qa) && qa.faults === (qb.faults | f.faults) && qa.work === qb.work, dropped: f.dropped };
  }
  // memcpy(&q->reset_status, &status, ...) on every branch (deviceReset configurations keep it)
  if (qb.resetStatus !== undefined && qa.resetStatus !== zapq) return { ok: false, dropped: -1 };
  // any other code: WARN "PQAP/ZAPQ ... failed with invalid rc", nothing freed, no work queued (or, the proposed fix
  // upstream-reset-warn-disables, vfio_ap_irq_disable: the AP told ir=0, the AQIC resources freed)
  if (zapq === 'INVALID') {
    if (qa.work !== qb.work) return { ok: false, dropped: -1 };
    if (sameQ(qa, qb) && qa.faults === qb.faults) return { ok: true, dropped: -1 };
    const f = freedAqic(qb, qa, kvm, refused);
    return { ok: f.ok && apOff(qa) && qa.faults === (qb.faults | f.faults), dropped: f.dropped };
  }
  if (zapq === 'DECONFIGURED') {
    // DECONFIGURED/CHECKSTOPPED: vfio_ap_free_aqic_resources at once, no work queued; the AP presents nothing
    const f = freedAqic(qb, qa, kvm, refused);
    return { ok: f.ok && apOff(qa) && qa.faults === (qb.faults | f.faults) && qa.work === 'idle', dropped: f.dropped };
  }
  // NORMAL and the in-progress codes: queue_work(system_long_wq, &q->reset_work), q->reset_status stored; resources kept until apq_reset_check
  return { ok: sameQ(qa, qb) && qa.faults === qb.faults && qa.work === (zapq === 'IN_PROGRESS' ? 'in-progress' : 'zapped'), dropped: -1 };
}

/** EIO (include/uapi/asm-generic/errno-base.h) */
const EIO = 5;

/** kvm_put_kvm(kvm) once for the reference vfio_ap_mdev_set_kvm took, then matrix_mdev->kvm = NULL */
const putOnce = (b: ApSnap, a: ApSnap) =>
  a.kvm === -1 && !a.kvmRef && !a.unsetting && a.users.every((u, v) => u === b.users[v]! - (v === b.kvm && b.kvmRef ? 1 : 0));

/**
 * vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm, its flush_work, and vfio_ap_mdev_remove_queue (FAULT.RESET_STEP_POST),
 * v6.17-rc4 vfio_ap_ops.c. unset_kvm with matrix_mdev->kvm set: pqap_hook = NULL (under pqap_hook_rwsem), vfio_ap_mdev_reset_queues
 * resets every queue of the matrix (vfio_ap_mdev_reset_queue by its ZAPQ answer, resetPost), flush_work waits for every
 * queued reset_work, then kvm_put_kvm once and matrix_mdev->kvm = NULL; with kvm NULL it does nothing. The rest after flush_work:
 * the put and the NULL, the queues untouched. vfio_ap_mdev_remove_queue: an APQN still in the host's configuration is reset
 * (a queue holding nothing needs none), one that left it is not (the AP presents nothing for it, saved_isc and saved_iova
 * go with q); then kfree(q).
 */
export function resetStepPost(op: 'close' | 'flush' | 'remove' | 'ioctl' | 'ioctl-flush', b: ApSnap, a: ApSnap, e: SpecEvent, q: number): boolean {
  if (op === 'close' && b.kvm < 0) return a.kvm === b.kvm && a.hook === b.hook && a.queues.every((x, i) => sameQ(x, b.queues[i]!) && x.faults === b.queues[i]!.faults);
  const untouchedAll = a.queues.every((x, i) => sameQ(x, b.queues[i]!) && x.faults === b.queues[i]!.faults && x.work === b.queues[i]!.work);
  if (op === 'flush') return putOnce(b, a) && untouchedAll;
  // VFIO_DEVICE_RESET: the KVM, its reference and the hook stay (the device stays open); flush_work's rest touches no queue
  const kept = a.kvm === b.kvm && a.kvmRef === b.kvmRef && a.hook === b.hook && a.users.every((u, v) => u === b.users[v]);
  // vfio_ap_mdev_reset_queues' second loop: "if (q->reset_status.response_code) ret = -EIO" over the queues of the qtable
  const ret = a.queues.some((x) => x.assigned && !x.freed && x.resetStatus !== undefined && x.resetStatus !== 'NORMAL') ? -EIO : 0;
  if (op === 'ioctl-flush') return kept && untouchedAll && a.resetting === false && a.resetRc === ret;
  const dropped = new Map<number, number>();
  const queuesOk = a.queues.every((qa, i) => {
    const qb = b.queues[i]!;
    const untouched = sameQ(qa, qb) && qa.faults === qb.faults && qa.work === qb.work && qa.freed === qb.freed;
    if (op === 'remove') {
      if (i !== q) return untouched;
      if (qb.freed !== undefined && qa.freed !== true) return false;
      if (e.host === 'gone') return apOff(qa) && qa.isc === qb.isc && qa.nib === qb.nib && qa.pins === qb.pins && qa.faults === qb.faults;
      if (!qb.irq && qb.isc === ISC_INVALID && !qb.nib) return sameQ(qa, qb) && qa.faults === qb.faults;
      const r = resetPost(qb, qa, b.kvm, undefined, refusedAt(b, b.kvm, qb, dropped));
      add(dropped, r.dropped, -1);
      return r.ok;
    }
    if (!qb.assigned || qb.freed) return untouched;
    const r = resetPost(qb, qa, b.kvm, zapqBranch(e.zapq), refusedAt(b, b.kvm, qb, dropped));
    add(dropped, r.dropped, -1);
    return r.ok;
  });
  if (!queuesOk || !refsMoved(b, a, b.kvm, dropped)) return false;
  if (op === 'remove') return a.kvm === b.kvm && a.hook === b.hook;
  const queued = a.queues.some((x) => x.work !== undefined && x.work !== 'idle');
  // VFIO_DEVICE_RESET waits in flush_work while a work is queued, else returns
  if (op === 'ioctl') return kept && a.resetting === queued && a.resetRc === (queued ? null : ret);
  if (a.hook !== -1) return false;
  // flush_work(&q->reset_work) waits (the close holds the cleared hook and the reference) or the put follows at once
  return queued ? a.unsetting === true && a.kvm === b.kvm && a.kvmRef === b.kvmRef && a.users.every((u, v) => u === b.users[v]) : putOnce(b, a);
}

/** What the ghost checks need of the machine's kernel table. */
interface ApLedgerKernel {
  design: { aqic: string };
}

/**
 * `kernel(fn)` with the step's postcondition checked (upstream design only): `op` 'aqic' (handle_pqap; `fn` returns the status),
 * 'close', 'flush', 'remove', 'ioctl' (VFIO_DEVICE_RESET) or 'ioctl-flush'. One wrapper call, so the mutation analysis names `fn` after its action.
 */
export function apLedgered(op: 'aqic' | 'airq' | 'close' | 'flush' | 'remove' | 'ioctl' | 'ioctl-flush', k: ApLedgerKernel, fn: (c: SystemContext, e: SpecEvent, ix: Ix, fx: Effects) => unknown): CoreAction {
  return kernel((c, e, ix, fx) => {
    if (k.design.aqic !== 'upstream') return void fn(c, e, ix, fx);
    const raw = probe.unwrap(c);
    const b = apSnap(raw);
    // guestStatus: the branch that answers this PQAP, read before it runs (the ghost QueueContext.pqapPath)
    const path = op === 'aqic' && raw.params.guestStatus ? pqapPathOf(raw, e, ix.q ?? 0) : 'vfio_ap';
    const rc = fn(c, e, ix, fx);
    if (op === 'aqic' && raw.params.guestStatus && raw.queues[ix.q ?? 0]) raw.queues[ix.q ?? 0]!.pqapPath = path;
    const a = apSnap(raw);
    const q = ix.q ?? 0;
    if (op === 'aqic' || op === 'airq') {
      const ok = op === 'aqic' ? aqicPost(b, a, q, guestAqic(e), rc, path) : airqPost(b, a, q);
      if (!ok && raw.queues[q]) raw.queues[q]!.faults |= FAULT.AQIC_STEP_POST;
    } else if (!resetStepPost(op, b, a, e, q)) {
      for (const x of raw.queues) x.faults |= FAULT.RESET_STEP_POST;
    }
  });
}

export const AqicStepPostcondition = inv(
  'AqicStepPostcondition',
  'the AP (AQIC ir=1 accepted) makes the ISC it was given pending in the GISA it was given (IPM bit), unless presented at once to a vcpu in SIE; vfio_ap_ops.c (v6.17-rc4) handle_pqap -> vfio_ap_irq_enable: INVALID_ADDRESS with nothing taken for an invalid NIB or a failed vfio_pin_pages, and after unpinning for a failed kvm_s390_gisc_register; ap_aqic NORMAL: vfio_ap_free_aqic_resources of the older configuration, saved_iova = nib (pinned), saved_isc = isc (registered), the AP interrupting on it into matrix_mdev->kvm\'s GISA; OTHERWISE_CHANGED: kvm_s390_gisc_unregister then vfio_unpin_pages of what it took, the rest as it was; any other response: vfio_ap_irq_disable; vfio_ap_irq_disable: ap_aqic(ir=0), vfio_ap_wait_for_irqclear, vfio_ap_free_aqic_resources on every path (end_free), the status the AP gave',
  ({ context }) => context.queues.every((q) => !(q.faults & FAULT.AQIC_STEP_POST)),
  { context: [['queues', '*', 'faults'], ['queues', 'length']] }, { stable: true },
);

export const ResetStepPostcondition = inv(
  'ResetStepPostcondition',
  'vfio_ap_ops.c (v6.17-rc4) vfio_ap_mdev_unset_kvm: pqap_hook = NULL, vfio_ap_mdev_reset_queues (vfio_ap_mdev_reset_queue of every queue of the matrix: ZAPQ, then queue_work of the reset work, the free at once for DECONFIGURED/CHECKSTOPPED, nothing for an invalid code), flush_work of every reset work, kvm_put_kvm once, matrix_mdev->kvm = NULL; vfio_ap_mdev_remove_queue: the reset unless the APQN left the host\'s configuration, then kfree(q); vfio_ap_free_aqic_resources: unregister the saved GISC (skipped with a WARN on a NULL matrix_mdev->kvm), then unpin the saved NIB',
  ({ context }) => context.queues.every((q) => !(q.faults & FAULT.RESET_STEP_POST)),
  { context: [['queues', '*', 'faults'], ['queues', 'length']] }, { stable: true },
);

// The fine-grained pqap-dma-unmap configuration (machines/vfio-ap/vfio_ap_mdev.threads.ts): userspace
// unmapping the IOVA range that holds a saved NIB.

export const NoNibAfterDmaUnmap = inv(
  'NoNibAfterDmaUnmap',
  'include/linux/vfio.h struct vfio_device_ops: "@dma_unmap: Called when userspace unmaps IOVA from the container this device is attached to" (a driver that pinned pages there must release them); vfio_ap_ops.c unmap_iova calls vfio_ap_irq_disable (AQIC ir=0, then the GISC unregistered and the NIB unpinned) for a queue whose saved_iova lies in the range: after the unmap no queue has the AP interrupting through that NIB, holds it pinned or keeps it saved',
  ({ context }) => !context.mdev.nibUnmapped || context.queues.every((q) => !q.irq && !q.nib && q.pins === 0),
  { context: [['mdev', 'nibUnmapped'], ['queues', '*', 'irq'], ['queues', '*', 'nib'], ['queues', '*', 'pins'], ['queues', 'length']] },
);
