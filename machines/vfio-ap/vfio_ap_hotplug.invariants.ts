// Safety predicates of the fine-grained pqap-assign configuration (issue 12, apassign): the matrix, the qtable and the
// guest's APCB while userspace assigns into a running guest (vfio_ap_hotplug.threads.ts; v6.17-rc4).
import { inv } from '../invariant-lib.ts';

export const ApcbQueueBound = inv(
  'ApcbQueueBound',
  'vfio_ap_ops.c vfio_ap_mdev_filter_matrix: "If the APQN is not bound to the vfio_ap device driver, then we can\'t assign it to the guest\'s AP configuration. The AP architecture won\'t allow filtering of a single APQN, so let\'s filter the APID": an APQN is in matrix_mdev->shadow_apcb (the guest\'s APCB) only while its APID and APQI are assigned, its queue is in the qtable (bound to vfio_ap, _queue_passable) and every other APQN of its APID in the matrix is bound too (the guest never sees a queue the host does not let it use)',
  ({ context }) => context.queues.every((q) => !q.inApcb || (q.apid && q.apqi && q.linked !== false && q.freed !== true && q.siblingUnbound !== true)),
  { context: [['queues', '*', 'inApcb'], ['queues', '*', 'apid'], ['queues', '*', 'apqi'], ['queues', '*', 'linked'], ['queues', '*', 'freed'], ['queues', '*', 'siblingUnbound'], ['queues', 'length']] },
);

export const MatrixQueueLinked = inv(
  'MatrixQueueLinked',
  'vfio_ap_ops.c assign_adapter_store / assign_domain_store: a store that vfio_ap_mdev_validate_masks refuses clears its bit again ("if (ret) { clear_bit_inv(...); goto done; }": the matrix as it was), one it accepts links every queue of the new APQNs that is bound to vfio_ap (vfio_ap_mdev_link_adapter/_domain -> vfio_ap_mdev_link_queue: q->matrix_mdev, the qtable): a queue bound to vfio_ap whose APQN is in the matrix is in the qtable handle_pqap searches (pqap-assign: no probe or remove runs)',
  ({ context }) => context.queues.every((q) => q.linked === undefined || q.freed === true || !(q.apid && q.apqi) || q.linked),
  { context: [['queues', '*', 'linked'], ['queues', '*', 'apid'], ['queues', '*', 'apqi'], ['queues', '*', 'freed'], ['queues', 'length']] },
);
