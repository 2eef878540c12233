/**
 * The guest's TPI against the GISA, step by step (issue 12): priv.c handle_tpi ->
 * kvm_s390_get_io_int on one vcpu while another vcpu goes to wait (composed guest,
 * configurations `tpi-window`, `tpi-window-gisa-first`, and at the scans' ends `tpi-window-classic-0`, `tpi-window-gisa-0`,
 * `tpi-window-nomem-0`). An adapter interruption and a
 * classic one are pending before the first step.
 *
 * Models: a classic (non-adapter) I/O interruption queued on fi->lists[isc] (a vfio-ccw or
 * virtio-ccw subchannel's KVM_S390_INT_IO, injected by QEMU before the first step) beside the
 * GISA; kvm_s390_get_io_int as its C statements: get_top_io_int (dequeues the classic one of
 * the highest-priority ISC open in gcr[6], under fi->lock), get_top_gisa_isc (test-and-clears
 * the highest-priority IPM bit open in gcr[6]), then either the set again (gisa_set_ipm_gisc:
 * the classic one has equal or higher priority, or kzalloc failed) or the kzalloc of the AI
 * inti and kvm_s390_reinject_io_int of the classic one (__inject_io under fi->lock, then
 * __floating_irq_kick); handle_tpi's store of the interruption code. The other vcpu runs its
 * KVM_RUN loop (kvm_vcpu.threads.ts), whose kvm_arch_vcpu_runnable and __deliver_io see the
 * classic list too (kvm_s390_vcpu_has_irq -> deliverable_irqs -> pending_irqs).
 *
 * Ignores: the gisa_vcpu_kicker and the GAL handler (the adapter interruption was injected by
 * software, so nothing alerts: with it alerted and the kicker armed the same finding shows in 16
 * steps, 3,503 states, left out for CI time); the TPI intercept's exit and re-entry (the TPI vcpu stays in SIE with I/O
 * disabled: a guest polling with TPI, as Linux's cio_tpi does); a failed store to the TPI area
 * or lowcore (the coarse TPI outcome store-fails); __inject_io's -EBUSY at
 * KVM_S390_MAX_FLOAT_IRQS (266,000 queued classic interruptions: its return value is dropped by
 * kvm_s390_get_io_int, see machines/vcpu/README.md); the subchannel-id match of
 * KVM_DEV_FLIC_CLEAR_IO_IRQ (schid != 0 never looks at the GISA: get_top_gisa_isc).
 *
 * Kernel: arch/s390/kvm/interrupt.c (kvm_s390_get_io_int, get_top_io_int, get_io_int,
 * get_top_gisa_isc, gisa_set_ipm_gisc, kvm_s390_reinject_io_int, __inject_vm, __inject_io,
 * __floating_irq_kick, __deliver_io), arch/s390/kvm/priv.c (handle_tpi). Pinned: v6.17-rc4
 * (Kingxukai/linux 9b44fff655e2).
 */
