// The fine-grained vfio-ap windows added by apconc4 (issues 11 and 12), v6.17-rc4 locking: the
// guest's PQAP(AQIC) intercept against vfio_ap_mdev_probe_queue (pqap-probe-queue), against QEMU's
// VFIO_DEVICE_RESET with the reset work apq_reset_check as its own thread (pqap-reset-work), against
// the close with the same work (pqap-close-work), and on a host without AIV (pqap-no-aiv). Upstream
// holds in each; each planted race finds exactly its violations, by the interleaving checked here
// step by step (full exploration: the shortest trace); the reduced exploration finds the same
// (test/check/por.test.ts).
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { ISC_INVALID } from '../../machines/context.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from './vfio-ap-threads.ts';

type Snap = { value: Record<string, unknown>; context: any };
const ctx = (s: { context: unknown }): any => s.context;
const counts = (variant: string, c: string) => {
  const m = systemSpec.model(variant, c);
  const full = explore(m, { por: false });
  const red = explore(m, { por: true });
  return { m, full, red };
};

const PQAP_TO_LOCK = ['vcpu handle_pqap@down_read(pqap_hook_rwsem)', 'vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook'];
const ENABLE = ['vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue', 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable'];
const PQAP_RETURN = ['vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', 'vcpu handle_pqap@up_read(pqap_hook_rwsem)'];

const P = 'pqap-probe-queue';
const PROBE = 'host vfio_ap_mdev_probe_queue@';
const PROBE_TO_LINK = ['kzalloc(q); q->saved_isc = VFIO_AP_ISC_INVALID', 'mutex_lock(matrix_dev->guests_lock)', 'if (matrix_mdev->kvm)', 'mutex_lock(kvm->lock)', 'mutex_lock(matrix_dev->mdevs_lock)', 'vfio_ap_mdev_link_queue; dev_set_drvdata'].map((s) => PROBE + s);
const PROBE_UNLOCKS = ['mutex_unlock(matrix_dev->mdevs_lock)', 'release: if (matrix_mdev->kvm)', 'mutex_unlock(kvm->lock)', 'mutex_unlock(matrix_dev->guests_lock)'].map((s) => PROBE + s);

describe('pqap-probe-queue: the PQAP intercept against vfio_ap_mdev_probe_queue (the queue appearing in the assigned matrix)', () => {
  it('upstream: no violation, 96 states in full, 37 reduced (48 with the breadth-first cycle proviso used before the terminal-component one); v5.3 (the probe one step, findable after driver_bound) 20 and 14', () => {
    const up = counts('upstream', P);
    expect([up.full.violations.size, up.red.violations.size]).toEqual([0, 0]);
    expect([up.full.states.length, up.red.states.length]).toEqual([96, 37]);
    // every final state: the queue linked; enabled (ISC 3 saved and registered, NIB pinned) or answered rc 01 with nothing set up
    const done = (up.full.states as Snap[]).filter((s) => s.value.vcpu === 'done' && s.value.host === 'done');
    expect(new Set(done.map((s) => s.context.queues[0].isc))).toEqual(new Set([3, ISC_INVALID]));
    for (const s of done) {
      expect(s.context.queues[0].linked).toBe(true);
      const on = s.context.queues[0].isc === 3;
      expect(s.context.queues[0]).toMatchObject({ nib: on, pins: on ? 1 : 0, irq: on });
      expect(s.context.vms[0].gisa.ref[3]).toBe(on ? 1 : 0);
    }
    const v53 = counts('v5.3', P);
    expect([v53.full.violations.size, v53.full.states.length, v53.red.states.length]).toEqual([0, 20, 14]);
  });

  it('upstream: before the link the lookup finds no queue (rc 01, nothing set up); after it the enable; the probe waits for mdevs_lock while the hook holds it', () => {
    const m = systemSpec.model('upstream', P);
    const early = replay(m, events(m, [...PQAP_TO_LOCK, ENABLE[0]!, ENABLE[1]!]));
    expect(ctx(early.last).threads.locals.vcpu.found).toBe(false);
    expect(early.last.value).toMatchObject({ vcpu: 'vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)' });
    expect(ctx(early.last).queues[0]).toMatchObject({ linked: false, isc: ISC_INVALID, pins: 0, irq: false });
    // the probe's mutex_lock(mdevs_lock) does not fire while the vcpu holds it
    const blocked = replay(m, events(m, [...PQAP_TO_LOCK, ENABLE[0]!, ...PROBE_TO_LINK.slice(0, 5)]));
    expect(blocked.steps.at(-1)!.after).toEqual({});
    const late = replay(m, events(m, [...PROBE_TO_LINK, ...PROBE_UNLOCKS, ...PQAP_TO_LOCK, ...ENABLE]));
    expect(ctx(late.last).queues[0]).toMatchObject({ linked: true, isc: 3, nib: true, pins: 1, irq: true });
  });

  it('planted: saved_isc initialised after the probe published q; the PQAP enables in between and the late store forgets ISC 3 (17 steps)', () => {
    const m = systemSpec.model('planted-probe-init-after-publish', P);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'GiscRefcountMatchesSavedIscs', 'QueueTypeOK']);
    const lost = [
      PROBE + 'kzalloc(q)',
      ...PROBE_TO_LINK.slice(1),
      PROBE + 'mutex_unlock(matrix_dev->mdevs_lock)',
      ...PQAP_TO_LOCK,
      ...ENABLE,
      ...PROBE_UNLOCKS.slice(1),
      PROBE + 'q->saved_isc = VFIO_AP_ISC_INVALID',
    ];
    expect(lost).toHaveLength(17);
    for (const name of Object.keys(t)) expect(t[name]!.slice().sort()).toEqual(lost.slice().sort());
    const { last } = replay(m, events(m, lost));
    // the GISC stays registered and the AP interrupts, with no saved ISC for a reset or disable to undo
    expect(ctx(last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: true, pins: 1, irq: true, hwIsc: 3 });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(1);
  });
});

