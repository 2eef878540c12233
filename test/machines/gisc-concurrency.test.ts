// Issue 11, the GISA pair "GISC register/unregister against alert processing": the
// register-kicker, register-unregister-kicker and register-unregister-gal configurations
// (machines/gisa/kvm_s390_gisa_interrupt.bounds.ts), each variant's exact violations with the
// length of its shortest trace, and the mechanism of each trace (which step of which thread comes
// between which). The POR differential (test/check/por.test.ts) covers these configurations too.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { GAL_XCHG } from '../../machines/gisa/kvm_s390_gisa_interrupt.threads.ts';

const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;

/** The violated properties of a check with their shortest trace lengths. */
const violated = (r: CheckResult) => Object.fromEntries(r.results.filter((x) => !x.holds).map((x) => [x.property, x.trace.length]));
const traceOf = (r: CheckResult, property: string) => r.results.find((x) => x.property === property)!.trace.map((s) => `${s.thread ?? '-'} ${s.event.type}`);
const at = (trace: string[], step: string) => {
  const i = trace.indexOf(step);
  expect(i, `${step} in the trace`).toBeGreaterThanOrEqual(0);
  return i;
};

// expected by hand from the C (see each variant's description), not copied from a run
const CASES: [variant: string, configuration: string, expected: Record<string, number>][] = [
  ['upstream', 'register-kicker', {}],
  ['upstream-register-unregister-kicker', 'register-unregister-kicker', { IamRestoredOrKickerArmed: 15, NoStaleIamAfterUnregister: 15 }],
  ['upstream', 'register-unregister-gal', { IamRestoredOrKickerArmed: 19, NoStaleIamAfterUnregister: 19 }],
  ['planted-restore-mask-before-loop', 'register-kicker', { IamRestoredOrKickerArmed: 11, RegisteredIscAlerts: 11 }],
  ['planted-register-mask-outside-lock', 'register-kicker', { AlertMaskIsRegisteredIscs: 2, IamRestoredOrKickerArmed: 6, RegisteredIscAlerts: 6 }],
  ['planted-unregister-clears-iam-before-ref-count', 'register-unregister-kicker', { IamRestoredOrKickerArmed: 11, RegisteredIscAlerts: 11, NoStaleIamAfterUnregister: 16 }],
  ['planted-gal-start-before-unlink', 'register-unregister-gal', { IamRestoredOrKickerArmed: 15, RegisteredIscAlerts: 15, NoStaleIamAfterUnregister: 19 }],
];

describe('GISC register/unregister against alert processing, statement by statement', () => {
  for (const [variant, configuration, expected] of CASES) {
    // reduced (the default); test/check/por.test.ts shows the full exploration finds the same, with traces as short
    it(`${variant} in ${configuration}: exactly ${Object.keys(expected).join(', ') || 'nothing'}`, () => {
      const r = checkModel(gisa.model(variant, configuration));
      expect(r.por?.reduced).toBe(true);
      expect(violated(r)).toEqual(expected);
      expect(r.matches).toBe(true);
    });
  }

  it('upstream keeps the register direction: every registered ISC alerts once ref_lock is free, in every configuration of the pair', () => {
    for (const c of ['register-kicker', 'register-unregister-kicker', 'register-unregister-gal']) {
      const r = checkModel(gisa.model('upstream', c));
      expect(r.results.find((x) => x.property === 'RegisteredIscAlerts')!.holds, c).toBe(true);
    }
  });

  it('the upstream ABA: the kicker reads alert.mask inside register\'s ref_lock section, unregister writes the IAM back, the kicker\'s try_cmpxchg succeeds after it', () => {
    const t = traceOf(checkModel(gisa.model('upstream-register-unregister-kicker', 'register-unregister-kicker')), 'NoStaleIamAfterUnregister');
    const word = at(t, 'kicker gisa_get_ipm_or_restore_iam@READ_ONCE(word)');
    const inc = at(t, 'driver kvm_s390_gisc_register@ref_count[gisc]++');
    const mask = at(t, 'kicker gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)');
    const regIam = at(t, 'driver kvm_s390_gisc_register@gisa_set_iam(origin, alert_mask)');
    const unregIam = at(t, 'driver kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask)');
    const cmpxchg = at(t, 'kicker gisa_get_ipm_or_restore_iam@try_cmpxchg(word)');
    expect([word, inc, mask, regIam, unregIam, cmpxchg]).toEqual([...[word, inc, mask, regIam, unregIam, cmpxchg]].sort((a, b) => a - b));
  });

  it('planted-restore-mask-before-loop: register changes the word between the mask read and the try_cmpxchg; the retry restores the stale mask', () => {
    const t = traceOf(checkModel(gisa.model('planted-restore-mask-before-loop', 'register-kicker')), 'RegisteredIscAlerts');
    const mask = at(t, 'kicker gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)');
    const regIam = at(t, 'driver kvm_s390_gisc_register@gisa_set_iam(origin, alert_mask)');
    const stale = at(t, 'kicker gisa_get_ipm_or_restore_iam@pending_mask = (word >> 24) & alert_mask (mask read before the loop)');
    expect(mask).toBeLessThan(regIam);
    expect(regIam).toBeLessThan(stale);
    expect(t[t.length - 1]).toBe('driver kvm_s390_gisc_register@spin_unlock(ref_lock)');
  });

  it('planted-gal-start-before-unlink: the kicker runs on the still-linked GISA, an interruption clears the IAM, the unlink leaves nothing armed', () => {
    const t = traceOf(checkModel(gisa.model('planted-gal-start-before-unlink', 'register-unregister-gal')), 'RegisteredIscAlerts');
    const start = at(t, 'gal process_gib_alert_list@hrtimer_start(gi->timer, 0)');
    const restore = at(t, 'kicker gisa_get_ipm_or_restore_iam@try_cmpxchg(word)');
    const airq = t.lastIndexOf('- GISA_ADAPTER_INTERRUPTION');
    const unlink = at(t, 'gal process_gib_alert_list@gisa->next_alert = gisa_phys');
    expect([start, restore, airq, unlink]).toEqual([start, restore, airq, unlink].sort((a, b) => a - b));
    expect(unlink).toBe(t.length - 1);
  });

  it('the GAL handler thread loops as process_gib_alert_list does: after the list built on NULL_GISA_ADDR it cuts off with NONE again, after one built on NONE with NULL', () => {
    const x = explore(gisa.model('upstream', 'register-unregister-gal'), { por: false });
    type Ctx = { gib: { origin: string }; threads: { locals: Record<string, Record<string, unknown>> } };
    const atXchg = x.states.filter((s) => (s.value as Record<string, unknown>).gal === GAL_XCHG).map((s) => s.context as Ctx);
    // back at the xchg: term is the terminator of the list just processed (0: built on NULL, 1: built on NONE)
    expect(atXchg.some((c) => c.threads.locals.gal!.term === 0 && c.threads.locals.gal!.final === false)).toBe(true);
    expect(atXchg.some((c) => c.threads.locals.gal!.term === 1 && c.threads.locals.gal!.final === false)).toBe(true);
    // and never after the final xchg (NULL): that one ends the loop
    expect(atXchg.some((c) => c.threads.locals.gal!.final === true)).toBe(false);
  });
});
