// SUT: vfio_ap's PQAP(AQIC) handling and KVM attach/detach, drivers/s390/crypto/vfio_ap_ops.c,
// transcribed from v6.17-rc4 (Kingxukai/linux 9b44fff655e2), plus the two older designs of
// research/aqic-v4-vs-merged.md selected by Design.aqic: 'v5.3' (ec89b55e3bce, group notifier,
// release) and 'aqic-v4' (Pierre Morel's v4 series of 2019-02-22: vfio_ap_setirq/clrirq/free_irq,
// no KVM reference). Also the AP firmware side of each queue (not C code).
// Transcribed (upstream): handle_pqap, vfio_ap_irq_enable, vfio_ap_irq_disable, vfio_ap_mdev_ioctl (VFIO_DEVICE_RESET),
// vfio_ap_free_aqic_resources, vfio_ap_mdev_reset_queue (+ apq_reset_check, flushed at once),
// vfio_ap_mdev_reset_queues, vfio_ap_mdev_set_kvm, vfio_ap_mdev_unset_kvm,
// vfio_ap_mdev_open_device, vfio_ap_mdev_close_device, vfio_ap_mdev_remove_queue,
// assign_adapter_store / assign_domain_store (the queue is linked once both are assigned).
// With the AP's answers as payloads (CoreParams.apAnswers): the ZAPQ answer of
// vfio_ap_mdev_reset_queue, apq_reset_check one pass of its loop at a time (TAPQ answer, ZAPQ
// again), vfio_ap_mdev_unset_kvm stopped in flush_work until every reset_work ended, the endings
// of vfio_ap_irq_disable's AQIC and vfio_ap_wait_for_irqclear loops, and vfio_ap_mdev_remove_queue
// after the APQN left the host's AP configuration; handle_pqap's status to the guest is checked
// against what the AP then does (GUEST_TOLD_SUCCESS). Without them ZAPQ answers NORMAL and the
// reset work runs at once.
// Not transcribed: the APCB/CRYCB masks, sysfs parsing, dynamic (re)configuration while open,
// more than one mdev, locks and the rwsem (every event is atomic), the retry loops of ap_aqic
// ir=1 (it answers at once, with the outcome the event gives), PV (ensure_nib_shared).
// Each AQIC(ir=1) uses a fresh NIB page of its queue so the tracker can tell pins apart.
import { EINVAL, kvm_s390_gisc_register, kvm_s390_gisc_unregister, millicodeAdapterInterruption, nextAlert } from './gisa.ts';
import type { Host, Kvm } from './kvm.ts';
import { kvm_get_kvm, kvm_put_kvm } from './kvm.ts';

/** RESET_IN_PROGRESS: what ap_aqic answers while the AP still resets the queue (guestReset: after the guest's own ZAPQ); NIB_NOT_SHARED (guestStatus, a protected guest): ensure_nib_shared's uv_pin_shared fails, before any AQIC. */
export type AqicOutcome = 'NORMAL' | 'OTHERWISE_CHANGED' | 'OTHER' | 'PIN_FAILED' | 'NIB_INVALID' | 'RESET_IN_PROGRESS' | 'NIB_NOT_SHARED';
/** The AP's answer to ZAPQ, by its response code: NORMAL, RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS, DECONFIGURED, CHECKSTOPPED, or one vfio_ap WARNs on (Q_NOT_AVAIL). */
export type ZapqAnswer = 'NORMAL' | 'IN_PROGRESS' | 'BUSY' | 'STATE_CHANGE' | 'DECONFIGURED' | 'CHECKSTOPPED' | 'INVALID';
/** The AP's answer to apq_reset_check's TAPQ: BUSY, DONE (NORMAL, the reset completed), ASSOC (ASSOC_FAILED), INVALID (Q_NOT_AVAIL). */
export type TapqAnswer = 'BUSY' | 'DONE' | 'ASSOC' | 'INVALID';
/**
 * How vfio_ap_irq_disable's loops end: NORMAL (AQIC ir=0 NORMAL, TAPQ shows the IR bit clear),
 * TAPQ_FAILED (AQIC NORMAL, TAPQ answers Q_NOT_AVAIL), IR_STUCK (AQIC NORMAL, TAPQ shows the IR
 * bit set 5 times), BUSY_EXHAUSTED (AQIC BUSY 6 times), NOT_OPER (AQIC DECONFIGURED).
 */
export type AqicOff = 'NORMAL' | 'TAPQ_FAILED' | 'IR_STUCK' | 'BUSY_EXHAUSTED' | 'NOT_OPER';

// arch/s390/include/asm/ap.h response codes
const AP_RESPONSE_NORMAL = 0x00;
const AP_RESPONSE_Q_NOT_AVAIL = 0x01;
const AP_RESPONSE_RESET_IN_PROGRESS = 0x02;
const AP_RESPONSE_DECONFIGURED = 0x03;
const AP_RESPONSE_CHECKSTOPPED = 0x04;
const AP_RESPONSE_BUSY = 0x05;
const AP_RESPONSE_INVALID_ADDRESS = 0x06;
const AP_RESPONSE_OTHERWISE_CHANGED = 0x07;
const AP_RESPONSE_INVALID_GISA = 0x08;
const AP_RESPONSE_STATE_CHANGE_IN_PROGRESS = 0x0a;
const AP_RESPONSE_ASSOC_SECRET_NOT_UNIQUE = 0x35;
const AP_RESPONSE_ASSOC_FAILED = 0x36;
const EBUSY = -16;
const EAGAIN = -11;
const EIO = -5;

/** VFIO_AP_ISC_INVALID in vfio_ap_private.h */
export const VFIO_AP_ISC_INVALID = 0xff;

