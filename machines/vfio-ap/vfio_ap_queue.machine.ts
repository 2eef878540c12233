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
 * The region's substates mirror data: `assigned` is APID and APQI in the matrix, and
 * `aqic_enabled` is q->saved_isc valid; after a function that may change them the region
 * follows the context (`settle.q<i>`), so no guard predicts what handle_pqap will do.
 *
 * With params.apAnswers (configurations ap-answers, reset-warn, reset-warn-two-vms, aqic-off-warn,
 * remove-host-gone) the AP's answers are payloads too: ZAPQ of the close's reset (zapq), the reset
 * work apq_reset_check as its own kernel event (one pass of its loop, TAPQ answer tapq), the
 * close waiting in flush_work (the mdev region's unsetting), how vfio_ap_irq_disable's AQIC and
 * TAPQ loops ended (off), the remove after the APQN left the host's configuration (host), and
 * the status PQAP returns to the guest is checked (GUEST_TOLD_SUCCESS). With params.deviceReset (device-reset,
 * device-reset-warn) QEMU's VFIO_DEVICE_RESET too (the mdev region), q->reset_status (resetStatus) and the ioctl's
 * return to userspace (mdev.resetRc) are state. With params.guestReset (guest-zapq) the guest's own PQAP(ZAPQ) starts a
 * reset the AP completes later (hwReset until AP_RESET_COMPLETE, which turns the interruptions off; ap_aqic answers
 * RESET_IN_PROGRESS meanwhile, only then), and the status PQAP(AQIC) ir=1 left in the guest's GR1 is state (told), checked by AqicAnswerHolds.
 *
 * Ignores: APQN lookup failures (rc 01 without a queue), the guest's APCB and hot plug of
 * adapters into a running guest (assignment is modelled while the mdev is closed), PV
 * (ensure_nib_shared), s390dbf logging, the AP's answers outside apAnswers configurations (a
 * reset completes at once, AQIC ir=0 takes), the remove's reset answers (one step), retries that
 * end well (the same state as none), vfio_ap_mdev_dma_unmap, several queues per APID.
 *
 * With params.guestStatus (pqap-refusals, pqap-refusals-hooked, pqap-no-fac65; issue 12) PQAP(AQIC) is sent in every
 * state and runs priv.c handle_pqap from its ECA_APIE test: the refusals (no APIE, no facility 65, no hook, no ECA_AIV, no
 * KVM, no queue: the APQN lookup failures the list below leaves out elsewhere), PV's ensure_nib_shared (NIB_NOT_SHARED with
 * pvGuest), userspace's KVM_S390_VM_CRYPTO_ENABLE/DISABLE_APIE, and what the guest reads in GR1 and the cc (gr1, told).
 *
 * Kernel: drivers/s390/crypto/vfio_ap_ops.c, vfio_ap_private.h, arch/s390/kvm/priv.c
 * (handle_pqap), arch/s390/kvm/kvm-s390.c (kvm_s390_vm_set_crypto). Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2); v5.3 is ec89b55e3bce;
 * v4 is "[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control" (Pierre Morel, 2019-02-22).
 */
