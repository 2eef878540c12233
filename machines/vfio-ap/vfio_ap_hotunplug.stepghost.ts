// Issue 12 (apunplug): per-step postconditions of the hot-unplug steps (vfio_ap_hotunplug.threads.ts, v6.17-rc4), checked
// as vfio_ap_ops.stepghost.ts checks the other fine-grained vfio_ap steps (checkedApSteps: FAULT.AP_THREAD_STEP_POST,
// ApThreadStepPostcondition). A state invariant cannot see most of what these statements do in unplug-stale (no queue holds
// AQIC resources there, and upstream already breaks NoMatrixMdevUseAfterFree), so each step is compared with its C statement:
// the lock it runs under, which queues it takes out of the qtable, collects, resets or unlinks, and that it touches nothing else.
// Written from drivers/s390/crypto/vfio_ap_ops.c, not from the step bodies. Harness: not mutated (src/mutate/scope.ts).
import { ISC_INVALID, type QueueContext, type SystemContext } from '../context.ts';
import { cloneDeep, type LockState } from '../kthread.ts';
import type { ApStepPosts, ApStepSeen } from './vfio_ap_ops.stepghost.ts';

type C = SystemContext;
type Shared = ApStepSeen['b'];
const MDEVS_LOCK = 'matrix_dev->mdevs_lock';

function holds(s: ApStepSeen, key: string): boolean {
  const l: LockState | undefined = s.locks[key];
  return l !== null && typeof l === 'object' ? l.w === s.t.me : l === s.t.me;
}

/** Everything shared is as before but what `allow` sets on both sides. */
function onlyChanged(s: ApStepSeen, allow: (x: Shared) => void): boolean {
  const [b, a] = [cloneDeep(s.b), cloneDeep(s.a)];
  allow(b);
  allow(a);
  return JSON.stringify(b) === JSON.stringify(a);
}

/** vfio_ap_mdev_get_queue finds q: its APQN in matrix.apm x matrix.aqm and hash_add'ed, not hash_del'ed or freed since. */
const found = (x: QueueContext): boolean => x.apid && x.apqi && x.linked !== false && x.freed !== true;
/** After vfio_ap_mdev_reset_queue and flush_work (ZAPQ answered NORMAL, the work freed): the AP off, no saved ISC or NIB, the saved pin gone. */
const resetDone = (b: QueueContext, a: QueueContext): boolean => !a.irq && a.hwGisa === -1 && a.isc === ISC_INVALID && !a.nib && a.pins === b.pins - (b.nib ? 1 : 0);
/** The fields a reset writes (queue) and the GISC registration it drops (VM): cleared before comparing the rest. */
const clearReset = (x: Shared, qs: readonly number[]): void => {
  for (const q of qs) Object.assign(x.queues[q]!, { irq: false, hwGisa: -1, hwIsc: ISC_INVALID, isc: ISC_INVALID, nib: false, pins: 0 });
  for (const vm of x.vms) Object.assign(vm.gisa, { ref: [], mask: 0, iam: 0 });
};
const bits = (mask: unknown, n: number): number[] => Array.from({ length: n }, (_, q) => q).filter((q) => ((mask as number) & (1 << q)) !== 0);

/** The unplug's three steps (UNLINK, RESET_QLIST, vfio_ap_unlink_mdev_fr_queue labels) for the adapter (every queue) or queue d's domain. */
export function unplugPosts(labels: { unlink: string; reset: string; unlinkMdev: string }, domain?: number): ApStepPosts {
  const taken = (n: number) => Array.from({ length: n }, (_, q) => q).filter((q) => domain === undefined || q === domain);
  return {
    // clear_bit_inv of the APID (APQI); vfio_ap_mdev_unlink_adapter / _domain: hash_del of each found queue, collected if in shadow_apcb; the shadow loses the bit
    [labels.unlink]: (s) => {
      const qs = taken(s.b.queues.length);
      const collect = qs.filter((q) => found(s.b.queues[q]!) && s.b.queues[q]!.inApcb === true);
      const shadow = domain === undefined ? s.b.queues.map((_, q) => q) : qs;
      return (
        holds(s, MDEVS_LOCK) &&
        JSON.stringify(bits(s.t.local.qlist, s.b.queues.length)) === JSON.stringify(collect) &&
        qs.every((q) => (found(s.b.queues[q]!) ? s.a.queues[q]!.linked === false : s.a.queues[q]!.linked === s.b.queues[q]!.linked)) &&
        qs.every((q) => (domain === undefined ? !s.a.queues[q]!.apid : !s.a.queues[q]!.apqi)) &&
        shadow.every((q) => s.a.queues[q]!.inApcb === false || s.a.queues[q]!.inApcb === undefined) &&
        onlyChanged(s, (x) => {
          for (const q of qs) Object.assign(x.queues[q]!, { linked: 0, [domain === undefined ? 'apid' : 'apqi']: 0 });
          for (const q of shadow) x.queues[q]!.inApcb = false;
        })
      );
    },
    // vfio_ap_mdev_reset_qlist: each collected queue reset and its work flushed; nothing else
    [labels.reset]: (s) => {
      const qlist = bits(s.t.local.qlist, s.b.queues.length);
      return holds(s, MDEVS_LOCK) && qlist.every((q) => resetDone(s.b.queues[q]!, s.a.queues[q]!)) && onlyChanged(s, (x) => clearReset(x, qlist));
    },
    // vfio_ap_unlink_mdev_fr_queue of each collected queue: q->matrix_mdev = NULL, nothing else
    [labels.unlinkMdev]: (s) => {
      const qlist = bits(s.t.local.qlist, s.b.queues.length);
      return holds(s, MDEVS_LOCK) && qlist.every((q) => s.a.queues[q]!.matrixMdev === false) && onlyChanged(s, (x) => qlist.forEach((q) => void (x.queues[q]!.matrixMdev = false)));
    },
  };
}

