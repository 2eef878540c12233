// Kernel audit of kvm_s390_gisa_interrupt (the GIB plus one VM's GISA): every pinned function
// that reads or writes the GISA word, alert.mask, ref_count[], the kicker or the sie_page2,
// each branch marked (issue 12). Callers outside the area that reach the GISA only through
// kvm_s390_gisc_register/unregister (vfio_ap) are audited in vfio_ap_queue: the API's branches
// here are their whole effect on the GISA. Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, composeAudits, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { NO_AIV, PV_SWITCH, gibAudit } from './kvm_s390_gib.audit.ts';
import { GAL_FIRST, GAL_START, GAL_UNLINK, GAL_XCHG } from './kvm_s390_gisa_interrupt.threads.ts';
import { pvSwitchAudit } from './kvm_s390_pv.threads.audit.ts';
import { createVcpuAudit } from './kvm_vm_ioctl_create_vcpu.threads.audit.ts';

/** The steps of the fine-grained configurations (kvm_s390_gisa_interrupt.threads.ts), by the C they execute. */
const KICKER = {
  origin: 'gisa_vcpu_kicker@container_of(gi->origin)',
  word: 'gisa_get_ipm_or_restore_iam@READ_ONCE(word)',
  mask: 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)',
  cmpxchg: 'gisa_get_ipm_or_restore_iam@try_cmpxchg(word)',
  scan: '__airqs_kick_single_vcpu@for_each_set_bit(idle_mask)',
  kick: '__airqs_kick_single_vcpu@test_and_set_bit(kicked_mask)',
};
const UNREG = {
  origin: 'kvm_s390_gisc_unregister@if (!gi->origin)',
  lock: 'kvm_s390_gisc_unregister@spin_lock(ref_lock)',
  dec: 'kvm_s390_gisc_unregister@ref_count[gisc]--',
  iam: 'kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask)',
  unlock: 'kvm_s390_gisc_unregister@spin_unlock(ref_lock)',
};
const REG = {
  origin: 'kvm_s390_gisc_register@if (!gi->origin)',
  lock: 'kvm_s390_gisc_register@spin_lock(ref_lock)',
  inc: 'kvm_s390_gisc_register@ref_count[gisc]++',
  iam: 'kvm_s390_gisc_register@gisa_set_iam(origin, alert_mask)',
  unlock: 'kvm_s390_gisc_register@spin_unlock(ref_lock)',
};
const DESTROY = {
  warn: 'kvm_s390_gisa_destroy@WARN(alert_mask != 0)',
  zero: 'kvm_s390_gisa_destroy@alert_mask = 0',
  iam: 'kvm_s390_gisa_destroy@gisa_set_iam(origin, 0)',
  list: 'kvm_s390_gisa_destroy@process_gib_alert_list()',
  cancel: 'kvm_s390_gisa_destroy@hrtimer_cancel(gi->timer)',
  origin: 'kvm_s390_gisa_destroy@gi->origin = NULL',
};

export const INJECT =
  'software injection of an adapter interruption (KVM_S390_INTERRUPT, KVM_DEV_FLIC_ENQUEUE and AIRQ_INJECT, irqfd routes): __inject_io sets the IPM bit with no IAM check and no alert, then __floating_irq_kick wakes the first idle vcpu (else round robin over non-stopped ones); to model: an inject event on the GISA region that sets the IPM bit and kicks through __floating_irq_kick, beside the millicode step';
export const TPI =
  'guest TPI (and KVM_DEV_FLIC_CLEAR_IO_IRQ with schid 0) take a GISA interruption without a PSW swap: kvm_s390_get_io_int test-and-clears the highest ISC open in CR6 and may set it again (classic one first, or no memory) without an alert; to model: a TPI event on a vcpu (PSW I/O enabled or not) with the set-again branch as its own step';
export const TPI_WINDOW_GISA =
  'this machine has no vcpu: the GISA\'s side of TPI (the test-and-clear, the set again that raises no alert, a classic interruption beside it on fi->lists[]) is the composed guest\'s fine-grained tpi-window and tpi-window-gisa-first (system machine, machines/vcpu/kvm_s390_get_io_int.threads.ts), where a waiting vcpu runs inside the window (the kicker armed: measured, not shipped): a restored IAM plus a set-again bit that never alerts (NoLostWakeupAtSleep, WokenFromSchedule)';
