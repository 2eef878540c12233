// A reviewer's variant of the composed guest: what if kvm_s390_gisa_destroy kept the WARN and
// the IAM reset of f87ef5723536 but ignored gisa_set_iam's -EBUSY instead of calling
// process_gib_alert_list? A GISA still on the alert list when QEMU tears the VM down would be
// freed while linked, and the host's next GAL interruption would walk freed memory.
// The patched function replaces kvm_s390_gisa_destroy in the machine's kernel table: the
// teardown step calls it, and the GIB region follows the alert list origin it leaves.
import { defineVariant, FAULT } from 's390-kvm-spec';

export default defineVariant({
  machine: 'system',
  base: 'upstream-fixed',
  description: 'kvm_s390_gisa_destroy ignores -EBUSY from gisa_set_iam instead of processing the alert list',
  expectedViolations: ['FreedGisaNotInAlertList', 'NoGisaUseAfterFree'],
  kernel: {
    // arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy (v6.17-rc4), without process_gib_alert_list
    kvm_s390_gisa_destroy(c, vm) {
      const gi = c.vms[vm]!.gisa;
      if (!gi.origin) return;
      if (gi.mask) c.vms[vm]!.faults |= FAULT.DESTROY_WITH_ALERT_MASK; // WARN(gi->alert.mask != 0x00, ...)
      gi.mask = 0;
      this.gisa_set_iam(c, vm, 0); // -EBUSY while listed: ignored
      gi.timer = false; // hrtimer_cancel(&gi->timer)
      gi.origin = false;
    },
  },
});
