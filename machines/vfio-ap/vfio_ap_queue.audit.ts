// Kernel audit of vfio_ap_queue (a queue and the mdev region it belongs to): every pinned
// function that reads or writes the queue's assignment, saved ISC and NIB, the NIB pin, the
// AP's interruption state, or the GISC registrations vfio_ap makes, each branch and hardware
// outcome marked (issue 12). Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, composeAudits, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { NO_AIV } from '../gisa/kvm_s390_gib.audit.ts';
import { MDEVS, NOTIFIERS_FINE, mdevRegionAudit, REMOVE_FINE } from './ap_matrix_mdev.audit.ts';

export const HOTPLUG =
  'assignment and unassignment while a guest uses the mdev (hot plug into and out of the guest\'s APCB): the stores filter the matrix, update the guest\'s APCB and reset the queues of APIDs filtered out; unassignment resets the queues in the guest\'s APCB and unlinks them; the machine assigns only while the mdev is closed (matrix_mdev_closed, a condition the C does not have) and never unassigns; to model: assign and unassign events in every mdev state, the filtered-APID reset, probe of an already assigned APQN';
export const ZAPQ_TAPQ =
  'the AP\'s answers to ZAPQ and TAPQ: NORMAL, RESET_IN_PROGRESS, BUSY and STATE_CHANGE_IN_PROGRESS queue apq_reset_check, which polls TAPQ every 20 ms with no budget (flush_work waits as long as the AP answers RESET_IN_PROGRESS/BUSY) and issues ZAPQ again after an in-progress answer or an ASSOC_* code; DECONFIGURED/CHECKSTOPPED free at once; any other ZAPQ or TAPQ code is a WARN and frees nothing (NIB pinned, GISC registered, yet unset_kvm drops the KVM reference); to model: ZAPQ and TAPQ responses as payloads, apq_reset_check as a work region, flush_work as a wait on it';
export const AQIC_OFF =
  'ap_aqic(ir=0) answering RESET_IN_PROGRESS or BUSY (retried up to 6 times, 20 ms apart) or a not-operational code, and vfio_ap_wait_for_irqclear\'s TAPQ polling (5 tries): on every path the NIB and the GISC are freed, also while the AP may still have interruptions enabled; the guest gets the last AQIC status; to model: AQIC ir=0 and TAPQ responses as payloads of the disable with their budgets, the AP\'s irq_enabled kept when the disable did not take';
export const QUEUE_CFG =
  'a queue removed after its APQN left the host\'s AP configuration is not reset (ZAPQ would answer 01): a saved ISC and NIB are never released, the GISC stays registered and the NIB pinned; to model: a hostConfig payload on vfio_ap_mdev_remove_queue (the config change that removes the APQN)';

/** Issue 12 (apassign): where assignment into a running guest and the probe's filter are modelled (the coarse machine assigns only while the mdev is closed). */
const ASSIGN_FINE =
  'the coarse machine assigns only while the mdev is closed (matrix_mdev_closed) and each queue has its own APID and APQI, each assigned once and never cleared here: the store that completes an APQN links a probed queue that was in no APCB before, so vfio_ap_mdev_filter_matrix filters out no APID that was in the APCB (apm_filtered empty: nothing reset) and, without a KVM, vfio_ap_mdev_update_guest_apcb sets nothing; assignment into a running guest, with the filter, the guest\'s APCB (QueueContext.inApcb) and the reset of a filtered APID, is the composed guest\'s fine-grained pqap-assign (vfio_ap_hotplug.threads.ts: ApcbQueueBound, MatrixQueueLinked, ApThreadStepPostcondition)';
/** Where the hot unplug is modelled (issue 12, apunplug): the coarse machine assigns only while the mdev is closed and never unassigns. */
export const UNPLUG_ELSEWHERE =
  'the coarse machine never unassigns; the hot unplug is the composed guest\'s fine-grained unplug-pqap and unplug-stale (machines/vfio-ap/vfio_ap_hotunplug.threads.ts, kthread steps under get_update_locks_for_mdev; every queue of one adapter; QueueContext.linked for the qtable, matrixMdev for q->matrix_mdev, inApcb for the shadow APCB):';

