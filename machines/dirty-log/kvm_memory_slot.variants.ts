// Variants of the dirty-log machine (the s390 implementation, the v5.0 CLEAR rule, planted
// bugs), each the baseline with kernel functions of DirtyKernel replaced (a factory option) or,
// in the fine configurations get-race and clear-race, the threads' steps changed (FineRace),
// with the properties each must violate per configuration, and the MachineSpec.
import { SpecError, pick, type Invariant, type KernelFunctionsInfo, type MachineSpec, type Model, type ModelOptions, type VariantInfo } from '../../src/spec.ts';
import { auditKvmMemorySlot } from './kvm_memory_slot.audit.ts';
import {
  CLEAR_PAYLOADS,
  CONFIGURATIONS,
  EINVAL,
  ENOENT,
  KVM_DIRTY_LOG_MANUAL_CAPS,
  KVM_MEM_LOG_DIRTY_PAGES,
  NPAGES,
  PAGES,
  enableCapArgs,
  type DirtyLogConfiguration,
} from './kvm_memory_slot.bounds.ts';
import { fineInvariants, invariants } from './kvm_memory_slot.invariants.ts';
import { createDirtyFineMachine, dirtyThreads, type DirtyFineContext, type FineRace } from './kvm_memory_slot.threads.ts';
import { lockInvariants, threadEventInfo, threadEvents } from '../kthread.ts';
import { observeSlot } from './kvm_memory_slot.observe.ts';
import {
  EVENT_INFO,
  baselineKernel,
  clearRangeInvalid,
  createKvmMemorySlotMachine,
  manualAndInitiallySet,
  setBits,
  userBits,
  wordsOfRange,
  type DirtyKernel,
  type DirtyLogEvent,
  type SlotContext,
} from './kvm_memory_slot.machine.ts';

/** clear-without-reprotect's kvm_arch_mmu_enable_log_dirty_pt_masked: nothing (one function, not a closure per CLEAR: esbuild's keepNames names each closure with a defineProperty). */
const noReprotect = (): void => {};

export const PINNED = 'v6.12';

type ConfigId = 'manual' | 'initially-set' | 'legacy' | 'faults' | 'get-race' | 'clear-race' | 'clear-locks';

export interface DirtyLogVariant extends VariantInfo {
  s390: boolean;
  kernel: Partial<DirtyKernel>;
  /** A planted race or lock bug in the fine configurations' threads (kvm_memory_slot.threads.ts). */
  race?: FineRace;
  /** Expected violations per configuration (the configurations it is checked in); `expectedViolations` is their union. */
  expected: Readonly<Partial<Record<ConfigId, readonly string[]>>>;
}

function variant(v: Omit<DirtyLogVariant, 'expectedViolations' | 'status'>): DirtyLogVariant {
  // a variant states its configurations: every one it has an expectation for
  return { ...v, status: 'asserted', expectedViolations: [...new Set(Object.values(v.expected).flat())], configurations: Object.keys(v.expected) };
}
/** The same expectation in every configuration. */
const everywhere = (names: readonly string[]): Partial<Record<ConfigId, readonly string[]>> => ({ manual: names, 'initially-set': names, legacy: names, faults: names });

// The fine races: a page left writable with its bit clear loses the next store (NoLostWrite), breaks the kernel's rule between calls
// (DirtyOrWriteProtected), and the next GET's snapshot lacks the page (GetReportsEveryDirtiedPage).
const LOST = ['NoLostWrite', 'DirtyOrWriteProtected', 'GetReportsEveryDirtiedPage'];
// ... and the ioctl that left the page writable returns with a writable translation of a page whose bit is clear (its postcondition)
const LOST_GET = [...LOST, 'GetDirtyLogPostcondition'];
const LOST_CLEAR = [...LOST, 'ClearDirtyLogPostcondition'];
// The pinned kernel's legacy GET clears and re-protects before copy_to_user: a faulting user buffer loses the bits (faults configuration).
const GET_EFAULT_LOSES = ['GetReportsEveryDirtiedPage', 'NoLostWrite'];
/** An x86 variant's own violations in every configuration, plus the GET -EFAULT loss in `faults`. */
const x86 = (names: readonly string[]): Partial<Record<ConfigId, readonly string[]>> => ({ ...everywhere(names), faults: [...new Set([...names, ...GET_EFAULT_LOSES])] });
// get-without-reprotect: a page cleared by GET stays writable, so its next write is neither logged nor protected against, and a CLEAR
// of it (its KVM bit already 0) re-protects nothing
const LEGACY_UNPROTECTED = ['LegacyGetReprotects', 'DirtyOrWriteProtected', 'NoLostWrite', 'GetReportsEveryDirtiedPage', 'ClearCleansSelected'];
// manual-get-clears: in manual mode a page stays dirtied until userspace clears it; the bug's GET drops it, the next GET misses it
const MANUAL_CLEARED = ['ManualGetLeavesLog', 'GetReportsEveryDirtiedPage'];

