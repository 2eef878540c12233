// Hand-derived kernel scenarios for the core SUT. Every expected value below was worked out
// from the C code (comments give the reasoning), not copied from the SUT's output.
import { describe, expect, it } from 'vitest';
import { CoreSut, observeCore, type CoreEvent, type CoreParams, type SutDesign } from '../../src/sut/core.ts';

const UP: SutDesign = { gib: 'upstream', aqic: 'upstream', gisaDestroy: 'v6.6' };
const ONE: CoreParams = { vms: 1, vcpus: 1, queues: 1, iscs: [3] };
const ISC3 = 0x10;

function run(sut: CoreSut, events: CoreEvent[]): CoreSut {
  for (const e of events) sut.apply(e);
  return sut;
}
const obs = (sut: CoreSut) => observeCore(sut, { gib: true });
const vm0 = (sut: CoreSut) => obs(sut).vms[0]!;
const q0 = (sut: CoreSut) => obs(sut).queues[0]!;

const attach: CoreEvent[] = [
  { type: 'assign_adapter_store', q: 0 },
  { type: 'assign_domain_store', q: 0 },
  { type: 'vfio_ap_mdev_open_device', vm: 0 },
];
const aqic = (outcome: string, isc = 3): CoreEvent => ({ type: 'PQAP_AQIC', q: 0, ir: 1, isc, outcome });
const teardown: CoreEvent[] = [
  { type: 'kvm_s390_gisa_destroy', vm: 0 },
  { type: 'free_page_sie_page2', vm: 0 },
  { type: 'kvm_destroy_devices', vm: 0 },
];
/** start vcpu k, enter SIE, load an enabled wait PSW */
const toWait = (k: number): CoreEvent[] => [
  { type: 'kvm_s390_vcpu_start', vm: 0, vcpu: k },
  { type: 'vcpu_pre_run', vm: 0, vcpu: k },
  { type: 'kvm_s390_handle_wait', vm: 0, vcpu: k },
];

describe('initial state', () => {
  it('is kvm_arch_init_vm + kvm_s390_gisa_init + vfio_ap probe', () => {
    expect(obs(new CoreSut(ONE, UP))).toEqual({
      gib: { origin: 'NULL', listed: [], galPending: false },
      vms: [
        {
          users: 1,
          kvmFreed: false,
          fd: true,
          gisa: { origin: true, freed: false, ipm: 0, iam: 0, mask: 0, ref: [0, 0, 0, 0, 0, 0, 0, 0], timer: false },
          vcpus: [{ where: 'stopped', kicked: false, pswIo: true, idle: false, wait: false }],
          faults: [],
        },
      ],
      mdev: { kvm: -1, kvmRef: false, hookVm: -1 },
      queues: [{ savedIsc: -1, savedNib: false, pins: 0, irq: false, apid: false, apqi: false, hw: null, faults: [] }],
    });
  });

  it('preRegistered ISCs have ref_count 1 and are in alert.mask and the IAM', () => {
    const g = vm0(new CoreSut({ ...ONE, preRegistered: [3] }, { ...UP, gib: 'gib-v3' })).gisa;
    expect([g.ref[3], g.mask, g.iam]).toEqual([1, ISC3, ISC3]);
  });

  it('drops the gib field out of scope', () => {
    expect('gib' in observeCore(new CoreSut(ONE, UP), { gib: false })).toBe(false);
  });
});

describe('events the kernel would not accept leave the SUT unchanged', () => {
  it.each<CoreEvent>([
    { type: 'kvm_s390_vcpu_wakeup', vm: 0, vcpu: 0 }, // not halted
    { type: 'kvm_vcpu_check_block', vm: 0, vcpu: 0 }, // not woken
    { type: 'vcpu_pre_run', vm: 0, vcpu: 0 }, // stopped
    { type: 'gib_alert_irq_handler' }, // no GAL pending
    { type: 'gisa_vcpu_kicker', vm: 0 }, // timer not active
    { type: 'kvm_s390_gisa_destroy', vm: 0 }, // not in kvm_destroy_vm
    { type: 'AP_ADAPTER_INTERRUPTION', q: 0 }, // AP interruptions not enabled
    { type: 'PQAP_AQIC', q: 0, ir: 1, isc: 3, outcome: 'NORMAL' }, // no hook: rc 01
    { type: 'kvm_s390_gisc_register', vm: 0, isc: 8 }, // -ERANGE
  ])('$type', (e) => {
    const sut = new CoreSut(ONE, UP);
    const before = JSON.stringify(obs(sut));
    sut.apply(e);
    expect(JSON.stringify(obs(sut))).toBe(before);
  });

  it('rejects an unknown event type with a message naming it', () => {
    expect(() => new CoreSut(ONE, UP).apply({ type: 'KVM_RUN' })).toThrow(/no event KVM_RUN/);
  });
});