import { and, not } from 'xstate';
import { COUNT_CAP, FAULT, ISC_INVALID, type GuestPqap, type QueueContext, type SystemContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import { by, kernel, queueOf, settle, type Args, type Ix, type SpecEvent } from '../lib.ts';
import { EINVAL } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import { apieAsked, apLedgered, guestGr1, guestReads, guestSawReset } from './vfio_ap_queue.invariants.ts';

/** RESET_IN_PROGRESS (02): ap_aqic while the AP is still resetting the queue (guestReset configurations: after the guest's own ZAPQ); the switch's default case, as OTHER. */
export type AqicOutcome = 'NORMAL' | 'OTHERWISE_CHANGED' | 'OTHER' | 'PIN_FAILED' | 'NIB_INVALID' | 'RESET_IN_PROGRESS' | 'NIB_NOT_SHARED';

/**
 * The AP's answer to ZAPQ (ap_zapq in vfio_ap_mdev_reset_queue and apq_reset_check), by the
 * branch the driver takes: NORMAL; IN_PROGRESS (RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS:
 * apq_reset_check issues ZAPQ again once TAPQ answers 0); DECONFIGURED (DECONFIGURED, CHECKSTOPPED:
 * freed at once; the AP presents no interruptions); INVALID (any other code, e.g. 01 Q_NOT_AVAIL:
 * the WARN "PQAP/ZAPQ ... failed with invalid rc", nothing freed; what the AP holds is unknown, kept).
 */
export type ZapqAnswer = 'NORMAL' | 'IN_PROGRESS' | 'DECONFIGURED' | 'INVALID';

/**
 * A ZAPQ answer as the bounds give it: a branch of ZapqAnswer, or a response code that takes the same branch (BUSY and
 * STATE_CHANGE_IN_PROGRESS as IN_PROGRESS, which stands for RESET_IN_PROGRESS; CHECKSTOPPED as DECONFIGURED), so path tests
 * drive each code vfio_ap_mdev_reset_queue's switch names.
 */
export type ZapqCode = ZapqAnswer | 'BUSY' | 'STATE_CHANGE' | 'CHECKSTOPPED';

/** The branch of vfio_ap_mdev_reset_queue's switch a ZAPQ answer takes. */
export function zapqAnswer(code: string | undefined): ZapqAnswer | undefined {
  if (code === 'BUSY' || code === 'STATE_CHANGE') return 'IN_PROGRESS';
  return code === 'CHECKSTOPPED' ? 'DECONFIGURED' : (code as ZapqAnswer | undefined);
}

/**
 * The AP's answer to apq_reset_check's TAPQ, by apq_status_check's return: BUSY (RESET_IN_PROGRESS,
 * BUSY: -EBUSY, loop; no budget), DONE (NORMAL, DECONFIGURED, CHECKSTOPPED: 0, the reset completed),
 * ASSOC (ASSOC_SECRET_NOT_UNIQUE, ASSOC_FAILED: -EAGAIN, ZAPQ again), INVALID (any other: WARN "failed
 * to verify reset", -EIO, the work returns without freeing).
 */
export type TapqAnswer = 'BUSY' | 'DONE' | 'ASSOC' | 'INVALID';

/**
 * How vfio_ap_irq_disable's loops end: NORMAL (ap_aqic(ir=0) answered NORMAL or 07, after up to 5
 * retries on RESET_IN_PROGRESS/BUSY, and vfio_ap_wait_for_irqclear's TAPQ saw irq_enabled clear);
 * TAPQ_FAILED (AQIC accepted, TAPQ answered Q_NOT_AVAIL/DECONFIGURED/CHECKSTOPPED/other: WARN_ONCE,
 * return); IR_STUCK (AQIC accepted, TAPQ still shows irq_enabled (or BUSY) after 5 tries: WARN_ONCE
 * "could not clear IR bit"); BUSY_EXHAUSTED (RESET_IN_PROGRESS/BUSY 6 times: WARN_ONCE, the AQIC never
 * took); NOT_OPER (Q_NOT_AVAIL, DECONFIGURED, CHECKSTOPPED, INVALID_ADDRESS or other: "AP not
 * operational"). Every one frees the NIB and the GISC (end_free).
 */
export type AqicOff = 'NORMAL' | 'TAPQ_FAILED' | 'IR_STUCK' | 'BUSY_EXHAUSTED' | 'NOT_OPER';

/** The response code PQAP(AQIC) leaves in the guest's GR1 (handle_pqap: memcpy of qstatus), by class. */
export type ApStatus = 'NORMAL' | 'OTHERWISE_CHANGED' | 'INVALID_ADDRESS' | 'BUSY' | 'NOT_OPER' | 'OTHER';

/** PQAP(AQIC) as the guest issues it (GR1's IR bit and ISC) and, for ir=1, the outcome the bounds chose; for ir=0 how the disable ends (apAnswers). */
export type PqapAqic = { ir: 0; off?: AqicOff } | { ir: 1; isc: number; outcome: AqicOutcome };

/** The PQAP(AQIC) of an event (the bounds give ir=1 events an isc and an outcome). */
export function pqapAqic(e: SpecEvent): PqapAqic {
  if (e.ir === 1) return { ir: 1, isc: e.isc!, outcome: e.outcome as AqicOutcome };
  return e.off ? { ir: 0, off: e.off as AqicOff } : { ir: 0 };
}

/** What a PQAP(AQIC) answered 0 promises the guest (handle_pqap: "AP_RESPONSE_NORMAL (0) : in case of success"): the AP interrupts on the requested ISC, or not at all. */
export function aqicAsRequested(q: QueueContext, aqic: PqapAqic): boolean {
  return aqic.ir === 1 ? q.irq && q.hwIsc === aqic.isc : !q.irq;
}

/** A ZAPQ answered: where the work stands (q->reset_status stored), what the AP holds (also the fine-grained reset work's ZAPQ again). */
export function ap_zapq_answered(q: QueueContext, zapq: ZapqAnswer): void {
  if (zapq === 'DECONFIGURED') ap_interruptions_off(q); // a deconfigured or checkstopped AP presents nothing
  q.work = zapq === 'IN_PROGRESS' ? 'in-progress' : 'zapped';
  reset_status_stored(q, zapq);
}

/** memcpy(&q->reset_status, &status, ...) after a ZAPQ (deviceReset configurations keep it). */
function reset_status_stored(q: QueueContext, zapq: ZapqAnswer): void {
  if (q.resetStatus !== undefined) q.resetStatus = zapq;
}

/** The VM whose struct kvm a call through matrix_mdev->kvm reaches; records a fault for NULL or freed. */
function kvmOfMdev(c: SystemContext, q: QueueContext): number {
  const vm = c.mdev.kvm;
  if (vm < 0 || c.vms[vm]!.freed) {
    q.faults |= FAULT.GISC_CALL_AFTER_FREE;
    return -1;
  }
  return vm;
}

/** kvm_s390_gisc_unregister through matrix_mdev->kvm, as vfio_ap_free_aqic_resources calls it; true if refused with -EINVAL (ref_count 0 there). */
function gisc_unregister_via_mdev(k: Kernel, c: SystemContext, x: QueueContext, isc: number): boolean {
  const vm = kvmOfMdev(c, x);
  return vm >= 0 && k.kvm_s390_gisc_unregister(c, vm, isc) === EINVAL;
}

/** The AP stops interrupting for the queue: AQIC ir=0 answered, or a ZAPQ reset (the machine, not the kernel). */
function ap_interruptions_off(q: QueueContext): void {
  q.irq = false;
  q.hwGisa = -1;
  q.hwIsc = ISC_INVALID;
}

/** The kernel functions of vfio_ap's queues (drivers/s390/crypto/vfio_ap_ops.c), entries of the machine's kernel table. */
export const queueKernel = {
  /** vfio_pin_pages() of the NIB page. */
  vfio_pin_pages(this: Kernel, c: SystemContext, q: number): void {
    queueOf(c, q).pins += 1;
  },

  /**
   * vfio_unpin_pages() of one NIB page. `giscRegistered`: the caller unpins while the NIB's GISC
   * is still registered (unregister must come first), which the lifetime tracker records.
   */
  vfio_unpin_pages(this: Kernel, c: SystemContext, q: number, giscRegistered: boolean): void {
    const x = queueOf(c, q);
    if (x.pins <= 0) x.faults |= FAULT.UNPIN_NOT_PINNED;
    else x.pins -= 1;
    if (giscRegistered) x.faults |= FAULT.UNPIN_BEFORE_UNREGISTER;
  },

  /**
   * vfio_ap_free_aqic_resources(): unregister the saved GISC, then unpin the saved NIB (v4
   * vfio_ap_free_irq: the other way round). Upstream (since the WARN_ONs, v5.11) skips the
   * unregister with a WARN when matrix_mdev->kvm is NULL and keeps saved_isc; v5.3 and v4 call
   * through the NULL pointer and forget the ISC.
   */
  vfio_ap_free_aqic_resources(this: Kernel, c: SystemContext, q: number): void {
    const x = queueOf(c, q);
    const isc = x.isc;
    if (this.design.aqic === 'aqic-v4') {
      if (x.nib) this.vfio_unpin_pages(c, q, true); // unpin first; the NIB's GISC is still registered
      if (isc !== ISC_INVALID) gisc_unregister_via_mdev(this, c, x, isc);
      x.isc = ISC_INVALID;
    } else if (this.design.aqic === 'upstream' && isc !== ISC_INVALID && c.mdev.kvm < 0) {
      // WARN_ON(!(q->matrix_mdev && q->matrix_mdev->kvm)): no unregister, saved_isc kept; the unpin follows with the GISC registered
      if (x.nib) this.vfio_unpin_pages(c, q, true);
    } else {
      // refused (-EINVAL): the ISC was saved on another VM (reset-warn-two-vms), whose registration made with this NIB stays
      const refused = isc !== ISC_INVALID && gisc_unregister_via_mdev(this, c, x, isc);
      if (x.nib) this.vfio_unpin_pages(c, q, refused);
      x.isc = ISC_INVALID;
    }
    x.nib = false;
  },

  /**
   * vfio_ap_irq_disable() (v4: vfio_ap_clrirq): ap_aqic(ir=0) with its retries, vfio_ap_wait_for_irqclear,
   * then vfio_ap_free_aqic_resources on every path (end_free); `off` says how the loops ended (default
   * NORMAL). Returns the AQIC status handle_pqap gives the guest.
   */
  vfio_ap_irq_disable(this: Kernel, c: SystemContext, q: number, off: AqicOff = 'NORMAL'): ApStatus | void {
    const x = queueOf(c, q);
    // IR_STUCK: TAPQ still shows irq_enabled; BUSY_EXHAUSTED: the AQIC never took; both free anyway
    if (off !== 'IR_STUCK' && off !== 'BUSY_EXHAUSTED') ap_interruptions_off(x);
    this.vfio_ap_free_aqic_resources(c, q);
    return off === 'BUSY_EXHAUSTED' ? 'BUSY' : off === 'NOT_OPER' ? 'NOT_OPER' : 'NORMAL';
  },

  /** vfio_ap_irq_enable() (v4: vfio_ap_setirq) for guest ISC `isc`; ap_aqic answers `outcome` (NIB_INVALID, PIN_FAILED: the earlier steps fail). */
  vfio_ap_irq_enable(this: Kernel, c: SystemContext, q: number, isc: number, outcome: AqicOutcome): ApStatus | void {
    const x = queueOf(c, q);
    const d = this.design.aqic;
    if (outcome === 'NIB_INVALID' || outcome === 'PIN_FAILED') return 'INVALID_ADDRESS'; // rc 06
    this.vfio_pin_pages(c, q);
    // pvGuest: "NIB in non-shared storage is a rc 6 for PV guests": kvm_s390_pv_cpu_is_protected(vcpu) && ensure_nib_shared() fails
    if (outcome === 'NIB_NOT_SHARED') {
      this.vfio_unpin_pages(c, q, false);
      return 'INVALID_ADDRESS';
    }
    const vm = kvmOfMdev(c, x);
    const nisc = vm >= 0 ? this.kvm_s390_gisc_register(c, vm, isc) : -1;
    if (nisc < 0 && d === 'upstream') {
      this.vfio_unpin_pages(c, q, false); // gisc registration failed: unpin, rc 06
      return 'INVALID_ADDRESS';
    }
    switch (outcome) {
      case 'NORMAL':
        if (d === 'aqic-v4') {
          if (x.nib) this.vfio_unpin_pages(c, q, true); // the old GISC stays registered: never unregistered
        } else {
          this.vfio_ap_free_aqic_resources(c, q); // see if we did clear older IRQ configuration
        }
        x.isc = isc;
        x.nib = true;
        x.irq = true;
        x.hwIsc = isc;
        // v4: aqic_gisa.gisa = gisa->next_alert >> 4, which is the GISA itself only while it is not
        // on the GIB alert list; listed, the AP gets the next list entry (NULL here): no GISA
        x.hwGisa = d === 'aqic-v4' && vm >= 0 && this.gisa_in_alert_list(c, vm) ? -1 : vm;
        return 'NORMAL';
      case 'OTHERWISE_CHANGED':
        if (d === 'upstream') {
          if (vm >= 0) this.kvm_s390_gisc_unregister(c, vm, isc);
          this.vfio_unpin_pages(c, q, false);
        } else if (d === 'v5.3') {
          this.vfio_unpin_pages(c, q, true); // unpin first, then unregister
          if (vm >= 0) this.kvm_s390_gisc_unregister(c, vm, isc);
        } else {
          this.vfio_unpin_pages(c, q, true); // v4: the new GISC registration is never undone
        }
        return 'OTHERWISE_CHANGED';
      default: // 'OTHER' and any response a variant file's payload adds (DECONFIGURED...): vfio_ap_irq_enable's switch default
        if (d === 'aqic-v4') {
          // handle_pqap stored the new ISC in q->isc before vfio_ap_setirq; vfio_ap_free_irq then
          // unpins the saved (old) NIB, whose GISC is no longer in q->isc and stays registered,
          // and unregisters the new ISC; the new pin is never undone and the AP is not told
          if (x.nib) this.vfio_unpin_pages(c, q, true);
          if (vm >= 0) this.kvm_s390_gisc_unregister(c, vm, isc);
          x.isc = ISC_INVALID;
          x.nib = false;
          return 'OTHER';
        }
        this.vfio_ap_irq_disable(c, q); // frees the saved resources, not the ones just taken
        return 'OTHER';
    }
  },

  /**
   * priv.c handle_pqap() for PQAP(AQIC) up to the hook (guestStatus configurations), as the guest of VM `vm` sees it; undefined
   * when the hook is called. "if (!(vcpu->arch.sie_block->eca & ECA_APIE)) return -EOPNOTSUPP" (QEMU handles the
   * instruction); "if (!test_kvm_facility(vcpu->kvm, 65)) return kvm_s390_inject_program_int(vcpu, PGM_SPECIFICATION)"; no
   * hook: "status.response_code = 0x01; memcpy(&vcpu->run->s.regs.gprs[1], &status, sizeof(status)); kvm_s390_set_psw_cc(vcpu,
   * 3)": the 4-byte status word lands in GR1 bits 0-31, while the guest reads it in bits 32-63 (ap_aqic's union
   * ap_queue_status_reg), which keep its own AQIC operand: a Linux guest sets only ir and isc there (ap_queue_enable_irq), so
   * the response-code byte (bits 40-47, in the GISA-origin field) it reads is 0 (vfio_ap's handle_pqap shifts: >>= 32).
   */
  handle_pqap_intercept(this: Kernel, c: SystemContext, vm: number): GuestPqap | undefined {
    if (!c.vms[vm]!.apie) return 'USERSPACE';
    if (c.params.fac65 === false) return 'PGM_SPECIFICATION';
    if (c.mdev.hook !== vm) return 'cc3 rc00'; // rc 01 stored in the high word: the guest's status word keeps its 00
    return undefined;
  },

  /**
   * vfio_ap_ops.c handle_pqap()'s exits before vfio_ap_irq_enable/disable (guestStatus configurations); undefined when the
   * queue is found. "if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP"; "if (!matrix_mdev->kvm) goto
   * out_unlock" and "q = vfio_ap_mdev_get_queue(matrix_mdev, apqn); if (!q) goto out_unlock" leave qstatus as initialised,
   * AP_RESPONSE_Q_NOT_AVAIL, copied to GR1 and shifted into bits 32-63 (priv.c: cc 3, the response code non-zero).
   */
  handle_pqap_lookup(this: Kernel, c: SystemContext, q: number, vm: number): GuestPqap | undefined {
    if (!c.vms[vm]!.gisa.origin) return 'USERSPACE';
    const x = queueOf(c, q);
    if (c.mdev.kvm < 0 || !x.apid || !x.apqi) return 'cc3 rc01'; // (a removed queue sends no PQAP in these configurations)
    return undefined;
  },

  /**
   * The status vfio_ap_irq_enable/disable returned, as the guest reads it: handle_pqap's "memcpy(&vcpu->run->s.regs.gprs[1],
   * &qstatus, sizeof(qstatus)); vcpu->run->s.regs.gprs[1] >>= 32" puts the status word in GR1 bits 32-63, and priv.c sets cc 3
   * "if (vcpu->run->s.regs.gprs[1] & 0x00ff0000)" (a non-zero response code), else cc 0. OTHER and NOT_OPER stand for codes
   * the bounds leave open (xx: non-zero).
   */
  pqap_gr1(this: Kernel, status: ApStatus): GuestPqap {
    const rc = { NORMAL: '00', OTHERWISE_CHANGED: '07', INVALID_ADDRESS: '06', BUSY: '05', NOT_OPER: 'xx', OTHER: 'xx' }[status];
    return `cc${rc === '00' ? 0 : 3} rc${rc}`;
  },

  /**
   * kvm-s390.c kvm_s390_vm_set_crypto(KVM_S390_VM_CRYPTO_ENABLE_APIE / DISABLE_APIE) under kvm->lock: crypto.apie = 1 / 0,
   * then kvm_s390_vcpu_crypto_reset_all: kvm_s390_vcpu_block_all (every vcpu out of SIE and kept out), kvm_s390_vcpu_crypto_setup
   * of every vcpu (ECA_APIE as crypto.apie), KVM_REQ_VSIE_RESTART, kvm_s390_vcpu_unblock_all: one step (see the audit).
   */
  kvm_s390_vm_set_crypto(this: Kernel, c: SystemContext, vm: number, apie: boolean): void {
    const kvm = c.vms[vm]!;
    if (kvm.apie !== undefined) kvm.apie = apie;
  },

  /** handle_pqap() (vfio_ap_ops.c), past the hook checks: IR bit set -> vfio_ap_irq_enable, else vfio_ap_irq_disable. */
  handle_pqap(this: Kernel, c: SystemContext, q: number, aqic: PqapAqic): ApStatus | void {
    if (aqic.ir === 0) return aqic.off ? this.vfio_ap_irq_disable(c, q, aqic.off) : this.vfio_ap_irq_disable(c, q);
    const status = this.vfio_ap_irq_enable(c, q, aqic.isc, aqic.outcome);
    // v4 handle_pqap stored q->isc and q->nib before vfio_ap_setirq and zeroes them on any other response
    if (this.design.aqic === 'aqic-v4' && aqic.outcome !== 'NORMAL') queueOf(c, q).isc = ISC_INVALID;
    return status;
  },

  /**
   * vfio_ap_mdev_reset_queue(): ap_zapq, then by its answer: NORMAL and the in-progress codes
   * queue_work(system_long_wq, &q->reset_work) (apq_reset_check frees once TAPQ shows the reset
   * done), DECONFIGURED/CHECKSTOPPED free at once, any other code WARNs and frees nothing. Without
   * `zapq` (or outside apAnswers configurations) ZAPQ NORMAL and the work's done branch are one step.
   */
  vfio_ap_mdev_reset_queue(this: Kernel, c: SystemContext, q: number, zapq?: ZapqAnswer): void {
    const x = queueOf(c, q);
    if (zapq === undefined || x.work === undefined) {
      ap_interruptions_off(x);
      this.vfio_ap_free_aqic_resources(c, q);
      return reset_status_stored(x, 'NORMAL');
    }
    if (zapq === 'INVALID') return reset_status_stored(x, zapq); // WARN "PQAP/ZAPQ ... failed with invalid rc": nothing freed
    ap_zapq_answered(x, zapq);
    if (zapq === 'DECONFIGURED') {
      x.work = 'idle'; // not queued
      this.vfio_ap_free_aqic_resources(c, q);
    }
  },

  /**
   * apq_reset_check(): one pass of its loop (msleep(AP_RESET_INTERVAL), ap_tapq, apq_status_check).
   * -EBUSY loops; -EIO returns (nothing freed); 0 after a stored in-progress ZAPQ status, and -EAGAIN,
   * issue ZAPQ again (`zapq` its answer, stored in q->reset_status) and loop; 0 otherwise frees the
   * AQIC resources if saved_isc is valid and ends the work.
   */
  apq_reset_check(this: Kernel, c: SystemContext, q: number, tapq: TapqAnswer, zapq: ZapqAnswer = 'NORMAL'): void {
    const x = queueOf(c, q);
    if (tapq === 'BUSY') return;
    if (tapq === 'INVALID') {
      x.work = 'idle'; // WARN "failed to verify reset": return
      return;
    }
    if (tapq === 'DONE') ap_interruptions_off(x); // the reset completed: interruptions are off
    if (tapq === 'ASSOC' || x.work === 'in-progress') {
      ap_zapq_answered(x, zapq); // status = ap_zapq(q->apqn, 0); memcpy(&q->reset_status, ...); continue
      return;
    }
    if (x.isc !== ISC_INVALID) this.vfio_ap_free_aqic_resources(c, q);
    x.work = 'idle';
  },

  /**
   * vfio_ap_mdev_remove_queue(): reset (frees AQIC resources; ZAPQ and the flushed work in one step),
   * unlink, kfree. `host` 'gone': the APQN left the host's AP configuration first (vfio_ap_on_cfg_changed
   * took it out of the guest's APCB), so the "ZAPQ would fail with response code 01" test skips the
   * reset: saved_isc and saved_iova go with q, the GISC stays registered and the NIB pinned.
   */
  vfio_ap_mdev_remove_queue(this: Kernel, c: SystemContext, q: number, host: 'present' | 'gone' = 'present'): void {
    const x = queueOf(c, q);
    if (host === 'gone') ap_interruptions_off(x); // a queue outside the AP configuration presents nothing
    else if (x.irq || x.isc !== ISC_INVALID || x.nib) this.vfio_ap_mdev_reset_queue(c, q);
    if (x.freed !== undefined) x.freed = true; // kfree(q): vfio_ap_mdev_reset_queues no longer finds it
  },

  /** assign_adapter_store() (sysfs): the queue's APID joins the matrix. */
  assign_adapter_store(this: Kernel, c: SystemContext, q: number): void {
    queueOf(c, q).apid = true;
  },

  /** assign_domain_store() (sysfs): the queue's APQI joins the matrix. */
  assign_domain_store(this: Kernel, c: SystemContext, q: number): void {
    queueOf(c, q).apqi = true;
  },
};

export function queueImplementations(k: Kernel) {
  return {
    guards: {
      // the event is about this queue
      queue_mine: ({ event }: Args, ix: Ix) => event.q === ix.q,
      // assignment while the mdev is not in use by a guest (nor its close waiting in flush_work under mdevs_lock)
      matrix_mdev_closed: ({ context }: Args) => (context.mdev.hook < 0 || context.vms[context.mdev.hook]!.freed) && !context.mdev.unsetting,
      // vfio_ap_mdev_remove_queue's get_update_locks_for_queue: not while vfio_ap_mdev_unset_kvm (or VFIO_DEVICE_RESET's mdevs_lock) holds them, waiting in flush_work
      update_locks_free: ({ context }: Args) => !context.mdev.unsetting && !context.mdev.resetting,
      // vfio_ap handle_pqap's mutex_lock(&matrix_dev->mdevs_lock): not while vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) holds it, waiting in flush_work
      mdevs_lock_free: ({ context }: Args) => !context.mdev.resetting,
      // q->reset_work is queued (apq_reset_check runs on system_long_wq)
      reset_work_queued: ({ context }: Args, ix: Ix) => { const w = queueOf(context, ix.q!).work; return w !== undefined && w !== 'idle'; },
      // the mdev is open: its close (or VFIO_DEVICE_RESET) resets this queue; not while a VFIO_DEVICE_RESET is in flight on the device fd
      matrix_mdev_open: ({ context }: Args) => context.mdev.hook >= 0 && !context.mdev.resetting,
      // a vcpu of the VM with the hook runs in SIE to issue PQAP (machines without vcpus: always);
      // priv.c handle_pqap: the pqap_hook is set; vfio_ap handle_pqap: matrix_mdev->kvm is set
      // (v4 had neither check and called through the hook the open installed)
      pqap_hook: ({ context }: Args) => {
        const vm = context.mdev.hook;
        if (vm < 0) return false;
        const kvm = context.vms[vm]!;
        const running = kvm.vcpus.length === 0 || kvm.vcpus.some((v) => v.inSie);
        return running && (k.design.aqic === 'aqic-v4' || context.mdev.kvm >= 0);
      },
      // vfio_ap handle_pqap: `if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP` (the PQAP goes to userspace, which
      // the model leaves out): the vcpus of the hook's VM have ECA_AIV exactly while its GISA is enabled (kvm_s390_vcpu_setup sets
      // it with gd, kvm_s390_gisa_disable/enable clear and set both under vcpu->mutex; the coarse switch is one step)
      eca_aiv: ({ context }: Args) => context.mdev.hook < 0 || context.vms[context.mdev.hook]!.gisa.origin,
      // the AP has interruptions enabled for this queue
      ap_irq_enabled: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).irq,
      // bounds: AQIC ir=1 only while the leaks it may add stay below COUNT_CAP (ir=0 always)
      bounds_aqic: ({ context, event }: Args, ix: Ix) => {
        if (event.ir !== 1) return true;
        const vm = context.mdev.kvm;
        const ref = vm >= 0 ? (context.vms[vm]!.gisa.ref[event.isc!] ?? 0) : 0;
        return queueOf(context, ix.q!).pins < COUNT_CAP - 1 && ref < COUNT_CAP - 1;
      },
      // the APQN is in the matrix: its APID and its APQI are assigned
      apqn_assigned: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).apid && queueOf(context, ix.q!).apqi,
      // guestReset: ap_aqic answers RESET_IN_PROGRESS exactly while the AP resets the queue (ap_queue.c ap_queue_enable_irq expects 02 from AQIC); NIB_INVALID and PIN_FAILED fail before the AQIC
      ap_aqic_answer_possible: ({ context, event }: Args, ix: Ix) => {
        if (event.outcome === 'NIB_NOT_SHARED') return context.params.pvGuest === true; // ensure_nib_shared runs for a protected vcpu only
        const r = queueOf(context, ix.q!).hwReset;
        if (r === undefined || event.ir !== 1 || event.outcome === 'NIB_INVALID' || event.outcome === 'PIN_FAILED') return true;
        return r === (event.outcome === 'RESET_IN_PROGRESS');
      },
      // guestStatus configurations: every PQAP(AQIC) reaches priv.c handle_pqap, refusals included (the guest's view is state)
      guest_status: ({ context }: Args) => context.params.guestStatus === true,
      // guestStatus, bounds (pqap-refusals-hooked): the guest issues PQAP(AQIC) only while a hook is installed
      bounds_aqic_hooked: ({ context }: Args) => !context.params.aqicNeedsHook || context.mdev.hook >= 0,
      // guestReset: the reset the guest's PQAP(ZAPQ) started is still in progress
      ap_reset_in_progress: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).hwReset === true,
      // q->saved_isc != VFIO_AP_ISC_INVALID: AQIC resources are saved
      saved_isc_valid: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).isc !== ISC_INVALID,
      // fine-grained pqap-remove-queue: vfio_ap_mdev_remove_queue's kfree(q) ran (QueueContext.freed)
      queue_freed: ({ context }: Args, ix: Ix) => queueOf(context, ix.q!).freed === true,
    },
    actions: {
      // sysfs assign_adapter_store
      assign_adapter_store: kernel((c, _e, ix) => k.assign_adapter_store(c, ix.q!)),
      // sysfs assign_domain_store
      assign_domain_store: kernel((c, _e, ix) => k.assign_domain_store(c, ix.q!)),
      // vfio_ap_ops.c handle_pqap -> vfio_ap_irq_enable / vfio_ap_irq_disable; with apAnswers the status
      // it returns to the guest is checked against what the AP now holds (GUEST_TOLD_SUCCESS)
      // (apLedgered: the ghost AqicStepPostcondition, vfio_ap_queue.invariants.ts)
      handle_pqap: apLedgered('aqic', k, (c, e, ix) => {
        const aqic = pqapAqic(e);
        const status = k.handle_pqap(c, ix.q!, aqic);
        const q = queueOf(c, ix.q!);
        if (c.params.apAnswers && status === 'NORMAL' && !aqicAsRequested(q, aqic)) q.faults |= FAULT.GUEST_TOLD_SUCCESS;
        guestGr1(q, aqic, status);
        return status;
      }),
      // guestStatus: priv.c handle_pqap from its ECA_APIE test, through the hook into vfio_ap_ops.c handle_pqap; what the guest
      // reads is state (guestReads, harness; apLedgered: AqicStepPostcondition, a refused PQAP takes nothing)
      priv_handle_pqap: apLedgered('aqic', k, (c, e, ix) => {
        const aqic = pqapAqic(e);
        const vm = c.mdev.hook >= 0 ? c.mdev.hook : 0; // the guest of the VM the hook is set for (guestStatus configurations have one VM)
        let gr1 = k.handle_pqap_intercept(c, vm) ?? k.handle_pqap_lookup(c, ix.q!, vm);
        let status: ApStatus | void = undefined;
        if (gr1 === undefined) {
          status = k.handle_pqap(c, ix.q!, aqic);
          gr1 = k.pqap_gr1(status ?? 'OTHER');
        }
        guestReads(queueOf(c, ix.q!), aqic, gr1);
        return status;
      }),
      // userspace: kvm-s390.c kvm_s390_vm_set_crypto, ENABLE_APIE or DISABLE_APIE
      // (apieAsked: the ghost of what userspace asked, harness, ApieAsSetByUserspace)
      kvm_s390_vm_set_crypto: kernel((c, e) => {
        apieAsked(c, e);
        k.kvm_s390_vm_set_crypto(c, e.vm!, e.type === 'KVM_S390_VM_CRYPTO_ENABLE_APIE');
      }),
      // vfio_ap_ops.c apq_reset_check: one pass of the reset work's loop
      apq_reset_check: kernel((c, e, ix) => k.apq_reset_check(c, ix.q!, e.tapq as TapqAnswer, zapqAnswer(e.zapq) ?? 'NORMAL')),
      // the guest's PQAP(ZAPQ), executed by the machine: interruptions off, resources still saved; guestReset: the reset
      // runs on until the AP completes it, and what the guest was told of its interruptions no longer stands
      PQAP_ZAPQ: kernel((c, _e, ix) => {
        const q = queueOf(c, ix.q!);
        guestSawReset(q);
        if (q.hwReset === undefined) return ap_interruptions_off(q);
        q.hwReset = true; // the AP may present interruptions until the reset completes
      }),
      // guestReset: the AP completes the reset the guest's ZAPQ started (a TAPQ now answers 0): interruptions off
      AP_RESET_COMPLETE: kernel((c, _e, ix) => {
        const q = queueOf(c, ix.q!);
        ap_interruptions_off(q);
        q.hwReset = false;
      }),
      // the AP sets the NIB and millicode makes the interruption pending in the GISA it was given
      // (apLedgered: the AP's side of AqicStepPostcondition)
      AP_ADAPTER_INTERRUPTION: apLedgered('airq', k, (c, _e, ix, fx) => {
        const q = queueOf(c, ix.q!);
        if (!q.nib) q.faults |= FAULT.NIB_WRITE_UNPINNED; // the NIB given to AQIC is the saved one
        if (q.hwGisa >= 0) k.gisa_adapter_interruption(c, q.hwGisa, q.hwIsc, fx);
      }),
      // vfio_ap_ops.c vfio_ap_mdev_remove_queue: reset (frees AQIC resources), unlink, kfree
      vfio_ap_mdev_remove_queue: apLedgered('remove', k, (c, e, ix) => k.vfio_ap_mdev_remove_queue(c, ix.q!, e.host === 'gone' ? 'gone' : 'present')),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });
