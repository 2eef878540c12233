/**
 * The GISA's kernel functions at the kernel's own granularity (machines/kthread.ts), for the
 * fine-grained configurations of kvm_s390_gisa_interrupt: the `gisa_vcpu_kicker` hrtimer
 * callback, kvm_s390_gisc_register/unregister under gi->alert.ref_lock, and
 * kvm_s390_gisa_destroy with its hrtimer_cancel. Each step is one C statement another CPU can
 * see separately: an unlocked read of gi->origin or gi->alert.mask, one try_cmpxchg of GISA
 * word 0, a lock acquired or released, hrtimer_cancel (which waits for a running callback).
 *
 * The steps call the kernel functions they are made of through `k`, the model's kernel table
 * (gisa_set_iam, __airqs_kick_single_vcpu, process_gib_alert_list), so a variant that replaces
 * one of those changes the fine-grained form too.
 *
 * Stays atomic (one step, as in the coarse machine): the millicode step that makes an adapter
 * interruption pending (hardware), kvm_s390_gisa_destroy's call of process_gib_alert_list
 * outside the walk configurations (gal-destroy, two-vms-destroy: there it runs the GAL
 * handler's steps, alertListWalk), gisa_tac_ipm_gisc and gisa_clear_ipm (one atomic each).
 * __airqs_kick_single_vcpu is two steps: the scan of idle_mask, then test_and_set_bit of
 * kicked_mask with the wake-up.
 * A failed try_cmpxchg loads the current word into `word`, as the C does, and the loop re-reads
 * gi->alert.mask; cmpxchg compares the whole word (next_alert, IPM, IAM), so a word that
 * changed and changed back (ABA) compares equal, as in the hardware.
 *
 * Kernel: arch/s390/kvm/interrupt.c (gisa_vcpu_kicker, gisa_get_ipm_or_restore_iam,
 * gisa_set_iam, kvm_s390_gisc_register, kvm_s390_gisc_unregister, kvm_s390_gisa_destroy,
 * gib_alert_irq_handler, process_gib_alert_list).
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */
import { FAULT, iscBit, type SystemContext } from '../context.ts';
import { SpecError } from '../../src/spec.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent, vmOf, type Effects } from '../lib.ts';
import { acquire, hrtimer, hrtimer_cancel, hrtimerExpires, kfunction, named, pcOf, release, type KFunction, type Lock, type Path, type Step, type ThreadView } from '../kthread.ts';
import { GAL_HELD, galCut, galHeldPaths, ref_lock } from './kvm_s390_gisa_interrupt.invariants.ts';
import { gisaSettle } from './kvm_s390_gisa_interrupt.machine.ts';
import { gibProcessFootprint } from './kvm_s390_gib.machine.ts';
import { checkedSteps, destroyPosts, galPostsWith, kickerPosts, kickerSkips, registerPosts, setIamSkips, unregisterPosts, walkPosts } from './kvm_s390_gisa_interrupt.stepghost.ts';

type C = SystemContext;
type F = KFunction<C>;

const vmIx = (t: ThreadView): number => t.ix.vm!;
const gi = (vm: number): Path => ['vms', vm, 'gisa'];
const listed = (c: C, vm: number): boolean => (c.gib.list & (1 << vm)) !== 0;


/** gi->timer of VM vm: queued or running while `gisa.timer` is set; its callback runs on thread `kicker`. */
export const gisaTimer = (vm: number, kicker: string) => hrtimer('gi->timer', [...gi(vm), 'timer'], kicker);

/** GISA word 0 as the C reads it: next_alert (listed or not), IPM, IAM. */
function word(c: C, vm: number): { listed: boolean; ipm: number; iam: number } {
  const g = vmOf(c, vm).gisa;
  return { listed: listed(c, vm), ipm: g.ipm, iam: g.iam };
}
const sameWord = (c: C, vm: number, t: ThreadView): boolean => {
  const w = word(c, vm);
  return w.listed === t.local.w_listed && w.ipm === t.local.w_ipm && w.iam === t.local.w_iam;
};
const keepWord = (c: C, vm: number, t: ThreadView): void => {
  const w = word(c, vm);
  t.local.w_listed = w.listed;
  t.local.w_ipm = w.ipm;
  t.local.w_iam = w.iam;
};

/** A dereference of gi->origin (or of the GISA it points to): NULL after destroy, or the page freed. */
function derefOrigin(c: C, vm: number, t: ThreadView): boolean {
  const k = vmOf(c, vm);
  if (k.gisa.origin && !k.gisa.freed) return true;
  t.report(FAULT.KICKER_ON_DEAD_GISA);
  return false;
}
const dead = named('oops', (_c: C, t: ThreadView) => t.local.oops === true);
/** The branch taken when gi->origin was dead: the only one that reports. */
const oops = { if: dead, goto: 'return', writes: [] as Path[], reports: true };

/**
 * A kernel function the thread splits, which a variant replaced in the kernel table
 * (`k.replaced`): the thread runs the replacement as one step, so the variant's code is what
 * runs (at the coarse granularity) rather than the upstream steps. Its footprint is the VM
 * and the GIB as a whole.
 */
