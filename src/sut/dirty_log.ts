// System under test for the dirty log: TypeScript transcriptions of the kernel functions
// (bitmap words as 64-bit BigInt chunks, xchg and atomic_long_fetch_andnot as the C does
// them) plus a migration tool in userspace with a per-page migration bitmap and copy.
// Written from virt/kvm/kvm_main.c v6.12, arch/s390/kvm/kvm-s390.c and arch/s390/mm/pgtable.c,
// not from the machine. One memslot (slot 0, address space 0, base_gfn 0) of `npages` pages.
// The x86 SPTE is a writable flag per page; the s390 host PTE a protect flag plus the PGSTE
// UC bit. A user buffer is a BigUint64Array, or null when it is not mapped (copy_to_user and
// copy_from_user fail). A write-protect request for a gfn past the slot is recorded as a
// lifetime fault (it would reach an rmap or PTE outside the memslot). Locks and TLB flushes
// are not transcribed.

export const BITS_PER_LONG = 64;
/** arch/s390/include/asm/pgtable.h: _PAGE_ENTRIES, PTEs per page table (one segment). */
export const _PAGE_ENTRIES = 256;
export const KVM_USER_MEM_SLOTS = 32764;
export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
export const KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1 << 0;
export const KVM_DIRTY_LOG_INITIALLY_SET = 1 << 1;
export const KVM_DIRTY_LOG_MANUAL_CAPS = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
export const KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
export const ENOENT = 2;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOTTY = 25;

export type Arch = 'x86' | 's390';
/** The KVM_CLEAR_DIRTY_LOG range check: as since 76d58e0f07ec, or as merged in v5.0. */
export type ClearRule = 'current' | 'v5.0';

export interface KvmMemorySlot {
  base_gfn: number;
  npages: number;
  flags: number;
  /** kvm_alloc_dirty_bitmap: two bitmaps back to back, the second is kvm_second_dirty_bitmap */
  dirty_bitmap: BigUint64Array | null;
}

export interface KvmDirtyLog {
  slot: number;
  /** null: an unmapped user address */
  dirty_bitmap: BigUint64Array | null;
}

export interface KvmClearDirtyLog {
  slot: number;
  num_pages: number;
  first_page: number;
  /** null: an unmapped user address */
  dirty_bitmap: BigUint64Array | null;
}

const ALIGN = (x: number, a: number) => Math.ceil(x / a) * a;
const DIV_ROUND_UP = (n: number, d: number) => Math.ceil(n / d);
const BIT = (i: number) => 1n << BigInt(i);

/** kvm_dirty_bitmap_bytes */
export const kvm_dirty_bitmap_bytes = (memslot: KvmMemorySlot) => ALIGN(memslot.npages, BITS_PER_LONG) / 8;

/** kvm_second_dirty_bitmap: the words after the first bitmap. */
function kvm_second_dirty_bitmap(memslot: KvmMemorySlot): BigUint64Array {
  const words = kvm_dirty_bitmap_bytes(memslot) / 8;
  return memslot.dirty_bitmap!.subarray(words, 2 * words);
}

/** set_bit_le: bit nr of a little-endian bitmap of longs. */
export function set_bit_le(nr: number, map: BigUint64Array): void {
  map[nr >> 6] = map[nr >> 6]! | BIT(nr & 63);
}
export function test_bit_le(nr: number, map: BigUint64Array): boolean {
  return (map[nr >> 6]! & BIT(nr & 63)) !== 0n;
}

/** xchg on one long. */
function xchg(map: BigUint64Array, i: number, v: bigint): bigint {
  const old = map[i]!;
  map[i] = v;
  return old;
}

/** atomic_long_fetch_andnot */
function atomic_long_fetch_andnot(mask: bigint, map: BigUint64Array, i: number): bigint {
  const old = map[i]!;
  map[i] = BigInt.asUintN(64, old & ~mask);
  return old;
}

/** struct kvm with the parts of the MMU the dirty log touches. */
export class Kvm {
  manual_dirty_log_protect = 0;
  readonly memslot: KvmMemorySlot;
  /** x86: the SPTE of each gfn allows writes */
  readonly spte_writable: Uint8Array;
  /** s390: the host PTE of each gfn has _PAGE_PROTECT */
  readonly pte_protect: Uint8Array;
  /** s390: PGSTE_UC_BIT of each gfn's PGSTE */
  readonly pgste_uc: Uint8Array;
  /** the guest's data in each page, as a version number */
  readonly memory: Uint32Array;
  /** lifetime tracker: a write-protect request reached a gfn past the memslot */
  reprotectedBeyondSlot = false;

