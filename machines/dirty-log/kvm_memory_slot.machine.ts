// struct kvm_memory_slot with KVM_MEM_LOG_DIRTY_PAGES: the dirty bitmap, the write
// protection that makes the next guest write visible, and a migration tool in userspace
// that reads the log (KVM_GET_DIRTY_LOG), re-arms it (KVM_CLEAR_DIRTY_LOG) and copies pages.
//
// Models: per tracked page (bounds: PAGES of a slot of NPAGES) the bit in
//   memslot->dirty_bitmap, the write protection of the page (the SPTE on x86/arm64, the host
//   PTE _PAGE_PROTECT on s390), the s390 PGSTE_UC_BIT, and three userspace ghosts: whether the
//   guest data is newer than userspace's copy (stale), whether the page is dirty in
//   userspace's migration bitmap (reported), and whether it was written since the last
//   KVM_GET_DIRTY_LOG snapshot or the last CLEAR of its bit (since); the bit past the slot's
//   end in its last bitmap word (beyond); kvm->manual_dirty_log_protect; the return value of
//   the last ioctl and, in `last`, what the last step returned and changed (the bitmap a GET
//   copied out, the pages it changed). The generic code (virt/kvm/kvm_main.c with
//   CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT and the x86 arch hooks) is the baseline; s390
//   is the factory option `s390` (arch/s390/kvm/kvm-s390.c), which has no
//   KVM_CLEAR_DIRTY_LOG and no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2. Each kernel function is a
//   field of DirtyKernel, which variants replace.
// Ignores: the bitmap words (the SUT keeps them), the second bitmap buffer, TLB flushes (each
//   ioctl is atomic and ends with its flush, except the s390 GET: vcpus run between its
//   copy_to_user and its memset, state get_dirty_log_copied; the fine configurations get-race and
//   clear-race, kvm_memory_slot.threads.ts, run the x86 ioctls as steps with the TLB), PML, huge pages and the s390 1M
//   segments (gmap_sync_dirty_log_pmd on a huge pmd), several memslots and address spaces, the
//   dirty ring (-ENXIO), turning logging off again, KVM_ENABLE_CAP after the memslot exists
//   (the kernel allows it); before logging the guest has written every page, whose mapping is
//   writable (on s390 with UC set).
// Kernel: virt/kvm/kvm_main.c (kvm_get_dirty_log_protect, kvm_clear_dirty_log_protect,
//   kvm_vm_ioctl_enable_cap_generic, kvm_prepare_memory_region, mark_page_dirty_in_slot,
//   __kvm_write_guest_page), arch/s390/kvm/kvm-s390.c (kvm_vm_ioctl_get_dirty_log,
//   kvm_arch_sync_dirty_log), arch/s390/mm/pgtable.c (ptep_test_and_clear_uc,
//   pgste_set_pte), Documentation/virt/kvm/api.rst 4.8, 4.117, 7.18.
// Pinned: v6.12 (kvm_main.c with kvm_use_dirty_bitmap and kvm_enable_virtualization; the s390
//   PGSTE code as before the gmap rewrite that removes pgste_set_pte). The dirty-log functions
//   of kvm_main.c and kvm-s390.c read the same in v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
import { and, assign, not, or, setup } from 'xstate';
import type { Actor, EventInfo } from '../../src/spec.ts';
import {
  BEYOND,
  DIRTY_FAULT,
  EFAULT,
  EINVAL,
  ENOENT,
  ENOTTY,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_CAPS,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  NPAGES,
  PAGES,
  IOCTLS,
  clearRangeDocumented,
  type DirtyLogConfiguration,
} from './kvm_memory_slot.bounds.ts';

export interface PageContext {
  /** bit of the page in memslot->dirty_bitmap */
  dirty: boolean;
  /** the next guest write faults: SPTE write-protected (x86) or host PTE _PAGE_PROTECT (s390) */
  wp: boolean;
  /** s390 PGSTE_UC_BIT: the host PTE was made writable since the last harvest; always false elsewhere */
  uc: boolean;
  /** ghost: the guest wrote the page after userspace's last copy of it */
  stale: boolean;
  /** userspace: the page is dirty in its migration bitmap (reported by GET, not copied since) */
  reported: boolean;
  /** ghost: written since the last KVM_GET_DIRTY_LOG snapshot (legacy) or the last CLEAR that selected it */
  since: boolean;
}

