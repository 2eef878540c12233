/**
 * struct vfio_ap_queue: an AP queue bound to vfio_ap, and what the AP firmware holds for it.
 *
 * Models: probe (the initial state: bound to vfio_ap, saved_isc = VFIO_AP_ISC_INVALID),
 * assignment of its APID and APQI to the matrix mdev (assign_adapter_store,
 * assign_domain_store, either order), PQAP(AQIC) as the guest issues it and handle_pqap
 * dispatches it: vfio_ap_irq_enable (validate the NIB, vfio_pin_pages,
 * kvm_s390_gisc_register, ap_aqic with the response code as payload) and
 * vfio_ap_irq_disable; the guest's own PQAP(ZAPQ), which the machine executes without
 * interception and which disables the AP's interruptions but leaves saved_isc and the
 * pinned NIB in place; vfio_ap_mdev_reset_queue (ZAPQ + vfio_ap_free_aqic_resources) as the
 * mdev's close and the queue's remove call it; vfio_ap_mdev_remove_queue; and the AP
 * raising an adapter interruption while its interruptions are enabled, which millicode makes
 * pending in the GISA the AP was given (a freed one is a use after free).
 * The PQAP outcomes the kernel cannot choose are payloads: NORMAL, OTHERWISE_CHANGED (07),
 * OTHER (any other ap_aqic response: 01..06, 08), PIN_FAILED (vfio_pin_pages != 1),
 * NIB_INVALID (vfio_ap_validate_nib).
 * The AQIC series as first posted (v4, Feb 2019) and the merged v5.3 code are factory
 * options (machines/design.ts: aqic).
 *
 * Ignores: APQN lookup failures (rc 01 without a queue), the guest's APCB and hot plug of
 * adapters into a running guest (assignment is modelled while the mdev is closed), PV
 * (ensure_nib_shared), s390dbf logging, the retry loops of ap_aqic/ZAPQ (a reset completes),
 * the asynchronous reset work of v6.6+ (flush_work makes it complete before unset_kvm goes
 * on), vfio_ap_mdev_dma_unmap, several queues per APID.
 *
 * Kernel: drivers/s390/crypto/vfio_ap_ops.c, vfio_ap_private.h, arch/s390/kvm/priv.c
 * (handle_pqap). Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2); v5.3 is ec89b55e3bce;
 * v4 is "[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control" (Pierre Morel, 2019-02-22).
 */
import { and } from 'xstate';
import { COUNT_CAP, FAULT, ISC_INVALID, type QueueContext, type SystemContext } from '../context.ts';
import type { Design } from '../design.ts';
import { kvm_s390_gisc_register, kvm_s390_gisc_unregister, gisa_adapter_interruption } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import { by, kernel, queueOf, type Args, type Ix } from '../lib.ts';

export type AqicOutcome = 'NORMAL' | 'OTHERWISE_CHANGED' | 'OTHER' | 'PIN_FAILED' | 'NIB_INVALID';

/** The VM whose struct kvm a call through matrix_mdev->kvm reaches; records a fault for NULL or freed. */
function kvmOfMdev(c: SystemContext, q: QueueContext): number {
  const vm = c.mdev.kvm;
  if (vm < 0 || c.vms[vm]!.freed) {
    q.faults |= FAULT.GISC_CALL_AFTER_FREE;
    return -1;
  }
  return vm;
}

function gisc_unregister_via_mdev(c: SystemContext, q: QueueContext, isc: number, d: Design): void {
  const vm = kvmOfMdev(c, q);
  if (vm >= 0) kvm_s390_gisc_unregister(c, vm, isc, d);
}

/** vfio_unpin_pages() of one NIB page; `stillRegistered`: its GISC is not unregistered yet. */
export function vfio_unpin_pages(q: QueueContext, stillRegistered: boolean): void {
  if (q.pins <= 0) q.faults |= FAULT.UNPIN_NOT_PINNED;
  else q.pins -= 1;
  if (stillRegistered) q.faults |= FAULT.UNPIN_BEFORE_UNREGISTER;
}

/** vfio_pin_pages() of the NIB page. */
function vfio_pin_pages(q: QueueContext): void {
  q.pins += 1;
}