  constructor(
    readonly arch: Arch,
    npages: number,
    readonly clearRule: ClearRule = 'current',
  ) {
    this.memslot = { base_gfn: 0, npages, flags: 0, dirty_bitmap: null };
    // the guest ran before logging: every page written, every mapping writable
    this.spte_writable = new Uint8Array(npages).fill(1);
    this.pte_protect = new Uint8Array(npages);
    this.pgste_uc = new Uint8Array(npages).fill(arch === 's390' ? 1 : 0);
    this.memory = new Uint32Array(npages).fill(1);
  }

  /** CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT: selected by x86, not by arch/s390/kvm/Kconfig */
  get readProtect(): boolean {
    return this.arch !== 's390';
  }
}

/** kvm_dirty_log_manual_protect_and_init_set */
const kvm_dirty_log_manual_protect_and_init_set = (kvm: Kvm) => (kvm.manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET) !== 0;

/** id_to_memslot for slot 0 of address space 0; other ids have no memslot. */
function id_to_memslot(kvm: Kvm, id: number): KvmMemorySlot | null {
  return id === 0 ? kvm.memslot : null;
}

/** kvm_vm_ioctl_check_extension_generic(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2); s390's kvm_vm_ioctl_check_extension returns 0 */
export function kvm_vm_ioctl_check_extension_generic(kvm: Kvm, arg: number): number {
  if (kvm.readProtect && arg === KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) return KVM_DIRTY_LOG_MANUAL_CAPS;
  return 0;
}

/** kvm_vm_ioctl_enable_cap_generic; without the config the cap falls to the arch's kvm_vm_ioctl_enable_cap (s390: -EINVAL) */
export function kvm_vm_ioctl_enable_cap_generic(kvm: Kvm, cap: { cap: number; flags: number; args: number[] }): number {
  if (kvm.readProtect && cap.cap === KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) {
    let allowed_options = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    if (cap.args[0]! & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) allowed_options = KVM_DIRTY_LOG_MANUAL_CAPS;
    if (cap.flags || cap.args[0]! & ~allowed_options) return -EINVAL;
    kvm.manual_dirty_log_protect = cap.args[0]!;
    return 0;
  }
  // arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_enable_cap: no case for it, default -EINVAL
  return -EINVAL;
}

/** kvm_arch_mmu_enable_log_dirty_pt_masked: x86 kvm_mmu_write_protect_pt_masked, one SPTE per set bit. */
function kvm_arch_mmu_enable_log_dirty_pt_masked(kvm: Kvm, slot: KvmMemorySlot, gfn_offset: number, mask: bigint): void {
  for (let i = 0; mask !== 0n; i++, mask >>= 1n) {
    if (!(mask & 1n)) continue;
    const rel = gfn_offset + i;
    if (rel >= slot.npages) kvm.reprotectedBeyondSlot = true;
    else kvm.spte_writable[slot.base_gfn + rel] = 0;
  }
}

/** KVM_SET_USER_MEMORY_REGION changing only the flags of slot 0 (KVM_MR_FLAGS_ONLY). */
export function kvm_set_memory_region(kvm: Kvm, flags: number): number {
  const old = kvm.memslot;
  if (flags === old.flags) return 0;
  // kvm_prepare_memory_region
  let dirty_bitmap: BigUint64Array | null;
  if (!(flags & KVM_MEM_LOG_DIRTY_PAGES)) dirty_bitmap = null;
  else if (old.dirty_bitmap) dirty_bitmap = old.dirty_bitmap;
  else {
    dirty_bitmap = new BigUint64Array((2 * kvm_dirty_bitmap_bytes(old)) / 8);
    if (kvm_dirty_log_manual_protect_and_init_set(kvm)) for (let i = 0; i < old.npages; i++) set_bit_le(i, dirty_bitmap);
  }
  const oldFlags = old.flags;
  old.flags = flags;
  old.dirty_bitmap = dirty_bitmap;
  kvm_arch_commit_memory_region(kvm, oldFlags, old);
  return 0;
}