export const REPLACED_AT = 'replaced by the variant (one step)';
function replacedAsOneStep(name: string, vm: number, step: Partial<Step<C>> & Pick<Step<C>, 'run'>): F {
  return kfunction(name, `arch/s390/kvm/interrupt.c ${name}, as the variant replaced it`, [
    { at: REPLACED_AT, cite: `${name}: the variant's replacement, run as one step`, reads: [['vms', vm], ['gib'], ['params']], writes: [['vms', vm], ['gib']], ...step },
  ]);
}
const replaced = (k: Kernel, ...names: string[]): boolean => names.some((n) => k.replaced.has(n));

/** Where the kicker's steps read: the GISA, the list bit, the faults they set. */
const wordReads = (vm: number): Path[] => [gi(vm), ['gib', 'list']];

/**
 * gisa_vcpu_kicker() with gisa_get_ipm_or_restore_iam() inlined, on the hrtimer of VM vm.
 * interrupt.c: `kvm = container_of(gi->origin, struct sie_page2, gisa)->kvm;
 * pending_mask = gisa_get_ipm_or_restore_iam(gi); if (pending_mask) { __airqs_kick_single_vcpu();
 * hrtimer_forward_now(); return HRTIMER_RESTART; } return HRTIMER_NORESTART;`
 */
export function gisaVcpuKicker(vm: number, kicker: string, k: Kernel): F {
  const timer = gisaTimer(vm, kicker);
  if (replaced(k, 'gisa_vcpu_kicker', 'gisa_get_ipm_or_restore_iam')) {
    const expires = hrtimerExpires<C>(timer);
    return replacedAsOneStep('gisa_vcpu_kicker', vm, {
      ...expires,
      reads: [['vms', vm], ['gib'], ['params'], ...expires.reads!],
      raises: ['kvm_s390_vcpu_wakeup'],
      reports: true,
      run: (c, t, fx) => void (derefOrigin(c, vmIx(t), t) && k.gisa_vcpu_kicker(c, vmIx(t), fx as Effects)),
    });
  }
  const steps: Step<C>[] = [
    {
      // the hrtimer expires and the callback's first statement reads gi->origin and ->kvm behind it
      at: 'container_of(gi->origin)',
      cite: 'interrupt.c gisa_vcpu_kicker: kvm = container_of(gi->origin, struct sie_page2, gisa)->kvm',
      ...hrtimerExpires<C>(timer),
      reads: [[...gi(vm), 'timer'], [...gi(vm), 'origin'], [...gi(vm), 'freed']],
      reports: true,
      uses: [],
      sets: ['oops'],
      run: (c, t) => void (t.local.oops = !derefOrigin(c, vmIx(t), t)),
      next: [oops, { goto: 'gisa_get_ipm_or_restore_iam@READ_ONCE(word)', writes: [] }],
    },
    {
      at: 'gisa_get_ipm_or_restore_iam@READ_ONCE(word)',
      cite: 'interrupt.c gisa_get_ipm_or_restore_iam: word = READ_ONCE(gi->origin->u64.word[0])',
      reads: wordReads(vm),
      reports: true,
      uses: [],
      sets: ['oops', 'w_listed', 'w_ipm', 'w_iam'],
      run: (c, t) => {
        t.local.oops = !derefOrigin(c, vmIx(t), t);
        keepWord(c, vmIx(t), t);
      },
      next: [oops, { goto: 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)', writes: [] }],
    },
    {
      // the mask is read without ref_lock: register/unregister may change it before the cmpxchg
      at: 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)',
      cite: 'interrupt.c gisa_get_ipm_or_restore_iam: alert_mask = READ_ONCE(gi->alert.mask); pending_mask = (u8)(word >> 24) & alert_mask',
      reads: [[...gi(vm), 'mask']],
      uses: ['w_ipm'],
      sets: ['mask', 'pending'],
      run: (c, t) => {
        const mask = vmOf(c, vmIx(t)).gisa.mask;
        t.local.mask = mask;
        t.local.pending = (t.local.w_ipm as number) & mask;
      },
      next: [{ if: named('pending_mask', (_c, t) => t.local.pending !== 0), goto: KICK_SCAN }, { goto: 'gisa_get_ipm_or_restore_iam@try_cmpxchg(word)' }],
    },
    {
      at: 'gisa_get_ipm_or_restore_iam@try_cmpxchg(word)',
      cite: 'interrupt.c gisa_get_ipm_or_restore_iam: _word = (word & ~0xffUL) | alert_mask; while (!try_cmpxchg(&gi->origin->u64.word[0], &word, _word))',
      reads: wordReads(vm),
      writes: [[...gi(vm), 'iam'], [...gi(vm), 'timer']],
      reports: true,
      // the word read before, the mask, and `oops` (the branch tests it where the origin is live and this step did not write it)
      uses: ['w_listed', 'w_ipm', 'w_iam', 'mask', 'oops'],
      run: (c, t) => {
        const vm = vmIx(t);
        if (!derefOrigin(c, vm, t)) {
          t.local.oops = true;
          return;
        }
        if (sameWord(c, vm, t)) {
          vmOf(c, vm).gisa.iam = t.local.mask as number;
          vmOf(c, vm).gisa.timer = false; // returns 0: HRTIMER_NORESTART
          t.local.swapped = true;
        } else {
          keepWord(c, vm, t); // try_cmpxchg loads the current word
          t.local.swapped = false;
        }
      },
      next: [
        oops,
        { if: named('swapped', (_c, t) => t.local.swapped === true), goto: 'return', writes: [[...gi(vm), 'iam'], [...gi(vm), 'timer']] },
        { goto: 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)', writes: [] },
      ],
    },
    ...kickSingleVcpu(vm, k),
  ];
  return checkedSteps(kfunction('gisa_vcpu_kicker', 'arch/s390/kvm/interrupt.c gisa_vcpu_kicker', steps), k, FAULT.GISA_THREAD_STEP_POST, kickerPosts, kickerSkips);
}

