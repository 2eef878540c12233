// Configuration of the GISA machine: one VM, one guest ISC, a driver that registers at most twice.
import type { CoreConfiguration } from '../system/spec.ts';

export const gisaConfigurations: CoreConfiguration[] = [
  {
    id: 'one-isc',
    description: '1 VM, guest ISC 3 (plus ISC 8 for -ERANGE), a driver registering at most twice, no vcpus (every interruption alerts)',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2 },
    bounds: {
      types: [
        'kvm_s390_gisc_register', 'kvm_s390_gisc_unregister', 'GISA_ADAPTER_INTERRUPTION', 'gisa_vcpu_kicker', 'gisa_get_ipm_or_restore_iam',
        'kvm_s390_gisa_clear', 'gisa_tac_ipm_gisc', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'gib_alert_irq_handler', 'process_gib_alert_list',
      ],
      extraIscs: [8],
    },
  },
];
