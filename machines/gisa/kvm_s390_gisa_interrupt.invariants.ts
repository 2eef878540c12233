// Safety predicates of the GISA, each citing the kernel rule it encodes.
import { FAULT, MAX_ISC } from '../context.ts';
import { byte, inv, invPerVm, listed, region, registeredMask } from '../invariant-lib.ts';
import { lockFree, lockPath, mutex, reported, spinlock, type KContext, type Path } from '../kthread.ts';
import { probe } from '../../src/check/probe.ts';
import type { SystemContext } from '../context.ts';
import { GAL_AT, GisaThreadStepPostcondition } from './kvm_s390_gisa_interrupt.stepghost.ts';
import { kernel, type CoreAction, type Effects, type Ix, type SpecEvent } from '../lib.ts';

/** gi->alert.ref_lock of VM vm (machines/gisa/kvm_s390_gisa_interrupt.threads.ts takes it). */
export const ref_lock = (vm: number) => spinlock('gi->alert.ref_lock', vm);

/** The thread that runs the GAL interruption handler step by step (configurations register-unregister-gal, gal-destroy). */
export const GAL_THREAD = 'gal';
/** The kvm_arch_destroy_vm thread of VM vm whose kvm_s390_gisa_destroy runs process_gib_alert_list step by step too (gal-destroy, two-vms-destroy). */
export const destroyWalker = (vm: number, vms: number): string => (vms > 1 ? `destroy_vm${vm}` : 'destroy_vm');
/** Every thread that may walk the alert list step by step (process_gib_alert_list has no lock: each caller holds the list it cut off in its local `origin`). */
export const WALKERS: readonly string[] = [GAL_THREAD, destroyWalker(0, 1), destroyWalker(0, 2), destroyWalker(1, 2)];
/** Its local: the VMs (bit vm) whose GISA it has unlinked and not yet armed the kicker for. */
export const GAL_HELD = 'held';
const walkerLocal = (c: KContext, w: string, key: string): number => (c.threads?.locals[w]?.[key] as number | undefined) ?? 0;
/** The GISA of VM vm is between a walker's unlink and its hrtimer_start: the kicker is about to be armed. */
export const galHolds = (c: KContext, vm: number): boolean => WALKERS.some((w) => (walkerLocal(c, w, GAL_HELD) & (1 << vm)) !== 0);
/** The VMs whose GISA a walker (other than `except`) has cut off with its xchg and not unlinked yet (its local `cut`): linked, but on no list the origin reaches. */
export const galCut = (c: KContext, except?: string): number => WALKERS.reduce((m, w) => (w === except ? m : m | walkerLocal(c, w, 'cut')), 0);
/** What galHolds and galCut read: the walkers' locals (no other configuration has threads of these names, so their steps stay independent of them). */
export const galHeldPaths: readonly Path[] = WALKERS.map((w) => ['threads', 'locals', w]);

export const GisaTypeOK = invPerVm(
  'TypeOK',
  'kvm_host.h: ipm, iam and alert.mask are u8, ref_count[MAX_ISC + 1] is u32 (kvm_s390_gisc_register/unregister refuse gisc > MAX_ISC with -ERANGE, so nothing indexes past it); the region state says whether gi->origin is set and the page is freed',
  ({ value, context }, vm) => {
    const g = context.vms[vm]!.gisa;
    const st = region(value, `vm${vm}`, 'gisa');
    const lifecycle = st === undefined || (st === 'alive') === g.origin && (st === 'freed') === g.freed;
    return byte(g.ipm) && byte(g.iam) && byte(g.mask) && g.ref.length === MAX_ISC + 1 && g.ref.every((r) => Number.isInteger(r) && r >= 0) && lifecycle;
  },
  (vm) => ({
    context: [['vms', vm, 'gisa', 'ipm'], ['vms', vm, 'gisa', 'iam'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'origin'], ['vms', vm, 'gisa', 'freed']],
    value: [[`vm${vm}`, 'gisa']],
  }),
);

export const AlertMaskIsRegisteredIscs = invPerVm(
  'AlertMaskIsRegisteredIscs',
  'interrupt.c kvm_s390_gisc_register/unregister: alert.mask holds exactly the ISCs whose ref_count is non-zero',
  ({ context }, vm) => {
    const g = context.vms[vm]!.gisa;
    return !g.origin || g.mask === registeredMask(g.ref);
  },
  (vm) => ({ context: [['vms', vm, 'gisa', 'origin'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'ref']] }),
);

export const IamRestoredOrKickerArmed = invPerVm(
  'IamRestoredOrKickerArmed',
  'interrupt.c gisa_vcpu_kicker/gisa_get_ipm_or_restore_iam: a GISA that is neither listed nor watched by an armed kicker (nor unlinked by process_gib_alert_list and about to arm it) has IAM == alert.mask, so the next interruption alerts; kvm_s390_gisc_register/unregister update both under gi->alert.ref_lock, so in a fine-grained configuration it holds whenever that lock is free',
  ({ context }, vm) => {
    const g = context.vms[vm]!.gisa;
    return !g.origin || listed(context, vm) || g.timer || galHolds(context, vm) || g.iam === g.mask || !lockFree(context, ref_lock(vm));
  },
  // of the locks, ref_lock of the VM: steps on other locks (vfio_ap's) stay invisible to it
  (vm) => ({ context: [['vms', vm, 'gisa', 'origin'], ['vms', vm, 'gisa', 'timer'], ['vms', vm, 'gisa', 'iam'], ['vms', vm, 'gisa', 'mask'], ['gib', 'list'], lockPath(ref_lock(vm)), ...galHeldPaths] }),
);

export const FreedGisaNotInAlertList = invPerVm(
  'FreedGisaNotInAlertList',
  'f87ef5723536 (kvm_s390_gisa_destroy): IAM 0 and the GISA unlinked before sie_page2 is freed, or process_gib_alert_list walks freed memory',
  ({ context }, vm) => !context.vms[vm]!.gisa.freed || !listed(context, vm),
  (vm) => ({ context: [['vms', vm, 'gisa', 'freed'], ['gib', 'list']] }),
);

export const AlertMaskZeroAtDestroy = inv(
  'AlertMaskZeroAtDestroy',
  'interrupt.c kvm_s390_gisa_destroy: WARN(gi->alert.mask != 0x00) since f87ef5723536; every driver unregisters its GISCs first',
  // the coarse kvm_s390_gisa_destroy records the WARN in the VM's faults, the fine-grained one reports it from its thread (threads.found)
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.DESTROY_WITH_ALERT_MASK)) && !reported(context, FAULT.DESTROY_WITH_ALERT_MASK),
  { context: [['vms', '*', 'faults'], ['vms', 'length'], ['threads', 'found']] }, { stable: true },
);

