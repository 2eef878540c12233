// The names the fine-grained PV-switch configurations of kvm_s390_gisa_interrupt add
// (machines/gisa/kvm_s390_pv.threads.ts: pv-enable-unregister, pv-enable-pqap, pv-disable-unregister; issue 12, branch
// pvswitch), by the branch of the C each step executes. Composed into the GISA machine's audit
// after its own: a branch marked here as modelled wins over the own audit's mark (the race
// branches of kvm_s390_gisc_register/unregister, missing there), and the steps join its names;
// the branches these threads do not run are ignored here only so that every branch has a mark
// (the own audit, or vfio_ap_queue's for vfio_ap's functions, marks them).
import type { KernelAudit } from '../../src/audit.ts';
import { entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

const byOthers: Mark = ignored('not run by the pv-enable threads: see the kvm_s390_gisa_interrupt own audit and vfio_ap_queue\'s');

/** The race branches of kvm_s390_gisc_register/unregister: the unlocked -ENODEV test and the ref_lock section are steps of the pv-enable threads. */
const RACE = 'pv-enable-unregister (the reset work\'s unregister) and pv-enable-pqap (the PQAP\'s register): the -ENODEV test and the ref_lock section are steps, and KVM_PV_ENABLE\'s kvm_s390_gisa_destroy can run between them; gisa_set_iam through the NULL origin is reported (FAULT.GISA_NULL_ORIGIN_USE, GiscCallSeesGisa) and writes nothing of the GISA';

export const pvSwitchAudit: KernelAudit = {
  machine: 'kvm_s390_gisa_interrupt (pv-enable threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.kvmS390, FILE.interrupt, FILE.apOps, FILE.kvmMain],
  modelledFields: [F.origin, F.mask, F.ref, F.iam],
  nonKernel: {
    'apq_reset_check@mutex_lock(kvm->lock)': 'proposed fix (variant reset-under-kvm-lock): VFIO_DEVICE_RESET under get_update_locks_for_mdev, so kvm->lock is held across the flush_work that waits for the work',
    'apq_reset_check@mutex_unlock(kvm->lock)': 'proposed fix (variant reset-under-kvm-lock): release_update_locks_for_mdev',
  },
  entries: [
    entry(K.kvm_s390_handle_pv, {
      enable: modelledAs('pv-enable-*: kvm->lock taken and dropped around the switch; kvm_s390_pv_init_vm, ESCA and the COW unsharing write no GISA field (one step each would add nothing)', 'kvm_s390_handle_pv@mutex_lock(kvm->lock)', 'kvm_s390_handle_pv@mutex_unlock(kvm->lock)'),
      enableFail: byOthers,
      prepare: byOthers,
      disable: modelledAs('pv-disable-unregister: kvm->lock taken and dropped around it; kvm_s390_pv_deinit_cleanup_all writes no GISA field', 'kvm_s390_handle_pv@mutex_lock(kvm->lock)', 'kvm_s390_handle_pv@mutex_unlock(kvm->lock)'),
      other: byOthers,
    }),
    entry(K.kvm_s390_cpus_from_pv, {
      destroy: byOthers,
      enable: modelledAs('pv-disable-unregister: use_gisa set; the PV vcpus\' destroy (under each vcpu->mutex) writes no GISA field and is not a step', 'kvm_s390_gisa_enable@if (gi->origin)'),
      noUse: byOthers,
    }),
    entry(K.kvm_s390_gisa_enable, {
      set: modelledAs('pv-disable-unregister: the unlocked test of gi->origin', 'kvm_s390_gisa_enable@if (gi->origin)'),
      init: modelledAs('pv-disable-unregister: kvm_s390_gisa_init\'s stores as steps (below)', 'kvm_s390_gisa_init@gi->origin = &sie_page2->gisa'),
      noDesc: byOthers,
      vcpus: byOthers,
    }),
    entry(K.kvm_s390_gisa_init, {
      noAiv: byOthers,
      init: byOthers,
      reinit: modelledAs(
        'pv-disable-unregister: gi->origin, alert.mask = 0, spin_lock_init(ref_lock) (which sets the lock free whoever holds it; expires and hrtimer_setup folded into it: nothing here reads them), the memset with next_alert (IPM, IAM 0), each a step; ref_count[] kept',
        'kvm_s390_gisa_init@gi->origin = &sie_page2->gisa', 'kvm_s390_gisa_init@alert_mask = 0', 'kvm_s390_gisa_init@spin_lock_init(ref_lock)', 'kvm_s390_gisa_init@memset(gi->origin, 0)',
      ),
    }),
    entry(K.kvm_s390_gisa_disable, {
      none: modelledAs('pv-enable-*: the unlocked test of gi->origin', 'kvm_s390_gisa_disable@if (!gi->origin)'),
      vcpus: modelledAs(
        'pv-enable-pqap: the one vcpu of the vcpu thread; ECA_AIV and gd as one flag (KvmContext.aiv: both are written together under vcpu->mutex and read by handle_pqap as ECA_AIV)',
        'kvm_s390_gisa_disable@mutex_lock(vcpu->mutex)', 'kvm_s390_gisa_disable@eca &= ~ECA_AIV; gd = 0', 'kvm_s390_gisa_disable@mutex_unlock(vcpu->mutex)',
      ),
      destroy: modelledAs('pv-enable-*: kvm_s390_gisa_destroy\'s steps inlined (kvm_s390_gisa_interrupt.threads.ts); its gi->origin = NULL settles the GISA region to disabled', 'kvm_s390_gisa_destroy@gi->origin = NULL'),
    }),
    entry(K.kvm_s390_gisc_register, {
      enodev: byOthers,
      erange: byOthers,
      inc: byOthers,
      first: byOthers,
      firstBusy: byOthers,
      race: modelledAs(RACE, 'kvm_s390_gisc_register@if (!gi->origin)', 'kvm_s390_gisc_register@gisa_set_iam(origin, alert_mask)'),
    }),
    entry(K.kvm_s390_gisc_unregister, {
      enodev: byOthers,
      erange: byOthers,
      einval: byOthers,
      dec: byOthers,
      last: byOthers,
      lastBusy: byOthers,
      race: modelledAs(RACE, 'kvm_s390_gisc_unregister@if (!gi->origin)', 'kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask)'),
    }),
    entry(K.kvm_arch_vcpu_ioctl_run, {
      dumping: byOthers,
      immediate: byOthers,
      badRegs: byOthers,
      autoStart: byOthers,
      stoppedErr: byOthers,
      sync: byOthers,
      run: modelledAs('pv-enable-pqap: the vcpu thread holds vcpu->mutex (kvm_vcpu_ioctl) from KVM_RUN\'s entry to its return, across the PQAP intercept; SIE itself is not run', 'handle_pqap@mutex_lock(vcpu->mutex)', 'handle_pqap@mutex_unlock(vcpu->mutex)'),
    }),
    entry(K.handle_pqap, {
      noAiv: modelledAs('pv-enable-pqap: ECA_AIV read as KvmContext.aiv, stable while the vcpu holds vcpu->mutex (kvm_s390_gisa_disable/enable change it only under it): -EOPNOTSUPP goes to userspace', 'vfio_ap:handle_pqap@if (!(eca & ECA_AIV))'),
      noHook: byOthers,
      noKvm: byOthers,
      noQueue: byOthers,
      enable: modelledAs('pv-enable-pqap: vfio_ap_irq_enable\'s kvm_s390_gisc_register, its steps inlined; the hook, mdevs_lock, the lookup, the NIB pin and ap_aqic write nothing the PV thread reads (the origin it passes to ap_aqic is the one register tests, unchanged under vcpu->mutex)', 'kvm_s390_gisc_register@if (!gi->origin)'),
      disable: modelledAs('its effect on the GISA is vfio_ap_free_aqic_resources\' kvm_s390_gisc_unregister: the coarse driver event, and the reset work\'s steps in pv-enable-unregister', 'kvm_s390_gisc_unregister'),
    }),
    entry(K.apq_reset_check, {
      busy: byOthers,
      rezap: byOthers,
      done: modelledAs('pv-enable-unregister, pv-disable-unregister: the TAPQ and the saved_isc test are not steps (no PV step touches them); vfio_ap_free_aqic_resources\'s kvm_s390_gisc_unregister is, inlined', 'kvm_s390_gisc_unregister@if (!gi->origin)'),
      eio: byOthers,
    }),
  ],
};
