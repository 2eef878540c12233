// The fine-grained pqap-close configuration of the composed guest (issue 11, vfio-ap): the
// guest's PQAP(AQIC) intercept against QEMU closing the mdev, per era of locking. Each variant
// finds exactly its violations, by the interleaving checked here step by step (full
// exploration: the shortest trace), and the reduced exploration finds the same
// (test/check/por.test.ts checks that on every fine-grained configuration too).
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { systemVariants } from '../../machines/system/system.variants.ts';
import type { CoreVariant } from '../../machines/system/spec.ts';
import { editFunction } from '../../machines/kthread.ts';
import { lookupBeforeLock } from '../../machines/vfio-ap/vfio_ap_ops.threads.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from '../machines/vfio-ap-threads.ts';

const C = 'pqap-close';

describe('pqap-close: the PQAP intercept against the close of the mdev', () => {
  it('today\'s locking (pqap_hook_rwsem around the call through the hook): no violation, with or without reduction', () => {
    for (const v of ['upstream', 'upstream-fixed']) {
      const m = systemSpec.model(v, C);
      expect(explore(m, { por: false }).violations.size, v).toBe(0);
      expect(explore(m, { por: true }).violations.size, v).toBe(0);
    }
  });

  it('v5.10 (no rwsem): release clears the hook between priv.c\'s NULL test and try_module_get(hook->owner), 5 steps', () => {
    expect(traces(systemSpec.model('pqap-close-v5.10', C))).toEqual({
      NoPqapHookUseAfterClear: [
        'vcpu handle_pqap@if (pqap_hook)',
        'qemu vfio_ap_mdev_release@mutex_lock(matrix_dev->lock)',
        'qemu vfio_ap_mdev_release@if (matrix_mdev->kvm)',
        'qemu vfio_ap_mdev_release@pqap_hook = NULL',
        'vcpu handle_pqap@try_module_get(pqap_hook->owner)',
      ],
    });
    // v5.3 has the same locking
    expect(Object.keys(traces(systemSpec.model('v5.3', C)))).toEqual(['NoPqapHookUseAfterClear']);
  });

  it('v5.10: the hook waits for matrix_dev->lock while release runs; module_put(hook->owner) after the call loads NULL, and nothing is left pinned', () => {
    const m = systemSpec.model('pqap-close-v5.10', C);
    const { last } = replay(
      m,
      events(m, [
        'vcpu handle_pqap@if (pqap_hook)',
        'vcpu handle_pqap@try_module_get(pqap_hook->owner)',
        'vcpu handle_pqap@pqap_hook->hook(vcpu)',
        'qemu vfio_ap_mdev_release@mutex_lock(matrix_dev->lock)',
        'qemu vfio_ap_mdev_release@if (matrix_mdev->kvm)',
        'qemu vfio_ap_mdev_release@pqap_hook = NULL',
        'qemu vfio_ap_mdev_release@vfio_ap_mdev_reset_queues',
        'qemu vfio_ap_mdev_release@kvm_put_kvm(kvm)',
        'qemu vfio_ap_mdev_release@mutex_unlock(matrix_dev->lock)',
        'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->lock)',
        'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
        'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->lock)',
        'vcpu handle_pqap@module_put(pqap_hook->owner)',
      ]),
    );
    const holds = (name: string) => m.invariants.find((i) => i.name === name)!.holds(last);
    expect(holds('NoPqapHookUseAfterClear')).toBe(false);
    expect(holds('NoAqicResourcesAfterUnsetKvm')).toBe(true); // vfio_ap re-tested the hook under matrix_dev->lock: no enable
    expect(last.value).toMatchObject({ vcpu: 'done', qemu: 'done', matrix_mdev: 'closed', q0: { assigned: 'aqic_disabled' } });
  });

  it('v5.13..v5.14 (kvm_busy, no rwsem): release clears the hook after the reset; priv.c loads NULL again (9 steps); vfio_ap\'s handle_pqap waits on kvm_busy and then finds matrix_mdev->kvm NULL', () => {
    const m = systemSpec.model('pqap-close-v5.13', C);
    const t = traces(m);
    expect(Object.keys(t)).toEqual(['NoPqapHookUseAfterClear']);
    expect(t.NoPqapHookUseAfterClear).toHaveLength(9);
    expect(t.NoPqapHookUseAfterClear!.slice(-2)).toEqual(['qemu vfio_ap_mdev_release@pqap_hook = NULL', 'vcpu handle_pqap@try_module_get(pqap_hook->owner)']);
    const all = explore(m, { por: false }).states as { value: Record<string, string>; context: any }[];
    // the wait is taken (release dropped matrix_dev->lock with kvm_busy set) ...
    expect(all.some((s) => s.value.vcpu === 'vfio_ap:handle_pqap@wait_event_cmd: schedule()')).toBe(true);
    // ... and the hook, after it, answers rc 01: no queue found with matrix_mdev->kvm NULL, nothing enabled
    const after = all.filter((s) => s.value.vcpu === 'vfio_ap:handle_pqap@mutex_unlock(matrix_dev->lock)' && s.context.threads.locals.vcpu.found === false);
    expect(after.length).toBeGreaterThan(0);
    expect(all.every((s) => s.context.mdev.kvm >= 0 || !s.context.queues[0].nib)).toBe(true);
  });

  it('planted: the rwsem read side dropped, unset_kvm clears the hook between the NULL test and *pqap_hook, 5 steps', () => {
    expect(traces(systemSpec.model('planted-pqap-no-rwsem', C))).toEqual({
      NoPqapHookUseAfterClear: [
        'vcpu handle_pqap@if (pqap_hook)',
        'qemu vfio_ap_mdev_unset_kvm@kvm = matrix_mdev->kvm',
        'qemu vfio_ap_mdev_unset_kvm@down_write(pqap_hook_rwsem)',
        'qemu vfio_ap_mdev_unset_kvm@pqap_hook = NULL',
        'vcpu handle_pqap@pqap_hook = *pqap_hook',
      ],
    });
  });

  it('planted: also the lookup before mdevs_lock: the whole unset runs between them, vfio_ap_irq_enable goes through the cleared matrix_mdev->kvm (15 steps)', () => {
    const t = traces(systemSpec.model('planted-pqap-lookup-unlocked', C));
    expect(Object.keys(t).sort()).toEqual(['ApThreadStepPostcondition', 'NoGiscCallOnFreedKvm', 'NoPqapHookUseAfterClear']);
    expect(t.NoPqapHookUseAfterClear).toHaveLength(5);
    // the step ghost: vfio_ap_mdev_get_queue runs before mutex_lock(&matrix_dev->mdevs_lock) (handle_pqap looks the qtable up under it)
    expect(t.ApThreadStepPostcondition).toEqual(['vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue']);
    const g = t.NoGiscCallOnFreedKvm!;
    expect(g).toHaveLength(15);
    expect(g.slice(0, 3)).toEqual(['vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue']);
    expect(g.slice(3, 13).every((l) => l.startsWith('qemu vfio_ap_mdev_unset_kvm@'))).toBe(true);
    expect(g.slice(13)).toEqual(['vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable']);
  });

  it('the same check-then-lock slip with the rwsem read side kept is harmless to the resources (unset cannot clear the hook while the hook runs); only the step ghost\'s lock rule sees it', () => {
    const slip: CoreVariant = {
      id: 'test-lookup-before-lock-only',
      description: 'test only',
      cite: 'test only',
      configuration: C,
      configurations: [C],
      threads: (th) => editFunction(th, 'vcpu', 'handle_pqap', lookupBeforeLock),
      expectedViolations: [],
    };
    (systemVariants as CoreVariant[]).push(slip);
    try {
      const m = systemSpec.model(slip.id, C);
      expect(m.events.map((e) => e.type)).toContain('vfio_ap:handle_pqap@vfio_ap_mdev_get_queue');
      // ApThreadStepPostcondition: the lookup outside mdevs_lock (pqap-remove-queue shows what that costs against a concurrent remove)
      expect([...explore(m, { por: false }).violations.keys()]).toEqual(['ApThreadStepPostcondition']);
    } finally {
      (systemVariants as CoreVariant[]).splice(systemVariants.indexOf(slip), 1);
    }
  });

  it('the coarse configurations are untouched: the variants that replace atomic functions or are coarse only skip pqap-close', () => {
    for (const id of ['aqic-v4', 'planted-no-reset-on-close']) {
      expect(() => systemSpec.model(id, C)).toThrow(/exists only in configuration/);
    }
  });
});