/** struct vfio_ap_queue (upstream fields; v5.3's saved_pfn is saved_iova; aqic-v4's fields in v4). */
export interface VfioApQueue {
  readonly idx: number;
  saved_isc: number;
  saved_iova: number;
  /** q->matrix_mdev != NULL (upstream: linked at assignment; v5.3: set by vfio_ap_get_queue) */
  matrix_mdev: boolean;
  apidAssigned: boolean;
  apqiAssigned: boolean;
  /** vfio_ap_mdev_remove_queue has kfree'd it */
  removed: boolean;
  /** aqic-v4 struct vfio_ap_queue: nib, isc, g_pfn */
  v4: { nib: number; isc: number; g_pfn: number };
  /** NIB pages handed out so far (fresh iova per AQIC) */
  nibSeq: number;
  /** q->reset_status.response_code: the last ZAPQ's answer */
  reset_status: number;
  /** q->reset_work (apq_reset_check) is queued on system_long_wq or running */
  reset_work: boolean;
}

/** What the AP firmware holds for a queue after AQIC. */
export interface ApFirmwareQueue {
  irq: boolean;
  /** aqic_gisa.gisa << 4: the GISA address the AP makes interruptions pending in */
  gisaAddr: number;
  gisc: number;
  /** host NIB address (the pinned page) */
  nib: number;
  /** a ZAPQ started a reset that TAPQ has not yet shown complete */
  resetting: boolean;
}

/** What the guest may rely on for a queue (not kernel state): the ISC its last PQAP(AQIC) ir=1 was answered 0 for, until an AQIC answers otherwise or the queue is reset. */
export interface GuestQueueView {
  told: number;
  /** guestStatus: what the guest read after its last PQAP(AQIC): 'none', 'USERSPACE', 'PGM_SPECIFICATION', or `cc<c> rc<xx>` from GR1 bits 40-47 */
  gr1?: string;
}

/** guestStatus configurations: PQAP(AQIC) runs priv.c handle_pqap from its ECA_APIE test; the VMs' CPU model and whether the guest is protected. */
export interface GuestStatusHost {
  /** test_kvm_facility(kvm, 65) */
  fac65: boolean;
  /** kvm_s390_pv_cpu_is_protected(vcpu) of the vcpu issuing PQAP */
  pv: boolean;
}

/** struct ap_matrix_mdev (one mdev) */
export interface MatrixMdev {
  open: boolean;
  kvm: Kvm | null;
  /** vfio_ap holds a kvm_get_kvm reference on kvm */
  kvmRef: boolean;
  /** vfio_ap_mdev_unset_kvm waits in vfio_ap_mdev_reset_queues' flush_work (AP answers only) */
  unsetting: boolean;
  /** vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) waits in vfio_ap_mdev_reset_queues' flush_work, holding mdevs_lock */
  resetting: boolean;
  /** what the last VFIO_DEVICE_RESET returned to userspace; null before the first, or while one waits */
  resetRc: number | null;
}

export interface VfioAp {
  /** the AP's answers come as event payloads (else ZAPQ answers NORMAL and reset_work runs at once) */
  answers: boolean;
  /** QEMU's VFIO_DEVICE_RESET is an event (its return code and q->reset_status are observed) */
  deviceReset: boolean;
  /** the guest's own ZAPQ leaves the AP resetting until AP_RESET_COMPLETE, and the guest's view of each queue is kept (null: not observed) */
  guest: GuestQueueView[] | null;
  /** guestStatus configurations (null: PQAP(AQIC) refusals are not sent) */
  guestStatus: GuestStatusHost | null;
  mdev: MatrixMdev;
  queues: VfioApQueue[];
  ap: ApFirmwareQueue[];
}

export function vfio_ap_probe(queues: number, answers = false, deviceReset = false, guestReset = false, guestStatus: GuestStatusHost | null = null): VfioAp {
  return {
    answers,
    deviceReset,
    guest: guestReset || guestStatus ? Array.from({ length: queues }, () => ({ told: VFIO_AP_ISC_INVALID, ...(guestStatus ? { gr1: 'none' } : {}) })) : null,
    guestStatus,
    mdev: { open: false, kvm: null, kvmRef: false, unsetting: false, resetting: false, resetRc: null },
    queues: Array.from({ length: queues }, (_, idx) => ({
      idx,
      saved_isc: VFIO_AP_ISC_INVALID,
      saved_iova: 0,
      matrix_mdev: false,
      apidAssigned: false,
      apqiAssigned: false,
      removed: false,
      v4: { nib: 0, isc: 0, g_pfn: 0 },
      nibSeq: 0,
      reset_status: AP_RESPONSE_NORMAL,
      reset_work: false,
    })),
    ap: Array.from({ length: queues }, () => ({ irq: false, gisaAddr: 0, gisc: 0, nib: 0, resetting: false })),
  };
}

/** The queue is in the mdev's matrix (both its APID and APQI assigned) and still bound to vfio_ap. */
export function queueAssigned(q: VfioApQueue): boolean {
  return q.apidAssigned && q.apqiAssigned && !q.removed;
}

/** The guest's NIB for the next AQIC(ir=1) of queue q: a fresh page of that queue. */
function nextNib(q: VfioApQueue): number {
  q.nibSeq++;
  return 0x100000 * (q.idx + 1) + 0x1000 * q.nibSeq;
}

// --- AP firmware (not C): ap_aqic, ap_zapq, the adapter interruption ---

const AP_OFF: ApFirmwareQueue = { irq: false, gisaAddr: 0, gisc: 0, nib: 0, resetting: false };

function ap_aqic(host: Host, q: VfioApQueue, ir: 0 | 1, gisaAddr: number, gisc: number, nib: number, outcome: AqicOutcome): AqicOutcome {
  if (host.vfio.guest && host.vfio.ap[q.idx]!.resetting) return 'RESET_IN_PROGRESS'; // the guest's ZAPQ has not completed
  if (outcome !== 'NORMAL') return outcome;
  host.vfio.ap[q.idx] = ir ? { irq: true, gisaAddr, gisc, nib, resetting: false } : { ...AP_OFF };
  return 'NORMAL';
}

/** The response code of an ap_aqic ir=1 answer (OTHER: a code vfio_ap_irq_enable does not expect, INVALID_GISA). */
function aqicCode(outcome: AqicOutcome): number {
  if (outcome === 'RESET_IN_PROGRESS') return AP_RESPONSE_RESET_IN_PROGRESS;
  return outcome === 'NORMAL' ? AP_RESPONSE_NORMAL : outcome === 'OTHERWISE_CHANGED' ? AP_RESPONSE_OTHERWISE_CHANGED : AP_RESPONSE_INVALID_GISA;
}

