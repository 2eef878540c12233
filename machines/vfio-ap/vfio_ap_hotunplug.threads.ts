/**
 * Hot unplug of AP queues from the matrix mdev (and from the guest's APCB), at the kernel's own
 * granularity (machines/kthread.ts), for the fine-grained configurations `unplug-pqap` and
 * `unplug-stale` of the composed guest (issue 12, apunplug). Every queue of these configurations
 * belongs to one adapter (one APID): queue i is the APQN (a, d_i), so the adapter's unplug takes
 * them all and a domain's unplug takes queue i alone.
 *
 * Modelled (v6.17-rc4, Kingxukai/linux 9b44fff655e2, drivers/s390/crypto/vfio_ap_ops.c):
 * - unassign_adapter_store / unassign_domain_store / ap_config_store (the new masks without the
 *   adapter): get_update_locks_for_mdev (ap_config_store first ap_perms_mutex), the bit cleared and
 *   vfio_ap_mdev_hot_unplug_adapter(s) / _domain(s): vfio_ap_mdev_unlink_adapter / _domain takes every
 *   queue of the APID (APQI) out of the qtable (hash_del) and collects those in the guest's APCB
 *   (shadow_apcb); the shadow APCB and the guest's (vfio_ap_mdev_update_guest_apcb); then
 *   vfio_ap_mdev_reset_qlist (ZAPQ, flush_work) and vfio_ap_unlink_mdev_fr_queue (q->matrix_mdev =
 *   NULL) of the collected queues only; release_update_locks_for_mdev.
 * - vfio_ap_mdev_remove of a closed mdev: guests_lock, mdevs_lock; vfio_ap_mdev_reset_queues (the
 *   qtable), vfio_ap_mdev_unlink_fr_queues (q->matrix_mdev = NULL for the qtable's queues of apm x aqm),
 *   list_del; the unlocks; vfio_put_device frees the mdev.
 * - vfio_ap_mdev_remove_queue (the AP bus unbinding a queue) through get_update_locks_for_queue,
 *   which loads q->matrix_mdev->kvm: in the guest's APCB, the APID leaves the shadow APCB and
 *   reset_queues_for_apid resets every queue of the APID still there (the siblings stay linked);
 *   otherwise the queue alone is reset; hash_del, kfree(q); release_update_locks_for_mdev loads
 *   matrix_mdev->kvm again.
 * - the guest's PQAP(AQIC) (handle_pqap of vfio_ap_ops.threads.ts) against the unplug (unplug-pqap).
 *
 * Ignores (with the reason): the shadow APCB's masks themselves (QueueContext.inApcb is "the APQN is in
 * it", per queue; nothing in these configurations adds to it again); kvm_arch_crypto_set_masks and the
 * cfg eventfd (the guest's view of its APCB is not state); vfio_ap_mdev_validate_masks (it passes: no
 * other mdev, no host reservation); the AP's answers to ZAPQ and the reset work (vfio_ap_mdev_reset_qlist
 * is one step, ZAPQ and the flushed work freeing at once: the answers are pqap-*-answers' and the coarse
 * reset-warn's); the host's AP configuration (present); what the freed mdev's memory holds (read as it was
 * when freed: a closed mdev, matrix_mdev->kvm NULL, the APID out of its shadow APCB).
 *
 * Stays atomic, and why: each store's body between mdevs_lock and its unlock is three steps (unlink and
 * APCB, reset, unlink from the mdev); every other user of the queues and the mdev (handle_pqap, the
 * remove, the other stores) holds mdevs_lock, and the stores, the mdev remove and the queue remove all
 * hold guests_lock throughout.
 */
