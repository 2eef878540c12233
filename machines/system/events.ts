// Every event of the core spec: who causes it, the kernel entry point it mirrors, and whether
// the kernel guarantees it happens while it stays enabled (weak fairness, for liveness).
import type { EventInfo } from '../../src/spec.ts';
import type { Params } from '../context.ts';
import { ev, range, type SpecEvent } from '../lib.ts';
import type { AqicOff, AqicOutcome, TapqAnswer, ZapqCode } from '../vfio-ap/vfio_ap_queue.machine.ts';

export const EVENTS: Record<string, EventInfo> = {
  // GIB (arch/s390/kvm/interrupt.c)
  gisa_alert: ev('millicode', 'millicode enqueues a GISA on the GIB alert list (GIB series cover letters)'),
  gib_alert_irq_handler: ev('kernel', 'interrupt.c gib_alert_irq_handler -> process_gib_alert_list, first pass', true),
  process_gib_alert_list: ev('kernel', 'interrupt.c process_gib_alert_list, final pass (xchg NULL_GISA_ADDR)', true),
  // GISA
  GISA_ADAPTER_INTERRUPTION: ev('hardware', 'an adapter interruption for a guest ISC made pending in the GISA (AP or PCI)'),
  gisa_vcpu_kicker: ev('timer', 'interrupt.c gisa_vcpu_kicker (hrtimer gi->timer)', true),
  kvm_s390_inject_vm: ev('userspace', 'interrupt.c kvm_s390_inject_vm of an I/O adapter interruption (KVM_S390_INTERRUPT, KVM_DEV_FLIC_ENQUEUE/AIRQ_INJECT, irqfd set_adapter_int): __inject_io, __floating_irq_kick'),
  aen_process_gait: ev('hardware', 'a zPCI adapter event forwarded to the host (gib_alert_irq_handler with forward set, aism 0): interrupt.c aen_process_gait -> aen_host_forward for the summary bit of a device of this VM: gisa_set_ipm_gisc, the kicker restarted at 0'),
  kvm_s390_gisc_register: ev('kernel', 'interrupt.c kvm_s390_gisc_register (called by vfio_ap)'),
  kvm_s390_gisc_unregister: ev('kernel', 'interrupt.c kvm_s390_gisc_unregister (called by vfio_ap)'),
  gisa_get_ipm_or_restore_iam: ev('kernel', 'interrupt.c gisa_get_ipm_or_restore_iam (called by kvm_s390_handle_wait)'),
  gisa_tac_ipm_gisc: ev('kernel', 'interrupt.c gisa_tac_ipm_gisc (called by __deliver_io for a vcpu)'),
  kicked_mask_clear: ev('kernel', 'kvm-s390.c kvm_arch_vcpu_runnable / vcpu_pre_run: clear_bit(vcpu_idx, gi->kicked_mask)'),
  kvm_s390_gisa_clear: ev('userspace', 'interrupt.c kvm_s390_gisa_clear (KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_clear_float_irqs)'),
  KVM_DEV_FLIC_GET_ALL_IRQS: ev('userspace', 'interrupt.c flic_ioctl KVM_DEV_FLIC_GET_ALL_IRQS -> get_all_floating_irqs: the IPM test-and-cleared into the buffer (kept only if the copy-out succeeds)'),
  kvm_s390_gisa_destroy: ev('kernel', 'interrupt.c kvm_s390_gisa_destroy (kvm_arch_destroy_vm)', true),
  KVM_PV_ENABLE: ev('userspace', 'kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE) -> kvm_s390_cpus_to_pv (kvm_s390_gisa_disable without UV AIV); outcome create-fails: a kvm_s390_pv_create_cpu fails, kvm_s390_cpus_from_pv undoes it'),
  KVM_PV_DISABLE: ev('userspace', 'kvm-s390.c kvm_s390_handle_pv(KVM_PV_DISABLE) -> kvm_s390_cpus_from_pv (kvm_s390_gisa_enable if use_gisa)'),
  free_page_sie_page2: ev('kernel', 'kvm-s390.c kvm_arch_destroy_vm: free_page(kvm->arch.sie_page2)', true),
  // vcpu
  kvm_s390_vcpu_start: ev('userspace', 'kvm-s390.c kvm_s390_vcpu_start (KVM_SET_MP_STATE operating)'),
  kvm_s390_vcpu_stop: ev('userspace', 'kvm-s390.c kvm_s390_vcpu_stop (KVM_SET_MP_STATE stopped)'),
  vcpu_pre_run: ev('kernel', 'kvm-s390.c vcpu_pre_run: deliver, clear kicked_mask, enter SIE (outcome lowcore-fault: the guest\'s lowcore not accessible, a delivery fails: -EFAULT before the clear_bit, KVM_RUN ends)', true),
  vcpu_post_run: ev('kernel', 'kvm-s390.c vcpu_post_run: SIE exit for an intercept or host interruption'),
  ICPT_PV_INSTR: ev('guest', 'a PV vcpu\'s secure instruction or prefix intercept (ICPT_PV_INSTR, ICPT_PV_PREF): kvm-s390.c __vcpu_run fences KVM\'s copy of the PSW (PSW_INT_MASK), vcpu_post_run handles it; the next entry continues the instruction'),
  kvm_s390_handle_wait: ev('guest', 'interrupt.c kvm_s390_handle_wait: the guest loaded an enabled wait PSW'),
  TPI: ev('guest', 'priv.c handle_tpi: the guest\'s TEST PENDING INTERRUPTION takes the highest ISC of CR6 from the GISA (outcome stored, store-fails: reinjected, nomem: set again)'),
  STOSM_IO: ev('guest', 'the guest enables I/O interruptions in its PSW (STOSM / LPSW)'),
  STNSM_IO: ev('guest', 'the guest disables I/O interruptions in its PSW (STNSM, SSM, LPSW(E); not intercepted, or priv.c kvm_s390_handle_lpsw)'),
  LCTL_CR6: ev('guest', 'the guest loads CR6 (LCTL, LCTLG: SIE itself, or priv.c kvm_s390_handle_lctl when intercepted) with the ISC mask of the payload cr6'),
  KVM_S390_INITIAL_RESET: ev('userspace', 'kvm-s390.c kvm_arch_vcpu_ioctl_initial_reset (KVM_S390_INITIAL_RESET, KVM_S390_CLEAR_RESET) of a stopped vcpu: PSW and CR6 0'),
  kvm_s390_vcpu_wakeup: ev('kernel', 'interrupt.c kvm_s390_vcpu_wakeup'),
  kvm_vcpu_check_block: ev('kernel', 'kvm_main.c kvm_vcpu_check_block -> kvm_arch_vcpu_runnable', true),
  // struct kvm
  kvm_vm_release: ev('userspace', 'kvm_main.c kvm_vm_release: QEMU closes the VM fd -> kvm_put_kvm'),
  kvm_destroy_vm: ev('kernel', 'kvm_main.c kvm_destroy_vm (raised by the last kvm_put_kvm)'),
  kvm_destroy_devices: ev('kernel', 'kvm_main.c kvm_destroy_devices, then struct kvm is freed', true),
  kvm_get_kvm: ev('kernel', 'kvm_main.c kvm_get_kvm by a driver'),
  kvm_put_kvm: ev('kernel', 'kvm_main.c kvm_put_kvm by a driver'),
  // vfio_ap (drivers/s390/crypto/vfio_ap_ops.c)
  vfio_ap_mdev_open_device: ev('userspace', 'vfio_ap_ops.c vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm'),
  vfio_ap_mdev_close_device: ev('userspace', 'vfio_ap_ops.c vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm'),
  assign_adapter_store: ev('userspace', 'vfio_ap_ops.c assign_adapter_store (sysfs)'),
  assign_domain_store: ev('userspace', 'vfio_ap_ops.c assign_domain_store (sysfs)'),
  vfio_ap_mdev_remove_queue: ev('userspace', 'vfio_ap_ops.c vfio_ap_mdev_remove_queue (driver unbind)'),
  PQAP_AQIC: ev('guest', 'PQAP(AQIC): priv.c handle_pqap -> vfio_ap_ops.c handle_pqap'),
  PQAP_ZAPQ: ev('guest', 'PQAP(ZAPQ) executed by the machine for a queue in the guest configuration'),
  AP_ADAPTER_INTERRUPTION: ev('hardware', 'the AP sets the NIB and presents an adapter interruption (AQIC ir=1)'),
  AP_RESET_COMPLETE: ev('hardware', 'the AP completes the reset the guest\'s PQAP(ZAPQ) started: TAPQ and AQIC no longer answer RESET_IN_PROGRESS (guestReset configurations)'),
  apq_reset_check: ev('kernel', 'vfio_ap_ops.c apq_reset_check (q->reset_work on system_long_wq): one pass of its loop, msleep(20) then TAPQ (payload tapq; zapq when it issues ZAPQ again)', true),
  flush_work: ev('kernel', 'vfio_ap_ops.c vfio_ap_mdev_reset_queues: flush_work(&q->reset_work) returned for every queue; vfio_ap_mdev_unset_kvm goes on with kvm_put_kvm, matrix_mdev->kvm = NULL (VFIO_DEVICE_RESET: returns 0 or -EIO to userspace)', true),
  KVM_S390_VM_CRYPTO_ENABLE_APIE: ev('userspace', 'kvm-s390.c kvm_s390_vm_set_crypto(KVM_S390_VM_CRYPTO_ENABLE_APIE): crypto.apie = 1, kvm_s390_vcpu_crypto_reset_all sets ECA_APIE on every vcpu (guestStatus configurations)'),
  KVM_S390_VM_CRYPTO_DISABLE_APIE: ev('userspace', 'kvm-s390.c kvm_s390_vm_set_crypto(KVM_S390_VM_CRYPTO_DISABLE_APIE): crypto.apie = 0, kvm_s390_vcpu_crypto_reset_all clears ECA_APIE on every vcpu: the guest\'s AP instructions go to userspace (guestStatus configurations)'),
  VFIO_DEVICE_RESET: ev('userspace', 'vfio_ap_ops.c vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) (QEMU at a guest reset): vfio_ap_mdev_reset_queues under mdevs_lock (payload zapq), its return to userspace'),
};

