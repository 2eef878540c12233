// Issue 11, two callers of process_gib_alert_list at once: the gal-destroy (the GAL interruption
// handler against kvm_s390_gisa_destroy, whose own call of process_gib_alert_list is split into the
// same steps) and two-vms-destroy (two VMs' destroys) configurations
// (machines/gisa/kvm_s390_gisa_interrupt.bounds.ts): each variant's exact violations with the length
// of its shortest trace, and the mechanism of each trace. The POR differential
// (test/check/por.test.ts) covers these configurations too.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';

const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;

const violated = (r: CheckResult) => Object.fromEntries(r.results.filter((x) => !x.holds).map((x) => [x.property, x.trace.length]));
const traceOf = (r: CheckResult, property: string) => r.results.find((x) => x.property === property)!.trace.map((s) => `${s.thread ?? '-'} ${s.event.type}`);
const at = (trace: string[], step: string, from = 0) => {
  const i = trace.indexOf(step, from);
  expect(i, `${step} in the trace`).toBeGreaterThanOrEqual(0);
  return i;
};
const ordered = (xs: number[]) => expect(xs).toEqual([...xs].sort((a, b) => a - b));

const XCHG = 'process_gib_alert_list@xchg(alert_list_origin, final ? NULL_GISA_ADDR : NONE_GISA_ADDR)';
const UNLINK = 'process_gib_alert_list@gisa->next_alert = gisa_phys';
const START = 'process_gib_alert_list@hrtimer_start(gi->timer, 0)';

// Expected by hand from interrupt.c v6.17-rc4 (process_gib_alert_list, kvm_s390_gisa_destroy), counting the steps of the
// traces the mechanism tests below pin down, not copied from a run:
// - GalWalkSeesLiveGisa, gal-destroy (8): the destroy's WARN and alert.mask = 0 (2), the handler's xchg and unlink (2), the
//   destroy's gisa_set_iam(0) (not listed any more: 0), hrtimer_cancel (nothing armed), gi->origin = NULL (3), the handler's
//   hrtimer_start (1).
// - NoGisaUseAfterFree, gal-destroy (10): WARN, mask = 0, gisa_set_iam -EBUSY (3), the handler's xchg (1), the destroy's walk:
//   xchg(NONE) finds NONE_GISA_ADDR, xchg(NULL) (2), hrtimer_cancel, origin = NULL (2), free_page (1), the handler's unlink (1);
//   FreedGisaNotInAlertList is the state before that unlink (9).
// - two-vms-destroy: the same with destroy_vm1's walk holding VM 0's GISA: 3 steps of each destroy before the walks, destroy_vm1's
//   xchg, destroy_vm0's two xchgs, cancel, origin = NULL, free_page, the unlink (13; the state before it, 12); or destroy_vm1's xchg
//   and unlink of VM 0, then destroy_vm0's gisa_set_iam (0), cancel, origin = NULL and destroy_vm1's hrtimer_start (2 + 2 + 3 + 3 + 1 = 11).
// (proposed-gib-walk-lock, which holds everything in both, is test/commands/configurations.test.ts's and por.test's)
const CASES: [variant: string, configuration: string, expected: Record<string, number>][] = [
  ['upstream', 'gal-destroy', { FreedGisaNotInAlertList: 9, GalWalkSeesLiveGisa: 8, NoGisaUseAfterFree: 10 }],
  // the handler's one xchg(NONE_GISA_ADDR), its unlink and hrtimer_start, and return: NONE_GISA_ADDR left behind (3)
  ['planted-gal-single-pass', 'gal-destroy', { FreedGisaNotInAlertList: 9, GalWalkSeesLiveGisa: 8, NoGisaUseAfterFree: 10, AlertListNotStranded: 3 }],
  ['upstream', 'two-vms-destroy', { FreedGisaNotInAlertList: 12, GalWalkSeesLiveGisa: 11, NoGisaUseAfterFree: 13 }],
  // v5.2's destroy spins until the handler unlinked the GISA (no free while linked), then cancels and clears gi->origin before the
  // handler's hrtimer_start: its check of the mask (1), the handler's xchg and unlink (2), the spin, cancel, origin = NULL (3), start (1)
  ['gisa-destroy-v5.2', 'gal-destroy', { GalWalkSeesLiveGisa: 7 }],
];

