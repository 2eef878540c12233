// Issue 14: per-step postconditions of the fine-grained kernel functions (the *.threads.ts steps
// of machines/gisa and machines/vcpu). A state invariant cannot say what one C statement did,
// so the builders of those kernel functions pass their steps through `checkedSteps`, which runs
// each step's body between a snapshot and a comparison and records a step that did not do what
// its C statement does as a ghost FAULT bit (GISA_THREAD_STEP_POST / VCPU_THREAD_STEP_POST) in
// the raw context (probe.unwrap, like ghostLedger: no new context field, so the state counts do
// not move; the bits are read by GisaThreadStepPostcondition / VcpuThreadStepPostcondition).
// What a step must do is written from interrupt.c / kvm-s390.c / kvm_main.c v6.17-rc4 (Kingxukai/linux
// 9b44fff655e2), not from the step bodies; it reads only what the step itself reads or writes, so a
// reordering the partial-order reduction makes cannot change its verdict. This file is harness: it
// is not mutated (src/mutate/scope.ts mutates *.machine.ts, *.kernel.ts and *.threads.ts only).
import { FAULT, iscBit, type SystemContext, type KvmContext } from '../context.ts';
import { probe } from '../../src/check/probe.ts';
import type { Kernel } from '../kernel.ts';
import { cloneDeep, localsBefore, type Branch, type KFunction, type Path, type Raise, type Step, type ThreadView } from '../kthread.ts';
import { inv } from '../invariant-lib.ts';
import { VCPU_PC } from '../vcpu/kvm_vcpu.pc.ts';

type C = SystemContext;

/** What a postcondition sees: the step's VM (and the GIB) before and after, its locals before and after, the branch it took, what it raised, what it reported. */
export interface StepSeen {
  b: { vms: KvmContext[]; gib: C['gib'] };
  a: C;
  lb: Readonly<Record<string, unknown>>;
  l: Readonly<Record<string, unknown>>;
  /** The `goto` of the branch taken, as the step wrote it; undefined for a step without branches (it falls through). */
  taken: string | undefined;
  raised: readonly { type: string; [k: string]: unknown }[];
  /** FAULT bits the step reported through t.report in this step. */
  reported: number;
  t: ThreadView;
}

/** A postcondition per statement (`at`), true when the step did what its C does. */
export type StepPosts = Readonly<Record<string, (s: StepSeen) => boolean>>;

const INNER = Symbol('step body before checkedSteps');

/** The branch a step takes after its body, as kthread.ts evaluates them (first whose `if` holds). */
function takenBranch(next: Step<C>['next'], c: C, t: ThreadView): string | undefined {
  if (next === undefined || typeof next === 'string') return undefined;
  const b = (next as readonly Branch<C>[]).find((x) => !x.if || x.if(c, t));
  return b?.goto;
}

/**
 * `f` with each step named in `posts` checked: its body runs, then the postcondition; a failure
 * sets `bit` in the faults of `vms(t)` (the step's VM, or every VM for the GAL handler).
 * `skip`: kernel functions a step calls through the table; a variant that replaced one of them
 * (k.replaced) runs its own code there, which the upstream postcondition does not describe.
 */
export function checkedSteps(f: KFunction<C>, k: Kernel, bit: number, posts: StepPosts, skip: Readonly<Record<string, readonly string[]>> = {}): KFunction<C> {
  return {
    ...f,
    steps: f.steps.map((s) => {
      const post = posts[s.at];
      if (!post || !s.run || (skip[s.at] ?? []).some((n) => k.replaced.has(n))) return s;
      return { ...s, run: checkedRun(s.run, s.next, bit, post, s.uses), [INNER]: s.run } as Step<C>;
    }),
  };
}

/** The step's Raise, recording what it raises (a class: no function object, named by esbuild's keepNames, is made per step). */
class Recorded implements Raise {
  readonly raised: { type: string; [k: string]: unknown }[] = [];
  constructor(private readonly fx: Raise) {}
  raise(e: { type: string; [k: string]: unknown }): void {
    this.raised.push(e);
    this.fx.raise(e);
  }
}

