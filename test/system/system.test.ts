import { describe, expect, it } from 'vitest';
import { checkModel, replay, type CheckResult, type CheckStep } from '../../src/check/check.ts';
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

// Issue 12: QEMU switching the composed guest into and out of protected virtualization on a host whose ultravisor lacks AIV
// (configurations pv and pv-unordered). The traces were read by hand from `check --machine system --variant <v> --configuration <c>`.
describe('issue 12: KVM_PV_ENABLE and KVM_PV_DISABLE in the composed guest', () => {
  /** The shortest trace to each broken invariant, as event types, on the exploration describeVariants made for the manifest. */
  const shortest = (variant: string, configuration: string) => {
    const model = systemSpec.model(variant, configuration);
    const x = exploreOnce(systemSpec, variant, configuration);
    return { x, trace: (p: string) => traceTo(model, x, x.violations.get(p)!).map((t) => t.event.type) };
  };
  const AQIC_ENABLED = ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'PQAP_AQIC'];

  it('pv (QEMU resets the vfio-ap device before each switch): nothing breaks; in PV the PQAP goes to userspace, and after KVM_PV_DISABLE the guest registers ISC 3 in the re-initialised GISA', () => {
    const { x } = shortest('upstream', 'pv');
    expect([...x.violations.keys()]).toEqual([]);
    const m = systemSpec.model('upstream', 'pv');
    const at = (type: string, fields: Record<string, unknown> = {}) => {
      const i = m.events.findIndex((e) => e.type === type && Object.entries(fields).every(([k, v]) => (e as Record<string, unknown>)[k] === v));
      expect(i, `${type} ${JSON.stringify(fields)}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const enable = at('PQAP_AQIC', { ir: 1, isc: 3, outcome: 'NORMAL' }), disable = at('PQAP_AQIC', { ir: 0 }), pvOn = at('KVM_PV_ENABLE', { outcome: 'ok' }), pvOff = at('KVM_PV_DISABLE');
    const prefix = [at('kvm_s390_vcpu_start'), at('vcpu_pre_run'), at('assign_adapter_store'), at('assign_domain_store'), at('vfio_ap_mdev_open_device'), enable];
    const ctx = (events: number[]) => replay(m, events).last.context as SystemContext;
    // QEMU's order: no switch while the queue holds AQIC resources (the event changes nothing)
    expect(ctx([...prefix, pvOn])).toEqual(ctx(prefix));
    // after AQIC ir=0 (what QEMU's reset frees) the switch runs: the GISA disabled, the VM protected
    const inPv = [...prefix, disable, pvOn];
    expect(ctx(inPv).vms[0]).toMatchObject({ pv: true, gisa: { origin: false, mask: 0, ref: [0, 0, 0, 0, 0, 0, 0, 0] } });
    // the vcpus lack ECA_AIV: vfio_ap's handle_pqap returns -EOPNOTSUPP, the PQAP goes to userspace (nothing pinned or registered)
    expect(ctx([...inPv, enable])).toEqual(ctx(inPv));
    // out of PV: kvm_s390_gisa_enable re-initialises the GISA, and the next AQIC registers ISC 3 (alert.mask follows ref_count)
    expect(ctx([...inPv, pvOff, enable])).toMatchObject({ vms: [{ pv: false, gisa: { origin: true, mask: 0x10, ref: [0, 0, 0, 1, 0, 0, 0, 0] } }], queues: [{ irq: true, isc: 3, nib: true }] });
  });

  it('pv-unordered (a VMM that switches with the queue\'s interruptions enabled): the WARN under ISC 3\'s registration, the registration lost from the re-initialised GISA, and through the one-isc finding a listed GISA re-initialised or freed', () => {
    const { x, trace } = shortest('upstream', 'pv-unordered');
    expect([...x.violations.keys()].sort()).toEqual(['AlertMaskIsRegisteredIscs', 'AlertMaskZeroAtDestroy', 'AqicResourcesFreedBeforeGisaDestroy', 'FreedGisaNotInAlertList', 'GisaInitNotListed', 'GiscRefcountMatchesSavedIscs', 'NoGisaUseAfterFree']);
    // by hand: the AQIC enable, then KVM_PV_ENABLE: kvm_s390_gisa_disable -> kvm_s390_gisa_destroy WARNs on alert.mask 0x10 (7 steps);
    // with a failed vcpu create kvm_s390_cpus_from_pv re-enables at once: alert.mask 0 under ref_count[3] = 1 (also 7)
    expect(trace('AqicResourcesFreedBeforeGisaDestroy')).toEqual([...AQIC_ENABLED, 'KVM_PV_ENABLE']);
    expect(trace('AlertMaskIsRegisteredIscs')).toEqual([...AQIC_ENABLED, 'KVM_PV_ENABLE']);
    // the close's unregister answers -ENODEV (the GISA is off): saved_isc gone, ref_count[3] kept, then visible after KVM_PV_DISABLE (9)
    expect(trace('GiscRefcountMatchesSavedIscs')).toEqual([...AQIC_ENABLED, 'KVM_PV_ENABLE', 'vfio_ap_mdev_close_device', 'KVM_PV_DISABLE']);
    // the AP interrupts (listed), the vcpu takes ISC 3 and waits (IAM restored while listed), the switch's destroy unlinks the GISA but keeps
    // that IAM, the AP still enabled relinks it, and KVM_PV_DISABLE memsets it listed (13)
    const relink = trace('GisaInitNotListed');
    expect(relink).toHaveLength(13);
    expect(relink.slice(-3)).toEqual(['KVM_PV_ENABLE', 'AP_ADAPTER_INTERRUPTION', 'KVM_PV_DISABLE']);
    // or the teardown: the close resets the queue (too late), kvm_s390_gisa_destroy returns at once on gi->origin NULL, sie_page2 freed listed (17),
    // and the GAL handler walks it (18)
    const freed = trace('NoGisaUseAfterFree');
    expect(trace('FreedGisaNotInAlertList')).toEqual(freed.slice(0, 17));
    expect(freed.slice(11)).toEqual(['KVM_PV_ENABLE', 'kvm_vm_release', 'AP_ADAPTER_INTERRUPTION', 'vfio_ap_mdev_close_device', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'gib_alert_irq_handler']);
  });

  it('planted-gisa-disable-without-destroy under QEMU\'s order: an alert raised before the reset leaves the GISA listed across the switch', () => {
    const { x, trace } = shortest('planted-gisa-disable-without-destroy', 'pv');
    expect([...x.violations.keys()].sort()).toEqual(['FreedGisaNotInAlertList', 'GisaInitNotListed', 'NoGisaUseAfterFree', 'PvSwitchLeavesGisa']);
    // by hand: AQIC enabled, the vcpu leaves SIE, the AP interrupts (listed), QEMU's reset (the close here) frees the resources, and the
    // switch only sets gi->origin NULL: still listed (10 steps); upstream's kvm_s390_gisa_destroy would have run process_gib_alert_list
    expect(trace('PvSwitchLeavesGisa')).toEqual([...AQIC_ENABLED, 'vcpu_post_run', 'AP_ADAPTER_INTERRUPTION', 'vfio_ap_mdev_close_device', 'KVM_PV_ENABLE']);
    expect(trace('FreedGisaNotInAlertList').slice(-4)).toEqual(['KVM_PV_ENABLE', 'kvm_vm_release', 'kvm_s390_gisa_destroy', 'free_page_sie_page2']);
  });
});
