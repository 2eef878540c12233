// The dirty-log ioctls against guest writes, at the kernel's own granularity (machines/kthread.ts):
// vcpus storing to pages of one bitmap word (the guest's store, x86's lockless fast page fault and
// mark_page_dirty_in_slot's set_bit_le) beside a userspace thread in KVM_GET_DIRTY_LOG /
// KVM_CLEAR_DIRTY_LOG (kvm->slots_lock, KVM_MMU_LOCK, the xchg or atomic_long_fetch_andnot of the
// word, the write protection under mmu_lock, kvm_flush_remote_tlbs_memslot, copy_to_user) and
// copying the pages its migration bitmap holds.
//
// Models: per page of FINE_PAGES (pages 0 and 1 of the slot, both in bitmap word 0) its bit in
//   memslot->dirty_bitmap, the SPTE's write protection, the vcpu's TLB entry (a writable
//   translation cached until kvm_flush_remote_tlbs_memslot: write-protecting the SPTE does not
//   take it away), and three userspace ghosts as in the coarse machine (stale: written after
//   userspace's last copy; reported: in userspace's migration bitmap; since: a completed store not
//   yet covered by a snapshot). One vcpu thread per page (vcpu0 stores to page 0, vcpu1 to page 1; clear-locks: vcpu0 alone);
//   one userspace thread.
// Ignores: the second bitmap word and the bits past the slot (the coarse configurations have them),
//   PML and the D-bit (write-protection tracking only), huge pages, the shadow MMU's rmap walk (the
//   masked write protection is one step under mmu_lock: every writer of the SPTE's W bit other than
//   the fast path holds mmu_lock, and the fast path's try_cmpxchg64 fails and retries against it),
//   the memory ordering of set_bit_le against the xchg (both are full atomics), the KVM_GET_DIRTY_LOG
//   error paths (the coarse `faults` configuration has them), the s390 path (README, "Concurrency":
//   s390 has no CLEAR, no mmu_lock in the GET and no stale TLB entry after IPTE).
//   Userspace copies one page in one step (a store to the page while it is copied is ordered
//   before or after the copy).
// Kernel: virt/kvm/kvm_main.c kvm_vm_ioctl_get_dirty_log, kvm_get_dirty_log_protect,
//   kvm_vm_ioctl_clear_dirty_log, kvm_clear_dirty_log_protect, mark_page_dirty_in_slot;
//   arch/x86/kvm/mmu/mmu.c fast_page_fault / fast_pf_fix_direct_spte,
//   kvm_arch_mmu_enable_log_dirty_pt_masked; arch/x86/kvm/mmu.h KVM_MMU_LOCK (write_lock).
// Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
import { setup, type AnyStateMachine } from 'xstate';
import { acquire, initialThreads, type Branch, kfunction, locksOf, mutex, named, release, spinlock, threadRegion, threadWorld, type KContext, type KFunction, type Step, type ThreadDef, type ThreadsContext, type ThreadView } from '../kthread.ts';
import { DIRTY_FOUND, ghosted } from './kvm_memory_slot.ghost.ts';
import { guestStore, ramSave } from './kvm_memory_slot.env.ts';

/** The pages the fine configurations track: pages 0 and 1 of the slot, both in bitmap word 0 (one xchg takes both). */
export const FINE_PAGES = [0, 1] as const;

export interface FinePage {
  /** bit of the page in memslot->dirty_bitmap (word 0) */
  dirty: boolean;
  /** the SPTE is write-protected: a store through a TLB miss faults */
  wp: boolean;
  /** the vcpu holds a writable TLB entry for the page (until kvm_flush_remote_tlbs_memslot) */
  tlb: boolean;
  /** ghost: the guest wrote the page after userspace's last copy of it */
  stale: boolean;
  /** ghost: a store completed that no snapshot (GET's xchg, a CLEAR's fetch_andnot, the manual GET's copy) has covered yet */
  since: boolean;
  /** userspace: the page is dirty in its migration bitmap */
  reported: boolean;
}

