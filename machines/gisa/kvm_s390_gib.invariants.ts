// Safety predicates of the GIB alert list.
import type { LivenessProperty } from '../../src/spec.ts';
import { FAULT, type SystemContext } from '../context.ts';
import { inv, region } from '../invariant-lib.ts';
import { probe } from '../../src/check/probe.ts';
import { kernel, type CoreAction, type Effects, type Ix, type SpecEvent } from '../lib.ts';
import { galCut, galHeldPaths } from './kvm_s390_gisa_interrupt.invariants.ts';

export const GibTypeOK = inv(
  'GibTypeOK',
  'interrupt.c process_gib_alert_list: NULL_GISA_ADDR is an empty list (GISAs a caller cut off and has not unlinked yet are on its list, not the origin\'s: the fine-grained GAL handler and destroy threads); a list built while GAL interruptions were enabled raised one',
  ({ value, context }) => {
    const st = region(value, 'gib');
    const list = context.gib.list;
    if (list < 0 || list >= 1 << context.vms.length) return false;
    if (st === 'NULL_GISA_ADDR') return (list & ~galCut(context)) === 0;
    if (st === 'alert_list') return list !== 0 && context.gib.galPending;
    return true;
  },
  { context: [['gib'], ['vms', 'length'], ...galHeldPaths], value: [['gib']] },
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

// Issue 14: the GAL handler's step postcondition, checked by a ghost wrapper around the GIB
// region's kernel actions (as `ghostLedger` does for the GISA's): harness, not mutated.

/** The GIB passes the wrapper knows: the GAL interruption handler's first pass, and the final pass. */
export type GibPass = 'handler' | 'final';

interface GibSnap {
  origin: string;
  list: number;
  galPending: boolean;
  timers: boolean[];
}
const gibSnap = (c: SystemContext): GibSnap => ({ origin: c.gib.origin, list: c.gib.list, galPending: c.gib.galPending, timers: c.vms.map((k) => k.gisa.timer) });

/**
 * interrupt.c (v6.17-rc4) gib_alert_irq_handler -> process_gib_alert_list: the GAL interruption is
 * taken (handled once), `final = xchg(&gib->alert_list_origin, NONE_GISA_ADDR)` cuts the whole list
 * off and the loop unlinks every GISA on it (gisa->next_alert = its own origin) and, upstream,
 * `hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL)` for each; the final pass xchg()es NULL_GISA_ADDR
 * and does the same for what was enqueued meanwhile. GIB v2 (unlink_gib_alert_list) ends NULL at
 * once (a first pass ending NULL is accepted). Nothing else moves: a kicker not on the list keeps its state.
 */
function gibPost(pass: GibPass, b: GibSnap, a: GibSnap, gib: string): boolean {
  // the first pass ends NONE_GISA_ADDR (GAL interruptions suppressed until the final pass) or, taking the whole list with one
  // xchg to NULL as GIB v2's unlink_gib_alert_list does, NULL_GISA_ADDR; the final pass always ends NULL_GISA_ADDR
  const ends = pass === 'final' ? ['NULL_GISA_ADDR'] : ['NONE_GISA_ADDR', 'NULL_GISA_ADDR'];
  if (!ends.includes(a.origin) || a.list !== 0) return false;
  if (a.galPending !== (pass === 'handler' ? false : b.galPending)) return false;
  if (gib !== 'upstream') return true;
  return a.timers.every((t, vm) => t === (b.list & (1 << vm) ? true : b.timers[vm]));
}

/** `kernel(fn)` with the pass checked (one wrapper call, so the mutation analysis names `fn` after its action): records FAULT.GIB_STEP_POST on every VM when the pass does not do what interrupt.c says. */
export function gibLedgered(pass: GibPass, k: { design: { gib: string } }, fn: (c: SystemContext, e: SpecEvent, ix: Ix, fx: Effects) => void): CoreAction {
  return kernel((c, e, ix, fx) => {
    const raw = probe.unwrap(c);
    const b = gibSnap(raw);
    fn(c, e, ix, fx);
    if (!gibPost(pass, b, gibSnap(raw), k.design.gib)) for (const vm of raw.vms) vm.faults |= FAULT.GIB_STEP_POST;
  });
}

export const GibPassPostcondition = inv(
  'GibPassPostcondition',
  'interrupt.c gib_alert_irq_handler -> process_gib_alert_list: the GAL interruption is handled once; xchg(alert_list_origin, NONE_GISA_ADDR) takes the whole list and every GISA on it is unlinked and (upstream) its gi->timer started with hrtimer_start(.., 0, ..); the final pass xchg()es NULL_GISA_ADDR and handles what was enqueued meanwhile; no other GISA\'s kicker changes',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GIB_STEP_POST)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

gibInvariants.push(GibPassPostcondition);
