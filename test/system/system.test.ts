import { describe, expect, it } from 'vitest';
import { traceTo } from '../../src/check/explore.ts';
import { runPathTests } from '../../src/paths/cover.ts';
import { coreConformance } from '../../src/sut/core.conformance.ts';
import { observeCore } from '../../src/sut/core.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { AREAS, describeVariants, exploreOnce } from '../support/variants.ts';

for (const spec of AREAS['test/system/system.test.ts']) describeVariants(spec);

describe('the GISA-destroy hazard of the AQIC series', () => {
  it('aqic-v4: QEMU closing the VM fd destroys the GISA while the queue has interruptions enabled, a GISC registered and a NIB pinned', () => {
    const model = systemSpec.model('aqic-v4');
    const x = exploreOnce(systemSpec, 'aqic-v4');
    const bad = x.violations.get('AqicResourcesFreedBeforeGisaDestroy')!;
    const steps = traceTo(model, x, bad).map((t) => t.event.type);
    // by hand: start and run a vcpu, assign the queue, open the mdev, AQIC enable (NORMAL),
    // stop the vcpu, close the VM fd (no vfio_ap reference: users 0), kvm_s390_gisa_destroy
    expect(steps).toEqual([
      'kvm_s390_vcpu_start', 'vcpu_pre_run', 'assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device',
      'PQAP_AQIC', 'vcpu_post_run', 'kvm_s390_vcpu_stop', 'kvm_vm_release', 'kvm_s390_gisa_destroy',
    ]);
    const q = x.states[bad]!.context.queues[0]!;
    expect(q).toMatchObject({ irq: true, isc: 3, nib: true, pins: 1 });
    expect(x.states[bad]!.context.vms[0]!.gisa).toMatchObject({ origin: false, ref: [0, 0, 0, 1, 0, 0, 0, 0] });
  });

  it('upstream and the fixed upstream: no reachable state has the GISA destroyed under a queue with AQIC resources', () => {
    for (const variant of ['upstream', 'upstream-fixed']) {
      const x = exploreOnce(systemSpec, variant);
      expect(x.violations.has('AqicResourcesFreedBeforeGisaDestroy')).toBe(false);
      // the destroy is reached at all: some state has the GISA destroyed
      expect(x.states.some((s) => !s.context.vms[0]!.gisa.origin)).toBe(true);
    }
  });

  it('aqic-v4 in the SUT: the generated paths on which the AP interrupts into the freed GISA agree, and the tracker reports the use after free', async () => {
    const model = systemSpec.model('aqic-v4');
    const x = exploreOnce(systemSpec, 'aqic-v4');
    const ap = model.events.findIndex((e) => e.type === 'AP_ADAPTER_INTERRUPTION');
    // an edge from a state with sie_page2 freed, taken by the AP's interruption
    const intoFreed = (e: number) => x.edges[3 * e + 1] === ap && x.states[x.edges[3 * e]!]!.context.vms[0]!.gisa.freed;
    // the first 40 generated paths that take such an edge
    let kept = 0;
    const through = (p: { edges: number[] }) => kept < 40 && p.edges.some(intoFreed) && ++kept > 0;
    const r = await runPathTests(model, coreConformance(model), x, through);
    expect(r.paths).toBe(40);
    expect(r.failures.map((f) => f.message)).toEqual([]);
    const faults = new Set(r.suts.flatMap((s) => observeCore(s, { gib: false }).vms[0]!.faults));
    expect(faults).toContain('GISA_WRITE_AFTER_FREE');
    expect(faults).toContain('GISC_CALL_AFTER_FREE');
  });
});
