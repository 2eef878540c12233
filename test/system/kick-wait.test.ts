// The kick/wait windows of the composed guest (configuration kick-wait): the gisa_vcpu_kicker
// hrtimer callback against the vcpu's KVM_RUN loop at the kernel's granularity
// (machines/vcpu/kvm_vcpu.threads.ts). What each variant breaks is read from its shortest trace
// by hand; the full exploration is used, so a state predicate that is no invariant is seen too.
import { describe, expect, it } from 'vitest';
import { pathTo, replay } from '../../src/check/check.ts';
import { explore, type Exploration } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';
import { systemSpec } from '../../machines/system/index.ts';
import type { SystemContext } from '../../machines/context.ts';
import { KICK_SCAN, KICK_TEST_AND_SET } from '../../machines/gisa/kvm_s390_gisa_interrupt.threads.ts';
import { VCPU_PC } from '../../machines/vcpu/kvm_vcpu.threads.ts';

const full = new Map<string, { m: Model; x: Exploration }>();
function fullOf(variant: string) {
  let r = full.get(variant);
  if (!r) {
    const m = systemSpec.model(variant, 'kick-wait');
    full.set(variant, (r = { m, x: explore(m, { por: false }) }));
  }
  return r;
}

/** The shortest trace to the first state violating `inv`: each step's thread (or the environment) and event type. */
function traceOf(variant: string, inv: string) {
  const { m, x } = fullOf(variant);
  const i = x.violations.get(inv);
  expect(i, `${variant} violates ${inv}`).toBeDefined();
  const path = pathTo(x, i!);
  const steps = path.events.map((e) => m.events[e]! as { type: string; thread?: string });
  return { m, x, path, steps, state: x.states[i!]! as { value: unknown; context: SystemContext } };
}

const at = (steps: { type: string; thread?: string }[], thread: string, type: string) => steps.findIndex((s) => s.thread === thread && s.type === type);

describe('kick-wait: the kicker against kvm_s390_handle_wait at kernel granularity', () => {
  it('upstream: the kicked_mask bit can be set on a vcpu that is not idle (the former KickedOnlyIdle is no kernel invariant), and never on one asleep', () => {
    const { m, x } = fullOf('upstream');
    expect([...x.violations.keys()]).toEqual([]);
    // by hand: the kicker scans idle_mask while the vcpu is idle; the vcpu's kvm_vcpu_check_block
    // finds the interruption (clearing the bit, not yet set) and breaks; then the kicker's
    // test_and_set_bit sets it (its wake-up finds the task running) and the vcpu leaves the wait
    const stale = x.states.findIndex((s) => (s.context as SystemContext).vms[0]!.vcpus[0]!.kicked && !(s.context as SystemContext).vms[0]!.vcpus[0]!.idle);
    expect(stale).toBeGreaterThan(0);
    const steps = pathTo(x, stale).events.map((e) => m.events[e]! as { type: string; thread?: string });
    expect(steps).toHaveLength(17);
    expect(steps.at(-1)).toEqual({ type: VCPU_PC.unsetIdle, thread: 'vcpu0' });
    expect(at(steps, 'kicker', KICK_SCAN)).toBeGreaterThan(at(steps, 'vcpu0', VCPU_PC.setIdle));
    expect(at(steps, 'kicker', KICK_SCAN)).toBeLessThan(at(steps, 'vcpu0', VCPU_PC.checkBlock));
    expect(at(steps, 'kicker', KICK_TEST_AND_SET)).toBeGreaterThan(at(steps, 'vcpu0', VCPU_PC.checkBlock));
  });

  it('kicked-mask-v5.2: a kick that finds the vcpu between __set_cpu_idle and the block leaves the bit set while it sleeps, and the next interruption is never kicked (9b57e9d5010b)', () => {
    const kicked = traceOf('kicked-mask-v5.2', 'KickedNotAsleep');
    const s = kicked.steps;
    expect(s).toHaveLength(16);
    // by hand: the vcpu delivered the interruption itself while the kicker read the word; it waits,
    // sets itself idle, the kicker scans and test-and-sets (the wake-up finds the task running),
    // then the vcpu blocks: kvm_vcpu_check_block (without the clear_bit) finds nothing and sleeps
    expect(at(s, 'vcpu0', VCPU_PC.deliver)).toBeGreaterThan(at(s, 'kicker', 'gisa_get_ipm_or_restore_iam@READ_ONCE(word)'));
    expect(at(s, 'kicker', KICK_TEST_AND_SET)).toBeGreaterThan(at(s, 'vcpu0', VCPU_PC.setIdle));
    expect(at(s, 'kicker', KICK_TEST_AND_SET)).toBeLessThan(at(s, 'vcpu0', VCPU_PC.setState));
    expect(s.at(-1)).toEqual({ type: VCPU_PC.checkBlock, thread: 'vcpu0' });
    expect((kicked.state.value as Record<string, unknown>).vcpu0).toBe(VCPU_PC.schedule);
    expect(kicked.state.context.vms[0]!.vcpus[0]).toMatchObject({ kicked: true, interruptible: true, idle: true });

    // the same interleaving upstream: kvm_vcpu_check_block clears the bit before sleeping
    const up = replay(systemSpec.model('upstream', 'kick-wait'), kicked.path.events).last as { value: Record<string, unknown>; context: SystemContext };
    expect(up.value.vcpu0).toBe(VCPU_PC.schedule);
    expect(up.context.vms[0]!.vcpus[0]).toMatchObject({ kicked: false, interruptible: true });

    // the wake-up lost: a second interruption alerts, the GAL handler's list processing is done,
    // the kicker is armed but the vcpu's bit makes every later scan return without a kick
    const lost = traceOf('kicked-mask-v5.2', 'NoLostWakeupAtSleep');
    expect(lost.steps).toHaveLength(18);
    expect(lost.steps.filter((e) => e.type === 'GISA_ADAPTER_INTERRUPTION')).toHaveLength(2);
    const c = lost.state.context;
    expect(c.vms[0]!.gisa).toMatchObject({ ipm: 0x10, timer: true });
    expect(c.gib.list).toBe(0);
    expect(c.vms[0]!.vcpus[0]).toMatchObject({ kicked: true, interruptible: true });
  });

  it('planted-check-block-before-set_current_state: a kick between the check and set_current_state is lost, the vcpu sleeps with the bit set', () => {
    const late = `${VCPU_PC.setState} after the check`;
    const { steps, state } = traceOf('planted-check-block-before-set_current_state', 'KickedNotAsleep');
    expect(steps).toHaveLength(16);
    const check = at(steps, 'vcpu0', VCPU_PC.checkBlock);
    const kick = at(steps, 'kicker', KICK_TEST_AND_SET);
    expect(check).toBeGreaterThan(0);
    expect(kick).toBeGreaterThan(check);
    expect(at(steps, 'vcpu0', late)).toBeGreaterThan(kick);
    expect(steps.at(-1)).toEqual({ type: late, thread: 'vcpu0' });
    expect(state.context.vms[0]!.vcpus[0]).toMatchObject({ kicked: true, interruptible: true });
  });
});
