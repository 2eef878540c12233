// Configuration of the struct kvm machine: one VM, a driver taking at most one reference.
import type { CoreConfiguration } from './spec.ts';

export const kvmConfigurations: CoreConfiguration[] = [
  {
    id: 'one-vm',
    description: '1 VM without vcpus; a driver takes and drops at most one reference',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 1 },
    bounds: { types: ['kvm_vm_release', 'kvm_get_kvm', 'kvm_put_kvm', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'kvm_destroy_devices'] },
  },
];
