// The core system under test: VMs (struct kvm with one GISA and its vcpus), the GIB, one
// vfio_ap mdev with its AP queues, and the lifetime tracker, driven by the core spec's events
// (machines/system/events.ts) and observed as JSON after every step.
// Transcribes (through gisa.ts, vcpu.ts, kvm.ts, vfio_ap.ts): arch/s390/kvm/interrupt.c,
// kvm-s390.c, virt/kvm/kvm_main.c and drivers/s390/crypto/vfio_ap_ops.c at v6.17-rc4, plus
// the older designs named in SutDesign. Written from the kernel source, not from the statecharts.
// An event the kernel would not accept in the current state leaves the SUT unchanged.
import {
  gib_alert_irq_handler,
  gisa_get_ipm_or_restore_iam,
  gisa_set_iam,
  gisa_tac_ipm_gisc,
  gisa_vcpu_kicker,
  GISA_ADDR_MASK,
  iamOf,
  in_alert_list,
  ipmOf,
  kvm_s390_gisa_clear,
  kvm_s390_gisc_register,
  kvm_s390_inject_vm,
  aen_host_forward,
  kvm_s390_gisc_unregister,
  millicodeAdapterInterruption,
  millicodeAlert,
  nextAlert,
  NONE_GISA_ADDR,
  NULL_GISA_ADDR,
  process_gib_alert_list_final_pass,
  EINVAL,
  type Gib,
} from './gisa.ts';
import {
  destroyStepFreeSiePage2,
  destroyStepGisaDestroy,
  kvm_create_vm,
  kvm_destroy_devices,
  kvm_get_kvm,
  kvm_put_kvm,
  kvm_vm_release,
  sie_page2_addr,
  type Host,
  type Kvm,
  type SutDesign,
} from './kvm.ts';
import { Lifetime, type FaultName } from './lifetime.ts';
import {
  apAdapterInterruption,
  apResetComplete,
  assignStore,
  guestZapq,
  handle_pqap,
  kvm_s390_vm_set_crypto,
  priv_handle_pqap,
  queueAssigned,
  vfio_ap_mdev_close_device,
  vfio_ap_mdev_open_device,
  vfio_ap_mdev_remove_queue,
  vfio_ap_mdev_unset_kvm_flushed,
  vfio_ap_mdev_ioctl_reset,
  vfio_ap_mdev_ioctl_flushed,
  responseClass,
  apq_reset_check,
  resetWorkOf,
  type AqicOff,
  type TapqAnswer,
  type ZapqAnswer,
  vfio_ap_probe,
  VFIO_AP_ISC_INVALID,
  type AqicOutcome,
  type VfioAp,
} from './vfio_ap.ts';
import {
  kvm_s390_vcpu_start,
  kvm_s390_vcpu_stop,
  stopHaltedVcpu,
  kvm_s390_vcpu_wakeup,
  kvm_vcpu_check_block,
  sieTakeIpm,
  guestPswIo,
  IICTL_CODE_NONE,
  stosmIo,
  stnsmIo,
  lctlCr6,
  kvm_arch_vcpu_ioctl_initial_reset,
  vcpuIscMask,
  handle_tpi,
  type TpiOutcome,
  vcpu_post_run,
  vcpu_pre_run,
  waitIntercept,
  whereOf,
  type KvmVcpu,
  type Where,
} from './vcpu.ts';

export type { SutDesign } from './kvm.ts';
export type { AqicOutcome } from './vfio_ap.ts';

export interface CoreParams {
  vms: number;
  vcpus: number;
  queues: number;
  iscs: readonly number[];
  /** CR6 ISC mask (bits 0x80 >> isc) per vcpu index; default: every ISC of iscs */
  cr6?: readonly number[];
  /** the guest loads CR6 (LCTL_CR6), disables I/O (STNSM_IO), userspace resets vcpus: the observation shows each vcpu's CR6 */
  guestMasks?: readonly number[];
  /** the vcpus are protected (PV) cpus of a VM whose ultravisor has AIV: the observation shows iictl, the fence and the continuation */
  pvVcpus?: boolean;
  /** ISCs registered once per VM before the first step */
  preRegistered?: readonly number[];
  /** ignored (the SUT's counters are unbounded; the observation saturates them) */
  maxRefs?: number;
  /** the AP's answers to ZAPQ, TAPQ and AQIC ir=0 come as event payloads; reset_work and flush_work are events */
  apAnswers?: boolean;
  /** QEMU's VFIO_DEVICE_RESET is an event: the observation shows its return code and each queue's reset_status */
  deviceReset?: boolean;
  /** the guest's own ZAPQ leaves the AP resetting until AP_RESET_COMPLETE; the observation shows that and what PQAP(AQIC) told the guest */
  guestReset?: boolean;
  /** PQAP(AQIC) runs priv.c handle_pqap from its ECA_APIE test, refusals included; the observation shows what the guest read and was told */
  guestStatus?: boolean;
  /** guestStatus: facility 65 in the VMs' CPU model (default true) */
  fac65?: boolean;
  /** guestStatus: the guest is protected (ensure_nib_shared runs) */
  pvGuest?: boolean;
}

