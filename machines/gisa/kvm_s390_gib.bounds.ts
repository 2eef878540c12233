// Configuration of the GIB machine: two VMs whose GISAs millicode may enqueue.
import type { CoreConfiguration } from '../system/spec.ts';

export const gibConfigurations: CoreConfiguration[] = [
  {
    id: 'two-vms',
    description: '2 VMs; millicode enqueues either GISA at any time; v6.6 kvm_s390_gisa_destroy may process the list',
    params: { vms: 2, vcpus: 0, queues: 0, iscs: [3] },
    bounds: { types: ['gisa_alert', 'gib_alert_irq_handler', 'process_gib_alert_list', 'kvm_s390_gisa_destroy'] },
  },
];