/** What the bounds enumerate. */
export interface Bounds {
  /** Event types the machine takes from outside (per-object machines add environment events). */
  types: readonly string[];
  /** ap_aqic outcomes of PQAP(AQIC) ir=1. */
  outcomes?: readonly AqicOutcome[];
  /** What becomes of a TPI (handle_tpi): stored, store-fails (reinjected), nomem (kvm_s390_get_io_int's kzalloc); default all three. */
  tpi?: readonly ('stored' | 'store-fails' | 'nomem')[];
  /** Extra guest ISCs for kvm_s390_gisc_register/unregister, e.g. 8 for -ERANGE. */
  extraIscs?: readonly number[];
  /** The AP's answers to ZAPQ (vfio_ap_mdev_reset_queue from the close, apq_reset_check's ZAPQ again); without it the reset completes at once. */
  zapq?: readonly ZapqCode[];
  /** The AP's answers to apq_reset_check's TAPQ (needs zapq). */
  tapq?: readonly TapqAnswer[];
  /** How vfio_ap_irq_disable's AQIC ir=0 and TAPQ loops end for PQAP(AQIC) ir=0; without it: NORMAL. */
  aqicOff?: readonly AqicOff[];
  /** vfio_ap_mdev_remove_queue: the APQN is still in the host's AP configuration ('present') or left it first ('gone'); without it: present. */
  hostConfig?: readonly ('present' | 'gone')[];
  /** Issue 12: vcpu_pre_run also with outcome lowcore-fault (the guest's lowcore not accessible: a delivery fails, KVM_RUN returns -EFAULT). */
  lowcoreFault?: boolean;
}

