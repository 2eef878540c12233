// The fine-grained pqap-remove-queue configuration of the composed guest (issue 11, vfio-ap): the
// guest's PQAP(AQIC) intercept against the AP bus removing the queue from vfio_ap
// (vfio_ap_mdev_remove_queue with get_update_locks_for_queue), v6.17-rc4 locking. Upstream holds
// (both sides under mdevs_lock); each planted race finds exactly its violations, by the
// interleaving checked here step by step (full exploration: the shortest trace); the reduced
// exploration finds the same (test/check/por.test.ts).
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { ISC_INVALID } from '../../machines/context.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from './vfio-ap-threads.ts';
import { systemVariants } from '../../machines/system/system.variants.ts';
import type { CoreVariant } from '../../machines/system/spec.ts';
import { editFunction } from '../../machines/kthread.ts';
import { HANDLE_PQAP_AT, replantApStep } from '../../machines/vfio-ap/vfio_ap_ops.stepghost.ts';

const C = 'pqap-remove-queue';

const PQAP_TO_LOCK = ['vcpu handle_pqap@down_read(pqap_hook_rwsem)', 'vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook'];
const REMOVE_LOCKS = [
  'host vfio_ap_mdev_remove_queue@mutex_lock(matrix_dev->guests_lock)',
  'host vfio_ap_mdev_remove_queue@if (q->matrix_mdev->kvm)',
  'host vfio_ap_mdev_remove_queue@mutex_lock(kvm->lock)',
  'host vfio_ap_mdev_remove_queue@mutex_lock(matrix_dev->mdevs_lock)',
];
const REMOVE_UNLOCKS = [
  'host vfio_ap_mdev_remove_queue@mutex_unlock(matrix_dev->mdevs_lock)',
  'host vfio_ap_mdev_remove_queue@release: if (matrix_mdev->kvm)',
  'host vfio_ap_mdev_remove_queue@mutex_unlock(kvm->lock)',
  'host vfio_ap_mdev_remove_queue@mutex_unlock(matrix_dev->guests_lock)',
];

type Snap = { value: Record<string, unknown>; context: any };
const ctx = (s: { context: unknown }): any => s.context;

