// Issue 12 (iotriage): the ghost checks of the TPI window (kvm_s390_get_io_int.threads.ts), harness only:
// handle_tpi's ledger at the store (TpiIoLedger), the counting of what vcpu 1 hands the guest (IoInterruptionLedger)
// and each TPI step's postcondition (checkedSteps, FAULT.VCPU_THREAD_STEP_POST: handle_tpi runs on a vcpu, read by
// VcpuThreadStepPostcondition). What a step must do is written from arch/s390/kvm/interrupt.c v6.17-rc4
// (Kingxukai/linux 9b44fff655e2: get_top_io_int, get_top_gisa_isc, kvm_s390_get_io_int, __inject_io) and priv.c
// handle_tpi, not from the step bodies. Not mutated (src/mutate/scope.ts mutates *.machine.ts, *.kernel.ts and
// *.threads.ts only), as kvm_s390_gisa_interrupt.stepghost.ts.
import { FAULT, iscBit, MAX_ISC, type KvmContext, type SystemContext } from '../context.ts';
import { editFunction, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';
import { vmOf } from '../lib.ts';
import type { StepPosts, StepSeen } from '../gisa/kvm_s390_gisa_interrupt.stepghost.ts';
import { VCPU_PC } from './kvm_vcpu.pc.ts';

type C = SystemContext;

/** An ISC held in a local, or -1 (NULL / -EINVAL: nothing). */
const held = (x: unknown): number => (typeof x === 'number' && x >= 0 ? x : -1);

/**
 * handle_tpi's ledger at the store (ghost, FAULT.IRQ_LEDGER reported by the TPI thread): the classic
 * interruption get_top_io_int dequeued is either the answer or back on fi->lists[] (kvm_s390_reinject_io_int),
 * the IPM bit get_top_gisa_isc cleared is either the answer or set again (gisa_set_ipm_gisc), never both,
 * never neither; with both taken the answer is the classic one exactly when its ISC has equal or higher priority.
 */
export function ledgerHolds(t: ThreadView): boolean {
  const l = t.local;
  const inti = l.inti as number;
  const took = l.took as number;
  const ans = l.ans as string;
  if (inti >= 0 && (ans === 'classic') === (l.backClassic === true)) return false;
  if (took >= 0 && (ans === 'gisa') === (l.backGisa === true)) return false;
  if (inti < 0 && (ans === 'classic' || l.backClassic === true)) return false;
  if (took < 0 && (ans === 'gisa' || l.backGisa === true)) return false;
  // kzalloc failed: the GISA bit is set again and a lower-priority classic one returned, as the C does
  if (inti >= 0 && took >= 0 && l.mem !== false && (ans === 'classic') !== inti <= took) return false;
  return true;
}

/** handle_tpi's store followed by the ledger's report (FAULT.IRQ_LEDGER, TpiIoLedger): the ghost check kept out of the mutated step. */
export function ledgerReported(st: Step<C>): Step<C> {
  const run = st.run!;
  return {
    ...st,
    run: (c: C, t: ThreadView, fx: Parameters<NonNullable<Step<C>['run']>>[2]) => {
      run(c, t, fx);
      if (!ledgerHolds(t)) t.report(FAULT.IRQ_LEDGER);
    },
  };
}

/**
 * Ghost (IoInterruptionLedger): vcpu `thread`'s delivery (__deliver_io) and SIE's presentation count what they hand the
 * guest, read from the step's effect on fi->lists[] and the IPM (the kernel code is left as it is).
 */
export function givenByVcpu(threads: ThreadDef<C>[], thread: string): ThreadDef<C>[] {
  return editFunction(threads, thread, '__vcpu_run', (f) => ({
    ...f,
    steps: f.steps.map((st) => {
      if (st.at !== VCPU_PC.deliver && st.at !== VCPU_PC.sie) return st;
      const run = st.run!;
      return {
        ...st,
        reads: [...(st.reads ?? []), ['vms', 0, 'fio'], ['vms', 0, 'gisa', 'ipm'], ['vms', 0, 'ioGiven'], ['vms', 0, 'aiGiven']],
        writes: [...(st.writes ?? []), ['vms', 0, 'ioGiven'], ['vms', 0, 'aiGiven']],
        run: (c: C, t: ThreadView, fx: Parameters<NonNullable<Step<C>['run']>>[2]) => {
          const k = vmOf(c, 0);
          const fio = [...k.fio!];
          const ipm = k.gisa.ipm;
          run(c, t, fx);
          for (let isc = 0; isc <= MAX_ISC; isc++) {
            if (k.fio![isc]! < fio[isc]!) k.ioGiven![isc]! += fio[isc]! - k.fio![isc]!;
            if (ipm & ~k.gisa.ipm & iscBit(isc)) k.aiGiven![isc]! += 1;
          }
        },
      };
    }),
  }));
}

// ---- the TPI thread's step postconditions ----

const json = (x: unknown) => JSON.stringify(x);
/** The step's VM before and after. */
const vmsOf = (s: StepSeen): [KvmContext, KvmContext] => [s.b.vms[s.t.ix.vm!]!, s.a.vms[s.t.ix.vm!]!];
/** Every field of the VM unchanged but `except` (the ghost faults aside: the check itself writes them). */
function vmSame(s: StepSeen, except: readonly string[] = []): boolean {
  const [b, a] = vmsOf(s);
  const rb = b as unknown as Record<string, unknown>, ra = a as unknown as Record<string, unknown>;
  return Object.keys({ ...rb, ...ra }).every((f) => f === 'faults' || except.includes(f) || json(rb[f]) === json(ra[f]));
}
/** The GISA unchanged but its IPM. */
const gisaSameButIpm = (b: KvmContext, a: KvmContext) => json({ ...b.gisa, ipm: 0 }) === json({ ...a.gisa, ipm: 0 });
/** The highest-priority ISC (lowest number) of `mask` open in gcr[6], or -1. */
function topIsc(cr6: number, pending: (isc: number) => boolean): number {
  for (let isc = 0; isc <= MAX_ISC; isc++) if (cr6 & iscBit(isc) && pending(isc)) return isc;
  return -1;
}
/** What kvm_s390_get_io_int returns to handle_tpi: the AI inti (tmp_inti) when the GISA's ISC was taken and not set again, else the classic inti when it was not reinjected, else NULL. */
function returned(l: Readonly<Record<string, unknown>>): 'gisa' | 'classic' | 'none' {
  if (held(l.took) >= 0 && l.backGisa !== true) return 'gisa';
  if (held(l.inti) >= 0 && l.backClassic !== true) return 'classic';
  return 'none';
}

/** The statements of kvm_s390_get_io_int and handle_tpi's store (`peek`: the proposed fix, whose get_top_gisa_isc and kzalloc steps differ and are not checked here). */
export function tpiPosts(PC: { topIo: string; topGisa: string; kzalloc: string; setAgain: string; reinject: string; store: string }, peek: boolean): StepPosts {
  const posts: Record<string, (s: StepSeen) => boolean> = {
    // get_top_io_int: for (isc = 0; isc <= MAX_ISC && !inti; isc++) if (isc_mask & isc_to_isc_bits(isc)) inti = get_io_int(...):
    // the first non-empty fi->lists[isc] open in gcr[6] loses its first entry; the GISA is not looked at
    [PC.topIo]: (s) => {
      const [b, a] = vmsOf(s);
      const want = topIsc(b.vcpus[s.t.ix.vcpu!]!.cr6, (isc) => b.fio![isc]! > 0);
      return held(s.l.inti) === want && held(s.l.took) < 0 && vmSame(s, ['fio']) && a.fio!.every((n, i) => n === b.fio![i]! - (i === want ? 1 : 0));
    },
    // kvm_s390_reinject_io_int -> __inject_vm -> __inject_io (a classic inti): list_add_tail on fi->lists[isc]
    [PC.reinject]: (s) => {
      const [b, a] = vmsOf(s);
      const isc = held(s.lb.inti);
      return isc >= 0 && s.l.backClassic === true && vmSame(s, ['fio']) && a.fio!.every((n, i) => n === b.fio![i]! + (i === isc ? 1 : 0));
    },
    // handle_tpi: the inti kvm_s390_get_io_int returned is stored (cc 1) and handed to the guest, none: cc 0; nothing else changes
    [PC.store]: (s) => {
      const [b, a] = vmsOf(s);
      const r = returned(s.l);
      const ai = held(s.l.took), io = held(s.l.inti);
      return (s.l.ans ?? 'none') === r && vmSame(s, ['ioGiven', 'aiGiven']) &&
        a.aiGiven!.every((n, i) => n === b.aiGiven![i]! + (r === 'gisa' && i === ai ? 1 : 0)) &&
        a.ioGiven!.every((n, i) => n === b.ioGiven![i]! + (r === 'classic' && i === io ? 1 : 0));
    },
  };
  if (peek) return posts;
  // get_top_gisa_isc: the highest-priority IPM bit open in isc_mask test-and-cleared (none without gi->origin); then
  // kvm_s390_get_io_int: isc < 0: out; !inti: gisa_out (kzalloc); int_word_to_isc(inti) <= isc: gisa_set_ipm_gisc; else gisa_out
  posts[PC.topGisa] = (s) => {
    const [b, a] = vmsOf(s);
    const want = b.gisa.origin ? topIsc(b.vcpus[s.t.ix.vcpu!]!.cr6, (isc) => (b.gisa.ipm & iscBit(isc)) !== 0) : -1;
    const inti = held(s.lb.inti);
    const go = want < 0 ? PC.store : inti >= 0 && inti <= want ? PC.setAgain : PC.kzalloc;
    return held(s.l.took) === want && held(s.l.inti) === inti && vmSame(s, ['gisa']) && gisaSameButIpm(b.gisa as never, a.gisa as never) &&
      a.gisa.ipm === (want >= 0 ? b.gisa.ipm & ~iscBit(want) : b.gisa.ipm) && s.taken === go;
  };
  // gisa_out: tmp_inti = kzalloc(...): nothing shared changes; failed: gisa_set_ipm_gisc; else the classic one, if any, is reinjected
  posts[PC.kzalloc] = (s) => {
    const go = s.t.answer !== 'ok' ? PC.setAgain : held(s.l.inti) >= 0 ? PC.reinject : PC.store;
    return vmSame(s) && s.taken === go;
  };
  // gisa_set_ipm_gisc(gi->origin, isc): the IPM bit set again (no IAM test, no alert, no kick); SIE's millicode then presents
  // it at once to a vcpu in SIE whose PSW and gcr[6] are open for it (the bit cleared again, that vcpu's I/O disabled by the PSW swap);
  // either way the interruption left TPI's hand (backGisa)
  posts[PC.setAgain] = (s) => {
    const [b, a] = vmsOf(s);
    const isc = held(s.lb.took);
    if (isc < 0) return false;
    const bit = iscBit(isc);
    const takers = b.vcpus.flatMap((v, i) => (v.inSie && v.pswIo && (v.cr6 & bit) !== 0 ? [i] : []));
    const changed = b.vcpus.flatMap((v, i) => (json(v) === json(a.vcpus[i]) ? [] : [i]));
    if (!vmSame(s, ['gisa', 'vcpus', 'aiGiven']) || !gisaSameButIpm(b.gisa as never, a.gisa as never)) return false;
    if (takers.length === 0) return a.gisa.ipm === (b.gisa.ipm | bit) && changed.length === 0 && json(a.aiGiven) === json(b.aiGiven) && s.l.backGisa === true;
    const [i] = changed;
    return changed.length === 1 && takers.includes(i!) && json({ ...a.vcpus[i!], pswIo: true }) === json(b.vcpus[i!]) && !a.vcpus[i!]!.pswIo &&
      a.gisa.ipm === (b.gisa.ipm & ~bit) && a.aiGiven!.every((n, j) => n === b.aiGiven![j]! + (j === isc ? 1 : 0)) && s.l.backGisa === true;
  };
  return posts;
}