/** kvm_arch_commit_memory_region: x86 kvm_mmu_slot_apply_flags; s390 does nothing for a flags change. */
function kvm_arch_commit_memory_region(kvm: Kvm, oldFlags: number, slot: KvmMemorySlot): void {
  if (kvm.arch === 's390') return;
  const log_dirty_pages = (slot.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
  if (!((oldFlags ^ slot.flags) & KVM_MEM_LOG_DIRTY_PAGES) || !log_dirty_pages) return;
  // initially all set: nothing to protect, every page is reported dirty
  if (kvm_dirty_log_manual_protect_and_init_set(kvm)) return;
  // kvm_mmu_slot_remove_write_access
  for (let gfn = 0; gfn < slot.npages; gfn++) kvm.spte_writable[slot.base_gfn + gfn] = 0;
}

/** mark_page_dirty_in_slot (dirty ring not configured). */
export function mark_page_dirty_in_slot(kvm: Kvm, memslot: KvmMemorySlot | null, gfn: number): void {
  if (memslot && memslot.flags & KVM_MEM_LOG_DIRTY_PAGES) {
    const rel_gfn = gfn - memslot.base_gfn;
    if (memslot.dirty_bitmap) set_bit_le(rel_gfn, memslot.dirty_bitmap);
  }
}

/** s390 pgste_set_pte for a writable, present entry: clear _PAGE_PROTECT (ESOP) and "set user-dirty". */
function pgste_set_pte_writable(kvm: Kvm, gfn: number): void {
  kvm.pte_protect[gfn] = 0;
  kvm.pgste_uc[gfn] = 1;
}

/** s390 ptep_test_and_clear_uc: test and reset UC; if it was set, protect the PTE again. */
function ptep_test_and_clear_uc(kvm: Kvm, gfn: number): boolean {
  const dirty = kvm.pgste_uc[gfn] === 1;
  kvm.pgste_uc[gfn] = 0;
  if (dirty) kvm.pte_protect[gfn] = 1;
  return dirty;
}

/** s390 gmap_sync_dirty_log_pmd for a 4K page table: harvest UC bits of one segment into `bitmap`. */
function gmap_sync_dirty_log_pmd(kvm: Kvm, bitmap: Uint8Array, gaddr_gfn: number): void {
  for (let i = 0; i < _PAGE_ENTRIES; i++) {
    const gfn = gaddr_gfn + i;
    if (gfn >= kvm.memslot.npages) break; // no PTE mapped beyond the slot
    if (ptep_test_and_clear_uc(kvm, gfn)) bitmap[i] = 1;
  }
}

/** s390 kvm_arch_sync_dirty_log: loop over the guest segments of the slot. */
function kvm_arch_sync_dirty_log(kvm: Kvm, memslot: KvmMemorySlot): void {
  if (kvm.arch !== 's390') return; // x86: PML flush only, not transcribed
  const last_gfn = memslot.base_gfn + memslot.npages;
  for (let cur_gfn = memslot.base_gfn; cur_gfn <= last_gfn; cur_gfn += _PAGE_ENTRIES) {
    const bitmap = new Uint8Array(_PAGE_ENTRIES);
    gmap_sync_dirty_log_pmd(kvm, bitmap, cur_gfn);
    for (let i = 0; i < _PAGE_ENTRIES; i++) if (bitmap[i]) mark_page_dirty_in_slot(kvm, memslot, cur_gfn + i);
  }
}

/** kvm_get_dirty_log_protect */
function kvm_get_dirty_log_protect(kvm: Kvm, log: KvmDirtyLog): number {
  const as_id = log.slot >>> 16;
  const id = log.slot & 0xffff;
  if (as_id >= 1 || id >= KVM_USER_MEM_SLOTS) return -EINVAL;
  const memslot = id_to_memslot(kvm, id);
  if (!memslot || !memslot.dirty_bitmap) return -ENOENT;
  const dirty_bitmap = memslot.dirty_bitmap;
  kvm_arch_sync_dirty_log(kvm, memslot);
  const n = kvm_dirty_bitmap_bytes(memslot);
  let dirty_bitmap_buffer: BigUint64Array;
  if (kvm.manual_dirty_log_protect) {
    dirty_bitmap_buffer = dirty_bitmap;
  } else {
    dirty_bitmap_buffer = kvm_second_dirty_bitmap(memslot);
    dirty_bitmap_buffer.fill(0n);
    for (let i = 0; i < n / 8; i++) {
      if (!dirty_bitmap[i]) continue;
      const mask = xchg(dirty_bitmap, i, 0n);
      dirty_bitmap_buffer[i] = mask;
      const offset = i * BITS_PER_LONG;
      kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, memslot, offset, mask);
    }
  }
  if (!log.dirty_bitmap) return -EFAULT; // copy_to_user
  log.dirty_bitmap.set(dirty_bitmap_buffer.subarray(0, n / 8));
  return 0;
}

