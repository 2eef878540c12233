// Model-based tests of the core machines against the kernel transcriptions (src/sut/core.ts):
// edge-covering paths generated from each machine drive the SUT, and after every step the
// SUT's concrete state, projected, must equal the machine's abstract state.
import { describe, expect, it } from 'vitest';
import { runPathTests } from '../../src/paths/cover.ts';
import { coreConformance } from '../../src/sut/core.conformance.ts';
import { observeCore, type CoreSut } from '../../src/sut/core.ts';
import { gibSpec, gisaSpec } from '../../machines/gisa/index.ts';
import { kvmSpec, systemSpec } from '../../machines/system/index.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { mdevSpec, queueSpec } from '../../machines/vfio-ap/index.ts';
import type { MachineSpec } from '../../src/spec.ts';
import { pathSuites } from '../../src/mutate/targets.ts';
import { specs } from '../../machines/index.ts';

/** Variants that are kernel designs the SUT transcribes (planted bugs and proposed fixes are not). */
const kernelDesigns: [MachineSpec, string][] = [
  [gibSpec, 'upstream'],
  [gisaSpec, 'upstream'],
  [gisaSpec, 'gisa-destroy-v5.2'],
  [gisaSpec, 'gib-v3'],
  [vcpuSpec, 'upstream'],
  [queueSpec, 'upstream'],
  [queueSpec, 'v5.3'],
  [mdevSpec, 'upstream'],
  [mdevSpec, 'aqic-v4'],
  [kvmSpec, 'upstream'],
  [systemSpec, 'gib-upstream'],
  [systemSpec, 'gib-v2'],
  [systemSpec, 'gib-v3'],
  [systemSpec, 'gib-v4'],
  [systemSpec, 'gib-v5'],
];

describe('every state and every transition, SUT against machine', () => {
  for (const [spec, variant] of kernelDesigns) {
    // the composed guest's designs take a second or more each: npm run test:slow, but for one
    const slow = spec.id === 'system' && variant !== 'gib-v2';
    it(`${spec.id} ${variant}: full state and transition coverage, no disagreement`, { tags: slow ? ['slow'] : [] }, async () => {
      const model = spec.model(variant);
      const r = await runPathTests(model, coreConformance(model));
      expect(r.failures.map((f) => f.message)).toEqual([]);
      expect(r.statesCovered).toBe(r.states);
      expect(r.transitionsCovered).toBe(r.transitions);
    });
  }
});

/** Kernel designs in configurations other than the variant's own, as src/mutate/targets.ts lists them. */
const moreSuites: [MachineSpec, string, string, Record<string, string> | undefined][] = [
  // ISCs 0 and 7 and the guest's TPI (handle_tpi, kvm_s390_get_io_int): 65 paths
  [vcpuSpec, 'upstream', 'two-iscs', undefined],
  // issue 12: the guest's STNSM and LCTL of CR6 (closed, open for ISC 3), KVM_S390_INITIAL_RESET of the stopped vcpu; the observation shows CR6
  [vcpuSpec, 'upstream', 'guest-masks', undefined],
  // issue 12: a protected vcpu (iictl, the fence of PV intercepts and at start, the ultravisor's entry and exit); the observation shows iictl, the fence, the continuation
  [vcpuSpec, 'upstream', 'pv-delivery', undefined],
  // software injection (kvm_s390_inject_vm) and TPI in the composed guest: 201 and 142 paths, about a second each (slow)
  [systemSpec, 'upstream', 'inject', undefined],
  [systemSpec, 'upstream', 'tpi', undefined],
  // issue 12: zPCI forwarding (aen_host_forward): 284 paths (slow)
  [systemSpec, 'upstream', 'aen', undefined],
  [queueSpec, 'upstream', 'one-queue', { aqic: 'aqic-v4' }],
  [queueSpec, 'upstream', 'ap-answers', undefined],
  [queueSpec, 'upstream', 'aqic-off-warn', undefined],
  [queueSpec, 'upstream', 'remove-host-gone', undefined],
  [queueSpec, 'upstream', 'reset-warn', undefined],
  // two VMs: the ISC the close's WARN path keeps, unregistered through the reopened mdev's kvm (-EINVAL there), then its NIB unpinned
  [queueSpec, 'upstream', 'reset-warn-two-vms', undefined],
  // VFIO_DEVICE_RESET (issue 12): its return code and q->reset_status, ZAPQ BUSY / STATE_CHANGE_IN_PROGRESS / CHECKSTOPPED (419 paths); the unverified reset's 0 and the classes of the stored codes (136)
  [queueSpec, 'upstream', 'device-reset', undefined],
  [queueSpec, 'upstream', 'device-reset-warn', undefined],
  // issue 14: aqic-v4 with a VM torn down while the mdev is open for the other one (26 paths); system aqic-v4
  // teardown (84 paths) runs in its own test below
  [mdevSpec, 'aqic-v4', 'two-vms', undefined],
  // the guest's own ZAPQ, completed later by the AP; AQIC answered RESET_IN_PROGRESS meanwhile (the default-case leak); the guest's GR1 as state
  [queueSpec, 'upstream', 'guest-zapq', undefined],
  // issue 12 (appqap): PQAP(AQIC) refused or answered, as the guest reads GR1 (the transcription builds the 64-bit register:
  // priv.c's no-hook memcpy without the shift, vfio_ap's with it), the APIE switch, ensure_nib_shared's failure
  [queueSpec, 'upstream', 'pqap-refusals', undefined],
  [queueSpec, 'upstream', 'pqap-no-fac65', undefined],
];

