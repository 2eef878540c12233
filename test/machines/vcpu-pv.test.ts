// Delivery to a protected (PV) vcpu (issue 12, kvm_vcpu configuration pv-delivery): KVM hands an
// interruption to the ultravisor through sie_block->iictl, one at a time, and fences its copy of the
// PSW after ICPT_PV_INSTR / ICPT_PV_PREF and at start. Expected values read by hand in
// arch/s390/kvm/interrupt.c deliverable_irqs, __deliver_io, __do_deliver_io and kvm-s390.c
// __vcpu_run, kvm_s390_vcpu_start (v6.17-rc4, Kingxukai/linux 9b44fff655e2).
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { initialContext, type SystemContext } from '../../machines/context.ts';
import { kernelTable } from '../../machines/kernel.ts';
import { UPSTREAM } from '../../machines/design.ts';

/** One PV vcpu outside SIE with CR6 open for ISC 3 and 5, both pending (IPM 0x10 | 0x04). */
function pending() {
  const c = initialContext({ vms: 1, vcpus: 1, queues: 0, iscs: [3, 5], preRegistered: [3, 5], pvVcpus: true });
  Object.assign(c.vms[0]!.vcpus[0]!, { stopped: false, pswIo: true, cr6: 0x14 });
  Object.assign(c.vms[0]!.gisa, { ipm: 0x14, mask: 0x14 });
  return c;
}
const v0 = (c: SystemContext) => c.vms[0]!.vcpus[0]!;

describe('pv-delivery: the kernel functions of a PV vcpu', () => {
  const k = kernelTable(UPSTREAM).k;

  it('kvm_s390_deliver_pending_interrupts injects the highest-priority ISC through iictl and stops (the iictl mask), no PSW swap by KVM', () => {
    const c = pending();
    k.kvm_s390_deliver_pending_interrupts(c, 0, 0);
    // ISC 3 (0x10) injected, ISC 5 (0x04) left for the next entry; KVM did not touch the PSW
    expect(v0(c)).toMatchObject({ iictl: 3, pswIo: true });
    expect(c.vms[0]!.gisa.ipm).toBe(0x04);
  });

  it('vcpu_pre_run: the ultravisor presents the injection at the entry (I/O new PSW), the exit leaves iictl NONE; ICPT_PV_INSTR fences the copy and marks the continuation', () => {
    const c = pending();
    k.vcpu_pre_run(c, 0, 0);
    expect(v0(c)).toMatchObject({ inSie: true, iictl: 3, pswIo: false, cont: false });
    expect(c.vms[0]!.gisa.ipm).toBe(0x04);
    k.vcpu_post_run(c, 0, 0, true);
    expect(v0(c)).toMatchObject({ inSie: false, iictl: -1, fenced: true, cont: true });
  });

  it('with the copy fenced KVM injects nothing; SIE presents the pending ISC the guest\'s real PSW allows at the entry', () => {
    const c = pending();
    v0(c).fenced = true;
    k.kvm_s390_deliver_pending_interrupts(c, 0, 0);
    expect(v0(c).iictl).toBe(-1);
    expect(c.vms[0]!.gisa.ipm).toBe(0x14);
    k.vcpu_pre_run(c, 0, 0);
    expect(v0(c)).toMatchObject({ iictl: -1, pswIo: false });
    expect(c.vms[0]!.gisa.ipm).toBe(0x04);
  });

  it('kvm_s390_vcpu_start fences a PV vcpu\'s copy; a fenced wait is a disabled wait (-EOPNOTSUPP, no halt)', () => {
    const c = initialContext({ vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3], pvVcpus: true });
    k.kvm_s390_vcpu_start(c, 0, 0);
    expect(v0(c)).toMatchObject({ stopped: false, fenced: true });
    expect(k.kvm_s390_handle_wait(c, 0, 0)).toBe(-95);
    expect(v0(c).idle).toBe(false);
  });
});

describe('pv-delivery: what the checker finds', () => {
  // one check per variant (two rows each for planted-pv-no-fence and planted-pv-deliverable-ignores-iictl)
  const checked = new Map<string, ReturnType<typeof checkModel>>();
  const checkedOnce = (variant: string) => {
    if (!checked.has(variant)) checked.set(variant, checkModel(vcpuSpec.model(variant, 'pv-delivery')));
    return checked.get(variant)!;
  };

  it('upstream: a PV vcpu halts with an ISC pending for it (NoLostWakeup is not vacuous), and every property holds', () => {
    const m = vcpuSpec.model('upstream', 'pv-delivery');
    const x = explore(m);
    const halted = x.states.filter((s) => JSON.stringify((s.value as { vm0: unknown }).vm0).includes('halted') && ((s.context as SystemContext).vms[0]!.gisa.ipm & 0x81) !== 0);
    expect(halted.length).toBeGreaterThan(0);
    expect([...x.violations.keys()]).toEqual([]);
  });

  it.each([
    // by hand: start (fenced), entry, exit (refreshed), ISC 0 and ISC 7 arrive (the first alerts), entry: without the mask ISC 7 overwrites ISC 0's injection
    ['planted-pv-deliverable-ignores-iictl', 'AdapterInterruptionLedger', ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'vcpu_post_run', 'GISA_ADAPTER_INTERRUPTION', 'GISA_ADAPTER_INTERRUPTION', 'vcpu_pre_run']],
    // by hand, the same 6 steps: the second entry's iictl is 7 where deliverable_irqs (KVM's copy refreshed by the exit, CR6 open for 0 and 7)
    // makes __deliver_io inject the highest-priority ISC 0 and then masks the I/O class: the entry's postcondition (issue 14)
    ['planted-pv-deliverable-ignores-iictl', 'VcpuStepPostcondition', ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'vcpu_post_run', 'GISA_ADAPTER_INTERRUPTION', 'GISA_ADAPTER_INTERRUPTION', 'vcpu_pre_run']],
    // by hand: start, entry, a PV instruction intercept (not fenced), ISC 0 arrives, the entry that continues the instruction carries it (iictl 0)
    ['planted-pv-no-fence', 'PvNoInjectionOnContinuation', ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'ICPT_PV_INSTR', 'GISA_ADAPTER_INTERRUPTION', 'vcpu_pre_run']],
    // by hand: start, entry, an ordinary exit leaves the copy fenced (the exit's postcondition); the wait intercept would too (a disabled wait: VcpuCanHalt)
    ['planted-pv-fence-every-exit', 'VcpuStepPostcondition', ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'vcpu_post_run']],
    // by hand: start, entry, the PV intercept's exit leaves the copy unfenced
    ['planted-pv-no-fence', 'VcpuStepPostcondition', ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'ICPT_PV_INSTR']],
  ])('%s: %s in the shortest trace read by hand', (variant, property, steps) => {
    const r = checkedOnce(variant);
    expect(r.matches).toBe(true);
    expect(r.results.find((x) => x.property === property)!.trace.map((s) => s.event.type)).toEqual(steps);
  });
});
