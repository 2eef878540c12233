import { describe, expect, it } from 'vitest';
import { getInitialSnapshot, transition, type AnyMachineSnapshot } from 'xstate';
import { explore, stateKey, traceTo, abstractState, enabled } from '../../src/check/explore.ts';
import { runPathTests } from '../../src/paths/cover.ts';
import type { AbstractState, Model } from '../../src/spec.ts';
import { findSpec } from '../../machines/index.ts';
import { kvmMemorySlotSpec as spec } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import { falsePositive } from '../../machines/dirty-log/kvm_memory_slot.invariants.ts';
import type { DirtyLogEvent, SlotContext } from '../../machines/dirty-log/kvm_memory_slot.machine.ts';
import { BEYOND, EFAULT, EINVAL, ENOENT, ENOTTY } from '../../machines/dirty-log/kvm_memory_slot.bounds.ts';
import { dirtyLogConformance } from '../../src/sut/dirty_log.conformance.ts';

const run = (model: Model, events: DirtyLogEvent[]): AnyMachineSnapshot =>
  events.reduce((snap, e) => {
    expect(enabled(model, snap, e), `${e.type} ${JSON.stringify(e)} enabled`).toBe(true);
    return transition(model.machine, snap, e)[0];
  }, getInitialSnapshot(model.machine) as AnyMachineSnapshot);
const ctx = (s: AnyMachineSnapshot) => s.context as SlotContext;
const types = (t: { event: DirtyLogEvent }[]) => t.map((s) => [s.event.type, s.event.gfn ?? s.event.args ?? s.event.first_page]);

// one exploration per (variant, configuration), shared by the tests below
const explored = new Map<string, { m: Model; x: ReturnType<typeof explore> }>();
function explored_(variant: string, configuration: string) {
  const key = `${variant}/${configuration}`;
  if (!explored.has(key)) {
    const m = spec.model(variant, configuration);
    explored.set(key, { m, x: explore(m) });
  }
  return explored.get(key)!;
}

const SET_MR: DirtyLogEvent = { type: 'KVM_SET_USER_MEMORY_REGION', flags: 1 };
const GET: DirtyLogEvent = { type: 'KVM_GET_DIRTY_LOG' };
const MEMSET: DirtyLogEvent = { type: 'kvm_s390_memset_dirty_bitmap' };
const MANUAL: DirtyLogEvent = { type: 'KVM_ENABLE_CAP', args: 1 };
const store = (gfn: number): DirtyLogEvent => ({ type: 'GUEST_STORE', gfn });
const copy = (gfn: number): DirtyLogEvent => ({ type: 'ram_save_target_page', gfn });
const clear = (first_page: number, num_pages: number, extra: Partial<DirtyLogEvent> = {}): DirtyLogEvent => ({ type: 'KVM_CLEAR_DIRTY_LOG', first_page, num_pages, ...extra });