function checkedRun(run: NonNullable<Step<C>['run']>, next: Step<C>['next'], bit: number, post: (s: StepSeen) => boolean, uses: readonly string[] | undefined): NonNullable<Step<C>['run']> {
  return (c, t, fx) => {
    const raw = probe.unwrap(c);
    // the step's VM only (the GAL handler, with no VM of its own, every VM); the others are not compared
    const b = { vms: raw.vms.map((k, i) => (t.ix.vm === undefined || t.ix.vm === i ? cloneDeep(k) : k)), gib: { ...raw.gib } };
    // the locals before: the step's declared uses (kthread.ts localsBefore; all without a declaration)
    const lb = localsBefore(uses, t.local);
    const found = raw.threads?.found[t.me] ?? 0;
    const rec = new Recorded(fx);
    run(c, t, rec);
    const raised = rec.raised;
    const taken = takenBranch(next, raw, t);
    const reported = (raw.threads?.found[t.me] ?? 0) & ~found;
    // after: the step's own view (a read of a local it neither wrote nor declares fails the footprint verification)
    if (post({ b, a: raw, lb, l: t.local, taken, raised, reported, t })) return;
    const vm = t.ix.vm;
    for (const [i, k] of raw.vms.entries()) if (vm === undefined || vm === i) k.faults |= bit;
  };
}

/** A planted variant's version of a checked step: its original body replaced by `body(inner)`, checked as before. */
export function replantStep(s: Step<C>, bit: number, posts: StepPosts, body: (inner: NonNullable<Step<C>['run']>) => NonNullable<Step<C>['run']>): Step<C> {
  const inner = ((s as unknown as Record<symbol, Step<C>['run']>)[INNER] ?? s.run)!;
  const post = posts[s.at];
  const run = body(inner);
  // a planted body can fail the postcondition, so the step (and each branch that narrows its writes) declares the ghost bit's store
  const faults: Path = ['vms', '*', 'faults'];
  const next = typeof s.next === 'object' ? s.next.map((b) => (b.writes ? { ...b, writes: [...b.writes, faults] } : b)) : s.next;
  return { ...s, writes: [...(s.writes ?? []), faults], ...(next !== undefined ? { next } : {}), run: post ? checkedRun(run, s.next, bit, post, s.uses) : run, [INNER]: run } as Step<C>;
}

// ---- the GISA's steps (kvm_s390_gisa_interrupt.threads.ts), interrupt.c v6.17-rc4 ----

const listedIn = (gib: C['gib'], vm: number) => (gib.list & (1 << vm)) !== 0;
const gisaOf = (x: { vms: KvmContext[] }, vm: number) => x.vms[vm]!.gisa;
const vmOfSeen = (s: StepSeen) => s.t.ix.vm!;
/** The GISA fields and list bit a step of VM vm may change, unchanged but for `except`. */
function gisaSame(s: StepSeen, except: readonly string[] = []): boolean {
  const vm = vmOfSeen(s);
  const gb = gisaOf(s.b, vm) as unknown as Record<string, unknown>;
  const ga = gisaOf(s.a, vm) as unknown as Record<string, unknown>;
  for (const x of GISA_FIELDS) if (gb[x] !== ga[x] && !except.includes(x)) return false;
  return (except.includes('ref') || sameCounts(gb.ref as readonly number[], ga.ref as readonly number[])) && (except.includes('list') || listedIn(s.b.gib, vm) === listedIn(s.a.gib, vm));
}
const GISA_FIELDS = ['origin', 'ipm', 'iam', 'mask', 'timer', 'freed'] as const;
/** Two ref_count arrays with the same JSON (integer counts: element-wise ===). */
function sameCounts(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
/** gi->origin dereferenceable: set and the sie_page2 not freed (container_of(gi->origin) otherwise oopses: KickerSeesLiveGisa). */
const live = (s: StepSeen) => {
  const g = gisaOf(s.b, vmOfSeen(s));
  return g.origin && !g.freed;
};
const noWakeup = (s: StepSeen) => !s.raised.some((e) => e.type === 'kvm_s390_vcpu_wakeup');

/** Labels the kicker's steps jump to. */
export const KICKER_AT = {
  origin: 'container_of(gi->origin)',
  word: 'gisa_get_ipm_or_restore_iam@READ_ONCE(word)',
  mask: 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)',
  cmpxchg: 'gisa_get_ipm_or_restore_iam@try_cmpxchg(word)',
  scan: '__airqs_kick_single_vcpu@for_each_set_bit(idle_mask)',
  testAndSet: '__airqs_kick_single_vcpu@test_and_set_bit(kicked_mask)',
} as const;

