// TPI's kvm_s390_get_io_int against a waiting vcpu and the kicker (configurations tpi-window and
// tpi-window-gisa-first; machines/vcpu/kvm_s390_get_io_int.threads.ts). The verdicts of every variant are
// asserted with the manifest (test/system/system.test.ts); here the shape of upstream's finding, read by hand
// from its shortest trace, and the fix's absence of the state it reaches.
import { describe, expect, it } from 'vitest';
import { checkModel, pathTo } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { systemSpec } from '../../machines/system/index.ts';
import type { SystemContext } from '../../machines/context.ts';
import { TPI_PC, TPI_THREAD } from '../../machines/vcpu/kvm_s390_get_io_int.threads.ts';
import { tpiPosts } from '../../machines/vcpu/kvm_s390_get_io_int.stepghost.ts';
import { asleepWithDeliverable } from '../../machines/vcpu/kvm_vcpu.liveness.ts';
import { VCPU_PC } from '../../machines/vcpu/kvm_vcpu.threads.ts';

const ISC3 = 0x10;

describe('tpi-window: kvm_s390_get_io_int\'s set again against a vcpu going to wait', () => {
  const m = systemSpec.model('upstream', 'tpi-window');
  const x = explore(m, { por: false });

  it('upstream: a vcpu that waits while TPI holds the GISA bit sleeps with ISC 3 pending and nothing to wake it', () => {
    expect([...x.violations.keys()]).toEqual(['NoLostWakeupAtSleep']);
    const i = x.violations.get('NoLostWakeupAtSleep')!;
    const steps = pathTo(x, i).events.map((e) => m.events[e]! as { type: string; thread?: string });
    const at = (thread: string, type: string) => steps.findIndex((s) => s.thread === thread && s.type === type);
    // by hand: TPI dequeues the classic one and test-and-clears ISC 3 (equal priority: the classic one wins); vcpu1 waits,
    // finds nothing runnable, restores the IAM (as it was), sleeps; then the set again: 12 steps (TPI's 3, vcpu1's 9 from
    // vcpu_pre_run to schedule())
    expect(steps).toHaveLength(12);
    expect(steps.at(-1)).toEqual({ type: TPI_PC.setAgain, thread: TPI_THREAD });
    expect(at(TPI_THREAD, TPI_PC.topGisa)).toBeLessThan(at('vcpu1', VCPU_PC.runnable));
    expect(at('vcpu1', VCPU_PC.checkBlock)).toBeLessThan(at(TPI_THREAD, TPI_PC.setAgain));
    expect(steps.filter((s) => s.thread === TPI_THREAD)).toHaveLength(3);
    const c = x.states[i]!.context as SystemContext;
    const g = c.vms[0]!.gisa;
    // the bit is back and alerts are enabled for it, but the set again raised no alert: not listed, no kicker armed
    expect([g.ipm & ISC3, g.iam & ISC3, g.timer, c.gib.list, c.gib.galPending]).toEqual([ISC3, ISC3, false, 0, false]);
    expect(asleepWithDeliverable(x.states[i]! as { value: unknown; context: SystemContext }, 0, 1)).toBe(true);
  });

  it('upstream: as liveness, the run may stop there (vcpu0 keeps I/O disabled after its TPI)', () => {
    // the check's own exploration is the full one made above (liveness turns the reduction off)
    const r = checkModel(m, { explorer: () => x });
    const w = r.results.find((p) => p.property === 'WokenFromSchedule')!;
    expect(w.holds).toBe(false);
    // the lasso's stem ends with TPI's store, then no fair step is enabled (no cycle)
    expect((w.trace.at(-1)!.event as { type: string }).type).toBe(TPI_PC.store);
    expect(w.cycle ?? []).toEqual([]);
  });

  it('proposed-tpi-decide-before-taking: no reachable state has vcpu1 asleep with ISC 3 pending', () => {
    const f = explore(systemSpec.model('proposed-tpi-decide-before-taking', 'tpi-window'), { por: false });
    expect([...f.violations.keys()]).toEqual([]);
    expect(f.states.some((s) => asleepWithDeliverable(s as { value: unknown; context: SystemContext }, 0, 1))).toBe(false);
    // not vacuous: vcpu1 does sleep (with nothing pending for it) in some state
    expect(f.states.some((s) => (s.value as Record<string, unknown>).vcpu1 === VCPU_PC.schedule)).toBe(true);
  });
});