/** ZAPQ completed at once (the guest's PQAP(ZAPQ), or the flushed reset of a configuration without the AP's answers). */
function ap_zapq(host: Host, q: VfioApQueue): void {
  host.vfio.ap[q.idx] = { ...AP_OFF };
  queueResetUnderGuest(host, q.idx);
}

/** A reset of the queue: whatever PQAP(AQIC) told the guest no longer describes it. */
function queueResetUnderGuest(host: Host, qi: number): void {
  const view = host.vfio.guest?.[qi];
  if (view) view.told = VFIO_AP_ISC_INVALID;
}

/** The guest's GR1 after PQAP(AQIC) (handle_pqap: memcpy of the status): a 0 for ir=1 promises interruptions on that ISC. */
function guestGr1(host: Host, qi: number, ir: 0 | 1, isc: number, rc: number): void {
  const view = host.vfio.guest?.[qi];
  if (view) view.told = ir && rc === AP_RESPONSE_NORMAL ? isc & 0x07 : VFIO_AP_ISC_INVALID;
}

/** The AP completes the reset the guest's ZAPQ started (TAPQ and AQIC stop answering RESET_IN_PROGRESS). */
export function apResetComplete(host: Host, qi: number): void {
  if (host.vfio.guest && host.vfio.ap[qi]?.resetting) host.vfio.ap[qi] = { ...AP_OFF };
}

/** ZAPQ answered `answer`: NORMAL and in progress start a reset TAPQ shows complete later; a deconfigured AP presents nothing. */
function ap_zapq_answer(host: Host, q: VfioApQueue, answer: ZapqAnswer): number {
  const fw = host.vfio.ap[q.idx]!;
  switch (answer) {
    case 'NORMAL':
      fw.resetting = true;
      return AP_RESPONSE_NORMAL;
    case 'IN_PROGRESS':
      fw.resetting = true;
      return AP_RESPONSE_RESET_IN_PROGRESS;
    case 'BUSY':
      fw.resetting = true; // the AP takes the ZAPQ once it is no longer busy
      return AP_RESPONSE_BUSY;
    case 'STATE_CHANGE':
      fw.resetting = true;
      return AP_RESPONSE_STATE_CHANGE_IN_PROGRESS;
    case 'DECONFIGURED':
      host.vfio.ap[q.idx] = { ...AP_OFF };
      return AP_RESPONSE_DECONFIGURED;
    case 'CHECKSTOPPED':
      host.vfio.ap[q.idx] = { ...AP_OFF };
      return AP_RESPONSE_CHECKSTOPPED;
    case 'INVALID':
      return AP_RESPONSE_Q_NOT_AVAIL;
  }
}

/** TAPQ answered `answer`; DONE: the reset completed, interruptions are off. */
function ap_tapq(host: Host, q: VfioApQueue, answer: TapqAnswer): number {
  switch (answer) {
    case 'BUSY':
      return AP_RESPONSE_BUSY;
    case 'DONE':
      if (host.vfio.ap[q.idx]!.resetting) host.vfio.ap[q.idx] = { ...AP_OFF };
      return AP_RESPONSE_NORMAL;
    case 'ASSOC':
      return AP_RESPONSE_ASSOC_FAILED;
    case 'INVALID':
      return AP_RESPONSE_Q_NOT_AVAIL;
  }
}

/** The AP sets the NIB byte and makes the guest ISC pending in the GISA it was given. */
export function apAdapterInterruption(host: Host, qi: number): void {
  const fw = host.vfio.ap[qi];
  if (!fw?.irq) return;
  if (!host.life.isPinned(fw.nib)) host.life.report({ q: qi }, 'NIB_WRITE_UNPINNED');
  millicodeAdapterInterruption(host, fw.gisaAddr, fw.gisc);
}

/** PQAP(ZAPQ) by the guest: the AP resets the queue; vfio_ap does not see it. */
export function guestZapq(host: Host, qi: number): void {
  const q = host.vfio.queues[qi];
  if (!q) return;
  if (!host.vfio.guest) return ap_zapq(host, q);
  // guestReset: the reset runs on in the AP until it completes, which may present interruptions until then
  host.vfio.ap[qi]!.resetting = true;
  queueResetUnderGuest(host, qi);
}

// --- GISC calls and pins as made by vfio_ap for a queue, through the kvm pointer it holds ---

/** A GISC call through matrix_mdev->kvm: NULL or freed struct kvm is reported against the queue. */
function kvmUsable(host: Host, q: VfioApQueue, kvm: Kvm | null): kvm is Kvm {
  if (kvm && kvm.destroy !== 'freed') return true;
  host.life.report({ q: q.idx }, 'GISC_CALL_AFTER_FREE');
  return false;
}

function giscUnregisterFor(host: Host, q: VfioApQueue, kvm: Kvm | null, isc: number, iova: number): number {
  if (!kvmUsable(host, q, kvm)) return EINVAL;
  const rc = kvm_s390_gisc_unregister(host, kvm, isc);
  if (rc === EINVAL) host.life.report({ vm: kvm.idx }, 'GISC_UNREGISTER_UNBALANCED');
  if (rc === 0) host.life.unbindGisc(iova);
  return rc;
}

function vfio_pin_pages(host: Host, q: VfioApQueue, iova: number): void {
  host.life.pin(q.idx, iova);
}

function vfio_unpin_pages(host: Host, q: VfioApQueue, iova: number): void {
  host.life.unpin(q.idx, iova);
}

// --- upstream (v6.17-rc4) ---

// vfio_ap_ops.c vfio_ap_free_aqic_resources
function vfio_ap_free_aqic_resources(host: Host, q: VfioApQueue): void {
  const kvm = host.vfio.mdev.kvm;
  if (q.saved_isc !== VFIO_AP_ISC_INVALID && q.matrix_mdev && kvm) {
    giscUnregisterFor(host, q, kvm, q.saved_isc, q.saved_iova);
    q.saved_isc = VFIO_AP_ISC_INVALID;
  }
  if (q.saved_iova && q.matrix_mdev) {
    vfio_unpin_pages(host, q, q.saved_iova);
    q.saved_iova = 0;
  }
}

