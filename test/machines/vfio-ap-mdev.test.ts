// The matrix mdev's own lifecycle in the composed guest (issue 12, apmdev; machines/vfio-ap/vfio_ap_mdev.threads.ts):
// pqap-mdev-eperm (a second mdev opened for a VM that has one: vfio_ap_mdev_set_kvm's hook store before its -EPERM scan,
// the finding of machines/vfio-ap/README.md) and pqap-dma-unmap (the NIB's IOVA range unmapped after PQAP(AQIC) enabled
// the queue). Each expected trace was checked by hand against v6.17-rc4 vfio_ap_ops.c vfio_ap_mdev_set_kvm (the store under
// pqap_hook_rwsem, then get_update_locks_for_kvm, the mdev_list scan and release_update_locks_for_kvm; return -EPERM with
// nothing undone), vfio_ap_mdev_remove, vfio_ap_mdev_dma_unmap / unmap_iova, and priv.c handle_pqap's load of *pqap_hook.
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { systemAudit } from '../../machines/system/system.audit.ts';
import { ISC_INVALID } from '../../machines/context.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadEventsOf as events, threadTraces as traces } from './vfio-ap-threads.ts';

const E = 'pqap-mdev-eperm';
const OPEN = [
  'qemu vfio_ap_mdev_set_kvm@down_write(pqap_hook_rwsem)',
  'qemu vfio_ap_mdev_set_kvm@pqap_hook = &matrix_mdev->pqap_hook',
  'qemu vfio_ap_mdev_set_kvm@up_write(pqap_hook_rwsem)',
  'qemu vfio_ap_mdev_set_kvm@mutex_lock(matrix_dev->guests_lock)',
  'qemu vfio_ap_mdev_set_kvm@mutex_lock(kvm->lock)',
  'qemu vfio_ap_mdev_set_kvm@mutex_lock(matrix_dev->mdevs_lock)',
  'qemu vfio_ap_mdev_set_kvm@list_for_each_entry(m, &matrix_dev->mdev_list, node): -EPERM',
  'qemu vfio_ap_mdev_set_kvm@mutex_unlock(matrix_dev->mdevs_lock)',
  'qemu vfio_ap_mdev_set_kvm@mutex_unlock(kvm->lock)',
  'qemu vfio_ap_mdev_set_kvm@mutex_unlock(matrix_dev->guests_lock)',
];
const REMOVE = [
  'remove vfio_ap_mdev_remove@vfio_unregister_group_dev',
  'remove vfio_ap_mdev_remove@mutex_lock(matrix_dev->guests_lock)',
  'remove vfio_ap_mdev_remove@mutex_lock(matrix_dev->mdevs_lock)',
  'remove vfio_ap_mdev_remove@vfio_ap_mdev_reset_queues; unlink; list_del',
  'remove vfio_ap_mdev_remove@mutex_unlock(matrix_dev->mdevs_lock)',
  'remove vfio_ap_mdev_remove@mutex_unlock(matrix_dev->guests_lock)',
  'remove vfio_ap_mdev_remove@vfio_put_device',
];
const ctx = (s: { context: unknown }): any => s.context;
const PQAP_TO_LOAD = ['vcpu handle_pqap@down_read(pqap_hook_rwsem)', 'vcpu handle_pqap@if (pqap_hook)', 'vcpu handle_pqap@pqap_hook = *pqap_hook'];
const PQAP_REST = [
  'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)',
  'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
];

