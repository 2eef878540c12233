// zPCI adapter-event forwarding in the composed guest (issue 12, configuration aen): the host's
// forwarding interruption (gib_alert_irq_handler, forward set, aism 0 -> aen_process_gait ->
// aen_host_forward) sets the guest ISC's IPM bit without an alert and restarts the VM's
// gisa_vcpu_kicker. Expected results read by hand in arch/s390/kvm/interrupt.c aen_host_forward
// and gisa_vcpu_kicker (v6.17-rc4, Kingxukai/linux 9b44fff655e2) and checked on the traces below.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../src/check/check.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { initialContext } from '../../machines/context.ts';
import { kernelTable } from '../../machines/kernel.ts';
import { UPSTREAM } from '../../machines/design.ts';

describe('zPCI forwarding: aen_host_forward (system, configuration aen)', () => {
  it('sets the IPM bit with no IAM change and no alert, and arms the kicker; a vcpu in SIE enabled for the ISC takes it at once', () => {
    const k = kernelTable(UPSTREAM).k;
    const c = initialContext({ vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [0x04, 0x10] });
    for (const v of c.vms[0]!.vcpus) Object.assign(v, { stopped: false, idle: true, pswIo: true });
    Object.assign(c.vms[0]!.gisa, { iam: 0x14, mask: 0x14 });
    k.aen_host_forward(c, 0, 3);
    // ISC 3 is 0x10; the IAM stays 0x14 (gisa_set_ipm_gisc does not look at it): nothing listed
    expect(c.vms[0]!.gisa).toMatchObject({ ipm: 0x10, iam: 0x14, timer: true });
    expect(c.gib).toMatchObject({ list: 0, galPending: false });
    // vcpu 1 (CR6 0x10) in SIE with I/O enabled: SIE presents the bit (I/O new PSW: I/O off), the IPM bit leaves
    const d = initialContext({ vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [0x04, 0x10] });
    Object.assign(d.vms[0]!.vcpus[1]!, { stopped: false, inSie: true, pswIo: true });
    k.aen_host_forward(d, 0, 3);
    expect(d.vms[0]!.gisa).toMatchObject({ ipm: 0, timer: true });
    expect(d.vms[0]!.vcpus[1]!.pswIo).toBe(false);
  });

  // upstream holds every property in aen, NoLostWakeup too (the kicker's scan reads each idle vcpu's CR6; inject, with the same
  // masks, loses the wake-up): asserted with the other variants by test/system/system.test.ts

  it('planted-aen-no-kicker-restart: the ledger at once, and a vcpu sleeping for good with its ISC pending (NoLostWakeup, 4 steps)', () => {
    const r = checkModel(systemSpec.model('planted-aen-no-kicker-restart', 'aen'));
    expect(r.matches).toBe(true);
    expect(r.results.filter((x) => x.holds === false).map((x) => x.property).sort()).toEqual(['AdapterInterruptionLedger', 'NoLostWakeup']);
    const ledger = r.results.find((x) => x.property === 'AdapterInterruptionLedger')!;
    expect(ledger.trace!.map((s) => s.event.type)).toEqual(['aen_process_gait']);
    // by hand: vcpu0 starts, enters SIE, loads its enabled wait and halts (the IAM restored: 0x14); ISC 5 is forwarded: IPM 0x04,
    // no alert (software-set), no kicker: no fair event is left and vcpu0 (open for ISC 5) sleeps with it pending
    const live = r.results.find((x) => x.property === 'NoLostWakeup')!;
    expect(live.instance).toEqual({ vm: 0, vcpu: 0 });
    expect(live.trace!.map((s) => s.event.type)).toEqual(['kvm_s390_vcpu_start', 'vcpu_pre_run', 'kvm_s390_handle_wait', 'aen_process_gait']);
  });
});