export const NoGisaUseAfterFree = inv(
  'NoGisaUseAfterFree',
  'kvm-s390.c kvm_arch_destroy_vm frees sie_page2 after kvm_s390_gisa_destroy: no interruption may be made pending in it afterwards (Halil Pasic on the AQIC series)',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISA_WRITE_AFTER_FREE)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const KickerSeesLiveGisa = inv(
  'KickerSeesLiveGisa',
  'interrupt.c kvm_s390_gisa_destroy: hrtimer_cancel(&gi->timer) (which waits for a running callback) comes before gi->origin = NULL, and sie_page2 is freed after, so gisa_vcpu_kicker never dereferences a NULL origin or a freed GISA',
  ({ context }) => !reported(context, FAULT.KICKER_ON_DEAD_GISA),
  { context: [['threads', 'found']] }, { stable: true },
);

export const GalWalkSeesLiveGisa = inv(
  'GalWalkSeesLiveGisa',
  'interrupt.c kvm_s390_gisa_destroy (v6.6+, f87ef5723536): "if (gisa_set_iam(gi->origin, gi->alert.mask)) process_gib_alert_list();" comes before hrtimer_cancel(&gi->timer) and gi->origin = NULL so that no alert-list processing reaches the GISA once the destroy returns (kvm_arch_destroy_vm then frees sie_page2); process_gib_alert_list takes no lock, and a caller on another CPU (gib_alert_irq_handler, or another VM\'s destroy) that cut the list off first holds the GISA in its local origin: its "origin = gisa->next_alert; gisa->next_alert = gisa_phys; kvm = container_of(gisa, struct sie_page2, gisa)->kvm; hrtimer_start(&gi->timer, 0, ...)" must not come after that destroy',
  ({ context }) => !reported(context, FAULT.GAL_WALK_ON_DEAD_GISA),
  { context: [['threads', 'found']] }, { stable: true },
);

/** The program counters of a caller inside process_gib_alert_list's loop, between an xchg(NONE_GISA_ADDR) and its final xchg(NULL_GISA_ADDR). */
const IN_WALK: ReadonlySet<string> = new Set([GAL_AT.xchg, GAL_AT.unlink, GAL_AT.start]);

export const AlertListNotStranded = inv(
  'AlertListNotStranded',
  'interrupt.c process_gib_alert_list: "Cut off the alert list and store the NONE_GISA_ADDR in the alert list origin to avoid further GAL interruptions. A new alert list can be build up by millicode in parallel ... When in the final loop, store the NULL_GISA_ADDR instead. This will re-enable GAL interruptions on the host again": NONE_GISA_ADDR stays in the origin only while some caller is inside the loop that will xchg it again, or an alert millicode enqueues on it raises no GAL interruption and nothing ever takes it (an alert lost between the xchg and the re-enable)',
  ({ value, context }) => context.gib.origin !== 'NONE_GISA_ADDR' || WALKERS.some((w) => IN_WALK.has(region(value, w) as string)),
  { context: [['gib', 'origin']], value: WALKERS.map((w) => [w]) },
);

// Issue 11, GISC register/unregister against alert processing (configurations register-kicker,
// register-unregister-kicker): the two directions of IamRestoredOrKickerArmed, each its own
// kernel promise, so a report says which one an interleaving broke.

/** The GISA of VM vm is in alert processing: listed (the GAL handler will arm the kicker), unlinked by the GAL handler that is about to arm it, or its kicker armed (it restores the IAM). */
const alertProcessing = (c: Parameters<typeof listed>[0], vm: number): boolean => listed(c, vm) || c.vms[vm]!.gisa.timer || galHolds(c, vm);
const alertReads = [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'timer'], ['vms', '*', 'gisa', 'iam'], ['vms', '*', 'gisa', 'mask'], ['gib', 'list'], ['vms', 'length'], ...[0, 1, 2].map((vm) => lockPath(ref_lock(vm))), ...galHeldPaths] as const;

export const RegisteredIscAlerts = inv(
  'RegisteredIscAlerts',
  'interrupt.c kvm_s390_gisc_register: "The effective IAM mask in the GISA is updated as well in case the GISA is not part of the GIB alert list. It will be updated latest when the IAM gets restored by gisa_get_ipm_or_restore_iam()": once register has dropped gi->alert.ref_lock, every ISC in alert.mask alerts (its IAM bit set) unless the GISA is in alert processing (listed, or the kicker armed to restore the IAM), so no interruption of a registered ISC is left without an alert or a kicker',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.origin || (k.gisa.mask & ~k.gisa.iam) === 0 || alertProcessing(context, vm) || !lockFree(context, ref_lock(vm))),
  { context: [...alertReads] },
);

export const NoStaleIamAfterUnregister = inv(
  'NoStaleIamAfterUnregister',
  'interrupt.c kvm_s390_gisc_unregister: "The function reduces the vm specific alert mask to use. The effective IAM mask in the GISA is updated as well in case the GISA is not part of the GIB alert list. It will be updated latest when the IAM gets restored by gisa_get_ipm_or_restore_iam()": once unregister has dropped gi->alert.ref_lock and alert processing has finished (not listed, no kicker armed), no IAM bit of an ISC outside alert.mask is set',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.origin || (k.gisa.iam & ~k.gisa.mask) === 0 || alertProcessing(context, vm) || !lockFree(context, ref_lock(vm))),
  { context: [...alertReads] },
);

// Issue 14 (mutation analysis): properties the mutants showed missing.

export const DestroyedGisaHasNoAlertMask = invPerVm(
  'DestroyedGisaHasNoAlertMask',
  'interrupt.c kvm_s390_gisa_destroy (v6.6+, f87ef5723536): after the WARN on a non-zero alert.mask, gi->alert.mask = 0x00 and gisa_set_iam(gi->origin, 0), then gi->origin = NULL; kvm_s390_gisc_register/unregister return -ENODEV without origin, so nothing sets it again: a destroyed GISA alerts for no ISC',
  ({ context }, vm) => context.vms[vm]!.gisa.origin || context.vms[vm]!.gisa.mask === 0,
  (vm) => ({ context: [['vms', vm, 'gisa', 'origin'], ['vms', vm, 'gisa', 'mask']] }),
);

export const gisaInvariants = [GisaTypeOK, AlertMaskIsRegisteredIscs, IamRestoredOrKickerArmed, FreedGisaNotInAlertList, DestroyedGisaHasNoAlertMask];

