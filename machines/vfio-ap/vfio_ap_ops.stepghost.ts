// Issue 14 (apmut): per-step postconditions of the fine-grained vfio_ap kernel functions
// (vfio_ap_ops.threads.ts, era upstream: v6.17-rc4, Kingxukai/linux 9b44fff655e2). A state invariant
// cannot say what one C statement did: a handle_pqap whose lookup finds nothing (or never reaches
// vfio_ap_irq_enable) leaves a state every safety property accepts. So the builders pass their steps
// through `checkedApSteps`, which runs each named step's body between a snapshot and a comparison and
// records a step that did not do what its C statement does as FAULT.AP_THREAD_STEP_POST in every VM's
// faults of the raw context (probe.unwrap, as the gisa step ghost does: no new context field, so no
// state count moves), read by ApThreadStepPostcondition.
// What each step must do is written from drivers/s390/crypto/vfio_ap_ops.c, not from the step bodies:
// which lock the statement runs under, what it finds or stores, and that it touches nothing else.
// This file is harness: it is not mutated (src/mutate/scope.ts mutates *.machine.ts, *.kernel.ts and
// *.threads.ts only).
import { FAULT, ISC_INVALID, type SystemContext } from '../context.ts';
import { probe } from '../../src/check/probe.ts';
import type { Kernel } from '../kernel.ts';
import { inv } from '../invariant-lib.ts';
import { cloneDeep, type Branch, type KFunction, type LockState, type Step, type ThreadView } from '../kthread.ts';
import { apOff, apSnap, aqicPost, freedAqic, refsMoved, resetPost, resetStepPost, sameQ, type QSnap } from './vfio_ap_queue.invariants.ts';
import type { SpecEvent } from '../lib.ts';

type C = SystemContext;
/** The parts of the context a vfio_ap step may touch (threads are the kthread bookkeeping's). */
type Shared = Pick<C, 'vms' | 'mdev' | 'queues' | 'gib' | 'airqs'>;

/** What a postcondition sees: the shared context before and after, the locks during the step, the branch it took, the thread. */
export interface ApStepSeen {
  b: Shared;
  a: Shared;
  locks: Readonly<Record<string, LockState>>;
  taken: string | undefined;
  t: ThreadView;
}

export type ApStepPosts = Readonly<Record<string, (s: ApStepSeen) => boolean>>;

const shared = (c: C): Shared => ({ vms: c.vms, mdev: c.mdev, queues: c.queues, gib: c.gib, airqs: c.airqs });

/** The thread holds `key` (a mutex, or an rwsem for writing). */
function holds(s: ApStepSeen, key: string): boolean {
  const l = s.locks[key];
  return l !== null && typeof l === 'object' ? l.w === s.t.me : l === s.t.me;
}

/**
 * Everything shared is as before, but what `allow` clears on both sides (the fields the statement writes); compared as
 * the kernel's readers see it: a NULL hook or matrix_mdev->kvm is any negative index (every reader tests < 0, >= 0 or
 * === vm) and kvm_busy is set only when true (every reader tests === true).
 */
function onlyChanged(s: ApStepSeen, allow: (x: Shared) => void = () => {}): boolean {
  const [b, a] = [cloneDeep(s.b), cloneDeep(s.a)];
  for (const x of [b, a]) {
    allow(x);
    x.mdev.hook = Math.max(x.mdev.hook, -1);
    x.mdev.kvm = Math.max(x.mdev.kvm, -1);
    x.mdev.kvmBusy = x.mdev.kvmBusy === true;
  }
  return JSON.stringify(b) === JSON.stringify(a);
}

const MDEVS_LOCK = 'matrix_dev->mdevs_lock';
const hookRwsem = (vm: number) => `kvm->arch.crypto.pqap_hook_rwsem#${vm}`;

/** The step's queue (ix.q, the reset work's q) and VM (ix.vm; 0 for the work, whose VM is q->matrix_mdev->kvm's). */
const qOf = (s: ApStepSeen) => s.t.ix.q ?? 0;
const vmOf = (s: ApStepSeen) => s.t.ix.vm ?? 0;

/** The labels of vfio_ap's handle_pqap (inlined into priv.c's), as vfio_ap_ops.threads.ts names them (upstream: mdevs_lock). */
export const HANDLE_PQAP_AT = {
  lookup: 'vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
  enable: 'vfio_ap:handle_pqap@vfio_ap_irq_enable',
  unlock: `vfio_ap:handle_pqap@mutex_unlock(${MDEVS_LOCK})`,
} as const;

