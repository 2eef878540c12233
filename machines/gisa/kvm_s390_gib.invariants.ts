// Safety predicates of the GIB alert list.
import type { LivenessProperty } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';
import { inv, region } from '../invariant-lib.ts';
import { galCut, galHeldPath } from './kvm_s390_gisa_interrupt.invariants.ts';

export const GibTypeOK = inv(
  'GibTypeOK',
  'interrupt.c process_gib_alert_list: NULL_GISA_ADDR is an empty list (GISAs the handler cut off and has not unlinked yet are on its list, not the origin\'s: the fine-grained GAL handler thread); a list built while GAL interruptions were enabled raised one',
  ({ value, context }) => {
    const st = region(value, 'gib');
    const list = context.gib.list;
    if (list < 0 || list >= 1 << context.vms.length) return false;
    if (st === 'NULL_GISA_ADDR') return (list & ~galCut(context)) === 0;
    if (st === 'alert_list') return list !== 0 && context.gib.galPending;
    return true;
  },
  { context: [['gib'], ['vms', 'length'], galHeldPath], value: [['gib']] },
);

export const gibInvariants = [GibTypeOK];

// Issue 14 (mutation analysis): properties the mutants showed missing.

/**
 * A GISA on the GIB alert list is unlinked again: the alert raised a GAL interruption, whose
 * handler (gib_alert_irq_handler, a fair event) takes the list with xchg and unlinks every GISA
 * on it (process_gib_alert_list), arming each one's kicker.
 */
export const AlertListDrained: LivenessProperty<SystemContext> = {
  name: 'AlertListDrained',
  cite: 'interrupt.c: an alerted GISA is enqueued on the GIB alert list and a GAL interruption raised; gib_alert_irq_handler -> process_gib_alert_list xchg()es the list origin and unlinks every GISA on it (gisa->next_alert = its own origin), so none stays listed (nor is its IAM left cleared with no kicker: GIB series, Michael Mueller)',
  kind: 'leadsTo',
  instances: ({ context }) => context.vms.map((_, vm) => ({ vm })),
  p: ({ context }, { vm }) => (context.gib.list & (1 << vm!)) !== 0,
  q: ({ context }, { vm }) => (context.gib.list & (1 << vm!)) === 0,
};