describe('pqap-mdev-eperm: a second mdev opened for the VM mdev 0 is attached to', () => {
  // one full exploration of upstream serves the tests below (its traces are the shortest)
  const up = systemSpec.model('upstream', E);
  const full = explore(up, { por: false });

  it('upstream: the finding (141 states in full, 83 reduced): mdev 0\'s hook lost at the store (2 steps), the refused mdev keeps it (7), the PQAP loads *pqap_hook from it after its removal (20, the oops holding pqap_hook_rwsem)', () => {
    expect(full.states.length).toBe(141);
    expect(explore(up, { por: true }).states.length).toBe(83);
    const t = traces(up, full);
    expect(Object.keys(t).sort()).toEqual(['MdevTypeOK', 'NoMatrixMdevUseAfterFree', 'NoReturnHoldingLock', 'RefusedOpenLeavesNoHook']);
    // the store overwrites VM 0's only hook pointer while mdev 0 is open (MdevTypeOK: open exactly while its hook is installed)
    expect(t.MdevTypeOK).toEqual(OPEN.slice(0, 2));
    // -EPERM decided under the three locks (the scan finds mdev 0 with m->kvm == kvm), nothing undone
    expect(t.RefusedOpenLeavesNoHook).toEqual(OPEN.slice(0, 7));
    // the PQAP tested the hook (mdev 1's) before the remove freed mdev 1, then loads through it: the remove takes no lock the PQAP holds
    const uaf = t.NoMatrixMdevUseAfterFree!;
    expect(uaf).toHaveLength(20);
    expect(uaf.filter((l) => l.startsWith('qemu '))).toEqual(OPEN);
    expect(uaf.filter((l) => l.startsWith('remove '))).toEqual(REMOVE);
    expect(uaf.filter((l) => l.startsWith('vcpu '))).toEqual(PQAP_TO_LOAD);
    expect(uaf.at(-1)).toBe('vcpu handle_pqap@pqap_hook = *pqap_hook');
    expect(t.NoReturnHoldingLock).toEqual(uaf);
  });

  it('upstream, replayed in the plain order (open refused, mdev 1 removed, then the PQAP): the guest\'s PQAP after the refused open reaches mdev 1 (no kvm: rc 01, nothing set up for mdev 0\'s assigned queue); after the removal it loads freed memory', () => {
    const refused = replay(up, events(up, OPEN));
    expect(ctx(refused.last).mdev).toMatchObject({ hook: -1, kvm: 0, kvmRef: true });
    expect(ctx(refused.last).mdev1).toEqual({ kvm: -1, hook: 0, refused: true, freed: false });
    const rc01 = replay(up, events(up, [...OPEN, ...PQAP_TO_LOAD, ...PQAP_REST, 'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)', 'vcpu handle_pqap@up_read(pqap_hook_rwsem)']));
    expect((rc01.last.value as Record<string, unknown>).vcpu).toBe('done');
    expect(ctx(rc01.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false });
    const after = replay(up, events(up, [...OPEN, ...REMOVE, ...PQAP_TO_LOAD]));
    expect(ctx(after.last).mdev1).toMatchObject({ hook: 0, freed: true });
    expect(ctx(after.last).threads.found.vcpu).not.toBe(0);
    expect(ctx(after.last).threads.held.vcpu).toEqual(['kvm->arch.crypto.pqap_hook_rwsem#0:r']);
  });

  it('upstream-fixed keeps it (the fix is in vfio_ap_irq_enable); the proposed fix upstream-set-kvm-hook-checked holds (79 states in full): the open is refused before the store, mdev 0 keeps its hook and the PQAP enables through it', () => {
    expect(Object.keys(traces(systemSpec.model('upstream-fixed', E))).sort()).toEqual(['MdevTypeOK', 'NoMatrixMdevUseAfterFree', 'NoReturnHoldingLock', 'RefusedOpenLeavesNoHook']);
    const m = systemSpec.model('upstream-set-kvm-hook-checked', E);
    const x = explore(m, { por: false });
    expect(x.violations.size).toBe(0);
    expect(x.states.length).toBe(79);
    const ends = x.states.filter((s: any) => s.value.vcpu === 'done' && s.value.qemu === 'done' && s.value.remove === 'done') as any[];
    expect(ends.length).toBeGreaterThan(0);
    for (const s of ends) {
      expect(s.context.mdev).toMatchObject({ hook: 0, kvm: 0 });
      expect(s.context.mdev1).toEqual({ kvm: -1, hook: -1, refused: true, freed: true });
      expect(s.context.queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: true });
    }
  });

  it('the system audit marks set_kvm\'s -EPERM and dma_unmap\'s hit modelled by these steps', () => {
    const path = (fn: string, p: string) => systemAudit.entries.find((e) => e.fn === fn)!.paths!.find((x) => x.path.startsWith(p))!;
    expect(path('vfio_ap_mdev_set_kvm', 'another mdev').mark).toBe('modelled');
    expect(path('vfio_ap_mdev_set_kvm', 'another mdev').by).toContain('vfio_ap_mdev_set_kvm@list_for_each_entry(m, &matrix_dev->mdev_list, node): -EPERM');
    expect(path('vfio_ap_mdev_dma_unmap', 'unmap_iova').mark).toBe('modelled');
  });
});

const D = 'pqap-dma-unmap';
const PQAP = [
  ...PQAP_TO_LOAD,
  ...PQAP_REST,
  'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable',
  'vcpu vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)',
  'vcpu handle_pqap@up_read(pqap_hook_rwsem)',
];

describe('pqap-dma-unmap: the NIB\'s IOVA range unmapped after PQAP(AQIC) enabled the queue', () => {
  it('upstream: holds (12 states); the unmap disables the AP\'s interruptions, unregisters ISC 3 and unpins the NIB', () => {
    const m = systemSpec.model('upstream', D);
    const x = explore(m, { por: false });
    expect(x.violations.size).toBe(0);
    expect(x.states.length).toBe(12);
    const enabled = replay(m, events(m, PQAP));
    expect(ctx(enabled.last).queues[0]).toMatchObject({ isc: 3, nib: true, pins: 1, irq: true });
    const r = replay(m, events(m, [...PQAP, 'qemu vfio_ap_mdev_dma_unmap@mutex_lock(matrix_dev->mdevs_lock)', 'qemu vfio_ap_mdev_dma_unmap@unmap_iova: vfio_ap_irq_disable']));
    expect(ctx(r.last).queues[0]).toMatchObject({ isc: ISC_INVALID, nib: false, pins: 0, irq: false, faults: 0 });
    expect(ctx(r.last).vms[0].gisa.ref[3]).toBe(0);
    expect(ctx(r.last).mdev.nibUnmapped).toBe(true);
  });

  it('dma-unmap-v6.0 (v6.0..v6.1: vfio_unpin_pages only): 9 steps, the pin gone with saved_iova kept, ISC 3 registered and the AP interrupting', () => {
    const m = systemSpec.model('dma-unmap-v6.0', D);
    const t = traces(m);
    expect(Object.keys(t).sort()).toEqual(['EveryNibPinReleasedOnce', 'GiscUnregisterBeforeNibUnpin', 'NoNibAfterDmaUnmap']);
    const nine = [...PQAP, 'qemu vfio_ap_mdev_dma_unmap@vfio_unpin_pages(&matrix_mdev->vdev, iova, 1)'];
    for (const k of Object.keys(t)) expect(t[k]).toEqual(nine);
    expect(ctx(replay(m, events(m, nine)).last).queues[0]).toMatchObject({ isc: 3, nib: true, pins: 0, irq: true });
  });
});
