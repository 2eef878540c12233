// Kernel audit of kvm (struct kvm): every pinned function that changes users_count, the VM
// fd, or a step of kvm_destroy_vm the machine models, each branch marked (issue 12).
// Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

/** Issue 12 (apmdev): the VFIO core's reference folded into vfio_ap's. */
export const VFIO_CORE_REF_FOLDED =
  'folded into vfio_ap\'s reference, in every configuration: v6.2+ (2b48f52f2bff) the VFIO core takes it before vfio_ap_mdev_open_device (vfio_df_group_open: vfio_device_group_get_kvm_safe while open_count is 0) and drops it after vfio_ap_mdev_close_device (vfio_df_group_close: vfio_device_put_kvm once open_count is 0), and a failed open drops it at once (out_put_kvm). No modelled step runs between the core\'s get and vfio_ap\'s kvm_get_kvm in set_kvm, and between vfio_ap\'s kvm_put_kvm and the core\'s put only the rest of unset_kvm (matrix_mdev->kvm = NULL, the unlocks), which the coarse close does in the step of the put (the fine-grained closes keep the VM fd open: the put is never the last there). So users_count reaches 0 at the same point of the modelled order, after the queues\' reset, and no AQIC-destroy result changes (AqicResourcesFreedBeforeGisaDestroy, AlertMaskZeroAtDestroy, NoGiscCallOnFreedKvm: kvm_s390_gisa_destroy still follows vfio_ap_mdev_reset_queues). What the fold hides is where kvm_destroy_vm runs when QEMU closed the VM fd first: since v6.2 after close_device returned, before v6.2 inside vfio_ap_mdev_unset_kvm with kvm->lock held (which the core\'s reference of 2b48f52f2bff ended); the designs aqic-v4 and v5.3 predate the core\'s reference, and aqic-v4\'s finding (no vfio_ap reference) is of a design without it. The zero branch (the VM already being destroyed) makes the open fail before vfio_ap runs';

export const kvmAudit: KernelAudit = {
  machine: 'kvm',
  pinned: PINNED_AUDIT,
  files: [FILE.kvmMain, FILE.kvmS390, FILE.interrupt],
  modelledFields: [F.users, F.vmFd, F.kvmStruct, F.origin, F.sie2],
  nonKernel: {
    kvm_mine: 'event routing: the event is about this VM',
    kvm_vm_release_allowed: 'environment: QEMU closes its VM (and vcpu) fds only once every vcpu is stopped',
    bounds_kvm_get_kvm: 'bound: the environment driver takes at most maxRefs references',
    driver_holds_reference: 'environment: a driver puts only a reference it took',
  },
  entries: [
    entry(K.kvm_create_vm, {
      ok: abstracted('the initial state alive: users_count 1 for the VM fd'),
      archFail: ignored('writes nothing'),
      lateFail: abstracted('creation failed: no VM exists for the machine'),
    }),
    entry(K.kvm_arch_init_vm, {
      fail: abstracted('creation failed: no VM exists for the machine'),
      crypto: ignored('crypto control block and the hook rwsem'),
      gisa: abstracted('the initial state: the GISA alive'),
      noGisa: abstracted('configuration parameter useGisa = false (or aiv = false): the GISA region starts in disabled, origin NULL'),
    }),
    entry(K.kvm_get_kvm, modelled('kvm_get_kvm', 'bounds_kvm_get_kvm')),
    entry(K.kvm_get_kvm_safe, {
      ok: abstracted(VFIO_CORE_REF_FOLDED),
      zero: ignored('writes nothing'),
    }),
    entry(K.kvm_put_kvm, {
      dec: modelled('kvm_put_kvm', 'driver_holds_reference', 'kvm_vm_release'),
      last: modelled('kvm_put_kvm', 'kvm_vm_release', 'kvm_destroy_vm'),
    }),
    entry(K.kvm_put_kvm_no_destroy, abstracted('error paths that drop a reference taken a moment before in the same ioctl: users_count ends where it started')),
    entry(K.kvm_vm_release, { put: modelled('kvm_vm_release', 'kvm_vm_release_allowed') }),
    entry(K.kvm_vcpu_release, abstracted('vcpu fds: QEMU closes them with the VM fd once the vcpus are stopped, so the VM fd stands for all of QEMU\'s references')),
    entry(K.kvm_vm_ioctl_create_vcpu, {
      badId: ignored('writes nothing'),
      nomem: ignored('writes nothing'),
      exists: ignored('writes nothing'),
      ok: abstracted('the vcpu fd\'s reference is folded into the VM fd\'s; the vcpus exist from the start'),
      fdFail: abstracted('the reference just taken is dropped again'),
    }),
    entry(K.kvm_destroy_vm, {
      pre: modelled('kvm_destroy_vm'),
      arch: modelled('kvm_s390_gisa_destroy', 'free_page_sie_page2', 'gisa_destroy_may_proceed'),
      devices: modelled('kvm_destroy_devices'),
      free: modelled('kvm_free_vm'),
    }),
    entry(K.kvm_arch_destroy_vm, {
      vcpus: abstracted('the vcpus are stopped and their fds closed before (kvm_vm_release_allowed); destroying them is the entry into kvm_arch_destroy_vm'),
      sca: ignored('writes nothing modelled'),
      gisa: modelled('kvm_s390_gisa_destroy', 'gisa_destroy_may_proceed'),
      pv: ignored('PV teardown: writes nothing modelled'),
      free: modelled('free_page_sie_page2'),
      rest: ignored('float lists and adapters; kvm_s390_gisa_clear finds origin NULL'),
    }),
    entry(K.kvm_destroy_devices, {
      destroy: modelledAs('the last step: devices destroyed, then struct kvm freed (kvm_arch_free_vm)', 'kvm_destroy_devices', 'kvm_free_vm', 'kvm_arch_free_vm'),
    }),
    entry(K.kvm_s390_gisa_destroy, {
      none: ignored('writes nothing'),
      warn: ignored('reads alert.mask only'),
      zero: ignored('a GISA field (kvm_s390_gisa_interrupt)'),
      iam: ignored('a GISA field (kvm_s390_gisa_interrupt)'),
      busy: ignored('the alert list and the kickers (kvm_s390_gib, kvm_s390_gisa_interrupt)'),
      cancel: modelledAs('gi->origin = NULL is the step kvm_arch_destroy_vm -> gisa_destroyed', 'kvm_s390_gisa_destroy', 'gisa_destroy_may_proceed'),
    }),
  ],
};
