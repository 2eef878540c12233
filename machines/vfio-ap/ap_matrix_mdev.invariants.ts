// Safety predicates of the matrix mdev's tie to a KVM.
import { inv, region } from '../invariant-lib.ts';

export const MdevTypeOK = inv(
  'MdevTypeOK',
  'vfio_ap_ops.c vfio_ap_mdev_set_kvm/unset_kvm: the PQAP hook is installed exactly while the device is open (a hook left in a freed kvm is gone with it)',
  ({ value, context }) => {
    const st = region(value, 'matrix_mdev');
    const hook = context.mdev.hook;
    const live = hook >= 0 && !context.vms[hook]!.freed;
    return st === undefined || (st === 'open' ? hook >= 0 : !live);
  },
  { context: [['mdev', 'hook'], ['vms', '*', 'freed']], value: [['matrix_mdev']] },
);

export const MdevKvmPointerHoldsReference = inv(
  'MdevKvmPointerHoldsReference',
  'vfio_ap_ops.c vfio_ap_mdev_set_kvm: kvm_get_kvm before matrix_mdev->kvm is stored; kvm_put_kvm only in vfio_ap_mdev_unset_kvm after the queues are reset',
  ({ context }) => context.mdev.kvm < 0 || context.mdev.kvmRef,
  { context: [['mdev', 'kvm'], ['mdev', 'kvmRef']] },
);

/**
 * users_count counts its holders (issue 14: a reference vfio_ap never puts, or puts twice, or
 * drops with the pointer still set). In the machines that compose the mdev there are two: the
 * VM fd QEMU holds (kvm_vm_release puts it) and vfio_ap's reference while it holds one for
 * that VM (kvm_get_kvm in vfio_ap_mdev_set_kvm, kvm_put_kvm in vfio_ap_mdev_unset_kvm). The
 * kvm machine's own configuration adds environment get/put events and is not one of them.
 */
export const KvmUsersCountIsItsHolders = inv(
  'KvmUsersCountIsItsHolders',
  'kvm_main.c kvm_get_kvm/kvm_put_kvm: users_count is a refcount, the VM fd\'s reference (dropped by kvm_vm_release) plus each kvm_get_kvm not yet put; vfio_ap_ops.c vfio_ap_mdev_set_kvm takes one (kvm_get_kvm, then matrix_mdev->kvm = kvm) and vfio_ap_mdev_unset_kvm drops it (kvm_put_kvm, then matrix_mdev->kvm = NULL): a reference held without the pointer could never be put',
  // v5.13..v5.14 (0cc00c8d4050): set_kvm takes the reference and sets kvm_busy, drops matrix_dev->lock for the masks and stores the
  // pointer later (unset_kvm likewise in reverse): while kvm_busy the reference may be held without the pointer (pqap-open-v5.13)
  ({ context }) =>
    (!context.mdev.kvmRef || context.mdev.kvm >= 0 || !!context.mdev.kvmBusy) &&
    context.vms.every((k, vm) =>
      context.mdev.kvmBusy && context.mdev.kvm < 0
        ? k.users === (k.fd ? 1 : 0) + (context.mdev.kvmRef ? 1 : 0) || k.users === (k.fd ? 1 : 0)
        : k.users === (k.fd ? 1 : 0) + (context.mdev.kvmRef && context.mdev.kvm === vm ? 1 : 0),
    ),
  { context: [['mdev', 'kvm'], ['mdev', 'kvmRef'], ['mdev', 'kvmBusy'], ['vms', '*', 'users'], ['vms', '*', 'fd'], ['vms', 'length']] },
);

export const mdevInvariants = [MdevTypeOK, MdevKvmPointerHoldsReference, KvmUsersCountIsItsHolders];
