// A reviewer's variant of the composed guest: vfio_ap_mdev_unset_kvm drops the KVM reference
// without resetting the queues first. The checker must find the AQIC hazard back.
import { defineVariant, kernel } from 's390-kvm-spec';

export default defineVariant({
  machine: 'system',
  base: 'upstream-fixed',
  description: 'unset_kvm puts the KVM reference without vfio_ap_mdev_reset_queues',
  // the queue's later removal still frees what the close left behind, so teardown stays reachable
  expectedViolations: [
    'AqicResourcesFreedBeforeGisaDestroy', 'NoGisaUseAfterFree', 'NoGiscCallOnFreedKvm', 'AlertMaskZeroAtDestroy',
    'QueueTypeOK', 'GiscRefcountMatchesSavedIscs', 'FreedGisaNotInAlertList',
  ],
  actions: {
    vfio_ap_mdev_close_device: kernel((c, _event, _ix, fx) => {
      const vm = c.mdev.kvm;
      c.mdev.hook = -1;
      if (vm >= 0 && c.mdev.kvmRef) {
        c.mdev.kvmRef = false;
        const k = c.vms[vm]!;
        k.users -= 1;
        if (k.users === 0) fx.raise({ type: 'kvm_destroy_vm', vm });
      }
      c.mdev.kvm = -1;
    }),
  },
});
