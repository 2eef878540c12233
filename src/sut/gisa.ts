// SUT: the GISA word, the GIB alert list and the GISA functions of arch/s390/kvm/interrupt.c,
// transcribed from v6.17-rc4 (Kingxukai/linux 9b44fff655e2), plus the older designs selected
// by Design.gib (GIB series v2..v5, 2018, quoted in research/gib-strategies.md) and
// Design.gisaDestroy (v5.2 busy wait), and the millicode's side (not C code: the alert step).
// Transcribed: gisa_set_iam, gisa_clear_ipm, gisa_get_ipm_or_restore_iam, gisa_set_ipm_gisc,
// gisa_get_ipm, gisa_tac_ipm_gisc, __airqs_kick_single_vcpu, gisa_vcpu_kicker,
// process_gib_alert_list (upstream NONE/NULL loop; v2 single cut-off), kvm_s390_gisa_clear,
// kvm_s390_gisa_init, kvm_s390_gisa_destroy (v6.6, v5.2), kvm_s390_gisc_register/unregister,
// gib_alert_irq_handler, get_top_gisa_isc, kvm_s390_get_io_int (GISA part), __inject_io (adapter
// interruption with a GISA), __floating_irq_kick, __inject_vm, kvm_s390_inject_vm (I/O adapter type), kvm_s390_reinject_io_int,
// aen_host_forward (zPCI forwarding, issue 12);
// v2..v5's __find_vcpu_for_floating_irq, get_ipm(IRQ_FLAG_IAM),
// set_iam, __try_airqs_kick, __floating_airqs_kick.
// Not transcribed: the floating interrupt lists (only adapter interruptions via the GISA
// exist here), the PCI AEN path but aen_host_forward, the format-0/1 GISA beyond word 0, locks (every event is
// atomic), hrtimer expiry times (the timer is only active or not), PV guests.
import type { Host, Kvm } from './kvm.ts';
import { guestPswIo, guestTakesIo, kvm_s390_vcpu_wakeup, psw_ioint_disabled, vcpuIscMask } from './vcpu.ts';

export const NULL_GISA_ADDR = 0x00000000;
export const NONE_GISA_ADDR = 0x00000001;
export const GISA_ADDR_MASK = 0xfffff000;
/** MAX_ISC in arch/s390/include/asm/kvm_host.h */
export const MAX_ISC = 7;
export const EBUSY = -16;
export const ENODEV = -19;
export const EINVAL = -22;
export const ERANGE = -34;

/** struct kvm_s390_gisa: only u64.word[0] (next_alert 63..32, ipm 31..24, iam 7..0) and its address. */
export interface KvmS390Gisa {
  /** virt_to_phys(gisa): the sie_page2 page address */
  readonly addr: number;
  word0: bigint;
}

/** struct kvm_s390_gisa_interrupt */
export interface GisaInterrupt {
  origin: KvmS390Gisa | null;
  alert: { mask: number; ref_count: number[] };
  /** hrtimer_active(&gi->timer) */
  timer: boolean;
  /** gi->kicked_mask, bit per vcpu_idx */
  kicked_mask: number;
}

/** struct kvm_s390_gib: the alert list origin and whether the GAL interruption is pending. */
export interface Gib {
  alert_list_origin: number;
  galPending: boolean;
  /** a host CPU is inside process_gib_alert_list between the first and the final pass: its local `origin` */
  inProcess: { origin: number } | null;
}

export const nextAlert = (word: bigint): number => Number(word >> 32n);
export const ipmOf = (word: bigint): number => Number((word >> 24n) & 0xffn);
export const iamOf = (word: bigint): number => Number(word & 0xffn);

/** A store into the GISA word; the tracker reports it when sie_page2 is already freed. */
function writeWord(host: Host, gisa: KvmS390Gisa, word: bigint): void {
  if (host.life.isFreed(gisa.addr)) host.life.report({ vm: host.vmOfGisa(gisa.addr) }, 'GISA_WRITE_AFTER_FREE');
  gisa.word0 = word;
}

/** try_cmpxchg(&gisa->u64.word[0], &old, new) */
function try_cmpxchg(host: Host, gisa: KvmS390Gisa, old: { v: bigint }, nw: bigint): boolean {
  if (gisa.word0 !== old.v) {
    old.v = gisa.word0;
    return false;
  }
  writeWord(host, gisa, nw);
  return true;
}