export interface CoreOptions {
  /**
   * Accept kvm_s390_gisa_destroy and free_page_sie_page2 whenever their kernel precondition
   * holds (gi->origin set; GISA destroyed and page not yet freed) instead of only as steps of
   * kvm_destroy_vm: for specs that have the GISA but not struct kvm's lifetime.
   */
  freeStanding?: boolean;
}

export interface CoreEvent {
  type: string;
  vm?: number;
  vcpu?: number;
  isc?: number;
  q?: number;
  ir?: number;
  outcome?: string;
  /** the AP's answers (CoreParams.apAnswers) */
  zapq?: string;
  tapq?: string;
  off?: string;
  /** vfio_ap_mdev_remove_queue: the APQN is still in the host's AP configuration or left it */
  host?: string;
  /** LCTL_CR6: the ISC mask the guest loads into CR6 (0x80 >> isc bits) */
  cr6?: number;
}

export interface Observation {
  gib?: { origin: 'NULL' | 'NONE' | 'LIST'; listed: number[]; galPending: boolean };
  vms: {
    users: number;
    kvmFreed: boolean;
    /** the VM fd is open (kvm_vm_release not yet run) */
    fd: boolean;
    gisa: { origin: boolean; freed: boolean; ipm: number; iam: number; mask: number; ref: number[]; timer: boolean };
    /** idle: the vcpu's idle_mask bit; wait: CPUSTAT_WAIT in its cpuflags (both set by __set_cpu_idle, cleared by __unset_cpu_idle) */
    vcpus: { where: Where; kicked: boolean; pswIo: boolean; idle: boolean; wait: boolean }[];
    faults: FaultName[];
  }[];
  /** unsetting: apAnswers only, vfio_ap_mdev_unset_kvm waits in flush_work; resetting, resetRc: deviceReset only, VFIO_DEVICE_RESET waits in flush_work, its last return */
  mdev: { kvm: number; kvmRef: boolean; hookVm: number; unsetting?: boolean; resetting?: boolean; resetRc?: number | null };
  queues: {
    savedIsc: number;
    savedNib: boolean;
    pins: number;
    irq: boolean;
    /** APID and APQI assigned to the mdev (sysfs) */
    apid: boolean;
    apqi: boolean;
    /** what the AP was given by the AQIC that enabled interruptions: guest ISC and the VM whose GISA (-1: none of them); null while off */
    hw: { isc: number; gisa: number } | null;
    faults: FaultName[];
    /** apAnswers only: q->reset_work (idle, or queued after a ZAPQ answered NORMAL-like or in progress) */
    work?: 'idle' | 'zapped' | 'in-progress';
    /** apAnswers only: vfio_ap_mdev_remove_queue kfree'd q */
    freed?: boolean;
    /** deviceReset only: q->reset_status.response_code by class (0; RESET_IN_PROGRESS/BUSY/STATE_CHANGE_IN_PROGRESS; DECONFIGURED/CHECKSTOPPED; any other) */
    resetStatus?: 'NORMAL' | 'IN_PROGRESS' | 'DECONFIGURED' | 'INVALID';
    /** guestReset only: the AP still resets the queue after the guest's ZAPQ; the ISC PQAP(AQIC) ir=1 last told the guest 0 for (-1: none, or reset since) */
    hwReset?: boolean;
    told?: number;
    /** guestStatus only: what the guest read after its last PQAP(AQIC) (a program interruption, userspace, or cc and the response code in GR1 bits 40-47) */
    gr1?: string;
  }[];
}

