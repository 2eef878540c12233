// Variants of the vfio-ap machines (and of the composed system) with the result the checker must find.
import { vfioAp, type KernelOverrides } from '../kernel.ts';
import type { CoreVariant } from '../system/spec.ts';

/**
 * A fix for the leak upstream has when ap_aqic answers AQIC ir=1 with a response other than
 * NORMAL or 07: vfio_ap_irq_enable's default case releases the pin and GISC registration taken
 * for the new NIB as well (upstream's vfio_ap_irq_enable, then the two lines of the fix).
 */
export const fixDefaultResponse: KernelOverrides = {
  vfio_ap_irq_enable(c, q, isc, outcome) {
    const vm = c.mdev.kvm;
    const took = (outcome === 'OTHER' || outcome === 'RESET_IN_PROGRESS') && vm >= 0 && c.vms[vm]!.gisa.origin; // the default case, pinned and registered
    const status = vfioAp.vfio_ap_irq_enable.call(this, c, q, isc, outcome);
    if (!took) return status;
    this.kvm_s390_gisc_unregister(c, vm, isc); // the fix: undo the new registration ...
    this.vfio_unpin_pages(c, q, false); // ... then the new pin
    return status;
  },
};

export const upstreamQueue: CoreVariant = {
  id: 'upstream',
  description: 'current upstream vfio_ap: PQAP(AQIC) answered by any response but NORMAL or 07 leaves the new NIB pinned and the new GISC registered (vfio_ap_irq_disable frees only the saved ones)',
  cite: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable, default case, v6.17-rc4',
  expectedViolations: ['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs'],
  // without the OTHER response upstream keeps every pin and registration balanced (issue 14: the properties it breaks there see the other paths here)
  expectedViolationsIn: {
    'one-queue-answered': [],
    // apmut: the queue stays bound; AqicCanBeEnabled holds
    'one-queue-kept': [],
    // issue 12: every ZAPQ/TAPQ/AQIC ir=0 answer the driver handles: all hold
    'ap-answers': [],
    // vfio_ap_mdev_reset_queue's default case (ZAPQ answered e.g. 01) and apq_status_check's -EIO (TAPQ likewise)
    // WARN and free nothing, yet vfio_ap_mdev_unset_kvm goes on to kvm_put_kvm and matrix_mdev->kvm = NULL: the NIB
    // stays pinned, the GISC registered and the AP (as far as the driver knows) interrupting into that VM's GISA
    // (5 steps); a later vfio_ap_mdev_remove_queue's vfio_ap_free_aqic_resources WARNs on the NULL kvm, never
    // unregisters, keeps saved_isc, unpins the NIB with its GISC registered and kfree(q) takes the ISC with it (6 steps)
    'reset-warn': ['QueueTypeOK', 'GiscUnregisterBeforeNibUnpin', 'ApInterruptsIntoSavedGisc', 'NoAqicResourcesAfterUnsetKvm', 'GiscRefcountMatchesSavedIscs', 'RemovedQueueHoldsNothing'],
    // the reset-warn finding across two VMs: the close's WARN path keeps q->saved_isc (ISC 3, registered on VM 0) and drops
    // the reference (5 steps); reopened for VM 1, the saved ISC counts against VM 1's GISA (6 steps), and VM 1's guest's
    // AQIC ir=0 frees it through matrix_mdev->kvm: kvm_s390_gisc_unregister(VM 1, 3) answers -EINVAL (7 steps), VM 0's
    // registration is never dropped (its kvm_s390_gisa_destroy WARNs on alert.mask); an AQIC ir=1 for ISC 3 instead drops
    // VM 1's own new registration while the AP interrupts on ISC 3 into VM 1's GISA
    // VM 1's ISC 3 as well; that free then unpins the NIB pinned for VM 0 with VM 0's registration live (7 steps)
    'reset-warn-two-vms': ['ApInterruptsIntoSavedGisc', 'NoAqicResourcesAfterUnsetKvm', 'GiscRefcountMatchesSavedIscs', 'NoUnbalancedGiscUnregister', 'GiscUnregisterBeforeNibUnpin'],
    // vfio_ap_irq_disable frees the NIB and the GISC on every path (end_free), also when vfio_ap_wait_for_irqclear gave
    // up with irq_enabled still set (and then answers the guest 0) or the AQIC never took (BUSY 6 times): 5 steps
    'aqic-off-warn': ['IrqEnabledImpliesNibPinned', 'ApInterruptsIntoSavedGisc', 'GuestToldSuccessMatchesAp'],
    // vfio_ap_mdev_remove_queue skips the reset of an APQN that left the host's AP configuration ("resetting it will
    // fail with response code 01") and kfrees q with its saved_isc and saved_iova: the GISC registration and the NIB
    // pin are never released (5 steps; the freed q's saved ISC is what QueueTypeOK sees); the VM's later
    // kvm_s390_gisa_destroy finds the ISC in alert.mask
    'remove-host-gone': ['QueueTypeOK', 'RemovedQueueHoldsNothing', 'GiscRefcountMatchesSavedIscs', 'NoAqicResourcesAfterUnsetKvm'],
    // issue 12: VFIO_DEVICE_RESET with every ZAPQ/TAPQ answer the driver handles: it returns 0 only for a finished reset, else -EIO
    'device-reset': [],
    // finding (issue 12, apmut's, confirmed against v6.17-rc4): ZAPQ answers NORMAL (stored in q->reset_status), the reset work's
    // TAPQ answers a code apq_status_check WARNs on ("failed to verify reset"): -EIO, the work returns without storing that
    // status or freeing anything; flush_work returns, vfio_ap_mdev_reset_queues finds response_code 0 and VFIO_DEVICE_RESET
    // returns 0 with the NIB pinned, the GISC registered and the AP as it was (7 steps)
    'device-reset-warn': ['DeviceResetReportedDoneIsDone'],
    // issue 12: the guest provokes the default-case leak itself: PQAP(ZAPQ), then PQAP(AQIC) ir=1 before the AP completed the
    // reset; ap_aqic answers RESET_IN_PROGRESS, vfio_ap_irq_disable frees the saved configuration and the new NIB pin and
    // GISC registration stay (a guest can repeat it: each round one more pin and one more ref_count[isc])
    'guest-zapq': ['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs'],
    // finding (issue 12, appqap): priv.c handle_pqap's no-hook branch copies the status word (response code 01) into GR1 bits
    // 0-31 without vfio_ap's ">>= 32"; the guest reads bits 32-63, its own AQIC operand, whose response-code byte is 0: cc 3
    // with response code 00 (3 steps: assign both, AQIC ir=1 with no mdev open); a Linux guest takes 00 as enabled (told)
    'pqap-refusals': ['PqapStatusAsDocumented', 'AqicAnswerHolds'],
    // without facility 65 every PQAP(AQIC) is a specification exception, the hook never reached
    'pqap-no-fac65': [],
    // the same without the no-hook answer: every other refusal answers as documented and takes nothing
    'pqap-refusals-hooked': [],
  },
};

