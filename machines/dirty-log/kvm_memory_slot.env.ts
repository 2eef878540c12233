// The environment of the fine dirty-log configurations (kvm_memory_slot.threads.ts): the guest's store
// (the CPU's TLB lookup and SPTE walk, or the write-protection fault it raises) and QEMU's copy of the
// pages its migration bitmap holds. Neither is KVM code: they live here, outside the mutation scope
// (src/mutate/scope.ts mutates *.threads.ts, *.machine.ts and *.kernel.ts), as the coarse machine's
// userspace guards are out of it. The kernel's side of the fault (fast_pf_fix_direct_spte,
// mark_page_dirty_in_slot) stays in kvm_memory_slot.threads.ts.
// Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2), QEMU migration/ram.c.
import { kfunction, named, type Step } from '../kthread.ts';
import type { DirtyFineContext as C } from './kvm_memory_slot.threads.ts';

/**
 * The guest store to page `i`: through a writable TLB entry, or the walk of a writable SPTE (which
 * caches it), or a write protection fault on the write-protected SPTE (to `fault`, KVM's handler).
 */
export function guestStore(i: number, fault: string): Step<C> {
  const P = (f: keyof C['pages'][number]) => ['pages', i, f] as const;
  const faults = named('SPTE write-protected, no writable TLB entry', (c: C) => !c.pages[i]!.tlb && c.pages[i]!.wp);
  return {
    at: 'STORE',
    cite: 'the guest store: through the TLB, or the SPTE walk, or a write protection fault',
    reads: [P('tlb'), P('wp')],
    writes: [P('tlb'), P('stale'), P('since')],
    uses: [],
    run: (c) => {
      const p = c.pages[i]!;
      if (!p.tlb && p.wp) return;
      Object.assign(p, { tlb: true, stale: true, since: true });
    },
    next: [{ if: faults, goto: fault, label: 'write protection fault', writes: [] }, { goto: 'return' }],
  };
}

/** Userspace sends the pages its migration bitmap holds (QEMU migration/ram.c), clearing them there. */
export const ramSave = kfunction<C>('ram_save_target_page', 'QEMU migration/ram.c ram_save_target_page (after KVM_CLEAR_DIRTY_LOG in manual mode)', [
  {
    at: 'copy pages',
    when: named('a page is dirty in the migration bitmap', (c: C) => c.pages.some((p) => p.reported)),
    reads: [['pages', 'length'], ['pages', '*', 'reported']],
    writes: [['pages', '*', 'stale'], ['pages', '*', 'reported']],
    uses: [],
    run: (c) => c.pages.forEach((p) => p.reported && Object.assign(p, { stale: false, reported: false })),
  },
]);
