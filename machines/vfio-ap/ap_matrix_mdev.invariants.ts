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

export const mdevInvariants = [MdevTypeOK, MdevKvmPointerHoldsReference];
