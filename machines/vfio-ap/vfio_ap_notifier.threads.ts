/**
 * The AP bus's configuration notifiers into vfio_ap, step by step (machines/kthread.ts), for the
 * fine-grained configuration `ap-notifier` of the composed guest (issue 12, apnotify). Three threads:
 *
 * - `apbus`: the AP bus scan (drivers/s390/crypto/ap_bus.c ap_scan_bus, a work item on
 *   system_long_wq run every AP_CONFIG_TIME seconds or on a CHSC/SCLP config event) finds that
 *   QCI changed (ap_get_configuration) and calls the driver's on_config_changed
 *   (vfio_ap_on_cfg_changed: under guests_lock, vfio_ap_mdev_on_cfg_remove then
 *   vfio_ap_mdev_on_cfg_add), scans the adapters (ap_scan_adapter: new queue devices probed),
 *   then calls on_scan_complete (vfio_ap_on_scan_complete: under guests_lock, for each mdev with
 *   additions vfio_ap_mdev_hot_plug_cfg, then the add bitmaps cleared). What QCI answers is the
 *   step's answer: `remove` (an adapter that no mdev has assigned left the host's configuration),
 *   `add-apqn` (a domain assigned to the mdev, not yet in the host's configuration, came: its
 *   queue is not one of the modelled ones), `add-cdom` (a control domain assigned to the mdev
 *   came, nothing else).
 * - `qemu`: QEMU opens the mdev for VM 0 (vfio_ap_mdev_set_kvm, machines/vfio-ap/vfio_ap_ops.threads.ts).
 * - `vcpu`: the guest's PQAP(AQIC) ir=1 for queue 0 (handle_pqap, the same file): once the open is done it
 *   enables (ISC 3 registered, NIB pinned), so a reset behind its back is seen in the queue's fields.
 *
 * The mdev starts closed (matrix_mdev->kvm NULL: defined, not yet used by a guest), queue 0
 * assigned, bound, linked and in the shadow APCB (filtered in when it was assigned).
 *
 * Findings (upstream, v6.17-rc4; machines/vfio-ap/README.md, "AP bus notifiers"):
 * - vfio_ap_mdev_cfg_remove and vfio_ap_mdev_hot_plug_cfg lock `matrix_mdev->kvm->lock` with no
 *   NULL test (get_update_locks_for_mdev has one; these two do not use it): an mdev not attached
 *   to a guest is a NULL dereference in the scan's kworker, which dies holding guests_lock. Modelled
 *   as the step waiting for `matrix_mdev->kvm != NULL` forever (the thread stuck at that program
 *   counter, holding guests_lock) and the property NotifierLocksNoNullKvm on that state.
 * - vfio_ap_mdev_hot_plug_cfg passes its stack bitmap apm_filtered to reset_queues_for_apids also
 *   when vfio_ap_mdev_filter_matrix (which clears it first) was not called: only control domains
 *   added. What the stack holds is the answer of that step: `zeroed` (CONFIG_INIT_STACK_ALL_ZERO,
 *   the default with compilers that support it, gcc 12 and later) or `stale` (INIT_STACK_NONE, older compilers: earlier frames;
 *   INIT_STACK_ALL_PATTERN: 0xAA.. from clang, 0xFE.. from gcc, whose first bit, APID 0 in the inverted order, is set).
 *   A stale bit for queue 0's APID resets a queue the guest keeps in its APCB
 *   (NotifierResetsOnlyFilteredQueues).
 *
 * Stays atomic (one step each), with the reason: vfio_ap_mdev_hot_unplug_cfg and the bitmap_and of
 * vfio_ap_mdev_cfg_remove (the removed adapter is not assigned: nothing changes; under mdevs_lock,
 * folded into the unlock), vfio_ap_mdev_cfg_add with vfio_ap_filter_apid_by_qtype and the memcpy
 * into matrix_dev->info (under guests_lock, which every writer of the add bitmaps and of
 * matrix_mdev->kvm holds), the filter (vfio_ap_mdev_filter_matrix or _cdoms with
 * vfio_ap_mdev_update_guest_apcb: under mdevs_lock), the reset of the collected queues
 * (vfio_ap_mdev_reset_qlist: ZAPQ and flush_work under mdevs_lock; answered NORMAL, the reset
 * complete: the coarse vfio_ap_mdev_reset_queue). ap_scan_adapter between the two notifiers is no
 * step: it probes only the queue of the added domain, which is not modelled (vfio_ap_mdev_probe_queue
 * skips the filter while the add bitmaps are set), but the guests_lock released in between lets
 * the open run there.
 *
 * Kernel: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_on_cfg_changed, vfio_ap_mdev_on_cfg_remove,
 * vfio_ap_mdev_cfg_remove, vfio_ap_mdev_on_cfg_add, vfio_ap_mdev_cfg_add, vfio_ap_on_scan_complete,
 * vfio_ap_mdev_hot_plug_cfg, reset_queues_for_apids; drivers/s390/crypto/ap_bus.c ap_scan_bus.
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2); the notifiers came with "s390/vfio-ap: handle
 * config changed and scan complete notification" (v20 of the dynamic configuration series, v6.0);
 * apm_filtered with "s390/vfio-ap: reset queues filtered from the guest's AP config" (v6.8).
 */
