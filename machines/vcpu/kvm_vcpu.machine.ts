/**
 * struct kvm_vcpu (s390): one vcpu's run loop as the GISA sees it.
 *
 * Models: stopped (CPUSTAT_STOPPED), outside SIE (the host part of the KVM_RUN loop),
 * in SIE (PROG_IN_SIE: millicode delivers a GISA interruption the PSW and CR6 allow at
 * once), idle (CPUSTAT_WAIT, the idle_mask bit) while halted in kvm_vcpu_halt or woken and
 * about to re-check; the kicked_mask bit; the PSW I/O mask and the CR6 ISC mask as context.
 * kvm_s390_handle_wait (the fast path kvm_arch_vcpu_runnable, then the IAM restore of the
 * strategy in force), vcpu_pre_run (delivery by PSW swap: __deliver_io test-and-clears the
 * IPM bit, and the I/O new PSW disables I/O), kvm_s390_vcpu_wakeup, kvm_vcpu_check_block
 * (a woken vcpu that is not runnable sleeps again), vcpu_post_run.
 * GIB series v2..v5 differ in vcpu_pre_run (v2 clears the IAM), vcpu_post_run (v2, v3
 * restore it when the last vcpu leaves SIE), kvm_s390_handle_wait (v4 restores it when the
 * IPM is clean) and kvm_arch_vcpu_runnable (v5 restores it atomically): machines/design.ts.
 *
 * Ignores: floating and local non-GISA interruptions, the clock comparator and CPU timer
 * (an enabled wait here has no timer), halt polling, signals, disabled waits
 * (-EOPNOTSUPP), vsie, PV, the round-robin pointer of __floating_irq_kick.
 *
 * Kernel: arch/s390/kvm/interrupt.c (kvm_s390_handle_wait, __airqs_kick_single_vcpu,
 * kvm_s390_vcpu_wakeup, __set_cpu_idle), arch/s390/kvm/kvm-s390.c (vcpu_pre_run,
 * vcpu_post_run, kvm_arch_vcpu_runnable), virt/kvm/kvm_main.c (kvm_vcpu_check_block).
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */
import { and } from 'xstate';
import type { SystemContext } from '../context.ts';
import type { Design } from '../design.ts';
import { by, kernel, vmOf, type Args, type Ix } from '../lib.ts';
import {
  deliverableIpm,
  deliverOne,
  get_ipm_restore_iam_v5,
  gisa_adapter_interruption,
  gisa_get_ipm_or_restore_iam,
} from '../gisa/kvm_s390_gisa_interrupt.machine.ts';

const vcpuOf = (c: SystemContext, ix: Ix) => vmOf(c, ix.vm!).vcpus[ix.vcpu!]!;
const listed = (c: SystemContext, vm: number) => (c.gib.list & (1 << vm)) !== 0;

/** kvm_arch_vcpu_runnable() -> kvm_s390_vcpu_has_irq(): a GISA interruption the vcpu may take (with the wait PSW: I/O enabled). */
function runnable(c: SystemContext, ix: Ix): boolean {
  const v = vcpuOf(c, ix);
  return deliverableIpm(c, ix.vm!, { ...v, pswIo: true }) !== 0;
}

/** kvm_s390_handle_wait() returns 0 without sleeping, per strategy (evaluated before its side effects). */
function waitReturnsEarly(c: SystemContext, ix: Ix, d: Design): boolean {
  if (runnable(c, ix)) return true;
  if (d.gib === 'gib-v4') return !listed(c, ix.vm!) && vmOf(c, ix.vm!).gisa.ipm !== 0;
  return false;
}

