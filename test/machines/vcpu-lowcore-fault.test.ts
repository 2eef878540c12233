// Issue 12: a delivery into a guest lowcore that is not accessible (kvm_vcpu configuration lowcore-fault):
// __deliver_io test-and-clears the IPM bit, __do_deliver_io fails, vcpu_pre_run returns -EFAULT before
// clear_bit(kicked_mask) and KVM_RUN ends (arch/s390/kvm/interrupt.c, kvm-s390.c, v6.17-rc4).
import { describe, expect, it } from 'vitest';
import { checkModel, replay, type CheckResult } from '../../src/check/check.ts';
import type { Model } from '../../src/spec.ts';
import type { SystemContext } from '../../machines/context.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';

const violated = (r: CheckResult) => r.results.filter((x) => x.holds === false).map((x) => x.property).sort();
const mismatches = (r: CheckResult) => r.results.filter((x) => x.holds !== x.expected).map((x) => x.property);

/** The state after `events` (type and payload, in the order given; an event without `outcome` matches only one without it). */
function after(m: Model, events: Record<string, unknown>[]): { value: unknown; context: SystemContext } {
  const ix = events.map((want) => {
    const i = m.events.findIndex((e) => Object.entries({ outcome: undefined, ...want }).every(([k, v]) => (e as Record<string, unknown>)[k] === v));
    if (i < 0) throw new Error(`no event ${JSON.stringify(want)}`);
    return i;
  });
  return replay(m, ix).last as { value: unknown; context: SystemContext };
}

describe('kvm_vcpu lowcore-fault', () => {
  const m = vcpuSpec.model('upstream', 'lowcore-fault');
  const pending = [{ type: 'kvm_s390_vcpu_start' }, { type: 'GISA_ADAPTER_INTERRUPTION', isc: 0 }, { type: 'GISA_ADAPTER_INTERRUPTION', isc: 7 }];
  const fault = { type: 'vcpu_pre_run', outcome: 'lowcore-fault' };

  it('upstream holds every property', () => {
    const r = checkModel(m);
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual([]);
  });

  it('the failed delivery loses the highest-priority ISC, keeps the PSW and ends KVM_RUN; the next KVM_RUN delivers the other', () => {
    // by hand: ISC 0 is IPM bit 0x80, ISC 7 bit 0x01; __deliver_io takes ISC 0 first (gisa_tac_ipm_gisc), __do_deliver_io
    // fails before the I/O new PSW is loaded (I/O stays enabled), vcpu_pre_run returns before the SIE entry
    const lost = after(m, [...pending, fault]);
    expect(lost.context.vms[0]!.gisa.ipm).toBe(0x01);
    expect(lost.context.vms[0]!.vcpus[0]).toMatchObject({ pswIo: true, inSie: false, idle: false, kicked: false });
    expect((lost.value as { vm0: { vcpu0: string } }).vm0.vcpu0).toBe('outside_sie');
    expect(lost.context.vms[0]!.faults).toBe(0);
    // userspace runs the vcpu again and the lowcore is back: ISC 7 is delivered by PSW swap (I/O off), SIE entered
    const again = after(m, [...pending, fault, { type: 'vcpu_pre_run' }]);
    expect(again.context.vms[0]!.gisa.ipm).toBe(0);
    expect(again.context.vms[0]!.vcpus[0]).toMatchObject({ pswIo: false, inSie: true });
    expect((again.value as { vm0: { vcpu0: string } }).vm0.vcpu0).toBe('in_sie');
  });

  it('with nothing to deliver no lowcore is written: the same event enters SIE', () => {
    const quiet = after(m, [{ type: 'kvm_s390_vcpu_start' }, fault]);
    expect(quiet.context.vms[0]!.vcpus[0]!.inSie).toBe(true);
    expect((quiet.value as { vm0: { vcpu0: string } }).vm0.vcpu0).toBe('in_sie');
  });

  it('planted-deliver-io-drops-fault: the interruption lost while vcpu_pre_run enters SIE', () => {
    const r = checkModel(vcpuSpec.model('planted-deliver-io-drops-fault', 'lowcore-fault'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AdapterInterruptionLedger', 'SieDeliversAtOnce', 'VcpuStepPostcondition']);
    // by hand: start, ISC 0 pending, the failing delivery returns 0 and enters SIE (3 steps); SieDeliversAtOnce needs ISC 7
    // pending too, which SIE would present to the still enabled PSW (4 steps)
    const steps = (p: string) => r.results.find((x) => x.property === p)!.trace.map((s) => s.event.type);
    expect(steps('AdapterInterruptionLedger')).toEqual(['kvm_s390_vcpu_start', 'GISA_ADAPTER_INTERRUPTION', 'vcpu_pre_run']);
    expect(steps('VcpuStepPostcondition')).toEqual(['kvm_s390_vcpu_start', 'GISA_ADAPTER_INTERRUPTION', 'vcpu_pre_run']);
    expect(steps('SieDeliversAtOnce')).toEqual(['kvm_s390_vcpu_start', 'GISA_ADAPTER_INTERRUPTION', 'GISA_ADAPTER_INTERRUPTION', 'vcpu_pre_run']);
  });
});