// Properties of the PV switch (issue 12, configurations pv-switch and pv-use-gisa-cleared).

export const GisaInitNotListed = inv(
  'GisaInitNotListed',
  'interrupt.c kvm_s390_gisa_init: memset(gi->origin) and next_alert = the GISA itself assume the GISA is on no alert list; kvm_s390_gisa_enable re-initialising one the GIB list still reaches makes that list end in a self-loop (process_gib_alert_list: origin = gisa->next_alert never ends) and drops the GISAs behind it',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISA_INIT_WHILE_LISTED)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] },
);

// Issue 14: step postconditions. A state invariant cannot say what one step did, so the actions
// of the gisa and vcpu regions run their kernel function inside `ghostLedger`, which snapshots
// the VM before, compares after, and records an unbalanced step as a ghost FAULT bit that the
// properties below read. The ledger is harness code (this file is not mutated): what it expects
// is what the kernel function's documentation and callers say, not what the model computes.

/** The parts of one VM a step postcondition compares. */
interface Snap {
  origin: boolean;
  ipm: number;
  iam: number;
  mask: number;
  timer: boolean;
  freed: boolean;
  listed: boolean;
  pv: boolean;
  ref: number[];
  /** iictl, fenced, cont: undefined for a vcpu without iictl (not PV); one shape for every vcpu, no object spread per step */
  vcpus: { inSie: boolean; pswIo: boolean; cr6: number; idle: boolean; kicked: boolean; stopped: boolean; iictl: number | undefined; fenced: boolean | undefined; cont: boolean | undefined }[];
}

function snap(c: SystemContext, vm: number): Snap {
  const k = c.vms[vm]!;
  const g = k.gisa;
  return {
    origin: g.origin, ipm: g.ipm, iam: g.iam, mask: g.mask, timer: g.timer, freed: g.freed, listed: listed(c, vm), pv: !!k.pv, ref: [...g.ref],
    vcpus: k.vcpus.map((v) => {
      const pv = v.iictl !== undefined;
      return { inSie: v.inSie, pswIo: v.pswIo, cr6: v.cr6, idle: v.idle, kicked: v.kicked, stopped: v.stopped, iictl: v.iictl, fenced: pv ? !!v.fenced : undefined, cont: pv ? !!v.cont : undefined };
    }),
  };
}

/** The step kinds the ledger knows; each action names its kind. */
export type LedgerOp =
  | 'airq' | 'inject' | 'deliver' | 'stosm' | 'tpi' | 'tac' | 'clear' | 'getall' | 'frame' | 'kicker' | 'restore'
  | 'pv-enable' | 'pv-disable' | 'wait' | 'check-block' | 'stop' | 'start' | 'post-run' | 'register' | 'unregister'
  | 'stnsm' | 'lctl' | 'reset' | 'aen';

interface LedgerEvent {
  type: string;
  vm?: number;
  vcpu?: number;
  isc?: number;
  outcome?: string;
  cr6?: number;
}

const bitOf = (isc: number) => 0x80 >> isc;
const lowest = (d: number): number => {
  for (let isc = 0; isc < 8; isc++) if (d & bitOf(isc)) return isc;
  return -1;
};
const popcount = (x: number): number => {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
};

/**
 * Issue 12: the ISC whose delivery writes the guest lowcore when vcpu_pre_run's event says it is not accessible (outcome
 * lowcore-fault): the highest-priority one the PSW and CR6 allow; -1 when there is no such event or nothing to deliver
 * (no lowcore write, no fault).
 */
function lowcoreFaultIsc(b: Snap, e: LedgerEvent, vcpu: number): number {
  const v = b.vcpus[vcpu];
  if (e.outcome !== 'lowcore-fault' || !v || !b.origin || !v.pswIo) return -1;
  return lowest(b.ipm & v.cr6);
}

/** The vcpus whose I/O PSW mask went from enabled to disabled in the step: an I/O interruption presented by PSW swap. */
function swapped(b: Snap, a: Snap): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.vcpus.length; i++) if (b.vcpus[i]!.pswIo && !a.vcpus[i]!.pswIo) out.push(i);
  return out;
}
const pswEnabledBy = (b: Snap, a: Snap) => b.vcpus.some((v, i) => !v.pswIo && a.vcpus[i]!.pswIo);

/**
 * An adapter interruption on `bit` arriving (millicode, or __inject_io): SIE presents it at once to
 * one vcpu in SIE enabled for it (a PSW swap), or it is pending in the IPM; nothing else in the IPM
 * moves. `takeClears`: __inject_io sets the bit and SIE presents the pending bit (it leaves the IPM).
 */
function arrives(b: Snap, a: Snap, bit: number, takeClears: boolean): boolean {
  const takers = b.vcpus.flatMap((v, i) => (v.inSie && v.pswIo && v.cr6 & bit ? [i] : []));
  const sw = swapped(b, a);
  if (pswEnabledBy(b, a)) return false;
  if (takers.length === 0) return sw.length === 0 && a.ipm === (b.ipm | bit);
  if (sw.length !== 1 || !takers.includes(sw[0]!)) return false;
  return takeClears ? (a.ipm & ~bit) === (b.ipm & ~bit) : a.ipm === b.ipm;
}

/** Presentation by PSW swap to vcpu i (__deliver_io): the highest-priority ISC its PSW and CR6 allow leaves the IPM, and I/O is disabled; else nothing. */
function presents(b: Snap, a: Snap, i: number, psw: boolean): boolean {
  const v = b.vcpus[i]!;
  const d = b.origin && psw ? b.ipm & v.cr6 : 0;
  if (!d) return a.ipm === b.ipm && a.vcpus[i]!.pswIo === psw;
  return a.ipm === (b.ipm & ~bitOf(lowest(d))) && !a.vcpus[i]!.pswIo;
}