export function vcpuImplementations(d: Design) {
  return {
    guards: {
      // the event is about this vcpu
      vcpu_mine: ({ event }: Args, ix: Ix) => event.vm === ix.vm && event.vcpu === ix.vcpu,
      // the VM is not being torn down: its fd is open
      kvm_vm_alive: ({ context }: Args, ix: Ix) => vmOf(context, ix.vm!).fd,
      // kvm_arch_vcpu_runnable() in kvm_vcpu_check_block()
      kvm_arch_vcpu_runnable: ({ context }: Args, ix: Ix) => runnable(context, ix),
      // kvm_s390_handle_wait() returns 0 (fast path, or v4's dirty-IPM return)
      kvm_s390_handle_wait_returns: ({ context }: Args, ix: Ix) => waitReturnsEarly(context, ix, d),
      // psw_ioint_disabled(): STOSM can enable I/O interruptions
      psw_ioint_disabled: ({ context }: Args, ix: Ix) => !vcpuOf(context, ix).pswIo,
    },
    actions: {
      // kvm-s390.c kvm_s390_vcpu_start
      kvm_s390_vcpu_start: kernel((c, _e, ix) => void (vcpuOf(c, ix).stopped = false)),
      // kvm-s390.c kvm_s390_vcpu_stop
      kvm_s390_vcpu_stop: kernel((c, _e, ix) => void (vcpuOf(c, ix).stopped = true)),
      // kvm-s390.c vcpu_pre_run: deliver pending interruptions, clear kicked_mask, enter SIE
      vcpu_pre_run: kernel((c, _e, ix) => {
        const v = vcpuOf(c, ix);
        if (d.gib === 'gib-v2') vmOf(c, ix.vm!).gisa.iam = 0; // v2 11/12: gisa->iam = 0 before SIE entry
        deliverOne(c, ix.vm!, ix.vcpu!); // PSW swap, or (v2) SIE at entry: same effect
        v.kicked = false;
        v.inSie = true;
      }),
      // kvm-s390.c vcpu_post_run: leave SIE; v2/v3 restore the IAM when the last vcpu left SIE
      vcpu_post_run: kernel((c, _e, ix) => {
        const k = vmOf(c, ix.vm!);
        vcpuOf(c, ix).inSie = false;
        if ((d.gib === 'gib-v2' || d.gib === 'gib-v3') && !listed(c, ix.vm!) && !k.vcpus.some((v) => v.inSie)) k.gisa.iam = k.gisa.mask;
      }),
      // the guest enables I/O interruptions in SIE: millicode delivers what is now deliverable
      STOSM_IO: kernel((c, _e, ix) => {
        vcpuOf(c, ix).pswIo = true;
        deliverOne(c, ix.vm!, ix.vcpu!);
      }),
      // interrupt.c kvm_s390_handle_wait: the guest loaded an enabled wait PSW (intercept)
      kvm_s390_handle_wait: kernel((c, _e, ix) => {
        const v = vcpuOf(c, ix);
        const early = waitReturnsEarly(c, ix, d);
        v.inSie = false;
        v.pswIo = true;
        if (d.gib === 'upstream') v.kicked = false; // kvm_arch_vcpu_runnable clears kicked_mask
        if (d.gib === 'gib-v5') get_ipm_restore_iam_v5(c, ix.vm!); // restore inside kvm_s390_vcpu_has_irq
        if (early) return;
        if (d.gib === 'upstream' && vmOf(c, ix.vm!).gisa.origin) gisa_get_ipm_or_restore_iam(c, ix.vm!);
        if (d.gib === 'gib-v4' && !listed(c, ix.vm!)) vmOf(c, ix.vm!).gisa.iam = vmOf(c, ix.vm!).gisa.mask;
        v.idle = true; // __set_cpu_idle
      }),
      // interrupt.c kvm_s390_vcpu_wakeup: valid_wakeup, wake the halted vcpu
      kvm_s390_vcpu_wakeup: kernel(() => {}),
      // kvm_main.c kvm_vcpu_check_block -> kvm_arch_vcpu_runnable: leave the halt when runnable
      kvm_vcpu_check_block: kernel((c, _e, ix) => {
        const v = vcpuOf(c, ix);
        if (d.gib === 'upstream') v.kicked = false;
        if (d.gib === 'gib-v5') get_ipm_restore_iam_v5(c, ix.vm!);
        if (runnable(c, ix)) v.idle = false; // __unset_cpu_idle
      }),
      // environment of the per-object machine: an adapter interruption made pending in the GISA
      GISA_ADAPTER_INTERRUPTION: kernel((c, e, _ix, fx) => gisa_adapter_interruption(c, e.vm!, e.isc!, fx)),
    },
  };
}

const a = (name: string, ix: Ix) => ({ type: name, params: ix });
const g = (name: string, ix: Ix) => and([a('vcpu_mine', ix), a(name, ix)]);

/** The region of vcpu `vcpu` of VM `vm`. */
export function vcpuRegion(vm: number, vcpu: number) {
  const ix = { vm, vcpu };
  return {
    initial: 'stopped',
    states: {
      stopped: {
        description: 'CPUSTAT_STOPPED',
        on: {
          kvm_s390_vcpu_start: { guard: g('kvm_vm_alive', ix), target: 'outside_sie', actions: a('kvm_s390_vcpu_start', ix), ...by('userspace') },
        },
      },
      outside_sie: {
        id: vcpuStateId(vm, vcpu, 'outside_sie'),
        description: 'in the KVM_RUN loop on the host, not in SIE',
        on: {
          vcpu_pre_run: { guard: a('vcpu_mine', ix), target: 'in_sie', actions: a('vcpu_pre_run', ix), ...by('kernel') },
          kvm_s390_vcpu_stop: { guard: a('vcpu_mine', ix), target: 'stopped', actions: a('kvm_s390_vcpu_stop', ix), ...by('userspace') },
        },
      },
      in_sie: {
        description: 'PROG_IN_SIE: the guest runs; millicode delivers GISA interruptions the PSW and CR6 allow',
        on: {
          STOSM_IO: { guard: g('psw_ioint_disabled', ix), actions: a('STOSM_IO', ix), ...by('guest') },
          vcpu_post_run: { guard: a('vcpu_mine', ix), target: 'outside_sie', actions: a('vcpu_post_run', ix), ...by('kernel') },
          kvm_s390_handle_wait: [
            { guard: g('kvm_s390_handle_wait_returns', ix), target: 'outside_sie', actions: a('kvm_s390_handle_wait', ix), ...by('guest') },
            { guard: a('vcpu_mine', ix), target: 'idle', actions: a('kvm_s390_handle_wait', ix), ...by('guest') },
          ],
        },
      },
      idle: {
        description: 'CPUSTAT_WAIT and the idle_mask bit: in kvm_vcpu_halt',
        initial: 'halted',
        states: {
          halted: {
            description: 'sleeping in kvm_vcpu_block',
            on: {
              kvm_s390_vcpu_wakeup: { guard: a('vcpu_mine', ix), target: 'woken', actions: a('kvm_s390_vcpu_wakeup', ix), ...by('kernel') },
            },
          },
          woken: {
            description: 'woken up, about to re-check kvm_vcpu_check_block',
            on: {
              kvm_vcpu_check_block: [
                { guard: g('kvm_arch_vcpu_runnable', ix), target: '#' + vcpuStateId(vm, vcpu, 'outside_sie'), actions: a('kvm_vcpu_check_block', ix), ...by('kernel') },
                { guard: a('vcpu_mine', ix), target: 'halted', actions: a('kvm_vcpu_check_block', ix), ...by('kernel') },
              ],
            },
          },
        },
      },
    },
  };
}

/** Absolute id of a vcpu state, for targets that leave the idle compound state. */
export function vcpuStateId(vm: number, vcpu: number, state: string): string {
  return `vm${vm}_vcpu${vcpu}_${state}`;
}

