// The GISA machine without the facility and across the PV switch (issue 12): configurations
// no-aiv, pv-switch, pv-use-gisa-cleared. Expected results checked by hand against
// arch/s390/kvm/interrupt.c kvm_s390_gisa_init/enable/disable and kvm-s390.c
// kvm_s390_cpus_to_pv/from_pv (v6.17-rc4, Kingxukai/linux 9b44fff655e2).
import { describe, expect, it } from 'vitest';
import { pathTo } from '../../src/check/check.ts';
import { explore, type Exploration } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';
import { gisaSpec } from '../../machines/gisa/index.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { FAULT, initialContext, type SystemContext } from '../../machines/context.ts';
import { kernelTable } from '../../machines/kernel.ts';
import { UPSTREAM } from '../../machines/design.ts';
import { ENODEV } from '../../machines/gisa/kvm_s390_gisa_interrupt.machine.ts';

const runs = new Map<string, { m: Model; x: Exploration }>();
function run(variant: string, configuration: string) {
  const key = `${variant}/${configuration}`;
  let r = runs.get(key);
  if (!r) {
    const m = gisaSpec.model(variant, configuration);
    runs.set(key, (r = { m, x: explore(m) }));
  }
  return r;
}
const ctx = (s: { context: unknown }) => s.context as SystemContext;
const region = (s: { value: unknown }) => (s.value as { vm0: { gisa: string } }).vm0.gisa;

function trace(variant: string, configuration: string, inv: string) {
  const { m, x } = run(variant, configuration);
  const i = x.violations.get(inv);
  expect(i, `${variant}/${configuration} violates ${inv}`).toBeDefined();
  return pathTo(x, i!).events.map((e) => m.events[e]! as { type: string; isc?: number; outcome?: string });
}

describe('a host without AIV (no-aiv)', () => {
  it('the VM never has a GISA: origin NULL in every state, registrations answer -ENODEV and change nothing', () => {
    const { x } = run('upstream', 'no-aiv');
    // disabled, destroyed (kvm_s390_gisa_destroy returns at once), freed
    expect(x.states.map(region).sort()).toEqual(['destroyed', 'disabled', 'freed']);
    for (const s of x.states) {
      expect(ctx(s).vms[0]!.gisa.origin).toBe(false);
      expect(ctx(s).vms[0]!.gisa.ref.every((r) => r === 0)).toBe(true);
      expect(ctx(s).gib.list).toBe(0);
    }
    expect([...x.violations.keys()]).toEqual([]);
  });

  it('use_gisa = 0 at VM creation gives the same initial GISA as no AIV; kvm_s390_gisc_register answers -ENODEV', () => {
    const k = kernelTable(UPSTREAM).k;
    const c = initialContext({ vms: 1, vcpus: 0, queues: 0, iscs: [3], useGisa: false });
    expect(c.vms[0]!.gisa.origin).toBe(false);
    expect(k.kvm_s390_gisc_register(c, 0, 3)).toBe(ENODEV);
    expect(c.vms[0]!.gisa.ref[3]).toBe(0);
    // a host without AIV: a re-enable after PV finds no AIV either
    const n = initialContext({ vms: 1, vcpus: 0, queues: 0, iscs: [3], aiv: false });
    k.kvm_s390_gisa_enable(n, 0);
    expect(n.vms[0]!.gisa.origin).toBe(false);
  });
});