/**
 * gisa_vcpu_kicker with gisa_get_ipm_or_restore_iam and __airqs_kick_single_vcpu inlined:
 * `kvm = container_of(gi->origin, ...)->kvm`; `word = READ_ONCE(gi->origin->u64.word[0])` (next_alert,
 * IPM, IAM); `alert_mask = READ_ONCE(gi->alert.mask); pending_mask = (u8)(word >> 24) & alert_mask;
 * if (pending_mask) return pending_mask`; `_word = (word & ~0xffUL) | alert_mask; while (!try_cmpxchg(word[0], &word, _word))`
 * (a failed try_cmpxchg loads the current word and the loop re-reads alert.mask; a swap sets IAM = alert_mask
 * and returns 0: HRTIMER_NORESTART); for_each_set_bit(idle_mask) the first vcpu with I/O enabled and a
 * pending ISC in gcr[6]; `if (test_and_set_bit(vcpu_idx, gi->kicked_mask)) return; kvm_s390_vcpu_wakeup(vcpu)`.
 */
export const kickerPosts: StepPosts = {
  // a dead gi->origin ends the callback (the oops); a live one goes on to the READ_ONCE of word 0
  [KICKER_AT.origin]: (s) => s.l.oops === !live(s) && gisaSame(s) && s.taken === (live(s) ? KICKER_AT.word : 'return'),
  [KICKER_AT.word]: (s) => {
    const g = gisaOf(s.b, vmOfSeen(s));
    if (s.l.oops !== !live(s) || !gisaSame(s) || s.taken !== (live(s) ? KICKER_AT.mask : 'return')) return false;
    return s.l.oops === true || (s.l.w_listed === listedIn(s.b.gib, vmOfSeen(s)) && s.l.w_ipm === g.ipm && s.l.w_iam === g.iam);
  },
  [KICKER_AT.mask]: (s) => {
    const g = gisaOf(s.b, vmOfSeen(s));
    const pending = (s.lb.w_ipm as number) & g.mask;
    return gisaSame(s) && s.l.mask === g.mask && s.l.pending === pending && s.taken === (pending !== 0 ? KICKER_AT.scan : KICKER_AT.cmpxchg);
  },
  [KICKER_AT.cmpxchg]: (s) => {
    const vm = vmOfSeen(s);
    const g = gisaOf(s.b, vm);
    if (!live(s)) return s.l.oops === true && gisaSame(s) && s.taken === 'return';
    const equal = s.lb.w_listed === listedIn(s.b.gib, vm) && s.lb.w_ipm === g.ipm && s.lb.w_iam === g.iam;
    const a = gisaOf(s.a, vm);
    // swapped: IAM = alert_mask (the local read), nothing else of the word; the callback returns HRTIMER_NORESTART
    if (equal) return gisaSame(s, ['iam', 'timer']) && a.iam === s.lb.mask && !a.timer && s.taken === 'return';
    // failed: the current word loaded, nothing written, back to READ_ONCE(alert_mask)
    return gisaSame(s) && s.l.w_listed === listedIn(s.b.gib, vm) && s.l.w_ipm === g.ipm && s.l.w_iam === g.iam && s.taken === KICKER_AT.mask;
  },
  [KICKER_AT.scan]: (s) => {
    const pending = s.lb.pending as number;
    const idx = s.b.vms[vmOfSeen(s)]!.vcpus.findIndex((v) => v.idle && v.pswIo && (v.cr6 & pending) !== 0);
    return gisaSame(s) && s.l.idx === idx && s.taken === (idx < 0 ? 'return' : KICKER_AT.testAndSet);
  },
  [KICKER_AT.testAndSet]: (s) => {
    const vm = vmOfSeen(s);
    const idx = s.lb.idx as number;
    const vb = s.b.vms[vm]!.vcpus;
    const va = s.a.vms[vm]!.vcpus;
    const othersKept = va.every((v, i) => i === idx || v.kicked === vb[i]!.kicked);
    // hrtimer_forward_now, HRTIMER_RESTART: the timer stays armed and the IAM untouched
    if (!gisaSame(s) || !othersKept || !va[idx]!.kicked) return false;
    if (vb[idx]!.kicked) return noWakeup(s);
    const w = s.raised.filter((e) => e.type === 'kvm_s390_vcpu_wakeup');
    return w.length === 1 && w[0]!.vcpu === idx && w[0]!.vm === vm;
  },
};