import { FAULT, type QueueContext, type SystemContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent } from '../lib.ts';
import { acquire, kfunction, mutex, named, release, type KFunction, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';
import { guests_lock, handle_pqap, kvm_lock, mdevs_lock } from './vfio_ap_ops.threads.ts';
import { checkedApSteps } from './vfio_ap_ops.stepghost.ts';
import { kvmTestPosts, mdevRemovePosts, removeQueuePosts, unplugPosts } from './vfio_ap_hotunplug.stepghost.ts';

/** The kernel-table functions the checked steps call: a variant replacing one runs its own code there (no step postcondition). */
const RESET_TABLE = ['vfio_ap_mdev_reset_queue', 'vfio_ap_free_aqic_resources', 'vfio_unpin_pages', 'kvm_s390_gisc_unregister'];
const STORE_TESTS = ['if (matrix_mdev->kvm)', 'release: if (matrix_mdev->kvm)'];
/** A store's steps with their postconditions (vfio_ap_hotunplug.stepghost.ts). */
const checkedStore = (f: F, vm: number, k: Kernel, domain?: number): F =>
  checkedApSteps(f, k, { ...unplugPosts({ unlink: UNLINK, reset: RESET_QLIST, unlinkMdev: 'vfio_ap_unlink_mdev_fr_queue' }, domain), ...kvmTestPosts(STORE_TESTS, vm) }, RESET_TABLE);

type C = SystemContext;
type F = KFunction<C>;

/** ap_perms_mutex (drivers/s390/crypto/ap_bus.c): ap_config_store and the assign stores take it before the update locks. */
export const ap_perms_mutex = mutex('ap_perms_mutex');

const qSettle = (q: number) => ({ type: settleEvent(`q${q}`).type });
const SETTLES = ['settle.q0', 'settle.q1', 'settle.q2'];
const MDEV_FREED: Path = ['mdev', 'freed'];

/** A queue is in matrix_mdev->qtable: linked by vfio_ap_mdev_link_queue, not yet hash_del'ed, not freed. */
const inQtable = (x: QueueContext): boolean => x.linked !== false && x.freed !== true;

/** What the hot unplug is of: the adapter (every queue), or the domain of queue `q`. */
export type Unplug = { adapter: true } | { domain: number };

/**
 * get_update_locks_for_mdev(matrix_mdev) around `body`, then release_update_locks_for_mdev: guests_lock, the
 * matrix_mdev->kvm test (under guests_lock: set_kvm/unset_kvm write it holding guests_lock), kvm->lock,
 * mdevs_lock; the unlocks test the pointer again. `perms`: ap_perms_mutex first (ap_config_store).
 */
function underUpdateLocks(vm: number, fn: string, body: Step<C>[], perms = false): Step<C>[] {
  const test = (at: string, cite: string, then: string, otherwise: string): Step<C> => ({
    at,
    cite,
    reads: [['mdev', 'kvm']],
    run: (c, t) => void (t.local.kvm = c.mdev.kvm === vm),
    next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: then }, { goto: otherwise }],
  });
  return [
    ...(perms ? [acquire<C>(ap_perms_mutex, 'write', { cite: `vfio_ap_ops.c ${fn}: mutex_lock(&ap_perms_mutex)`, sleeps: true })] : []),
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_mdev: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    test('if (matrix_mdev->kvm)', 'vfio_ap_ops.c get_update_locks_for_mdev: if (matrix_mdev && matrix_mdev->kvm)', 'mutex_lock(kvm->lock)', 'mutex_lock(matrix_dev->mdevs_lock)'),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_mdev: mutex_lock(&matrix_mdev->kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_mdev: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    ...body,
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    test('release: if (matrix_mdev->kvm)', 'vfio_ap_ops.c release_update_locks_for_mdev: if (matrix_mdev && matrix_mdev->kvm) (loaded again)', 'mutex_unlock(kvm->lock)', 'mutex_unlock(matrix_dev->guests_lock)'),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_mdev->kvm->lock)' }),
    release<C>(guests_lock, 'write', {
      cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->guests_lock)',
      ...(perms ? { next: 'mutex_unlock(ap_perms_mutex)' } : {}),
    }),
    ...(perms ? [release<C>(ap_perms_mutex, 'write', { cite: `vfio_ap_ops.c ${fn}: mutex_unlock(&ap_perms_mutex); kfree(newbuf); return count` })] : []),
  ];
}

/** The label of vfio_ap_mdev_unlink_adapter / _domain's step (a variant edits it: unlinkFilteredToo). */
export const UNLINK = 'vfio_ap_mdev_unlink_apqns; shadow_apcb; vfio_ap_mdev_update_guest_apcb';
/** The label of vfio_ap_mdev_reset_qlist's step (planted-unplug-without-reset drops its effect). */
export const RESET_QLIST = 'vfio_ap_mdev_reset_qlist(&qlist)';