// iotriage: the TPI steps' postconditions (machines/vcpu/kvm_s390_get_io_int.stepghost.ts), on hand-made before/after
// states; each expected verdict read from interrupt.c v6.17-rc4 get_top_io_int (first non-empty list open in gcr[6],
// scanning from ISC 0), get_top_gisa_isc (test-and-clear of the highest-priority open IPM bit) and kvm_s390_get_io_int
// (int_word_to_isc(inti) <= isc: gisa_set_ipm_gisc; kzalloc failed: gisa_set_ipm_gisc; else reinject the classic one).
describe('the TPI steps\' postconditions (VcpuThreadStepPostcondition)', () => {
  const posts = tpiPosts(TPI_PC, false);
  const ISC5 = 0x04;
  const vm = (o: { fio?: number[]; ipm?: number; vcpus?: { cr6: number; inSie?: boolean; pswIo?: boolean }[]; aiGiven?: number[] } = {}) => ({
    vcpus: o.vcpus ?? [{ cr6: ISC3 | ISC5, inSie: true, pswIo: false }, { cr6: ISC3, inSie: false, pswIo: true }],
    fio: o.fio ?? [0, 0, 0, 1, 0, 1, 0, 0],
    gisa: { origin: true, ipm: o.ipm ?? ISC3, iam: 0 },
    ioGiven: [0, 0, 0, 0, 0, 0, 0, 0],
    aiGiven: o.aiGiven ?? [0, 0, 0, 0, 0, 0, 0, 0],
    faults: 0,
  });
  const seen = (at: string, b: ReturnType<typeof vm>, a: ReturnType<typeof vm>, lb: Record<string, unknown>, l: Record<string, unknown>, taken?: string, answer?: string) =>
    posts[at]!({ b: { vms: [b], gib: {} }, a: { vms: [a] }, lb, l, taken, raised: [], reported: 0, t: { ix: { vm: 0, vcpu: 0 }, answer } } as never);

  it('get_top_io_int takes ISC 3 before ISC 5 (both open, scan from 0); missing it, or taking ISC 5, fails', () => {
    const b = vm();
    expect(seen(TPI_PC.topIo, b, vm({ fio: [0, 0, 0, 0, 0, 1, 0, 0] }), {}, { inti: 3, took: -1 })).toBe(true);
    expect(seen(TPI_PC.topIo, b, vm({ fio: [0, 0, 0, 1, 0, 0, 0, 0] }), {}, { inti: 5, took: -1 })).toBe(false);
    expect(seen(TPI_PC.topIo, b, vm(), {}, { inti: -1, took: -1 })).toBe(false);
    // ISC 3 closed in the TPI vcpu's gcr[6]: ISC 5 is the one
    const closed = vm({ vcpus: [{ cr6: ISC5 }, { cr6: ISC3 }] });
    expect(seen(TPI_PC.topIo, closed, vm({ vcpus: [{ cr6: ISC5 }, { cr6: ISC3 }], fio: [0, 0, 0, 1, 0, 0, 0, 0] }), {}, { inti: 5, took: -1 })).toBe(true);
  });

  it('get_top_gisa_isc test-and-clears ISC 3; the classic ISC 3 (equal priority) goes to the set again, a classic ISC 5 to the kzalloc', () => {
    const a = vm({ ipm: 0 });
    expect(seen(TPI_PC.topGisa, vm(), a, { inti: 3 }, { inti: 3, took: 3 }, TPI_PC.setAgain)).toBe(true);
    expect(seen(TPI_PC.topGisa, vm(), a, { inti: 3 }, { inti: 3, took: 3 }, TPI_PC.kzalloc)).toBe(false);
    expect(seen(TPI_PC.topGisa, vm(), a, { inti: 5 }, { inti: 5, took: 3 }, TPI_PC.kzalloc)).toBe(true);
    expect(seen(TPI_PC.topGisa, vm(), vm(), { inti: 5 }, { inti: 5, took: 3 }, TPI_PC.kzalloc)).toBe(false); // the bit not cleared
  });

  it('kzalloc: failed, the set again; ok with a classic one, its reinject; nothing shared changes', () => {
    expect(seen(TPI_PC.kzalloc, vm(), vm(), {}, { inti: 5, took: 3 }, TPI_PC.setAgain, 'nomem')).toBe(true);
    expect(seen(TPI_PC.kzalloc, vm(), vm(), {}, { inti: 5, took: 3 }, TPI_PC.reinject, 'nomem')).toBe(false);
    expect(seen(TPI_PC.kzalloc, vm(), vm(), {}, { inti: 5, took: 3 }, TPI_PC.reinject, 'ok')).toBe(true);
  });

  it('gisa_set_ipm_gisc sets the bit again; a vcpu in SIE open for ISC 3 then takes it at once (SIE presentation)', () => {
    const b = vm({ ipm: 0 });
    expect(seen(TPI_PC.setAgain, b, vm({ ipm: ISC3 }), { took: 3 }, { took: 3, backGisa: true })).toBe(true);
    expect(seen(TPI_PC.setAgain, b, vm({ ipm: 0 }), { took: 3 }, { took: 3, backGisa: true })).toBe(false); // dropped
    const inSie = [{ cr6: ISC3 | ISC5, inSie: true, pswIo: false }, { cr6: ISC3, inSie: true, pswIo: true }];
    const taken = [{ cr6: ISC3 | ISC5, inSie: true, pswIo: false }, { cr6: ISC3, inSie: true, pswIo: false }];
    const ai = [0, 0, 0, 1, 0, 0, 0, 0];
    expect(seen(TPI_PC.setAgain, vm({ ipm: 0, vcpus: inSie }), vm({ ipm: 0, vcpus: taken, aiGiven: ai }), { took: 3 }, { took: 3, backGisa: true })).toBe(true);
    expect(seen(TPI_PC.setAgain, vm({ ipm: 0, vcpus: inSie }), vm({ ipm: ISC3, vcpus: inSie }), { took: 3 }, { took: 3, backGisa: true })).toBe(false);
  });
});