const R = 'pqap-reset-work';
const IOCTL = 'qemu vfio_ap_mdev_ioctl@';
const WORK = ['work apq_reset_check@msleep; ap_tapq', 'work apq_reset_check@vfio_ap_free_aqic_resources'];

describe('pqap-reset-work: the PQAP intercept against VFIO_DEVICE_RESET and the reset work (apq_reset_check) as its own thread', () => {
  it('upstream: no violation, 50 states in full, 26 reduced; flush_work waits for the work, the PQAP waits for mdevs_lock', () => {
    const up = counts('upstream', R);
    expect([up.full.violations.size, up.red.violations.size]).toEqual([0, 0]);
    expect([up.full.states.length, up.red.states.length]).toEqual([50, 26]);
    const { m } = up;
    const zapped = [IOCTL + 'mutex_lock(matrix_dev->mdevs_lock)', IOCTL + 'vfio_ap_mdev_reset_queue'];
    // flush_work does not return before the work ran
    const flush = replay(m, events(m, [...zapped, IOCTL + 'flush_work(&q->reset_work)']));
    expect(flush.steps.at(-1)!.after).toEqual({});
    expect(ctx(flush.last).queues[0].work).toBe('zapped');
    // the PQAP's mutex_lock(mdevs_lock) does not fire while the ioctl holds it across the flush
    const blocked = replay(m, events(m, [...zapped, ...PQAP_TO_LOCK, ENABLE[0]!]));
    expect(blocked.steps.at(-1)!.after).toEqual({});
    // enabled first: the ZAPQ turns the AP's interruptions off and the work frees the NIB and the GISC; the ioctl returns 0 with nothing held
    const first = replay(m, events(m, [...PQAP_TO_LOCK, ...ENABLE, ...PQAP_RETURN, ...zapped, ...WORK, IOCTL + 'flush_work(&q->reset_work)', IOCTL + 'mutex_unlock(matrix_dev->mdevs_lock)']));
    expect(ctx(first.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, work: 'idle' });
    expect(ctx(first.last).vms[0].gisa.ref[3]).toBe(0);
    expect(first.last.value).toMatchObject({ vcpu: 'done', qemu: 'done', work: 'idle' });
    // every final state: the work idle; the queue either enabled after the reset, or reset with nothing held
    for (const s of (up.full.states as Snap[]).filter((x) => x.value.vcpu === 'done' && x.value.qemu === 'done')) {
      const q = s.context.queues[0];
      expect(q.work).toBe('idle');
      expect(q.irq ? { isc: 3, nib: true, pins: 1 } : { isc: ISC_INVALID, nib: false, pins: 0 }).toEqual({ isc: q.isc, nib: q.nib, pins: q.pins });
    }
  });

  it('planted: flush_work after mutex_unlock; the PQAP enables between the ZAPQ and the work, which frees the new NIB and GISC under the AP (11 steps)', () => {
    const m = systemSpec.model('planted-device-reset-flush-unlocked', R);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'IrqEnabledImpliesNibPinned']);
    const race = [
      ...PQAP_TO_LOCK,
      IOCTL + 'mutex_lock(matrix_dev->mdevs_lock)',
      IOCTL + 'vfio_ap_mdev_reset_queue',
      IOCTL + 'mutex_unlock(matrix_dev->mdevs_lock)',
      ...ENABLE,
      ...WORK,
    ];
    for (const name of Object.keys(t)) expect(t[name]!.slice().sort()).toEqual(race.slice().sort());
    const { last } = replay(m, events(m, race));
    expect(ctx(last).queues[0]).toMatchObject({ irq: true, hwIsc: 3, hwGisa: 0, isc: ISC_INVALID, nib: false, pins: 0 });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(0);
  });
});