describe('kvm_memory_slot: registry and catalogue', () => {
  it('is registered with its variants and configurations', () => {
    expect(findSpec('kvm_memory_slot')).toBe(spec);
    expect(spec.variants.map((v) => v.id)).toEqual([
      'baseline', 's390', 'v5.0', 'clear-without-reprotect', 'write-guest-without-mark', 's390-write-guest-without-mark',
      'get-without-reprotect', 'legacy-get-keeps-bits', 'manual-get-clears', 'clear-whole-word', 'clear-without-num-pages-check',
      'clear-without-first-page-bound', 'prepare-sets-when-manual',
      'clear-reprotects-unset-bits', 'clear-range-enoent', 'initially-set-first-word', 'initially-set-aligned', 'initially-set-protects',
      'enable-cap-initially-set-alone',
      'enable-cap-drops-initially-set',
      'get-ignores-copy-fault',
      'race-get-protect-before-xchg', 'race-get-read-without-xchg', 'race-get-no-tlb-flush', 'bug-get-copy-under-mmu-lock',
      'race-clear-protect-before-clear', 'race-clear-no-tlb-flush', 'bug-clear-no-mmu-unlock',
      'bug-get-protect-whole-word', 'bug-clear-mask-not-anded',
      'bug-clear-mmu-lock-kept', 'bug-clear-mmu-unlock-kept',
    ]);
    expect(spec.configurations.map((c) => c.id)).toEqual(['manual', 'initially-set', 'legacy', 'faults', 'get-race', 'clear-race', 'clear-locks']);
    // a coarse variant has no threads to check in a fine configuration, and a race variant no coarse event
    expect(() => spec.model('clear-whole-word', 'get-race')).toThrow(/exists only in configuration manual, initially-set, legacy, faults, not 'get-race'/);
    expect(() => spec.model('race-get-no-tlb-flush', 'legacy')).toThrow(/exists only in configuration get-race, not 'legacy'/);
    expect(() => spec.model('nope')).toThrow(/unknown variant 'nope'.*known: baseline/);
  });

  it('records the actor of every transition as the event catalogue does', () => {
    const m = spec.model();
    for (const e of m.events) expect(m.eventInfo[e.type], e.type).toBeDefined();
    const config = m.machine.config as { states: Record<string, { on: Record<string, unknown> }> };
    let checked = 0;
    for (const node of Object.values(config.states))
      for (const [type, t] of Object.entries(node.on))
        for (const tr of ([] as { meta?: { actor?: string } }[]).concat(t as never)) {
          expect(tr.meta?.actor, type).toBe(m.eventInfo[type]!.actor);
          checked++;
        }
    // created: ENABLE_CAP 2, SET_USER_MEMORY_REGION 1, GET 2, CLEAR 3; logging: GUEST_STORE 3,
    // kvm_write_guest_page 1, GET 4, CLEAR 2, ram_save_target_page 1; get_dirty_log_copied:
    // GUEST_STORE 3, kvm_write_guest_page 1, kvm_s390_memset_dirty_bitmap 1
    expect(checked).toBe(24);
  });

  it('every planted bug is checked where its home configuration says, and breaks a property there', () => {
    for (const v of spec.variants) {
      const m = spec.model(v.id);
      expect(m.configurationId, v.id).toBe(v.configuration ?? 'manual');
      if (v.id.startsWith('baseline') || v.id === 's390' || v.id.includes('write-guest')) continue;
      expect(m.expectedViolations.length, `${v.id} in ${m.configurationId}`).toBeGreaterThan(0);
    }
  });
});

// Every variant in every configuration it states violates exactly its expected set: asserted by
// test/machines/seed-areas.test.ts ("every variant in every configuration it states"), whose checks of
// `check --configuration all` are these 95 pairs with the same expectations (compared by hand: the pairs,
// their expectedViolations, no liveness property) on the same default exploration; not explored again here.