/** The IPM and interruption bookkeeping of one step (FAULT.IRQ_LEDGER when it does not balance). */
function irqLedger(op: LedgerOp, b: Snap, a: Snap, e: LedgerEvent, vcpu: number, rc: unknown, raised: readonly LedgerEvent[]): boolean {
  const bit = e.isc !== undefined && e.isc >= 0 && e.isc < 8 ? bitOf(e.isc) : 0;
  switch (op) {
    case 'airq': {
      // interrupt.c header / GIB cover letter: the adapter sets the IPM bit (or SIE takes it); a freed page is NoGisaUseAfterFree's
      if (b.freed) return true;
      if (!arrives(b, a, bit, false)) return false;
      // and it alerts when it is left pending with its IAM bit set: the IAM cleared, the GISA enqueued on the GIB alert list, a GAL
      // interruption (gisa_alert) when it was not listed; otherwise the IAM and the list stay (README assumptions)
      const alerts = raised.filter((x) => x.type === 'gisa_alert').length;
      const taken = swapped(b, a).length > 0;
      if (!taken && b.iam & bit) return a.iam === 0 && a.listed && alerts === (b.listed ? 0 : 1);
      return a.iam === b.iam && a.listed === b.listed && alerts === 0;
    }
    case 'inject':
      // interrupt.c __inject_io: gisa_set_ipm_gisc when gi->origin, else the float list (not modelled); returns 0
      if (rc !== 0) return false;
      // kvm_s390_inject_vm -> __inject_vm: then __floating_irq_kick wakes the first vcpu of idle_mask (whatever its PSW and CR6), none when no vcpu is idle
      if (!kicksFirstIdle(b, raised)) return false;
      return b.origin ? arrives(b, a, bit, true) : a.ipm === b.ipm && swapped(b, a).length === 0;
    case 'aen':
      // interrupt.c aen_host_forward (issue 12): gisa_set_ipm_gisc (SIE presents it to a vcpu in SIE enabled for it), then
      // hrtimer_cancel + hrtimer_start(&gi->timer, 0): the kicker armed; no alert (the IAM and the alert list untouched), nobody woken here
      if (!b.origin) return true;
      return arrives(b, a, bit, true) && a.timer && a.iam === b.iam && a.listed === b.listed && raised.length === 0;
    case 'deliver': {
      // kvm-s390.c vcpu_pre_run -> kvm_s390_deliver_pending_interrupts -> __deliver_io
      const lost = lowcoreFaultIsc(b, e, vcpu);
      if (lost < 0) return !rc && presents(b, a, vcpu, b.vcpus[vcpu]!.pswIo);
      // issue 12: the guest lowcore not accessible: __do_deliver_io fails, nothing presented (gpsw kept); the ISC leaves the
      // IPM (gisa_tac_ipm_gisc came first) or stays (a re-inject would do): never silently, KVM_RUN returns -EFAULT
      const kept = a.ipm === b.ipm || a.ipm === (b.ipm & ~bitOf(lost));
      return rc === EFAULT_ && kept && swapped(b, a).length === 0 && !pswEnabledBy(b, a);
    }
    case 'stosm':
      // the guest enables I/O in SIE: SIE presents what is now deliverable
      return presents(b, a, vcpu, true);
    case 'stnsm':
    case 'reset':
      // the guest's STNSM, the initial reset: I/O off in this vcpu's PSW, nothing presented, the IPM alone
      return a.ipm === b.ipm && !a.vcpus[vcpu]!.pswIo && b.vcpus.every((v, i) => i === vcpu || v.pswIo === a.vcpus[i]!.pswIo);
    case 'lctl':
      // the guest loads CR6: what the new CR6 and the PSW enable is presented (SIE, or __deliver_io at the re-entry)
      return presents({ ...b, vcpus: b.vcpus.map((v, i) => (i === vcpu ? { ...v, cr6: e.cr6 ?? 0 } : v)) }, a, vcpu, b.vcpus[vcpu]!.pswIo);
    case 'tpi': {
      // priv.c handle_tpi -> kvm_s390_get_io_int(gcr[6]): the highest-priority ISC of CR6, test-and-cleared (cc 1); on a failed store
      // kvm_s390_reinject_io_int sets it again and kicks (cc 1); a failed kzalloc sets it again (cc 0); nothing pending: cc 0
      if (swapped(b, a).length > 1 || pswEnabledBy(b, a)) return false;
      const d = b.origin ? b.ipm & b.vcpus[vcpu]!.cr6 : 0;
      if (!d) return rc === 0 && a.ipm === b.ipm && swapped(b, a).length === 0;
      const got = bitOf(lowest(d));
      switch (e.outcome ?? 'stored') {
        case 'stored':
          return rc === 1 && a.ipm === (b.ipm & ~got) && swapped(b, a).length === 0;
        case 'store-fails':
          // issue 12: kvm_s390_reinject_io_int is __inject_vm, so __floating_irq_kick follows as for kvm_s390_inject_vm
          return rc === 1 && kicksFirstIdle(b, raised) && arrives({ ...b, ipm: b.ipm & ~got }, a, got, true);
        default:
          return rc === 0 && a.ipm === b.ipm && swapped(b, a).length === 0;
      }
    }
    case 'tac':
      // interrupt.c gisa_tac_ipm_gisc (as __deliver_io takes one ISC)
      return a.ipm === (b.ipm & ~bit);
    case 'clear':
      // interrupt.c kvm_s390_gisa_clear: gisa_clear_ipm when gi->origin
      return a.ipm === (b.origin ? 0 : b.ipm);
    case 'getall':
      // interrupt.c get_all_floating_irqs: every IPM bit test-and-cleared into the buffer, one irq each
      return a.ipm === (b.origin ? 0 : b.ipm) && rc === (b.origin ? popcount(b.ipm) : 0);
    case 'pv-enable':
    case 'pv-disable':
      // the memset of a re-initialised GISA clears the IPM (PvSwitchLeavesGisa says when); otherwise no IPM change
      return swapped(b, a).length === 0 && (a.ipm === b.ipm || a.ipm === 0);
    default:
      // every other step of these regions leaves the IPM alone and presents nothing
      return a.ipm === b.ipm && swapped(b, a).length === 0;
  }
}

const EINVAL_ = -22;
const EIO_ = -5;
const EFAULT_ = -14;
const ENODEV_ = -19;
const ERANGE_ = -34;
/** gib->nisc, what kvm_s390_gisc_register returns (GAL_ISC). */
const NISC = 5;

function kicksFirstIdle(b: Snap, raised: readonly LedgerEvent[]): boolean {
  const first = b.vcpus.findIndex((v) => v.idle);
  const wakeups = raised.filter((x) => x.type === 'kvm_s390_vcpu_wakeup');
  return first < 0 ? wakeups.length === 0 : wakeups.length === 1 && wakeups[0]!.vcpu === first;
}

/**
 * kvm_s390_gisc_register / kvm_s390_gisc_unregister (interrupt.c, v6.17-rc4), FAULT.GISC_STEP_POST: -ENODEV without
 * gi->origin, -ERANGE for gisc > MAX_ISC, unregister -EINVAL on ref_count 0, each changing nothing; else ref_count[gisc]
 * one up (register, returning gib->nisc) or down (0), the ISC in alert.mask exactly while its count is non-zero, and
 * (upstream: gisa_set_iam(gi->origin, gi->alert.mask) on 0 <-> 1, refused while listed) the IAM following.
 */
