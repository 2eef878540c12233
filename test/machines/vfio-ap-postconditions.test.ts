// Issue 14 (apconc3): the step postconditions of vfio_ap_queue, ghost checks of what handle_pqap
// (vfio_ap_irq_enable / vfio_ap_irq_disable), vfio_ap_mdev_unset_kvm (its resets, flush_work, the put)
// and vfio_ap_mdev_remove_queue do on each path of v6.17-rc4 drivers/s390/crypto/vfio_ap_ops.c
// (machines/vfio-ap/vfio_ap_queue.invariants.ts AqicStepPostcondition, ResetStepPostcondition).
// Expected traces worked out by hand from the C (see the comments).
import { describe, expect, it } from 'vitest';
import { FAULT, type SystemContext } from '../../machines/context.ts';
import { queueSpec } from '../../machines/vfio-ap/index.ts';
import { pathTo, replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

const POST = ['AqicStepPostcondition', 'ResetStepPostcondition'];

function line(e: object): string {
  const { type, ...rest } = e as { type: string };
  return Object.keys(rest).length ? `${type} ${JSON.stringify(rest)}` : type;
}

/** violated invariant -> its shortest trace */
function traces(m: Model): Record<string, string[]> {
  const x = explore(m);
  const out: Record<string, string[]> = {};
  for (const [name, i] of x.violations) out[name] = pathTo(x, i).events.map((e) => line(m.events[e]!));
  return out;
}

function run(m: Model, lines: string[]): SystemContext {
  const ix = lines.map((l) => {
    const i = m.events.findIndex((e) => line(e) === l);
    if (i < 0) throw new Error(`no event ${l}`);
    return i;
  });
  return (replay(m, ix).last as { context: SystemContext }).context;
}

const SETUP = ['assign_adapter_store {"q":0}', 'assign_domain_store {"q":0}', 'vfio_ap_mdev_open_device {"vm":0}'];
const ENABLE = 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}';

describe('vfio_ap_queue step postconditions (issue 14)', () => {
  it('upstream keeps both in every vfio_ap_queue configuration, including its own findings\' (the WARN paths are transcribed, the OTHER leak allowed)', () => {
    for (const cfg of ['one-queue', 'one-queue-answered', 'ap-answers', 'reset-warn', 'aqic-off-warn', 'remove-host-gone']) {
      const v = Object.keys(traces(queueSpec.model('upstream', cfg)));
      for (const p of POST) expect(v, `${cfg} ${p}`).not.toContain(p);
    }
  });

  it('a ghost sees the step, not the state: after the enable, re-enable, 07, ir=0 and the close no fault bit is set', () => {
    const m = queueSpec.model('upstream', 'one-queue-answered');
    const c = run(m, [...SETUP, ENABLE, ENABLE, 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"OTHERWISE_CHANGED"}', 'PQAP_AQIC {"q":0,"ir":0}', ENABLE, 'vfio_ap_mdev_close_device']);
    expect(c.queues[0]!.faults & (FAULT.AQIC_STEP_POST | FAULT.RESET_STEP_POST)).toBe(0);
    // close reset everything: NIB unpinned, ISC unregistered (ref_count[3] 0), reference put (users 1)
    expect(c.queues[0]).toMatchObject({ isc: -1, nib: false, pins: 0, irq: false });
    expect(c.vms[0]!.gisa.ref[3]).toBe(0);
    expect(c.vms[0]!.users).toBe(1);
  });

  it('planted-disable-hides-not-oper breaks AqicStepPostcondition only, in 4 steps: ir=0 on a non-operational AP answered 0', () => {
    const t = traces(queueSpec.model('planted-disable-hides-not-oper', 'ap-answers'));
    expect(Object.keys(t)).toEqual(['AqicStepPostcondition']);
    // nothing needs saving first: vfio_ap_irq_disable's NOT_OPER ending answers AP_RESPONSE_NOT_OPER (the planted one 0)
    expect(t.AqicStepPostcondition).toEqual([...SETUP, 'PQAP_AQIC {"q":0,"ir":0,"off":"NOT_OPER"}']);
  });

  it('planted-deconfigured-queues-work breaks ResetStepPostcondition only, in 4 steps: the close with ZAPQ DECONFIGURED queues a work', () => {
    const t = traces(queueSpec.model('planted-deconfigured-queues-work', 'ap-answers'));
    expect(Object.keys(t)).toEqual(['ResetStepPostcondition']);
    expect(t.ResetStepPostcondition).toEqual([...SETUP, 'vfio_ap_mdev_close_device {"zapq":"DECONFIGURED"}']);
  });

  it('the older planted bugs are seen by the postconditions too (each traced by hand)', () => {
    // vfio_ap_irq_disable without ap_aqic: the planted function also returns no status (nothing for the guest's GR1), so the
    // first ir=0 breaks it already (4 steps); after an enable it would also leave the AP interrupting
    expect(traces(queueSpec.model('planted-disable-without-aqic', 'one-queue-answered')).AqicStepPostcondition).toEqual([...SETUP, 'PQAP_AQIC {"q":0,"ir":0}']);
    // the OTHERWISE_CHANGED answer reported NORMAL (4 steps: nothing saved needed)
    expect(traces(queueSpec.model('planted-changed-reports-normal', 'ap-answers')).AqicStepPostcondition).toEqual([...SETUP, 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"OTHERWISE_CHANGED"}']);
    // the remove without reset of a queue holding an enabled AQIC (5 steps)
    expect(traces(queueSpec.model('planted-remove-without-reset', 'ap-answers')).ResetStepPostcondition).toEqual([...SETUP, ENABLE, 'vfio_ap_mdev_remove_queue {"q":0}']);
  });
});
