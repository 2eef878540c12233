// Variants of the GISA machine with the result the checker must find.
import { vmOf } from '../lib.ts';
import { editFunction, swapStatements, type KFunction } from '../kthread.ts';
import type { SystemContext } from '../context.ts';

/** A planted bug in the driver thread's kvm_s390_gisc_unregister (kicker-unregister configuration): one lock rule broken each. */
const unregister = (edit: (f: KFunction<SystemContext>) => KFunction<SystemContext>) => ({
  configuration: 'kicker-unregister',
  configurations: ['kicker-unregister'],
  threads: (threads: Parameters<typeof editFunction<SystemContext>>[0]) => editFunction(threads, 'driver', 'kvm_s390_gisc_unregister', edit),
});
const at = (f: KFunction<SystemContext>, label: string) => f.steps.findIndex((s) => s.at === label);
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
      'two-vms-kicker-destroy': [],
      // the same ABA against the destroy's gisa_set_iam(0), then a late interruption: listed at free, and the GAL handler re-arms the kicker after hrtimer_cancel
      'kicker-unregister-destroy': ['IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList', 'KickerSeesLiveGisa'],
      // the one-isc finding (GET_ALL only clears IPM bits, as kvm_s390_gisa_clear does)
      'flic-get-all': ['FreedGisaNotInAlertList'],
      // no GISA: registrations answer -ENODEV, nothing is ever listed
      'no-aiv': [],
      // the one-isc finding, plus: KVM_PV_ENABLE without UV AIV destroys a GISA with ISC 3 registered (the WARN), and
      // KVM_PV_DISABLE re-initialises it with alert.mask 0 but ref_count[3] still 1 (kvm_s390_gisa_init does not reset ref_count[])
      // and, on the one-isc premise (an AP left enabled relinks the GISA destroyed while listed, its IAM kept), the
      // re-initialisation memsets a GISA the GIB list still reaches (7 steps)
      'pv-switch': ['AlertMaskIsRegisteredIscs', 'FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy', 'GisaInitNotListed'],
      // the GISA stays disabled after PV: ref_count[] is stale, but no alert.mask is in use
      'pv-use-gisa-cleared': ['FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy'],
      // issue 14: no driver, so no stale ref_count[], no IAM, nothing listed: upstream holds every property
      'pv-switch-no-driver': [],
    },
  },
  {
    id: 'pv-reinit-restores-mask',
    description:
      'a fix for the stale ref_count[] after PV: kvm_s390_gisa_init, when kvm_s390_gisa_enable re-initialises a GISA, rebuilds alert.mask (and the IAM) from the ref_count[] it kept, so a registration made before KVM_PV_ENABLE is in force again after KVM_PV_DISABLE',
    cite: 'not upstream: interrupt.c kvm_s390_gisa_init with "gi->alert.mask = <ISCs with ref_count != 0>" instead of "= 0" (v6.17-rc4 otherwise)',
    configuration: 'pv-switch',
    configurations: ['pv-switch'],
    kernel: {
      kvm_s390_gisa_init(c, vm) {
        if (!(c.params.aiv ?? true)) return;
        const g = vmOf(c, vm).gisa;
        const mask = g.ref.reduce((m, r, isc) => (r ? m | (0x80 >> isc) : m), 0);
        if (c.gib.list & (1 << vm)) vmOf(c, vm).faults |= 2048; // FAULT.GISA_INIT_WHILE_LISTED
        Object.assign(g, { origin: true, mask, timer: false, ipm: 0, iam: mask });
      },
    },
    // the WARN at the disable, the one-isc finding and the re-init of a relinked GISA stay; the mask matches the counts again
    expectedViolations: ['FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy', 'GisaInitNotListed'],
  },
  {
    id: 'planted-alert-drops-ipm',
    description: 'planted bug (issue 14, breaks AdapterInterruptionLedger): the millicode step that alerts (IAM bit set: IAM cleared, the GISA enqueued) forgets to set the IPM bit, so the interruption that raised the alert is lost',
    cite: 'planted: the adapter-interruption step without "ipm |= 0x80 >> isc" on its alert path (interrupt.c header comment: the IPM bit is set, then the IAM checked)',
    configurations: ['one-isc'],
    kernel: {
      gisa_adapter_interruption(c, vm, isc, fx) {
        const k = vmOf(c, vm);
        if (k.gisa.freed) return;
        const bit = 0x80 >> isc;
        if (!(k.gisa.iam & bit)) {
          k.gisa.ipm |= bit;
          return;
        }
        k.gisa.iam = 0;
        if (!(c.gib.list & (1 << vm))) {
          c.gib.list |= 1 << vm;
          fx.raise({ type: 'gisa_alert', vm });
        }
      },
    },
    expectedViolations: ['FreedGisaNotInAlertList', 'AdapterInterruptionLedger'],
  },
  {
    id: 'planted-pv-disable-keeps-gisa-off',
    description: 'planted bug (issue 14, breaks PvSwitchLeavesGisa): kvm_s390_cpus_from_pv forgets "if (use_gisa) kvm_s390_gisa_enable(kvm)", so a guest leaving PV (or a KVM_PV_ENABLE whose vcpu create fails) keeps the GISA disabled for PV',
    cite: 'planted: kvm-s390.c kvm_s390_cpus_from_pv without kvm_s390_gisa_enable (v6.17-rc4 otherwise)',
    configuration: 'pv-switch-no-driver',
    configurations: ['pv-switch-no-driver'],
    kernel: {
      kvm_s390_cpus_from_pv() {},
    },
    expectedViolations: ['PvSwitchLeavesGisa'],
  },
  {
    id: 'upstream-kicker-unregister',
    description:
      'current upstream, with gisa_vcpu_kicker and kvm_s390_gisc_unregister on two CPUs. Finding: the kicker reads gi->alert.mask without ref_lock; unregister clears the ISC from the mask and calls gisa_set_iam with the IAM the word already holds (0 since the alert), so the word does not change and the kicker\'s try_cmpxchg with the stale mask succeeds: IAM keeps the unregistered ISC, nothing listed, no kicker armed (12 steps; benign: the next interruption on that ISC alerts once and the kicker then restores IAM 0)',
    cite: 'arch/s390/kvm/interrupt.c gisa_get_ipm_or_restore_iam (READ_ONCE(gi->alert.mask), try_cmpxchg), kvm_s390_gisc_unregister, v6.17-rc4',
    configuration: 'kicker-unregister',
    configurations: ['kicker-unregister'],
    expectedViolations: ['IamRestoredOrKickerArmed'],
  },
  {
    id: 'upstream-kicker-unregister-destroy',
    description:
      'current upstream, with gisa_vcpu_kicker, kvm_s390_gisc_unregister and then kvm_s390_gisa_destroy on three CPUs. Finding: the same stale-mask restore also defeats the destroy\'s gisa_set_iam(0), which runs before its hrtimer_cancel; the restored IAM lets a late interruption (from a source the driver failed to disable) relink the GISA, so it is freed while listed, and the GAL handler re-arms the kicker after hrtimer_cancel, which then runs on the NULL gi->origin',
    cite: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy (gisa_set_iam before hrtimer_cancel), gisa_get_ipm_or_restore_iam, process_gib_alert_list, v6.17-rc4',
    configuration: 'kicker-unregister-destroy',
    configurations: ['kicker-unregister-destroy'],
    expectedViolations: ['IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList', 'KickerSeesLiveGisa'],
  },
  {
    id: 'gisa-destroy-v5.2',
    description: 'kvm_s390_gisa_destroy before f87ef5723536: logs a non-zero alert.mask, spins until the GISA is unlinked, leaves the IAM set; a late interruption relinks the GISA and the page is freed while listed',
    cite: 'f87ef5723536 "KVM: s390: fix gisa destroy operation might lead to cpu stalls" (v6.6) and Michael Mueller, 2023',
    design: { gisaDestroy: 'v5.2' },
    // the coarse destroy only: the fine-grained kvm_s390_gisa_destroy transcribes v6.6
    configurations: ['one-isc'],
    // issue 14: v5.2 only logs the non-zero alert.mask and leaves it (v6.6 clears it)
    expectedViolations: ['FreedGisaNotInAlertList', 'DestroyedGisaHasNoAlertMask'],
  },
  {
    id: 'gib-v3',
    description: 'GIB series v3: process_gib_alert_list unlinks a GISA and kicks a vcpu but arms no timer, and nothing restores the IAM when no vcpu leaves SIE',
    cite: '[PATCH v3 08/12] and 10/12 "KVM: s390: make use of the GIB" (2018-11-28)',
    design: { gib: 'gib-v3' },
    configurations: ['one-isc'],
    expectedViolations: ['IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList'],
  },
  {
    id: 'planted-unregister-keeps-mask',
    description: 'planted bug: kvm_s390_gisc_unregister drops the reference but not the ISC from alert.mask',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister without "gi->alert.mask &= ~(0x80 >> gisc)"',
    // checked in its own configuration; in a fine-grained one the driver thread would run the replacement as one step
    configurations: ['one-isc'],
    kernel: {
      kvm_s390_gisc_unregister(c, vm, gisc) {
        const g = vmOf(c, vm).gisa;
        if (g.origin && gisc <= 7 && (g.ref[gisc] ?? 0) > 0) g.ref[gisc]! -= 1;
        return 0;
      },
    },
    // issue 14: GiscRegisterStep too, in 1 step: the replacement answers 0 to an unregister with ref_count 0 (the kernel's -EINVAL)
    expectedViolations: ['AlertMaskIsRegisteredIscs', 'FreedGisaNotInAlertList', 'GiscRegisterStep'],
  },
  {
    id: 'planted-origin-null-before-cancel',
    description:
      'planted race: kvm_s390_gisa_destroy sets gi->origin = NULL before hrtimer_cancel(&gi->timer), so the armed gisa_vcpu_kicker can expire between the two and dereference the NULL origin (container_of(gi->origin, ...)->kvm); needs the timer to fire inside the destroy, which the atomic form cannot show',
    cite: 'planted: interrupt.c kvm_s390_gisa_destroy with "hrtimer_cancel(&gi->timer);" and "gi->origin = NULL;" swapped',
    configuration: 'kicker-destroy',
    configurations: ['kicker-destroy'],
    threads: (threads) => editFunction(threads, 'destroy', 'kvm_s390_gisa_destroy', (f) => swapStatements(f, 'hrtimer_cancel(gi->timer)', 'gi->origin = NULL')),
    expectedViolations: ['KickerSeesLiveGisa'],
  },
  {
    id: 'planted-unregister-double-lock',
    description: 'planted lock bug: kvm_s390_gisc_unregister takes gi->alert.ref_lock a second time before it drops the count (a self-deadlock)',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister with a second spin_lock(&gi->alert.ref_lock)',
    ...unregister((f) => {
      const k = at(f, 'spin_lock(ref_lock)');
      return { ...f, steps: [...f.steps.slice(0, k + 1), { ...f.steps[k]!, at: 'spin_lock(ref_lock) again' }, ...f.steps.slice(k + 1)] };
    }),
    expectedViolations: ['NoDoubleAcquire'],
  },
  {
    id: 'planted-unregister-unlock-first',
    description: 'planted lock bug: kvm_s390_gisc_unregister calls spin_unlock(&gi->alert.ref_lock) before it ever took the lock',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister with a spin_unlock before its spin_lock',
    ...unregister((f) => {
      const k = at(f, 'spin_lock(ref_lock)');
      const unlock = { ...f.steps[at(f, 'spin_unlock(ref_lock)')]!, at: 'spin_unlock(ref_lock) early' };
      const check = { ...f.steps[0]!, next: [(f.steps[0]!.next as { if?: never; goto: string }[])[0]!, { goto: unlock.at }] };
      return { ...f, steps: [check, ...f.steps.slice(1, k), unlock, ...f.steps.slice(k)] };
    }),
    expectedViolations: ['ReleaseOnlyByOwner'],
  },
  {
    id: 'planted-unregister-sleeps-under-ref_lock',
    description: 'planted lock bug: kvm_s390_gisc_unregister makes a call that may sleep (say a GFP_KERNEL allocation) while it holds the gi->alert.ref_lock spinlock',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister with a sleeping call between spin_lock and spin_unlock',
    ...unregister((f) => ({ ...f, steps: f.steps.map((s) => (s.at === 'ref_count[gisc]--' ? { ...s, sleeps: true } : s)) })),
    expectedViolations: ['NoSleepUnderSpinlock'],
  },
  {
    id: 'planted-unregister-no-unlock',
    description: 'planted lock bug: kvm_s390_gisc_unregister returns without spin_unlock(&gi->alert.ref_lock)',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister without its spin_unlock',
    ...unregister((f) => ({
      ...f,
      steps: f.steps
        .filter((s) => s.at !== 'spin_unlock(ref_lock)')
        .map((s) => (typeof s.next === 'object' ? { ...s, next: s.next.map((b) => (b.goto === 'spin_unlock(ref_lock)' ? { ...b, goto: 'return' } : b)) } : s)),
    })),
    expectedViolations: ['NoReturnHoldingLock'],
  },
];