function giscPost(op: LedgerOp, b: Snap, a: Snap, e: LedgerEvent, rc: unknown, upstream: boolean): boolean {
  const isc = e.isc ?? -1;
  const unchanged = a.mask === b.mask && a.iam === b.iam && a.ref.every((r, i) => r === b.ref[i]);
  if (!b.origin) return rc === ENODEV_ && unchanged;
  if (isc > 7 || isc < 0) return rc === ERANGE_ && unchanged;
  const bit = bitOf(isc);
  const others = a.ref.every((r, i) => i === isc || r === b.ref[i]);
  const before = b.ref[isc] ?? 0;
  if (op === 'unregister' && before === 0) return rc === EINVAL_ && unchanged;
  const after = op === 'register' ? before + 1 : before - 1;
  if (!others || a.ref[isc] !== after) return false;
  if (op === 'register' ? rc !== NISC : rc !== 0) return false;
  const edge = op === 'register' ? before === 0 : after === 0;
  const mask = edge ? (op === 'register' ? b.mask | bit : b.mask & ~bit) : b.mask;
  if (a.mask !== mask) return false;
  if (!upstream) return true;
  return a.iam === (edge && !b.listed ? mask : b.iam);
}

/** kvm_s390_gisa_init as kvm_s390_gisa_enable runs it: origin set, the GISA memset (IPM 0), IAM = alert.mask (both 0 upstream), the timer not armed. */
const fresh = (a: Snap) => a.origin && a.ipm === 0 && a.iam === a.mask && !a.timer;
const same = (b: Snap, a: Snap) => a.origin === b.origin && a.ipm === b.ipm && a.iam === b.iam && a.mask === b.mask && a.timer === b.timer && a.listed === b.listed && a.pv === b.pv;

// kvm-s390.c kvm_s390_cpus_from_pv: "if (use_gisa) kvm_s390_gisa_enable(kvm)"; interrupt.c kvm_s390_gisa_enable re-initialises only a GISA without origin
// (module level, not a closure per call: esbuild's keepNames names each closure with a defineProperty)
const fromPv = (x: { origin: boolean; ipm: number }, a: Snap, exitEnables: boolean) => (exitEnables && !x.origin ? fresh(a) : a.origin === x.origin && (!x.origin || a.ipm === x.ipm));

/** KVM_PV_ENABLE / KVM_PV_DISABLE (FAULT.PV_SWITCH_POST when the GISA is left otherwise). */
function pvPost(op: LedgerOp, b: Snap, a: Snap, e: LedgerEvent, c: SystemContext, rc: unknown): boolean {
  const p = c.params;
  const exitEnables = (p.useGisaAtPvExit ?? p.useGisa ?? true) && (p.aiv ?? true);
  // kvm-s390.c kvm_s390_cpus_to_pv: without BIT_UV_FEAT_AIV kvm_s390_gisa_disable -> kvm_s390_gisa_destroy: alert.mask 0, unlinked (process_gib_alert_list on -EBUSY), timer cancelled, origin NULL
  const disabled = !a.origin && a.mask === 0 && !a.timer && !a.listed;
  const uvAiv = p.uvAiv ?? true;
  if (op === 'pv-enable') {
    // kvm_s390_handle_pv KVM_PV_ENABLE: "r = -EINVAL; if (kvm_s390_pv_is_protected(kvm)) break;"
    if (b.pv) return rc === EINVAL_ && same(b, a);
    if (e.outcome !== 'create-fails') return rc === 0 && a.pv && (uvAiv ? same({ ...b, pv: true }, a) : !b.origin || disabled);
    // a vcpu's kvm_s390_pv_create_cpu fails: kvm_s390_cpus_from_pv undoes the switch, -EIO, the VM not protected
    return rc === EIO_ && !a.pv && (uvAiv ? fromPv(b, a, exitEnables) : fromPv({ origin: false, ipm: 0 }, a, exitEnables));
  }
  // KVM_PV_DISABLE: "r = -EINVAL; if (!kvm_s390_pv_is_protected(kvm)) break;", then kvm_s390_cpus_from_pv
  if (!b.pv) return rc === EINVAL_ && same(b, a);
  return rc === 0 && !a.pv && fromPv(b, a, exitEnables);
}

/** The highest-priority ISC (the lowest number) of an IPM-ordered mask (bit 0x80 >> isc), or -1 (IICTL_CODE_NONE: nothing). */
function highestPriorityIsc(mask: number): number {
  for (let isc = 0; isc <= MAX_ISC; isc++) if (mask & (0x80 >> isc)) return isc;
  return -1;
}

