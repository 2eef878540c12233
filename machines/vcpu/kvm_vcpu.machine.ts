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
 * (a woken vcpu that is not runnable sleeps again), vcpu_post_run. With Params.guestMasks (issue 12):
 * the guest disabling I/O in its PSW (STNSM_IO) and loading CR6 (LCTL_CR6: SIE, or priv.c
 * kvm_s390_handle_lctl and the re-entry's delivery), userspace's KVM_S390_INITIAL_RESET of a stopped vcpu.
 * GIB series v2..v5 differ in vcpu_pre_run (v2 clears the IAM), vcpu_post_run (v2, v3
 * restore it when the last vcpu leaves SIE), kvm_s390_handle_wait (v4 restores it when the
 * IPM is clean) and kvm_arch_vcpu_runnable (v5 restores it atomically): machines/design.ts.
 * Whether kvm_s390_handle_wait halts and whether kvm_vcpu_check_block leaves the halt is what
 * the functions did to the idle_mask bit (__set_cpu_idle / __unset_cpu_idle): the region
 * follows it (`settle.vm<i>.vcpu<j>`), no guard predicts it.
 *
 * With Params.classicIo (issue 12, the composed guest's tpi-window*): classic I/O interruptions queued on
 * fi->lists[isc], which __deliver_io takes first and kvm_s390_vcpu_has_irq sees.
 *
 * Ignores: other floating and local non-GISA interruptions, the clock comparator and CPU timer
 * (an enabled wait here has no timer), halt polling, signals, disabled waits
 * (-EOPNOTSUPP), vsie, PV, the round-robin pointer of __floating_irq_kick.
 *
 * Kernel: arch/s390/kvm/interrupt.c (kvm_s390_handle_wait, __airqs_kick_single_vcpu,
 * kvm_s390_vcpu_wakeup, __set_cpu_idle), arch/s390/kvm/kvm-s390.c (vcpu_pre_run,
 * vcpu_post_run, kvm_arch_vcpu_runnable), arch/s390/kvm/priv.c (handle_tpi, whose failed store
 * reinjects through __inject_vm: __inject_io, then __floating_irq_kick), virt/kvm/kvm_main.c
 * (kvm_vcpu_check_block). Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */
import { and, not } from 'xstate';
import { iscBit, type SystemContext, type VcpuContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import { by, kernel, settle, vmOf, type Args, type Effects, type Ix } from '../lib.ts';
import { classicMask, deliverableIpm, firstIsc } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import { ledgered } from '../gisa/kvm_s390_gisa_interrupt.invariants.ts';

const vcpuOf = (c: SystemContext, vm: number, vcpu: number): VcpuContext => vmOf(c, vm).vcpus[vcpu]!;
const EINTR = -4;

/** The kernel functions of the vcpu run loop (kvm-s390.c, interrupt.c, kvm_main.c), entries of the machine's kernel table. */
export const vcpuKernel = {
  /**
   * priv.c handle_tpi: kvm_s390_get_io_int(gcr[6]) (the PSW I/O mask is not looked at); the interruption
   * code is stored to the TPI area or the lowcore; when that fails kvm_s390_reinject_io_int -> __inject_vm:
   * __inject_io sets the IPM bit again (no alert), then __floating_irq_kick wakes the first idle vcpu
   * (interrupt.c v6.17-rc4). Returns the condition code (1: an interruption was taken).
   */
  handle_tpi(this: Kernel, c: SystemContext, vm: number, vcpu: number, outcome: string, fx: Effects): number {
    const v = vmOf(c, vm).vcpus[vcpu]!;
    const isc = this.kvm_s390_get_io_int(c, vm, v.cr6, outcome === 'nomem');
    if (isc < 0) return 0;
    if (outcome === 'store-fails' && !this.__inject_io(c, vm, isc)) this.__floating_irq_kick(c, vm, fx);
    return 1;
  },

  /**
   * priv.c kvm_s390_handle_lctl / handle_lctlg (v6.17-rc4), CR6 part: gcr[6] takes the guest's value. Intercepted or
   * not, what the new CR6 enables is presented before the guest's next instruction (SIE itself, or vcpu_pre_run's
   * __deliver_io on the re-entry): the PSW swap of kvm_s390_deliver_pending_interrupts.
   */
  kvm_s390_handle_lctl(this: Kernel, c: SystemContext, vm: number, vcpu: number, cr6: number): void {
    vcpuOf(c, vm, vcpu).cr6 = cr6;
    this.kvm_s390_deliver_pending_interrupts(c, vm, vcpu);
  },

  /**
   * kvm-s390.c kvm_arch_vcpu_ioctl_initial_reset (KVM_S390_INITIAL_RESET; KVM_S390_CLEAR_RESET calls it): gpsw.mask = 0
   * (I/O disabled), gcr[] = 0 but CR0 and CR14 (CR6 = 0: no ISC open); its kvm_arch_vcpu_ioctl_normal_reset stops
   * the vcpu only without user_cpu_state_ctrl, which QEMU sets (KVM_SET_MP_STATE). The GISA is left alone.
   */
  kvm_arch_vcpu_ioctl_initial_reset(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const v = vcpuOf(c, vm, vcpu);
    v.pswIo = false;
    v.cr6 = 0;
  },

  /** kvm_s390_vcpu_start() (KVM_SET_MP_STATE operating). */
  kvm_s390_vcpu_start(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    vcpuOf(c, vm, vcpu).stopped = false;
  },

  /** kvm_s390_vcpu_stop(); a halted vcpu is first signalled out of kvm_vcpu_block (kvm_arch_vcpu_runnable runs, then __unset_cpu_idle) and out of KVM_RUN. */
  kvm_s390_vcpu_stop(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const v = vcpuOf(c, vm, vcpu);
    if (v.idle) {
      this.kvm_arch_vcpu_runnable(c, vm, vcpu);
      this.__unset_cpu_idle(c, vm, vcpu);
    }
    v.stopped = true;
  },

  /** vcpu_pre_run(): deliver pending interruptions, clear kicked_mask, enter SIE (GIB v2: IAM := 0 first). */
  vcpu_pre_run(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const v = vcpuOf(c, vm, vcpu);
    if (this.design.gib === 'gib-v2') vmOf(c, vm).gisa.iam = 0; // v2 11/12: gisa->iam = 0 before SIE entry
    this.kvm_s390_deliver_pending_interrupts(c, vm, vcpu); // PSW swap, or (v2) SIE at entry: same effect
    v.kicked = false;
    v.inSie = true;
  },

  /** vcpu_post_run(): leave SIE; GIB v2/v3 restore the IAM when the last vcpu left SIE and the GISA is not listed. */
  vcpu_post_run(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const k = vmOf(c, vm);
    vcpuOf(c, vm, vcpu).inSie = false;
    const d = this.design.gib;
    if ((d === 'gib-v2' || d === 'gib-v3') && !this.gisa_in_alert_list(c, vm) && !k.vcpus.some((v) => v.inSie)) k.gisa.iam = k.gisa.mask;
  },

  /** kvm_s390_deliver_pending_interrupts(), its I/O part: __deliver_io takes the highest-priority deliverable ISC (gisa_tac_ipm_gisc) by PSW swap, and the I/O new PSW disables I/O. */
  kvm_s390_deliver_pending_interrupts(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const v = vcpuOf(c, vm, vcpu);
    // __deliver_io: a classic interruption queued on fi->lists[isc] goes first (list_del under fi->lock; the GISA is not looked at)
    const classic = v.pswIo ? classicMask(c, vm) & v.cr6 : 0;
    const isc = firstIsc(deliverableIpm(c, vm, v) | classic);
    if (isc >= 0 && classic & iscBit(isc)) {
      vmOf(c, vm).fio![isc]! -= 1;
      v.pswIo = false;
      return;
    }
    if (isc >= 0 && this.gisa_tac_ipm_gisc(c, vm, isc)) v.pswIo = false;
  },

  /** kvm_s390_vcpu_has_irq(): a GISA interruption the vcpu may take with the wait PSW (I/O enabled); GIB v5 restores the IAM inside (get_ipm with IRQ_FLAG_IAM). */
  kvm_s390_vcpu_has_irq(this: Kernel, c: SystemContext, vm: number, vcpu: number): boolean {
    if (this.design.gib === 'gib-v5') this.get_ipm(c, vm, true);
    // with the wait PSW (I/O enabled): only CR6 is read from the vcpu
    const cr6 = vcpuOf(c, vm, vcpu).cr6;
    // deliverable_irqs -> pending_irqs: the classic float lists (fi->pending_irqs) beside the GISA IPM
    return deliverableIpm(c, vm, { pswIo: true, cr6 }) !== 0 || (classicMask(c, vm) & cr6) !== 0;
  },

  /** kvm_arch_vcpu_runnable(): clear_bit(vcpu_idx, gi->kicked_mask) (upstream), then kvm_s390_vcpu_has_irq(). */
  kvm_arch_vcpu_runnable(this: Kernel, c: SystemContext, vm: number, vcpu: number): boolean {
    if (this.design.gib === 'upstream') vcpuOf(c, vm, vcpu).kicked = false;
    return this.kvm_s390_vcpu_has_irq(c, vm, vcpu);
  },

  /** __set_cpu_idle(): CPUSTAT_WAIT and the vcpu's idle_mask bit. */
  __set_cpu_idle(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    vcpuOf(c, vm, vcpu).idle = true;
  },

  /** __unset_cpu_idle(). */
  __unset_cpu_idle(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    vcpuOf(c, vm, vcpu).idle = false;
  },

  /**
   * kvm_s390_handle_wait(), the wait intercept's handler: returns 0 at once when runnable (or,
   * GIB v4, when the IPM is dirty); otherwise restores the IAM as the strategy says,
   * __set_cpu_idle and kvm_vcpu_halt: the vcpu region follows the idle_mask bit into idle.halted.
   */
  kvm_s390_handle_wait(this: Kernel, c: SystemContext, vm: number, vcpu: number): number {
    const k = vmOf(c, vm);
    const v = vcpuOf(c, vm, vcpu);
    if (this.kvm_arch_vcpu_runnable(c, vm, vcpu)) return 0; // fast path
    const d = this.design.gib;
    if (d === 'gib-v4' && !this.gisa_in_alert_list(c, vm) && k.gisa.ipm) return 0; // v4: dirty IPM, no restore
    if (d === 'upstream' && k.gisa.origin && this.gisa_get_ipm_or_restore_iam(c, vm) & v.cr6) return 0;
    if (d === 'gib-v4' && !this.gisa_in_alert_list(c, vm)) k.gisa.iam = k.gisa.mask;
    this.__set_cpu_idle(c, vm, vcpu);
    return 0; // after kvm_vcpu_halt
  },

  /** kvm_vcpu_check_block(): -EINTR when kvm_arch_vcpu_runnable() (kvm_vcpu_block returns), else 0 (it sleeps again). */
  kvm_vcpu_check_block(this: Kernel, c: SystemContext, vm: number, vcpu: number): number {
    return this.kvm_arch_vcpu_runnable(c, vm, vcpu) ? EINTR : 0;
  },
};

export function vcpuImplementations(k: Kernel) {
  return {
    guards: {
      // the event is about this vcpu
      vcpu_mine: ({ event }: Args, ix: Ix) => event.vm === ix.vm && event.vcpu === ix.vcpu,
      // the VM is not being torn down: its fd is open
      kvm_vm_alive: ({ context }: Args, ix: Ix) => vmOf(context, ix.vm!).fd,
      // psw_ioint_disabled(): STOSM can enable I/O interruptions
      psw_ioint_disabled: ({ context }: Args, ix: Ix) => !vcpuOf(context, ix.vm!, ix.vcpu!).pswIo,
      // is_vcpu_idle(): the vcpu's idle_mask bit
      is_vcpu_idle: ({ context }: Args, ix: Ix) => vcpuOf(context, ix.vm!, ix.vcpu!).idle,
    },
    actions: {
      // kvm-s390.c kvm_s390_vcpu_start
      kvm_s390_vcpu_start: ledgered('start', k, (c, _e, ix) => k.kvm_s390_vcpu_start(c, ix.vm!, ix.vcpu!)),
      // kvm-s390.c kvm_s390_vcpu_stop
      kvm_s390_vcpu_stop: ledgered('stop', k, (c, _e, ix) => k.kvm_s390_vcpu_stop(c, ix.vm!, ix.vcpu!)),
      // kvm-s390.c vcpu_pre_run: deliver pending interruptions, clear kicked_mask, enter SIE
      vcpu_pre_run: ledgered('deliver', k, (c, _e, ix) => k.vcpu_pre_run(c, ix.vm!, ix.vcpu!)),
      // kvm-s390.c vcpu_post_run: leave SIE; v2/v3 restore the IAM when the last vcpu left SIE
      vcpu_post_run: ledgered('post-run', k, (c, _e, ix) => k.vcpu_post_run(c, ix.vm!, ix.vcpu!)),
      // the guest enables I/O interruptions in SIE: millicode presents what is now deliverable (PSW swap)
      STOSM_IO: ledgered('stosm', k, (c, _e, ix) => {
        const v = vcpuOf(c, ix.vm!, ix.vcpu!);
        v.pswIo = true;
        const isc = firstIsc(deliverableIpm(c, ix.vm!, v));
        if (isc < 0) return;
        vmOf(c, ix.vm!).gisa.ipm &= ~iscBit(isc);
        v.pswIo = false;
      }),
      // the guest disables I/O in its PSW in SIE (STNSM, SSM, LPSW(E)): pending GISA interruptions stay pending for it
      STNSM_IO: ledgered('stnsm', k, (c, _e, ix) => {
        vcpuOf(c, ix.vm!, ix.vcpu!).pswIo = false;
      }),
      // the guest loads CR6: priv.c kvm_s390_handle_lctl (or SIE itself), then what it enables is presented
      LCTL_CR6: ledgered('lctl', k, (c, e, ix) => k.kvm_s390_handle_lctl(c, ix.vm!, ix.vcpu!, e.cr6!)),
      // kvm-s390.c kvm_arch_vcpu_ioctl_initial_reset of a stopped vcpu
      KVM_S390_INITIAL_RESET: ledgered('reset', k, (c, _e, ix) => k.kvm_arch_vcpu_ioctl_initial_reset(c, ix.vm!, ix.vcpu!)),
      // the guest loaded an enabled wait PSW: the intercept leaves SIE (__vcpu_run: vcpu_post_run), then interrupt.c kvm_s390_handle_wait
      kvm_s390_handle_wait: ledgered('wait', k, (c, _e, ix) => {
        vcpuOf(c, ix.vm!, ix.vcpu!).pswIo = true;
        k.vcpu_post_run(c, ix.vm!, ix.vcpu!);
        k.kvm_s390_handle_wait(c, ix.vm!, ix.vcpu!);
      }),
      // interrupt.c kvm_s390_vcpu_wakeup as the halted vcpu sees it: it is woken up
      kvm_s390_vcpu_wakeup: kernel(() => {}),
      // kvm_main.c kvm_vcpu_block's loop: kvm_vcpu_check_block < 0 breaks out, and kvm_s390_handle_wait goes on with __unset_cpu_idle
      kvm_vcpu_check_block: ledgered('check-block', k, (c, _e, ix) => {
        if (k.kvm_vcpu_check_block(c, ix.vm!, ix.vcpu!) < 0) k.__unset_cpu_idle(c, ix.vm!, ix.vcpu!);
      }),
      // the guest's TPI (intercepted): priv.c handle_tpi; outcome stored, store-fails (reinjected) or nomem (kzalloc in kvm_s390_get_io_int)
      TPI: ledgered('tpi', k, (c, e, ix, fx) => k.handle_tpi(c, ix.vm!, ix.vcpu!, e.outcome ?? 'stored', fx)),
      // environment of the per-object machine: an adapter interruption made pending in the GISA
      GISA_ADAPTER_INTERRUPTION: ledgered('airq', k, (c, e, _ix, fx) => k.gisa_adapter_interruption(c, e.vm!, e.isc!, fx)),
    },
  };
}

const a = (name: string, ix: Ix) => ({ type: name, params: ix });
const g = (name: string, ix: Ix) => and([a('vcpu_mine', ix), a(name, ix)]);

/** The region of vcpu `vcpu` of VM `vm`. */
export function vcpuRegion(vm: number, vcpu: number) {
  const ix = { vm, vcpu };
  const region = `vm${vm}.vcpu${vcpu}`;
  const settled = settle(region).params.type;
  return {
    initial: 'stopped',
    states: {
      stopped: {
        description: 'CPUSTAT_STOPPED',
        on: {
          kvm_s390_vcpu_start: { guard: g('kvm_vm_alive', ix), target: 'outside_sie', actions: a('kvm_s390_vcpu_start', ix), ...by('userspace') },
          // the ioctl takes vcpu->mutex, which KVM_RUN holds: only a vcpu out of KVM_RUN (stopped, the machine's only such state)
          KVM_S390_INITIAL_RESET: { guard: a('vcpu_mine', ix), actions: a('KVM_S390_INITIAL_RESET', ix), ...by('userspace') },
        },
      },
      outside_sie: {
        id: vcpuStateId(vm, vcpu, 'outside_sie'),
        description: 'in the KVM_RUN loop on the host, not in SIE',
        on: {
          // kvm_s390_handle_wait set the idle_mask bit: it halts in kvm_vcpu_halt
          [settled]: { guard: a('is_vcpu_idle', ix), target: 'idle' },
          vcpu_pre_run: { guard: a('vcpu_mine', ix), target: 'in_sie', actions: a('vcpu_pre_run', ix), ...by('kernel') },
          kvm_s390_vcpu_stop: { guard: a('vcpu_mine', ix), target: 'stopped', actions: a('kvm_s390_vcpu_stop', ix), ...by('userspace') },
        },
      },
      in_sie: {
        description: 'PROG_IN_SIE: the guest runs; millicode delivers GISA interruptions the PSW and CR6 allow',
        on: {
          STOSM_IO: { guard: g('psw_ioint_disabled', ix), actions: a('STOSM_IO', ix), ...by('guest') },
          STNSM_IO: { guard: and([a('vcpu_mine', ix), not(a('psw_ioint_disabled', ix))]), actions: a('STNSM_IO', ix), ...by('guest') },
          LCTL_CR6: { guard: a('vcpu_mine', ix), actions: a('LCTL_CR6', ix), ...by('guest') },
          // TPI intercept: handled and back into SIE (the intercept's exit and re-entry are not separate steps)
          TPI: { guard: a('vcpu_mine', ix), actions: a('TPI', ix), ...by('guest') },
          vcpu_post_run: { guard: a('vcpu_mine', ix), target: 'outside_sie', actions: a('vcpu_post_run', ix), ...by('kernel') },
          // the wait intercept leaves SIE; whether the vcpu then halts is what kvm_s390_handle_wait did
          kvm_s390_handle_wait: { guard: a('vcpu_mine', ix), target: 'outside_sie', actions: [a('kvm_s390_handle_wait', ix), settle(region)], ...by('guest') },
        },
      },
      idle: {
        description: 'CPUSTAT_WAIT and the idle_mask bit: in kvm_vcpu_halt',
        initial: 'halted',
        on: {
          // __unset_cpu_idle ran: out of kvm_vcpu_halt, back to the KVM_RUN loop
          [settled]: { guard: not(a('is_vcpu_idle', ix)), target: '#' + vcpuStateId(vm, vcpu, 'outside_sie') },
          kvm_s390_vcpu_stop: { guard: a('vcpu_mine', ix), target: 'stopped', actions: a('kvm_s390_vcpu_stop', ix), ...by('userspace') },
        },
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
              // kvm_vcpu_check_block: sleep again, or leave the halt (what the function did to the idle_mask bit)
              kvm_vcpu_check_block: { guard: a('vcpu_mine', ix), target: 'halted', actions: [a('kvm_vcpu_check_block', ix), settle(region)], ...by('kernel') },
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