// __kvm_write_guest_page without its mark_page_dirty_in_slot: the data changes, the log does not
// (the machine's step wrapper records the data change as its ghosts stale/since)
const writeWithoutMark: DirtyKernel['__kvm_write_guest_page'] = () => {};

// kvm_get_dirty_log_protect with the legacy branch's kvm_arch_mmu_enable_log_dirty_pt_masked left out
const getWithoutReprotect: DirtyKernel['kvm_get_dirty_log_protect'] = (c, e, k) =>
  baselineKernel.kvm_get_dirty_log_protect(c, e, { ...k, kvm_arch_mmu_enable_log_dirty_pt_masked: () => {} });

// kvm_get_dirty_log_protect whose legacy branch copies the words without xchg'ing them to 0
const getKeepsBits: DirtyKernel['kvm_get_dirty_log_protect'] = (c, e, k) => {
  if (c.mode !== 0 || e.slot) return baselineKernel.kvm_get_dirty_log_protect(c, e, k);
  const buf = setBits(c);
  k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, buf);
  if (e.fault) return -14;
  c.last.got = buf;
  return 0;
};

// kvm_get_dirty_log_protect without its `if (kvm->manual_dirty_log_protect)` branch: GET always snapshots and clears
const manualGetClears: DirtyKernel['kvm_get_dirty_log_protect'] = (c, e, k) => {
  const mode = c.mode;
  c.mode = 0;
  const rc = baselineKernel.kvm_get_dirty_log_protect(c, e, k);
  c.mode = mode;
  return rc;
};

// kvm_clear_dirty_log_protect clearing every bit of the words in range (atomic_long_xchg(p, 0)) instead of the user's mask
const clearWholeWord: DirtyKernel['kvm_clear_dirty_log_protect'] = (c, e, k) => {
  const rc = baselineKernel.kvm_clear_dirty_log_protect(c, e, k);
  if (rc !== 0) return rc;
  const cleared = wordsOfRange(e).filter((g) => g < NPAGES && c.pages[PAGES.indexOf(g as (typeof PAGES)[number])]!.dirty);
  for (const g of cleared) c.pages[PAGES.indexOf(g as (typeof PAGES)[number])]!.dirty = false;
  k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, cleared);
  return 0;
};

// kvm_clear_dirty_log_protect without `mask &= atomic_long_fetch_andnot(...)`: every user bit is re-protected, past the slot too
const clearReprotectsUnsetBits: DirtyKernel['kvm_clear_dirty_log_protect'] = (c, e, k) => {
  const rc = baselineKernel.kvm_clear_dirty_log_protect(c, e, k);
  if (rc === 0) k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, userBits(c, e));
  return rc;
};

// kvm_clear_dirty_log_protect without the `num_pages & 63` part of the range check
const clearWithoutNumPagesCheck: DirtyKernel['kvm_clear_dirty_log_protect'] = (c, e, k) => {
  if (e.slot || e.first_page! & 63 || e.first_page! > NPAGES || e.num_pages! > NPAGES - e.first_page!) return baselineKernel.kvm_clear_dirty_log_protect(c, e, k);
  const num = Math.ceil(e.num_pages! / 64) * 64;
  return baselineKernel.kvm_clear_dirty_log_protect(c, { ...e, num_pages: Math.min(num, NPAGES - e.first_page!) }, k);
};

// kvm_clear_dirty_log_protect without `log->first_page > memslot->npages`: memslot->npages - log->first_page (unsigned long)
// wraps, so a range starting past the slot passes the other two tests; with the bounds' only such payload (num_pages 0) the
// loop over DIV_ROUND_UP(num_pages, BITS_PER_LONG) words copies and clears nothing, and the ioctl returns 0
const clearWithoutFirstPageBound: DirtyKernel['kvm_clear_dirty_log_protect'] = (c, e, k) => {
  if (!e.slot && !(e.first_page! & 63) && e.first_page! > NPAGES && e.num_pages === 0 && !e.fault) return 0;
  return baselineKernel.kvm_clear_dirty_log_protect(c, e, k);
};