/** The kicker's steps in __airqs_kick_single_vcpu: the scan of idle_mask, then test_and_set_bit(kicked_mask). */
export const KICK_SCAN = '__airqs_kick_single_vcpu@for_each_set_bit(idle_mask)';
export const KICK_TEST_AND_SET = '__airqs_kick_single_vcpu@test_and_set_bit(kicked_mask)';

/**
 * __airqs_kick_single_vcpu(kvm, pending_mask) as the kicker runs it, then `hrtimer_forward_now();
 * return HRTIMER_RESTART`: the scan over idle_mask (psw_ioint_disabled and gcr[6] of each idle
 * vcpu, read without a lock) picks the first idle vcpu open for a pending ISC; then
 * `if (test_and_set_bit(vcpu_idx, gi->kicked_mask)) return; kvm_s390_vcpu_wakeup(vcpu);`.
 * The scan is one step: the kicker re-arms while anything is pending, so a scan that misses a
 * vcpu changing state under it is a later scan's business (each bit is one atomic read). The
 * test_and_set_bit and the wake-up are one step: nothing but the kicker reads kicked_mask, and a
 * wake-up arriving later than the bit is set is the same as one arriving at once for the vcpu,
 * whose kvm_vcpu_block re-checks after set_current_state. A variant that replaced the whole
 * function (k.replaced) runs it as one step.
 */
function kickSingleVcpu(vm: number, k: Kernel): Step<C>[] {
  const vcpus: Path = ['vms', vm, 'vcpus'];
  if (replaced(k, '__airqs_kick_single_vcpu')) {
    return [{
      at: KICK_SCAN,
      cite: 'interrupt.c __airqs_kick_single_vcpu, as the variant replaced it (one step)',
      reads: [vcpus],
      writes: [[...vcpus, '*', 'kicked'], [...vcpus, '*', 'interruptible']],
      raises: ['kvm_s390_vcpu_wakeup'],
      run: (c, t, fx) => k.__airqs_kick_single_vcpu(c, vmIx(t), t.local.pending as number, fx as Effects),
    }];
  }
  return [
    {
      at: KICK_SCAN,
      cite: 'interrupt.c __airqs_kick_single_vcpu: for_each_set_bit(vcpu_idx, kvm->arch.idle_mask, online_vcpus) { if (psw_ioint_disabled(vcpu)) continue; if (deliverable_mask & (u8)(gcr[6] >> 24)) ...',
      reads: [[...vcpus, '*', 'idle'], [...vcpus, '*', 'pswIo'], [...vcpus, '*', 'cr6'], [...vcpus, 'length']],
      uses: ['pending'],
      sets: ['idx'],
      run: (c, t) => {
        const list = vmOf(c, vmIx(t)).vcpus;
        t.local.idx = list.findIndex((v) => v.idle && v.pswIo && ((t.local.pending as number) & v.cr6) !== 0);
      },
      next: [{ if: named('no idle vcpu open for it', (_c, t) => t.local.idx === -1), goto: 'return' }, { goto: KICK_TEST_AND_SET }],
    },
    {
      at: KICK_TEST_AND_SET,
      cite: 'interrupt.c __airqs_kick_single_vcpu: /* lately kicked but not yet running */ if (test_and_set_bit(vcpu_idx, gi->kicked_mask)) return; kvm_s390_vcpu_wakeup(vcpu); return',
      reads: [[...vcpus, '*', 'kicked'], [...vcpus, '*', 'interruptible']],
      writes: [[...vcpus, '*', 'kicked'], [...vcpus, '*', 'interruptible']],
      raises: ['kvm_s390_vcpu_wakeup'],
      uses: ['idx'],
      run: (c, t, fx) => {
        const vcpu = t.local.idx as number;
        const v = vmOf(c, vmIx(t)).vcpus[vcpu]!;
        if (v.kicked) return;
        v.kicked = true;
        k.kvm_s390_vcpu_wakeup(c, vmIx(t), vcpu, fx as Effects);
      },
    },
  ];
}

/** `if (!gi->origin) return -ENODEV;`: read without the lock. */
const checkOrigin = (fn: string, vm: number): Step<C> => ({
  at: 'if (!gi->origin)',
  cite: `interrupt.c ${fn}: if (!gi->origin) return -ENODEV (read before ref_lock)`,
  reads: [[...gi(vm), 'origin']],
  run: (c, t) => void (t.local.enodev = !vmOf(c, vmIx(t)).gisa.origin),
  next: [{ if: named('-ENODEV', (_c, t) => t.local.enodev === true), goto: 'return' }, { goto: `spin_lock(ref_lock)` }],
});

/** gi->origin NULL at gisa_set_iam: kvm_s390_gisa_destroy (a PV switch's kvm_s390_gisa_disable) ran after the unlocked -ENODEV check (issue 12, pvswitch). */
const nullOrigin = named('gi->origin NULL', (c: C, t: ThreadView) => !vmOf(c, vmIx(t)).gisa.origin);