// interrupt.c gisa_set_iam
export function gisa_set_iam(host: Host, gisa: KvmS390Gisa, iam: number): number {
  const word = { v: gisa.word0 };
  let _word: bigint;
  do {
    if (gisa.addr !== nextAlert(word.v)) return EBUSY;
    _word = (word.v & ~0xffn) | BigInt(iam);
  } while (!try_cmpxchg(host, gisa, word, _word));
  return 0;
}

// interrupt.c gisa_clear_ipm
export function gisa_clear_ipm(host: Host, gisa: KvmS390Gisa): void {
  const word = { v: gisa.word0 };
  let _word: bigint;
  do {
    _word = word.v & ~(0xffn << 24n);
  } while (!try_cmpxchg(host, gisa, word, _word));
}

// interrupt.c gisa_get_ipm_or_restore_iam
export function gisa_get_ipm_or_restore_iam(host: Host, gi: GisaInterrupt): number {
  const gisa = gi.origin;
  if (!gisa) throw new Error('gisa_get_ipm_or_restore_iam: gi->origin is NULL (the kernel would oops)');
  const word = { v: gisa.word0 };
  let _word: bigint;
  do {
    const alert_mask = gi.alert.mask;
    const pending_mask = ipmOf(word.v) & alert_mask;
    if (pending_mask) return pending_mask;
    _word = (word.v & ~0xffn) | BigInt(alert_mask);
  } while (!try_cmpxchg(host, gisa, word, _word));
  return 0;
}

// interrupt.c gisa_set_ipm_gisc (set_bit_inv(IPM_BIT_OFFSET + gisc))
export function gisa_set_ipm_gisc(host: Host, gisa: KvmS390Gisa, gisc: number): void {
  writeWord(host, gisa, gisa.word0 | (BigInt(0x80 >> gisc) << 24n));
}

// interrupt.c gisa_get_ipm
export function gisa_get_ipm(gisa: KvmS390Gisa): number {
  return ipmOf(gisa.word0);
}

// interrupt.c gisa_tac_ipm_gisc (test_and_clear_bit_inv(IPM_BIT_OFFSET + gisc))
export function gisa_tac_ipm_gisc(host: Host, gisa: KvmS390Gisa, gisc: number): boolean {
  const bit = BigInt(0x80 >> gisc) << 24n;
  if (!(gisa.word0 & bit)) return false;
  writeWord(host, gisa, gisa.word0 & ~bit);
  return true;
}

/** GIB v2..v4 in_alert_list() (kvm-s390.h of the series): next_alert is not the GISA itself. */
export function in_alert_list(gisa: KvmS390Gisa): boolean {
  return gisa.addr !== nextAlert(gisa.word0);
}

/** GIB v2..v4 `gisa->iam = value`: a plain byte store, no cmpxchg. */
export function gisa_store_iam(host: Host, gisa: KvmS390Gisa, iam: number): void {
  writeWord(host, gisa, (gisa.word0 & ~0xffn) | BigInt(iam));
}

// interrupt.c __airqs_kick_single_vcpu
function __airqs_kick_single_vcpu(host: Host, kvm: Kvm, deliverable_mask: number): void {
  const gi = kvm.arch.gisa_int;
  for (const vcpu of kvm.vcpus) {
    if (!(kvm.arch.idle_mask & (1 << vcpu.vcpu_idx))) continue;
    if (psw_ioint_disabled(vcpu)) continue;
    const vcpu_isc_mask = vcpuIscMask(vcpu);
    if (deliverable_mask & vcpu_isc_mask) {
      // lately kicked but not yet running
      const was = gi.kicked_mask & (1 << vcpu.vcpu_idx);
      gi.kicked_mask |= 1 << vcpu.vcpu_idx;
      if (was) return;
      kvm_s390_vcpu_wakeup(host, vcpu);
      return;
    }
  }
}

// interrupt.c gisa_vcpu_kicker (the hrtimer callback; RESTART keeps the timer active)
export function gisa_vcpu_kicker(host: Host, kvm: Kvm): void {
  const gi = kvm.arch.gisa_int;
  const pending_mask = gisa_get_ipm_or_restore_iam(host, gi);
  if (pending_mask) {
    __airqs_kick_single_vcpu(host, kvm, pending_mask);
    gi.timer = true;
    return;
  }
  gi.timer = false;
}