/** The queues an unplug takes (by the assignment before the bit is cleared): the adapter's are all of them, a domain's the one queue. */
const unplugged = (c: C, u: Unplug): number[] => c.queues.flatMap((_, q) => ('adapter' in u || u.domain === q ? [q] : []));

/**
 * vfio_ap_mdev_hot_unplug_adapter(s) / _domain(s) with the store's clear_bit_inv before it: the bit leaves the
 * matrix; vfio_ap_mdev_unlink_adapter / _domain (vfio_ap_unlink_apqn_fr_mdev: hash_del of each queue of the
 * APID / APQI still in the qtable; `if (q && qlist)` and in the shadow APCB: list_add_tail to qlist); the shadow
 * APCB loses the APID / APQI and, if it had it, vfio_ap_mdev_update_guest_apcb. Three steps under the locks.
 */
function hotUnplug(u: Unplug, fn: string, k: Kernel): Step<C>[] {
  const what = 'adapter' in u ? 'adapter' : 'domain';
  return [
    {
      at: UNLINK,
      cite: `vfio_ap_ops.c ${fn}: clear_bit_inv(${what === 'adapter' ? 'apid, matrix_mdev->matrix.apm' : 'apqi, matrix_mdev->matrix.aqm'}); vfio_ap_mdev_hot_unplug_${what}s: vfio_ap_mdev_unlink_${what} (for each ${what === 'adapter' ? 'apqi of matrix.aqm' : 'apid of matrix.apm'}: vfio_ap_unlink_apqn_fr_mdev hash_del's the queue; in shadow_apcb.apm x aqm: list_add_tail(&q->reset_qnode, qlist)); if in shadow_apcb: clear_bit_inv, apcb_update; if (apcb_update) vfio_ap_mdev_update_guest_apcb (kvm_arch_crypto_set_masks, the cfg eventfd; not state)`,
      reads: [['queues']],
      writes: [['queues', '*', 'apid'], ['queues', '*', 'apqi'], ['queues', '*', 'linked'], ['queues', '*', 'inApcb']],
      run: (c, t) => {
        let qlist = 0;
        const taken = unplugged(c, u);
        for (const q of taken) {
          const x = c.queues[q]!;
          if (!(x.apid && x.apqi && inQtable(x))) continue; // vfio_ap_mdev_get_queue finds it in the qtable only
          x.linked = false; // vfio_ap_unlink_queue_fr_mdev: hash_del(&q->mdev_qnode)
          if (x.inApcb) qlist |= 1 << q;
        }
        // the matrix bit; the shadow APCB loses the APID (every queue of the adapter) or the APQI (queue d)
        for (const q of taken) {
          if ('adapter' in u) c.queues[q]!.apid = false;
          else c.queues[q]!.apqi = false;
        }
        for (const q of 'adapter' in u ? c.queues.map((_, i) => i) : taken) c.queues[q]!.inApcb = false;
        t.local.qlist = qlist;
      },
    },
    {
      at: RESET_QLIST,
      cite: 'vfio_ap_ops.c vfio_ap_mdev_reset_qlist: vfio_ap_mdev_reset_queue(q) (ZAPQ, queue_work) for each collected queue, then flush_work(&q->reset_work) (apq_reset_check: vfio_ap_free_aqic_resources); one step, the work done at once',
      reads: [['queues'], ['mdev', 'kvm'], ['vms'], ['gib', 'list']],
      writes: [['queues'], ['vms', '*', 'gisa', 'ref'], ['vms', '*', 'gisa', 'mask'], ['vms', '*', 'gisa', 'iam']],
      raises: SETTLES,
      run: (c, t, fx) => {
        for (let q = 0; q < c.queues.length; q++) {
          if (!((t.local.qlist as number) & (1 << q))) continue;
          k.vfio_ap_mdev_reset_queue(c, q);
          fx.raise(qSettle(q)); // the queue region follows what the reset left
        }
      },
    },
    {
      at: 'vfio_ap_unlink_mdev_fr_queue',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_hot_unplug_adapters / _domains: list_for_each_entry_safe(q, tmpq, &qlist, reset_qnode) { vfio_ap_unlink_mdev_fr_queue(q) (q->matrix_mdev = NULL); list_del(&q->reset_qnode); } (the collected queues only)',
      reads: [['queues', '*', 'matrixMdev'], ['queues', 'length']],
      writes: [['queues', '*', 'matrixMdev']],
      run: (c, t) => {
        for (let q = 0; q < c.queues.length; q++) if ((t.local.qlist as number) & (1 << q)) c.queues[q]!.matrixMdev = false;
      },
    },
  ];
}