import { FAULT, iscBit, MAX_ISC, type SystemContext } from '../context.ts';
import { classicMask } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import type { Kernel } from '../kernel.ts';
import { editFunction, kfunction, reported, type KFunction, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';
import { inv } from '../invariant-lib.ts';
import { vmOf, type Effects } from '../lib.ts';
import { asleepInThread, vcpuThread } from './kvm_vcpu.threads.ts';
import { checkedSteps } from '../gisa/kvm_s390_gisa_interrupt.stepghost.ts';
import { givenByVcpu, ledgerReported, tpiPosts } from './kvm_s390_get_io_int.stepghost.ts';
import { kickedNotAsleep, noLostWakeupAtSleep } from './kvm_vcpu.invariants.ts';
import { WokenFromSchedule } from './kvm_vcpu.liveness.ts';
import type { FineParts } from '../system/system.machine.ts';
import type { CoreConfiguration, CoreVariant } from '../system/spec.ts';

type C = SystemContext;

/** The ISCs with a classic I/O interruption queued (kvm_s390_gisa_interrupt.machine.ts). */
export { classicMask };

/** The program counters of the TPI thread (callee statements inlined as `<callee>@<statement>`). */
export const TPI_PC = {
  topIo: 'kvm_s390_get_io_int@get_top_io_int',
  topGisa: 'kvm_s390_get_io_int@get_top_gisa_isc',
  setAgain: 'kvm_s390_get_io_int@gisa_set_ipm_gisc',
  kzalloc: 'kvm_s390_get_io_int@kzalloc',
  reinject: 'kvm_s390_reinject_io_int@__inject_io',
  kick: 'kvm_s390_reinject_io_int@__floating_irq_kick',
  store: 'handle_tpi@put_guest_lc',
  // the proposed fix only: the IPM bit test-and-cleared once the GISA's ISC is known to win and the inti is allocated
  tac: 'kvm_s390_get_io_int@gisa_tac_ipm_gisc',
} as const;

/** The name of the TPI thread (vcpu 0 of VM 0 in SIE, I/O disabled, polling with TPI). */
export const TPI_THREAD = 'tpi';

/**
 * kvm_s390_get_io_int(kvm, gcr[6], 0) as handle_tpi calls it, statement by statement, and handle_tpi's store.
 * `peek` is the proposed fix (decide before taking): get_top_gisa_isc only reads the IPM (gisa_get_ipm);
 * the GISA's ISC is test-and-cleared after the kzalloc and only when it wins, so no set again.
 */
export function handleTpi(vm: number, vcpu: number, k: Kernel, peek = false): KFunction<C> {
  const fio: Path = ['vms', vm, 'fio'];
  const gi: Path = ['vms', vm, 'gisa'];
  const cr6: Path = ['vms', vm, 'vcpus', vcpu, 'cr6'];
  const me = (c: C) => vmOf(c, vm).vcpus[vcpu]!;
  const ipmWrite: Path[] = [[...gi, 'ipm']];
  const steps: Step<C>[] = [
    {
      at: TPI_PC.topIo,
      cite: 'interrupt.c get_top_io_int: for (isc = 0; isc <= MAX_ISC && !inti; isc++) if (isc_mask & isc_to_isc_bits(isc)) inti = get_io_int(kvm, isc, schid) (spin_lock(&fi->lock); list_del_init of the first entry; clear_bit of the pending bit when the list is empty)',
      reads: [fio, cr6],
      writes: [fio],
      run: (c, t) => {
        const q = vmOf(c, vm).fio!;
        t.local.inti = -1;
        t.local.took = -1;
        t.local.ans = 'none';
        for (let isc = 0; isc <= MAX_ISC; isc++) {
          if ((me(c).cr6 & iscBit(isc)) === 0 || q[isc]! === 0) continue;
          q[isc] = q[isc]! - 1;
          t.local.inti = isc;
          return;
        }
      },
    },
    peek
      ? {
          at: TPI_PC.topGisa,
          cite: 'proposed: get_top_gisa_isc reads the IPM (gisa_get_ipm) for the highest-priority ISC open in isc_mask and leaves it set',
          reads: [[...gi, 'origin'], [...gi, 'ipm'], cr6],
          run: (c, t) => {
            const g = vmOf(c, vm).gisa;
            t.local.gisc = -1;
            if (!g.origin) return;
            for (let isc = 0; isc <= MAX_ISC; isc++) if (g.ipm & me(c).cr6 & iscBit(isc)) return void (t.local.gisc = isc);
          },
          next: [
            { label: 'no AI in GISA, or the classic one has equal or higher priority', if: (_c, t) => (t.local.gisc as number) < 0 || ((t.local.inti as number) >= 0 && (t.local.inti as number) <= (t.local.gisc as number)), goto: TPI_PC.store },
            { goto: TPI_PC.kzalloc },
          ],
        }
      : {
          at: TPI_PC.topGisa,
          cite: 'interrupt.c get_top_gisa_isc: active_mask = (isc_mask & gisa_get_ipm(gi->origin) << 24) << 32; while (active_mask) { isc = __fls(active_mask) ^ (BITS_PER_LONG - 1); if (gisa_tac_ipm_gisc(gi->origin, isc)) return isc; ... } (no lock)',
          reads: [[...gi, 'origin'], [...gi, 'ipm'], cr6],
          writes: ipmWrite,
          run: (c, t) => {
            const g = vmOf(c, vm).gisa;
            if (!g.origin) return;
            for (let isc = 0; isc <= MAX_ISC; isc++) {
              if ((g.ipm & me(c).cr6 & iscBit(isc)) === 0) continue;
              if (k.gisa_tac_ipm_gisc(c, vm, isc)) return void (t.local.took = isc);
            }
          },
          next: [
            { label: 'no AI in GISA', if: (_c, t) => (t.local.took as number) < 0, goto: TPI_PC.store },
            { label: 'both: the classic one has equal or higher priority', if: (_c, t) => (t.local.inti as number) >= 0 && (t.local.inti as number) <= (t.local.took as number), goto: TPI_PC.setAgain },
            { goto: TPI_PC.kzalloc },
          ],
        },
    {
      at: TPI_PC.kzalloc,
      cite: 'interrupt.c kvm_s390_get_io_int gisa_out: tmp_inti = kzalloc(sizeof(*inti), GFP_KERNEL_ACCOUNT) (may sleep; ok: the AI inti with isc_to_int_word(isc), nomem: gisa_set_ipm_gisc)',
      answers: ['ok', 'nomem'],
      run: (_c, t) => void (t.local.mem = t.answer === 'ok'),
      next: peek
        ? [{ label: 'kzalloc failed: the classic one, if any, is returned', if: (_c, t) => t.local.mem !== true, goto: TPI_PC.store }, { goto: TPI_PC.tac }]
        : [
            { label: 'kzalloc failed', if: (_c, t) => t.local.mem !== true, goto: TPI_PC.setAgain },
            { label: 'the classic one is reinjected', if: (_c, t) => (t.local.inti as number) >= 0, goto: TPI_PC.reinject },
            { goto: TPI_PC.store },
          ],
    },
    ...(peek
      ? [
          {
            at: TPI_PC.tac,
            cite: 'proposed: gisa_tac_ipm_gisc(gi->origin, isc) after the kzalloc; lost to another taker: the classic one, if any, is returned (nothing to reinject)',
            reads: [[...gi, 'ipm']],
            writes: ipmWrite,
            run: (c: C, t: ThreadView) => {
              if (k.gisa_tac_ipm_gisc(c, vm, t.local.gisc as number)) t.local.took = t.local.gisc as number;
            },
            next: [
              { label: 'taken, the classic one is reinjected', if: (_c: C, t: ThreadView) => (t.local.took as number) >= 0 && (t.local.inti as number) >= 0, goto: TPI_PC.reinject },
              { goto: TPI_PC.store },
            ],
          } satisfies Step<C>,
        ]
      : [
          {
            at: TPI_PC.setAgain,
            cite: 'interrupt.c kvm_s390_get_io_int: gisa_set_ipm_gisc(gi->origin, isc) (set_bit_inv of the IPM bit: no IAM check, no alert, no kick), when the classic one has equal or higher priority or kzalloc failed',
            reads: [[...gi, 'ipm'], ['vms', vm, 'vcpus'], ['vms', vm, 'aiGiven']],
            writes: [...ipmWrite, ['vms', vm, 'vcpus'], ['vms', vm, 'aiGiven']],
            run: (c: C, t: ThreadView) => {
              const bit = iscBit(t.local.took as number);
              k.gisa_set_ipm_gisc(c, vm, t.local.took as number);
              t.local.backGisa = (vmOf(c, vm).gisa.ipm & bit) !== 0;
              // SIE presents the set IPM bit to a vcpu in SIE enabled for it, as after __inject_io's gisa_set_ipm_gisc (the millicode step)
              const taker = vmOf(c, vm).vcpus.find((v) => v.inSie && v.pswIo && (v.cr6 & bit) !== 0);
              if (taker && (vmOf(c, vm).gisa.ipm & bit) !== 0) {
                vmOf(c, vm).gisa.ipm &= ~bit;
                taker.pswIo = false;
                vmOf(c, vm).aiGiven![t.local.took as number]! += 1; // ghost
              }
            },
            next: TPI_PC.store,
          } satisfies Step<C>,
        ]),
    {
      at: TPI_PC.reinject,
      cite: 'interrupt.c kvm_s390_reinject_io_int -> __inject_vm -> __inject_io (a classic inti): spin_lock(&fi->lock); fi->counters[FIRQ_CNTR_IO] += 1; list_add_tail(&inti->list, &fi->lists[FIRQ_LIST_IO_ISC_0 + isc]); set_bit(isc_to_irq_type(isc), &fi->pending_irqs); spin_unlock',
      reads: [fio],
      writes: [fio],
      run: (c, t) => {
        const q = vmOf(c, vm).fio!;
        const isc = t.local.inti as number;
        const before = q[isc]!;
        q[isc] = before + 1;
        t.local.backClassic = q[isc]! > before;
      },
    },
    {
      at: TPI_PC.kick,
      cite: 'interrupt.c __inject_vm: __floating_irq_kick(kvm, type): the first vcpu in idle_mask (PSW and CR6 not looked at), CPUSTAT_IO_INT (a classic inti), kvm_s390_vcpu_wakeup',
      reads: [['vms', vm, 'vcpus']],
      writes: [['vms', vm, 'vcpus']],
      raises: ['kvm_s390_vcpu_wakeup'],
      run: (c, _t, fx) => k.__floating_irq_kick(c, vm, fx as Effects),
    },
    {
      at: TPI_PC.store,
      cite: 'priv.c handle_tpi: the interruption code of the inti kvm_s390_get_io_int returned is stored to the TPI area or the lowcore (cc 1), none: cc 0; then kfree(inti)',
      reports: true,
      // ghost: what the guest was handed (IoInterruptionLedger)
      reads: [['vms', vm, 'ioGiven'], ['vms', vm, 'aiGiven']],
      writes: [['vms', vm, 'ioGiven'], ['vms', vm, 'aiGiven']],
      run: (c, t) => {
        if ((t.local.took as number) >= 0 && t.local.backGisa !== true) t.local.ans = 'gisa';
        else if ((t.local.inti as number) >= 0 && t.local.backClassic !== true) t.local.ans = 'classic';
        const k = vmOf(c, vm);
        if (t.local.ans === 'gisa') k.aiGiven![t.local.took as number]! += 1;
        if (t.local.ans === 'classic') k.ioGiven![t.local.inti as number]! += 1;
      },
      next: 'return',
    },
  ];
  // each statement's postcondition (kvm_s390_get_io_int.stepghost.ts), read by VcpuThreadStepPostcondition; the store's ledger (TpiIoLedger) too
  const ledgered = steps.map((st) => (st.at === TPI_PC.store ? ledgerReported(st) : st));
  return checkedSteps(kfunction('handle_tpi', 'arch/s390/kvm/priv.c handle_tpi -> arch/s390/kvm/interrupt.c kvm_s390_get_io_int', ledgered), k, FAULT.VCPU_THREAD_STEP_POST, tpiPosts(TPI_PC, peek));
}

/** The TPI thread: vcpu `vcpu` of VM `vm` issues one TPI (a `once` thread: the guest then keeps running with I/O disabled). */
export function tpiThread(vm: number, vcpu: number, k: Kernel, peek = false): ThreadDef<C> {
  return { name: TPI_THREAD, actor: 'guest', ix: { vm, vcpu }, once: true, fns: [handleTpi(vm, vcpu, k, peek)] };
}

export const TpiIoLedger = inv(
  'TpiIoLedger',
  'interrupt.c kvm_s390_get_io_int: "Dequeue and return an I/O interrupt matching any of the interruption subclasses as designated by the isc mask in cr6 ... Take into account the interrupts pending in the interrupt list and in GISA": one interruption is returned to handle_tpi, the classic one when its ISC has equal or higher priority ("classical IO int with higher priority": gisa_set_ipm_gisc puts the GISA bit back), else the GISA one (kvm_s390_reinject_io_int puts the classic one back); nothing taken is dropped or kept twice',
  ({ context }) => !reported(context, FAULT.IRQ_LEDGER),
  { context: [['threads', 'found']] }, { stable: true },
);

/**
 * A vcpu asleep in kvm_vcpu_block (its thread in schedule(), TASK_INTERRUPTIBLE) whose wait PSW and CR6 would
 * take a classic I/O interruption queued on fi->lists[] has a wake-up on its way: __inject_vm's __floating_irq_kick
 * (the TPI thread about to kick, after kvm_s390_reinject_io_int's __inject_io).
 */
export function classicWakeupAtSleep(threads: readonly { vm: number; vcpu: number; name: string }[]) {
  return inv(
    'ClassicWakeupAtSleep',
    'interrupt.c __inject_vm: every classic I/O interruption queued by __inject_io is followed by __floating_irq_kick (kvm_s390_vcpu_wakeup of an idle vcpu); kvm_s390_reinject_io_int is __inject_vm, so an interruption TPI took off fi->lists[] and puts back kicks as a new one does',
    ({ value, context }) =>
      threads.every(({ vm, vcpu }) => {
        const v = context.vms[vm]!.vcpus[vcpu]!;
        if (!asleepInThread(value, context, vm, vcpu) || (classicMask(context, vm) & v.cr6) === 0) return true;
        return (value as Record<string, unknown>)[TPI_THREAD] === TPI_PC.kick;
      }),
    {
      context: [['vms', '*', 'vcpus', '*', 'interruptible'], ['vms', '*', 'vcpus', '*', 'cr6'], ['vms', '*', 'fio'], ['vms', 'length']],
      value: [...threads.map((t) => [t.name]), [TPI_THREAD]],
    },
  );
}

// ---- the configurations (composed guest) ----

/** The coarse events the threads replace (as kick-wait's, machines/system/system.bounds.ts, and TPI): the regions leave their transitions out. */
const REPLACED = new Set(['gisa_vcpu_kicker', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'kvm_vcpu_check_block', 'kvm_s390_vcpu_start', 'STOSM_IO', 'TPI']);

/**
 * The threads of tpi-window: vcpu 0's TPI (in SIE with I/O disabled) and vcpu 1's KVM_RUN loop (started, outside SIE);
 * `peek`: the proposed fix's kvm_s390_get_io_int. No kicker: the adapter interruption was injected by software
 * (kvm_s390_inject_vm: __inject_io sets the IPM bit without an alert; the IAM as restored), so none is armed.
 */
export function tpiWindow(peek = false, ipm = iscBit(3)) {
  return (_params: { vms: number; vcpus: number }, k: Kernel): FineParts => ({
    threads: givenByVcpu([tpiThread(0, 0, k, peek), vcpuThread(1, 0, 1, k)], 'vcpu1'),
    gib: { kickers: [], omit: REPLACED, design: k.design },
    gisa: () => ({ omit: REPLACED }),
    vcpuThread: () => true,
    initial: (c) => {
      c.vms[0]!.gisa.ipm |= ipm;
      for (const v of c.vms[0]!.vcpus) v.stopped = false;
      const tpi = c.vms[0]!.vcpus[0]!;
      tpi.inSie = true;
      tpi.pswIo = false;
    },
  });
}

/** IoInterruptionLedger with the adapter interruptions of `ipm` (one per ISC, IPM bit order) pending before the first step. */
export const ioInterruptionLedger = (ipm: number) => inv(
  'IoInterruptionLedger',
  'interrupt.c: an I/O interruption made pending is handed to the guest once (__deliver_io\'s PSW swap, SIE\'s presentation, handle_tpi\'s store) and never lost: each classic one queued before the first step is on fi->lists[], handed over, or in TPI\'s hand (dequeued by get_top_io_int, not yet stored or reinjected); each adapter interruption pending before the first step (ISC 3 in tpi-window) is in the IPM, handed over, or in TPI\'s hand (test-and-cleared, not yet stored or set again)',
  ({ context }) =>
    context.vms.every((k) => {
      if (!k.fio) return true;
      const l = context.threads?.locals[TPI_THREAD] ?? {};
      for (let isc = 0; isc <= MAX_ISC; isc++) {
        const queued = (context.params.classicIo ?? []).filter((i) => i === isc).length;
        const heldClassic = l.inti === isc && l.backClassic !== true ? 1 : 0;
        const heldAi = l.took === isc && l.backGisa !== true ? 1 : 0;
        if (k.fio[isc]! + k.ioGiven![isc]! + heldClassic !== queued) return false;
        if ((k.gisa.ipm & iscBit(isc) ? 1 : 0) + k.aiGiven![isc]! + heldAi !== (ipm & iscBit(isc) ? 1 : 0)) return false;
      }
      return true;
    }),
  { context: [['vms', '*', 'fio'], ['vms', '*', 'ioGiven'], ['vms', '*', 'aiGiven'], ['vms', '*', 'gisa', 'ipm'], ['vms', 'length'], ['params'], ['threads', 'locals', TPI_THREAD]] },
);
/** The ledger of tpi-window and tpi-window-gisa-first (the adapter interruption on ISC 3). */
export const IoInterruptionLedger = ioInterruptionLedger(iscBit(3));

const WAITER = [{ vm: 0, vcpu: 1, name: 'vcpu1' }];
/** No environment: both interruptions are pending before the first step; nothing else interrupts. */
const ENV: string[] = [];
/** The properties (no kicker thread: NoLostWakeupAtSleep then asks for the GISA listed, a GAL interruption pending or the kicker armed). */
const tpiWindowInvariants = (ipm: number) => [kickedNotAsleep(WAITER), noLostWakeupAtSleep(WAITER, []), TpiIoLedger, ioInterruptionLedger(ipm), classicWakeupAtSleep(WAITER)];
const TPI_WINDOW_INVARIANTS = tpiWindowInvariants(iscBit(3));

export const tpiWindowConfigurations: CoreConfiguration[] = [
  {
    // with the adapter interruption alerted and the kicker armed instead (the kicker's gisa_get_ipm_or_restore_iam also sees the ISC not pending
    // in the window, restores the IAM and stops): 3,503 states, the same finding in 16 steps; left out for CI time (machines/vcpu/README.md)
    id: 'tpi-window',
    description:
      'fine-grained, 2 threads: vcpu0 (in SIE, I/O disabled, CR6 open for ISC 3) issues one TPI (priv.c handle_tpi -> kvm_s390_get_io_int statement by statement: get_top_io_int, get_top_gisa_isc\'s test-and-clear, the set again or the kzalloc, ok or failing) against vcpu1\'s KVM_RUN loop (open for ISC 3: the wait, kvm_arch_vcpu_runnable, the IAM restore, the sleep); a classic I/O interruption on ISC 3 queued on fi->lists[] by QEMU and an adapter interruption on ISC 3 (registered) injected by software (kvm_s390_inject_vm: __inject_io sets the IPM bit without an alert, the IAM as restored, no kicker armed) before the first step: the classic one has equal priority, so TPI takes it and sets the GISA bit again',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3], preRegistered: [3], airqs: 0, classicIo: [3] },
    bounds: { types: ENV },
    fine: tpiWindow(),
    invariants: TPI_WINDOW_INVARIANTS,
    liveness: [WokenFromSchedule],
  },
  {
    id: 'tpi-window-gisa-first',
    description:
      'as tpi-window, but the classic I/O interruption is on ISC 5 and vcpu1 is open for ISC 5 only (vcpu0 for ISC 3 and ISC 5): the GISA\'s ISC 3 has higher priority, so TPI takes the adapter interruption and kvm_s390_reinject_io_int puts the classic one back (__inject_io, then __floating_irq_kick)',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [iscBit(3) | iscBit(5), iscBit(5)], preRegistered: [3], airqs: 0, classicIo: [5] },
    bounds: { types: ENV },
    fine: tpiWindow(),
    invariants: TPI_WINDOW_INVARIANTS,
    liveness: [WokenFromSchedule],
  },
  // vcpustrength (issue 14): the ends of TPI's priority scans and gcr[6]'s mask, which ISC 3 and ISC 5 open in every CR6 cannot tell apart
  {
    id: 'tpi-window-classic-0',
    description:
      'as tpi-window, at the ends of the scans: a classic I/O interruption on ISC 0 and adapter interruptions on ISC 3 and ISC 7; vcpu0 (TPI) open for ISC 0 and ISC 7 (its gcr[6] closes ISC 3), vcpu1 open for ISC 0 only. interrupt.c get_top_io_int scans from ISC 0 (the classic one on ISC 0 is found), get_top_gisa_isc takes the highest-priority IPM bit isc_mask opens (ISC 7: ISC 3 is pending but closed), and kvm_s390_get_io_int finds int_word_to_isc(inti) = 0 <= 7: gisa_set_ipm_gisc puts ISC 7 back and handle_tpi stores the classic one; or vcpu1\'s __deliver_io takes the classic ISC 0 first and TPI the GISA\'s ISC 7',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [0, 3, 7], cr6: [iscBit(0) | iscBit(7), iscBit(0)], preRegistered: [3, 7], airqs: 0, classicIo: [0] },
    bounds: { types: ENV },
    fine: tpiWindow(false, iscBit(3) | iscBit(7)),
    invariants: tpiWindowInvariants(iscBit(3) | iscBit(7)),
    liveness: [WokenFromSchedule],
  },
  {
    id: 'tpi-window-gisa-0',
    description:
      'as tpi-window-gisa-first, at the other ends: an adapter interruption on ISC 0 and classic I/O interruptions on ISC 3 and ISC 7; vcpu0 (TPI) open for ISC 0 and ISC 7 (its gcr[6] closes ISC 3), vcpu1 open for ISC 7 only. interrupt.c get_top_io_int dequeues the classic one on ISC 7 (the one on ISC 3 is closed: it stays queued), get_top_gisa_isc test-and-clears ISC 0 (isc 0 is a GISA ISC, not "no AI in GISA"), 7 > 0: gisa_out, kvm_s390_reinject_io_int puts ISC 7 back and handle_tpi stores the adapter interruption on ISC 0',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [0, 3, 7], cr6: [iscBit(0) | iscBit(7), iscBit(7)], preRegistered: [0], airqs: 0, classicIo: [3, 7] },
    bounds: { types: ENV },
    fine: tpiWindow(false, iscBit(0)),
    invariants: tpiWindowInvariants(iscBit(0)),
    liveness: [WokenFromSchedule],
  },
  {
    id: 'tpi-window-nomem-0',
    description:
      'as tpi-window-gisa-0 without the closed ISC 3, but vcpu1 open for ISC 0 and ISC 7 like vcpu0: an adapter interruption on ISC 0 and a classic one on ISC 7. TPI dequeues the classic ISC 7 and test-and-clears ISC 0 (7 > 0: gisa_out); when the kzalloc fails, interrupt.c kvm_s390_get_io_int\'s "else gisa_set_ipm_gisc(gi->origin, isc)" puts ISC 0 back: SIE presents it to vcpu1 at its entry (__vcpu_run@sie64a, ISC 0 the highest priority), or vcpu1 went to sleep in the window and nothing wakes it (tpi-window\'s finding through the nomem branch)',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [0, 7], cr6: [iscBit(0) | iscBit(7), iscBit(0) | iscBit(7)], preRegistered: [0], airqs: 0, classicIo: [7] },
    bounds: { types: ENV },
    fine: tpiWindow(false, iscBit(0)),
    invariants: tpiWindowInvariants(iscBit(0)),
    liveness: [WokenFromSchedule],
  },
];

