/**
 * struct ap_matrix_mdev: the vfio_ap mediated device and its tie to a KVM.
 *
 * Models: matrix_mdev->kvm (NULL or a VM), whether vfio_ap holds a reference on that VM,
 * the PQAP hook in kvm->arch.crypto; vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm
 * (install the hook, kvm_get_kvm, store the pointer) and vfio_ap_mdev_close_device ->
 * vfio_ap_mdev_unset_kvm (clear the hook, vfio_ap_mdev_reset_queues, kvm_put_kvm, clear the
 * pointer), in the kernel's order.
 * The AQIC series as first posted (v4) had no KVM reference: the group notifier stored the
 * pointer on VFIO_GROUP_NOTIFY_SET_KVM, cleared it (and nothing else) on the NULL
 * notification that kvm_destroy_devices sent, and release reset the queues and wrote the
 * hook through whatever matrix_mdev->kvm was; the merged v5.3 code took the reference in
 * the notifier and dropped it in release after resetting the queues.
 *
 * Ignores: the masks (kvm_arch_crypto_set_masks / clear_masks), the -EPERM of a second
 * mdev on the same KVM (one mdev), lock ordering (guests_lock, kvm->lock, mdevs_lock, the
 * pqap_hook_rwsem: each step is atomic), the IOMMU notifier, the VFIO core's own reference.
 *
 * Kernel: drivers/s390/crypto/vfio_ap_ops.c. Pinned: v6.17-rc4 (Kingxukai/linux
 * 9b44fff655e2); v5.3 is ec89b55e3bce; v4 is the series of 2019-02-22.
 */

import { and, stateIn } from 'xstate';
import { FAULT, type SystemContext } from '../context.ts';
import type { Design } from '../design.ts';
import { by, kernel, vmOf, type Args, type Effects, type Ix } from '../lib.ts';
import { kvm_get_kvm, kvm_put_kvm } from '../system/kvm.machine.ts';
import { vfio_ap_mdev_reset_queue } from './vfio_ap_queue.machine.ts';

/** vfio_ap_mdev_set_kvm(): hook, kvm_get_kvm (not in v4), matrix_mdev->kvm = kvm. */
export function vfio_ap_mdev_set_kvm(c: SystemContext, vm: number, d: Design): void {
  c.mdev.hook = vm;
  if (d.aqic !== 'aqic-v4') {
    kvm_get_kvm(c, vm);
    c.mdev.kvmRef = true;
  }
  c.mdev.kvm = vm;
}

/** vfio_ap_mdev_reset_queues(): every queue of the matrix (APID and APQI assigned). */
function vfio_ap_mdev_reset_queues(c: SystemContext, d: Design): void {
  c.queues.forEach((q, qi) => {
    if (q.apid && q.apqi) vfio_ap_mdev_reset_queue(c, qi, d);
  });
}

/** vfio_ap_mdev_unset_kvm() (v5.3: vfio_ap_mdev_release; v4: release without a reference). */
export function vfio_ap_mdev_unset_kvm(c: SystemContext, d: Design, fx: Effects): void {
  const vm = c.mdev.kvm;
  if (d.aqic === 'aqic-v4') {
    vfio_ap_mdev_reset_queues(c, d);
    if (vm < 0 || vmOf(c, vm).freed) c.queues.forEach((q) => q.apid && q.apqi && (q.faults |= FAULT.GISC_CALL_AFTER_FREE)); // kvm->arch.crypto.pqap_hook = NULL
    c.mdev.hook = -1;
    c.mdev.kvm = -1;
    return;
  }
  if (vm < 0) return;
  c.mdev.hook = -1; // under pqap_hook_rwsem
  vfio_ap_mdev_reset_queues(c, d);
  if (c.mdev.kvmRef) {
    c.mdev.kvmRef = false;
    kvm_put_kvm(c, vm, fx);
  }
  c.mdev.kvm = -1;
}

export function mdevImplementations(d: Design) {
  return {
    guards: {
      // QEMU opens the device for a running VM (the KVM is set on the vfio device)
      kvm_vm_open: ({ context, event }: Args) => vmOf(context, event.vm!).fd,
      // kvm_destroy_devices -> kvm-vfio device destroy -> VFIO_GROUP_NOTIFY_SET_KVM(NULL) reaches vfio_ap
      group_notifier_null: ({ context, event }: Args, ix: Ix) => d.aqic !== 'upstream' && event.vm === ix.vm && context.mdev.kvm === event.vm,
    },
    actions: {
      // vfio_ap_ops.c vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm
      vfio_ap_mdev_open_device: kernel((c, e) => vfio_ap_mdev_set_kvm(c, e.vm!, d)),
      // vfio_ap_ops.c vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm
      vfio_ap_mdev_close_device: kernel((c, _e, _ix, fx) => vfio_ap_mdev_unset_kvm(c, d, fx)),
      // vfio_ap_mdev_group_notifier(NULL) of v4/v5.3: matrix_mdev->kvm = NULL, nothing else
      vfio_ap_mdev_group_notifier: kernel((c) => void (c.mdev.kvm = -1)),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });

/** The matrix mdev region; `kvmStep(vm)` names the state of VM vm's kvm_destroy_vm that destroys devices (composed machine). */
export function mdevRegion(vms: number, kvmStep?: (vm: number) => string) {
  const notifier = Array.from({ length: vms }, (_, vm) => ({
    guard: kvmStep ? and([a('group_notifier_null', { vm }), stateIn('#' + kvmStep(vm))]) : a('group_notifier_null', { vm }),
    actions: a('vfio_ap_mdev_group_notifier'),
    ...by('kernel'),
  }));
  return {
    initial: 'closed',
    states: {
      closed: {
        description: 'no open device: no hook, no KVM',
        on: {
          vfio_ap_mdev_open_device: { guard: a('kvm_vm_open'), target: 'open', actions: a('vfio_ap_mdev_open_device'), ...by('userspace') },
        },
      },
      open: {
        description: 'opened by QEMU for a VM: PQAP hook installed',
        on: {
          vfio_ap_mdev_close_device: { target: 'closed', actions: a('vfio_ap_mdev_close_device'), ...by('userspace') },
          kvm_destroy_devices: notifier,
        },
      },
    },
  };
}

