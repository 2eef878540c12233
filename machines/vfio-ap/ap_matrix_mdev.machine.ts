/**
 * struct ap_matrix_mdev: the vfio_ap mediated device and its tie to a KVM.
 *
 * Models: matrix_mdev->kvm (NULL or a VM), whether vfio_ap holds a reference on that VM,
 * the PQAP hook in kvm->arch.crypto; vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm
 * (install the hook, kvm_get_kvm, store the pointer) and vfio_ap_mdev_close_device ->
 * vfio_ap_mdev_unset_kvm (clear the hook, vfio_ap_mdev_reset_queues, kvm_put_kvm, clear the
 * pointer), in the kernel's order; with the AP's answers (vfio_ap_queue apAnswers configurations)
 * the close stops in vfio_ap_mdev_reset_queues' flush_work while a queue's reset work is queued
 * (state unsetting) and the flush_work event runs the rest; with params.deviceReset QEMU's VFIO_DEVICE_RESET
 * (vfio_ap_mdev_ioctl) resets the queues of the open mdev, may wait in flush_work alike, and its return code is state.
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
import type { Kernel } from '../kernel.ts';
import { by, kernel, settle, vmOf, type Args, type Effects, type Ix } from '../lib.ts';
import { zapqAnswer, type ZapqAnswer } from './vfio_ap_queue.machine.ts';
import { apLedgered, hostResetSeen, resetReported } from './vfio_ap_queue.invariants.ts';

/** EIO (include/uapi/asm-generic/errno-base.h): vfio_ap_mdev_reset_queues returns -EIO. */
const EIO = 5;

/** The kernel functions of the matrix mdev's tie to a KVM (drivers/s390/crypto/vfio_ap_ops.c), entries of the machine's kernel table. */
export const mdevKernel = {
  /** vfio_ap_mdev_set_kvm(): hook, kvm_get_kvm (not in v4), matrix_mdev->kvm = kvm. */
  vfio_ap_mdev_set_kvm(this: Kernel, c: SystemContext, vm: number): void {
    c.mdev.hook = vm;
    if (this.design.aqic !== 'aqic-v4') {
      this.kvm_get_kvm(c, vm);
      c.mdev.kvmRef = true;
    }
    c.mdev.kvm = vm;
  },

  /** vfio_ap_mdev_reset_queues(): every queue of the matrix (APID and APQI assigned); `zapq`: what ZAPQ answers (apAnswers). */
  vfio_ap_mdev_reset_queues(this: Kernel, c: SystemContext, zapq?: ZapqAnswer): void {
    for (let q = 0; q < c.queues.length; q++) if (c.queues[q]!.apid && c.queues[q]!.apqi && !c.queues[q]!.freed) this.vfio_ap_mdev_reset_queue(c, q, zapq);
  },

  /**
   * vfio_ap_mdev_reset_queues()' second loop once every flush_work(&q->reset_work) returned: -EIO if a queue of the
   * matrix has a non-zero q->reset_status.response_code, else 0 (deviceReset configurations store it; elsewhere 0).
   */
  vfio_ap_mdev_reset_queues_flushed(this: Kernel, c: SystemContext): number {
    let ret = 0;
    for (const q of c.queues) if (q.apid && q.apqi && !q.freed && q.resetStatus !== undefined && q.resetStatus !== 'NORMAL') ret = -EIO;
    return ret;
  },

  /**
   * vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) under mdevs_lock: vfio_ap_mdev_reset_queues (`zapq`: what ZAPQ answers). With a
   * reset work queued it waits in flush_work (mdev.resetting; the flush_work event returns); else its return, which
   * vfio_device_fops_unl_ioctl hands to userspace as the ioctl's.
   */
  vfio_ap_mdev_ioctl(this: Kernel, c: SystemContext, zapq?: ZapqAnswer): number | undefined {
    this.vfio_ap_mdev_reset_queues(c, zapq);
    if (c.queues.some((q) => q.work !== undefined && q.work !== 'idle')) {
      c.mdev.resetting = true;
      c.mdev.resetRc = null;
      return undefined;
    }
    return this.vfio_ap_mdev_ioctl_flushed(c);
  },

  /** The rest of vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) once flush_work returned: the second loop's return, mutex_unlock(mdevs_lock). */
  vfio_ap_mdev_ioctl_flushed(this: Kernel, c: SystemContext): number {
    const rc = this.vfio_ap_mdev_reset_queues_flushed(c);
    c.mdev.resetting = false;
    c.mdev.resetRc = rc;
    return rc;
  },

  /** The rest of vfio_ap_mdev_unset_kvm() once vfio_ap_mdev_reset_queues' flush_work returned: kvm_put_kvm(kvm); matrix_mdev->kvm = NULL. */
  vfio_ap_mdev_unset_kvm_put(this: Kernel, c: SystemContext, fx: Effects): void {
    const vm = c.mdev.kvm;
    if (c.mdev.kvmRef && vm >= 0) {
      c.mdev.kvmRef = false;
      this.kvm_put_kvm(c, vm, fx);
    }
    c.mdev.kvm = -1;
    if (c.mdev.unsetting !== undefined) c.mdev.unsetting = false;
  },

  /** vfio_ap_mdev_unset_kvm() (v5.3: vfio_ap_mdev_release; v4: release without a reference); `zapq`: what ZAPQ answers (apAnswers). */
  vfio_ap_mdev_unset_kvm(this: Kernel, c: SystemContext, fx: Effects, zapq?: ZapqAnswer): void {
    const vm = c.mdev.kvm;
    if (this.design.aqic === 'aqic-v4') {
      this.vfio_ap_mdev_reset_queues(c);
      // matrix_mdev->kvm->arch.crypto.pqap_hook = NULL: through a NULL or freed kvm the hook stays
      if (vm < 0 || vmOf(c, vm).freed) {
        if (c.mdev.hook >= 0) vmOf(c, c.mdev.hook).faults |= FAULT.GISC_CALL_AFTER_FREE;
      } else c.mdev.hook = -1;
      c.mdev.kvm = -1;
      return;
    }
    if (vm < 0) return;
    c.mdev.hook = -1; // under pqap_hook_rwsem
    this.vfio_ap_mdev_reset_queues(c, zapq);
    // flush_work(&q->reset_work): a queued apq_reset_check runs first (the flush_work event goes on)
    if (c.queues.some((q) => q.work !== undefined && q.work !== 'idle')) {
      c.mdev.unsetting = true;
      return;
    }
    this.vfio_ap_mdev_unset_kvm_put(c, fx);
  },

  /** vfio_ap_mdev_group_notifier() of v4/v5.3 on VFIO_GROUP_NOTIFY_SET_KVM(NULL): matrix_mdev->kvm = NULL, nothing else. */
  vfio_ap_mdev_group_notifier(this: Kernel, c: SystemContext): void {
    c.mdev.kvm = -1;
  },
};

