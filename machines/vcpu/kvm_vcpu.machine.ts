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
 * With vcpu_pre_run's outcome lowcore-fault (issue 12, configuration lowcore-fault): the guest's lowcore is not
 * accessible, __do_deliver_io fails after __deliver_io test-and-cleared the IPM bit, the interruption is lost and
 * vcpu_pre_run returns -EFAULT before clear_bit(kicked_mask): KVM_RUN ends (outside_sie is also userspace between
 * two KVM_RUN calls).
 * GIB series v2..v5 differ in vcpu_pre_run (v2 clears the IAM), vcpu_post_run (v2, v3
 * restore it when the last vcpu leaves SIE), kvm_s390_handle_wait (v4 restores it when the
 * IPM is clean) and kvm_arch_vcpu_runnable (v5 restores it atomically): machines/design.ts.
 * Whether kvm_s390_handle_wait halts and whether kvm_vcpu_check_block leaves the halt is what
 * the functions did to the idle_mask bit (__set_cpu_idle / __unset_cpu_idle): the region
 * follows it (`settle.vm<i>.vcpu<j>`), no guard predicts it.
 *
 * With Params.pvVcpus (issue 12, configuration pv-delivery): protected vcpus. KVM hands an
 * interruption to the ultravisor (sie_block->iictl) instead of swapping the PSW, one at a time
 * (deliverable_irqs masks I/O while iictl is busy), and fences its copy of the PSW (PSW_INT_MASK)
 * after an ICPT_PV_INSTR/ICPT_PV_PREF exit and at start until the next exit; the ultravisor is an
 * oracle: at SIE entry it presents the injected interruption (or SIE a GISA one the guest's real
 * PSW and CR6 allow), at the exit it has consumed the injection and refreshed the PSW copy.
 *
 * With Params.classicIo (issue 12, the composed guest's tpi-window*): classic I/O interruptions queued on
 * fi->lists[isc], which __deliver_io takes first and kvm_s390_vcpu_has_irq sees.
 *
 * Ignores: other floating and local non-GISA interruptions, the clock comparator and CPU timer
 * (an enabled wait here has no timer), halt polling, signals, disabled waits
 * (-EOPNOTSUPP) but a fenced PSW's, vsie, PV but the above, the round-robin pointer of __floating_irq_kick.
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
const EFAULT = -14;
const EOPNOTSUPP = -95;

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

  /** kvm_s390_vcpu_start() (KVM_SET_MP_STATE operating); a PV vcpu's PSW copy is fenced ("let the next sie exit refresh our view"). */
  kvm_s390_vcpu_start(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const v = vcpuOf(c, vm, vcpu);
    v.stopped = false;
    if (v.iictl !== undefined) v.fenced = true; // if (kvm_s390_pv_cpu_is_protected(vcpu)) gpsw.mask &= ~PSW_INT_MASK
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

  /**
   * vcpu_pre_run(): deliver pending interruptions, clear kicked_mask, enter SIE (GIB v2: IAM := 0 first). `lowcoreFault`
   * (issue 12): the guest's lowcore is not accessible; when the delivery fails, "if (rc || guestdbg_exit_pending(vcpu))
   * return rc;" comes before the clear_bit: no SIE entry, KVM_RUN returns -EFAULT.
   */
  vcpu_pre_run(this: Kernel, c: SystemContext, vm: number, vcpu: number, lowcoreFault = false): number {
    const v = vcpuOf(c, vm, vcpu);
    if (this.design.gib === 'gib-v2') vmOf(c, vm).gisa.iam = 0; // v2 11/12: gisa->iam = 0 before SIE entry
    const rc = this.kvm_s390_deliver_pending_interrupts(c, vm, vcpu, lowcoreFault); // PSW swap, or (v2) SIE at entry: same effect
    if (rc) return rc;
    v.kicked = false;
    v.inSie = true;
    if (v.iictl !== undefined) this.sie64a_pv_entry(c, vm, vcpu);
    return 0;
  },

  /**
   * Not kernel code: SIE entry of a PV vcpu as the ultravisor performs it (the oracle of configuration pv-delivery). An
   * injected interruption (iictl) is presented to the guest (its I/O new PSW disables I/O); with none, millicode presents
   * a GISA interruption the guest's real PSW and CR6 allow at once (after a fenced delivery, KVM injected nothing). The
   * entry continues an intercepted PV instruction first (cont stays until the exit: the run is that continuation).
   */
  sie64a_pv_entry(this: Kernel, c: SystemContext, vm: number, vcpu: number): void {
    const v = vcpuOf(c, vm, vcpu);
    if ((v.iictl ?? -1) >= 0) {
      v.pswIo = false;
      return;
    }
    const isc = firstIsc(deliverableIpm(c, vm, v));
    if (isc < 0) return;
    vmOf(c, vm).gisa.ipm &= ~iscBit(isc);
    v.pswIo = false;
  },

  /**
   * kvm-s390.c __vcpu_run after sie64a for a PV vcpu (v6.17-rc4): the exit refreshed KVM's copy of the PSW (the ultravisor
   * writes it back) and the injection was consumed (KVM reads iictl only after an exit); "We're not allowed to inject
   * interrupts on intercepts that leave the guest state in an in-between state where the next SIE entry will do a
   * continuation": for ICPT_PV_INSTR and ICPT_PV_PREF gpsw.mask &= ~PSW_INT_MASK. `pvIntercept`: the exit was one of those.
   */
  __vcpu_run(this: Kernel, c: SystemContext, vm: number, vcpu: number, pvIntercept: boolean): void {
    const v = vcpuOf(c, vm, vcpu);
    if (v.iictl === undefined) return;
    v.iictl = -1;
    v.cont = pvIntercept; // the ultravisor: the next entry continues the instruction
    v.fenced = pvIntercept;
  },

  /** vcpu_post_run(): leave SIE; GIB v2/v3 restore the IAM when the last vcpu left SIE and the GISA is not listed. */
  vcpu_post_run(this: Kernel, c: SystemContext, vm: number, vcpu: number, pvIntercept = false): void {
    const k = vmOf(c, vm);
    vcpuOf(c, vm, vcpu).inSie = false;
    this.__vcpu_run(c, vm, vcpu, pvIntercept); // the PV part of the SIE exit (nothing for a non-PV vcpu)
    const d = this.design.gib;
    if ((d === 'gib-v2' || d === 'gib-v3') && !this.gisa_in_alert_list(c, vm) && !k.vcpus.some((v) => v.inSie)) k.gisa.iam = k.gisa.mask;
  },

  /** kvm_s390_deliver_pending_interrupts(), its I/O part: __deliver_io takes the highest-priority deliverable ISC (gisa_tac_ipm_gisc) by PSW swap, and the I/O new PSW disables I/O; a deliverer's error ends the loop and is returned. */
  kvm_s390_deliver_pending_interrupts(this: Kernel, c: SystemContext, vm: number, vcpu: number, lowcoreFault = false): number {
    const v = vcpuOf(c, vm, vcpu);
    if (v.iictl !== undefined) {
      // PV: __deliver_io -> __do_deliver_io hands the interruption to the ultravisor (iictl = IICTL_CODE_IO), no PSW swap by
      // KVM; "while ((irqs = deliverable_irqs(vcpu)) && !rc)" reads again with the same PSW: iictl busy masks the I/O class
      for (let isc = firstIsc(this.deliverable_irqs(c, vm, vcpu)); isc >= 0; isc = firstIsc(this.deliverable_irqs(c, vm, vcpu))) {
        if (!this.gisa_tac_ipm_gisc(c, vm, isc)) continue;
        v.iictl = isc; // __do_deliver_io: iictl = IICTL_CODE_IO; io_int_word = isc_to_int_word(isc)
      }
      return 0;
    }
    // __deliver_io: a classic interruption queued on fi->lists[isc] goes first (list_del under fi->lock; the GISA is not looked at);
    // its lowcore write is not faulted here (no configuration has both classicIo and lowcoreFault)
    const classic = v.pswIo ? classicMask(c, vm) & v.cr6 : 0;
    const isc = firstIsc(deliverableIpm(c, vm, v) | classic);
    if (isc >= 0 && classic & iscBit(isc)) {
      vmOf(c, vm).fio![isc]! -= 1;
      v.pswIo = false;
      return 0;
    }
    return isc >= 0 ? this.__deliver_io(c, vm, vcpu, isc, lowcoreFault) : 0;
  },

  /**
   * __deliver_io(), the GISA branch: "if (gi->origin && gisa_tac_ipm_gisc(gi->origin, isc))" the adapter interruption goes to
   * __do_deliver_io: put_guest_lc of the interruption code, write_guest_lc of the I/O old PSW, read_guest_lc of the I/O new PSW
   * (which disables I/O), "return rc ? -EFAULT : 0", returned as is. The lowcore not accessible (kvm_write_guest and
   * kvm_read_guest fail): gpsw is left as it was and the interruption, already test-and-cleared, is not presented.
   */
  __deliver_io(this: Kernel, c: SystemContext, vm: number, vcpu: number, isc: number, lowcoreFault: boolean): number {
    if (!vmOf(c, vm).gisa.origin || !this.gisa_tac_ipm_gisc(c, vm, isc)) return 0;
    if (lowcoreFault) return EFAULT;
    vcpuOf(c, vm, vcpu).pswIo = false;
    return 0;
  },

  /**
   * deliverable_irqs(), the GISA I/O part for a PV vcpu: the IPM bits KVM's copy of the PSW (fenced: I/O off) and CR6 let
   * through; "PV guest cpus can have a single interruption injected at a time": with iictl != IICTL_CODE_NONE none.
   */
  deliverable_irqs(this: Kernel, c: SystemContext, vm: number, vcpu: number): number {
    const v = vcpuOf(c, vm, vcpu);
    if ((v.iictl ?? -1) >= 0) return 0;
    return deliverableIpm(c, vm, { pswIo: v.pswIo && !v.fenced, cr6: v.cr6 });
  },

  /** kvm_s390_vcpu_has_irq(): a GISA interruption the vcpu may take with the wait PSW (I/O enabled); GIB v5 restores the IAM inside (get_ipm with IRQ_FLAG_IAM). */
  kvm_s390_vcpu_has_irq(this: Kernel, c: SystemContext, vm: number, vcpu: number): boolean {
    if (this.design.gib === 'gib-v5') this.get_ipm(c, vm, true);
    const v = vcpuOf(c, vm, vcpu);
    // PV: deliverable_irqs with KVM's copy of the wait PSW (fenced: nothing) and the single-injection mask
    if (v.iictl !== undefined) return (v.iictl ?? -1) < 0 && deliverableIpm(c, vm, { pswIo: !v.fenced, cr6: v.cr6 }) !== 0;
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
    if (v.fenced) return EOPNOTSUPP; // psw_interrupts_disabled: KVM's copy has EXT, IO and MCHECK off: a disabled wait, KVM_RUN exits
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
      // environment (issue 12, configuration lowcore-fault): the guest's prefix pages have no writable backing when vcpu_pre_run delivers
      lowcore_not_accessible: ({ event }: Args) => event.outcome === 'lowcore-fault',
      // PROG_IN_SIE: vcpu_pre_run returned 0 and __vcpu_run entered SIE
      PROG_IN_SIE: ({ context }: Args, ix: Ix) => vcpuOf(context, ix.vm!, ix.vcpu!).inSie,
      // kvm_s390_pv_cpu_is_protected(): the vcpu is a PV cpu (params.pvVcpus)
      kvm_s390_pv_cpu_is_protected: ({ context }: Args, ix: Ix) => vcpuOf(context, ix.vm!, ix.vcpu!).iictl !== undefined,
    },
    actions: {
      // kvm-s390.c kvm_s390_vcpu_start
      kvm_s390_vcpu_start: ledgered('start', k, (c, _e, ix) => k.kvm_s390_vcpu_start(c, ix.vm!, ix.vcpu!)),
      // kvm-s390.c kvm_s390_vcpu_stop
      kvm_s390_vcpu_stop: ledgered('stop', k, (c, _e, ix) => k.kvm_s390_vcpu_stop(c, ix.vm!, ix.vcpu!)),
      // kvm-s390.c vcpu_pre_run: deliver pending interruptions, clear kicked_mask, enter SIE (or -EFAULT: KVM_RUN ends)
      vcpu_pre_run: ledgered('deliver', k, (c, e, ix) => k.vcpu_pre_run(c, ix.vm!, ix.vcpu!, e.outcome === 'lowcore-fault')),
      // kvm-s390.c vcpu_post_run: leave SIE; v2/v3 restore the IAM when the last vcpu left SIE
      vcpu_post_run: ledgered('post-run', k, (c, _e, ix) => k.vcpu_post_run(c, ix.vm!, ix.vcpu!)),
      // a PV vcpu's ICPT_PV_INSTR / ICPT_PV_PREF exit: kvm-s390.c __vcpu_run fences KVM's copy of the PSW, then vcpu_post_run
      ICPT_PV_INSTR: ledgered('post-run', k, (c, _e, ix) => k.vcpu_post_run(c, ix.vm!, ix.vcpu!, true)),
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
          [settled]: [{ guard: a('is_vcpu_idle', ix), target: 'idle' }, { guard: a('PROG_IN_SIE', ix), target: 'in_sie' }],
          // the lowcore not accessible: a delivery fails and KVM_RUN ends with -EFAULT (stays here), else SIE: the region follows PROG_IN_SIE
          vcpu_pre_run: [
            { guard: g('lowcore_not_accessible', ix), actions: [a('vcpu_pre_run', ix), settle(region)], ...by('kernel') },
            { guard: a('vcpu_mine', ix), target: 'in_sie', actions: a('vcpu_pre_run', ix), ...by('kernel') },
          ],
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
          // a PV vcpu's secure instruction or prefix intercept (issue 12): the next entry continues it, KVM's PSW copy is fenced
          ICPT_PV_INSTR: { guard: g('kvm_s390_pv_cpu_is_protected', ix), target: 'outside_sie', actions: a('ICPT_PV_INSTR', ix), ...by('guest') },
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
