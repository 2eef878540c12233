import { describe, expect, it } from 'vitest';
import { explore, traceTo } from '../../src/check/explore.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { describeVariants } from '../support/variants.ts';

describeVariants(systemSpec);

describe('the GISA-destroy hazard of the AQIC series', () => {
  it('aqic-v4: QEMU closing the VM fd destroys the GISA while the queue has interruptions enabled, a GISC registered and a NIB pinned', () => {
    const model = systemSpec.model('aqic-v4');
    const x = explore(model);
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
      const x = explore(systemSpec.model(variant));
      expect(x.violations.has('AqicResourcesFreedBeforeGisaDestroy')).toBe(false);
      // the destroy is reached at all: some state has the GISA destroyed
      expect(x.states.some((s) => !s.context.vms[0]!.gisa.origin)).toBe(true);
    }
  });
});