/** What the last step returned and changed, for the properties and for exported paths (empty after a step that is no ioctl). */
export interface DirtyLast {
  /** the ioctl of the last step: KVM_ENABLE_CAP, KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG (also for the s390 memset that ends it), KVM_CLEAR_DIRTY_LOG; '' otherwise */
  op: string;
  /** what the properties need of its payload: KVM_ENABLE_CAP args[0]; whether a CLEAR range follows the documented rules; a faulting user buffer; a bad slot id */
  req: DirtyRequest | null;
  /** what the ioctl returned in this step (0 or -errno); null if no ioctl returned (writes, copies, the s390 GET before its memset) */
  rc: number | null;
  /** a KVM_GET_DIRTY_LOG that returned 0 in this step: the gfns set in the bitmap it copied to userspace (BEYOND for the bit past the slot) */
  got: number[] | null;
  /** the snapshot a GET took in this step left out these pages, written since the previous one */
  missed: number[];
  /** gfns (BEYOND included) whose dirty bit or write protection this step changed */
  touched: number[];
  /** KVM_CLEAR_DIRTY_LOG: the gfns (BEYOND included) in [first_page, first_page + num_pages) whose bit the user bitmap sets */
  sel: number[];
}

export interface SlotContext {
  /** kvm->manual_dirty_log_protect */
  mode: number;
  /** one entry per page of PAGES, in that order */
  pages: PageContext[];
  /** s390 kvm_vm_ioctl_get_dirty_log's local is_dirty: the bitmap it copied out was not empty */
  is_dirty: boolean;
  /** bit BEYOND of memslot->dirty_bitmap: past npages, in the slot's last bitmap word */
  beyond: boolean;
  /** s390: the bitmap kvm_get_dirty_log copied to userspace, until the ioctl returns (gfns) */
  copied: number[] | null;
  /** lifetime tracker, DIRTY_FAULT bits */
  faults: number;
  last: DirtyLast;
}

/** Every event: a type plus the payload fields of the ioctl or the page it touches. */
export interface DirtyLogEvent {
  type: string;
  args?: number;
  flags?: number;
  first_page?: number;
  num_pages?: number;
  /** KVM_CLEAR_DIRTY_LOG: userspace also sets the bits past npages in the slot's last word */
  pastEnd?: boolean;
  gfn?: number;
  /** the user buffer faults (copy_to_user in GET, copy_from_user in CLEAR) */
  fault?: boolean;
  /** a slot id at or past KVM_USER_MEM_SLOTS */
  slot?: 'bad';
}

/** The request of the last ioctl, reduced to what the properties read (so equal outcomes of equal-class requests are one state). */
export interface DirtyRequest {
  args?: number;
  documented?: boolean;
  fault?: boolean;
  slotBad?: boolean;
  /** KVM_CLEAR_DIRTY_LOG: the range and whether userspace sets the bits past the slot (the properties work out what it selects) */
  first?: number;
  num?: number;
  pastEnd?: boolean;
}

/** The kernel functions of the model, as a variant replaces them. Each works on a copy of the context. */
export interface DirtyKernel {
  /** kvm_vm_ioctl_enable_cap_generic, case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
  kvm_vm_ioctl_enable_cap_generic(c: SlotContext, e: DirtyLogEvent): number;
  /** kvm_prepare_memory_region: kvm_alloc_dirty_bitmap, bitmap_set if manual protect and initially set */
  kvm_prepare_memory_region(c: SlotContext): void;
  /** kvm_arch_commit_memory_region: x86 kvm_mmu_slot_apply_flags write-protects the slot unless initially set */
  kvm_arch_commit_memory_region(c: SlotContext, k: DirtyKernel): void;
  /** kvm_get_dirty_log_protect: the generic GET; returns rc, leaves the copied bitmap in c.last.got */
  kvm_get_dirty_log_protect(c: SlotContext, e: DirtyLogEvent, k: DirtyKernel): number;
  /** kvm_clear_dirty_log_protect */
  kvm_clear_dirty_log_protect(c: SlotContext, e: DirtyLogEvent, k: DirtyKernel): number;
  /** x86 kvm_arch_mmu_enable_log_dirty_pt_masked: write-protect the SPTEs of the given gfns */
  kvm_arch_mmu_enable_log_dirty_pt_masked(c: SlotContext, gfns: readonly number[]): void;
  /** __kvm_write_guest_page: __copy_to_user through the hva, then mark_page_dirty_in_slot */
  __kvm_write_guest_page(c: SlotContext, gfn: number): void;
}