import type { SystemContext } from '../context.ts';
import type { LivenessProperty } from '../../src/spec.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent } from '../lib.ts';
import { inv, region } from '../invariant-lib.ts';
import { acquire, kfunction, named, release, type Branch, type KFunction, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';
import { guests_lock, handle_pqap, kvm_lock, mdevs_lock, set_kvm } from './vfio_ap_ops.threads.ts';
import { checkedApSteps } from './vfio_ap_ops.stepghost.ts';
import { notifierPosts } from './vfio_ap_notifier.stepghost.ts';

type C = SystemContext;
type F = KFunction<C>;

/** What QCI reports changed (the answer of ap_get_configuration's step). */
export const QCI_CHANGES = ['remove', 'add-apqn', 'add-cdom'] as const;
/** What the stack bitmap apm_filtered holds when vfio_ap_mdev_filter_matrix did not clear it. */
export const STACK_CONTENTS = ['zeroed', 'stale'] as const;

/** The notifier thread's name. */
export const AP_BUS = 'apbus';
const FN = 'ap_scan_bus';
/** Program counters of the two kvm->lock acquisitions through matrix_mdev->kvm. */
export const NOTIFIER_PC = {
  removeLock: 'vfio_ap_mdev_cfg_remove@mutex_lock(matrix_mdev->kvm->lock)',
  plugLock: 'vfio_ap_mdev_hot_plug_cfg@mutex_lock(matrix_mdev->kvm->lock)',
} as const;

const KVM: Path = ['mdev', 'kvm'];
const ADDED: Path = ['mdev', 'added'];
const Q0 = 0;
const IN_APCB: Path = ['queues', Q0, 'inApcb'];
/** What the coarse reset of queue 0 reads and writes (vfio_ap_mdev_reset_queue, vfio_ap_free_aqic_resources through matrix_mdev->kvm, VM 0). */
const RESET_READS: Path[] = [['queues', Q0], KVM, ['vms', 0, 'freed'], ['vms', 0, 'gisa'], ['gib', 'list']];
const RESET_WRITES: Path[] = [
  ['queues', Q0, 'irq'], ['queues', Q0, 'hwGisa'], ['queues', Q0, 'hwIsc'], ['queues', Q0, 'isc'], ['queues', Q0, 'nib'], ['queues', Q0, 'pins'], ['queues', Q0, 'faults'],
  ['queues', Q0, 'resetStatus'], ['vms', 0, 'gisa', 'ref'], ['vms', 0, 'gisa', 'mask'], ['vms', 0, 'gisa', 'iam'], ['vms', 0, 'faults'],
];

const change = (t: ThreadView) => t.local.change as (typeof QCI_CHANGES)[number];
const removed = named('do_remove', (_c: C, t: ThreadView) => change(t) === 'remove');
const noAdds = named('add bitmaps empty', (c: C) => (c.mdev.added ?? 'none') === 'none');
const kvmNull = named('!matrix_mdev->kvm', (c: C) => c.mdev.kvm < 0);
/** The C dereferences matrix_mdev->kvm here: with NULL the kworker oopses and never gets further (it keeps guests_lock). */
const kvmDeref = named('matrix_mdev->kvm != NULL (else: NULL dereference, the kworker oopses holding guests_lock)', (c: C) => c.mdev.kvm >= 0);

/**
 * The AP bus scan's call into vfio_ap: on_config_changed, then on_scan_complete. `fixed`: the proposed fix
 * (both notifiers take kvm->lock only when matrix_mdev->kvm is set, as get_update_locks_for_mdev does, and
 * apm_filtered starts zeroed).
 */
export function ap_scan_bus(k: Kernel, fixed = false, stack: readonly (typeof STACK_CONTENTS)[number][] = STACK_CONTENTS): F {
  const kvmLock = kvm_lock(0);
  /** `mutex_lock(&matrix_mdev->kvm->lock)` (upstream) or, fixed, `if (matrix_mdev->kvm) mutex_lock(...)`: the test a step of its own before the lock. */
  const lockKvm = (pc: string, fn: string, after: string): Step<C>[] =>
    fixed
      ? [
          { at: `${fn}@if (matrix_mdev->kvm)`, cite: `proposed fix: ${fn}: if (matrix_mdev->kvm) mutex_lock(&matrix_mdev->kvm->lock) (get_update_locks_for_mdev); matrix_mdev->kvm is stable under guests_lock`, reads: [KVM], next: [{ if: kvmNull, goto: after }, { goto: pc }] },
          acquire<C>(kvmLock, 'write', { at: pc, cite: `proposed fix: ${fn}: mutex_lock(&matrix_mdev->kvm->lock)`, sleeps: true }),
        ]
      : [acquire<C>(kvmLock, 'write', { at: pc, cite: `vfio_ap_ops.c ${fn}: mutex_lock(&matrix_mdev->kvm->lock) (no NULL test)`, sleeps: true, reads: [KVM], when: kvmDeref })];
  /** `mutex_unlock(&matrix_mdev->kvm->lock)`, fixed: only when it was taken. */
  const unlockKvm = (fn: string, after: string): Step<C>[] =>
    fixed
      ? [
          { at: `${fn}@release: if (matrix_mdev->kvm)`, cite: `proposed fix: ${fn}: if (matrix_mdev->kvm) mutex_unlock(&matrix_mdev->kvm->lock)`, reads: [KVM], next: [{ if: kvmNull, goto: after }, { goto: `${fn}@mutex_unlock(kvm->lock)` }] },
          release<C>(kvmLock, 'write', { at: `${fn}@mutex_unlock(kvm->lock)`, cite: `proposed fix: ${fn}: mutex_unlock(&matrix_mdev->kvm->lock)` }),
        ]
      : [release<C>(kvmLock, 'write', { at: `${fn}@mutex_unlock(kvm->lock)`, cite: `vfio_ap_ops.c ${fn}: mutex_unlock(&matrix_mdev->kvm->lock)` })];

  const CR = 'vfio_ap_mdev_cfg_remove';
  const HP = 'vfio_ap_mdev_hot_plug_cfg';
  const cfgAdd = 'vfio_ap_mdev_on_cfg_add@vfio_ap_mdev_cfg_add';
  const scanLock = 'vfio_ap_on_scan_complete@mutex_lock(matrix_dev->guests_lock)';
  const scanUnlock = 'vfio_ap_on_scan_complete@mutex_unlock(matrix_dev->guests_lock)';
  const reset = `${HP}@reset_queues_for_apids(matrix_mdev, apm_filtered)`;
  const clearAdds = 'vfio_ap_on_scan_complete@bitmap_clear(matrix_mdev->*_add)';
  const plugBranch: Branch<C>[] = [{ if: noAdds, goto: scanUnlock, label: 'no additions' }, { goto: fixed ? `${HP}@if (matrix_mdev->kvm)` : NOTIFIER_PC.plugLock }];

  const f = kfunction<C>(FN, 'drivers/s390/crypto/ap_bus.c ap_scan_bus -> notify_config_changed -> vfio_ap_on_cfg_changed; ap_scan_adapter; notify_scan_complete -> vfio_ap_on_scan_complete', [
    {
      at: 'ap_get_configuration',
      cite: 'ap_bus.c ap_scan_bus: config_changed = ap_get_configuration() (ap_qci: the answer is what changed); notify_config_changed() -> __drv_notify_config_changed -> vfio_ap_drv.on_config_changed; vfio_ap_on_cfg_changed: both infos non-NULL',
      answers: QCI_CHANGES,
      run: (_c, t) => void (t.local.change = t.answer!),
    },
    acquire<C>(guests_lock, 'write', {
      at: 'vfio_ap_on_cfg_changed@mutex_lock(matrix_dev->guests_lock)',
      cite: 'vfio_ap_ops.c vfio_ap_on_cfg_changed: mutex_lock(&matrix_dev->guests_lock); vfio_ap_mdev_on_cfg_remove: do_remove = bitmap_andnot(prev, cur) for apm, aqm, adm; if (do_remove) vfio_ap_mdev_cfg_remove',
      sleeps: true,
      next: [{ if: removed, goto: fixed ? `${CR}@if (matrix_mdev->kvm)` : NOTIFIER_PC.removeLock, label: 'do_remove' }, { goto: cfgAdd }],
    }),
    ...lockKvm(NOTIFIER_PC.removeLock, CR, `${CR}@mutex_lock(matrix_dev->mdevs_lock)`),
    acquire<C>(mdevs_lock, 'write', { at: `${CR}@mutex_lock(matrix_dev->mdevs_lock)`, cite: `vfio_ap_ops.c ${CR}: mutex_lock(&matrix_dev->mdevs_lock)`, sleeps: true }),
    release<C>(mdevs_lock, 'write', {
      at: `${CR}@mutex_unlock(matrix_dev->mdevs_lock)`,
      cite: `vfio_ap_ops.c ${CR}: bitmap_and(aprem, ap_remove, matrix_mdev->matrix.apm) and aqrem alike are empty (the removed adapter is not assigned: vfio_ap_mdev_hot_unplug_cfg changes nothing); mutex_unlock(&matrix_dev->mdevs_lock)`,
    }),
    ...unlockKvm(CR, cfgAdd),
    {
      at: cfgAdd,
      cite: 'vfio_ap_ops.c vfio_ap_mdev_on_cfg_add: do_add = bitmap_andnot(cur, prev) for apm, aqm, adm; vfio_ap_mdev_cfg_add: vfio_ap_filter_apid_by_qtype (a CEX4 or newer: kept); for each mdev bitmap_and(matrix_mdev->apm_add/aqm_add/adm_add, matrix, added); vfio_ap_on_cfg_changed: memcpy(&matrix_dev->info, cur_cfg_info)',
      writes: [ADDED],
      run: (c, t) => void (c.mdev.added = change(t) === 'add-apqn' ? 'apqn' : change(t) === 'add-cdom' ? 'cdom' : 'none'),
    },
    release<C>(guests_lock, 'write', { at: 'vfio_ap_on_cfg_changed@mutex_unlock(matrix_dev->guests_lock)', cite: 'vfio_ap_ops.c vfio_ap_on_cfg_changed: mutex_unlock(&matrix_dev->guests_lock); ap_bus.c ap_scan_bus: ap_scan_adapter for each adapter (the added domain\'s queue device probed: not modelled)' }),
    acquire<C>(guests_lock, 'write', {
      at: scanLock,
      cite: 'ap_bus.c ap_scan_bus: if (config_changed) notify_scan_complete(); vfio_ap_ops.c vfio_ap_on_scan_complete: mutex_lock(&matrix_dev->guests_lock); list_for_each_entry: bitmap_empty(apm_add) && bitmap_empty(aqm_add) && bitmap_empty(adm_add): continue',
      sleeps: true,
      reads: [ADDED],
      next: plugBranch,
    }),
    ...lockKvm(NOTIFIER_PC.plugLock, HP, `${HP}@mutex_lock(matrix_dev->mdevs_lock)`),
    acquire<C>(mdevs_lock, 'write', { at: `${HP}@mutex_lock(matrix_dev->mdevs_lock)`, cite: `vfio_ap_ops.c ${HP}: mutex_lock(&matrix_dev->mdevs_lock)`, sleeps: true }),
    {
      at: `${HP}@filter`,
      cite: `vfio_ap_ops.c ${HP}: filter_adapters/filter_domains = bitmap_intersects(matrix, *_add); if (filter_adapters || filter_domains) do_hotplug = vfio_ap_mdev_filter_matrix(matrix_mdev, apm_filtered) (bitmap_clear(apm_filtered) first; queue 0 in the host's configuration, linked, reset_status 0: _queue_passable, kept in the shadow APCB); if (filter_cdoms) do_hotplug |= vfio_ap_mdev_filter_cdoms; if (do_hotplug) vfio_ap_mdev_update_guest_apcb (the masks are not modelled)`,
      reads: [ADDED, ['queues', Q0, 'apid'], ['queues', Q0, 'apqi']],
      writes: [IN_APCB],
      run: (c, t) => {
        const x = c.queues[Q0]!;
        // apm_filtered initialised: by vfio_ap_mdev_filter_matrix, or (fixed) by its declaration
        t.local.filtered = c.mdev.added === 'apqn' || fixed;
        if (c.mdev.added === 'apqn') x.inApcb = x.apid && x.apqi;
      },
    },
    {
      at: reset,
      cite: `vfio_ap_ops.c ${HP}: reset_queues_for_apids(matrix_mdev, apm_filtered) (DECLARE_BITMAP on the stack: cleared only by vfio_ap_mdev_filter_matrix); for_each_set_bit_inv(apid, apm_reset): collect_queues_to_reset (the APQIs of shadow_apcb.aqm with a queue in the qtable); vfio_ap_mdev_reset_qlist: ZAPQ, flush_work (answered NORMAL, complete: the AQIC resources freed)`,
      answers: stack,
      reads: [...RESET_READS, IN_APCB],
      writes: RESET_WRITES,
      raises: [settleEvent(`q${Q0}`).type],
      run: (c, t, fx) => {
        // apm_filtered from vfio_ap_mdev_filter_matrix is empty here (queue 0 stays); stale stack bits name APID 0 (INIT_STACK_ALL_PATTERN: always)
        if (t.local.filtered === true || t.answer === 'zeroed' || !c.queues[Q0]!.inApcb) return;
        t.local.resetInUse = c.mdev.kvm >= 0;
        k.vfio_ap_mdev_reset_queue(c, Q0);
        fx.raise({ type: settleEvent(`q${Q0}`).type });
      },
    },
    release<C>(mdevs_lock, 'write', { at: `${HP}@mutex_unlock(matrix_dev->mdevs_lock)`, cite: `vfio_ap_ops.c ${HP}: mutex_unlock(&matrix_dev->mdevs_lock)` }),
    ...unlockKvm(HP, clearAdds),
    { at: clearAdds, cite: 'vfio_ap_ops.c vfio_ap_on_scan_complete: bitmap_clear(matrix_mdev->apm_add), aqm_add, adm_add', writes: [ADDED], run: (c) => void (c.mdev.added = 'none') },
    release<C>(guests_lock, 'write', { at: scanUnlock, cite: 'vfio_ap_ops.c vfio_ap_on_scan_complete: mutex_unlock(&matrix_dev->guests_lock)' }),
  ]);
  // the v6.17-rc4 postconditions (ApThreadStepPostcondition) describe upstream only; the reset step calls the kernel table's reset
  return fixed ? f : checkedApSteps(f, k, notifierPosts, ['vfio_ap_mdev_reset_queue', 'vfio_ap_free_aqic_resources', 'vfio_unpin_pages', 'kvm_s390_gisc_unregister']);
}

/** The threads of `ap-notifier`: the AP bus scan's notifiers, QEMU opening the mdev for VM 0, the guest's PQAP(AQIC) (upstream locking). */
export function apNotifierThreads(k: Kernel, fixed = false): ThreadDef<C>[] {
  return [
    { name: AP_BUS, actor: 'kernel', once: true, fns: [ap_scan_bus(k, fixed)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [set_kvm(0, k, 'upstream')] },
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, 'upstream')] },
  ];
}