/**
 * `gisa_set_iam(gi->origin, gi->alert.mask)` under ref_lock: one cmpxchg loop, -EBUSY (ignored) while listed.
 * With gi->origin NULL the C loads word 0 at address 0 (and may cmpxchg it), not the GISA: reported
 * (FAULT.GISA_NULL_ORIGIN_USE), the GISA untouched, the function goes on to its unlock.
 */
const setIam = (fn: string, vm: number, k: Kernel): Step<C> => ({
  at: 'gisa_set_iam(origin, alert_mask)',
  cite: `interrupt.c ${fn}: gisa_set_iam(gi->origin, gi->alert.mask) (its -EBUSY ignored)`,
  reads: [...wordReads(vm)],
  writes: [[...gi(vm), 'iam']],
  reports: true,
  run: (c, t) => {
    if (!vmOf(c, vmIx(t)).gisa.origin) return t.report(FAULT.GISA_NULL_ORIGIN_USE);
    k.gisa_set_iam(c, vmIx(t), vmOf(c, vmIx(t)).gisa.mask);
  },
  next: [{ if: nullOrigin, goto: 'spin_unlock(ref_lock)', writes: [], reports: true }, { goto: 'spin_unlock(ref_lock)', writes: [[...gi(vm), 'iam']] }],
});

/** kvm_s390_gisc_register(kvm, gisc) of VM vm, upstream (the IAM follows the mask at once unless listed). */
export function gisc_register(vm: number, gisc: number, k: Kernel): F {
  const lock = ref_lock(vm);
  if (replaced(k, 'kvm_s390_gisc_register')) return replacedAsOneStep('kvm_s390_gisc_register', vm, { run: (c, t) => void k.kvm_s390_gisc_register(c, vmIx(t), gisc) });
  return checkedSteps(kfunction('kvm_s390_gisc_register', 'arch/s390/kvm/interrupt.c kvm_s390_gisc_register', [
    checkOrigin('kvm_s390_gisc_register', vm),
    acquire<C>(lock),
    {
      at: 'ref_count[gisc]++',
      cite: 'interrupt.c kvm_s390_gisc_register: gi->alert.ref_count[gisc]++; if (== 1) gi->alert.mask |= 0x80 >> gisc',
      reads: [[...gi(vm), 'ref'], [...gi(vm), 'mask']],
      writes: [[...gi(vm), 'ref'], [...gi(vm), 'mask']],
      run: (c, t) => {
        const g = vmOf(c, vmIx(t)).gisa;
        g.ref[gisc] = (g.ref[gisc] ?? 0) + 1;
        t.local.first = g.ref[gisc] === 1;
        if (t.local.first) g.mask |= iscBit(gisc);
      },
      next: [{ if: named('ref_count == 1', (_c, t) => t.local.first === true), goto: 'gisa_set_iam(origin, alert_mask)' }, { goto: 'spin_unlock(ref_lock)' }],
    },
    setIam('kvm_s390_gisc_register', vm, k),
    release<C>(lock),
  ]), k, FAULT.GISA_THREAD_STEP_POST, registerPosts(gisc), setIamSkips);
}

/** kvm_s390_gisc_unregister(kvm, gisc) of VM vm. */
export function gisc_unregister(vm: number, gisc: number, k: Kernel): F {
  const lock = ref_lock(vm);
  if (replaced(k, 'kvm_s390_gisc_unregister')) return replacedAsOneStep('kvm_s390_gisc_unregister', vm, { run: (c, t) => void k.kvm_s390_gisc_unregister(c, vmIx(t), gisc) });
  return checkedSteps(kfunction('kvm_s390_gisc_unregister', 'arch/s390/kvm/interrupt.c kvm_s390_gisc_unregister', [
    checkOrigin('kvm_s390_gisc_unregister', vm),
    acquire<C>(lock),
    {
      at: 'ref_count[gisc]--',
      cite: 'interrupt.c kvm_s390_gisc_unregister: if (ref_count[gisc] == 0) -EINVAL; ref_count[gisc]--; if (== 0) gi->alert.mask &= ~(0x80 >> gisc)',
      reads: [[...gi(vm), 'ref'], [...gi(vm), 'mask']],
      writes: [[...gi(vm), 'ref'], [...gi(vm), 'mask']],
      reports: true,
      run: (c, t) => {
        const k = vmOf(c, vmIx(t));
        t.local.last = false;
        if (!k.gisa.ref[gisc]) {
          t.report(FAULT.GISC_UNREGISTER_UNBALANCED); // -EINVAL
          return;
        }
        k.gisa.ref[gisc]! -= 1;
        t.local.last = k.gisa.ref[gisc] === 0;
        if (t.local.last) k.gisa.mask &= ~iscBit(gisc);
      },
      next: [{ if: named('ref_count == 0', (_c, t) => t.local.last === true), goto: 'gisa_set_iam(origin, alert_mask)' }, { goto: 'spin_unlock(ref_lock)' }],
    },
    setIam('kvm_s390_gisc_unregister', vm, k),
    release<C>(lock),
  ]), k, FAULT.GISA_THREAD_STEP_POST, unregisterPosts(gisc), setIamSkips);
}

/**
 * kvm_s390_gisa_destroy() of VM vm (v6.6+): `WARN(gi->alert.mask != 0); gi->alert.mask = 0;
 * if (gisa_set_iam(gi->origin, 0)) process_gib_alert_list(); hrtimer_cancel(&gi->timer);
 * gi->origin = NULL;`. Its process_gib_alert_list() is one step, or with `walk` (configurations
 * gal-destroy, two-vms-destroy) the steps of the GAL handler's walk (alertListWalk), so that a
 * second caller on another CPU can interleave with it.
 */
