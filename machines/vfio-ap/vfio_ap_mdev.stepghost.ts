// Issue 12 (apmdev): per-step postconditions of the fine-grained steps of vfio_ap_mdev.threads.ts
// (pqap-mdev-eperm, pqap-dma-unmap; v6.17-rc4, Kingxukai/linux 9b44fff655e2), as vfio_ap_ops.stepghost.ts
// has them for the one-mdev steps: each named step's body runs between a snapshot and a comparison
// with what its C statement does (which lock it holds, what it stores or finds, which branch the C
// takes, and that it touches nothing else), and a step that did otherwise records
// FAULT.AP_THREAD_STEP_POST in every VM's faults of the raw context, read by ApThreadStepPostcondition.
// Written from drivers/s390/crypto/vfio_ap_ops.c and arch/s390/kvm/priv.c, not from the step bodies.
// Harness: not mutated (src/mutate/scope.ts mutates *.machine.ts, *.kernel.ts and *.threads.ts only).
import { FAULT, ISC_INVALID, type SystemContext } from '../context.ts';
import { probe } from '../../src/check/probe.ts';
import { cloneDeep, type Branch, type KFunction, type LockState, type Step, type ThreadView } from '../kthread.ts';
import { handlePqapPosts, HANDLE_PQAP_AT, type ApStepSeen } from './vfio_ap_ops.stepghost.ts';

type C = SystemContext;
type Shared = Pick<C, 'vms' | 'mdev' | 'mdev1' | 'queues' | 'gib' | 'airqs'>;

interface Seen {
  b: Shared;
  a: Shared;
  locks: Readonly<Record<string, LockState>>;
  taken: string | undefined;
  /** FAULT bits the thread reported in the step (t.report) */
  reported: number;
  t: ThreadView;
}

export type MdevStepPosts = Readonly<Record<string, (s: Seen) => boolean>>;

const shared = (c: C): Shared => ({ vms: c.vms, mdev: c.mdev, ...(c.mdev1 ? { mdev1: c.mdev1 } : {}), queues: c.queues, gib: c.gib, airqs: c.airqs });

function holds(s: Seen, key: string, mode: 'w' | 'r' = 'w'): boolean {
  const l = s.locks[key];
  if (l !== null && typeof l === 'object') return mode === 'w' ? l.w === s.t.me : l.r.includes(s.t.me);
  return l === s.t.me;
}

/** Everything shared is as before but what `allow` clears on both sides. */
function onlyChanged(s: Seen, allow: (x: Shared) => void = () => {}): boolean {
  const [b, a] = [cloneDeep(s.b), cloneDeep(s.a)];
  for (const x of [b, a]) allow(x);
  return JSON.stringify(b) === JSON.stringify(a);
}

const MDEVS_LOCK = 'matrix_dev->mdevs_lock';
const hookRwsem = (vm: number) => `kvm->arch.crypto.pqap_hook_rwsem#${vm}`;
const vmOf = (s: Seen) => s.t.ix.vm ?? 0;
const qOf = (s: Seen) => s.t.ix.q ?? 0;
/** VM vm's kvm->arch.crypto.pqap_hook: into mdev 0, mdev 1, or NULL. */
const hookOf = (x: Shared, vm: number): 0 | 1 | null => (x.mdev.hook === vm ? 0 : x.mdev1?.hook === vm ? 1 : null);

/** The step labels of vfio_ap_mdev.threads.ts. */
export const MDEV_AT = {
  hookTest: 'if (pqap_hook)',
  load: 'pqap_hook = *pqap_hook',
  store: 'pqap_hook = &matrix_mdev->pqap_hook',
  scan: 'list_for_each_entry(m, &matrix_dev->mdev_list, node): -EPERM',
  removeReset: 'vfio_ap_mdev_reset_queues; unlink; list_del',
  put: 'vfio_put_device',
  unmap: 'unmap_iova: vfio_ap_irq_disable',
} as const;

const enablePost = handlePqapPosts(3)[HANDLE_PQAP_AT.enable]!;

/** priv.c and vfio_ap handle_pqap with the hook into either mdev (pqap-mdev-eperm). */
export const twoMdevPqapPosts: MdevStepPosts = {
  // priv.c: if (vcpu->kvm->arch.crypto.pqap_hook) under pqap_hook_rwsem (read); else up_read (rc 01, cc 3)
  [MDEV_AT.hookTest]: (s) => holds(s, hookRwsem(vmOf(s)), 'r') && (s.taken === MDEV_AT.load) === (hookOf(s.b, vmOf(s)) !== null) && onlyChanged(s),
  // priv.c: pqap_hook = *vcpu->kvm->arch.crypto.pqap_hook: a load from the ap_matrix_mdev the hook points into (freed: the use after free)
  [MDEV_AT.load]: (s) => {
    const uaf = hookOf(s.b, vmOf(s)) === 1 && s.b.mdev1!.freed;
    return (s.taken === 'return') === uaf && ((s.reported & FAULT.MDEV_USE_AFTER_FREE) !== 0) === uaf && onlyChanged(s);
  },
  // vfio_ap handle_pqap under mdevs_lock: container_of(pqap_hook) is mdev 0 or 1; q found exactly through mdev 0 attached to the VM with the APQN assigned (mdev 1 has no kvm and no queue)
  [HANDLE_PQAP_AT.lookup]: (s) => {
    const x = s.b.queues[qOf(s)]!;
    const found = hookOf(s.b, vmOf(s)) === 0 && s.b.mdev.kvm === vmOf(s) && x.apid && x.apqi;
    return holds(s, MDEVS_LOCK) && (s.taken === HANDLE_PQAP_AT.enable) === found && onlyChanged(s);
  },
  [HANDLE_PQAP_AT.enable]: (s) => s.b.mdev1 !== undefined && enablePost(s as unknown as ApStepSeen),
};