/** What upstream shows in the tpi-window configurations (system.variants.ts upstream's expectedViolationsIn). */
export const TPI_WINDOW_FOUND = { 'tpi-window': ['NoLostWakeupAtSleep', 'WokenFromSchedule'], 'tpi-window-gisa-first': [], 'tpi-window-classic-0': [], 'tpi-window-gisa-0': [], 'tpi-window-nomem-0': ['NoLostWakeupAtSleep', 'WokenFromSchedule'] };

/** The TPI function of a variant: the steps of `handle_tpi` edited. */
const editTpi = (threads: ThreadDef<C>[], edit: (s: Step<C>) => Step<C>) => editFunction(threads, TPI_THREAD, 'handle_tpi', (f) => ({ ...f, steps: f.steps.map(edit) }));

export const tpiWindowVariants: CoreVariant[] = [
  {
    id: 'proposed-tpi-decide-before-taking',
    description:
      'proposed fix: kvm_s390_get_io_int decides before it takes: get_top_gisa_isc only reads the IPM (gisa_get_ipm), and the GISA\'s ISC is test-and-cleared (gisa_tac_ipm_gisc) only when it has higher priority than the classic one and after the kzalloc of its inti succeeded; lost to another taker, the classic one is returned. No IPM bit is ever cleared and set again, so no waiting vcpu, kicker or millicode sees a pending ISC as not pending',
    cite: 'proposed (issue 12): arch/s390/kvm/interrupt.c kvm_s390_get_io_int, v6.17-rc4 with get_top_gisa_isc\'s test-and-clear moved after the priority test and the kzalloc',
    configuration: 'tpi-window',
    configurations: ['tpi-window', 'tpi-window-gisa-first', 'tpi-window-nomem-0'],
    threads: (threads, k) => threads.map((t) => (t.name === TPI_THREAD ? tpiThread(0, 0, k, true) : t)),
    expectedViolations: [],
  },
  {
    id: 'planted-tpi-no-set-again',
    description: 'planted bug: kvm_s390_get_io_int without gisa_set_ipm_gisc: when the classic one has equal or higher priority (or kzalloc fails) the adapter interruption get_top_gisa_isc test-and-cleared is dropped',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_get_io_int without "gisa_set_ipm_gisc(gi->origin, isc)"',
    configuration: 'tpi-window',
    configurations: ['tpi-window'],
    threads: (threads) => editTpi(threads, (st) => (st.at !== TPI_PC.setAgain ? st : { ...st, run: (_c, t) => void (t.local.backGisa = false) })),
    expectedViolations: ['IoInterruptionLedger', 'TpiIoLedger'],
  },
  {
    id: 'planted-tpi-drops-classic',
    description: 'planted bug: kvm_s390_get_io_int returns the GISA\'s interruption without kvm_s390_reinject_io_int of the classic one get_top_io_int dequeued',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_get_io_int without "if (inti) kvm_s390_reinject_io_int(kvm, inti)"',
    configuration: 'tpi-window-gisa-first',
    configurations: ['tpi-window-gisa-first'],
    threads: (threads) => editTpi(threads, (st) => (st.at !== TPI_PC.reinject ? st : { ...st, run: (_c, t) => void (t.local.backClassic = false), next: TPI_PC.store })),
    expectedViolations: ['IoInterruptionLedger', 'TpiIoLedger'],
  },
  {
    id: 'planted-tpi-reinject-no-kick',
    description: 'planted bug: kvm_s390_reinject_io_int puts the classic interruption back on fi->lists[] (__inject_io) without __inject_vm\'s __floating_irq_kick: a vcpu that went to sleep while TPI held it is not woken',
    cite: 'planted: arch/s390/kvm/interrupt.c __inject_vm without "__floating_irq_kick(kvm, type)" on the reinject path',
    configuration: 'tpi-window-gisa-first',
    configurations: ['tpi-window-gisa-first'],
    threads: (threads) => editTpi(threads, (st) => (st.at !== TPI_PC.kick ? st : { ...st, run: () => undefined })),
    expectedViolations: ['ClassicWakeupAtSleep'],
  },
];