// kvm_prepare_memory_region testing kvm->manual_dirty_log_protect instead of kvm_dirty_log_manual_protect_and_init_set():
// bitmap_set(new->dirty_bitmap, 0, new->npages) with MANUAL_PROTECT_ENABLE alone
const prepareSetsWhenManual: DirtyKernel['kvm_prepare_memory_region'] = (c) => {
  baselineKernel.kvm_prepare_memory_region(c);
  if (c.mode !== 0) for (const p of c.pages) p.dirty = true;
};

// kvm_clear_dirty_log_protect answering a range past the slot with -ENOENT (as if the memslot were missing)
const clearRangeEnoent: DirtyKernel['kvm_clear_dirty_log_protect'] = (c, e, k) => {
  if (!e.slot && !(e.first_page! & 63) && clearRangeInvalid(e.first_page!, e.num_pages!) && (e.first_page! > NPAGES || e.num_pages! > NPAGES - e.first_page!)) return ENOENT;
  return baselineKernel.kvm_clear_dirty_log_protect(c, e, k);
};

// v5.0 (2a31b9db1535 + 98938aa8edd6): num_pages must be a multiple of 64, even at the end of the slot
const clearV50: DirtyKernel['kvm_clear_dirty_log_protect'] = (c, e, k) => {
  if (!e.slot && !(e.first_page! & 63) && e.num_pages! & 63) return EINVAL;
  return baselineKernel.kvm_clear_dirty_log_protect(c, e, k);
};

// kvm_prepare_memory_region with bitmap_set(new->dirty_bitmap, 0, 64): only the first word
const initiallySetFirstWord: DirtyKernel['kvm_prepare_memory_region'] = (c) => {
  baselineKernel.kvm_prepare_memory_region(c);
  if (manualAndInitiallySet(c.mode)) c.pages.forEach((p, i) => (p.dirty = PAGES[i]! < 64));
};

// kvm_prepare_memory_region with bitmap_set(new->dirty_bitmap, 0, ALIGN(npages, 64)): the bits past the slot too
const initiallySetAligned: DirtyKernel['kvm_prepare_memory_region'] = (c) => {
  baselineKernel.kvm_prepare_memory_region(c);
  if (manualAndInitiallySet(c.mode)) c.beyond = true;
};

// kvm_arch_commit_memory_region write-protecting the slot even when initially set
const commitProtectsAlways: DirtyKernel['kvm_arch_commit_memory_region'] = (c, k) => k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, PAGES);

// kvm_vm_ioctl_enable_cap_generic accepting every KVM_DIRTY_LOG_MANUAL_CAPS combination
const enableCapAllCaps: DirtyKernel['kvm_vm_ioctl_enable_cap_generic'] = (c, e) => {
  const args = e.args ?? 0;
  if (args & ~KVM_DIRTY_LOG_MANUAL_CAPS) return EINVAL;
  c.mode = args;
  return 0;
};

