// vfio-ap: what if vfio_ap_mdev_remove_queue reset the queue only while the AP still has
// interruptions enabled for it? After the guest's own PQAP(ZAPQ) the AP is quiet, but the
// NIB is still pinned and the GISC still registered in the queue's saved state: the unbind
// then frees the queue without vfio_ap_free_aqic_resources: QueueTypeOK finds the removed queue
// with saved_isc and saved_iova still set.
import { defineVariant } from 's390-kvm-spec';

export default defineVariant({
  machine: 'system',
  base: 'upstream-fixed',
  description: 'vfio_ap_mdev_remove_queue resets the queue only when q->irq is set',
  configurations: ['default'],
  expectedViolations: ['QueueTypeOK'],
  kernel: {
    // drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove_queue (v6.17-rc4), the reset made conditional
    vfio_ap_mdev_remove_queue(c, q) {
      if (c.queues[q]!.irq) this.vfio_ap_mdev_reset_queue(c, q);
    },
  },
});
