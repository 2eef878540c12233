/**
 * struct kvm_s390_gisa_interrupt: one VM's GISA (guest interruption state area).
 *
 * Models: the GISA word as millicode and the kernel see it (IPM, IAM, alert-list membership
 * through the GIB's list), the IAM restore value `alert.mask` and the per-ISC `ref_count`,
 * the `gisa_vcpu_kicker` hrtimer (armed or not), the GISA's life: kvm_s390_gisa_init (the
 * initial state), kvm_s390_gisa_destroy, and the free of the sie_page2 page holding it;
 * kvm_s390_gisc_register/unregister with their return codes (-ENODEV, -ERANGE, -EINVAL),
 * gisa_get_ipm_or_restore_iam, kvm_s390_gisa_clear, and the millicode step that makes an
 * adapter interruption pending: it sets the IPM bit and, when the ISC's IAM bit is set and no
 * vcpu in SIE can take the interruption, clears the IAM and enqueues the GISA on the GIB
 * alert list (the edge-triggered alert described in the GIB series cover letters).
 * The IAM restore strategies of GIB series v2..v5 are factory options (machines/design.ts).
 * zPCI adapter-event forwarding (issue 12): aen_host_forward, one summary bit per event, sets the
 * IPM bit without an alert and restarts the kicker (the guest's AIS mode simm/nimm: always ALL).
 *
 * Ignores: the GISA format (g0/g1), AISM/AIS of format-1 GISAs (see flic-ais), the host ISC
 * value gib->nisc (register returns it; modelled as 0..7), airq_count, PV (kvm_s390_gisa_enable
 * and kvm_s390_gisa_disable), the 50 us expiry (the timer fires as an explicit event),
 * cmpxchg retries (each GISA-word update is one atomic step, as the cmpxchg loops make it).
 *
 * Kernel: arch/s390/kvm/interrupt.c, arch/s390/include/asm/kvm_host.h.
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2, contains f87ef5723536).
 */