export interface DirtyFineContext extends KContext {
  /** kvm->manual_dirty_log_protect (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) */
  manual: boolean;
  pages: FinePage[];
  threads: ThreadsContext;
}

/** Findings a step reports (threads.found): kvm_memory_slot.ghost.ts (the missed write, the GET and CLEAR postconditions). */
export { DIRTY_FOUND };

/** kvm->slots_lock: KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG hold it across the whole ioctl. */
export const slots_lock = mutex('kvm->slots_lock');
/** kvm->mmu_lock: KVM_MMU_LOCK is write_lock(&kvm->mmu_lock) on x86 (a spinning rwlock: nothing under it may sleep). */
export const mmu_lock = spinlock('kvm->mmu_lock');

/** The races and bugs a variant plants (kvm_memory_slot.variants.ts), each a different transcription of the C. */
export interface FineRace {
  /** kvm_get_dirty_log_protect write-protects the pages the test read before it xchg's the word */
  getProtectBeforeXchg?: boolean;
  /** kvm_get_dirty_log_protect reads the word and stores 0 in two steps instead of xchg */
  getReadWithoutXchg?: boolean;
  /** no kvm_flush_remote_tlbs_memslot after the GET's write protection */
  getNoFlush?: boolean;
  /** copy_to_user before KVM_MMU_UNLOCK */
  getCopyUnderMmuLock?: boolean;
  /** kvm_clear_dirty_log_protect write-protects the user's mask before it clears the bits */
  clearProtectBeforeClear?: boolean;
  /** no kvm_flush_remote_tlbs_memslot after the CLEAR's write protection */
  clearNoFlush?: boolean;
  /** kvm_clear_dirty_log_protect returns without KVM_MMU_UNLOCK */
  clearNoMmuUnlock?: boolean;
  /** kvm_get_dirty_log_protect write-protects the whole word (~0UL) instead of the xchg'd mask */
  getProtectWholeWord?: boolean;
  /** kvm_clear_dirty_log_protect assigns mask = atomic_long_fetch_andnot(mask, p) instead of mask &= (the old word) */
  clearMaskNotAnded?: boolean;
  /**
   * kvm_clear_dirty_log_protect with KVM_MMU_LOCK/KVM_MMU_UNLOCK moved into `if (mask)` around the write
   * protection (as posted in "KVM: Aggressively drop and reacquire mmu_lock during CLEAR_DIRTY_LOG",
   * David Matlack, 2023) with one hunk lost: 'lock-kept' keeps the KVM_MMU_LOCK before the loop,
   * 'unlock-kept' keeps the KVM_MMU_UNLOCK after it
   */
  clearMmuLockInMask?: 'lock-kept' | 'unlock-kept';
}

type C = DirtyFineContext;
const P = (i: number, f: keyof FinePage) => ['pages', i, f] as const;
const ALL = (f: keyof FinePage) => ['pages', '*', f] as const;
/** a step that walks the pages reads how many there are */
const LEN = ['pages', 'length'] as const;
const bitsOf = (c: C, f: keyof FinePage): number => c.pages.reduce((m, p, i) => (p[f] ? m | (1 << i) : m), 0);
const each = (c: C, mask: number, f: (p: FinePage) => void) => c.pages.forEach((p, i) => void (mask & (1 << i) && f(p)));
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * The vcpu storing to its page: the store goes through a writable TLB entry, or walks a writable
 * SPTE (and caches it), or faults on the write-protected SPTE; x86 fast_page_fault then makes the
 * SPTE writable with try_cmpxchg64 (fast_pf_fix_direct_spte, no mmu_lock) and marks the page
 * dirty (mark_page_dirty_in_slot: set_bit_le) after it, and the store is retried.
 */