export function gisa_destroy(vm: number, kicker: string, k: Kernel, walk?: Walk): F {
  const d = k.design;
  if (replaced(k, 'kvm_s390_gisa_destroy')) {
    // its hrtimer_cancel waits for a running kicker; the regions follow what it did
    return replacedAsOneStep('kvm_s390_gisa_destroy', vm, {
      waitsFor: [kicker],
      reads: [['vms'], ['gib'], ['params']],
      writes: [['vms'], ['gib']],
      raises: [...gibProcessFootprint(d).raises, gisaSettle(vm).params.type],
      run: (c, t, fx) => {
        k.kvm_s390_gisa_destroy(c, vmIx(t), fx as Effects);
        fx.raise({ type: settleEvent('gib').type });
        fx.raise({ type: gisaSettle(vmIx(t)).params.type });
      },
    });
  }
  if (d.gisaDestroy === 'v5.2' && d.gib === 'upstream' && walk) return gisa_destroy_v52(vm, kicker, walk);
  if (d.gisaDestroy !== 'v6.6' || d.gib !== 'upstream') throw new SpecError(`the fine-grained kvm_s390_gisa_destroy transcribes v6.6 with the upstream GIB (v5.2 in the walk configurations); design ${JSON.stringify(d)} is coarse only`);
  const afterWalk = walk?.lock ? DESTROY_UNLOCK : CANCEL;
  return checkedSteps(kfunction('kvm_s390_gisa_destroy', 'arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy', [
    {
      at: 'WARN(alert_mask != 0)',
      cite: 'interrupt.c kvm_s390_gisa_destroy: if (!gi->origin) return; WARN(gi->alert.mask != 0x00, ...)',
      reads: [[...gi(vm), 'origin'], [...gi(vm), 'mask']],
      reports: true,
      run: (c, t) => {
        const k = vmOf(c, vmIx(t));
        t.local.none = !k.gisa.origin;
        t.local.warn = !!(k.gisa.origin && k.gisa.mask);
        if (t.local.warn) t.report(FAULT.DESTROY_WITH_ALERT_MASK);
      },
      next: [
        { if: named('!gi->origin', (_c, t) => t.local.none === true), goto: 'return', writes: [] },
        { if: named('WARN', (_c, t) => t.local.warn === true), goto: 'alert_mask = 0', writes: [], reports: true },
        { goto: 'alert_mask = 0', writes: [] },
      ],
    },
    {
      at: 'alert_mask = 0',
      cite: 'interrupt.c kvm_s390_gisa_destroy: gi->alert.mask = 0x00 (without ref_lock)',
      writes: [[...gi(vm), 'mask']],
      run: (c, t) => void (vmOf(c, vmIx(t)).gisa.mask = 0),
    },
    // proposed-gib-walk-lock: the destroy's -EBUSY test and its walk under the lock the GAL handler's walk takes
    ...(walk?.lock ? [acquire<C>(walk.lock, 'write', { cite: 'proposed: spin_lock(&gib->alert_list_lock) before gisa_set_iam(gi->origin, 0)' })] : []),
    {
      at: 'gisa_set_iam(origin, 0)',
      cite: 'interrupt.c kvm_s390_gisa_destroy: if (gisa_set_iam(gi->origin, gi->alert.mask)) (-EBUSY while listed)',
      reads: wordReads(vm),
      writes: [[...gi(vm), 'iam']],
      run: (c, t) => void (t.local.busy = k.gisa_set_iam(c, vmIx(t), 0) !== 0),
      next: [{ if: named('-EBUSY', (_c, t) => t.local.busy === true), goto: walk ? GAL_XCHG : 'process_gib_alert_list()' }, { goto: afterWalk }],
    },
    ...(walk
      ? alertListWalk(walk, afterWalk)
      : [{
          // atomic, as the GAL handler's is; its hrtimer_cancel waits for a running kicker
          at: 'process_gib_alert_list()',
          cite: 'interrupt.c kvm_s390_gisa_destroy: process_gib_alert_list()',
          waitsFor: [kicker],
          ...gibProcessFootprint(d),
          run: (c: C, _t: ThreadView, fx: { raise(e: { type: string }): void }) => {
            k.process_gib_alert_list(c, fx as Effects);
            fx.raise({ type: settleEvent('gib').type }); // the GIB region follows gib->alert_list_origin
          },
        } satisfies Step<C>]),
    ...(walk?.lock ? [release<C>(walk.lock, 'write', { cite: 'proposed: spin_unlock(&gib->alert_list_lock) after process_gib_alert_list', next: CANCEL })] : []),
    hrtimer_cancel<C>(gisaTimer(vm, kicker), {
      cite: 'interrupt.c kvm_s390_gisa_destroy: hrtimer_cancel(&gi->timer) (waits for a running gisa_vcpu_kicker)',
      // a walk configuration whose kickers never fire (two-vms-destroy): nothing runs to wait for
      ...(walk && !walk.kickers.includes(kicker) ? { waitsFor: [] } : {}),
    }),
    {
      at: 'gi->origin = NULL',
      cite: 'interrupt.c kvm_s390_gisa_destroy: gi->origin = NULL',
      writes: [[...gi(vm), 'origin']],
      raises: [gisaSettle(vm).params.type],
      run: (c, t, fx) => {
        vmOf(c, vmIx(t)).gisa.origin = false;
        fx.raise({ type: gisaSettle(vmIx(t)).params.type }); // the GISA region follows gi->origin
      },
    },
  ]), k, FAULT.GISA_THREAD_STEP_POST, walk ? { ...destroyPosts, ...walkPosts(afterWalk) } : destroyPosts, setIamSkips);
}
const CANCEL = 'hrtimer_cancel(gi->timer)';
/**
 * kvm_s390_gisa_destroy() of v5.2 .. v6.5 (before f87ef5723536), in the walk configurations (variant gisa-destroy-v5.2 in
 * gal-destroy): `if (!gi->origin) return; if (gi->alert.mask) KVM_EVENT(...); while (gisa_in_alert_list(gi->origin))
 * cpu_relax(); hrtimer_cancel(&gi->timer); gi->origin = NULL;` The spin is a step enabled once the GISA is unlinked (by
 * the GAL handler's walk on another CPU); it walks nothing itself.
 */
