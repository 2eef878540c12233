// Issue 14: the checker's ghost of the fine dirty-log configurations (kvm_memory_slot.threads.ts).
// Two jobs, both harness (this file is not mutated: src/mutate/scope.ts mutates *.threads.ts,
// *.machine.ts and *.kernel.ts only), applied to a kernel function's steps by `ghosted`, which runs
// each step's body and then, keyed by the step's `at`:
//  - the userspace ghost `since` and the missed-write finding (DIRTY_FOUND.MISSED, read by
//    GetReportsEveryDirtiedPage): at the snapshot points of a GET or a CLEAR, exactly as the step
//    bodies did before they moved here;
//  - the postconditions of KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG, statement by statement and at
//    the ioctl's return (DIRTY_FOUND.GET_POST / CLEAR_POST, read by GetDirtyLogPostcondition /
//    ClearDirtyLogPostcondition), written from virt/kvm/kvm_main.c v6.17-rc4 (Kingxukai/linux
//    9b44fff655e2: kvm_get_dirty_log_protect, kvm_clear_dirty_log_protect) and api.rst 4.8 / 4.118,
//    not from the step bodies. A postcondition compares the step's pages before and after (nothing
//    else runs inside a step) and reads what the step reads or writes, so the order of the other
//    threads' steps cannot change its verdict.
// No context field is added: a finding is a bit of threads.found (t.report), set only when a step
// breaks its postcondition, so the baseline's state counts do not move.
import { probe } from '../../src/check/probe.ts';
import { localsBefore, type Branch, type KFunction, type Locals, type Path, type Step, type ThreadView } from '../kthread.ts';
import type { DirtyFineContext, FinePage } from './kvm_memory_slot.threads.ts';

type C = DirtyFineContext;

/** Findings a step reports (threads.found): a GET snapshot that lacks a completed store (MISSED); a GET or CLEAR step that did not do what its C statement does (GET_POST, CLEAR_POST). */
export const DIRTY_FOUND = { MISSED: 1, GET_POST: 2, CLEAR_POST: 4 } as const;

const bit = (i: number) => 1 << i;
const bits = (ps: readonly FinePage[], f: keyof FinePage): number => ps.reduce((m, p, i) => (p[f] ? m | bit(i) : m), 0);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
/** The fields the kernel writes (dirty_bitmap, the SPTE, the TLB, the user buffer); stale and since are ghosts. */
const KERNEL_FIELDS = ['dirty', 'wp', 'tlb', 'reported'] as const;

/**
 * The snapshot point of a GET or CLEAR: a page with a completed store not covered yet whose bit the
 * snapshot lacks is a missed write (api.rst 4.8); the pages the snapshot takes are covered.
 */
function snapshot(c: C, t: ThreadView, taken: number, clearsCover: boolean): void {
  c.pages.forEach((p, i) => {
    if (p.since && !(taken & bit(i))) t.report(DIRTY_FOUND.MISSED);
    if (clearsCover && taken & bit(i)) p.since = false;
  });
}
const cover = (c: C, mask: number) => c.pages.forEach((p, i) => void (mask & bit(i) && (p.since = false)));

/** What a postcondition sees: the pages before and after the step, the thread's locals before and after, the mode. */
export interface Seen {
  b: readonly FinePage[];
  a: readonly FinePage[];
  lb: Readonly<Locals>;
  l: Readonly<Locals>;
  manual: boolean;
  /** The `goto` of the branch the step takes after its body (the first whose `if` holds); undefined for a step without branches. */
  taken: string | undefined;
}
type Post = (s: Seen) => boolean;
type Book = (c: C, t: ThreadView, s: Seen) => void;

/** Every kernel field of every page unchanged but `except`. */
const unchanged = (s: Seen, ...except: (typeof KERNEL_FIELDS)[number][]): boolean =>
  s.b.every((p, i) => KERNEL_FIELDS.every((f) => except.includes(f) || p[f] === s.a[i]![f]));
/** kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, memslot, offset, mask): the SPTEs of `mask` write-protected, no other. */
const protectsMask: Post = (s) => s.a.every((p, i) => p.wp === (s.b[i]!.wp || !!(num(s.l.mask) & bit(i)))) && unchanged(s, 'wp');
/** kvm_flush_remote_tlbs_memslot: no vcpu keeps a translation of the slot. */
const flushes: Post = (s) => s.a.every((p) => !p.tlb) && unchanged(s, 'tlb');
/**
 * At the ioctl's return (after the flush, if any): a writable translation of a page exists only for a
 * page whose bit is set ("step 4 ensures that writes done after exiting to userspace will be logged
 * for the next call"; api.rst 4.118 "... re-enables dirty tracking"): the vcpu that made it has
 * run set_bit_le first, and nothing the ioctl cleared is still writable through the TLB.
 */
const returnsLogged: Post = (s) => s.a.every((p) => !p.tlb || p.dirty) && unchanged(s);

const GET = 'kvm_get_dirty_log_protect';
const CLEAR = 'kvm_clear_dirty_log_protect';

/** kvm_get_dirty_log_protect, statement by statement (x86: the legacy branch takes and re-protects, the manual one copies the live bitmap). */
export const getPosts: Readonly<Record<string, Post>> = {
  // if (!dirty_bitmap[i]) continue; a plain read: an empty word skips the xchg, the protection and the flush
  'READ(dirty_bitmap[i])': (s) => num(s.l.seen) === bits(s.b, 'dirty') && unchanged(s) && (s.taken === 'KVM_MMU_UNLOCK(kvm)' || s.taken === 'copy_to_user(dirty_bitmap_buffer)') === (bits(s.b, 'dirty') === 0),
  // flush = true; mask = xchg(&dirty_bitmap[i], 0); dirty_bitmap_buffer[i] = mask
  'xchg(&dirty_bitmap[i], 0)': (s) => s.l.mask === bits(s.b, 'dirty') && s.a.every((p) => !p.dirty) && s.l.flush === true && unchanged(s, 'dirty'),
  [`${GET}@kvm_arch_mmu_enable_log_dirty_pt_masked`]: protectsMask,
  [`${GET}@kvm_flush_remote_tlbs_memslot`]: flushes,
  // copy_to_user(log->dirty_bitmap, dirty_bitmap_buffer, n): manual mode, the live bitmap; legacy, the
  // buffer memset to 0 and filled with the xchg'd words; userspace ORs it into its migration bitmap
  'copy_to_user(dirty_bitmap_buffer)': (s) => {
    const buffer = s.manual ? bits(s.b, 'dirty') : num(s.lb.mask);
    return s.a.every((p, i) => p.reported === (s.b[i]!.reported || !!(buffer & bit(i)))) && unchanged(s, 'reported');
  },
  // manual mode re-protects nothing here: KVM_CLEAR_DIRTY_LOG owes it (api.rst 4.8 "unless KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is enabled")
  'kvm_vm_ioctl_get_dirty_log@mutex_unlock(slots_lock)': (s) => (s.manual ? unchanged(s) : returnsLogged(s)),
};

/** kvm_clear_dirty_log_protect, statement by statement (the one word of the fine configurations). */
export const clearPosts: Readonly<Record<string, Post>> = {
  // copy_from_user(dirty_bitmap_buffer, log->dirty_bitmap, n): userspace passes the pages it got and has not sent
  'copy_from_user(dirty_bitmap_buffer)': (s) => s.l.user === bits(s.b, 'reported') && unchanged(s),
  // mask &= atomic_long_fetch_andnot(mask, p): the user's bits cleared in the word, mask = the bits really cleared; if (mask) flush = true
  'atomic_long_fetch_andnot(mask, p)': (s) => {
    const user = num(s.lb.user);
    const cleared = user & bits(s.b, 'dirty');
    return (
      num(s.l.mask) === cleared &&
      s.a.every((p, i) => p.dirty === (s.b[i]!.dirty && !(user & bit(i)))) &&
      !!s.l.flush === (!!s.lb.flush || cleared !== 0) &&
      unchanged(s, 'dirty')
    );
  },
  [`${CLEAR}@kvm_arch_mmu_enable_log_dirty_pt_masked`]: protectsMask,
  [`${CLEAR}@kvm_flush_remote_tlbs_memslot`]: flushes,
  'kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)': returnsLogged,
};