/**
 * vfio_ap_ops.c handle_pqap (v6.17-rc4), after mutex_lock(&matrix_dev->mdevs_lock): "if
 * (!vcpu->kvm->arch.crypto.pqap_hook) goto out_unlock; matrix_mdev = container_of(...); if
 * (!matrix_mdev->kvm) goto out_unlock; q = vfio_ap_mdev_get_queue(matrix_mdev, apqn); if (!q) goto
 * out_unlock" (qstatus stays AP_RESPONSE_Q_NOT_AVAIL, rc 01, for the guest); the qtable holds an APQN whose
 * APID and APQI are assigned, once vfio_ap_mdev_probe_queue linked it and until vfio_ap_mdev_remove_queue
 * unlinked it. With a queue and the IR bit set: vfio_ap_irq_enable(q, isc, vcpu), whose postcondition is
 * the coarse AqicStepPostcondition's (ap_aqic NORMAL here; INVALID_ADDRESS with nothing taken when the
 * VM has no GISA to register the GISC in). Both under mdevs_lock; the lookup only reads.
 */
export function handlePqapPosts(isc: number): ApStepPosts {
  return {
    [HANDLE_PQAP_AT.lookup]: (s) => {
      const x = s.b.queues[qOf(s)]!;
      const inQtable = x.apid && x.apqi && x.linked !== false && x.freed !== true;
      const found = s.b.mdev.hook === vmOf(s) && s.b.mdev.kvm >= 0 && inQtable;
      return holds(s, MDEVS_LOCK) && s.taken === (found ? HANDLE_PQAP_AT.enable : HANDLE_PQAP_AT.unlock) && onlyChanged(s);
    },
    [HANDLE_PQAP_AT.enable]: (s) => {
      const q = qOf(s);
      if (s.b.queues[q]!.freed === true) return true; // a freed q (planted: found before the lock) is NoQueueUseAfterFree's
      const [b, a] = [apSnap(s.b as C), apSnap(s.a as C)];
      const status = b.kvm >= 0 && b.origin[b.kvm] ? 'NORMAL' : 'INVALID_ADDRESS'; // the guest's GR1 is not state here
      const mdevSame = a.kvm === b.kvm && a.kvmRef === b.kvmRef && a.hook === b.hook;
      return holds(s, MDEVS_LOCK) && mdevSame && aqicPost(b, a, q, { ir: 1, isc, outcome: 'NORMAL' }, status);
    },
  };
}

/**
 * vfio_ap_mdev_set_kvm (v6.17-rc4): "down_write(&kvm->arch.crypto.pqap_hook_rwsem); kvm->arch.crypto.pqap_hook =
 * &matrix_mdev->pqap_hook; up_write(...)"; then under get_update_locks_for_kvm (mdevs_lock last) "kvm_get_kvm(kvm);
 * matrix_mdev->kvm = kvm". vfio_ap_mdev_unset_kvm: "down_write(...); kvm->arch.crypto.pqap_hook = NULL; up_write(...)",
 * then under the same three locks vfio_ap_mdev_reset_queues (vfio_ap_mdev_reset_queue of every queue of the matrix:
 * ZAPQ, the reset work done, vfio_ap_free_aqic_resources), "kvm_put_kvm(kvm); matrix_mdev->kvm = NULL".
 */
