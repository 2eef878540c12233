// SUT: the vcpu wait/kick path of arch/s390/kvm (interrupt.c, kvm-s390.c) and virt/kvm/kvm_main.c,
// transcribed from v6.17-rc4 (Kingxukai/linux 9b44fff655e2 / 0291023e7330), plus the GIB
// series v2..v5 hunks in vcpu_pre_run, vcpu_post_run, kvm_s390_handle_wait and
// kvm_s390_vcpu_has_irq (research/gib-strategies.md), plus the millicode's SIE-side delivery.
// Transcribed: deliverable_irqs (I/O part), __deliver_io (GISA branch),
// kvm_s390_deliver_pending_interrupts (I/O dispatch), kvm_s390_vcpu_has_irq, kvm_arch_vcpu_runnable,
// __set_cpu_idle, __unset_cpu_idle, kvm_s390_handle_wait (enabled wait without timers),
// kvm_s390_vcpu_wakeup, kvm_vcpu_check_block, vcpu_pre_run, vcpu_post_run,
// kvm_s390_vcpu_start, kvm_s390_vcpu_stop, handle_tpi (priv.c); for a protected (PV) cpu (issue 12):
// deliverable_irqs' single-injection mask, __do_deliver_io (iictl, io_int_word), __vcpu_run's PSW_INT_MASK
// fence after ICPT_PV_INSTR/ICPT_PV_PREF, kvm_s390_vcpu_start's; the ultravisor (not C) presents the
// injection at SIE entry and writes the guest's PSW back into KVM's copy at the exit.
// Not transcribed: external, machine-check, restart and SIGP interruptions, the clock comparator
// and CPU timer (ckc_timer), halt polling, IBS, PV but the above, vSIE, guest debugging, kvm->srcu, requests.
// A vcpu thread is a small state: outside SIE in the KVM_RUN loop, in SIE, halted in
// kvm_vcpu_block, or woken and about to re-run kvm_vcpu_check_block.
import {
  gisa_get_ipm,
  gisa_get_ipm_or_restore_iam,
  gisa_store_iam,
  gisa_tac_ipm_gisc,
  get_ipm_v5,
  in_alert_list,
  kvm_s390_get_io_int,
  kvm_s390_reinject_io_int,
  MAX_ISC,
} from './gisa.ts';
import type { Host, Kvm } from './kvm.ts';

export type VcpuThread = 'run_loop' | 'halted' | 'woken';

/** The s390 parts of struct kvm_vcpu this SUT keeps. */
export interface KvmVcpu {
  readonly vcpu_idx: number;
  readonly kvm: Kvm;
  /** CPUSTAT_STOPPED */
  stopped: boolean;
  /** CPUSTAT_WAIT */
  wait: boolean;
  /** PROG_IN_SIE in sie_block->prog0c */
  prog_in_sie: boolean;
  /** PSW_MASK_IO in sie_block->gpsw.mask */
  pswIo: boolean;
  /** sie_block->gcr[6] */
  gcr6: number;
  /** where the vcpu thread is when not in SIE */
  thread: VcpuThread;
  /** a protected (PV) cpu (kvm_s390_pv_cpu_get_handle != 0); `pswIo` is then KVM's copy of the PSW */
  pv?: PvCpu;
}

export const IICTL_CODE_NONE = 0x00;
export const IICTL_CODE_IO = 0x03;

/** What a PV cpu adds: the SIE block's injection fields, and the ultravisor's side (not C: the oracle). */
export interface PvCpu {
  /** sie_block->iictl */
  iictl: number;
  /** sie_block->io_int_word of the injection */
  io_int_word: number;
  /** PSW_MASK_EXT | PSW_MASK_MCHECK in KVM's copy (sie_block->gpsw.mask); its I/O bit is `pswIo` */
  extMchk: boolean;
  /** the ultravisor's: the secure guest's own PSW I/O bit (KVM sees it in its copy after an exit) */
  guestIo: boolean;
  /** the ultravisor's: the current or next SIE run continues an intercepted PV instruction */
  cont: boolean;
}

