// Variants of the GISA machine with the result the checker must find.
import { vmOf } from '../lib.ts';
import { editFunction, named, swapStatements, type KFunction, type Step, type ThreadView } from '../kthread.ts';
import { PV_ENABLE, RESET_WORK, destroyBeforeAivClear, disableWithoutVcpuMutex, kvm_s390_handle_pv_enable_create, underKvmLock } from './kvm_s390_pv.threads.ts';
import { alertListLock, AQIC_ENABLE, AQIC_ENABLE_DISABLE, GAL_START, GAL_UNLINK, GAL_XCHG, galHandler, gisa_destroy, lowest } from './kvm_s390_gisa_interrupt.threads.ts';
import { GAL_THREAD, WALKERS } from './kvm_s390_gisa_interrupt.invariants.ts';
import { FAULT, type SystemContext } from '../context.ts';
import { KICKER_AT, kickerPosts, replantStep } from './kvm_s390_gisa_interrupt.stepghost.ts';

/** A planted bug in the driver thread's kvm_s390_gisc_unregister (kicker-unregister configuration): one lock rule broken each. */
const unregister = (edit: (f: KFunction<SystemContext>) => KFunction<SystemContext>) => ({
  configuration: 'kicker-unregister',
  configurations: ['kicker-unregister'],
  threads: (threads: Parameters<typeof editFunction<SystemContext>>[0]) => editFunction(threads, 'driver', 'kvm_s390_gisc_unregister', edit),
});
const at = (f: KFunction<SystemContext>, label: string) => f.steps.findIndex((s) => s.at === label);
/** A planted statement put before `label`: every jump to `label` now enters at it, and it falls through to `label`. */
function insertBefore(f: KFunction<SystemContext>, label: string, step: Step<SystemContext>): KFunction<SystemContext> {
  const steps = f.steps.flatMap((s): Step<SystemContext>[] => {
    const redirected: Step<SystemContext> =
      s.next === label ? { ...s, next: step.at } : typeof s.next === 'object' ? { ...s, next: s.next.map((b) => (b.goto === label ? { ...b, goto: step.at } : b)) } : s;
    return s.at === label ? [{ ...step, next: label }, redirected] : [redirected];
  });
  return { ...f, steps };
}
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
      // a registration never undone: the destroy WARNs (1 step), then clears alert.mask under ref_count[3] = 1 while the IAM is
      // still 0x10 until its gisa_set_iam(0) (2 steps: WARN, mask = 0)
      'destroy-registered': ['AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed', 'AlertMaskZeroAtDestroy'],
      // the same ABA against the destroy's gisa_set_iam(0), then a late interruption: listed at free, and the GAL handler re-arms the kicker after hrtimer_cancel
      'kicker-unregister-destroy': ['IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList', 'KickerSeesLiveGisa'],
      // the one-isc finding (GET_ALL only clears IPM bits, as kvm_s390_gisa_clear does)
      'flic-get-all': ['FreedGisaNotInAlertList'],
      // the same finding with ISC 0 or ISC 7 (issue 14: the ends of the IPM scans)
      'flic-get-all-two-iscs': ['FreedGisaNotInAlertList'],
      // no GISA: registrations answer -ENODEV, nothing is ever listed
      'no-aiv': [],
      // the one-isc finding, plus: KVM_PV_ENABLE without UV AIV destroys a GISA with ISC 3 registered (the WARN), and
      // KVM_PV_DISABLE re-initialises it with alert.mask 0 but ref_count[3] still 1 (kvm_s390_gisa_init does not reset ref_count[])
      // and, on the one-isc premise (an AP left enabled relinks the GISA destroyed while listed, its IAM kept), the
      // re-initialisation memsets a GISA the GIB list still reaches (7 steps)
      'pv-switch': ['AlertMaskIsRegisteredIscs', 'FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy', 'GisaInitNotListed'],
      // the GISA stays disabled after PV: ref_count[] is stale, but no alert.mask is in use
      'pv-use-gisa-cleared': ['FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy'],
      // register's gisa_set_iam against the kicker: its try_cmpxchg fails and the loop re-reads alert.mask
      'register-kicker': [],
      // ABA over a whole AQIC enable/disable: the word changes (IAM 0 -> 0x10) and changes back (0x10 -> 0), so the
      // kicker's try_cmpxchg with the mask it read between register's mask update and unregister succeeds (15 steps)
      'register-unregister-kicker': ['IamRestoredOrKickerArmed', 'NoStaleIamAfterUnregister'],
      // the same ABA with the GAL handler arming the kicker: unregister's gisa_set_iam writes the IAM 0 the alert left (19 steps)
      'register-unregister-gal': ['IamRestoredOrKickerArmed', 'NoStaleIamAfterUnregister'],
      // issue 14: no driver, so no stale ref_count[], no IAM, nothing listed: upstream holds every property
      'pv-switch-no-driver': [],
      // issue 12 (pvswitch), finding: VFIO_DEVICE_RESET's reset work (mdevs_lock only) passes kvm_s390_gisc_unregister's unlocked
      // -ENODEV test, KVM_PV_ENABLE's kvm_s390_gisa_disable destroys the GISA (gi->origin = NULL), then the unregister's
      // gisa_set_iam accesses the NULL origin (11 steps); and the destroy under a registration WARNs (3 steps) and clears
      // alert.mask with ref_count[3] = 1 while the IAM still has ISC 3 (4 steps), as in destroy-registered
      'pv-enable-unregister': ['GiscCallSeesGisa', 'AlertMaskZeroAtDestroy', 'AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed'],
      // vcpu->mutex orders the PQAP against the switch: the register sees the GISA or -ENODEV, never a NULL origin behind its
      // test; but a PQAP finished before the switch leaves ISC 3 registered (and, in the kernel, the AP enabled with this
      // GISA's address): the disable WARNs (14 steps) and clears alert.mask under ref_count[3] = 1 (15)
      'pv-enable-pqap': ['AlertMaskZeroAtDestroy', 'AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed'],
      // issue 12 (pvswitch), finding: KVM_PV_DISABLE's kvm_s390_gisa_init stores gi->origin first; the reset work's unregister
      // passes its -ENODEV test and takes ref_lock, then spin_lock_init(&gi->alert.ref_lock) re-initialises the held lock and
      // the unregister's spin_unlock releases a lock it does not hold (10 steps); the stale ref_count[3] = 1 of the
      // registration held across the switch is not in the re-initialised alert.mask (3 steps, the pv-switch finding)
      'pv-disable-unregister': ['ReleaseOnlyByOwner', 'AlertMaskIsRegisteredIscs'],
      // issue 11, two callers of process_gib_alert_list (no lock between them): the GAL handler's walk holds the GISA it cut off
      // while the destroy (its gisa_set_iam -EBUSY, its own walk finding the origin NONE_GISA_ADDR) returns, sie_page2 is freed and
      // the handler's unlink writes it (10 steps); or the handler unlinked it, the destroy's gisa_set_iam(0) succeeds, hrtimer_cancel
      // finds nothing armed, and the handler's hrtimer_start re-arms the kicker on gi->origin NULL (8 steps)
      'gal-destroy': ['FreedGisaNotInAlertList', 'GalWalkSeesLiveGisa', 'NoGisaUseAfterFree'],
      // the same with two VMs' destroys: one destroy's walk holds the other VM's GISA, and unlinks it after its page is freed (13 steps)
      // or arms its timer after the other destroy's hrtimer_cancel (11 steps); the timers do not fire there
      'two-vms-destroy': ['FreedGisaNotInAlertList', 'GalWalkSeesLiveGisa', 'NoGisaUseAfterFree'],
      // issue 12, finding: kvm_vm_ioctl_create_vcpu runs kvm_arch_vcpu_create (gd = kvm_s390_get_gisa_desc, read
      // without kvm->lock) and kvm_s390_vcpu_setup's PV test (under kvm->lock) before the vcpu is online; a KVM_PV_ENABLE in
      // between walks the online vcpus only: the new vcpu goes online with gd naming the GISA kvm_s390_gisa_disable destroyed
      // (20 steps), or as a non-PV cpu of a protected VM (20 steps)
      'pv-enable-create-vcpu': ['OnlineVcpuGdFollowsGisa', 'OnlineVcpuPvMatchesVm'],
      // the two ioctls one after the other: the switch's loops reach the online vcpu, or the vcpu reads the disabled GISA and the protected VM
      'pv-enable-create-vcpu-serialised': [],
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
    id: 'planted-kicker-always-restarts',
    description: 'planted bug (issue 14, breaks KickerStepPostcondition): gisa_vcpu_kicker returns HRTIMER_RESTART also when gisa_get_ipm_or_restore_iam found nothing pending and restored the IAM, so the timer keeps firing on a quiet GISA',
    cite: 'planted: interrupt.c gisa_vcpu_kicker with "hrtimer_forward_now(timer, ns_to_ktime(gi->expires)); return HRTIMER_RESTART;" outside "if (pending_mask)" (v6.17-rc4 otherwise)',
    configurations: ['one-isc'],
    kernel: {
      gisa_vcpu_kicker(c, vm, fx) {
        const pending = this.gisa_get_ipm_or_restore_iam(c, vm);
        if (pending) this.__airqs_kick_single_vcpu(c, vm, pending, fx);
      },
    },
    // the one-isc finding, and the kicker that stays armed after it restored the IAM (register, alert, unregister, GAL handler, kicker: 5 steps)
    expectedViolations: ['FreedGisaNotInAlertList', 'KickerStepPostcondition'],
  },
  {
    id: 'planted-get-all-stops-before-isc7',
    description: 'planted bug (issue 14, flic-get-all-two-iscs): get_all_floating_irqs scans the IPM with "isc < MAX_ISC", so KVM_DEV_FLIC_GET_ALL_IRQS leaves an ISC 7 interruption pending in the GISA and userspace never gets it',
    cite: 'planted: interrupt.c get_all_floating_irqs with the GISA loop one short (v6.17-rc4: for (i = 0; i <= MAX_ISC; i++) gisa_tac_ipm_gisc)',
    configuration: 'flic-get-all-two-iscs',
    configurations: ['flic-get-all-two-iscs'],
    kernel: {
      get_all_floating_irqs(c, vm) {
        if (!vmOf(c, vm).gisa.origin) return 0;
        let n = 0;
        for (let isc = 0; isc < 7; isc++) if (this.gisa_tac_ipm_gisc(c, vm, isc)) n++;
        return n;
      },
    },
    expectedViolations: ['FreedGisaNotInAlertList', 'AdapterInterruptionLedger'],
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
    // the coarse destroy, and the fine-grained one against the GAL handler (gal-destroy)
    configurations: ['one-isc', 'gal-destroy'],
    // issue 14: v5.2 only logs the non-zero alert.mask and leaves it (v6.6 clears it)
    expectedViolations: ['FreedGisaNotInAlertList', 'DestroyedGisaHasNoAlertMask'],
    // issue 11: the spin waits for the handler's unlink, so nothing is freed while linked or walked after the free; but the
    // handler's hrtimer_start still comes after the destroy's hrtimer_cancel and gi->origin = NULL (the 8-step window of upstream)
    expectedViolationsIn: { 'gal-destroy': ['GalWalkSeesLiveGisa'] },
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
  {
    id: 'upstream-register-unregister-kicker',
    description:
      'current upstream, with gisa_vcpu_kicker and a driver registering ISC 3 and then unregistering it on two CPUs. Finding: the kicker reads the GISA word (IAM 0), then alert.mask without ref_lock while register holds it between `alert.mask |= 0x10` and gisa_set_iam (0x10); register sets IAM 0x10, unregister clears the mask and sets IAM 0 again, so the word is what the kicker read (ABA) and its try_cmpxchg installs IAM 0x10 for an ISC nobody registers: not listed, no kicker armed (15 steps). The register direction holds: every registered ISC alerts once register returns',
    cite: 'arch/s390/kvm/interrupt.c gisa_get_ipm_or_restore_iam (READ_ONCE(gi->alert.mask) in the try_cmpxchg loop), kvm_s390_gisc_register, kvm_s390_gisc_unregister, v6.17-rc4',
    configuration: 'register-unregister-kicker',
    configurations: ['register-unregister-kicker'],
    expectedViolations: ['IamRestoredOrKickerArmed', 'NoStaleIamAfterUnregister'],
  },
  {
    id: 'planted-restore-mask-before-loop',
    description:
      'planted race: gisa_get_ipm_or_restore_iam reads gi->alert.mask once, before its try_cmpxchg loop; when register changes the word (gisa_set_iam) between that read and the try_cmpxchg, the retry keeps the stale mask and restores an IAM without the ISC just registered, and the kicker stops (HRTIMER_NORESTART): an interruption for the registered ISC makes no alert',
    cite: 'planted: interrupt.c gisa_get_ipm_or_restore_iam with "alert_mask = READ_ONCE(gi->alert.mask);" hoisted above "do {"',
    configuration: 'register-kicker',
    configurations: ['register-kicker'],
    threads: (threads) =>
      editFunction(threads, 'kicker', 'gisa_vcpu_kicker', (f) => {
        const cmpxchg = 'gisa_get_ipm_or_restore_iam@try_cmpxchg(word)';
        const stale: Step<SystemContext> = {
          at: 'gisa_get_ipm_or_restore_iam@pending_mask = (word >> 24) & alert_mask (mask read before the loop)',
          cite: 'planted: the loop recomputes pending_mask from the reloaded word and the alert_mask read before it',
          run: (_c, t) => void (t.local.pending = (t.local.w_ipm as number) & (t.local.mask as number)),
          next: [{ if: named('pending_mask', (_c, t) => t.local.pending !== 0), goto: '__airqs_kick_single_vcpu@for_each_set_bit(idle_mask)' }, { goto: cmpxchg }],
        };
        const steps = f.steps.flatMap((s) => {
          if (s.at !== cmpxchg || typeof s.next !== 'object') return [s];
          return [{ ...s, next: s.next.map((b) => (b.goto === 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)' ? { ...b, goto: stale.at } : b)) }, stale];
        });
        return { ...f, steps };
      }),
    expectedViolations: ['IamRestoredOrKickerArmed', 'RegisteredIscAlerts'],
  },
  {
    id: 'planted-register-mask-outside-lock',
    description:
      'planted race: kvm_s390_gisc_register sets the ISC in gi->alert.mask before spin_lock(&gi->alert.ref_lock) (the count, the mask update and gisa_set_iam stay under it, as upstream); between the two, with ref_lock free, the mask names an ISC the IAM does not, and a kicker that reads that mask meanwhile restores an IAM register then rewrites',
    cite: 'planted: interrupt.c kvm_s390_gisc_register with "gi->alert.mask |= 0x80 >> gisc" moved above spin_lock',
    configuration: 'register-kicker',
    configurations: ['register-kicker'],
    threads: (threads) =>
      editFunction(threads, 'driver', AQIC_ENABLE, (f) => {
        const lock = 'kvm_s390_gisc_register@spin_lock(ref_lock)';
        const early: Step<SystemContext> = {
          at: 'kvm_s390_gisc_register@alert_mask |= 0x80 >> gisc (before spin_lock)',
          cite: 'planted: if (!gi->alert.ref_count[gisc]) gi->alert.mask |= 0x80 >> gisc, without ref_lock',
          reads: [['vms', 0, 'gisa', 'ref'], ['vms', 0, 'gisa', 'mask']],
          writes: [['vms', 0, 'gisa', 'mask']],
          run: (c) => {
            const g = vmOf(c, 0).gisa;
            if (!g.ref[3]) g.mask |= 0x10;
          },
          next: lock,
        };
        return insertBefore(f, lock, early);
      }),
    // AlertMaskIsRegisteredIscs (no lock in it): the mask names ISC 3 before ref_count[3] is 1 (2 steps)
    expectedViolations: ['AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed', 'RegisteredIscAlerts'],
  },
  {
    id: 'planted-unregister-clears-iam-before-ref-count',
    description:
      'planted race: kvm_s390_gisc_unregister clears the ISC\'s IAM bit (gisa_set_iam(origin, alert.mask & ~bit)) before it takes ref_lock and drops ref_count; until then the ISC is still registered (alert.mask has it, ref_lock free) but an interruption for it makes no alert',
    cite: 'planted: interrupt.c kvm_s390_gisc_unregister with a gisa_set_iam(gi->origin, gi->alert.mask & ~(0x80 >> gisc)) above spin_lock',
    configuration: 'register-unregister-kicker',
    configurations: ['register-unregister-kicker'],
    threads: (threads) =>
      editFunction(threads, 'driver', AQIC_ENABLE_DISABLE, (f) => {
        const lock = 'kvm_s390_gisc_unregister@spin_lock(ref_lock)';
        const set = f.steps.find((s) => s.at === 'kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask)')!;
        const early: Step<SystemContext> = {
          ...set,
          at: 'kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask & ~bit) (before spin_lock)',
          cite: 'planted: gisa_set_iam(gi->origin, gi->alert.mask & ~(0x80 >> gisc)) without ref_lock, before ref_count[gisc]--',
          reads: [...(set.reads ?? []), ['vms', 0, 'gisa', 'mask']],
          run: (c) => {
            const g = vmOf(c, 0).gisa;
            if (c.gib.list & 1) return; // -EBUSY
            g.iam = g.mask & ~0x10;
          },
          next: lock,
        };
        return insertBefore(f, lock, early);
      }),
    expectedViolations: ['IamRestoredOrKickerArmed', 'NoStaleIamAfterUnregister', 'RegisteredIscAlerts'],
  },
  {
    id: 'planted-gal-start-before-unlink',
    description:
      'planted race: process_gib_alert_list calls hrtimer_start(&gi->timer, 0) before it unlinks the GISA (gisa->next_alert = gisa_phys); the kicker then runs on a GISA still linked, restores the IAM and stops (HRTIMER_NORESTART); an interruption meanwhile clears the IAM and, the GISA being linked, enqueues nothing; the unlink that follows leaves IAM 0 with ISC 3 registered and pending, and nothing armed',
    cite: 'planted: interrupt.c process_gib_alert_list with the hrtimer_cancel/hrtimer_start of each GISA above "gisa->next_alert = gisa_phys"',
    configuration: 'register-unregister-gal',
    configurations: ['register-unregister-gal'],
    threads: (threads) =>
      editFunction(threads, GAL_THREAD, 'gib_alert_irq_handler', (f) => {
        const unlink = f.steps.find((s) => s.at === GAL_UNLINK)!;
        const start = f.steps.find((s) => s.at === GAL_START)!;
        const cut = named('GISAs left on the cut-off list', (_c: SystemContext, t: ThreadView) => (t.local.cut as number) !== 0);
        const notFinal = named('!final', (_c: SystemContext, t: ThreadView) => t.local.final !== true);
        const armFirst: Step<SystemContext> = {
          ...start,
          run: (c, t) => {
            const vm = lowest(t.local.cut as number);
            t.local.vm = vm;
            vmOf(c, vm).gisa.timer = true;
          },
          next: GAL_UNLINK,
        };
        const unlinkAfter: Step<SystemContext> = {
          ...unlink,
          run: (c, t) => {
            const vm = t.local.vm as number;
            t.local.cut = (t.local.cut as number) & ~(1 << vm);
            c.gib.list &= ~(1 << vm);
            if (vmOf(c, vm).gisa.freed) vmOf(c, vm).faults |= FAULT.GISA_WRITE_AFTER_FREE;
          },
          next: [{ if: cut, goto: GAL_START }, { if: notFinal, goto: GAL_XCHG }, { goto: 'return' }],
        };
        const steps = f.steps.flatMap((s) => {
          if (s.at === GAL_UNLINK) return [armFirst];
          if (s.at === GAL_START) return [unlinkAfter];
          return typeof s.next === 'object' ? [{ ...s, next: s.next.map((b) => (b.goto === GAL_UNLINK ? { ...b, goto: GAL_START } : b)) }] : [s];
        });
        return { ...f, steps };
      }),
    // the one new to upstream: RegisteredIscAlerts (15 steps); the other two are upstream's ABA finding
    expectedViolations: ['IamRestoredOrKickerArmed', 'NoStaleIamAfterUnregister', 'RegisteredIscAlerts'],
  },
  {
    // issue 14: GisaThreadStepPostcondition's planted variant
    id: 'planted-cmpxchg-no-reload',
    description:
      'planted bug: gisa_get_ipm_or_restore_iam written with cmpxchg() instead of try_cmpxchg(): a failed exchange does not load the current word into `word`, so the loop retries with the stale word it read first and can never succeed while the word stays changed (an adapter interruption set an IPM bit between the READ_ONCE and the exchange); the step leaves `word` as it was',
    cite: 'planted: interrupt.c gisa_get_ipm_or_restore_iam with "} while (cmpxchg(&gi->origin->u64.word[0], word, _word) != word);" (word not reloaded)',
    configuration: 'kicker-unregister',
    configurations: ['kicker-unregister'],
    threads: (threads) =>
      editFunction(threads, 'kicker', 'gisa_vcpu_kicker', (f) => ({
        ...f,
        steps: f.steps.map((s) =>
          s.at !== KICKER_AT.cmpxchg
            ? s
            : replantStep(s, FAULT.GISA_THREAD_STEP_POST, kickerPosts, (inner) => (c, t, fx) => {
                const stale = { w_listed: t.local.w_listed, w_ipm: t.local.w_ipm, w_iam: t.local.w_iam };
                inner(c, t, fx);
                if (t.local.swapped === false) Object.assign(t.local, stale);
              }),
        ),
      })),
    // IamRestoredOrKickerArmed is upstream's own finding in kicker-unregister
    expectedViolations: ['IamRestoredOrKickerArmed', 'GisaThreadStepPostcondition'],
  },
  {
    // issue 14: AlertMaskZeroAtDestroy in the fine-grained destroy (the thread's WARN)
    id: 'planted-destroy-before-unregister',
    description:
      'planted bug: kvm_arch_destroy_vm runs while vfio_ap still has ISC 3 registered (the driver dropped its struct kvm reference before kvm_s390_gisc_unregister): kvm_s390_gisa_destroy finds alert.mask != 0 and WARNs',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c with kvm_put_kvm before vfio_ap_irq_disable; interrupt.c kvm_s390_gisa_destroy: WARN(gi->alert.mask != 0x00, ...)',
    configuration: 'kicker-unregister-destroy',
    configurations: ['kicker-unregister-destroy'],
    threads: (threads) => threads.map((t) => (t.name !== 'destroy' ? t : { ...t, fns: t.fns.map((f) => ({ ...f, steps: f.steps.map((s) => ({ ...s, after: [] })) })) })),
    // and AlertMaskIsRegisteredIscs (the destroy clears alert.mask under a live registration); the other three are upstream's own findings there
    expectedViolations: ['AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed', 'FreedGisaNotInAlertList', 'KickerSeesLiveGisa', 'AlertMaskZeroAtDestroy'],
  },
  // ---- issue 12 (branch pvswitch): KVM_PV_ENABLE against the GISA's users (machines/gisa/kvm_s390_pv.threads.ts) ----
  {
    id: 'reset-under-kvm-lock',
    description:
      'proposed fix of the pv-enable-unregister and pv-disable-unregister findings: vfio_ap_mdev_ioctl takes get_update_locks_for_mdev (guests_lock, kvm->lock, mdevs_lock) for VFIO_DEVICE_RESET, as vfio_ap_mdev_unset_kvm does, so kvm->lock, which kvm_s390_handle_pv holds across the switch, is held across the flush_work that waits for the reset work\'s kvm_s390_gisc_unregister: the unregister sees the GISA or -ENODEV. The switch under a registration still WARNs: the kernel relies on QEMU resetting the queues before KVM_PV_ENABLE',
    cite: 'proposed: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) under get_update_locks_for_mdev; arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv (mutex_lock(&kvm->lock))',
    configuration: 'pv-enable-unregister',
    configurations: ['pv-enable-unregister', 'pv-disable-unregister'],
    threads: (threads) => editFunction(threads, 'driver', RESET_WORK, (f) => underKvmLock(f, 0)),
    expectedViolations: ['AlertMaskZeroAtDestroy', 'AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed'],
    // KVM_PV_DISABLE holds kvm->lock too: the unregister runs before the re-enable (-ENODEV) or after it, never inside
    // kvm_s390_gisa_init; the stale ref_count[3] stays
    expectedViolationsIn: { 'pv-disable-unregister': ['AlertMaskIsRegisteredIscs'] },
  },
  {
    id: 'planted-gisa-disable-without-vcpu-mutex',
    description:
      'planted bug: kvm_s390_gisa_disable clears ECA_AIV and gd without mutex_lock(&vcpu->mutex), so it does not wait for a vcpu inside KVM_RUN: the vcpu passes vfio_ap handle_pqap\'s ECA_AIV test and kvm_s390_gisc_register\'s -ENODEV test, the switch clears ECA_AIV and destroys the GISA, and the register\'s gisa_set_iam accesses the NULL gi->origin',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_gisa_disable without mutex_lock/mutex_unlock(&vcpu->mutex)',
    configuration: 'pv-enable-pqap',
    configurations: ['pv-enable-pqap'],
    threads: (threads) => editFunction(threads, 'pv', PV_ENABLE, disableWithoutVcpuMutex),
    // and upstream's three of pv-enable-pqap (a PQAP finished before the switch)
    expectedViolations: ['GiscCallSeesGisa', 'DestroyedGisaHasNoAlertMask', 'AlertMaskZeroAtDestroy', 'AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed'],
  },
  {
    id: 'planted-gisa-destroy-before-aiv-clear',
    description:
      'planted bug: kvm_s390_gisa_disable calls kvm_s390_gisa_destroy before its loop over the vcpus, so gi->origin is NULL while a vcpu still has ECA_AIV (a vcpu inside KVM_RUN holding vcpu->mutex passes the ECA_AIV test into a VM without a GISA, and its register\'s gisa_set_iam accesses the NULL origin)',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_gisa_disable with kvm_s390_gisa_destroy(kvm) moved before kvm_for_each_vcpu',
    configuration: 'pv-enable-pqap',
    configurations: ['pv-enable-pqap'],
    threads: (threads) => editFunction(threads, 'pv', PV_ENABLE, destroyBeforeAivClear),
    expectedViolations: ['EcaAivImpliesGisa', 'GiscCallSeesGisa', 'DestroyedGisaHasNoAlertMask', 'AlertMaskZeroAtDestroy', 'AlertMaskIsRegisteredIscs', 'IamRestoredOrKickerArmed'],
  },
  // ---- issue 12: KVM_CREATE_VCPU while KVM_PV_ENABLE runs (configuration pv-enable-create-vcpu) ----
  {
    id: 'proposed-pv-enable-busy-while-creating',
    description:
      'a proposed fix, not in the kernel: KVM_PV_ENABLE answers -EBUSY while a vcpu is being created (kvm->created_vcpus != online_vcpus, tested under kvm->lock, as kvm_vm_ioctl_enable_dirty_log_ring tests created_vcpus): kvm_vm_ioctl_create_vcpu counts the vcpu under kvm->lock before kvm_arch_vcpu_create reads gi->origin, so a switch either finishes before the count (the new vcpu reads the disabled GISA and sees the VM protected) or fails until the vcpu is online (and then reaches it in its loops)',
    cite: 'proposed: arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE): if (kvm->created_vcpus != atomic_read(&kvm->online_vcpus)) { r = -EBUSY; break; }',
    configuration: 'pv-enable-create-vcpu',
    configurations: ['pv-enable-create-vcpu'],
    threads: (threads, k) => threads.map((t) => (t.name !== 'pv' ? t : { ...t, fns: [kvm_s390_handle_pv_enable_create(0, k, 'locked')] })),
    expectedViolations: [],
  },
  {
    id: 'planted-pv-enable-busy-check-unlocked',
    description:
      'planted bug: the -EBUSY test of proposed-pv-enable-busy-while-creating made before mutex_lock(&kvm->lock): the creator counts its vcpu and reads gi->origin between the test and the lock, and the switch then misses it as upstream does',
    cite: 'planted: arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE) with the created_vcpus test before if (need_lock) mutex_lock(&kvm->lock)',
    configuration: 'pv-enable-create-vcpu',
    configurations: ['pv-enable-create-vcpu'],
    threads: (threads, k) => threads.map((t) => (t.name !== 'pv' ? t : { ...t, fns: [kvm_s390_handle_pv_enable_create(0, k, 'unlocked')] })),
    expectedViolations: ['OnlineVcpuGdFollowsGisa', 'OnlineVcpuPvMatchesVm'],
  },
  {
    // issue 11: GalWalkSeesLiveGisa's fixed variant (upstream breaks it in gal-destroy and two-vms-destroy)
    id: 'proposed-gib-walk-lock',
    description:
      'a proposed fix, not in the kernel: one host-wide spinlock (gib->alert_list_lock) serialises the callers of process_gib_alert_list, and kvm_s390_gisa_destroy holds it from its gisa_set_iam(gi->origin, 0) through its own walk; a walk on another CPU that cut the GISA off has then unlinked it and armed its kicker before the destroy looks, so the destroy\'s hrtimer_cancel cancels that kicker and nothing reaches the GISA after gi->origin = NULL',
    cite: 'proposed: arch/s390/kvm/interrupt.c process_gib_alert_list (called by gib_alert_irq_handler) under spin_lock(&gib->alert_list_lock); kvm_s390_gisa_destroy: spin_lock; if (gisa_set_iam(gi->origin, 0)) __process_gib_alert_list(); spin_unlock; hrtimer_cancel(&gi->timer); gi->origin = NULL',
    configuration: 'gal-destroy',
    configurations: ['gal-destroy', 'two-vms-destroy'],
    threads: (threads, k) => {
      const kickers = threads.filter((t) => t.actor === 'timer').map((t) => t.name);
      const lock = alertListLock();
      return threads.map((t) => {
        if (t.name === GAL_THREAD) return { ...t, fns: [galHandler(kickers, k, lock)] };
        if (!WALKERS.includes(t.name)) return t;
        const vm = t.ix!.vm!;
        return { ...t, fns: [gisa_destroy(vm, kickers[vm]!, k, { kickers, lock })] };
      });
    },
    expectedViolations: [],
  },
  {
    // issue 11: AlertListNotStranded's planted variant
    id: 'planted-gal-single-pass',
    description:
      'planted bug: gib_alert_irq_handler\'s process_gib_alert_list without its outer loop: one xchg(NONE_GISA_ADDR), the walk of what it cut off, and return; NONE_GISA_ADDR stays in the alert list origin, so GAL interruptions stay suppressed and a GISA millicode enqueues afterwards is never taken',
    cite: 'planted: arch/s390/kvm/interrupt.c process_gib_alert_list with its do { ... } while (!final) reduced to the first iteration',
    configuration: 'gal-destroy',
    configurations: ['gal-destroy'],
    threads: (threads) =>
      editFunction(threads, GAL_THREAD, 'gib_alert_irq_handler', (f) => ({
        ...f,
        // every jump back to the next xchg returns instead
        steps: f.steps.map((s) => (typeof s.next === 'object' ? { ...s, next: s.next.map((b) => (b.goto === GAL_XCHG ? { ...b, goto: 'return' } : b)) } : s)),
      })),
    // upstream's three in gal-destroy, plus the origin left NONE_GISA_ADDR (3 steps); the step ghost sees each statement do what its C does
    // (the jump it checks is the one checkedSteps wrapped), so only AlertListNotStranded says the loop is gone
    expectedViolations: ['FreedGisaNotInAlertList', 'GalWalkSeesLiveGisa', 'NoGisaUseAfterFree', 'AlertListNotStranded'],
  },
];