const VM = new Set(['kvm_vm_release', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'kvm_destroy_devices', 'gisa_vcpu_kicker',
  'kvm_s390_gisa_clear', 'vfio_ap_mdev_open_device', 'kvm_get_kvm', 'kvm_put_kvm', 'gisa_get_ipm_or_restore_iam', 'gisa_alert', 'kvm_destroy_vm', 'KVM_PV_DISABLE', 'KVM_DEV_FLIC_GET_ALL_IRQS',
  'KVM_S390_VM_CRYPTO_ENABLE_APIE', 'KVM_S390_VM_CRYPTO_DISABLE_APIE']);
const VM_ISC = new Set(['kvm_s390_inject_vm', 'aen_process_gait', 'kvm_s390_gisc_register', 'kvm_s390_gisc_unregister', 'GISA_ADAPTER_INTERRUPTION', 'gisa_tac_ipm_gisc']);
const VCPU = new Set(['kicked_mask_clear', 'kvm_s390_vcpu_start', 'kvm_s390_vcpu_stop', 'vcpu_pre_run', 'vcpu_post_run', 'ICPT_PV_INSTR', 'kvm_s390_handle_wait',
  'kvm_vcpu_check_block', 'STOSM_IO', 'kvm_s390_vcpu_wakeup', 'STNSM_IO', 'KVM_S390_INITIAL_RESET']);
