// Variants of the GISA machine with the result the checker must find.
import { vmOf } from '../lib.ts';
import type { CoreVariant } from '../system/spec.ts';

export const gisaVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description:
      'current upstream. Finding: gisa_get_ipm_or_restore_iam restores the IAM even while the GISA is listed, and kvm_s390_gisa_destroy only calls gisa_set_iam(0), which fails (-EBUSY) while listed; after process_gib_alert_list unlinks it the IAM is still set, so an interruption from a source a driver failed to disable relinks the GISA before sie_page2 is freed',
    cite: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy, gisa_get_ipm_or_restore_iam, v6.17-rc4 (f87ef5723536)',
    expectedViolations: ['FreedGisaNotInAlertList'],
  },
  {
    id: 'gisa-destroy-v5.2',
    description: 'kvm_s390_gisa_destroy before f87ef5723536: logs a non-zero alert.mask, spins until the GISA is unlinked, leaves the IAM set; a late interruption relinks the GISA and the page is freed while listed',
    cite: 'f87ef5723536 "KVM: s390: fix gisa destroy operation might lead to cpu stalls" (v6.6) and Michael Mueller, 2023',
    design: { gisaDestroy: 'v5.2' },
    expectedViolations: ['FreedGisaNotInAlertList'],
  },
  {
    id: 'gib-v3',
    description: 'GIB series v3: process_gib_alert_list unlinks a GISA and kicks a vcpu but arms no timer, and nothing restores the IAM when no vcpu leaves SIE',
    cite: '[PATCH v3 08/12] and 10/12 "KVM: s390: make use of the GIB" (2018-11-28)',
    design: { gib: 'gib-v3' },
    expectedViolations: ['IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList'],
  },
  {
    id: 'planted-unregister-keeps-mask',
    description: 'planted bug: kvm_s390_gisc_unregister drops the reference but not the ISC from alert.mask',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister without "gi->alert.mask &= ~(0x80 >> gisc)"',
    kernel: {
      kvm_s390_gisc_unregister(c, vm, gisc) {
        const g = vmOf(c, vm).gisa;
        if (g.origin && gisc <= 7 && (g.ref[gisc] ?? 0) > 0) g.ref[gisc]! -= 1;
        return 0;
      },
    },
    expectedViolations: ['AlertMaskIsRegisteredIscs', 'FreedGisaNotInAlertList'],
  },
];
