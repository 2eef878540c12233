import { describe, expect, it } from 'vitest';
import { checkModel, type CheckResult, type CheckStep } from '../../src/check/check.ts';
import { traceTo } from '../../src/check/explore.ts';
import { SpecError } from '../../src/spec.ts';
import { runPathTests } from '../../src/paths/cover.ts';
import { coreConformance } from '../../src/sut/core.conformance.ts';
import { observeCore } from '../../src/sut/core.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { initialContext, type SystemContext } from '../../machines/context.ts';
import { kernelTable } from '../../machines/kernel.ts';
import { UPSTREAM } from '../../machines/design.ts';
import type { CoreVariant } from '../../machines/system/spec.ts';
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

// Issue 12: userspace's vcpu_id beside KVM's vcpu_idx, overlapping CR6 masks, the reinject of a failed TPI store.
// The lassos and traces below were read by hand from `check --machine system --variant <v> --configuration <c>`.
describe('issue 12: vcpu identities, overlapping CR6 masks, the reinject kick', () => {
  /** checkModel on the exploration describeVariants made for the manifest (the same model, no reduction in these configurations). */
  const check = (variant: string, configuration: string, params?: Record<string, unknown>) =>
    params
      ? checkModel(systemSpec.model(variant, configuration, { params }))
      : checkModel(systemSpec.model(variant, configuration), { explorer: () => exploreOnce(systemSpec, variant, configuration) });
  const broken = (r: CheckResult) => r.results.filter((x) => x.holds === false).map((x) => x.property).sort();
  const types = (steps: readonly CheckStep[]) => steps.map((s) => `${s.event.type}${'vcpu' in s.event ? ` ${String(s.event.vcpu)}` : ''}`);

  it('idle-mask-vcpu_id-v5.14, vcpu_ids {1, 0}: idle vcpu1 sets bit 0, the kicker looks up vcpu0 (closed for ISC 3) and vcpu1 sleeps for good; idle vcpu0 sets bit 1 and gets its kicked bit without a wake-up', () => {
    const r = check('idle-mask-vcpu_id-v5.14', 'vcpu-ids');
    expect(r.matches).toBe(true);
    expect(broken(r)).toEqual(['KickedNotAsleep', 'KickerStepPostcondition', 'NoLostWakeup']);
    const lost = r.results.find((x) => x.property === 'NoLostWakeup')!;
    expect(lost.instance).toEqual({ vm: 0, vcpu: 1 });
    // by hand: vcpu1 (vcpu_id 0) runs and waits (bit 0 of idle_mask); ISC 3 alerts, the GAL handler arms the kicker; the kicker's bit 0
    // is kvm_get_vcpu(kvm, 0) = vcpu0, still stopped and closed for ISC 3: passed over; it re-arms forever, vcpu0 never started
    expect(types(lost.trace)).toEqual(['kvm_s390_vcpu_start 1', 'vcpu_pre_run 1', 'kvm_s390_handle_wait 1', 'GISA_ADAPTER_INTERRUPTION', 'gib_alert_irq_handler', 'gisa_vcpu_kicker', 'process_gib_alert_list']);
    expect(types(lost.cycle!)).toEqual(['gisa_vcpu_kicker']);
    // by hand: vcpu0 (vcpu_id 1) waits (bit 1); the kicker's bit 1 is vcpu1 (stopped, I/O on in the model's initial PSW, open for ISC 3):
    // test_and_set_bit(1, kicked_mask) sets vcpu0's bit and the wake-up goes to vcpu1, which is not in kvm_vcpu_block
    const kicked = r.results.find((x) => x.property === 'KickedNotAsleep')!;
    expect(types(kicked.trace)).toEqual(['kvm_s390_vcpu_start 0', 'vcpu_pre_run 0', 'kvm_s390_handle_wait 0', 'GISA_ADAPTER_INTERRUPTION', 'gib_alert_irq_handler', 'gisa_vcpu_kicker']);
    expect(kicked.trace.at(-1)!.after).toMatchObject({ 'ctx.vms.0.vcpus.0.kicked': true });
  });

  it('idle-mask-vcpu_id-v5.14 finds nothing where vcpu_id == vcpu_idx, and with vcpu_ids {0, 2} bit 2 is past online_vcpus: never scanned; upstream reads no vcpu_id', () => {
    const same = check('idle-mask-vcpu_id-v5.14', 'vcpu-ids', { vcpuIds: [0, 1] });
    const up = check('upstream', 'vcpu-ids');
    expect(broken(same)).toEqual([]);
    expect([same.states, same.transitions]).toEqual([up.states, up.transitions]);
    expect(broken(up)).toEqual([]);
    const sparse = check('idle-mask-vcpu_id-v5.14', 'vcpu-ids', { vcpuIds: [0, 2] });
    expect(broken(sparse)).toEqual(['KickerStepPostcondition', 'NoLostWakeup']);
    expect(sparse.results.find((x) => x.property === 'NoLostWakeup')!.instance).toEqual({ vm: 0, vcpu: 1 });
    expect(broken(check('upstream', 'vcpu-ids', { vcpuIds: [0, 2] }))).toEqual([]);
    // KVM_CREATE_VCPU refuses an id in use (-EEXIST): so does the configuration
    expect(() => systemSpec.model('upstream', 'vcpu-ids', { params: { vcpuIds: [1, 1] } })).toThrow(SpecError);
  });

  it('idle-mask-vcpu_id-v5.14\'s __floating_irq_kick and __airqs_kick_single_vcpu read the lowest idle bit below online_vcpus as a vcpu_idx', () => {
    const v = systemSpec.variants.find((x) => x.id === 'idle-mask-vcpu_id-v5.14') as CoreVariant;
    const k = kernelTable(UPSTREAM, v.kernel).k;
    const run = (vcpuIds: number[], idle: boolean[], f: (c: SystemContext, fx: { raise: (e: unknown) => void }) => void) => {
      const c = initialContext({ vms: 1, vcpus: 3, queues: 0, iscs: [3], vcpuIds });
      c.vms[0]!.vcpus.forEach((x, i) => Object.assign(x, { stopped: false, idle: idle[i] }));
      const raised: unknown[] = [];
      f(c, { raise: (e) => void raised.push(e) });
      return { raised, kicked: c.vms[0]!.vcpus.map((x) => x.kicked) };
    };
    const woken = (vcpu: number) => [{ type: 'kvm_s390_vcpu_wakeup', vm: 0, vcpu }];
    // by hand, vcpu_ids {2, 0, 1}: idle vcpu0 and vcpu2 set bits 2 and 1; find_first_bit gives 1, kvm_get_vcpu(1) is vcpu1 (running)
    expect(run([2, 0, 1], [true, false, true], (c, fx) => k.__floating_irq_kick(c, 0, fx as never)).raised).toEqual(woken(1));
    // the kicker: bit 1 -> vcpu1, open for ISC 3; test_and_set_bit(1) is the bit of vcpu2 (vcpu_id 1)
    expect(run([2, 0, 1], [true, false, true], (c, fx) => k.__airqs_kick_single_vcpu(c, 0, 0x10, fx as never))).toEqual({ raised: woken(1), kicked: [false, false, true] });
    // vcpu_ids {0, 1, 5}: only idle vcpu2 sets bit 5, past online_vcpus (3): neither finds anybody
    expect(run([0, 1, 5], [false, false, true], (c, fx) => k.__floating_irq_kick(c, 0, fx as never)).raised).toEqual([]);
    expect(run([0, 1, 5], [false, false, true], (c, fx) => k.__airqs_kick_single_vcpu(c, 0, 0x10, fx as never)).raised).toEqual([]);
    // upstream: the idle vcpu itself
    expect(run([0, 1, 5], [false, false, true], (c, fx) => kernelTable(UPSTREAM).k.__floating_irq_kick(c, 0, fx as never)).raised).toEqual(woken(2));
  });

  it('planted-kick-first-idle, overlapping masks: vcpu0 (ISC 3) is kicked for ISC 5 forever and vcpu1 (ISC 3, 5) sleeps; with the masks the other way round nothing is lost', () => {
    const r = check('planted-kick-first-idle', 'airq-overlap');
    expect(broken(r)).toEqual(['KickerStepPostcondition', 'NoLostWakeup']);
    const lost = r.results.find((x) => x.property === 'NoLostWakeup')!;
    expect(lost.instance).toEqual({ vm: 0, vcpu: 1 });
    // by hand: both vcpus wait, ISC 5 alerts, the kicker wakes vcpu0; then vcpu0 re-checks (nothing for it: asleep again, its bit
    // cleared) and the kicker wakes it again, forever
    expect(lost.trace.filter((s) => s.event.type === 'GISA_ADAPTER_INTERRUPTION').map((s) => s.event)).toEqual([{ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 5 }]);
    expect(types(lost.cycle!)).toEqual(['kvm_vcpu_check_block 0', 'gisa_vcpu_kicker']);
    expect(broken(check('upstream', 'airq-overlap'))).toEqual([]);
    // vcpu0 open for ISC 3 and 5, vcpu1 for ISC 3: the first idle vcpu is always one that can take what is pending
    expect(broken(check('planted-kick-first-idle', 'airq-overlap', { cr6: [0x14, 0x10] }))).toEqual(['KickerStepPostcondition']);
  });

  it('tpi-2: the SUT agrees with the machine on the paths where a failed TPI store reinjects while the other vcpu is idle (the reinject kicks it); the machine without the kick does not', async () => {
    const failedStoreWhileIdle = (variant: string) => {
      const model = systemSpec.model(variant, 'tpi-2');
      const x = exploreOnce(systemSpec, variant, 'tpi-2');
      const fails = model.events.findIndex((e) => e.type === 'TPI' && (e as { outcome?: string }).outcome === 'store-fails');
      const idle = (s: number) => (x.states[s]!.context as SystemContext).vms[0]!.vcpus.some((v) => v.idle);
      const hit = (e: number) => x.edges[3 * e + 1] === fails;
      let kept = 0;
      const keep = (p: { edges: number[] }) => kept < 20 && p.edges.some((e) => hit(e) && idle(x.edges[3 * e]!)) && ++kept > 0;
      return { model, x, keep };
    };
    const up = failedStoreWhileIdle('upstream');
    const ok = await runPathTests(up.model, coreConformance(up.model), up.x, up.keep);
    expect(ok.paths).toBe(20);
    expect(ok.failures.map((f) => f.message)).toEqual([]);
    const planted = failedStoreWhileIdle('planted-tpi-reinject-without-kick');
    const bad = await runPathTests(planted.model, coreConformance(planted.model), planted.x, planted.keep);
    expect(bad.failures.length).toBeGreaterThan(0);
    expect(bad.failures[0]!.trace.at(-1)!.event).toMatchObject({ type: 'TPI', outcome: 'store-fails' });
  });
});
