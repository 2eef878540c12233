// TPI's kvm_s390_get_io_int against a waiting vcpu and the kicker (configurations tpi-window and
// tpi-window-gisa-first; machines/vcpu/kvm_s390_get_io_int.threads.ts). The verdicts of every variant are
// asserted with the manifest (test/system/system.test.ts); here the shape of upstream's finding, read by hand
// from its shortest trace, and the fix's absence of the state it reaches.
import { describe, expect, it } from 'vitest';
import { checkModel, pathTo } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { systemSpec } from '../../machines/system/index.ts';
import type { SystemContext } from '../../machines/context.ts';
import { TPI_PC, TPI_THREAD } from '../../machines/vcpu/kvm_s390_get_io_int.threads.ts';
import { asleepWithDeliverable } from '../../machines/vcpu/kvm_vcpu.liveness.ts';
import { VCPU_PC } from '../../machines/vcpu/kvm_vcpu.threads.ts';

const ISC3 = 0x10;

describe('tpi-window: kvm_s390_get_io_int\'s set again against a vcpu going to wait', () => {
  const m = systemSpec.model('upstream', 'tpi-window');
  const x = explore(m, { por: false });

  it('upstream: a vcpu that waits while TPI holds the GISA bit sleeps with ISC 3 pending and nothing to wake it', () => {
    expect([...x.violations.keys()]).toEqual(['NoLostWakeupAtSleep']);
    const i = x.violations.get('NoLostWakeupAtSleep')!;
    const steps = pathTo(x, i).events.map((e) => m.events[e]! as { type: string; thread?: string });
    const at = (thread: string, type: string) => steps.findIndex((s) => s.thread === thread && s.type === type);
    // by hand: TPI dequeues the classic one and test-and-clears ISC 3 (equal priority: the classic one wins); vcpu1 waits,
    // finds nothing runnable, restores the IAM (as it was), sleeps; then the set again: 12 steps (TPI's 3, vcpu1's 9 from
    // vcpu_pre_run to schedule())
    expect(steps).toHaveLength(12);
    expect(steps.at(-1)).toEqual({ type: TPI_PC.setAgain, thread: TPI_THREAD });
    expect(at(TPI_THREAD, TPI_PC.topGisa)).toBeLessThan(at('vcpu1', VCPU_PC.runnable));
    expect(at('vcpu1', VCPU_PC.checkBlock)).toBeLessThan(at(TPI_THREAD, TPI_PC.setAgain));
    expect(steps.filter((s) => s.thread === TPI_THREAD)).toHaveLength(3);
    const c = x.states[i]!.context as SystemContext;
    const g = c.vms[0]!.gisa;
    // the bit is back and alerts are enabled for it, but the set again raised no alert: not listed, no kicker armed
    expect([g.ipm & ISC3, g.iam & ISC3, g.timer, c.gib.list, c.gib.galPending]).toEqual([ISC3, ISC3, false, 0, false]);
    expect(asleepWithDeliverable(x.states[i]! as { value: unknown; context: SystemContext }, 0, 1)).toBe(true);
  });

  it('upstream: as liveness, the run may stop there (vcpu0 keeps I/O disabled after its TPI)', () => {
    // the check's own exploration is the full one made above (liveness turns the reduction off)
    const r = checkModel(m, { explorer: () => x });
    const w = r.results.find((p) => p.property === 'WokenFromSchedule')!;
    expect(w.holds).toBe(false);
    // the lasso's stem ends with TPI's store, then no fair step is enabled (no cycle)
    expect((w.trace.at(-1)!.event as { type: string }).type).toBe(TPI_PC.store);
    expect(w.cycle ?? []).toEqual([]);
  });

  it('proposed-tpi-decide-before-taking: no reachable state has vcpu1 asleep with ISC 3 pending', () => {
    const f = explore(systemSpec.model('proposed-tpi-decide-before-taking', 'tpi-window'), { por: false });
    expect([...f.violations.keys()]).toEqual([]);
    expect(f.states.some((s) => asleepWithDeliverable(s as { value: unknown; context: SystemContext }, 0, 1))).toBe(false);
    // not vacuous: vcpu1 does sleep (with nothing pending for it) in some state
    expect(f.states.some((s) => (s.value as Record<string, unknown>).vcpu1 === VCPU_PC.schedule)).toBe(true);
  });
});
