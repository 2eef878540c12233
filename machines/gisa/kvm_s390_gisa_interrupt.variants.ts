// Variants of the GISA machine with the result the checker must find.
import { kernel, vmOf } from '../lib.ts';
import { editFunction, swapStatements } from '../kthread.ts';
import type { CoreVariant } from '../system/spec.ts';

export const gisaVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description:
      'current upstream. Finding: gisa_get_ipm_or_restore_iam restores the IAM even while the GISA is listed, and kvm_s390_gisa_destroy only calls gisa_set_iam(0), which fails (-EBUSY) while listed; after process_gib_alert_list unlinks it the IAM is still set, so an interruption from a source a driver failed to disable relinks the GISA before sie_page2 is freed',
    cite: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy, gisa_get_ipm_or_restore_iam, v6.17-rc4 (f87ef5723536)',
    expectedViolations: ['FreedGisaNotInAlertList'],
    expectedViolationsIn: {
      // the unregister's gisa_set_iam writes the IAM the word already has, so the kicker's try_cmpxchg with the mask it read before succeeds
      'kicker-unregister': ['IamRestoredOrKickerArmed'],
      'kicker-destroy': [],
      // the same ABA against the destroy's gisa_set_iam(0), then a late interruption: listed at free, and the GAL handler re-arms the kicker after hrtimer_cancel
      'kicker-unregister-destroy': ['IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList', 'KickerSeesLiveGisa'],
    },
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
    provide: () => ({
      actions: {
        kvm_s390_gisc_unregister: kernel((c, e, ix) => {
          const g = vmOf(c, ix.vm!).gisa;
          if (g.origin && e.isc! <= 7 && (g.ref[e.isc!] ?? 0) > 0) g.ref[e.isc!]! -= 1;
        }),
      },
    }),
    expectedViolations: ['AlertMaskIsRegisteredIscs', 'FreedGisaNotInAlertList'],
  },
  {
    id: 'planted-origin-null-before-cancel',
    description:
      'planted race: kvm_s390_gisa_destroy sets gi->origin = NULL before hrtimer_cancel(&gi->timer), so the armed gisa_vcpu_kicker can expire between the two and dereference the NULL origin (container_of(gi->origin, ...)->kvm); needs the timer to fire inside the destroy, which the atomic form cannot show',
    cite: 'planted: interrupt.c kvm_s390_gisa_destroy with "hrtimer_cancel(&gi->timer);" and "gi->origin = NULL;" swapped',
    configuration: 'kicker-destroy',
    threads: (threads) => editFunction(threads, 'destroy', 'kvm_s390_gisa_destroy', (f) => swapStatements(f, 'hrtimer_cancel(gi->timer)', 'gi->origin = NULL')),
    expectedViolations: ['KickerSeesLiveGisa'],
  },
];
