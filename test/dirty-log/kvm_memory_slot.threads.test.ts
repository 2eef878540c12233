// The fine dirty-log configurations (machines/dirty-log/kvm_memory_slot.threads.ts): the planted races
// found with the traces worked out by hand from kvm_main.c, and the windows the kernel comment in
// kvm_get_dirty_log_protect declares harmless shown to be so in upstream.
import { describe, expect, it } from 'vitest';
import { getInitialSnapshot, transition, type AnyMachineSnapshot } from 'xstate';
import { explore, traceTo, enabled } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';
import { kvmMemorySlotSpec as spec } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import { DIRTY_FOUND, type DirtyFineContext } from '../../machines/dirty-log/kvm_memory_slot.threads.ts';

const explored = new Map<string, { m: Model; x: ReturnType<typeof explore> }>();
function ex(variant: string, configuration: string) {
  const key = `${variant}/${configuration}`;
  if (!explored.has(key)) {
    const m = spec.model(variant, configuration);
    explored.set(key, { m, x: explore(m, { por: false }) });
  }
  return explored.get(key)!;
}
const steps = (m: Model, x: ReturnType<typeof explore>, name: string) => traceTo(m, x, x.violations.get(name)!).map((s) => `${(s.event as { thread?: string }).thread} ${s.event.type}`);
/** Runs `thread pc` steps from the initial state, each enabled. */
function run(m: Model, path: string[]): AnyMachineSnapshot {
  return path.reduce((snap, p) => {
    const [thread, type] = [p.slice(0, p.indexOf(' ')), p.slice(p.indexOf(' ') + 1)];
    const e = { type: type!, thread };
    expect(enabled(m, snap, e), p).toBe(true);
    return transition(m.machine, snap, e)[0];
  }, getInitialSnapshot(m.machine) as AnyMachineSnapshot);
}
const ctx = (s: AnyMachineSnapshot) => s.context as DirtyFineContext;

// the legacy GET of v6.17-rc4, step by step
const GET_START = ['userspace kvm_vm_ioctl_get_dirty_log@mutex_lock(slots_lock)', 'userspace kvm_get_dirty_log_protect@KVM_MMU_LOCK(kvm)', 'userspace kvm_get_dirty_log_protect@READ(dirty_bitmap[i])'];
const GET_END = ['userspace kvm_get_dirty_log_protect@KVM_MMU_UNLOCK(kvm)', 'userspace kvm_get_dirty_log_protect@kvm_flush_remote_tlbs_memslot', 'userspace kvm_get_dirty_log_protect@copy_to_user(dirty_bitmap_buffer)', 'userspace kvm_vm_ioctl_get_dirty_log@mutex_unlock(slots_lock)'];
const XCHG = 'userspace kvm_get_dirty_log_protect@xchg(&dirty_bitmap[i], 0)';
const PROTECT = 'userspace kvm_get_dirty_log_protect@kvm_arch_mmu_enable_log_dirty_pt_masked';
const FAULT = (v: number) => [`vcpu${v} guest_write@STORE`, `vcpu${v} fast_pf_fix_direct_spte@try_cmpxchg64(sptep)`, `vcpu${v} mark_page_dirty_in_slot@set_bit_le(rel_gfn)`, `vcpu${v} guest_write@STORE`];
const COPY = 'userspace ram_save_target_page@copy pages';

describe('kvm_memory_slot get-race / clear-race: upstream (v6.17-rc4) keeps every property', () => {
  it('baseline: no violation in either configuration, with and without partial-order reduction', () => {
    for (const c of ['get-race', 'clear-race']) {
      const m = spec.model('baseline', c);
      // offered, not by default: it reduces nothing here (every step is visible to an invariant)
      expect(m.por).toEqual({ byDefault: false });
      expect(ex('baseline', c).x.violations.size, c).toBe(0);
      const reduced = explore(m, { por: true });
      expect(reduced.violations.size, c).toBe(0);
      expect(reduced.por?.ampleStates, c).toBe(0);
      expect(reduced.states.length, c).toBe(explore(m, { por: false }).states.length);
    }
  });

  it('"Between 2 and 4, the guest may write to the page using the remaining TLB entry": that store is in the GET\'s snapshot', () => {
    const { m } = ex('baseline', 'get-race');
    // vcpu0 dirties page 0 and keeps a writable TLB entry; the GET takes and protects it; vcpu0 stores through the TLB before the flush
    const s = run(m, [...FAULT(0), ...GET_START, XCHG, PROTECT, 'vcpu0 guest_write@STORE', ...GET_END]);
    expect(ctx(s).pages[0]).toEqual({ dirty: false, wp: true, tlb: false, stale: true, since: false, reported: true });
    expect(m.invariants.every((i) => i.holds({ value: s.value, context: s.context } as never))).toBe(true);
  });

  it('a vcpu between try_cmpxchg64 and set_bit_le while the GET takes the word: the bit lands after the xchg and the next GET reports it', () => {
    const { m } = ex('baseline', 'get-race');
    const [store, cmpxchg, setBit, retry] = FAULT(1);
    // page 0 dirty (so the word is taken); vcpu1 has made page 1 writable but not marked it yet
    const s = run(m, [...FAULT(0), store!, cmpxchg!, ...GET_START, XCHG, PROTECT, ...GET_END, COPY, setBit!, retry!]);
    // page 1: writable, stale, and dirty in the bitmap for the next GET
    expect(ctx(s).pages[1]).toMatchObject({ dirty: true, wp: false, stale: true });
    const next = run(m, [...FAULT(0), store!, cmpxchg!, ...GET_START, XCHG, PROTECT, ...GET_END, COPY, setBit!, retry!, ...GET_START, XCHG, PROTECT, ...GET_END]);
    expect(ctx(next).pages[1]).toMatchObject({ dirty: false, wp: true, tlb: false, reported: true });
  });
});