function gisa_destroy_v52(vm: number, kicker: string, walk: Walk): F {
  return kfunction('kvm_s390_gisa_destroy', 'arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy (v5.2)', [
    {
      at: 'KVM_EVENT(alert_mask)',
      cite: 'interrupt.c v5.2 kvm_s390_gisa_destroy: if (!gi->origin) return; if (gi->alert.mask) KVM_EVENT(3, "vm 0x%pK has unexpected iam 0x%02x", ...) (logged, alert.mask kept)',
      reads: [[...gi(vm), 'origin']],
      run: (c, t) => void (t.local.none = !vmOf(c, vmIx(t)).gisa.origin),
      next: [{ if: named('!gi->origin', (_c, t) => t.local.none === true), goto: 'return' }, { goto: 'while (gisa_in_alert_list(gi->origin)) cpu_relax()' }],
    },
    {
      at: 'while (gisa_in_alert_list(gi->origin)) cpu_relax()',
      cite: 'interrupt.c v5.2 kvm_s390_gisa_destroy: while (gisa_in_alert_list(gi->origin)) cpu_relax() (waits for the GAL handler to unlink it)',
      reads: [['gib', 'list']],
      when: named('!gisa_in_alert_list', (c: C, t: ThreadView) => !listed(c, vmIx(t))),
    },
    hrtimer_cancel<C>(gisaTimer(vm, kicker), {
      cite: 'interrupt.c v5.2 kvm_s390_gisa_destroy: hrtimer_cancel(&gi->timer)',
      ...(!walk.kickers.includes(kicker) ? { waitsFor: [] } : {}),
    }),
    {
      at: 'gi->origin = NULL',
      cite: 'interrupt.c v5.2 kvm_s390_gisa_destroy: gi->origin = NULL',
      writes: [[...gi(vm), 'origin']],
      raises: [gisaSettle(vm).params.type],
      run: (c, t, fx) => {
        vmOf(c, vmIx(t)).gisa.origin = false;
        fx.raise({ type: gisaSettle(vmIx(t)).params.type }); // the GISA region follows gi->origin
      },
    },
  ]);
}

const DESTROY_UNLOCK = 'spin_unlock(alert_list_lock)';

/**
 * A callee's steps inlined into a caller's kfunction: each pc becomes `<callee>@<at>`, its jumps
 * follow, and its `return` goes to `then` (the caller's next statement, a full pc, or 'return').
 */
export function inlined(callee: F, then: string): Step<C>[] {
  const pc = (at: string) => pcOf(callee.name, at);
  const to = (goto: string) => (goto === 'return' ? then : pc(goto));
  return callee.steps.map((s, k) => {
    const fall = k + 1 < callee.steps.length ? pc(callee.steps[k + 1]!.at) : then;
    const next = s.next === undefined ? fall : typeof s.next === 'string' ? to(s.next) : s.next.map((b) => ({ ...b, goto: to(b.goto) }));
    return { ...s, at: pc(s.at), next };
  });
}

/** The driver of the register-kicker configurations: vfio_ap_irq_enable's kvm_s390_gisc_register. */
export const AQIC_ENABLE = 'vfio_ap_irq_enable';
/** vfio_ap_irq_enable's kvm_s390_gisc_register, then vfio_ap_irq_disable's kvm_s390_gisc_unregister (vfio_ap_free_aqic_resources). */
export const AQIC_ENABLE_DISABLE = 'vfio_ap_irq_enable_disable';

/**
 * One driver CPU, statement by statement: the guest's PQAP(AQIC) enabling interruptions
 * (drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable: `nisc = kvm_s390_gisc_register(kvm, isc)`)
 * and, with `disable`, later disabling them again (vfio_ap_irq_disable ->
 * vfio_ap_free_aqic_resources: `kvm_s390_gisc_unregister(kvm, q->saved_isc)`). The rest of
 * vfio_ap's paths (NIB pin, the AQIC instruction) touch nothing the GISA threads read; the
 * registration's steps are the ones of gisc_register/gisc_unregister, inlined.
 */