export function guestWrite(i: number): KFunction<C> {
  const cite = 'arch/x86/kvm/mmu/mmu.c fast_page_fault -> fast_pf_fix_direct_spte; virt/kvm/kvm_main.c mark_page_dirty_in_slot';
  return kfunction<C>('guest_write', cite, [
    // the guest's store is the environment (kvm_memory_slot.env.ts)
    guestStore(i, 'fast_pf_fix_direct_spte@try_cmpxchg64(sptep)'),
    {
      at: 'fast_pf_fix_direct_spte@try_cmpxchg64(sptep)',
      cite: 'arch/x86/kvm/mmu/mmu.c fast_pf_fix_direct_spte: try_cmpxchg64(sptep, &old_spte, new_spte) makes the SPTE writable',
      writes: [P(i, 'wp')],
      uses: [],
      run: (c) => void (c.pages[i]!.wp = false),
    },
    {
      at: 'mark_page_dirty_in_slot@set_bit_le(rel_gfn)',
      cite: 'virt/kvm/kvm_main.c mark_page_dirty_in_slot: set_bit_le(rel_gfn, memslot->dirty_bitmap) (after the SPTE update: "if (is_writable_pte(new_spte) && !is_writable_pte(old_spte)) mark_page_dirty_in_slot")',
      writes: [P(i, 'dirty')],
      uses: [],
      run: (c) => void (c.pages[i]!.dirty = true),
      // the faulting instruction is retried
      next: 'STORE',
    },
  ]);
}

/** Userspace's copy of the pages it got: the environment (QEMU), kvm_memory_slot.env.ts. */
export { ramSave };

const flushStep = (fn: string): Step<C> => ({
  at: `${fn}@kvm_flush_remote_tlbs_memslot`,
  cite: `virt/kvm/kvm_main.c ${fn}: if (flush) kvm_flush_remote_tlbs_memslot(kvm, memslot), after KVM_MMU_UNLOCK`,
  reads: [LEN],
  writes: [ALL('tlb')],
  uses: [],
  run: (c) => c.pages.forEach((p) => void (p.tlb = false)),
});
const protectStep = (fn: string, mask: string): Step<C> => ({
  at: `${fn}@kvm_arch_mmu_enable_log_dirty_pt_masked`,
  cite: 'arch/x86/kvm/mmu/mmu.c kvm_arch_mmu_enable_log_dirty_pt_masked: write-protect the SPTEs of the mask (under mmu_lock)',
  reads: [LEN],
  writes: [ALL('wp')],
  // the mask, and the GET's and CLEAR's postconditions read `mask` (kvm_memory_slot.ghost.ts protectsMask)
  uses: [mask, 'mask'],
  run: (c, t) => each(c, num(t.local[mask]), (p) => void (p.wp = true)),
});

