// FLIC: what if kvm_vm_ioctl_enable_cap accepted KVM_CAP_S390_AIS after vcpus exist? A patch
// could argue that AIS only changes how floating adapter interruptions are injected, which no
// vcpu caches, and drop the `kvm->created_vcpus` test. But facility 72 is part of the CPU model
// the vcpus were created with (kvm->arch.model.fac_list), and api.rst 7.10 promises userspace
// "-EBUSY if a VCPU has already been created".
import { defineVariant } from 's390-kvm-spec';

export default defineVariant({
  machine: 'kvm_s390_float_interrupt',
  base: 'baseline',
  description: 'kvm_vm_ioctl_enable_cap enables KVM_CAP_S390_AIS after a vcpu was created',
  // attr is the configuration that creates a vcpu; the baseline's findings there (a second FLIC is
  // -EINVAL, not -EEXIST; AIS without the capability is -EOPNOTSUPP) stay
  configurations: ['attr'],
  // checked by hand on the trace: KVM_CREATE_VCPU, then KVM_ENABLE_CAP(KVM_CAP_S390_AIS) answers 0
  expectedViolations: ['SecondCreateEexist', 'FlicErrnoDocumented', 'CapabilityOnlyBeforeVcpus'],
  kernel: {
    // arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_enable_cap, case KVM_CAP_S390_AIS: the
    // `if (kvm->created_vcpus) r = -EBUSY; else` removed, the two set_kvm_facility calls kept
    kvm_vm_ioctl_enable_cap(c) {
      c.fac72 = true;
      return 0;
    },
  },
});