export const GET_ALL =
  'KVM_DEV_FLIC_GET_ALL_IRQS test-and-clears the IPM into the buffer before fi->lock, and loses the bits on -ENOMEM / -EFAULT: the flic-ais machine (kvm_s390_float_interrupt) models that loss, the GISA machine and the composed guest do not; to model: a get_all_floating_irqs event on the GISA region racing the millicode step and delivery';
export const DELIVERY_FAULT =
  '__deliver_io test-and-clears the IPM bit before the guest lowcore write, so to the GISA a delivery that then fails is the environment\'s gisa_tac_ipm_gisc like any other; the lost PSW swap and KVM_RUN\'s -EFAULT are the vcpu machine\'s (issue 12: kvm_vcpu configuration lowcore-fault, vcpu_pre_run\'s outcome lowcore-fault)';

/** gib_alert_irq_handler's zPCI path (issue 12): the forward is the GISA region's event; aism != 0 adds the GAL handler's pass. */
const AEN_HANDLER = modelledAs(
  'with aism 0 (a forwarding interruption only) the event aen_process_gait: one step for one GAIT summary bit, aen_host_forward (system configuration aen). With aism != 0 the same interruption also signals the alert list and process_gib_alert_list follows in the handler: the model takes the forward and the gib_alert_irq_handler step as two steps (the forward writes no GIB field, so the second stays enabled and they end where the combined step does). The error bit (info->error) takes the same path',
  'aen_process_gait', 'aen_host_forward', 'gib_alert_irq_handler',
);

/**
 * Which threads of kvm_s390_gisa_interrupt.threads.ts a machine's fine-grained configurations
 * run: the kicker (gisa_vcpu_kicker) and the driver/destroy threads (kvm_s390_gisc_unregister,
 * kvm_s390_gisa_destroy). The GISA machine runs both; the composed `system` runs the kicker
 * only (kick-wait, against the vcpu thread).
 */
interface FineSteps {
  kicker: boolean;
  driver: boolean;
  /** The GAL interruption handler thread (register-unregister-gal). */
  gal: boolean;
}

/** The audit of the machine's own functions, with the names of the steps its fine-grained configurations run. */
const own = (fine: FineSteps): KernelAudit => ({
  machine: 'kvm_s390_gisa_interrupt',
  pinned: PINNED_AUDIT,
  files: [FILE.interrupt, FILE.kvmS390, FILE.priv, FILE.pv, FILE.kvmMain],
  modelledFields: [F.origin, F.ipm, F.iam, F.mask, F.ref, F.timer, F.sie2, F.kicked],
  nonKernel: {
    gisa_mine: 'event routing: the event is about this VM\'s GISA',
    bounds_airq: 'bound: the environment still has an adapter interruption to send (airqs)',
    bounds_gisc_register: 'bound: the environment driver registers an ISC at most maxRefs times',
    kasan_gisa_use_after_free: 'lifetime tracker: a write into the freed sie_page2, as KASAN reports it',
    subsystem_reset_first:
      'environment (params.pvResetFirst, issue 12): QEMU\'s s390_machine_reset (hw/s390x/s390-virtio-ccw.c) runs subsystem_reset, whose AP bridge cold reset issues vfio-ap\'s VFIO_DEVICE_RESET, with the CPUs paused before s390_machine_protect (KVM_PV_ENABLE) and s390_machine_unprotect (KVM_PV_DISABLE): the switch only while no queue holds AQIC resources for the VM',
    ...(fine.driver
      ? {
          'kvm_s390_gisc_unregister@spin_lock(ref_lock) again': 'planted lock bug (variant planted-unregister-double-lock): a second spin_lock',
          'kvm_s390_gisc_unregister@spin_unlock(ref_lock) early': 'planted lock bug (variant planted-unregister-unlock-first): a spin_unlock before the lock is taken',
          'gisa_get_ipm_or_restore_iam@pending_mask = (word >> 24) & alert_mask (mask read before the loop)': 'planted race (variant planted-restore-mask-before-loop): the try_cmpxchg loop reuses the alert.mask read before it',
          'kvm_s390_gisc_register@alert_mask |= 0x80 >> gisc (before spin_lock)': 'planted race (variant planted-register-mask-outside-lock): the mask bit set before ref_lock',
          'kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask & ~bit) (before spin_lock)': 'planted race (variant planted-unregister-clears-iam-before-ref-count): the IAM bit cleared before ref_lock and the count',
        }
      : {}),
    ...(fine.gal
      ? {
          'kvm_s390_gisa_destroy@spin_lock(alert_list_lock)': 'proposed fix (variant proposed-gib-walk-lock): the destroy takes a host-wide lock around its gisa_set_iam(gi->origin, 0) and its process_gib_alert_list',
          'kvm_s390_gisa_destroy@spin_unlock(alert_list_lock)': 'proposed fix (variant proposed-gib-walk-lock): the lock dropped before hrtimer_cancel',
          'process_gib_alert_list@spin_lock(alert_list_lock)': 'proposed fix (variant proposed-gib-walk-lock): the GAL handler\'s walk under the same lock',
          'process_gib_alert_list@spin_unlock(alert_list_lock)': 'proposed fix (variant proposed-gib-walk-lock): the lock dropped after the final xchg',
          'kvm_s390_gisa_destroy@KVM_EVENT(alert_mask)': 'historical (variant gisa-destroy-v5.2 in gal-destroy): v5.2..v6.5 only logged a non-zero alert.mask',
          'kvm_s390_gisa_destroy@while (gisa_in_alert_list(gi->origin)) cpu_relax()': 'historical (variant gisa-destroy-v5.2 in gal-destroy): v5.2..v6.5 spun until the GISA was unlinked',
        }
      : {}),
  },
  entries: entries(fine),
});