/** Counters are reported saturated at the model's bound. */
const COUNT_CAP = 3;
const cap = (n: number): number => Math.min(n, COUNT_CAP);
const iscMask = (iscs: readonly number[]): number => iscs.reduce((m, isc) => m | (0x80 >> isc), 0);
const AQIC_OUTCOMES = new Set(['NORMAL', 'OTHERWISE_CHANGED', 'OTHER', 'PIN_FAILED', 'NIB_INVALID', 'RESET_IN_PROGRESS', 'NIB_NOT_SHARED']);
const TPI_OUTCOMES = new Set<string>(['stored', 'store-fails', 'nomem']);

export class CoreSut implements Host {
  readonly design: SutDesign;
  readonly life: Lifetime;
  readonly gib: Gib = { alert_list_origin: NULL_GISA_ADDR, galPending: false, inProcess: null };
  readonly gibNisc = 3;
  readonly kvms: Kvm[];
  readonly vfio: VfioAp;
  /** The observation shows each vcpu's CR6 (configurations where the guest loads it). */
  readonly guestMasks: boolean;
  private readonly opts: CoreOptions;

  constructor(params: CoreParams, design: SutDesign, opts: CoreOptions = {}) {
    this.design = design;
    this.opts = opts;
    this.guestMasks = params.guestMasks !== undefined;
    this.life = new Lifetime(params.vms, params.queues);
    const all = iscMask(params.iscs);
    this.kvms = Array.from({ length: params.vms }, (_, vm) => {
      const kvm = kvm_create_vm(vm);
      kvm.vcpus = Array.from({ length: params.vcpus }, (_, k): KvmVcpu => ({
        vcpu_idx: k,
        kvm,
        stopped: true,
        wait: false,
        prog_in_sie: false,
        pswIo: true,
        gcr6: ((params.cr6?.[k] ?? all) & 0xff) << 24,
        thread: 'run_loop',
        ...(params.pvVcpus ? { pv: { iictl: IICTL_CODE_NONE, io_int_word: 0, extMchk: true, guestIo: true, cont: false } } : {}),
      }));
      for (const isc of params.preRegistered ?? []) kvm_s390_gisc_register(this, kvm, isc);
      // GIB v2..v4 register only the software mask; the initial IAM is the alert mask in every design
      if (kvm.arch.gisa_int.origin) gisa_set_iam(this, kvm.arch.gisa_int.origin, kvm.arch.gisa_int.alert.mask);
      return kvm;
    });
    const guestStatus = params.guestStatus ? { fac65: params.fac65 ?? true, pv: params.pvGuest ?? false } : null;
    this.vfio = vfio_ap_probe(params.queues, params.apAnswers ?? false, params.deviceReset ?? false, params.guestReset ?? false, guestStatus);
  }

  /** VFIO_DEVICE_RESET returned (not waiting in flush_work): a 0 with a queue not reset is RESET_REPORTED_UNDONE (the tracker's check, as GUEST_TOLD_SUCCESS is handle_pqap's). */
  private deviceResetReturned(): void {
    if (this.vfio.mdev.resetting || this.vfio.mdev.resetRc !== 0) return;
    // a queue of the qtable with a NIB pinned (saved or leaked), the AP interrupting, or its reset work queued
    for (const q of this.vfio.queues) {
      if (q.matrix_mdev && !q.removed && (this.life.pinsOf(q.idx) > 0 || this.vfio.ap[q.idx]!.irq || q.reset_work)) this.life.report({ q: q.idx }, 'RESET_REPORTED_UNDONE');
    }
  }

  /** The AP's answers are event payloads (the observation then shows reset_work, the kfree and the close waiting in flush_work). */
  get apAnswers(): boolean {
    return this.vfio.answers;
  }

  vmOfGisa(addr: number): number {
    return this.kvms.findIndex((k) => k.gisaPage.addr === addr);
  }

  /** Millicode: an IPM bit set by software is presented to a vcpu in SIE enabled for it (vcpu_idx order). */
  private presentToSie(kvm: Kvm): void {
    for (const v of kvm.vcpus) sieTakeIpm(this, v);
  }

