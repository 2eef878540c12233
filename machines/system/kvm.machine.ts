/**
 * struct kvm: a VM's reference count and the order of its teardown.
 *
 * Models: users_count (the VM fd, standing for QEMU's VM and vcpu fds, plus references
 * drivers take with kvm_get_kvm), kvm_vm_release (VM fd close) -> kvm_put_kvm, and
 * kvm_destroy_vm when the count reaches 0, in the kernel's order: kvm_arch_destroy_vm
 * (kvm_destroy_vcpus, then kvm_s390_gisa_destroy, then free_page of sie_page2, which holds
 * the GISA), then kvm_destroy_devices, then the free of struct kvm. Each step is its own
 * event, so hardware and other threads interleave with the teardown.
 *
 * Ignores: the VFIO core's own KVM reference (v6.2+, 2b48f52f2bff; dropped at last close of
 * the device, after vfio_ap's), vcpu fds as separate references (QEMU closes them with the
 * VM fd once the vcpus are stopped), sca_dispose, gmap, PV teardown, debug features.
 *
 * Kernel: virt/kvm/kvm_main.c (kvm_vm_release, kvm_put_kvm, kvm_destroy_vm),
 * arch/s390/kvm/kvm-s390.c (kvm_arch_destroy_vm).
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */
import { and } from 'xstate';
import type { SystemContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import { by, kernel, vmOf, type Args, type Effects, type Ix } from '../lib.ts';

/** The kernel functions of struct kvm's lifetime (virt/kvm/kvm_main.c), entries of the machine's kernel table. */
export const kvmKernel = {
  /** kvm_get_kvm() */
  kvm_get_kvm(this: Kernel, c: SystemContext, vm: number): void {
    vmOf(c, vm).users += 1;
  },

  /** kvm_put_kvm(): the last reference calls kvm_destroy_vm. */
  kvm_put_kvm(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    const k = vmOf(c, vm);
    k.users -= 1;
    if (k.users === 0) this.kvm_destroy_vm(c, vm, fx);
  },

  /** kvm_destroy_vm(): its steps (kvm_arch_destroy_vm, kvm_destroy_devices, the free) are the kvm region's events from here on. */
  kvm_destroy_vm(this: Kernel, _c: SystemContext, vm: number, fx: Effects): void {
    fx.raise({ type: 'kvm_destroy_vm', vm });
  },

  /** kvm_vm_release(): QEMU closes the VM fd, which drops its reference. */
  kvm_vm_release(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    vmOf(c, vm).fd = false;
    this.kvm_put_kvm(c, vm, fx);
  },

  /** kvm_arch_free_vm(), the end of kvm_destroy_vm: struct kvm is freed. */
  kvm_arch_free_vm(this: Kernel, c: SystemContext, vm: number): void {
    vmOf(c, vm).freed = true;
  },
};

export function kvmImplementations(k: Kernel) {
  return {
    guards: {
      // the event is about this VM
      kvm_mine: ({ event }: Args, ix: Ix) => event.vm === ix.vm,
      // QEMU closes its fds once every vcpu left KVM_RUN: is_vcpu_stopped() for all
      kvm_vm_release_allowed: ({ context }: Args, ix: Ix) => {
        const vm = vmOf(context, ix.vm!);
        return vm.fd && vm.vcpus.every((v) => v.stopped);
      },
      // bounds of the per-object machine: an environment driver takes at most maxRefs references
      bounds_kvm_get_kvm: ({ context }: Args, ix: Ix) => vmOf(context, ix.vm!).users < 1 + (context.params.maxRefs ?? Infinity),
      // an environment driver puts only a reference it took
      driver_holds_reference: ({ context }: Args, ix: Ix) => vmOf(context, ix.vm!).users > (vmOf(context, ix.vm!).fd ? 1 : 0),
    },
    actions: {
      // kvm_main.c kvm_vm_release -> kvm_put_kvm
      kvm_vm_release: kernel((c, _e, ix, fx) => k.kvm_vm_release(c, ix.vm!, fx)),
      // a driver's kvm_get_kvm (environment of the per-object machine)
      kvm_get_kvm: kernel((c, _e, ix) => k.kvm_get_kvm(c, ix.vm!)),
      // a driver's kvm_put_kvm (environment of the per-object machine)
      kvm_put_kvm: kernel((c, _e, ix, fx) => k.kvm_put_kvm(c, ix.vm!, fx)),
      // kvm_main.c kvm_destroy_vm, last step: kvm_arch_free_vm
      kvm_free_vm: kernel((c, _e, ix) => k.kvm_arch_free_vm(c, ix.vm!)),
    },
  };
}

const a = (name: string, ix: Ix) => ({ type: name, params: ix });
const g = (name: string, ix: Ix) => and([a('kvm_mine', ix), a(name, ix)]);

/** The lifecycle region of VM `vm`; `env` adds driver get/put events for the per-object machine. */
export function kvmRegion(vm: number, env: boolean) {
  const ix = { vm };
  const refs = env
    ? {
        kvm_get_kvm: { guard: g('bounds_kvm_get_kvm', ix), actions: a('kvm_get_kvm', ix), ...by('kernel') },
        kvm_put_kvm: { guard: g('driver_holds_reference', ix), actions: a('kvm_put_kvm', ix), ...by('kernel') },
      }
    : {};
  return {
    initial: 'alive',
    states: {
      alive: {
        description: 'users_count > 0',
        on: {
          ...refs,
          kvm_vm_release: { guard: g('kvm_vm_release_allowed', ix), actions: a('kvm_vm_release', ix), ...by('userspace') },
          kvm_destroy_vm: { guard: a('kvm_mine', ix), target: 'kvm_destroy_vm', ...by('kernel') },
        },
      },
      kvm_destroy_vm: {
        description: 'users_count dropped to 0: kvm_destroy_vm runs',
        initial: 'kvm_arch_destroy_vm',
        states: {
          kvm_arch_destroy_vm: {
            id: kvmStateId(vm, 'kvm_arch_destroy_vm'),
            description: 'vcpus destroyed; next: kvm_s390_gisa_destroy',
            on: { kvm_s390_gisa_destroy: { guard: g('gisa_destroy_may_proceed', ix), target: 'gisa_destroyed', ...by('kernel') } },
          },
          gisa_destroyed: {
            id: kvmStateId(vm, 'gisa_destroyed'),
            description: 'gi->origin is NULL; next: free_page(sie_page2)',
            on: { free_page_sie_page2: { guard: a('kvm_mine', ix), target: 'sie_page2_freed', ...by('kernel') } },
          },
          sie_page2_freed: {
            id: kvmStateId(vm, 'sie_page2_freed'),
            description: 'the GISA page is gone; next: kvm_destroy_devices',
            on: { kvm_destroy_devices: { guard: a('kvm_mine', ix), target: '#' + kvmFreedId(vm), actions: a('kvm_free_vm', ix), ...by('kernel') } },
          },
        },
      },
      freed: { id: kvmFreedId(vm), description: 'struct kvm freed' },
    },
  };
}

export const kvmFreedId = (vm: number) => `vm${vm}_kvm_freed`;
/** Absolute id of a step of kvm_destroy_vm, for regions that act only at that step (stateIn). */
export const kvmStateId = (vm: number, step: string) => `vm${vm}_kvm_${step}`;