/** container_of(gisa, struct sie_page2, gisa)->kvm */
function kvmOfGisaAddr(host: Host, addr: number): Kvm {
  return host.kvms[host.vmOfGisa(addr)] as Kvm;
}

/** Unlink one GISA cut off the list and react to it as the configured design does; returns its next_alert. */
function unlinkAndKick(host: Host, gisa_phys: number): number {
  const kvm = kvmOfGisaAddr(host, gisa_phys);
  const gisa = kvm.gisaPage;
  const origin = nextAlert(gisa.word0);
  writeWord(host, gisa, (gisa.word0 & 0xffffffffn) | (BigInt(gisa_phys) << 32n));
  switch (host.design.gib) {
    case 'upstream': {
      const gi = kvm.arch.gisa_int;
      // hrtimer_cancel if active, then hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL)
      gi.timer = true;
      break;
    }
    case 'gib-v2': {
      const vcpu = __find_vcpu_for_floating_irq(kvm);
      if (vcpu !== null) kvm_s390_vcpu_wakeup(host, vcpu);
      break;
    }
    case 'gib-v3':
    case 'gib-v4': {
      if (!gisa_get_ipm(gisa)) break;
      const vcpu = __find_vcpu_for_floating_irq(kvm);
      if (vcpu !== null) kvm_s390_vcpu_wakeup(host, vcpu);
      break;
    }
    case 'gib-v5':
      __floating_airqs_kick(host, kvm);
      break;
  }
  return origin;
}

/** One iteration of process_gib_alert_list's outer loop: xchg, then walk the cut-off list. */
function gibPass(host: Host, final: boolean): number {
  let origin = host.gib.alert_list_origin;
  host.gib.alert_list_origin = final ? NULL_GISA_ADDR : NONE_GISA_ADDR;
  while (origin & GISA_ADDR_MASK) origin = unlinkAndKick(host, origin);
  return origin;
}

// interrupt.c process_gib_alert_list (GIB v3+ form): the whole loop, as kvm_s390_gisa_destroy calls it
export function process_gib_alert_list(host: Host): void {
  if (host.design.gib === 'gib-v2') {
    unlink_gib_alert_list_v2(host);
    return;
  }
  let origin = 0;
  let final: boolean;
  do {
    final = (origin & NONE_GISA_ADDR) !== 0;
    origin = gibPass(host, final);
  } while (!final);
}

/**
 * gib_alert_irq_handler up to the end of the first iteration of process_gib_alert_list
 * (xchg NONE_GISA_ADDR and walk). The host CPU stays inside the loop until
 * process_gib_alert_list_final_pass. GIB v2 has a single cut-off (cmpxchg to 0) and is done here.
 */
export function gib_alert_irq_handler(host: Host): void {
  host.gib.galPending = false;
  if (host.design.gib === 'gib-v2') {
    unlink_gib_alert_list_v2(host);
    return;
  }
  host.gib.inProcess = { origin: gibPass(host, false) };
}

/** The rest of process_gib_alert_list's loop after the first pass, ending with xchg NULL_GISA_ADDR. */
export function process_gib_alert_list_final_pass(host: Host): void {
  const p = host.gib.inProcess;
  if (!p) return;
  let origin = p.origin;
  let final: boolean;
  do {
    final = (origin & NONE_GISA_ADDR) !== 0;
    origin = gibPass(host, final);
  } while (!final);
  host.gib.inProcess = null;
}

/** GIB v2 patch 06/09: unlink_gib_alert_list (cmpxchg origin to 0) and walk to the NULL tail. */
function unlink_gib_alert_list_v2(host: Host): void {
  let origin = host.gib.alert_list_origin;
  host.gib.alert_list_origin = NULL_GISA_ADDR;
  while (origin) origin = unlinkAndKick(host, origin);
}

/** GIB v2..v4 __find_vcpu_for_floating_irq (upstream's __floating_irq_kick begins the same): first idle vcpu, else round robin over non-stopped ones. */
function __find_vcpu_for_floating_irq(kvm: Kvm) {
  const online_vcpus = kvm.vcpus.length;
  if (!online_vcpus) return null;
  const idle = kvm.vcpus.find((v) => kvm.arch.idle_mask & (1 << v.vcpu_idx));
  if (idle) return idle;
  let nr_tries = 0;
  let sigcpu: number;
  do {
    sigcpu = kvm.arch.next_rr_cpu++;
    kvm.arch.next_rr_cpu %= online_vcpus;
    if (nr_tries++ >= online_vcpus) return null;
  } while (kvm.vcpus[sigcpu]?.stopped);
  return kvm.vcpus[sigcpu] ?? null;
}