  /** Apply one event; an event the kernel would not accept now leaves the SUT unchanged. */
  apply(event: CoreEvent): void {
    const kvm = event.vm === undefined ? undefined : this.kvms[event.vm];
    const vcpu = kvm && event.vcpu !== undefined ? kvm.vcpus[event.vcpu] : undefined;
    switch (event.type) {
      // GIB
      case 'gib_alert_irq_handler':
        if (this.gib.galPending) gib_alert_irq_handler(this);
        return;
      case 'process_gib_alert_list':
        process_gib_alert_list_final_pass(this);
        return;
      case 'gisa_alert':
        if (kvm) millicodeAlert(this, kvm);
        return;
      // GISA
      case 'GISA_ADAPTER_INTERRUPTION':
        if (kvm && event.isc !== undefined) millicodeAdapterInterruption(this, kvm.gisaPage.addr, event.isc);
        return;
      case 'kvm_s390_inject_vm': // the VM ioctl, the FLIC's AIRQ_INJECT or an irqfd route: each needs the VM alive
        if (kvm && event.isc !== undefined && kvm.destroy === 'alive') {
          kvm_s390_inject_vm(this, kvm, event.isc);
          this.presentToSie(kvm);
        }
        return;
      case 'aen_process_gait': // the host's zPCI forwarding interruption (forward set, aism 0): aen_host_forward for one summary bit of this VM
        if (kvm && event.isc !== undefined) {
          aen_host_forward(this, kvm, event.isc);
          this.presentToSie(kvm);
        }
        return;
      case 'gisa_vcpu_kicker':
        if (kvm?.arch.gisa_int.timer && kvm.arch.gisa_int.origin) gisa_vcpu_kicker(this, kvm);
        return;
      case 'kvm_s390_gisc_register':
      case 'kvm_s390_gisc_unregister':
        if (!kvm || event.isc === undefined) return;
        if (kvm.destroy === 'freed') {
          this.life.report({ vm: kvm.idx }, 'GISC_CALL_AFTER_FREE');
          return;
        }
        if (event.type === 'kvm_s390_gisc_register') kvm_s390_gisc_register(this, kvm, event.isc);
        else if (kvm_s390_gisc_unregister(this, kvm, event.isc) === EINVAL) this.life.report({ vm: kvm.idx }, 'GISC_UNREGISTER_UNBALANCED');
        return;
      case 'gisa_get_ipm_or_restore_iam':
        if (kvm?.arch.gisa_int.origin) gisa_get_ipm_or_restore_iam(this, kvm.arch.gisa_int);
        return;
      case 'kvm_s390_gisa_clear': // flic_set_attr(KVM_DEV_FLIC_CLEAR_IRQS) -> kvm_s390_clear_float_irqs: QEMU's FLIC fd, held with its VM fd
        if (kvm?.fdOpen) kvm_s390_gisa_clear(this, kvm);
        return;
      case 'gisa_tac_ipm_gisc': // __deliver_io taking one ISC for a vcpu of this VM
        if (kvm && kvm.arch.gisa_int.origin) gisa_tac_ipm_gisc(this, kvm.arch.gisa_int.origin, event.isc!);
        return;
      case 'kvm_s390_gisa_destroy':
        if (!kvm) return;
        if (kvm.destroy === 'kvm_s390_gisa_destroy' || (this.opts.freeStanding && kvm.arch.gisa_int.origin && kvm.destroy === 'alive')) {
          destroyStepGisaDestroy(this, kvm);
        }
        return;
      case 'free_page_sie_page2':
        if (!kvm) return;
        if (
          kvm.destroy === 'free_page_sie_page2' ||
          (this.opts.freeStanding && kvm.destroy === 'alive' && !kvm.arch.gisa_int.origin && !this.life.isFreed(kvm.gisaPage.addr))
        ) {
          destroyStepFreeSiePage2(this, kvm);
        }
        return;
      // struct kvm
      case 'kvm_vm_release':
        if (kvm?.fdOpen && kvm.destroy === 'alive' && kvm.vcpus.every((v) => v.stopped)) kvm_vm_release(kvm);
        return;
      case 'kvm_destroy_vm':
        return; // begins inside the last kvm_put_kvm; its steps are the three events around it
      case 'kvm_destroy_devices':
        if (kvm?.destroy === 'kvm_destroy_devices') kvm_destroy_devices(this, kvm);
        return;
      case 'kvm_get_kvm':
        if (kvm?.destroy === 'alive') {
          kvm.driverRefs++;
          kvm_get_kvm(kvm);
        }
        return;
      case 'kvm_put_kvm':
        if (kvm && kvm.driverRefs > 0 && kvm.destroy === 'alive') {
          kvm.driverRefs--;
          kvm_put_kvm(kvm);
        }
        return;
      // vcpu
      case 'kvm_s390_vcpu_start':
      case 'kvm_s390_vcpu_stop':
      case 'vcpu_pre_run':
      case 'vcpu_post_run':
      case 'ICPT_PV_INSTR':
      case 'kvm_s390_handle_wait':
      case 'STOSM_IO':
      case 'STNSM_IO':
      case 'LCTL_CR6':
      case 'KVM_S390_INITIAL_RESET':
      case 'kvm_s390_vcpu_wakeup':
      case 'kvm_vcpu_check_block':
      case 'TPI':
        if (kvm && vcpu && kvm.destroy === 'alive') this.applyVcpu(event, kvm, vcpu);
        return;
      // vfio_ap
      case 'assign_adapter_store':
      case 'assign_domain_store':
        if (event.q !== undefined) assignStore(this, event.q, event.type === 'assign_adapter_store' ? 'adapter' : 'domain');
        return;
      case 'vfio_ap_mdev_open_device':
        if (kvm && !this.vfio.mdev.open && !this.vfio.mdev.unsetting && kvm.destroy === 'alive' && kvm.fdOpen) vfio_ap_mdev_open_device(this, kvm);
        return;
      case 'vfio_ap_mdev_close_device':
        // the VFIO core closes no device while an ioctl holds its file
        if (this.vfio.mdev.open && !this.vfio.mdev.resetting) vfio_ap_mdev_close_device(this, event.zapq as ZapqAnswer | undefined);
        return;
      case 'VFIO_DEVICE_RESET':
        if (this.vfio.mdev.open && !this.vfio.mdev.resetting) {
          vfio_ap_mdev_ioctl_reset(this, event.zapq as ZapqAnswer | undefined);
          this.deviceResetReturned();
        }
        return;
      case 'apq_reset_check': {
        const q = event.q === undefined ? undefined : this.vfio.queues[event.q];
        if (q?.reset_work && !q.removed) apq_reset_check(this, q, event.tapq as TapqAnswer, (event.zapq ?? 'NORMAL') as ZapqAnswer);
        return;
      }
      case 'flush_work':
        if (this.vfio.mdev.resetting) {
          vfio_ap_mdev_ioctl_flushed(this);
          this.deviceResetReturned();
        } else vfio_ap_mdev_unset_kvm_flushed(this);
        return;
      case 'PQAP_AQIC': {
        if (event.q === undefined) return;
        const ir = event.ir ? 1 : 0;
        const outcome = (event.outcome ?? 'NORMAL') as AqicOutcome;
        if (!AQIC_OUTCOMES.has(outcome)) throw new Error(`PQAP_AQIC: unknown outcome ${event.outcome}; use one of ${[...AQIC_OUTCOMES].join(', ')}`);
        if (ir && event.isc === undefined) throw new Error('PQAP_AQIC with ir=1 needs an isc');
        // vfio_ap's handle_pqap waits in mutex_lock(&matrix_dev->mdevs_lock) while VFIO_DEVICE_RESET holds it in flush_work
        if (this.vfio.mdev.resetting) return;
        if (this.vfio.guestStatus) priv_handle_pqap(this, event.q, ir, event.isc ?? 0, outcome, event.off as AqicOff | undefined);
        else handle_pqap(this, event.q, ir, event.isc ?? 0, outcome, event.off as AqicOff | undefined);
        return;
      }
      case 'KVM_S390_VM_CRYPTO_ENABLE_APIE':
      case 'KVM_S390_VM_CRYPTO_DISABLE_APIE': {
        const kvm = event.vm === undefined ? undefined : this.kvms[event.vm];
        if (kvm && this.vfio.guestStatus) kvm_s390_vm_set_crypto(kvm, event.type === 'KVM_S390_VM_CRYPTO_ENABLE_APIE');
        return;
      }
      case 'PQAP_ZAPQ': {
        const q = event.q === undefined ? undefined : this.vfio.queues[event.q];
        const guest = this.vfio.mdev.kvm;
        if (q && queueAssigned(q) && this.vfio.mdev.open && guest?.destroy === 'alive') guestZapq(this, q.idx);
        return;
      }
      case 'AP_ADAPTER_INTERRUPTION':
        if (event.q !== undefined) apAdapterInterruption(this, event.q);
        return;
      case 'AP_RESET_COMPLETE':
        if (event.q !== undefined) apResetComplete(this, event.q);
        return;
      case 'vfio_ap_mdev_remove_queue':
        // get_update_locks_for_queue waits for mdevs_lock, which VFIO_DEVICE_RESET holds in flush_work
        if (event.q !== undefined && !this.vfio.mdev.resetting) vfio_ap_mdev_remove_queue(this, event.q, event.host === 'gone' ? 'gone' : 'present');
        return;
      default:
        throw new Error(`CoreSut: no event ${event.type}; see machines/system/events.ts for the catalogue`);
    }
  }