/** kvm_clear_dirty_log_protect */
function kvm_clear_dirty_log_protect(kvm: Kvm, log: KvmClearDirtyLog): number {
  const as_id = log.slot >>> 16;
  const id = log.slot & 0xffff;
  if (as_id >= 1 || id >= KVM_USER_MEM_SLOTS) return -EINVAL;
  if (log.first_page & 63) return -EINVAL;
  const memslot = id_to_memslot(kvm, id);
  if (!memslot || !memslot.dirty_bitmap) return -ENOENT;
  const dirty_bitmap = memslot.dirty_bitmap;
  const n = ALIGN(log.num_pages, BITS_PER_LONG) / 8;
  if (
    log.first_page > memslot.npages ||
    log.num_pages > memslot.npages - log.first_page ||
    (kvm.clearRule === 'current'
      ? log.num_pages < memslot.npages - log.first_page && log.num_pages & 63
      : log.num_pages & 63)
  )
    return -EINVAL;
  kvm_arch_sync_dirty_log(kvm, memslot);
  const dirty_bitmap_buffer = kvm_second_dirty_bitmap(memslot);
  if (!log.dirty_bitmap) return -EFAULT; // copy_from_user
  dirty_bitmap_buffer.set(log.dirty_bitmap.subarray(0, n / 8));
  let k = 0;
  for (let offset = log.first_page, i = offset / BITS_PER_LONG, m = DIV_ROUND_UP(log.num_pages, BITS_PER_LONG); m--; i++, offset += BITS_PER_LONG) {
    let mask = dirty_bitmap_buffer[k++]!;
    if (!mask) continue;
    // the bits that really have been cleared; never bits beyond the end of the memslot
    mask &= atomic_long_fetch_andnot(mask, dirty_bitmap, i);
    if (mask) kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, memslot, offset, mask);
  }
  return 0;
}

/** kvm_get_dirty_log (the !CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT one, used by s390) */
function kvm_get_dirty_log(kvm: Kvm, log: KvmDirtyLog): { r: number; is_dirty: boolean; memslot: KvmMemorySlot | null } {
  const as_id = log.slot >>> 16;
  const id = log.slot & 0xffff;
  if (as_id >= 1 || id >= KVM_USER_MEM_SLOTS) return { r: -EINVAL, is_dirty: false, memslot: null };
  const memslot = id_to_memslot(kvm, id);
  if (!memslot || !memslot.dirty_bitmap) return { r: -ENOENT, is_dirty: false, memslot };
  kvm_arch_sync_dirty_log(kvm, memslot);
  const n = kvm_dirty_bitmap_bytes(memslot);
  let any = 0n;
  for (let i = 0; !any && i < n / 8; ++i) any = memslot.dirty_bitmap[i]!;
  if (!log.dirty_bitmap) return { r: -EFAULT, is_dirty: false, memslot }; // copy_to_user
  log.dirty_bitmap.set(memslot.dirty_bitmap.subarray(0, n / 8));
  return { r: 0, is_dirty: any !== 0n, memslot };
}

/**
 * s390 kvm_vm_ioctl_get_dirty_log: get, then "Clear the dirty log" with memset. It yields
 * between kvm_get_dirty_log's copy_to_user and the memset, where other threads run.
 */
function* kvm_s390_vm_ioctl_get_dirty_log(kvm: Kvm, log: KvmDirtyLog): Generator<void, number, void> {
  if (log.slot >= KVM_USER_MEM_SLOTS) return -EINVAL;
  const { r, is_dirty, memslot } = kvm_get_dirty_log(kvm, log);
  if (r) return r;
  yield;
  if (is_dirty) memslot!.dirty_bitmap!.fill(0n, 0, kvm_dirty_bitmap_bytes(memslot!) / 8);
  return 0;
}

