// Issue 12 (apnotify): per-step postconditions of the AP bus notifiers' steps (vfio_ap_notifier.threads.ts,
// v6.17-rc4), read by ApThreadStepPostcondition like the other fine-grained vfio_ap steps
// (vfio_ap_ops.stepghost.ts). Written from drivers/s390/crypto/vfio_ap_ops.c, not from the step bodies.
// Harness: not mutated (src/mutate/scope.ts mutates *.machine.ts, *.kernel.ts and *.threads.ts only).
import type { SystemContext } from '../context.ts';
import type { ApStepPosts, ApStepSeen } from './vfio_ap_ops.stepghost.ts';
import { apSnap, refsMoved, resetPost } from './vfio_ap_queue.invariants.ts';
import { cloneDeep } from '../kthread.ts';

type C = SystemContext;
type Shared = ApStepSeen['b'];

const holds = (s: ApStepSeen, key: string): boolean => s.locks[key] === s.t.me;
const GUESTS = 'matrix_dev->guests_lock';
const MDEVS = 'matrix_dev->mdevs_lock';
/** kvm->lock of the mdev's VM, held when matrix_mdev->kvm is set (the notifiers lock it through the pointer). */
const kvmLocked = (s: ApStepSeen): boolean => s.b.mdev.kvm < 0 || s.locks[`kvm->lock#${s.b.mdev.kvm}`] === s.t.me;

/** Everything shared as before but what `allow` clears on both sides. */
function onlyChanged(s: ApStepSeen, allow: (x: Shared) => void): boolean {
  const [b, a] = [cloneDeep(s.b), cloneDeep(s.a)];
  for (const x of [b, a]) allow(x);
  return JSON.stringify(b) === JSON.stringify(a);
}

/**
 * vfio_ap_mdev_on_cfg_add: do_add only for additions; vfio_ap_mdev_cfg_add: matrix_mdev->*_add = matrix & added (the
 * added domain and control domain are the mdev's), under guests_lock. vfio_ap_mdev_hot_plug_cfg (upstream): with an
 * adapter or domain added vfio_ap_mdev_filter_matrix clears apm_filtered and keeps a passable queue of the host's
 * configuration in the shadow APCB; with only control domains added apm_filtered is the stack's: each queue of a set
 * APID (stale: queue 0's) in the shadow APCB and the qtable is reset (ZAPQ answered NORMAL, the AQIC resources freed).
 * vfio_ap_on_scan_complete: the add bitmaps cleared.
 */
export const notifierPosts: ApStepPosts = {
  'vfio_ap_mdev_on_cfg_add@vfio_ap_mdev_cfg_add': (s) => {
    const want = { remove: s.b.mdev.added, 'add-apqn': 'apqn', 'add-cdom': 'cdom' }[s.t.local.change as string];
    return holds(s, GUESTS) && s.a.mdev.added === want && onlyChanged(s, (x) => void (x.mdev.added = 'none'));
  },
  'vfio_ap_mdev_hot_plug_cfg@filter': (s) => {
    const q = s.b.queues[0]!;
    const want = s.b.mdev.added === 'apqn' ? q.apid && q.apqi : q.inApcb;
    return holds(s, MDEVS) && kvmLocked(s) && s.a.queues[0]!.inApcb === want && onlyChanged(s, (x) => void (x.queues[0]!.inApcb = false));
  },
  'vfio_ap_mdev_hot_plug_cfg@reset_queues_for_apids(matrix_mdev, apm_filtered)': (s) => {
    const reset = s.b.mdev.added === 'cdom' && s.t.answer === 'stale' && s.b.queues[0]!.inApcb === true;
    if (!reset) return holds(s, MDEVS) && onlyChanged(s, () => {});
    const [b, a] = [apSnap(s.b as C), apSnap(s.a as C)];
    const r = resetPost(b.queues[0]!, a.queues[0]!, b.kvm, undefined);
    const dropped = new Map<number, number>(r.dropped >= 0 ? [[r.dropped, -1]] : []);
    const others = a.queues.every((qa, i) => i === 0 || JSON.stringify(qa) === JSON.stringify(b.queues[i]));
    return holds(s, MDEVS) && r.ok && others && refsMoved(b, a, b.kvm, dropped) && a.kvm === b.kvm && a.hook === b.hook;
  },
  'vfio_ap_on_scan_complete@bitmap_clear(matrix_mdev->*_add)': (s) => holds(s, GUESTS) && s.a.mdev.added === 'none' && onlyChanged(s, (x) => void (x.mdev.added = 'none')),
};