const QUEUE = new Set(['assign_adapter_store', 'assign_domain_store', 'PQAP_ZAPQ', 'AP_ADAPTER_INTERRUPTION', 'AP_RESET_COMPLETE', 'vfio_ap_mdev_remove_queue']);

/** Every event with every payload the bounds allow, in a fixed order. */
export function enumerateEvents(params: Params, bounds: Bounds): SpecEvent[] {
  const out: SpecEvent[] = [];
  const vms = range(params.vms);
  for (const type of bounds.types) {
    if (!EVENTS[type]) throw new Error(`no event ${type} in the catalogue`);
    if (VM.has(type)) for (const vm of vms) out.push({ type, vm });
    else if (VM_ISC.has(type)) {
      const iscs = type === 'kvm_s390_gisc_register' || type === 'kvm_s390_gisc_unregister' ? [...params.iscs, ...(bounds.extraIscs ?? [])] : params.iscs;
      for (const vm of vms) for (const isc of iscs) out.push({ type, vm, isc });
    } else if (type === 'vcpu_pre_run' && bounds.lowcoreFault) for (const vm of vms) for (const vcpu of range(params.vcpus)) out.push({ type, vm, vcpu }, { type, vm, vcpu, outcome: 'lowcore-fault' });
    else if (VCPU.has(type)) for (const vm of vms) for (const vcpu of range(params.vcpus)) out.push({ type, vm, vcpu });
    else if (type === 'TPI') for (const vm of vms) for (const vcpu of range(params.vcpus)) for (const outcome of bounds.tpi ?? ['stored', 'store-fails', 'nomem']) out.push({ type, vm, vcpu, outcome });
    else if (type === 'LCTL_CR6') for (const vm of vms) for (const vcpu of range(params.vcpus)) for (const cr6 of params.guestMasks ?? []) out.push({ type, vm, vcpu, cr6 });
    else if (type === 'KVM_PV_ENABLE') for (const vm of vms) for (const outcome of ['ok', 'create-fails']) out.push({ type, vm, outcome });
    else if (type === 'vfio_ap_mdev_remove_queue' && bounds.hostConfig) for (const q of range(params.queues)) for (const host of bounds.hostConfig) out.push({ type, q, host });
    else if (QUEUE.has(type)) for (const q of range(params.queues)) out.push({ type, q });
    else if (type === 'PQAP_AQIC') {
      for (const q of range(params.queues)) {
        for (const isc of params.iscs) for (const outcome of bounds.outcomes ?? ['NORMAL']) out.push({ type, q, ir: 1, isc, outcome });
        if (bounds.aqicOff) for (const off of bounds.aqicOff) out.push({ type, q, ir: 0, off });
        else out.push({ type, q, ir: 0 });
      }
    } else if ((type === 'vfio_ap_mdev_close_device' || type === 'VFIO_DEVICE_RESET') && bounds.zapq) for (const zapq of bounds.zapq) out.push({ type, zapq });
    else if (type === 'apq_reset_check') {
      // the TAPQ answers after which the loop may issue ZAPQ again carry that ZAPQ's answer too
      for (const q of range(params.queues)) for (const tapq of bounds.tapq ?? ['DONE']) {
        if (tapq === 'DONE' || tapq === 'ASSOC') for (const zapq of bounds.zapq ?? ['NORMAL']) out.push({ type, q, tapq, zapq });
        else out.push({ type, q, tapq });
      }
    } else out.push({ type });
  }
  return out;
}