/** `if (!gi->origin) return -ENODEV` (read before ref_lock) of kvm_s390_gisc_register/unregister. */
const checkOriginPost = (s: StepSeen) => gisaSame(s) && s.l.enodev === !gisaOf(s.b, vmOfSeen(s)).origin && s.taken === (s.l.enodev ? 'return' : 'spin_lock(ref_lock)');
/** gisa_set_iam(gi->origin, gi->alert.mask) under ref_lock: -EBUSY (nothing written) while the GISA is on the alert list, else IAM = alert.mask. */
const setIamPost = (s: StepSeen) => {
  const vm = vmOfSeen(s);
  const g = gisaOf(s.b, vm);
  // gi->origin NULL (a PV switch's destroy after the -ENODEV check): the access goes to address 0, the GISA is untouched (issue 12)
  if (!g.origin) return gisaSame(s) && s.reported === FAULT.GISA_NULL_ORIGIN_USE;
  return gisaSame(s, ['iam']) && gisaOf(s.a, vm).iam === (listedIn(s.b.gib, vm) ? g.iam : g.mask);
};

/** kvm_s390_gisc_register(kvm, gisc): `gi->alert.ref_count[gisc]++; if (gi->alert.ref_count[gisc] == 1) { gi->alert.mask |= 0x80 >> gisc; gisa_set_iam(...) }`. */
export function registerPosts(gisc: number): StepPosts {
  return {
    'if (!gi->origin)': checkOriginPost,
    'ref_count[gisc]++': (s) => {
      const vm = vmOfSeen(s);
      const gb = gisaOf(s.b, vm);
      const ga = gisaOf(s.a, vm);
      const first = (gb.ref[gisc] ?? 0) === 0;
      const refsOk = ga.ref.every((r, i) => r === (i === gisc ? (gb.ref[i] ?? 0) + 1 : gb.ref[i]));
      return gisaSame(s, ['ref', 'mask']) && refsOk && ga.mask === (first ? gb.mask | iscBit(gisc) : gb.mask) && s.taken === (first ? 'gisa_set_iam(origin, alert_mask)' : 'spin_unlock(ref_lock)');
    },
    'gisa_set_iam(origin, alert_mask)': setIamPost,
  };
}

/** kvm_s390_gisc_unregister(kvm, gisc): `if (!gi->alert.ref_count[gisc]) { rc = -EINVAL; goto out; } gi->alert.ref_count[gisc]--; if (!gi->alert.ref_count[gisc]) { gi->alert.mask &= ~(0x80 >> gisc); gisa_set_iam(...) }`. */
export function unregisterPosts(gisc: number): StepPosts {
  return {
    'if (!gi->origin)': checkOriginPost,
    'ref_count[gisc]--': (s) => {
      const vm = vmOfSeen(s);
      const gb = gisaOf(s.b, vm);
      const ga = gisaOf(s.a, vm);
      const before = gb.ref[gisc] ?? 0;
      if (before === 0) return gisaSame(s) && s.reported === FAULT.GISC_UNREGISTER_UNBALANCED && s.taken === 'spin_unlock(ref_lock)';
      const last = before === 1;
      const refsOk = ga.ref.every((r, i) => r === (i === gisc ? before - 1 : gb.ref[i]));
      return gisaSame(s, ['ref', 'mask']) && refsOk && s.reported === 0 && ga.mask === (last ? gb.mask & ~iscBit(gisc) : gb.mask) && s.taken === (last ? 'gisa_set_iam(origin, alert_mask)' : 'spin_unlock(ref_lock)');
    },
    'gisa_set_iam(origin, alert_mask)': setIamPost,
  };
}

/**
 * kvm_s390_gisa_destroy (v6.6+): `if (!gi->origin) return; WARN(gi->alert.mask != 0x00, ...); gi->alert.mask = 0x00;
 * if (gisa_set_iam(gi->origin, gi->alert.mask)) process_gib_alert_list(); hrtimer_cancel(&gi->timer); gi->origin = NULL;`
 * process_gib_alert_list takes the whole alert list and leaves it empty: every GISA on it unlinked and (upstream) its kicker started.
 */