/** unassign_adapter_store of the configuration's adapter (vm: the VM the mdev may be attached to). */
export function unassign_adapter_store(vm: number, k: Kernel): F {
  return checkedStore(kfunction('unassign_adapter_store', 'drivers/s390/crypto/vfio_ap_ops.c unassign_adapter_store', underUpdateLocks(vm, 'unassign_adapter_store', hotUnplug({ adapter: true }, 'unassign_adapter_store', k))), vm, k);
}

/** unassign_domain_store of queue q's domain. */
export function unassign_domain_store(vm: number, q: number, k: Kernel): F {
  return checkedStore(kfunction('unassign_domain_store', 'drivers/s390/crypto/vfio_ap_ops.c unassign_domain_store', underUpdateLocks(vm, 'unassign_domain_store', hotUnplug({ domain: q }, 'unassign_domain_store', k))), vm, k, q);
}

/**
 * ap_config_store writing the mdev's masks without the adapter (its domains kept): ap_perms_mutex and the update
 * locks; the new masks validated (no conflict) and the old ones put back for the unplug;
 * vfio_ap_mdev_hot_unplug_adapters(m_removed.apm) as the adapter store's; no domain removed and nothing added,
 * so vfio_ap_mdev_hot_unplug_domains, the links, vfio_ap_mdev_filter_matrix / _cdoms and reset_queues_for_apids
 * find nothing of these queues (folded into the last step of the unplug).
 */
export function ap_config_store(vm: number, k: Kernel): F {
  const steps = hotUnplug({ adapter: true }, 'ap_config_store', k).map((s) =>
    s.at === 'vfio_ap_unlink_mdev_fr_queue'
      ? { ...s, cite: `${s.cite}; then vfio_ap_mdev_hot_unplug_domains(m_removed.aqm) (empty), ap_matrix_copy(m_new), no adapter or domain to link, vfio_ap_mdev_filter_matrix and _cdoms (the adapter is out of the matrix: nothing of it in the shadow APCB, apm_filtered empty), so do_update changes nothing of these queues` }
      : s,
  );
  return checkedStore(kfunction('ap_config_store', 'drivers/s390/crypto/vfio_ap_ops.c ap_config_store (masks without the adapter)', underUpdateLocks(vm, 'ap_config_store', steps, true)), vm, k);
}

/**
 * vfio_ap_mdev_remove of the closed mdev (no guest: vfio_unregister_group_dev returns at once; the mdev core's
 * device_remove took the sysfs attributes away first, draining the stores: `after` the host thread).
 */
export function mdev_remove_closed(vm: number, k: Kernel, after: readonly string[]): F {
  return checkedApSteps(mdevRemoveClosed(vm, k, after), k, mdevRemovePosts({ reset: 'vfio_ap_mdev_reset_queues; vfio_ap_mdev_unlink_fr_queues; list_del', put: 'vfio_put_device' }), RESET_TABLE);
}

