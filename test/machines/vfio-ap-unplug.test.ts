// The hot-unplug configurations of the composed guest (issue 12, apunplug; machines/vfio-ap/vfio_ap_hotunplug.threads.ts):
// unplug-pqap (the guest's PQAP(AQIC) against unassign_adapter_store, unassign_domain_store, ap_config_store) and
// unplug-stale (the finding: a queue filtered out of the guest's APCB keeps q->matrix_mdev after the unplug, and its
// vfio_ap_mdev_remove_queue loads through the mdev vfio_ap_mdev_remove freed). Each result asserted here was read
// against v6.17-rc4 vfio_ap_ops.c line by line (machines/vfio-ap/README.md, "Finding: hot unplug leaves q->matrix_mdev").
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { FAULT, ISC_INVALID } from '../../machines/context.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from './vfio-ap-threads.ts';

const ctx = (s: { context: unknown }): any => s.context;
type Snap = { value: Record<string, unknown>; context: any };

/** One store's steps on a closed mdev (no guest: the matrix_mdev->kvm tests go past kvm->lock); ap_config_store takes ap_perms_mutex around them. */
const store = (fn: string, perms = false): string[] => [
  ...(perms ? [`host ${fn}@mutex_lock(ap_perms_mutex)`] : []),
  `host ${fn}@mutex_lock(matrix_dev->guests_lock)`,
  `host ${fn}@if (matrix_mdev->kvm)`,
  `host ${fn}@mutex_lock(matrix_dev->mdevs_lock)`,
  `host ${fn}@vfio_ap_mdev_unlink_apqns; shadow_apcb; vfio_ap_mdev_update_guest_apcb`,
  `host ${fn}@vfio_ap_mdev_reset_qlist(&qlist)`,
  `host ${fn}@vfio_ap_unlink_mdev_fr_queue`,
  `host ${fn}@mutex_unlock(matrix_dev->mdevs_lock)`,
  `host ${fn}@release: if (matrix_mdev->kvm)`,
  `host ${fn}@mutex_unlock(matrix_dev->guests_lock)`,
  ...(perms ? [`host ${fn}@mutex_unlock(ap_perms_mutex)`] : []),
];
const RMQ = (t: string): string[] => [
  `${t} vfio_ap_mdev_remove_queue@mutex_lock(matrix_dev->guests_lock)`,
  `${t} vfio_ap_mdev_remove_queue@if (q->matrix_mdev && q->matrix_mdev->kvm)`,
  `${t} vfio_ap_mdev_remove_queue@mutex_lock(matrix_dev->mdevs_lock)`,
  `${t} vfio_ap_mdev_remove_queue@reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)`,
  `${t} vfio_ap_mdev_remove_queue@mutex_unlock(matrix_dev->mdevs_lock)`,
  `${t} vfio_ap_mdev_remove_queue@release: if (matrix_mdev && matrix_mdev->kvm)`,
  `${t} vfio_ap_mdev_remove_queue@mutex_unlock(matrix_dev->guests_lock)`,
];
const REMOVE = [
  'remove vfio_ap_mdev_remove@mutex_lock(matrix_dev->guests_lock)',
  'remove vfio_ap_mdev_remove@mutex_lock(matrix_dev->mdevs_lock)',
  'remove vfio_ap_mdev_remove@vfio_ap_mdev_reset_queues; vfio_ap_mdev_unlink_fr_queues; list_del',
  'remove vfio_ap_mdev_remove@mutex_unlock(matrix_dev->mdevs_lock)',
  'remove vfio_ap_mdev_remove@mutex_unlock(matrix_dev->guests_lock)',
  'remove vfio_ap_mdev_remove@vfio_put_device',
];

const S = 'unplug-stale';

