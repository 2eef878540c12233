// Safety properties of the dirty log, evaluated in every reachable state (TypeOK first). Each
// documented promise of Documentation/virt/kvm/api.rst (4.8 KVM_GET_DIRTY_LOG, 4.117
// KVM_CLEAR_DIRTY_LOG, 7.18 KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) is one property citing its
// sentence; the kernel's own rules (edde99ce0529, the comment in kvm_clear_dirty_log_protect)
// and the migration tool's need (no write after the last copy is lost) are the others.
// "Logged" means KVM will report the page at the next KVM_GET_DIRTY_LOG: its bit in
// memslot->dirty_bitmap, or on s390 the PGSTE_UC_BIT that kvm_arch_sync_dirty_log harvests.
import type { AbstractState, Invariant } from '../../src/spec.ts';
import {
  BEYOND,
  EFAULT,
  EINVAL,
  ENOENT,
  ENOTTY,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_CAPS,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  PAGES,
  RETURN_CODES,
} from './kvm_memory_slot.bounds.ts';
import type { PageContext, SlotContext } from './kvm_memory_slot.machine.ts';
import { DIRTY_FOUND, type DirtyFineContext } from './kvm_memory_slot.threads.ts';
import { reported } from '../kthread.ts';

type S = AbstractState<SlotContext>;

const logging = (s: S) => s.value === 'logging' || s.value === 'get_dirty_log_copied';
const logged = (p: PageContext) => p.dirty || p.uc;
const isBool = (b: unknown) => b === true || b === false;
const op = (s: S) => s.context.last.op;
const manual = (s: S) => (s.context.mode & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) !== 0;
/** the step returned from KVM_GET_DIRTY_LOG with 0: the generic GET, or the s390 memset that ends it */
const getReturned = (s: S) => s.context.last.got !== null;
const page = (s: S, gfn: number) => s.context.pages[PAGES.indexOf(gfn as (typeof PAGES)[number])];
/**
 * The gfns (BEYOND included) a KVM_CLEAR_DIRTY_LOG selects, worked out here from its request and not taken from the
 * machine: api.rst 4.117 "For each bit that is set in the input bitmap" of the range [first_page, first_page +
 * num_pages): the migration tool sets the pages its bitmap holds (reported: a CLEAR does not change it), and with
 * pastEnd the bits past npages of the last word it copies ("it is not a problem if userspace sets them").
 */
function selected(s: S): number[] {
  const r = s.context.last.req;
  // a CLEAR whose request lost its range selects nothing
  if (!r || r.first === undefined || r.num === undefined) return [];
  const { first, num } = r;
  const pages = PAGES.filter((g) => g >= first && g < first + num && page(s, g)!.reported);
  // the kernel copies whole 64-bit words of the user bitmap: n = ALIGN(num_pages, BITS_PER_LONG) / 8
  const wordsEnd = first + Math.ceil(num / 64) * 64;
  return r.pastEnd && BEYOND >= first && BEYOND < wordsEnd ? [...pages, BEYOND] : pages;
}

