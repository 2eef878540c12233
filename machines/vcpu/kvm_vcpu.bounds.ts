// Configuration of the vcpu machine: one vcpu, guest ISC 3 registered, interruptions from outside.
import type { CoreConfiguration } from '../system/spec.ts';

export const vcpuConfigurations: CoreConfiguration[] = [
  {
    id: 'one-vcpu',
    description: '1 vcpu with CR6 open for ISC 3, registered by a driver; adapter interruptions and wakeups come from outside',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3] },
    bounds: {
      types: [
        'kvm_s390_vcpu_start', 'kvm_s390_vcpu_stop', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'STOSM_IO',
        'kvm_s390_vcpu_wakeup', 'kvm_vcpu_check_block', 'GISA_ADAPTER_INTERRUPTION',
      ],
    },
  },
];
