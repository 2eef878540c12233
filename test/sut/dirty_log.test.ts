import { describe, expect, it } from 'vitest';
import {
  EINVAL,
  ENOENT,
  ENOTTY,
  EFAULT,
  KVM_USER_MEM_SLOTS,
  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
  KVM_MEM_LOG_DIRTY_PAGES,
  Kvm,
  MigrationTool,
  __kvm_write_guest_page,
  guest_store,
  kvm_vm_ioctl_check_extension_generic,
  kvm_vm_ioctl_clear_dirty_log,
  kvm_vm_ioctl_get_dirty_log,
  kvm_vm_ioctl_get_dirty_log_sync,
} from '../../src/sut/dirty_log.ts';

// A 96-page slot: word 0 holds pages 0..63, word 1 pages 64..95 (bits 32..63 never exist).
const ALL64 = (1n << 64n) - 1n;
const LOW32 = (1n << 32n) - 1n;

function logging(arch: 'x86' | 's390', args: number, clearRule: 'current' | 'v5.0' = 'current') {
  const kvm = new Kvm(arch, 96, clearRule);
  const tool = new MigrationTool(kvm);
  if (args) tool.enableCap(args);
  tool.setFlags(KVM_MEM_LOG_DIRTY_PAGES);
  return { kvm, tool };
}
const get = (kvm: Kvm) => {
  const buf = new BigUint64Array(2);
  const rc = kvm_vm_ioctl_get_dirty_log_sync(kvm, { slot: 0, dirty_bitmap: buf });
  return { rc, words: [...buf] };
};
const clear = (kvm: Kvm, first_page: number, num_pages: number, words: bigint[]) =>
  kvm_vm_ioctl_clear_dirty_log(kvm, { slot: 0, first_page, num_pages, dirty_bitmap: BigUint64Array.from(words.length ? words : [0n]) });

