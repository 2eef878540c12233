// The names the fine-grained pqap-assign configuration of the composed guest adds (issue 12, apassign:
// vfio_ap_hotplug.threads.ts, the assign stores as steps into a running guest), by the branch of the C each step
// executes; composed into the system audit like vfio_ap_ops.threads.audit.ts' parts (a branch the threads do not run
// keeps the per-object audits' mark).
import type { KernelAudit } from '../../src/audit.ts';
import { entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { STORE_AT } from './vfio_ap_hotplug.stepghost.ts';
import { LOCK_AT, UNLOCK_AT } from './vfio_ap_hotplug.threads.ts';

const byOthers: Mark = ignored('not run by the pqap-assign threads: see the vfio_ap_queue and ap_matrix_mdev audits');

const LOCKS = [LOCK_AT, 'mutex_lock(kvm->lock)', 'mutex_lock(matrix_dev->mdevs_lock)'];
const UNLOCKS = [UNLOCK_AT, 'mutex_unlock(kvm->lock)', 'mutex_unlock(matrix_dev->guests_lock)'];

function store(what: 'adapter' | 'domain') {
  const fn = `assign_${what}_store@`;
  const body = `${fn}${STORE_AT}`;
  return entry(K[`assign_${what}_store`], {
    parse: byOthers,
    range: byOthers,
    again: byOthers,
    invalid: modelledAs(
      `pqap-assign: the store's step under get_update_locks_for_mdev answers vfio_ap_mdev_validate_masks' -EADDRNOTAVAIL (an APQN reserved for the zcrypt default drivers: ap_perms' apmask/aqmask abstracted as the answer) or -EADDRINUSE (an APQN of another mdev: the second mdev abstracted as the answer): the bit set and cleared again, the matrix, the qtable and the guest's APCB as they were (MatrixQueueLinked, ApThreadStepPostcondition; planted-assign-validate-keeps-bit)`,
      body,
    ),
    link: modelledAs(
      `pqap-assign: ${what === 'adapter' ? "vfio_ap_mdev_link_adapter links queue 0 (bound to vfio_ap, its APQI assigned) into the qtable: handle_pqap's lookup finds it from the step on" : "vfio_ap_mdev_link_domain links the second APQI's APQN on queue 0's APID when it is bound (abstracted: its queue holds nothing the guest enabled)"}; get_update_locks_for_mdev (guests_lock with the matrix_mdev->kvm test under it, which the pointer's writers hold; kvm->lock; mdevs_lock) and release_update_locks_for_mdev (mdevs_lock's unlock with the pointer tested again, still under guests_lock; kvm->lock; guests_lock) as steps`,
      ...LOCKS.map((s) => fn + s), body, ...UNLOCKS.map((s) => fn + s),
    ),
    hotplug: modelledAs(
      "pqap-assign: vfio_ap_mdev_filter_matrix in the store's step (QueueContext.inApcb: matrix_mdev->shadow_apcb; an APID whose APQNs in the matrix are not all bound and passable is filtered: the second APQI's APQN unbound, QueueContext.siblingUnbound), vfio_ap_mdev_update_guest_apcb (kvm_arch_crypto_set_masks copies the shadow into the CRYCB in the same step, matrix_mdev->kvm set; the cfg eventfd is QEMU's), reset_queues_for_apids of an APID filtered out of the APCB it was in (ZAPQ and flush_work completing at once: the AQIC resources freed); ApcbQueueBound, ApThreadStepPostcondition (planted-assign-filter-keeps-unbound, planted-assign-filter-without-reset). Without a KVM (the mdev closed) the shadow is kept and nothing is set: the coarse machine's closed-mdev assignment",
      body,
    ),
  });
}

export const pqapAssignAudit: KernelAudit = {
  machine: 'system (pqap-assign threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps],
  modelledFields: [F.apm, F.aqm, F.qMdev, F.qtable, F.apIrq, F.savedIsc, F.savedIova],
  entries: [
    store('adapter'),
    store('domain'),
    entry(K.vfio_ap_mdev_validate_masks, {
      defDrv: modelledAs('pqap-assign: the stores\' answer -EADDRNOTAVAIL (ap_apqn_in_matrix_owned_by_def_drv: the host\'s apmask/aqmask reservations abstracted as the answer)', `assign_adapter_store@${STORE_AT}`, `assign_domain_store@${STORE_AT}`),
      shared: modelledAs('pqap-assign: the stores\' answer -EADDRINUSE (vfio_ap_mdev_verify_no_sharing finds the APQN in another mdev\'s matrix: the second mdev abstracted as the answer; nothing of it is modelled)', `assign_adapter_store@${STORE_AT}`, `assign_domain_store@${STORE_AT}`),
      ok: modelledAs('pqap-assign: the stores\' answer 0 (the domain store\'s with the new APQN on queue 0\'s APID bound or not)', `assign_adapter_store@${STORE_AT}`, `assign_domain_store@${STORE_AT}`),
    }),
    entry(K.vfio_ap_mdev_probe_queue, {
      fail: byOthers,
      alone: byOthers,
      link: byOthers,
      hotplug: modelledAs(
        'pqap-probe-queue (issue 12, apassign): the link step runs vfio_ap_mdev_filter_matrix where the guest\'s APCB is state (apm_add/aqm_add empty: the configuration has no AP bus scan, the notifiers\' configurations have): the new queue makes its APID passable, so the APID joins the APCB (ApcbQueueBound, the step\'s postcondition) and no APID is filtered out; a probe that filters out another APID (one of its queues not passable) needs a second queue on an APID of the APCB, which no configuration combines with a probe (abstracted)',
        'vfio_ap_mdev_probe_queue@vfio_ap_mdev_link_queue; dev_set_drvdata',
      ),
    }),
    entry(K.get_update_locks, modelledAs('pqap-assign: the stores take guests_lock and test matrix_mdev->kvm under it (one step: set_kvm/unset_kvm hold guests_lock to write the pointer), take kvm->lock and mdevs_lock as steps; release_update_locks_for_mdev tests the pointer again with the unlock of mdevs_lock', `assign_adapter_store@${LOCK_AT}`, `assign_adapter_store@${UNLOCK_AT}`, `assign_domain_store@${LOCK_AT}`, `assign_domain_store@${UNLOCK_AT}`)),
  ],
};