// vcpustrength (issue 14): TPI at the ends of the priority scans and with a pending ISC the TPI vcpu's gcr[6] closes. Upstream holds
// every property in both; the states asserted below were read by hand from interrupt.c v6.17-rc4: get_top_io_int scans
// `for (isc = 0; isc <= MAX_ISC && !inti; isc++) if (isc_mask & isc_to_isc_bits(isc))`, get_top_gisa_isc takes the
// highest-priority IPM bit of isc_mask, kvm_s390_get_io_int sets the GISA's ISC again when int_word_to_isc(inti) <= isc, else
// (kzalloc ok) reinjects the classic one and returns the adapter one.
describe('tpi-window-classic-0 and tpi-window-gisa-0: the scans\' ends, an ISC closed in the TPI vcpu\'s CR6', () => {
  const ISC0 = 0x80, ISC7 = 0x01;
  // the TPI thread after handle_tpi returned (a `once` thread: `idle` before its first step)
  const tpiDone = (s: { value: unknown }) => (s.value as Record<string, unknown>)[TPI_THREAD] === 'done';
  const vm0 = (s: { context: unknown }) => (s.context as SystemContext).vms[0]!;

  it('classic-0: upstream holds; TPI hands over the classic ISC 0 and puts ISC 7 back, or (vcpu1 took ISC 0) the adapter ISC 7; ISC 3 (closed) stays in the IPM', () => {
    const m = systemSpec.model('upstream', 'tpi-window-classic-0');
    const x = explore(m, { por: false });
    const r = checkModel(m, { explorer: () => x });
    expect(r.results.filter((p) => !p.holds).map((p) => p.property)).toEqual([]);
    const ends = x.states.filter(tpiDone).map((s) => {
      const k = vm0(s);
      return { io0: k.ioGiven![0], ai7: k.aiGiven![7], ai3: k.aiGiven![3], ipm3: (k.gisa.ipm & ISC3) !== 0 };
    });
    expect(ends.length).toBeGreaterThan(0);
    // nobody ever takes ISC 3: closed in both vcpus' CR6
    expect(ends.every((e) => e.ai3 === 0 && e.ipm3)).toBe(true);
    // the classic ISC 0 handed over exactly once in every final state of TPI (by TPI's store or vcpu1's __deliver_io)
    expect(ends.every((e) => e.io0 === 1)).toBe(true);
    // TPI (vcpu0) handed the guest ISC 7 in some run: vcpu1 took the classic ISC 0 first, kzalloc ok
    expect(ends.some((e) => e.ai7 === 1)).toBe(true);
    // and in some run ISC 7 is back in the IPM after TPI: the classic ISC 0 won (0 <= 7), gisa_set_ipm_gisc
    expect(x.states.some((s) => tpiDone(s) && (vm0(s).gisa.ipm & ISC7) !== 0 && vm0(s).ioGiven![0] === 1)).toBe(true);
  });

  it('gisa-0: upstream holds; TPI hands over the adapter ISC 0 and reinjects the classic ISC 7; the classic ISC 3 (closed) stays queued', () => {
    const m = systemSpec.model('upstream', 'tpi-window-gisa-0');
    const x = explore(m, { por: false });
    const r = checkModel(m, { explorer: () => x });
    expect(r.results.filter((p) => !p.holds).map((p) => p.property)).toEqual([]);
    expect(x.states.every((s) => vm0(s).fio![3] === 1 && vm0(s).ioGiven![3] === 0)).toBe(true);
    // TPI took ISC 0 (not "no AI in GISA"), reinjected ISC 7 and stored the adapter interruption: aiGiven[0] with ISC 7 back on the list or handed over by vcpu1
    expect(x.states.some((s) => tpiDone(s) && vm0(s).aiGiven![0] === 1 && (vm0(s).gisa.ipm & ISC0) === 0 && vm0(s).fio![7]! + vm0(s).ioGiven![7]! === 1)).toBe(true);
    // the adapter ISC 0 is only ever handed over by TPI (vcpu1's CR6 is closed for it): never twice
    expect(x.states.every((s) => vm0(s).aiGiven![0]! <= 1)).toBe(true);
  });
});

