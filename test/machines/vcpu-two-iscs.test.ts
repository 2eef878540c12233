// Issue 14 (gisacomp): the vcpu machine with ISC 0 and ISC 7, the two ends of the priority scans
// (get_top_gisa_isc for TPI, __deliver_io's order), checked with the GISA's IPM ledger.
import { describe, expect, it } from 'vitest';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';

const violated = (r: CheckResult) => r.results.filter((x) => x.holds === false).map((x) => x.property).sort();
const mismatches = (r: CheckResult) => r.results.filter((x) => x.holds !== x.expected).map((x) => x.property);
const result = (r: CheckResult, name: string) => r.results.find((x) => x.property === name)!;
const events = (steps: { event: { type: string } }[]) => steps.map((s) => s.event.type);

describe('kvm_vcpu two-iscs', () => {
  it('upstream holds every property, AdapterInterruptionLedger included, in 43 states', () => {
    const r = checkModel(vcpuSpec.model('upstream', 'two-iscs'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual([]);
    expect(result(r, 'AdapterInterruptionLedger').holds).toBe(true);
    expect(r.states).toBe(43);
  });

  it('planted-tpi-takes-lowest-priority: TPI takes ISC 7 while ISC 0 is pending (AdapterInterruptionLedger, 6 steps)', () => {
    const r = checkModel(vcpuSpec.model('planted-tpi-takes-lowest-priority', 'two-iscs'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AdapterInterruptionLedger']);
    const v = result(r, 'AdapterInterruptionLedger');
    // by hand: the vcpu in SIE takes the first ISC 0 interruption by PSW swap (I/O now disabled); a second ISC 0 and an ISC 7
    // stay pending (IPM 0x81); TPI must take ISC 0 (0x80, the highest priority) and leave 0x01, the plant leaves 0x80
    expect(events(v.trace)).toEqual(['kvm_s390_vcpu_start', 'vcpu_pre_run', 'GISA_ADAPTER_INTERRUPTION', 'GISA_ADAPTER_INTERRUPTION', 'GISA_ADAPTER_INTERRUPTION', 'TPI']);
    expect(v.trace.at(-2)!.after['ctx.vms.0.gisa.ipm']).toBe(0x81);
    expect(v.trace.at(-1)!.after['ctx.vms.0.gisa.ipm']).toBe(0x80);
  });

  it('planted-no-delivery breaks the IPM ledger in one-vcpu too: SIE entry presents nothing', () => {
    const r = checkModel(vcpuSpec.model('planted-no-delivery'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AdapterInterruptionLedger', 'SieDeliversAtOnce']);
  });
});
