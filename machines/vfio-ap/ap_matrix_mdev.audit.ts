// Kernel audit of ap_matrix_mdev (the mdev and the struct kvm it attaches to): every pinned
// function that reads or writes matrix_mdev->kvm, vfio_ap's KVM reference or the PQAP hook,
// each branch marked (issue 12). The mdev region is shared with vfio_ap_queue, so its part is
// exported on its own. Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, composeAudits, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { NO_AIV } from '../gisa/kvm_s390_gib.audit.ts';
import { kvmAudit } from '../system/kvm.audit.ts';

export const MDEVS =
  'several mdevs: each has its own matrix, qtable and KVM pointer; an APQN of another mdev is refused with -EADDRINUSE; a second mdev opened for a VM that has one fails in vfio_ap_mdev_set_kvm with -EPERM after pointing the VM\'s pqap_hook at itself (the first mdev\'s hook is lost, and once the second mdev is removed the hook points at freed memory that the guest\'s next PQAP(AQIC) calls through); to model: an mdev index on the mdev region and the queue events, mdev create and remove events, the open of a second mdev for the same VM';
/** issue 12 (apnotify): where the AP bus notifiers are modelled instead of the per-object machines. */
export const NOTIFIERS_FINE =
  'coarse: the AP bus notifiers are no event of the per-object machines; the composed guest\'s fine-grained ap-notifier configuration runs vfio_ap_on_cfg_changed and vfio_ap_on_scan_complete step by step against the open (machines/vfio-ap/vfio_ap_notifier.threads.ts; its audit marks these branches): the NULL matrix_mdev->kvm->lock (NotifierLocksNoNullKvm) and the stale apm_filtered reset (NotifierResetsOnlyFilteredQueues)';
export const FORCED_SIE_EXIT =
  'the guest\'s AP masks are not modelled; the forced SIE exit of kvm_s390_vcpu_block_all is a vcpu_post_run, which the vcpu machine allows at any time (being kept out of SIE until the unblock is not modelled)';
export const LOCK_ORDER =
  'lock order is not modelled, each step is atomic: pqap_hook_rwsem (outside the others), ap_perms_mutex, guests_lock, kvm->lock, mdevs_lock (concurrency issue)';

/** Issue 12 (apmdev): a second mdev opened for a VM that has one, in the composed guest's fine-grained pqap-mdev-eperm. */
export const EPERM_FINE =
  'coarse: one mdev, so the mdev_list scan always passes; the composed guest\'s fine-grained pqap-mdev-eperm (machines/vfio-ap/vfio_ap_mdev.threads.ts) opens a second mdev for the VM mdev 0 is attached to: the hook store overwrites mdev 0\'s hook before the scan refuses, the -EPERM path leaves it, and after the refused mdev is removed the guest\'s PQAP loads *pqap_hook from freed memory (finding: MdevTypeOK, RefusedOpenLeavesNoHook, NoMatrixMdevUseAfterFree; machines/vfio-ap/README.md)';
/** Issue 12 (apmdev): the mdev's removal, at the kernel's granularity in pqap-mdev-remove and pqap-mdev-eperm. */
export const REMOVE_FINE =
  'coarse: the mdev is never removed (every configuration starts after vfio_ap_mdev_probe and ends with the mdev alive); the composed guest\'s fine-grained pqap-mdev-remove runs vfio_ap_mdev_remove after the close (vfio_unregister_group_dev waits for it): guests_lock, mdevs_lock, vfio_ap_mdev_reset_queues with vfio_ap_mdev_unlink_fr_queues (q->matrix_mdev = NULL) and list_del as one step, vfio_put_device freeing the mdev (FreedMdevHoldsNothing, NoMatrixMdevUseAfterFree); pqap-mdev-eperm removes a second mdev that was never opened. With a close whose reset WARNed (reset-warn\'s answers) the remove\'s reset would find resources again; that pairing is not run (the free\'s WARN path, vfio_ap_queue audit)';
/** Issue 12 (apmdev): vfio_ap_mdev_probe's vfio_ap_mdev_init_dev is the initial state. */
export const PROBE_INIT =
  'the initial state: every configuration starts after vfio_ap_mdev_probe (vfio_ap_mdev_init_dev: matrix empty (no APID or APQI assigned: QueueContext.apid/apqi false), pqap_hook = handle_pqap, qtable empty, matrix_mdev->kvm NULL (MdevContext.kvm -1, no VM\'s hook on it); list_add to mdev_list); pqap-mdev-eperm starts with a second mdev probed the same way (SecondMdevContext). No step of a running guest races the probe: the new mdev is unknown to every VM until it is opened';

