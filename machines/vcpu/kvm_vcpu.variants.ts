// Variants of the vcpu machine with the result the checker must find.
import { vmOf } from '../lib.ts';
import type { CoreVariant } from '../system/spec.ts';

export const vcpuVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'current upstream: kvm_s390_handle_wait restores the IAM with gisa_get_ipm_or_restore_iam; vcpu_pre_run delivers by PSW swap',
    cite: 'arch/s390/kvm/interrupt.c kvm_s390_handle_wait, kvm-s390.c vcpu_pre_run, v6.17-rc4',
    expectedViolations: [],
  },
  {
    id: 'planted-no-delivery',
    description: 'planted bug: vcpu_pre_run enters SIE without kvm_s390_deliver_pending_interrupts, so a deliverable GISA interruption stays pending for a vcpu in SIE',
    cite: 'planted: kvm-s390.c vcpu_pre_run without the delivery',
    kernel: {
      vcpu_pre_run(c, vm, vcpu) {
        const v = vmOf(c, vm).vcpus[vcpu]!;
        v.kicked = false;
        v.inSie = true;
      },
    },
    expectedViolations: ['SieDeliversAtOnce'],
  },
];
