// Kernel audit of kvm (struct kvm): every pinned function that changes users_count, the VM
// fd, or a step of kvm_destroy_vm the machine models, each branch marked (issue 12).
// Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

export const VFIO_CORE_REF =
  'the VFIO core\'s own KVM reference (vfio_device_get_kvm_safe at the first open of the device, vfio_device_put_kvm after the last close_device, v6.2+, 2b48f52f2bff): the machine leaves it out, so vfio_ap\'s kvm_put_kvm can be the last one and kvm_destroy_vm runs inside vfio_ap_mdev_unset_kvm, whose release_update_locks_for_kvm would then unlock the freed kvm->lock; to model: a VFIO-core reference taken before vfio_ap_mdev_open_device and dropped after vfio_ap_mdev_close_device';

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
      ok: missing(VFIO_CORE_REF),
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