export const mdevKvmPosts: ApStepPosts = {
  'pqap_hook = &matrix_mdev->pqap_hook': (s) => holds(s, hookRwsem(vmOf(s))) && s.a.mdev.hook === vmOf(s) && onlyChanged(s, (x) => void (x.mdev.hook = 0)),
  'kvm_get_kvm(kvm); matrix_mdev->kvm = kvm': (s) => {
    const vm = vmOf(s);
    const ok = s.a.mdev.kvm === vm && s.a.mdev.kvmRef && s.a.vms[vm]!.users === s.b.vms[vm]!.users + 1;
    return holds(s, MDEVS_LOCK) && ok && onlyChanged(s, (x) => {
      Object.assign(x.mdev, { kvm: 0, kvmRef: false });
      x.vms[vm]!.users = 0;
    });
  },
  'pqap_hook = NULL': (s) => holds(s, hookRwsem(vmOf(s))) && s.a.mdev.hook < 0 && onlyChanged(s, (x) => void (x.mdev.hook = 0)),
  vfio_ap_mdev_reset_queues: (s) => {
    const [b, a] = [apSnap(s.b as C), apSnap(s.a as C)];
    const dropped = new Map<number, number>();
    const queues = a.queues.every((qa, i) => {
      const qb = b.queues[i]!;
      if (!qb.assigned || qb.freed) return sameQ(qa, qb) && qa.faults === qb.faults;
      const r = resetPost(qb, qa, b.kvm, undefined);
      if (r.dropped >= 0) dropped.set(r.dropped, (dropped.get(r.dropped) ?? 0) - 1);
      return r.ok;
    });
    return holds(s, MDEVS_LOCK) && queues && refsMoved(b, a, b.kvm, dropped) && a.kvm === b.kvm && a.kvmRef === b.kvmRef && a.hook === b.hook && a.users.every((u, v) => u === b.users[v]);
  },
  'kvm_put_kvm(kvm)': (s) => {
    // kvm_put_kvm once for the reference set_kvm took, matrix_mdev->kvm = NULL; nothing else
    const vm = s.b.mdev.kvm;
    const users = s.a.vms.every((k, v) => k.users === s.b.vms[v]!.users - (v === vm && s.b.mdev.kvmRef ? 1 : 0));
    return holds(s, MDEVS_LOCK) && s.a.mdev.kvm < 0 && !s.a.mdev.kvmRef && users && onlyChanged(s, (x) => {
      Object.assign(x.mdev, { kvm: 0, kvmRef: false });
      for (const k of x.vms) k.users = 0;
    });
  },
};

const EIO = 5;

/** The labels of apq_reset_check's loop (vfio_ap_ops.threads.ts reset_work, with the AP's answers). */
export const RESET_WORK_AT = { tapq: 'msleep; ap_tapq', zapq: 'ap_zapq; memcpy(&q->reset_status)', free: 'vfio_ap_free_aqic_resources' } as const;

/** The AP's interruption state for q is as before. */
const apSame = (qb: QSnap, qa: QSnap) => qa.irq === qb.irq && qa.hwIsc === qb.hwIsc && qa.hwGisa === qb.hwGisa;
/** Everything shared is as before, but queue q's reset work, stored status and what the AP holds for it. */
const onlyResetOf = (s: ApStepSeen, q: number) => onlyChanged(s, (x) => void Object.assign(x.queues[q]!, { work: 'idle', resetStatus: 'NORMAL', irq: false, hwIsc: 0, hwGisa: 0 }));
/** "memcpy(&q->reset_status, &status, ...)" after a ZAPQ answered `ans` (configurations that keep q->reset_status). */
const statusStored = (qb: QSnap, qa: QSnap, ans: string) => (qb.resetStatus === undefined ? qa.resetStatus === undefined : qa.resetStatus === ans);
/** q->reset_work queued after a ZAPQ answered `ans`, by the class the loop tests: RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS are in progress. */
const queuedAfter = (ans: string) => (ans === 'IN_PROGRESS' ? 'in-progress' : 'zapped');

/**
 * vfio_ap_mdev_reset_queues -> vfio_ap_mdev_reset_queue, the caller holding mdevs_lock: "status = ap_zapq(q->apqn, 0)"
 * (NORMAL: the AP's interruptions for q are off once the reset completes), "memcpy(&q->reset_status, &status, ...);
 * queue_work(system_long_wq, &q->reset_work)": the AQIC resources stay until the work frees them. apq_reset_check,
 * once TAPQ shows the reset done: "if (q->saved_isc != VFIO_AP_ISC_INVALID) vfio_ap_free_aqic_resources(q)" (unregister
 * the saved GISC through q->matrix_mdev->kvm, WARN and skip on NULL; unpin the saved NIB), then the work returns.
 * With the AP's answers (issue 12: the step fired with t.answer): vfio_ap_mdev_reset_queue's switch ("case
 * AP_RESPONSE_NORMAL: case AP_RESPONSE_RESET_IN_PROGRESS: case AP_RESPONSE_BUSY: case
 * AP_RESPONSE_STATE_CHANGE_IN_PROGRESS: queue_work(...); case AP_RESPONSE_DECONFIGURED: case AP_RESPONSE_CHECKSTOPPED:
 * vfio_ap_free_aqic_resources(q); default: WARN(...)"), the AP keeping its interruptions until the reset is seen done;
 * apq_reset_check's loop: "status = ap_tapq(q->apqn, NULL); ret = apq_status_check(q->apqn, &status); if (ret == -EIO)
 * return; if (ret == -EBUSY) pr_notice_ratelimited(...) [loop]; else if (reset_status in progress || ret == -EAGAIN) {
 * status = ap_zapq(q->apqn, 0); memcpy(&q->reset_status, ...); continue; } [free, break]" (a 0 from TAPQ: the reset
 * completed, the AP holds nothing for q); flush_work then "if (q->reset_status.response_code) ret = -EIO", which
 * vfio_ap_mdev_ioctl returns for VFIO_DEVICE_RESET after "mutex_unlock(&matrix_dev->mdevs_lock)".
 */