const g = (ix: Ix, ...names: string[]) => and([a('queue_mine', ix), ...names.map((n) => a(n, ix))]);

/**
 * A queue region in a fine-grained configuration (machines/kthread.ts): it starts where the
 * configuration starts (`initial`: 'assigned', its APQN in the matrix), the coarse events the
 * threads replace (`omit`) have no transition, and its settle handlers declare what they read
 * (a thread's step raises `settle.q<i>` after vfio_ap_irq_enable or the reset).
 */
export interface QueueFine {
  initial?: 'probed' | 'assigned';
  omit: ReadonlySet<string>;
  /** a thread's step frees the queue (vfio_ap_mdev_remove_queue as steps): the settle after kfree(q) moves the region to `removed` */
  removedBy?: boolean;
}

/** The region of queue `q`. */
export function queueRegion(q: number, fine?: QueueFine) {
  const ix = { q };
  const region = `q${q}`;
  const settled = settle(region).params.type;
  const assignedOn = {
    PQAP_ZAPQ: { guard: g(ix, 'pqap_hook'), actions: a('PQAP_ZAPQ', ix), ...by('guest') },
    AP_RESET_COMPLETE: { guard: g(ix, 'ap_reset_in_progress'), actions: a('AP_RESET_COMPLETE', ix), ...by('hardware') },
    AP_ADAPTER_INTERRUPTION: { guard: g(ix, 'ap_irq_enabled'), actions: a('AP_ADAPTER_INTERRUPTION', ix), ...by('hardware') },
    vfio_ap_mdev_remove_queue: { guard: g(ix, 'update_locks_free'), target: '#' + queueRemovedId(q), actions: a('vfio_ap_mdev_remove_queue', ix), ...by('userspace') },
    // what handle_pqap left in q->saved_isc decides aqic_enabled or aqic_disabled
    PQAP_AQIC: [
      { guard: and([not(a('guest_status')), g(ix, 'pqap_hook', 'eca_aiv', 'bounds_aqic', 'mdevs_lock_free', 'ap_aqic_answer_possible')]), actions: [a('handle_pqap', ix), settle(region)], ...by('guest') },
      // guestStatus: refusals too, answered as the guest sees them
      { guard: g(ix, 'guest_status', 'bounds_aqic_hooked', 'bounds_aqic', 'mdevs_lock_free', 'ap_aqic_answer_possible'), actions: [a('priv_handle_pqap', ix), settle(region)], ...by('guest') },
    ],
  };
  const assign = (store: string) => ({ guard: g(ix, 'matrix_mdev_closed'), actions: [a(store, ix), settle(region)], ...by('userspace') });
  const out = {
    initial: 'probed',
    states: {
      probed: {
        description: 'vfio_ap_mdev_probe_queue: bound to vfio_ap, not (fully) assigned to the mdev',
        on: {
          // the store completed the APQN
          [settled]: { guard: a('apqn_assigned', ix), target: 'assigned' },
          assign_adapter_store: assign('assign_adapter_store'),
          assign_domain_store: assign('assign_domain_store'),
          vfio_ap_mdev_remove_queue: { guard: g(ix, 'update_locks_free'), target: 'removed', actions: a('vfio_ap_mdev_remove_queue', ix), ...by('userspace') },
          // guestStatus: the APQN is not (fully) assigned: vfio_ap_mdev_get_queue finds no queue (or priv.c refuses first)
          PQAP_AQIC: { guard: g(ix, 'guest_status', 'bounds_aqic_hooked', 'mdevs_lock_free', 'ap_aqic_answer_possible'), actions: a('priv_handle_pqap', ix), ...by('guest') },
        },
      },
      assigned: {
        description: 'APQN (APID, APQI) in the matrix mdev',
        initial: 'aqic_disabled',
        states: {
          aqic_disabled: {
            description: 'q->saved_isc == VFIO_AP_ISC_INVALID',
            on: { ...assignedOn, [settled]: { guard: a('saved_isc_valid', ix), target: 'aqic_enabled' } },
          },
          aqic_enabled: {
            description: 'AQIC enabled: saved ISC registered, NIB pinned',
            on: { ...assignedOn, [settled]: { guard: not(a('saved_isc_valid', ix)), target: 'aqic_disabled' } },
          },
        },
        on: {
          // the mdev's close resets the queue (vfio_ap_mdev_unset_kvm): the region follows what the reset left
          vfio_ap_mdev_close_device: { guard: a('matrix_mdev_open'), actions: settle(region), ...by('userspace') },
          // deviceReset: QEMU's VFIO_DEVICE_RESET resets the queue too (vfio_ap_mdev_ioctl): the region follows what it left
          VFIO_DEVICE_RESET: { guard: a('matrix_mdev_open'), actions: settle(region), ...by('userspace') },
          // apAnswers: the reset work's pass (TAPQ, maybe ZAPQ again, the free at the end)
          apq_reset_check: { guard: g(ix, 'reset_work_queued'), actions: [a('apq_reset_check', ix), settle(region)], ...by('kernel') },
        },
      },
      removed: { id: queueRemovedId(q), description: 'vfio_ap_mdev_remove_queue: unbound and freed' },
    },
  };
  if (!fine) return out;
  if (fine.initial) out.initial = fine.initial;
  const footprint = { reads: [['queues', q]], writes: [] };
  const declare = (on: Record<string, unknown>): void => {
    for (const type of Object.keys(on)) {
      if (fine.omit.has(type)) delete on[type];
      else if (type === settled) {
        const withFootprint = (t: unknown) => ({ ...(t as object), meta: { ...((t as { meta?: object }).meta ?? {}), footprint } });
        on[type] = Array.isArray(on[type]) ? (on[type] as unknown[]).map(withFootprint) : withFootprint(on[type]);
      }
    }
  };
  declare(out.states.probed.on as Record<string, unknown>);
  declare(out.states.assigned.on as Record<string, unknown>);
  for (const st of Object.values(out.states.assigned.states)) {
    const on = { ...(st.on as Record<string, unknown>) }; // the substates share assignedOn: copy before editing
    // the thread's kfree(q) step raises the settle: the region follows it to removed before any other settle branch
    if (fine.removedBy) on[settled] = [{ guard: a('queue_freed', ix), target: '#' + queueRemovedId(q) }, on[settled]];
    declare(on);
    (st as { on: unknown }).on = on;
  }
  return out;
}

export const queueRemovedId = (q: number) => `q${q}_removed`;