/** KVM_GET_DIRTY_LOG on x86 (legacy or manual mode, as kvm->manual_dirty_log_protect says). */
export function getDirtyLog(r: FineRace): KFunction<C> {
  const fn = 'kvm_get_dirty_log_protect';
  const cite = 'virt/kvm/kvm_main.c kvm_vm_ioctl_get_dirty_log -> kvm_get_dirty_log_protect';
  const UNLOCK_SLOTS = 'kvm_vm_ioctl_get_dirty_log@mutex_unlock(slots_lock)';
  const COPY = 'copy_to_user(dirty_bitmap_buffer)';
  const UNLOCK_MMU = 'KVM_MMU_UNLOCK(kvm)';
  const FLUSH = `${fn}@kvm_flush_remote_tlbs_memslot`;
  const PROTECT = `${fn}@kvm_arch_mmu_enable_log_dirty_pt_masked`;
  const under = !!r.getCopyUnderMmuLock;
  const manual = named('kvm->manual_dirty_log_protect', (c: C) => c.manual);
  const noFlush = named('!flush', (_c: C, t: { local: Record<string, unknown> }) => !t.local.flush);
  const copy: Step<C> = {
    at: COPY,
    cite: 'kvm_get_dirty_log_protect: copy_to_user(log->dirty_bitmap, dirty_bitmap_buffer, n); userspace ORs it into its migration bitmap',
    sleeps: true,
    reads: [LEN, ['manual'], ALL('dirty'), ALL('since')],
    writes: [ALL('reported'), ALL('since')],
    reports: true,
    uses: ['mask'],
    // manual mode: the buffer is the live bitmap; legacy: the words the xchg took (the ghost's snapshot: kvm_memory_slot.ghost.ts)
    run: (c, t) => each(c, c.manual ? bitsOf(c, 'dirty') : num(t.local.mask), (p) => void (p.reported = true)),
    next: under ? [{ if: manual, goto: UNLOCK_SLOTS }, { goto: UNLOCK_MMU }] : UNLOCK_SLOTS,
  };
  const afterMmu = under ? UNLOCK_SLOTS : COPY;
  const test: Step<C> = {
    at: 'READ(dirty_bitmap[i])',
    cite: 'kvm_get_dirty_log_protect: if (!dirty_bitmap[i]) continue; (a plain read of the word)',
    reads: [LEN, ALL('dirty'), ALL('since')],
    writes: [ALL('since')],
    reports: true,
    uses: [],
    run: (c, t) => void (t.local.seen = bitsOf(c, 'dirty')),
    next: [
      { if: named('!dirty_bitmap[i]', (_c: C, t) => !t.local.seen), goto: under ? COPY : UNLOCK_MMU },
      { goto: r.getProtectBeforeXchg ? 'protect(seen)' : r.getReadWithoutXchg ? 'mask = dirty_bitmap[i]' : 'xchg(&dirty_bitmap[i], 0)' },
    ],
  };
  const afterProtect = under ? COPY : UNLOCK_MMU;
  // mask = the word (xchg, or the planted plain read): the buffer's bits, the flush owed
  const takeWord = (c: C, t: ThreadView): number => {
    const mask = bitsOf(c, 'dirty');
    t.local.mask = mask;
    t.local.flush = true;
    return mask;
  };
  const xchg: Step<C> = {
    at: 'xchg(&dirty_bitmap[i], 0)',
    cite: 'kvm_get_dirty_log_protect: flush = true; mask = xchg(&dirty_bitmap[i], 0); dirty_bitmap_buffer[i] = mask',
    reads: [LEN, ALL('dirty'), ALL('since')],
    writes: [ALL('dirty'), ALL('since')],
    reports: true,
    uses: [],
    run: (c, t) => void each(c, takeWord(c, t), (p) => void (p.dirty = false)),
    next: r.getProtectBeforeXchg ? afterProtect : PROTECT,
  };
  const legacy: Step<C>[] = r.getReadWithoutXchg
    ? [
        {
          at: 'mask = dirty_bitmap[i]',
          cite: 'planted: the word read without xchg',
          reads: [LEN, ALL('dirty'), ALL('since')],
          writes: [ALL('since')],
          reports: true,
          uses: [],
          run: (c, t) => void takeWord(c, t),
          next: 'dirty_bitmap[i] = 0',
        },
        { at: 'dirty_bitmap[i] = 0', cite: 'planted: the word cleared by a plain store', reads: [LEN], writes: [ALL('dirty')], uses: [], run: (c) => c.pages.forEach((p) => void (p.dirty = false)), next: PROTECT },
        { ...protectStep(fn, 'mask'), next: afterProtect },
      ]
    : r.getProtectBeforeXchg
      ? [{ ...protectStep(fn, 'seen'), at: 'protect(seen)', cite: 'planted: kvm_arch_mmu_enable_log_dirty_pt_masked of the bits the test read, before the xchg', next: 'xchg(&dirty_bitmap[i], 0)' }, xchg]
      : [
          xchg,
          r.getProtectWholeWord
            ? { ...protectStep(fn, 'mask'), cite: 'planted: kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, memslot, offset, ~0UL)', run: (c: C) => c.pages.forEach((p) => void (p.wp = true)), next: afterProtect }
            : { ...protectStep(fn, 'mask'), next: afterProtect },
        ];
  const steps: Step<C>[] = [
    acquire<C>(slots_lock, 'write', {
      at: 'kvm_vm_ioctl_get_dirty_log@mutex_lock(slots_lock)',
      cite: 'kvm_vm_ioctl_get_dirty_log: mutex_lock(&kvm->slots_lock)',
      reads: [['manual']],
      uses: [],
      next: [{ if: manual, goto: COPY }, { goto: 'KVM_MMU_LOCK(kvm)' }],
    }),
    acquire<C>(mmu_lock, 'write', { at: 'KVM_MMU_LOCK(kvm)', cite: 'kvm_get_dirty_log_protect: KVM_MMU_LOCK(kvm) (legacy mode)', uses: [], next: 'READ(dirty_bitmap[i])' }),
    test,
    ...legacy,
    release<C>(mmu_lock, 'write', {
      at: UNLOCK_MMU,
      cite: 'kvm_get_dirty_log_protect: KVM_MMU_UNLOCK(kvm)',
      uses: ['flush'],
      next: r.getNoFlush ? afterMmu : [{ if: noFlush, goto: afterMmu }, { goto: FLUSH }],
    }),
    ...(r.getNoFlush ? [] : [{ ...flushStep(fn), next: afterMmu }]),
    copy,
    release<C>(slots_lock, 'write', { at: UNLOCK_SLOTS, cite: 'kvm_vm_ioctl_get_dirty_log: mutex_unlock(&kvm->slots_lock)', uses: [], next: 'return' }),
  ];
  return ghosted(kfunction<C>(fn, cite, steps), 'get');
}

