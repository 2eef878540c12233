// Issue 14 (gisacomp): the postconditions of the kicker (gisa_vcpu_kicker, gisa_get_ipm_or_restore_iam)
// and of the GAL handler's passes (gib_alert_irq_handler, process_gib_alert_list), each with the
// planted bug that breaks it; expected values checked by hand against interrupt.c (v6.17-rc4).
import { describe, expect, it } from 'vitest';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { gibSpec, gisaSpec } from '../../machines/gisa/index.ts';
import { FAULT } from '../../machines/context.ts';

const violated = (r: CheckResult) => r.results.filter((x) => x.holds === false).map((x) => x.property).sort();
const mismatches = (r: CheckResult) => r.results.filter((x) => x.holds !== x.expected).map((x) => x.property);
const result = (r: CheckResult, name: string) => r.results.find((x) => x.property === name)!;
const events = (steps: { event: { type: string } }[]) => steps.map((s) => s.event.type);

describe('KickerStepPostcondition (gisa_vcpu_kicker restores the IAM and stops, or kicks one vcpu and re-arms)', () => {
  it('upstream holds it in one-isc', () => {
    const r = checkModel(gisaSpec.model('upstream'));
    expect(result(r, 'KickerStepPostcondition').holds).toBe(true);
  });

  it('planted-kicker-always-restarts breaks it: the kicker re-arms after it restored the IAM (5 steps)', () => {
    const r = checkModel(gisaSpec.model('planted-kicker-always-restarts'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['FreedGisaNotInAlertList', 'KickerStepPostcondition']);
    const v = result(r, 'KickerStepPostcondition');
    // by hand: ISC 3 registered (alert.mask 0x10) and alerting (IPM 0x10, IAM 0, listed), unregistered (mask 0), the GAL handler
    // arms the kicker; pending_mask = IPM & mask = 0, so the kernel restores IAM = 0 and returns HRTIMER_NORESTART; the plant stays armed
    expect(events(v.trace)).toEqual(['kvm_s390_gisc_register', 'GISA_ADAPTER_INTERRUPTION', 'kvm_s390_gisc_unregister', 'gib_alert_irq_handler', 'gisa_vcpu_kicker']);
    expect(v.trace.at(-1)!.after['ctx.vms.0.faults']).toBe(FAULT.KICKER_STEP_POST);
  });
});

describe('GibPassPostcondition (each pass of process_gib_alert_list unlinks the whole list it took)', () => {
  it('upstream holds it in two-vms and one-isc', () => {
    expect(result(checkModel(gibSpec.model('upstream')), 'GibPassPostcondition').holds).toBe(true);
    expect(result(checkModel(gisaSpec.model('upstream')), 'GibPassPostcondition').holds).toBe(true);
  });

  it('planted-first-pass-one-gisa breaks it alone: both GISAs alerted, the first pass unlinks only VM 0 (3 steps)', () => {
    const r = checkModel(gibSpec.model('planted-first-pass-one-gisa'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['GibPassPostcondition']);
    const v = result(r, 'GibPassPostcondition');
    expect(events(v.trace)).toEqual(['gisa_alert', 'gisa_alert', 'gib_alert_irq_handler']);
    // VM 1 is still listed after the first pass
    expect(v.trace.at(-1)!.after['ctx.gib.list']).toBe(2);
  });

  it('planted-single-pass (the final pass walks nothing) breaks it as well as GibTypeOK', () => {
    const r = checkModel(gibSpec.model('planted-single-pass'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['GibPassPostcondition', 'GibTypeOK']);
  });
});

describe('flic-get-all-two-iscs (ISC 0 and ISC 7: the ends of get_all_floating_irqs\' IPM scan)', () => {
  it('upstream: only the one-isc finding (FreedGisaNotInAlertList), the IPM ledger holds, 1,460 states', () => {
    const r = checkModel(gisaSpec.model('upstream', 'flic-get-all-two-iscs'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['FreedGisaNotInAlertList']);
    expect(r.states).toBe(1460);
  });

  it('planted-get-all-stops-before-isc7: an ISC 7 interruption survives GET_ALL in the IPM (AdapterInterruptionLedger, 2 steps)', () => {
    const r = checkModel(gisaSpec.model('planted-get-all-stops-before-isc7', 'flic-get-all-two-iscs'));
    expect(mismatches(r)).toEqual([]);
    expect(violated(r)).toEqual(['AdapterInterruptionLedger', 'FreedGisaNotInAlertList']);
    const v = result(r, 'AdapterInterruptionLedger');
    // by hand: ISC 7 is IPM bit 0x01 (0x80 >> 7); GET_ALL must test-and-clear it, the plant's loop ends at ISC 6
    expect(events(v.trace)).toEqual(['GISA_ADAPTER_INTERRUPTION', 'KVM_DEV_FLIC_GET_ALL_IRQS']);
    expect(v.trace[0]!.after['ctx.vms.0.gisa.ipm']).toBe(0x01);
  });
});