  private applyVcpu(event: CoreEvent, kvm: Kvm, vcpu: KvmVcpu): void {
    const type = event.type;
    const outside = !vcpu.stopped && !vcpu.prog_in_sie && vcpu.thread === 'run_loop';
    switch (type) {
      case 'kvm_s390_vcpu_start':
        if (vcpu.stopped && kvm.fdOpen) kvm_s390_vcpu_start(vcpu);
        return;
      case 'kvm_s390_vcpu_stop':
        if (outside) kvm_s390_vcpu_stop(vcpu);
        else if (!vcpu.stopped && (vcpu.thread === 'halted' || vcpu.thread === 'woken')) stopHaltedVcpu(this, vcpu);
        return;
      case 'vcpu_pre_run':
        if (outside) vcpu_pre_run(this, vcpu);
        return;
      case 'vcpu_post_run':
        if (vcpu.prog_in_sie) vcpu_post_run(this, vcpu);
        return;
      case 'ICPT_PV_INSTR': // a PV cpu's secure instruction or prefix intercept: __vcpu_run fences, vcpu_post_run handles it
        if (vcpu.prog_in_sie && vcpu.pv) vcpu_post_run(this, vcpu, true);
        return;
      case 'kvm_s390_handle_wait':
        if (vcpu.prog_in_sie) waitIntercept(this, vcpu);
        return;
      case 'STOSM_IO':
        if (vcpu.prog_in_sie && !guestPswIo(vcpu)) stosmIo(this, vcpu);
        return;
      case 'STNSM_IO':
        if (vcpu.prog_in_sie && guestPswIo(vcpu)) stnsmIo(vcpu);
        return;
      case 'LCTL_CR6':
        if (vcpu.prog_in_sie) lctlCr6(this, vcpu, event.cr6 ?? 0);
        return;
      case 'KVM_S390_INITIAL_RESET':
        // the ioctl waits for vcpu->mutex, which KVM_RUN holds: QEMU resets a vcpu out of KVM_RUN (stopped)
        if (vcpu.stopped) kvm_arch_vcpu_ioctl_initial_reset(vcpu);
        return;
      case 'kvm_s390_vcpu_wakeup':
        kvm_s390_vcpu_wakeup(this, vcpu);
        return;
      case 'kvm_vcpu_check_block':
        if (vcpu.thread === 'woken') kvm_vcpu_check_block(this, vcpu);
        return;
      case 'TPI': {
        const outcome = (event.outcome ?? 'stored') as TpiOutcome;
        if (!TPI_OUTCOMES.has(outcome)) throw new Error(`TPI: unknown outcome ${event.outcome}; use one of ${[...TPI_OUTCOMES].join(', ')}`);
        if (vcpu.prog_in_sie) {
          // the intercept: SIE exits, handle_io_inst runs handle_tpi, the KVM_RUN loop enters SIE again
          vcpu_post_run(this, vcpu);
          handle_tpi(this, vcpu, outcome);
          vcpu_pre_run(this, vcpu);
          this.presentToSie(kvm); // a reinjected interruption
        }
        return;
      }
    }
  }
}