describe('pqap-close: the properties can fail', () => {
  const m = systemSpec.model('upstream', C);
  const initial = replay(m, []).last;
  const holds = (name: string, edit: (c: any) => void) => {
    const context = structuredClone(initial.context) as any;
    edit(context);
    return m.invariants.find((i) => i.name === name)!.holds({ ...initial, context });
  };
  it('NoAqicResourcesAfterUnsetKvm: a saved ISC, a pin or a GISC registration with matrix_mdev->kvm NULL breaks it; with the pointer set it holds', () => {
    expect(holds('NoAqicResourcesAfterUnsetKvm', () => {})).toBe(true);
    expect(holds('NoAqicResourcesAfterUnsetKvm', (c) => Object.assign(c.queues[0], { isc: 3, nib: true, pins: 1 }))).toBe(true);
    expect(holds('NoAqicResourcesAfterUnsetKvm', (c) => Object.assign(c.mdev, { kvm: -1 }))).toBe(true);
    expect(holds('NoAqicResourcesAfterUnsetKvm', (c) => (Object.assign(c.mdev, { kvm: -1 }), Object.assign(c.queues[0], { isc: 3, nib: true, pins: 1 })))).toBe(false);
    expect(holds('NoAqicResourcesAfterUnsetKvm', (c) => (Object.assign(c.mdev, { kvm: -1 }), (c.vms[0].gisa.ref[3] = 1)))).toBe(false);
  });
  it('NoPqapHookUseAfterClear: a thread\'s report breaks it', () => {
    expect(holds('NoPqapHookUseAfterClear', () => {})).toBe(true);
    expect(holds('NoPqapHookUseAfterClear', (c) => (c.threads.found.vcpu = 1024))).toBe(false);
  });
});
