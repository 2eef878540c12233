// dirty log: what if x86's kvm_arch_commit_memory_region (kvm_mmu_slot_apply_flags) skipped
// write-protecting the slot when dirty logging is enabled without KVM_DIRTY_LOG_INITIALLY_SET?
// A guest write before the first KVM_GET_DIRTY_LOG then faults nowhere and is never logged.
import { assign } from 'xstate';
import { defineVariant } from 's390-kvm-spec';

export default defineVariant({
  machine: 'kvm_memory_slot',
  base: 'baseline',
  description: 'kvm_arch_commit_memory_region does not write-protect the slot',
  configurations: ['manual'],
  expectedViolations: ['DirtyOrWriteProtected', 'NoLostWrite'],
  actions: {
    // arch/x86/kvm/x86.c kvm_mmu_slot_apply_flags: the kvm_mmu_slot_remove_write_access call removed
    kvm_arch_commit_memory_region: assign(({ context }) => ({ pages: context.pages })),
  },
});
