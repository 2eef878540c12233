// The program counters of the vcpu's fine-grained KVM_RUN loop (kvm_vcpu.threads.ts), by the C
// they execute (v6.17-rc4 arch/s390/kvm/kvm-s390.c, interrupt.c, virt/kvm/kvm_main.c). Their own
// module so that the step ghost (machines/gisa/kvm_s390_gisa_interrupt.stepghost.ts), which the
// thread file imports, can name them without an import cycle.
/** The program counters of the vcpu thread, by the C they execute. */
export const VCPU_PC = {
  deliver: 'vcpu_pre_run@kvm_s390_deliver_pending_interrupts',
  clearKicked: 'vcpu_pre_run@clear_bit(kicked_mask)',
  sie: '__vcpu_run@sie64a',
  waitIntercept: '__vcpu_run@vcpu_post_run',
  runnable: 'kvm_s390_handle_wait@kvm_arch_vcpu_runnable',
  restore: 'kvm_s390_handle_wait@gisa_get_ipm_or_restore_iam',
  setIdle: 'kvm_s390_handle_wait@__set_cpu_idle',
  setState: 'kvm_vcpu_block@set_current_state(TASK_INTERRUPTIBLE)',
  checkBlock: 'kvm_vcpu_block@kvm_vcpu_check_block',
  schedule: 'kvm_vcpu_block@schedule()',
  unsetIdle: 'kvm_s390_handle_wait@__unset_cpu_idle',
  // issue 12 (kick-wait-fault): vcpu_pre_run returned -EFAULT; KVM_RUN returns it to userspace, which may issue KVM_RUN again
  runError: 'kvm_arch_vcpu_ioctl_run@return -EFAULT',
} as const;