/** Where the PV switch against vfio_ap's GISC calls is modelled (the coarse machines' steps are atomic). */
const PV_ELSEWHERE =
  'the coarse machines take vfio_ap\'s GISC calls as one step each, with no window between the origin check and ref_lock; KVM_PV_ENABLE\'s kvm_s390_gisa_disable against vfio_ap\'s GISC calls, the origin check and the ref_lock section as steps, is the gisa area\'s fine-grained configurations (machines/gisa/kvm_s390_pv.threads.ts: FAULT.GISA_NULL_ORIGIN_USE, GiscCallSeesGisa):';

/** Issue 12 (apmdev): where vfio_ap_free_aqic_resources' WARN on a NULL q->matrix_mdev is reachable. */
export const FREE_WARN_PATH =
  'reachable, not run: every caller but one reaches q through a qtable, so q->matrix_mdev is set (handle_pqap, unmap_iova, the resets of vfio_ap_mdev_reset_queues, reset_queues_for_apid(s) and the hot unplug\'s reset_qlist, each before its unlink). q->matrix_mdev is cleared only by vfio_ap_mdev_unlink_fr_queues (mdev remove) and the hot unplug, each right after a reset of the queue whose vfio_ap_free_aqic_resources unpins (q->matrix_mdev still set); saved_iova survives the unlink only when that reset freed nothing: ZAPQ answered a code vfio_ap_mdev_reset_queue WARNs on, or apq_reset_check\'s TAPQ -EIO (reset-warn\'s premise: the APQN left the host\'s AP configuration), and the close before the remove failed the same way (its reset would have unpinned). The one caller without a qtable is vfio_ap_mdev_remove_queue of such an unlinked queue whose APQN is back in the host\'s configuration: ZAPQ, then vfio_ap_mdev_reset_queue (DECONFIGURED) or apq_reset_check frees with q->matrix_mdev NULL: both WARN_ONs, nothing unregistered or unpinned, and kfree(q) loses saved_iova (the pin, and the VM\'s GISC registration, leak for good). The branch writes nothing; the leak it ends in is already reset-warn\'s (RemovedQueueHoldsNothing: a queue removed holding its pin and ISC). To model: vfio_ap_mdev_remove with the AP\'s answers, then vfio_ap_mdev_remove_queue of the unlinked queue';
/** Issue 12 (apmdev): vfio_ap_mdev_dma_unmap in the composed guest's fine-grained pqap-dma-unmap. */
export const DMA_FINE =
  'coarse: no IOMMU mapping as state; the composed guest\'s fine-grained pqap-dma-unmap (machines/vfio-ap/vfio_ap_mdev.threads.ts) unmaps the NIB\'s IOVA range after the guest\'s PQAP(AQIC) enabled queue 0: under mdevs_lock unmap_iova runs vfio_ap_irq_disable (AQIC ir=0 NORMAL, GISC unregistered, NIB unpinned) for the queue whose saved_iova lies in the range (NoNibAfterDmaUnmap); the v6.0..v6.1 callback (unpin only, variant dma-unmap-v6.0) breaks it. The other ir=0 outcomes are handle_pqap\'s (vfio_ap_irq_disable is one function)';