describe('kernel designs in further configurations (the AP answers, AQIC v4 on one queue, ISCs 0 and 7, software injection, TPI), SUT against machine', () => {
  for (const [spec, variant, configuration, design] of moreSuites) {
    it(`${spec.id} ${variant}${design ? ` (${JSON.stringify(design)})` : ''} ${configuration}: full coverage, no disagreement`, { tags: spec.id === 'system' ? ['slow'] : [] }, async () => {
      const model = spec.model(variant, configuration, design ? { design } : undefined);
      const r = await runPathTests(model, coreConformance(model));
      expect(r.failures.map((f) => f.message)).toEqual([]);
      expect(r.statesCovered).toBe(r.states);
      expect(r.transitionsCovered).toBe(r.transitions);
    });
  }

  it('the mutation analysis runs exactly these suites (src/mutate/targets.ts), the design in the key', () => {
    const keys = pathSuites(specs).filter((s) => s.harness === 'core' && (s.design || s.configuration !== specs.find((x) => x.id === s.machine)!.model(s.variant).configurationId)).map((s) => s.key);
    expect(keys).toEqual(['kvm_vcpu/upstream/two-iscs', 'kvm_vcpu/upstream/guest-masks', 'kvm_vcpu/upstream/pv-delivery', 'vfio_ap_queue/upstream+aqic=aqic-v4/one-queue', 'vfio_ap_queue/upstream/ap-answers', 'vfio_ap_queue/upstream/aqic-off-warn', 'vfio_ap_queue/upstream/remove-host-gone', 'vfio_ap_queue/upstream/reset-warn', 'vfio_ap_queue/upstream/reset-warn-two-vms', 'vfio_ap_queue/upstream/device-reset', 'vfio_ap_queue/upstream/device-reset-warn', 'vfio_ap_queue/upstream/guest-zapq', 'vfio_ap_queue/upstream/pqap-refusals', 'vfio_ap_queue/upstream/pqap-no-fac65', 'ap_matrix_mdev/aqic-v4/two-vms', 'system/upstream/inject', 'system/upstream/tpi', 'system/upstream/aen', 'system/aqic-v4/teardown']);
  });

  it('reset-warn: machine and transcription agree that the remove\'s vfio_ap_free_aqic_resources WARNs on a NULL matrix_mdev->kvm (the machine once unregistered through it; these path tests found that)', async () => {
    // ZAPQ answers a code vfio_ap_mdev_reset_queue WARNs on: nothing freed, the close drops the KVM; the remove's reset then frees without a KVM
    const model = queueSpec.model('upstream', 'reset-warn');
    const r = await runPathTests(model, coreConformance(model));
    expect(r.failures).toEqual([]);
    // some path ends in that remove: saved_isc kept, the NIB unpinned with its GISC still registered, no call through the NULL kvm
    const seen = r.suts.map((s) => observeCore(s, { gib: false }).queues[0]!);
    expect(seen.some((q) => q.savedIsc === 3 && !q.savedNib && q.faults.includes('UNPIN_BEFORE_UNREGISTER'))).toBe(true);
    expect(seen.some((q) => q.faults.includes('GISC_CALL_AFTER_FREE'))).toBe(false);
  });
});