export const queueVariants: CoreVariant[] = [
  upstreamQueue,
  {
    id: 'upstream-fixed',
    description: 'upstream with the default response of AQIC ir=1 also releasing the new pin and GISC registration (a proposed fix)',
    cite: 'proposed: vfio_ap_irq_enable default case: kvm_s390_gisc_unregister(kvm, isc); vfio_unpin_pages(nib)',
    kernel: fixDefaultResponse,
    expectedViolations: [],
    // issue 12: the RESET_IN_PROGRESS answer after the guest's ZAPQ takes the same default case: released too
    expectedViolationsIn: { 'guest-zapq': [] },
  },
  {
    id: 'v5.3',
    description: 'the merged AQIC series (v5.3): OTHERWISE_CHANGED unpins the new NIB before unregistering its GISC; the default response leaks as upstream does',
    cite: 'ec89b55e3bce "s390: ap: implement PAPQ AQIC interception in kernel" (v5.3)',
    design: { aqic: 'v5.3' },
    expectedViolations: ['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'GiscUnregisterBeforeNibUnpin'],
  },
  {
    id: 'planted-disable-without-aqic',
    description: 'planted bug: vfio_ap_irq_disable frees the saved GISC and NIB without ap_aqic(ir=0), so the AP keeps interrupting on an unregistered ISC through an unpinned NIB',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_disable without the ap_aqic call',
    configuration: 'one-queue-answered',
    kernel: {
      vfio_ap_irq_disable(c, q) {
        this.vfio_ap_free_aqic_resources(c, q);
      },
    },
    // AqicStepPostcondition: AQIC ir=0 answered NORMAL left the AP interrupting (issue 14)
    expectedViolations: ['ApInterruptsIntoSavedGisc', 'IrqEnabledImpliesNibPinned', 'AqicStepPostcondition'],
  },
  {
    id: 'planted-free-without-unpin',
    description: 'planted bug: vfio_ap_free_aqic_resources unregisters the saved GISC but never unpins the saved NIB; in one-queue upstream\'s own leak (the OTHER response) already breaks EveryNibPinReleasedOnce, here it is the only one',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_free_aqic_resources without vfio_unpin_pages',
    configuration: 'one-queue-answered',
    kernel: {
      vfio_ap_free_aqic_resources(c, q) {
        const x = c.queues[q]!;
        if (x.isc >= 0 && c.mdev.kvm >= 0) this.kvm_s390_gisc_unregister(c, c.mdev.kvm, x.isc);
        x.isc = -1;
        x.nib = false;
      },
    },
    // the step postconditions (issue 14): AQIC NORMAL over a saved NIB, AQIC ir=0 and the close's reset each leave the saved NIB pinned
    expectedViolations: ['EveryNibPinReleasedOnce', 'AqicStepPostcondition', 'ResetStepPostcondition'],
  },
  {
    id: 'planted-changed-unregisters-twice',
    description: 'planted bug: the OTHERWISE_CHANGED (07) case of vfio_ap_irq_enable unregisters the new GISC twice (its own undo, then again on the error path), which steals a registration the queue saved before or, with none, is refused with -EINVAL',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable, AP_RESPONSE_OTHERWISE_CHANGED, with a second kvm_s390_gisc_unregister',
    configuration: 'one-queue-answered',
    kernel: {
      vfio_ap_irq_enable(c, q, isc, outcome) {
        vfioAp.vfio_ap_irq_enable.call(this, c, q, isc, outcome);
        if (outcome === 'OTHERWISE_CHANGED' && c.mdev.kvm >= 0) this.kvm_s390_gisc_unregister(c, c.mdev.kvm, isc);
      },
    },
    // GiscRefcountMatchesSavedIscs when a registration was saved before: the second unregister takes it
    // AqicStepPostcondition: the 07 path moved ref_count[3]; the close's unregister of the saved ISC the second unregister took
    // is refused (-EINVAL), ref_count does not move: what v6.17-rc4's close does with that ref_count, so ResetStepPostcondition
    // holds (its ghost counted the refused unregister as a drop until reset-warn-two-vms); GiscUnregisterBeforeNibUnpin: the
    // close's free then unpins the saved NIB after a refused unregister (the pairing of a pin and its GISC is dropped only by
    // an unregister that succeeds, as src/sut/lifetime.ts has it)
    expectedViolations: ['NoUnbalancedGiscUnregister', 'GiscRefcountMatchesSavedIscs', 'AqicStepPostcondition', 'GiscUnregisterBeforeNibUnpin'],
  },
  {
    // issue 14 (apmut): AqicCanBeEnabled's planted bug
    id: 'planted-set-kvm-without-hook',
    description: 'planted bug: vfio_ap_mdev_set_kvm takes the KVM reference and stores matrix_mdev->kvm but never stores kvm->arch.crypto.pqap_hook: priv.c handle_pqap finds no hook ("No hook means no driver to enable the SIE CRYCB and no queues") and answers every PQAP(AQIC) rc 01, so the guest never gets its queue\'s interruptions; nothing is leaked or freed early, and the close (which vfio_ap_mdev_close_device reaches only through an open mdev region) never runs',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_set_kvm (v6.17-rc4) without kvm->arch.crypto.pqap_hook = &matrix_mdev->pqap_hook',
    configuration: 'one-queue-kept',
    configurations: ['one-queue-kept'],
    kernel: {
      vfio_ap_mdev_set_kvm(c, vm) {
        this.kvm_get_kvm(c, vm);
        c.mdev.kvmRef = true;
        c.mdev.kvm = vm;
      },
    },
    // MdevTypeOK (1 step): the mdev region is open without the hook; AqicCanBeEnabled (the initial state): no PQAP ever reaches vfio_ap
    expectedViolations: ['MdevTypeOK', 'AqicCanBeEnabled'],
  },
];

/** issue 12: planted bugs in the paths the AP's answers reach (configuration ap-answers, where upstream holds everything). */
export const apAnswerVariants: CoreVariant[] = [
  {
    id: 'planted-changed-reports-normal',
    description: 'planted bug: vfio_ap_irq_enable undoes the new pin and GISC when ap_aqic answers 07 (OTHERWISE_CHANGED) but returns NORMAL, so handle_pqap tells the guest its interruptions are enabled while the AP has none',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable, AP_RESPONSE_OTHERWISE_CHANGED, status.response_code = AP_RESPONSE_NORMAL',
    configuration: 'ap-answers',
    kernel: {
      vfio_ap_irq_enable(c, q, isc, outcome) {
        const status = vfioAp.vfio_ap_irq_enable.call(this, c, q, isc, outcome);
        return status === 'OTHERWISE_CHANGED' ? 'NORMAL' : status;
      },
    },
    expectedViolations: ['GuestToldSuccessMatchesAp', 'AqicStepPostcondition'],
  },
  {
    id: 'planted-unset-kvm-no-flush',
    description: 'planted bug: vfio_ap_mdev_reset_queues does not flush_work the reset works, so vfio_ap_mdev_unset_kvm drops its KVM reference and clears matrix_mdev->kvm while apq_reset_check still waits for the reset; the work\'s free then goes through a NULL kvm',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_reset_queues without its flush_work(&q->reset_work) loop (as before the reset work of v6.6, which polled in place)',
    configuration: 'ap-answers',
    kernel: {
      vfio_ap_mdev_unset_kvm(c, fx, zapq) {
        vfioAp.vfio_ap_mdev_unset_kvm.call(this, c, fx, zapq);
        if (c.mdev.unsetting) this.vfio_ap_mdev_unset_kvm_put(c, fx);
      },
    },
    // the AP still interrupting (reset in progress) into the VM whose reference is gone, its resources saved; a remove then
    // WARNs on the NULL kvm in vfio_ap_free_aqic_resources (no unregister, saved_isc kept, the NIB unpinned with its GISC
    // registered), and frees q with its ISC and its work still queued (the work can never end: ResetWorkCanFinish)
    // ResetStepPostcondition: the close put the reference with a reset work still queued
    expectedViolations: ['QueueTypeOK', 'GiscUnregisterBeforeNibUnpin', 'NoResetWorkAfterUnsetKvm', 'ApInterruptsIntoSavedGisc', 'NoAqicResourcesAfterUnsetKvm', 'GiscRefcountMatchesSavedIscs', 'RemovedQueueHoldsNothing', 'ResetWorkCanFinish', 'ResetStepPostcondition'],
  },
  {
    id: 'planted-reset-check-no-break',
    description: 'planted bug: apq_reset_check\'s done branch frees the AQIC resources but continues the loop instead of breaking out, so the work never ends and vfio_ap_mdev_unset_kvm waits in flush_work forever',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c apq_reset_check, `continue` for `break` after vfio_ap_free_aqic_resources',
    configuration: 'ap-answers',
    kernel: {
      apq_reset_check(c, q, tapq, zapq) {
        const was = c.queues[q]!.work;
        vfioAp.apq_reset_check.call(this, c, q, tapq, zapq);
        if (was === 'zapped' && c.queues[q]!.work === 'idle' && tapq === 'DONE') c.queues[q]!.work = 'zapped'; // loop on
      },
    },
    expectedViolations: ['ResetWorkCanFinish'],
  },
  {
    id: 'planted-disable-hides-not-oper',
    description: 'planted bug (issue 14, breaks AqicStepPostcondition only): vfio_ap_irq_disable answers the guest 0 (NORMAL) when ap_aqic(ir=0) found the AP not operational, so the guest is not told its queue is gone (the resources are freed and the AP presents nothing, so no resource property sees it)',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_disable, status.response_code = AP_RESPONSE_NORMAL after the "AP not operational" WARN_ONCE',
    configuration: 'ap-answers',
    kernel: {
      vfio_ap_irq_disable(c, q, off) {
        const status = vfioAp.vfio_ap_irq_disable.call(this, c, q, off);
        return status === 'NOT_OPER' ? 'NORMAL' : status;
      },
    },
    expectedViolations: ['AqicStepPostcondition'],
  },
  {
    id: 'planted-deconfigured-queues-work',
    description: 'planted bug (issue 14, breaks ResetStepPostcondition only): vfio_ap_mdev_reset_queue queues the reset work for ZAPQ DECONFIGURED/CHECKSTOPPED too instead of freeing the AQIC resources at once; the work frees them a pass later, so no resource property sees it, but the close now waits in flush_work',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_reset_queue, the AP_RESPONSE_DECONFIGURED/CHECKSTOPPED case falling through to queue_work',
    configuration: 'ap-answers',
    kernel: {
      vfio_ap_mdev_reset_queue(c, q, zapq) {
        vfioAp.vfio_ap_mdev_reset_queue.call(this, c, q, zapq === 'DECONFIGURED' ? 'NORMAL' : zapq);
        if (zapq === 'DECONFIGURED' && c.queues[q]!.work !== undefined) {
          const x = c.queues[q]!;
          x.irq = false; x.hwGisa = -1; x.hwIsc = -1; // the AP was deconfigured: it presents nothing
        }
      },
    },
    expectedViolations: ['ResetStepPostcondition'],
  },
];

/**
 * The reset-warn finding across two VMs (configuration reset-warn-two-vms): a proposed fix. The two WARN paths of the reset
 * (vfio_ap_mdev_reset_queue's default case, ZAPQ answered e.g. 01; apq_reset_check's -EIO, TAPQ likewise) call
 * vfio_ap_irq_disable(q) as DECONFIGURED/CHECKSTOPPED call vfio_ap_free_aqic_resources: AQIC ir=0 (an APQN the AP no longer
 * knows answers 01: "AP not operational", end_free), then the free on every path, through the matrix_mdev->kvm the ISC was
 * registered on (the close's reset runs before kvm_put_kvm and matrix_mdev->kvm = NULL).
 */
export const resetWarnDisables: CoreVariant = {
  id: 'upstream-reset-warn-disables',
  description: 'a proposed fix of the reset-warn finding: the reset\'s WARN paths (ZAPQ or the reset work\'s TAPQ answering a code vfio_ap does not expect) call vfio_ap_irq_disable, so the close releases what the closing VM registered and pinned before it drops its KVM reference, and a reopen for another VM finds no saved ISC',
  cite: 'proposed: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_reset_queue, default case: "vfio_ap_irq_disable(q);" after the WARN; apq_reset_check: "if (ret == -EIO) { vfio_ap_irq_disable(q); return; }"',
  configuration: 'reset-warn-two-vms',
  configurations: ['reset-warn-two-vms', 'reset-warn'],
  kernel: {
    vfio_ap_mdev_reset_queue(c, q, zapq) {
      vfioAp.vfio_ap_mdev_reset_queue.call(this, c, q, zapq);
      if (zapq === 'INVALID' && c.queues[q]!.work !== undefined) this.vfio_ap_irq_disable(c, q); // the fix
    },
    apq_reset_check(c, q, tapq, zapq) {
      vfioAp.apq_reset_check.call(this, c, q, tapq, zapq);
      if (tapq === 'INVALID') this.vfio_ap_irq_disable(c, q); // the fix
    },
  },
  expectedViolations: [],
};

/** issue 12: VFIO_DEVICE_RESET's return code (configurations device-reset, device-reset-warn). */
export const deviceResetVariants: CoreVariant[] = [
  {
    id: 'upstream-reset-verified',
    description: 'a proposed fix of the device-reset-warn finding: apq_reset_check stores the TAPQ status it WARNs on in q->reset_status before returning -EIO, so vfio_ap_mdev_reset_queues returns -EIO for a reset it could not verify',
    cite: 'proposed: drivers/s390/crypto/vfio_ap_ops.c apq_reset_check, "if (ret == -EIO) { memcpy(&q->reset_status, &status, sizeof(status)); return; }"',
    configuration: 'device-reset-warn',
    configurations: ['device-reset-warn', 'device-reset'],
    kernel: {
      apq_reset_check(c, q, tapq, zapq) {
        vfioAp.apq_reset_check.call(this, c, q, tapq, zapq);
        const x = c.queues[q]!;
        if (tapq === 'INVALID' && x.resetStatus !== undefined) x.resetStatus = 'INVALID'; // the fix: the unverified reset's status stored
      },
    },
    expectedViolations: [],
  },
  {
    id: 'planted-reset-returns-response-code',
    description: 'planted bug: vfio_ap_mdev_reset_queues returns the last non-zero q->reset_status.response_code instead of -EIO, so VFIO_DEVICE_RESET hands userspace a positive value (a checkstopped or deconfigured queue: 4 or 3; here 3 for that class), which ioctl(2) callers read as success',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_reset_queues, "ret = q->reset_status.response_code" for "ret = -EIO"',
    configuration: 'device-reset',
    kernel: {
      vfio_ap_mdev_reset_queues_flushed(c) {
        const codes = { NORMAL: 0, INVALID: 1, IN_PROGRESS: 2, DECONFIGURED: 3 } as const;
        let ret = 0;
        for (const q of c.queues) if (q.apid && q.apqi && !q.freed && q.resetStatus !== undefined && q.resetStatus !== 'NORMAL') ret = codes[q.resetStatus];
        return ret;
      },
    },
    // ResetStepPostcondition: the ghost's "ret = -EIO" for a non-zero stored code
    expectedViolations: ['DeviceResetReturnsDocumentedCode', 'ResetStepPostcondition'],
  },
  {
    id: 'planted-device-reset-no-flush',
    description: 'planted bug: vfio_ap_mdev_ioctl\'s VFIO_DEVICE_RESET returns right after the ZAPQs, without flush_work: a ZAPQ answered NORMAL stored 0, so userspace is told the reset is done while the reset work has not yet seen it complete nor freed the AQIC resources',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_reset_queues without its flush_work(&q->reset_work) loop, in VFIO_DEVICE_RESET',
    configuration: 'device-reset',
    kernel: {
      vfio_ap_mdev_ioctl(c, zapq) {
        this.vfio_ap_mdev_reset_queues(c, zapq);
        return this.vfio_ap_mdev_ioctl_flushed(c);
      },
    },
    // ResetStepPostcondition: the ioctl returned with a reset work queued (vfio_ap_mdev_reset_queues waits in flush_work)
    expectedViolations: ['DeviceResetReportedDoneIsDone', 'ResetStepPostcondition'],
  },
];

/** issue 12: the guest's own PQAP(ZAPQ) and what PQAP(AQIC) tells the guest (configuration guest-zapq). */
export const guestResetVariants: CoreVariant[] = [
  {
    id: 'planted-reset-in-progress-as-normal',
    description: 'planted bug: vfio_ap_irq_enable takes ap_aqic\'s RESET_IN_PROGRESS (02) as accepted, like NORMAL: it frees the older configuration, saves the new NIB and ISC and answers the guest 0, but the AP, still resetting after the guest\'s ZAPQ, never enabled the interruptions',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable, "case AP_RESPONSE_RESET_IN_PROGRESS:" added above "case AP_RESPONSE_NORMAL:" (the status returned with response_code 0)',
    configuration: 'guest-zapq',
    configurations: ['guest-zapq'],
    kernel: {
      vfio_ap_irq_enable(c, q, isc, outcome) {
        if (outcome !== 'RESET_IN_PROGRESS') return vfioAp.vfio_ap_irq_enable.call(this, c, q, isc, outcome);
        this.vfio_pin_pages(c, q);
        const vm = c.mdev.kvm;
        if (vm < 0 || this.kvm_s390_gisc_register(c, vm, isc) < 0) {
          this.vfio_unpin_pages(c, q, false);
          return 'INVALID_ADDRESS';
        }
        this.vfio_ap_free_aqic_resources(c, q);
        const x = c.queues[q]!;
        x.isc = isc;
        x.nib = true;
        return 'NORMAL';
      },
    },
    // AqicAnswerHolds: the guest holds a 0 for ISC 3 with the AP off (5 steps: assign both, open, ZAPQ, AQIC);
    // AqicStepPostcondition: a response other than NORMAL or 07 must run vfio_ap_irq_disable and answer that response
    expectedViolations: ['AqicAnswerHolds', 'AqicStepPostcondition'],
  },
];

/** The proposed fix of priv.c handle_pqap's no-hook answer: the status word shifted into GR1 bits 32-63, as vfio_ap's handle_pqap does. */
export const fixNoHookGr1: KernelOverrides = {
  handle_pqap_intercept(c, vm) {
    const gr1 = vfioAp.handle_pqap_intercept.call(this, c, vm);
    return gr1 === 'cc3 rc00' ? 'cc3 rc01' : gr1; // memcpy(...); vcpu->run->s.regs.gprs[1] >>= 32;
  },
};

/** issue 12 (appqap): PQAP(AQIC) answered as the guest sees it (guestStatus configurations). */
export const guestStatusVariants: CoreVariant[] = [
  {
    id: 'upstream-pqap-no-hook-shifted',
    description: 'upstream with priv.c handle_pqap\'s no-hook answer placed where the guest reads it: the status word shifted into GR1 bits 32-63 after the memcpy (a proposed fix), so the guest sees cc 3 with response code 01',
    cite: 'proposed: arch/s390/kvm/priv.c handle_pqap, "vcpu->run->s.regs.gprs[1] >>= 32;" after the no-hook memcpy (as drivers/s390/crypto/vfio_ap_ops.c handle_pqap has at out_unlock)',
    configuration: 'pqap-refusals',
    configurations: ['pqap-refusals', 'pqap-refusals-hooked', 'pqap-no-fac65'],
    kernel: fixNoHookGr1,
    expectedViolations: [],
  },
  {
    id: 'planted-no-queue-answers-0',
    description: 'planted bug: vfio_ap handle_pqap initialises qstatus to 0 instead of AP_RESPONSE_Q_NOT_AVAIL, so a PQAP(AQIC) for an APQN with no queue in the qtable (or while matrix_mdev->kvm is NULL) is answered cc 0, response code 00',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c handle_pqap, "struct ap_queue_status qstatus = {};"',
    configuration: 'pqap-refusals-hooked',
    kernel: {
      ...fixNoHookGr1,
      handle_pqap_lookup(c, q, vm) {
        const gr1 = vfioAp.handle_pqap_lookup.call(this, c, q, vm);
        return gr1 === 'cc3 rc01' ? 'cc0 rc00' : gr1;
      },
    },
    // 2 steps: open with the APQN not assigned, AQIC ir=1: the guest reads 00 for a queue it does not have (told, the AP off)
    expectedViolations: ['PqapStatusAsDocumented', 'AqicAnswerHolds'],
  },
  {
    id: 'planted-nib-shared-keeps-pin',
    description: 'planted bug: vfio_ap_irq_enable answers 06 when ensure_nib_shared fails for a protected guest, but forgets the vfio_unpin_pages of the NIB it pinned',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable, "if (kvm_s390_pv_cpu_is_protected(vcpu) && ensure_nib_shared(...))" without vfio_unpin_pages',
    configuration: 'pqap-refusals-hooked',
    kernel: {
      ...fixNoHookGr1,
      vfio_ap_irq_enable(c, q, isc, outcome) {
        if (outcome !== 'NIB_NOT_SHARED') return vfioAp.vfio_ap_irq_enable.call(this, c, q, isc, outcome);
        this.vfio_pin_pages(c, q);
        return 'INVALID_ADDRESS';
      },
    },
    // 4 steps: assign both, open, AQIC ir=1 with the NIB not shared: a pin no saved_iova will ever release
    expectedViolations: ['EveryNibPinReleasedOnce', 'AqicStepPostcondition'],
  },
  {
    id: 'planted-apie-not-checked',
    description: 'planted bug: priv.c handle_pqap without its ECA_APIE test: after userspace disabled AP interpretation (KVM_S390_VM_CRYPTO_DISABLE_APIE) the guest\'s PQAP(AQIC) is still handled in the kernel through the hook instead of going to userspace',
    cite: 'planted: arch/s390/kvm/priv.c handle_pqap without "if (!(vcpu->arch.sie_block->eca & ECA_APIE)) return -EOPNOTSUPP;"',
    configuration: 'pqap-refusals-hooked',
    kernel: {
      handle_pqap_intercept(c, vm) {
        if (c.params.fac65 === false) return 'PGM_SPECIFICATION';
        return c.mdev.hook !== vm ? 'cc3 rc01' : undefined; // (with the fix of the no-hook answer)
      },
    },
    // 3 steps: open, DISABLE_APIE, AQIC: answered in the kernel (rc 01 with no queue) where userspace must handle it; 5 steps with
    // the APQN assigned: the enable takes a pin and a registration on a path that must take nothing
    expectedViolations: ['PqapStatusAsDocumented', 'AqicStepPostcondition'],
  },
  {
    id: 'planted-set-crypto-no-reset-all',
    description: 'planted bug: kvm_s390_vm_set_crypto stores crypto.apie but does not call kvm_s390_vcpu_crypto_reset_all, so the vcpus keep the ECA_APIE they had: the guest\'s PQAP(AQIC) is still handled by KVM after userspace disabled AP interpretation',
    cite: 'planted: arch/s390/kvm/kvm-s390.c kvm_s390_vm_set_crypto without "kvm_s390_vcpu_crypto_reset_all(kvm);"',
    configuration: 'pqap-refusals-hooked',
    kernel: {
      kvm_s390_vm_set_crypto() {
        // crypto.apie changes, every vcpu's sie_block->eca (what the model's apie stands for and handle_pqap reads) does not
      },
    },
    // 1 step: KVM_S390_VM_CRYPTO_DISABLE_APIE returns with ECA_APIE still set
    expectedViolations: ['ApieAsSetByUserspace'],
  },
  {
    id: 'planted-fac65-not-checked',
    description: 'planted bug: priv.c handle_pqap without its facility 65 test: a guest whose CPU model lacks AP interruption control gets its interruptions enabled instead of a specification exception',
    cite: 'planted: arch/s390/kvm/priv.c handle_pqap without "if (!test_kvm_facility(vcpu->kvm, 65)) return kvm_s390_inject_program_int(vcpu, PGM_SPECIFICATION);"',
    configuration: 'pqap-no-fac65',
    // 1 step: AQIC answered rc 01 (no hook) instead of the specification exception; 4 with the mdev open: interruptions enabled
    kernel: {
      handle_pqap_intercept(c, vm) {
        if (!c.vms[vm]!.apie) return 'USERSPACE';
        return c.mdev.hook !== vm ? 'cc3 rc01' : undefined; // (with the fix of the no-hook answer)
      },
    },
    expectedViolations: ['PqapStatusAsDocumented', 'AqicStepPostcondition'],
  },
];

export const apRemoveVariant: CoreVariant = {
  id: 'planted-remove-without-reset',
  description: 'planted bug: vfio_ap_mdev_remove_queue unlinks and frees the queue without resetting it (as upstream does for an APQN outside the host\'s configuration, here always, and the AP keeps interrupting)',
  cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove_queue without vfio_ap_mdev_reset_queue(q); flush_work(&q->reset_work)',
  configuration: 'ap-answers',
  kernel: {
    vfio_ap_mdev_remove_queue(c, q) {
      const x = c.queues[q]!;
      if (x.freed !== undefined) x.freed = true; // unlink, kfree(q): no reset
    },
  },
  // the freed q still saves its ISC (QueueTypeOK) and the AP still interrupts into the VM after the close dropped the reference
  expectedViolations: ['RemovedQueueHoldsNothing', 'QueueTypeOK', 'ApInterruptsIntoSavedGisc', 'NoAqicResourcesAfterUnsetKvm', 'GiscRefcountMatchesSavedIscs', 'ResetStepPostcondition'],
};

export const mdevVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'vfio_ap_mdev_set_kvm takes a KVM reference; vfio_ap_mdev_unset_kvm drops it after resetting the queues',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_set_kvm/unset_kvm, v6.17-rc4',
    expectedViolations: [],
    expectedViolationsIn: { 'two-vms': [] },
  },
  {
    id: 'aqic-v4',
    description: 'the AQIC series as first posted: matrix_mdev->kvm is stored without a reference, so the VM can be torn down under the open mdev',
    cite: '"[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control" (Pierre Morel, 2019-02-22)',
    design: { aqic: 'aqic-v4', gisaDestroy: 'v5.2' },
    expectedViolations: ['MdevKvmPointerHoldsReference', 'NoGiscCallOnFreedKvm'],
    // two-vms never closes the mdev: no release writes the hook through the NULL pointer
    expectedViolationsIn: { 'two-vms': ['MdevKvmPointerHoldsReference'] },
  },
  {
    id: 'planted-double-put',
    description: 'planted bug: vfio_ap_mdev_unset_kvm drops its KVM reference twice (a second kvm_put_kvm, as an error path that puts what the caller puts again), so users_count falls below its holders and kvm_destroy_vm runs while QEMU still holds the VM fd',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_unset_kvm with a second kvm_put_kvm(kvm)',
    kernel: {
      vfio_ap_mdev_unset_kvm(c, fx) {
        const vm = c.mdev.kvm;
        const held = c.mdev.kvmRef;
        vfioAp.vfio_ap_mdev_unset_kvm.call(this, c, fx);
        if (vm >= 0 && held && c.vms[vm]!.users > 0) this.kvm_put_kvm(c, vm, fx);
      },
    },
    // KvmTypeOK only one step later, when QEMU reopens the device on the dying VM and users_count rises from 0
    expectedViolations: ['KvmUsersCountIsItsHolders', 'KvmTypeOK'],
  },
];