/** 'LIST' for a real GISA address in a list ending with NULL_GISA_ADDR, 'NONE' for NONE_GISA_ADDR or a list ending with it. */
function gibOrigin(sut: CoreSut): 'NULL' | 'NONE' | 'LIST' {
  let origin = sut.gib.alert_list_origin;
  for (let hops = 0; origin & GISA_ADDR_MASK && hops <= sut.kvms.length; hops++) {
    const vm = sut.vmOfGisa(origin);
    const kvm = sut.kvms[vm];
    if (!kvm) break;
    origin = nextAlert(kvm.gisaPage.word0);
  }
  if (sut.gib.alert_list_origin === NULL_GISA_ADDR) return 'NULL';
  return origin === NONE_GISA_ADDR ? 'NONE' : 'LIST';
}

/** The SUT's projection onto the core spec's observation (drop `gib` for specs without a GIB statechart). */
export function observeCore(sut: CoreSut, scope: { gib: boolean }): Observation {
  const vms = sut.kvms.map((kvm) => {
    const gi = kvm.arch.gisa_int;
    const word = kvm.gisaPage.word0;
    return {
      users: kvm.users_count,
      kvmFreed: kvm.destroy === 'freed',
      fd: kvm.fdOpen,
      gisa: {
        origin: gi.origin !== null,
        freed: sut.life.isFreed(kvm.gisaPage.addr),
        ipm: ipmOf(word),
        iam: iamOf(word),
        mask: gi.alert.mask,
        ref: gi.alert.ref_count.map(cap),
        timer: gi.timer,
      },
      vcpus: kvm.vcpus.map((v) => ({
        where: whereOf(v),
        kicked: (gi.kicked_mask & (1 << v.vcpu_idx)) !== 0,
        pswIo: guestPswIo(v),
        idle: (kvm.arch.idle_mask & (1 << v.vcpu_idx)) !== 0,
        wait: v.wait,
        ...(sut.guestMasks ? { cr6: vcpuIscMask(v) } : {}),
        // a PV cpu: the injection's ISC (int_word_to_isc), KVM's copy without PSW_INT_MASK, the ultravisor's continuation
        ...(v.pv ? { iictl: v.pv.iictl === IICTL_CODE_NONE ? -1 : (v.pv.io_int_word & 0x38000000) >>> 27, fenced: !v.pv.extMchk && !v.pswIo, cont: v.pv.cont } : {}),
      })),
      faults: [...(sut.life.vmFaults[kvm.idx] ?? [])].sort(),
    };
  });
  const { mdev } = sut.vfio;
  const v4 = sut.design.aqic === 'aqic-v4';
  const obs: Observation = {
    vms,
    mdev: {
      kvm: mdev.kvm ? mdev.kvm.idx : -1,
      kvmRef: mdev.kvmRef,
      hookVm: sut.kvms.findIndex((k) => k.arch.pqap_hook),
      ...(sut.apAnswers ? { unsetting: mdev.unsetting } : {}),
      ...(sut.vfio.deviceReset ? { resetting: mdev.resetting, resetRc: mdev.resetRc } : {}),
    },
    queues: sut.vfio.queues.map((q) => {
      const savedIsc = v4 ? (q.v4.nib ? q.v4.isc : VFIO_AP_ISC_INVALID) : q.saved_isc;
      const fw = sut.vfio.ap[q.idx];
      return {
        savedIsc: savedIsc === VFIO_AP_ISC_INVALID ? -1 : savedIsc,
        savedNib: v4 ? q.v4.g_pfn !== 0 : q.saved_iova !== 0,
        pins: cap(sut.life.pinsOf(q.idx)),
        irq: fw?.irq ?? false,
        apid: q.apidAssigned,
        apqi: q.apqiAssigned,
        hw: fw?.irq ? { isc: fw.gisc, gisa: sut.vmOfGisa(fw.gisaAddr) } : null,
        faults: [...(sut.life.queueFaults[q.idx] ?? [])].sort(),
        ...(sut.apAnswers ? { work: resetWorkOf(q), freed: q.removed } : {}),
        ...(sut.vfio.deviceReset ? { resetStatus: responseClass(q.reset_status) } : {}),
        ...(sut.vfio.guest && !sut.vfio.guestStatus ? { hwReset: fw?.resetting ?? false, told: sut.vfio.guest[q.idx]!.told === VFIO_AP_ISC_INVALID ? -1 : sut.vfio.guest[q.idx]!.told } : {}),
        ...(sut.vfio.guestStatus ? { told: sut.vfio.guest![q.idx]!.told === VFIO_AP_ISC_INVALID ? -1 : sut.vfio.guest![q.idx]!.told, gr1: sut.vfio.guest![q.idx]!.gr1 ?? 'none' } : {}),
      };
    }),
  };
  if (!scope.gib) return obs;
  const listed = sut.kvms.filter((k) => in_alert_list(k.gisaPage)).map((k) => k.idx);
  return { gib: { origin: gibOrigin(sut), listed, galPending: sut.gib.galPending }, ...obs };
}

export { sie_page2_addr };