function mdevRemoveClosed(_vm: number, k: Kernel, after: readonly string[]): F {
  return kfunction('vfio_ap_mdev_remove', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove (mdev core remove of a closed mdev)', [
    acquire<C>(guests_lock, 'write', {
      cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_unregister_group_dev (the device is not open: returns); mutex_lock(&matrix_dev->guests_lock). The mdev core\'s device_remove removed the driver\'s dev_groups (the sysfs stores, kernfs draining their writers) before calling the remove',
      sleeps: true,
      after,
    }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    {
      at: 'vfio_ap_mdev_reset_queues; vfio_ap_mdev_unlink_fr_queues; list_del',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_ap_mdev_reset_queues(matrix_mdev) (hash_for_each of the qtable: ZAPQ, flush_work); vfio_ap_mdev_unlink_fr_queues (for each APQN of matrix.apm x matrix.aqm found in the qtable: q->matrix_mdev = NULL); list_del(&matrix_mdev->node)',
      reads: [['queues'], ['mdev', 'kvm'], ['vms'], ['gib', 'list']],
      writes: [['queues'], ['vms', '*', 'gisa', 'ref'], ['vms', '*', 'gisa', 'mask'], ['vms', '*', 'gisa', 'iam']],
      raises: SETTLES,
      run: (c, _t, fx) => {
        for (let q = 0; q < c.queues.length; q++) {
          const x = c.queues[q]!;
          if (!inQtable(x)) continue;
          k.vfio_ap_mdev_reset_queue(c, q);
          fx.raise(qSettle(q));
          if (x.apid && x.apqi) x.matrixMdev = false; // a queue the unplug hash_del'ed is no longer found: its pointer stays
        }
      },
    },
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_unlock(&matrix_dev->guests_lock)' }),
    { at: 'vfio_put_device', cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_put_device(&matrix_mdev->vdev): the last reference, the ap_matrix_mdev freed', writes: [MDEV_FREED], run: (c) => void (c.mdev.freed = true) },
  ]);
}

/** A load through q->matrix_mdev: a use after free once vfio_ap_mdev_remove freed the mdev the pointer still names. */
function throughQueueMdev(c: C, q: number, t: ThreadView): boolean {
  const x = c.queues[q]!;
  if (x.matrixMdev !== true) return false;
  if (c.mdev.freed === true) t.report(FAULT.MDEV_USE_AFTER_FREE);
  return true;
}

/**
 * vfio_ap_mdev_remove_queue of queue q with q->matrix_mdev as the unplug left it: get_update_locks_for_queue loads
 * q->matrix_mdev->kvm (a use after free if the mdev is gone; the freed memory read as the closed mdev left it, kvm
 * NULL); under the locks: in the guest's APCB (read through q->matrix_mdev) the APID leaves the shadow APCB and
 * reset_queues_for_apid resets every queue of it still in the qtable, the siblings staying linked; otherwise
 * vfio_ap_mdev_reset_queue(q) and flush_work (the APQN is in the host's configuration); with q->matrix_mdev
 * set, hash_del (a no-op for a queue the unplug took out already); kfree(q); release_update_locks_for_mdev.
 */
export function remove_queue_unplugged(vm: number, q: number, k: Kernel): F {
  const labels = { test: 'if (q->matrix_mdev && q->matrix_mdev->kvm)', release: 'release: if (matrix_mdev && matrix_mdev->kvm)', remove: 'reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)' };
  return checkedApSteps(removeQueueUnplugged(vm, q, k), k, removeQueuePosts(labels, q, vm), RESET_TABLE);
}

function removeQueueUnplugged(vm: number, q: number, k: Kernel): F {
  const test = (at: string, cite: string, then: string, otherwise: string): Step<C> => ({
    at,
    cite,
    reads: [['queues', q, 'matrixMdev'], MDEV_FREED, ['mdev', 'kvm']],
    reports: true,
    run: (c, t) => {
      t.local.viaMdev = throughQueueMdev(c, q, t); // matrix_mdev, kept for the unlock's test
      t.local.kvm = t.local.viaMdev && c.mdev.freed !== true && c.mdev.kvm === vm;
    },
    next: [
      { if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: then, writes: [] },
      { if: named('q->matrix_mdev freed', (c) => c.queues[q]!.matrixMdev === true && c.mdev.freed === true), goto: otherwise, writes: [], reports: true },
      { goto: otherwise, writes: [] },
    ],
  });
  return kfunction('vfio_ap_mdev_remove_queue', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove_queue (AP bus remove) after a hot unplug', [
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_queue: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    test('if (q->matrix_mdev && q->matrix_mdev->kvm)', 'vfio_ap_ops.c get_update_locks_for_queue: if (q->matrix_mdev && q->matrix_mdev->kvm) (loads through q->matrix_mdev)', 'mutex_lock(kvm->lock)', 'mutex_lock(matrix_dev->mdevs_lock)'),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_queue: mutex_lock(&q->matrix_mdev->kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_queue: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    {
      at: 'reset_queues_for_apid or vfio_ap_mdev_reset_queue; unlink; kfree(q)',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_remove_queue: matrix_mdev = q->matrix_mdev; if (matrix_mdev) and the APQN in shadow_apcb: clear_bit_inv(apid, shadow_apcb.apm); vfio_ap_mdev_update_guest_apcb; reset_queues_for_apid (collect_queues_to_reset: shadow_apcb.aqm x the qtable; ZAPQ, flush_work); goto done; else in the host\'s configuration: vfio_ap_mdev_reset_queue(q); flush_work. done: if (matrix_mdev) vfio_ap_unlink_queue_fr_mdev(q) (hash_del); dev_set_drvdata(NULL); kfree(q)',
      reads: [['queues'], MDEV_FREED, ['mdev', 'kvm'], ['vms'], ['gib', 'list']],
      writes: [['queues'], ['vms', '*', 'gisa', 'ref'], ['vms', '*', 'gisa', 'mask'], ['vms', '*', 'gisa', 'iam']],
      raises: SETTLES,
      run: (c, _t, fx) => {
        const x = c.queues[q]!;
        // matrix_mdev = q->matrix_mdev: the loads through it repeat the test's (reported there), so they report nothing more
        const linkedMdev = x.matrixMdev === true;
        if (linkedMdev && x.inApcb) {
          // a single queue cannot be unplugged: the adapter leaves the guest, every queue of it in the shadow APCB and the qtable is reset
          const apid = c.queues.flatMap((y, i) => (y.inApcb && inQtable(y) ? [i] : []));
          for (const y of c.queues) y.inApcb = false;
          for (const i of apid) {
            k.vfio_ap_mdev_reset_queue(c, i);
            fx.raise(qSettle(i));
          }
        } else {
          k.vfio_ap_mdev_reset_queue(c, q);
        }
        if (linkedMdev) x.linked = false; // vfio_ap_unlink_queue_fr_mdev: hash_del
        x.freed = true; // kfree(q)
        fx.raise(qSettle(q)); // the queue region follows kfree(q) to removed
      },
    },
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    {
      at: 'release: if (matrix_mdev && matrix_mdev->kvm)',
      cite: 'vfio_ap_ops.c release_update_locks_for_mdev(matrix_mdev): if (matrix_mdev && matrix_mdev->kvm) (the pointer copied from q->matrix_mdev before kfree(q): loads through it again)',
      reads: [],
      // the same load as get_update_locks_for_queue's through the same pointer (reported there); the pointer's target is as the test found it (guests_lock held since)
      next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: 'mutex_unlock(kvm->lock)' }, { goto: 'mutex_unlock(matrix_dev->guests_lock)' }],
    },
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_mdev->kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->guests_lock)' }),
  ]);
}