describe('unplug-stale: a queue unplugged while filtered out of the guest\'s APCB keeps q->matrix_mdev', () => {
  const m = systemSpec.model('upstream', S);
  const full = explore(m, { por: false });

  it('upstream: NoMatrixMdevUseAfterFree, 24 steps: unbind queue 1, unassign the adapter, remove the mdev, unbind queue 0', () => {
    // by hand (v6.17-rc4): vfio_ap_mdev_remove_queue(q1): q1 in shadow_apcb -> clear_bit_inv(apid, shadow_apcb.apm),
    // reset_queues_for_apid (q0 and q1), goto done: hash_del(q1), kfree(q1); q0 stays in the qtable with q->matrix_mdev.
    // unassign_adapter_store: vfio_ap_mdev_unlink_adapter hash_del's q0; test_bit_inv(apid, shadow_apcb.apm) is false:
    // q0 is not list_add_tail'ed, so vfio_ap_unlink_mdev_fr_queue never runs for it. vfio_ap_mdev_remove:
    // vfio_ap_mdev_unlink_fr_queues walks apm x aqm (apm empty now) through the qtable (q0 gone): q0->matrix_mdev stays;
    // vfio_put_device frees. vfio_ap_mdev_remove_queue(q0): get_update_locks_for_queue: `if (q->matrix_mdev &&
    // q->matrix_mdev->kvm)` loads from the freed ap_matrix_mdev.
    expect(traces(m, full)).toEqual({ NoMatrixMdevUseAfterFree: [...RMQ('unbind1'), ...store('unassign_adapter_store'), ...REMOVE, ...RMQ('unbind0').slice(0, 2)] });
  });

  it('the same through unassign_domain_store (queue 0\'s domain); nothing without the filtering first', () => {
    for (const host of [store('unassign_domain_store')]) {
      const { last } = replay(m, events(m, [...RMQ('unbind1'), ...host, ...REMOVE, ...RMQ('unbind0').slice(0, 2)]));
      expect(ctx(last).threads.found.unbind0 & FAULT.MDEV_USE_AFTER_FREE).toBe(FAULT.MDEV_USE_AFTER_FREE);
      expect(ctx(last).queues[0]).toMatchObject({ linked: false, matrixMdev: true, inApcb: false, freed: false });
    }
    // the adapter unplugged while both queues are in the shadow APCB: both collected, reset and unlinked from the mdev
    const { last } = replay(m, events(m, [...store('unassign_adapter_store'), ...REMOVE, ...RMQ('unbind0'), ...RMQ('unbind1')]));
    expect(Object.values(ctx(last).threads.found).some((f: any) => f & FAULT.MDEV_USE_AFTER_FREE)).toBe(false);
    for (const q of ctx(last).queues) expect(q).toMatchObject({ linked: false, matrixMdev: false, freed: true });
  });

  it('upstream: the remove runs only after the stores (their sysfs attributes go first); a queue the mdev remove finds is unlinked from it', () => {
    const states = full.states as Snap[];
    expect(states.every((s) => s.value.host === 'done' || s.value.remove === 'idle')).toBe(true);
    for (const s of states.filter((x) => x.context.mdev.freed)) {
      for (const q of s.context.queues) if (q.matrixMdev) expect(q.linked === false || q.freed).toBe(true);
    }
  });

  it('proposed fix (the unlink clears q->matrix_mdev of an uncollected queue too): all hold; every final state has both queues freed', () => {
    const f = systemSpec.model('upstream-unplug-unlinks-filtered', S);
    const x = explore(f, { por: false });
    expect(x.violations.size).toBe(0);
    const done = (x.states as Snap[]).filter((s) => ['unbind0', 'unbind1', 'host', 'remove'].every((t) => s.value[t] === 'done'));
    expect(done.length).toBeGreaterThan(0);
    for (const s of done) for (const q of s.context.queues) expect(q).toMatchObject({ freed: true, isc: ISC_INVALID, nib: false, pins: 0, irq: false });
  });
});

const P = 'unplug-pqap';
const PQAP = [
  'vcpu handle_pqap@down_read(pqap_hook_rwsem)',
  'vcpu handle_pqap@if (pqap_hook)',
  'vcpu handle_pqap@pqap_hook = *pqap_hook',
  'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)',
  'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
];
/** The adapter store on the open mdev: kvm->lock taken and released. */
const OPEN_STORE = [
  'host unassign_adapter_store@mutex_lock(matrix_dev->guests_lock)',
  'host unassign_adapter_store@if (matrix_mdev->kvm)',
  'host unassign_adapter_store@mutex_lock(kvm->lock)',
  'host unassign_adapter_store@mutex_lock(matrix_dev->mdevs_lock)',
  'host unassign_adapter_store@vfio_ap_mdev_unlink_apqns; shadow_apcb; vfio_ap_mdev_update_guest_apcb',
  'host unassign_adapter_store@vfio_ap_mdev_reset_qlist(&qlist)',
  'host unassign_adapter_store@vfio_ap_unlink_mdev_fr_queue',
];

describe('unplug-pqap: the guest\'s PQAP(AQIC) against the hot unplug of its queue', () => {
  it('upstream: all hold; the PQAP enables first and the unplug resets it before unlinking, or the unplug runs first and the lookup finds no queue (rc 01)', () => {
    const m = systemSpec.model('upstream', P);
    const x = explore(m, { por: false });
    expect(x.violations.size).toBe(0);
    const first = replay(m, events(m, [...PQAP, 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable', 'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', ...OPEN_STORE]));
    expect(ctx(first.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, matrixMdev: false, linked: false, inApcb: false });
    expect(ctx(first.last).vms[0].gisa.ref[3]).toBe(0);
    const unlocks = ['mutex_unlock(matrix_dev->mdevs_lock)', 'release: if (matrix_mdev->kvm)', 'mutex_unlock(kvm->lock)', 'mutex_unlock(matrix_dev->guests_lock)'].map((at) => `host unassign_adapter_store@${at}`);
    const later = replay(m, events(m, [...OPEN_STORE, ...unlocks, ...PQAP]));
    expect(ctx(later.last).threads.locals.vcpu.found).toBe(false);
  });

  it('planted: without vfio_ap_mdev_reset_qlist the queue is unlinked with its interruptions, ISC and NIB (14 steps)', () => {
    const m = systemSpec.model('planted-unplug-without-reset', P);
    expect(traces(m)).toEqual({ UnpluggedQueueHoldsNothing: [...PQAP, 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable', 'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', ...OPEN_STORE] });
  });
});
