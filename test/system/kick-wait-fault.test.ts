// Issue 12: the vcpu thread's delivery into a guest lowcore that is not accessible, against the kicker
// (configuration kick-wait-fault): vcpu_pre_run returns -EFAULT before clear_bit(kicked_mask) and KVM_RUN
// ends; what a kicked_mask bit left set there does to the later wake-ups (kvm-s390.c, interrupt.c v6.17-rc4).
import { describe, expect, it } from 'vitest';
import { pathTo, replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { FAULT, type SystemContext } from '../../machines/context.ts';
import { KICK_SCAN, KICK_TEST_AND_SET } from '../../machines/gisa/kvm_s390_gisa_interrupt.threads.ts';
import { VCPU_PC } from '../../machines/vcpu/kvm_vcpu.threads.ts';

type Seen = { value: Record<string, unknown>; context: SystemContext };

describe('kick-wait-fault: -EFAULT from vcpu_pre_run with the kicker running', () => {
  const m = systemSpec.model('upstream', 'kick-wait-fault');

  it('upstream: a kicked_mask bit the kicker set after the vcpu left the wait is still set when KVM_RUN returns -EFAULT (18 steps), and is clear whenever the vcpu sleeps again', () => {
    // no invariant violated (the liveness verdict, WokenFromSchedule holding, is system.test.ts'): kvm_arch_vcpu_runnable clears the bit
    // before every sleep (9b57e9d5010b), vcpu_pre_run before every SIE entry, and the kicker reads it only for vcpus in idle_mask
    const x = explore(m, { por: false });
    expect([...x.violations.keys()]).toEqual([]);
    const i = x.states.findIndex((s) => (s.value as Record<string, unknown>).vcpu0 === VCPU_PC.runError && (s.context as SystemContext).vms[0]!.vcpus[0]!.kicked);
    expect(i).toBeGreaterThan(0);
    const path = pathTo(x, i);
    const steps = path.events.map((e) => m.events[e]! as { type: string; thread?: string; answer?: string });
    const at = (thread: string, type: string) => steps.findIndex((s) => s.thread === thread && s.type === type);
    // by hand: the vcpu waits; an adapter interruption alerts, the GAL handler arms the kicker, which scans idle_mask while the
    // vcpu is idle; the vcpu's kvm_vcpu_check_block finds the interruption and breaks; the kicker's test_and_set_bit sets the bit
    // (its wake-up finds the task running); __unset_cpu_idle; the delivery of ISC 3 fails: vcpu_pre_run returns before the clear_bit
    expect(steps).toHaveLength(18);
    expect(at('kicker', KICK_SCAN)).toBeGreaterThan(at('vcpu0', VCPU_PC.setIdle));
    expect(at('kicker', KICK_TEST_AND_SET)).toBeGreaterThan(at('vcpu0', VCPU_PC.checkBlock));
    expect(steps.at(-1)).toEqual({ type: VCPU_PC.deliver, thread: 'vcpu0', answer: 'lowcore-fault' });
    const s = x.states[i]! as unknown as Seen;
    expect(s.context.vms[0]!.gisa.ipm).toBe(0); // ISC 3 (0x10) test-and-cleared, not presented
    expect(s.context.vms[0]!.vcpus[0]).toMatchObject({ kicked: true, idle: false, inSie: false, pswIo: true });

    // userspace runs the vcpu again: nothing is pending, the delivery succeeds and vcpu_pre_run clears the bit before SIE
    const ix = (e: object) => m.events.findIndex((y) => JSON.stringify(y) === JSON.stringify(e));
    const again = replay(m, [...path.events, ix({ type: VCPU_PC.runError, thread: 'vcpu0' }), ix({ type: VCPU_PC.deliver, thread: 'vcpu0', answer: 'delivered' }), ix({ type: VCPU_PC.clearKicked, thread: 'vcpu0' })]).last as Seen;
    expect(again.value.vcpu0).toBe(VCPU_PC.sie);
    expect(again.context.vms[0]!.vcpus[0]!.kicked).toBe(false);

    // and then waits and sleeps with the bit clear: kvm_arch_vcpu_runnable cleared it again on the way (KickedNotAsleep, which
    // holds in every state of the exploration above, is the claim for every interleaving)
    const sleep = [VCPU_PC.sie, VCPU_PC.waitIntercept, VCPU_PC.runnable, VCPU_PC.restore, VCPU_PC.setIdle, VCPU_PC.setState, VCPU_PC.checkBlock].map((type) => ix({ type, thread: 'vcpu0' }));
    const later = [...path.events, ix({ type: VCPU_PC.runError, thread: 'vcpu0' }), ix({ type: VCPU_PC.deliver, thread: 'vcpu0', answer: 'delivered' }), ix({ type: VCPU_PC.clearKicked, thread: 'vcpu0' }), ...sleep];
    expect(later).not.toContain(-1);
    const asleep = replay(m, later).last as Seen;
    expect(asleep.value.vcpu0).toBe(VCPU_PC.schedule);
    expect(asleep.context.vms[0]!.vcpus[0]).toMatchObject({ interruptible: true, kicked: false, idle: true });
  });

  it('planted-pre-run-ignores-delivery-rc: the failing delivery goes on to the clear_bit, which VcpuThreadStepPostcondition sees (2 steps)', () => {
    // the verdicts of every check (upstream: all hold, WokenFromSchedule included; the plant: VcpuThreadStepPostcondition
    // alone) are asserted in test/system/system.test.ts; here the plant's shortest trace, read by hand from `check`:
    // ISC 3 pending (no vcpu in SIE yet), then the failing delivery, which now takes the branch to the clear_bit
    const trace = [{ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 }, { type: VCPU_PC.deliver, thread: 'vcpu0', answer: 'lowcore-fault' }];
    const on = (variant: string) => {
      const p = systemSpec.model(variant, 'kick-wait-fault');
      const ix = trace.map((e) => p.events.findIndex((y) => JSON.stringify(y) === JSON.stringify(e)));
      expect(ix).not.toContain(-1);
      return replay(p, ix).last as Seen;
    };
    const planted = on('planted-pre-run-ignores-delivery-rc');
    expect(planted.value.vcpu0).toBe(VCPU_PC.clearKicked);
    expect(planted.context.vms[0]!.gisa.ipm).toBe(0);
    expect(planted.context.vms[0]!.faults & FAULT.VCPU_THREAD_STEP_POST).toBe(FAULT.VCPU_THREAD_STEP_POST);
    const up = on('upstream');
    expect(up.value.vcpu0).toBe(VCPU_PC.runError);
    expect(up.context.vms[0]!.faults).toBe(0);
  });
});