/** The host's side of the unplug: one of the stores that unplug queue 0's adapter or domain (`once`: one call); ap_config_store's removal is the adapter store's unplug (unplug-pqap has it, unplug-stale not: a third of its states for the same steps). */
function unplugger(vm: number, k: Kernel, config = true): ThreadDef<C> {
  return { name: 'host', actor: 'userspace', ix: { vm }, once: true, fns: [unassign_adapter_store(vm, k), unassign_domain_store(vm, 0, k), ...(config ? [ap_config_store(vm, k)] : [])] };
}

/** The threads of `unplug-pqap`: the guest's PQAP(AQIC) on VM 0 for queue 0 against the host unplugging the queue's adapter or domain. */
export function unplugPqapThreads(k: Kernel): ThreadDef<C>[] {
  return [{ name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, 'upstream')] }, unplugger(0, k)];
}

/**
 * The threads of `unplug-stale`: the AP bus unbinding queue 1 (`unbind1`), the host unplugging the adapter or queue 0's
 * domain (`host`: unassign_adapter_store or unassign_domain_store), userspace removing the mdev after the stores are gone (`remove`), and the AP bus unbinding queue 0
 * (`unbind0`, e.g. at rmmod vfio_ap, whose vfio_ap_exit removes the mdevs before ap_driver_unregister).
 */
export function unplugStaleThreads(k: Kernel): ThreadDef<C>[] {
  return [
    { name: 'unbind1', actor: 'userspace', ix: { vm: 0, q: 1 }, once: true, fns: [remove_queue_unplugged(0, 1, k)] },
    unplugger(0, k, false),
    { name: 'remove', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [mdev_remove_closed(0, k, ['host'])] },
    { name: 'unbind0', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [remove_queue_unplugged(0, 0, k)] },
  ];
}