/** The guest's own PSW I/O bit: what SIE and millicode present by (a PV cpu's is the ultravisor's, KVM's copy lags). */
export function guestPswIo(vcpu: KvmVcpu): boolean {
  return vcpu.pv ? vcpu.pv.guestIo : vcpu.pswIo;
}

/** The guest's own PSW swap to its I/O new PSW (disabled for I/O). */
export function guestTakesIo(vcpu: KvmVcpu): void {
  if (vcpu.pv) vcpu.pv.guestIo = false;
  else vcpu.pswIo = false;
}

// interrupt.c psw_ioint_disabled
export function psw_ioint_disabled(vcpu: KvmVcpu): boolean {
  return !vcpu.pswIo;
}

/** (u8)(vcpu->arch.sie_block->gcr[6] >> 24) */
export function vcpuIscMask(vcpu: KvmVcpu): number {
  return (vcpu.gcr6 >>> 24) & 0xff;
}

/**
 * interrupt.c deliverable_irqs, restricted to the GISA I/O bits (pending_irqs: the IPM;
 * disable_iscs: CR6). Result as an ISC mask (0x80 >> isc). GIB v2 delivers no GISA bit from the
 * host (deliverable_irqs_no_gisa); GIB v5 restores the IAM in the IPM look-up when asked.
 */
function deliverable_irqs(host: Host, vcpu: KvmVcpu, opts: { noGisa?: boolean; iamFlag?: boolean } = {}): number {
  const gi = vcpu.kvm.arch.gisa_int;
  if (opts.noGisa || !gi.origin) return 0;
  const active_mask = host.design.gib === 'gib-v5' ? get_ipm_v5(host, vcpu.kvm, opts.iamFlag ?? false) : gisa_get_ipm(gi.origin);
  if (!active_mask) return 0;
  if (psw_ioint_disabled(vcpu)) return 0;
  // PV guest cpus can have a single interruption injected at a time
  if (vcpu.pv && vcpu.pv.iictl !== IICTL_CODE_NONE) return 0;
  return active_mask & vcpuIscMask(vcpu);
}

// interrupt.c kvm_s390_vcpu_has_irq (no timers, no external call, no stop irq)
function kvm_s390_vcpu_has_irq(host: Host, vcpu: KvmVcpu): boolean {
  return deliverable_irqs(host, vcpu, { iamFlag: true }) !== 0;
}

// kvm-s390.c kvm_arch_vcpu_runnable
export function kvm_arch_vcpu_runnable(host: Host, vcpu: KvmVcpu): boolean {
  vcpu.kvm.arch.gisa_int.kicked_mask &= ~(1 << vcpu.vcpu_idx);
  return kvm_s390_vcpu_has_irq(host, vcpu);
}

/** The highest-priority (lowest) ISC of a mask of 0x80 >> isc bits, or -1. */
function firstIsc(mask: number): number {
  for (let isc = 0; isc <= MAX_ISC; isc++) if (mask & (0x80 >> isc)) return isc;
  return -1;
}

// interrupt.c __deliver_io, GISA branch: the PSW swap loads the I/O new PSW, which is disabled for I/O
function __deliver_io(host: Host, vcpu: KvmVcpu, isc: number): void {
  const gi = vcpu.kvm.arch.gisa_int;
  if (gi.origin && gisa_tac_ipm_gisc(host, gi.origin, isc)) __do_deliver_io(vcpu, ((isc << 27) | 0x80000000) >>> 0);
}

// interrupt.c __do_deliver_io: a PV cpu's interruption goes to the ultravisor (iictl, io_int_word); else the lowcore and the PSW swap
function __do_deliver_io(vcpu: KvmVcpu, io_int_word: number): void {
  if (vcpu.pv) {
    vcpu.pv.iictl = IICTL_CODE_IO;
    vcpu.pv.io_int_word = io_int_word;
    return;
  }
  vcpu.pswIo = false;
}

