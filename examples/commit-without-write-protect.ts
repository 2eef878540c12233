// dirty log: what if x86's kvm_arch_commit_memory_region (kvm_mmu_slot_apply_flags) skipped
// write-protecting the slot when dirty logging is enabled without KVM_DIRTY_LOG_INITIALLY_SET?
// A guest write after logging starts then faults nowhere, so nothing marks it dirty and no
// KVM_GET_DIRTY_LOG reports it.
import { defineVariant } from 's390-kvm-spec';

export default defineVariant({
  machine: 'kvm_memory_slot',
  base: 'baseline',
  description: 'kvm_arch_commit_memory_region does not write-protect the slot',
  configurations: ['manual'],
  // baseline holds every property in manual; each of these is the unprotected slot, checked by hand on its trace:
  // the slot logs with clean bits and writable pages (DirtyOrWriteProtected); a store after the page was sent
  // faults nowhere, so it is neither logged nor re-sent (NoLostWrite) and the next GET misses it
  // (GetReportsEveryDirtiedPage); CLEAR re-protects only bits it really cleared, so a clean page it selects stays
  // writable (ClearCleansSelected).
  expectedViolations: ['DirtyOrWriteProtected', 'NoLostWrite', 'GetReportsEveryDirtiedPage', 'ClearCleansSelected'],
  kernel: {
    // arch/x86/kvm/x86.c kvm_mmu_slot_apply_flags: the kvm_mmu_slot_remove_write_access call removed
    kvm_arch_commit_memory_region() {},
  },
});
