// The AP bus notifiers into vfio_ap at the kernel's granularity (issue 12, apnotify): the
// fine-grained ap-notifier configuration of the composed guest runs the AP bus scan's
// vfio_ap_on_cfg_changed and vfio_ap_on_scan_complete against QEMU opening the mdev and the guest's
// PQAP(AQIC) (machines/vfio-ap/vfio_ap_notifier.threads.ts). Upstream (v6.17-rc4) locks
// matrix_mdev->kvm->lock of an mdev no guest opened yet (NULL) and resets from a stale
// apm_filtered; the proposed fix holds. The expected traces were read off the C
// (vfio_ap_ops.c vfio_ap_on_cfg_changed .. vfio_ap_mdev_hot_plug_cfg) by hand: each line is
// the statement the thread executes, in the order of the C, and the checker's shortest trace was
// compared with them.
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { NOTIFIER_PC } from '../../machines/vfio-ap/vfio_ap_notifier.threads.ts';
import { replay } from '../../src/check/check.ts';
import { ISC_INVALID } from '../../machines/context.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from './vfio-ap-threads.ts';

const C = 'ap-notifier';
const ctx = (s: { context: unknown }): any => s.context;
type Snap = { value: Record<string, unknown>; context: any };

const QCI = (answer: string) => `apbus ap_scan_bus@ap_get_configuration {${answer}}`;
const CHANGED_LOCK = 'apbus vfio_ap_on_cfg_changed@mutex_lock(matrix_dev->guests_lock)';
const ADD = ['apbus vfio_ap_mdev_on_cfg_add@vfio_ap_mdev_cfg_add', 'apbus vfio_ap_on_cfg_changed@mutex_unlock(matrix_dev->guests_lock)'];
const SCAN_LOCK = 'apbus vfio_ap_on_scan_complete@mutex_lock(matrix_dev->guests_lock)';
const HP = 'apbus vfio_ap_mdev_hot_plug_cfg@';
const PLUG = [`${HP}mutex_lock(matrix_mdev->kvm->lock)`, `${HP}mutex_lock(matrix_dev->mdevs_lock)`, `${HP}filter`];
const RESET = (stack: string) => `${HP}reset_queues_for_apids(matrix_mdev, apm_filtered) {${stack}}`;
const SK = 'qemu vfio_ap_mdev_set_kvm@';
const OPEN = [
  'down_write(pqap_hook_rwsem)', 'pqap_hook = &matrix_mdev->pqap_hook', 'up_write(pqap_hook_rwsem)', 'mutex_lock(matrix_dev->guests_lock)', 'mutex_lock(kvm->lock)',
  'mutex_lock(matrix_dev->mdevs_lock)', 'kvm_get_kvm(kvm); matrix_mdev->kvm = kvm', 'mutex_unlock(matrix_dev->mdevs_lock)', 'mutex_unlock(kvm->lock)', 'mutex_unlock(matrix_dev->guests_lock)',
].map((s) => SK + s);