describe('pqap-remove-queue: the PQAP intercept against vfio_ap_mdev_remove_queue', () => {
  it('upstream: no violation, 84 states in full, 24 reduced (both sides hold mdevs_lock for the lookup and enable, and for reset, unlink, kfree)', () => {
    const m = systemSpec.model('upstream', C);
    const full = explore(m, { por: false });
    const red = explore(m, { por: true });
    expect(full.violations.size).toBe(0);
    expect(red.violations.size).toBe(0);
    expect([full.states.length, red.states.length]).toEqual([84, 24]);
    // every final state: the queue freed and holding nothing, no GISC registered, the locks free
    const done = (full.states as Snap[]).filter((s) => s.value.vcpu === 'done' && s.value.host === 'done');
    expect(done.length).toBeGreaterThan(0);
    for (const s of done) {
      expect(s.value.q0).toBe('removed');
      expect(s.context.queues[0]).toMatchObject({ freed: true, isc: ISC_INVALID, nib: false, pins: 0, irq: false });
      expect(s.context.vms[0].gisa.ref[3]).toBe(0);
    }
  });

  it('upstream: the guest enables first and the remove resets it; or the remove runs first and the lookup finds no queue (rc 01)', () => {
    const m = systemSpec.model('upstream', C);
    const enable = ['vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue'];
    const first = replay(m, events(m, [...PQAP_TO_LOCK, ...enable, 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable']));
    expect(ctx(first.last).queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: true, freed: false });
    expect(first.last.value).toMatchObject({ q0: { assigned: 'aqic_enabled' } });
    // the remove waits for mdevs_lock while the hook holds it
    const blocked = replay(m, events(m, [...PQAP_TO_LOCK, ...enable, ...REMOVE_LOCKS]));
    expect(blocked.last.value).toMatchObject({ host: 'vfio_ap_mdev_remove_queue@mutex_lock(matrix_dev->mdevs_lock)' });
    expect(blocked.steps.at(-1)!.after).toEqual({}); // the acquire did not fire
    const later = replay(m, events(m, [...PQAP_TO_LOCK, ...enable, 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable', 'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', ...REMOVE_LOCKS, 'host vfio_ap_mdev_remove_queue@vfio_ap_mdev_remove_queue']));
    expect(ctx(later.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, freed: true });
    expect(later.last.value).toMatchObject({ q0: 'removed' });
    const second = replay(m, events(m, [...REMOVE_LOCKS, 'host vfio_ap_mdev_remove_queue@vfio_ap_mdev_remove_queue', ...REMOVE_UNLOCKS, ...PQAP_TO_LOCK, ...enable]));
    expect(ctx(second.last).threads.locals.vcpu.found).toBe(false);
    expect(second.last.value).toMatchObject({ vcpu: 'vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', host: 'done', q0: 'removed' });
    expect(ctx(second.last).queues[0]).toMatchObject({ pins: 0, irq: false });
  });

  it('planted: the lookup before mdevs_lock; the whole remove runs between them and vfio_ap_irq_enable uses the freed queue (12 steps)', () => {
    const t = traces(systemSpec.model('planted-pqap-lookup-before-remove-queue', C));
    expect(Object.keys(t).sort()).toEqual(['ApThreadStepPostcondition', 'FreedQueueHoldsNothing', 'NoQueueUseAfterFree', 'QueueTypeOK']);
    // the step ghost: vfio_ap_mdev_get_queue before mutex_lock(&matrix_dev->mdevs_lock) (4 steps)
    expect(t.ApThreadStepPostcondition).toEqual([...PQAP_TO_LOCK, 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue']);
    const uaf = [
      ...PQAP_TO_LOCK,
      'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
      ...REMOVE_LOCKS,
      'host vfio_ap_mdev_remove_queue@vfio_ap_mdev_remove_queue',
      'host vfio_ap_mdev_remove_queue@mutex_unlock(matrix_dev->mdevs_lock)',
      'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)',
      'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable',
    ];
    expect(t.NoQueueUseAfterFree).toEqual(uaf);
    expect(t.FreedQueueHoldsNothing).toEqual(uaf);
    expect(t.QueueTypeOK).toEqual(uaf);
  });

  it('planted: the reset before get_update_locks_for_queue; the guest enables between the reset and the kfree, so the queue is freed holding its NIB and GISC (13 steps)', () => {
    const m = systemSpec.model('planted-remove-queue-reset-unlocked', C);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['FreedQueueHoldsNothing', 'QueueTypeOK']);
    const leak = [
      ...PQAP_TO_LOCK,
      'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)',
      'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
      'host vfio_ap_mdev_remove_queue@vfio_ap_mdev_reset_queue unlocked',
      'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable',
      'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)',
      ...REMOVE_LOCKS,
      'host vfio_ap_mdev_remove_queue@vfio_ap_unlink_queue_fr_mdev; kfree(q)',
    ];
    expect(t.FreedQueueHoldsNothing).toEqual(leak);
    const { last } = replay(m, events(m, leak));
    expect(ctx(last).queues[0]).toMatchObject({ freed: true, isc: 3, nib: true, pins: 1, irq: true });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(1);
    expect(ctx(last).threads.found.vcpu ?? 0).toBe(0); // the PQAP used a live queue: no use after free
  });
});

describe('ApThreadStepPostcondition (apmut): what handle_pqap\'s lookup and vfio_ap_irq_enable must do, step by step', () => {
  /** pqap-remove-queue with the vcpu's step `at` replaced by `body` (test only), still checked by the step ghost. */
  function withStep(id: string, at: string, body: Parameters<typeof replantApStep>[1]): CoreVariant {
    return {
      id,
      description: 'test only',
      cite: 'test only',
      configuration: C,
      configurations: [C],
      threads: (th) => editFunction(th, 'vcpu', 'handle_pqap', (f) => ({ ...f, steps: f.steps.map((st) => (st.at === at ? replantApStep(st, body) : st)) })),
      expectedViolations: ['ApThreadStepPostcondition'],
    };
  }
  const violations = (v: CoreVariant) => {
    (systemVariants as CoreVariant[]).push(v);
    try {
      return traces(systemSpec.model(v.id, C));
    } finally {
      (systemVariants as CoreVariant[]).splice(systemVariants.indexOf(v), 1);
    }
  };

  it('a lookup that finds no queue although the hook, matrix_mdev->kvm and the APQN are there: only the ghost sees it (5 steps)', () => {
    // by hand: in the initial state the hook and matrix_mdev->kvm are VM 0's and queue 0 is assigned and linked, so the first
    // lookup, 5 steps in (down_read, the hook test, *pqap_hook, mutex_lock, the lookup), must find it; answering rc 01 leaks nothing
    const t = violations(withStep('test-lookup-never-finds', HANDLE_PQAP_AT.lookup, () => (_c, t) => void (t.local.found = false)));
    expect(Object.keys(t)).toEqual(['ApThreadStepPostcondition']);
    expect(t.ApThreadStepPostcondition).toEqual([...PQAP_TO_LOCK, 'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue']);
  });

  it('a vfio_ap_irq_enable that does nothing: the queue is not enabled after ap_aqic NORMAL (6 steps)', () => {
    const t = violations(withStep('test-enable-does-nothing', HANDLE_PQAP_AT.enable, () => () => {}));
    expect(Object.keys(t)).toEqual(['ApThreadStepPostcondition']);
    expect(t.ApThreadStepPostcondition).toEqual([...PQAP_TO_LOCK, 'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue', 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable']);
  });
});

const M = 'pqap-mdev-remove';
const REMOVE = [
  'remove vfio_ap_mdev_remove@vfio_unregister_group_dev',
  'remove vfio_ap_mdev_remove@mutex_lock(matrix_dev->guests_lock)',
  'remove vfio_ap_mdev_remove@mutex_lock(matrix_dev->mdevs_lock)',
  'remove vfio_ap_mdev_remove@vfio_ap_mdev_reset_queues; unlink; list_del',
  'remove vfio_ap_mdev_remove@mutex_unlock(matrix_dev->mdevs_lock)',
  'remove vfio_ap_mdev_remove@mutex_unlock(matrix_dev->guests_lock)',
  'remove vfio_ap_mdev_remove@vfio_put_device',
];

describe('pqap-mdev-remove: the PQAP intercept against the close and the removal of the mdev', () => {
  it('upstream: no violation, 90 states in full, 44 reduced (76 with the breadth-first cycle proviso used before the terminal-component one); the remove starts only after the close returned', () => {
    const m = systemSpec.model('upstream', M);
    const full = explore(m, { por: false });
    expect(full.violations.size).toBe(0);
    expect(explore(m, { por: true }).violations.size).toBe(0);
    expect([full.states.length, explore(m, { por: true }).states.length]).toEqual([90, 44]);
    const states = full.states as Snap[];
    // vfio_unregister_group_dev waits: while QEMU has not returned from the close, the remove has not started
    expect(states.every((s) => s.value.qemu === 'done' || s.value.remove === 'idle')).toBe(true);
    expect(states.some((s) => s.value.qemu !== 'done' && s.value.qemu !== 'idle')).toBe(true);
    // once freed: no hook into the mdev, no pointer, no reference, the queue reset
    const freed = states.filter((s) => s.context.mdev.freed);
    expect(freed.length).toBeGreaterThan(0);
    for (const s of freed) expect(s.context.mdev).toMatchObject({ hook: -1, kvm: -1, kvmRef: false });
    // the remove is the first step of no trace: replaying it first does nothing
    const { steps } = replay(m, events(m, [REMOVE[0]!]));
    expect(steps[0]!.after).toEqual({});
  });

  it('v5.3..v5.10: the close\'s finding of pqap-close (NULL hook, 5 steps) and nothing about the freed mdev (release cleared the hook before the remove)', () => {
    expect(traces(systemSpec.model('v5.3', M))).toEqual({
      NoPqapHookUseAfterClear: [
        'vcpu handle_pqap@if (pqap_hook)',
        'qemu vfio_ap_mdev_release@mutex_lock(matrix_dev->lock)',
        'qemu vfio_ap_mdev_release@if (matrix_mdev->kvm)',
        'qemu vfio_ap_mdev_release@pqap_hook = NULL',
        'vcpu handle_pqap@try_module_get(pqap_hook->owner)',
      ],
    });
  });

  it('planted: the remove without waiting for the close frees the mdev with the hook, the pointer and the reference (7 steps); priv.c then loads *pqap_hook from it (10 steps)', () => {
    const m = systemSpec.model('planted-mdev-remove-without-close', M);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['FreedMdevHoldsNothing', 'NoMatrixMdevUseAfterFree', 'NoReturnHoldingLock']);
    expect(t.FreedMdevHoldsNothing).toEqual(REMOVE);
    const uaf = ['vcpu handle_pqap@down_read(pqap_hook_rwsem)', 'vcpu handle_pqap@if (pqap_hook)', ...REMOVE, 'vcpu handle_pqap@pqap_hook = *pqap_hook'];
    expect(t.NoMatrixMdevUseAfterFree).toEqual(uaf);
    // the oops leaves the rwsem read-held: the close's down_write could never run
    expect(t.NoReturnHoldingLock).toEqual(uaf);
    const { last } = replay(m, events(m, REMOVE));
    expect(ctx(last).mdev).toMatchObject({ freed: true, hook: 0, kvm: 0, kvmRef: true });
  });
});