// interrupt.c kvm_s390_deliver_pending_interrupts, I/O dispatch
function kvm_s390_deliver_pending_interrupts(host: Host, vcpu: KvmVcpu): void {
  const noGisa = host.design.gib === 'gib-v2';
  let irqs: number;
  while ((irqs = deliverable_irqs(host, vcpu, { noGisa }))) __deliver_io(host, vcpu, firstIsc(irqs));
}

/** Millicode (not C): a vcpu in SIE enabled for I/O takes the highest-priority IPM bit its CR6 allows. */
export function sieTakeIpm(host: Host, vcpu: KvmVcpu): void {
  const gisa = vcpu.kvm.gisaPage;
  if (!vcpu.prog_in_sie || !guestPswIo(vcpu) || host.life.isFreed(gisa.addr)) return;
  const isc = firstIsc(gisa_get_ipm(gisa) & vcpuIscMask(vcpu));
  if (isc >= 0 && gisa_tac_ipm_gisc(host, gisa, isc)) guestTakesIo(vcpu);
}

/** The ultravisor (not C) at a PV cpu's SIE entry: an injected interruption is presented (the guest's I/O new PSW). */
function uvSieEntry(vcpu: KvmVcpu): void {
  if (vcpu.pv && vcpu.pv.iictl === IICTL_CODE_IO) vcpu.pv.guestIo = false;
}

/**
 * A PV cpu's SIE exit: the ultravisor has consumed the injection (KVM writes IICTL_CODE_NONE nowhere; it reads iictl only after
 * an exit) and writes the PSW back into KVM's copy; then kvm-s390.c __vcpu_run: "if (icptcode == ICPT_PV_INSTR || icptcode ==
 * ICPT_PV_PREF) vcpu->arch.sie_block->gpsw.mask &= ~PSW_INT_MASK;".
 */
function pvSieExit(vcpu: KvmVcpu, pvIntercept: boolean): void {
  const pv = vcpu.pv;
  if (!pv) return;
  pv.iictl = IICTL_CODE_NONE;
  vcpu.pswIo = pv.guestIo;
  pv.extMchk = true;
  pv.cont = pvIntercept;
  if (pvIntercept) {
    vcpu.pswIo = false;
    pv.extMchk = false;
  }
}

// interrupt.c __set_cpu_idle
function __set_cpu_idle(vcpu: KvmVcpu): void {
  vcpu.wait = true;
  vcpu.kvm.arch.idle_mask |= 1 << vcpu.vcpu_idx;
}

// interrupt.c __unset_cpu_idle
function __unset_cpu_idle(vcpu: KvmVcpu): void {
  vcpu.wait = false;
  vcpu.kvm.arch.idle_mask &= ~(1 << vcpu.vcpu_idx);
}

/** The thread is back in the KVM_RUN loop, outside SIE. */
function backToRunLoop(vcpu: KvmVcpu): void {
  vcpu.thread = 'run_loop';
}

/**
 * interrupt.c kvm_s390_handle_wait for an enabled wait PSW (no clock comparator, no CPU timer).
 * Halting ends at kvm_vcpu_halt -> kvm_vcpu_block; the rest (__unset_cpu_idle,
 * hrtimer_cancel) runs in kvm_vcpu_check_block below once the vcpu is runnable.
 */
export function kvm_s390_handle_wait(host: Host, vcpu: KvmVcpu): void {
  const kvm = vcpu.kvm;
  const gi = kvm.arch.gisa_int;
  // fast path
  if (kvm_arch_vcpu_runnable(host, vcpu)) return backToRunLoop(vcpu);
  if (host.design.gib === 'gib-v4' && gi.origin && !in_alert_list(gi.origin)) {
    if (gisa_get_ipm(gi.origin)) return backToRunLoop(vcpu);
    gisa_store_iam(host, gi.origin, gi.alert.mask);
  }
  if (psw_ioint_disabled(vcpu)) return backToRunLoop(vcpu); // disabled wait: -EOPNOTSUPP to userspace
  if (host.design.gib === 'upstream' && gi.origin && gisa_get_ipm_or_restore_iam(host, gi) & vcpuIscMask(vcpu)) {
    return backToRunLoop(vcpu);
  }
  __set_cpu_idle(vcpu);
  // kvm_vcpu_halt -> kvm_vcpu_block: its first kvm_vcpu_check_block sees what the fast path saw
  if (kvm_arch_vcpu_runnable(host, vcpu)) {
    __unset_cpu_idle(vcpu);
    return backToRunLoop(vcpu);
  }
  vcpu.thread = 'halted';
}