/** What the mdev region (machines/vfio-ap/ap_matrix_mdev.machine.ts) mirrors: used by both vfio-ap machines. */
export const mdevRegionAudit: KernelAudit = {
  machine: 'ap_matrix_mdev region',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps, FILE.kvmS390, FILE.kvmMain],
  modelledFields: [F.mdevKvm, F.users, F.hook],
  nonKernel: {
    kvm_vm_open: 'environment: QEMU opens the mdev for a VM whose fd is open (vfio_ap_mdev_open_device needs vdev->kvm)',
    vfio_ap_mdev_group_notifier: 'the VFIO_GROUP_NOTIFY_SET_KVM notifier of v5.3..v5.18 (removed in v5.19, 421cfe6596f6); only the aqic-v4 and v5.3 designs have it: kvm_destroy_devices sent it NULL and it cleared matrix_mdev->kvm',
    group_notifier_null: 'design switch (aqic-v4, v5.3): kvm_destroy_devices reaches the group notifier with NULL while the mdev points at the VM',
    guest_status: 'configuration switch (guestStatus): the VM\'s AP interpretation switch and PQAP(AQIC) answered as the guest sees it',
  },
  entries: [
    entry(K.vfio_ap_mdev_open_device, {
      noKvm: ignored('-EINVAL: opened without a KVM, writes nothing (kvm_vm_open: QEMU opens it for a VM)'),
      set: modelled('vfio_ap_mdev_open_device', 'kvm_vm_open'),
    }),
    entry(K.vfio_ap_mdev_set_kvm, {
      noCrycb: ignored('dead branch: kvm_s390_crypto_init always sets crycbd'),
      hook: modelledAs('the hook, kvm_get_kvm and the pointer are one step; in the kernel a PQAP between the hook and the pointer is answered 01 (handle_pqap noKvm)', 'vfio_ap_mdev_open_device'),
      eperm: abstracted(EPERM_FINE),
      attach: modelled('vfio_ap_mdev_open_device'),
    }),
    entry(K.vfio_ap_mdev_close_device, modelled('vfio_ap_mdev_close_device')),
    entry(K.vfio_ap_mdev_unset_kvm, {
      none: modelledAs('close without a KVM: nothing happens', 'vfio_ap_mdev_close_device'),
      hook: modelled('vfio_ap_mdev_close_device'),
      clear: abstracted(FORCED_SIE_EXIT),
      reset: modelledAs('vfio_ap_mdev_reset_queues: the queue machine\'s resets; with the AP\'s answers (vfio_ap_queue apAnswers configurations) a queued reset work stops the close in flush_work: the region\'s state unsetting (matrix_mdev_unsetting), left by the flush_work event once no work is queued (reset_work_idle)', 'vfio_ap_mdev_close_device', 'matrix_mdev_unsetting', 'flush_work', 'reset_work_idle'),
      put: modelledAs('in the close step, or after flush_work (vfio_ap_mdev_unset_kvm_put)', 'vfio_ap_mdev_close_device', 'flush_work', 'vfio_ap_mdev_unset_kvm_put'),
    }),
    entry(K.vfio_ap_mdev_ioctl, {
      reset: modelledAs('deviceReset configurations (vfio_ap_queue device-reset, device-reset-warn): the VFIO_DEVICE_RESET event on the open mdev, one at a time and not during the close (device_reset_idle: the ioctl holds the device file); vfio_ap_mdev_reset_queues by the zapq payload; with a reset work queued it waits in flush_work holding mdevs_lock (mdev.resetting: device_reset_waiting; handle_pqap and the remove wait), the flush_work event returns (vfio_ap_mdev_ioctl_flushed); the return to userspace is mdev.resetRc', 'VFIO_DEVICE_RESET', 'vfio_ap_mdev_ioctl', 'device_reset_idle', 'device_reset_waiting', 'flush_work', 'vfio_ap_mdev_ioctl_flushed'),
      info: ignored('information and eventfds: no modelled field'),
      other: ignored('-EOPNOTSUPP: writes nothing'),
    }),
    entry(K.kvm_destroy_devices, {
      destroy: modelledAs('v6.17 destroys the FLIC here; the aqic-v4 and v5.3 designs also send VFIO_GROUP_NOTIFY_SET_KVM(NULL) (group_notifier_null)', 'kvm_destroy_devices', 'group_notifier_null', 'vfio_ap_mdev_group_notifier'),
    }),
    entry(K.get_update_locks, abstracted(LOCK_ORDER)),
    // the mdev region carries the VM's AP interpretation switch (guestStatus configurations): the queues' PQAP reads it
    entry(K.kvm_s390_vm_set_crypto, {
      noAp: ignored('-EOPNOTSUPP: writes nothing'),
      apie: modelledAs(
        'guestStatus configurations: the events KVM_S390_VM_CRYPTO_ENABLE_APIE / DISABLE_APIE while the guest runs, crypto.apie and every vcpu\'s ECA_APIE as KvmContext.apie, one step under kvm->lock (kvm_s390_vcpu_crypto_reset_all\'s kvm_s390_vcpu_block_all keeps every vcpu out of SIE while eca changes). A vcpu in the PQAP intercept handler is out of SIE and reads ECA_APIE without kvm->lock, so it may pass the test and then see DISABLE_APIE return to userspace before its hook runs; set_crypto writes nothing the handler reads after the test (crypto.apie and eca only), so that PQAP ends as if it had run before the ioctl, which the atomic order already explores (no step style needed)',
        'KVM_S390_VM_CRYPTO_ENABLE_APIE', 'KVM_S390_VM_CRYPTO_DISABLE_APIE', 'kvm_s390_vm_set_crypto', 'guest_status',
      ),
      kw: ignored('key wrapping: writes nothing modelled'),
    }),
  ],
};