describe('ap-notifier: the AP bus scan\'s vfio_ap notifiers against QEMU opening the mdev', () => {
  const up = systemSpec.model('upstream', C);
  const full = explore(up, { por: false });

  it('upstream: 916 states in full; the NULL matrix_mdev->kvm->lock in 2 steps (an unassigned adapter removed before the open) and the stale reset in 19', () => {
    expect(full.states.length).toBe(916);
    const t = traces(up, full);
    expect(Object.keys(t).sort()).toEqual(['NotifierLocksNoNullKvm', 'NotifierResetsOnlyFilteredQueues']);
    // vfio_ap_on_cfg_changed takes guests_lock, vfio_ap_mdev_on_cfg_remove sees do_remove, vfio_ap_mdev_cfg_remove's first statement locks through the NULL pointer
    expect(t.NotifierLocksNoNullKvm).toEqual([QCI('remove'), CHANGED_LOCK]);
    // the open first (matrix_mdev->kvm set), then on_cfg_changed records the control domain, on_scan_complete's hot plug skips the
    // filter of the matrix and resets from the uninitialised bitmap; the open can come no later (it needs guests_lock)
    expect(t.NotifierResetsOnlyFilteredQueues!.slice().sort()).toEqual([...OPEN, QCI('add-cdom'), CHANGED_LOCK, ...ADD, SCAN_LOCK, ...PLUG, RESET('stale')].sort());
    expect(t.NotifierResetsOnlyFilteredQueues).toHaveLength(19);
  });

  it('upstream: with additions pending and no guest yet, vfio_ap_mdev_hot_plug_cfg reaches the NULL lock too; the kworker then holds guests_lock for good and the open never gets it', () => {
    const { last } = replay(up, events(up, [QCI('add-apqn'), CHANGED_LOCK, ...ADD, SCAN_LOCK]));
    expect(last.value).toMatchObject({ apbus: NOTIFIER_PC.plugLock });
    expect(ctx(last).mdev).toMatchObject({ kvm: -1, added: 'apqn' });
    expect(ctx(last).threads.locks['matrix_dev->guests_lock']).toBe('apbus');
    // no state of the full graph has the thread past that lock while matrix_mdev->kvm is NULL, nor the open done while it waits there
    for (const s of full.states as Snap[]) {
      if (s.value.apbus === NOTIFIER_PC.plugLock || s.value.apbus === NOTIFIER_PC.removeLock) {
        if (s.context.mdev.kvm < 0) expect(s.value.qemu).not.toBe('done');
      }
      if (String(s.value.apbus).startsWith('vfio_ap_mdev_hot_plug_cfg@') && s.value.apbus !== NOTIFIER_PC.plugLock) expect(s.context.mdev.kvm).toBe(0);
    }
  });

  it('upstream: the reset hits queue 0 only for a stale stack with only a control domain added; zeroed, or a domain added (the filter clears apm_filtered), resets nothing', () => {
    const cdom = [...OPEN, QCI('add-cdom'), CHANGED_LOCK, ...ADD, SCAN_LOCK, ...PLUG];
    expect(ctx(replay(up, events(up, [...cdom, RESET('stale')])).last).threads.locals.apbus.resetInUse).toBe(true);
    expect(ctx(replay(up, events(up, [...cdom, RESET('zeroed')])).last).threads.locals.apbus.resetInUse).toBeUndefined();
    const apqn = [...OPEN, QCI('add-apqn'), CHANGED_LOCK, ...ADD, SCAN_LOCK, ...PLUG, RESET('stale')];
    const { last } = replay(up, events(up, apqn));
    expect(ctx(last).threads.locals.apbus).toMatchObject({ filtered: true });
    expect(ctx(last).threads.locals.apbus.resetInUse).toBeUndefined();
    expect(ctx(last).queues[0].inApcb).toBe(true);
  });

  it('upstream: a stale reset after the guest enabled interruptions takes them away behind its back (ISC 3 unregistered, NIB unpinned, the AP off), as vfio_ap_mdev_reset_queue does', () => {
    const pqap = ['vcpu handle_pqap@down_read(pqap_hook_rwsem)', 'vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook', 'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)', 'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue', 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable', 'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', 'vcpu handle_pqap@up_read(pqap_hook_rwsem)'];
    const before = replay(up, events(up, [...OPEN, ...pqap, QCI('add-cdom'), CHANGED_LOCK, ...ADD, SCAN_LOCK, ...PLUG]));
    expect(ctx(before.last).queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: true, inApcb: true });
    const { last } = replay(up, events(up, [...OPEN, ...pqap, QCI('add-cdom'), CHANGED_LOCK, ...ADD, SCAN_LOCK, ...PLUG, RESET('stale')]));
    expect(ctx(last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, inApcb: true });
    expect(ctx(last).vms[0].gisa.ref[3]).toBe(0);
    expect(ctx(last).threads.locals.apbus.resetInUse).toBe(true);
    // the step postconditions accept it (what the C does), and only the property names it
    expect(up.invariants.find((i) => i.name === 'ApThreadStepPostcondition')!.holds(last)).toBe(true);
    expect(up.invariants.find((i) => i.name === 'NotifierResetsOnlyFilteredQueues')!.holds(last)).toBe(false);
  });

  it('upstream-notifier-fixed (that it holds everything: test/system/system.test.ts, test/check/por.test.ts): the scan may run to its end before the open, and the hot plug still filters the shadow APCB of the closed mdev', () => {
    const fm = systemSpec.model('upstream-notifier-fixed', C);
    // the fixed cfg_remove skips kvm->lock of the closed mdev, and the hot plug still filters its shadow APCB
    const CR = 'apbus vfio_ap_mdev_cfg_remove@';
    const early = replay(fm, events(fm, [QCI('remove'), CHANGED_LOCK, `${CR}if (matrix_mdev->kvm)`, `${CR}mutex_lock(matrix_dev->mdevs_lock)`, `${CR}mutex_unlock(matrix_dev->mdevs_lock)`, `${CR}release: if (matrix_mdev->kvm)`, ...ADD]));
    expect(early.last.value).toMatchObject({ apbus: 'vfio_ap_on_scan_complete@mutex_lock(matrix_dev->guests_lock)', qemu: 'idle' });
    const plug = replay(fm, events(fm, [QCI('add-apqn'), CHANGED_LOCK, ...ADD, SCAN_LOCK, `${HP}if (matrix_mdev->kvm)`, ...PLUG.slice(1), RESET('stale')]));
    expect(ctx(plug.last).mdev.kvm).toBe(-1);
    expect(ctx(plug.last).queues[0].inApcb).toBe(true);
    expect(plug.last.value).toMatchObject({ apbus: `vfio_ap_mdev_hot_plug_cfg@mutex_unlock(matrix_dev->mdevs_lock)` });
  });

  it('ap-notifier-open (the mdev open, the stack zeroed): upstream holds (294 states in full); every end has the guest\'s enable intact and queue 0 in the APCB', () => {
    const om = systemSpec.model('upstream', 'ap-notifier-open');
    const ox = explore(om, { por: false });
    expect([ox.violations.size, ox.states.length]).toEqual([0, 294]);
    const ends = (ox.states as Snap[]).filter((s) => s.value.apbus === 'done' && s.value.vcpu === 'done');
    // each QCI answer ends in its own states; the PQAP enabled (rc 0) in every one of them
    expect(new Set(ends.map((s) => s.context.mdev.added))).toEqual(new Set(['none']));
    for (const s of ends) expect(s.context.queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: true, inApcb: true });
  });
});