import { and, stateIn } from 'xstate';
import { FAULT, ISC_INVALID, MAX_ISC, iscBit, type SystemContext, type VcpuContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import type { Path } from '../kthread.ts';
import { by, kernel, settle, vmOf, type Args, type Effects, type Ix } from '../lib.ts';
import { ledgered } from './kvm_s390_gisa_interrupt.invariants.ts';

export const EIO = -5;
export const EBUSY = -16;
export const ENODEV = -19;
export const EINVAL = -22;
export const ERANGE = -34;
/** gib->nisc: the host ISC of GAL interruptions (GAL_ISC in asm/isc.h). */
export const GAL_ISC = 5;

/** deliverable for one vcpu: the GISA IPM bits its PSW and CR6 let through (deliverable_irqs, I/O part). */
export function deliverableIpm(c: SystemContext, vm: number, v: Pick<VcpuContext, 'pswIo' | 'cr6'>): number {
  const g = vmOf(c, vm).gisa;
  return v.pswIo && g.origin ? g.ipm & v.cr6 : 0;
}

/** The highest-priority ISC `deliverable` holds (ISC 0 first), -1 for none. */
export function firstIsc(deliverable: number): number {
  for (let isc = 0; isc <= MAX_ISC; isc++) if (deliverable & iscBit(isc)) return isc;
  return -1;
}

/** The ISCs with a classic (non-adapter) I/O interruption queued on fi->lists[isc] (IPM bit order), 0 in configurations without them (issue 12, tpi-window). */
export function classicMask(c: SystemContext, vm: number): number {
  const fio = vmOf(c, vm).fio;
  if (!fio) return 0;
  let m = 0;
  for (let isc = 0; isc <= MAX_ISC; isc++) if (fio[isc]! > 0) m |= iscBit(isc);
  return m;
}

/** GIB v2..v4 keep the mask in kvm->arch.iam only; the IAM picks it up at the next restore. */
const setsIam = (k: Kernel): boolean => k.design.gib === 'upstream' || k.design.gib === 'gib-v5';

/**
 * The kernel functions of the GISA (arch/s390/kvm/interrupt.c), entries of the machine's kernel
 * table (machines/kernel.ts): each calls the others through `this`, so a variant that replaces
 * one changes every caller.
 */
export const gisaKernel = {
  /** gisa_in_alert_list(): the GISA's next_alert is not itself. */
  gisa_in_alert_list(this: Kernel, c: SystemContext, vm: number): boolean {
    return (c.gib.list & (1 << vm)) !== 0;
  },

  /** gisa_set_iam(): refuses with -EBUSY while the GISA is in the alert list. */
  gisa_set_iam(this: Kernel, c: SystemContext, vm: number, iam: number): number {
    if (this.gisa_in_alert_list(c, vm)) return EBUSY;
    vmOf(c, vm).gisa.iam = iam;
    return 0;
  },

  /** gisa_get_ipm_or_restore_iam(): pending alert-mask ISCs, or restore IAM := alert.mask when none (one cmpxchg). */
  gisa_get_ipm_or_restore_iam(this: Kernel, c: SystemContext, vm: number): number {
    const g = vmOf(c, vm).gisa;
    const pending = g.ipm & g.mask;
    if (pending) return pending;
    g.iam = g.mask;
    return 0;
  },

  /** gisa_tac_ipm_gisc(): test and clear the IPM bit of `gisc`. */
  gisa_tac_ipm_gisc(this: Kernel, c: SystemContext, vm: number, gisc: number): boolean {
    const g = vmOf(c, vm).gisa;
    const was = (g.ipm & iscBit(gisc)) !== 0;
    g.ipm &= ~iscBit(gisc);
    return was;
  },

  /** kvm_s390_gisc_register(): ref_count[gisc]++, and on 0 -> 1 add the ISC to alert.mask and the IAM. */
  kvm_s390_gisc_register(this: Kernel, c: SystemContext, vm: number, gisc: number): number {
    const k = vmOf(c, vm);
    if (k.freed) k.faults |= FAULT.GISC_CALL_AFTER_FREE;
    if (!k.gisa.origin) return ENODEV;
    if (gisc > MAX_ISC) return ERANGE;
    k.gisa.ref[gisc] = (k.gisa.ref[gisc] ?? 0) + 1;
    if (k.gisa.ref[gisc] === 1) {
      k.gisa.mask |= iscBit(gisc);
      if (setsIam(this)) this.gisa_set_iam(c, vm, k.gisa.mask); // return value ignored, as in the kernel
    }
    return GAL_ISC;
  },

  /** kvm_s390_gisc_unregister(): -EINVAL when ref_count[gisc] is already 0; on 1 -> 0 drop the ISC from alert.mask and the IAM. */
  kvm_s390_gisc_unregister(this: Kernel, c: SystemContext, vm: number, gisc: number): number {
    const k = vmOf(c, vm);
    if (k.freed) k.faults |= FAULT.GISC_CALL_AFTER_FREE;
    if (!k.gisa.origin) return ENODEV;
    if (gisc > MAX_ISC) return ERANGE;
    if (!k.gisa.ref[gisc]) {
      k.faults |= FAULT.GISC_UNREGISTER_UNBALANCED;
      return EINVAL;
    }
    k.gisa.ref[gisc]! -= 1;
    if (k.gisa.ref[gisc] === 0) {
      k.gisa.mask &= ~iscBit(gisc);
      if (setsIam(this)) this.gisa_set_iam(c, vm, k.gisa.mask);
    }
    return 0;
  },

  /**
   * Millicode, not the kernel: an adapter interruption on guest ISC `isc`. A vcpu in SIE enabled
   * for it takes it at once; otherwise the IPM bit is set and, if the ISC's IAM bit is set, the
   * IAM is cleared and the GISA is enqueued on the GIB alert list (raising `gisa_alert`).
   */
  gisa_adapter_interruption(this: Kernel, c: SystemContext, vm: number, isc: number, fx: Effects): void {
    const k = vmOf(c, vm);
    if (k.gisa.freed) {
      k.faults |= FAULT.GISA_WRITE_AFTER_FREE;
      return;
    }
    const bit = iscBit(isc);
    const taker = k.vcpus.findIndex((v) => v.inSie && v.pswIo && (v.cr6 & bit) !== 0);
    if (taker >= 0) {
      k.vcpus[taker]!.pswIo = false;
      return;
    }
    k.gisa.ipm |= bit;
    if (k.gisa.iam & bit) {
      k.gisa.iam = 0;
      if (!this.gisa_in_alert_list(c, vm)) {
        c.gib.list |= 1 << vm; // next_alert = origin; origin = this GISA
        fx.raise({ type: 'gisa_alert', vm }); // the GIB: a GAL interruption when the origin was NULL
      }
    }
  },

  /**
   * kvm_s390_vcpu_wakeup(): valid_wakeup, kvm_vcpu_wake_up (a task in TASK_INTERRUPTIBLE is made
   * runnable: its schedule() returns); the halted vcpu's region takes the raised event.
   */
  kvm_s390_vcpu_wakeup(this: Kernel, c: SystemContext, vm: number, vcpu: number, fx: Effects): void {
    const v = vmOf(c, vm).vcpus[vcpu]!;
    if (v.interruptible) v.interruptible = false;
    fx.raise({ type: 'kvm_s390_vcpu_wakeup', vm, vcpu });
  },

  /** __airqs_kick_single_vcpu(): wake the first idle vcpu open for a pending ISC, unless it was kicked already. */
  __airqs_kick_single_vcpu(this: Kernel, c: SystemContext, vm: number, deliverable: number, fx: Effects): void {
    const k = vmOf(c, vm);
    for (let idx = 0; idx < k.vcpus.length; idx++) {
      const v = k.vcpus[idx]!;
      if (!v.idle || !v.pswIo) continue;
      if (deliverable & v.cr6) {
        if (v.kicked) return;
        v.kicked = true;
        this.kvm_s390_vcpu_wakeup(c, vm, idx, fx);
        return;
      }
    }
  },

  /** gisa_vcpu_kicker(): restore the IAM when nothing is pending (and stop), else kick one vcpu and re-arm. */
  gisa_vcpu_kicker(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    const pending = this.gisa_get_ipm_or_restore_iam(c, vm);
    if (pending) {
      this.__airqs_kick_single_vcpu(c, vm, pending, fx);
      return;
    }
    vmOf(c, vm).gisa.timer = false; // HRTIMER_NORESTART
  },

  /** __find_vcpu_for_floating_irq() of GIB v2..v4: the first idle vcpu, else the first not stopped (CR6 not looked at). */
  __find_vcpu_for_floating_irq(this: Kernel, c: SystemContext, vm: number): number {
    const vcpus = vmOf(c, vm).vcpus;
    const idle = vcpus.findIndex((v) => v.idle);
    return idle >= 0 ? idle : vcpus.findIndex((v) => !v.stopped);
  },

  /** get_ipm(gisa, irq_flags) of GIB v5: with IRQ_FLAG_IAM, atomically restore IAM := alert.mask when not listed and the whole IPM is clean. */
  get_ipm(this: Kernel, c: SystemContext, vm: number, irqFlagIam: boolean): number {
    const g = vmOf(c, vm).gisa;
    if (!irqFlagIam || this.gisa_in_alert_list(c, vm)) return g.ipm;
    if (g.ipm) return g.ipm;
    g.iam = g.mask;
    return 0;
  },

  /** __floating_airqs_kick() of GIB v5: kick a set of idle vcpus covering the IPM, or restore the IAM. */
  __floating_airqs_kick(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    const k = vmOf(c, vm);
    const ipm = this.get_ipm(c, vm, true);
    if (!ipm) return;
    let kickMask = 0;
    let kicked = 0;
    for (let idx = 0; idx < k.vcpus.length && ~kickMask & ipm; idx++) {
      const v = k.vcpus[idx]!;
      if (!v.idle || !v.pswIo || !(v.cr6 & ipm & ~kickMask)) continue;
      kickMask |= v.cr6;
      kicked++;
      this.kvm_s390_vcpu_wakeup(c, vm, idx, fx);
    }
    if (kicked > 0) return;
    if (!k.vcpus.some((v) => v.idle)) return;
    this.gisa_set_iam(c, vm, k.gisa.mask);
  },

  /** kvm_s390_gisa_destroy(); v6.6 processes the alert list itself while its GISA is listed. */
  kvm_s390_gisa_destroy(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    const k = vmOf(c, vm);
    if (!k.gisa.origin) return;
    if (k.gisa.mask) k.faults |= FAULT.DESTROY_WITH_ALERT_MASK; // WARN (v6.6) / KVM_EVENT (v5.2)
    if (this.design.gisaDestroy === 'v6.6') {
      k.gisa.mask = 0;
      if (this.gisa_set_iam(c, vm, 0)) this.process_gib_alert_list(c, fx); // -EBUSY: listed
    }
    k.gisa.timer = false; // hrtimer_cancel(&gi->timer)
    k.gisa.origin = false;
  },

  /**
   * kvm_s390_gisa_init(): nothing without AIV; else gi->origin set, alert.mask = 0, the timer set
   * up (not armed), the GISA memset (IPM, IAM 0; next_alert = itself). alert.ref_count[]
   * is not touched: re-initialised by kvm_s390_gisa_enable it keeps the counts of before.
   */
  kvm_s390_gisa_init(this: Kernel, c: SystemContext, vm: number): void {
    if (!(c.params.aiv ?? true)) return;
    const k = vmOf(c, vm);
    // memset: next_alert = the GISA itself; if the GIB's list still reaches it, the list now ends in a self-loop
    if (this.gisa_in_alert_list(c, vm)) k.faults |= FAULT.GISA_INIT_WHILE_LISTED;
    Object.assign(k.gisa, { origin: true, mask: 0, timer: false, ipm: 0, iam: 0 });
  },

  /** kvm_s390_gisa_enable(): a GISA disabled for PV is initialised again (gd and ECA_AIV of the vcpus are not modelled). */
  kvm_s390_gisa_enable(this: Kernel, c: SystemContext, vm: number): void {
    if (vmOf(c, vm).gisa.origin) return;
    this.kvm_s390_gisa_init(c, vm);
  },

  /** kvm_s390_gisa_disable(): ECA_AIV and gd cleared per vcpu (not modelled), then kvm_s390_gisa_destroy. */
  kvm_s390_gisa_disable(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    if (!vmOf(c, vm).gisa.origin) return;
    this.kvm_s390_gisa_destroy(c, vm, fx);
  },

  /** kvm-s390.c kvm_s390_cpus_to_pv(): without UV AIV the GISA is disabled; a failed vcpu create undoes it all (kvm_s390_cpus_from_pv). Returns 0 or -EIO. */
  kvm_s390_cpus_to_pv(this: Kernel, c: SystemContext, vm: number, createFails: boolean, fx: Effects): number {
    if (!(c.params.uvAiv ?? true)) this.kvm_s390_gisa_disable(c, vm, fx);
    if (!createFails) return 0;
    this.kvm_s390_cpus_from_pv(c, vm);
    return EIO;
  },

  /** kvm-s390.c kvm_s390_cpus_from_pv(): vcpus leave PV; with use_gisa (read now) the GISA is enabled again. */
  kvm_s390_cpus_from_pv(this: Kernel, c: SystemContext, vm: number): void {
    if (c.params.useGisaAtPvExit ?? c.params.useGisa ?? true) this.kvm_s390_gisa_enable(c, vm);
  },

  /**
   * kvm-s390.c kvm_s390_handle_pv(), as far as the GISA sees it: KVM_PV_ENABLE (nothing on a protected VM) runs
   * kvm_s390_cpus_to_pv and is protected on success; KVM_PV_DISABLE (and ASYNC_CLEANUP_PREPARE, the mm release)
   * runs kvm_s390_cpus_from_pv. Returns 0, or kvm_s390_cpus_to_pv's error.
   */
  kvm_s390_handle_pv(this: Kernel, c: SystemContext, vm: number, enable: boolean, createFails: boolean, fx: Effects): number {
    const k = vmOf(c, vm);
    if (enable) {
      if (k.pv) return EINVAL; // r = -EINVAL; if (kvm_s390_pv_is_protected(kvm)) break;
      const rc = this.kvm_s390_cpus_to_pv(c, vm, createFails, fx);
      if (!rc) k.pv = true;
      return rc;
    }
    if (!k.pv) return EINVAL;
    this.kvm_s390_cpus_from_pv(c, vm);
    k.pv = false;
    return 0;
  },

  /** gisa_set_ipm_gisc(): set_bit_inv of the ISC's IPM bit; the IAM is not looked at, so nothing alerts. */
  gisa_set_ipm_gisc(this: Kernel, c: SystemContext, vm: number, gisc: number): void {
    vmOf(c, vm).gisa.ipm |= iscBit(gisc);
  },

  /** __inject_io() of an adapter interruption: with a GISA its IPM bit is set (no IAM check, no alert); without, the inti goes on fi->lists[isc] (flic-ais, not modelled here). */
  __inject_io(this: Kernel, c: SystemContext, vm: number, isc: number): number {
    const k = vmOf(c, vm);
    if (!k.gisa.origin) return 0;
    this.gisa_set_ipm_gisc(c, vm, isc);
    // SIE presents the pending IPM bit to a vcpu in SIE enabled for it (why __floating_irq_kick sets no CPUSTAT_IO_INT): taken at once, as in the millicode step
    const taker = k.vcpus.findIndex((v) => v.inSie && v.pswIo && (v.cr6 & iscBit(isc)) !== 0);
    if (taker >= 0) {
      k.gisa.ipm &= ~iscBit(isc);
      k.vcpus[taker]!.pswIo = false;
    }
    return 0;
  },

  /**
   * __floating_irq_kick(): the first vcpu in idle_mask (vcpu_idx order), whatever its PSW and CR6
   * allow; with none idle, round robin (next_rr_cpu) over the vcpus not stopped, nobody after
   * online_vcpus tries. An adapter interruption with a GISA sets no CPUSTAT_IO_INT; then
   * kvm_s390_vcpu_wakeup. The round-robin target is not idle (not in kvm_vcpu_block): its
   * wake-up finds the task running and changes no modelled field, so next_rr_cpu is left out.
   */
  __floating_irq_kick(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    const idx = vmOf(c, vm).vcpus.findIndex((v) => v.idle);
    if (idx >= 0) this.kvm_s390_vcpu_wakeup(c, vm, idx, fx);
  },

  /**
   * aen_host_forward() (interrupt.c, zPCI adapter-event forwarding, issue 12): the GAIT entry of a summary bit names the
   * VM and the guest ISC; unless the format-1 GISA's simm and nimm both suppress the ISC (the guest's AIS mode, not
   * modelled: always ALL here), gisa_set_ipm_gisc (no IAM check, no alert-list enqueue) and hrtimer_cancel +
   * hrtimer_start(&gi->timer, 0): the kicker is armed. A vcpu in SIE enabled for the ISC takes the pending bit at once
   * (SIE presents the IPM, as after __inject_io). gi->origin is dereferenced without a NULL check (audit).
   */
  aen_host_forward(this: Kernel, c: SystemContext, vm: number, isc: number): void {
    const k = vmOf(c, vm);
    this.gisa_set_ipm_gisc(c, vm, isc);
    const taker = k.vcpus.findIndex((v) => v.inSie && v.pswIo && (v.cr6 & iscBit(isc)) !== 0);
    if (taker >= 0) {
      k.gisa.ipm &= ~iscBit(isc);
      k.vcpus[taker]!.pswIo = false;
    }
    k.gisa.timer = true; // hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL)
  },

  /** kvm_s390_inject_vm() of an I/O adapter interruption (KVM_S390_INTERRUPT, FLIC ENQUEUE / AIRQ_INJECT, an irqfd adapter route): __inject_vm -> __inject_io, then __floating_irq_kick. */
  kvm_s390_inject_vm(this: Kernel, c: SystemContext, vm: number, isc: number, fx: Effects): number {
    const rc = this.__inject_io(c, vm, isc);
    if (rc) return rc;
    this.__floating_irq_kick(c, vm, fx);
    return 0;
  },

  /**
   * kvm_s390_get_io_int(kvm, isc_mask, 0) as TPI calls it, GISA part: get_top_gisa_isc test-and-clears
   * the highest-priority IPM bit in isc_mask; `nomem` (the kzalloc of the inti fails) sets it again
   * with gisa_set_ipm_gisc (no alert). The classic lists (fi->lists[]) are the flic-ais machine's.
   * Returns the ISC taken, -1 for none.
   */
  kvm_s390_get_io_int(this: Kernel, c: SystemContext, vm: number, iscMask: number, nomem: boolean): number {
    const g = vmOf(c, vm).gisa;
    if (!g.origin) return -1;
    const isc = firstIsc(g.ipm & iscMask);
    if (isc < 0 || !this.gisa_tac_ipm_gisc(c, vm, isc)) return -1;
    if (!nomem) return isc;
    this.gisa_set_ipm_gisc(c, vm, isc);
    return -1;
  },

  /**
   * get_all_floating_irqs() (KVM_DEV_FLIC_GET_ALL_IRQS), GISA part: every IPM bit is test-and-cleared
   * into the kernel buffer before fi->lock is taken. Copied out (ok), or lost with the buffer on
   * -ENOMEM / -EFAULT: the IPM ends the same either way; what userspace got is the flic-ais machine's.
   */
  get_all_floating_irqs(this: Kernel, c: SystemContext, vm: number): number {
    const g = vmOf(c, vm).gisa;
    if (!g.origin) return 0;
    let n = 0;
    for (let isc = 0; isc <= MAX_ISC; isc++) if (this.gisa_tac_ipm_gisc(c, vm, isc)) n++;
    return n;
  },

  /** kvm_s390_gisa_clear(): clears the IPM only. */
  kvm_s390_gisa_clear(this: Kernel, c: SystemContext, vm: number): void {
    const g = vmOf(c, vm).gisa;
    if (g.origin) g.ipm = 0;
  },

  /** kvm_arch_destroy_vm: free_page(kvm->arch.sie_page2), the page that holds the GISA. */
  free_page_sie_page2(this: Kernel, c: SystemContext, vm: number): void {
    vmOf(c, vm).gisa.freed = true;
  },
};

const mine = ({ event }: Args, ix: Ix) => event.vm === ix.vm;

/** The environment's budget of adapter interruptions (`params.airqs`, -1 unbounded): one spent. An exploration bound, not kernel code (src/mutate/scope.ts leaves `*_bound` alone). */
function airqs_bound(c: SystemContext): void {
  if (c.airqs > 0) c.airqs -= 1;
}

/** Guards and actions of the GISA region, named after the kernel functions; `k` is the machine's kernel table. */
export function gisaImplementations(k: Kernel) {
  return {
    guards: {
      // the event is about this VM's GISA
      gisa_mine: mine,
      // gi->origin is NULL (kvm_s390_gisa_destroy cleared it)
      gisa_origin_null: ({ context }: Args, ix: Ix) => !vmOf(context, ix.vm!).gisa.origin,
      // gi->origin is set (kvm_s390_gisa_init ran again)
      gisa_origin_set: ({ context }: Args, ix: Ix) => vmOf(context, ix.vm!).gisa.origin,
      // hrtimer_active(&gi->timer)
      hrtimer_active: ({ context }: Args, ix: Ix) => vmOf(context, ix.vm!).gisa.timer,
      // v5.2 kvm_s390_gisa_destroy busy-waits while gisa_in_alert_list()
      gisa_in_alert_list: ({ context }: Args, ix: Ix) => k.gisa_in_alert_list(context, ix.vm!),
      // bounds of the per-object machine: the environment driver registers an ISC at most maxRefs times
      bounds_gisc_register: ({ context, event }: Args, ix: Ix) => (vmOf(context, ix.vm!).gisa.ref[event.isc!] ?? 0) < (context.params.maxRefs ?? Infinity),
      // bounds: the environment still has an adapter interruption to send
      bounds_airq: ({ context }: Args) => context.airqs !== 0,
      // kvm_s390_pv_is_protected(kvm) (configurations with PV switches)
      kvm_s390_pv_is_protected: ({ context }: Args, ix: Ix) => !!vmOf(context, ix.vm!).pv,
      // kvm_s390_handle_pv(KVM_PV_ENABLE) does nothing on a protected VM
      kvm_s390_pv_not_protected: ({ context }: Args, ix: Ix) => !vmOf(context, ix.vm!).pv,
      // environment (params.pvResetFirst): QEMU's s390_machine_reset resets the AP (subsystem_reset -> VFIO_DEVICE_RESET) with the
      // CPUs paused before s390_machine_protect/unprotect, so no queue holds AQIC resources for this VM at the switch
      subsystem_reset_first: ({ context }: Args, ix: Ix) => !context.params.pvResetFirst || context.queues.every((q) => (q.hwGisa !== ix.vm && context.mdev.kvm !== ix.vm) || (!q.irq && !q.nib && q.isc === ISC_INVALID)),
      // the destroy may proceed: v6.6 unlinks itself, v5.2 spins until the host unlinked it
      gisa_destroy_may_proceed: ({ context }: Args, ix: Ix) => k.design.gisaDestroy === 'v6.6' || !k.gisa_in_alert_list(context, ix.vm!),
    },
    actions: {
      // interrupt.c kvm_s390_gisc_register (called by a driver: vfio_ap)
      kvm_s390_gisc_register: ledgered('register', k, (c, e, ix) => k.kvm_s390_gisc_register(c, ix.vm!, e.isc!)),
      // interrupt.c kvm_s390_gisc_unregister
      kvm_s390_gisc_unregister: ledgered('unregister', k, (c, e, ix) => k.kvm_s390_gisc_unregister(c, ix.vm!, e.isc!)),
      // millicode: an adapter interruption is made pending in this GISA
      gisa_adapter_interruption: ledgered('airq', k, (c, e, ix, fx) => {
        airqs_bound(c);
        k.gisa_adapter_interruption(c, ix.vm!, e.isc!, fx);
      }),
      // interrupt.c gisa_vcpu_kicker (hrtimer callback)
      gisa_vcpu_kicker: ledgered('kicker', k, (c, _e, ix, fx) => k.gisa_vcpu_kicker(c, ix.vm!, fx)),
      // interrupt.c gisa_get_ipm_or_restore_iam, as kvm_s390_handle_wait calls it
      gisa_get_ipm_or_restore_iam: ledgered('restore', k, (c, _e, ix) => k.gisa_get_ipm_or_restore_iam(c, ix.vm!)),
      // interrupt.c get_all_floating_irqs (flic_ioctl KVM_DEV_FLIC_GET_ALL_IRQS)
      KVM_DEV_FLIC_GET_ALL_IRQS: ledgered('getall', k, (c, _e, ix) => k.get_all_floating_irqs(c, ix.vm!)),
      // interrupt.c kvm_s390_gisa_clear
      kvm_s390_gisa_clear: ledgered('clear', k, (c, _e, ix) => k.kvm_s390_gisa_clear(c, ix.vm!)),
      // interrupt.c gisa_tac_ipm_gisc, as __deliver_io takes one ISC for a vcpu
      gisa_tac_ipm_gisc: ledgered('tac', k, (c, e, ix) => void k.gisa_tac_ipm_gisc(c, ix.vm!, e.isc!)),
      // kvm-s390.c kvm_arch_vcpu_runnable / vcpu_pre_run: clear_bit(vcpu_idx, gi->kicked_mask)
      kicked_mask_clear: ledgered('frame', k, (c, e, ix) => void (vmOf(c, ix.vm!).vcpus[e.vcpu!]!.kicked = false)),
      // interrupt.c kvm_s390_inject_vm of an adapter interruption (userspace or an irqfd route); counted against the airqs bound
      kvm_s390_inject_vm: ledgered('inject', k, (c, e, ix, fx) => {
        airqs_bound(c);
        return k.kvm_s390_inject_vm(c, ix.vm!, e.isc!, fx);
      }),
      // interrupt.c gib_alert_irq_handler (forward, aism 0) -> aen_process_gait -> aen_host_forward for one GAIT summary bit; counted against the airqs bound
      aen_process_gait: ledgered('aen', k, (c, e, ix) => {
        airqs_bound(c);
        k.aen_host_forward(c, ix.vm!, e.isc!);
      }),
      // kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE): outcome 'create-fails' is a vcpu's kvm_s390_pv_create_cpu failing
      KVM_PV_ENABLE: ledgered('pv-enable', k, (c, e, ix, fx) => k.kvm_s390_handle_pv(c, ix.vm!, true, e.outcome === 'create-fails', fx)),
      // kvm-s390.c kvm_s390_handle_pv(KVM_PV_DISABLE)
      KVM_PV_DISABLE: ledgered('pv-disable', k, (c, _e, ix, fx) => k.kvm_s390_handle_pv(c, ix.vm!, false, false, fx)),
      // interrupt.c kvm_s390_gisa_destroy
      kvm_s390_gisa_destroy: ledgered('frame', k, (c, _e, ix, fx) => k.kvm_s390_gisa_destroy(c, ix.vm!, fx)),
      // kvm-s390.c kvm_arch_destroy_vm: free_page((unsigned long)kvm->arch.sie_page2)
      free_page_sie_page2: ledgered('frame', k, (c, _e, ix) => k.free_page_sie_page2(c, ix.vm!)),
      // anything touching the GISA page after it was freed: what KASAN reports
      kasan_gisa_use_after_free: kernel((c, _e, ix) => void (vmOf(c, ix.vm!).faults |= FAULT.GISA_WRITE_AFTER_FREE)),
    },
  };
}

const g = (name: string, ix: Ix) => and([{ type: 'gisa_mine', params: ix }, { type: name, params: ix }]);
const a = (name: string, ix: Ix) => ({ type: name, params: ix });

/** The settle event of VM vm's GISA region: it follows gi->origin (`gisa.origin`). */
export const gisaSettle = (vm: number) => settle(`vm${vm}.gisa`);
/** The settle event after a PV switch: the region follows gi->origin between alive and disabled. */
export const gisaPvSettle = (vm: number) => settle(`vm${vm}.gisa.pv`);

/**
 * The GISA region in a fine-grained configuration (machines/kthread.ts): every transition
 * declares what it reads and writes (partial-order reduction); the coarse events a thread
 * replaces (`omit`) have no transition. A thread's step that clears gi->origin (the
 * destroy's) raises the region's settle event, as the coarse destroy does.
 */
export interface GisaFine {
  omit: ReadonlySet<string>;
}

/** The footprint of a coarse GISA transition of VM vm in a fine-grained configuration: what its guard and action read and write. */
function gisaFootprint(vm: number, state: string, type: string): { reads: Path[]; writes: Path[]; raises?: string[]; enables?: Path[] } {
  const gi: Path = ['vms', vm, 'gisa'];
  if (type === gisaSettle(vm).params.type || type === gisaPvSettle(vm).params.type) return { reads: [[...gi, 'origin']], writes: [] };
  switch (type) {
    case 'GISA_ADAPTER_INTERRUPTION':
      if (state === 'freed') return { reads: [['airqs']], writes: [['vms', vm, 'faults']] };
      // millicode: a vcpu in SIE enabled for the ISC takes it (its PSW swap disables I/O)
      return {
        reads: [['airqs'], [...gi, 'freed'], [...gi, 'ipm'], [...gi, 'iam'], ['vms', vm, 'vcpus', '*', 'inSie'], ['vms', vm, 'vcpus', '*', 'pswIo'], ['vms', vm, 'vcpus', '*', 'cr6'], ['vms', vm, 'vcpus', 'length'], ['gib', 'list']],
        writes: [['airqs'], [...gi, 'ipm'], [...gi, 'iam'], ['gib', 'list'], ['vms', vm, 'vcpus', '*', 'pswIo'], ['vms', vm, 'faults']],
        raises: ['gisa_alert'],
        // its guard bounds_airq reads only the environment's budget: once spent, nothing enables it again
        enables: [['airqs']],
      };
    case 'gisa_tac_ipm_gisc':
      return { reads: [[...gi, 'ipm']], writes: [[...gi, 'ipm']] };
    case 'kvm_s390_gisa_clear':
      // guard kvm_vm_alive: QEMU still holds the VM fd
      return { reads: [['vms', vm, 'fd'], [...gi, 'origin'], [...gi, 'ipm']], writes: [[...gi, 'ipm']] };
    case 'kicked_mask_clear':
      return { reads: [['vms', vm, 'vcpus']], writes: [['vms', vm, 'vcpus']] };
    case 'free_page_sie_page2':
      return { reads: [], writes: [[...gi, 'freed']] };
    default:
      // the rest of the coarse calls: the VM and the GIB, read and written as a whole
      return { reads: [['vms', vm], ['gib'], ['params']], writes: [['vms', vm], ['gib']], raises: ['gisa_alert', 'kvm_s390_vcpu_wakeup', settle('gib').params.type, gisaSettle(vm).params.type, gisaPvSettle(vm).params.type] };
  }
}

/**
 * The GISA region of VM `vm`: alive (origin set) until kvm_s390_gisa_destroy, then
 * destroyed (origin NULL, page still allocated) until free_page_sie_page2 frees it.
 * `env` adds the events a driver and vcpus cause, for the per-object machine; `kvmStep`
 * names the state of the VM's kvm_destroy_vm in which the destroy runs (composed machine).
 * The destroy may process the GIB alert list, so it settles the GIB region (`settle.gib`).
 */
export function gisaRegion(vm: number, env: boolean, kvmStep?: string, fine?: GisaFine, origin = true) {
  const ix = { vm };
  const destroyGuard = kvmStep
    ? and([a('gisa_mine', ix), a('gisa_destroy_may_proceed', ix), stateIn('#' + kvmStep)])
    : g('gisa_destroy_may_proceed', ix);
  const driverCalls = env
    ? {
        kvm_s390_gisc_register: { guard: g('bounds_gisc_register', ix), actions: a('kvm_s390_gisc_register', ix), ...by('kernel') },
        kvm_s390_gisc_unregister: { guard: a('gisa_mine', ix), actions: a('kvm_s390_gisc_unregister', ix), ...by('kernel') },
      }
    : {};
  // what vcpus do to the GISA while gi->origin is set: restore the IAM in kvm_s390_handle_wait,
  // take one ISC (__deliver_io), clear their kicked_mask bit
  const restore = env
    ? {
        gisa_get_ipm_or_restore_iam: { guard: a('gisa_mine', ix), actions: a('gisa_get_ipm_or_restore_iam', ix), ...by('kernel') },
        gisa_tac_ipm_gisc: { guard: a('gisa_mine', ix), actions: a('gisa_tac_ipm_gisc', ix), ...by('kernel') },
        kicked_mask_clear: { guard: a('gisa_mine', ix), actions: a('kicked_mask_clear', ix), ...by('kernel') },
      }
    : {};
  // protected virtualization: QEMU's KVM_PV_ENABLE / KVM_PV_DISABLE on the VM fd (kvm_s390_handle_pv)
  const pv = {
    KVM_PV_ENABLE: { guard: and([a('gisa_mine', ix), a('kvm_vm_alive', ix), a('kvm_s390_pv_not_protected', ix), a('subsystem_reset_first', ix)]), actions: [a('KVM_PV_ENABLE', ix), settle('gib'), gisaPvSettle(vm)], ...by('userspace') },
    KVM_PV_DISABLE: { guard: and([a('gisa_mine', ix), a('kvm_vm_alive', ix), a('kvm_s390_pv_is_protected', ix), a('subsystem_reset_first', ix)]), actions: [a('KVM_PV_DISABLE', ix), gisaPvSettle(vm)], ...by('userspace') },
  };
  const region = {
    initial: origin ? 'alive' : 'disabled',
    states: {
      alive: {
        description: 'gi->origin points to the GISA in sie_page2 (kvm_s390_gisa_init)',
        on: {
          ...driverCalls,
          ...restore,
          GISA_ADAPTER_INTERRUPTION: { guard: g('bounds_airq', ix), actions: a('gisa_adapter_interruption', ix), ...by('millicode') },
          // software injection: the IPM bit set without the IAM check or an alert, then a kick (without a GISA: the float list, flic-ais)
          kvm_s390_inject_vm: { guard: and([a('gisa_mine', ix), a('kvm_vm_alive', ix), a('bounds_airq', ix)]), actions: a('kvm_s390_inject_vm', ix), ...by('userspace') },
          // zPCI adapter-event forwarding (issue 12): the host's forwarding interruption sets the IPM bit and restarts the kicker (no alert)
          aen_process_gait: { guard: g('bounds_airq', ix), actions: a('aen_process_gait', ix), ...by('hardware') },
          gisa_vcpu_kicker: { guard: g('hrtimer_active', ix), actions: a('gisa_vcpu_kicker', ix), ...by('timer') },
          // QEMU's interrupt reset: KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_clear_float_irqs, through the FLIC fd QEMU holds while it holds the VM
          kvm_s390_gisa_clear: { guard: g('kvm_vm_alive', ix), actions: a('kvm_s390_gisa_clear', ix), ...by('userspace') },
          // QEMU saving the FLIC state (migration): the IPM is test-and-cleared into the buffer, also when the ioctl then fails
          KVM_DEV_FLIC_GET_ALL_IRQS: { guard: g('kvm_vm_alive', ix), actions: a('KVM_DEV_FLIC_GET_ALL_IRQS', ix), ...by('userspace') },
          ...pv,
          // gi->origin = NULL: the region follows it
          [gisaSettle(vm).params.type]: { guard: a('gisa_origin_null', ix), target: 'destroyed' },
          [gisaPvSettle(vm).params.type]: { guard: a('gisa_origin_null', ix), target: 'disabled' },
          kvm_s390_gisa_destroy: {
            guard: destroyGuard,
            actions: [a('kvm_s390_gisa_destroy', ix), settle('gib'), gisaSettle(vm)],
            ...by('kernel'),
          },
        } as Record<string, unknown>,
      },
      disabled: {
        description: 'gi->origin == NULL while the VM lives: no GISA (no AIV, use_gisa = 0: kvm_arch_init_vm) or disabled for a protected guest (kvm_s390_gisa_disable); sie_page2 allocated',
        on: {
          ...driverCalls,
          ...pv,
          // an AP still enabled with this GISA's address writes the page (no configuration with vcpus has a disabled GISA yet: without gd SIE would present nothing)
          GISA_ADAPTER_INTERRUPTION: { guard: g('bounds_airq', ix), actions: a('gisa_adapter_interruption', ix), ...by('millicode') },
          [gisaPvSettle(vm).params.type]: { guard: a('gisa_origin_set', ix), target: 'alive' },
          // kvm_arch_destroy_vm: kvm_s390_gisa_destroy returns at once (origin NULL)
          kvm_s390_gisa_destroy: { guard: destroyGuard, target: 'destroyed', ...by('kernel') },
        } as Record<string, unknown>,
      },
      destroyed: {
        description: 'gi->origin == NULL; sie_page2 still allocated',
        on: {
          ...driverCalls,
          GISA_ADAPTER_INTERRUPTION: { guard: g('bounds_airq', ix), actions: a('gisa_adapter_interruption', ix), ...by('millicode') },
          free_page_sie_page2: { guard: a('gisa_mine', ix), target: 'freed', actions: a('free_page_sie_page2', ix), ...by('kernel') },
        } as Record<string, unknown>,
      },
      freed: {
        description: 'sie_page2 freed: any access is a use after free',
        on: {
          ...driverCalls,
          GISA_ADAPTER_INTERRUPTION: { guard: g('bounds_airq', ix), actions: a('kasan_gisa_use_after_free', ix), ...by('millicode') },
        } as Record<string, unknown>,
      },
    },
  };
  if (!fine) return region;
  // fine-grained: drop what the threads replace, declare footprints
  for (const [name, st] of Object.entries(region.states)) {
    for (const type of Object.keys(st.on)) {
      if (fine.omit.has(type)) {
        delete st.on[type];
        continue;
      }
      const t = st.on[type] as { meta?: Record<string, unknown> };
      st.on[type] = { ...t, meta: { ...t.meta, footprint: gisaFootprint(vm, name, type) } };
    }
  }
  return region;
}