describe('kvm_memory_slot get-race / clear-race: each planted race loses a store, with the shortest trace', () => {
  it('race-get-read-without-xchg: vcpu1\'s set_bit_le between the read of the word and its store of 0 is lost, page 1 stays writable', () => {
    const { m, x } = ex('race-get-read-without-xchg', 'get-race');
    expect([...x.violations.keys()].sort()).toEqual(['DirtyOrWriteProtected', 'GetDirtyLogPostcondition', 'GetReportsEveryDirtiedPage', 'NoLostWrite']);
    expect(steps(m, x, 'NoLostWrite')).toEqual([
      ...FAULT(0).slice(0, 3),
      ...FAULT(1).slice(0, 2),
      ...GET_START,
      'userspace kvm_get_dirty_log_protect@mask = dirty_bitmap[i]',
      'vcpu1 mark_page_dirty_in_slot@set_bit_le(rel_gfn)',
      'userspace kvm_get_dirty_log_protect@dirty_bitmap[i] = 0',
      PROTECT,
      ...GET_END,
      COPY,
      'vcpu1 guest_write@STORE',
    ]);
  });

  it('race-get-protect-before-xchg: vcpu1 makes page 1 writable after the test read the word, the xchg takes its bit, nothing protects it', () => {
    const { m, x } = ex('race-get-protect-before-xchg', 'get-race');
    expect(steps(m, x, 'NoLostWrite')).toEqual([
      ...FAULT(0).slice(0, 3),
      ...FAULT(1).slice(0, 2),
      ...GET_START,
      'vcpu1 mark_page_dirty_in_slot@set_bit_le(rel_gfn)',
      'userspace kvm_get_dirty_log_protect@protect(seen)',
      XCHG,
      ...GET_END,
      COPY,
      'vcpu1 guest_write@STORE',
    ]);
  });

  it('race-get-no-tlb-flush: the store after userspace\'s copy goes through the TLB entry the GET left', () => {
    const { m, x } = ex('race-get-no-tlb-flush', 'get-race');
    expect(steps(m, x, 'NoLostWrite')).toEqual([...FAULT(0), ...GET_START, XCHG, PROTECT, ...GET_END.filter((s) => !s.includes('flush')), COPY, 'vcpu0 guest_write@STORE']);
  });

  it('race-clear-protect-before-clear: the fault between the protection and the fetch_andnot re-dirties the page, the CLEAR clears its bit', () => {
    const { m, x } = ex('race-clear-protect-before-clear', 'clear-race');
    expect([...x.violations.keys()].sort()).toEqual(['ClearDirtyLogPostcondition', 'DirtyOrWriteProtected', 'GetReportsEveryDirtiedPage', 'NoLostWrite']);
    expect(steps(m, x, 'NoLostWrite')).toEqual([
      'vcpu0 guest_write@STORE',
      'userspace kvm_vm_ioctl_clear_dirty_log@mutex_lock(slots_lock)',
      'userspace kvm_clear_dirty_log_protect@copy_from_user(dirty_bitmap_buffer)',
      'userspace kvm_clear_dirty_log_protect@KVM_MMU_LOCK(kvm)',
      'userspace kvm_clear_dirty_log_protect@kvm_arch_mmu_enable_log_dirty_pt_masked',
      'vcpu0 fast_pf_fix_direct_spte@try_cmpxchg64(sptep)',
      'vcpu0 mark_page_dirty_in_slot@set_bit_le(rel_gfn)',
      'userspace kvm_clear_dirty_log_protect@atomic_long_fetch_andnot(mask, p)',
      'userspace kvm_clear_dirty_log_protect@KVM_MMU_UNLOCK(kvm)',
      'userspace kvm_clear_dirty_log_protect@kvm_flush_remote_tlbs_memslot',
      'userspace kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)',
      COPY,
      'vcpu0 guest_write@STORE',
    ]);
  });

  it('race-clear-no-tlb-flush: 13 steps, the lost store through the TLB entry the CLEAR left', () => {
    const { m, x } = ex('race-clear-no-tlb-flush', 'clear-race');
    const t = steps(m, x, 'NoLostWrite');
    expect(t).toHaveLength(13);
    expect(t.some((s) => s.includes('flush'))).toBe(false);
    expect(t.slice(-2)).toEqual([COPY, 'vcpu0 guest_write@STORE']);
  });

  it('the lock bugs: copy_to_user under mmu_lock sleeps under a spinning lock; a CLEAR without KVM_MMU_UNLOCK returns holding it', () => {
    const a = ex('bug-get-copy-under-mmu-lock', 'get-race');
    expect([...a.x.violations.keys()]).toEqual(['NoSleepUnderSpinlock']);
    expect(steps(a.m, a.x, 'NoSleepUnderSpinlock')).toEqual([...GET_START, 'userspace kvm_get_dirty_log_protect@copy_to_user(dirty_bitmap_buffer)']);
    const b = ex('bug-clear-no-mmu-unlock', 'clear-race');
    expect([...b.x.violations.keys()]).toEqual(['NoReturnHoldingLock']);
    expect(steps(b.m, b.x, 'NoReturnHoldingLock').at(-1)).toBe('userspace kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)');
  });

  // clear-locks (one vcpu; 119 and 150 states): the posted patch that takes mmu_lock only around the write protection, a hunk lost.
  // The traces worked out from the C: a CLEAR needs page 0's bit set (vcpu0's fault: store, cmpxchg, set_bit_le) for mask != 0;
  // with nothing dirty (the start) the fetch_andnot leaves mask 0 and the `if (mask)` block is skipped.
  it('the lock rules: KVM_MMU_LOCK kept before the loop is taken twice; KVM_MMU_UNLOCK kept after it releases what the thread does not hold', () => {
    const a = ex('bug-clear-mmu-lock-kept', 'clear-locks');
    expect(steps(a.m, a.x, 'NoDoubleAcquire')).toEqual([...FAULT(0).slice(0, 3), ...CLEAR_START, FETCH, 'userspace kvm_clear_dirty_log_protect@KVM_MMU_LOCK(kvm) in if (mask)']);
    // mask 0: the block and its unlock skipped, the ioctl returns with the outer lock
    expect(steps(a.m, a.x, 'NoReturnHoldingLock')).toEqual([...CLEAR_START, FETCH, 'userspace kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)']);
    const b = ex('bug-clear-mmu-unlock-kept', 'clear-locks');
    expect(steps(b.m, b.x, 'ReleaseOnlyByOwner')).toEqual([CLEAR_START[0], CLEAR_START[1], FETCH, 'userspace kvm_clear_dirty_log_protect@KVM_MMU_UNLOCK(kvm)']);
    // upstream in the same configuration keeps every property
    expect(ex('baseline', 'clear-locks').x.violations.size).toBe(0);
  });
});

