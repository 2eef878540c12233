// Configurations of the composed guest.
import { iscBit } from '../context.ts';
import { AQIC_OUTCOMES } from '../vfio-ap/vfio_ap_queue.bounds.ts';
import type { CoreConfiguration } from './spec.ts';
import { airqLiveness, CleanTeardownReachable } from './system.liveness.ts';

const VCPU = ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'STOSM_IO', 'kvm_vcpu_check_block'];
const GIB = ['gisa_vcpu_kicker', 'gib_alert_irq_handler', 'process_gib_alert_list'];
const TEARDOWN = ['kvm_s390_vcpu_stop', 'kvm_vm_release', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'kvm_destroy_devices'];
/** QEMU's interrupt reset at start and reset: KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_clear_float_irqs -> kvm_s390_gisa_clear. */
const FLIC = ['kvm_s390_gisa_clear'];
const VFIO_AP = [
  'assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'vfio_ap_mdev_close_device',
  'PQAP_AQIC', 'PQAP_ZAPQ', 'AP_ADAPTER_INTERRUPTION', 'vfio_ap_mdev_remove_queue',
];

/** Every event of the guest's life, from vcpu start and QEMU's interrupt reset to teardown, with every ap_aqic outcome. */
const GUEST_LIFETIME = { types: [...VCPU, ...GIB, ...FLIC, ...TEARDOWN, ...VFIO_AP], outcomes: AQIC_OUTCOMES };

export const systemConfigurations: CoreConfiguration[] = [
  {
    id: 'default',
    description: '1 VM with 1 vcpu, 1 AP queue on the mdev, guest ISC 3, every ap_aqic outcome; QEMU may close anything at any time',
    params: { vms: 1, vcpus: 1, queues: 1, iscs: [3] },
    bounds: GUEST_LIFETIME,
  },
  {
    id: 'airq',
    description: '1 VM with 2 vcpus, vcpu0 open for ISC 5 only, vcpu1 for ISC 3 only, both ISCs registered; up to 3 adapter interruptions on either ISC at any time',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [iscBit(5), iscBit(3)], preRegistered: [3, 5], airqs: 3 },
    bounds: { types: [...VCPU, ...GIB, 'GISA_ADAPTER_INTERRUPTION'] },
    liveness: airqLiveness,
  },
  {
    id: 'two-queues',
    description: '1 VM with 1 vcpu, 2 AP queues on the mdev, guest ISC 3, every ap_aqic outcome; symmetry-reduced over the queues (exact); NoLostWakeup is checked in default and airq, on the full graph',
    params: { vms: 1, vcpus: 1, queues: 2, iscs: [3] },
    bounds: GUEST_LIFETIME,
    liveness: [CleanTeardownReachable],
    symmetry: true,
  },
  {
    id: 'smp',
    description: '1 VM with 2 vcpus, 2 AP queues on the mdev, guest ISC 3, every ap_aqic outcome; symmetry-reduced over the queues (exact) and the vcpus (approximate: the lowest vcpu_idx wins); NoLostWakeup is checked in airq, on the full graph',
    params: { vms: 1, vcpus: 2, queues: 2, iscs: [3] },
    bounds: GUEST_LIFETIME,
    liveness: [CleanTeardownReachable],
    symmetry: true,
  },
];