/** KVM_GET_DIRTY_LOG as a generator: it yields where the s390 ioctl lets other threads in. */
export function* kvm_vm_ioctl_get_dirty_log(kvm: Kvm, log: KvmDirtyLog): Generator<void, number, void> {
  if (kvm.readProtect) return kvm_get_dirty_log_protect(kvm, log);
  return yield* kvm_s390_vm_ioctl_get_dirty_log(kvm, log);
}

/** Runs KVM_GET_DIRTY_LOG to completion. */
export function kvm_vm_ioctl_get_dirty_log_sync(kvm: Kvm, log: KvmDirtyLog): number {
  const g = kvm_vm_ioctl_get_dirty_log(kvm, log);
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** kvm_vm_ioctl for KVM_CLEAR_DIRTY_LOG: only with the config, else kvm_arch_vm_ioctl's -ENOTTY. */
export function kvm_vm_ioctl_clear_dirty_log(kvm: Kvm, log: KvmClearDirtyLog): number {
  return kvm.readProtect ? kvm_clear_dirty_log_protect(kvm, log) : -ENOTTY;
}

/** A guest store to gfn: fault if the mapping is protected, then the data changes. */
export function guest_store(kvm: Kvm, gfn: number): void {
  if (kvm.arch === 's390') {
    if (kvm.pte_protect[gfn]) pgste_set_pte_writable(kvm, gfn);
  } else if (!kvm.spte_writable[gfn]) {
    // kvm_mmu_page_fault -> fast_pf_fix_direct_spte: writable again, and logged
    kvm.spte_writable[gfn] = 1;
    mark_page_dirty_in_slot(kvm, kvm.memslot, gfn);
  }
  kvm.memory[gfn]!++;
}

/** __kvm_write_guest_page: __copy_to_user through the hva (s390: may fault on the host PTE), then mark. */
export function __kvm_write_guest_page(kvm: Kvm, gfn: number, options: { mark: boolean } = { mark: true }): void {
  if (kvm.arch === 's390' && kvm.pte_protect[gfn]) pgste_set_pte_writable(kvm, gfn);
  kvm.memory[gfn]!++;
  if (options.mark) mark_page_dirty_in_slot(kvm, kvm.memslot, gfn);
}

/** A migration tool as QEMU: a migration bitmap that starts all ones, GET, CLEAR of what it read, copy. */
export class MigrationTool {
  readonly bitmap: Uint8Array;
  readonly copied: Uint32Array;
  /** harness ghost: the page was written since the last GET snapshot (legacy) or the last CLEAR that selected it */
  readonly since: Uint8Array;
  /** what the last ioctl returned, null after a step where none returned */
  lastRc: number | null = null;
  /** the bitmap the last KVM_GET_DIRTY_LOG that returned 0 copied out in this step, as bit numbers */
  lastGot: number[] | null = null;
  /** a KVM_GET_DIRTY_LOG that has not returned yet, and the user buffer it copies into */
  inflight: { ioctl: Generator<void, number, void>; buf: BigUint64Array } | null = null;

  constructor(readonly kvm: Kvm) {
    this.bitmap = new Uint8Array(kvm.memslot.npages).fill(1);
    this.copied = new Uint32Array(kvm.memslot.npages);
    this.since = new Uint8Array(kvm.memslot.npages);
  }

  private words(): number {
    return ALIGN(this.kvm.memslot.npages, BITS_PER_LONG) / BITS_PER_LONG;
  }

  /** The set bits of a user bitmap (past npages too). */
  bitsOf(buf: BigUint64Array): number[] {
    const out: number[] = [];
    for (let b = 0; b < buf.length * BITS_PER_LONG; b++) if (test_bit_le(b, buf)) out.push(b);
    return out;
  }

  /** A step that is no ioctl: nothing returned. */
  quiet(): void {
    this.lastRc = null;
    this.lastGot = null;
  }

  write(gfn: number): void {
    this.since[gfn] = 1;
  }

  enableCap(args: number): void {
    this.lastGot = null;
    this.lastRc = kvm_vm_ioctl_enable_cap_generic(this.kvm, { cap: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, flags: 0, args: [args] });
  }

  setFlags(flags: number): void {
    this.lastGot = null;
    this.lastRc = kvm_set_memory_region(this.kvm, flags);
    this.since.fill(0);
  }

  /**
   * The slot field of a GET or CLEAR: 0, or a slot the kernel refuses (-EINVAL) in both classes
   * kvm_get_dirty_log(_protect) and kvm_clear_dirty_log_protect check: an address space past
   * KVM_ADDRESS_SPACE_NUM (as_id 1, id 0) while the slot logs, a slot id at KVM_USER_MEM_SLOTS
   * otherwise (either way no memslot, so a missing check is -ENOENT or an ioctl on slot 0).
   */
  private slotId(bad = false): number {
    return !bad ? 0 : this.kvm.memslot.dirty_bitmap ? 1 << 16 : KVM_USER_MEM_SLOTS;
  }

  /** Enters KVM_GET_DIRTY_LOG; on s390 it stays in the ioctl until `resumeGetDirtyLog`. */
  getDirtyLog(options: { fault?: boolean; badSlot?: boolean } = {}): void {
    const buf = new BigUint64Array(this.words());
    const ioctl = kvm_vm_ioctl_get_dirty_log(this.kvm, { slot: this.slotId(options.badSlot), dirty_bitmap: options.fault ? null : buf });
    this.inflight = { ioctl, buf };
    this.lastRc = null;
    this.lastGot = null;
    this.resumeGetDirtyLog(true);
  }

  /** The kernel continues the ioctl (s390: the memset); when it returns, the buffer is merged. */
  resumeGetDirtyLog(entering = false): void {
    if (!this.inflight) throw new Error('no KVM_GET_DIRTY_LOG in flight');
    const r = this.inflight.ioctl.next();
    if (!r.done) {
      // s390: copy_to_user happened, the memset has not: the snapshot is taken
      if (entering) this.snapshot(this.inflight.buf);
      return;
    }
    const { buf } = this.inflight;
    this.inflight = null;
    this.lastRc = r.value;
    if (this.lastRc !== 0) return;
    this.lastGot = this.bitsOf(buf);
    if (entering) this.snapshot(buf);
    for (const b of this.lastGot) if (b < this.kvm.memslot.npages) this.bitmap[b] = 1;
  }

  /** Harness ghost: a legacy GET snapshot resets `since`; the copied bits count as reported while the ioctl runs. */
  private snapshot(buf: BigUint64Array): void {
    if (!(this.kvm.manual_dirty_log_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) this.since.fill(0);
    for (const b of this.bitsOf(buf)) if (b < this.kvm.memslot.npages) this.bitmap[b] = 1;
  }

  /** Dirty for userspace: in its migration bitmap. */
  reported(gfn: number): boolean {
    return this.bitmap[gfn] === 1;
  }

  /** Clear what the migration bitmap holds in the range; `pastEnd` also sets the bits past npages in the last word. */
  clearDirtyLog(first_page: number, num_pages: number, options: { pastEnd?: boolean; fault?: boolean; badSlot?: boolean } = {}): void {
    const buf = new BigUint64Array(Math.max(1, DIV_ROUND_UP(num_pages, BITS_PER_LONG)));
    const selected: number[] = [];
    for (let i = 0; i < buf.length * BITS_PER_LONG; i++) {
      const p = first_page + i;
      if ((p >= this.kvm.memslot.npages && options.pastEnd) || (i < num_pages && p < this.kvm.memslot.npages && this.bitmap[p])) {
        set_bit_le(i, buf);
        if (p < this.kvm.memslot.npages) selected.push(p);
      }
    }
    this.lastGot = null;
    this.lastRc = kvm_vm_ioctl_clear_dirty_log(this.kvm, { slot: this.slotId(options.badSlot), first_page, num_pages, dirty_bitmap: options.fault ? null : buf });
    if (this.lastRc === 0) for (const p of selected) this.since[p] = 0;
  }

  /** Send the page: requires its migration bit. */
  copy(gfn: number): void {
    if (!this.bitmap[gfn]) throw new Error(`page ${gfn} is not dirty in the migration bitmap`);
    this.copied[gfn] = this.kvm.memory[gfn]!;
    this.bitmap[gfn] = 0;
    this.quiet();
  }

  stale(gfn: number): boolean {
    return this.copied[gfn] !== this.kvm.memory[gfn];
  }
}