/** One ap_aqic(ir=0) answered as `off` says: BUSY_EXHAUSTED keeps answering BUSY, NOT_OPER DECONFIGURED, else NORMAL (IR_STUCK: the IR bit stays set). */
function ap_aqic_off(host: Host, q: VfioApQueue, off: AqicOff): number {
  if (off === 'BUSY_EXHAUSTED') return AP_RESPONSE_BUSY;
  // AQIC ir=0 completes no reset the guest's ZAPQ started (guestReset)
  if (off !== 'IR_STUCK') host.vfio.ap[q.idx] = { ...AP_OFF, resetting: !!host.vfio.guest && host.vfio.ap[q.idx]!.resetting };
  return off === 'NOT_OPER' ? AP_RESPONSE_DECONFIGURED : AP_RESPONSE_NORMAL;
}

/** ap_tapq(apqn, NULL) in vfio_ap_wait_for_irqclear: the response code and status.irq_enabled. */
function ap_tapq_irq(host: Host, q: VfioApQueue, off: AqicOff): { rc: number; irq_enabled: boolean } {
  if (off === 'TAPQ_FAILED') return { rc: AP_RESPONSE_Q_NOT_AVAIL, irq_enabled: false };
  return { rc: AP_RESPONSE_NORMAL, irq_enabled: host.vfio.ap[q.idx]!.irq };
}

// vfio_ap_ops.c vfio_ap_wait_for_irqclear
function vfio_ap_wait_for_irqclear(host: Host, q: VfioApQueue, off: AqicOff): void {
  let retry = 5;
  do {
    const status = ap_tapq_irq(host, q, off);
    switch (status.rc) {
      case AP_RESPONSE_NORMAL:
      case AP_RESPONSE_RESET_IN_PROGRESS:
        if (!status.irq_enabled) return;
        break; // fallthrough to BUSY: msleep(20)
      case AP_RESPONSE_BUSY:
        break; // msleep(20)
      default:
        return; // WARN_ONCE "tapq rc"
    }
  } while (--retry);
  // WARN_ONCE "could not clear IR bit"
}

// vfio_ap_ops.c vfio_ap_irq_disable: ap_aqic(ir=0) retried on BUSY / RESET_IN_PROGRESS, then free on every ending
function vfio_ap_irq_disable(host: Host, q: VfioApQueue, off: AqicOff = 'NORMAL'): number {
  let status = AP_RESPONSE_NORMAL;
  let retries = 5;
  end_free: {
    do {
      status = ap_aqic_off(host, q, off);
      switch (status) {
        case AP_RESPONSE_OTHERWISE_CHANGED:
        case AP_RESPONSE_NORMAL:
          vfio_ap_wait_for_irqclear(host, q, off);
          break end_free;
        case AP_RESPONSE_RESET_IN_PROGRESS:
        case AP_RESPONSE_BUSY:
          break; // msleep(20)
        default:
          break end_free; // WARN_ONCE: AP not operational
      }
    } while (retries--);
    // WARN_ONCE "ap_aqic status"
  }
  vfio_ap_free_aqic_resources(host, q);
  return status;
}

// vfio_ap_ops.c vfio_ap_irq_enable: returns status.response_code
function vfio_ap_irq_enable(host: Host, q: VfioApQueue, isc: number, outcome: AqicOutcome): number {
  // vfio_ap_validate_nib
  if (outcome === 'NIB_INVALID') return AP_RESPONSE_INVALID_ADDRESS;
  const nib = nextNib(q);
  if (outcome === 'PIN_FAILED') return AP_RESPONSE_INVALID_ADDRESS;
  vfio_pin_pages(host, q, nib);
  // "NIB in non-shared storage is a rc 6 for PV guests": ensure_nib_shared's uv_pin_shared fails (the event's outcome)
  if (host.vfio.guestStatus?.pv && outcome === 'NIB_NOT_SHARED') {
    vfio_unpin_pages(host, q, nib);
    return AP_RESPONSE_INVALID_ADDRESS;
  }
  const kvm = host.vfio.mdev.kvm;
  if (!kvmUsable(host, q, kvm)) return AP_RESPONSE_INVALID_ADDRESS;
  const gisa = kvm.arch.gisa_int.origin;
  const nisc = kvm_s390_gisc_register(host, kvm, isc);
  if (nisc < 0) {
    vfio_unpin_pages(host, q, nib);
    return AP_RESPONSE_INVALID_ADDRESS;
  }
  host.life.bindGisc(nib, kvm.idx, isc);
  const status = ap_aqic(host, q, 1, gisa ? gisa.addr : 0, isc, nib, outcome);
  switch (status) {
    case 'NORMAL':
      vfio_ap_free_aqic_resources(host, q);
      q.saved_iova = nib;
      q.saved_isc = isc;
      break;
    case 'OTHERWISE_CHANGED':
      giscUnregisterFor(host, q, kvm, isc, nib);
      vfio_unpin_pages(host, q, nib);
      break;
    default:
      vfio_ap_irq_disable(host, q);
  }
  return aqicCode(status);
}

// vfio_ap_ops.c apq_status_check
function apq_status_check(status: number): number {
  switch (status) {
    case AP_RESPONSE_NORMAL:
    case AP_RESPONSE_DECONFIGURED:
    case AP_RESPONSE_CHECKSTOPPED:
      return 0;
    case AP_RESPONSE_RESET_IN_PROGRESS:
    case AP_RESPONSE_BUSY:
      return EBUSY;
    case AP_RESPONSE_ASSOC_SECRET_NOT_UNIQUE:
    case AP_RESPONSE_ASSOC_FAILED:
      return EAGAIN;
    default:
      return EIO; // WARN "failed to verify reset of queue"
  }
}