describe('kvm_memory_slot: counterexamples and witnesses, traced by hand through the kernel code', () => {
  it('clear-without-reprotect loses the write made after the copy of a cleared, still writable page', () => {
    const { m, x } = explored_('clear-without-reprotect', 'manual');
    const t = traceTo(m, x, x.violations.get('NoLostWrite')!);
    expect(types(t)).toEqual([
      ['KVM_ENABLE_CAP', 1],
      ['KVM_SET_USER_MEMORY_REGION', undefined],
      ['GUEST_STORE', 0],
      ['KVM_CLEAR_DIRTY_LOG', 0],
      ['ram_save_target_page', 0],
      ['GUEST_STORE', 0],
    ]);
    expect(t.map((s) => s.actor)).toEqual(['userspace', 'userspace', 'guest', 'userspace', 'userspace', 'guest']);
    expect(types(traceTo(m, x, x.violations.get('DirtyOrWriteProtected')!))).toEqual(types(t).slice(0, 4));
  });

  it('write-guest-without-mark: a kernel write after the copy is not logged (generic), but s390 catches it with UC', () => {
    const { m, x } = explored_('write-guest-without-mark', 'legacy');
    expect(types(traceTo(m, x, x.violations.get('NoLostWrite')!))).toEqual([
      ['KVM_SET_USER_MEMORY_REGION', undefined],
      ['ram_save_target_page', 0],
      ['kvm_write_guest_page', 0],
    ]);
    const s = run(spec.model('s390-write-guest-without-mark', 'legacy'), [SET_MR, GET, MEMSET, copy(0), { type: 'kvm_write_guest_page', gfn: 0 }]);
    expect(ctx(s).pages[0]).toEqual({ dirty: false, wp: false, uc: true, stale: true, reported: false, since: true });
  });

  it("the seed's benign race is a false positive, never a lost write", () => {
    const { m, x } = explored_('baseline', 'legacy');
    const first = x.states.findIndex((s) => falsePositive(s as AbstractState<SlotContext>));
    // protect (logging starts), guest writes, userspace copies: the page is still logged
    expect(types(traceTo(m, x, first))).toEqual([
      ['KVM_SET_USER_MEMORY_REGION', undefined],
      ['GUEST_STORE', 0],
      ['ram_save_target_page', 0],
    ]);
    // step 4 of the seed: GET reports it dirty again although the copy is current
    const s = run(m, [SET_MR, store(0), copy(0), GET]);
    expect(ctx(s).pages[0]).toEqual({ dirty: false, wp: true, uc: false, stale: false, reported: true, since: false });
    expect(ctx(s).last.got).toEqual([0]);
    expect(x.violations.size).toBe(0);
  });

  it('s390: a write between copy_to_user and memset survives in UC, and in the bitmap when nothing was copied out', () => {
    const m = spec.model('s390', 'legacy');
    const write0: DirtyLogEvent = { type: 'kvm_write_guest_page', gfn: 0 };
    // the second GET finds no UC bit: is_dirty is false, so the memset is skipped and bit 0 stays
    const quiet = run(m, [SET_MR, GET, MEMSET, GET, write0, MEMSET]);
    expect(String(quiet.value)).toBe('logging');
    expect(ctx(quiet).pages[0]).toEqual({ dirty: true, wp: false, uc: true, stale: true, reported: true, since: true });
    expect(ctx(quiet).last).toMatchObject({ op: 'KVM_GET_DIRTY_LOG', rc: 0, got: [] });
    // page 64 dirty in the copy: the memset clears bit 0 as well, UC still holds the write
    const busy = run(m, [SET_MR, GET, MEMSET, store(64), GET, write0, MEMSET]);
    expect(ctx(busy).pages[0]).toEqual({ dirty: false, wp: false, uc: true, stale: true, reported: true, since: true });
    expect(ctx(busy).last.got).toEqual([64]);
    // and the next GET reports it: nothing written since the previous snapshot is missed
    expect(ctx(run(m, [SET_MR, GET, MEMSET, store(64), GET, write0, MEMSET, GET])).copied).toEqual([0]);
  });

  it('manual mode: CLEAR just before the copy re-protects, so a write after the copy is logged', () => {
    const m = spec.model('baseline', 'manual');
    const s = run(m, [MANUAL, SET_MR, store(64), GET, clear(64, 32), copy(64), store(64)]);
    expect(ctx(s).pages[1]).toEqual({ dirty: true, wp: false, uc: false, stale: true, reported: false, since: true });
    expect(ctx(s).mode).toBe(1);
  });

  it('legacy GET with a faulting user buffer: xchg and re-protect happen before copy_to_user, so the bit is lost', () => {
    const { m, x } = explored_('baseline', 'faults');
    expect(types(traceTo(m, x, x.violations.get('GetReportsEveryDirtiedPage')!))).toEqual([
      ['KVM_SET_USER_MEMORY_REGION', undefined],
      ['GUEST_STORE', 0],
      ['KVM_GET_DIRTY_LOG', undefined],
      ['KVM_GET_DIRTY_LOG', undefined],
    ]);
    const s = run(m, [SET_MR, copy(0), store(0), { type: 'KVM_GET_DIRTY_LOG', fault: true }]);
    expect(ctx(s).last.rc).toBe(EFAULT);
    expect(ctx(s).pages[0]).toMatchObject({ dirty: false, wp: true, stale: true, reported: false });
    // s390 returns before its memset: the harvested bit stays for the next GET
    const t = run(spec.model('s390', 'faults'), [SET_MR, GET, MEMSET, copy(0), store(0), { type: 'KVM_GET_DIRTY_LOG', fault: true }]);
    expect(ctx(t).last.rc).toBe(EFAULT);
    expect(ctx(t).pages[0]).toMatchObject({ dirty: true, wp: true, uc: false });
  });

  it('the end of a 96-page slot: the 32 bits past it may be set by userspace, the kernel never reports nor re-protects them', () => {
    const m = spec.model('baseline', 'initially-set');
    const init: DirtyLogEvent = { type: 'KVM_ENABLE_CAP', args: 3 };
    const s = run(m, [init, SET_MR, clear(64, 32, { pastEnd: true })]);
    expect(ctx(s).last).toMatchObject({ rc: 0, sel: [64, BEYOND], touched: [64] });
    expect(ctx(s).faults).toBe(0);
    const bug = spec.model('initially-set-aligned', 'initially-set');
    expect(ctx(run(bug, [init, SET_MR, GET])).last.got).toEqual([0, 64, BEYOND]);
    expect(ctx(run(bug, [init, SET_MR, clear(64, 32, { pastEnd: true })])).faults).toBe(1);
  });

  it('return codes: before logging, in logging, and on s390 (counted from the kernel checks)', () => {
    const m = spec.model('baseline', 'manual');
    const rcAfter = (events: DirtyLogEvent[], model = m) => ctx(run(model, events)).last.rc;
    expect(rcAfter([GET])).toBe(ENOENT);
    expect(rcAfter([clear(32, 64)])).toBe(EINVAL);
    expect(rcAfter([clear(128, 0)])).toBe(ENOENT);
    expect(rcAfter([{ type: 'KVM_ENABLE_CAP', args: 2 }])).toBe(EINVAL);
    const logging: DirtyLogEvent[] = [MANUAL, SET_MR];
    const table = [[0, 64], [64, 32], [0, 96], [64, 0], [32, 64], [0, 32], [64, 64], [128, 0]].map(([f, n]) => rcAfter([...logging, clear(f!, n!)]));
    expect(table).toEqual([0, 0, 0, 0, EINVAL, EINVAL, EINVAL, EINVAL]);
    const s390 = spec.model('s390', 'manual');
    expect(rcAfter([{ type: 'KVM_ENABLE_CAP', args: 1 }], s390)).toBe(EINVAL);
    expect(rcAfter([SET_MR, clear(0, 64)], s390)).toBe(ENOTTY);
    expect(rcAfter([...logging, clear(64, 32)], spec.model('v5.0', 'manual'))).toBe(EINVAL);
    // the s390 GET has not returned while it waits between copy_to_user and memset
    expect(ctx(run(s390, [SET_MR, GET])).last).toMatchObject({ op: 'KVM_GET_DIRTY_LOG', rc: null, got: null });
    expect(rcAfter([SET_MR, { type: 'KVM_GET_DIRTY_LOG', slot: 'bad' }], spec.model('baseline', 'faults'))).toBe(EINVAL);
  });

  it('v5.0: once written, the last partial word can never be re-protected in manual mode', () => {
    const reprotectable = (variant: string) => {
      const m = spec.model(variant, 'manual');
      const start = run(m, [MANUAL, SET_MR, store(64)]);
      const seen = new Set([stateKey(abstractState(start))]);
      const queue = [start];
      while (queue.length) {
        const s = queue.shift()!;
        if (ctx(s).pages[1]!.wp) return true;
        for (const e of m.events) {
          if (!enabled(m, s, e)) continue;
          const n = transition(m.machine, s, e)[0];
          const k = stateKey(abstractState(n));
          if (!seen.has(k)) seen.add(k), queue.push(n);
        }
      }
      return false;
    };
    expect(reprotectable('baseline')).toBe(true);
    expect(reprotectable('v5.0')).toBe(false);
  });

  it('planted bugs: the shortest trace to each new property, read against the kernel', () => {
    const steps = (v: string, c: string, p: string) => {
      const { m, x } = explored_(v, c);
      return types(traceTo(m, x, x.violations.get(p)!));
    };
    // clear-whole-word: page 0 is dirty but already copied (not in the user bitmap); CLEAR of its word cleans it anyway
    expect(steps('clear-whole-word', 'manual', 'ClearTouchesOnlySelected')).toEqual([
      ['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined], ['GUEST_STORE', 0], ['ram_save_target_page', 0], ['KVM_CLEAR_DIRTY_LOG', 0],
    ]);
    // manual-get-clears: the second GET no longer reports the page userspace never cleared
    expect(steps('manual-get-clears', 'manual', 'GetReportsEveryDirtiedPage')).toEqual([
      ['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined], ['GUEST_STORE', 0], ['KVM_GET_DIRTY_LOG', undefined], ['KVM_GET_DIRTY_LOG', undefined],
    ]);
    expect(steps('clear-reprotects-unset-bits', 'manual', 'ClearNeverBeyondSlot')).toEqual([
      ['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined], ['KVM_CLEAR_DIRTY_LOG', 64],
    ]);
    expect(steps('clear-range-enoent', 'manual', 'DirtyLogErrnoMeaning')).toEqual([
      ['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined], ['KVM_CLEAR_DIRTY_LOG', 64],
    ]);
    expect(steps('initially-set-first-word', 'initially-set', 'InitiallySetAllOnes')).toEqual([['KVM_ENABLE_CAP', 3], ['KVM_SET_USER_MEMORY_REGION', undefined]]);
    expect(steps('initially-set-protects', 'initially-set', 'InitiallySetProtectsNothing')).toEqual([['KVM_ENABLE_CAP', 3], ['KVM_SET_USER_MEMORY_REGION', undefined]]);
    expect(steps('enable-cap-initially-set-alone', 'legacy', 'InitiallySetNeedsManual')).toEqual([['KVM_ENABLE_CAP', 2]]);
    expect(steps('get-without-reprotect', 'legacy', 'LegacyGetReprotects')).toEqual([['KVM_SET_USER_MEMORY_REGION', undefined], ['GUEST_STORE', 0], ['KVM_GET_DIRTY_LOG', undefined]]);
    expect(steps('legacy-get-keeps-bits', 'legacy', 'GetClearsBits')).toEqual([['KVM_SET_USER_MEMORY_REGION', undefined], ['GUEST_STORE', 0], ['KVM_GET_DIRTY_LOG', undefined]]);
    // enable-cap-drops-initially-set: the capability answers 0 with INITIALLY_SET asked for, and only MANUAL_PROTECT is on
    expect(steps('enable-cap-drops-initially-set', 'initially-set', 'EnableCapSetsMode')).toEqual([['KVM_ENABLE_CAP', 3]]);
    // get-ignores-copy-fault: the first GET into a faulting buffer already answers 0
    expect(steps('get-ignores-copy-fault', 'faults', 'DirtyLogRefusesDefects')).toEqual([['KVM_SET_USER_MEMORY_REGION', undefined], ['KVM_GET_DIRTY_LOG', undefined]]);
    // clear-without-first-page-bound: CLEAR(first_page 128, num_pages 0) on a 96-page slot answers 0 (api.rst 4.117 refuses first_page > npages)
    expect(steps('clear-without-first-page-bound', 'manual', 'ClearRefusesUndocumentedRanges')).toEqual([
      ['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined], ['KVM_CLEAR_DIRTY_LOG', 128],
    ]);
    // prepare-sets-when-manual: MANUAL_PROTECT_ENABLE alone, the new bitmap is all ones at KVM_SET_USER_MEMORY_REGION
    expect(steps('prepare-sets-when-manual', 'manual', 'LoggingStartsClean')).toEqual([['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined]]);
    expect(steps('clear-without-num-pages-check', 'manual', 'ClearRefusesUndocumentedRanges')).toEqual([
      ['KVM_ENABLE_CAP', 1], ['KVM_SET_USER_MEMORY_REGION', undefined], ['KVM_CLEAR_DIRTY_LOG', 0],
    ]);
  });
});

describe('kvm_memory_slot: model-based tests against the transcription', () => {
  const cases: [string, string][] = [
    ['baseline', 'manual'],
    ['baseline', 'initially-set'],
    ['baseline', 'legacy'],
    ['baseline', 'faults'],
    ['s390', 'legacy'],
    ['s390', 'faults'],
    ['v5.0', 'manual'],
    ['write-guest-without-mark', 'legacy'],
  ];
  for (const [v, c] of cases)
    it(`${v} / ${c}: every state and transition covered, SUT agrees after every step`, async () => {
      const { m, x } = explored_(v, c);
      const r = await runPathTests(m, dirtyLogConformance, x);
      expect(r.failures.map((f) => f.message)).toEqual([]);
      expect(r.statesCovered).toBe(r.states);
      expect(r.transitionsCovered).toBe(r.transitions);
    });

  it('the transcription disagrees with a machine that carries a bug the kernel does not have', async () => {
    const { m, x } = explored_('clear-without-reprotect', 'initially-set');
    const r = await runPathTests(m, dirtyLogConformance, x);
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]!.message).toMatch(/SUT disagrees/);
  });
});