/** The vcpu run loop's steps (FAULT.VCPU_STEP_POST). `upstream`: the design clears kicked_mask in kvm_arch_vcpu_runnable. */
function vcpuPost(op: LedgerOp, b: Snap, a: Snap, i: number, upstream: boolean, e: LedgerEvent): boolean {
  const vb = b.vcpus[i];
  const va = a.vcpus[i];
  if (!vb || !va) return true;
  // kvm_arch_vcpu_runnable -> kvm_s390_vcpu_has_irq with the enabled wait PSW: a GISA ISC of CR6 is pending
  const runnable = b.origin && (b.ipm & vb.cr6) !== 0;
  switch (op) {
    case 'wait':
      // interrupt.c kvm_s390_handle_wait: "if (kvm_arch_vcpu_runnable(vcpu)) return 0;" ... __set_cpu_idle; kvm_vcpu_halt: halts only when
      // not runnable, and with nothing pending at all it halts (the IAM restore finds nothing)
      if (!(!va.inSie && va.pswIo && (!va.idle || !runnable) && (runnable || b.ipm !== 0 || va.idle))) return false;
      // upstream the IAM moves only in "if (gi->origin && (gisa_get_ipm_or_restore_iam(gi) & gcr[6] >> 24)) return 0;" after the fast
      // path: IAM = alert.mask when no alert-mask ISC is pending (the GIB v4 restore before the halt is not upstream's)
      return !upstream || a.iam === (runnable || !b.origin || (b.ipm & b.mask) !== 0 ? b.iam : b.mask);
    case 'check-block':
      // kvm_main.c kvm_vcpu_check_block: < 0 (leave the halt, __unset_cpu_idle) exactly when kvm_arch_vcpu_runnable; upstream clears kicked_mask there
      return va.idle === !runnable && (!upstream || !va.kicked);
    case 'deliver':
      // issue 12: a failed delivery: "if (rc || guestdbg_exit_pending(vcpu)) return rc;" before the clear_bit: KVM_RUN ends, no SIE
      if (lowcoreFaultIsc(b, e, i) >= 0) return !va.inSie && !va.idle && va.kicked === vb.kicked;
      // issue 19 (a PV vcpu): kvm_s390_deliver_pending_interrupts -> deliverable_irqs reads KVM's copy of the PSW (fenced after
      // ICPT_PV_INSTR / ICPT_PV_PREF and at start: I/O off) and gcr[6]; __deliver_io -> __do_deliver_io of the highest-priority
      // pending ISC sets sie_block->iictl = IICTL_CODE_IO, and with iictl busy deliverable_irqs masks the I/O class: the entry
      // carries exactly that injection (the ultravisor presents it), or none when the copy or CR6 allows nothing
      if (vb.iictl !== undefined && va.iictl !== (vb.iictl >= 0 ? vb.iictl : highestPriorityIsc(b.origin && vb.pswIo && !vb.fenced ? b.ipm & vb.cr6 : 0))) return false;
      // kvm-s390.c vcpu_pre_run: clear_bit(vcpu_idx, gi->kicked_mask), then SIE entry
      return va.inSie && !va.kicked && !va.idle;
    case 'post-run':
      // kvm-s390.c vcpu_post_run: the vcpu left SIE; upstream it does not touch the GISA (the GIB v2/v3 IAM restore when the last vcpu leaves SIE is not upstream's)
      // a PV vcpu (issue 12): the exit consumed the injection (iictl NONE), and __vcpu_run fences the refreshed PSW copy exactly after
      // ICPT_PV_INSTR / ICPT_PV_PREF, whose next entry is a continuation
      if (va.iictl !== undefined && (va.iictl !== -1 || va.fenced !== (e.type === 'ICPT_PV_INSTR') || va.cont !== (e.type === 'ICPT_PV_INSTR'))) return false;
      return !va.inSie && (!upstream || a.iam === b.iam);
    case 'start':
      // kvm_s390_vcpu_start: CPUSTAT_STOPPED cleared; a PV vcpu's PSW copy fenced ("let the next sie exit refresh our view")
      return !va.stopped && (va.fenced === undefined || va.fenced);
    case 'lctl':
      // priv.c kvm_s390_handle_lctl: gcr[6] is the loaded value
      return va.cr6 === e.cr6;
    case 'reset':
      // kvm-s390.c kvm_arch_vcpu_ioctl_initial_reset: gpsw.mask = 0, gcr[6] = 0, the vcpu stays stopped (user_cpu_state_ctrl)
      return !va.pswIo && va.cr6 === 0 && va.stopped;
    case 'stop':
      // kvm_s390_vcpu_stop: CPUSTAT_STOPPED set; a halted vcpu leaves kvm_vcpu_block first (__unset_cpu_idle)
      return va.stopped && !va.idle && (!upstream || !vb.idle || !va.kicked);
    default:
      return true;
  }
}

/**
 * gisa_vcpu_kicker and gisa_get_ipm_or_restore_iam (interrupt.c, v6.17-rc4), FAULT.KICKER_STEP_POST:
 * `pending_mask = gisa_get_ipm_or_restore_iam(gi)` is the IPM ISCs of alert.mask, and when there are
 * none the one cmpxchg makes IAM = alert.mask; the kicker then returns HRTIMER_NORESTART (the timer
 * stops) with nothing kicked, else `__airqs_kick_single_vcpu(kvm, pending_mask); hrtimer_forward_now();
 * return HRTIMER_RESTART` (the timer stays armed, the IAM untouched): the first vcpu of idle_mask
 * (vcpu_idx order) whose PSW enables I/O (psw_ioint_disabled) and whose gcr[6] holds a pending ISC is
 * the one; `if (test_and_set_bit(vcpu_idx, gi->kicked_mask)) return; kvm_s390_vcpu_wakeup(vcpu)`:
 * its kicked_mask bit set and it alone woken, or nobody when it was kicked already or none fits.
 */
/** Every vcpu's kicked_mask bit unchanged but `except`'s. */
const kickedKept = (a: Snap, b: Snap, except: number) => a.vcpus.every((v, i) => i === except || v.kicked === b.vcpus[i]!.kicked);
function kickerPost(op: LedgerOp, b: Snap, a: Snap, rc: unknown, raised: readonly LedgerEvent[]): boolean {
  if (!b.origin || b.freed) return true; // container_of(gi->origin): KickerSeesLiveGisa's business
  const pending = b.ipm & b.mask;
  if (op === 'restore') return rc === pending && a.iam === (pending ? b.iam : b.mask);
  const wakeups = raised.filter((x) => x.type === 'kvm_s390_vcpu_wakeup');
  if (!pending) return a.iam === b.mask && !a.timer && wakeups.length === 0 && kickedKept(a, b, -1);
  if (!a.timer || a.iam !== b.iam) return false;
  const target = b.vcpus.findIndex((v) => v.idle && v.pswIo && (v.cr6 & pending) !== 0);
  if (target < 0 || b.vcpus[target]!.kicked) return wakeups.length === 0 && kickedKept(a, b, -1);
  return a.vcpus[target]!.kicked && kickedKept(a, b, target) && wakeups.length === 1 && wakeups[0]!.vcpu === target;
}

/** What a ledger step needs of the machine's kernel table. */
interface LedgerKernel {
  design: { gib: string };
}

/** The events a ledgered step raises, passed on to the step's own effects (a class: tsx wraps a closure made per step in __name). */
class LedgerRaised {
  readonly raised: LedgerEvent[] = [];
  constructor(private readonly fx: { raise(e: never): void }) {}
  raise(x: never): void {
    this.raised.push(x as LedgerEvent);
    this.fx.raise(x);
  }
}

/**
 * Runs `fn` (an action's kernel call, returning its return value) and checks the step's
 * postconditions on the VM `ix.vm` (or the event's): FAULT.IRQ_LEDGER, PV_SWITCH_POST, VCPU_STEP_POST.
 * Reads and writes the raw context (probe.unwrap), so the footprint verification sees only the kernel function.
 */
