// Issue 12 (branch pvswitch): the PV switch step by step against the GISA's users, the
// configurations pv-enable-unregister (VFIO_DEVICE_RESET's reset work unregistering ISC 3),
// pv-enable-pqap (a vcpu's PQAP(AQIC) registering ISC 3 under vcpu->mutex) and
// pv-disable-unregister (KVM_PV_DISABLE's re-initialisation against the reset work)
// (machines/gisa/kvm_s390_pv.threads.ts): each variant's violations with the length of its
// shortest trace, and the mechanism of the finding. The exact sets are also asserted by
// test/machines/objects.test.ts and test/commands/configurations.test.ts, the reduced against the
// full exploration by test/check/por.test.ts.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import type { SystemContext } from '../../machines/context.ts';

const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;

const violated = (r: CheckResult) => Object.fromEntries(r.results.filter((x) => !x.holds).map((x) => [x.property, x.trace.length]));
const traceOf = (r: CheckResult, property: string) => r.results.find((x) => x.property === property)!.trace.map((s) => `${s.thread ?? '-'} ${s.event.type}`);

// Counted by hand from the C (kvm-s390.c kvm_s390_handle_pv, interrupt.c kvm_s390_gisa_disable /
// kvm_s390_gisa_destroy / kvm_s390_gisc_register / kvm_s390_gisc_unregister, vfio_ap_ops.c handle_pqap):
// PV = mutex_lock(kvm->lock), the origin test; destroy = WARN, mask = 0, gisa_set_iam(0), hrtimer_cancel,
// origin = NULL; vcpu = mutex_lock(vcpu->mutex), the ECA_AIV test; register/unregister = origin test,
// spin_lock, the count, gisa_set_iam, spin_unlock.
// - pv-enable-unregister, upstream: WARN after PV (3); mask = 0 under ref_count[3] = 1 with IAM 0x10 (4);
//   the unregister's test, then PV and the destroy to origin = NULL (7), then spin_lock, the count,
//   gisa_set_iam through NULL (3): 11. The fix keeps the unregister out of kvm->lock's section.
// - pv-enable-pqap, upstream: the whole PQAP (8: vcpu 2, register 5, mutex_unlock), then PV, the vcpu
//   loop (3) and WARN: 14; mask = 0: 15 (IamRestoredOrKickerArmed waits for ref_lock to be free, so it
//   is the same step).
// - without vcpu->mutex: register's count before WARN (vcpu 2 + 3) + PV, ECA_AIV cleared, WARN: 9;
//   mask = 0: 10; IAM 0x10 needs register's gisa_set_iam and spin_unlock (7) + PV 2, clear, WARN,
//   mask = 0: 12; the vcpu past ECA_AIV before the clear, its test before origin = NULL, then the
//   count with origin NULL: 2 + 2 + 5 (clear .. cancel) + 1 + 1 + spin_lock + count = 13
//   (DestroyedGisaHasNoAlertMask), + gisa_set_iam: 14.
// - destroy before the vcpu loop: PV 2 + the destroy 5: 7 (EcaAivImpliesGisa); vcpu 2 + register 3 +
//   PV 2 + WARN: 8; 9; vcpu 2 + register 5 + PV 2 + WARN + mask = 0: 11; PV 2 + destroy to the
//   cancel (4) + vcpu 3 + origin = NULL + spin_lock + count: 12, + gisa_set_iam: 13.
// - pv-disable-unregister (KVM_PV_DISABLE: kvm->lock, the origin test, then kvm_s390_gisa_init's origin,
//   alert.mask = 0, spin_lock_init, memset): origin set with ref_count[3] = 1 and mask 0 after 3; the
//   unregister's test and spin_lock after the origin store (3 + 2), mask = 0 and spin_lock_init (2), then
//   the count, gisa_set_iam and the spin_unlock of a lock it no longer holds (3): 10. Under kvm->lock
//   (the fix) only the stale count is left.
const CASES: [variant: string, configuration: string, expected: Record<string, number>][] = [
  ['upstream', 'pv-enable-unregister', { AlertMaskZeroAtDestroy: 3, AlertMaskIsRegisteredIscs: 4, IamRestoredOrKickerArmed: 4, GiscCallSeesGisa: 11 }],
  ['reset-under-kvm-lock', 'pv-enable-unregister', { AlertMaskZeroAtDestroy: 3, AlertMaskIsRegisteredIscs: 4, IamRestoredOrKickerArmed: 4 }],
  ['upstream', 'pv-enable-pqap', { AlertMaskZeroAtDestroy: 14, AlertMaskIsRegisteredIscs: 15, IamRestoredOrKickerArmed: 15 }],
  ['planted-gisa-disable-without-vcpu-mutex', 'pv-enable-pqap', { AlertMaskZeroAtDestroy: 9, AlertMaskIsRegisteredIscs: 10, IamRestoredOrKickerArmed: 12, DestroyedGisaHasNoAlertMask: 13, GiscCallSeesGisa: 14 }],
  ['planted-gisa-destroy-before-aiv-clear', 'pv-enable-pqap', { EcaAivImpliesGisa: 7, AlertMaskZeroAtDestroy: 8, AlertMaskIsRegisteredIscs: 9, IamRestoredOrKickerArmed: 11, DestroyedGisaHasNoAlertMask: 12, GiscCallSeesGisa: 13 }],
  ['upstream', 'pv-disable-unregister', { AlertMaskIsRegisteredIscs: 3, ReleaseOnlyByOwner: 10 }],
  ['reset-under-kvm-lock', 'pv-disable-unregister', { AlertMaskIsRegisteredIscs: 3 }],
];