/** vfio_ap_free_aqic_resources(): unregister the saved GISC, then unpin the saved NIB (v4: the other way round). */
export function vfio_ap_free_aqic_resources(c: SystemContext, qi: number, d: Design): void {
  const q = queueOf(c, qi);
  const isc = q.isc;
  if (d.aqic === 'aqic-v4') {
    if (q.nib) vfio_unpin_pages(q, true); // vfio_ap_free_irq: unpin first; the NIB's GISC is still registered
    if (isc !== ISC_INVALID) gisc_unregister_via_mdev(c, q, isc, d);
  } else {
    if (isc !== ISC_INVALID) gisc_unregister_via_mdev(c, q, isc, d);
    if (q.nib) vfio_unpin_pages(q, false);
  }
  q.isc = ISC_INVALID;
  q.nib = false;
}

/** The AP stops interrupting for the queue: AQIC ir=0 answered, or a ZAPQ reset. */
function ap_interruptions_off(q: QueueContext): void {
  q.irq = false;
  q.hwGisa = -1;
  q.hwIsc = ISC_INVALID;
}

/** ap_aqic(ir=0) + vfio_ap_free_aqic_resources: vfio_ap_irq_disable() (v4: vfio_ap_clrirq). */
export function vfio_ap_irq_disable(c: SystemContext, qi: number, d: Design): void {
  ap_interruptions_off(queueOf(c, qi));
  vfio_ap_free_aqic_resources(c, qi, d);
}

/** vfio_ap_irq_enable() (v4: vfio_ap_setirq) for guest ISC `isc` and the outcome the bounds chose. */
export function vfio_ap_irq_enable(c: SystemContext, qi: number, isc: number, outcome: AqicOutcome, d: Design): void {
  const q = queueOf(c, qi);
  aqic_enable(c, q, qi, isc, outcome, d);
  // v4 handle_pqap stored q->isc and q->nib before vfio_ap_setirq and zeroes them on any other response
  if (d.aqic === 'aqic-v4' && outcome !== 'NORMAL') q.isc = ISC_INVALID;
}

function aqic_enable(c: SystemContext, q: QueueContext, qi: number, isc: number, outcome: AqicOutcome, d: Design): void {
  if (outcome === 'NIB_INVALID' || outcome === 'PIN_FAILED') return; // rc 06 AP_RESPONSE_INVALID_ADDRESS
  vfio_pin_pages(q);
  const vm = kvmOfMdev(c, q);
  const nisc = vm >= 0 ? kvm_s390_gisc_register(c, vm, isc, d) : -1;
  if (nisc < 0 && d.aqic === 'upstream') {
    vfio_unpin_pages(q, false); // gisc registration failed: unpin, rc 06
    return;
  }
  switch (outcome) {
    case 'NORMAL':
      if (d.aqic === 'aqic-v4') {
        if (q.nib) vfio_unpin_pages(q, true); // the old GISC stays registered: never unregistered
      } else {
        vfio_ap_free_aqic_resources(c, qi, d); // see if we did clear older IRQ configuration
      }
      q.isc = isc;
      q.nib = true;
      q.irq = true;
      q.hwIsc = isc;
      // v4: aqic_gisa.gisa = gisa->next_alert >> 4, which is the GISA itself only while it is not
      // on the GIB alert list; listed, the AP gets the next list entry (NULL here): no GISA
      q.hwGisa = d.aqic === 'aqic-v4' && vm >= 0 && c.gib.list & (1 << vm) ? -1 : vm;
      return;
    case 'OTHERWISE_CHANGED':
      if (d.aqic === 'upstream') {
        if (vm >= 0) kvm_s390_gisc_unregister(c, vm, isc, d);
        vfio_unpin_pages(q, false);
      } else if (d.aqic === 'v5.3') {
        vfio_unpin_pages(q, true); // unpin first, then unregister
        if (vm >= 0) kvm_s390_gisc_unregister(c, vm, isc, d);
      } else {
        vfio_unpin_pages(q, true); // v4: the new GISC registration is never undone
      }
      return;
    case 'OTHER':
      if (d.aqic === 'aqic-v4') {
        // handle_pqap stored the new ISC in q->isc before vfio_ap_setirq; vfio_ap_free_irq then
        // unpins the saved (old) NIB, whose GISC is no longer in q->isc and stays registered,
        // and unregisters the new ISC; the new pin is never undone and the AP is not told
        if (q.nib) vfio_unpin_pages(q, true);
        if (vm >= 0) kvm_s390_gisc_unregister(c, vm, isc, d);
        q.isc = ISC_INVALID;
        q.nib = false;
        return;
      }
      vfio_ap_irq_disable(c, qi, d); // frees the saved resources, not the ones just taken
      return;
  }
}