/** GIB v5 11/15 get_ipm(gisa, IRQ_FLAG_IAM): restore the IAM atomically when the GISA is unlisted and the IPM clean. */
export function get_ipm_v5(host: Host, kvm: Kvm, restore: boolean): number {
  const gisa = kvm.gisaPage;
  if (!restore) return gisa_get_ipm(gisa);
  const word = { v: gisa.word0 };
  let _word: bigint;
  do {
    const ipm = ipmOf(word.v);
    if (gisa.addr !== nextAlert(word.v)) return ipm;
    if (ipm) return ipm;
    _word = (word.v & ~0xffn) | BigInt(kvm.arch.gisa_int.alert.mask);
  } while (!try_cmpxchg(host, gisa, word, _word));
  return 0;
}

/** GIB v5 13/15 __try_airqs_kick: kick idle, I/O-enabled vcpus whose CR6 covers a pending ISC. */
function __try_airqs_kick(host: Host, kvm: Kvm, ipm: number): number {
  let kick_mask = 0;
  const kick_vcpu = [];
  // the series' find_next_bit(idle_mask, online, vcpu_id) is read as "the next idle vcpu after vcpu_id"
  for (const vcpu of kvm.vcpus) {
    if (!(~kick_mask & ipm)) break;
    if (!(kvm.arch.idle_mask & (1 << vcpu.vcpu_idx))) continue;
    if (psw_ioint_disabled(vcpu)) continue;
    const ioint_mask = vcpuIscMask(vcpu);
    if (!(ioint_mask & ~kick_mask & ipm)) continue;
    kick_mask |= ioint_mask;
    kick_vcpu.push(vcpu);
  }
  for (const vcpu of kick_vcpu) kvm_s390_vcpu_wakeup(host, vcpu);
  return kick_vcpu.length;
}

/** GIB v5 13/15 __floating_airqs_kick */
function __floating_airqs_kick(host: Host, kvm: Kvm): void {
  let ipm = get_ipm_v5(host, kvm, true);
  if (!ipm) return;
  for (;;) {
    const ipm_t0 = ipm;
    const kicked = __try_airqs_kick(host, kvm, ipm);
    ipm = get_ipm_v5(host, kvm, true);
    if (!ipm) return;
    if ((ipm_t0 ^ ipm) & ~ipm_t0) continue;
    if (kicked > 0) return;
    if (!kvm.arch.idle_mask) return;
    gisa_set_iam(host, kvm.gisaPage, kvm.arch.gisa_int.alert.mask);
    return;
  }
}

/** __fls of a non-zero 64-bit word: the index of its most significant set bit. */
const __fls = (word: bigint): number => word.toString(2).length - 1;

// interrupt.c get_top_gisa_isc, as kvm_s390_get_io_int calls it for TPI (schid 0)
export function get_top_gisa_isc(host: Host, kvm: Kvm, isc_mask: number): number {
  const gi = kvm.arch.gisa_int;
  if (!gi.origin) return EINVAL;
  let active_mask = ((BigInt(isc_mask >>> 0) & (BigInt(gisa_get_ipm(gi.origin)) << 24n)) << 32n) & 0xffffffffffffffffn;
  while (active_mask) {
    const isc = __fls(active_mask) ^ 63;
    if (gisa_tac_ipm_gisc(host, gi.origin, isc)) return isc;
    active_mask &= ~(1n << BigInt(isc ^ 63)); // clear_bit_inv(isc, &active_mask)
  }
  return EINVAL;
}

/**
 * interrupt.c kvm_s390_get_io_int(kvm, isc_mask, 0), GISA part (the classic fi->lists[] are flic.ts's:
 * get_top_io_int finds nothing here). `kzallocFails`: the inti allocation fails and the ISC is set
 * again. Returns the ISC of the inti handed back, -1 for NULL.
 */
export function kvm_s390_get_io_int(host: Host, kvm: Kvm, isc_mask: number, kzallocFails: boolean): number {
  const gi = kvm.arch.gisa_int;
  const isc = get_top_gisa_isc(host, kvm, isc_mask);
  if (isc < 0) return -1; // no AI in GISA
  if (kzallocFails) {
    gisa_set_ipm_gisc(host, gi.origin!, isc);
    return -1;
  }
  return isc;
}

