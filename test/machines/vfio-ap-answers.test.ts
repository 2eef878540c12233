// The AP's answers in vfio_ap_queue (issue 12): ZAPQ and TAPQ of the close's reset, the reset
// work (apq_reset_check) and the close's flush_work as steps, how AQIC ir=0 ends, and the status
// PQAP returns to the guest. Pinned to v6.17-rc4 drivers/s390/crypto/vfio_ap_ops.c
// (vfio_ap_mdev_reset_queue, apq_reset_check, vfio_ap_mdev_reset_queues, vfio_ap_irq_disable,
// vfio_ap_wait_for_irqclear, handle_pqap). The planted variants' own configuration is asserted by
// test/machines/objects.test.ts (describeVariants); upstream's findings here.
import { describe, expect, it } from 'vitest';
import type { SystemContext } from '../../machines/context.ts';
import { queueSpec } from '../../machines/vfio-ap/index.ts';
import { checkModel, pathTo, replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

/** The shortest trace to each violated invariant, as `type payload` lines. */
function traces(m: Model): Record<string, string[]> {
  const x = explore(m);
  const out: Record<string, string[]> = {};
  for (const [name, i] of x.violations) out[name] = pathTo(x, i).events.map((e) => line(m.events[e]!));
  return out;
}

function line(e: object): string {
  const { type, ...rest } = e as { type: string };
  return Object.keys(rest).length ? `${type} ${JSON.stringify(rest)}` : type;
}

/** Replays `lines` (each must name exactly one event of the model) and says which invariants fail at the end. */
function run(m: Model, lines: string[]): { violated: string[]; context: SystemContext; value: unknown } {
  const ix = lines.map((l) => {
    const i = m.events.findIndex((e) => line(e) === l);
    if (i < 0) throw new Error(`no event ${l}`);
    return i;
  });
  const { last } = replay(m, ix);
  const s = last as { value: unknown; context: SystemContext };
  return { violated: m.invariants.filter((p) => !p.holds(s as never)).map((p) => p.name), context: s.context, value: s.value };
}

const OPEN = ['assign_adapter_store {"q":0}', 'assign_domain_store {"q":0}', 'vfio_ap_mdev_open_device {"vm":0}', 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}'];

describe('vfio_ap_queue: the AP\'s answers (ap-answers, reset-warn, aqic-off-warn)', () => {
  it('ap-answers: upstream holds every property, and the reset work really runs: the close waits in flush_work while the AP still interrupts', () => {
    const m = queueSpec.model('upstream', 'ap-answers');
    expect(explore(m).violations.size).toBe(0);
    // ZAPQ answers RESET_IN_PROGRESS: the work is queued, the close stops in flush_work with the reference held
    const zapped = run(m, [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"IN_PROGRESS"}']);
    expect((zapped.value as Record<string, unknown>).matrix_mdev).toBe('unsetting');
    expect(zapped.context.queues[0]).toMatchObject({ work: 'in-progress', irq: true, nib: true, isc: 3 });
    expect(zapped.context.mdev).toMatchObject({ kvm: 0, kvmRef: true, hook: -1, unsetting: true });
    // flush_work is not enabled while the work is queued; the AP may still interrupt (NIB pinned)
    const early = run(m, [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"IN_PROGRESS"}', 'flush_work']);
    expect(early.context.mdev.kvm).toBe(0);
    expect(run(m, [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"IN_PROGRESS"}', 'AP_ADAPTER_INTERRUPTION {"q":0}']).violated).toEqual([]);
    // TAPQ 0 after an in-progress status: ZAPQ again (answered NORMAL), then TAPQ 0 frees, then flush_work puts the reference
    const steps = [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"IN_PROGRESS"}', 'apq_reset_check {"q":0,"tapq":"BUSY"}', 'apq_reset_check {"q":0,"tapq":"DONE","zapq":"NORMAL"}'];
    const rezapped = run(m, steps);
    expect(rezapped.context.queues[0]).toMatchObject({ work: 'zapped', irq: false, nib: true, isc: 3 });
    const done = run(m, [...steps, 'apq_reset_check {"q":0,"tapq":"DONE","zapq":"NORMAL"}', 'flush_work']);
    expect(done.violated).toEqual([]);
    expect(done.context.queues[0]).toMatchObject({ work: 'idle', irq: false, nib: false, pins: 0, isc: -1 });
    expect(done.context.mdev).toMatchObject({ kvm: -1, kvmRef: false, unsetting: false });
    expect(done.context.vms[0]!.users).toBe(1);
    expect((done.value as Record<string, unknown>).matrix_mdev).toBe('closed');
  });

  it('ap-answers: a queued reset work blocks the remove (the close holds the locks in flush_work)', () => {
    const m = queueSpec.model('upstream', 'ap-answers');
    const waiting = [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"NORMAL"}'];
    const before = run(m, waiting);
    const after = run(m, [...waiting, 'vfio_ap_mdev_remove_queue {"q":0}']);
    expect(after.value).toEqual(before.value);
    expect(after.context).toEqual(before.context);
  });

  it('reset-warn: a ZAPQ answered with a code vfio_ap WARNs on frees nothing, yet unset_kvm drops the KVM reference (upstream, 5 steps)', () => {
    const m = queueSpec.model('upstream', 'reset-warn');
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'GiscRefcountMatchesSavedIscs', 'GiscUnregisterBeforeNibUnpin', 'NoAqicResourcesAfterUnsetKvm', 'QueueTypeOK', 'RemovedQueueHoldsNothing']);
    expect(t.NoAqicResourcesAfterUnsetKvm).toEqual([...OPEN, 'vfio_ap_mdev_close_device {"zapq":"INVALID"}']);
    expect(t.ApInterruptsIntoSavedGisc).toEqual([...OPEN, 'vfio_ap_mdev_close_device {"zapq":"INVALID"}']);
    // the remove's vfio_ap_free_aqic_resources: WARN_ON(!matrix_mdev->kvm) skips the unregister and keeps saved_isc,
    // then unpins the NIB with the GISC registered; kfree(q) takes the saved ISC with it
    const removed = [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"INVALID"}', 'vfio_ap_mdev_remove_queue {"q":0}'];
    for (const p of ['GiscRefcountMatchesSavedIscs', 'GiscUnregisterBeforeNibUnpin', 'QueueTypeOK', 'RemovedQueueHoldsNothing']) expect(t[p], p).toEqual(removed);
    const after = run(m, removed);
    expect(after.context.queues[0]).toMatchObject({ nib: false, pins: 0, isc: 3 });
    expect(after.context.vms[0]!.gisa.ref[3]).toBe(1);
    // the TAPQ path: apq_status_check's -EIO ends the work without freeing; flush_work returns and the reference goes
    const eio = run(m, [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"NORMAL"}', 'apq_reset_check {"q":0,"tapq":"INVALID"}', 'flush_work']);
    expect(eio.violated.sort()).toEqual(['ApInterruptsIntoSavedGisc', 'NoAqicResourcesAfterUnsetKvm']);
    expect(eio.context.queues[0]).toMatchObject({ nib: true, pins: 1, isc: 3, irq: true, hwGisa: 0 });
    expect(eio.context.mdev).toMatchObject({ kvm: -1, kvmRef: false });
    expect(eio.context.vms[0]!.gisa.ref[3]).toBe(1);
    // DECONFIGURED frees at once: nothing left
    expect(run(m, [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"DECONFIGURED"}']).violated).toEqual([]);
  });

  // each expectation read off v6.17-rc4 by hand: vfio_ap_free_aqic_resources unregisters q->saved_isc through
  // q->matrix_mdev->kvm, whatever VM registered it; vfio_ap_mdev_set_kvm leaves the queues' saved_isc alone;
  // interrupt.c kvm_s390_gisc_unregister: "if (gi->alert.ref_count[gisc] == 0) { rc = -EINVAL; goto out; }"
  it('reset-warn-two-vms: the ISC the close\'s WARN path keeps is unregistered on the VM the mdev is reopened for (upstream: -EINVAL there, 7 steps; the first VM keeps its registration)', () => {
    const m = queueSpec.model('upstream', 'reset-warn-two-vms');
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'GiscRefcountMatchesSavedIscs', 'GiscUnregisterBeforeNibUnpin', 'NoAqicResourcesAfterUnsetKvm', 'NoUnbalancedGiscUnregister']);
    const kept = [...OPEN, 'vfio_ap_mdev_close_device {"zapq":"INVALID"}'];
    expect(t.NoAqicResourcesAfterUnsetKvm).toEqual(kept);
    // the reopen for VM 1: q->saved_isc 3 now counts against VM 1's GISA, whose ref_count[3] is 0
    expect(t.GiscRefcountMatchesSavedIscs).toEqual([...kept, 'vfio_ap_mdev_open_device {"vm":1}']);
    // VM 1's guest disables: vfio_ap_irq_disable -> vfio_ap_free_aqic_resources -> kvm_s390_gisc_unregister(VM 1, 3): -EINVAL
    expect(t.NoUnbalancedGiscUnregister).toEqual([...kept, 'vfio_ap_mdev_open_device {"vm":1}', 'PQAP_AQIC {"q":0,"ir":0,"off":"NORMAL"}']);
    // ... and then vfio_unpin_pages of the NIB pinned for VM 0, whose registration on VM 0 is still live
    expect(t.GiscUnregisterBeforeNibUnpin).toEqual(t.NoUnbalancedGiscUnregister);
    const refused = run(m, t.NoUnbalancedGiscUnregister!);
    expect(refused.context.vms.map((k) => k.gisa.ref[3])).toEqual([1, 0]);
    expect(refused.context.queues[0]).toMatchObject({ isc: -1, nib: false, pins: 0 });
    // the ghost step postcondition transcribes the refusal (-EINVAL moves nothing, the unpin with VM 0's registration live): it holds
    expect(refused.violated).not.toContain('AqicStepPostcondition');
    // VM 1's guest enables the same ISC: registered on VM 1 (ref 1), then the free of the "older configuration" drops that
    // very registration (ref 0, ISC 3 out of VM 1's alert mask) while the AP interrupts on ISC 3 into VM 1's GISA
    const same = run(m, [...kept, 'vfio_ap_mdev_open_device {"vm":1}', 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}']);
    expect(same.violated).toContain('GiscRefcountMatchesSavedIscs');
    expect(same.violated).not.toContain('NoUnbalancedGiscUnregister');
    expect(same.violated).not.toContain('AqicStepPostcondition');
    expect(same.context.vms.map((k) => [k.gisa.ref[3], k.gisa.mask])).toEqual([[1, 0x10], [0, 0]]);
    expect(same.context.queues[0]).toMatchObject({ isc: 3, irq: true, hwIsc: 3, hwGisa: 1 });
    // one VM: the reopen is for the VM that registered the ISC, and the late unregister balances
    const one = queueSpec.model('upstream', 'reset-warn-two-vms', { params: { vms: 1 } });
    expect(Object.keys(traces(one)).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'NoAqicResourcesAfterUnsetKvm']);
    // the proposed fix: the WARN paths call vfio_ap_irq_disable, so the close frees through the closing VM's kvm
    const fixed = queueSpec.model('upstream-reset-warn-disables', 'reset-warn-two-vms');
    expect(explore(fixed).violations.size).toBe(0);
    const closed = run(fixed, kept);
    expect(closed.context.queues[0]).toMatchObject({ isc: -1, nib: false, pins: 0, irq: false });
    expect(closed.context.vms[0]!.gisa.ref[3]).toBe(0);
  });

  it('aqic-off-warn: vfio_ap_irq_disable frees the NIB and the GISC when the IR bit never clears, and answers the guest 0 (upstream, 5 steps)', () => {
    const m = queueSpec.model('upstream', 'aqic-off-warn');
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['ApInterruptsIntoSavedGisc', 'GuestToldSuccessMatchesAp', 'IrqEnabledImpliesNibPinned']);
    for (const name of Object.keys(t)) expect(t[name]).toEqual([...OPEN, 'PQAP_AQIC {"q":0,"ir":0,"off":"IR_STUCK"}']);
    // BUSY 6 times: freed while the AQIC never took, but the guest is told BUSY, not success
    const busy = run(m, [...OPEN, 'PQAP_AQIC {"q":0,"ir":0,"off":"BUSY_EXHAUSTED"}']);
    expect(busy.violated.sort()).toEqual(['ApInterruptsIntoSavedGisc', 'IrqEnabledImpliesNibPinned']);
    // the endings that take leave nothing behind
    for (const off of ['NORMAL', 'TAPQ_FAILED', 'NOT_OPER']) {
      const r = run(m, [...OPEN, `PQAP_AQIC {"q":0,"ir":0,"off":"${off}"}`]);
      expect(r.violated, off).toEqual([]);
      expect(r.context.queues[0], off).toMatchObject({ irq: false, nib: false, pins: 0, isc: -1 });
    }
  });

  it('remove-host-gone: a queue removed after its APQN left the host\'s AP configuration is freed without a reset (upstream, 5 steps)', () => {
    const m = queueSpec.model('upstream', 'remove-host-gone');
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['GiscRefcountMatchesSavedIscs', 'NoAqicResourcesAfterUnsetKvm', 'QueueTypeOK', 'RemovedQueueHoldsNothing']);
    expect(t.RemovedQueueHoldsNothing).toEqual([...OPEN, 'vfio_ap_mdev_remove_queue {"q":0,"host":"gone"}']);
    // the close no longer finds the queue: the registration stays counted in the VM's GISA after vfio_ap dropped the reference
    const closed = run(m, [...OPEN, 'vfio_ap_mdev_remove_queue {"q":0,"host":"gone"}', 'vfio_ap_mdev_close_device {"zapq":"NORMAL"}']);
    expect(closed.context.vms[0]!.gisa.ref[3]).toBe(1);
    expect(closed.context.queues[0]).toMatchObject({ freed: true, work: 'idle', nib: true, pins: 1, irq: false });
    expect((closed.value as Record<string, unknown>).matrix_mdev).toBe('closed');
    // still in the configuration: reset, nothing left
    expect(run(m, [...OPEN, 'vfio_ap_mdev_remove_queue {"q":0,"host":"present"}']).violated).toEqual([]);
  });

  it('ResetWorkCanFinish: upstream can always finish the reset work and the close; a work that loops on after its free cannot', () => {
    const failing = (v: string, c: string) => checkModel(queueSpec.model(v, c)).results.filter((r) => !r.holds && r.kind === 'liveness').map((r) => r.property);
    for (const c of ['ap-answers', 'reset-warn', 'aqic-off-warn', 'remove-host-gone']) expect(failing('upstream', c), c).toEqual([]);
    expect(failing('planted-reset-check-no-break', 'ap-answers')).toEqual(['ResetWorkCanFinish']);
  });

  // VFIO_DEVICE_RESET (issue 12): each expectation below read off v6.17-rc4 vfio_ap_ops.c by hand (vfio_ap_mdev_ioctl ->
  // vfio_ap_mdev_reset_queues: ZAPQ stored in q->reset_status, flush_work, "if (q->reset_status.response_code) ret = -EIO";
  // apq_reset_check: "if (ret == -EIO) return;" stores nothing; its ZAPQ again stores the new answer)
  it('device-reset: VFIO_DEVICE_RESET waits in flush_work for the reset work and returns 0 for a finished reset, -EIO for a non-zero stored ZAPQ code (upstream holds every property)', () => {
    const m = queueSpec.model('upstream', 'device-reset');
    const waiting = run(m, [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"BUSY"}']);
    expect(waiting.context.mdev).toMatchObject({ resetting: true, resetRc: null, kvm: 0, hook: 0 });
    expect(waiting.context.queues[0]).toMatchObject({ work: 'in-progress', resetStatus: 'IN_PROGRESS', irq: true, nib: true });
    // mdevs_lock is held: the guest's PQAP(AQIC) and the close wait
    expect(run(m, [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"BUSY"}', 'PQAP_AQIC {"q":0,"ir":0}']).context).toEqual(waiting.context);
    expect(run(m, [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"BUSY"}', 'vfio_ap_mdev_close_device {"zapq":"NORMAL"}']).context).toEqual(waiting.context);
    // BUSY stored: TAPQ 0 issues ZAPQ again (NORMAL stored), TAPQ 0 frees, flush_work returns 0 with everything reset
    const steps = [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"BUSY"}', 'apq_reset_check {"q":0,"tapq":"DONE","zapq":"NORMAL"}', 'apq_reset_check {"q":0,"tapq":"DONE","zapq":"NORMAL"}', 'flush_work'];
    const done = run(m, steps);
    expect(done.violated).toEqual([]);
    expect(done.context.mdev).toMatchObject({ resetting: false, resetRc: 0, kvm: 0, kvmRef: true, hook: 0 });
    expect(done.context.queues[0]).toMatchObject({ work: 'idle', resetStatus: 'NORMAL', irq: false, nib: false, pins: 0, isc: -1 });
    // CHECKSTOPPED: freed at once, no work, and the stored 04 makes the ioctl return -EIO
    const gone = run(m, [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"CHECKSTOPPED"}']);
    expect(gone.context.mdev).toMatchObject({ resetting: false, resetRc: -5 });
    expect(gone.context.queues[0]).toMatchObject({ work: 'idle', resetStatus: 'DECONFIGURED', irq: false, nib: false, pins: 0 });
  });

  it('device-reset-warn: a reset work stopped by an invalid TAPQ leaves the ZAPQ\'s 0 stored, and VFIO_DEVICE_RESET returns 0 with the NIB pinned and the GISC registered (upstream finding, 7 steps); storing the TAPQ status makes it -EIO', () => {
    const m = queueSpec.model('upstream', 'device-reset-warn');
    const t = traces(m);
    const finding = [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"NORMAL"}', 'apq_reset_check {"q":0,"tapq":"INVALID"}', 'flush_work'];
    expect(t).toEqual({ DeviceResetReportedDoneIsDone: finding });
    const r = run(m, finding);
    expect(r.context.mdev).toMatchObject({ resetRc: 0, resetting: false });
    expect(r.context.queues[0]).toMatchObject({ resetStatus: 'NORMAL', work: 'idle', isc: 3, nib: true, pins: 1, irq: true });
    expect(r.context.vms[0]!.gisa.ref[3]).toBe(1);
    // ZAPQ answering a code vfio_ap WARNs on is stored: -EIO, and the ioctl's promise is kept
    expect(run(m, [...OPEN, 'VFIO_DEVICE_RESET {"zapq":"INVALID"}']).context.mdev).toMatchObject({ resetRc: -5 });
    const fixed = queueSpec.model('upstream-reset-verified', 'device-reset-warn');
    expect(explore(fixed).violations.size).toBe(0);
    expect(run(fixed, finding).context.mdev).toMatchObject({ resetRc: -5 });
  });

  // The guest's own PQAP(ZAPQ) (issue 12, guest-zapq). Read off by hand: priv.c handle_pqap intercepts only fc 0x03 (AQIC),
  // so vfio_ap never sees the ZAPQ; ap_queue.c ap_queue_enable_irq takes AQIC's RESET_IN_PROGRESS (02) as -EBUSY, so AQIC
  // answers 02 while a reset runs; vfio_ap_irq_enable (v6.17-rc4): pin, kvm_s390_gisc_register, ap_aqic, and for 02 the
  // default case: vfio_ap_irq_disable(q) frees only q->saved_isc / q->saved_iova (none here): pins 1, ref_count[3] 1, nothing saved.
  const ZAPQ = ['assign_adapter_store {"q":0}', 'assign_domain_store {"q":0}', 'vfio_ap_mdev_open_device {"vm":0}', 'PQAP_ZAPQ {"q":0}'];
  const AQIC_02 = 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"RESET_IN_PROGRESS"}';
  it('guest-zapq: the guest\'s ZAPQ, then AQIC before the reset completed, leaks the new pin and GISC registration (upstream, 5 steps); the answer 0 the guest holds stays true (AqicAnswerHolds)', () => {
    const m = queueSpec.model('upstream', 'guest-zapq');
    expect(traces(m)).toEqual({ EveryNibPinReleasedOnce: [...ZAPQ, AQIC_02], GiscRefcountMatchesSavedIscs: [...ZAPQ, AQIC_02] });
    const r = run(m, [...ZAPQ, AQIC_02]);
    expect(r.context.queues[0]).toMatchObject({ hwReset: true, told: -1, isc: -1, nib: false, pins: 1, irq: false });
    expect(r.context.vms[0]!.gisa.ref[3]).toBe(1);
    // the AP answers NORMAL only once the reset completed (and never 02 then); the guest's ZAPQ voids what it was told
    const zapped = run(m, ZAPQ).context;
    expect(run(m, [...ZAPQ, 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}']).context).toEqual(zapped);
    const on = run(m, [...ZAPQ, 'AP_RESET_COMPLETE {"q":0}', 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}']);
    expect(on.violated).toEqual([]);
    expect(on.context.queues[0]).toMatchObject({ hwReset: false, told: 3, irq: true, hwIsc: 3, isc: 3, nib: true, pins: 1 });
    expect(run(m, [...ZAPQ.slice(0, 3), 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}', 'PQAP_ZAPQ {"q":0}']).context.queues[0]).toMatchObject({ told: -1, hwReset: true, irq: true, isc: 3, nib: true });
    const completed = run(m, [...ZAPQ, 'AP_RESET_COMPLETE {"q":0}']).context;
    expect(run(m, [...ZAPQ, 'AP_RESET_COMPLETE {"q":0}', AQIC_02]).context).toEqual(completed);
    // the proposed fix releases the new pin and registration in the default case: nothing leaks
    expect(explore(queueSpec.model('upstream-fixed', 'guest-zapq')).violations.size).toBe(0);
    // planted: 02 taken as NORMAL answers the guest 0 with the AP never enabled: AqicAnswerHolds over state
    const planted = queueSpec.model('planted-reset-in-progress-as-normal', 'guest-zapq');
    const p = run(planted, [...ZAPQ, AQIC_02]);
    expect(p.violated).toContain('AqicAnswerHolds');
    expect(p.context.queues[0]).toMatchObject({ told: 3, irq: false, isc: 3, nib: true, pins: 1 });
  });

  it('the default configurations are untouched: no ZAPQ/TAPQ payload, no reset work, no guest status check', () => {
    const m = queueSpec.model('upstream', 'one-queue-answered');
    expect(m.events.some((e) => e.type === 'apq_reset_check' || e.type === 'flush_work')).toBe(false);
    const r = run(m, [...OPEN, 'vfio_ap_mdev_close_device']);
    expect(r.context.queues[0]).not.toHaveProperty('work');
    expect(r.context.mdev).not.toHaveProperty('unsetting');
    expect(r.context.mdev).not.toHaveProperty('resetRc');
    expect(m.events.some((e) => e.type === 'VFIO_DEVICE_RESET')).toBe(false);
    expect(r.context.queues[0]).not.toHaveProperty('told');
    expect(m.events.some((e) => e.type === 'AP_RESET_COMPLETE')).toBe(false);
    expect(r.context.queues[0]).toMatchObject({ irq: false, nib: false, pins: 0, isc: -1 });
  });
});