describe('the PV switch on a host whose ultravisor lacks AIV (pv-switch)', () => {
  it('kvm_s390_gisa_init on re-enable keeps ref_count[]: a registration made before KVM_PV_ENABLE leaves alert.mask without its ISC (2 steps: the enable whose vcpu create fails disables and re-enables at once)', () => {
    expect(trace('upstream', 'pv-switch', 'AlertMaskIsRegisteredIscs')).toEqual([
      { type: 'kvm_s390_gisc_register', vm: 0, isc: 3 },
      { type: 'KVM_PV_ENABLE', vm: 0, outcome: 'create-fails' },
    ]);
    // the WARN of kvm_s390_gisa_destroy, reached through kvm_s390_gisa_disable
    expect(trace('upstream', 'pv-switch', 'AlertMaskZeroAtDestroy').map((e) => e.type)).toEqual(['kvm_s390_gisc_register', 'kvm_s390_gisa_destroy']);
  });

  it('the consequence: a second registration of that ISC after the switch finds ref_count 1, so alert.mask and the IAM stay without it', () => {
    const k = kernelTable(UPSTREAM).k;
    const c = initialContext({ vms: 1, vcpus: 0, queues: 0, iscs: [3], uvAiv: false, pv: true });
    const fx = { raise: () => {} };
    k.kvm_s390_gisc_register(c, 0, 3);
    expect(k.kvm_s390_handle_pv(c, 0, true, false, fx)).toBe(0);
    expect(c.vms[0]!.gisa.origin).toBe(false);
    k.kvm_s390_handle_pv(c, 0, false, false, fx);
    expect(c.vms[0]!.gisa).toMatchObject({ origin: true, mask: 0, iam: 0 });
    k.kvm_s390_gisc_register(c, 0, 3);
    expect(c.vms[0]!.gisa).toMatchObject({ mask: 0, iam: 0 });
    expect(c.vms[0]!.gisa.ref[3]).toBe(2);
  });

  it('a GISA destroyed while listed keeps its IAM, an AP interruption relinks it while disabled, and KVM_PV_DISABLE memsets it in the list (GisaInitNotListed, 7 steps)', () => {
    const steps = trace('upstream', 'pv-switch', 'GisaInitNotListed');
    expect(steps.map((e) => e.type)).toEqual([
      'kvm_s390_gisc_register', 'GISA_ADAPTER_INTERRUPTION', 'kvm_s390_gisa_clear', 'gisa_get_ipm_or_restore_iam',
      'KVM_PV_ENABLE', 'GISA_ADAPTER_INTERRUPTION', 'KVM_PV_DISABLE',
    ]);
    const { x } = run('upstream', 'pv-switch');
    const bad = x.states[x.violations.get('GisaInitNotListed')!]!;
    expect(ctx(bad).vms[0]!.faults & FAULT.GISA_INIT_WHILE_LISTED).toBeTruthy();
    expect(ctx(bad).gib.list).toBe(1);
    expect(region(bad)).toBe('alive');
  });

  it('the region follows gi->origin: disabled exactly while the VM is protected (no GISA under PV without UV AIV)', () => {
    const { x } = run('upstream', 'pv-switch');
    for (const s of x.states) {
      const v = ctx(s).vms[0]!;
      if (region(s) === 'alive' || region(s) === 'disabled') expect(region(s) === 'disabled').toBe(!!v.pv);
    }
  });

  it('pv-reinit-restores-mask (alert.mask rebuilt from ref_count[] at the re-init) keeps AlertMaskIsRegisteredIscs', () => {
    const { x } = run('pv-reinit-restores-mask', 'pv-switch');
    expect(x.violations.has('AlertMaskIsRegisteredIscs')).toBe(false);
    expect(x.violations.has('GisaInitNotListed')).toBe(true);
  });

  it('with use_gisa cleared since the VM was created the GISA stays disabled after KVM_PV_DISABLE (pv-use-gisa-cleared)', () => {
    const { x } = run('upstream', 'pv-use-gisa-cleared');
    const after = x.states.filter((s) => region(s) === 'disabled' && !ctx(s).vms[0]!.pv);
    expect(after.length).toBeGreaterThan(0);
    expect(x.states.some((s) => region(s) === 'alive' && ctx(s).vms[0]!.faults & FAULT.DESTROY_WITH_ALERT_MASK)).toBe(false);
    expect(x.violations.has('AlertMaskIsRegisteredIscs')).toBe(false);
  });
});

describe('software injection with a GISA (system, configuration inject)', () => {
  it('__inject_io sets the IPM bit without an alert and __floating_irq_kick wakes the first idle vcpu, whatever its CR6', () => {
    const k = kernelTable(UPSTREAM).k;
    const c = initialContext({ vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [0x04, 0x10] });
    for (const v of c.vms[0]!.vcpus) Object.assign(v, { stopped: false, idle: true });
    c.vms[0]!.gisa.iam = c.vms[0]!.gisa.mask = 0x14;
    const raised: unknown[] = [];
    expect(k.kvm_s390_inject_vm(c, 0, 3, { raise: (e) => void raised.push(e) })).toBe(0);
    expect(c.vms[0]!.gisa).toMatchObject({ ipm: 0x10, iam: 0x14 });
    expect(c.gib.list).toBe(0);
    // vcpu 0 is woken although its CR6 (ISC 5 only) is closed for ISC 3
    expect(raised).toEqual([{ type: 'kvm_s390_vcpu_wakeup', vm: 0, vcpu: 0 }]);
  });

  it('reaches a state where the vcpu open for the injected ISC sleeps for good: nothing listed, no kicker, no injection left (NoLostWakeup, 8 steps)', () => {
    const m = systemSpec.model('upstream', 'inject');
    const x = explore(m);
    // ISC 3 pending for vcpu 1, asleep in kvm_vcpu_block; no alert on its way (unlisted, no GAL interruption, no kicker)
    const stuck = x.states.findIndex((s) => {
      const c = ctx(s);
      const vcpu1 = JSON.stringify((s.value as { vm0: Record<string, unknown> }).vm0.vcpu1);
      return (c.vms[0]!.gisa.ipm & 0x10) !== 0 && vcpu1.includes('halted') && !c.gib.list && !c.gib.galPending && !c.vms[0]!.gisa.timer;
    });
    expect(stuck).toBeGreaterThan(0);
    const steps = pathTo(x, stuck).events.map((e) => (m.events[e] as { type: string }).type);
    expect(steps.filter((t) => t === 'kvm_s390_inject_vm')).toHaveLength(1);
    expect(steps.at(-1)).toBe('kvm_s390_inject_vm');
    expect(steps).toHaveLength(7);
  });
});