export function ghostLedger<C extends SystemContext, E, I extends { vm?: number; vcpu?: number }, F extends { raise(e: never): void }>(
  op: LedgerOp,
  k: LedgerKernel,
  fn: (c: C, e: E, ix: I, fx: F) => unknown,
): (c: C, e: E, ix: I, fx: F) => void {
  return (c, e, ix, fx) => {
    const raw = probe.unwrap(c);
    const ev = e as unknown as LedgerEvent;
    const vm = ix.vm ?? ev.vm ?? 0;
    const vcpu = ix.vcpu ?? ev.vcpu ?? 0;
    if (!raw.vms[vm]) return void fn(c, e, ix, fx);
    const b = snap(raw, vm);
    const rec = new LedgerRaised(fx);
    const rc = fn(c, e, ix, rec as unknown as F);
    const raised = rec.raised;
    const a = snap(raw, vm);
    let bits = 0;
    if (!irqLedger(op, b, a, ev, vcpu, rc, raised)) bits |= FAULT.IRQ_LEDGER;
    if ((op === 'register' || op === 'unregister') && !giscPost(op, b, a, ev, rc, k.design.gib === 'upstream')) bits |= FAULT.GISC_STEP_POST;
    if ((op === 'pv-enable' || op === 'pv-disable') && !pvPost(op, b, a, ev, raw, rc)) bits |= FAULT.PV_SWITCH_POST;
    if (!vcpuPost(op, b, a, vcpu, k.design.gib === 'upstream', ev)) bits |= FAULT.VCPU_STEP_POST;
    if ((op === 'kicker' || op === 'restore') && !kickerPost(op, b, a, rc, raised)) bits |= FAULT.KICKER_STEP_POST;
    if (bits) raw.vms[vm]!.faults |= bits;
  };
}

export const AdapterInterruptionLedger = inv(
  'AdapterInterruptionLedger',
  'interrupt.c, the GISA IPM as a ledger of adapter interruptions: one made pending (the adapter through millicode; __inject_io -> gisa_set_ipm_gisc; aen_host_forward -> gisa_set_ipm_gisc, which also restarts the kicker at 0) is presented at once to a vcpu in SIE enabled for it or its IPM bit is set; it leaves the IPM only when presented (__deliver_io: gisa_tac_ipm_gisc and the PSW swap of the highest-priority deliverable ISC; priv.c handle_tpi -> kvm_s390_get_io_int: get_top_gisa_isc, set again by gisa_set_ipm_gisc on a failed kzalloc and by kvm_s390_reinject_io_int on a failed store) or cleared (kvm_s390_gisa_clear; get_all_floating_irqs, one irq copied per bit); every other step leaves the IPM alone: nothing lost, nothing duplicated',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.IRQ_LEDGER)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const PvSwitchLeavesGisa = inv(
  'PvSwitchLeavesGisa',
  'kvm-s390.c kvm_s390_handle_pv: KVM_PV_ENABLE answers -EINVAL on a protected VM; kvm_s390_cpus_to_pv without BIT_UV_FEAT_AIV runs kvm_s390_gisa_disable (interrupt.c kvm_s390_gisa_destroy: alert.mask 0, unlinked, hrtimer_cancel, gi->origin NULL) and, when a vcpu\'s kvm_s390_pv_create_cpu fails, kvm_s390_cpus_from_pv and -EIO (not protected); KVM_PV_DISABLE answers -EINVAL on a VM not protected, else kvm_s390_cpus_from_pv: with use_gisa kvm_s390_gisa_enable re-runs kvm_s390_gisa_init (origin set, GISA memset: IPM 0, IAM = alert.mask, timer idle)',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.PV_SWITCH_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const VcpuStepPostcondition = inv(
  'VcpuStepPostcondition',
  'interrupt.c kvm_s390_handle_wait halts (__set_cpu_idle, kvm_vcpu_halt) only when not kvm_arch_vcpu_runnable, and does when nothing is pending; upstream it changes the IAM only through gisa_get_ipm_or_restore_iam after the fast path (IAM = alert.mask when no alert-mask ISC is pending), and vcpu_post_run does not touch it; kvm_main.c kvm_vcpu_check_block leaves the halt exactly when kvm_arch_vcpu_runnable (which clears the kicked_mask bit upstream, 9b57e9d5010b); kvm-s390.c vcpu_pre_run clears kicked_mask and enters SIE; kvm_s390_vcpu_start/stop set CPUSTAT_STOPPED as named, a halted vcpu leaving kvm_vcpu_block first; priv.c kvm_s390_handle_lctl loads gcr[6] as the guest gave it; kvm_arch_vcpu_ioctl_initial_reset leaves gpsw.mask 0 (I/O disabled) and gcr[6] 0 (Documentation/virt/kvm/api.rst KVM_S390_INITIAL_RESET: the initial CPU reset of the Principles of Operation) and the vcpu stopped',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.VCPU_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const GiscRegisterStep = inv(
  'GiscRegisterStep',
  'interrupt.c kvm_s390_gisc_register: -ENODEV without gi->origin, -ERANGE for gisc > MAX_ISC, else under gi->alert.ref_lock ref_count[gisc]++, on 0 -> 1 alert.mask |= 0x80 >> gisc and gisa_set_iam(gi->origin, alert.mask), and it returns gib->nisc; kvm_s390_gisc_unregister: the same refusals, -EINVAL when ref_count[gisc] is 0, else ref_count[gisc]--, on 1 -> 0 the ISC leaves alert.mask and gisa_set_iam, and 0',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISC_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const KickerStepPostcondition = inv(
  'KickerStepPostcondition',
  'interrupt.c gisa_vcpu_kicker: pending_mask = gisa_get_ipm_or_restore_iam(gi) (the IPM ISCs of alert.mask; none: the cmpxchg sets IAM = alert.mask and the callback returns HRTIMER_NORESTART, nobody kicked); else __airqs_kick_single_vcpu(kvm, pending_mask), hrtimer_forward_now, HRTIMER_RESTART (armed, IAM untouched): the first vcpu of idle_mask with I/O enabled in its PSW (psw_ioint_disabled) and a pending ISC in gcr[6] gets test_and_set_bit(kicked_mask) and, unless the bit was set already, kvm_s390_vcpu_wakeup; no other vcpu is kicked or woken',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.KICKER_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

gisaInvariants.push(AdapterInterruptionLedger, PvSwitchLeavesGisa, GiscRegisterStep, KickerStepPostcondition, GisaThreadStepPostcondition);

/** `kernel(ghostLedger(op, k, fn))`: an action whose step the ledger checks (one wrapper call, so the mutation analysis names `fn` after its action). */
export function ledgered(op: LedgerOp, k: LedgerKernel, fn: (c: SystemContext, e: SpecEvent, ix: Ix, fx: Effects) => unknown): CoreAction {
  return kernel(ghostLedger(op, k, fn));
}

// Issue 12 (branch pvswitch): the PV switch against the GISA's users, statement by statement
// (configurations pv-enable-unregister and pv-enable-pqap; machines/gisa/kvm_s390_pv.threads.ts).

export const GiscCallSeesGisa = inv(
  'GiscCallSeesGisa',
  'interrupt.c kvm_s390_gisc_register/unregister: "Returns: ... -ENODEV in case the vm uses no GISA": a VM whose GISA a PV switch disabled (kvm_s390_gisa_disable -> kvm_s390_gisa_destroy: gi->origin = NULL) gets -ENODEV, never gisa_set_iam through the NULL gi->origin',
  ({ context }) => !reported(context, FAULT.GISA_NULL_ORIGIN_USE),
  { context: [['threads', 'found']] }, { stable: true },
);

export const EcaAivImpliesGisa = inv(
  'EcaAivImpliesGisa',
  'kvm-s390.c kvm_s390_vcpu_setup sets ECA_AIV only with a GISA descriptor (gd); interrupt.c kvm_s390_gisa_disable clears ECA_AIV and gd of every vcpu before kvm_s390_gisa_destroy, kvm_s390_gisa_enable sets gi->origin before them; vfio_ap handle_pqap relies on it ("If we do not use the AIV facility just go to userland"): a vcpu with ECA_AIV has a GISA',
  ({ context }) => context.vms.every((k) => k.aiv !== true || k.gisa.origin),
  { context: [['vms', '*', 'aiv'], ['vms', '*', 'gisa', 'origin'], ['vms', 'length']] },
);

export const PvEnableDisablesGisa = inv(
  'PvEnableDisablesGisa',
  'kvm-s390.c kvm_s390_cpus_to_pv: "Disable the GISA if the ultravisor does not support AIV." (kvm_s390_gisa_disable): once KVM_PV_ENABLE has returned (the pv thread done), gi->origin is NULL and the vcpu has no ECA_AIV',
  ({ value, context }) => (value as Record<string, unknown>).pv !== 'done' || context.vms.every((k) => !k.gisa.origin && k.aiv !== true),
  { value: [['pv']], context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'aiv'], ['vms', 'length']] },
);

export const PvDisableReinitialisesGisa = inv(
  'PvDisableReinitialisesGisa',
  'kvm-s390.c kvm_s390_cpus_from_pv: "Ensure that we re-enable gisa if the non-PV guest used it but the PV guest did not." (use_gisa: kvm_s390_gisa_enable -> kvm_s390_gisa_init: gi->origin set, alert.mask = 0, memset of the GISA): once KVM_PV_DISABLE has returned (the pv thread done), the GISA is enabled with IPM and IAM 0 and no alert mask (nothing here registers)',
  ({ value, context }) => (value as Record<string, unknown>).pv !== 'done' || context.vms.every((k) => k.gisa.origin && k.gisa.ipm === 0 && k.gisa.iam === 0 && k.gisa.mask === 0),
  { value: [['pv']], context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'ipm'], ['vms', '*', 'gisa', 'iam'], ['vms', '*', 'gisa', 'mask'], ['vms', 'length']] },
);