// interrupt.c __inject_io of an adapter interruption (KVM_S390_INT_IO_AI_MASK) into a GISA; without one it goes on
// fi->lists[] (flic.ts), the only path that can fail (-EBUSY), so here it returns nothing
function __inject_io(host: Host, kvm: Kvm, isc: number): void {
  const gi = kvm.arch.gisa_int;
  if (gi.origin) gisa_set_ipm_gisc(host, gi.origin, isc);
}

// interrupt.c __floating_irq_kick for an adapter interruption with a GISA (no CPUSTAT_IO_INT): the vcpu is found as GIB v2..v4's copy of it does
function __floating_irq_kick(host: Host, kvm: Kvm): void {
  const dst_vcpu = __find_vcpu_for_floating_irq(kvm);
  if (dst_vcpu !== null) kvm_s390_vcpu_wakeup(host, dst_vcpu);
}

// interrupt.c __inject_vm of an I/O adapter interruption (its return code is __inject_io's: 0 here)
function __inject_vm(host: Host, kvm: Kvm, isc: number): void {
  __inject_io(host, kvm, isc);
  __floating_irq_kick(host, kvm);
}

// interrupt.c kvm_s390_inject_vm of an I/O adapter interruption (KVM_S390_INTERRUPT, FLIC AIRQ_INJECT, an irqfd adapter route; the kzalloc succeeds)
export function kvm_s390_inject_vm(host: Host, kvm: Kvm, isc: number): void {
  __inject_vm(host, kvm, isc);
}

// interrupt.c aen_host_forward (zPCI adapter-event forwarding, reached from gib_alert_irq_handler -> aen_process_gait for a
// summary bit), after the GAIT lookup (gaite->count != 0, the guest's summary bit set, kvm_s390_pci_si_to_kvm found the VM):
// unless the format-1 GISA's simm and nimm both suppress gaite->gisc (the guest's AIS mode: not transcribed, ALL), the IPM
// bit and the kicker restarted at 0. gi->origin is dereferenced without a NULL check (the caller here has a GISA).
export function aen_host_forward(host: Host, kvm: Kvm, gisc: number): void {
  const gi = kvm.arch.gisa_int;
  if (!gi.origin) return;
  gisa_set_ipm_gisc(host, gi.origin, gisc);
  if (gi.timer) gi.timer = false; // hrtimer_cancel(&gi->timer)
  gi.timer = true; // hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL)
}

// interrupt.c kvm_s390_reinject_io_int
export function kvm_s390_reinject_io_int(host: Host, kvm: Kvm, isc: number): void {
  __inject_vm(host, kvm, isc);
}

// interrupt.c kvm_s390_gisa_clear
export function kvm_s390_gisa_clear(host: Host, kvm: Kvm): void {
  const gi = kvm.arch.gisa_int;
  if (!gi.origin) return;
  gisa_clear_ipm(host, gi.origin);
}

// interrupt.c kvm_s390_gisa_init
export function kvm_s390_gisa_init(kvm: Kvm): void {
  const gi = kvm.arch.gisa_int;
  gi.origin = kvm.gisaPage;
  gi.alert.mask = 0;
  gi.timer = false;
  // memset(gi->origin, 0, ...); gi->origin->next_alert = (u32)virt_to_phys(gi->origin)
  gi.origin.word0 = BigInt(gi.origin.addr) << 32n;
}

/** kvm_s390_gisa_destroy can run now: v5.2 busy-waits (cpu_relax) while the GISA is listed. */
export function gisaDestroyMayProceed(host: Host, kvm: Kvm): boolean {
  const gi = kvm.arch.gisa_int;
  return !(host.design.gisaDestroy === 'v5.2' && gi.origin !== null && in_alert_list(gi.origin));
}

