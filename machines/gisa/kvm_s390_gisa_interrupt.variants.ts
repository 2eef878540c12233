// Variants of the GISA machine with the result the checker must find.
import { kernel, vmOf } from '../lib.ts';
import type { CoreVariant } from '../system/spec.ts';

export const gisaVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'current upstream: gisa_vcpu_kicker restores the IAM; kvm_s390_gisa_destroy clears alert.mask and the IAM and unlinks the GISA (f87ef5723536)',
    cite: 'arch/s390/kvm/interrupt.c, v6.17-rc4',
    expectedViolations: [],
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
    expectedViolations: ['IamRestoredOrKickerArmed'],
  },
  {
    id: 'planted-unregister-keeps-mask',
    description: 'planted bug: kvm_s390_gisc_unregister drops the reference but not the ISC from alert.mask',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister without "gi->alert.mask &= ~(0x80 >> gisc)"',
    provide: () => ({
      actions: {
        kvm_s390_gisc_unregister: kernel((c, e, ix) => {
          const g = vmOf(c, ix.vm!).gisa;
          if (g.origin && e.isc! <= 7 && (g.ref[e.isc!] ?? 0) > 0) g.ref[e.isc!]! -= 1;
        }),
      },
    }),
    expectedViolations: ['AlertMaskIsRegisteredIscs'],
  },
];