describe('TPI takes an adapter interruption from the GISA (system, configuration tpi)', () => {
  it('handle_tpi: stored clears the highest ISC of CR6 (cc 1, the PSW I/O mask not looked at); store-fails and nomem set it again with no alert', () => {
    const k = kernelTable(UPSTREAM).k;
    const fresh = () => {
      const c = initialContext({ vms: 1, vcpus: 1, queues: 0, iscs: [3, 5], cr6: [0x14] });
      Object.assign(c.vms[0]!.vcpus[0]!, { stopped: false, inSie: true, pswIo: false });
      Object.assign(c.vms[0]!.gisa, { ipm: 0x14, iam: 0, mask: 0x14 });
      return c;
    };
    // the reinject's __floating_irq_kick finds no idle vcpu here (the only one is in SIE): nothing raised
    const raised: unknown[] = [];
    const fx = { raise: (e: unknown) => void raised.push(e) };
    const c = fresh();
    expect(k.handle_tpi(c, 0, 0, 'stored', fx)).toBe(1);
    expect(c.vms[0]!.gisa.ipm).toBe(0x04); // ISC 3 (0x10) first
    for (const outcome of ['store-fails', 'nomem']) {
      const d = fresh();
      expect(k.handle_tpi(d, 0, 0, outcome, fx)).toBe(outcome === 'nomem' ? 0 : 1);
      expect(d.vms[0]!.gisa).toMatchObject({ ipm: 0x14, iam: 0 });
      expect(d.gib.list).toBe(0);
    }
    expect(raised).toEqual([]);
    // no GISA: the classic lists only (not modelled), nothing taken
    const n = initialContext({ vms: 1, vcpus: 1, queues: 0, iscs: [3], useGisa: false });
    expect(k.handle_tpi(n, 0, 0, 'stored', fx)).toBe(0);
  });

  it('the tpi configuration reaches a state where TPI can take an interruption (a vcpu in SIE with I/O disabled, ISC 3 pending), and every property holds', () => {
    const m = systemSpec.model('upstream', 'tpi');
    const x = explore(m);
    expect([...x.violations.keys()]).toEqual([]);
    // after a delivery the I/O new PSW disables I/O; a second interruption stays pending for TPI
    const tpiable = x.states.filter((s) => {
      const c = ctx(s);
      const v = c.vms[0]!.vcpus[0]!;
      return v.inSie && !v.pswIo && (c.vms[0]!.gisa.ipm & 0x10) !== 0;
    });
    expect(tpiable.length).toBeGreaterThan(0);
    expect(m.events.filter((e) => (e as { type: string }).type === 'TPI')).toHaveLength(3);
  });
});

describe('KVM_DEV_FLIC_GET_ALL_IRQS and the GISA (flic-get-all)', () => {
  it('get_all_floating_irqs test-and-clears every IPM bit, leaves the IAM and the list alone, and finds nothing without a GISA', () => {
    const k = kernelTable(UPSTREAM).k;
    const c = initialContext({ vms: 1, vcpus: 0, queues: 0, iscs: [3, 5] });
    Object.assign(c.vms[0]!.gisa, { ipm: 0x14, iam: 0x10 });
    expect(k.get_all_floating_irqs(c, 0)).toBe(2);
    expect(c.vms[0]!.gisa).toMatchObject({ ipm: 0, iam: 0x10 });
    const n = initialContext({ vms: 1, vcpus: 0, queues: 0, iscs: [3], aiv: false });
    n.vms[0]!.gisa.ipm = 0x10; // the page's bits are not the VM's: gi->origin is NULL
    expect(k.get_all_floating_irqs(n, 0)).toBe(0);
    expect(n.vms[0]!.gisa.ipm).toBe(0x10);
  });

  it('an interruption made pending and then fetched by GET_ALL leaves the GISA listed with a clean IPM (the alert came, the bit went to userspace)', () => {
    const { x } = run('upstream', 'flic-get-all');
    expect(x.states.some((s) => ctx(s).gib.list === 1 && ctx(s).vms[0]!.gisa.ipm === 0 && ctx(s).vms[0]!.gisa.origin)).toBe(true);
    expect([...x.violations.keys()]).toEqual(['FreedGisaNotInAlertList']);
  });
});
