// Bounds of the dirty-log machine: the memslot's size and the pages the machine tracks,
// the capability arguments of each configuration, and every payload userspace passes,
// including the user buffers that fault and the bits userspace sets past the slot's end.
import type { ConfigurationInfo } from '../../src/spec.ts';

/** memslot->npages: one full 64-page bitmap word and a last partial word of 32 pages. */
export const NPAGES = 96;
/** The pages the machine tracks (offsets in the slot): the first page of each bitmap word. */
export const PAGES = [0, 64] as const;
export type Gfn = (typeof PAGES)[number];
/** The first bit past the slot in its last bitmap word (ALIGN(npages, 64) > npages). */
export const BEYOND = NPAGES;

/** include/uapi/linux/kvm.h */
export const KVM_MEM_LOG_DIRTY_PAGES = 1;
export const KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;
export const KVM_DIRTY_LOG_INITIALLY_SET = 2;
/** include/linux/kvm_host.h: KVM_DIRTY_LOG_MANUAL_CAPS on architectures that can initially set. */
export const KVM_DIRTY_LOG_MANUAL_CAPS = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
/** include/linux/kvm_host.h: KVM_USER_MEM_SLOTS (x86 value; a slot id at or past it is refused). */
export const KVM_USER_MEM_SLOTS = 32764;

/** Return values as the ioctl returns them (negative errno). */
export const ENOENT = -2;
export const EFAULT = -14;
export const EINVAL = -22;
export const ENOTTY = -25;
export const RETURN_CODES = [0, ENOENT, EFAULT, EINVAL, ENOTTY] as const;
/** The ioctls whose return value the machine records in last.rc. */
export const IOCTLS = ['KVM_ENABLE_CAP', 'KVM_SET_USER_MEMORY_REGION', 'KVM_GET_DIRTY_LOG', 'KVM_CLEAR_DIRTY_LOG'] as const;

/** Findings of the lifetime tracker, bits of SlotContext.faults. */
export const DIRTY_FAULT = {
  /** kvm_arch_mmu_enable_log_dirty_pt_masked was asked to protect a gfn past the memslot (an rmap/PTE outside the slot) */
  REPROTECT_BEYOND_SLOT: 1,
} as const;

/** A configuration: what userspace passes in KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) args[0], and which payloads. */
export interface DirtyLogConfiguration extends ConfigurationInfo {
  args: number;
  /** userspace buffers that fault and a slot id past KVM_USER_MEM_SLOTS */
  faults: boolean;
  /** a fine-grained configuration (kvm_memory_slot.threads.ts): vcpus storing against the ioctl as kthread steps */
  fine?: 'get-race' | 'clear-race' | 'clear-locks';
}

export const CONFIGURATIONS: readonly DirtyLogConfiguration[] = [
  {
    id: 'manual',
    description: 'KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE: GET reports, CLEAR re-protects',
    args: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
    faults: false,
  },
  {
    id: 'initially-set',
    description: 'KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with MANUAL_PROTECT_ENABLE | INITIALLY_SET: bitmap starts all ones, nothing protected',
    args: KVM_DIRTY_LOG_MANUAL_CAPS,
    faults: false,
  },
  {
    id: 'legacy',
    description: 'no capability (args 0): KVM_GET_DIRTY_LOG snapshots, clears and re-protects',
    args: 0,
    faults: false,
  },
  {
    id: 'faults',
    description: 'legacy mode with user buffers that fault (copy_to_user in GET, copy_from_user in CLEAR) and a slot id past KVM_USER_MEM_SLOTS',
    args: 0,
    faults: true,
  },
  {
    id: 'get-race',
    description: 'kthread steps (x86 hooks, legacy mode): two vcpus storing to pages 0 and 1 of one bitmap word (fast page fault: try_cmpxchg64, set_bit_le) against KVM_GET_DIRTY_LOG (slots_lock, KVM_MMU_LOCK, the test and xchg of the word, the write protection, the TLB flush, copy_to_user) and userspace copying the pages it got',
    args: 0,
    faults: false,
    fine: 'get-race',
  },
  {
    id: 'clear-race',
    description: 'kthread steps (x86 hooks, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE): the same two vcpus against KVM_GET_DIRTY_LOG (copy of the live bitmap), KVM_CLEAR_DIRTY_LOG of the pages userspace got (copy_from_user, KVM_MMU_LOCK, atomic_long_fetch_andnot, the write protection, the TLB flush) and userspace copying the cleared pages',
    args: 1,
    faults: false,
    fine: 'clear-race',
  },
  {
    id: 'clear-locks',
    description: 'kthread steps as clear-race with one vcpu (page 0): the lock rules of KVM_CLEAR_DIRTY_LOG (NoDoubleAcquire, ReleaseOnlyByOwner) need a dirty bit and an empty mask, not two racing vcpus',
    args: 1,
    faults: false,
    fine: 'clear-locks',
  },
];

/** KVM_ENABLE_CAP args[0] userspace tries: the configuration's, and INITIALLY_SET alone (refused). */
export function enableCapArgs(c: DirtyLogConfiguration): number[] {
  return [c.args, KVM_DIRTY_LOG_INITIALLY_SET];
}


/** struct kvm_clear_dirty_log payloads: every class of (first_page, num_pages) the kernel checks, and the slot's end. */
export const CLEAR_PAYLOADS: readonly { first_page: number; num_pages: number; pastEnd?: boolean; what: string }[] = [
  { first_page: 0, num_pages: 64, what: 'the first word, aligned' },
  { first_page: 64, num_pages: 32, what: 'the last partial word, ending at npages' },
  { first_page: 0, num_pages: 96, what: 'the whole slot' },
  { first_page: 64, num_pages: 0, what: 'empty range: accepted, no-op' },
  { first_page: 32, num_pages: 64, what: 'first_page not a multiple of 64: EINVAL' },
  { first_page: 0, num_pages: 32, what: 'num_pages unaligned and not ending at npages: EINVAL' },
  { first_page: 64, num_pages: 64, what: 'past the end of the slot: EINVAL' },
  { first_page: 128, num_pages: 0, what: 'first_page beyond npages: EINVAL' },
  { first_page: 64, num_pages: 32, pastEnd: true, what: 'the last word with the 32 bits past the slot set too ("it is not a problem if userspace sets them")' },
];

/** Whether KVM_CLEAR_DIRTY_LOG's documented rules accept (first_page, num_pages) for a slot of NPAGES (api.rst 4.117). */
export function clearRangeDocumented(first: number, num: number): boolean {
  return (first & 63) === 0 && first <= NPAGES && num <= NPAGES - first && ((num & 63) === 0 || first + num === NPAGES);
}