// interrupt.c kvm_s390_gisa_destroy (v6.6+, f87ef5723536; v5.2: no WARN, busy wait while listed)
export function kvm_s390_gisa_destroy(host: Host, kvm: Kvm): void {
  const gi = kvm.arch.gisa_int;
  if (!gi.origin) return;
  if (host.design.gisaDestroy === 'v5.2') {
    // if (gi->alert.mask) KVM_EVENT(3, "vm 0x%pK has unexpected iam 0x%02x"): the v5.2 report of the same fault
    if (gi.alert.mask !== 0) host.life.report({ vm: kvm.idx }, 'DESTROY_WITH_ALERT_MASK');
    // while (gisa_in_alert_list(gi->origin)) cpu_relax();
    gi.timer = false;
    gi.origin = null;
    return;
  }
  if (gi.alert.mask !== 0) host.life.report({ vm: kvm.idx }, 'DESTROY_WITH_ALERT_MASK');
  gi.alert.mask = 0;
  if (gisa_set_iam(host, gi.origin, gi.alert.mask)) process_gib_alert_list(host);
  gi.timer = false; // hrtimer_cancel
  gi.origin = null;
}

/** GIB v2..v4 register/unregister only update the software mask (kvm->arch.iam); v5 and upstream also set the IAM. */
function setIamOnRegister(host: Host): boolean {
  return host.design.gib === 'upstream' || host.design.gib === 'gib-v5';
}

// interrupt.c kvm_s390_gisc_register
export function kvm_s390_gisc_register(host: Host, kvm: Kvm, gisc: number): number {
  const gi = kvm.arch.gisa_int;
  if (!gi.origin) return ENODEV;
  if (gisc > MAX_ISC) return ERANGE;
  const ref = gi.alert.ref_count;
  ref[gisc] = (ref[gisc] ?? 0) + 1;
  if (ref[gisc] === 1) {
    gi.alert.mask |= 0x80 >> gisc;
    if (setIamOnRegister(host)) gisa_set_iam(host, gi.origin, gi.alert.mask);
  }
  return host.gibNisc;
}

// interrupt.c kvm_s390_gisc_unregister
export function kvm_s390_gisc_unregister(host: Host, kvm: Kvm, gisc: number): number {
  const gi = kvm.arch.gisa_int;
  if (!gi.origin) return ENODEV;
  if (gisc > MAX_ISC) return ERANGE;
  const ref = gi.alert.ref_count;
  if ((ref[gisc] ?? 0) === 0) return EINVAL;
  ref[gisc] = (ref[gisc] ?? 0) - 1;
  if (ref[gisc] === 0) {
    gi.alert.mask &= ~(0x80 >> gisc);
    if (setIamOnRegister(host)) gisa_set_iam(host, gi.origin, gi.alert.mask);
  }
  return 0;
}

/**
 * Millicode (not C): an adapter interruption for guest ISC gisc on the GISA at address addr.
 * A vcpu in SIE, enabled for I/O and for gisc in CR6, takes it at once (lowest vcpu_idx);
 * otherwise the IPM bit is set and, if the IAM bit is set, the IAM cleared and the GISA
 * linked at the head of the GIB alert list (a GAL interruption when the list was NULL).
 */
export function millicodeAdapterInterruption(host: Host, addr: number, gisc: number): void {
  const vm = host.vmOfGisa(addr);
  const kvm = host.kvms[vm];
  if (!kvm) return;
  if (host.life.isFreed(addr)) {
    host.life.report({ vm }, 'GISA_WRITE_AFTER_FREE');
    return;
  }
  const taker = kvm.vcpus.find((v) => v.prog_in_sie && guestPswIo(v) && vcpuIscMask(v) & (0x80 >> gisc));
  if (taker) {
    guestTakesIo(taker); // the I/O new PSW is disabled for I/O
    return;
  }
  const gisa = kvm.gisaPage;
  gisa_set_ipm_gisc(host, gisa, gisc);
  if (iamOf(gisa.word0) & (0x80 >> gisc)) millicodeAlert(host, kvm);
}

/** Millicode alert: clear the IAM and link the GISA at the head of the alert list if it is not listed. */
export function millicodeAlert(host: Host, kvm: Kvm): void {
  const gisa = kvm.gisaPage;
  if (host.life.isFreed(gisa.addr)) {
    host.life.report({ vm: kvm.idx }, 'GISA_WRITE_AFTER_FREE');
    return;
  }
  let word = gisa.word0 & ~0xffn;
  if (!in_alert_list(gisa)) {
    const old = host.gib.alert_list_origin;
    word = (word & 0xffffffffn) | (BigInt(old) << 32n);
    host.gib.alert_list_origin = gisa.addr;
    if (old === NULL_GISA_ADDR) host.gib.galPending = true;
  }
  gisa.word0 = word;
}