/** The properties of one architecture: `s390` drops the ones about an ioctl s390 does not have. */
export function invariants(arch: { s390: boolean }): Invariant<SlotContext>[] {
  return [
    {
      name: 'TypeOK',
      cite: 'struct kvm_memory_slot, kvm->manual_dirty_log_protect (0 or a subset of KVM_DIRTY_LOG_MANUAL_CAPS), ioctl return values; the PGSTE user-change bit only on s390',
      holds: (s) =>
        (s.value === 'created' || logging(s)) &&
        Number.isInteger(s.context.mode) &&
        (s.context.mode & ~KVM_DIRTY_LOG_MANUAL_CAPS) === 0 &&
        (s.context.last.rc === null || (RETURN_CODES as readonly number[]).includes(s.context.last.rc)) &&
        s.context.pages.length === PAGES.length &&
        (s.value === 'get_dirty_log_copied') === (s.context.copied !== null) &&
        (s.value === 'get_dirty_log_copied' || s.context.is_dirty === false) &&
        isBool(s.context.beyond) &&
        s.context.pages.every((p) => isBool(p.dirty) && isBool(p.wp) && isBool(p.uc) && isBool(p.stale) && isBool(p.reported) && isBool(p.since)) &&
        // PGSTE_UC_BIT exists on s390 only
        (arch.s390 || s.context.pages.every((p) => !p.uc)),
    },
    {
      name: 'DirtyOrWriteProtected',
      cite: 'edde99ce0529 "KVM: Write protect memory after slot swap": all pages are either dirty in the current bitmap, or write-protected',
      holds: (s) => !logging(s) || s.context.pages.every((p) => logged(p) || p.wp),
    },
    {
      name: 'NoLostWrite',
      cite: 'kvm_get_dirty_log_protect comment: "to avoid losing track of dirty pages"; a page the guest wrote after its last copy is logged or still in the migration bitmap',
      holds: (s) => !logging(s) || s.context.pages.every((p) => !p.stale || logged(p) || p.reported),
    },
    {
      name: 'GetReportsEveryDirtiedPage',
      cite: 'api.rst 4.8 KVM_GET_DIRTY_LOG: "Given a memory slot, return a bitmap containing any pages dirtied since the last call to this ioctl" (with MANUAL_PROTECT, since userspace last cleared the page: 7.18)',
      holds: (s) => s.context.last.missed.length === 0,
    },
    {
      name: 'GetClearsBits',
      cite: 'api.rst 4.8: "The bits in the dirty bitmap are cleared before the ioctl returns, unless KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is enabled"',
      holds: (s) => op(s) === '' || !getReturned(s) || manual(s) || s.context.last.got!.every((g) => g === BEYOND ? !s.context.beyond : !page(s, g)!.dirty),
    },
    {
      name: 'ManualGetLeavesLog',
      cite: 'api.rst 7.18: "With KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE is set, KVM_GET_DIRTY_LOG will not automatically clear and write-protect all pages that are returned as dirty"',
      holds: (s) => op(s) !== 'KVM_GET_DIRTY_LOG' || !manual(s) || s.context.last.touched.length === 0,
    },
    {
      name: 'LegacyGetReprotects',
      cite: 'api.rst 7.18: without MANUAL_PROTECT_ENABLE, KVM_GET_DIRTY_LOG will "automatically clear and write-protect all pages that are returned as dirty" (s390: protected, or re-dirtied in UC since)',
      holds: (s) => !getReturned(s) || manual(s) || s.context.last.got!.every((g) => g === BEYOND || page(s, g)!.wp || page(s, g)!.uc),
    },
    {
      name: 'GetNothingBeyondSlot',
      cite: 'api.rst 4.8: "return a bitmap ... Bit 0 is the first page in the memory slot": the bitmap holds the slot\'s pages, none past npages',
      holds: (s) => !getReturned(s) || !s.context.last.got!.includes(BEYOND),
    },
    ...(arch.s390
      ? []
      : [
          {
            name: 'ClearCleansSelected',
            cite: 'api.rst 4.117 KVM_CLEAR_DIRTY_LOG: "For each bit that is set in the input bitmap, the corresponding page is marked \\"clean\\" in KVM\'s dirty bitmap, and dirty tracking is re-enabled for that page"',
            holds: (s: S) =>
              op(s) !== 'KVM_CLEAR_DIRTY_LOG' || s.context.last.rc !== 0 || selected(s).every((g) => g === BEYOND || (!page(s, g)!.dirty && page(s, g)!.wp)),
          },
          {
            name: 'ClearTouchesOnlySelected',
            cite: 'api.rst 4.117: only "for each bit that is set in the input bitmap" is a page cleaned and re-protected',
            holds: (s: S) => op(s) !== 'KVM_CLEAR_DIRTY_LOG' || s.context.last.touched.every((g) => selected(s).includes(g)),
          },
          {
            name: 'ClearRefusesUndocumentedRanges',
            cite: 'api.rst 4.117: "first_page must be a multiple of 64; num_pages must also be a multiple of 64 unless first_page + num_pages is the size of the memory slot"',
            holds: (s: S) => {
              const r = s.context.last.req;
              if (op(s) !== 'KVM_CLEAR_DIRTY_LOG' || !r || r.documented) return true;
              return s.context.last.rc !== null && s.context.last.rc < 0 && s.context.last.touched.length === 0;
            },
          },
          {
            name: 'ClearAcceptsDocumentedRanges',
            cite: 'api.rst 4.117: a range by those rules is accepted; "it can always be used as long as KVM_CHECK_EXTENSION confirms that KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is present"',
            holds: (s: S) => {
              const r = s.context.last.req;
              if (op(s) !== 'KVM_CLEAR_DIRTY_LOG' || !r || !logging(s) || r.fault || r.slotBad) return true;
              return !r.documented || s.context.last.rc === 0;
            },
          },
          {
            name: 'ClearNeverBeyondSlot',
            cite: 'kvm_clear_dirty_log_protect: "mask contains the bits that really have been cleared. This never includes any bits beyond the length of the memslot ... therefore it is not a problem if userspace sets them"',
            holds: (s: S) => s.context.faults === 0,
          },
          {
            name: 'InitiallySetAllOnes',
            cite: 'api.rst 7.18: "With KVM_DIRTY_LOG_INITIALLY_SET set, all the bits of the dirty bitmap will be initialized to 1 when created"',
            holds: (s: S) =>
              op(s) !== 'KVM_SET_USER_MEMORY_REGION' || (s.context.mode & KVM_DIRTY_LOG_INITIALLY_SET) === 0 || s.context.pages.every((p) => p.dirty),
          },
          {
            name: 'InitiallySetProtectsNothing',
            cite: 'api.rst 7.18: with INITIALLY_SET "dirty logging can be enabled gradually in small chunks on the first call to KVM_CLEAR_DIRTY_LOG": nothing is write-protected before',
            holds: (s: S) =>
              op(s) !== 'KVM_SET_USER_MEMORY_REGION' || (s.context.mode & KVM_DIRTY_LOG_INITIALLY_SET) === 0 || s.context.pages.every((p) => !p.wp),
          },
          {
            name: 'InitiallySetNeedsManual',
            cite: 'api.rst 7.18: "KVM_DIRTY_LOG_INITIALLY_SET depends on KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE"',
            holds: (s: S) => {
              const a = s.context.last.req?.args ?? 0;
              return op(s) !== 'KVM_ENABLE_CAP' || !(a & KVM_DIRTY_LOG_INITIALLY_SET) || (a & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) !== 0 || (s.context.last.rc !== null && s.context.last.rc < 0 && s.context.mode !== a);
            },
          },
        ]),
    {
      name: 'LoggingStartsClean',
      cite: 'kvm_alloc_dirty_bitmap (__vcalloc: zeroed) and kvm_prepare_memory_region (bitmap_set only if kvm_dirty_log_manual_protect_and_init_set); api.rst 7.18: only "With KVM_DIRTY_LOG_INITIALLY_SET set, all the bits of the dirty bitmap will be initialized to 1": without it a new dirty bitmap has every bit clear, the one past npages too',
      holds: (s) =>
        op(s) !== 'KVM_SET_USER_MEMORY_REGION' || s.context.last.rc !== 0 || (s.context.mode & KVM_DIRTY_LOG_INITIALLY_SET) !== 0 || (s.context.pages.every((p) => !p.dirty) && !s.context.beyond),
    },
    {
      name: 'EnableCapSetsMode',
      cite: 'api.rst 7.18 KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: "args[0] ... KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE ... KVM_DIRTY_LOG_INITIALLY_SET": a successful KVM_ENABLE_CAP turns on exactly the requested modes (kvm_vm_ioctl_enable_cap_generic: kvm->manual_dirty_log_protect = cap->args[0])',
      holds: (s) => op(s) !== 'KVM_ENABLE_CAP' || s.context.last.rc !== 0 || s.context.mode === (s.context.last.req?.args ?? 0),
    },
    {
      name: 'DirtyLogRefusesDefects',
      cite: 'kvm_get_dirty_log_protect / kvm_clear_dirty_log_protect / kvm_vm_ioctl_get_dirty_log, the converse of DirtyLogErrnoMeaning: a slot id past KVM_USER_MEM_SLOTS is -EINVAL, a slot without a dirty bitmap -ENOENT, a user buffer that faults -EFAULT (api.rst 4.8/4.117 "Returns: ... -1 on error"): no such request succeeds',
      holds: (s) => {
        const r = s.context.last.req;
        const rc = s.context.last.rc;
        const o = op(s);
        if (!r || rc === null || (o !== 'KVM_GET_DIRTY_LOG' && o !== 'KVM_CLEAR_DIRTY_LOG')) return true;
        if (arch.s390 && o === 'KVM_CLEAR_DIRTY_LOG') return rc === ENOTTY;
        // api.rst 4.117 "first_page must be a multiple of 64": kvm_clear_dirty_log_protect checks log->first_page & 63 right after the slot id, before it looks the memslot up (so also on a slot without a dirty bitmap)
        if (o === 'KVM_CLEAR_DIRTY_LOG' && r.first !== undefined && (r.first & 63) !== 0) return rc === EINVAL;
        // a CLEAR range the rules refuse is ClearRefusesUndocumentedRanges' and DirtyLogErrnoMeaning's
        if (o === 'KVM_CLEAR_DIRTY_LOG' && !r.documented) return true;
        // the checks' order decides between defects
        const want: number[] = [];
        if (r.slotBad) want.push(EINVAL);
        if (s.value === 'created') want.push(ENOENT);
        if (r.fault) want.push(EFAULT);
        return want.length === 0 || want.includes(rc);
      },
    },
    {
      name: 'DirtyLogErrnoMeaning',
      cite: 'api.rst 4.8/4.117: "Returns: 0 on success, -1 on error"; EFAULT only for a faulting user buffer, ENOENT only for a slot without a dirty bitmap, ENOTTY only where the ioctl is not built (4.117 ":Architectures: x86, arm64, mips"), EINVAL only for arguments the rules refuse',
      holds: (s) => {
        const r = s.context.last.req;
        const rc = s.context.last.rc;
        if (!r || rc === null || rc === 0) return true;
        if (rc === EFAULT) return !!r.fault;
        if (rc === ENOENT) return s.value === 'created';
        if (rc === ENOTTY) return arch.s390 && op(s) === 'KVM_CLEAR_DIRTY_LOG';
        if (rc === EINVAL) {
          if (r.slotBad) return true;
          if (op(s) === 'KVM_ENABLE_CAP') {
            const a = r.args ?? 0;
            return arch.s390 || (a & ~(a & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE ? KVM_DIRTY_LOG_MANUAL_CAPS : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) !== 0;
          }
          if (op(s) === 'KVM_CLEAR_DIRTY_LOG') return !r.documented;
          return false;
        }
        return false;
      },
    },
  ];
}

/** The seed's benign race: KVM reports (or will report) a page whose copy is already current. */
export const falsePositive = (s: S): boolean => logging(s) && s.context.pages.some((p) => !p.stale && (logged(p) || p.reported));

/**
 * The properties of the fine configurations (kvm_memory_slot.threads.ts: vcpus storing against
 * KVM_GET_DIRTY_LOG / KVM_CLEAR_DIRTY_LOG as steps). "Quiescent": no thread inside a function (the
 * kernel's rules hold between calls: inside the ioctl the word is being taken and protected, inside
 * the vcpu's fault the SPTE is writable before set_bit_le).
 */
// a thread the configuration lacks (clear-locks has no vcpu1) is idle
const quiet = (s: AbstractState<DirtyFineContext>, names: readonly string[]) => names.every((n) => ((s.value as Record<string, string>)[n] ?? 'idle') === 'idle');
const USER = ['userspace'] as const;
const ALL_THREADS = ['vcpu0', 'vcpu1', 'userspace'] as const;
export const fineInvariants: Invariant<DirtyFineContext>[] = [
  {
    name: 'NoLostWrite',
    cite:
      'kvm_get_dirty_log_protect: "VCPU threads can write to the bitmap concurrently. So, to avoid losing track of dirty pages we keep the following order ... Between 2 and 4, the guest may write to the page using the remaining TLB entry. This is not a problem because the page is reported dirty using the snapshot taken before and step 4 ensures that writes done after exiting to userspace will be logged for the next call"; api.rst 4.117 / 7.18 (KVM_CLEAR_DIRTY_LOG re-enables dirty tracking): whenever userspace is outside the ioctls, a page the guest wrote after userspace\'s last copy is in KVM\'s bitmap or in userspace\'s migration bitmap',
    holds: (s) => !quiet(s, USER) || s.context.pages.every((p) => !p.stale || p.dirty || p.reported),
    reads: { context: [['pages', '*', 'stale'], ['pages', '*', 'dirty'], ['pages', '*', 'reported'], ['pages', 'length']], value: [['userspace']] },
  },
  {
    name: 'DirtyOrWriteProtected',
    cite: 'edde99ce0529 "all pages are either dirty in the current bitmap, or write-protected", with kvm_get_dirty_log_protect\'s step 4 (the TLB flush before the ioctl returns: a write-protected SPTE with a writable TLB entry left is not protected); between calls',
    holds: (s) => !quiet(s, ALL_THREADS) || s.context.pages.every((p) => p.dirty || (p.wp && !p.tlb)),
    reads: { context: [['pages', '*', 'dirty'], ['pages', '*', 'wp'], ['pages', '*', 'tlb'], ['pages', 'length']], value: ALL_THREADS.map((t) => [t]) },
  },
  {
    name: 'GetReportsEveryDirtiedPage',
    cite: 'api.rst 4.8 "Given a memory slot, return a bitmap containing any pages dirtied since the last call to this ioctl": the snapshot a GET takes (the xchg of the word; in manual mode the copy of the live bitmap) holds every page whose store completed before it and that no earlier snapshot covered (kept as a finding of the step: stable)',
    holds: (s) => !reported(s.context, DIRTY_FOUND.MISSED),
    reads: { context: [['threads', 'found']] },
    stable: true,
  },
  {
    name: 'GetDirtyLogPostcondition',
    cite:
      'kvm_main.c kvm_get_dirty_log_protect (v6.17-rc4) statement by statement, and api.rst 4.8 at the return: the test of the word reads it; xchg(&dirty_bitmap[i], 0) leaves the word 0 with mask = its old value and flush = true; kvm_arch_mmu_enable_log_dirty_pt_masked write-protects exactly the SPTEs of mask; kvm_flush_remote_tlbs_memslot leaves no translation; copy_to_user hands userspace the buffer (legacy: the xchg\'d words, memset 0 otherwise; manual: the live bitmap) and nothing else; at the return, a writable translation exists only for a page whose bit is set ("step 4 ensures that writes done after exiting to userspace will be logged for the next call"). Checked by the ghost (kvm_memory_slot.ghost.ts), kept as a finding of the step: stable',
    holds: (s) => !reported(s.context, DIRTY_FOUND.GET_POST),
    reads: { context: [['threads', 'found']] },
    stable: true,
  },
  {
    name: 'ClearDirtyLogPostcondition',
    cite:
      'kvm_main.c kvm_clear_dirty_log_protect (v6.17-rc4) statement by statement, and api.rst 4.118 at the return: copy_from_user reads the user\'s bitmap; mask &= atomic_long_fetch_andnot(mask, p) clears the user\'s bits in the word and leaves mask = the bits really cleared, flush = true if any; kvm_arch_mmu_enable_log_dirty_pt_masked write-protects exactly those SPTEs; kvm_flush_remote_tlbs_memslot leaves no translation; at the return ("re-enables dirty tracking") a writable translation exists only for a page whose bit is set. Checked by the ghost (kvm_memory_slot.ghost.ts), kept as a finding of the step: stable',
    holds: (s) => !reported(s.context, DIRTY_FOUND.CLEAR_POST),
    reads: { context: [['threads', 'found']] },
    stable: true,
  },
];