export const VARIANTS: readonly DirtyLogVariant[] = [
  variant({
    id: 'baseline',
    description: 'generic dirty log (CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT, x86 arch hooks): GET snapshots or reports, CLEAR re-protects',
    cite: 'virt/kvm/kvm_main.c v6.12; 2a31b9db1535 "kvm: introduce manual dirty log reprotect"; 76d58e0f07ec',
    // the fine configurations: upstream keeps every property against concurrent vcpus
    expected: { manual: [], 'initially-set': [], legacy: [], faults: GET_EFAULT_LOSES, 'get-race': [], 'clear-race': [], 'clear-locks': [] },
    s390: false,
    kernel: {},
  }),
  variant({
    id: 's390',
    description: 's390: GET harvests PGSTE_UC_BIT into the bitmap, copies it and memsets it; no KVM_CLEAR_DIRTY_LOG (ENOTTY), no MANUAL_DIRTY_LOG_PROTECT2 (EINVAL)',
    cite: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_get_dirty_log, kvm_arch_sync_dirty_log; arch/s390/mm/pgtable.c ptep_test_and_clear_uc',
    expected: everywhere([]),
    s390: true,
    kernel: {},
  }),
  variant({
    id: 'v5.0',
    description: 'KVM_CLEAR_DIRTY_LOG as first merged: num_pages must be a multiple of 64, so the last partial word of an unaligned slot cannot be cleared',
    cite: '2a31b9db1535 + 98938aa8edd6 "KVM: validate userspace input in kvm_clear_dirty_log_protect()", fixed by 76d58e0f07ec (v5.1)',
    expected: x86(['ClearAcceptsDocumentedRanges', 'DirtyLogErrnoMeaning']),
    s390: false,
    kernel: { kvm_clear_dirty_log_protect: clearV50 },
  }),
  variant({
    id: 'clear-without-reprotect',
    description: 'planted: kvm_clear_dirty_log_protect clears the bits but skips kvm_arch_mmu_enable_log_dirty_pt_masked',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect',
    expected: x86(['DirtyOrWriteProtected', 'NoLostWrite', 'ClearCleansSelected', 'GetReportsEveryDirtiedPage']),
    s390: false,
    kernel: {
      kvm_clear_dirty_log_protect: (c, e, k) => baselineKernel.kvm_clear_dirty_log_protect(c, e, { ...k, kvm_arch_mmu_enable_log_dirty_pt_masked: noReprotect }),
    },
  }),
  variant({
    id: 'write-guest-without-mark',
    description: 'planted: __kvm_write_guest_page forgets mark_page_dirty_in_slot; the SPTE does not see writes through the hva',
    cite: 'planted bug in virt/kvm/kvm_main.c __kvm_write_guest_page',
    expected: x86(['NoLostWrite', 'GetReportsEveryDirtiedPage']),
    s390: false,
    kernel: { __kvm_write_guest_page: writeWithoutMark },
  }),
  variant({
    id: 's390-write-guest-without-mark',
    description: 'the same planted bug on s390: __copy_to_user faults on the protected host PTE, pgste_set_pte sets UC, the write is still logged',
    cite: 'planted bug in __kvm_write_guest_page; arch/s390/mm/pgtable.c pgste_set_pte',
    expected: everywhere([]),
    s390: true,
    kernel: { __kvm_write_guest_page: writeWithoutMark },
  }),
  variant({
    id: 'get-without-reprotect',
    description: 'planted: the legacy branch of kvm_get_dirty_log_protect clears the words but forgets kvm_arch_mmu_enable_log_dirty_pt_masked',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect',
    expected: { manual: [], 'initially-set': [], legacy: LEGACY_UNPROTECTED, faults: LEGACY_UNPROTECTED },
    configuration: 'legacy',
    s390: false,
    kernel: { kvm_get_dirty_log_protect: getWithoutReprotect },
  }),
  variant({
    id: 'legacy-get-keeps-bits',
    description: 'planted: the legacy branch of kvm_get_dirty_log_protect copies each word instead of xchg-ing it to 0',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect (xchg(&dirty_bitmap[i], 0) replaced by a read)',
    expected: { manual: [], 'initially-set': [], legacy: ['GetClearsBits'], faults: ['GetClearsBits'] },
    configuration: 'legacy',
    s390: false,
    kernel: { kvm_get_dirty_log_protect: getKeepsBits },
  }),
  variant({
    id: 'manual-get-clears',
    description: 'planted: kvm_get_dirty_log_protect ignores kvm->manual_dirty_log_protect and snapshots, clears and re-protects',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect (its manual branch removed)',
    expected: { manual: MANUAL_CLEARED, 'initially-set': MANUAL_CLEARED, legacy: [], faults: GET_EFAULT_LOSES },
    s390: false,
    kernel: { kvm_get_dirty_log_protect: manualGetClears },
  }),
  variant({
    id: 'clear-whole-word',
    description: 'planted: kvm_clear_dirty_log_protect clears every bit of each 64-page word in range, not only the bits the user bitmap sets',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (the user mask ignored)',
    expected: x86(['ClearTouchesOnlySelected', 'NoLostWrite', 'GetReportsEveryDirtiedPage']),
    s390: false,
    kernel: { kvm_clear_dirty_log_protect: clearWholeWord },
  }),
  variant({
    id: 'clear-without-num-pages-check',
    description: 'planted: kvm_clear_dirty_log_protect drops the num_pages & 63 test, so an unaligned range short of the slot\'s end is rounded up to its word',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (76d58e0f07ec relaxed too far)',
    expected: x86(['ClearRefusesUndocumentedRanges']),
    s390: false,
    kernel: { kvm_clear_dirty_log_protect: clearWithoutNumPagesCheck },
  }),
  variant({
    id: 'clear-without-first-page-bound',
    description: 'planted: kvm_clear_dirty_log_protect drops the first_page > npages test; npages - first_page wraps and a range past the slot is accepted',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (the first operand of the 76d58e0f07ec range check removed)',
    expected: x86(['ClearRefusesUndocumentedRanges']),
    s390: false,
    kernel: { kvm_clear_dirty_log_protect: clearWithoutFirstPageBound },
  }),
  variant({
    id: 'prepare-sets-when-manual',
    description: 'planted: kvm_prepare_memory_region sets every bit of the new dirty bitmap with MANUAL_PROTECT_ENABLE alone (tests the capability, not INITIALLY_SET)',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_prepare_memory_region (kvm->manual_dirty_log_protect for kvm_dirty_log_manual_protect_and_init_set(kvm))',
    expected: { manual: ['LoggingStartsClean'], 'initially-set': [], legacy: [], faults: GET_EFAULT_LOSES },
    configuration: 'manual',
    s390: false,
    kernel: { kvm_prepare_memory_region: prepareSetsWhenManual },
  }),
  variant({
    id: 'clear-reprotects-unset-bits',
    description: 'planted: kvm_clear_dirty_log_protect re-protects every bit the user set, not the bits it really cleared: the bits past the slot reach kvm_arch_mmu_enable_log_dirty_pt_masked',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (`mask &= atomic_long_fetch_andnot(...)` removed)',
    expected: x86(['ClearNeverBeyondSlot']),
    s390: false,
    kernel: { kvm_clear_dirty_log_protect: clearReprotectsUnsetBits },
  }),
  variant({
    id: 'clear-range-enoent',
    description: 'planted: kvm_clear_dirty_log_protect answers a range past the slot with -ENOENT, the code for a slot without a dirty bitmap',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect',
    expected: x86(['DirtyLogErrnoMeaning']),
    s390: false,
    kernel: { kvm_clear_dirty_log_protect: clearRangeEnoent },
  }),
  variant({
    id: 'initially-set-first-word',
    description: 'planted: kvm_prepare_memory_region sets only the first 64 bits with INITIALLY_SET: page 64 is neither dirty nor write-protected',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_prepare_memory_region (bitmap_set(new->dirty_bitmap, 0, 64))',
    expected: { manual: [], 'initially-set': ['InitiallySetAllOnes', 'DirtyOrWriteProtected', 'NoLostWrite', 'GetReportsEveryDirtiedPage', 'ClearCleansSelected'], legacy: [], faults: GET_EFAULT_LOSES },
    configuration: 'initially-set',
    s390: false,
    kernel: { kvm_prepare_memory_region: initiallySetFirstWord },
  }),
  variant({
    id: 'initially-set-aligned',
    description: 'planted: kvm_prepare_memory_region sets ALIGN(npages, 64) bits with INITIALLY_SET: GET reports a page past the slot and CLEAR re-protects it',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_prepare_memory_region (bitmap_set(new->dirty_bitmap, 0, ALIGN(npages, BITS_PER_LONG)))',
    expected: { manual: [], 'initially-set': ['GetNothingBeyondSlot', 'ClearNeverBeyondSlot'], legacy: [], faults: GET_EFAULT_LOSES },
    configuration: 'initially-set',
    s390: false,
    kernel: { kvm_prepare_memory_region: initiallySetAligned },
  }),
  variant({
    id: 'initially-set-protects',
    description: 'planted: kvm_arch_commit_memory_region write-protects the slot when logging starts even with INITIALLY_SET',
    cite: 'planted bug in arch/x86/kvm/x86.c kvm_mmu_slot_apply_flags (the kvm_dirty_log_manual_protect_and_init_set test removed)',
    expected: { manual: [], 'initially-set': ['InitiallySetProtectsNothing'], legacy: [], faults: GET_EFAULT_LOSES },
    configuration: 'initially-set',
    s390: false,
    kernel: { kvm_arch_commit_memory_region: commitProtectsAlways },
  }),
  variant({
    id: 'enable-cap-initially-set-alone',
    description: 'planted: kvm_vm_ioctl_enable_cap_generic accepts KVM_DIRTY_LOG_INITIALLY_SET without MANUAL_PROTECT_ENABLE',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_vm_ioctl_enable_cap_generic (allowed_options always KVM_DIRTY_LOG_MANUAL_CAPS)',
    expected: x86(['InitiallySetNeedsManual']),
    s390: false,
    kernel: { kvm_vm_ioctl_enable_cap_generic: enableCapAllCaps },
  }),
  variant({
    id: 'enable-cap-drops-initially-set',
    description: 'planted: kvm_vm_ioctl_enable_cap_generic accepts MANUAL_PROTECT_ENABLE | INITIALLY_SET but stores only MANUAL_PROTECT_ENABLE: KVM_ENABLE_CAP answers 0 and the bitmap will not start all ones',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_vm_ioctl_enable_cap_generic (kvm->manual_dirty_log_protect = cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)',
    // userspace (as QEMU) sets up the memslot only once its capability is on, so nothing else follows
    expected: { manual: [], 'initially-set': ['EnableCapSetsMode'], legacy: [], faults: GET_EFAULT_LOSES },
    configuration: 'initially-set',
    s390: false,
    kernel: {
      kvm_vm_ioctl_enable_cap_generic: (c, e) => {
        const rc = baselineKernel.kvm_vm_ioctl_enable_cap_generic(c, e);
        if (rc === 0) c.mode &= 1;
        return rc;
      },
    },
  }),
  variant({
    id: 'get-ignores-copy-fault',
    description: 'planted: kvm_get_dirty_log_protect ignores copy_to_user\'s result: a faulting user buffer gets 0, and userspace takes a bitmap it never received as empty',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect (`if (copy_to_user(log->dirty_bitmap, dirty_bitmap_buffer, n)) return -EFAULT;` reduced to the call)',
    expected: { manual: [], 'initially-set': [], legacy: [], faults: [...GET_EFAULT_LOSES, 'DirtyLogRefusesDefects'] },
    configuration: 'faults',
    s390: false,
    kernel: {
      kvm_get_dirty_log_protect: (c, e, k) => {
        const rc = baselineKernel.kvm_get_dirty_log_protect(c, e, k);
        return rc === -14 ? 0 : rc;
      },
    },
  }),
  // races and lock bugs of the fine configurations (kvm_memory_slot.threads.ts), each a different transcription of the C;
  // LOST: a page left writable with its bit clear (or a writable TLB entry left), a store after userspace's copy is logged nowhere
  fineVariant('race-get-protect-before-xchg', 'get-race', { getProtectBeforeXchg: true },
    'planted race: kvm_get_dirty_log_protect write-protects the pages the test read before it xchg\'s the word: a vcpu faulting in between makes the page writable and sets its bit, the xchg takes that bit, and the page stays writable with its bit clear',
    'planted reorder of virt/kvm/kvm_main.c kvm_get_dirty_log_protect ("1. Take a snapshot of the bit and clear it if needed. 2. Write protect the corresponding page."), steps 2 before 1', LOST_GET),
  fineVariant('race-get-read-without-xchg', 'get-race', { getReadWithoutXchg: true },
    'planted race: kvm_get_dirty_log_protect reads the word and stores 0 in two steps instead of xchg: a set_bit_le of another page of the word in between is lost, and that page stays writable',
    'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect (mask = dirty_bitmap[i]; dirty_bitmap[i] = 0; for mask = xchg(&dirty_bitmap[i], 0))', LOST_GET),
  fineVariant('race-get-no-tlb-flush', 'get-race', { getNoFlush: true },
    'planted race: kvm_get_dirty_log_protect without kvm_flush_remote_tlbs_memslot: the vcpu keeps its writable TLB entry of a page the GET write-protected, and its next store is logged nowhere',
    'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect ("4. Upon return caller flushes TLB\'s if needed" left out)', LOST_GET),
  fineVariant('bug-get-copy-under-mmu-lock', 'get-race', { getCopyUnderMmuLock: true },
    'planted lock bug: kvm_get_dirty_log_protect calls copy_to_user (which may fault and sleep) before KVM_MMU_UNLOCK',
    'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect (copy_to_user moved into the KVM_MMU_LOCK section)', ['NoSleepUnderSpinlock']),
  fineVariant('race-clear-protect-before-clear', 'clear-race', { clearProtectBeforeClear: true },
    'planted race: kvm_clear_dirty_log_protect write-protects the user\'s mask before atomic_long_fetch_andnot: a vcpu faulting in between makes the page writable and sets its bit, the fetch_andnot clears it, and the page stays writable with its bit clear',
    'planted reorder of virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (kvm_arch_mmu_enable_log_dirty_pt_masked before mask &= atomic_long_fetch_andnot(mask, p))', LOST_CLEAR),
  fineVariant('race-clear-no-tlb-flush', 'clear-race', { clearNoFlush: true },
    'planted race: kvm_clear_dirty_log_protect without kvm_flush_remote_tlbs_memslot: a store through the TLB entry left after the CLEAR is logged nowhere',
    'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (if (flush) kvm_flush_remote_tlbs_memslot left out)', LOST_CLEAR),
  fineVariant('bug-clear-no-mmu-unlock', 'clear-race', { clearNoMmuUnlock: true },
    'planted lock bug: kvm_clear_dirty_log_protect returns without KVM_MMU_UNLOCK',
    'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect (KVM_MMU_UNLOCK(kvm) left out)', ['NoReturnHoldingLock']),
  // statement-level bugs no store is lost to, seen only by the step postconditions (kvm_memory_slot.ghost.ts)
  fineVariant('bug-get-protect-whole-word', 'get-race', { getProtectWholeWord: true },
    'planted bug: kvm_get_dirty_log_protect write-protects the whole word (~0UL) instead of the mask it took: a page of the word a vcpu made writable but has not marked yet is protected again, and the vcpu faults once more (no store is lost)',
    'planted bug in virt/kvm/kvm_main.c kvm_get_dirty_log_protect (kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, memslot, i * BITS_PER_LONG, mask) with ~0UL for mask)', ['GetDirtyLogPostcondition']),
  fineVariant('bug-clear-mask-not-anded', 'clear-race', { clearMaskNotAnded: true },
    'planted bug: kvm_clear_dirty_log_protect assigns mask = atomic_long_fetch_andnot(mask, p) instead of mask &=: mask holds the old word, so pages userspace did not select (still dirty) are write-protected and flushed too (no store is lost)',
    'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect ("mask &= atomic_long_fetch_andnot(mask, p)": "mask contains the bits that really have been cleared")', ['ClearDirtyLogPostcondition']),
  // the lock rules: the posted patch that takes mmu_lock only around the write protection, each with one hunk lost (clear-locks: one vcpu is enough)
  fineVariant('bug-clear-mmu-lock-kept', 'clear-locks', { clearMmuLockInMask: 'lock-kept' },
    'planted lock bug: kvm_clear_dirty_log_protect takes KVM_MMU_LOCK inside if (mask) around the write protection, as the posted patch does, but the KVM_MMU_LOCK before the loop the patch removes is still there: a mask with a bit set takes mmu_lock twice, an empty one returns holding it',
    'planted from "KVM: Aggressively drop and reacquire mmu_lock during CLEAR_DIRTY_LOG" (David Matlack, v2 2023, not merged in v6.17-rc4) applied to virt/kvm/kvm_main.c kvm_clear_dirty_log_protect with its "-KVM_MMU_LOCK(kvm)" hunk lost', ['NoDoubleAcquire', 'NoReturnHoldingLock']),
  fineVariant('bug-clear-mmu-unlock-kept', 'clear-locks', { clearMmuLockInMask: 'unlock-kept' },
    'planted lock bug: kvm_clear_dirty_log_protect takes and drops mmu_lock inside if (mask), as the posted patch does, but the KVM_MMU_UNLOCK after the loop the patch removes is still there: it releases mmu_lock the thread does not hold (after the inner unlock, or without any lock when the mask is empty)',
    'planted from "KVM: Aggressively drop and reacquire mmu_lock during CLEAR_DIRTY_LOG" (David Matlack, v2 2023, not merged in v6.17-rc4) applied to virt/kvm/kvm_main.c kvm_clear_dirty_log_protect with its "-KVM_MMU_UNLOCK(kvm)" hunk lost', ['ReleaseOnlyByOwner']),
];