// Issue 14: the postconditions of KVM_GET_DIRTY_LOG / KVM_CLEAR_DIRTY_LOG (kvm_memory_slot.ghost.ts), step by step and at the return
const CLEAR_START = ['userspace kvm_vm_ioctl_clear_dirty_log@mutex_lock(slots_lock)', 'userspace kvm_clear_dirty_log_protect@copy_from_user(dirty_bitmap_buffer)', 'userspace kvm_clear_dirty_log_protect@KVM_MMU_LOCK(kvm)'];
const FETCH = 'userspace kvm_clear_dirty_log_protect@atomic_long_fetch_andnot(mask, p)';
const found = (s: AnyMachineSnapshot) => ctx(s).threads.found.userspace ?? 0;
describe('kvm_memory_slot get-race / clear-race: GetDirtyLogPostcondition and ClearDirtyLogPostcondition', () => {
  it('a planted statement bug no store is lost to breaks its own postcondition at that statement (test/machines/seed-areas.test.ts: and nothing else)', () => {
    const g = spec.model('bug-get-protect-whole-word', 'get-race');
    // page 0 dirty, vcpu1 between try_cmpxchg64 and set_bit_le (page 1 writable, bit clear): the GET takes mask 1 and protects page 1 too
    const before = [...FAULT(0).slice(0, 3), ...FAULT(1).slice(0, 2), ...GET_START, XCHG];
    const taken = run(g, before);
    expect(found(taken)).toBe(0);
    expect(ctx(taken).threads.locals.userspace).toMatchObject({ mask: 1, flush: true });
    const wrong = run(g, [...before, PROTECT]);
    expect(ctx(wrong).pages.map((p) => p.wp)).toEqual([true, true]);
    expect(found(wrong)).toBe(DIRTY_FOUND.GET_POST);
    // the same path upstream protects page 0 only
    expect(ctx(run(spec.model('baseline', 'get-race'), [...before, PROTECT])).pages.map((p) => p.wp)).toEqual([true, false]);
    const c = spec.model('bug-clear-mask-not-anded', 'clear-race');
    // userspace sent both pages (its bitmap is empty), page 0 is dirty: the CLEAR of nothing sets mask to the old word, 1, where 0 bits were cleared
    const cleared = run(c, [...FAULT(0).slice(0, 3), COPY, ...CLEAR_START]);
    expect(found(cleared)).toBe(0);
    expect(ctx(cleared).threads.locals.userspace).toEqual({ user: 0 });
    const bad = run(c, [...FAULT(0).slice(0, 3), COPY, ...CLEAR_START, FETCH]);
    // user is out of scope after the fetch_andnot, its last use (issue 11, deadlocals)
    expect(ctx(bad).threads.locals.userspace).toEqual({ mask: 1, flush: true });
    expect(ctx(bad).pages[0]!.dirty).toBe(true);
    expect(found(bad)).toBe(DIRTY_FOUND.CLEAR_POST);
  });

  it('the LOST races also return with a writable translation of a page whose bit is clear (the return postcondition)', () => {
    const { m, x } = ex('race-get-no-tlb-flush', 'get-race');
    // 12 steps: vcpu0 dirties page 0 and keeps its TLB entry; the GET takes and protects it, never flushes, and returns
    expect(steps(m, x, 'GetDirtyLogPostcondition')).toEqual([...FAULT(0), ...GET_START, XCHG, PROTECT, ...GET_END.filter((s) => !s.includes('flush'))]);
    const r = ex('race-clear-no-tlb-flush', 'clear-race');
    expect(steps(r.m, r.x, 'ClearDirtyLogPostcondition')).toEqual([
      ...FAULT(0),
      ...CLEAR_START,
      FETCH,
      'userspace kvm_clear_dirty_log_protect@kvm_arch_mmu_enable_log_dirty_pt_masked',
      'userspace kvm_clear_dirty_log_protect@KVM_MMU_UNLOCK(kvm)',
      'userspace kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)',
    ]);
    // the planted reorder: fetch_andnot leaves mask as the user's bits (both pages), though none was dirty
    const p = ex('race-clear-protect-before-clear', 'clear-race');
    expect(steps(p.m, p.x, 'ClearDirtyLogPostcondition')).toEqual([...CLEAR_START, 'userspace kvm_clear_dirty_log_protect@kvm_arch_mmu_enable_log_dirty_pt_masked', FETCH]);
  });

  it('an upstream GET and CLEAR racing a vcpu report nothing, with the values the C computes', () => {
    const g = ex('baseline', 'get-race').m;
    // vcpu1 between try_cmpxchg64 and set_bit_le at the xchg: mask 1 (page 0), page 1 left writable and unmarked, then marked: the return holds
    const [store, cmpxchg, setBit] = FAULT(1);
    const s = run(g, [...FAULT(0).slice(0, 3), store!, cmpxchg!, ...GET_START, XCHG, PROTECT, setBit!, ...GET_END]);
    expect(found(s)).toBe(0);
    expect(ctx(s).pages.map((p) => [p.dirty, p.wp, p.tlb, p.reported])).toEqual([[false, true, false, true], [true, false, false, true]]);
    const c = spec.model('baseline', 'clear-race');
    // userspace sent page 0 and 1; vcpu0 dirties page 0, GET copies it (reported), the CLEAR clears and protects page 0 only
    const path = [COPY, ...FAULT(0), 'userspace kvm_vm_ioctl_get_dirty_log@mutex_lock(slots_lock)', 'userspace kvm_get_dirty_log_protect@copy_to_user(dirty_bitmap_buffer)', 'userspace kvm_vm_ioctl_get_dirty_log@mutex_unlock(slots_lock)', ...CLEAR_START];
    expect(ctx(run(c, path)).threads.locals.userspace).toEqual({ user: 1 });
    const t = run(c, [...path, FETCH]);
    // user is out of scope after the fetch_andnot, its last use (issue 11, deadlocals)
    expect(ctx(t).threads.locals.userspace).toEqual({ mask: 1, flush: true });
    expect(found(t)).toBe(0);
  });
});