describe('KVM_PV_ENABLE against the GISA\'s users, statement by statement', () => {
  const results = new Map(CASES.map(([v, c]) => [`${v}/${c}`, checkModel(gisa.model(v, c))]));

  for (const [variant, configuration, expected] of CASES) {
    it(`${variant} in ${configuration}: exactly ${Object.keys(expected).join(', ')}`, () => {
      const r = results.get(`${variant}/${configuration}`)!;
      expect(violated(r)).toEqual(expected);
      expect(r.matches).toBe(true);
    });
  }

  it('upstream finding: the reset work passes the unlocked -ENODEV test, the switch destroys the GISA, the unregister\'s gisa_set_iam goes through the NULL origin', () => {
    const t = traceOf(results.get('upstream/pv-enable-unregister')!, 'GiscCallSeesGisa');
    const test = t.indexOf('driver kvm_s390_gisc_unregister@if (!gi->origin)');
    const nulled = t.indexOf('pv kvm_s390_gisa_destroy@gi->origin = NULL');
    const lock = t.indexOf('driver kvm_s390_gisc_unregister@spin_lock(ref_lock)');
    expect(test).toBeGreaterThanOrEqual(0);
    expect(test).toBeLessThan(nulled);
    expect(nulled).toBeLessThan(lock);
    expect(t[t.length - 1]).toBe('driver kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask)');
    // kvm->lock, which the switch holds throughout, is not taken by the reset work
    expect(t.filter((s) => s.startsWith('driver')).some((s) => s.includes('kvm->lock'))).toBe(false);
  });

  it('upstream finding on the way back: KVM_PV_DISABLE\'s kvm_s390_gisa_init re-initialises ref_lock while the reset work\'s unregister holds it', () => {
    const t = traceOf(results.get('upstream/pv-disable-unregister')!, 'ReleaseOnlyByOwner');
    const order = ['pv kvm_s390_gisa_init@gi->origin = &sie_page2->gisa', 'driver kvm_s390_gisc_unregister@if (!gi->origin)', 'driver kvm_s390_gisc_unregister@spin_lock(ref_lock)', 'pv kvm_s390_gisa_init@spin_lock_init(ref_lock)'].map((s) => t.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(t[t.length - 1]).toBe('driver kvm_s390_gisc_unregister@spin_unlock(ref_lock)');
  });

  it('upstream pv-enable-pqap: vcpu->mutex orders them; a PQAP after the switch goes to userspace, and the register never sees the GISA vanish', () => {
    const r = results.get('upstream/pv-enable-pqap')!;
    for (const p of ['GiscCallSeesGisa', 'EcaAivImpliesGisa']) expect(r.results.find((x) => x.property === p)!.holds, p).toBe(true);
    // the WARN trace: the whole PQAP, KVM_RUN returns, then the switch takes vcpu->mutex
    const t = traceOf(r, 'AlertMaskZeroAtDestroy');
    expect(t.indexOf('vcpu handle_pqap@mutex_unlock(vcpu->mutex)')).toBeLessThan(t.indexOf('pv kvm_s390_gisa_disable@mutex_lock(vcpu->mutex)'));
    // both ends reachable: the switch first (ECA_AIV clear: -EOPNOTSUPP, nothing registered), or the PQAP first (ISC 3 left registered)
    const x = explore(gisa.model('upstream', 'pv-enable-pqap'), { por: false });
    const ends = x.states.filter((s) => {
      const v = s.value as Record<string, unknown>;
      return v.pv === 'done' && v.vcpu === 'done';
    }).map((s) => (s.context as SystemContext).vms[0]!);
    expect(ends.length).toBeGreaterThan(0);
    expect(ends.every((k) => k.aiv === false && !k.gisa.origin && k.gisa.mask === 0)).toBe(true);
    expect(new Set(ends.map((k) => k.gisa.ref[3]))).toEqual(new Set([0, 1]));
  });
});