export function mdevImplementations(k: Kernel) {
  return {
    guards: {
      // QEMU opens the device for a running VM (the KVM is set on the vfio device)
      kvm_vm_open: ({ context, event }: Args) => vmOf(context, event.vm!).fd,
      // kvm_destroy_devices -> kvm-vfio device destroy -> VFIO_GROUP_NOTIFY_SET_KVM(NULL) reaches vfio_ap
      group_notifier_null: ({ context, event }: Args, ix: Ix) => k.design.aqic !== 'upstream' && event.vm === ix.vm && context.mdev.kvm === event.vm,
      // kvm->arch.crypto.pqap_hook == NULL: the close cleared it (fine-grained configurations follow it)
      pqap_hook_cleared: ({ context }: Args) => context.mdev.hook < 0,
      // kvm->arch.crypto.pqap_hook set: the open stored it (fine-grained configurations follow it)
      pqap_hook_set: ({ context }: Args) => context.mdev.hook >= 0,
      // apAnswers: vfio_ap_mdev_unset_kvm stopped in flush_work (a queue's reset_work is queued)
      matrix_mdev_unsetting: ({ context }: Args) => !!context.mdev.unsetting,
      // flush_work returns: no queue's reset_work is queued any more
      reset_work_idle: ({ context }: Args) => context.queues.every((q) => q.work === undefined || q.work === 'idle'),
      // deviceReset: vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) waits in flush_work (a queue's reset_work is queued)
      device_reset_waiting: ({ context }: Args) => !!context.mdev.resetting,
      // no VFIO_DEVICE_RESET in flight on the device fd (the VFIO core does not close a device while an ioctl holds its file)
      device_reset_idle: ({ context }: Args) => !context.mdev.resetting,
    },
    actions: {
      // vfio_ap_ops.c vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm
      vfio_ap_mdev_open_device: kernel((c, e) => k.vfio_ap_mdev_set_kvm(c, e.vm!)),
      // vfio_ap_ops.c vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm
      // (apLedgered: the ghost ResetStepPostcondition, vfio_ap_queue.invariants.ts)
      // (hostResetSeen: guestReset's view of the queues the close reset, harness)
      vfio_ap_mdev_close_device: apLedgered('close', k, (c, e, _ix, fx) => {
        k.vfio_ap_mdev_unset_kvm(c, fx, zapqAnswer(e.zapq));
        hostResetSeen(c);
      }),
      // vfio_ap_ops.c vfio_ap_mdev_reset_queues' flush_work returned: the rest of vfio_ap_mdev_unset_kvm
      flush_work: apLedgered('flush', k, (c, _e, _ix, fx) => k.vfio_ap_mdev_unset_kvm_put(c, fx)),
      // vfio_ap_ops.c vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET): the reset, and its return if no reset work is queued
      // (apLedgered: ResetStepPostcondition; resetReported: a 0 returned with a queue not reset is RESET_REPORTED_UNDONE)
      vfio_ap_mdev_ioctl: apLedgered('ioctl', k, (c, e) => resetReported(c, k.vfio_ap_mdev_ioctl(c, zapqAnswer(e.zapq)))),
      // vfio_ap_ops.c vfio_ap_mdev_reset_queues' flush_work returned in VFIO_DEVICE_RESET: its return to userspace
      vfio_ap_mdev_ioctl_flushed: apLedgered('ioctl-flush', k, (c) => resetReported(c, k.vfio_ap_mdev_ioctl_flushed(c))),
      // vfio_ap_mdev_group_notifier(NULL) of v4/v5.3: matrix_mdev->kvm = NULL, nothing else
      vfio_ap_mdev_group_notifier: kernel((c) => k.vfio_ap_mdev_group_notifier(c)),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });

/**
 * The matrix mdev region in a fine-grained configuration (machines/kthread.ts): it starts where
 * the configuration starts (`initial`: the mdev already open for VM 0), the coarse events the
 * threads replace (`omit`) have no transition, every other one declares its footprint, and it
 * follows the hook a thread's step clears or sets (`settle.matrix_mdev`, raised by `pqap_hook = NULL`
 * and, in pqap-open, by `pqap_hook = &matrix_mdev->pqap_hook`).
 */
export interface MdevFine {
  initial?: 'closed' | 'open';
  omit: ReadonlySet<string>;
}

/** The matrix mdev region; `kvmStep(vm)` names the state of VM vm's kvm_destroy_vm that destroys devices (composed machine). */
export function mdevRegion(vms: number, kvmStep?: (vm: number) => string, fine?: MdevFine) {
  const notifier = Array.from({ length: vms }, (_, vm) => ({
    guard: kvmStep ? and([a('group_notifier_null', { vm }), stateIn('#' + kvmStep(vm))]) : a('group_notifier_null', { vm }),
    actions: a('vfio_ap_mdev_group_notifier'),
    ...by('kernel'),
  }));
  const region = {
    initial: 'closed',
    // guestStatus: userspace switches AP interpretation for the VM (KVM_SET_DEVICE_ATTR, group KVM_S390_VM_CRYPTO)
    on: {
      KVM_S390_VM_CRYPTO_ENABLE_APIE: { guard: a('guest_status'), actions: a('kvm_s390_vm_set_crypto'), ...by('userspace') },
      KVM_S390_VM_CRYPTO_DISABLE_APIE: { guard: a('guest_status'), actions: a('kvm_s390_vm_set_crypto'), ...by('userspace') },
    } as Record<string, unknown>,
    states: {
      closed: {
        description: 'no open device: no hook, no KVM',
        on: {
          vfio_ap_mdev_open_device: { guard: a('kvm_vm_open'), target: 'open', actions: a('vfio_ap_mdev_open_device'), ...by('userspace') },
          // apAnswers: the close stopped in flush_work (a queue's reset_work is queued)
          [mdevSettle.type]: { guard: 'matrix_mdev_unsetting', target: 'unsetting' },
        } as Record<string, unknown>,
      },
      open: {
        description: 'opened by QEMU for a VM: PQAP hook installed',
        on: {
          vfio_ap_mdev_close_device: { guard: 'device_reset_idle', target: 'closed', actions: [a('vfio_ap_mdev_close_device'), settle('matrix_mdev')], ...by('userspace') },
          // deviceReset: QEMU's VFIO_DEVICE_RESET (a guest reset); it may wait in flush_work, holding mdevs_lock
          VFIO_DEVICE_RESET: { guard: 'device_reset_idle', actions: a('vfio_ap_mdev_ioctl'), ...by('userspace') },
          flush_work: { guard: and(['device_reset_waiting', 'reset_work_idle']), actions: a('vfio_ap_mdev_ioctl_flushed'), ...by('kernel') },
          kvm_destroy_devices: notifier,
        } as Record<string, unknown>,
      },
      unsetting: {
        description: 'vfio_ap_mdev_unset_kvm waits in flush_work(&q->reset_work), hook cleared, holding guests_lock, kvm->lock and mdevs_lock',
        on: {
          flush_work: { guard: a('reset_work_idle'), target: 'closed', actions: a('flush_work'), ...by('kernel') },
        } as Record<string, unknown>,
      },
    },
  };
  if (!fine) return region;
  if (fine.initial) region.initial = fine.initial;
  for (const st of Object.values(region.states)) {
    const on = st.on as Record<string, unknown>;
    // the coarse events of a fine-grained configuration are its bounds' types: those left here are never sent, or replaced
    for (const type of Object.keys(on)) if (fine.omit.has(type)) delete on[type];
  }
  // pqap_hook = NULL (vfio_ap_mdev_unset_kvm's step): the region follows the hook
  (region.states.open.on as Record<string, unknown>)[mdevSettle.type] = { guard: 'pqap_hook_cleared', target: 'closed', meta: { footprint: { reads: [['mdev', 'hook']], writes: [] } } };
  // pqap_hook = &matrix_mdev->pqap_hook (vfio_ap_mdev_set_kvm's step, pqap-open): the region follows the hook
  (region.states.closed.on as Record<string, unknown>)[mdevSettle.type] = { guard: 'pqap_hook_set', target: 'open', meta: { footprint: { reads: [['mdev', 'hook']], writes: [] } } };
  return region;
}

/** The settle event of the matrix mdev region (a thread's step cleared the hook). */
export const mdevSettle = { type: 'settle.matrix_mdev' } as const;