export interface SlotMachineOptions {
  config: DirtyLogConfiguration;
  /** arch/s390 instead of the generic dirty-log code */
  s390: boolean;
  kernel?: Partial<DirtyKernel>;
}

const by = (actor: Actor) => ({ meta: { actor } });

export const EVENT_INFO: Readonly<Record<string, EventInfo>> = {
  KVM_ENABLE_CAP: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_vm_ioctl_enable_cap_generic (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)' },
  KVM_SET_USER_MEMORY_REGION: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_set_memory_region, flags KVM_MEM_LOG_DIRTY_PAGES' },
  KVM_GET_DIRTY_LOG: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_get_dirty_log_protect; arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_get_dirty_log' },
  KVM_CLEAR_DIRTY_LOG: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_clear_dirty_log_protect' },
  GUEST_STORE: { actor: 'guest', cite: 'a guest store: x86 kvm_mmu_page_fault on a write-protected SPTE; s390 host protection fault, pgste_set_pte' },
  kvm_write_guest_page: { actor: 'kernel', cite: 'virt/kvm/kvm_main.c __kvm_write_guest_page (__copy_to_user + mark_page_dirty_in_slot)' },
  kvm_s390_memset_dirty_bitmap: { actor: 'kernel', cite: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_get_dirty_log: "Clear the dirty log", memset after kvm_get_dirty_log' },
  ram_save_target_page: { actor: 'userspace', cite: 'QEMU migration/ram.c: send the page (after KVM_CLEAR_DIRTY_LOG in manual mode)' },
};

const indexOf = (gfn: number | undefined): number => {
  const i = PAGES.indexOf(gfn as (typeof PAGES)[number]);
  if (i < 0) throw new Error(`page ${gfn} is not tracked; tracked: ${PAGES.join(', ')}`);
  return i;
};

/** The dirty bit of a tracked gfn or of BEYOND. */
export function bitOf(c: SlotContext, gfn: number): boolean {
  return gfn === BEYOND ? c.beyond : c.pages[indexOf(gfn)]!.dirty;
}
function setBit(c: SlotContext, gfn: number, v: boolean): void {
  if (gfn === BEYOND) c.beyond = v;
  else c.pages[indexOf(gfn)]!.dirty = v;
}
/** Every gfn whose bit is set in memslot->dirty_bitmap, in bit order (BEYOND last). */
export function setBits(c: SlotContext): number[] {
  return [...PAGES.filter((g) => bitOf(c, g)), ...(c.beyond ? [BEYOND] : [])];
}
/** The gfns (BEYOND included) a range covers, in bitmap words of 64: what the copied user bitmap can select. */
function wordsOf(first: number, num: number): number[] {
  const end = first + Math.ceil(num / 64) * 64;
  return [...PAGES, BEYOND].filter((g) => g >= first && g < end);
}

/** kvm_dirty_log_manual_protect_and_init_set(kvm) */
export const manualAndInitiallySet = (mode: number): boolean => (mode & KVM_DIRTY_LOG_INITIALLY_SET) !== 0;
/** kvm->manual_dirty_log_protect as kvm_get_dirty_log_protect tests it (any bit) */
const manualProtect = (mode: number): boolean => mode !== 0;

/** memslot->npages - log->first_page as the kernel computes it: unsigned long, so it wraps when first_page > npages. */
const pagesAfter = (first: number): number => Number(BigInt.asUintN(64, BigInt(NPAGES) - BigInt(first)));
/** kvm_clear_dirty_log_protect: the range check against memslot->npages (since 76d58e0f07ec, v5.1), in the kernel's unsigned arithmetic. */
export const clearRangeInvalid = (first: number, num: number): boolean =>
  first > NPAGES || num > pagesAfter(first) || (num < pagesAfter(first) && (num & 63) !== 0);

/** The gfns the user bitmap of a CLEAR sets: the migration bitmap in range, plus the bits past the slot when userspace sets them. */
export function userBits(c: SlotContext, e: DirtyLogEvent): number[] {
  const first = e.first_page!;
  const num = e.num_pages!;
  const pages = PAGES.filter((g, i) => g >= first && g < first + num && c.pages[i]!.reported);
  return e.pastEnd && wordsOf(first, num).includes(BEYOND) ? [...pages, BEYOND] : pages;
}
/** Every tracked gfn (BEYOND included) in the 64-page words a CLEAR range covers. */
export function wordsOfRange(e: DirtyLogEvent): number[] {
  return wordsOf(e.first_page!, e.num_pages!);
}

export const baselineKernel: DirtyKernel = {
  kvm_vm_ioctl_enable_cap_generic(c, e) {
    const args = e.args ?? 0;
    const allowed = args & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE ? KVM_DIRTY_LOG_MANUAL_CAPS : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    if (args & ~allowed) return EINVAL;
    c.mode = args;
    return 0;
  },
  kvm_prepare_memory_region(c) {
    const set = manualAndInitiallySet(c.mode);
    for (const p of c.pages) p.dirty = set;
    c.beyond = false;
  },
  kvm_arch_commit_memory_region(c, k) {
    if (!manualAndInitiallySet(c.mode)) k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, PAGES);
  },
  kvm_get_dirty_log_protect(c, e, k) {
    if (e.slot === 'bad') return EINVAL;
    let buf: number[];
    if (manualProtect(c.mode)) buf = setBits(c);
    else {
      // xchg each non-zero word to 0, then re-protect what the snapshot holds
      buf = setBits(c);
      for (const g of buf) setBit(c, g, false);
      k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, buf);
    }
    if (e.fault) return EFAULT;
    c.last.got = buf;
    return 0;
  },
  kvm_clear_dirty_log_protect(c, e, k) {
    if (e.slot === 'bad') return EINVAL;
    if (e.first_page! & 63) return EINVAL;
    if (clearRangeInvalid(e.first_page!, e.num_pages!)) return EINVAL;
    if (e.fault) return EFAULT;
    // mask &= atomic_long_fetch_andnot(mask, p): only bits really cleared are re-protected
    const cleared = userBits(c, e).filter((g) => bitOf(c, g));
    for (const g of cleared) setBit(c, g, false);
    k.kvm_arch_mmu_enable_log_dirty_pt_masked(c, cleared);
    return 0;
  },
  kvm_arch_mmu_enable_log_dirty_pt_masked(c, gfns) {
    for (const g of gfns) {
      if (g >= NPAGES) c.faults |= DIRTY_FAULT.REPROTECT_BEYOND_SLOT;
      else c.pages[indexOf(g)]!.wp = true;
    }
  },
  // (the ghosts stale/since of the write are set by the machine's step wrapper, not here)
  __kvm_write_guest_page(c, gfn) {
    c.pages[indexOf(gfn)]!.dirty = true;
  },
};

