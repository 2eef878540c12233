// A reviewer's variant of the composed guest: what if kvm_s390_gisa_destroy kept the WARN and
// the IAM reset of f87ef5723536 but ignored gisa_set_iam's -EBUSY instead of calling
// process_gib_alert_list? A GISA still on the alert list when QEMU tears the VM down would be
// freed while linked, and the host's next GAL interruption would walk freed memory.
import { defineVariant, kernel } from 's390-kvm-spec';

export default defineVariant({
  machine: 'system',
  base: 'upstream-fixed',
  description: 'kvm_s390_gisa_destroy ignores -EBUSY from gisa_set_iam instead of processing the alert list',
  expectedViolations: ['FreedGisaNotInAlertList', 'NoGisaUseAfterFree'],
  // nothing walks the alert list in the destroy any more, so its origin does not change there
  guards: { gisa_destroy_processes_list: () => false },
  actions: {
    kvm_s390_gisa_destroy: kernel((c, _event, ix) => {
      const gi = c.vms[ix.vm!]!.gisa;
      if (!gi.origin) return;
      gi.mask = 0;
      if (!(c.gib.list & (1 << ix.vm!))) gi.iam = 0; // gisa_set_iam(gi->origin, 0): -EBUSY while listed, ignored
      gi.timer = false; // hrtimer_cancel
      gi.origin = false;
    }),
  },
});