export const destroyPosts: StepPosts = {
  'WARN(alert_mask != 0)': (s) => {
    const g = gisaOf(s.b, vmOfSeen(s));
    const warn = g.origin && g.mask !== 0;
    return gisaSame(s) && s.reported === (warn ? FAULT.DESTROY_WITH_ALERT_MASK : 0) && s.taken === (g.origin ? 'alert_mask = 0' : 'return');
  },
  'alert_mask = 0': (s) => gisaSame(s, ['mask']) && gisaOf(s.a, vmOfSeen(s)).mask === 0,
  'gisa_set_iam(origin, 0)': (s) => {
    const vm = vmOfSeen(s);
    const busy = listedIn(s.b.gib, vm);
    // on -EBUSY the call of process_gib_alert_list: one step, or the walk's first xchg (gal-destroy, two-vms-destroy); else on to
    // hrtimer_cancel (through the unlock of proposed-gib-walk-lock)
    const walk = s.taken === 'process_gib_alert_list()' || s.taken === GAL_AT.xchg;
    const on = s.taken === 'hrtimer_cancel(gi->timer)' || s.taken === 'spin_unlock(alert_list_lock)';
    return gisaSame(s, ['iam']) && gisaOf(s.a, vm).iam === (busy ? gisaOf(s.b, vm).iam : 0) && (busy ? walk : on);
  },
  'process_gib_alert_list()': (s) => s.a.gib.list === 0 && s.b.vms.every((_, i) => !listedIn(s.b.gib, i) || s.a.vms[i]!.gisa.timer),
  'gi->origin = NULL': (s) => gisaSame(s, ['origin']) && !gisaOf(s.a, vmOfSeen(s)).origin,
};

/** The GAL handler's labels. */
export const GAL_AT = {
  first: 'process_gib_alert_list@xchg(alert_list_origin, NONE_GISA_ADDR)',
  xchg: 'process_gib_alert_list@xchg(alert_list_origin, final ? NULL_GISA_ADDR : NONE_GISA_ADDR)',
  unlink: 'process_gib_alert_list@gisa->next_alert = gisa_phys',
  start: 'process_gib_alert_list@hrtimer_start(gi->timer, 0)',
} as const;

/** What the other walkers hold cut off and not yet unlinked (their local `cut`, which this step does not write): on their lists, not the origin's. */
const othersCut = (s: StepSeen): number =>
  Object.entries(s.a.threads?.locals ?? {}).reduce((m, [w, l]) => (w === s.t.me ? m : m | ((l.cut as number | undefined) ?? 0)), 0);

/** After an xchg: the cut-off list is everything listed but what other walkers hold, the terminator read from the origin replaced; then unlink, or loop until final, then `out`. */
function xchgPost(s: StepSeen, final: boolean, out: string): boolean {
  const term = s.b.gib.origin === 'NONE_GISA_ADDR' ? 1 : 0;
  const cut = s.b.gib.list & ~othersCut(s);
  const next = cut !== 0 ? GAL_AT.unlink : !final ? GAL_AT.xchg : out;
  return s.l.cut === cut && s.l.term === term && s.l.final === final && s.a.gib.origin === (final ? 'NULL_GISA_ADDR' : 'NONE_GISA_ADDR') && s.a.gib.list === s.b.gib.list && s.taken === next;
}

/** A GISA a walk must not reach: its destroy set gi->origin NULL, or sie_page2 is freed. */
const deadAt = (s: StepSeen, vm: number) => !s.b.vms[vm]!.gisa.origin || s.b.vms[vm]!.gisa.freed;
/** The step reported GAL_WALK_ON_DEAD_GISA exactly when it reached a dead GISA (a bit its thread reported before stays set). */
const walkReport = (s: StepSeen, vm: number) =>
  deadAt(s, vm) ? ((s.a.threads?.found[s.t.me] ?? 0) & FAULT.GAL_WALK_ON_DEAD_GISA) !== 0 && (s.reported & ~FAULT.GAL_WALK_ON_DEAD_GISA) === 0 : s.reported === 0;

/**
 * process_gib_alert_list (upstream GIB) from its second xchg: `final = (origin & NONE_GISA_ADDR); origin = xchg(..., (!final) ?
 * NONE_GISA_ADDR : NULL_GISA_ADDR)`; each GISA of the cut-off list (lowest VM first here) `gisa->next_alert = gisa_phys` (unlinked; a
 * freed one is a write after free), then `hrtimer_start(&gi->timer, 0)`; either on a GISA whose destroy has returned (origin NULL) or
 * whose page is freed is reported (GAL_WALK_ON_DEAD_GISA). `out`: where the caller goes after the walk.
 */
