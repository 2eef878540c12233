// Safety predicates of the matrix mdev's tie to a KVM.
import { FAULT, ISC_INVALID } from '../context.ts';
import { inv, region } from '../invariant-lib.ts';
import { reported } from '../kthread.ts';

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

// The fine-grained pqap-mdev-remove configuration (machines/vfio-ap/vfio_ap_ops.threads.ts): the
// PQAP intercept against QEMU's close and the mdev's removal (vfio_ap_mdev_remove).

export const NoMatrixMdevUseAfterFree = inv(
  'NoMatrixMdevUseAfterFree',
  'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_unregister_group_dev waits for the last close, whose vfio_ap_mdev_unset_kvm clears kvm->arch.crypto.pqap_hook under pqap_hook_rwsem (priv.c handle_pqap holds it for reading across the call); only then vfio_put_device frees the ap_matrix_mdev the hook points into: priv.c never loads through the hook into a freed mdev',
  ({ context }) => !reported(context, FAULT.MDEV_USE_AFTER_FREE),
  { context: [['threads', 'found']] }, { stable: true },
);

export const FreedMdevHoldsNothing = inv(
  'FreedMdevHoldsNothing',
  'vfio_ap_ops.c vfio_ap_mdev_remove after vfio_ap_mdev_unset_kvm (the close): the hook cleared, the queues reset (vfio_ap_mdev_reset_queues), kvm_put_kvm and matrix_mdev->kvm = NULL before vfio_put_device frees the mdev: a freed mdev leaves no hook to it, no KVM reference, and no saved ISC, pinned NIB or AP interruptions on its queues',
  ({ context }) =>
    context.mdev.freed !== true ||
    (context.mdev.hook < 0 && context.mdev.kvm < 0 && !context.mdev.kvmRef && context.queues.every((q) => q.isc === ISC_INVALID && !q.nib && q.pins === 0 && !q.irq)),
  { context: [['mdev'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', '*', 'pins'], ['queues', '*', 'irq'], ['queues', 'length']] },
);

// The fine-grained pqap-mdev-eperm configuration (machines/vfio-ap/vfio_ap_mdev.threads.ts): a second
// mdev opened for a VM that has one (vfio_ap_mdev_set_kvm's -EPERM).

export const RefusedOpenLeavesNoHook = inv(
  'RefusedOpenLeavesNoHook',
  'vfio_ap_ops.c vfio_ap_mdev_set_kvm: "Return: 0 if no other mediated matrix device has a reference to @kvm; otherwise, returns an -EPERM"; drivers/vfio/vfio_main.c vfio_df_device_first_open calls no close_device after a failed open_device: a refused open must leave nothing behind, in particular no kvm->arch.crypto.pqap_hook pointing at the refused mdev (the attached mdev\'s hook would be lost, and the refused mdev can be removed and freed under it)',
  ({ context }) => !context.mdev1 || !context.mdev1.refused || context.mdev1.hook < 0,
  { context: [['mdev1', 'refused'], ['mdev1', 'hook']] },
);
