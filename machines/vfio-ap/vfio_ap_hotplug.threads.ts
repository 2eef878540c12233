/**
 * Assigning adapters and domains to the matrix mdev while a guest uses it (hot plug into the guest's
 * APCB), at the kernel's own granularity (machines/kthread.ts), for the fine-grained configuration
 * `pqap-assign` of the composed guest (issue 12, apassign). Three threads on VM 0 (its fd open, the mdev
 * open for it), queue 0 bound to vfio_ap (probed), its APQI assigned, its APID not yet:
 *
 * - `vcpu`: the guest's PQAP(AQIC) ir=1 for queue 0 (vfio_ap_ops.threads.ts handle_pqap).
 * - `adapter`: userspace writes queue 0's APID to assign_adapter; `domain`: userspace writes a second APQI
 *   to assign_domain (its APQN on queue 0's APID is the abstracted sibling: bound to vfio_ap or not, the
 *   answer of the store's validation step).
 *
 * Each store (v6.17-rc4, Kingxukai/linux 9b44fff655e2, drivers/s390/crypto/vfio_ap_ops.c assign_adapter_store,
 * assign_domain_store) is: mutex_lock(&ap_perms_mutex) (folded into the next step: nothing modelled takes it) and
 * get_update_locks_for_mdev (guests_lock; `if (matrix_mdev->kvm)` kvm->lock, the pointer stable under guests_lock;
 * mdevs_lock) as steps; set_bit_inv and vfio_ap_mdev_validate_masks one step, whose answer is what the other mdevs
 * and the host's reservations say (0, -EADDRNOTAVAIL: an APQN reserved for the zcrypt default drivers,
 * -EADDRINUSE: an APQN assigned to another mdev; both abstracted: one mdev, no apmask/aqmask), the bit cleared again
 * on failure; vfio_ap_mdev_link_adapter/_domain, vfio_ap_mdev_filter_matrix, vfio_ap_mdev_update_guest_apcb and
 * reset_queues_for_apids one step (every reader of the qtable, the shadow APCB and the queues' AQIC fields holds
 * mdevs_lock: handle_pqap, the close, remove_queue, VFIO_DEVICE_RESET; the reset work runs only while its queuer
 * holds mdevs_lock in flush_work, and reset_queues_for_apids' own reset, ZAPQ and flush_work, completes at once as
 * in pqap-close); release_update_locks_for_mdev (the pointer tested again) as steps.
 *
 * Modelled: the matrix bits of queue 0 (QueueContext.apid/apqi), its link (QueueContext.linked: q->matrix_mdev and
 * the qtable), the guest's APCB (QueueContext.inApcb: matrix_mdev->shadow_apcb, which vfio_ap_mdev_update_guest_apcb
 * copies into the CRYCB with kvm_arch_crypto_set_masks in the same step while matrix_mdev->kvm is set), the
 * sibling's binding (QueueContext.siblingUnbound). Ignored: control domains (vfio_ap_mdev_filter_cdoms: no queue),
 * the cfg eventfd (signal_guest_ap_cfg_changed: QEMU's business), the host's AP configuration (every APQN in it:
 * matrix_dev->info; its changes are the notifiers'), the sibling's own AQIC state (the guest enables queue 0 only).
 */
import type { QueueContext, SystemContext } from '../context.ts';
import { SpecError } from '../../src/spec.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent } from '../lib.ts';
import { acquire, kfunction, named, release, type KFunction, type Path, type Step, type ThreadDef } from '../kthread.ts';
import { eraOf, guests_lock, handle_pqap, kvm_lock, mdevs_lock } from './vfio_ap_ops.threads.ts';
import { checkedApSteps, replantApStep } from './vfio_ap_ops.stepghost.ts';
import { hotplugPosts, STORE_AT } from './vfio_ap_hotplug.stepghost.ts';

export { STORE_AT };

/** The first and the fifth step of a store: the lock with the test of matrix_mdev->kvm under it, the unlock with the test again. */
export const LOCK_AT = 'mutex_lock(matrix_dev->guests_lock); if (matrix_mdev->kvm)';
export const UNLOCK_AT = 'mutex_unlock(matrix_dev->mdevs_lock); if (matrix_mdev->kvm)';

type C = SystemContext;
type F = KFunction<C>;

/** vfio_ap_mdev_validate_masks' answers for the adapter store (what the host's reservations and the other mdevs say). */
export const VALIDATE_ANSWERS = ['0', '-EADDRNOTAVAIL', '-EADDRINUSE'] as const;
/** The domain store's: validation passes with the new APQN on queue 0's APID bound to vfio_ap or not, or fails. */
export const DOMAIN_ANSWERS = ['0 bound', '0 unbound', '-EADDRNOTAVAIL', '-EADDRINUSE'] as const;

const QF = (q: number, f: keyof QueueContext): Path => ['queues', q, f];
/** What a store's filter and its reset of the filtered APIDs read and write (the reset through matrix_mdev->kvm's GISA). */
const RESET_PATHS = (q: number): Path[] => [['queues', q], ['mdev', 'kvm'], ['vms', 0, 'freed'], ['vms', 0, 'gisa'], ['gib', 'list']];

