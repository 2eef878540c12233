// vcpu: kvm_arch_vcpu_runnable as it was before 9b57e9d5010b ("KVM: s390: clear kicked_mask
// before sleeping again", v5.15): the vcpu's kicked_mask bit is not cleared when it wakes and
// finds nothing to do, so __airqs_kick_single_vcpu, which skips kicked vcpus, never kicks it
// again. Checked in kick-wait, where the vcpu's KVM_RUN loop and the gisa_vcpu_kicker run as
// threads statement by statement: the vcpu sleeps with its bit set (KickedNotAsleep), and the
// next interruption's kick is lost (NoLostWakeupAtSleep), so the vcpu sleeps for good with it
// pending (WokenFromSchedule, liveness).
import { defineVariant } from 's390-kvm-spec';

export default defineVariant({
  machine: 'system',
  base: 'upstream',
  description: 'kvm_arch_vcpu_runnable does not clear the kicked_mask bit',
  configurations: ['kick-wait'],
  expectedViolations: ['KickedNotAsleep', 'NoLostWakeupAtSleep', 'WokenFromSchedule'],
  kernel: {
    // arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_runnable (v6.17-rc4) without clear_bit(vcpu->vcpu_idx, gi->kicked_mask)
    kvm_arch_vcpu_runnable(c, vm, cpu) {
      return this.kvm_s390_vcpu_has_irq(c, vm, cpu);
    },
  },
});
