// Assigning into a running guest (issue 12, apassign): the guest's PQAP(AQIC) against userspace's
// assign_adapter_store and assign_domain_store as steps (pqap-assign, machines/vfio-ap/vfio_ap_hotplug.threads.ts,
// v6.17-rc4). Upstream holds; each planted bug finds exactly its violations by the trace checked here against the C
// (vfio_ap_ops.c assign_adapter_store, assign_domain_store, vfio_ap_mdev_validate_masks, vfio_ap_mdev_filter_matrix,
// _queue_passable, reset_queues_for_apids). The planted traces are the full exploration's shortest (4, 11 and 18 steps,
// each checked by hand against the C when written); the reduced exploration finds the same violations (test/check/por.test.ts).
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { ISC_INVALID } from '../../machines/context.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from './vfio-ap-threads.ts';

type Snap = { value: Record<string, unknown>; context: any };
const ctx = (s: { context: unknown }): any => s.context;
const C = 'pqap-assign';
const BODY = 'set_bit_inv; vfio_ap_mdev_validate_masks; vfio_ap_mdev_filter_matrix';
const LOCKS = ['mutex_lock(matrix_dev->guests_lock); if (matrix_mdev->kvm)', 'mutex_lock(kvm->lock)', 'mutex_lock(matrix_dev->mdevs_lock)'];
const UNLOCKS = ['mutex_unlock(matrix_dev->mdevs_lock); if (matrix_mdev->kvm)', 'mutex_unlock(kvm->lock)', 'mutex_unlock(matrix_dev->guests_lock)'];
/** A whole store: its thread's locks, the step under them with `answer`, the unlocks. */
const store = (what: 'adapter' | 'domain', answer: string) => {
  const p = `${what} assign_${what}_store@`;
  return [...LOCKS.map((s) => p + s), `${p}${BODY} {${answer}}`, ...UNLOCKS.map((s) => p + s)];
};
const PQAP = [
  'vcpu handle_pqap@down_read(pqap_hook_rwsem)', 'vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook',
  'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
];

describe('pqap-assign: the PQAP intercept against the assign stores into a running guest', () => {
  it('upstream: no violation, 521 states in full (213 reduced: manifest.json); every end: linked exactly when the APID was assigned, in the APCB exactly when also no unbound APQN shares the APID', () => {
    const m = systemSpec.model('upstream', C);
    const full = explore(m, { por: false });
    expect([full.violations.size, full.states.length]).toEqual([0, 521]);
    const done = (full.states as Snap[]).filter((s) => ['vcpu', 'adapter', 'domain'].every((t) => s.value[t] === 'done'));
    const seen = new Set<string>();
    for (const s of done) {
      const q = s.context.queues[0];
      expect(q.linked).toBe(q.apid);
      expect(q.inApcb).toBe(q.apid && !q.siblingUnbound);
      seen.add(`${q.inApcb}/${q.isc}`);
    }
    // enabled in the APCB, not enabled (rc 01 before the link, or reset by the filter), and enabled outside the APCB: the
    // PQAP after a store filtered the APID out (vfio_ap's handle_pqap looks in the qtable, which keeps the queue; whether
    // the SIE intercepts a PQAP(AQIC) for an APQN outside the guest's APCB is the architecture's: README, not a finding)
    expect(seen).toEqual(new Set(['true/3', 'true/-1', 'false/-1', 'false/3']));
  });

  it('upstream: a refused store leaves the matrix as it was and the PQAP finds no queue; an accepted one links it (hand-checked against the C)', () => {
    const m = systemSpec.model('upstream', C);
    const refused = replay(m, events(m, [...store('adapter', '-EADDRINUSE'), ...PQAP]));
    expect(ctx(refused.last).queues[0]).toMatchObject({ apid: false, apqi: true, linked: false, inApcb: false, isc: ISC_INVALID, irq: false });
    expect(ctx(refused.last).threads.locals.vcpu.found).toBe(false);
    const ok = replay(m, events(m, [...store('adapter', '0'), ...PQAP, 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable']));
    expect(ctx(ok.last).queues[0]).toMatchObject({ apid: true, linked: true, inApcb: true, isc: 3, nib: true, irq: true });
    // the second APQI's APQN on the APID unbound: the APID leaves the APCB and queue 0 is reset (ZAPQ, the AQIC resources freed)
    const lost = replay(m, events(m, [...store('adapter', '0'), ...PQAP, 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable', 'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', ...store('domain', '0 unbound')]));
    expect(ctx(lost.last).queues[0]).toMatchObject({ linked: true, inApcb: false, siblingUnbound: true, isc: ISC_INVALID, nib: false, pins: 0, irq: false });
    expect(ctx(lost.last).vms[0].gisa.ref[3]).toBe(0);
  });

  it('planted: the bit kept after a refused validation: the APQN in the matrix, its bound queue not linked (4 steps)', () => {
    const m = systemSpec.model('planted-assign-validate-keeps-bit', C);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApThreadStepPostcondition', 'MatrixQueueLinked']);
    const keep = store('adapter', '-EADDRNOTAVAIL').slice(0, 4);
    for (const name of Object.keys(t)) expect(t[name]).toEqual(keep);
  });

  it('planted: the filter without _queue_passable keeps the APID of an unbound APQN in the guest\'s APCB (11 steps)', () => {
    const m = systemSpec.model('planted-assign-filter-keeps-unbound', C);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApThreadStepPostcondition', 'ApcbQueueBound']);
    const keep = [...store('adapter', '0'), ...store('domain', '0 unbound').slice(0, 4)];
    for (const name of Object.keys(t)) expect(t[name]).toEqual(keep);
  });

  it('planted: the filtered APID without reset_queues_for_apids: queue 0 leaves the APCB with its interruptions enabled (18 steps)', () => {
    const m = systemSpec.model('planted-assign-filter-without-reset', C);
    const t = traces(m);
    expect(Object.keys(t)).toEqual(['ApThreadStepPostcondition']);
    expect(t.ApThreadStepPostcondition).toHaveLength(18);
    expect(t.ApThreadStepPostcondition!.at(-1)).toBe(`domain assign_domain_store@${BODY} {0 unbound}`);
    const { last } = replay(m, events(m, t.ApThreadStepPostcondition!));
    expect(ctx(last).queues[0]).toMatchObject({ inApcb: false, isc: 3, nib: true, irq: true });
  });
});