/**
 * vfio_ap_ops.c _queue_passable (v6.17-rc4): q found in matrix_mdev->qtable (vfio_ap_mdev_get_queue) and its
 * q->reset_status.response_code NORMAL, DECONFIGURED or CHECKSTOPPED (the class DECONFIGURED); no reset_status
 * tracked: 0 (set by the probe's memset).
 */
export function queue_passable(x: QueueContext): boolean {
  const inQtable = x.apid && x.apqi && x.linked !== false && x.freed !== true;
  return inQtable && (x.resetStatus === undefined || x.resetStatus === 'NORMAL' || x.resetStatus === 'DECONFIGURED');
}

/**
 * vfio_ap_mdev_filter_matrix for queue q's APID (every APID and APQI in the host's configuration): the APID stays in
 * shadow_apcb.apm only if every APQN of it in the matrix is passable ("The AP architecture won't allow filtering of a
 * single APQN, so let's filter the APID"); returns whether q left the APCB it was in (apm_filtered holds its APID).
 */
export function vfio_ap_mdev_filter_matrix(c: C, q: number): boolean {
  const x = c.queues[q]!;
  const was = x.inApcb === true;
  x.inApcb = queue_passable(x) && x.siblingUnbound !== true;
  return was && !x.inApcb;
}

/** assign_adapter_store (adapter: q's APID) or assign_domain_store (domain: a second APQI, the sibling APQN on q's APID) as steps. */
export function assign_store(what: 'adapter' | 'domain', vm: number, q: number, k: Kernel): F {
  if (eraOf(k, `assign_${what}_store`) !== 'upstream') throw new SpecError(`assign_${what}_store as steps is v6.17-rc4's (the filter and the hot plug came in v6.0); the design's era has no fine-grained form`);
  const fn = `assign_${what}_store`;
  const bit = what === 'adapter' ? 'apm' : 'aqm';
  // matrix_mdev->kvm is tested under guests_lock, which set_kvm/unset_kvm hold to write it: the test is folded into the step before it
  const kvmTest = (then: string, otherwise: string): Pick<Step<C>, 'reads' | 'run' | 'next'> => ({
    reads: [['mdev', 'kvm']],
    run: (c, t) => void (t.local.kvm = c.mdev.kvm === vm),
    next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: then }, { goto: otherwise }],
  });
  const body: Step<C> = {
    at: STORE_AT,
    cite: `vfio_ap_ops.c ${fn}: if (test_bit_inv(..., matrix_mdev->matrix.${bit})) (not set here); set_bit_inv(..., matrix_mdev->matrix.${bit}); ret = vfio_ap_mdev_validate_masks(matrix_mdev) (ap_apqn_in_matrix_owned_by_def_drv: -EADDRNOTAVAIL; vfio_ap_mdev_verify_no_sharing: -EADDRINUSE); if (ret) { clear_bit_inv(...); goto done; } vfio_ap_mdev_link_${what}(matrix_mdev, ...) (vfio_ap_mdev_link_apqn: vfio_ap_find_queue, vfio_ap_mdev_link_queue: q->matrix_mdev, hash_add(qtable)); if (vfio_ap_mdev_filter_matrix(matrix_mdev, apm_filtered)) { vfio_ap_mdev_update_guest_apcb(matrix_mdev) (with matrix_mdev->kvm: kvm_arch_crypto_set_masks, signal_guest_ap_cfg_changed); reset_queues_for_apids(matrix_mdev, apm_filtered) (collect_queues_to_reset over shadow_apcb.aqm, vfio_ap_mdev_reset_qlist: ZAPQ, flush_work) }; ret = count`,
    answers: what === 'adapter' ? VALIDATE_ANSWERS : DOMAIN_ANSWERS,
    reads: [QF(q, 'apid'), QF(q, 'apqi'), QF(q, 'linked'), QF(q, 'inApcb'), QF(q, 'siblingUnbound'), QF(q, 'freed'), QF(q, 'resetStatus'), ...RESET_PATHS(q)],
    writes: [QF(q, 'apid'), QF(q, 'siblingUnbound'), QF(q, 'linked'), QF(q, 'inApcb'), ...RESET_PATHS(q)],
    raises: [settleEvent(`q${q}`).type],
    run: (c, t, fx) => {
      const x = c.queues[q]!;
      if (!t.answer!.startsWith('0')) return; // the bit set and cleared again: the matrix as it was
      if (what === 'adapter') x.apid = true;
      else if (t.answer === '0 unbound') x.siblingUnbound = true; // the new APQI's APQN on q's APID has no queue bound to vfio_ap
      // vfio_ap_mdev_link_apqn: q is bound to vfio_ap (probed) and its APQN now in the matrix
      if (what === 'adapter' && x.apqi && x.freed !== true) x.linked = true;
      if (!vfio_ap_mdev_filter_matrix(c, q)) return;
      k.vfio_ap_mdev_reset_queue(c, q); // q's APID filtered out of the APCB it was in
      fx.raise({ type: settleEvent(`q${q}`).type }); // the queue region follows q->saved_isc
    },
  };
  return checkedApSteps(kfunction(fn, `drivers/s390/crypto/vfio_ap_ops.c ${fn} (sysfs)`, [
    acquire<C>(guests_lock, 'write', {
      at: LOCK_AT,
      cite: `vfio_ap_ops.c ${fn}: mutex_lock(&ap_perms_mutex); get_update_locks_for_mdev: mutex_lock(&matrix_dev->guests_lock); if (matrix_mdev && matrix_mdev->kvm)`,
      sleeps: true,
      ...kvmTest('mutex_lock(kvm->lock)', `mutex_lock(${mdevs_lock.short})`),
    }),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_mdev: mutex_lock(&matrix_mdev->kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_mdev: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    body,
    release<C>(mdevs_lock, 'write', {
      at: UNLOCK_AT,
      cite: `vfio_ap_ops.c ${fn}: done: release_update_locks_for_mdev: mutex_unlock(&matrix_dev->mdevs_lock); if (matrix_mdev && matrix_mdev->kvm) (loaded again, still under guests_lock)`,
      ...kvmTest('mutex_unlock(kvm->lock)', `mutex_unlock(${guests_lock.short})`),
    }),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_mdev->kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: `vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->guests_lock); ${fn}: mutex_unlock(&ap_perms_mutex); return ret` }),
  ]), k, hotplugPosts(what));
}