/** KVM_CLEAR_DIRTY_LOG of word 0, its user bitmap the pages userspace's migration bitmap holds. */
export function clearDirtyLog(r: FineRace): KFunction<C> {
  const fn = 'kvm_clear_dirty_log_protect';
  const cite = 'virt/kvm/kvm_main.c kvm_vm_ioctl_clear_dirty_log -> kvm_clear_dirty_log_protect';
  const UNLOCK_SLOTS = 'kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)';
  // planted clearNoMmuUnlock: the statement is gone, the loop's exit falls through to the flush
  const UNLOCK_MMU = r.clearNoMmuUnlock ? 'out (KVM_MMU_UNLOCK missing)' : 'KVM_MMU_UNLOCK(kvm)';
  const FLUSH = `${fn}@kvm_flush_remote_tlbs_memslot`;
  const PROTECT = `${fn}@kvm_arch_mmu_enable_log_dirty_pt_masked`;
  const FETCH = 'atomic_long_fetch_andnot(mask, p)';
  const noFlush = named('!flush', (_c: C, t: { local: Record<string, unknown> }) => !t.local.flush);
  const fetchAndnot: Step<C> = {
    at: FETCH,
    cite: 'kvm_clear_dirty_log_protect: mask &= atomic_long_fetch_andnot(mask, p) ("mask contains the bits that really have been cleared")',
    reads: [LEN, ALL('dirty'), ALL('since')],
    writes: [ALL('dirty'), ALL('since')],
    // the CLEAR's postcondition compares flush before and after and reads mask after (kvm_memory_slot.ghost.ts clearPosts): the planted order's mask is copy_from_user's
    uses: r.clearProtectBeforeClear ? ['user', 'flush', 'mask'] : ['user', 'flush'],
    run: (c, t) => {
      const mask = num(t.local.user) & bitsOf(c, 'dirty');
      if (!r.clearProtectBeforeClear) t.local.mask = mask;
      if (mask) t.local.flush = true;
      each(c, mask, (p) => void (p.dirty = false));
    },
    next: r.clearProtectBeforeClear ? UNLOCK_MMU : [{ if: named('mask', (_c: C, t) => !!t.local.mask), goto: PROTECT }, { goto: UNLOCK_MMU }],
  };
  const protect: Step<C> = { ...protectStep(fn, 'mask'), next: r.clearProtectBeforeClear ? FETCH : UNLOCK_MMU };
  const steps: Step<C>[] = [
    acquire<C>(slots_lock, 'write', { at: 'kvm_vm_ioctl_clear_dirty_log@mutex_lock(slots_lock)', cite: 'kvm_vm_ioctl_clear_dirty_log: mutex_lock(&kvm->slots_lock)', uses: [] }),
    {
      at: 'copy_from_user(dirty_bitmap_buffer)',
      cite: 'kvm_clear_dirty_log_protect: copy_from_user(dirty_bitmap_buffer, log->dirty_bitmap, n): the bits userspace got from KVM_GET_DIRTY_LOG and has not sent',
      sleeps: true,
      reads: [LEN, ALL('reported')],
      uses: [],
      run: (c, t) => {
        t.local.user = bitsOf(c, 'reported');
        // a planted order protects the user's mask
        if (r.clearProtectBeforeClear) t.local.mask = t.local.user;
      },
      // if (!mask) continue: an empty user bitmap touches nothing (mmu_lock is still taken)
    },
    acquire<C>(mmu_lock, 'write', { at: 'KVM_MMU_LOCK(kvm)', cite: 'kvm_clear_dirty_log_protect: KVM_MMU_LOCK(kvm)', uses: [], next: r.clearProtectBeforeClear ? PROTECT : FETCH }),
    ...(r.clearMaskNotAnded
      ? [
          {
            ...fetchAndnot,
            cite: 'planted: mask = atomic_long_fetch_andnot(mask, p) (the old word, not the bits really cleared)',
            run: (c: C, t: ThreadView) => {
              const old = bitsOf(c, 'dirty');
              t.local.mask = old;
              if (old) t.local.flush = true;
              each(c, num(t.local.user), (p) => void (p.dirty = false));
            },
          } as Step<C>,
          protect,
        ]
      : []),
    ...(r.clearMaskNotAnded ? [] : r.clearProtectBeforeClear ? [{ ...protect, cite: 'planted: the user mask write-protected before the bits are cleared (flush = true)', run: (c: C, t: { local: Record<string, unknown> }) => { each(c, num(t.local.mask), (p) => void (p.wp = true)); if (num(t.local.mask)) t.local.flush = true; } } as Step<C>, fetchAndnot] : [fetchAndnot, protect]),
    r.clearNoMmuUnlock
      ? { at: UNLOCK_MMU, cite: 'planted: kvm_clear_dirty_log_protect without KVM_MMU_UNLOCK(kvm)', uses: ['flush'], next: r.clearNoFlush ? UNLOCK_SLOTS : [{ if: noFlush, goto: UNLOCK_SLOTS }, { goto: FLUSH }] }
      : release<C>(mmu_lock, 'write', { at: UNLOCK_MMU, cite: 'kvm_clear_dirty_log_protect: KVM_MMU_UNLOCK(kvm)', uses: ['flush'], next: r.clearNoFlush ? UNLOCK_SLOTS : [{ if: noFlush, goto: UNLOCK_SLOTS }, { goto: FLUSH }] }),
    ...(r.clearNoFlush ? [] : [{ ...flushStep(fn), next: UNLOCK_SLOTS }]),
    release<C>(slots_lock, 'write', {
      at: UNLOCK_SLOTS,
      cite: 'kvm_vm_ioctl_clear_dirty_log: mutex_unlock(&kvm->slots_lock); userspace copies the cleared pages after the return',
      reads: [LEN],
      // the ghost: stores to the cleared pages since the fetch_andnot are in the copy userspace makes next
      writes: [ALL('since')],
      uses: ['mask'],
      next: 'return',
    }),
  ];
  if (r.clearMmuLockInMask) {
    // the baseline's slots_lock steps and copy_from_user, around the planted mmu_lock sections
    const [lockSlots, copyFromUser] = steps as [Step<C>, Step<C>];
    const unlockSlots = steps[steps.length - 1]!;
    const flushOrUnlock: Step<C>['next'] = r.clearNoFlush ? UNLOCK_SLOTS : [{ if: noFlush, goto: UNLOCK_SLOTS }, { goto: FLUSH }];
    // the posted patch: the fetch_andnot outside mmu_lock, `if (mask) { KVM_MMU_LOCK; protect; KVM_MMU_UNLOCK; }`, with one hunk lost
    const lockKept = r.clearMmuLockInMask === 'lock-kept';
    const LOCK_IN = 'KVM_MMU_LOCK(kvm) in if (mask)';
    const UNLOCK_IN = 'KVM_MMU_UNLOCK(kvm) in if (mask)';
    // after the loop: lock-kept goes on to the flush (its KVM_MMU_UNLOCK is gone), unlock-kept to the KVM_MMU_UNLOCK it kept
    const after: Branch<C>[] = !lockKept ? [{ goto: UNLOCK_MMU }] : r.clearNoFlush ? [{ goto: UNLOCK_SLOTS }] : [{ if: noFlush, goto: UNLOCK_SLOTS }, { goto: FLUSH }];
    const planted: Step<C>[] = [
      lockSlots,
      { ...copyFromUser, next: lockKept ? 'KVM_MMU_LOCK(kvm)' : FETCH },
      ...(lockKept ? [acquire<C>(mmu_lock, 'write', { at: 'KVM_MMU_LOCK(kvm)', cite: 'planted (hunk lost): kvm_clear_dirty_log_protect keeps KVM_MMU_LOCK(kvm) before the loop', uses: [], next: FETCH })] : []),
      { ...fetchAndnot, next: [{ if: named('mask', (_c: C, t) => !!t.local.mask), goto: LOCK_IN }, ...after] },
      acquire<C>(mmu_lock, 'write', { at: LOCK_IN, cite: 'planted (the posted patch): if (mask) { flush = true; KVM_MMU_LOCK(kvm); ...', uses: [], next: PROTECT }),
      { ...protectStep(fn, 'mask'), next: UNLOCK_IN },
      release<C>(mmu_lock, 'write', { at: UNLOCK_IN, cite: 'planted (the posted patch): ... kvm_arch_mmu_enable_log_dirty_pt_masked(..); KVM_MMU_UNLOCK(kvm); }', uses: ['flush'], next: after }),
      ...(lockKept ? [] : [release<C>(mmu_lock, 'write', { at: UNLOCK_MMU, cite: 'planted (hunk lost): kvm_clear_dirty_log_protect keeps KVM_MMU_UNLOCK(kvm) after the loop', uses: ['flush'], next: flushOrUnlock })]),
      ...(r.clearNoFlush ? [] : [{ ...flushStep(fn), next: UNLOCK_SLOTS }]),
      unlockSlots,
    ];
    return ghosted(kfunction<C>(fn, cite, planted), 'clear');
  }
  return ghosted(kfunction<C>(fn, cite, steps), 'clear');
}

