// Issue 12: the guest's own I/O enablement in the vcpu machine (configuration guest-masks): STNSM,
// LCTL(G) of CR6, and userspace's KVM_S390_INITIAL_RESET of a stopped vcpu.
import { describe, expect, it } from 'vitest';
import { checkModel, replay, type CheckResult } from '../../src/check/check.ts';
import type { Model } from '../../src/spec.ts';
import type { SystemContext } from '../../machines/context.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';

const violated = (r: CheckResult) => r.results.filter((x) => x.holds === false).map((x) => x.property).sort();
const mismatches = (r: CheckResult) => r.results.filter((x) => x.holds !== x.expected).map((x) => x.property);

/** The context after `events` (type and payload, in the order given), replayed on the machine. */
function after(m: Model, events: Record<string, unknown>[]): SystemContext {
  const ix = events.map((want) => {
    const i = m.events.findIndex((e) => Object.entries(want).every(([k, v]) => (e as Record<string, unknown>)[k] === v));
    if (i < 0) throw new Error(`no event ${JSON.stringify(want)}`);
    return i;
  });
  return (replay(m, ix).last as { context: SystemContext }).context;
}

describe('kvm_vcpu guest-masks', () => {
  const m = vcpuSpec.model('upstream', 'guest-masks');
  const run = [{ type: 'kvm_s390_vcpu_start' }, { type: 'vcpu_pre_run' }];
  const airq = { type: 'GISA_ADAPTER_INTERRUPTION', isc: 3 };

  it('upstream holds every property', () => {
    const r = checkModel(m);
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual([]);
  });

  it('an ISC the guest closed in CR6 stays pending; opening it presents it (PSW swap: I/O off, the IPM bit gone)', () => {
    // by hand: ISC 3 is bit 0x10; with CR6 0 SIE presents nothing, the bit stays in the IPM with the PSW enabled;
    // LCTL of 0x10 then makes it deliverable and it is taken at once
    const closed = after(m, [...run, { type: 'LCTL_CR6', cr6: 0 }, airq]);
    expect(closed.vms[0]!.vcpus[0]!.cr6).toBe(0);
    expect(closed.vms[0]!.gisa.ipm).toBe(0x10);
    expect(closed.vms[0]!.vcpus[0]!.pswIo).toBe(true);
    const opened = after(m, [...run, { type: 'LCTL_CR6', cr6: 0 }, airq, { type: 'LCTL_CR6', cr6: 0x10 }]);
    expect(opened.vms[0]!.gisa.ipm).toBe(0);
    expect(opened.vms[0]!.vcpus[0]!.pswIo).toBe(false);
  });

  it('STNSM keeps an interruption pending with CR6 open; the initial reset closes PSW and CR6 and leaves the GISA alone', () => {
    const disabled = after(m, [...run, { type: 'STNSM_IO' }, airq]);
    expect(disabled.vms[0]!.gisa.ipm).toBe(0x10);
    expect(disabled.vms[0]!.vcpus[0]!.pswIo).toBe(false);
    const reset = after(m, [...run, { type: 'STNSM_IO' }, airq, { type: 'vcpu_post_run' }, { type: 'kvm_s390_vcpu_stop' }, { type: 'KVM_S390_INITIAL_RESET' }]);
    expect(reset.vms[0]!.vcpus[0]!).toMatchObject({ stopped: true, pswIo: false, cr6: 0 });
    expect(reset.vms[0]!.gisa.ipm).toBe(0x10);
  });

  it('planted-initial-reset-keeps-cr6 breaks exactly VcpuStepPostcondition, at the first reset (1 step)', () => {
    const r = checkModel(vcpuSpec.model('planted-initial-reset-keeps-cr6', 'guest-masks'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['VcpuStepPostcondition']);
    // by hand: the vcpu starts stopped with CR6 open for ISC 3 (0x10); the reset must leave CR6 0, the plant keeps 0x10
    const v = r.results.find((x) => x.property === 'VcpuStepPostcondition')!;
    expect(v.trace.map((s) => s.event.type)).toEqual(['KVM_S390_INITIAL_RESET']);
  });
});
