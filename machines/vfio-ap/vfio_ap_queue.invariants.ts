// Safety predicates of vfio_ap queues: AQIC resources, pins and their order.
import { FAULT } from '../context.ts';
import { inv, region, savedIsc, top } from '../invariant-lib.ts';

export const QueueTypeOK = inv(
  'QueueTypeOK',
  'vfio_ap_private.h: saved_isc is VFIO_AP_ISC_INVALID unless AQIC was enabled; saved_iova goes with it',
  ({ value, context }) =>
    context.queues.every((q, i) => {
      const st = region(value, `q${i}`);
      const enabled = st !== undefined && typeof st === 'object' && (st as Record<string, string>).assigned === 'aqic_enabled';
      return q.pins >= 0 && enabled === savedIsc(q.isc) && savedIsc(q.isc) === q.nib && (top(st) !== 'removed' || !q.irq);
    }),
  { context: [['queues', '*', 'pins'], ['queues', '*', 'isc'], ['queues', '*', 'nib'], ['queues', '*', 'irq'], ['queues', 'length']], value: [['*']] },
);

export const EveryNibPinReleasedOnce = inv(
  'EveryNibPinReleasedOnce',
  'vfio_ap_ops.c vfio_ap_irq_enable/vfio_ap_free_aqic_resources: each vfio_pin_pages of a NIB is undone by exactly one vfio_unpin_pages, so a pin is either saved (q->saved_iova) or gone',
  ({ context }) => context.queues.every((q) => q.pins === (q.nib ? 1 : 0) && !(q.faults & FAULT.UNPIN_NOT_PINNED)),
  { context: [['queues', '*', 'pins'], ['queues', '*', 'nib'], ['queues', '*', 'faults'], ['queues', 'length']] },
);

export const GiscUnregisterBeforeNibUnpin = inv(
  'GiscUnregisterBeforeNibUnpin',
  'vfio_ap_ops.c vfio_ap_free_aqic_resources and the OTHERWISE_CHANGED path: kvm_s390_gisc_unregister first, then vfio_unpin_pages',
  ({ context }) => context.queues.every((q) => !(q.faults & FAULT.UNPIN_BEFORE_UNREGISTER)),
  { context: [['queues', '*', 'faults'], ['queues', 'length']] },
);

export const IrqEnabledImpliesNibPinned = inv(
  'IrqEnabledImpliesNibPinned',
  'the AP writes the NIB while interruptions are enabled: it must stay pinned until AQIC ir=0 or a reset (Halil Pasic: the machine must not poke freed memory)',
  ({ context }) => context.queues.every((q) => (!q.irq || q.nib) && !(q.faults & FAULT.NIB_WRITE_UNPINNED)),
  { context: [['queues', '*', 'irq'], ['queues', '*', 'nib'], ['queues', '*', 'faults'], ['queues', 'length']] },
);

export const GiscRefcountMatchesSavedIscs = inv(
  'GiscRefcountMatchesSavedIscs',
  'interrupt.c ref_count[gisc] counts registrations; vfio_ap registers once per queue with a saved ISC and unregisters when it frees it',
  ({ context }) =>
    context.vms.every((k, vm) =>
      !k.gisa.origin ||
      context.params.iscs.every((isc) => {
        const saved = context.queues.filter((q) => q.isc === isc && (context.mdev.kvm === vm || q.hwGisa === vm)).length;
        const fixed = context.params.preRegistered?.includes(isc) ? 1 : 0;
        return (k.gisa.ref[isc] ?? 0) === saved + fixed;
      }),
    ),
  { context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'ref'], ['vms', 'length'], ['params'], ['queues', '*', 'isc'], ['queues', '*', 'hwGisa'], ['queues', 'length'], ['mdev', 'kvm']] },
);

export const queueInvariants = [QueueTypeOK, EveryNibPinReleasedOnce, GiscUnregisterBeforeNibUnpin, IrqEnabledImpliesNibPinned];