/** A planted race of a fine configuration: checked there only. */
function fineVariant(id: string, configuration: 'get-race' | 'clear-race' | 'clear-locks', race: FineRace, description: string, cite: string, expected: readonly string[]): DirtyLogVariant {
  return variant({ id, description, cite, configuration, expected: { [configuration]: expected }, s390: false, kernel: {}, race });
}

/** Every event with every payload the bounds enumerate, for one configuration. */
export function eventsFor(c: DirtyLogConfiguration): DirtyLogEvent[] {
  return [
    ...enableCapArgs(c).map((args) => ({ type: 'KVM_ENABLE_CAP', args })),
    { type: 'KVM_SET_USER_MEMORY_REGION', flags: KVM_MEM_LOG_DIRTY_PAGES },
    { type: 'KVM_GET_DIRTY_LOG' },
    ...(c.faults ? [{ type: 'KVM_GET_DIRTY_LOG', fault: true }, { type: 'KVM_GET_DIRTY_LOG', slot: 'bad' as const }] : []),
    { type: 'kvm_s390_memset_dirty_bitmap' },
    ...CLEAR_PAYLOADS.map(({ first_page, num_pages, pastEnd }) => ({ type: 'KVM_CLEAR_DIRTY_LOG', first_page, num_pages, ...(pastEnd ? { pastEnd } : {}) })),
    ...(c.faults ? [{ type: 'KVM_CLEAR_DIRTY_LOG', first_page: 0, num_pages: 64, fault: true }, { type: 'KVM_CLEAR_DIRTY_LOG', first_page: 0, num_pages: 64, slot: 'bad' as const }] : []),
    ...PAGES.map((gfn) => ({ type: 'GUEST_STORE', gfn })),
    ...PAGES.map((gfn) => ({ type: 'kvm_write_guest_page', gfn })),
    ...PAGES.map((gfn) => ({ type: 'ram_save_target_page', gfn })),
  ];
}