export type FineConfigId = 'get-race' | 'clear-race' | 'clear-locks';

/** The threads of a fine configuration: a vcpu per page (clear-locks: vcpu0 alone), and userspace (GET, CLEAR in manual mode, the copies). */
export function dirtyThreads(config: FineConfigId, r: FineRace = {}): ThreadDef<C>[] {
  const pages = config === 'clear-locks' ? FINE_PAGES.slice(0, 1) : FINE_PAGES;
  const vcpus = pages.map((_, i): ThreadDef<C> => ({ name: `vcpu${i}`, actor: 'guest', fns: [guestWrite(i)], ix: { page: i } }));
  const fns = config === 'get-race' ? [getDirtyLog(r), ramSave] : [getDirtyLog(r), clearDirtyLog(r), ramSave];
  return [...vcpus, { name: 'userspace', actor: 'userspace', fns }];
}

/** After KVM_SET_USER_MEMORY_REGION(KVM_MEM_LOG_DIRTY_PAGES) on x86: bitmap clear, every SPTE protected and flushed; the guest wrote every page before (stale) and userspace's migration bitmap starts all ones. */
export function initialFinePages(): FinePage[] {
  return FINE_PAGES.map(() => ({ dirty: false, wp: true, tlb: false, stale: true, since: false, reported: true }));
}

/** The machine of a fine configuration: one region per thread, the shared data in the context. */
export function createDirtyFineMachine(threads: readonly ThreadDef<C>[], manual: boolean) {
  const world = threadWorld(threads);
  const context: C = { manual, pages: initialFinePages(), threads: initialThreads(threads, locksOf(threads)) };
  return setup({ types: {} as { context: C; events: { type: string; thread?: string } } }).createMachine({
    id: 'kvm_memory_slot',
    type: 'parallel',
    context,
    states: Object.fromEntries(threads.map((t) => [t.name, threadRegion(t, world)])) as never,
  }) as unknown as AnyStateMachine;
}
