// Kernel audit of the composed guest (machine `system`): the per-object audits merged, each
// branch taking the strongest mark any part gives it; where a per-object machine mirrors a
// kernel call with an environment event, the composed machine mirrors it inside the caller
// that makes the call (issue 12).
import type { KernelAudit } from '../../src/audit.ts';
import { composeAudits } from '../audit-lib.ts';
import { PINNED_AUDIT } from '../audit-kernel.ts';
import { gisaKickerAudit } from '../gisa/kvm_s390_gisa_interrupt.audit.ts';
import { vcpuFineAudit } from '../vcpu/kvm_vcpu.audit.ts';
import { tpiWindowAudit } from '../vcpu/kvm_s390_get_io_int.threads.audit.ts';
import { mdevAudit } from '../vfio-ap/ap_matrix_mdev.audit.ts';
import { queueAudit } from '../vfio-ap/vfio_ap_queue.audit.ts';
import { hotUnplugAudit } from '../vfio-ap/vfio_ap_hotunplug.threads.audit.ts';
import { pqapCloseAudit, pqapMdevRemoveAudit, pqapOpenAudit, pqapRemoveQueueAudit, pqapWindowsAudit } from '../vfio-ap/vfio_ap_ops.threads.audit.ts';
import { pqapMdevLifeAudit } from '../vfio-ap/vfio_ap_mdev.threads.audit.ts';
import { pqapAssignAudit } from '../vfio-ap/vfio_ap_hotplug.threads.audit.ts';
import { apNotifierAudit } from '../vfio-ap/vfio_ap_notifier.threads.audit.ts';

/** Names only the per-object machines use (environment events and their bounds), and where the composed machine makes those calls. */
export const COMPOSED_CALLERS: Readonly<Record<string, readonly string[]>> = {
  kvm_s390_gisc_register: ['handle_pqap'],
  kvm_s390_gisc_unregister: ['handle_pqap', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_remove_queue'],
  gisa_get_ipm_or_restore_iam: ['kvm_s390_handle_wait', 'gisa_vcpu_kicker'],
  gisa_tac_ipm_gisc: ['vcpu_pre_run'],
  kicked_mask_clear: ['vcpu_pre_run', 'kvm_vcpu_check_block', 'kvm_s390_handle_wait', 'kvm_s390_vcpu_stop'],
  kvm_get_kvm: ['vfio_ap_mdev_open_device'],
  kvm_put_kvm: ['vfio_ap_mdev_close_device', 'kvm_vm_release'],
  bounds_gisc_register: [],
  bounds_kvm_get_kvm: [],
  driver_holds_reference: [],
};

export const systemAudit: KernelAudit = composeAudits([gisaKickerAudit, vcpuFineAudit, mdevAudit, queueAudit, pqapCloseAudit, pqapOpenAudit, pqapRemoveQueueAudit, pqapMdevRemoveAudit, pqapWindowsAudit, pqapMdevLifeAudit, pqapAssignAudit, hotUnplugAudit, apNotifierAudit, tpiWindowAudit], {
  machine: 'system',
  pinned: PINNED_AUDIT,
  envOnly: new Set(Object.keys(COMPOSED_CALLERS)),
  remap: COMPOSED_CALLERS,
});