export function walkPosts(out: string): StepPosts {
  return {
    [GAL_AT.xchg]: (s) => s.a.gib.galPending === s.b.gib.galPending && xchgPost(s, s.lb.term === 1, out),
    [GAL_AT.unlink]: (s) => {
      const cut = s.lb.cut as number;
      const vm = 31 - Math.clz32(cut & -cut);
      const held = ((s.lb.held as number | undefined) ?? 0) | (1 << vm);
      const freed = s.b.vms[vm]!.gisa.freed;
      const flagged = (s.a.vms[vm]!.faults & FAULT.GISA_WRITE_AFTER_FREE) !== 0;
      return s.l.vm === vm && s.l.cut === (cut & ~(1 << vm)) && s.l.held === held && s.a.gib.list === (s.b.gib.list & ~(1 << vm)) && flagged === (freed || (s.b.vms[vm]!.faults & FAULT.GISA_WRITE_AFTER_FREE) !== 0) && walkReport(s, vm);
    },
    [GAL_AT.start]: (s) => {
      const vm = s.lb.vm as number;
      const next = (s.l.cut as number) !== 0 ? GAL_AT.unlink : s.l.final !== true ? GAL_AT.xchg : out;
      return s.a.vms[vm]!.gisa.timer && s.l.held === ((s.lb.held as number) & ~(1 << vm)) && s.l.cut === s.lb.cut && s.taken === next && walkReport(s, vm);
    },
  };
}

/**
 * gib_alert_irq_handler -> process_gib_alert_list (upstream GIB): `origin = xchg(&gib->alert_list_origin, NONE_GISA_ADDR)` first (the
 * GAL interruption taken), then the walk (walkPosts).
 */
export const galPostsWith = (out: string): StepPosts => ({
  [GAL_AT.first]: (s) => s.b.gib.galPending && !s.a.gib.galPending && xchgPost(s, false, out),
  ...walkPosts(out),
});
export const galPosts: StepPosts = galPostsWith('return');

// ---- the vcpu's KVM_RUN loop (kvm_vcpu.threads.ts): kvm-s390.c, interrupt.c, kvm_main.c v6.17-rc4 ----

/** The step's vcpu before and after. */
const vcpus = (s: StepSeen) => ({ vb: s.b.vms[s.t.ix.vm!]!.vcpus[s.t.ix.vcpu!]!, va: s.a.vms[s.t.ix.vm!]!.vcpus[s.t.ix.vcpu!]!, gb: gisaOf(s.b, s.t.ix.vm!), ga: gisaOf(s.a, s.t.ix.vm!) });
/** The vcpu fields a step may change, unchanged but for `except`. */
function vcpuSame(s: StepSeen, except: readonly string[]): boolean {
  const { vb, va } = vcpus(s);
  const b = vb as unknown as Record<string, unknown>;
  const a = va as unknown as Record<string, unknown>;
  return ['stopped', 'inSie', 'idle', 'kicked', 'pswIo', 'cr6', 'interruptible'].filter((x) => !except.includes(x)).every((x) => b[x] === a[x]);
}
/** The ISCs with a classic I/O interruption on fi->lists[] (IPM bit order; configurations with `fio` only). */
const classicQueued = (c: { vms: KvmContext[] }, vm: number) => (c.vms[vm]!.fio ?? []).reduce((m, n, isc) => (n > 0 ? m | iscBit(isc) : m), 0);
/** kvm_arch_vcpu_runnable -> kvm_s390_vcpu_has_irq with the enabled wait PSW: a GISA ISC or a classic one of gcr[6] is pending (no other source is modelled). */
const runnable = (s: StepSeen) => {
  const { vb, gb } = vcpus(s);
  // issue 12 (tpi-window): the classic float lists too (deliverable_irqs -> pending_irqs: fi->pending_irqs)
  return vb.pswIo && ((gb.origin && (gb.ipm & vb.cr6) !== 0) || (classicQueued(s.b, s.t.ix.vm!) & vb.cr6) !== 0);
};
/** The highest-priority ISC (ISC 0 first) of a deliverable mask, its IPM bit; 0 for none. */
const topBit = (d: number) => {
  for (let isc = 0; isc < 8; isc++) if (d & iscBit(isc)) return iscBit(isc);
  return 0;
};