/** get_update_locks_for_mdev's and release_update_locks_for_mdev's `if (matrix_mdev && matrix_mdev->kvm)`: reads only; the branch to kvm->lock exactly when the mdev is attached to the VM. */
export function kvmTestPosts(labels: readonly string[], vm: number): ApStepPosts {
  const kvmLock = (to: string | undefined) => to !== undefined && /kvm->lock/.test(to);
  return Object.fromEntries(labels.map((at) => [at, (s: ApStepSeen) => kvmLock(s.taken) === (s.b.mdev.kvm === vm) && onlyChanged(s, () => {})]));
}

/** vfio_ap_mdev_remove of the closed mdev: the qtable's queues reset and (in apm x aqm) unlinked from the mdev, under mdevs_lock; then vfio_put_device frees it. */
export function mdevRemovePosts(labels: { reset: string; put: string }): ApStepPosts {
  return {
    [labels.reset]: (s) => {
      const qtable = s.b.queues.flatMap((x, q) => (x.linked !== false && x.freed !== true ? [q] : []));
      const unlinked = qtable.filter((q) => s.b.queues[q]!.apid && s.b.queues[q]!.apqi);
      return (
        holds(s, MDEVS_LOCK) &&
        qtable.every((q) => resetDone(s.b.queues[q]!, s.a.queues[q]!)) &&
        unlinked.every((q) => s.a.queues[q]!.matrixMdev === false) &&
        onlyChanged(s, (x) => {
          clearReset(x, qtable);
          for (const q of unlinked) x.queues[q]!.matrixMdev = false;
        })
      );
    },
    [labels.put]: (s) => s.a.mdev.freed === true && onlyChanged(s, (x) => void (x.mdev.freed = true)),
  };
}

/**
 * vfio_ap_mdev_remove_queue of queue q: its test of q->matrix_mdev (locals only: the branch to kvm->lock exactly when the
 * pointer names the live mdev attached to the VM), and the step under the locks: q in the shadow APCB through its pointer:
 * the APID leaves the shadow APCB and every queue of it in the shadow APCB and the qtable is reset; otherwise q alone is
 * reset; hash_del exactly when the pointer is set; kfree(q).
 */
export function removeQueuePosts(labels: { test: string; release: string; remove: string }, q: number, vm: number): ApStepPosts {
  const viaMdev = (b: Shared) => b.queues[q]!.matrixMdev === true;
  return {
    [labels.test]: (s) => s.t.local.viaMdev === viaMdev(s.b) && /kvm->lock/.test(s.taken ?? '') === (viaMdev(s.b) && s.b.mdev.freed !== true && s.b.mdev.kvm === vm) && onlyChanged(s, () => {}),
    [labels.release]: (s) => /kvm->lock/.test(s.taken ?? '') === (s.t.local.kvm === true) && onlyChanged(s, () => {}),
    [labels.remove]: (s) => {
      const b = s.b.queues[q]!;
      const apid = viaMdev(s.b) && b.inApcb === true;
      const reset = apid ? s.b.queues.flatMap((y, i) => (y.inApcb === true && y.linked !== false && y.freed !== true ? [i] : [])) : [q];
      const unplugged = apid ? s.b.queues.map((_, i) => i) : [];
      return (
        holds(s, MDEVS_LOCK) &&
        reset.every((i) => resetDone(s.b.queues[i]!, s.a.queues[i]!)) &&
        s.a.queues[q]!.freed === true &&
        s.a.queues[q]!.linked === (viaMdev(s.b) ? false : b.linked) &&
        unplugged.every((i) => s.a.queues[i]!.inApcb === false) &&
        onlyChanged(s, (x) => {
          clearReset(x, reset);
          for (const i of unplugged) x.queues[i]!.inApcb = false;
          Object.assign(x.queues[q]!, { freed: true, linked: 0 });
        })
      );
    },
  };
}

export type { C };