export function aqicDriver(vm: number, gisc: number, k: Kernel, disable: boolean): F {
  const reg = gisc_register(vm, gisc, k);
  if (!disable) return kfunction(AQIC_ENABLE, 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable: kvm_s390_gisc_register', inlined(reg, 'return'));
  const unreg = gisc_unregister(vm, gisc, k);
  return kfunction(AQIC_ENABLE_DISABLE, 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable (kvm_s390_gisc_register), then vfio_ap_irq_disable (kvm_s390_gisc_unregister)', [
    ...inlined(reg, pcOf(unreg.name, unreg.steps[0]!.at)),
    ...inlined(unreg, 'return'),
  ]);
}

export const GAL_FIRST = 'process_gib_alert_list@xchg(alert_list_origin, NONE_GISA_ADDR)';
export const GAL_XCHG = 'process_gib_alert_list@xchg(alert_list_origin, final ? NULL_GISA_ADDR : NONE_GISA_ADDR)';
export const GAL_UNLINK = 'process_gib_alert_list@gisa->next_alert = gisa_phys';
export const GAL_START = 'process_gib_alert_list@hrtimer_start(gi->timer, 0)';
/** The proposed fix's lock around the GAL handler's walk (no such lock upstream: variant proposed-gib-walk-lock). */
export const WALK_LOCK_AT = 'process_gib_alert_list@spin_lock(alert_list_lock)';
export const WALK_UNLOCK_AT = 'process_gib_alert_list@spin_unlock(alert_list_lock)';
export const lowest = (mask: number): number => 31 - Math.clz32(mask & -mask);

/** How a thread walks the alert list: `kickers` (the threads running the gisa_vcpu_kickers its hrtimer_cancel waits for; none: the armed timers never fire), `lock` (a proposed lock around the walk). */
export interface Walk {
  kickers: readonly string[];
  lock?: Lock;
}
/** The proposed gib->alert_list_lock (not in the kernel): one for the host, taken around process_gib_alert_list. */
export const alertListLock = (): Lock => ({ key: 'gib->alert_list_lock', c: 'gib->alert_list_lock', kind: 'spinlock', short: 'alert_list_lock' });

/** A GISA whose kvm_s390_gisa_destroy has set gi->origin NULL, or whose sie_page2 is freed: a walk must not reach it. */
const deadGisa = (c: C, vm: number): boolean => !vmOf(c, vm).gisa.origin || vmOf(c, vm).gisa.freed;

/**
 * One xchg of gib->alert_list_origin: it takes every GISA millicode enqueued on the origin it
 * replaces (`cut`: the listed GISAs but those another walker cut off before and has not unlinked
 * yet, which hang on that walker's list), a list ending in 0 if it was built on NULL_GISA_ADDR and
 * in 1 if on NONE_GISA_ADDR (`term`, what `origin & NONE_GISA_ADDR` reads after the walk).
 */
function cutOff(c: C, t: ThreadView, final: boolean, fx: { raise(e: { type: string }): void }): void {
  t.local.final = final;
  t.local.term = c.gib.origin === 'NONE_GISA_ADDR' ? 1 : 0;
  t.local.cut = c.gib.list & ~galCut(c, t.me);
  c.gib.origin = final ? 'NULL_GISA_ADDR' : 'NONE_GISA_ADDR';
  fx.raise({ type: settleEvent('gib').type }); // the GIB region follows gib->alert_list_origin
}

/**
 * process_gib_alert_list() from its second xchg on (the first is the caller's: the GAL handler's
 * takes the interruption, a destroy's enters at GAL_XCHG with final = 0), statement by statement:
 * each xchg of gib->alert_list_origin is a step (millicode enqueues GISAs on the new list between
 * them), each GISA of the cut-off list is unlinked (`gisa->next_alert = gisa_phys`, the GISA word
 * changes: a concurrent try_cmpxchg fails, gisa_set_iam stops answering -EBUSY) in a step of its
 * own, and its kicker is armed in the next (`kvm = container_of(gisa, struct sie_page2, gisa)->kvm;
 * if (hrtimer_active) hrtimer_cancel; hrtimer_start(&gi->timer, 0)`: one step, which waits for a
 * running kicker callback; between cancel and start nothing but the kicker reads the timer, and it
 * cannot run while the timer is dequeued). The outer loop as the C has it: `final = origin &
 * NONE_GISA_ADDR` is the terminator of the list just processed (a list built on NULL_GISA_ADDR
 * ends in 0, one built on NONE_GISA_ADDR in 1), so a walk cuts off with NONE, NONE again, then
 * NULL: three xchgs when the list was built on NULL. Nothing serialises two callers: a GISA
 * already dead (unlinked or armed after its destroy) is reported, and the walk goes on as the C does.
 * `out`: where the caller goes when the walk returns. A caller enters at GAL_XCHG with final = 0
 * (`origin = 0UL`), so its first xchg stores NONE_GISA_ADDR.
 */