/**
 * The threads of `ap-notifier-open`: the mdev already open for VM 0 (no NULL pointer to find) and a kernel built with
 * CONFIG_INIT_STACK_ALL_ZERO (apm_filtered empty when the filter is skipped): where upstream holds, so the notifier's
 * steps are measured by the properties and the step postconditions; the AP bus scan against the guest's PQAP(AQIC).
 */
export function apNotifierOpenThreads(k: Kernel): ThreadDef<C>[] {
  return [
    { name: AP_BUS, actor: 'kernel', once: true, fns: [ap_scan_bus(k, false, ['zeroed'])] },
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, 'upstream')] },
  ];
}

/** The proposed fix (upstream-notifier-fixed): the notifier thread with conditional kvm->lock and apm_filtered zeroed. */
export const fixNotifier = (threads: ThreadDef<C>[], k: Kernel): ThreadDef<C>[] => threads.map((t) => (t.name === AP_BUS ? { ...t, fns: [ap_scan_bus(k, true)] } : t));

/** Where ap-notifier starts: the mdev closed (defined, no guest), queue 0 assigned, bound, in the shadow APCB, no additions pending. */
export function notifierInitial(c: C): void {
  Object.assign(c.queues[Q0]!, { apid: true, apqi: true, inApcb: true });
  c.mdev.added = 'none';
}