// interrupt.c kvm_s390_vcpu_wakeup -> kvm_main.c kvm_vcpu_wake_up: only a vcpu waiting in kvm_vcpu_block wakes
export function kvm_s390_vcpu_wakeup(_host: Host, vcpu: KvmVcpu): boolean {
  if (vcpu.thread !== 'halted') return false;
  vcpu.thread = 'woken';
  return true;
}

// kvm_main.c kvm_vcpu_check_block, in kvm_vcpu_block's loop; runnable ends kvm_s390_handle_wait
export function kvm_vcpu_check_block(host: Host, vcpu: KvmVcpu): void {
  if (kvm_arch_vcpu_runnable(host, vcpu)) {
    __unset_cpu_idle(vcpu);
    backToRunLoop(vcpu);
    return;
  }
  vcpu.thread = 'halted';
}

/** GIB v2/v3 (patch 05): vcpus_in_sie counting and the IAM restore at SIE exit. */
function gibSeriesPostRun(host: Host, vcpu: KvmVcpu): void {
  const kvm = vcpu.kvm;
  if (host.design.gib !== 'gib-v2' && host.design.gib !== 'gib-v3') return;
  kvm.arch.vcpus_in_sie--;
  const gisa = kvm.arch.gisa_int.origin;
  if (gisa && !in_alert_list(gisa) && kvm.arch.vcpus_in_sie === 0) gisa_store_iam(host, gisa, kvm.arch.gisa_int.alert.mask);
}

// kvm-s390.c vcpu_pre_run, then SIE entry
export function vcpu_pre_run(host: Host, vcpu: KvmVcpu): void {
  const kvm = vcpu.kvm;
  kvm_s390_deliver_pending_interrupts(host, vcpu);
  kvm.arch.gisa_int.kicked_mask &= ~(1 << vcpu.vcpu_idx);
  if (host.design.gib === 'gib-v2' || host.design.gib === 'gib-v3') kvm.arch.vcpus_in_sie++;
  if (host.design.gib === 'gib-v2' && kvm.arch.gisa_int.origin) gisa_store_iam(host, kvm.arch.gisa_int.origin, 0);
  vcpu.prog_in_sie = true;
  uvSieEntry(vcpu);
  sieTakeIpm(host, vcpu);
}

// kvm-s390.c vcpu_post_run: SIE exit for an intercept or a host interruption (a PV cpu's ICPT_PV_INSTR / ICPT_PV_PREF: `pvIntercept`)
export function vcpu_post_run(host: Host, vcpu: KvmVcpu, pvIntercept = false): void {
  vcpu.prog_in_sie = false;
  pvSieExit(vcpu, pvIntercept);
  gibSeriesPostRun(host, vcpu);
}

/** The guest loads an enabled wait PSW: SIE exits with a wait intercept, vcpu_post_run handles it. */
export function waitIntercept(host: Host, vcpu: KvmVcpu): void {
  if (vcpu.pv) vcpu.pv.guestIo = true;
  else vcpu.pswIo = true;
  vcpu_post_run(host, vcpu);
  kvm_s390_handle_wait(host, vcpu);
}

/** STOSM in the guest: PSW I/O on; the machine then presents a pending, CR6-enabled GISA interruption. */
export function stosmIo(host: Host, vcpu: KvmVcpu): void {
  if (vcpu.pv) vcpu.pv.guestIo = true;
  else vcpu.pswIo = true;
  sieTakeIpm(host, vcpu);
}

