import { describe, expect, it } from 'vitest';
import { checkModel } from '../../src/check/check.ts';
import { systemSpec } from '../../machines/system/index.ts';

// The GIB series' IAM restore strategies in the airq configuration (about 1,000 states each):
// the verdicts recorded in system.variants.ts are what the checker proves.
describe('GIB IAM restore strategies: liveness verdicts', () => {
  for (const id of ['gib-v2', 'gib-v3', 'gib-v4', 'gib-v5', 'gib-upstream']) {
    it(`${id}: every result matches its expectation`, () => {
      const r = checkModel(systemSpec.model(id));
      expect(r.configuration).toBe('airq');
      expect(r.results.filter((x) => x.holds !== x.expected).map((x) => x.property)).toEqual([]);
    });
  }

  it('gib-v2 loses the wake-up: vcpu 1 in SIE keeps the IAM cleared, vcpu 0 halts, ISC 5 becomes pending and nothing ever wakes it', () => {
    const r = checkModel(systemSpec.model('gib-v2'));
    const v = r.results.find((x) => x.property === 'NoLostWakeup')!;
    // by hand: v2's vcpu_pre_run clears the IAM; vcpu 0's wait intercept leaves SIE through
    // vcpu_post_run, which restores it only when no vcpu is in SIE: vcpu 1 still is
    expect(v.trace.map((t) => `${t.actor} ${t.event.type}`)).toEqual([
      'userspace kvm_s390_vcpu_start',
      'userspace kvm_s390_vcpu_start',
      'kernel vcpu_pre_run',
      'kernel vcpu_pre_run',
      'guest kvm_s390_handle_wait',
      'hardware GISA_ADAPTER_INTERRUPTION',
    ]);
    expect(v.trace[2]!.after['ctx.vms.0.gisa.iam']).toBe(0);
    expect(v.trace[4]!.after['ctx.vms.0.gisa.iam']).toBeUndefined(); // not restored: vcpu 1 is in SIE
    expect(v.trigger).toBe(6);
    // no fair event (kicker, GAL handler, check_block) is enabled there: the run may stop with the vcpu halted
    expect(v.stuck).toBe(true);
    expect(v.cycle).toBeUndefined();
  });

  it('gib-upstream with an endless stream of interruptions starves vcpu 1: the kicker keeps waking vcpu 0, open for the ISC 5 that keeps coming', () => {
    const v = checkModel(systemSpec.model('gib-upstream', undefined, { params: { airqs: -1 } })).results.find((x) => x.property === 'NoLostWakeup')!;
    expect(v.holds).toBe(false);
    expect(v.instance).toEqual({ vm: 0, vcpu: 1 });
    expect(v.cycle!.filter((t) => t.event.type === 'gisa_vcpu_kicker').map((t) => t.after)).toEqual([{ 'state.vm0.vcpu0.idle': 'woken', 'ctx.vms.0.vcpus.0.kicked': true }]);
  });

  it('gib-upstream loses no wake-up with one vcpu: its violation needs a second idle vcpu to starve', () => {
    const one = (id: string) => checkModel(systemSpec.model(id, undefined, { params: { vcpus: 1 } })).results.find((x) => x.property === 'NoLostWakeup')!;
    expect(one('gib-upstream').holds).toBe(true);
    expect(one('gib-v2').holds).toBe(false);
  });

  it('rejects a parameter value out of range with a SpecError naming it', () => {
    expect(() => systemSpec.model('gib-upstream', undefined, { params: { vcpus: 9 } })).toThrow(/vcpus must be an integer from 0 to 3, got 9/);
  });
});
