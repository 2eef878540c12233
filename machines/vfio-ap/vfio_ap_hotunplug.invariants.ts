// Properties of the hot-unplug configurations (issue 12, apunplug; machines/vfio-ap/vfio_ap_hotunplug.threads.ts).
// The use of a freed mdev through q->matrix_mdev is NoMatrixMdevUseAfterFree (ap_matrix_mdev.invariants.ts).
import { inv, savedIsc } from '../invariant-lib.ts';

export const UnpluggedQueueHoldsNothing = inv(
  'UnpluggedQueueHoldsNothing',
  'vfio_ap_ops.c vfio_ap_mdev_hot_unplug_adapters / _domains: the queues of the unplugged APID / APQI that were in the guest\'s APCB are reset (vfio_ap_mdev_reset_qlist: ZAPQ, flush_work, vfio_ap_free_aqic_resources) before vfio_ap_unlink_mdev_fr_queue sets q->matrix_mdev = NULL, all under the update locks: a queue unlinked from its mdev has its AP interruptions off, no saved ISC (GISC registration) and no pinned NIB, which nothing could release any more (vfio_ap_free_aqic_resources needs q->matrix_mdev)',
  ({ context }) => context.queues.every((q) => q.matrixMdev !== false || q.freed === true || (!savedIsc(q.isc) && !q.nib && q.pins === 0 && !q.irq)),
  { context: [['queues', '*', 'matrixMdev'], ['queues', '*', 'freed'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', '*', 'pins'], ['queues', '*', 'irq'], ['queues', 'length']] },
);