/** The class of a response code by vfio_ap_mdev_reset_queue's switch: 0, the codes it queues the work for, those it frees at once for, any other. */
export function responseClass(rc: number): 'NORMAL' | 'IN_PROGRESS' | 'DECONFIGURED' | 'INVALID' {
  if (rc === AP_RESPONSE_NORMAL) return 'NORMAL';
  if (resetInProgress(rc)) return 'IN_PROGRESS';
  return rc === AP_RESPONSE_DECONFIGURED || rc === AP_RESPONSE_CHECKSTOPPED ? 'DECONFIGURED' : 'INVALID';
}

/** q->reset_status.response_code says the ZAPQ has not finished: apq_reset_check issues it again once TAPQ answers 0. */
function resetInProgress(rc: number): boolean {
  return rc === AP_RESPONSE_RESET_IN_PROGRESS || rc === AP_RESPONSE_BUSY || rc === AP_RESPONSE_STATE_CHANGE_IN_PROGRESS;
}

/** The observable state of q->reset_work: not queued, or queued after a ZAPQ that finished or is still in progress. */
export function resetWorkOf(q: VfioApQueue): 'idle' | 'zapped' | 'in-progress' {
  return !q.reset_work ? 'idle' : resetInProgress(q.reset_status) ? 'in-progress' : 'zapped';
}

/**
 * vfio_ap_ops.c apq_reset_check: one pass of its loop (msleep, ap_tapq, apq_status_check) with
 * TAPQ answering `tapq` and, when the loop issues ZAPQ again, ZAPQ answering `zapq`.
 */
export function apq_reset_check(host: Host, q: VfioApQueue, tapq: TapqAnswer, zapq: ZapqAnswer = 'NORMAL'): void {
  const status = ap_tapq(host, q, tapq);
  const ret = apq_status_check(status);
  if (ret === EIO) {
    q.reset_work = false;
    return;
  }
  if (ret === EBUSY) return; // pr_notice_ratelimited(WAIT_MSG ...), loop
  if (resetInProgress(q.reset_status) || ret === EAGAIN) {
    q.reset_status = ap_zapq_answer(host, q, zapq);
    return; // continue
  }
  if (q.saved_isc !== VFIO_AP_ISC_INVALID) vfio_ap_free_aqic_resources(host, q);
  q.reset_work = false; // break
}

/**
 * vfio_ap_ops.c vfio_ap_mdev_reset_queue: ZAPQ answered `zapq`; without it (no AP answers, or
 * the remove's reset) ZAPQ answers NORMAL and the queued reset_work runs to its end at once
 * (TAPQ shows the reset done), as flush_work right after it waits for.
 */
function vfio_ap_mdev_reset_queue(host: Host, q: VfioApQueue, zapq?: ZapqAnswer): void {
  let status: number;
  if (zapq === undefined) {
    ap_zapq(host, q);
    status = AP_RESPONSE_NORMAL;
  } else status = ap_zapq_answer(host, q, zapq);
  q.reset_status = status;
  switch (status) {
    case AP_RESPONSE_NORMAL:
    case AP_RESPONSE_RESET_IN_PROGRESS:
    case AP_RESPONSE_BUSY:
    case AP_RESPONSE_STATE_CHANGE_IN_PROGRESS:
      q.reset_work = true; // queue_work(system_long_wq, &q->reset_work)
      break;
    case AP_RESPONSE_DECONFIGURED:
    case AP_RESPONSE_CHECKSTOPPED:
      vfio_ap_free_aqic_resources(host, q);
      break;
    default:
      break; // WARN "PQAP/ZAPQ ... failed with invalid rc"
  }
  if (zapq === undefined && q.reset_work) apq_reset_check(host, q, 'DONE');
}

/** The queues of the mdev's qtable (linked and not removed). */
function qtable(host: Host): VfioApQueue[] {
  return host.vfio.queues.filter((q) => q.matrix_mdev && !q.removed);
}

// vfio_ap_ops.c vfio_ap_mdev_reset_queues, first loop: reset every queue of the qtable
function vfio_ap_mdev_reset_queues(host: Host, zapq?: ZapqAnswer): void {
  for (const q of qtable(host)) vfio_ap_mdev_reset_queue(host, q, zapq);
}

/** vfio_ap_mdev_reset_queues' second loop: flush_work(&q->reset_work) returns only once no reset_work is queued. */
function flushed(host: Host): boolean {
  return qtable(host).every((q) => !q.reset_work);
}

/** vfio_ap_mdev_reset_queues' second loop, once flush_work(&q->reset_work) returned for every queue: -EIO if a stored response code is not 0. */
function vfio_ap_mdev_reset_queues_ret(host: Host): number {
  let ret = 0;
  for (const q of qtable(host)) {
    // flush_work(&q->reset_work): the caller waited until no reset_work is queued
    if (q.reset_status) ret = EIO;
  }
  return ret;
}

/** mutex_unlock(&matrix_dev->mdevs_lock); return ret: what VFIO_DEVICE_RESET hands userspace. */
function deviceResetReturned(host: Host, rc: number): void {
  host.vfio.mdev.resetting = false;
  host.vfio.mdev.resetRc = rc;
}

/**
 * vfio_ap_ops.c vfio_ap_mdev_ioctl, case VFIO_DEVICE_RESET (under mdevs_lock): ret = vfio_ap_mdev_reset_queues(matrix_mdev),
 * ZAPQ answering `zapq`; a queued reset_work keeps it in flush_work (vfio_ap_mdev_ioctl_flushed returns later).
 */
export function vfio_ap_mdev_ioctl_reset(host: Host, zapq?: ZapqAnswer): void {
  const { mdev } = host.vfio;
  vfio_ap_mdev_reset_queues(host, host.vfio.answers ? zapq : undefined);
  if (!flushed(host)) {
    mdev.resetting = true; // flush_work waits for a queued apq_reset_check
    mdev.resetRc = null;
    return;
  }
  deviceResetReturned(host, vfio_ap_mdev_reset_queues_ret(host));
}

/** VFIO_DEVICE_RESET's flush_work returned for every queue: the rest of vfio_ap_mdev_reset_queues, mutex_unlock, the return. */
export function vfio_ap_mdev_ioctl_flushed(host: Host): void {
  if (!flushed(host)) return;
  deviceResetReturned(host, vfio_ap_mdev_reset_queues_ret(host));
}

