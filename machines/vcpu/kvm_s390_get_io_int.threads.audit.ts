// The names the composed guest's fine-grained configurations tpi-window and tpi-window-gisa-first add
// (machines/vcpu/kvm_s390_get_io_int.threads.ts: priv.c handle_tpi -> kvm_s390_get_io_int step by step; issue 12),
// by the branch of the C each step executes. Composed into the system audit after the vcpu and GISA
// audits: a branch marked here as modelled wins over their marks; the branches the TPI thread does not
// run are ignored here only so that every branch has a mark (the vcpu and GISA audits mark them).
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { TPI_PC } from './kvm_s390_get_io_int.threads.ts';
import { VCPU_PC } from './kvm_vcpu.threads.ts';

const byOthers: Mark = ignored('not run by the tpi-window threads: see the kvm_vcpu and kvm_s390_gisa_interrupt audits');

export const tpiWindowAudit: KernelAudit = {
  machine: 'system (tpi-window threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.interrupt, FILE.priv],
  modelledFields: [F.ipm, F.floatIoLists, F.psw, F.vcpuTask],
  nonKernel: {
    [TPI_PC.tac]: 'proposed fix (variant proposed-tpi-decide-before-taking): the GISA\'s ISC test-and-cleared only after the priority test and the kzalloc',
  },
  entries: [
    entry(K.kvm_s390_get_io_int, {
      none: modelledAs('tpi-window*: no IPM bit open in gcr[6] (the GISA one presented or taken since): get_top_gisa_isc finds nothing, the classic one get_top_io_int dequeued is returned; schid != 0 (TSCH, KVM_DEV_FLIC_CLEAR_IO_IRQ) is not issued', TPI_PC.topIo, TPI_PC.topGisa),
      gisa: modelledAs('tpi-window*: get_top_gisa_isc test-and-clears the highest-priority IPM bit of gcr[6] (no lock), then the kzalloc of the AI inti (answer ok)', TPI_PC.topGisa, TPI_PC.kzalloc),
      classicFirst: modelledAs('tpi-window (the classic one and the GISA\'s on ISC 3): int_word_to_isc(inti) <= isc: gisa_set_ipm_gisc puts the bit back (no IAM check, no alert, no kick) as a step of its own; the classic one is returned (TpiIoLedger, IoInterruptionLedger; planted-tpi-no-set-again)', TPI_PC.topGisa, TPI_PC.setAgain),
      gisaFirst: modelledAs('tpi-window-gisa-first (the GISA\'s ISC 3 above the classic ISC 5): kzalloc, then kvm_s390_reinject_io_int -> __inject_vm: __inject_io under fi->lock and __floating_irq_kick, each a step (TpiIoLedger, IoInterruptionLedger, ClassicWakeupAtSleep; planted-tpi-drops-classic, planted-tpi-reinject-no-kick)', TPI_PC.kzalloc, TPI_PC.reinject, TPI_PC.kick),
      nomem: modelledAs('tpi-window*: kzalloc answers nomem (it may sleep: a long window), then gisa_set_ipm_gisc; the classic one, if any, is returned', TPI_PC.kzalloc, TPI_PC.setAgain),
      window: modelledAs('tpi-window: the test-and-clear, the kzalloc and the set again are separate steps; vcpu1\'s kvm_arch_vcpu_runnable and IAM restore run between them, see the ISC not pending, restore the IAM and sleep (the kicker\'s gisa_get_ipm_or_restore_iam does the same when armed: measured, not shipped); the set again raises no alert: NoLostWakeupAtSleep (12 steps), WokenFromSchedule (machines/vcpu/README.md); proposed-tpi-decide-before-taking holds', TPI_PC.topGisa, TPI_PC.kzalloc, TPI_PC.setAgain),
    }),
    entry(K.handle_tpi, {
      none: modelledAs('tpi-window*: nothing taken: cc 0 (the store step stores nothing)', TPI_PC.store),
      gisa: modelledAs('tpi-window*: the interruption code stored (cc 1) with the ledger check of what kvm_s390_get_io_int took; the TPI intercept\'s exit and re-entry are not steps (the TPI vcpu stays in SIE with I/O disabled)', TPI_PC.store),
      fault: abstracted('tpi-window*: the store to the TPI area or lowcore succeeds; its failure (kvm_s390_reinject_io_int of the returned inti) is the coarse TPI outcome store-fails (configurations tpi, tpi-2)'),
    }),
    entry(K.__inject_io, {
      gisa: byOthers,
      busy: abstracted('tpi-window*: fi->counters[FIRQ_CNTR_IO] stays far below KVM_S390_MAX_FLOAT_IRQS (266,000): one classic interruption. kvm_s390_get_io_int ignores kvm_s390_reinject_io_int\'s -EBUSY (the inti is then leaked and the interruption lost: machines/vcpu/README.md), reachable only with the list full'),
      list: modelledAs('tpi-window-gisa-first: kvm_s390_reinject_io_int of the classic inti: list_add_tail on fi->lists[isc] and its pending bit under fi->lock', TPI_PC.reinject),
    }),
    entry(K.__floating_irq_kick, {
      none: byOthers,
      idle: modelledAs('tpi-window-gisa-first: after the reinject, the first vcpu in idle_mask is woken (ClassicWakeupAtSleep)', TPI_PC.kick),
      rr: byOthers,
      aiGisa: byOthers,
      wake: modelledAs('tpi-window-gisa-first: kvm_s390_vcpu_wakeup of the chosen vcpu', TPI_PC.kick),
    }),
    entry(K.kvm_arch_destroy_vm, {
      vcpus: byOthers,
      sca: byOthers,
      gisa: byOthers,
      pv: byOthers,
      free: byOthers,
      rest: abstracted('tpi-window* have no teardown: kvm_s390_clear_float_irqs empties fi->lists[] only after every vcpu thread is gone (the last reference dropped), when nothing reads them'),
    }),
    entry(K.__deliver_io, {
      float: modelledAs('tpi-window*: vcpu1\'s delivery step takes a classic interruption of fi->lists[isc] first (list_del under fi->lock), the GISA not looked at; the PSW swap disables I/O; kvm_arch_vcpu_runnable sees the lists too (deliverable_irqs -> pending_irqs)', VCPU_PC.deliver),
      gisa: byOthers,
      pv: byOthers,
      fault: byOthers,
      none: byOthers,
    }),
  ],
};
