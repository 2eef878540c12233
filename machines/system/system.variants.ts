// Variants of the composed guest with the result the checker must find.
import { fixDefaultResponse } from '../vfio-ap/vfio_ap_queue.variants.ts';
import type { CoreVariant } from './spec.ts';

const GIB_SERIES = '"KVM: s390: make use of the GIB" (Michael Mueller)';

export const systemVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'current upstream: the mdev holds a KVM reference until the queues are reset; AQIC ir=1 answered by a response other than NORMAL or 07 leaks the new pin and GISC registration',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c, arch/s390/kvm/interrupt.c, v6.17-rc4',
    expectedViolations: ['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'AlertMaskZeroAtDestroy', 'CleanTeardownReachable'],
  },
  {
    id: 'upstream-fixed',
    description: 'upstream with the leak of the default AQIC response fixed: every invariant holds, teardown is always clean',
    cite: 'proposed fix to vfio_ap_irq_enable (see vfio_ap_queue variant upstream-fixed)',
    kernel: fixDefaultResponse,
    expectedViolations: [],
  },
  {
    id: 'aqic-v4',
    description: 'the AQIC design as first posted: no KVM reference, so QEMU closing the VM fd destroys the GISA while a queue still has interruptions enabled, a GISC registered and a NIB pinned',
    cite: '"[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control" (Pierre Morel, 2019-02-22) and Halil Pasic\'s review',
    design: { aqic: 'aqic-v4', gisaDestroy: 'v5.2' },
    expectedViolations: [
      'AqicResourcesFreedBeforeGisaDestroy', 'MdevKvmPointerHoldsReference', 'NoGisaUseAfterFree', 'NoGiscCallOnFreedKvm',
      'FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy', 'GiscRefcountMatchesSavedIscs', 'EveryNibPinReleasedOnce',
      'GiscUnregisterBeforeNibUnpin', 'QueueTypeOK', 'IrqEnabledImpliesNibPinned', 'CleanTeardownReachable',
    ],
  },
  {
    id: 'v5.3',
    description: 'the merged AQIC series (v5.3): the KVM reference makes teardown safe; OTHERWISE_CHANGED unpins before it unregisters',
    cite: 'ec89b55e3bce (v5.3)',
    design: { aqic: 'v5.3' },
    expectedViolations: ['GiscUnregisterBeforeNibUnpin', 'EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'AlertMaskZeroAtDestroy', 'CleanTeardownReachable'],
  },
  {
    id: 'planted-no-reset-on-close',
    description: 'planted bug: vfio_ap_mdev_unset_kvm drops the KVM reference without vfio_ap_mdev_reset_queues',
    cite: 'planted: vfio_ap_ops.c vfio_ap_mdev_unset_kvm without the reset',
    kernel: {
      vfio_ap_mdev_unset_kvm(c, fx) {
        const vm = c.mdev.kvm;
        c.mdev.hook = -1;
        if (vm >= 0 && c.mdev.kvmRef) {
          c.mdev.kvmRef = false;
          this.kvm_put_kvm(c, vm, fx);
        }
        c.mdev.kvm = -1;
      },
    },
    expectedViolations: [
      'AqicResourcesFreedBeforeGisaDestroy', 'NoGisaUseAfterFree', 'NoGiscCallOnFreedKvm', 'AlertMaskZeroAtDestroy',
      'GiscRefcountMatchesSavedIscs', 'EveryNibPinReleasedOnce', 'FreedGisaNotInAlertList', 'CleanTeardownReachable',
    ],
  },
  ...(['gib-v2', 'gib-v3', 'gib-v4', 'gib-v5'] as const).map(
    (gib): CoreVariant => ({
      id: gib,
      description: `IAM restore strategy of GIB series ${gib.slice(4)}`,
      cite: `${GIB_SERIES} ${gib.slice(4)}, see machines/gisa/README.md`,
      design: { gib },
      configuration: 'airq',
      expectedViolations: ['IamRestoredOrKickerArmed', 'NoLostWakeup'],
      status: 'asserted',
    }),
  ),
  {
    id: 'gib-upstream',
    description: 'the merged IAM restore strategy: gisa_get_ipm_or_restore_iam in kvm_s390_handle_wait and the gisa_vcpu_kicker timer',
    cite: `${GIB_SERIES} v7, v5.2 and later`,
    configuration: 'airq',
    expectedViolations: [],
  },
];
