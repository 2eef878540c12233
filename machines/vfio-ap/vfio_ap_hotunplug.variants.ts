// Variants of the hot-unplug steps (issue 12, apunplug; machines/vfio-ap/vfio_ap_hotunplug.threads.ts): the proposed fix of the
// finding and the planted bug of UnpluggedQueueHoldsNothing, as edits of the store functions' steps (machines/system/system.variants.ts).
import type { SystemContext } from '../context.ts';
import type { KFunction, Path, ThreadView } from '../kthread.ts';
import { RESET_QLIST, UNLINK } from './vfio_ap_hotunplug.threads.ts';

type C = SystemContext;
type F = KFunction<C>;

/**
 * Proposed fix (unplug-stale): vfio_ap_mdev_unlink_adapter / _domain also clear q->matrix_mdev of a queue they take out
 * of the qtable without collecting it (not in the guest's APCB: nothing to reset), as vfio_ap_mdev_remove_queue's
 * callers expect of an unlinked queue:
 *   if (q && qlist) { if (in shadow_apcb) list_add_tail(&q->reset_qnode, qlist); else vfio_ap_unlink_mdev_fr_queue(q); }
 */
export function unlinkFilteredToo(f: F): F {
  return {
    ...f,
    steps: f.steps.map((s) => {
      if (s.at !== UNLINK) return s;
      const run = s.run!;
      return {
        ...s,
        cite: `proposed: ${s.cite}; a queue taken out of the qtable but not collected: vfio_ap_unlink_mdev_fr_queue(q) at once`,
        reads: [...(s.reads ?? [])],
        writes: [...(s.writes ?? []), ['queues', '*', 'matrixMdev'] as Path],
        run: (c: C, t: ThreadView, fx: Parameters<typeof run>[2]) => {
          const before = c.queues.map((x) => x.linked !== false && x.freed !== true);
          run(c, t, fx);
          c.queues.forEach((x, q) => {
            if (before[q] && x.linked === false && !((t.local.qlist as number) & (1 << q))) x.matrixMdev = false;
          });
        },
      };
    }),
  };
}

/** Planted (unplug-pqap): the hot unplug without vfio_ap_mdev_reset_qlist: the collected queues are unlinked from the mdev with their AQIC resources. */
export function unplugWithoutReset(f: F): F {
  return { ...f, steps: f.steps.map((s) => (s.at !== RESET_QLIST ? s : { ...s, cite: `planted: ${s.cite} dropped`, run: () => undefined })) };
}