describe('generic dirty log transcription (x86 hooks)', () => {
  it('legacy GET returns the xchg snapshot across the word boundary, zeroes the words and write-protects', () => {
    const { kvm } = logging('x86', 0);
    for (const gfn of [0, 63, 64, 95]) guest_store(kvm, gfn);
    expect([...kvm.memslot.dirty_bitmap!.subarray(0, 2)]).toEqual([1n | (1n << 63n), 1n | (1n << 31n)]);
    expect([0, 63, 64, 95].map((g) => kvm.spte_writable[g])).toEqual([1, 1, 1, 1]);
    expect(get(kvm)).toEqual({ rc: 0, words: [1n | (1n << 63n), 1n | (1n << 31n)] });
    expect([...kvm.memslot.dirty_bitmap!.subarray(0, 2)]).toEqual([0n, 0n]);
    expect([0, 63, 64, 95].map((g) => kvm.spte_writable[g])).toEqual([0, 0, 0, 0]);
    expect(get(kvm).words).toEqual([0n, 0n]);
  });

  it('manual GET returns the live bitmap and leaves bits and SPTEs alone', () => {
    const { kvm } = logging('x86', 1);
    guest_store(kvm, 64);
    expect(get(kvm)).toEqual({ rc: 0, words: [0n, 1n] });
    expect(get(kvm)).toEqual({ rc: 0, words: [0n, 1n] });
    expect(kvm.spte_writable[64]).toBe(1);
  });

  it('INITIALLY_SET: every bit of the slot set, nothing protected; CLEAR re-protects only the bits really cleared', () => {
    const { kvm } = logging('x86', 3);
    expect([...kvm.memslot.dirty_bitmap!.subarray(0, 2)]).toEqual([ALL64, LOW32]);
    expect(kvm.spte_writable.every((w) => w === 1)).toBe(true);
    expect(clear(kvm, 0, 64, [(1n << 0n) | (1n << 5n)])).toBe(0);
    expect(kvm.memslot.dirty_bitmap![0]).toBe(ALL64 & ~0x21n);
    expect([0, 1, 5, 6].map((g) => kvm.spte_writable[g])).toEqual([0, 1, 0, 1]);
  });

  it('CLEAR of the last partial word ignores bits userspace sets beyond the end of the slot', () => {
    const { kvm } = logging('x86', 3);
    expect(clear(kvm, 64, 32, [ALL64])).toBe(0);
    expect(kvm.memslot.dirty_bitmap![1]).toBe(0n);
    expect([63, 64, 95].map((g) => kvm.spte_writable[g])).toEqual([1, 0, 0]);
    expect(kvm.spte_writable.length).toBe(96);
  });

  it('CLEAR return codes, counted from the checks in kvm_clear_dirty_log_protect', () => {
    const { kvm } = logging('x86', 1);
    const rc = (first: number, num: number) => clear(kvm, first, num, [0n, 0n]);
    expect([rc(0, 64), rc(64, 32), rc(0, 96), rc(64, 0)]).toEqual([0, 0, 0, 0]);
    expect([rc(32, 64), rc(0, 32), rc(64, 64), rc(128, 0), rc(96, 0)]).toEqual([-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL]);
    // before logging: first_page is checked before the memslot, the range after it
    const fresh = new Kvm('x86', 96);
    expect([clear(fresh, 32, 64, [0n]), clear(fresh, 128, 0, [0n]), get(fresh).rc]).toEqual([-EINVAL, -ENOENT, -ENOENT]);
  });

  it('user buffers that fault: legacy GET has already cleared and re-protected; CLEAR fails before touching a bit', () => {
    const { kvm } = logging('x86', 0);
    guest_store(kvm, 5);
    expect(kvm_vm_ioctl_get_dirty_log_sync(kvm, { slot: 0, dirty_bitmap: null })).toBe(-EFAULT);
    expect([kvm.memslot.dirty_bitmap![0], kvm.spte_writable[5]]).toEqual([0n, 0]);
    const manual = logging('x86', 3).kvm;
    expect(kvm_vm_ioctl_clear_dirty_log(manual, { slot: 0, first_page: 0, num_pages: 64, dirty_bitmap: null })).toBe(-EFAULT);
    expect(manual.memslot.dirty_bitmap![0]).toBe(ALL64);
    expect(kvm_vm_ioctl_get_dirty_log_sync(kvm, { slot: KVM_USER_MEM_SLOTS, dirty_bitmap: new BigUint64Array(2) })).toBe(-EINVAL);
  });

  it('a write-protect request past the slot is recorded (the kernel avoids it with mask &= atomic_long_fetch_andnot)', () => {
    const { kvm } = logging('x86', 3);
    // the bits past npages are never set in the kernel's bitmap, so fetch_andnot's result drops them from the mask
    expect(clear(kvm, 64, 32, [ALL64])).toBe(0);
    expect(kvm.reprotectedBeyondSlot).toBe(false);
    // a bitmap with bit 96 set (as a bitmap_set of ALIGN(npages, 64) bits would leave) makes the same CLEAR reach gfn 96
    kvm.memslot.dirty_bitmap![1] = kvm.memslot.dirty_bitmap![1]! | (1n << 32n);
    expect(clear(kvm, 64, 32, [ALL64])).toBe(0);
    expect(kvm.reprotectedBeyondSlot).toBe(true);
  });

  it('v5.0 rule: num_pages must be a multiple of 64, so the last 32 pages cannot be cleared', () => {
    const { kvm } = logging('x86', 1, 'v5.0');
    expect([clear(kvm, 64, 32, [1n]), clear(kvm, 0, 96, [1n, 1n]), clear(kvm, 0, 64, [1n])]).toEqual([-EINVAL, -EINVAL, 0]);
  });

  it('KVM_ENABLE_CAP accepts 0, 1 and 3 and refuses INITIALLY_SET alone', () => {
    const kvm = new Kvm('x86', 96);
    const tool = new MigrationTool(kvm);
    expect(kvm_vm_ioctl_check_extension_generic(kvm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)).toBe(3);
    const rcs = [2, 4, 1, 3, 0].map((a) => (tool.enableCap(a), [tool.lastRc, kvm.manual_dirty_log_protect]));
    expect(rcs).toEqual([[-EINVAL, 0], [-EINVAL, 0], [0, 1], [0, 3], [0, 0]]);
  });
});

