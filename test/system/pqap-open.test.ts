// The fine-grained pqap-open configuration of the composed guest (issues 11 and 12, vfio-ap):
// the guest's PQAP(AQIC) intercept against QEMU opening the mdev (vfio_ap_mdev_set_kvm), per
// era of locking. What the guest is answered in the window where the hook is set and
// matrix_mdev->kvm is not (upstream only), that nothing is set up without the KVM reference in
// any era, and the planted race that breaks it, by the interleavings checked here (full
// exploration: the shortest trace); test/check/por.test.ts checks the reduction.
import { describe, expect, it } from 'vitest';
import { systemSpec } from '../../machines/system/index.ts';
import { replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { threadTraces as traces } from '../machines/vfio-ap-threads.ts';
import type { AbstractState, Model } from '../../src/spec.ts';
import type { SystemContext } from '../../machines/context.ts';

const C = 'pqap-open';
type S = AbstractState<SystemContext>;

/** Every state of the full exploration. */
const states = (m: Model): S[] => explore(m, { por: false }).states as S[];
const pc = (s: S, thread: string): string => (s.value as Record<string, string>)[thread]!;
const UNLOCK = (lock: string) => `vfio_ap:handle_pqap@mutex_unlock(${lock})`;
/** vfio_ap's handle_pqap about to leave by out_unlock without a queue: the guest is answered qstatus AP_RESPONSE_Q_NOT_AVAIL (rc 01). */
const answered01ByVfioAp = (s: S, lock: string) => pc(s, 'vcpu') === UNLOCK(lock) && s.context.threads!.locals.vcpu!.found === false;

describe('pqap-open: the PQAP intercept against the open of the mdev', () => {
  it('every era: no violation, with or without reduction; nothing is pinned, registered or enabled without matrix_mdev->kvm and the reference', () => {
    for (const v of ['upstream', 'upstream-fixed', 'v5.3', 'pqap-open-v5.13']) {
      const m = systemSpec.model(v, C);
      expect(explore(m, { por: false }).violations.size, v).toBe(0);
      expect(explore(m, { por: true }).violations.size, v).toBe(0);
    }
  });

  it('upstream: the hook is set before matrix_mdev->kvm; a PQAP in between reaches vfio_ap\'s handle_pqap and is answered rc 01 (Q_NOT_AVAIL), 8 steps', () => {
    const m = systemSpec.model('upstream', C);
    const window = states(m).filter((s) => answered01ByVfioAp(s, 'matrix_dev->mdevs_lock'));
    expect(window.length).toBeGreaterThan(0);
    for (const s of window) expect(s.context.mdev).toMatchObject({ hook: 0, kvm: -1, kvmRef: false });
    const lines = [
      'qemu vfio_ap_mdev_set_kvm@down_write(pqap_hook_rwsem)',
      'qemu vfio_ap_mdev_set_kvm@pqap_hook = &matrix_mdev->pqap_hook',
      'qemu vfio_ap_mdev_set_kvm@up_write(pqap_hook_rwsem)',
      'vcpu handle_pqap@down_read(pqap_hook_rwsem)',
      'vcpu handle_pqap@if (pqap_hook)',
      'vcpu handle_pqap@pqap_hook = *pqap_hook',
      'vcpu vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)',
      'vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue',
    ];
    const ev = lines.map((l) => {
      const [thread, ...p] = l.split(' ');
      return m.events.findIndex((e) => e.type === p.join(' ') && (e as { thread?: string }).thread === thread);
    });
    expect(ev.every((i) => i >= 0)).toBe(true);
    const { last } = replay(m, ev);
    expect(answered01ByVfioAp(last as S, 'matrix_dev->mdevs_lock')).toBe(true);
    // the open waits for mdevs_lock; the guest is told the queue is not available although it is assigned and being attached
    expect(last.value).toMatchObject({ matrix_mdev: 'open', q0: { assigned: 'aqic_disabled' } });
  });

  it('v5.3..v5.12 and v5.13..v5.14: the hook and the pointer are stored together under matrix_dev->lock; vfio_ap never answers 01, the guest sees the hook NULL (priv.c: rc 01, cc 3) or the attach', () => {
    for (const v of ['v5.3', 'pqap-open-v5.13']) {
      const all = states(systemSpec.model(v, C));
      expect(all.some((s) => answered01ByVfioAp(s, 'matrix_dev->lock')), v).toBe(false);
      // both outcomes are reachable: enabled, or returned without the hook
      expect(all.some((s) => pc(s, 'vcpu') === 'done' && s.context.queues[0]!.irq), v).toBe(true);
      expect(all.some((s) => pc(s, 'vcpu') === 'done' && !s.context.queues[0]!.irq), v).toBe(true);
    }
  });

  it('v5.13..v5.14: vfio_ap\'s kvm_busy wait is never taken against the open (kvm_busy is true only while the hook is NULL)', () => {
    const all = states(systemSpec.model('pqap-open-v5.13', C));
    expect(all.some((s) => s.context.mdev.kvmBusy === true)).toBe(true);
    expect(all.some((s) => pc(s, 'vcpu').startsWith('vfio_ap:handle_pqap@wait_event_cmd: '))).toBe(false);
  });

  it('planted: matrix_mdev->kvm stored before the reference: the PQAP enables in between (10 steps)', () => {
    const t = traces(systemSpec.model('planted-set-kvm-pointer-first', C));
    expect(Object.keys(t).sort()).toEqual(['MdevKvmPointerHoldsReference', 'NoAqicResourcesWithoutKvmReference']);
    expect(t.MdevKvmPointerHoldsReference).toEqual(['qemu vfio_ap_mdev_set_kvm@matrix_mdev->kvm = kvm']);
    const r = t.NoAqicResourcesWithoutKvmReference!;
    expect(r).toHaveLength(10);
    expect(r[0]).toBe('qemu vfio_ap_mdev_set_kvm@matrix_mdev->kvm = kvm');
    expect(r.slice(-2)).toEqual(['vcpu vfio_ap:handle_pqap@vfio_ap_mdev_get_queue', 'vcpu vfio_ap:handle_pqap@vfio_ap_irq_enable']);
  });
});

describe('pqap-open: the property can fail', () => {
  const m = systemSpec.model('upstream', C);
  const initial = replay(m, []).last;
  const holds = (edit: (c: any) => void) => {
    const context = structuredClone(initial.context) as any;
    edit(context);
    return m.invariants.find((i) => i.name === 'NoAqicResourcesWithoutKvmReference')!.holds({ ...initial, context });
  };
  it('NoAqicResourcesWithoutKvmReference: resources with the pointer and the reference hold; without either they break it', () => {
    expect(holds(() => {})).toBe(true);
    const res = (c: any) => Object.assign(c.queues[0], { isc: 3, nib: true, pins: 1 });
    expect(holds(res)).toBe(false);
    expect(holds((c) => (res(c), Object.assign(c.mdev, { kvm: 0, kvmRef: true })))).toBe(true);
    expect(holds((c) => (res(c), Object.assign(c.mdev, { kvm: 0, kvmRef: false })))).toBe(false);
    expect(holds((c) => (c.vms[0].gisa.ref[3] = 1))).toBe(false);
  });
});