/** Functions that read the mdev's fields but act on the queues (vfio_ap_queue models those effects). */
const mdevOnly: KernelAudit = {
  machine: 'ap_matrix_mdev',
  pinned: PINNED_AUDIT,
  files: [FILE.apOps, FILE.apDrv],
  modelledFields: [F.mdevKvm, F.hook],
  entries: [
    entry(K.handle_pqap, {
      noAiv: abstracted('this machine has no queue and no PQAP event; the branch writes no field of it (the hook, matrix_mdev->kvm, the KVM reference): -EOPNOTSUPP before mdevs_lock. Modelled where PQAP is: vfio_ap_queue (eca_aiv; guestStatus: handle_pqap_lookup answers USERSPACE), the composed guest\'s pv configurations and the fine-grained pqap-no-aiv'),
      noHook: ignored('cannot happen: priv.c calls the hook under pqap_hook_rwsem, which vfio_ap_mdev_unset_kvm takes for writing to clear it'),
      noKvm: abstracted('coarse: vfio_ap_mdev_set_kvm stores the hook, the reference and the pointer in one step, so no PQAP sees the hook without matrix_mdev->kvm here; the composed guest\'s fine-grained pqap-open configuration has the window (rc 01, nothing set up: NoAqicResourcesWithoutKvmReference); the -EPERM cause (a second mdev) is MDEVS (set_kvm eperm, missing)'),
      noQueue: abstracted('this machine has no queue and no PQAP event; the branch writes only the guest\'s GR1 (rc 01), no field of this machine. Modelled in vfio_ap_queue\'s guestStatus configurations (handle_pqap_lookup, PqapStatusAsDocumented)'),
      enable: ignored('queue fields (vfio_ap_queue)'),
      disable: ignored('queue fields (vfio_ap_queue)'),
    }),
    entry(K.vfio_ap_mdev_probe, {
      fail: ignored('no mdev: writes nothing'),
      ok: abstracted(PROBE_INIT),
    }),
    entry(K.vfio_ap_mdev_remove, {
      unregister: modelled('vfio_ap_mdev_close_device'),
      reset: abstracted(REMOVE_FINE),
      unlink: abstracted(REMOVE_FINE),
    }),
    entry(K.vfio_ap_mdev_request, {
      clear: abstracted(FORCED_SIE_EXIT),
      signal: ignored('eventfd only'),
    }),
    entry(K.vfio_ap_on_cfg_changed, {
      none: ignored('writes nothing'),
      remove: ignored('the shadow APCB only'),
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
    entry(K.vfio_ap_init, {
      noAp: ignored('vfio_ap does not load: no mdev'),
      fail: ignored('vfio_ap does not load: no mdev'),
      ok: abstracted('module load: the machine starts after it with one mdev'),
    }),
    entry(K.vfio_ap_exit, {
      unregister: abstracted('module unload: every mdev is removed (vfio_ap_mdev_remove) and every queue (vfio_ap_mdev_remove_queue), which are audited'),
    }),
  ],
};

/** The mdev machine has the struct kvm region too: the kvm audit, the mdev region's and the mdev's own, merged. */
export const mdevAudit: KernelAudit = composeAudits([kvmAudit, mdevRegionAudit, mdevOnly], {
  machine: 'ap_matrix_mdev',
  pinned: PINNED_AUDIT,
  // the struct kvm machine's environment driver is vfio_ap here
  envOnly: new Set(['kvm_get_kvm', 'kvm_put_kvm', 'bounds_kvm_get_kvm', 'driver_holds_reference']),
  remap: { kvm_get_kvm: ['vfio_ap_mdev_open_device'], kvm_put_kvm: ['vfio_ap_mdev_close_device'] },
});