/** The userspace ghost at the snapshot points (what the step bodies did before issue 14 moved it here). */
const getBook: Readonly<Record<string, Book>> = {
  // an empty word is the snapshot: nothing is taken
  'READ(dirty_bitmap[i])': (c, t, s) => void (!num(s.l.seen) && snapshot(c, t, 0, true)),
  'xchg(&dirty_bitmap[i], 0)': (c, t, s) => snapshot(c, t, num(s.l.mask), true),
  // planted race-get-read-without-xchg: the plain read is the snapshot
  'mask = dirty_bitmap[i]': (c, t, s) => snapshot(c, t, num(s.l.mask), true),
  // manual mode: the copy of the live bitmap is the snapshot; legacy: stores since the xchg to the
  // taken pages are in the copy userspace makes after the return ("reported dirty using the snapshot taken before")
  'copy_to_user(dirty_bitmap_buffer)': (c, t, s) => (s.manual ? snapshot(c, t, bits(s.b, 'dirty'), false) : cover(c, num(s.lb.mask))),
};
const clearBook: Readonly<Record<string, Book>> = {
  // the bits really cleared: the stores before them are covered by the copy userspace makes after the return
  'atomic_long_fetch_andnot(mask, p)': (c, _t, s) => cover(c, num(s.lb.user) & bits(s.b, 'dirty')),
  // stores to the cleared pages since the fetch_andnot are in the copy userspace makes next
  'kvm_vm_ioctl_clear_dirty_log@mutex_unlock(slots_lock)': (c, _t, s) => cover(c, num(s.l.mask)),
};

/** What the return postcondition reads beside the step's own footprint. */
const RETURN_READS: readonly Path[] = [['pages', '*', 'tlb'], ['pages', '*', 'dirty'], ['pages', 'length']];

/**
 * `f` with its steps ghosted: the body, then the ghost bookkeeping, then the postcondition (a failure
 * reports `found`). `which`: the GET's or the CLEAR's tables.
 */
export function ghosted(f: KFunction<C>, which: 'get' | 'clear'): KFunction<C> {
  const [posts, book, found] = which === 'get' ? [getPosts, getBook, DIRTY_FOUND.GET_POST] : [clearPosts, clearBook, DIRTY_FOUND.CLEAR_POST];
  return {
    ...f,
    steps: f.steps.map((s): Step<C> => {
      const post = posts[s.at];
      const keep = book[s.at];
      if (!post && !keep) return s;
      const inner = s.run;
      const ret = s.at.endsWith('@mutex_unlock(slots_lock)');
      return {
        ...s,
        ...(post ? { reports: true } : {}),
        ...(ret ? { reads: [...(s.reads ?? []), ...RETURN_READS] } : {}),
        run: (c, t, fx) => {
          const raw = probe.unwrap(c);
          const b = raw.pages.map((p) => ({ ...p }));
          // the locals before the body: the step's declared uses (the footprint verification catches a post reading another)
          const lb = localsBefore(s.uses, t.local, s.at);
          inner?.(c, t, fx);
          const branches = Array.isArray(s.next) ? (s.next as readonly Branch<C>[]) : undefined;
          const taken = branches?.find((x) => !x.if || x.if(raw, t))?.goto;
          const seen: Seen = { b, a: raw.pages, lb, l: t.local, manual: raw.manual, taken };
          keep?.(c, t, seen);
          if (post && !post(seen)) t.report(found);
        },
      };
    }),
  };
}
