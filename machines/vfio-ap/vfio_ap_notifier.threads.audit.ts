// The names the fine-grained ap-notifier configuration of the composed guest adds
// (machines/vfio-ap/vfio_ap_notifier.threads.ts: the AP bus scan's vfio_ap_on_cfg_changed and
// vfio_ap_on_scan_complete against QEMU opening the mdev), by the branch of the C each step
// executes (issue 12, apnotify). Composed into the system audit after the per-object audits, which
// mark these branches abstracted (coarse: no notifier event there).
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

const S = 'ap_scan_bus@';
const CR = 'vfio_ap_mdev_cfg_remove@';
const HP = 'vfio_ap_mdev_hot_plug_cfg@';
const SC = 'vfio_ap_on_scan_complete@';

export const apNotifierAudit: KernelAudit = {
  machine: 'system (ap-notifier threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps],
  modelledFields: [F.mdevKvm, F.mdevAdd, F.shadowApcb],
  entries: [
    entry(K.vfio_ap_on_cfg_changed, {
      none: ignored('writes nothing (the AP bus passes both infos)'),
      remove: modelledAs(
        'ap-notifier, QCI answer remove: an adapter no mdev has assigned left the host\'s configuration: guests_lock, the mdev\'s kvm->lock (through matrix_mdev->kvm), mdevs_lock; the bitmap_and with the mdev\'s matrix is empty, so vfio_ap_mdev_hot_unplug_cfg changes nothing (folded into the unlock). The removal of an assigned adapter (the shadow APCB loses it; the AP bus then removes its queue devices) is not a QCI answer here',
        `${S}ap_get_configuration`, 'vfio_ap_on_cfg_changed@mutex_lock(matrix_dev->guests_lock)', `${CR}mutex_lock(matrix_mdev->kvm->lock)`, `${CR}mutex_lock(matrix_dev->mdevs_lock)`,
        `${CR}mutex_unlock(matrix_dev->mdevs_lock)`, `${CR}mutex_unlock(kvm->lock)`, 'vfio_ap_on_cfg_changed@mutex_unlock(matrix_dev->guests_lock)',
      ),
      removeNoKvm: modelledAs(
        'ap-notifier: the mdev not yet opened (matrix_mdev->kvm NULL): the lock step through matrix_mdev->kvm waits for a non-NULL pointer for good (the kworker oopses and keeps guests_lock), NotifierLocksNoNullKvm (upstream, 2 steps). Proposed fix (upstream-notifier-fixed): take kvm->lock only if matrix_mdev->kvm, as get_update_locks_for_mdev does',
        `${CR}mutex_lock(matrix_mdev->kvm->lock)`, `${CR}if (matrix_mdev->kvm)`, `${CR}release: if (matrix_mdev->kvm)`,
      ),
      cdoms: abstracted('control domains are not modelled (the shadow APCB\'s adm is not state): the removed-control-domain mask computed with bitmap_andnot (a removed control domain the mdev has stays in the guest\'s shadow adm) is a kernel oddity noted in machines/vfio-ap/README.md (AP bus notifiers)'),
      add: modelledAs(
        'ap-notifier, QCI answers add-apqn (a domain of the mdev\'s matrix) and add-cdom (a control domain of the mdev only): vfio_ap_mdev_cfg_add stores them in the mdev\'s add bitmaps (MdevContext.added) under guests_lock, vfio_ap_filter_apid_by_qtype keeping a CEX4 or newer; matrix_dev->info is not state',
        `${S}ap_get_configuration`, 'vfio_ap_mdev_on_cfg_add@vfio_ap_mdev_cfg_add',
      ),
    }),
    entry(K.vfio_ap_on_scan_complete, {
      skip: ignored('writes nothing'),
      plug: modelledAs(
        'ap-notifier: guests_lock, kvm->lock through matrix_mdev->kvm, mdevs_lock; the filter (vfio_ap_mdev_filter_matrix over queue 0: bound, in the host\'s configuration, passable, so in the shadow APCB, QueueContext.inApcb; or vfio_ap_mdev_filter_cdoms) with vfio_ap_mdev_update_guest_apcb one step; reset_queues_for_apids one step (vfio_ap_mdev_filter_matrix\'s apm_filtered is empty here); the add bitmaps cleared under guests_lock',
        `${SC}mutex_lock(matrix_dev->guests_lock)`, `${HP}mutex_lock(matrix_mdev->kvm->lock)`, `${HP}mutex_lock(matrix_dev->mdevs_lock)`, `${HP}filter`,
        `${HP}reset_queues_for_apids(matrix_mdev, apm_filtered)`, `${HP}mutex_unlock(matrix_dev->mdevs_lock)`, `${HP}mutex_unlock(kvm->lock)`, `${SC}bitmap_clear(matrix_mdev->*_add)`, `${SC}mutex_unlock(matrix_dev->guests_lock)`,
      ),
      noKvm: modelledAs(
        'ap-notifier: additions pending for an mdev not yet opened: the hot plug\'s lock step through matrix_mdev->kvm waits for good (NotifierLocksNoNullKvm, upstream, 5 steps); fixed: kvm->lock only if matrix_mdev->kvm, the shadow APCB still filtered',
        `${HP}mutex_lock(matrix_mdev->kvm->lock)`, `${HP}if (matrix_mdev->kvm)`, `${HP}release: if (matrix_mdev->kvm)`,
      ),
      garbage: modelledAs(
        'ap-notifier, QCI answer add-cdom: vfio_ap_mdev_filter_matrix not called, so the reset step\'s answer is what the stack bitmap holds: zeroed (CONFIG_INIT_STACK_ALL_ZERO) resets nothing, stale (INIT_STACK_NONE, or INIT_STACK_ALL_PATTERN, whose 0xAA.. has APID 0 set) resets queue 0 while the guest keeps it in its APCB (NotifierResetsOnlyFilteredQueues, upstream, 19 steps after the open); fixed: apm_filtered zeroed',
        `${HP}reset_queues_for_apids(matrix_mdev, apm_filtered)`,
      ),
    }),
  ],
};