const W = 'pqap-close-work';
const UNSET = 'qemu vfio_ap_mdev_unset_kvm@';
const UNSET_TO_RESET = ['kvm = matrix_mdev->kvm', 'down_write(pqap_hook_rwsem)', 'pqap_hook = NULL', 'up_write(pqap_hook_rwsem)', 'mutex_lock(matrix_dev->guests_lock)', 'mutex_lock(kvm->lock)', 'mutex_lock(matrix_dev->mdevs_lock)', 'vfio_ap_mdev_reset_queue'].map((s) => UNSET + s);

describe('pqap-close-work: the PQAP intercept against the close, its reset as ZAPQ and flush_work, and the reset work', () => {
  it('upstream: no violation, 76 states in full, 49 reduced; the work frees through matrix_mdev->kvm before kvm_put_kvm', () => {
    const up = counts('upstream', W);
    expect([up.full.violations.size, up.red.violations.size]).toEqual([0, 0]);
    expect([up.full.states.length, up.red.states.length]).toEqual([76, 49]);
    const { m } = up;
    const seq = [...PQAP_TO_LOCK, ...ENABLE, ...PQAP_RETURN, ...UNSET_TO_RESET, ...WORK, UNSET + 'flush_work(&q->reset_work)', UNSET + 'kvm_put_kvm(kvm)'];
    const { last } = replay(m, events(m, seq));
    expect(ctx(last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, work: 'idle', faults: 0 });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(0);
    expect(ctx(last).mdev).toMatchObject({ kvm: -1, kvmRef: false, hook: -1 });
  });

  it('planted: kvm_put_kvm before flush_work; the work runs after matrix_mdev->kvm = NULL and takes the WARN path (9, 17, 19 steps)', () => {
    const m = systemSpec.model('planted-close-put-before-flush', W);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['GiscRefcountMatchesSavedIscs', 'GiscUnregisterBeforeNibUnpin', 'NoAqicResourcesAfterUnsetKvm', 'NoResetWorkAfterUnsetKvm', 'QueueTypeOK']);
    expect(t.NoResetWorkAfterUnsetKvm).toEqual([...UNSET_TO_RESET, UNSET + 'kvm_put_kvm(kvm)']);
    const enabled = [...PQAP_TO_LOCK, ...ENABLE, ...PQAP_RETURN, ...UNSET_TO_RESET, UNSET + 'kvm_put_kvm(kvm)'];
    expect(t.NoAqicResourcesAfterUnsetKvm).toEqual(enabled);
    expect(t.GiscRefcountMatchesSavedIscs).toEqual(enabled);
    expect(t.GiscUnregisterBeforeNibUnpin).toEqual([...enabled, ...WORK]);
    expect(t.QueueTypeOK).toEqual([...enabled, ...WORK]);
    const { last } = replay(m, events(m, [...enabled, ...WORK]));
    // WARN_ON(!matrix_mdev->kvm): no unregister, saved_isc kept; the NIB unpinned with ISC 3 still registered
    expect(ctx(last).queues[0]).toMatchObject({ isc: 3, nib: false, pins: 0, irq: false, faults: 16 });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(1);
  });
});