export const kvmMemorySlotSpec: MachineSpec = {
  id: 'kvm_memory_slot',
  area: 'dirty-log',
  kernelObject: 'kvm_memory_slot',
  pinned: PINNED,
  variants: VARIANTS,
  configurations: CONFIGURATIONS,
  audit: auditKvmMemorySlot,
  model(variantId?: string, configurationId?: string, options?: ModelOptions): Model<SlotContext> {
    const v = pick('variant', 'kvm_memory_slot', VARIANTS, variantId);
    const c = pick('configuration', 'kvm_memory_slot', CONFIGURATIONS, configurationId ?? v.configuration);
    if (options?.design && Object.keys(options.design).length) {
      throw new SpecError('kvm_memory_slot has no design switches; design applies to the core machines (machines/design.ts)');
    }
    if (v.configurations && !v.configurations.includes(c.id)) {
      throw new SpecError(`variant '${v.id}' of kvm_memory_slot exists only in configuration ${v.configurations.join(', ')}, not '${c.id}'`);
    }
    if (c.fine) {
      if (options?.kernel && Object.keys(options.kernel).length) throw new SpecError(`kvm_memory_slot configuration '${c.id}' runs kthread steps; a variant file's kernel functions apply to the coarse configurations`);
      const threads = dirtyThreads(c.fine, v.race ?? {});
      return {
        machineId: 'kvm_memory_slot',
        variantId: v.id,
        configurationId: c.id,
        machine: createDirtyFineMachine(threads, c.args !== 0),
        events: threadEvents(threads),
        eventInfo: threadEventInfo(threads),
        invariants: [...fineInvariants, ...(lockInvariants as unknown as Invariant<DirtyFineContext>[])],
        liveness: [],
        expectedViolations: v.expected[c.id as ConfigId] ?? [],
        // partial-order reduction reduces nothing here (every step writes what an invariant reads): off unless asked (`check --por`)
        por: { byDefault: false },
      } as unknown as Model<SlotContext>;
    }
    const table = dirtyKernelTable({ ...v.kernel, ...(options?.kernel as Partial<DirtyKernel> | undefined) }, options?.countKernelCalls ?? false);
    return {
      machineId: 'kvm_memory_slot',
      variantId: v.id,
      configurationId: c.id,
      machine: createKvmMemorySlotMachine({ config: c, s390: v.s390, kernel: table.kernel }),
      events: eventsFor(c),
      eventInfo: EVENT_INFO,
      invariants: invariants({ s390: v.s390 }),
      liveness: [],
      expectedViolations: v.expected[c.id as ConfigId] ?? [],
      observe: observeSlot,
      kernelFunctions: table.info,
    };
  },
};