/** vfio_ap_mdev_set_kvm of the second mdev and vfio_ap_mdev_remove of it (pqap-mdev-eperm, v6.17-rc4 unfixed). */
export const secondMdevPosts: MdevStepPosts = {
  // under pqap_hook_rwsem (write): the VM's one hook pointer now points at mdev 1
  [MDEV_AT.store]: (s) =>
    holds(s, hookRwsem(vmOf(s))) && hookOf(s.a, vmOf(s)) === 1 && s.a.mdev.hook === (s.b.mdev.hook === vmOf(s) ? -1 : s.b.mdev.hook) &&
    onlyChanged(s, (x) => { x.mdev.hook = 0; x.mdev1!.hook = 0; }),
  // under guests_lock, kvm->lock and mdevs_lock: -EPERM exactly when another mdev (mdev 0) has this kvm; the hook untouched
  [MDEV_AT.scan]: (s) =>
    holds(s, 'matrix_dev->guests_lock') && holds(s, `kvm->lock#${vmOf(s)}`) && holds(s, MDEVS_LOCK) &&
    s.a.mdev1!.refused === (s.b.mdev.kvm === vmOf(s)) && onlyChanged(s, (x) => void (x.mdev1!.refused = false)),
  // mdev 1 has no APQN: reset, unlink and list_del change nothing modelled; under guests_lock and mdevs_lock
  [MDEV_AT.removeReset]: (s) => holds(s, 'matrix_dev->guests_lock') && holds(s, MDEVS_LOCK) && onlyChanged(s),
  // vfio_put_device: the last reference, mdev 1 freed; the VM's hook is not looked at
  [MDEV_AT.put]: (s) => s.a.mdev1!.freed && onlyChanged(s, (x) => void (x.mdev1!.freed = false)),
};

/** vfio_ap_mdev_dma_unmap (pqap-dma-unmap, v6.17-rc4): under mdevs_lock, vfio_ap_irq_disable of the queue whose saved NIB is in the range. */
export const dmaUnmapPosts: MdevStepPosts = {
  [MDEV_AT.unmap]: (s) => {
    const [b, a] = [s.b.queues[qOf(s)]!, s.a.queues[qOf(s)]!];
    if (!holds(s, MDEVS_LOCK) || s.a.mdev.nibUnmapped !== true) return false;
    const vm = vmOf(s);
    if (!b.nib) return onlyChanged(s, (x) => void (x.mdev.nibUnmapped = false));
    // AQIC ir=0 answered NORMAL: the AP off; then the saved ISC unregistered (matrix_mdev->kvm set) and the NIB unpinned
    const off = !a.irq && a.hwIsc === ISC_INVALID && a.hwGisa === -1 && a.isc === ISC_INVALID && !a.nib && a.pins === b.pins - 1;
    const ref = s.a.vms[vm]!.gisa.ref[b.isc] === s.b.vms[vm]!.gisa.ref[b.isc]! - 1;
    return off && ref && onlyChanged(s, (x) => {
      x.mdev.nibUnmapped = false;
      x.queues[qOf(s)] = { ...x.queues[qOf(s)]!, irq: false, hwIsc: 0, hwGisa: 0, isc: 0, nib: false, pins: 0 };
      x.vms[vm]!.gisa = { ...x.vms[vm]!.gisa, ref: [], mask: 0, iam: 0 };
    });
  },
};

function takenBranch(next: Step<C>['next'], c: C, t: ThreadView): string | undefined {
  if (next === undefined || typeof next === 'string') return undefined;
  return (next as readonly Branch<C>[]).find((x) => !x.if || x.if(c, t))?.goto;
}

/** `f` with each step named in `posts` checked after its body (a step without a body gets an empty one to check its branch). */
export function checkedMdevSteps(f: KFunction<C>, posts: MdevStepPosts): KFunction<C> {
  return {
    ...f,
    steps: f.steps.map((st) => {
      const post = posts[st.at];
      if (!post) return st;
      const run = st.run ?? (() => {});
      const checked: NonNullable<Step<C>['run']> = (c, t, fx) => {
        const raw = probe.unwrap(c);
        const b = cloneDeep(shared(raw));
        const found = raw.threads?.found[t.me] ?? 0;
        run(c, t, fx);
        const seen: Seen = { b, a: shared(raw), locks: raw.threads?.locks ?? {}, taken: takenBranch(st.next, raw, t), reported: (raw.threads?.found[t.me] ?? 0) & ~found, t };
        if (!post(seen)) for (const vm of raw.vms) vm.faults |= FAULT.AP_THREAD_STEP_POST;
      };
      return { ...st, run: checked };
    }),
  };
}