const A = 'pqap-no-aiv';

describe('pqap-no-aiv: the PQAP intercept of a VM without ECA_AIV (issue 12)', () => {
  it('upstream: the hook returns -EOPNOTSUPP before mdevs_lock on every path (50 states, 46 reduced); nothing is ever pinned or registered', () => {
    const up = counts('upstream', A);
    expect([up.full.violations.size, up.red.violations.size]).toEqual([0, 0]);
    expect([up.full.states.length, up.red.states.length]).toEqual([50, 46]);
    const pcs = new Set((up.full.states as Snap[]).map((s) => s.value.vcpu));
    expect(pcs.has('vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)')).toBe(false);
    for (const s of up.full.states as Snap[]) expect(s.context.queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false });
    // from the call through the hook straight to up_read: the PQAP goes to userspace
    const { m } = up;
    const { last } = replay(m, events(m, PQAP_TO_LOCK));
    expect(last.value).toMatchObject({ vcpu: 'handle_pqap@up_read(pqap_hook_rwsem)' });
  });

  it('v5.3: the NULL hook of pqap-close (5 steps) and nothing else; the AIV test is inside the hook', () => {
    const t = traces(systemSpec.model('v5.3', A));
    expect(Object.keys(t)).toEqual(['NoPqapHookUseAfterClear']);
    expect(t.NoPqapHookUseAfterClear).toHaveLength(5);
  });

  it('planted: without the ECA_AIV test the PQAP takes mdevs_lock (4 steps); the enable then undoes its pin (-ENODEV, rc 06)', () => {
    const m = systemSpec.model('planted-pqap-ignores-aiv', A);
    const t = traces(m);
    expect(t).toEqual({ PqapWithoutAivGoesToUserspace: [...PQAP_TO_LOCK, ENABLE[0]!] });
    const { last } = replay(m, events(m, [...PQAP_TO_LOCK, ...ENABLE]));
    expect(ctx(last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(0);
  });
});

// Issue 12 (resetwork): the same reset with every answer of the AP as the steps' answers (machines/kthread.ts
// Step.answers): ZAPQ of vfio_ap_mdev_reset_queue and of the work's loop, the work's TAPQ. The expected values
// are read from vfio_ap_ops.c (v6.17-rc4) apq_reset_check, apq_status_check, vfio_ap_mdev_reset_queue(s) and
// vfio_ap_mdev_ioctl, as the comments say; the state counts are the checker's (recorded, not derived).
const RA = 'pqap-reset-work-answers';
const TAPQ = (a: string) => `work apq_reset_check@msleep; ap_tapq {${a}}`;
const REZAP = (a: string) => `work apq_reset_check@ap_zapq; memcpy(&q->reset_status) {${a}}`;
const FREE = 'work apq_reset_check@vfio_ap_free_aqic_resources';
const ZAPQ = (a: string) => `${IOCTL}vfio_ap_mdev_reset_queue {${a}}`;
const PQAP_ENABLED = [...PQAP_TO_LOCK, ...ENABLE, PQAP_RETURN[0]!];
const FLUSH_RETURN = [IOCTL + 'flush_work(&q->reset_work)', IOCTL + 'mutex_unlock(matrix_dev->mdevs_lock)'];

describe('pqap-reset-work-answers: VFIO_DEVICE_RESET and the reset work with every answer of the AP (issue 12)', () => {
  it('upstream: 229 states in full, 103 reduced; only DeviceResetReportedDoneIsDone: ZAPQ NORMAL, TAPQ -EIO, the ioctl returns 0 with everything held (12 steps)', () => {
    const up = counts('upstream', RA);
    expect([up.full.states.length, up.red.states.length]).toEqual([229, 103]);
    const { m } = up;
    const t = traces(m, up.full);
    // apq_reset_check: "if (ret == -EIO) return;" leaves q->reset_status as ZAPQ stored it (0), so
    // vfio_ap_mdev_reset_queues' "if (q->reset_status.response_code) ret = -EIO" does not fire
    const undone = [...PQAP_ENABLED, IOCTL + 'mutex_lock(matrix_dev->mdevs_lock)', ZAPQ('NORMAL'), TAPQ('INVALID'), ...FLUSH_RETURN];
    expect(t).toEqual({ DeviceResetReportedDoneIsDone: undone });
    const { last } = replay(m, events(m, undone));
    expect(ctx(last).mdev.resetRc).toBe(0);
    expect(ctx(last).queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: true, work: 'idle', resetStatus: 'NORMAL' });
    // every return: -EIO exactly when the stored status is not NORMAL (the ZAPQ's, or the last ZAPQ again's)
    const returned = (up.full.states as Snap[]).filter((s) => s.value.qemu === 'done');
    expect(returned.length).toBeGreaterThan(0);
    for (const s of returned) expect(s.context.mdev.resetRc).toBe(s.context.queues[0].resetStatus === 'NORMAL' ? 0 : -5);
  });

  it('upstream: the answers\' branches, each as the C takes it', () => {
    const m = systemSpec.model('upstream', RA);
    const lock = IOCTL + 'mutex_lock(matrix_dev->mdevs_lock)';
    // ZAPQ with an invalid code: WARN, nothing queued (flush_work returns at once), -EIO
    const invalid = replay(m, events(m, [lock, ZAPQ('INVALID'), ...FLUSH_RETURN]));
    expect(ctx(invalid.last).mdev.resetRc).toBe(-5);
    expect(ctx(invalid.last).queues[0]).toMatchObject({ work: 'idle', resetStatus: 'INVALID' });
    // DECONFIGURED: freed at once (after an enable: the NIB unpinned, ISC 3 unregistered), nothing queued; the stored code makes it -EIO
    const gone = replay(m, events(m, [...PQAP_ENABLED, lock, ZAPQ('DECONFIGURED'), ...FLUSH_RETURN]));
    expect(ctx(gone.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, work: 'idle' });
    expect(ctx(gone.last).mdev.resetRc).toBe(-5);
    // TAPQ busy: msleep and TAPQ again, without a budget; flush_work waits meanwhile
    const busy = replay(m, events(m, [lock, ZAPQ('NORMAL'), TAPQ('BUSY'), TAPQ('BUSY'), IOCTL + 'flush_work(&q->reset_work)']));
    expect(busy.steps.at(-1)!.after).toEqual({});
    expect(busy.last.value).toMatchObject({ work: 'apq_reset_check@msleep; ap_tapq' });
    // ZAPQ in progress: TAPQ 0, ZAPQ again (NORMAL, stored), TAPQ 0, the free; the ioctl then returns 0
    const again = [...PQAP_ENABLED, lock, ZAPQ('IN_PROGRESS'), TAPQ('DONE'), REZAP('NORMAL'), TAPQ('DONE'), FREE, ...FLUSH_RETURN];
    const r = replay(m, events(m, again));
    expect(ctx(r.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, work: 'idle', resetStatus: 'NORMAL' });
    expect(ctx(r.last).mdev.resetRc).toBe(0);
    // TAPQ ASSOC (-EAGAIN) after ZAPQ NORMAL: ZAPQ again even though the stored status is 0
    const assoc = replay(m, events(m, [lock, ZAPQ('NORMAL'), TAPQ('ASSOC')]));
    expect(assoc.last.value).toMatchObject({ work: 'apq_reset_check@ap_zapq; memcpy(&q->reset_status)' });
  });

  it('planted: TAPQ -EBUSY taken for done; the work frees the NIB and the GISC while the AP, still resetting, interrupts (11 steps)', () => {
    const m = systemSpec.model('planted-reset-work-frees-on-busy', RA);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'ApThreadStepPostcondition', 'DeviceResetReportedDoneIsDone', 'IrqEnabledImpliesNibPinned']);
    const early = [...PQAP_ENABLED, IOCTL + 'mutex_lock(matrix_dev->mdevs_lock)', ZAPQ('NORMAL'), TAPQ('BUSY'), FREE];
    expect(t.IrqEnabledImpliesNibPinned).toEqual(early);
    expect(t.ApInterruptsIntoSavedGisc).toEqual(early);
    // the TAPQ step's -EBUSY branch leads to the free: its postcondition (the loop back) fails at once
    expect(t.ApThreadStepPostcondition).toEqual([IOCTL + 'mutex_lock(matrix_dev->mdevs_lock)', ZAPQ('NORMAL'), TAPQ('BUSY')]);
    const { last } = replay(m, events(m, early));
    expect(ctx(last).queues[0]).toMatchObject({ irq: true, hwIsc: 3, isc: ISC_INVALID, nib: false, pins: 0 });
  });
});