/** vfio_ap_mdev_reset_queue(): ZAPQ (the AP stops interrupting), then the AQIC resources are freed. */
export function vfio_ap_mdev_reset_queue(c: SystemContext, qi: number, d: Design): void {
  ap_interruptions_off(queueOf(c, qi));
  vfio_ap_free_aqic_resources(c, qi, d);
}

export function queueImplementations(d: Design) {
  return {
    guards: {
      // the event is about this queue
      queue_mine: ({ event }: Args, ix: Ix) => event.q === ix.q,
      // the APQI is assigned already: this APID completes the APQN
      apqi_assigned: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).apqi,
      // the APID is assigned already: this APQI completes the APQN
      apid_assigned: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).apid,
      // assignment while the mdev is not in use by a guest
      matrix_mdev_closed: ({ context }: Args) => context.mdev.hook < 0 || context.vms[context.mdev.hook]!.freed,
      // the mdev is open: its close resets this queue
      matrix_mdev_open: ({ context }: Args) => context.mdev.hook >= 0,
      // a vcpu of the VM with the hook runs in SIE to issue PQAP (machines without vcpus: always);
      // priv.c handle_pqap: the pqap_hook is set; vfio_ap handle_pqap: matrix_mdev->kvm is set
      // (v4 had neither check and called through the hook the open installed)
      pqap_hook: ({ context }: Args) => {
        const vm = context.mdev.hook;
        if (vm < 0) return false;
        const k = context.vms[vm]!;
        const running = k.vcpus.length === 0 || k.vcpus.some((v) => v.inSie);
        return running && (d.aqic === 'aqic-v4' || context.mdev.kvm >= 0);
      },
      // the AP has interruptions enabled for this queue
      ap_irq_enabled: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).irq,
      // bounds: AQIC ir=1 only while the leaks it may add stay below COUNT_CAP (ir=0 always)
      bounds_aqic: ({ context, event }: Args, ix: Ix) => {
        if (event.ir !== 1) return true;
        const vm = context.mdev.kvm;
        const ref = vm >= 0 ? (context.vms[vm]!.gisa.ref[event.isc!] ?? 0) : 0;
        return queueOf(context, ix.q!).pins < COUNT_CAP - 1 && ref < COUNT_CAP - 1;
      },
      // PQAP(AQIC) ir=1 that ends with saved_isc set (response NORMAL after the pin and registration)
      aqic_enables: ({ context, event }: Args) =>
        event.ir === 1 && event.outcome === 'NORMAL' && (d.aqic !== 'upstream' || (context.mdev.kvm >= 0 && context.vms[context.mdev.kvm]!.gisa.origin)),
      // PQAP(AQIC) that ends with saved_isc invalid: ir=0, or ir=1 answered with another response
      // (v4: any response but NORMAL, since handle_pqap zeroes q->isc)
      aqic_disables: ({ event }: Args) => event.ir === 0 || event.outcome === 'OTHER' || (d.aqic === 'aqic-v4' && event.outcome !== 'NORMAL'),
    },
    actions: {
      // sysfs assign_adapter_store
      assign_adapter_store: kernel((c, _e, ix) => void (queueOf(c, ix.q!).apid = true)),
      // sysfs assign_domain_store
      assign_domain_store: kernel((c, _e, ix) => void (queueOf(c, ix.q!).apqi = true)),
      // vfio_ap_ops.c handle_pqap -> vfio_ap_irq_enable / vfio_ap_irq_disable
      handle_pqap: kernel((c, e, ix) => {
        if (e.ir === 1) vfio_ap_irq_enable(c, ix.q!, e.isc!, e.outcome as AqicOutcome, d);
        else vfio_ap_irq_disable(c, ix.q!, d);
      }),
      // the guest's PQAP(ZAPQ), executed by the machine: interruptions off, resources still saved
      PQAP_ZAPQ: kernel((c, _e, ix) => ap_interruptions_off(queueOf(c, ix.q!))),
      // the AP sets the NIB and millicode makes the interruption pending in the GISA it was given
      AP_ADAPTER_INTERRUPTION: kernel((c, _e, ix, fx) => {
        const q = queueOf(c, ix.q!);
        if (!q.nib) q.faults |= FAULT.NIB_WRITE_UNPINNED; // the NIB given to AQIC is the saved one
        if (q.hwGisa >= 0) gisa_adapter_interruption(c, q.hwGisa, q.hwIsc, fx);
      }),
      // vfio_ap_ops.c vfio_ap_mdev_remove_queue: reset (frees AQIC resources), unlink, kfree
      vfio_ap_mdev_remove_queue: kernel((c, _e, ix) => {
        const q = queueOf(c, ix.q!);
        if (q.irq || q.isc !== ISC_INVALID || q.nib) vfio_ap_mdev_reset_queue(c, ix.q!, d);
      }),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });
const g = (ix: Ix, ...names: string[]) => and([a('queue_mine', ix), ...names.map((n) => a(n, ix))]);

/** The region of queue `q`. */
export function queueRegion(q: number) {
  const ix = { q };
  const assignedOn = (target: string) => ({
    PQAP_ZAPQ: { guard: g(ix, 'pqap_hook'), actions: a('PQAP_ZAPQ', ix), ...by('guest') },
    AP_ADAPTER_INTERRUPTION: { guard: g(ix, 'ap_irq_enabled'), actions: a('AP_ADAPTER_INTERRUPTION', ix), ...by('hardware') },
    vfio_ap_mdev_remove_queue: { guard: a('queue_mine', ix), target: '#' + queueRemovedId(q), actions: a('vfio_ap_mdev_remove_queue', ix), ...by('userspace') },
    PQAP_AQIC: [
      { guard: g(ix, 'pqap_hook', 'bounds_aqic', 'aqic_enables'), target: 'aqic_enabled', actions: a('handle_pqap', ix), ...by('guest') },
      { guard: g(ix, 'pqap_hook', 'bounds_aqic', 'aqic_disables'), target: 'aqic_disabled', actions: a('handle_pqap', ix), ...by('guest') },
      { guard: g(ix, 'pqap_hook', 'bounds_aqic'), target, actions: a('handle_pqap', ix), ...by('guest') },
    ],
  });
  return {
    initial: 'probed',
    states: {
      probed: {
        description: 'vfio_ap_mdev_probe_queue: bound to vfio_ap, not (fully) assigned to the mdev',
        on: {
          assign_adapter_store: [
            { guard: g(ix, 'matrix_mdev_closed', 'apqi_assigned'), target: 'assigned', actions: a('assign_adapter_store', ix), ...by('userspace') },
            { guard: g(ix, 'matrix_mdev_closed'), actions: a('assign_adapter_store', ix), ...by('userspace') },
          ],
          assign_domain_store: [
            { guard: g(ix, 'matrix_mdev_closed', 'apid_assigned'), target: 'assigned', actions: a('assign_domain_store', ix), ...by('userspace') },
            { guard: g(ix, 'matrix_mdev_closed'), actions: a('assign_domain_store', ix), ...by('userspace') },
          ],
          vfio_ap_mdev_remove_queue: { guard: a('queue_mine', ix), target: 'removed', actions: a('vfio_ap_mdev_remove_queue', ix), ...by('userspace') },
        },
      },
      assigned: {
        description: 'APQN (APID, APQI) in the matrix mdev',
        initial: 'aqic_disabled',
        states: {
          aqic_disabled: { description: 'q->saved_isc == VFIO_AP_ISC_INVALID', on: assignedOn('aqic_disabled') },
          aqic_enabled: { description: 'AQIC enabled: saved ISC registered, NIB pinned', on: assignedOn('aqic_enabled') },
        },
        on: {
          vfio_ap_mdev_close_device: { guard: a('matrix_mdev_open'), target: '.aqic_disabled', ...by('userspace') },
        },
      },
      removed: { id: queueRemovedId(q), description: 'vfio_ap_mdev_remove_queue: unbound and freed' },
    },
  };
}

export const queueRemovedId = (q: number) => `q${q}_removed`;