/** A page before logging: the guest ran and wrote it, its PTE is writable (on s390 pgste_set_pte set UC), userspace's bitmap holds it. */
const initialPage = (s390: boolean): PageContext => ({ dirty: false, wp: false, uc: s390, stale: true, reported: true, since: false });

export function initialSlotContext(o: SlotMachineOptions): SlotContext {
  return {
    mode: 0,
    pages: PAGES.map(() => initialPage(o.s390)),
    is_dirty: false,
    beyond: false,
    copied: null,
    faults: 0,
    last: emptyLast(),
  };
}

const emptyLast = (): DirtyLast => ({ op: '', req: null, rc: null, got: null, missed: [], touched: [], sel: [] });

function clone(c: SlotContext): SlotContext {
  return { ...c, pages: c.pages.map((p) => ({ ...p })), last: emptyLast() };
}

/** dirty bit and protection of each tracked gfn (bits 2i, 2i+1) and BEYOND (bit 2 * PAGES.length), for `touched` */
function fingerprint(c: SlotContext): number {
  let f = c.beyond ? 1 << (2 * c.pages.length) : 0;
  for (let i = 0; i < c.pages.length; i++) f |= (c.pages[i]!.dirty ? 1 << (2 * i) : 0) | (c.pages[i]!.wp ? 2 << (2 * i) : 0);
  return f;
}
/** The gfns (PAGES, then BEYOND) whose dirty bit or protection differs between two fingerprints. */
const touchedOf = (before: number, after: number): number[] => [...PAGES, BEYOND].filter((_, i) => ((before ^ after) >> (2 * i)) & 3);
/** The same fields with the same values in the same order: the same JSON (the page fields are booleans). */
function samePage(a: PageContext, b: PageContext): boolean {
  return a.dirty === b.dirty && a.wp === b.wp && a.uc === b.uc && a.stale === b.stale && a.reported === b.reported && a.since === b.since && Object.keys(a).length === 6 && Object.keys(b).length === 6;
}
/** c.pages with each page equal to the parent's replaced by the parent's object (and the array too if every page is): the same JSON, so the checker's interning compares and hashes shared parts by reference. */
function resharePages(c: SlotContext, parent: SlotContext): void {
  let all = c.pages.length === parent.pages.length;
  for (let i = 0; i < c.pages.length; i++) {
    const q = parent.pages[i];
    if (q && samePage(c.pages[i]!, q)) c.pages[i] = q;
    else all = false;
  }
  if (all) c.pages = parent.pages;
}

