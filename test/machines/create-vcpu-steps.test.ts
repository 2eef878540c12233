// Issue 12: KVM_CREATE_VCPU while the VM runs, against KVM_PV_ENABLE, statement by
// statement (configuration pv-enable-create-vcpu of kvm_s390_gisa_interrupt; machines/gisa/kvm_s390_pv.threads.ts
// kvm_vm_ioctl_create_vcpu, kvm_s390_handle_pv_enable_create): each variant's violations with the length of
// its shortest trace, the mechanism of the finding, and that the proposed fix is not vacuous.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import type { SystemContext } from '../../machines/context.ts';

const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;
const C = 'pv-enable-create-vcpu';

const violated = (r: CheckResult) => Object.fromEntries(r.results.filter((x) => !x.holds).map((x) => [x.property, x.trace.length]));
const traceOf = (r: CheckResult, property: string) => r.results.find((x) => x.property === property)!.trace.map((s) => `${s.thread ?? '-'} ${s.event.type}`);

// Counted by hand from the C (kvm_main.c kvm_vm_ioctl_create_vcpu, kvm-s390.c kvm_arch_vcpu_create /
// kvm_s390_vcpu_setup / kvm_s390_handle_pv / kvm_s390_cpus_to_pv, interrupt.c kvm_s390_gisa_disable / _destroy):
// create = lock, created_vcpus++, unlock, gd, lock, the PV test, unlock, lock, xa_insert + online_vcpus++, unlock: 10;
// PV = lock, kvm_s390_pv_init_vm, the origin test (the vcpu loop only if online), the destroy (WARN, mask = 0,
// gisa_set_iam(0), hrtimer_cancel, origin = NULL), kvm_s390_cpus_to_pv's loop, unlock: 10. Both properties read an
// online vcpu with kvm->lock free, and the state they reject needs the switch past origin = NULL and so (kvm->lock
// held to its end) finished, and the creator finished: 20. The planted variant adds its test before the lock: 21.
const CASES: [variant: string, expected: Record<string, number>][] = [
  ['upstream', { OnlineVcpuGdFollowsGisa: 20, OnlineVcpuPvMatchesVm: 20 }],
  ['proposed-pv-enable-busy-while-creating', {}],
  ['planted-pv-enable-busy-check-unlocked', { OnlineVcpuGdFollowsGisa: 21, OnlineVcpuPvMatchesVm: 21 }],
];
// the two ioctls one after the other (QEMU's BQL): 1 + 20 + 20 states, both orders and nothing else, every property holds
const SERIALISED = 'pv-enable-create-vcpu-serialised';

describe('KVM_CREATE_VCPU against KVM_PV_ENABLE, statement by statement', () => {
  const results = new Map(CASES.map(([v]) => [v, checkModel(gisa.model(v, C))]));

  for (const [variant, expected] of CASES) {
    it(`${variant}: exactly ${Object.keys(expected).join(', ') || 'nothing'}`, () => {
      const r = results.get(variant)!;
      expect(violated(r)).toEqual(expected);
      expect(r.matches).toBe(true);
    });
  }

  it(`upstream in ${SERIALISED}: both orders, no interleaving, every property holds`, () => {
    const r = checkModel(gisa.model('upstream', SERIALISED));
    expect(violated(r)).toEqual({});
    expect(r.matches).toBe(true);
    expect(r.states).toBe(41);
  });

  it('upstream finding: gd read before gi->origin = NULL, the switch\'s loops run before the vcpu is online', () => {
    const t = traceOf(results.get('upstream')!, 'OnlineVcpuGdFollowsGisa');
    const i = (s: string) => t.indexOf(s);
    expect(i('create kvm_arch_vcpu_create@sie_block->gd = kvm_s390_get_gisa_desc(kvm)')).toBeLessThan(i('pv kvm_s390_gisa_destroy@gi->origin = NULL'));
    expect(i('pv kvm_s390_cpus_to_pv@kvm_for_each_vcpu: kvm_s390_pv_create_cpu')).toBeLessThan(i('create kvm_vm_ioctl_create_vcpu@xa_insert(vcpu_array); atomic_inc(online_vcpus)'));
    // the disable's loop never reached the vcpu
    expect(i('pv kvm_s390_gisa_disable@eca &= ~ECA_AIV; gd = 0')).toBe(-1);
    expect(t[t.length - 1]).toBe('create kvm_vm_ioctl_create_vcpu@mutex_unlock(kvm->lock) again');
  });

  it('the proposed fix is not vacuous: the switch succeeds before the count or after the vcpu is online, and fails with -EBUSY in between', () => {
    const x = explore(gisa.model('proposed-pv-enable-busy-while-creating', C), { por: false });
    const ends = x.states.filter((s) => {
      const v = s.value as Record<string, unknown>;
      return v.pv === 'done' && v.create === 'done';
    }).map((s) => (s.context as SystemContext).vms[0]!);
    // switched: the vcpu is a PV cpu without gd; -EBUSY: neither, the GISA kept
    const outcome = (k: SystemContext['vms'][number]) => `${k.pv}/${k.created!.pvCpu}/${k.created!.gd}/${k.gisa.origin}`;
    expect(new Set(ends.map(outcome))).toEqual(new Set(['true/true/false/false', 'false/false/true/true']));
    // and upstream reaches those two and the two wrong ones
    const u = explore(gisa.model('upstream', C), { por: false }).states.filter((s) => {
      const v = s.value as Record<string, unknown>;
      return v.pv === 'done' && v.create === 'done';
    }).map((s) => outcome((s.context as SystemContext).vms[0]!));
    expect(new Set(u)).toEqual(new Set(['true/true/false/false', 'true/true/true/false', 'true/false/true/false']));
  });
});