/** STNSM (SSM, LPSW(E)) in the guest: PSW I/O off; nothing is presented. */
export function stnsmIo(vcpu: KvmVcpu): void {
  vcpu.pswIo = false;
}

/**
 * LCTL(G) of CR6 in the guest, not intercepted (sie_block->lctl asks for LCTL_CR6 only while a
 * classic I/O interruption waits for an ISC, interrupt.c set_intercept_indicators_io): SIE loads
 * the low word of CR6 and presents what it now enables.
 */
export function lctlCr6(host: Host, vcpu: KvmVcpu, iscMask: number): void {
  vcpu.gcr6 = (iscMask & 0xff) << 24;
  sieTakeIpm(host, vcpu);
}

/**
 * kvm-s390.c kvm_arch_vcpu_ioctl_initial_reset (v6.17-rc4): kvm_arch_vcpu_ioctl_normal_reset first
 * (kvm_s390_vcpu_stop only without user_cpu_state_ctrl, which QEMU sets with KVM_SET_MP_STATE);
 * then gpsw.mask = 0, and gcr[] zeroed but CR0 and CR14 (CR6 0). The GISA is not touched.
 */
export function kvm_arch_vcpu_ioctl_initial_reset(vcpu: KvmVcpu): void {
  vcpu.pswIo = false;
  vcpu.gcr6 = 0;
}

/** What becomes of the guest's TPI: the interruption code stored, its store failing, or kvm_s390_get_io_int's kzalloc failing. */
export type TpiOutcome = 'stored' | 'store-fails' | 'nomem';

// priv.c handle_tpi (operand address aligned); the condition code it sets (0 none, 1 stored, none when reinjected) is not observed
export function handle_tpi(host: Host, vcpu: KvmVcpu, outcome: TpiOutcome): void {
  const isc = kvm_s390_get_io_int(host, vcpu.kvm, vcpu.gcr6, outcome === 'nomem');
  if (isc < 0) return;
  // reinject_interrupt: a failed store suppresses the instruction from the guest's view
  if (outcome === 'store-fails') kvm_s390_reinject_io_int(host, vcpu.kvm, isc);
  // else kfree(inti): handed to the guest
}

// kvm-s390.c kvm_s390_vcpu_start
export function kvm_s390_vcpu_start(vcpu: KvmVcpu): void {
  if (!vcpu.stopped) return;
  vcpu.stopped = false;
  // "The real PSW might have changed due to a RESTART interpreted by the ultravisor. We block all interrupts and let the next sie exit refresh our view."
  if (vcpu.pv) {
    vcpu.pswIo = false;
    vcpu.pv.extMchk = false;
  }
  vcpu.thread = 'run_loop';
}

/**
 * QEMU stops a vcpu halted in kvm_vcpu_block: its signal ends the block (kvm_vcpu_check_block
 * runs kvm_arch_vcpu_runnable, then sees signal_pending), kvm_s390_handle_wait ends with
 * __unset_cpu_idle, KVM_RUN returns to userspace and KVM_S390_SET_MP_STATE stops the vcpu.
 */
export function stopHaltedVcpu(host: Host, vcpu: KvmVcpu): void {
  kvm_arch_vcpu_runnable(host, vcpu);
  __unset_cpu_idle(vcpu);
  backToRunLoop(vcpu);
  kvm_s390_vcpu_stop(vcpu);
}

// kvm-s390.c kvm_s390_vcpu_stop
export function kvm_s390_vcpu_stop(vcpu: KvmVcpu): void {
  if (vcpu.stopped) return;
  vcpu.stopped = true;
}

export type Where = 'stopped' | 'outside_sie' | 'in_sie' | 'halted' | 'woken';

export function whereOf(vcpu: KvmVcpu): Where {
  if (vcpu.stopped) return 'stopped';
  if (vcpu.prog_in_sie) return 'in_sie';
  if (vcpu.thread === 'halted') return 'halted';
  if (vcpu.thread === 'woken') return 'woken';
  return 'outside_sie';
}