export const resetWorkPosts: ApStepPosts = {
  vfio_ap_mdev_reset_queue: (s) => {
    const q = qOf(s);
    const [b, a] = [apSnap(s.b as C), apSnap(s.a as C)];
    const [qb, qa] = [b.queues[q]!, a.queues[q]!];
    const kept = qa.isc === qb.isc && qa.nib === qb.nib && qa.pins === qb.pins && qa.faults === qb.faults;
    const others = a.queues.every((x, i) => i === q || (sameQ(x, b.queues[i]!) && x.work === b.queues[i]!.work));
    const base = holds(s, MDEVS_LOCK) && others && a.kvm === b.kvm;
    const ans = s.t.answer;
    if (ans === undefined) return base && qa.work === 'zapped' && apOff(qa) && kept && refsMoved(b, a, b.kvm, new Map());
    if (!statusStored(qb, qa, ans)) return false;
    if (ans === 'DECONFIGURED') {
      const f = freedAqic(qb, qa, b.kvm);
      return base && qa.work === qb.work && apOff(qa) && f.ok && qa.faults === (qb.faults | f.faults) && refsMoved(b, a, b.kvm, new Map(f.dropped >= 0 ? [[f.dropped, -1]] : []));
    }
    // NORMAL and the in-progress codes queue the work; any other code WARNs: nothing queued, nothing freed
    const work = ans === 'INVALID' ? qb.work : queuedAfter(ans);
    return base && qa.work === work && apSame(qb, qa) && kept && refsMoved(b, a, b.kvm, new Map());
  },
  [RESET_WORK_AT.free]: (s) => {
    const q = qOf(s);
    const [b, a] = [apSnap(s.b as C), apSnap(s.a as C)];
    const [qb, qa] = [b.queues[q]!, a.queues[q]!];
    const ap = qa.irq === qb.irq && qa.hwIsc === qb.hwIsc && qa.hwGisa === qb.hwGisa;
    const others = a.queues.every((x, i) => i === q || (sameQ(x, b.queues[i]!) && x.work === b.queues[i]!.work));
    if (qb.isc === ISC_INVALID) return qa.work === 'idle' && ap && others && sameQ(qa, qb) && qa.faults === qb.faults && refsMoved(b, a, b.kvm, new Map());
    const f = freedAqic(qb, qa, b.kvm);
    const moved = new Map(f.dropped >= 0 ? [[f.dropped, -1]] : []);
    return qa.work === 'idle' && ap && others && f.ok && qa.faults === (qb.faults | f.faults) && refsMoved(b, a, b.kvm, moved);
  },
  [RESET_WORK_AT.tapq]: (s) => {
    const q = qOf(s);
    const [qb, qa] = [apSnap(s.b as C).queues[q]!, apSnap(s.a as C).queues[q]!];
    const status = qa.resetStatus === qb.resetStatus;
    switch (s.t.answer) {
      case 'INVALID': // -EIO: return, nothing freed, q->reset_status as the ZAPQ left it
        return s.taken === 'return' && qa.work === 'idle' && apSame(qb, qa) && status && onlyResetOf(s, q);
      case 'BUSY': // -EBUSY: msleep and TAPQ again
        return s.taken === RESET_WORK_AT.tapq && qa.work === qb.work && apSame(qb, qa) && status && onlyResetOf(s, q);
      case 'ASSOC': // -EAGAIN: ZAPQ again
        return s.taken === RESET_WORK_AT.zapq && qa.work === qb.work && apSame(qb, qa) && status && onlyResetOf(s, q);
      case 'DONE': // 0: the reset completed; ZAPQ again while the stored status is in progress, else free
        return s.taken === (qb.work === 'in-progress' ? RESET_WORK_AT.zapq : RESET_WORK_AT.free) && qa.work === qb.work && apOff(qa) && status && onlyResetOf(s, q);
      default:
        return false;
    }
  },
  [RESET_WORK_AT.zapq]: (s) => {
    const q = qOf(s);
    const ans = s.t.answer ?? '';
    const [qb, qa] = [apSnap(s.b as C).queues[q]!, apSnap(s.a as C).queues[q]!];
    // a deconfigured or checkstopped AP presents nothing; the other answers leave the AP as it was (the next TAPQ tells)
    const ap = ans === 'DECONFIGURED' ? apOff(qa) : apSame(qb, qa);
    return statusStored(qb, qa, ans) && qa.work === queuedAfter(ans) && ap && onlyResetOf(s, q);
  },
  'flush_work(&q->reset_work)': (s) => {
    // only VFIO_DEVICE_RESET's (which returns ret) has a body: "if (q->reset_status.response_code) ret = -EIO"
    const x = s.b.queues[qOf(s)]!;
    return holds(s, MDEVS_LOCK) && x.work === 'idle' && s.t.local.ret === (x.resetStatus !== 'NORMAL' ? -EIO : 0) && onlyChanged(s);
  },
  [`mutex_unlock(${MDEVS_LOCK})`]: (s) => {
    // only VFIO_DEVICE_RESET's (with the AP's answers) has a body: "mutex_unlock(&matrix_dev->mdevs_lock); return ret",
    // ret as vfio_ap_mdev_reset_queues left it (nothing writes q->reset_status while the ioctl holds mdevs_lock after flush_work)
    const x = s.b.queues[qOf(s)]!;
    const rc = x.resetStatus !== 'NORMAL' ? -EIO : 0;
    return s.a.mdev.resetRc === rc && onlyChanged(s, (y) => {
      y.mdev.resetRc = 0;
      for (const z of y.queues) z.faults &= ~FAULT.RESET_REPORTED_UNDONE;
    });
  },
};

