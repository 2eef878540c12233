// SUT: vfio_ap's PQAP(AQIC) handling and KVM attach/detach, drivers/s390/crypto/vfio_ap_ops.c,
// transcribed from v6.17-rc4 (Kingxukai/linux 9b44fff655e2), plus the two older designs of
// research/aqic-v4-vs-merged.md selected by Design.aqic: 'v5.3' (ec89b55e3bce, group notifier,
// release) and 'aqic-v4' (Pierre Morel's v4 series of 2019-02-22: vfio_ap_setirq/clrirq/free_irq,
// no KVM reference). Also the AP firmware side of each queue (not C code).
// Transcribed (upstream): handle_pqap, vfio_ap_irq_enable, vfio_ap_irq_disable,
// vfio_ap_free_aqic_resources, vfio_ap_mdev_reset_queue (+ apq_reset_check, flushed at once),
// vfio_ap_mdev_reset_queues, vfio_ap_mdev_set_kvm, vfio_ap_mdev_unset_kvm,
// vfio_ap_mdev_open_device, vfio_ap_mdev_close_device, vfio_ap_mdev_remove_queue,
// assign_adapter_store / assign_domain_store (the queue is linked once both are assigned).
// Not transcribed: the APCB/CRYCB masks, sysfs parsing, dynamic (re)configuration while open,
// more than one mdev, locks and the rwsem (every event is atomic), the retry loops (ap_aqic
// and ZAPQ answer at once, with the outcome the event gives), PV (ensure_nib_shared).
// Each AQIC(ir=1) uses a fresh NIB page of its queue so the tracker can tell pins apart.
import { EINVAL, kvm_s390_gisc_register, kvm_s390_gisc_unregister, millicodeAdapterInterruption, nextAlert } from './gisa.ts';
import type { Host, Kvm } from './kvm.ts';
import { kvm_get_kvm, kvm_put_kvm } from './kvm.ts';

export type AqicOutcome = 'NORMAL' | 'OTHERWISE_CHANGED' | 'OTHER' | 'PIN_FAILED' | 'NIB_INVALID';

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
}

/** What the AP firmware holds for a queue after AQIC. */
export interface ApFirmwareQueue {
  irq: boolean;
  /** aqic_gisa.gisa << 4: the GISA address the AP makes interruptions pending in */
  gisaAddr: number;
  gisc: number;
  /** host NIB address (the pinned page) */
  nib: number;
}

/** struct ap_matrix_mdev (one mdev) */
export interface MatrixMdev {
  open: boolean;
  kvm: Kvm | null;
  /** vfio_ap holds a kvm_get_kvm reference on kvm */
  kvmRef: boolean;
}

export interface VfioAp {
  mdev: MatrixMdev;
  queues: VfioApQueue[];
  ap: ApFirmwareQueue[];
}

export function vfio_ap_probe(queues: number): VfioAp {
  return {
    mdev: { open: false, kvm: null, kvmRef: false },
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
    })),
    ap: Array.from({ length: queues }, () => ({ irq: false, gisaAddr: 0, gisc: 0, nib: 0 })),
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

function ap_aqic(host: Host, q: VfioApQueue, ir: 0 | 1, gisaAddr: number, gisc: number, nib: number, outcome: AqicOutcome): AqicOutcome {
  if (outcome !== 'NORMAL') return outcome;
  host.vfio.ap[q.idx] = ir ? { irq: true, gisaAddr, gisc, nib } : { irq: false, gisaAddr: 0, gisc: 0, nib: 0 };
  return 'NORMAL';
}

function ap_zapq(host: Host, q: VfioApQueue): void {
  host.vfio.ap[q.idx] = { irq: false, gisaAddr: 0, gisc: 0, nib: 0 };
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
  if (q) ap_zapq(host, q);
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

// vfio_ap_ops.c vfio_ap_irq_disable (ap_aqic answers NORMAL, vfio_ap_wait_for_irqclear succeeds)
function vfio_ap_irq_disable(host: Host, q: VfioApQueue): void {
  ap_aqic(host, q, 0, 0, 0, 0, 'NORMAL');
  vfio_ap_free_aqic_resources(host, q);
}

// vfio_ap_ops.c vfio_ap_irq_enable
function vfio_ap_irq_enable(host: Host, q: VfioApQueue, isc: number, outcome: AqicOutcome): void {
  // vfio_ap_validate_nib
  if (outcome === 'NIB_INVALID') return;
  const nib = nextNib(q);
  if (outcome === 'PIN_FAILED') return;
  vfio_pin_pages(host, q, nib);
  const kvm = host.vfio.mdev.kvm;
  if (!kvmUsable(host, q, kvm)) return;
  const gisa = kvm.arch.gisa_int.origin;
  const nisc = kvm_s390_gisc_register(host, kvm, isc);
  if (nisc < 0) {
    vfio_unpin_pages(host, q, nib);
    return;
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
}

// vfio_ap_ops.c vfio_ap_mdev_reset_queue, with apq_reset_check flushed: ZAPQ, then free after the reset
function vfio_ap_mdev_reset_queue(host: Host, q: VfioApQueue): void {
  ap_zapq(host, q);
  if (q.saved_isc !== VFIO_AP_ISC_INVALID) vfio_ap_free_aqic_resources(host, q);
}

// vfio_ap_ops.c vfio_ap_mdev_reset_queues
function vfio_ap_mdev_reset_queues(host: Host): void {
  for (const q of host.vfio.queues) if (q.matrix_mdev) vfio_ap_mdev_reset_queue(host, q);
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
  // vfio_pin_pages: -EINVAL (invalid NIB) -> rc 06; any other error -> the zeroed status, rc 00
  if (outcome === 'NIB_INVALID') return 'OTHER';
  if (outcome === 'PIN_FAILED') return 'NORMAL';
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

/** PQAP(AQIC) intercepted: priv.c handle_pqap -> vfio_ap handle_pqap (upstream and v5.3 need the hook; upstream also matrix_mdev->kvm). */
export function handle_pqap(host: Host, qi: number, ir: 0 | 1, isc: number, outcome: AqicOutcome): void {
  const { mdev } = host.vfio;
  const q = host.vfio.queues[qi];
  if (!q || !hookKvm(host) || !queueAssigned(q)) return; // rc 01 to the guest
  switch (host.design.aqic) {
    case 'upstream':
      if (!mdev.kvm) return;
      if (ir) vfio_ap_irq_enable(host, q, isc & 0x07, outcome);
      else vfio_ap_irq_disable(host, q);
      return;
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

/** assign_adapter_store / assign_domain_store; the queue is linked to the mdev once both are assigned. */
export function assignStore(host: Host, qi: number, what: 'adapter' | 'domain'): boolean {
  const q = host.vfio.queues[qi];
  if (!q || q.removed || host.vfio.mdev.open) return false;
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
export function vfio_ap_mdev_close_device(host: Host): void {
  const { mdev } = host.vfio;
  mdev.open = false;
  const kvm = mdev.kvm;
  switch (host.design.aqic) {
    case 'upstream':
      if (!kvm) return;
      kvm.arch.pqap_hook = false;
      vfio_ap_mdev_reset_queues(host);
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

// vfio_ap_ops.c vfio_ap_mdev_remove_queue: reset the queue (freeing its AQIC resources), unlink, kfree
export function vfio_ap_mdev_remove_queue(host: Host, qi: number): void {
  const q = host.vfio.queues[qi];
  if (!q || q.removed) return;
  switch (host.design.aqic) {
    case 'upstream':
      vfio_ap_mdev_reset_queue(host, q);
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
