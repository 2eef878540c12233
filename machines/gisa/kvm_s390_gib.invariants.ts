// Safety predicates of the GIB alert list.
import { inv, region } from '../invariant-lib.ts';

export const GibTypeOK = inv(
  'GibTypeOK',
  'interrupt.c process_gib_alert_list: NULL_GISA_ADDR is an empty list; a list built while GAL interruptions were enabled raised one',
  ({ value, context }) => {
    const st = region(value, 'gib');
    const list = context.gib.list;
    if (list < 0 || list >= 1 << context.vms.length) return false;
    if (st === 'NULL_GISA_ADDR') return list === 0;
    if (st === 'alert_list') return list !== 0 && context.gib.galPending;
    return true;
  },
  { context: [['gib'], ['vms', 'length']], value: [['gib']] },
);

export const gibInvariants = [GibTypeOK];