export const vcpuPosts: StepPosts = {
  // kvm-s390.c vcpu_pre_run: rc = kvm_s390_deliver_pending_interrupts(vcpu): __deliver_io test-and-clears the highest-priority ISC the PSW
  // and gcr[6] allow, __do_deliver_io swaps the PSW (I/O off); issue 12, answer lowcore-fault (the guest lowcore not accessible): the
  // ISC leaves the IPM unpresented, gpsw kept, and "if (rc || guestdbg_exit_pending(vcpu)) return rc;" before the clear_bit: KVM_RUN ends
  [VCPU_PC.deliver]: (s) => {
    const { vb, va, gb, ga } = vcpus(s);
    const bit = vb.pswIo && gb.origin ? topBit(gb.ipm & vb.cr6) : 0;
    // issue 12 (tpi-window): __deliver_io takes a classic interruption on fi->lists[isc] of equal or higher priority first (the GISA untouched)
    const classic = vb.pswIo ? topBit(classicQueued(s.b, s.t.ix.vm!) & vb.cr6) : 0;
    if (classic && classic >= bit) {
      const isc = 7 - Math.log2(classic);
      const fb = s.b.vms[s.t.ix.vm!]!.fio!, fa = s.a.vms[s.t.ix.vm!]!.fio!;
      return vcpuSame(s, ['pswIo']) && gisaSame(s) && !va.pswIo && fa.every((n, i) => n === fb[i]! - (i === isc ? 1 : 0)) && s.taken !== VCPU_PC.runError;
    }
    if (!vcpuSame(s, ['pswIo']) || !gisaSame(s, ['ipm']) || ga.ipm !== (gb.ipm & ~bit)) return false;
    if (bit && s.t.answer === 'lowcore-fault') return va.pswIo === vb.pswIo && s.taken === VCPU_PC.runError;
    return va.pswIo === (bit ? false : vb.pswIo) && s.taken !== VCPU_PC.runError;
  },
  // kvm-s390.c vcpu_pre_run: clear_bit(vcpu->vcpu_idx, gi->kicked_mask)
  [VCPU_PC.clearKicked]: (s) => vcpuSame(s, ['kicked']) && !vcpus(s).va.kicked && gisaSame(s),
  // __vcpu_run: sie64a; in SIE, millicode presents the highest-priority GISA ISC the PSW and gcr[6] allow (it leaves the IPM; the PSW swap disables I/O)
  [VCPU_PC.sie]: (s) => {
    const { vb, va, gb, ga } = vcpus(s);
    const bit = vb.pswIo && gb.origin ? topBit(gb.ipm & vb.cr6) : 0;
    return va.inSie && vcpuSame(s, ['inSie', 'pswIo']) && gisaSame(s, ['ipm']) && ga.ipm === (gb.ipm & ~bit) && va.pswIo === (bit ? false : vb.pswIo);
  },
  // the enabled wait PSW (I/O enabled) intercepts: out of SIE; vcpu_post_run leaves the GISA alone upstream
  [VCPU_PC.waitIntercept]: (s) => {
    const { va } = vcpus(s);
    return va.pswIo && !va.inSie && vcpuSame(s, ['inSie', 'pswIo']) && gisaSame(s);
  },
  // kvm_s390_handle_wait: if (kvm_arch_vcpu_runnable(vcpu)) return 0 (kvm_arch_vcpu_runnable clears the kicked_mask bit first)
  [VCPU_PC.runnable]: (s) => {
    const r = runnable(s);
    return s.l.runnable === r && !vcpus(s).va.kicked && vcpuSame(s, ['kicked']) && gisaSame(s) && s.taken === (r ? VCPU_PC.deliver : VCPU_PC.restore);
  },
  // if (gi->origin && (gisa_get_ipm_or_restore_iam(gi) & gcr[6] >> 24)) return 0: IPM & alert.mask, IAM = alert.mask when that is 0
  [VCPU_PC.restore]: (s) => {
    const { vb, gb, ga } = vcpus(s);
    if (!gb.origin) return s.l.pending === false && gisaSame(s) && s.taken === VCPU_PC.setIdle;
    const pm = gb.ipm & gb.mask;
    const pending = (pm & vb.cr6) !== 0;
    return s.l.pending === pending && gisaSame(s, ['iam']) && ga.iam === (pm ? gb.iam : gb.mask) && vcpuSame(s, []) && s.taken === (pending ? VCPU_PC.deliver : VCPU_PC.setIdle);
  },
  // __set_cpu_idle: set_bit(vcpu_idx, idle_mask)
  [VCPU_PC.setIdle]: (s) => vcpus(s).va.idle && vcpuSame(s, ['idle']) && gisaSame(s),
  // set_current_state(TASK_INTERRUPTIBLE)
  [VCPU_PC.setState]: (s) => vcpus(s).va.interruptible && vcpuSame(s, ['interruptible']) && gisaSame(s),
  // if (kvm_vcpu_check_block(vcpu) < 0) break; (-EINTR exactly when kvm_arch_vcpu_runnable, which clears kicked_mask); then TASK_RUNNING
  [VCPU_PC.checkBlock]: (s) => {
    const r = runnable(s);
    const { vb, va } = vcpus(s);
    // leaving the loop: __set_current_state(TASK_RUNNING); staying: the task state as it is (a wake-up since set_current_state made it running)
    return s.l.wake === r && !va.kicked && va.interruptible === (r ? false : vb.interruptible) && vcpuSame(s, ['kicked', 'interruptible']) && gisaSame(s) && s.taken === (r ? VCPU_PC.unsetIdle : 'kvm_vcpu_block@schedule()');
  },
  // __unset_cpu_idle: clear_bit(vcpu_idx, idle_mask)
  [VCPU_PC.unsetIdle]: (s) => !vcpus(s).va.idle && vcpuSame(s, ['idle']) && gisaSame(s),
};

