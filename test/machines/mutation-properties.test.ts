// Issue 14: the properties added because mutants of the core machines survived, each with the
// planted bug that breaks it, and the configurations without the OTHER response where upstream's
// own leak no longer hides every other missing unpin or unregister.
import { describe, expect, it } from 'vitest';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { gisaSpec } from '../../machines/gisa/index.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { mdevSpec, queueSpec } from '../../machines/vfio-ap/index.ts';

const violated = (r: CheckResult) => r.results.filter((x) => x.holds === false).map((x) => x.property).sort();
const mismatches = (r: CheckResult) => r.results.filter((x) => x.holds !== x.expected).map((x) => x.property);
const result = (r: CheckResult, name: string) => r.results.find((x) => x.property === name)!;
const events = (steps: { event: { type: string } }[]) => steps.map((s) => s.event.type);

describe('VcpuCanHalt (kvm_s390_handle_wait halts a vcpu with nothing to take)', () => {
  it('upstream one-vcpu holds it', () => {
    const r = checkModel(vcpuSpec.model('upstream'));
    expect(result(r, 'VcpuCanHalt').holds).toBe(true);
  });

  it('planted-wait-no-halt (no __set_cpu_idle) breaks it: after start, SIE entry and the wait intercept the vcpu can only spin', () => {
    const r = checkModel(vcpuSpec.model('planted-wait-no-halt'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['VcpuCanHalt', 'VcpuStepPostcondition']);
    const v = result(r, 'VcpuCanHalt');
    expect(v.instance).toEqual({ vm: 0, vcpu: 0 });
    // by hand: nothing but __set_cpu_idle sets the idle_mask bit, so with it gone no path from the initial state halts:
    // the violation is the initial state itself
    expect(events(v.trace)).toEqual([]);
  });

  it('gib-v4 breaks it in airq: its handle_wait returns while the IPM is dirty, also for an ISC the vcpu\'s CR6 masks', () => {
    const r = checkModel(systemSpec.model('gib-v4'));
    expect(mismatches(r)).toEqual([]);
    const v = result(r, 'VcpuCanHalt');
    expect(v.holds).toBe(false);
    expect(v.instance).toEqual({ vm: 0, vcpu: 0 });
    // the ISC 3 interruption left pending is one vcpu 0 (open for ISC 5 only) cannot take
    expect(v.trace.at(-1)!.after['ctx.vms.0.gisa.ipm']).toBe(0x10);
  });
});

describe('KvmUsersCountIsItsHolders (users_count = the VM fd + vfio_ap\'s kvm_get_kvm)', () => {
  it('planted-double-put: open takes the reference, close puts it twice, users_count is 0 with the fd open', () => {
    const r = checkModel(mdevSpec.model('planted-double-put'));
    expect(mismatches(r)).toEqual([]);
    const v = result(r, 'KvmUsersCountIsItsHolders');
    expect(events(v.trace)).toEqual(['vfio_ap_mdev_open_device', 'vfio_ap_mdev_close_device']);
    expect(v.trace[0]!.after['ctx.vms.0.users']).toBe(2);
    expect(v.trace[1]!.after['ctx.vms.0.users']).toBe(0);
    // KvmTypeOK sees it only one step later (users_count rising from 0 when QEMU reopens)
    expect(result(r, 'KvmTypeOK').trace.length).toBe(3);
  });

  it('upstream holds it in the mdev, queue and composed machines', () => {
    for (const r of [checkModel(mdevSpec.model('upstream')), checkModel(queueSpec.model('upstream')), checkModel(systemSpec.model('upstream'))]) {
      expect(result(r, 'KvmUsersCountIsItsHolders').holds).toBe(true);
    }
  });
});

describe('AqicCanBeEnabled (apmut: from every state the guest can still get its assigned queue\'s interruptions enabled; one-queue-kept)', () => {
  it('upstream holds it in one-queue-kept (14 states, every result as expected)', () => {
    const r = checkModel(queueSpec.model('upstream', 'one-queue-kept'));
    expect(mismatches(r)).toEqual([]);
    expect(result(r, 'AqicCanBeEnabled').holds).toBe(true);
    expect(r.states).toBe(14);
  });

  it('planted-set-kvm-without-hook breaks it from the initial state; MdevTypeOK sees the open mdev without its hook (1 step)', () => {
    const r = checkModel(queueSpec.model('planted-set-kvm-without-hook', 'one-queue-kept'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AqicCanBeEnabled', 'MdevTypeOK']);
    // by hand: only vfio_ap_mdev_set_kvm stores mdev.hook, and PQAP_AQIC needs it (the pqap_hook guard), so no PQAP ever reaches
    // vfio_ap_irq_enable and no state with interruptions enabled is reachable, not even from the initial state
    expect(events(result(r, 'AqicCanBeEnabled').trace)).toEqual([]);
    expect(events(result(r, 'MdevTypeOK').trace)).toEqual(['vfio_ap_mdev_open_device']);
  });
});

describe('one-queue-answered and answered: every ap_aqic outcome but the OTHER response upstream leaks on', () => {
  it('upstream breaks EveryNibPinReleasedOnce and GiscRefcountMatchesSavedIscs in one-queue (the OTHER leak) and nothing in one-queue-answered', () => {
    expect(violated(checkModel(queueSpec.model('upstream', 'one-queue')))).toEqual(['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs']);
    const r = checkModel(queueSpec.model('upstream', 'one-queue-answered'));
    expect(violated(r)).toEqual([]);
    expect(mismatches(r)).toEqual([]);
  });

  it('planted-free-without-unpin: a missing unpin that one-queue cannot tell from upstream\'s leak breaks EveryNibPinReleasedOnce in one-queue-answered', () => {
    const answered = checkModel(queueSpec.model('planted-free-without-unpin', 'one-queue-answered'));
    expect(mismatches(answered)).toEqual([]);
    // issue 14 (apconc3): the step postconditions see the same missing unpin at the AQIC NORMAL over a saved NIB, ir=0 and the close
    expect(violated(answered)).toEqual(['AqicStepPostcondition', 'EveryNibPinReleasedOnce', 'ResetStepPostcondition']);
    expect(events(result(answered, 'EveryNibPinReleasedOnce').trace)).toEqual([
      'assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'PQAP_AQIC', 'vfio_ap_mdev_close_device',
    ]);
    // by hand: AQIC ir=1 answered NORMAL pins and saves the NIB; the close resets the queue, which frees without unpinning
    expect(result(answered, 'EveryNibPinReleasedOnce').trace[3]!.event).toMatchObject({ ir: 1, outcome: 'NORMAL' });
    // in one-queue the same property is broken by upstream itself, so a mutant there is not counted as found
    expect(violated(checkModel(queueSpec.model('upstream', 'one-queue')))).toContain('EveryNibPinReleasedOnce');
  });

  it('the composed guest: upstream in answered holds every invariant and liveness property', () => {
    const r = checkModel(systemSpec.model('upstream', 'answered'));
    expect(r.results.length).toBeGreaterThan(20);
    expect(violated(r)).toEqual([]);
    expect(mismatches(r)).toEqual([]);
  });
});

describe('ApInterruptsIntoSavedGisc (the AP interrupts on the saved ISC into the mdev\'s GISA, or holds no GISA)', () => {
  it('planted-disable-without-aqic: AQIC ir=0 frees the saved ISC and NIB but the AP is not told', () => {
    const r = checkModel(queueSpec.model('planted-disable-without-aqic'));
    expect(mismatches(r)).toEqual([]);
    const v = result(r, 'ApInterruptsIntoSavedGisc');
    expect(events(v.trace).slice(-2)).toEqual(['PQAP_AQIC', 'PQAP_AQIC']);
    expect(v.trace.at(-1)!.event).toMatchObject({ ir: 0 });
    expect(v.trace.at(-1)!.after['ctx.queues.0.isc']).toBe(-1);
  });

  it('aqic-v4 and planted-no-reset-on-close break it in the composed guest, upstream does not', () => {
    expect(result(checkModel(systemSpec.model('aqic-v4')), 'ApInterruptsIntoSavedGisc').holds).toBe(false);
    expect(result(checkModel(systemSpec.model('planted-no-reset-on-close')), 'ApInterruptsIntoSavedGisc').holds).toBe(false);
    expect(result(checkModel(systemSpec.model('upstream')), 'ApInterruptsIntoSavedGisc').holds).toBe(true);
  });
});

describe('DestroyedGisaHasNoAlertMask (kvm_s390_gisa_destroy clears alert.mask since f87ef5723536)', () => {
  it('gisa-destroy-v5.2 breaks it (it only logs the mask), upstream does not', () => {
    const v52 = checkModel(gisaSpec.model('gisa-destroy-v5.2'));
    expect(mismatches(v52)).toEqual([]);
    const v = result(v52, 'DestroyedGisaHasNoAlertMask');
    expect(events(v.trace)).toEqual(['kvm_s390_gisc_register', 'kvm_s390_gisa_destroy']);
    expect(result(checkModel(gisaSpec.model('upstream')), 'DestroyedGisaHasNoAlertMask').holds).toBe(true);
  });
});

describe('NoUnbalancedGiscUnregister (kvm_s390_gisc_unregister refuses ref_count 0 with -EINVAL)', () => {
  it('planted-changed-unregisters-twice: the 07 response\'s undo unregisters the new GISC twice', () => {
    const r = checkModel(queueSpec.model('planted-changed-unregisters-twice'));
    expect(mismatches(r)).toEqual([]);
    const v = result(r, 'NoUnbalancedGiscUnregister');
    // by hand: with nothing saved, the register of the 07 request makes ref_count 1, the first unregister 0, the second is refused
    expect(events(v.trace)).toEqual(['assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'PQAP_AQIC']);
    expect(v.trace[3]!.event).toMatchObject({ ir: 1, outcome: 'OTHERWISE_CHANGED' });
    // with a registration saved first (NORMAL), the second unregister takes that one: ref_count 0 under a saved ISC
    expect(result(r, 'GiscRefcountMatchesSavedIscs').trace.length).toBe(5);
  });

  it('upstream, its fix and v5.3 never unregister what they did not register', () => {
    for (const id of ['upstream', 'upstream-fixed', 'v5.3']) expect(result(checkModel(queueSpec.model(id)), 'NoUnbalancedGiscUnregister').holds).toBe(true);
  });
});

describe('AlertListDrained (process_gib_alert_list unlinks every GISA on the alert list)', () => {
  it('planted-gal-no-unlink: the GISA stays listed forever after the first alert', () => {
    const r = checkModel(systemSpec.model('planted-gal-no-unlink'));
    expect(mismatches(r)).toEqual([]);
    const v = result(r, 'AlertListDrained');
    expect(v.instance).toEqual({ vm: 0 });
    // by hand: the interruption lists the GISA (IAM open for the registered ISC 3, no vcpu in SIE), the handler and
    // the final pass run but leave list bit 0 set, and the kicker (armed, finding nobody to kick) repeats forever
    expect(events(v.trace)).toEqual(['GISA_ADAPTER_INTERRUPTION', 'gib_alert_irq_handler', 'process_gib_alert_list']);
    expect(v.trace[0]!.after['ctx.gib.list']).toBe(1);
    expect(v.trace.slice(1).some((t) => 'ctx.gib.list' in t.after)).toBe(false);
    expect(v.trigger).toBe(3);
    expect(events(v.cycle!)).toEqual(['gisa_vcpu_kicker']);
  });

  it('upstream and the GIB series strategies drain the list in airq', () => {
    for (const id of ['gib-upstream', 'gib-v2', 'gib-v3', 'gib-v4', 'gib-v5']) expect(result(checkModel(systemSpec.model(id)), 'AlertListDrained').holds).toBe(true);
  });
});

describe('issue 14 step ledger: AdapterInterruptionLedger, PvSwitchLeavesGisa, VcpuStepPostcondition, GiscRegisterStep', () => {
  it('upstream holds all three in one-isc, pv-switch-no-driver and one-vcpu; pv-switch-no-driver holds every property', () => {
    for (const r of [checkModel(gisaSpec.model('upstream')), checkModel(vcpuSpec.model('upstream'))]) {
      for (const p of ['AdapterInterruptionLedger', 'PvSwitchLeavesGisa', 'VcpuStepPostcondition', 'GiscRegisterStep']) if (result(r, p)) expect(result(r, p).holds, p).toBe(true);
    }
    const pv = checkModel(gisaSpec.model('upstream', 'pv-switch-no-driver'));
    expect(violated(pv)).toEqual([]);
    expect(mismatches(pv)).toEqual([]);
  });

  it('planted-alert-drops-ipm: the alerting interruption never reaches the IPM (AdapterInterruptionLedger, 2 steps)', () => {
    const r = checkModel(gisaSpec.model('planted-alert-drops-ipm'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AdapterInterruptionLedger', 'FreedGisaNotInAlertList']);
    expect(events(result(r, 'AdapterInterruptionLedger').trace)).toEqual(['kvm_s390_gisc_register', 'GISA_ADAPTER_INTERRUPTION']);
  });

  it('planted-pv-disable-keeps-gisa-off: kvm_s390_cpus_from_pv without kvm_s390_gisa_enable (PvSwitchLeavesGisa only)', () => {
    const r = checkModel(gisaSpec.model('planted-pv-disable-keeps-gisa-off', 'pv-switch-no-driver'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['PvSwitchLeavesGisa']);
    expect(events(result(r, 'PvSwitchLeavesGisa').trace)).toEqual(['KVM_PV_ENABLE']);
  });

  it('planted-unregister-keeps-mask answers 0 to an unregister with ref_count 0 (GiscRegisterStep, 1 step; the kernel says -EINVAL)', () => {
    const r = checkModel(gisaSpec.model('planted-unregister-keeps-mask'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AlertMaskIsRegisteredIscs', 'FreedGisaNotInAlertList', 'GiscRegisterStep']);
    expect(events(result(r, 'GiscRegisterStep').trace)).toEqual(['kvm_s390_gisc_unregister']);
  });

  it('planted-wait-no-halt breaks VcpuStepPostcondition at the wait intercept with nothing pending (3 steps)', () => {
    const r = checkModel(vcpuSpec.model('planted-wait-no-halt'));
    expect(events(result(r, 'VcpuStepPostcondition').trace)).toEqual(['kvm_s390_vcpu_start', 'vcpu_pre_run', 'kvm_s390_handle_wait']);
  });
});