// --- v5.3 (ec89b55e3bce) ---

/** v5.3 vfio_ap_free_aqic_resources: unregister through q->matrix_mdev->kvm, unpin, reset both fields. */
function free_aqic_resources_v53(host: Host, q: VfioApQueue): void {
  const kvm = host.vfio.mdev.kvm;
  if (q.saved_isc !== VFIO_AP_ISC_INVALID && q.matrix_mdev) giscUnregisterFor(host, q, kvm, q.saved_isc, q.saved_iova);
  if (q.saved_iova && q.matrix_mdev) vfio_unpin_pages(host, q, q.saved_iova);
  q.saved_iova = 0;
  q.saved_isc = VFIO_AP_ISC_INVALID;
}

/** v5.3 vfio_ap_irq_disable: AQIC(ir=0), free, q->matrix_mdev = NULL. */
function irq_disable_v53(host: Host, q: VfioApQueue): void {
  ap_aqic(host, q, 0, 0, 0, 0, 'NORMAL');
  free_aqic_resources_v53(host, q);
  q.matrix_mdev = false;
}

/** v5.3 vfio_ap_irq_enable: the pin, an unchecked kvm_s390_gisc_register, then ap_aqic. */
function irq_enable_v53(host: Host, q: VfioApQueue, isc: number, outcome: AqicOutcome): void {
  const nib = nextNib(q);
  if (outcome === 'PIN_FAILED' || outcome === 'NIB_INVALID') return;
  vfio_pin_pages(host, q, nib);
  const kvm = host.vfio.mdev.kvm;
  if (!kvmUsable(host, q, kvm)) return;
  const gisa = kvm.arch.gisa_int.origin;
  if (kvm_s390_gisc_register(host, kvm, isc) >= 0) host.life.bindGisc(nib, kvm.idx, isc);
  const status = ap_aqic(host, q, 1, gisa ? gisa.addr : 0, isc, nib, outcome);
  switch (status) {
    case 'NORMAL':
      free_aqic_resources_v53(host, q);
      q.saved_iova = nib;
      q.saved_isc = isc;
      break;
    case 'OTHERWISE_CHANGED':
      vfio_unpin_pages(host, q, nib);
      giscUnregisterFor(host, q, kvm, isc, nib);
      break;
    default:
      irq_disable_v53(host, q);
  }
}

// --- aqic-v4 (2019-02-22 series) ---

/** aqic-v4 vfio_ap_free_irq: unpin first, then unregister q->isc (ISC 0 counts as none). */
function free_irq_v4(host: Host, q: VfioApQueue): void {
  if (q.v4.g_pfn) vfio_unpin_pages(host, q, q.v4.g_pfn);
  if (q.v4.isc) giscUnregisterFor(host, q, host.vfio.mdev.kvm, q.v4.isc, q.v4.g_pfn);
  q.v4 = { nib: 0, isc: 0, g_pfn: 0 };
}

/** aqic-v4 vfio_ap_setirq; the status it returns is 'NORMAL' for response code 0. */
function setirq_v4(host: Host, q: VfioApQueue, outcome: AqicOutcome): AqicOutcome {
  const kvm = host.vfio.mdev.kvm;
  if (!kvmUsable(host, q, kvm)) return 'OTHER';
  const gisa = kvm.arch.gisa_int.origin;
  const g_pfn = q.v4.nib;
  // vfio_pin_pages: -EINVAL (invalid NIB) -> rc 06; any other error would return the zeroed
  // status (rc 00); the spec's PIN_FAILED is the -EINVAL / -E2BIG case, so both give rc 06
  if (outcome === 'NIB_INVALID' || outcome === 'PIN_FAILED') return 'OTHER';
  vfio_pin_pages(host, q, g_pfn);
  if (kvm_s390_gisc_register(host, kvm, q.v4.isc) >= 0) host.life.bindGisc(g_pfn, kvm.idx, q.v4.isc);
  // aqic_gisa.gisa = gisa->next_alert >> 4
  const gisaAddr = gisa ? nextAlert(gisa.word0) : 0;
  const status = ap_aqic(host, q, 1, gisaAddr, q.v4.isc, g_pfn, outcome);
  switch (status) {
    case 'NORMAL':
      if (q.v4.g_pfn) vfio_unpin_pages(host, q, q.v4.g_pfn);
      q.v4.g_pfn = g_pfn;
      break;
    case 'OTHERWISE_CHANGED':
      vfio_unpin_pages(host, q, g_pfn);
      break;
    default:
      free_irq_v4(host, q);
  }
  return status;
}

/** aqic-v4 vfio_ap_clrirq: one AQIC(ir=0); response 0 frees. */
function clrirq_v4(host: Host, q: VfioApQueue): void {
  if (ap_aqic(host, q, 0, 0, 0, 0, 'NORMAL') === 'NORMAL') free_irq_v4(host, q);
}

/** aqic-v4 vfio_ap_mdev_reset_queue: ZAPQ answers NORMAL, then vfio_ap_free_irq. */
function reset_queue_v4(host: Host, q: VfioApQueue): void {
  ap_zapq(host, q);
  free_irq_v4(host, q);
}

// --- entry points ---

/** The VM whose guest runs with this mdev's PQAP hook installed, if any. */
function hookKvm(host: Host): Kvm | null {
  return host.kvms.find((k) => k.arch.pqap_hook && k.destroy === 'alive') ?? null;
}

/**
 * PQAP(AQIC) intercepted: priv.c handle_pqap -> vfio_ap handle_pqap (upstream and v5.3 need the
 * hook; upstream also matrix_mdev->kvm). Upstream: the status the guest finds in GR1 is checked
 * against what the AP then does (a 0 promises interruptions on the ISC asked for, or none).
 */