describe('AQIC and struct kvm lifetime', () => {
  it('aqic-v4: the VM fd close destroys the GISA under an enabled queue; the next AP interruption writes freed memory', () => {
    const sut = run(new CoreSut(ONE, { gib: 'upstream', aqic: 'aqic-v4', gisaDestroy: 'v5.2' }), [...attach, aqic('NORMAL')]);
    // v4 takes no kvm reference: the VM fd is the only user
    expect(obs(sut).mdev).toEqual({ kvm: 0, kvmRef: false, hookVm: 0 });
    expect(vm0(sut).users).toBe(1);
    expect(q0(sut)).toMatchObject({ savedIsc: 3, savedNib: true, pins: 1, irq: true });
    // kvm_vm_release -> kvm_put_kvm -> 0 -> kvm_destroy_vm; v5.2 destroy reports the mask with KVM_EVENT
    run(sut, [{ type: 'kvm_vm_release', vm: 0 }, ...teardown]);
    expect(vm0(sut)).toMatchObject({ users: 0, kvmFreed: true, faults: ['DESTROY_WITH_ALERT_MASK'] });
    expect(vm0(sut).gisa).toMatchObject({ origin: false, freed: true, ref: [0, 0, 0, 1, 0, 0, 0, 0] });
    // kvm-vfio's destroy sent SET_KVM(NULL): matrix_mdev->kvm = NULL and nothing else
    expect(obs(sut).mdev.kvm).toBe(-1);
    expect(q0(sut).irq).toBe(true);
    sut.apply({ type: 'AP_ADAPTER_INTERRUPTION', q: 0 });
    expect(vm0(sut).faults).toEqual(['DESTROY_WITH_ALERT_MASK', 'GISA_WRITE_AFTER_FREE']);
    expect(q0(sut).faults).toEqual([]); // the NIB is still pinned
    // release: ZAPQ -> vfio_ap_free_irq unpins first, then unregisters through the NULL kvm;
    // then matrix_mdev->kvm->arch.crypto.pqap_hook = NULL dereferences NULL as well
    sut.apply({ type: 'vfio_ap_mdev_close_device' });
    expect(q0(sut)).toEqual({ savedIsc: -1, savedNib: false, pins: 0, irq: false, apid: true, apqi: true, hw: null, faults: ['GISC_CALL_AFTER_FREE', 'UNPIN_BEFORE_UNREGISTER'] });
    expect(vm0(sut).faults).toEqual(['DESTROY_WITH_ALERT_MASK', 'GISA_WRITE_AFTER_FREE', 'GISC_CALL_AFTER_FREE']);
  });

  it('upstream: the same sequence reports nothing, vfio_ap reference holds the VM until close', () => {
    const sut = run(new CoreSut(ONE, UP), [...attach, aqic('NORMAL')]);
    expect(obs(sut).mdev).toEqual({ kvm: 0, kvmRef: true, hookVm: 0 });
    expect(vm0(sut).gisa).toMatchObject({ mask: ISC3, iam: ISC3, ref: [0, 0, 0, 1, 0, 0, 0, 0] });
    run(sut, [{ type: 'kvm_vm_release', vm: 0 }, ...teardown]);
    expect(vm0(sut)).toMatchObject({ users: 1, kvmFreed: false });
    expect(vm0(sut).gisa.origin).toBe(true); // kvm_destroy_vm has not started
    // the AP makes ISC 3 pending: no vcpu in SIE, IAM bit set -> IAM 0, GISA linked, GAL
    sut.apply({ type: 'AP_ADAPTER_INTERRUPTION', q: 0 });
    expect(obs(sut).gib).toEqual({ origin: 'LIST', listed: [0], galPending: true });
    expect(vm0(sut).gisa).toMatchObject({ ipm: ISC3, iam: 0 });
    // close: hook NULL, ZAPQ, unregister (gisa_set_iam -EBUSY: listed), unpin, kvm_put_kvm -> 0
    sut.apply({ type: 'vfio_ap_mdev_close_device' });
    expect(q0(sut)).toEqual({ savedIsc: -1, savedNib: false, pins: 0, irq: false, apid: true, apqi: true, hw: null, faults: [] });
    expect(vm0(sut).gisa).toMatchObject({ mask: 0, ref: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(vm0(sut).users).toBe(0);
    // gisa_destroy: set_iam fails while listed -> process_gib_alert_list unlinks (timer started, then cancelled)
    run(sut, teardown);
    expect(obs(sut).gib).toEqual({ origin: 'NULL', listed: [], galPending: true });
    expect(vm0(sut)).toMatchObject({ kvmFreed: true, faults: [] });
    expect(vm0(sut).gisa).toMatchObject({ origin: false, freed: true, timer: false });
    // the GAL interruption is still taken: a first pass over an empty list, then the final pass
    sut.apply({ type: 'gib_alert_irq_handler' });
    expect(obs(sut).gib).toEqual({ origin: 'NONE', listed: [], galPending: false });
    sut.apply({ type: 'process_gib_alert_list' });
    expect(obs(sut).gib!.origin).toBe('NULL');
    expect(vm0(sut).faults).toEqual([]);
  });

  it('upstream: the default ap_aqic response leaks the new pin and GISC registration', () => {
    const sut = run(new CoreSut(ONE, UP), [...attach, aqic('NORMAL'), aqic('OTHER')]);
    // pin NIB2, register ISC 3 (ref 2); rc 02 -> vfio_ap_irq_disable frees only the saved NIB1/ISC 3
    expect(q0(sut)).toEqual({ savedIsc: -1, savedNib: false, pins: 1, irq: false, apid: true, apqi: true, hw: null, faults: [] });
    expect(vm0(sut).gisa).toMatchObject({ ref: [0, 0, 0, 1, 0, 0, 0, 0], mask: ISC3 });
    // close frees nothing more (saved_isc is invalid); the last put then hits the WARN
    run(sut, [{ type: 'vfio_ap_mdev_close_device' }, { type: 'kvm_vm_release', vm: 0 }, ...teardown]);
    expect(vm0(sut).faults).toEqual(['DESTROY_WITH_ALERT_MASK']);
    expect(q0(sut).pins).toBe(1);
  });

  it('OTHERWISE_CHANGED: upstream unregisters before it unpins, v5.3 the other way round', () => {
    const up = run(new CoreSut(ONE, UP), [...attach, aqic('OTHERWISE_CHANGED')]);
    expect(q0(up)).toEqual({ savedIsc: -1, savedNib: false, pins: 0, irq: false, apid: true, apqi: true, hw: null, faults: [] });
    const old = run(new CoreSut(ONE, { ...UP, aqic: 'v5.3' }), [...attach, aqic('OTHERWISE_CHANGED')]);
    expect(q0(old)).toEqual({ savedIsc: -1, savedNib: false, pins: 0, irq: false, apid: true, apqi: true, hw: null, faults: ['UNPIN_BEFORE_UNREGISTER'] });
    expect(vm0(old).gisa.ref[3]).toBe(0);
  });

  it('aqic-v4: a failed pin (-EINVAL) answers rc 06 and handle_pqap zeroes q->isc even though an older enable is still in force', () => {
    const sut = run(new CoreSut(ONE, { ...UP, aqic: 'aqic-v4' }), [...attach, aqic('NORMAL'), aqic('PIN_FAILED')]);
    // the AP still interrupts with the first NIB, which stays pinned; its GISC is no longer in q->isc
    expect(q0(sut)).toMatchObject({ savedIsc: -1, savedNib: true, pins: 1, irq: true });
    expect(vm0(sut).gisa.ref[3]).toBe(1);
    sut.apply({ type: 'PQAP_AQIC', q: 0, ir: 0 });
    // clrirq -> free_irq: unpins the NIB, and with q->isc zeroed never unregisters its GISC
    expect(q0(sut)).toMatchObject({ savedIsc: -1, savedNib: false, pins: 0, irq: false, faults: ['UNPIN_BEFORE_UNREGISTER'] });
    expect(vm0(sut).gisa.ref[3]).toBe(1);
  });

  it('aqic-v4: a failed re-enable unpins the NIB the AP still writes', () => {
    const sut = run(new CoreSut(ONE, { ...UP, aqic: 'aqic-v4' }), [...attach, aqic('NORMAL'), aqic('OTHER')]);
    // free_irq: unpin NIB1 (its ISC still registered), unregister the new q->isc; NIB2 stays pinned
    expect(q0(sut)).toEqual({ savedIsc: -1, savedNib: false, pins: 1, irq: true, apid: true, apqi: true, hw: { isc: 3, gisa: 0 }, faults: ['UNPIN_BEFORE_UNREGISTER'] });
    expect(vm0(sut).gisa.ref[3]).toBe(1);
    sut.apply({ type: 'AP_ADAPTER_INTERRUPTION', q: 0 });
    expect(q0(sut).faults).toEqual(['NIB_WRITE_UNPINNED', 'UNPIN_BEFORE_UNREGISTER']);
    expect(vm0(sut).gisa.ipm).toBe(ISC3);
  });

  it('a guest ZAPQ disables AP interruptions and leaves vfio_ap saved state alone', () => {
    const sut = run(new CoreSut(ONE, UP), [...attach, aqic('NORMAL'), { type: 'PQAP_ZAPQ', q: 0 }]);
    expect(q0(sut)).toEqual({ savedIsc: 3, savedNib: true, pins: 1, irq: false, apid: true, apqi: true, hw: null, faults: [] });
  });

  it('vfio_ap_mdev_remove_queue resets the queue, which frees its AQIC resources', () => {
    const sut = run(new CoreSut(ONE, UP), [...attach, aqic('NORMAL'), { type: 'vfio_ap_mdev_remove_queue', q: 0 }]);
    expect(q0(sut)).toEqual({ savedIsc: -1, savedNib: false, pins: 0, irq: false, apid: true, apqi: true, hw: null, faults: [] });
    expect(vm0(sut).gisa.ref[3]).toBe(0);
  });

  it('direct unbalanced kvm_s390_gisc_unregister is reported', () => {
    const sut = run(new CoreSut(ONE, UP), [{ type: 'kvm_s390_gisc_unregister', vm: 0, isc: 3 }]);
    expect(vm0(sut).faults).toEqual(['GISC_UNREGISTER_UNBALANCED']);
  });
});

describe('GISA and GIB', () => {
  const pre = { ...ONE, preRegistered: [3] };

  it('gisa_get_ipm_or_restore_iam does not restore while a registered ISC is pending', () => {
    const sut = run(new CoreSut(pre, UP), [
      { type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 },
      { type: 'gib_alert_irq_handler' },
      { type: 'process_gib_alert_list' },
      { type: 'gisa_get_ipm_or_restore_iam', vm: 0 },
    ]);
    // pending_mask = IPM & alert.mask = 0x10 -> returned, no cmpxchg
    expect(vm0(sut).gisa).toMatchObject({ ipm: ISC3, iam: 0, timer: true });
    run(sut, [{ type: 'kvm_s390_gisa_clear', vm: 0 }, { type: 'gisa_get_ipm_or_restore_iam', vm: 0 }]);
    expect(vm0(sut).gisa).toMatchObject({ ipm: 0, iam: ISC3 });
  });

  it('a pending ISC outside alert.mask neither alerts nor blocks the restore', () => {
    const sut = run(new CoreSut({ ...pre, iscs: [3, 5] }, UP), [
      { type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 5 },
      { type: 'gisa_get_ipm_or_restore_iam', vm: 0 },
    ]);
    expect(obs(sut).gib).toEqual({ origin: 'NULL', listed: [], galPending: false });
    expect(vm0(sut).gisa).toMatchObject({ ipm: 0x04, iam: ISC3 });
  });

  it('a list built after the cut-off ends in NONE_GISA_ADDR and raises no GAL', () => {
    const sut = run(new CoreSut({ ...pre, vms: 2 }, UP), [{ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 }]);
    expect(obs(sut).gib).toEqual({ origin: 'LIST', listed: [0], galPending: true });
    sut.apply({ type: 'gib_alert_irq_handler' });
    expect(obs(sut).gib).toEqual({ origin: 'NONE', listed: [], galPending: false });
    sut.apply({ type: 'GISA_ADAPTER_INTERRUPTION', vm: 1, isc: 3 });
    expect(obs(sut).gib).toEqual({ origin: 'NONE', listed: [1], galPending: false });
    sut.apply({ type: 'process_gib_alert_list' });
    expect(obs(sut).gib).toEqual({ origin: 'NULL', listed: [], galPending: false });
    expect(obs(sut).vms.map((v) => v.gisa.timer)).toEqual([true, true]);
  });

  it('v5.2 gisa_destroy waits while the GISA is listed and reports a non-zero alert.mask (KVM_EVENT), leaving the IAM set', () => {
    const sut = run(new CoreSut(pre, { ...UP, gisaDestroy: 'v5.2' }), [
      { type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 },
      { type: 'kvm_vm_release', vm: 0 },
      { type: 'kvm_s390_gisa_destroy', vm: 0 },
    ]);
    expect(vm0(sut).gisa.origin).toBe(true);
    run(sut, [{ type: 'gib_alert_irq_handler' }, { type: 'kvm_s390_gisa_destroy', vm: 0 }, { type: 'free_page_sie_page2', vm: 0 }]);
    expect(vm0(sut).gisa).toMatchObject({ origin: false, freed: true, timer: false });
    expect(vm0(sut).faults).toEqual(['DESTROY_WITH_ALERT_MASK']);
    sut.apply({ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 });
    expect(vm0(sut).faults).toEqual(['DESTROY_WITH_ALERT_MASK', 'GISA_WRITE_AFTER_FREE']);
  });

  it('v6.6 gisa_destroy WARNs on a registered ISC', () => {
    const sut = run(new CoreSut(pre, UP), [{ type: 'kvm_vm_release', vm: 0 }, { type: 'kvm_s390_gisa_destroy', vm: 0 }]);
    expect(vm0(sut).faults).toEqual(['DESTROY_WITH_ALERT_MASK']);
    expect(vm0(sut).gisa).toMatchObject({ origin: false, mask: 0, iam: 0 });
  });
});

describe('vcpu wait and kick', () => {
  const pre = { ...ONE, preRegistered: [3] };

  it('upstream: alert -> timer -> kick -> runnable -> delivery in vcpu_pre_run -> IAM restored, timer stops', () => {
    const sut = run(new CoreSut(pre, UP), toWait(0));
    expect(vm0(sut).vcpus[0]).toEqual({ where: 'halted', kicked: false, pswIo: true, idle: true, wait: true });
    run(sut, [{ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 }, { type: 'gib_alert_irq_handler' }, { type: 'gisa_vcpu_kicker', vm: 0 }]);
    expect(vm0(sut).vcpus[0]).toEqual({ where: 'woken', kicked: true, pswIo: true, idle: true, wait: true });
    expect(vm0(sut).gisa.timer).toBe(true); // HRTIMER_RESTART while pending
    sut.apply({ type: 'kvm_vcpu_check_block', vm: 0, vcpu: 0 });
    expect(vm0(sut).vcpus[0]).toEqual({ where: 'outside_sie', kicked: false, pswIo: true, idle: false, wait: false });
    sut.apply({ type: 'vcpu_pre_run', vm: 0, vcpu: 0 });
    expect(vm0(sut).vcpus[0]).toEqual({ where: 'in_sie', kicked: false, pswIo: false, idle: false, wait: false });
    expect(vm0(sut).gisa.ipm).toBe(0);
    sut.apply({ type: 'gisa_vcpu_kicker', vm: 0 });
    expect(vm0(sut).gisa).toMatchObject({ iam: ISC3, timer: false });
  });

  it('a vcpu in SIE enabled for the ISC takes the interruption itself; STOSM takes a pending one', () => {
    const sut = run(new CoreSut(pre, UP), [{ type: 'kvm_s390_vcpu_start', vm: 0, vcpu: 0 }, { type: 'vcpu_pre_run', vm: 0, vcpu: 0 }]);
    sut.apply({ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 });
    expect(vm0(sut).gisa).toMatchObject({ ipm: 0, iam: ISC3 });
    expect(vm0(sut).vcpus[0]!.pswIo).toBe(false);
    sut.apply({ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 });
    expect(vm0(sut).gisa).toMatchObject({ ipm: ISC3, iam: 0 });
    sut.apply({ type: 'STOSM_IO', vm: 0, vcpu: 0 });
    expect(vm0(sut).gisa.ipm).toBe(0);
    expect(vm0(sut).vcpus[0]!.pswIo).toBe(false);
  });

  const twoVcpus: CoreParams = { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [0x04, ISC3], preRegistered: [3] };
  const alert: CoreEvent[] = [{ type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 }, { type: 'gib_alert_irq_handler' }];

  it('upstream: __airqs_kick_single_vcpu skips the idle vcpu whose CR6 masks the ISC', () => {
    const sut = run(new CoreSut(twoVcpus, UP), [...toWait(0), ...toWait(1), ...alert, { type: 'gisa_vcpu_kicker', vm: 0 }]);
    expect(vm0(sut).vcpus.map((v) => v.where)).toEqual(['halted', 'woken']);
  });

  it('GIB v2: the alert wakes the first idle vcpu without a CR6 check; it sleeps again and nothing restores the IAM', () => {
    const sut = run(new CoreSut(twoVcpus, { ...UP, gib: 'gib-v2' }), [...toWait(0), ...toWait(1)]);
    // vcpu_post_run of the last vcpu leaving SIE restored the IAM that vcpu_pre_run cleared
    expect(vm0(sut).gisa.iam).toBe(ISC3);
    run(sut, alert);
    expect(vm0(sut).vcpus.map((v) => v.where)).toEqual(['woken', 'halted']);
    sut.apply({ type: 'kvm_vcpu_check_block', vm: 0, vcpu: 0 });
    expect(vm0(sut).vcpus.map((v) => v.where)).toEqual(['halted', 'halted']);
    expect(vm0(sut).gisa).toMatchObject({ ipm: ISC3, iam: 0, timer: false });
    expect(obs(sut).gib).toEqual({ origin: 'NULL', listed: [], galPending: false });
  });

  it('GIB v3 loses the next alert after a GISA is delivered in SIE while listed; upstream alerts again', () => {
    const ai: CoreEvent = { type: 'GISA_ADAPTER_INTERRUPTION', vm: 0, isc: 3 };
    const steps: CoreEvent[] = [
      { type: 'kvm_s390_vcpu_start', vm: 0, vcpu: 0 },
      { type: 'vcpu_pre_run', vm: 0, vcpu: 0 },
      ai, // taken in SIE: the I/O new PSW leaves PSW I/O off
      ai, // IPM set, IAM cleared, GISA linked, GAL pending
      { type: 'STOSM_IO', vm: 0, vcpu: 0 }, // taken in SIE: IPM clean again
      { type: 'kvm_s390_handle_wait', vm: 0, vcpu: 0 },
      { type: 'gib_alert_irq_handler' },
      { type: 'process_gib_alert_list' },
      ai,
    ];
    // v3: vcpu_post_run skips the restore (listed), the handler skips a clean IPM: no alert
    const v3 = run(new CoreSut(pre, { ...UP, gib: 'gib-v3' }), steps);
    expect(obs(v3).gib).toEqual({ origin: 'NULL', listed: [], galPending: false });
    expect(vm0(v3).gisa).toMatchObject({ ipm: ISC3, iam: 0, timer: false });
    expect(vm0(v3).vcpus[0]!.where).toBe('halted');
    // upstream: handle_wait restored the IAM (cmpxchg, even while listed), so the last interruption alerts
    const up = run(new CoreSut(pre, UP), steps);
    expect(obs(up).gib).toEqual({ origin: 'LIST', listed: [0], galPending: true });
  });

  it('GIB v5: the alert handler wakes only a CR6-suitable idle vcpu', () => {
    const sut = run(new CoreSut(twoVcpus, { ...UP, gib: 'gib-v5' }), [...toWait(0), ...toWait(1), ...alert]);
    expect(vm0(sut).vcpus.map((v) => v.where)).toEqual(['halted', 'woken']);
    expect(vm0(sut).gisa.iam).toBe(0); // kicked > 0: the IAM stays cleared
  });
});

describe('the AP answers as payloads (vfio_ap_ops.c v6.17-rc4)', () => {
  const APA: CoreParams = { vms: 1, vcpus: 0, queues: 1, iscs: [3], apAnswers: true };
  const enabled = (): CoreSut => run(new CoreSut(APA, UP), [...attach, aqic('NORMAL')]);

  it('attach and AQIC ir=1: the AP holds guest ISC 3 and VM 0\'s GISA, the queue shows both assignments and an idle reset_work', () => {
    expect(q0(enabled())).toEqual({ savedIsc: 3, savedNib: true, pins: 1, irq: true, apid: true, apqi: true, hw: { isc: 3, gisa: 0 }, faults: [], work: 'idle', freed: false });
  });

  it('close with ZAPQ in progress waits in flush_work; apq_reset_check ZAPs again after TAPQ 0, frees on the next pass; flush_work then drops the KVM', () => {
    const sut = run(enabled(), [{ type: 'vfio_ap_mdev_close_device', zapq: 'IN_PROGRESS' }]);
    // vfio_ap_mdev_reset_queue: RESET_IN_PROGRESS queues reset_work; flush_work blocks, kvm_put_kvm not yet run (open's reference: users 2)
    expect(obs(sut).mdev).toEqual({ kvm: 0, kvmRef: true, hookVm: -1, unsetting: true });
    expect([q0(sut).work, q0(sut).savedIsc, q0(sut).irq, vm0(sut).users]).toEqual(['in-progress', 3, true, 2]);
    // first pass: TAPQ 0 (the reset done, interruptions off), reset_status RESET_IN_PROGRESS -> ZAPQ again (NORMAL), continue
    run(sut, [{ type: 'apq_reset_check', q: 0, tapq: 'DONE', zapq: 'NORMAL' }]);
    expect([q0(sut).work, q0(sut).savedIsc, q0(sut).irq]).toEqual(['zapped', 3, false]);
    // flush_work cannot return while the work is queued
    run(sut, [{ type: 'flush_work' }]);
    expect(obs(sut).mdev.unsetting).toBe(true);
    // second pass: TAPQ 0, reset_status NORMAL: saved_isc valid -> vfio_ap_free_aqic_resources, break
    run(sut, [{ type: 'apq_reset_check', q: 0, tapq: 'DONE' }]);
    expect([q0(sut).work, q0(sut).savedIsc, q0(sut).pins, vm0(sut).gisa.ref[3]]).toEqual(['idle', -1, 0, 0]);
    run(sut, [{ type: 'flush_work' }]);
    expect([obs(sut).mdev, vm0(sut).users]).toEqual([{ kvm: -1, kvmRef: false, hookVm: -1, unsetting: false }, 1]);
  });

  it('ZAPQ answered with a code vfio_ap WARNs on frees nothing and queues no work: the close finishes with the NIB pinned and the GISC registered', () => {
    const sut = run(enabled(), [{ type: 'vfio_ap_mdev_close_device', zapq: 'INVALID' }]);
    expect([q0(sut).work, q0(sut).savedIsc, q0(sut).pins, vm0(sut).gisa.ref[3], obs(sut).mdev.kvm, obs(sut).mdev.unsetting]).toEqual(['idle', 3, 1, 1, -1, false]);
  });

  it('AQIC ir=0 whose IR bit never clears: answered 0 although the AP still interrupts (GUEST_TOLD_SUCCESS), resources freed anyway', () => {
    const sut = run(enabled(), [{ type: 'PQAP_AQIC', q: 0, ir: 0, off: 'IR_STUCK' }]);
    expect(q0(sut)).toMatchObject({ savedIsc: -1, savedNib: false, pins: 0, irq: true, hw: { isc: 3, gisa: 0 }, faults: ['GUEST_TOLD_SUCCESS'] });
  });

  it('AQIC ir=0 BUSY six times: answered BUSY, not 0, so no broken promise; freed, the AP still interrupts', () => {
    const sut = run(enabled(), [{ type: 'PQAP_AQIC', q: 0, ir: 0, off: 'BUSY_EXHAUSTED' }]);
    expect(q0(sut)).toMatchObject({ savedIsc: -1, pins: 0, irq: true, faults: [] });
  });

  it('AQIC ir=0 whose TAPQ fails: answered 0, the AP took the AQIC, interruptions off', () => {
    const sut = run(enabled(), [{ type: 'PQAP_AQIC', q: 0, ir: 0, off: 'TAPQ_FAILED' }]);
    expect(q0(sut)).toMatchObject({ savedIsc: -1, pins: 0, irq: false, hw: null, faults: [] });
  });

  it('remove after the APQN left the host configuration: no reset, q kfree\'d with its pin and GISC', () => {
    const sut = run(new CoreSut(APA, UP), [...attach, aqic('NORMAL'), { type: 'vfio_ap_mdev_close_device', zapq: 'INVALID' }, { type: 'vfio_ap_mdev_remove_queue', q: 0, host: 'gone' }]);
    expect(q0(sut)).toMatchObject({ savedIsc: 3, pins: 1, irq: false, freed: true });
  });
});