function entries(fine: FineSteps) {
  /** The names of the kicker's steps, when the machine runs the kicker thread. */
  const f = (...names: string[]): string[] => (fine.kicker ? names : []);
  /** The names of the driver's and the destroy's steps, when the machine runs those threads. */
  const d = (...names: string[]): string[] => (fine.driver ? names : []);
  /** The names of the GAL handler thread's steps. */
  const g = (...names: string[]): string[] => (fine.gal ? names : []);
  return [
    ...(fine.gal
      ? [
          // merged with the GIB's entries (composeAudits): the fine-grained handler models what the coarse one folds
          entry(K.gib_alert_irq_handler, {
            gal: modelledAs('register-unregister-gal: the GAL interruption is taken in the handler thread\'s first step, its first xchg (nothing shared happens in between)', ...g(GAL_FIRST)),
            aen: AEN_HANDLER,
          }),
          entry(K.process_gib_alert_list, {
            cut: modelled(...g(GAL_FIRST, GAL_XCHG)),
            unlink: modelledAs('register-unregister-gal: the unlink is a step; hrtimer_cancel (waits for a running kicker) and hrtimer_start of that GISA are the next, one step (nothing but the kicker reads the timer between them, and it cannot run while dequeued)', ...g(GAL_UNLINK, GAL_START)),
            again: modelledAs('register-unregister-gal: final = origin & NONE_GISA_ADDR from the terminator of the list just processed, so the GAL handler cuts off with NONE, NONE again, then NULL, each xchg a step', ...g(GAL_XCHG)),
            final: modelled(...g(GAL_XCHG)),
            concurrent: modelledAs(
              'gal-destroy (the GAL handler thread against kvm_s390_gisa_destroy) and two-vms-destroy (two VMs\' destroys): the destroy\'s call on -EBUSY runs the same steps from its first xchg (origin = 0UL: final = 0), each caller holding what it cut off in its locals (`cut`, `held`), so a second caller\'s xchg takes only what the origin reaches; a GISA a walk reaches after its destroy set gi->origin NULL or sie_page2 was freed is GalWalkSeesLiveGisa, NONE_GISA_ADDR left in the origin with no caller inside the loop AlertListNotStranded',
              ...g(GAL_XCHG, GAL_UNLINK, GAL_START),
            ),
          }),
        ]
      : []),
    ...(fine.gal ? [] : [entry(K.gib_alert_irq_handler, { gal: modelled('gib_alert_irq_handler', 'gal_pending'), aen: AEN_HANDLER })]),
    entry(K.aen_process_gait, {
      noGait: ignored('nothing'),
      forward: modelledAs(
        'aen_host_forward for one summary bit per event (payload vm, isc; several bits are several events): gisa_set_ipm_gisc with no IAM check and no alert (a vcpu in SIE enabled for the ISC takes it at once, as after __inject_io), then hrtimer_cancel + hrtimer_start(&gi->timer, 0): the kicker armed (AdapterInterruptionLedger\'s aen step). The ISC is registered (alert.mask) while a GAIT entry forwards it: kvm_s390_pci_aif_enable registers it before filling the entry, kvm_s390_pci_aif_disable clears the entry under gait_lock before unregistering (arch/s390/kvm/pci.c); the configuration pre-registers it. gi->origin is dereferenced without a NULL check: a VM whose GISA a PV switch disabled (ultravisor without AIV) with a GAIT entry left would oops; not reachable in the configuration (no PV switch; QEMU does not interpret zPCI for PV guests)',
        'aen_process_gait', 'aen_host_forward', 'gisa_set_ipm_gisc', 'bounds_airq',
      ),
      suppressed: ignored('nothing (the format-1 GISA\'s simm/nimm are the guest\'s AIS mode, set by firmware: not modelled, always ALL here)'),
      noKvm: ignored('nothing'),
    }),
    entry(K.GISA_ADAPTER_INTERRUPTION, {
      sie: modelled('GISA_ADAPTER_INTERRUPTION', 'gisa_adapter_interruption'),
      ipm: modelled('gisa_adapter_interruption'),
      alert: modelled('gisa_adapter_interruption', 'gisa_alert'),
      gal: modelled('gisa_alert'),
      noAlert: modelled('gisa_adapter_interruption'),
      freed: modelledAs('the write is recorded as a fault and the step ends', 'kasan_gisa_use_after_free'),
    }),
    entry(K.gisa_set_iam, {
      busy: modelled('kvm_s390_gisc_register', 'kvm_s390_gisc_unregister', 'kvm_s390_gisa_destroy', ...d(UNREG.iam), ...d(REG.iam), ...d(DESTROY.iam)),
      set: modelledAs('one atomic step: the cmpxchg retries are not modelled (under ref_lock, or in the destroy after alert.mask = 0: a retry re-reads the word another CPU changed and writes the same IAM)', 'kvm_s390_gisc_register', 'kvm_s390_gisc_unregister', 'kvm_s390_gisa_destroy', ...d(UNREG.iam), ...d(REG.iam), ...d(DESTROY.iam)),
    }),
    entry(K.gisa_clear_ipm, modelled('kvm_s390_gisa_clear')),
    entry(K.gisa_get_ipm_or_restore_iam, {
      pending: modelled('gisa_get_ipm_or_restore_iam', 'gisa_vcpu_kicker', ...f(KICKER.word), ...f(KICKER.mask)),
      restore: modelled('gisa_get_ipm_or_restore_iam', 'gisa_vcpu_kicker', ...f(KICKER.cmpxchg)),
      stale: fine.driver
        ? modelledAs(
            'in the fine-grained configurations (kicker-unregister, kicker-unregister-destroy, register-kicker, register-unregister-kicker, register-unregister-gal): the READ_ONCE of alert.mask and the try_cmpxchg are steps of the kicker thread, kvm_s390_gisc_register/unregister steps of the driver thread between them; the word compares equal when gisa_set_iam failed (listed), wrote the IAM it already had, or register and unregister changed it and changed it back (ABA)',
            KICKER.mask, KICKER.cmpxchg, UNREG.dec, UNREG.iam, REG.inc, REG.iam,
          )
        : missing('the machine reads alert.mask and cmpxchgs the word in one step; to model: the READ_ONCE of alert.mask and the try_cmpxchg as two steps, with kvm_s390_gisc_register/unregister (whose gisa_set_iam fails while listed) between them (concurrency issue)'),
    }),
    entry(K.gisa_set_ipm_gisc, modelledAs('set by __inject_io (event kvm_s390_inject_vm) and aen_host_forward (event aen_process_gait); its other caller kvm_s390_get_io_int (TPI) is missing in its own entry', 'gisa_set_ipm_gisc', '__inject_io', 'kvm_s390_inject_vm', 'aen_host_forward')),
    entry(K.gisa_tac_ipm_gisc, modelled('gisa_tac_ipm_gisc')),
    entry(K.pending_irqs, {
      gisa: ignored('reads only; the vcpu machine models what it reads (deliverableIpm)'),
      noGisa: abstracted('without gi->origin no GISA interruption is deliverable (deliverableIpm reads it; no vcpu has gd); the float and local lists are the flic-ais machine\'s'),
    }),
    entry(K.deliverable_irqs, {
      io: ignored('reads only (vcpu machine)'),
      ioOff: ignored('reads only (vcpu machine)'),
      pv: ignored('reads only (vcpu machine)'),
    }),
    entry(K.kvm_s390_vcpu_has_irq, {
      deliverable: ignored('reads only (vcpu machine)'),
      timer: ignored('reads only'),
      extcall: ignored('reads only'),
      stop: ignored('reads only'),
      none: ignored('reads only'),
    }),
    entry(K.__deliver_io, {
      float: ignored('classic float list: no GISA field'),
      gisa: modelled('gisa_tac_ipm_gisc'),
      pv: modelledAs('the IPM part is the same gisa_tac_ipm_gisc as for the PSW swap; the injection through iictl and the ultravisor\'s presentation are the vcpu machine\'s (kvm_vcpu pv-delivery)', 'gisa_tac_ipm_gisc'),
      fault: modelledAs(DELIVERY_FAULT, 'gisa_tac_ipm_gisc'),
      none: modelled('gisa_tac_ipm_gisc'),
    }),
    entry(K.kvm_s390_deliver_pending_interrupts, {
      loop: modelled('gisa_tac_ipm_gisc'),
      indicators: ignored('intercept indicators for classic I/O: no GISA field'),
      err: modelledAs(DELIVERY_FAULT, 'gisa_tac_ipm_gisc'),
    }),
    entry(K.kvm_s390_handle_wait, {
      runnable: modelled('kicked_mask_clear'),
      disabled: ignored('writes nothing'),
      gisaPending: modelled('gisa_get_ipm_or_restore_iam'),
      noTimer: ignored('vcpu fields (kvm_vcpu)'),
      expired: ignored('writes nothing'),
      timer: ignored('vcpu fields and the ckc timer (kvm_vcpu)'),
      woke: ignored('vcpu fields (kvm_vcpu)'),
      window: abstracted('the environment events gisa_get_ipm_or_restore_iam and kicked_mask_clear interleave freely with every step of this machine'),
    }),
    entry(K.kvm_arch_vcpu_runnable, {
      clear: modelled('kicked_mask_clear'),
      has: ignored('reads only'),
    }),
    entry(K.vcpu_pre_run, {
      deliver: modelled('gisa_tac_ipm_gisc'),
      delErr: ignored('writes nothing (kicked_mask stays set until the next vcpu_pre_run)'),
      reqErr: ignored('writes nothing'),
      clear: modelled('kicked_mask_clear'),
    }),
    entry(K.kvm_vcpu_check_block, {
      runnable: modelled('kicked_mask_clear'),
      timer: modelled('kicked_mask_clear'),
      signal: modelled('kicked_mask_clear'),
      unblock: modelled('kicked_mask_clear'),
      block: modelled('kicked_mask_clear'),
    }),
    entry(K.kvm_vcpu_halt, {
      poll: modelled('kicked_mask_clear'),
      block: ignored('the vcpu thread (kvm_vcpu)'),
    }),
    entry(K.__airqs_kick_single_vcpu, {
      skipIo: modelled('gisa_vcpu_kicker', ...f(KICKER.scan)),
      kicked: modelled('gisa_vcpu_kicker', ...f(KICKER.kick)),
      kick: modelled('gisa_vcpu_kicker', ...f(KICKER.kick)),
      none: modelled('gisa_vcpu_kicker', ...f(KICKER.scan)),
    }),
    entry(K.gisa_vcpu_kicker, {
      kick: modelledAs('hrtimer_forward_now by 50 us: the timer stays armed and fires again as an event (a thread\'s first step in the fine-grained configurations)', 'gisa_vcpu_kicker', 'hrtimer_active', ...f(KICKER.origin), ...f(KICKER.scan)),
      restore: modelled('gisa_vcpu_kicker', ...f(KICKER.cmpxchg)),
    }),
    entry(K.hrtimer_active, modelled('hrtimer_active')),
    entry(K.kvm_s390_gisa_clear, {
      none: modelledAs('no transition from destroyed', 'kvm_s390_gisa_clear'),
      clear: modelled('kvm_s390_gisa_clear'),
    }),
    entry(K.kvm_s390_clear_float_irqs, {
      flic: modelledAs('only the GISA part (the float lists are the flic-ais machine\'s); the FLIC device ioctl comes through the open VM fd', 'kvm_s390_gisa_clear', 'kvm_vm_alive'),
      destroy: abstracted('after kvm_s390_gisa_destroy: the GISA is untouched (origin NULL); the float lists are not modelled here'),
    }),
    entry(K.get_all_floating_irqs, {
      einval: ignored('writes nothing'),
      nobufs: ignored('writes nothing'),
      gisa: modelledAs('one step (flic-get-all; flic-get-all-two-iscs with ISCs 0 and 7, the ends of the loop): every IPM bit test-and-cleared; the window before fi->lock against millicode and delivery is not split', 'KVM_DEV_FLIC_GET_ALL_IRQS', 'get_all_floating_irqs', 'gisa_tac_ipm_gisc'),
      full: modelledAs('the same step: the bits leave the IPM whatever the copy-out does (the lost buffer is the flic-ais machine\'s)', 'KVM_DEV_FLIC_GET_ALL_IRQS', 'get_all_floating_irqs'),
      efault: modelledAs('the same step: the bits leave the IPM whatever the copy-out does (the lost buffer is the flic-ais machine\'s)', 'KVM_DEV_FLIC_GET_ALL_IRQS', 'get_all_floating_irqs'),
      ok: modelledAs('the same step; the float lists copied out are the flic-ais machine\'s', 'KVM_DEV_FLIC_GET_ALL_IRQS', 'get_all_floating_irqs'),
    }),
    entry(K.kvm_s390_get_io_int, {
      none: ignored('the GISA is not touched'),
      gisa: modelledAs('the kernel function, called by the vcpu\'s TPI in the composed guest (configuration tpi) and in the vcpu machine\'s two-iscs (ISCs 0 and 7: get_top_gisa_isc\'s priority)', 'kvm_s390_get_io_int', 'gisa_tac_ipm_gisc'),
      classicFirst: abstracted(TPI_WINDOW_GISA),
      gisaFirst: abstracted(TPI_WINDOW_GISA),
      nomem: modelledAs('TPI outcome nomem (composed guest): the test-and-clear and the set again are one step (see window)', 'kvm_s390_get_io_int', 'gisa_set_ipm_gisc'),
      window: abstracted(TPI_WINDOW_GISA),
    }),
    entry(K.handle_tpi, {
      none: ignored('nothing taken'),
      gisa: modelledAs('the vcpu\'s TPI event in the composed guest (configuration tpi) calls kvm_s390_get_io_int', 'kvm_s390_get_io_int'),
      fault: modelledAs('TPI outcome store-fails (composed guest): kvm_s390_reinject_io_int -> __inject_io in the same step', 'kvm_s390_get_io_int', '__inject_io'),
    }),
    entry(K.__inject_io, {
      gisa: modelledAs('the IPM bit set with no IAM check and no alert; a vcpu in SIE enabled for the ISC takes it at once (SIE presents the IPM, as after the millicode step)', '__inject_io', 'gisa_set_ipm_gisc', 'kvm_s390_inject_vm'),
      busy: ignored('classic float list full: no GISA field'),
      list: ignored('classic float list (flic-ais): no GISA field'),
    }),
    entry(K.kvm_s390_inject_vm, {
      nomem: ignored('writes nothing'),
      einval: ignored('writes nothing'),
      io: modelled('kvm_s390_inject_vm', '__inject_io', '__floating_irq_kick'),
      other: ignored('float lists and a wakeup: no GISA field'),
      busy: ignored('writes nothing'),
    }),
    entry(K.set_adapter_int, {
      low: ignored('writes nothing'),
      noAdapter: ignored('writes nothing'),
      coalesced: ignored('guest indicator bits only'),
      masked: ignored('guest indicator bits only'),
      inject: modelledAs('the event kvm_s390_inject_vm (the irqfd route\'s summary and indicator bits are guest memory, not modelled; AIS suppression is the flic-ais machine\'s)', 'kvm_s390_inject_vm'),
    }),
    entry(K.kvm_s390_gisa_init, {
      noAiv: modelledAs('configuration parameter aiv = false (no-aiv): the VM starts without a GISA (region disabled, origin NULL); a re-enable after PV finds no AIV either', 'kvm_s390_gisa_init'),
      init: abstracted('the initial state alive: origin set, IPM = IAM = alert.mask = 0, ref_count[] 0, kicker idle, unlisted'),
      reinit: modelledAs('pv-switch: the same stores, ref_count[] kept (AlertMaskIsRegisteredIscs after a registration made before KVM_PV_ENABLE); the memset of a GISA the GIB list still reaches is GisaInitNotListed', 'kvm_s390_gisa_init', 'kvm_s390_gisa_enable', 'gisa_origin_set'),
    }),
    entry(K.kvm_s390_gisa_enable, {
      set: ignored('the GISA is in use: nothing'),
      init: modelled('kvm_s390_gisa_enable', 'kvm_s390_gisa_init', 'gisa_origin_set'),
      noDesc: ignored('writes nothing'),
      vcpus: ignored('SIE block fields (gd, ECA_AIV): not modelled'),
    }),
    entry(K.kvm_s390_gisa_destroy, {
      none: ignored('writes nothing (a second call, e.g. kvm_arch_destroy_vm after a PV disable)'),
      warn: modelledAs('the WARN is the DESTROY_WITH_ALERT_MASK fault (AlertMaskZeroAtDestroy)', 'kvm_s390_gisa_destroy', ...d(DESTROY.warn)),
      zero: modelled('kvm_s390_gisa_destroy', ...d(DESTROY.zero)),
      iam: modelled('kvm_s390_gisa_destroy', ...d(DESTROY.iam)),
      busy: modelled('kvm_s390_gisa_destroy', 'process_gib_alert_list', ...d(DESTROY.list), ...g(GAL_XCHG, GAL_UNLINK, GAL_START)),
      cancel: modelledAs(
        'hrtimer_cancel waits for a running kicker: in the coarse configuration the kicker is one step, so they never overlap; in the fine-grained ones the cancel step waits for the kicker thread to be idle, and gi->origin = NULL is its own step (the GISA region follows gi->origin: gisa_origin_null)',
        'kvm_s390_gisa_destroy', 'gisa_destroy_may_proceed', 'gisa_origin_null', ...d(DESTROY.cancel), ...d(DESTROY.origin),
      ),
    }),
    entry(K.kvm_s390_gisa_disable, {
      none: ignored('writes nothing'),
      vcpus: ignored('SIE block fields (gd, ECA_AIV): not modelled'),
      destroy: modelled('kvm_s390_gisa_disable', 'kvm_s390_gisa_destroy', 'gisa_origin_null'),
    }),
    entry(K.kvm_s390_gisc_register, {
      enodev: modelled('kvm_s390_gisc_register', ...d(REG.origin)),
      erange: modelledAs('the bounds add ISC 8', 'kvm_s390_gisc_register'),
      inc: modelled('kvm_s390_gisc_register', 'bounds_gisc_register', ...d(REG.lock), ...d(REG.inc), ...d(REG.unlock)),
      first: modelled('kvm_s390_gisc_register', ...d(REG.iam)),
      firstBusy: modelled('kvm_s390_gisc_register', ...d(REG.iam)),
      race: missing(`gi->origin is checked before ref_lock; to model: the check and the ref_lock section as two steps with a PV disable or a destroy between them (concurrency issue). ${PV_SWITCH}`),
    }),
    entry(K.kvm_s390_gisc_unregister, {
      enodev: modelled('kvm_s390_gisc_unregister', ...d(UNREG.origin)),
      erange: modelledAs('the bounds add ISC 8', 'kvm_s390_gisc_unregister'),
      einval: modelled('kvm_s390_gisc_unregister', ...d(UNREG.dec)),
      dec: modelled('kvm_s390_gisc_unregister', ...d(UNREG.lock), ...d(UNREG.dec), ...d(UNREG.unlock)),
      last: modelled('kvm_s390_gisc_unregister', ...d(UNREG.iam)),
      lastBusy: modelled('kvm_s390_gisc_unregister', ...d(UNREG.iam)),
      race: missing(`gi->origin is checked before ref_lock; to model: two steps (concurrency issue). ${PV_SWITCH}`),
    }),
    entry(K.use_gisa, {
      create: abstracted('configuration parameter useGisa = false: the VM starts with origin NULL (GISA region disabled); what the sysfs store changes later is the parameter useGisaAtPvExit'),
      pvExit: modelledAs('configuration parameter useGisaAtPvExit (pv-use-gisa-cleared: false, the GISA stays disabled after KVM_PV_DISABLE)', 'kvm_s390_cpus_from_pv'),
    }),
    entry(K.kvm_arch_init_vm, {
      fail: abstracted('VM creation failed: no VM exists for the machine'),
      crypto: ignored('crypto control block and the hook rwsem: no GISA field'),
      gisa: abstracted('the initial state alive'),
      noGisa: abstracted('configuration parameter useGisa = false (or aiv = false, no-aiv): the GISA region starts in disabled, origin NULL; kvm_s390_gisc_register answers -ENODEV'),
    }),
    entry(K.kvm_create_vm, {
      ok: abstracted('the initial state: the VM exists with users_count 1 and its GISA'),
      archFail: ignored('writes nothing'),
      lateFail: abstracted('VM creation failed: no VM exists for the machine'),
    }),
    entry(K.kvm_arch_destroy_vm, {
      vcpus: ignored('vcpu structures: no GISA field'),
      sca: ignored('writes nothing modelled'),
      gisa: modelled('kvm_s390_gisa_destroy'),
      pv: ignored('PV teardown: no GISA field'),
      free: modelled('free_page_sie_page2'),
      rest: ignored('float lists and adapters; kvm_s390_gisa_clear finds origin NULL'),
    }),
    entry(K.kvm_s390_cpus_to_pv, {
      noAiv: modelled('kvm_s390_cpus_to_pv', 'kvm_s390_gisa_disable', 'KVM_PV_ENABLE'),
      aiv: ignored('the GISA stays in use: writes nothing'),
      create: ignored('PV handles of the vcpus: no GISA field'),
      fail: modelledAs('KVM_PV_ENABLE outcome create-fails', 'kvm_s390_cpus_to_pv', 'kvm_s390_cpus_from_pv'),
    }),
    entry(K.kvm_s390_cpus_from_pv, {
      destroy: ignored('PV handles of the vcpus: no GISA field'),
      enable: modelled('kvm_s390_cpus_from_pv', 'kvm_s390_gisa_enable'),
      noUse: modelledAs('configuration parameter useGisaAtPvExit = false (pv-use-gisa-cleared)', 'kvm_s390_cpus_from_pv'),
    }),
    entry(K.kvm_s390_handle_pv, {
      enable: modelled('KVM_PV_ENABLE', 'kvm_s390_handle_pv', 'kvm_s390_pv_not_protected', 'kvm_s390_cpus_to_pv'),
      enableFail: modelledAs('KVM_PV_ENABLE outcome create-fails: kvm_s390_cpus_to_pv undid itself (the PV deinit writes no GISA field)', 'KVM_PV_ENABLE', 'kvm_s390_handle_pv'),
      prepare: modelledAs('for the GISA what KVM_PV_DISABLE does (kvm_s390_cpus_from_pv); the set-aside PV state is not modelled', 'KVM_PV_DISABLE', 'kvm_s390_handle_pv'),
      disable: modelled('KVM_PV_DISABLE', 'kvm_s390_handle_pv', 'kvm_s390_pv_is_protected', 'kvm_s390_cpus_from_pv'),
      other: ignored('PV state only'),
    }),
    entry(K.kvm_s390_pv_mmu_notifier_release, {
      from: modelledAs('for the GISA what KVM_PV_DISABLE does (kvm_s390_cpus_from_pv, one step); that it runs without kvm->lock matters against other kvm->lock holders, none of which the coarse machine splits', 'KVM_PV_DISABLE', 'kvm_s390_cpus_from_pv'),
      fast: ignored('PV state only'),
    }),
  ];
}

/** The GISA machine has the GIB region too: its audit is the GIB's and its own, merged. */
export const gisaAudit: KernelAudit = composeAudits([gibAudit, own({ kicker: true, driver: true, gal: true }), pvSwitchAudit, createVcpuAudit], {
  machine: 'kvm_s390_gisa_interrupt',
  pinned: PINNED_AUDIT,
  envOnly: new Set(),
  remap: {},
});

/** The same with the kicker's steps only, for the composed guest (its kick-wait configuration runs the kicker thread against the vcpu's). */
export const gisaKickerAudit: KernelAudit = composeAudits([gibAudit, own({ kicker: true, driver: false, gal: false })], {
  machine: 'kvm_s390_gisa_interrupt',
  pinned: PINNED_AUDIT,
  envOnly: new Set(),
  remap: {},
});