export function handle_pqap(host: Host, qi: number, ir: 0 | 1, isc: number, outcome: AqicOutcome, off?: AqicOff): void {
  const { mdev } = host.vfio;
  const q = host.vfio.queues[qi];
  if (!q || !hookKvm(host) || !queueAssigned(q)) return; // rc 01 to the guest
  switch (host.design.aqic) {
    case 'upstream': {
      if (!mdev.kvm) return; // rc 01
      const rc = ir ? vfio_ap_irq_enable(host, q, isc & 0x07, outcome) : vfio_ap_irq_disable(host, q, off);
      guestGr1(host, q.idx, ir, isc, rc);
      const fw = host.vfio.ap[q.idx]!;
      if (rc === AP_RESPONSE_NORMAL && (ir ? !(fw.irq && fw.gisc === (isc & 0x07)) : fw.irq)) host.life.report({ q: q.idx }, 'GUEST_TOLD_SUCCESS');
      return;
    }
    case 'v5.3':
      q.matrix_mdev = true; // vfio_ap_get_queue
      if (ir) irq_enable_v53(host, q, isc & 0x07, outcome);
      else irq_disable_v53(host, q);
      return;
    case 'aqic-v4':
      if (ir) {
        q.v4.isc = isc & 0x07;
        q.v4.nib = nextNib(q);
        if (setirq_v4(host, q, outcome) !== 'NORMAL') {
          q.v4.nib = 0;
          q.v4.isc = 0;
        }
      } else clrirq_v4(host, q);
      return;
  }
}

/** -EOPNOTSUPP (include/uapi/asm-generic/errno.h 95) */
const EOPNOTSUPP = 95;

/**
 * vfio_ap_ops.c handle_pqap (v6.17-rc4) as the hook, with the guest's GR1 as a 64-bit register (guestStatus): returns the
 * hook's return value and GR1 afterwards.
 */
function vfio_ap_handle_pqap(host: Host, kvm: Kvm, qi: number, gprs1: bigint, off?: AqicOff, outcome: AqicOutcome = 'NORMAL'): { ret: number; gprs1: bigint } {
  // if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP; (kvm_s390_vcpu_setup sets ECA_AIV with the GISA descriptor)
  if (!kvm.arch.gisa_int.origin) return { ret: -EOPNOTSUPP, gprs1 };
  let qstatus = AP_RESPONSE_Q_NOT_AVAIL; // struct ap_queue_status qstatus = { .response_code = AP_RESPONSE_Q_NOT_AVAIL, }
  const q = host.vfio.queues[qi]!;
  // if (!matrix_mdev->kvm) / q = vfio_ap_mdev_get_queue(): goto out_unlock (the re-test of the hook under mdevs_lock passes:
  // priv.c just read it and nothing runs between here, as in the coarse machine; pqap-close has the window)
  if (host.vfio.mdev.kvm && queueAssigned(q)) {
    const status = gprs1;
    // if ((status >> (63 - 16)) & 0x01): vfio_ap_irq_enable(q, status & 0x07, vcpu), else vfio_ap_irq_disable(q)
    if ((status >> BigInt(63 - 16)) & 1n) qstatus = vfio_ap_irq_enable(host, q, Number(status & 0x07n), outcome);
    else qstatus = vfio_ap_irq_disable(host, q, off);
  }
  // out_unlock: memcpy(&vcpu->run->s.regs.gprs[1], &qstatus, sizeof(qstatus)); vcpu->run->s.regs.gprs[1] >>= 32;
  gprs1 = memcpyStatus(gprs1, qstatus) >> 32n;
  return { ret: 0, gprs1 };
}

/** memcpy of a 4-byte struct ap_queue_status (response_code in its second byte) to the start of a big-endian 64-bit register: GR1 bits 0-31. */
function memcpyStatus(gprs1: bigint, responseCode: number): bigint {
  const word = BigInt((responseCode & 0xff) << 16);
  return (word << 32n) | (gprs1 & 0xffffffffn);
}

/**
 * priv.c handle_pqap (v6.17-rc4) for PQAP(AQIC) from the guest of the VM the hook is set for (else VM 0), guestStatus
 * configurations: the guest's GR1 holds its AQIC operand as a Linux guest's ap_queue_enable_irq builds it (union
 * ap_qirq_ctrl: ir in bit 16, isc in bits 61-63, the rest 0), and it reads the result as ap_aqic does, the status word in
 * bits 32-63 (union ap_queue_status_reg), its response code in bits 40-47.
 */
export function priv_handle_pqap(host: Host, qi: number, ir: 0 | 1, isc: number, outcome: AqicOutcome, off?: AqicOff): void {
  const gs = host.vfio.guestStatus!;
  const kvm = hookKvm(host) ?? host.kvms[0]!;
  const view = host.vfio.guest![qi]!;
  const seen = (what: string): void => {
    view.gr1 = what;
    view.told = ir && what.endsWith(' rc00') ? isc & 0x07 : VFIO_AP_ISC_INVALID;
  };
  let gprs1 = (BigInt(ir) << BigInt(63 - 16)) | BigInt(isc & 0x07);
  // if (!(vcpu->arch.sie_block->eca & ECA_APIE)) return -EOPNOTSUPP;
  if (!kvm.arch.crypto_apie) return seen('USERSPACE');
  // if (!test_kvm_facility(vcpu->kvm, 65)) return kvm_s390_inject_program_int(vcpu, PGM_SPECIFICATION);
  if (!gs.fac65) return seen('PGM_SPECIFICATION');
  let cc: number;
  if (kvm.arch.pqap_hook) {
    const r = vfio_ap_handle_pqap(host, kvm, qi, gprs1, off, outcome);
    if (r.ret) return seen('USERSPACE');
    gprs1 = r.gprs1;
    cc = gprs1 & 0x00ff0000n ? 3 : 0; // if (vcpu->run->s.regs.gprs[1] & 0x00ff0000) kvm_s390_set_psw_cc(vcpu, 3) else 0
  } else {
    // status.response_code = 0x01; memcpy(&vcpu->run->s.regs.gprs[1], &status, sizeof(status)); kvm_s390_set_psw_cc(vcpu, 3);
    gprs1 = memcpyStatus(gprs1, AP_RESPONSE_Q_NOT_AVAIL);
    cc = 3;
  }
  const rc = Number((gprs1 >> 16n) & 0xffn);
  seen(`cc${cc} rc${rc.toString(16).padStart(2, '0')}`);
}