const own: KernelAudit = {
  machine: 'vfio_ap_queue',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps, FILE.apPriv, FILE.apDrv, FILE.priv, FILE.interrupt],
  modelledFields: [F.apm, F.aqm, F.qMdev, F.qtable, F.q, F.savedIsc, F.savedIova, F.pin, F.apIrq, F.apGisc, F.apGisa, F.ref, F.mask],
  nonKernel: {
    queue_mine: 'event routing: the event is about this queue',
    bounds_aqic: 'bound: AQIC ir=1 only while the leaks it may add stay below COUNT_CAP',
    bounds_aqic_hooked: 'bound (pqap-refusals-hooked): the guest issues PQAP(AQIC) only while a hook is installed, so that priv.c\'s no-hook answer (the finding) hides no other wrong answer',
    ap_aqic_answer_possible: 'the AP\'s answer (guestReset): ap_aqic answers RESET_IN_PROGRESS exactly while a reset the guest started runs (ap_queue.c ap_queue_enable_irq takes 02 from AQIC as -EBUSY); the payloads NIB_INVALID and PIN_FAILED fail before the AQIC',
  },
  entries: [
    entry(K.vfio_ap_queue_struct, { fields: abstracted('QueueContext: saved_isc, saved_iova (nib), the pin count and what the AP holds; apqn is the queue index; reset_work (work) with the AP\'s answers, reset_status (resetStatus, by class) with VFIO_DEVICE_RESET') }),
    entry(K.assign_adapter_store, {
      parse: ignored('error return: nothing changes'),
      range: ignored('error return: nothing changes'),
      again: ignored('nothing changes'),
      invalid: abstracted('a refused store sets the bit and clears it again under the same locks (nothing modelled changes); one mdev and no host reservations here, so the coarse store is never refused; the refusal is the validation step\'s answer (-EADDRNOTAVAIL, -EADDRINUSE) in the composed guest\'s pqap-assign'),
      link: modelledAs('either order; completes the APQN when the APQI is assigned already', 'assign_adapter_store', 'apqn_assigned', 'matrix_mdev_closed'),
      hotplug: abstracted(ASSIGN_FINE),
    }),
    entry(K.assign_domain_store, {
      parse: ignored('error return: nothing changes'),
      range: ignored('error return: nothing changes'),
      again: ignored('nothing changes'),
      invalid: abstracted('a refused store sets the bit and clears it again under the same locks (nothing modelled changes); one mdev and no host reservations here, so the coarse store is never refused; the refusal is the validation step\'s answer (-EADDRNOTAVAIL, -EADDRINUSE) in the composed guest\'s pqap-assign'),
      link: modelledAs('either order; completes the APQN when the APID is assigned already', 'assign_domain_store', 'apqn_assigned', 'matrix_mdev_closed'),
      hotplug: abstracted(ASSIGN_FINE),
    }),
    entry(K.unassign_adapter_store, {
      parse: ignored('error return: nothing changes'),
      none: ignored('nothing changes'),
      unplug: abstracted(`${UNPLUG_ELSEWHERE} the queues of the APID leave the qtable, those in the guest's APCB are reset (vfio_ap_mdev_reset_qlist) before q->matrix_mdev = NULL (UnpluggedQueueHoldsNothing; planted-unplug-without-reset breaks it)`),
      stale: abstracted(`${UNPLUG_ELSEWHERE} a queue filtered out of the guest's APCB leaves the qtable keeping q->matrix_mdev; after vfio_ap_mdev_remove its vfio_ap_mdev_remove_queue loads through the freed mdev (unplug-stale: NoMatrixMdevUseAfterFree, the README's finding; upstream-unplug-unlinks-filtered holds)`),
    }),
    entry(K.unassign_domain_store, {
      parse: ignored('error return: nothing changes'),
      none: ignored('nothing changes'),
      unplug: abstracted(`${UNPLUG_ELSEWHERE} queue d's domain: the queue leaves the qtable, reset if in the guest's APCB, then q->matrix_mdev = NULL`),
      stale: abstracted(`${UNPLUG_ELSEWHERE} a queue of the APQI filtered out of the guest's APCB keeps q->matrix_mdev (unplug-stale: NoMatrixMdevUseAfterFree)`),
    }),
    entry(K.ap_config_store, {
      parse: ignored('error return: nothing changes'),
      invalid: ignored('error return: the old masks are restored'),
      apply: abstracted(`${UNPLUG_ELSEWHERE} ap_config_store writing masks without the adapter (unplug-pqap; it leaves a filtered queue's pointer as the adapter store does, shown in unplug-stale with that store): the removal half, vfio_ap_mdev_hot_unplug_adapters, as the adapter store's; the additions (links, filter, filtered reset) are the assign stores' and the probe's (HOTPLUG)`),
    }),
    entry(K.vfio_ap_mdev_validate_masks, {
      defDrv: ignored('reservations for the host drivers (apmask/aqmask) are not modelled; writes nothing'),
      shared: abstracted('one mdev: no other matrix to share an APQN with, so the check passes; the composed guest\'s pqap-assign answers -EADDRINUSE for the abstracted second mdev (its matrix is all of it that the check reads)'),
      ok: modelled('assign_adapter_store', 'assign_domain_store'),
    }),
    entry(K.vfio_ap_mdev_resource_in_use, {
      inUse: ignored('refuses the host mask change: writes nothing'),
      free: ignored('writes nothing here; the rebind removes the queue (vfio_ap_mdev_remove_queue, audited)'),
    }),
    entry(K.matrix_show, ignored('reads only')),
    entry(K.vfio_ap_mdev_get_queue, abstracted('queue events carry the queue index; a queue is found while its APQN is assigned (apqn_assigned)')),
    entry(K.vfio_ap_mdev_probe_queue, {
      fail: ignored('no queue: writes nothing'),
      alone: abstracted('the initial state probed: q allocated with saved_isc VFIO_AP_ISC_INVALID'),
      link: abstracted('the machine starts with every queue probed and, once its APQN is assigned, linked (the probe before the mdev is used); probing a queue whose APQN is assigned to the mdev a guest uses, the link under get_update_locks_by_apqn as steps, is the composed guest\'s pqap-probe-queue'),
      hotplug: abstracted('no APCB in this machine; the probe\'s vfio_ap_mdev_filter_matrix with the guest\'s APCB as state is the composed guest\'s pqap-probe-queue (issue 12, apassign): the new queue makes its APID passable, nothing is filtered out'),
    }),
    entry(K.vfio_ap_mdev_remove_queue, {
      guest: modelledAs('the queue\'s reset (interruptions off, AQIC resources freed), then removed; get_update_locks_for_queue waits while vfio_ap_mdev_unset_kvm holds the locks in flush_work (update_locks_free)', 'vfio_ap_mdev_remove_queue', 'update_locks_free'),
      siblings: abstracted(`${UNPLUG_ELSEWHERE} the coarse remove has one queue per APID; in unplug-stale removing queue 1 clears the adapter from the shadow APCB and resets queue 0 too, which stays linked`),
      host: modelled('vfio_ap_mdev_remove_queue'),
      noReset: modelledAs('the remove\'s host payload gone (remove-host-gone): no reset, the AP presents nothing, q freed with its saved ISC and NIB: RemovedQueueHoldsNothing, QueueTypeOK, GiscRefcountMatchesSavedIscs, NoAqicResourcesAfterUnsetKvm fail (upstream\'s expected finding there)', 'vfio_ap_mdev_remove_queue'),
      free: modelled('vfio_ap_mdev_remove_queue'),
    }),
    entry(K.PQAP_AQIC, {
      noAp: ignored('no AP instructions: vfio_ap does not load'),
      noApie: modelledAs('guestStatus (pqap-refusals, pqap-refusals-hooked): handle_pqap_intercept answers USERSPACE (-EOPNOTSUPP, QEMU handles the instruction; what QEMU answers is not modelled) with nothing taken (PqapStatusAsDocumented, AqicStepPostcondition; planted-apie-not-checked)', 'priv_handle_pqap', 'handle_pqap_intercept'),
      fc: ignored('not AQIC: writes nothing'),
      pstate: ignored('a program interruption: no modelled field'),
      spec: ignored('a program interruption: no modelled field'),
      fac65: modelledAs(`pqap-no-fac65 (params.fac65 false, the CPU model without AP interruption control): handle_pqap_intercept answers PGM_SPECIFICATION, nothing taken (PqapStatusAsDocumented, AqicStepPostcondition; planted-fac65-not-checked). A host without AIV, which offers no facility 65, is ${NO_AIV}`, 'priv_handle_pqap', 'handle_pqap_intercept'),
      hook: modelledAs('needs the hook and a vcpu in SIE (pqap_hook); guestStatus: the cc and the GR1 the guest reads after vfio_ap\'s memcpy and >>= 32 (pqap_gr1: cc 3 for a non-zero response code)', 'PQAP_AQIC', 'pqap_hook', 'priv_handle_pqap', 'pqap_gr1'),
      hookErr: modelledAs('vfio_ap\'s handle_pqap answers -EOPNOTSUPP without ECA_AIV (eca_aiv): the event is refused, the PQAP goes to userspace, which the model leaves out; reached in the composed guest\'s pv configurations (the GISA disabled for PV)', 'eca_aiv'),
      noHook: modelledAs('guestStatus (pqap-refusals): handle_pqap_intercept; finding: "status.response_code = 0x01; memcpy(&vcpu->run->s.regs.gprs[1], &status, sizeof(status))" puts the 4-byte status word in GR1 bits 0-31 without vfio_ap\'s ">>= 32", the guest reads bits 32-63 (its own AQIC operand: response code 00) with cc 3 (PqapStatusAsDocumented, AqicAnswerHolds: upstream\'s expected finding there; the fix upstream-pqap-no-hook-shifted holds)', 'priv_handle_pqap', 'handle_pqap_intercept'),
    }),
    entry(K.handle_pqap, {
      noAiv: modelledAs(
        'coarse: the eca_aiv guard, ECA_AIV read as gi->origin of the hook\'s VM (kvm_s390_vcpu_setup sets it with gd; kvm_s390_gisa_disable/enable write both under vcpu->mutex, and the coarse PV switch is one step); -EOPNOTSUPP refuses the event (userspace handles the PQAP, not modelled). Reached in the composed guest\'s pv configurations (KVM_PV_ENABLE without UV AIV); a host without AIV at all is NO_AIV (fac65, missing; the fine-grained pqap-no-aiv)',
        'eca_aiv',
      ),
      noHook: ignored('cannot happen: priv.c calls the hook under pqap_hook_rwsem, which vfio_ap_mdev_unset_kvm takes for writing to clear it'),
      noKvm: abstracted('coarse: vfio_ap_mdev_set_kvm stores the hook, the reference and the pointer in one step, so no PQAP sees the hook without matrix_mdev->kvm here; the composed guest\'s fine-grained pqap-open configuration has the window (rc 01, nothing set up: NoAqicResourcesWithoutKvmReference); the -EPERM cause (a second mdev) is MDEVS (set_kvm eperm, missing)'),
      noQueue: modelledAs('guestStatus: PQAP(AQIC) for an APQN not (fully) assigned, in the region\'s probed state: handle_pqap_lookup answers qstatus as initialised, 01 with cc 3, nothing taken (PqapStatusAsDocumented, AqicAnswerHolds; planted-no-queue-answers-0); a queue unbound or unplugged is the same lookup miss (the remove is not in these configurations)', 'priv_handle_pqap', 'handle_pqap_lookup'),
      enable: modelled('handle_pqap', 'pqap_hook', 'bounds_aqic', 'mdevs_lock_free'),
      disable: modelled('handle_pqap', 'vfio_ap_irq_disable', 'saved_isc_valid'),
    }),
    entry(K.vfio_ap_irq_enable, {
      nib: modelledAs('the NIB_INVALID payload', 'handle_pqap'),
      pin: modelledAs('the PIN_FAILED payload', 'handle_pqap', 'vfio_pin_pages'),
      pvShared: modelledAs('pvGuest configurations (pqap-refusals, pqap-refusals-hooked): the AQIC payload NIB_NOT_SHARED (ensure_nib_shared\'s uv_pin_shared fails for a protected vcpu; ap_aqic_answer_possible: only with pvGuest): the new pin undone, 06 with cc 3, nothing else taken (PqapStatusAsDocumented, AqicStepPostcondition, EveryNibPinReleasedOnce; planted-nib-shared-keeps-pin). The PV switch itself is the composed guest\'s pv configurations; a protected guest there without UV AIV has no GISA and never reaches vfio_ap_irq_enable (eca_aiv)', 'priv_handle_pqap', 'vfio_ap_irq_enable', 'ap_aqic_answer_possible'),
      gisc: modelledAs('upstream: kvm_s390_gisc_register fails when the VM has no GISA any more; unpinned, 06', 'handle_pqap'),
      normal: modelled('handle_pqap', 'vfio_ap_irq_enable', 'saved_isc_valid'),
      changed: modelledAs('the OTHERWISE_CHANGED payload', 'handle_pqap'),
      other: modelledAs('the OTHER payload stands for every other response code (the leak of the new pin and GISC is the upstream finding); guest-zapq: the RESET_IN_PROGRESS payload, possible exactly while the reset the guest\'s PQAP(ZAPQ) started runs, takes the same default case (the guest provokes the leak itself: 5 steps)', 'handle_pqap', 'vfio_ap_irq_enable', 'vfio_ap_irq_disable', 'ap_aqic_answer_possible'),
    }),
    entry(K.vfio_ap_irq_disable, {
      off: modelledAs('ap_aqic(ir=0) answered NORMAL or 07 and the TAPQ wait in one step (the off payload NORMAL, the default): interruptions off, then the resources freed; status NORMAL to the guest', 'handle_pqap', 'vfio_ap_irq_disable'),
      retry: modelledAs('apAnswers configurations: a retry that ends NORMAL is the NORMAL payload (msleep changes nothing modelled); one that never does is BUSY_EXHAUSTED', 'handle_pqap', 'vfio_ap_irq_disable'),
      budget: modelledAs('the off payload BUSY_EXHAUSTED (aqic-off-warn): freed, the AP keeps its interruptions, status BUSY to the guest; IrqEnabledImpliesNibPinned and ApInterruptsIntoSavedGisc fail (upstream\'s expected finding there)', 'handle_pqap', 'vfio_ap_irq_disable'),
      notOper: modelledAs('the off payload NOT_OPER: freed; a not operational AP presents no interruptions; status NOT_OPER to the guest', 'handle_pqap', 'vfio_ap_irq_disable'),
    }),
    entry(K.vfio_ap_wait_for_irqclear, {
      clear: modelled('handle_pqap'),
      retry: modelledAs('a TAPQ retry that sees irq_enabled clear in time is the NORMAL payload; one that never does is IR_STUCK', 'handle_pqap', 'vfio_ap_irq_disable'),
      gone: modelledAs('the off payload TAPQ_FAILED: WARN_ONCE, return; the accepted AQIC turns the AP\'s interruptions off; freed, status NORMAL', 'handle_pqap', 'vfio_ap_irq_disable'),
      budget: modelledAs('the off payload IR_STUCK (aqic-off-warn): freed while the AP keeps its interruptions, status NORMAL: GuestToldSuccessMatchesAp, IrqEnabledImpliesNibPinned, ApInterruptsIntoSavedGisc fail (upstream\'s expected finding there)', 'handle_pqap', 'vfio_ap_irq_disable'),
    }),
    entry(K.vfio_ap_free_aqic_resources, {
      noQ: ignored('writes nothing'),
      unregister: modelledAs('through matrix_mdev->kvm, whichever VM registered the saved ISC: after the close\'s WARN path kept it and the mdev was reopened for another VM, on that VM (reset-warn-two-vms: -EINVAL, or the new VM\'s own registration of the same ISC dropped)', 'handle_pqap', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue'),
      noKvm: modelledAs('upstream (v6.17-rc4): matrix_mdev->kvm NULL (the close already cleared it: reset-warn, aqic-off-warn) skips the unregister with its WARN and keeps saved_isc; the unpin follows (v5.3 and the first-posted design call kvm_s390_gisc_unregister through the NULL kvm instead)', 'vfio_ap_free_aqic_resources'),
      unpin: modelledAs('QueueContext.pins counts the queue\'s pins, not per IOMMU context: a NIB pinned while the mdev was open for one VM and unpinned after it was reopened for another (reset-warn-two-vms) is one pin less here, while vfio_unpin_pages then goes to the reopened device\'s container or iommufd access (vfio_iommu_type1_unpin_pages: WARN_ON(i != npage) without a DMA mapping at that IOVA, nothing without a pin there, else the new VM\'s own pin at that IOVA dropped) and the first pin stays with the old one', 'handle_pqap', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue', 'vfio_ap_free_aqic_resources', 'vfio_unpin_pages'),
      noMdev: abstracted(FREE_WARN_PATH),
    }),
    entry(K.vfio_ap_mdev_reset_queue, {
      noQ: ignored('writes nothing'),
      queued: modelledAs('apAnswers configurations: the close\'s (or VFIO_DEVICE_RESET\'s) zapq payload NORMAL or IN_PROGRESS (RESET_IN_PROGRESS; BUSY and STATE_CHANGE in device-reset take its branch) queues the work (QueueContext.work: zapped / in-progress; the AP keeps its interruptions until TAPQ shows the reset done); elsewhere, and in vfio_ap_mdev_remove_queue, ZAPQ NORMAL and its completion are one step', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue', 'vfio_ap_mdev_reset_queue'),
      gone: modelledAs('the zapq payload DECONFIGURED (CHECKSTOPPED in device-reset takes its branch): freed at once, the AP presents no interruptions', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_reset_queue'),
      invalid: modelledAs('the zapq payload INVALID (reset-warn): WARN, nothing freed, no work queued; unset_kvm goes on to kvm_put_kvm: NoAqicResourcesAfterUnsetKvm, ApInterruptsIntoSavedGisc fail (upstream\'s expected finding there)', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_reset_queue'),
    }),
    entry(K.apq_reset_check, {
      busy: modelledAs('the apq_reset_check event with tapq BUSY: a pass that changes nothing (no budget: flush_work waits as long as the AP answers so)', 'apq_reset_check', 'reset_work_queued'),
      rezap: modelledAs('tapq DONE after an in-progress status (the reset completed: interruptions off) or tapq ASSOC: ZAPQ again, its answer (zapq payload) stored', 'apq_reset_check', 'reset_work_queued'),
      done: modelledAs('tapq DONE after a NORMAL status: interruptions off, vfio_ap_free_aqic_resources if saved_isc is valid, the work ends (outside apAnswers folded into the reset step)', 'apq_reset_check', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue'),
      eio: modelledAs('tapq INVALID (reset-warn, device-reset-warn): the work ends without freeing and without storing the TAPQ status; flush_work returns and unset_kvm drops the reference, VFIO_DEVICE_RESET returns the ZAPQ\'s 0 (upstream\'s expected findings there)', 'apq_reset_check'),
    }),
    entry(K.vfio_ap_mdev_reset_queues, {
      zap: modelledAs('the ZAPQs in the close step (and in VFIO_DEVICE_RESET); flush_work is the flush_work event of the mdev region\'s state unsetting (or of open with mdev.resetting), enabled once every queue\'s work is idle (reset_work_idle), which runs the rest of vfio_ap_mdev_unset_kvm (or returns from the ioctl)', 'vfio_ap_mdev_close_device', 'matrix_mdev_open', 'flush_work', 'reset_work_idle', 'vfio_ap_mdev_unset_kvm_put', 'VFIO_DEVICE_RESET'),
      eio: modelledAs('deviceReset configurations (device-reset, device-reset-warn): q->reset_status is QueueContext.resetStatus (the class of the last stored ZAPQ code), the second loop is vfio_ap_mdev_reset_queues_flushed: -EIO for a non-zero one; VFIO_DEVICE_RESET returns it (mdev.resetRc: DeviceResetReturnsDocumentedCode), the close ignores it. Finding (device-reset-warn): apq_reset_check\'s -EIO stores nothing, so a reset whose TAPQ failed returns 0 (DeviceResetReportedDoneIsDone)', 'vfio_ap_mdev_reset_queues_flushed', 'VFIO_DEVICE_RESET'),
    }),
    entry(K.vfio_ap_mdev_dma_unmap, {
      hit: abstracted(DMA_FINE),
      miss: ignored('writes nothing'),
    }),
    entry(K.vfio_ap_mdev_remove, {
      unregister: modelled('vfio_ap_mdev_close_device'),
      reset: abstracted(REMOVE_FINE),
      unlink: abstracted(REMOVE_FINE),
    }),
    entry(K.vfio_ap_on_cfg_changed, {
      none: ignored('writes nothing'),
      remove: ignored('the shadow APCB only: the AP bus removes the queue devices (vfio_ap_mdev_remove_queue)'),
      removeNoKvm: abstracted(NOTIFIERS_FINE),
      cdoms: ignored('the shadow APCB (adm) only; the inverted control-domain mask is a kernel oddity noted in GAPS-core.md'),
      add: ignored('bitmaps of pending additions'),
    }),
    entry(K.vfio_ap_on_scan_complete, {
      skip: ignored('writes nothing'),
      plug: abstracted(NOTIFIERS_FINE),
      noKvm: abstracted(NOTIFIERS_FINE),
      garbage: abstracted(NOTIFIERS_FINE),
    }),
    entry(K.AP_ADAPTER_INTERRUPTION, {
      nib: modelledAs('a NIB write while nothing is saved is the NIB_WRITE_UNPINNED fault', 'AP_ADAPTER_INTERRUPTION', 'ap_irq_enabled'),
      gisa: modelled('AP_ADAPTER_INTERRUPTION'),
    }),
    entry(K.PQAP_ZAPQ, {
      reset: modelled('PQAP_ZAPQ', 'pqap_hook'),
      async: modelledAs('guestReset (guest-zapq): the reset runs on (QueueContext.hwReset) until the hardware event AP_RESET_COMPLETE (a TAPQ would now answer 0), which turns the interruptions off; meanwhile the AP may still interrupt and ap_aqic answers RESET_IN_PROGRESS (vfio_ap_irq_enable\'s default case); q->saved_isc, the pinned NIB and the GISC registration stay until the next AQIC NORMAL (vfio_ap_free_aqic_resources frees the older configuration) or the host\'s reset. Elsewhere the reset completes at once', 'PQAP_ZAPQ', 'AP_RESET_COMPLETE', 'ap_reset_in_progress', 'ap_aqic_answer_possible'),
    }),
    entry(K.kvm_s390_gisc_register, {
      enodev: modelled('handle_pqap'),
      erange: ignored('vfio_ap passes gr1 & 7: never above MAX_ISC'),
      inc: modelled('handle_pqap'),
      first: modelled('handle_pqap'),
      firstBusy: modelled('handle_pqap'),
      race: abstracted(`${PV_ELSEWHERE} the PQAP's register: pv-enable-pqap`),
    }),
    entry(K.kvm_s390_gisc_unregister, {
      enodev: abstracted(`the VM loses its GISA only through a PV switch (or its teardown, which the KVM reference vfio_ap holds keeps away): ${PV_ELSEWHERE} the reset work's unregister after kvm_s390_gisa_destroy: pv-enable-unregister, where -ENODEV is ignored, saved_isc cleared and ref_count[] keeps the count`),
      erange: ignored('vfio_ap passes a saved ISC: never above MAX_ISC'),
      einval: modelledAs('an unbalanced unregister is the GISC_UNREGISTER_UNBALANCED fault; vfio_ap_free_aqic_resources ignores it and unpins the NIB with the registration made with it still live where it was made (UNPIN_BEFORE_UNREGISTER: reset-warn-two-vms)', 'handle_pqap', 'vfio_ap_mdev_close_device'),
      dec: modelled('handle_pqap', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue'),
      last: modelled('handle_pqap', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue'),
      lastBusy: modelled('handle_pqap', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue'),
      race: abstracted(`${PV_ELSEWHERE} the reset work's unregister: pv-enable-unregister`),
    }),
    entry(K.vfio_ap_init, {
      noAp: ignored('vfio_ap does not load: no queue'),
      fail: ignored('vfio_ap does not load: no queue'),
      ok: abstracted('module load: the machine starts after it, every queue probed'),
    }),
    entry(K.vfio_ap_exit, {
      unregister: abstracted('module unload: every queue is removed (vfio_ap_mdev_remove_queue, audited)'),
    }),
  ],
};

/** The queue machine has the mdev region too: its part and the queue's, merged. */
export const queueAudit: KernelAudit = composeAudits([mdevRegionAudit, own], {
  machine: 'vfio_ap_queue',
  pinned: PINNED_AUDIT,
  envOnly: new Set(),
  remap: {},
});