describe('s390 dirty log transcription', () => {
  it('GET harvests the PGSTE UC bits, protects the PTEs and clears the bitmap with memset', () => {
    const { kvm } = logging('s390', 0);
    expect(get(kvm)).toEqual({ rc: 0, words: [ALL64, LOW32] });
    expect([...kvm.memslot.dirty_bitmap!.subarray(0, 2)]).toEqual([0n, 0n]);
    expect(kvm.pgste_uc.every((u) => u === 0) && kvm.pte_protect.every((p) => p === 1)).toBe(true);
    expect(get(kvm).words).toEqual([0n, 0n]);
    guest_store(kvm, 64);
    expect([kvm.pte_protect[64], kvm.pgste_uc[64], kvm.memslot.dirty_bitmap![1]]).toEqual([0, 1, 0n]);
    expect(get(kvm).words).toEqual([0n, 1n]);
  });

  it('a write between copy_to_user and the memset loses its bitmap bit but keeps its UC bit', () => {
    const { kvm } = logging('s390', 0);
    expect(get(kvm).words).toEqual([ALL64, LOW32]);
    guest_store(kvm, 5); // UC again for page 5: this GET reports it
    const buf = new BigUint64Array(2);
    const ioctl = kvm_vm_ioctl_get_dirty_log(kvm, { slot: 0, dirty_bitmap: buf });
    expect(ioctl.next().done).toBe(false);
    expect([...buf]).toEqual([1n << 5n, 0n]);
    __kvm_write_guest_page(kvm, 0);
    guest_store(kvm, 64);
    expect([kvm.memslot.dirty_bitmap![0], kvm.pgste_uc[0], kvm.pgste_uc[64]]).toEqual([1n << 5n | 1n, 1, 1]);
    expect(ioctl.next()).toEqual({ done: true, value: 0 });
    expect(kvm.memslot.dirty_bitmap![0]).toBe(0n);
    expect(get(kvm).words).toEqual([1n, 1n]);
    // x86: the generic GET never yields
    expect(kvm_vm_ioctl_get_dirty_log(logging('x86', 0).kvm, { slot: 0, dirty_bitmap: new BigUint64Array(2) }).next().done).toBe(true);
  });

  it('has neither KVM_CLEAR_DIRTY_LOG nor the manual capability', () => {
    const kvm = new Kvm('s390', 96);
    const tool = new MigrationTool(kvm);
    tool.enableCap(1);
    expect([tool.lastRc, kvm_vm_ioctl_check_extension_generic(kvm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)]).toEqual([-EINVAL, 0]);
    tool.setFlags(KVM_MEM_LOG_DIRTY_PAGES);
    expect(clear(kvm, 0, 64, [1n])).toBe(-ENOTTY);
  });
});

describe('the refused slot stands for both classes kvm_get_dirty_log_protect checks', () => {
  it('an address space past KVM_ADDRESS_SPACE_NUM and a slot id at KVM_USER_MEM_SLOTS are each -EINVAL; the slot 0 the as_id class names succeeds (a missing as_id check would GET it)', () => {
    const { kvm } = logging('x86', 0);
    const buf = () => new BigUint64Array(2);
    // as_id 1, id 0: refused by as_id >= KVM_ADDRESS_SPACE_NUM alone (id 0 is the logging slot)
    expect(kvm_vm_ioctl_get_dirty_log_sync(kvm, { slot: 1 << 16, dirty_bitmap: buf() })).toBe(-EINVAL);
    // as_id 0, id 32764: refused by id >= KVM_USER_MEM_SLOTS alone
    expect(kvm_vm_ioctl_get_dirty_log_sync(kvm, { slot: KVM_USER_MEM_SLOTS, dirty_bitmap: buf() })).toBe(-EINVAL);
    expect(kvm_vm_ioctl_get_dirty_log_sync(kvm, { slot: 0, dirty_bitmap: buf() })).toBe(0);
  });

  it('the driver passes as_id 1 while the slot logs and id KVM_USER_MEM_SLOTS before, so a path reaches both', () => {
    const kvm = new Kvm('x86', 96);
    const tool = new MigrationTool(kvm);
    tool.getDirtyLog({ badSlot: true });
    expect(tool.lastRc).toBe(-EINVAL);
    tool.setFlags(KVM_MEM_LOG_DIRTY_PAGES);
    tool.getDirtyLog({ badSlot: true });
    expect(tool.lastRc).toBe(-EINVAL);
  });
});