/**
 * kvm-s390.c kvm_s390_vm_set_crypto(KVM_S390_VM_CRYPTO_ENABLE_APIE / DISABLE_APIE) under kvm->lock: crypto.apie, then
 * kvm_s390_vcpu_crypto_reset_all (block_all, kvm_s390_vcpu_crypto_setup of every vcpu: ECA_APIE as crypto.apie, unblock).
 */
export function kvm_s390_vm_set_crypto(kvm: Kvm, enable: boolean): void {
  kvm.arch.crypto_apie = enable;
}

/** assign_adapter_store / assign_domain_store; the queue is linked to the mdev once both are assigned. */
export function assignStore(host: Host, qi: number, what: 'adapter' | 'domain'): boolean {
  const q = host.vfio.queues[qi];
  // upstream hot-plugs an assignment into the running guest (not transcribed: assignment only while the mdev is closed);
  // v5.3 and aqic-v4 (v5.0..v5.12 assign_adapter_store, assign_domain_store): if (matrix_mdev->kvm) return -EBUSY
  const busy = host.design.aqic === 'upstream' ? host.vfio.mdev.open || host.vfio.mdev.unsetting : host.vfio.mdev.kvm !== null;
  if (!q || q.removed || busy) return false;
  if (what === 'adapter' ? q.apidAssigned : q.apqiAssigned) return false;
  if (what === 'adapter') q.apidAssigned = true;
  else q.apqiAssigned = true;
  // vfio_ap_mdev_link_apqn (upstream); v5.3 links at PQAP time, aqic-v4 moves it to qlist
  if (queueAssigned(q) && host.design.aqic !== 'v5.3') q.matrix_mdev = true;
  return true;
}

// vfio_ap_ops.c vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm (v5.3: group notifier SET_KVM; aqic-v4: no reference)
export function vfio_ap_mdev_open_device(host: Host, kvm: Kvm): void {
  const { mdev } = host.vfio;
  mdev.open = true;
  kvm.arch.pqap_hook = true;
  if (host.design.aqic !== 'aqic-v4') {
    kvm_get_kvm(kvm);
    mdev.kvmRef = true;
  }
  mdev.kvm = kvm;
}

// vfio_ap_ops.c vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm (v5.3: vfio_ap_mdev_release; aqic-v4: its release)
export function vfio_ap_mdev_close_device(host: Host, zapq?: ZapqAnswer): void {
  const { mdev } = host.vfio;
  mdev.open = false;
  const kvm = mdev.kvm;
  switch (host.design.aqic) {
    case 'upstream':
      if (!kvm) return;
      kvm.arch.pqap_hook = false;
      vfio_ap_mdev_reset_queues(host, host.vfio.answers ? zapq : undefined);
      if (!flushed(host)) {
        mdev.unsetting = true; // flush_work waits for a queued apq_reset_check
        return;
      }
      dropKvm(host, kvm);
      return;
    case 'v5.3':
      if (!kvm) return;
      kvm.arch.pqap_hook = false;
      for (const q of host.vfio.queues) {
        if (!queueAssigned(q)) continue;
        ap_zapq(host, q); // vfio_ap_mdev_reset_queue(apid, apqi, 1)
        irq_disable_v53(host, q); // vfio_ap_irq_disable_apqn
      }
      dropKvm(host, kvm);
      return;
    case 'aqic-v4': {
      for (const q of host.vfio.queues) if (queueAssigned(q)) reset_queue_v4(host, q);
      // matrix_mdev->kvm->arch.crypto.pqap_hook = NULL: unconditional dereference
      const hooked = host.kvms.find((k) => k.arch.pqap_hook);
      if (!kvm || kvm.destroy === 'freed') {
        if (hooked) host.life.report({ vm: hooked.idx }, 'GISC_CALL_AFTER_FREE');
      } else kvm.arch.pqap_hook = false;
      mdev.kvm = null;
      return;
    }
  }
}

/** flush_work returned for every queue: the rest of vfio_ap_mdev_unset_kvm (kvm_put_kvm, matrix_mdev->kvm = NULL). */
export function vfio_ap_mdev_unset_kvm_flushed(host: Host): void {
  const { mdev } = host.vfio;
  if (!mdev.unsetting || !flushed(host)) return;
  mdev.unsetting = false;
  if (mdev.kvm) dropKvm(host, mdev.kvm);
}

/** kvm_put_kvm(kvm); matrix_mdev->kvm = NULL */
function dropKvm(host: Host, kvm: Kvm): void {
  const { mdev } = host.vfio;
  mdev.kvmRef = false;
  mdev.kvm = null;
  kvm_put_kvm(kvm);
}

/** v5.3 / aqic-v4 group notifier with data == NULL, sent by kvm-vfio's destroy: only matrix_mdev->kvm = NULL. */
export function vfioGroupNotifySetKvmNull(host: Host, kvm: Kvm): void {
  if (host.vfio.mdev.kvm === kvm) host.vfio.mdev.kvm = null;
}

/**
 * vfio_ap_ops.c vfio_ap_mdev_remove_queue: reset the queue and flush its reset_work (freeing its
 * AQIC resources), unlink, kfree. `hostConfig` 'gone': the APQN left the host's AP configuration
 * first (the AP presents nothing; vfio_ap_on_cfg_changed took it out of the guest's APCB), so the
 * test_bit_inv of matrix_dev->info skips the reset.
 */
export function vfio_ap_mdev_remove_queue(host: Host, qi: number, hostConfig: 'present' | 'gone' = 'present'): void {
  const q = host.vfio.queues[qi];
  if (!q || q.removed || host.vfio.mdev.unsetting) return; // get_update_locks_for_queue waits for the close
  switch (host.design.aqic) {
    case 'upstream':
      if (hostConfig === 'gone') host.vfio.ap[q.idx] = { ...AP_OFF };
      else vfio_ap_mdev_reset_queue(host, q);
      break;
    case 'v5.3':
      ap_zapq(host, q);
      irq_disable_v53(host, q);
      break;
    case 'aqic-v4':
      reset_queue_v4(host, q);
      break;
  }
  q.matrix_mdev = false;
  q.removed = true;
}