/** The threads of `pqap-assign`: the guest's PQAP(AQIC) on VM 0 for queue 0, userspace assigning queue 0's APID and a second APQI. */
export function pqapAssignThreads(k: Kernel): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k)] },
    { name: 'adapter', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [assign_store('adapter', 0, 0, k)] },
    { name: 'domain', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [assign_store('domain', 0, 0, k)] },
  ];
}

/** Where pqap-assign starts (besides the open mdev): queue 0 probed, its APQI assigned, not linked, not in the guest's APCB. */
export function pqapAssignInitial(c: C): void {
  Object.assign(c.queues[0]!, { apid: false, apqi: true, linked: false, inApcb: false, siblingUnbound: false });
}

/** Planted (pqap-assign): a failed vfio_ap_mdev_validate_masks without the clear_bit_inv (the bit stays in the matrix, goto done skips the link). */
export function validateKeepsBit(f: F, k: Kernel): F {
  const adapter = f.name === 'assign_adapter_store';
  return editStep(f, STORE_AT, (st) => replantApStep({ ...st, cite: 'planted: if (ret) goto done; without clear_bit_inv' }, (inner) => (c, t, fx) => {
    if (t.answer!.startsWith('0')) return inner(c, t, fx);
    if (adapter) c.queues[0]!.apid = true; // set_bit_inv, kept
    void k;
  }));
}

/** Planted (pqap-assign): vfio_ap_mdev_filter_matrix without the _queue_passable test (shadow_apcb = matrix & host configuration). */
export function filterWithoutPassable(f: F, k: Kernel): F {
  return editStep(f, STORE_AT, (st) => replantApStep({ ...st, cite: 'planted: vfio_ap_mdev_filter_matrix copies the matrix into shadow_apcb without the _queue_passable loop' }, () => (c, t, fx) => {
    const x = c.queues[0]!;
    if (!t.answer!.startsWith('0')) return;
    if (f.name === 'assign_adapter_store') x.apid = true;
    else if (t.answer === '0 unbound') x.siblingUnbound = true;
    if (f.name === 'assign_adapter_store' && x.apqi) x.linked = true;
    const was = x.inApcb === true;
    x.inApcb = x.apid && x.apqi;
    if (!was || x.inApcb) return;
    k.vfio_ap_mdev_reset_queue(c, 0);
    fx.raise({ type: settleEvent('q0').type });
  }));
}

/** Planted (pqap-assign): the store updating the guest's APCB without reset_queues_for_apids (the filtered APID's queues keep their AQIC resources). */
export function filterWithoutReset(f: F): F {
  return editStep(f, STORE_AT, (st) => replantApStep({ ...st, cite: 'planted: if (vfio_ap_mdev_filter_matrix(...)) vfio_ap_mdev_update_guest_apcb(matrix_mdev); without reset_queues_for_apids' }, () => (c, t) => {
    const x = c.queues[0]!;
    if (!t.answer!.startsWith('0')) return;
    if (f.name === 'assign_adapter_store') x.apid = true;
    else if (t.answer === '0 unbound') x.siblingUnbound = true;
    if (f.name === 'assign_adapter_store' && x.apqi) x.linked = true;
    vfio_ap_mdev_filter_matrix(c, 0);
  }));
}

/** `f` with the step at `at` replaced (its postcondition kept: the ghost re-wraps the new body). */
function editStep(f: F, at: string, edit: (st: Step<C>) => Step<C>): F {
  if (!f.steps.some((s) => s.at === at)) throw new Error(`${f.name}: no step '${at}'`);
  return { ...f, steps: f.steps.map((s) => (s.at === at ? edit(s) : s)) };
}