export const NotifierLocksNoNullKvm = inv(
  'NotifierLocksNoNullKvm',
  'vfio_ap_ops.c get_update_locks_for_mdev: "If @matrix_mdev is NULL or is not attached to a KVM guest, the KVM lock will not be taken" (matrix_mdev->kvm is NULL from vfio_ap_mdev_probe until the open\'s vfio_ap_mdev_set_kvm); vfio_ap_mdev_cfg_remove and vfio_ap_mdev_hot_plug_cfg lock &matrix_mdev->kvm->lock for every mdev they visit: no notifier reaches that lock with matrix_mdev->kvm NULL (a NULL-pointer dereference in the AP bus scan\'s kworker, which dies holding guests_lock)',
  ({ value, context }) => {
    const pc = region(value, AP_BUS);
    return context.mdev.kvm >= 0 || (pc !== NOTIFIER_PC.removeLock && pc !== NOTIFIER_PC.plugLock);
  },
  { context: [KVM], value: [[AP_BUS]] },
);

export const NotifierResetsOnlyFilteredQueues = inv(
  'NotifierResetsOnlyFilteredQueues',
  'vfio_ap_ops.c vfio_ap_mdev_filter_matrix: "If an APQN referencing a queue device that is not bound to the vfio_ap driver, its APID will be filtered from the guest\'s APCB ... all queues associated with the adapter that are in the host\'s AP configuration must be reset" (apm_filtered: "the APIDs filtered from the guest\'s AP configuration"); vfio_ap_mdev_hot_plug_cfg resets the queues of apm_filtered: a queue the guest keeps in its APCB is never reset by the hot plug (its in-flight requests and its interruption setup would go behind the guest\'s back)',
  ({ context }) => context.threads?.locals[AP_BUS]?.resetInUse !== true,
  { context: [['threads', 'locals', AP_BUS]] },
);

export const notifierInvariants = [NotifierLocksNoNullKvm, NotifierResetsOnlyFilteredQueues];

/** The AP bus scan's call into vfio_ap returns (ap_scan_bus goes on to the next scan): from every state the notifier thread can still finish. */
export const NotifierScanCompletes: LivenessProperty<C> = {
  name: 'NotifierScanCompletes',
  cite: 'ap_bus.c ap_scan_bus: notify_config_changed, the adapter scan and notify_scan_complete run in the scan work, which must return (mod_timer re-arms the next scan; ap_scan_bus_mutex is held across it); vfio_ap_on_cfg_changed and vfio_ap_on_scan_complete take only mutexes the other vfio_ap paths release: from every state the notifiers can still return',
  kind: 'alwaysReachable',
  q: ({ value }) => region(value, AP_BUS) === 'done',
};