// vcpustrength (issue 14): tpi-window's finding through the kzalloc's failure, with the GISA's ISC 0 above the classic ISC 7
// (kvm_s390_get_io_int: 7 > 0, gisa_out; tmp_inti NULL: "else gisa_set_ipm_gisc(gi->origin, isc)"), vcpu1 open for ISC 0.
describe('tpi-window-nomem-0: the set again after a failed kzalloc', () => {
  const m = systemSpec.model('upstream', 'tpi-window-nomem-0');
  const x = explore(m, { por: false });
  const vm0 = (s: { context: unknown }) => (s.context as SystemContext).vms[0]!;

  it('upstream: vcpu1 sleeps with ISC 0 set again (13 steps); or SIE presents it at vcpu1\'s entry', () => {
    expect([...x.violations.keys()]).toEqual(['NoLostWakeupAtSleep']);
    const i = x.violations.get('NoLostWakeupAtSleep')!;
    const steps = pathTo(x, i).events.map((e) => m.events[e]! as { type: string; thread?: string; answer?: string });
    // by hand: TPI dequeues the classic ISC 7, test-and-clears ISC 0, kzalloc fails; vcpu1's 9 steps to schedule(); the set again
    expect(steps).toHaveLength(13);
    expect(steps.filter((s) => s.thread === TPI_THREAD).map((s) => s.type)).toEqual([TPI_PC.topIo, TPI_PC.topGisa, TPI_PC.kzalloc, TPI_PC.setAgain]);
    expect(steps.at(-1)).toEqual({ type: TPI_PC.setAgain, thread: TPI_THREAD });
    expect(asleepWithDeliverable(x.states[i]! as { value: unknown; context: SystemContext }, 0, 1)).toBe(true);
    // or SIE presents the set-again ISC 0 to vcpu1 (at its entry, sie64a, or at once while it runs enabled): some state has vcpu1 past sie64a
    // with ISC 0 handed over (aiGiven) after TPI set it back (backGisa)
    expect(x.states.some((s) => (s.value as Record<string, unknown>).vcpu1 === VCPU_PC.waitIntercept && vm0(s).aiGiven![0] === 1 && (s.context as SystemContext).threads!.locals[TPI_THREAD]!.backGisa === true)).toBe(true);
  });

  it('proposed-tpi-decide-before-taking: no reachable state has vcpu1 asleep with ISC 0 pending', () => {
    const f = explore(systemSpec.model('proposed-tpi-decide-before-taking', 'tpi-window-nomem-0'), { por: false });
    expect([...f.violations.keys()]).toEqual([]);
    expect(f.states.some((s) => asleepWithDeliverable(s as { value: unknown; context: SystemContext }, 0, 1))).toBe(false);
  });
});