function alertListWalk(w: Walk, out: string): Step<C>[] {
  const cut = named('GISAs left on the cut-off list', (_c: C, t: ThreadView) => (t.local.cut as number) !== 0);
  const notFinal = named('!final', (_c: C, t: ThreadView) => t.local.final !== true);
  return [
    {
      at: GAL_XCHG,
      cite: 'interrupt.c process_gib_alert_list: } while (!final); ... final = (origin & NONE_GISA_ADDR); origin = xchg(&gib->alert_list_origin, (!final) ? NONE_GISA_ADDR : NULL_GISA_ADDR)',
      reads: [['gib', 'origin'], ['gib', 'list'], ...galHeldPaths],
      writes: [['gib', 'origin']],
      raises: [settleEvent('gib').type],
      run: (c, t, fx) => cutOff(c, t, (t.local.term as number) === 1, fx),
      next: [{ if: cut, goto: GAL_UNLINK }, { if: notFinal, goto: GAL_XCHG }, { goto: out }],
    },
    {
      at: GAL_UNLINK,
      cite: 'interrupt.c process_gib_alert_list: gisa = phys_to_virt(origin); origin = gisa->next_alert; gisa->next_alert = gisa_phys',
      reads: [['gib', 'list'], ['vms', '*', 'gisa', 'freed'], ['vms', '*', 'gisa', 'origin']],
      writes: [['gib', 'list'], ['vms', '*', 'faults']],
      reports: true,
      run: (c, t) => {
        const vm = lowest(t.local.cut as number);
        t.local.vm = vm;
        t.local.cut = (t.local.cut as number) & ~(1 << vm);
        t.local[GAL_HELD] = ((t.local[GAL_HELD] as number | undefined) ?? 0) | (1 << vm);
        c.gib.list &= ~(1 << vm);
        if (vmOf(c, vm).gisa.freed) vmOf(c, vm).faults |= FAULT.GISA_WRITE_AFTER_FREE; // the walk goes on through freed memory
        if (deadGisa(c, vm)) t.report(FAULT.GAL_WALK_ON_DEAD_GISA);
      },
    },
    {
      at: GAL_START,
      cite: 'interrupt.c process_gib_alert_list: kvm = container_of(gisa, struct sie_page2, gisa)->kvm; if (hrtimer_active(&gi->timer)) hrtimer_cancel(&gi->timer); hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL)',
      waitsFor: w.kickers,
      reads: [['vms', '*', 'gisa', 'freed'], ['vms', '*', 'gisa', 'origin']],
      writes: [['vms', '*', 'gisa', 'timer']],
      reports: true,
      run: (c, t) => {
        const vm = t.local.vm as number;
        // ->kvm read from a freed sie_page2, or a timer armed after the destroy's hrtimer_cancel: the kicker then runs on gi->origin NULL
        if (deadGisa(c, vm)) t.report(FAULT.GAL_WALK_ON_DEAD_GISA);
        vmOf(c, vm).gisa.timer = true;
        t.local[GAL_HELD] = (t.local[GAL_HELD] as number) & ~(1 << vm);
      },
      next: [{ if: cut, goto: GAL_UNLINK }, { if: notFinal, goto: GAL_XCHG }, { goto: out }],
    },
  ];
}

/**
 * gib_alert_irq_handler() -> process_gib_alert_list() of the upstream GIB, statement by
 * statement, on the CPU that takes the GAL interruption: the first xchg takes the interruption
 * (`origin = 0UL`, so it stores NONE_GISA_ADDR), then alertListWalk.
 * `w.kickers[vm]` is the thread running VM vm's gisa_vcpu_kicker.
 */
const GAL_CITE = 'arch/s390/kvm/interrupt.c gib_alert_irq_handler (inc_irq_stat(IRQIO_GAL); process_gib_alert_list())';
export function galHandler(kickers: readonly string[], k: Kernel, lock?: Lock): F {
  if (k.design.gib !== 'upstream') throw new SpecError(`the fine-grained process_gib_alert_list transcribes the upstream GIB; design ${JSON.stringify(k.design)} is coarse only`);
  const w: Walk = lock ? { kickers, lock } : { kickers };
  const cut = named('GISAs left on the cut-off list', (_c: C, t: ThreadView) => (t.local.cut as number) !== 0);
  const out = lock ? WALK_UNLOCK_AT : 'return';
  const steps: Step<C>[] = [
    // proposed-gib-walk-lock: the handler runs once the interruption is pending, and takes the lock before its first xchg
    ...(lock ? [acquire<C>(lock, 'write', { at: WALK_LOCK_AT, cite: 'proposed: spin_lock(&gib->alert_list_lock) at the top of process_gib_alert_list', when: (c) => c.gib.galPending, reads: [['gib', 'galPending']] })] : []),
    {
      // the GAL interruption taken: origin = 0UL, so the first pass is never final
      at: GAL_FIRST,
      cite: 'interrupt.c gib_alert_irq_handler: inc_irq_stat(IRQIO_GAL); process_gib_alert_list(): origin = 0UL; final = 0; origin = xchg(&gib->alert_list_origin, NONE_GISA_ADDR)',
      reads: [['gib', 'origin'], ['gib', 'list'], ['gib', 'galPending'], ...galHeldPaths],
      writes: [['gib', 'origin'], ['gib', 'galPending']],
      raises: [settleEvent('gib').type],
      when: (c) => c.gib.galPending,
      run: (c, t, fx) => {
        c.gib.galPending = false;
        cutOff(c, t, false, fx);
      },
      next: [{ if: cut, goto: GAL_UNLINK }, { goto: GAL_XCHG }],
    },
    ...alertListWalk(w, out),
    ...(lock ? [release<C>(lock, 'write', { at: WALK_UNLOCK_AT, cite: 'proposed: spin_unlock(&gib->alert_list_lock) at the end of process_gib_alert_list', next: 'return' })] : []),
  ];
  return checkedSteps(kfunction('gib_alert_irq_handler', GAL_CITE, steps), k, FAULT.GISA_THREAD_STEP_POST, galPostsWith(out));
}