/** The table functions the vcpu steps call: a variant's replacement runs its own code there. */
export const vcpuSkips: Readonly<Record<string, readonly string[]>> = {
  [VCPU_PC.deliver]: ['kvm_s390_deliver_pending_interrupts', '__deliver_io'],
  [VCPU_PC.waitIntercept]: ['vcpu_post_run'],
  [VCPU_PC.runnable]: ['kvm_arch_vcpu_runnable', 'kvm_s390_vcpu_has_irq'],
  [VCPU_PC.restore]: ['gisa_get_ipm_or_restore_iam'],
  [VCPU_PC.setIdle]: ['__set_cpu_idle'],
  [VCPU_PC.checkBlock]: ['kvm_vcpu_check_block', 'kvm_arch_vcpu_runnable', 'kvm_s390_vcpu_has_irq'],
  [VCPU_PC.unsetIdle]: ['__unset_cpu_idle'],
};
/** The kicker's steps that call the table: kvm_s390_vcpu_wakeup. */
export const kickerSkips: Readonly<Record<string, readonly string[]>> = { [KICKER_AT.scan]: ['__airqs_kick_single_vcpu'], [KICKER_AT.testAndSet]: ['kvm_s390_vcpu_wakeup', '__airqs_kick_single_vcpu'] };
export const setIamSkips: Readonly<Record<string, readonly string[]>> = { 'gisa_set_iam(origin, alert_mask)': ['gisa_set_iam'], 'gisa_set_iam(origin, 0)': ['gisa_set_iam'], 'process_gib_alert_list()': ['process_gib_alert_list', 'process_gib_alert_list_gisa'] };

export const GisaThreadStepPostcondition = inv(
  'GisaThreadStepPostcondition',
  'interrupt.c v6.17-rc4, statement by statement (fine-grained configurations): gisa_vcpu_kicker\'s READ_ONCE of GISA word 0 and of alert.mask, pending_mask = IPM & alert_mask, the try_cmpxchg that sets IAM = alert_mask only on an unchanged word (else loads it and re-reads the mask) and then returns HRTIMER_NORESTART, __airqs_kick_single_vcpu\'s scan of idle_mask and test_and_set_bit(kicked_mask) with one kvm_s390_vcpu_wakeup; kvm_s390_gisc_register/unregister\'s -ENODEV check, ref_count[gisc]++/-- (-EINVAL at 0) with alert.mask on the 0 <-> 1 edge and gisa_set_iam (-EBUSY while listed); kvm_s390_gisa_destroy\'s WARN exactly when alert.mask != 0, alert.mask = 0, gisa_set_iam(origin, 0), process_gib_alert_list leaving the alert list empty with every GISA it took kicked, gi->origin = NULL; process_gib_alert_list\'s xchgs of alert_list_origin (NONE, then NULL after the list built on NONE), each GISA unlinked and its timer started',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISA_THREAD_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const VcpuThreadStepPostcondition = inv(
  'VcpuThreadStepPostcondition',
  'kvm-s390.c / interrupt.c / kvm_main.c v6.17-rc4, the vcpu\'s KVM_RUN loop statement by statement (fine-grained configurations): vcpu_pre_run delivers the highest-priority ISC the PSW and gcr[6] allow by PSW swap (or, the guest lowcore not accessible, loses it and returns -EFAULT before the clear_bit: KVM_RUN ends) and clears its kicked_mask bit; in SIE millicode presents the highest-priority ISC the PSW and gcr[6] allow (the IPM bit cleared, I/O disabled by the PSW swap); the enabled-wait intercept leaves SIE; kvm_s390_handle_wait returns at once when kvm_arch_vcpu_runnable (which clears kicked_mask), else when gisa_get_ipm_or_restore_iam & gcr[6] (IAM = alert.mask when nothing of alert.mask is pending), else __set_cpu_idle; kvm_vcpu_block sets TASK_INTERRUPTIBLE, then kvm_vcpu_check_block leaves the loop exactly when runnable; __unset_cpu_idle on the way out',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.VCPU_THREAD_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