/**
 * vfio_ap_mdev_probe_queue: "q->saved_isc = VFIO_AP_ISC_INVALID" while q is the probe's alone; under
 * get_update_locks_by_apqn (mdevs_lock last) vfio_ap_mdev_link_queue's "hash_add(matrix_mdev->qtable.queues,
 * &q->mdev_qnode, q->apqn)" makes q findable by handle_pqap. vfio_ap_mdev_remove_queue, under
 * get_update_locks_for_queue (mdevs_lock last): the reset (vfio_ap_mdev_reset_queue, flush_work), then
 * vfio_ap_unlink_queue_fr_mdev and kfree(q) (resetStepPost's 'remove', the APQN still in the host's configuration).
 */
export const queueBindPosts: ApStepPosts = {
  'kzalloc(q); q->saved_isc = VFIO_AP_ISC_INVALID': (s) => s.a.queues[qOf(s)]!.isc === ISC_INVALID && onlyChanged(s, (x) => void (x.queues[qOf(s)]!.isc = 0)),
  'vfio_ap_mdev_link_queue; dev_set_drvdata': (s) => holds(s, MDEVS_LOCK) && s.a.queues[qOf(s)]!.linked === true && probeApcbPost(s) && onlyChanged(s, (x) => void Object.assign(x.queues[qOf(s)]!, { linked: true, inApcb: s.a.queues[qOf(s)]!.inApcb })),
  vfio_ap_mdev_remove_queue: (s) => holds(s, MDEVS_LOCK) && resetStepPost('remove', apSnap(s.b as C), apSnap(s.a as C), { type: 'vfio_ap_mdev_remove_queue', host: 'present' } as SpecEvent, qOf(s)),
};

/**
 * issue 12 (apassign): where the guest's APCB is state (QueueContext.inApcb), vfio_ap_mdev_probe_queue with no AP bus scan in
 * progress (apm_add/aqm_add empty) runs vfio_ap_mdev_filter_matrix: the APID is in shadow_apcb exactly when every APQN of it in
 * the matrix is bound and passable (_queue_passable: q->reset_status 0 after the probe's memset), the new q included.
 */
function probeApcbPost(s: ApStepSeen): boolean {
  const [b, a] = [s.b.queues[qOf(s)]!, s.a.queues[qOf(s)]!];
  if (b.inApcb === undefined) return a.inApcb === undefined;
  return a.inApcb === (b.apid && b.apqi && b.freed !== true && b.siblingUnbound !== true && (b.resetStatus === undefined || b.resetStatus === 'NORMAL' || b.resetStatus === 'DECONFIGURED'));
}

