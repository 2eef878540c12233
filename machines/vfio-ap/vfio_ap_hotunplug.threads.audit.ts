// The names the fine-grained hot-unplug configurations of the composed guest add (issue 12, apunplug;
// machines/vfio-ap/vfio_ap_hotunplug.threads.ts: unplug-pqap, unplug-stale), by the branch of the C each
// step executes. Composed into the system audit like pqapCloseAudit: the branches these threads do not run
// keep the marks of the per-object audits (ignored here only so that every branch has a mark).
import type { KernelAudit } from '../../src/audit.ts';
import { entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

const byOthers: Mark = ignored('not run by the hot-unplug threads: see the vfio_ap_queue and ap_matrix_mdev audits');

/** The steps of one store: get_update_locks_for_mdev, the unplug's three steps, release_update_locks_for_mdev. */
const store = (fn: string, perms = false): string[] => [
  ...(perms ? [`${fn}@mutex_lock(ap_perms_mutex)`, `${fn}@mutex_unlock(ap_perms_mutex)`] : []),
  `${fn}@mutex_lock(matrix_dev->guests_lock)`, `${fn}@if (matrix_mdev->kvm)`, `${fn}@mutex_lock(kvm->lock)`, `${fn}@mutex_lock(matrix_dev->mdevs_lock)`,
  `${fn}@vfio_ap_mdev_unlink_apqns; shadow_apcb; vfio_ap_mdev_update_guest_apcb`, `${fn}@vfio_ap_mdev_reset_qlist(&qlist)`, `${fn}@vfio_ap_unlink_mdev_fr_queue`,
  `${fn}@mutex_unlock(matrix_dev->mdevs_lock)`, `${fn}@release: if (matrix_mdev->kvm)`, `${fn}@mutex_unlock(kvm->lock)`, `${fn}@mutex_unlock(matrix_dev->guests_lock)`,
];

const UNPLUG =
  'unplug-pqap, unplug-stale: get_update_locks_for_mdev as steps (ap_config_store: ap_perms_mutex first); the bit cleared with vfio_ap_mdev_unlink_adapter / _domain (hash_del out of the qtable: QueueContext.linked; the queues in the guest\'s APCB collected) and the shadow APCB (QueueContext.inApcb) with vfio_ap_mdev_update_guest_apcb in one step; vfio_ap_mdev_reset_qlist (ZAPQ and the flushed work at once); vfio_ap_unlink_mdev_fr_queue of the collected queues (QueueContext.matrixMdev); the unlocks. UnpluggedQueueHoldsNothing; planted: the reset dropped';
const STALE =
  'unplug-stale: the unlink step takes a queue outside the shadow APCB out of the qtable without collecting it, so q->matrix_mdev stays (QueueContext.matrixMdev with linked false); vfio_ap_mdev_remove does not find it, and the later vfio_ap_mdev_remove_queue loads through the freed mdev: NoMatrixMdevUseAfterFree (24 steps, the finding); the proposed fix clears the pointer in the unlink (upstream-unplug-unlinks-filtered holds)';
const RMQ = 'vfio_ap_mdev_remove_queue@';
const RM = 'vfio_ap_mdev_remove@';

export const hotUnplugAudit: KernelAudit = {
  machine: 'system (unplug-pqap, unplug-stale threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps],
  modelledFields: [F.apm, F.aqm, F.qtable, F.qMdev, F.savedIsc, F.savedIova],
  entries: [
    entry(K.unassign_adapter_store, { parse: byOthers, none: byOthers, unplug: modelledAs(UNPLUG, ...store('unassign_adapter_store')), stale: modelledAs(STALE, 'unassign_adapter_store@vfio_ap_mdev_unlink_apqns; shadow_apcb; vfio_ap_mdev_update_guest_apcb') }),
    entry(K.unassign_domain_store, { parse: byOthers, none: byOthers, unplug: modelledAs(UNPLUG, ...store('unassign_domain_store')), stale: modelledAs(STALE, 'unassign_domain_store@vfio_ap_mdev_unlink_apqns; shadow_apcb; vfio_ap_mdev_update_guest_apcb') }),
    entry(K.ap_config_store, {
      parse: byOthers,
      invalid: byOthers,
      apply: modelledAs(
        `${UNPLUG}. ap_config_store (unplug-pqap; in unplug-stale the adapter store's identical unplug stands for it) writes masks without the adapter: vfio_ap_mdev_hot_unplug_adapters(m_removed.apm) as the adapter store's; the domains' unplug, the links of added bits, the filter and reset_queues_for_apids find nothing of these queues (the adds are the assign stores\')`,
        ...store('ap_config_store', true),
      ),
    }),
    entry(K.vfio_ap_mdev_remove_queue, {
      guest: modelledAs(
        'unplug-stale: get_update_locks_for_queue loads q->matrix_mdev->kvm (a freed mdev reports MDEV_USE_AFTER_FREE); in the guest\'s APCB the APID leaves the shadow APCB, reset_queues_for_apid; hash_del if q->matrix_mdev; kfree(q); release_update_locks_for_mdev loads through the pointer again',
        `${RMQ}mutex_lock(matrix_dev->guests_lock)`, `${RMQ}if (q->matrix_mdev && q->matrix_mdev->kvm)`, `${RMQ}mutex_lock(kvm->lock)`, `${RMQ}mutex_lock(matrix_dev->mdevs_lock)`,
        `${RMQ}reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)`, `${RMQ}mutex_unlock(matrix_dev->mdevs_lock)`, `${RMQ}release: if (matrix_mdev && matrix_mdev->kvm)`,
        `${RMQ}mutex_unlock(kvm->lock)`, `${RMQ}mutex_unlock(matrix_dev->guests_lock)`,
      ),
      siblings: modelledAs('unplug-stale: reset_queues_for_apid resets every queue of the APID in the shadow APCB and the qtable; the other queue stays linked (QueueContext.linked, matrixMdev) with its APID out of the shadow APCB, the premise of the finding', `${RMQ}reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)`),
      host: modelledAs('unplug-stale: a queue outside the shadow APCB is reset alone (the APQN in the host\'s configuration)', `${RMQ}reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)`),
      noReset: byOthers,
      free: modelledAs('unplug-stale: kfree(q) in the same step (QueueContext.freed, the region to removed)', `${RMQ}reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)`),
    }),
    entry(K.vfio_ap_mdev_remove, {
      unregister: byOthers,
      reset: modelledAs('unplug-stale: the closed mdev\'s remove (vfio_unregister_group_dev returns at once; after the stores, whose sysfs attributes device_remove took away first): guests_lock, mdevs_lock, vfio_ap_mdev_reset_queues of the qtable', `${RM}mutex_lock(matrix_dev->guests_lock)`, `${RM}mutex_lock(matrix_dev->mdevs_lock)`, `${RM}vfio_ap_mdev_reset_queues; vfio_ap_mdev_unlink_fr_queues; list_del`),
      unlink: modelledAs('unplug-stale: vfio_ap_mdev_unlink_fr_queues clears q->matrix_mdev of the qtable\'s queues of apm x aqm only (in the reset step); the unlocks; vfio_put_device frees the mdev (MdevContext.freed)', `${RM}vfio_ap_mdev_reset_queues; vfio_ap_mdev_unlink_fr_queues; list_del`, `${RM}mutex_unlock(matrix_dev->mdevs_lock)`, `${RM}mutex_unlock(matrix_dev->guests_lock)`, `${RM}vfio_put_device`),
    }),
    entry(K.get_update_locks, modelledAs('unplug-pqap, unplug-stale: get_update_locks_for_mdev as steps in the stores (guests_lock, the matrix_mdev->kvm test, kvm->lock, mdevs_lock); _for_queue through q->matrix_mdev in the queue remove', 'unassign_adapter_store@if (matrix_mdev->kvm)', `${RMQ}if (q->matrix_mdev && q->matrix_mdev->kvm)`)),
  ],
};