/** Every DirtyKernel function: what a variant's `kernel` may replace. */
export const DIRTY_KERNEL_NAMES = Object.keys(baselineKernel) as (keyof DirtyKernel)[];

/**
 * The machine's kernel: `overrides` over the baseline, names checked. With `count`, every
 * function is wrapped to count its calls; the functions call each other through the table
 * they are given (`k`), so a call from another kernel function is counted too.
 */
function dirtyKernelTable(overrides: Readonly<Record<string, unknown>>, count: boolean): { kernel: DirtyKernel; info: KernelFunctionsInfo } {
  for (const [name, f] of Object.entries(overrides)) {
    if (!(DIRTY_KERNEL_NAMES as string[]).includes(name)) {
      throw new SpecError(`unknown kernel function '${name}' for kvm_memory_slot; its DirtyKernel functions are ${DIRTY_KERNEL_NAMES.join(', ')}`);
    }
    if (typeof f !== 'function') throw new SpecError(`kernel function ${name} for kvm_memory_slot is not a function`);
  }
  const merged = { ...baselineKernel, ...overrides } as DirtyKernel;
  const counts = new Map<string, number>();
  const kernel = count
    ? (Object.fromEntries(
        DIRTY_KERNEL_NAMES.map((name) => {
          const f = merged[name] as (...args: unknown[]) => unknown;
          return [name, (...args: unknown[]) => (counts.set(name, (counts.get(name) ?? 0) + 1), f(...args))];
        }),
      ) as unknown as DirtyKernel)
    : merged;
  return {
    kernel,
    info: {
      names: DIRTY_KERNEL_NAMES,
      counted: count,
      calls: () => {
        if (!count) throw new Error('kernel calls are counted only in a model built with countKernelCalls');
        return new Map([...counts].filter(([, n]) => n > 0));
      },
      reset: () => counts.clear(),
    },
  };
}