// Issue 12: KVM_CREATE_VCPU while KVM_PV_ENABLE runs (configuration pv-enable-create-vcpu;
// machines/gisa/kvm_s390_pv.threads.ts kvm_vm_ioctl_create_vcpu). Both read the created vcpu once it is online
// and only while kvm->lock is free: every writer of its gd and PV state after it is online holds kvm->lock.

const kvmLockOf = (vm: number) => mutex('kvm->lock', vm);

export const OnlineVcpuGdFollowsGisa = inv(
  'OnlineVcpuGdFollowsGisa',
  'interrupt.c kvm_s390_gisa_disable: every vcpu\'s "eca &= ~ECA_AIV; gd = 0U" before kvm_s390_gisa_destroy (gi->origin = NULL); kvm_s390_gisa_enable: "gd = kvm_s390_get_gisa_desc(kvm)" and ECA_AIV for every vcpu after kvm_s390_gisa_init; kvm-s390.c kvm_arch_vcpu_create: "gd = kvm_s390_get_gisa_desc(vcpu->kvm)", kvm_s390_vcpu_setup: ECA_AIV "if (vcpu->arch.sie_block->gd)": whenever kvm->lock is free, an online vcpu\'s gd names the GISA (and ECA_AIV is set) exactly when gi->origin does',
  ({ context }) => context.vms.every((k, vm) => !k.created?.online || k.created.gd === k.gisa.origin || !lockFree(context, kvmLockOf(vm))),
  { context: [['vms', '*', 'created'], ['vms', '*', 'gisa', 'origin'], ['vms', 'length'], lockPath(kvmLockOf(0))] },
);

export const OnlineVcpuPvMatchesVm = inv(
  'OnlineVcpuPvMatchesVm',
  'kvm-s390.c kvm_s390_cpus_to_pv: "Convert all non-protected vCPUs in a protected VM to protected" and kvm_s390_vcpu_setup: "if (kvm_s390_pv_is_protected(vcpu->kvm)) rc = kvm_s390_pv_create_cpu(vcpu, ...)": whenever kvm->lock is free, an online vcpu is a PV cpu exactly when its VM is protected',
  ({ context }) => context.vms.every((k, vm) => !k.created?.online || k.created.pvCpu === (k.pv === true) || !lockFree(context, kvmLockOf(vm))),
  { context: [['vms', '*', 'created'], ['vms', '*', 'pv'], ['vms', 'length'], lockPath(kvmLockOf(0))] },
);

export const CreateVcpuReturnsOnline = inv(
  'CreateVcpuReturnsOnline',
  'kvm_main.c kvm_vm_ioctl_create_vcpu: "Now it\'s all set up, let userspace reach it" (xa_insert, then atomic_inc(&kvm->online_vcpus) before the vcpu fd is returned): once KVM_CREATE_VCPU has returned (the create thread done), its vcpu is online',
  ({ value, context }) => (value as Record<string, unknown>).create !== 'done' || context.vms.every((k) => !k.created || k.created.online),
  { value: [['create']], context: [['vms', '*', 'created'], ['vms', 'length']] },
);

export const ProtectedVmWithoutUvAivHasNoGisa = inv(
  'ProtectedVmWithoutUvAivHasNoGisa',
  'kvm-s390.c kvm_s390_cpus_to_pv: "Disable the GISA if the ultravisor does not support AIV." (kvm_s390_gisa_disable, under kvm->lock with the PV handle set): whenever kvm->lock is free, a protected VM on a host whose ultravisor lacks AIV has gi->origin NULL',
  ({ context }) => (context.params.uvAiv ?? true) || context.vms.every((k, vm) => k.pv !== true || !k.gisa.origin || !lockFree(context, kvmLockOf(vm))),
  { context: [['params', 'uvAiv'], ['vms', '*', 'pv'], ['vms', '*', 'gisa', 'origin'], ['vms', 'length'], lockPath(kvmLockOf(0))] },
);