/** The branch a step takes after its body, as kthread.ts evaluates them (the first whose `if` holds). */
function takenBranch(next: Step<C>['next'], c: C, t: ThreadView): string | undefined {
  if (next === undefined || typeof next === 'string') return undefined;
  return (next as readonly Branch<C>[]).find((x) => !x.if || x.if(c, t))?.goto;
}

/**
 * `f` with each step named in `posts` checked after its body (upstream only: the builders call it for that era).
 * `skip`: per step, the kernel-table functions it calls; a variant that replaced one (k.replaced) runs its own
 * code there, which the v6.17-rc4 postcondition does not describe.
 */
export function checkedApSteps(f: KFunction<C>, k: Kernel, posts: ApStepPosts, skip: readonly string[] = []): KFunction<C> {
  if (skip.some((n) => k.replaced.has(n))) return f;
  return {
    ...f,
    steps: f.steps.map((st) => {
      const post = posts[st.at];
      return post && st.run ? withPost(st, st.run, post) : st;
    }),
  };
}

const CHECKED = Symbol('vfio_ap step body and postcondition before checkedApSteps');
type Run = NonNullable<Step<C>['run']>;

function withPost(st: Step<C>, run: Run, post: (s: ApStepSeen) => boolean): Step<C> {
  const next = st.next;
  const checked: Run = (c, t, fx) => {
    const raw = probe.unwrap(c);
    const b = cloneDeep(shared(raw));
    run(c, t, fx);
    const seen: ApStepSeen = { b, a: shared(raw), locks: raw.threads?.locks ?? {}, taken: takenBranch(next, raw, t), t };
    if (!post(seen)) for (const vm of raw.vms) vm.faults |= FAULT.AP_THREAD_STEP_POST;
  };
  return { ...st, run: checked, [CHECKED]: { run, post } } as Step<C>;
}

/** A checked step a planted variant moves (lookupBeforeLock): its postcondition can fail there, so it declares the ghost bit's store; an unchecked step as it is. */
export function movedApStep(st: Step<C>): Step<C> {
  return (st as unknown as Record<symbol, unknown>)[CHECKED] ? replantApStep(st, (run) => run) : st;
}

/** A variant's (or a test's) version of a checked step: its body replaced by `body(inner)`, checked by the same postcondition. */
export function replantApStep(st: Step<C>, body: (inner: Run) => Run): Step<C> {
  const was = (st as unknown as Record<symbol, { run: Run; post: (s: ApStepSeen) => boolean } | undefined>)[CHECKED];
  if (!was) throw new Error(`replantApStep: ${st.at} has no step postcondition`);
  // a planted body can fail the postcondition: the step declares the ghost bit's store
  const faults = ['vms', '*', 'faults'] as const;
  const next = typeof st.next === 'object' ? st.next.map((x) => (x.writes ? { ...x, writes: [...x.writes, faults] } : x)) : st.next;
  return withPost({ ...st, writes: [...(st.writes ?? []), faults], ...(next !== undefined ? { next } : {}) }, body(was.run), was.post);
}

export const ApThreadStepPostcondition = inv(
  'ApThreadStepPostcondition',
  'vfio_ap_ops.c (v6.17-rc4), statement by statement in the fine-grained configurations: handle_pqap under mdevs_lock finds q exactly when vcpu->kvm->arch.crypto.pqap_hook is set, matrix_mdev->kvm is set and the APQN is in matrix_mdev->qtable (else out_unlock: the guest gets AP_RESPONSE_Q_NOT_AVAIL, nothing touched), and then vfio_ap_irq_enable enables as the coarse AqicStepPostcondition says; vfio_ap_mdev_set_kvm stores the hook under pqap_hook_rwsem and kvm_get_kvm plus matrix_mdev->kvm under mdevs_lock; vfio_ap_mdev_unset_kvm clears the hook under the rwsem and resets every queue, puts the reference and clears the pointer under mdevs_lock; vfio_ap_mdev_probe_queue initialises saved_isc and links q under mdevs_lock; vfio_ap_mdev_remove_queue resets and frees q under mdevs_lock; vfio_ap_mdev_reset_queue queues the reset work after ZAPQ; apq_reset_check frees a saved ISC and NIB and ends',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.AP_THREAD_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] },
  { stable: true },
);