function requestOf(e: DirtyLogEvent): DirtyRequest {
  const r: DirtyRequest = {};
  if (e.type === 'KVM_ENABLE_CAP') r.args = e.args ?? 0;
  if (e.type === 'KVM_CLEAR_DIRTY_LOG') {
    r.documented = clearRangeDocumented(e.first_page!, e.num_pages!);
    Object.assign(r, { first: e.first_page!, num: e.num_pages!, pastEnd: !!e.pastEnd });
  }
  if (e.fault) r.fault = true;
  if (e.slot) r.slotBad = true;
  return r;
}

type Step = (c: SlotContext, e: DirtyLogEvent) => number | void;

export function createKvmMemorySlotMachine(o: SlotMachineOptions) {
  const k: DirtyKernel = { ...baselineKernel, ...o.kernel };
  /** Runs a kernel entry on a copy of the context and records what it returned and changed. */
  const step = (fn: Step) =>
    assign<SlotContext, DirtyLogEvent, undefined, DirtyLogEvent, never>(({ context, event }) => {
      const c = clone(context);
      const ioctl = (IOCTLS as readonly string[]).includes(event.type);
      const before = fingerprint(context);
      const rc = fn(c, event);
      // ghost: a write through the hva makes the guest data newer than userspace's copy
      if (event.type === 'kvm_write_guest_page') Object.assign(c.pages[indexOf(event.gfn)]!, { stale: true, since: true });
      // ghost: a CLEAR that returned 0 starts a new "since" for every page it selected
      if (event.type === 'KVM_CLEAR_DIRTY_LOG' && rc === 0) for (const [i, g] of PAGES.entries()) if (c.last.sel.includes(g)) c.pages[i]!.since = false;
      if (ioctl) {
        c.last.op = event.type;
        c.last.req = requestOf(event);
        if (typeof rc === 'number') c.last.rc = rc;
        c.last.touched = touchedOf(before, fingerprint(c));
      } else if (event.type === 'kvm_s390_memset_dirty_bitmap') {
        // the s390 KVM_GET_DIRTY_LOG returns here
        c.last.op = 'KVM_GET_DIRTY_LOG';
        c.last.rc = typeof rc === 'number' ? rc : null;
      }
      // ghost: a snapshot taken in this step (generic GET, s390 copy) must contain every page written since the previous one
      const snap = event.type === 'KVM_GET_DIRTY_LOG' ? (c.copied ?? c.last.got) : null;
      if (snap) {
        c.last.missed = PAGES.filter((g, i) => context.pages[i]!.since && !snap.includes(g));
        if (!(c.mode & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) for (const p of c.pages) p.since = false;
      }
      resharePages(c, context);
      return c;
    });
  // vcpus and the kernel write guest memory in every state where the slot logs
  const onPage = (f: (p: PageContext) => void): Step => (c, e) => void f(c.pages[indexOf(e.gfn)]!);
  const slot = setup({
    types: {} as { context: SlotContext; events: DirtyLogEvent },
    guards: {
      // virt/kvm/Kconfig: selected by x86, arm64, ...; arch/s390/kvm/Kconfig does not select it
      CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT: () => !o.s390,
      // arch/s390: the PGSTE of each host PTE carries the user-change bit
      CONFIG_S390: () => o.s390,
      // userspace (as QEMU's kvm_init): the configured capability is on before the memslot logs
      userspace_enabled_dirty_log_caps: ({ context }) => context.mode === o.config.args,
      // kvm_clear_dirty_log_protect: log->first_page & 63, checked before the memslot
      first_page_misaligned: ({ event }) => (event.first_page! & 63) !== 0 || event.slot === 'bad',
      // s390 kvm_vm_ioctl_get_dirty_log / generic: the slot id is checked before the memslot
      slot_id_invalid: ({ event }) => event.slot === 'bad',
      // the next write to the page faults
      page_write_protected: ({ context, event }) => context.pages[indexOf(event.gfn)]!.wp,
      // userspace copies only pages its migration bitmap says are dirty
      migration_bitmap_dirty: ({ context, event }) => context.pages[indexOf(event.gfn)]!.reported,
      // copy_to_user of kvm_get_dirty_log faults: the s390 GET returns -EFAULT before the memset
      user_buffer_faults: ({ event }) => !!event.fault,
    },
    actions: {
      // the ioctl fails before touching the slot
      return_ENOENT: step(() => ENOENT),
      return_EINVAL: step(() => EINVAL),
      return_ENOTTY: step(() => ENOTTY),
      // kvm_vm_ioctl_enable_cap_generic: kvm->manual_dirty_log_protect = cap->args[0]
      kvm_vm_ioctl_enable_cap_generic: step((c, e) => k.kvm_vm_ioctl_enable_cap_generic(c, e)),
      // kvm_set_memory_region, KVM_MR_FLAGS_ONLY: kvm_prepare_memory_region, then kvm_arch_commit_memory_region (s390: nothing to protect)
      kvm_set_memory_region: step((c) => {
        k.kvm_prepare_memory_region(c);
        if (!o.s390) k.kvm_arch_commit_memory_region(c, k);
        for (const p of c.pages) p.since = false;
        return 0;
      }),
      // x86 kvm_mmu_page_fault -> fast_pf_fix_direct_spte: make the SPTE writable, mark_page_dirty_in_slot
      kvm_mmu_page_fault: step(
        onPage((p) => {
          p.wp = false;
          p.dirty = true;
          p.stale = true;
          p.since = true;
        }),
      ),
      // s390 host protection fault -> pgste_set_pte: writable PTE, "set user-dirty" PGSTE_UC_BIT; then the store
      pgste_set_pte: step(
        onPage((p) => {
          p.wp = false;
          p.uc = true;
          p.stale = true;
          p.since = true;
        }),
      ),
      // the store through a writable mapping: only the data changes
      guest_data_written: step(
        onPage((p) => {
          p.stale = true;
          p.since = true;
        }),
      ),
      // __kvm_write_guest_page: __copy_to_user through the hva (s390: may fault and set UC first), mark_page_dirty_in_slot
      __kvm_write_guest_page: step((c, e) => {
        const p = c.pages[indexOf(e.gfn)]!;
        if (o.s390 && p.wp) {
          p.wp = false;
          p.uc = true;
        }
        k.__kvm_write_guest_page(c, e.gfn!);
      }),
      // kvm_get_dirty_log_protect
      kvm_get_dirty_log_protect: step((c, e) => k.kvm_get_dirty_log_protect(c, e, k)),
      // s390 kvm_vm_ioctl_get_dirty_log up to kvm_get_dirty_log's copy_to_user: kvm_arch_sync_dirty_log
      // (gmap_sync_dirty_log_pmd -> ptep_test_and_clear_uc: UC to the bitmap, PTE protected), copy out, is_dirty
      kvm_get_dirty_log: step((c, e) => {
        for (const p of c.pages) if (p.uc) Object.assign(p, { uc: false, wp: true, dirty: true });
        if (e.fault) return EFAULT;
        c.copied = setBits(c);
        c.is_dirty = c.copied.length > 0;
      }),
      // s390 kvm_vm_ioctl_get_dirty_log: "Clear the dirty log": if (is_dirty) memset(memslot->dirty_bitmap, 0, n), return 0
      kvm_s390_memset_dirty_bitmap: step((c) => {
        if (c.is_dirty) {
          for (const p of c.pages) p.dirty = false;
          c.beyond = false;
        }
        c.last.got = c.copied;
        c.copied = null;
        c.is_dirty = false;
        return 0;
      }),
      // kvm_clear_dirty_log_protect
      kvm_clear_dirty_log_protect: step((c, e) => {
        const sel = userBits(c, e);
        const rc = k.kvm_clear_dirty_log_protect(c, e, k);
        c.last.sel = sel;
        return rc;
      }),
      // userspace sends the page: its copy is current and the migration bitmap bit is clear
      ram_save_target_page: step(
        onPage((p) => {
          p.stale = false;
          p.reported = false;
        }),
      ),
      // the migration tool merges the bitmap a GET copied out into its migration bitmap (s390: already while the ioctl runs)
      userspace_merges_bitmap: assign<SlotContext, DirtyLogEvent, undefined, DirtyLogEvent, never>(({ context }) => {
        const got = context.copied ?? context.last.got;
        if (!got) return {};
        // nothing to merge: the pages as they are (the same JSON, shared)
        if (context.pages.every((p, i) => p.reported || !got.includes(PAGES[i]!))) return {};
        return { pages: context.pages.map((p, i) => (got.includes(PAGES[i]!) && !p.reported ? { ...p, reported: true } : p)) };
      }),
    },
  });
  const writes = {
    GUEST_STORE: [
      { guard: and(['CONFIG_S390', 'page_write_protected']), actions: 'pgste_set_pte', ...by('guest') },
      { guard: 'page_write_protected', actions: 'kvm_mmu_page_fault', ...by('guest') },
      { actions: 'guest_data_written', ...by('guest') },
    ],
    kvm_write_guest_page: { actions: '__kvm_write_guest_page', ...by('kernel') },
  } as const;
  return slot.createMachine({
    id: 'kvm_memory_slot',
    context: initialSlotContext(o),
    initial: 'created',
    states: {
      // the memslot exists without KVM_MEM_LOG_DIRTY_PAGES: memslot->dirty_bitmap is NULL
      created: {
        on: {
          KVM_ENABLE_CAP: [
            // s390: no case in kvm_vm_ioctl_enable_cap_generic, kvm_vm_ioctl_enable_cap's default
            { guard: not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT'), actions: 'return_EINVAL', ...by('userspace') },
            { actions: 'kvm_vm_ioctl_enable_cap_generic', ...by('userspace') },
          ],
          KVM_SET_USER_MEMORY_REGION: {
            // QEMU enables no capability that KVM_CHECK_EXTENSION reports as 0 (s390)
            guard: or(['userspace_enabled_dirty_log_caps', not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT')]),
            target: 'logging',
            actions: 'kvm_set_memory_region',
            ...by('userspace'),
          },
          KVM_GET_DIRTY_LOG: [
            { guard: 'slot_id_invalid', actions: 'return_EINVAL', ...by('userspace') },
            { actions: 'return_ENOENT', ...by('userspace') },
          ],
          KVM_CLEAR_DIRTY_LOG: [
            // s390: kvm_arch_vm_ioctl's default
            { guard: not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT'), actions: 'return_ENOTTY', ...by('userspace') },
            { guard: 'first_page_misaligned', actions: 'return_EINVAL', ...by('userspace') },
            { actions: 'return_ENOENT', ...by('userspace') },
          ],
        },
      },
      logging: {
        on: {
          ...writes,
          KVM_GET_DIRTY_LOG: [
            { guard: 'CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT', actions: ['kvm_get_dirty_log_protect', 'userspace_merges_bitmap'], ...by('userspace') },
            { guard: 'slot_id_invalid', actions: 'return_EINVAL', ...by('userspace') },
            { guard: 'user_buffer_faults', actions: 'kvm_get_dirty_log', ...by('userspace') },
            { target: 'get_dirty_log_copied', actions: ['kvm_get_dirty_log', 'userspace_merges_bitmap'], ...by('userspace') },
          ],
          KVM_CLEAR_DIRTY_LOG: [
            { guard: not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT'), actions: 'return_ENOTTY', ...by('userspace') },
            { actions: 'kvm_clear_dirty_log_protect', ...by('userspace') },
          ],
          ram_save_target_page: { guard: 'migration_bitmap_dirty', actions: 'ram_save_target_page', ...by('userspace') },
        },
      },
      // s390 kvm_vm_ioctl_get_dirty_log between kvm_get_dirty_log's copy_to_user and the memset:
      // userspace waits in the ioctl, vcpus and the kernel keep writing
      get_dirty_log_copied: {
        on: {
          ...writes,
          kvm_s390_memset_dirty_bitmap: { target: 'logging', actions: ['kvm_s390_memset_dirty_bitmap', 'userspace_merges_bitmap'], ...by('kernel') },
        },
      },
    },
  });
}

export type KvmMemorySlotMachine = ReturnType<typeof createKvmMemorySlotMachine>;