describe('aqic-v4 teardown under the open mdev (issue 14): what the transcription then does, on the generated paths', () => {
  it('system aqic-v4 teardown: full coverage, no disagreement; the release resets the enabled queue through the NULL matrix_mdev->kvm the group notifier left (a GISC call reported), after which v4 lets QEMU assign (if (matrix_mdev->kvm) return -EBUSY passes)', { tags: ['slow'] }, async () => {
    const model = systemSpec.model('aqic-v4', 'teardown');
    const r = await runPathTests(model, coreConformance(model));
    expect(r.failures).toEqual([]);
    expect(r.statesCovered).toBe(r.states);
    expect(r.transitionsCovered).toBe(r.transitions);
    const seen = r.suts.map((s) => ({ o: observeCore(s, { gib: false }), s }));
    // by hand (path of 12 events: start, SIE, both stores, open, PQAP NORMAL, leave SIE, stop, VM fd closed, the three teardown
    // steps, then the close): vfio_ap_free_irq unregisters q->isc through the NULL kvm, reported against the queue
    expect(seen.some(({ o }) => o.queues[0]!.faults.includes('GISC_CALL_AFTER_FREE') && o.vms[0]!.kvmFreed)).toBe(true);
    // some path assigns with the mdev still open but matrix_mdev->kvm NULL (v5.0..v5.12 assign_*_store test the pointer, not the open)
    expect(seen.some(({ s }) => s.vfio.mdev.open && s.vfio.mdev.kvm === null && s.vfio.queues[0]!.apidAssigned && s.vfio.queues[0]!.apqiAssigned)).toBe(true);
  });
});

describe('the comparison can fail', () => {
  it('a planted bug in the machine (no delivery in vcpu_pre_run) disagrees with the transcription', async () => {
    const model = vcpuSpec.model('planted-no-delivery');
    const r = await runPathTests(model, coreConformance(model));
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]!.trace.map((t) => t.event.type)).toContain('vcpu_pre_run');
  });

  it('the proposed fix of the default AQIC response is not what the kernel does: the SUT keeps the leak', async () => {
    const model = queueSpec.model('upstream-fixed');
    const r = await runPathTests(model, coreConformance(model));
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures.some((f) => f.trace.some((t) => (t.event as { outcome?: string }).outcome === 'OTHER'))).toBe(true);
  });

  it('the proposed fix of priv.c\'s no-hook answer is not what the kernel does: the transcription\'s GR1 reads response code 00', async () => {
    const model = queueSpec.model('upstream-pqap-no-hook-shifted', 'pqap-refusals');
    const r = await runPathTests(model, coreConformance(model));
    expect(r.failures.length).toBeGreaterThan(0);
    // by hand: a Linux guest's AQIC ir=1 ISC 3 puts (1 << 47) | 3 in GR1; priv.c memcpys the status word 0x00010000 (response
    // code 01 in its second byte) into bits 0-31 without the shift, so bits 32-63 stay 0x00000003 and bits 40-47 read 00
    const upstream = queueSpec.model('upstream', 'pqap-refusals');
    const sut = coreConformance(upstream).create(upstream) as CoreSut;
    sut.apply({ type: 'PQAP_AQIC', q: 0, ir: 1, isc: 3, outcome: 'NORMAL' });
    expect(observeCore(sut, { gib: false }).queues[0]).toMatchObject({ gr1: 'cc3 rc00', told: 3, irq: false, pins: 0 });
  });
});

describe('the merged design in the SUT', () => {
  it('upstream: every generated path agrees and the tracker reports no use after free on any of them', { tags: ['slow'] }, async () => {
    const model = systemSpec.model('upstream');
    const r = await runPathTests(model, coreConformance(model));
    expect(r.failures).toEqual([]);
    expect(r.transitionsCovered).toBe(r.transitions);
    const seen = r.suts.map((s) => observeCore(s, { gib: false }));
    const faults = new Set(seen.flatMap((o) => [...o.vms[0]!.faults, ...o.queues[0]!.faults]));
    expect(faults.has('GISA_WRITE_AFTER_FREE')).toBe(false);
    expect(faults.has('GISC_CALL_AFTER_FREE')).toBe(false);
    // what upstream does report is the leak of the default AQIC response
    expect(faults.has('DESTROY_WITH_ALERT_MASK')).toBe(true);
  });
});
