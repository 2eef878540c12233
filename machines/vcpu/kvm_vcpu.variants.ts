// Variants of the vcpu machine with the result the checker must find.
import { vmOf } from '../lib.ts';
import type { CoreVariant } from '../system/spec.ts';
import type { SystemContext } from '../context.ts';

/** kvm-s390.c __vcpu_run's PV part after an exit (the injection consumed, the continuation noted) with the fence of KVM's PSW copy decided by `fence` (planted variants of pv-delivery; v6.17-rc4 fences exactly after ICPT_PV_INSTR / ICPT_PV_PREF). */
function pvExitFencing(fence: (pvIntercept: boolean) => boolean) {
  return (c: SystemContext, vm: number, vcpu: number, pvIntercept: boolean): void => {
    const v = vmOf(c, vm).vcpus[vcpu]!;
    if (v.iictl === undefined) return;
    v.iictl = -1;
    v.cont = pvIntercept;
    v.fenced = fence(pvIntercept);
  };
}

export const vcpuVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'current upstream: kvm_s390_handle_wait restores the IAM with gisa_get_ipm_or_restore_iam; vcpu_pre_run delivers by PSW swap',
    cite: 'arch/s390/kvm/interrupt.c kvm_s390_handle_wait, kvm-s390.c vcpu_pre_run, v6.17-rc4',
    expectedViolations: [],
    // issue 14: ISC 0 and ISC 7 (the ends of the priority scans): upstream holds everything
    expectedViolationsIn: { 'two-iscs': [], 'guest-masks': [], 'lowcore-fault': [],
      // issue 12: a protected vcpu: one injection at a time, none on a continuation, and its waits see the refreshed PSW
      'pv-delivery': [],
    },
  },
  {
    id: 'planted-no-delivery',
    description: 'planted bug: vcpu_pre_run enters SIE without kvm_s390_deliver_pending_interrupts, so a deliverable GISA interruption stays pending for a vcpu in SIE',
    cite: 'planted: kvm-s390.c vcpu_pre_run without the delivery',
    kernel: {
      vcpu_pre_run(c, vm, vcpu) {
        const v = vmOf(c, vm).vcpus[vcpu]!;
        v.kicked = false;
        v.inSie = true;
        return 0;
      },
    },
    // issue 14: the vcpu machine checks the GISA's IPM ledger too: SIE entry without __deliver_io presents nothing (3 steps)
    expectedViolations: ['AdapterInterruptionLedger', 'SieDeliversAtOnce'],
  },
  {
    id: 'planted-wait-no-halt',
    description: 'planted bug: kvm_s390_handle_wait returns after the IAM restore without __set_cpu_idle and kvm_vcpu_halt, so a vcpu in enabled wait with nothing pending spins between SIE entry and the wait intercept and is never in idle_mask for the kicker',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_handle_wait without __set_cpu_idle (the mutant vcpuKernel.kvm_s390_handle_wait:delete#0)',
    kernel: {
      kvm_s390_handle_wait(c, vm, vcpu) {
        const k = vmOf(c, vm);
        if (this.kvm_arch_vcpu_runnable(c, vm, vcpu)) return 0;
        if (k.gisa.origin) this.gisa_get_ipm_or_restore_iam(c, vm);
        return 0;
      },
    },
    // issue 14: the wait intercept with nothing pending now also breaks the step postcondition (kvm_s390_handle_wait halts when nothing is pending): 3 steps
    expectedViolations: ['VcpuCanHalt', 'VcpuStepPostcondition'],
  },
  {
    id: 'planted-tpi-takes-lowest-priority',
    description: 'planted bug (issue 14, two-iscs): kvm_s390_get_io_int scans the GISA IPM from ISC 7 down, so TPI stores the lowest-priority pending ISC instead of get_top_gisa_isc\'s highest-priority one',
    cite: 'planted: interrupt.c get_top_gisa_isc with the scan reversed (v6.17-rc4: find_next_bit from the highest-priority bit, ISC 0 first)',
    configuration: 'two-iscs',
    configurations: ['two-iscs'],
    kernel: {
      kvm_s390_get_io_int(c, vm, iscMask, nomem) {
        const g = vmOf(c, vm).gisa;
        if (!g.origin) return -1;
        let isc = -1;
        for (let i = 7; i >= 0; i--) if (g.ipm & iscMask & (0x80 >> i)) { isc = i; break; }
        if (isc < 0 || !this.gisa_tac_ipm_gisc(c, vm, isc)) return -1;
        if (!nomem) return isc;
        this.gisa_set_ipm_gisc(c, vm, isc);
        return -1;
      },
    },
    expectedViolations: ['AdapterInterruptionLedger'],
  },
  {
    // issue 12: the single-injection rule of a protected vcpu (configuration pv-delivery)
    id: 'planted-pv-deliverable-ignores-iictl',
    description: 'planted bug (issue 12, pv-delivery): deliverable_irqs without "PV guest cpus can have a single interruption injected at a time": kvm_s390_deliver_pending_interrupts reads deliverable_irqs again after __deliver_io injected one (no PSW swap by KVM for a PV vcpu, so the PSW still enables I/O) and injects the next, overwriting iictl\'s io_int_word: the first interruption left the IPM and is never presented',
    cite: 'planted: arch/s390/kvm/interrupt.c deliverable_irqs (v6.17-rc4) without "if (kvm_s390_pv_cpu_get_handle(vcpu) && vcpu->arch.sie_block->iictl != IICTL_CODE_NONE) active_mask &= ~(IRQ_PEND_EXT_II_MASK | IRQ_PEND_IO_MASK | IRQ_PEND_MCHK_MASK);"',
    configuration: 'pv-delivery',
    configurations: ['pv-delivery'],
    kernel: {
      deliverable_irqs(c, vm, vcpu) {
        const v = vmOf(c, vm).vcpus[vcpu]!;
        const g = vmOf(c, vm).gisa;
        return v.pswIo && !v.fenced && g.origin ? g.ipm & v.cr6 : 0;
      },
    },
    // the entry's postcondition (issue 14): KVM's injection is ISC 7, not the highest-priority ISC 0 its copy and CR6 allow
    expectedViolations: ['AdapterInterruptionLedger', 'VcpuStepPostcondition'],
  },
  {
    // issue 12: the PSW fence of PV intercepts (configuration pv-delivery)
    id: 'planted-pv-no-fence',
    description: 'planted bug (issue 12, pv-delivery): __vcpu_run does not fence KVM\'s copy of the PSW after ICPT_PV_INSTR / ICPT_PV_PREF, so the next vcpu_pre_run injects an interruption (iictl) into the SIE entry that continues the intercepted instruction',
    cite: 'planted: arch/s390/kvm/kvm-s390.c __vcpu_run (v6.17-rc4) without "if (icptcode == ICPT_PV_INSTR || icptcode == ICPT_PV_PREF) vcpu->arch.sie_block->gpsw.mask &= ~PSW_INT_MASK;"',
    configuration: 'pv-delivery',
    configurations: ['pv-delivery'],
    kernel: { __vcpu_run: pvExitFencing(() => false) },
    // the exit's postcondition at once (3 steps: start, entry, the PV intercept leaves the copy unfenced), the injection into the continuation in 5
    expectedViolations: ['PvNoInjectionOnContinuation', 'VcpuStepPostcondition'],
  },
  {
    // issue 12: a wait must see the refreshed PSW (configuration pv-delivery)
    id: 'planted-pv-fence-every-exit',
    description: 'planted bug (issue 12, pv-delivery): __vcpu_run fences KVM\'s copy of the PSW after every exit of a PV vcpu, not only ICPT_PV_INSTR / ICPT_PV_PREF: the wait intercept then finds EXT, IO and MCHECK off (psw_interrupts_disabled), kvm_s390_handle_wait answers -EOPNOTSUPP (a disabled wait, to userspace) and the vcpu never halts in an enabled wait',
    cite: 'planted: arch/s390/kvm/kvm-s390.c __vcpu_run (v6.17-rc4) with "gpsw.mask &= ~PSW_INT_MASK" for every PV exit',
    configuration: 'pv-delivery',
    configurations: ['pv-delivery'],
    kernel: { __vcpu_run: pvExitFencing(() => true) },
    expectedViolations: ['VcpuCanHalt', 'VcpuStepPostcondition'],
  },
  {
    id: 'planted-initial-reset-keeps-cr6',
    description: 'planted bug (issue 12, guest-masks): kvm_arch_vcpu_ioctl_initial_reset clears the PSW but leaves gcr[] (as if the control registers were cleared only by the clear reset), so a guest restarted after a reset keeps the ISCs its CR6 had open before',
    cite: 'planted: kvm-s390.c kvm_arch_vcpu_ioctl_initial_reset without the memset of gcr[] (v6.17-rc4 clears them: CR0 and CR14 initial, the others 0)',
    configuration: 'guest-masks',
    configurations: ['guest-masks'],
    kernel: {
      kvm_arch_vcpu_ioctl_initial_reset(c, vm, vcpu) {
        vmOf(c, vm).vcpus[vcpu]!.pswIo = false;
      },
    },
    expectedViolations: ['VcpuStepPostcondition'],
  },
  {
    id: 'planted-deliver-io-drops-fault',
    description: 'planted bug (issue 12, lowcore-fault): __deliver_io ignores what __do_deliver_io returns, so a delivery into a guest lowcore that is not accessible (the IPM bit already test-and-cleared) lets vcpu_pre_run go on into SIE: the interruption is lost while KVM_RUN reports nothing',
    cite: 'planted: interrupt.c __deliver_io with "__do_deliver_io(vcpu, &io);" for "rc = __do_deliver_io(vcpu, &io);" (v6.17-rc4 returns its rc, and vcpu_pre_run returns it before SIE entry)',
    configuration: 'lowcore-fault',
    configurations: ['lowcore-fault'],
    kernel: {
      __deliver_io(c, vm, vcpu, isc, lowcoreFault) {
        if (!vmOf(c, vm).gisa.origin || !this.gisa_tac_ipm_gisc(c, vm, isc)) return 0;
        if (!lowcoreFault) vmOf(c, vm).vcpus[vcpu]!.pswIo = false; // __do_deliver_io's PSW swap when the lowcore is there
        return 0;
      },
    },
    // the ledger (ISC 0 lost with rc 0) and the step postcondition (SIE entered after the failed delivery), 3 steps each; SieDeliversAtOnce
    // (4 steps) because the coarse SIE entry presents nothing itself: with ISC 0 and 7 pending the vcpu enters SIE with I/O still
    // enabled (the PSW swap never happened) and ISC 7 pending, which millicode would present at once
    expectedViolations: ['AdapterInterruptionLedger', 'SieDeliversAtOnce', 'VcpuStepPostcondition'],
  },
];
