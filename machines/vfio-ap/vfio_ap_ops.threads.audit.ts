// The names the fine-grained pqap-close configuration of the composed guest adds
// (machines/vfio-ap/vfio_ap_ops.threads.ts: the PQAP intercept against QEMU closing the mdev),
// by the branch of the C each step executes. Composed into the system audit after the
// per-object audits: a branch they mark keeps its mark, the steps join its names; the branches
// the threads do not run are marked by the per-object audits (ignored here only so that every
// branch has a mark).
import type { KernelAudit } from '../../src/audit.ts';
import { entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

const byOthers: Mark = ignored('not run by the pqap-close or pqap-open threads: see the vfio_ap_queue and ap_matrix_mdev audits');
/** priv.c handle_pqap's checks before the hook (AP facility, APIE, function code, problem state, specification, facility 65): the threads start past them. */
const interceptChecks = { noAp: byOthers, noApie: byOthers, fc: byOthers, pstate: byOthers, spec: byOthers, fac65: byOthers };
const HOOK = 'vfio_ap:handle_pqap@';

export const pqapCloseAudit: KernelAudit = {
  machine: 'system (pqap-close threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.priv, FILE.apOps],
  modelledFields: [F.hook, F.mdevKvm],
  entries: [
    entry(K.PQAP_AQIC, {
      ...interceptChecks,
      hook: modelledAs(
        'pqap-close: upstream down_read, the NULL test, the load of *pqap_hook, the call, up_read; v5.3..v5.10 (no rwsem) the NULL test, try_module_get(hook->owner), hook->hook(vcpu), module_put(hook->owner), each loading the pointer again',
        'handle_pqap@down_read(pqap_hook_rwsem)', 'handle_pqap@if (pqap_hook)', 'handle_pqap@pqap_hook = *pqap_hook', 'handle_pqap@up_read(pqap_hook_rwsem)',
        'handle_pqap@try_module_get(pqap_hook->owner)', 'handle_pqap@pqap_hook->hook(vcpu)', 'handle_pqap@module_put(pqap_hook->owner)',
      ),
      hookErr: byOthers,
      noHook: byOthers,
    }),
    entry(K.handle_pqap, {
      noAiv: byOthers,
      noHook: modelledAs('reached when priv.c loaded the hook without the rwsem (v5.3..v5.10, planted-pqap-no-rwsem) and the close cleared it before the driver lock', `${HOOK}vfio_ap_mdev_get_queue`),
      noKvm: byOthers,
      noQueue: byOthers,
      enable: modelledAs(
        'pqap-close: under mdevs_lock (v5.3..v5.10 matrix_dev->lock), the lookup, then vfio_ap_irq_enable as one step (ap_aqic NORMAL)',
        `${HOOK}mutex_lock(matrix_dev->mdevs_lock)`, `${HOOK}vfio_ap_mdev_get_queue`, `${HOOK}vfio_ap_irq_enable`, `${HOOK}mutex_unlock(matrix_dev->mdevs_lock)`,
        `${HOOK}mutex_lock(matrix_dev->lock)`, `${HOOK}mutex_unlock(matrix_dev->lock)`,
      ),
      disable: byOthers,
    }),
    entry(K.vfio_ap_mdev_unset_kvm, {
      none: modelledAs('pqap-close: matrix_mdev->kvm read without a lock (v5.3..v5.10 vfio_ap_mdev_release: under matrix_dev->lock)', 'vfio_ap_mdev_unset_kvm@kvm = matrix_mdev->kvm', 'vfio_ap_mdev_release@if (matrix_mdev->kvm)', 'vfio_ap_mdev_release@kvm_busy = true'),
      hook: modelledAs(
        'pqap-close: down_write, the store, up_write (v5.3..v5.10: the store under matrix_dev->lock only); the mdev region follows the hook',
        'vfio_ap_mdev_unset_kvm@down_write(pqap_hook_rwsem)', 'vfio_ap_mdev_unset_kvm@pqap_hook = NULL', 'vfio_ap_mdev_unset_kvm@up_write(pqap_hook_rwsem)', 'vfio_ap_mdev_release@pqap_hook = NULL', 'pqap_hook_cleared',
      ),
      clear: modelledAs(
        'pqap-close: get_update_locks_for_kvm / release_update_locks_for_kvm as steps (v5.3..v5.10: matrix_dev->lock); kvm_arch_crypto_clear_masks is folded into the reset step (the APCB is not modelled)',
        'vfio_ap_mdev_unset_kvm@mutex_lock(matrix_dev->guests_lock)', 'vfio_ap_mdev_unset_kvm@mutex_lock(kvm->lock)', 'vfio_ap_mdev_unset_kvm@mutex_lock(matrix_dev->mdevs_lock)',
        'vfio_ap_mdev_unset_kvm@mutex_unlock(matrix_dev->mdevs_lock)', 'vfio_ap_mdev_unset_kvm@mutex_unlock(kvm->lock)', 'vfio_ap_mdev_unset_kvm@mutex_unlock(matrix_dev->guests_lock)',
        'vfio_ap_mdev_release@mutex_lock(matrix_dev->lock)', 'vfio_ap_mdev_release@mutex_unlock(matrix_dev->lock)',
        // v5.13..v5.14: kvm_busy set, matrix_dev->lock dropped around kvm_arch_crypto_clear_masks
        'vfio_ap_mdev_release@mutex_unlock(matrix_dev->lock) for clear_masks', 'vfio_ap_mdev_release@mutex_lock(matrix_dev->lock) after clear_masks',
      ),
      reset: modelledAs('pqap-close: one step under the driver lock (every other user of the queue fields takes it)', 'vfio_ap_mdev_unset_kvm@vfio_ap_mdev_reset_queues', 'vfio_ap_mdev_release@vfio_ap_mdev_reset_queues'),
      put: modelledAs('pqap-close: kvm_put_kvm and the pointer cleared in one step under the driver lock', 'vfio_ap_mdev_unset_kvm@kvm_put_kvm(kvm)', 'vfio_ap_mdev_release@kvm_put_kvm(kvm)', 'vfio_ap_mdev_release@kvm_busy = false; wake_up_all'),
    }),
    entry(K.get_update_locks, modelledAs('pqap-close: vfio_ap_mdev_unset_kvm takes guests_lock, kvm->lock, mdevs_lock as steps, in this order', 'vfio_ap_mdev_unset_kvm@mutex_lock(matrix_dev->guests_lock)', 'vfio_ap_mdev_unset_kvm@mutex_lock(kvm->lock)', 'vfio_ap_mdev_unset_kvm@mutex_lock(matrix_dev->mdevs_lock)')),
  ],
};

const SET = 'vfio_ap_mdev_set_kvm@';

// The names the fine-grained pqap-open configuration adds (the PQAP intercept against QEMU
// opening the mdev: vfio_ap_mdev_set_kvm as steps, eras upstream, v5.13..v5.14, v5.3..v5.12, and
// the planted pointer-before-reference race), composed into the system audit like pqapCloseAudit.
export const pqapOpenAudit: KernelAudit = {
  machine: 'system (pqap-open threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.priv, FILE.apOps],
  modelledFields: [F.hook, F.mdevKvm, F.users],
  entries: [
    entry(K.PQAP_AQIC, {
      ...interceptChecks,
      hook: byOthers,
      hookErr: byOthers,
      noHook: modelledAs(
        'pqap-open: the guest\'s PQAP before set_kvm stored the hook: the NULL test fails, up_read (v5.3..v5.14: return at once); the answer, response 01 with cc 3, is the path taken (test/system/pqap-open.test.ts), not state',
        'handle_pqap@if (pqap_hook)', 'handle_pqap@up_read(pqap_hook_rwsem)',
      ),
    }),
    entry(K.handle_pqap, {
      noAiv: byOthers,
      noHook: byOthers,
      noKvm: modelledAs(
        'pqap-open (upstream): the hook is stored under pqap_hook_rwsem before set_kvm takes mdevs_lock for kvm_get_kvm and matrix_mdev->kvm: a PQAP in between passes priv.c, finds matrix_mdev->kvm NULL under mdevs_lock and leaves by out_unlock with qstatus AP_RESPONSE_Q_NOT_AVAIL (rc 01), nothing set up (NoAqicResourcesWithoutKvmReference; the state is asserted in test/system/pqap-open.test.ts). v5.3..v5.14 store the hook and the pointer in one step under matrix_dev->lock: vfio_ap never takes this branch against the open. The -EPERM cause (a second mdev) is MDEVS, missing',
        `${HOOK}vfio_ap_mdev_get_queue`, `${HOOK}mutex_unlock(matrix_dev->mdevs_lock)`,
      ),
      noQueue: byOthers,
      enable: modelledAs(
        'pqap-open: as in pqap-close; v5.13..v5.14 wait under wait_event_cmd(matrix_mdev->wait_for_kvm, !kvm_busy) between the hook test and the kvm test (unlock, sleep, lock, test again): never taken against the open, asserted',
        `${HOOK}wait_event_cmd(!kvm_busy)`, `${HOOK}wait_event_cmd: mutex_unlock(matrix_dev->lock)`, `${HOOK}wait_event_cmd: schedule()`, `${HOOK}wait_event_cmd: mutex_lock(matrix_dev->lock)`,
        `${HOOK}mutex_lock(matrix_dev->lock)`, `${HOOK}vfio_ap_irq_enable`, `${HOOK}mutex_unlock(matrix_dev->lock)`,
      ),
      disable: byOthers,
    }),
    entry(K.vfio_ap_mdev_set_kvm, {
      noCrycb: byOthers,
      hook: modelledAs(
        'pqap-open: down_write, the store (the mdev region follows the hook), up_write; v5.13..v5.14 the store with the pointer after set_masks under matrix_dev->lock; v5.3..v5.12 with the pointer and the reference under matrix_dev->lock',
        `${SET}down_write(pqap_hook_rwsem)`, `${SET}pqap_hook = &matrix_mdev->pqap_hook`, `${SET}up_write(pqap_hook_rwsem)`,
        `${SET}pqap_hook = &matrix_mdev->pqap_hook; matrix_mdev->kvm = kvm; kvm_busy = false`,
        `${SET}matrix_mdev->kvm = kvm; kvm_get_kvm(kvm); pqap_hook = &matrix_mdev->pqap_hook`, 'pqap_hook_set',
      ),
      eperm: byOthers,
      attach: modelledAs(
        'pqap-open: get_update_locks_for_kvm, kvm_get_kvm and matrix_mdev->kvm in one step under them (the mdev_list scan passes: one mdev; the APCB is not modelled), release_update_locks_for_kvm; v5.13..v5.14: under matrix_dev->lock (the group notifier\'s) kvm_get_kvm and kvm_busy = true, unlock for kvm_arch_crypto_set_masks, lock again; the planted race stores the pointer first and takes the reference later',
        `${SET}mutex_lock(matrix_dev->guests_lock)`, `${SET}mutex_lock(kvm->lock)`, `${SET}mutex_lock(matrix_dev->mdevs_lock)`, `${SET}kvm_get_kvm(kvm); matrix_mdev->kvm = kvm`,
        `${SET}mutex_unlock(matrix_dev->mdevs_lock)`, `${SET}mutex_unlock(kvm->lock)`, `${SET}mutex_unlock(matrix_dev->guests_lock)`,
        `${SET}mutex_lock(matrix_dev->lock)`, `${SET}mutex_unlock(matrix_dev->lock)`, `${SET}kvm_get_kvm(kvm); kvm_busy = true`,
        `${SET}mutex_unlock(matrix_dev->lock) for set_masks`, `${SET}mutex_lock(matrix_dev->lock) after set_masks`,
        `${SET}matrix_mdev->kvm = kvm`, `${SET}kvm_get_kvm(kvm)`,
      ),
    }),
    entry(K.get_update_locks, modelledAs('pqap-open: vfio_ap_mdev_set_kvm takes guests_lock, kvm->lock, mdevs_lock as steps, in this order', `${SET}mutex_lock(matrix_dev->guests_lock)`, `${SET}mutex_lock(kvm->lock)`, `${SET}mutex_lock(matrix_dev->mdevs_lock)`)),
  ],
};

const RMQ = 'vfio_ap_mdev_remove_queue@';

// The names the fine-grained pqap-remove-queue configuration adds (the PQAP intercept against the
// AP bus removing the queue: vfio_ap_mdev_remove_queue as steps, v6.17-rc4 and v5.3..v5.10, and
// the two planted races), composed into the system audit like pqapCloseAudit.
export const pqapRemoveQueueAudit: KernelAudit = {
  machine: 'system (pqap-remove-queue threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.priv, FILE.apOps],
  modelledFields: [F.savedIsc, F.savedIova, F.qtable],
  entries: [
    entry(K.handle_pqap, {
      noAiv: byOthers,
      noHook: byOthers,
      noKvm: byOthers,
      noQueue: modelledAs(
        'pqap-remove-queue: vfio_ap_mdev_remove_queue unlinked (hash_del) and freed the queue under mdevs_lock before the lookup: no queue, rc 01, nothing set up (test/machines/vfio-ap-concurrency.test.ts); the planted lookup before mdevs_lock finds it and vfio_ap_irq_enable uses the freed queue (NoQueueUseAfterFree); the lookup\'s branch is checked against the hook, matrix_mdev->kvm and the qtable, under mdevs_lock, in every fine-grained configuration (ApThreadStepPostcondition, vfio_ap_ops.stepghost.ts)',
        `${HOOK}vfio_ap_mdev_get_queue`, `${HOOK}mutex_unlock(matrix_dev->mdevs_lock)`,
      ),
      enable: modelledAs('pqap-remove-queue: as in pqap-close; an enable through a queue found before the lock and freed since reports the use after free', `${HOOK}vfio_ap_irq_enable`),
      disable: byOthers,
    }),
    entry(K.vfio_ap_mdev_remove_queue, {
      guest: modelledAs(
        'pqap-remove-queue: get_update_locks_for_queue as steps (guests_lock, the q->matrix_mdev->kvm test, kvm->lock, mdevs_lock); the unplug (the APCB is not modelled), reset_queues_for_apid, unlink and kfree in one step under them (handle_pqap and every other user of q hold mdevs_lock), the region following to removed; release_update_locks_for_mdev tests matrix_mdev->kvm again. v5.3..v5.10 vfio_ap_queue_dev_remove: reset, vfio_ap_irq_disable, kfree under matrix_dev->lock. Planted: the reset before the locks',
        `${RMQ}mutex_lock(matrix_dev->guests_lock)`, `${RMQ}if (q->matrix_mdev->kvm)`, `${RMQ}mutex_lock(kvm->lock)`, `${RMQ}mutex_lock(matrix_dev->mdevs_lock)`, `${RMQ}vfio_ap_mdev_remove_queue`,
        `${RMQ}mutex_unlock(matrix_dev->mdevs_lock)`, `${RMQ}release: if (matrix_mdev->kvm)`, `${RMQ}mutex_unlock(kvm->lock)`, `${RMQ}mutex_unlock(matrix_dev->guests_lock)`,
        'vfio_ap_queue_dev_remove@mutex_lock(matrix_dev->lock)', 'vfio_ap_queue_dev_remove@vfio_ap_mdev_remove_queue', 'vfio_ap_queue_dev_remove@mutex_unlock(matrix_dev->lock)',
        `${RMQ}vfio_ap_mdev_reset_queue unlocked`,
      ),
      siblings: byOthers,
      host: byOthers,
      noReset: byOthers,
      free: modelledAs('pqap-remove-queue: in the remove step (QueueContext.freed; the queue region moves to removed on the settle it raises: queue_freed); the planted race does only the unlink and kfree under the locks', `${RMQ}vfio_ap_mdev_remove_queue`, `${RMQ}vfio_ap_unlink_queue_fr_mdev; kfree(q)`, 'queue_freed'),
    }),
    entry(K.get_update_locks, modelledAs('pqap-remove-queue: get_update_locks_for_queue takes guests_lock, tests q->matrix_mdev->kvm (under guests_lock, which the pointer\'s writers hold), takes kvm->lock and mdevs_lock as steps; release_update_locks_for_mdev tests the pointer again', `${RMQ}mutex_lock(matrix_dev->guests_lock)`, `${RMQ}if (q->matrix_mdev->kvm)`, `${RMQ}release: if (matrix_mdev->kvm)`)),
  ],
};

const RM = 'vfio_ap_mdev_remove@';

// The names the fine-grained pqap-mdev-remove configuration adds (the PQAP intercept against QEMU's
// close and userspace removing the mdev: vfio_ap_mdev_remove as steps after the close, v6.17-rc4
// and v5.3..v5.10, and the planted remove without the wait), composed like pqapCloseAudit.
export const pqapMdevRemoveAudit: KernelAudit = {
  machine: 'system (pqap-mdev-remove threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps],
  modelledFields: [F.hook, F.mdevKvm, F.savedIsc, F.savedIova],
  entries: [
    entry(K.vfio_ap_mdev_remove, {
      unregister: modelledAs(
        'pqap-mdev-remove: a step that runs only after QEMU\'s close returned (`after`; v5.3 vfio_del_group_dev), the close being the pqap-close thread; v5.3..v5.10 then test matrix_mdev->kvm without a lock (-EBUSY). Planted: the wait dropped',
        `${RM}vfio_unregister_group_dev`, `${RM}vfio_del_group_dev`, `${RM}if (matrix_mdev->kvm) return -EBUSY`,
      ),
      reset: modelledAs(
        'pqap-mdev-remove: guests_lock, mdevs_lock (v5.3..v5.10 matrix_dev->lock), then vfio_ap_mdev_reset_queues with the unlink and list_del as one step (every reader holds mdevs_lock; after the close there is nothing left to reset, asserted)',
        `${RM}mutex_lock(matrix_dev->guests_lock)`, `${RM}mutex_lock(matrix_dev->mdevs_lock)`, `${RM}vfio_ap_mdev_reset_queues; unlink; list_del`,
        `${RM}mutex_lock(matrix_dev->lock)`, `${RM}vfio_ap_mdev_reset_queues; list_del`, `${RM}mutex_unlock(matrix_dev->lock)`,
      ),
      unlink: modelledAs(
        'pqap-mdev-remove: q->matrix_mdev = NULL is in the reset step (the link is not a modelled field: a PQAP reaches the queue through the mdev\'s qtable only); the unlocks, then vfio_put_device (v5.3 kfree) frees the mdev (MdevContext.freed): a later load through the hook is NoMatrixMdevUseAfterFree',
        `${RM}mutex_unlock(matrix_dev->mdevs_lock)`, `${RM}mutex_unlock(matrix_dev->guests_lock)`, `${RM}vfio_put_device`, `${RM}kfree(matrix_mdev)`,
      ),
    }),
  ],
};

const PRB = 'vfio_ap_mdev_probe_queue@';
const IOC = 'vfio_ap_mdev_ioctl@';
const WRK = 'apq_reset_check@';
const UNS = 'vfio_ap_mdev_unset_kvm@';

// The names the fine-grained windows of apconc4 add (issues 11 and 12): the PQAP intercept against
// vfio_ap_mdev_probe_queue (pqap-probe-queue), against VFIO_DEVICE_RESET and the reset work as a thread
// (pqap-reset-work), against the close with its reset split at flush_work (pqap-close-work), and on a
// host without AIV (pqap-no-aiv), with their planted races; composed like pqapCloseAudit. Issue 12 (resetwork): the
// same reset with every answer of the AP as the steps' answers (pqap-reset-work-answers, pqap-close-work-answers).
export const pqapWindowsAudit: KernelAudit = {
  machine: 'system (pqap-probe-queue, pqap-reset-work, pqap-close-work, pqap-no-aiv, pqap-reset-work-answers, pqap-close-work-answers threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.priv, FILE.apOps],
  modelledFields: [F.savedIsc, F.savedIova, F.qtable, F.apIrq],
  entries: [
    entry(K.PQAP_AQIC, {
      ...interceptChecks,
      hook: byOthers,
      hookErr: modelledAs(
        'pqap-no-aiv: the hook (vfio_ap handle_pqap) returns -EOPNOTSUPP from its ECA_AIV test, folded into the step that calls it (the vcpu\'s own sie_block, stable under vcpu->mutex); priv.c then up_read (v5.3..v5.10: module_put) and returns it: no cc, gr1 untouched, the intercept goes to userspace. Planted: the test dropped',
        'handle_pqap@pqap_hook = *pqap_hook', 'handle_pqap@up_read(pqap_hook_rwsem)', 'handle_pqap@pqap_hook->hook(vcpu)', 'handle_pqap@module_put(pqap_hook->owner)',
      ),
      noHook: byOthers,
    }),
    entry(K.handle_pqap, {
      noAiv: modelledAs(
        'pqap-no-aiv: ECA_AIV is set by kvm_s390_vcpu_setup exactly when sie_block->gd (the GISA descriptor) is non-zero and cleared/set with gi->origin by kvm_s390_gisa_disable/enable: the test reads the VM\'s GISA origin; -EOPNOTSUPP before mutex_lock (PqapWithoutAivGoesToUserspace)',
        'handle_pqap@pqap_hook = *pqap_hook', 'handle_pqap@pqap_hook->hook(vcpu)',
      ),
      noHook: byOthers,
      noKvm: byOthers,
      noQueue: modelledAs(
        'pqap-probe-queue: the queue not yet linked into the qtable (QueueContext.linked false until vfio_ap_mdev_probe_queue\'s link step): rc 01, nothing set up (test/machines/vfio-ap-windows.test.ts)',
        `${HOOK}vfio_ap_mdev_get_queue`,
      ),
      enable: byOthers,
      disable: byOthers,
    }),
    entry(K.vfio_ap_mdev_probe_queue, {
      fail: byOthers,
      alone: byOthers,
      link: modelledAs(
        'pqap-probe-queue: saved_isc initialised (one step, q still private), get_update_locks_by_apqn as steps (guests_lock, the matrix_mdev->kvm test, kvm->lock, mdevs_lock), the link with dev_set_drvdata one step under them (QueueContext.linked), release_update_locks_for_mdev testing the pointer again; v5.3..v5.10 vfio_ap_queue_dev_probe one step (findable after driver_bound). Planted: the saved_isc store after the unlocks',
        `${PRB}kzalloc(q); q->saved_isc = VFIO_AP_ISC_INVALID`, `${PRB}mutex_lock(matrix_dev->guests_lock)`, `${PRB}if (matrix_mdev->kvm)`, `${PRB}mutex_lock(kvm->lock)`, `${PRB}mutex_lock(matrix_dev->mdevs_lock)`,
        `${PRB}vfio_ap_mdev_link_queue; dev_set_drvdata`, `${PRB}mutex_unlock(matrix_dev->mdevs_lock)`, `${PRB}release: if (matrix_mdev->kvm)`, `${PRB}mutex_unlock(kvm->lock)`, `${PRB}mutex_unlock(matrix_dev->guests_lock)`,
        'vfio_ap_queue_dev_probe@vfio_ap_queue_dev_probe', `${PRB}kzalloc(q)`, `${PRB}q->saved_isc = VFIO_AP_ISC_INVALID`,
      ),
      hotplug: byOthers,
    }),
    entry(K.vfio_ap_mdev_ioctl, {
      reset: modelledAs(
        'pqap-reset-work: VFIO_DEVICE_RESET under mdevs_lock: the ZAPQ of queue 0 (NORMAL: reset_status stored, the work queued; the reset complete before the work\'s TAPQ, so the AP\'s interruptions are off) and flush_work as steps; returns 0. pqap-reset-work-answers: ZAPQ with every answer, flush_work keeps ret (-EIO for a non-zero stored reset_status), the unlock returns it (MdevContext.resetRc; DeviceResetReportedDoneIsDone, DeviceResetReturnsDocumentedCode). Planted: flush_work after the unlock',
        `${IOC}mutex_lock(matrix_dev->mdevs_lock)`, `${IOC}vfio_ap_mdev_reset_queue`, `${IOC}flush_work(&q->reset_work)`, `${IOC}mutex_unlock(matrix_dev->mdevs_lock)`,
      ),
      info: byOthers,
      other: byOthers,
    }),
    entry(K.vfio_ap_mdev_reset_queue, {
      noQ: byOthers,
      queued: modelledAs('pqap-reset-work, pqap-close-work: ZAPQ NORMAL, reset_status stored, queue_work (QueueContext.work zapped); the reset completes before the work\'s first TAPQ (msleep first). The *-answers configurations: the step\'s answer NORMAL or IN_PROGRESS (RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS) queues the work (zapped / in-progress, reset_status stored in the reset one), the AP keeping its interruptions until the work\'s TAPQ sees the reset done', `${IOC}vfio_ap_mdev_reset_queue`, `${UNS}vfio_ap_mdev_reset_queue`),
      gone: modelledAs('pqap-reset-work-answers, pqap-close-work-answers: the answer DECONFIGURED (for CHECKSTOPPED too): vfio_ap_mdev_reset_queue frees at once, nothing queued; the AP presents nothing', `${IOC}vfio_ap_mdev_reset_queue`, `${UNS}vfio_ap_mdev_reset_queue`),
      invalid: modelledAs('pqap-reset-work-answers, pqap-close-work-answers: the answer INVALID (any other code): the WARN, reset_status stored, nothing queued or freed; the close goes on to kvm_put_kvm (NoAqicResourcesAfterUnsetKvm, ApInterruptsIntoSavedGisc: upstream\'s expected finding, as reset-warn\'s)', `${IOC}vfio_ap_mdev_reset_queue`, `${UNS}vfio_ap_mdev_reset_queue`),
    }),
    entry(K.apq_reset_check, {
      busy: modelledAs(
        'pqap-reset-work-answers, pqap-close-work-answers: the TAPQ step\'s answer BUSY (RESET_IN_PROGRESS, BUSY: -EBUSY) goes back to the TAPQ step, without a budget (the C has none since dd174833e44e); the pr_notice is not state. Planted: -EBUSY taken for done (the free)',
        `${WRK}msleep; ap_tapq`,
      ),
      rezap: modelledAs(
        'pqap-reset-work-answers, pqap-close-work-answers: TAPQ DONE with the stored status in progress (QueueContext.work in-progress), or ASSOC (-EAGAIN): the ZAPQ-again step, with every ZAPQ answer (stored, the work zapped / in-progress; DECONFIGURED: the AP presents nothing), then TAPQ again. The reset_status test is part of the TAPQ step: only the queuer writes it, and it holds mdevs_lock in flush_work',
        `${WRK}msleep; ap_tapq`, `${WRK}ap_zapq; memcpy(&q->reset_status)`,
      ),
      done: modelledAs(
        'pqap-reset-work, pqap-close-work: the work as a thread taking no lock: msleep and TAPQ (NORMAL) one step, waiting until queued; the saved_isc test with vfio_ap_free_aqic_resources (through q->matrix_mdev->kvm: the WARN path once the close cleared it) and the return one step. The *-answers configurations: TAPQ DONE (NORMAL, DECONFIGURED, CHECKSTOPPED) turns the AP\'s interruptions off (the reset completed), then the same free',
        `${WRK}msleep; ap_tapq`, `${WRK}vfio_ap_free_aqic_resources`,
      ),
      eio: modelledAs(
        'pqap-reset-work-answers, pqap-close-work-answers: the TAPQ answer INVALID: the work returns (QueueContext.work idle), reset_status as the ZAPQ left it, nothing freed: VFIO_DEVICE_RESET then returns 0 (DeviceResetReportedDoneIsDone, upstream\'s expected finding, as device-reset-warn\'s), the close puts the KVM reference with the resources held',
        `${WRK}msleep; ap_tapq`,
      ),
    }),
    entry(K.vfio_ap_mdev_reset_queues, {
      zap: modelledAs(
        'pqap-reset-work, pqap-close-work: of queue 0, the ZAPQ and flush_work as steps (flush_work waits until the work thread returned and the work is no longer queued); the close\'s put after it. Planted: kvm_put_kvm before flush_work',
        `${IOC}flush_work(&q->reset_work)`, `${UNS}flush_work(&q->reset_work)`,
      ),
      eio: modelledAs('pqap-reset-work-answers: flush_work\'s step keeps ret = -EIO for a non-zero stored reset_status (QueueContext.resetStatus), VFIO_DEVICE_RESET returns it; the close ignores it', `${IOC}flush_work(&q->reset_work)`, `${IOC}mutex_unlock(matrix_dev->mdevs_lock)`),
    }),
  ],
};