describe('two callers of process_gib_alert_list at once, statement by statement', () => {
  const results = new Map<string, CheckResult>();
  const check = (variant: string, configuration: string) => {
    const key = `${variant}/${configuration}`;
    if (!results.has(key)) results.set(key, checkModel(gisa.model(variant, configuration)));
    return results.get(key)!;
  };
  for (const [variant, configuration, expected] of CASES) {
    it(`${variant} in ${configuration}: exactly ${Object.keys(expected).join(', ') || 'nothing'}`, () => {
      const r = check(variant, configuration);
      expect(violated(r)).toEqual(expected);
      expect(r.matches).toBe(true);
    });
  }

  it('upstream, gal-destroy: the handler unlinked the GISA, the destroy finds it unlisted and returns, and the handler then arms its kicker (gi->origin NULL, past hrtimer_cancel)', () => {
    const r = check('upstream', 'gal-destroy');
    const t = traceOf(r, 'GalWalkSeesLiveGisa');
    const unlink = at(t, `gal ${UNLINK}`);
    const setIam = at(t, 'destroy_vm kvm_s390_gisa_destroy@gisa_set_iam(origin, 0)');
    const cancel = at(t, 'destroy_vm kvm_s390_gisa_destroy@hrtimer_cancel(gi->timer)');
    const nulled = at(t, 'destroy_vm kvm_s390_gisa_destroy@gi->origin = NULL');
    ordered([unlink, setIam, cancel, nulled]);
    expect(t[t.length - 1]).toBe(`gal ${START}`);
    // no walk of its own: gisa_set_iam did not answer -EBUSY
    expect(t.filter((s) => s.startsWith('destroy_vm process_gib_alert_list'))).toEqual([]);
  });

  it('upstream, gal-destroy: the destroy\'s own walk finds the origin NONE_GISA_ADDR (the handler holds the list), returns, the page is freed, and the handler unlinks the GISA in it', () => {
    const t = traceOf(check('upstream', 'gal-destroy'), 'NoGisaUseAfterFree');
    const cut = at(t, 'gal process_gib_alert_list@xchg(alert_list_origin, NONE_GISA_ADDR)');
    const walk = at(t, `destroy_vm ${XCHG}`);
    const final = at(t, `destroy_vm ${XCHG}`, walk + 1);
    const nulled = at(t, 'destroy_vm kvm_s390_gisa_destroy@gi->origin = NULL');
    const free = at(t, '- free_page_sie_page2');
    ordered([cut, walk, final, nulled, free]);
    expect(t.filter((s) => s === `destroy_vm ${UNLINK}`)).toEqual([]);
    expect(t[t.length - 1]).toBe(`gal ${UNLINK}`);
  });

  it('upstream, two-vms-destroy: one destroy\'s walk holds the other VM\'s GISA across that VM\'s whole destroy and the free of its page', () => {
    const t = traceOf(check('upstream', 'two-vms-destroy'), 'NoGisaUseAfterFree');
    const cut = at(t, `destroy_vm1 ${XCHG}`);
    const other = at(t, `destroy_vm0 ${XCHG}`);
    const nulled = at(t, 'destroy_vm0 kvm_s390_gisa_destroy@gi->origin = NULL');
    const free = at(t, '- free_page_sie_page2');
    ordered([cut, other, nulled, free]);
    expect(t[t.length - 1]).toBe(`destroy_vm1 ${UNLINK}`);
  });

  it('planted-gal-single-pass: the handler returns after its first walk with NONE_GISA_ADDR in the origin', () => {
    const t = traceOf(check('planted-gal-single-pass', 'gal-destroy'), 'AlertListNotStranded');
    expect(t).toEqual(['gal process_gib_alert_list@xchg(alert_list_origin, NONE_GISA_ADDR)', `gal ${UNLINK}`, `gal ${START}`]);
  });
});