const WA = 'pqap-close-work-answers';
const UNSET_TO_LOCKS = UNSET_TO_RESET.slice(0, -1);
const PQAP_DONE = [...PQAP_TO_LOCK, ...ENABLE, ...PQAP_RETURN];

describe('pqap-close-work-answers: the close and the reset work with every answer of the AP (issue 12)', () => {
  it('upstream: 117 states in full, 85 reduced; the close puts the KVM reference after a reset that freed nothing (reset-warn\'s finding, 18 and 21 steps)', () => {
    const up = counts('upstream', WA);
    expect([up.full.states.length, up.red.states.length]).toEqual([117, 85]);
    const { m } = up;
    const t = traces(m, up.full);
    // vfio_ap_mdev_unset_kvm ignores vfio_ap_mdev_reset_queues' return: after the WARN of vfio_ap_mdev_reset_queue it puts the reference
    const warned = [...PQAP_DONE, ...UNSET_TO_LOCKS, `${UNSET}vfio_ap_mdev_reset_queue {INVALID}`, UNSET + 'flush_work(&q->reset_work)', UNSET + 'kvm_put_kvm(kvm)'];
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'GiscRefcountMatchesSavedIscs', 'NoAqicResourcesAfterUnsetKvm']);
    expect(t.NoAqicResourcesAfterUnsetKvm!.slice().sort()).toEqual(warned.slice().sort());
    expect(t.ApInterruptsIntoSavedGisc!.slice().sort()).toEqual(warned.slice().sort());
    // ref_count[3] still matches while the AP interrupts into VM 0 (the invariant counts that queue); it stops once the AP is
    // off with ISC 3 still saved: the work's ZAPQ again answered DECONFIGURED, then TAPQ -EIO
    const off = [...PQAP_DONE, ...UNSET_TO_LOCKS, `${UNSET}vfio_ap_mdev_reset_queue {NORMAL}`, TAPQ('ASSOC'), REZAP('DECONFIGURED'), TAPQ('INVALID'), UNSET + 'flush_work(&q->reset_work)', UNSET + 'kvm_put_kvm(kvm)'];
    expect(t.GiscRefcountMatchesSavedIscs).toHaveLength(off.length);
    const { last } = replay(m, events(m, off));
    expect(ctx(last).queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: false });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(1);
    expect(ctx(last).mdev).toMatchObject({ kvm: -1, kvmRef: false });
  });
});
