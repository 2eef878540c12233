/**
 * The PQAP(AQIC) intercept against QEMU closing the matrix mdev, at the kernel's own
 * granularity (machines/kthread.ts), for the fine-grained configuration `pqap-close` of the
 * composed guest. Two threads:
 *
 * - `vcpu`: a vcpu of the guest issues PQAP(AQIC) ir=1 (ISC 3, ap_aqic answers NORMAL), which
 *   SIE intercepts: arch/s390/kvm/priv.c handle_pqap reads kvm->arch.crypto.pqap_hook and
 *   calls through it into vfio_ap's handle_pqap (inlined here as `vfio_ap:handle_pqap@...`),
 *   which looks the queue up under the driver lock and runs vfio_ap_irq_enable (NIB pinned,
 *   kvm_s390_gisc_register, ap_aqic).
 * - `qemu`: QEMU closes the mdev fd: vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm
 *   (v5.3..v5.10: vfio_ap_mdev_release): the hook cleared, the queues reset
 *   (vfio_ap_irq_disable / vfio_ap_free_aqic_resources: GISC unregistered, NIB unpinned),
 *   kvm_put_kvm, matrix_mdev->kvm = NULL.
 *
 * Two eras, by the design's `aqic` switch:
 * - `upstream` (v6.17-rc4, Kingxukai/linux 9b44fff655e2): priv.c holds
 *   kvm->arch.crypto.pqap_hook_rwsem for reading across the call through the hook; unset_kvm
 *   clears the hook under the rwsem for writing, then takes matrix_dev->guests_lock, kvm->lock,
 *   matrix_dev->mdevs_lock (get_update_locks_for_kvm) for the reset. The rwsem came with
 *   1e753732bda6 "s390/vfio-ap: r/w lock for PQAP interception handler function pointer"
 *   (posted as v5 2/2 on 2021-06-16, in v5.15).
 * - `v5.3` (the merged AQIC code ec89b55e3bce, unchanged in this respect up to v5.10):
 *   no rwsem. priv.c reads vcpu->kvm->arch.crypto.pqap_hook without any lock, three times
 *   before the call (the NULL test, try_module_get(hook->owner), hook->hook(vcpu)) and once
 *   after it (module_put(hook->owner)); each is a plain load the compiler must redo after the
 *   indirect call. vfio_ap_mdev_release clears the hook, resets the queues and drops the KVM
 *   reference under matrix_dev->lock, the only driver lock, which vfio_ap's handle_pqap takes
 *   too and re-tests the hook under. Fixed by the rwsem commit above (the lockdep fix before it,
 *   0cc00c8d4050 "s390/vfio-ap: fix circular lockdep when setting/clearing crypto masks",
 *   v5.13-rc1, dropped matrix_dev->lock around the mask updates with a kvm_busy wait, and did not
 *   touch priv.c).
 * The AQIC series as first posted (aqic-v4) is coarse only: building it here is a SpecError.
 *
 * Also here (issues 11 and 12, apconc4; machines/vfio-ap/README.md): vfio_ap_mdev_probe_queue
 * (`pqap-probe-queue`), QEMU's VFIO_DEVICE_RESET through vfio_ap_mdev_ioctl and the reset work
 * apq_reset_check as its own thread (`pqap-reset-work`; with the close's reset split at flush_work:
 * `pqap-close-work`; upstream only, the work came in v6.6), and vfio_ap's ECA_AIV test folded into
 * the step that calls the hook (`pqap-no-aiv`).
 *
 * Stays atomic (one step each), with the reason: vfio_ap_irq_enable (validate the NIB, pin,
 * kvm_s390_gisc_register, ap_aqic) and vfio_ap_mdev_reset_queues (ZAPQ, flush_work of the reset
 * work, vfio_ap_free_aqic_resources), because everything else that touches the queue's fields
 * takes the same driver lock (mdevs_lock; v5.3..v5.10 matrix_dev->lock), and the GISA's own
 * ref_lock windows are the gisa area's (kvm_s390_gisa_interrupt.threads.ts); kvm_put_kvm and
 * matrix_mdev->kvm = NULL (one step under the same locks; users_count stays above 0 here: the
 * VM fd is open); kvm_arch_crypto_clear_masks (folded into the reset step: the guest's APCB is
 * not modelled); the cc and gr1 stores (the guest's view is not state).
 *
 * Kernel: arch/s390/kvm/priv.c handle_pqap; drivers/s390/crypto/vfio_ap_ops.c handle_pqap,
 * vfio_ap_mdev_close_device, vfio_ap_mdev_unset_kvm (v5.3..v5.10 vfio_ap_mdev_release).
 */
import { FAULT, ISC_INVALID, type SystemContext } from '../context.ts';
import { SpecError } from '../../src/spec.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent, type Effects } from '../lib.ts';
import { mdevSettle } from './ap_matrix_mdev.machine.ts';
import { ap_zapq_answered, type TapqAnswer, type ZapqAnswer } from './vfio_ap_queue.machine.ts';
import { resetReported } from './vfio_ap_queue.invariants.ts';
import { vfio_ap_mdev_filter_matrix } from './vfio_ap_hotplug.threads.ts';
import { checkedApSteps, handlePqapPosts, mdevKvmPosts, movedApStep, queueBindPosts, resetWorkPosts } from './vfio_ap_ops.stepghost.ts';
import { acquire, kfunction, mutex, named, release, rwsem, swapStatements, type Branch, type KFunction, type Lock, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';

type C = SystemContext;
type F = KFunction<C>;

/** kvm->arch.crypto.pqap_hook_rwsem of VM vm (v5.15+). */
export const pqap_hook_rwsem = (vm: number): Lock => rwsem('kvm->arch.crypto.pqap_hook_rwsem', vm);
/** matrix_dev->mdevs_lock (v6.0+): the matrix mdev's fields and the queues' AQIC fields. */
export const mdevs_lock: Lock = mutex('matrix_dev->mdevs_lock');
/** matrix_dev->guests_lock (v6.0+). */
export const guests_lock: Lock = mutex('matrix_dev->guests_lock');
/** kvm->lock of VM vm. */
export const kvm_lock = (vm: number): Lock => mutex('kvm->lock', vm);
/** matrix_dev->lock: the only driver lock up to v5.19. */
export const matrix_dev_lock: Lock = mutex('matrix_dev->lock');

/** The guest ISC the PQAP(AQIC) asks for (Linux guests use 3 for AP). */
export const PQAP_ISC = 3;

const qSettle = (q: number) => ({ type: settleEvent(`q${q}`).type });

const vmIx = (t: ThreadView): number => t.ix.vm!;
const qIx = (t: ThreadView): number => t.ix.q!;
const HOOK: Path = ['mdev', 'hook'];

/** A dereference of vcpu->kvm->arch.crypto.pqap_hook: NULL once unset cleared it (an oops in the kernel). */
function derefHook(c: C, t: ThreadView): boolean {
  if (c.mdev.hook === vmIx(t)) return true;
  t.report(FAULT.PQAP_HOOK_USE_AFTER_CLEAR);
  return false;
}
const MDEV_FREED: Path = ['mdev', 'freed'];
/** A load through the hook into struct ap_matrix_mdev (the hook is &matrix_mdev->pqap_hook): freed memory once vfio_ap_mdev_remove's vfio_put_device ran (pqap-mdev-remove). */
function liveMdev(c: C, t: ThreadView): boolean {
  if (c.mdev.freed !== true) return true;
  t.report(FAULT.MDEV_USE_AFTER_FREE);
  return false;
}
const oopsed = named('NULL pqap_hook', (_c: C, t: ThreadView) => t.local.oops === true);
/** The branch taken when the hook was NULL at a dereference: the only one that reports. */
const oops = { if: oopsed, goto: 'return', writes: [] as Path[], reports: true };

/**
 * vfio_ap's handle_pqap first statement: `if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP`
 * (before any lock). kvm_arch_vcpu_setup sets ECA_AIV exactly when the vcpu's sie_block->gd (the GISA
 * descriptor) is nonzero, and kvm_s390_gisa_disable/enable clear and set it with gi->origin under
 * vcpu->mutex, which the intercepting vcpu holds: the test reads the VM's GISA origin, folded into the
 * step that calls the hook (nothing another thread writes in between).
 */
export const ECA_AIV = '!ECA_AIV: -EOPNOTSUPP';
const noAiv = (vm: number, onFail: string) => ({ if: named(ECA_AIV, (c: C) => !c.vms[vm]!.gisa.origin), goto: onFail, label: ECA_AIV, writes: [] as Path[] });

/** A re-load of the hook pointer that dereferences it (`pqap_hook->owner`, `pqap_hook->hook`, `*pqap_hook`); with `aiv` the call it makes enters vfio_ap's handle_pqap, whose ECA_AIV test may return at once. */
function deref(at: string, cite: string, next: string, mdevFreeable = false, aiv?: { vm: number; onFail: string }): Step<C> {
  return {
    at,
    cite: aiv ? `${cite}; vfio_ap_ops.c handle_pqap: if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP (before mutex_lock; priv.c passes -EOPNOTSUPP up: the PQAP goes to userspace, gr1 and the cc untouched)` : cite,
    reads: [...(mdevFreeable ? [HOOK, MDEV_FREED] : [HOOK]), ...(aiv ? [['vms', aiv.vm, 'gisa', 'origin'] as Path] : [])],
    reports: true,
    run: (c, t) => void (t.local.oops = !derefHook(c, t) || (mdevFreeable && !liveMdev(c, t))),
    next: [oops, ...(aiv ? [noAiv(aiv.vm, aiv.onFail)] : []), { goto: next, writes: [] }],
  };
}

/** priv.c handle_pqap without vfio_ap's ECA_AIV test (planted-pqap-ignores-aiv): the hook goes on to mdevs_lock with no GISA. */
export function withoutAivTest(f: F): F {
  return { ...f, steps: f.steps.map((s) => (typeof s.next === 'object' && s.next.some((b) => b.label === ECA_AIV) ? { ...s, next: s.next.filter((b) => b.label !== ECA_AIV) } : s)) };
}

/**
 * The era of the fine-grained transcriptions: `upstream` (v5.15+ locking, pinned v6.17-rc4),
 * `v5.13` (v5.13..v5.14: 0cc00c8d4050's kvm_busy flag and wait_for_kvm queue, no
 * pqap_hook_rwsem), `v5.3` (v5.3..v5.12: matrix_dev->lock only). The design's `aqic` switch gives
 * upstream or v5.3; v5.13 is chosen by the variants that build it (pqapOpenThreads(k, 'v5.13')).
 */
export type PqapEra = 'upstream' | 'v5.13' | 'v5.3';

/** The era the design transcribes (aqic-v4 is coarse only: a SpecError). */
export function eraOf(k: Kernel, fn: string): PqapEra {
  const d = k.design.aqic;
  if (d === 'aqic-v4') throw new SpecError(`the fine-grained ${fn} transcribes upstream, v5.13..v5.14 and v5.3..v5.12; design ${JSON.stringify(k.design)} is coarse only`);
  return d === 'v5.3' ? 'v5.3' : 'upstream';
}

const KVM_BUSY: Path = ['mdev', 'kvmBusy'];
/** The kernel-table functions the reset, put and remove steps call (a variant replacing one runs its own code there: no step postcondition). */
const RESET_TABLE = ['vfio_ap_mdev_reset_queues', 'vfio_ap_mdev_reset_queue', 'vfio_ap_free_aqic_resources', 'vfio_ap_mdev_remove_queue', 'vfio_unpin_pages', 'kvm_s390_gisc_unregister', 'kvm_put_kvm'];

/**
 * vfio_ap's handle_pqap (the hook), inlined: under the driver lock, re-test the hook (and, since
 * v5.13, wait while matrix_mdev->kvm_busy (v5.13..v5.14) and test matrix_mdev->kvm), find the
 * queue, vfio_ap_irq_enable. `lock` is the era's driver lock. The answer the guest gets when a
 * test fails is the initial qstatus, AP_RESPONSE_Q_NOT_AVAIL (rc 01), at out_unlock.
 */
function vfioApHandlePqap(vm: number, q: number, lock: Lock, k: Kernel, after: string, era: PqapEra = eraOf(k, 'handle_pqap')): Step<C>[] {
  const at = (s: string) => `vfio_ap:handle_pqap@${s}`;
  const lookup = at('vfio_ap_mdev_get_queue');
  const enableWrites: Path[] = [['queues', q], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'iam']];
  // v5.13..v5.14: wait_event_cmd(matrix_mdev->wait_for_kvm, !matrix_mdev->kvm_busy, mutex_unlock(&matrix_dev->lock), mutex_lock(&matrix_dev->lock))
  const wait: Step<C>[] =
    era !== 'v5.13'
      ? []
      : [
          {
            at: at('wait_event_cmd(!kvm_busy)'),
            cite: 'vfio_ap_ops.c handle_pqap (v5.13..v5.14): if (!vcpu->kvm->arch.crypto.pqap_hook) goto out_unlock; matrix_mdev = container_of(...); wait_event_cmd(matrix_mdev->wait_for_kvm, !matrix_mdev->kvm_busy, ...): the condition, under matrix_dev->lock',
            reads: [HOOK, KVM_BUSY],
            next: [
              { if: named('!pqap_hook', (c: C, t: ThreadView) => c.mdev.hook !== vmIx(t)), goto: lookup },
              { if: named('kvm_busy', (c: C) => c.mdev.kvmBusy === true), goto: at('wait_event_cmd: mutex_unlock(matrix_dev->lock)') },
              { goto: lookup },
            ],
          },
          release<C>(lock, 'write', { at: at('wait_event_cmd: mutex_unlock(matrix_dev->lock)'), cite: 'wait_event_cmd cmd1: mutex_unlock(&matrix_dev->lock) before schedule()' }),
          {
            at: at('wait_event_cmd: schedule()'),
            cite: 'wait_event_cmd: sleeps on matrix_mdev->wait_for_kvm until wake_up_all (set_kvm/unset_kvm clearing kvm_busy)',
            sleeps: true,
            reads: [KVM_BUSY],
            when: (c) => c.mdev.kvmBusy !== true,
          },
          acquire<C>(lock, 'write', { at: at('wait_event_cmd: mutex_lock(matrix_dev->lock)'), cite: 'wait_event_cmd cmd2: mutex_lock(&matrix_dev->lock), then the condition again', sleeps: true, next: at('wait_event_cmd(!kvm_busy)') }),
        ];
  return [
    acquire<C>(lock, 'write', { at: at(`mutex_lock(${lock.short})`), cite: `vfio_ap_ops.c handle_pqap: mutex_lock(&${lock.c})`, sleeps: true, ...(wait.length ? { next: wait[0]!.at } : {}) }),
    ...wait,
    {
      at: lookup,
      cite: 'vfio_ap_ops.c handle_pqap: if (!vcpu->kvm->arch.crypto.pqap_hook) goto out_unlock; matrix_mdev = container_of(...); if (!matrix_mdev->kvm) goto out_unlock (not in v5.3); q = vfio_ap_mdev_get_queue(matrix_mdev, apqn) (qstatus stays AP_RESPONSE_Q_NOT_AVAIL, rc 01, unless all hold)',
      reads: [HOOK, ['mdev', 'kvm'], ['queues', q, 'apid'], ['queues', q, 'apqi'], ['queues', q, 'freed'], ['queues', q, 'linked']],
      run: (c, t) => {
        const x = c.queues[qIx(t)]!;
        // a queue vfio_ap_mdev_remove_queue unlinked (hash_del) and freed, or vfio_ap_mdev_probe_queue has not linked yet, is not in matrix_mdev->qtable
        t.local.found = c.mdev.hook === vmIx(t) && (era === 'v5.3' || c.mdev.kvm === vmIx(t)) && x.apid && x.apqi && x.freed !== true && x.linked !== false;
      },
      next: [{ if: named('q', (_c, t) => t.local.found === true), goto: at('vfio_ap_irq_enable') }, { goto: at(`mutex_unlock(${lock.short})`) }],
    },
    {
      at: at('vfio_ap_irq_enable'),
      cite: 'vfio_ap_ops.c handle_pqap: IR bit set: vfio_ap_irq_enable(q, gr1 & 7, vcpu): vfio_ap_validate_nib, vfio_pin_pages, kvm_s390_gisc_register, ap_aqic (NORMAL)',
      reads: [['mdev', 'kvm'], ['queues', q], ['vms', vm, 'freed'], ['vms', vm, 'gisa'], ['gib', 'list']],
      writes: enableWrites,
      reports: true,
      raises: [qSettle(q).type],
      run: (c, t, fx) => {
        // q found before mdevs_lock and freed since (planted-pqap-lookup-before-remove-queue): the kernel writes freed memory
        t.local.uaf = c.queues[qIx(t)]!.freed === true;
        if (t.local.uaf) t.report(FAULT.QUEUE_USE_AFTER_FREE);
        k.vfio_ap_irq_enable(c, qIx(t), PQAP_ISC, 'NORMAL');
        fx.raise(qSettle(qIx(t))); // the queue region follows q->saved_isc
      },
      // only the use of a freed q reports (the other branch stays invisible to NoQueueUseAfterFree)
      next: [{ if: named('q freed', (_c, t) => t.local.uaf === true), goto: at(`mutex_unlock(${lock.short})`), writes: enableWrites, reports: true }, { goto: at(`mutex_unlock(${lock.short})`), writes: enableWrites }],
    },
    release<C>(lock, 'write', { at: at(`mutex_unlock(${lock.short})`), cite: `vfio_ap_ops.c handle_pqap: out_unlock: memcpy(&gprs[1], &qstatus, ...); mutex_unlock(&${lock.c}); return 0`, next: after }),
  ];
}

/** priv.c handle_pqap of VM vm for queue q, as the era (by default the design's) has it. */
export function handle_pqap(vm: number, q: number, k: Kernel, era: PqapEra = eraOf(k, 'handle_pqap'), mdevFreeable = false): F {
  if (k.replaced.has('handle_pqap')) throw new SpecError('a variant that replaces handle_pqap is coarse only: the fine-grained configuration splits it into steps');
  if (era !== 'upstream') {
    const lock = matrix_dev_lock;
    const v = era === 'v5.3' ? 'v5.3..v5.12' : 'v5.13..v5.14';
    return kfunction('handle_pqap', `arch/s390/kvm/priv.c handle_pqap, ${v} (no pqap_hook_rwsem)`, [
      {
        at: 'if (pqap_hook)',
        cite: 'priv.c handle_pqap (v5.10): if (vcpu->kvm->arch.crypto.pqap_hook) {, read without a lock; else response 01, cc 3',
        reads: [HOOK],
        run: (c, t) => void (t.local.hook = c.mdev.hook === vmIx(t)),
        next: [{ if: named('pqap_hook', (_c, t) => t.local.hook === true), goto: 'try_module_get(pqap_hook->owner)' }, { goto: 'return' }],
      },
      deref('try_module_get(pqap_hook->owner)', 'priv.c handle_pqap (v5.10): if (!try_module_get(vcpu->kvm->arch.crypto.pqap_hook->owner)) return -EOPNOTSUPP (the pointer loaded again)', 'pqap_hook->hook(vcpu)', mdevFreeable),
      deref('pqap_hook->hook(vcpu)', 'priv.c handle_pqap (v5.10): ret = vcpu->kvm->arch.crypto.pqap_hook->hook(vcpu) (loaded again)', `vfio_ap:handle_pqap@mutex_lock(${lock.short})`, mdevFreeable, { vm, onFail: 'module_put(pqap_hook->owner)' }),
      ...vfioApHandlePqap(vm, q, lock, k, 'module_put(pqap_hook->owner)', era),
      deref('module_put(pqap_hook->owner)', 'priv.c handle_pqap (v5.10): module_put(vcpu->kvm->arch.crypto.pqap_hook->owner): loaded again after the call, which unset may have spanned', 'return', mdevFreeable),
    ]);
  }
  const rw = pqap_hook_rwsem(vm);
  // the step postconditions of v6.17-rc4 (vfio_ap_ops.stepghost.ts): the lookup and vfio_ap_irq_enable
  return checkedApSteps(kfunction('handle_pqap', 'arch/s390/kvm/priv.c handle_pqap', [
    acquire<C>(rw, 'read', { cite: 'priv.c handle_pqap: down_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem)', sleeps: true }),
    {
      at: 'if (pqap_hook)',
      cite: 'priv.c handle_pqap: if (vcpu->kvm->arch.crypto.pqap_hook) {; else up_read, response 01, cc 3',
      reads: [HOOK],
      run: (c, t) => void (t.local.hook = c.mdev.hook === vmIx(t)),
      next: [{ if: named('pqap_hook', (_c, t) => t.local.hook === true), goto: 'pqap_hook = *pqap_hook' }, { goto: 'up_read(pqap_hook_rwsem)' }],
    },
    deref('pqap_hook = *pqap_hook', 'priv.c handle_pqap: pqap_hook = *vcpu->kvm->arch.crypto.pqap_hook (loaded again); ret = pqap_hook(vcpu)', `vfio_ap:handle_pqap@mutex_lock(${mdevs_lock.short})`, mdevFreeable, { vm, onFail: 'up_read(pqap_hook_rwsem)' }),
    ...vfioApHandlePqap(vm, q, mdevs_lock, k, 'up_read(pqap_hook_rwsem)', 'upstream'),
    release<C>(rw, 'read', { cite: 'priv.c handle_pqap: up_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem); return' }),
  ]), k, handlePqapPosts(PQAP_ISC), ['vfio_ap_irq_enable', 'vfio_ap_free_aqic_resources', 'vfio_pin_pages', 'vfio_unpin_pages', 'kvm_s390_gisc_register', 'kvm_s390_gisc_unregister']);
}

/** The reset and the reference drop, under the era's locks (one step each: see the header). */
function resetAndPut(vm: number, fn: string, k: Kernel): Step<C>[] {
  return [
    {
      at: 'vfio_ap_mdev_reset_queues',
      cite: `vfio_ap_ops.c ${fn}: kvm_arch_crypto_clear_masks(kvm); vfio_ap_mdev_reset_queues(matrix_mdev) (ZAPQ, then vfio_ap_free_aqic_resources: kvm_s390_gisc_unregister, vfio_unpin_pages)`,
      reads: [['mdev', 'kvm'], ['queues'], ['vms', vm, 'freed'], ['vms', vm, 'gisa'], ['gib', 'list']],
      writes: [['queues'], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'iam']],
      raises: ['settle.q0', 'settle.q1', 'settle.q2'],
      run: (c, _t, fx) => {
        k.vfio_ap_mdev_reset_queues(c);
        for (let q = 0; q < c.queues.length; q++) fx.raise(qSettle(q)); // each queue region follows what its reset left
      },
    },
    {
      at: 'kvm_put_kvm(kvm)',
      cite: `vfio_ap_ops.c ${fn}: kvm_put_kvm(kvm); matrix_mdev->kvm = NULL`,
      reads: [['mdev'], ['vms', vm, 'users']],
      writes: [['mdev', 'kvm'], ['mdev', 'kvmRef'], ['vms', vm, 'users']],
      raises: ['kvm_destroy_vm'],
      run: (c, t, fx) => {
        if (c.mdev.kvmRef) {
          c.mdev.kvmRef = false;
          k.kvm_put_kvm(c, vmIx(t), fx as Effects);
        }
        c.mdev.kvm = -1;
      },
    },
  ];
}

/** `pqap_hook = NULL`: the matrix mdev region follows the hook. */
const clearHook = (cite: string): Step<C> => ({
  at: 'pqap_hook = NULL',
  cite,
  writes: [HOOK],
  raises: [mdevSettle.type],
  run: (c, _t, fx) => {
    c.mdev.hook = -1;
    fx.raise(mdevSettle);
  },
});

/** QEMU's close of the mdev: vfio_ap_mdev_unset_kvm (upstream) or vfio_ap_mdev_release (v5.3..v5.10), of the VM the mdev is open for. */
export function unset_kvm(vm: number, k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_unset_kvm'), work = false, answers?: ResetAnswers): F {
  if (work && era !== 'upstream') throw new SpecError('the close with its reset work as a thread transcribes v6.17-rc4 (the reset work came in v6.6)');
  if (k.replaced.has('vfio_ap_mdev_unset_kvm')) throw new SpecError('a variant that replaces vfio_ap_mdev_unset_kvm is coarse only: the fine-grained configuration splits it into steps');
  if (era === 'v5.13') {
    // v5.13..v5.14 (0cc00c8d4050; the order read from 1e753732bda6's diff): vfio_ap_mdev_release takes matrix_dev->lock and calls vfio_ap_mdev_unset_kvm
    const [reset, put] = resetAndPut(vm, 'vfio_ap_mdev_unset_kvm (v5.13)', k);
    return kfunction('vfio_ap_mdev_release', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_release -> vfio_ap_mdev_unset_kvm, v5.13..v5.14', [
      acquire<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_release (v5.13): mutex_lock(&matrix_dev->lock); vfio_ap_mdev_unset_kvm(matrix_mdev)', sleeps: true }),
      {
        at: 'if (matrix_mdev->kvm)',
        cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.13): wait_event_cmd(matrix_mdev->wait_for_kvm, !matrix_mdev->kvm_busy, ...) (no other thread here sets kvm_busy: it passes at once); if (matrix_mdev->kvm) {',
        reads: [['mdev', 'kvm']],
        run: (c, t) => void (t.local.kvm = c.mdev.kvm === vmIx(t)),
        next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: 'kvm_busy = true' }, { goto: `mutex_unlock(${matrix_dev_lock.short})` }],
      },
      { at: 'kvm_busy = true', cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.13): matrix_mdev->kvm_busy = true', writes: [KVM_BUSY], run: (c) => void (c.mdev.kvmBusy = true) },
      release<C>(matrix_dev_lock, 'write', { at: 'mutex_unlock(matrix_dev->lock) for clear_masks', cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.13): mutex_unlock(&matrix_dev->lock); kvm_arch_crypto_clear_masks(matrix_mdev->kvm) (takes kvm->lock; the APCB is not modelled)' }),
      acquire<C>(matrix_dev_lock, 'write', { at: 'mutex_lock(matrix_dev->lock) after clear_masks', cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.13): mutex_lock(&matrix_dev->lock)', sleeps: true }),
      reset!,
      clearHook('vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.13): matrix_mdev->kvm->arch.crypto.pqap_hook = NULL (after the reset; a plain store, priv.c reads it without a lock)'),
      put!,
      {
        at: 'kvm_busy = false; wake_up_all',
        cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v5.13): matrix_mdev->kvm_busy = false; wake_up_all(&matrix_mdev->wait_for_kvm)',
        writes: [KVM_BUSY],
        run: (c) => void (c.mdev.kvmBusy = false),
      },
      release<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_release (v5.13): mutex_unlock(&matrix_dev->lock)' }),
    ]);
  }
  if (era === 'v5.3') {
    return kfunction('vfio_ap_mdev_release', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_release, v5.3..v5.10', [
      acquire<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_release (v5.10): mutex_lock(&matrix_dev->lock)', sleeps: true }),
      {
        at: 'if (matrix_mdev->kvm)',
        cite: 'vfio_ap_ops.c vfio_ap_mdev_release (v5.10): if (matrix_mdev->kvm) { kvm_arch_crypto_clear_masks(matrix_mdev->kvm);',
        reads: [['mdev', 'kvm']],
        run: (c, t) => void (t.local.kvm = c.mdev.kvm === vmIx(t)),
        next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: 'pqap_hook = NULL' }, { goto: `mutex_unlock(${matrix_dev_lock.short})` }],
      },
      clearHook('vfio_ap_ops.c vfio_ap_mdev_release (v5.10): matrix_mdev->kvm->arch.crypto.pqap_hook = NULL (a plain store, under matrix_dev->lock only)'),
      ...resetAndPut(vm, 'vfio_ap_mdev_release (v5.10)', k),
      release<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_release (v5.10): mutex_unlock(&matrix_dev->lock)' }),
    ]);
  }
  const rw = pqap_hook_rwsem(vm);
  return checkedApSteps(kfunction('vfio_ap_mdev_unset_kvm', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_unset_kvm (from vfio_ap_mdev_close_device)', [
    {
      at: 'kvm = matrix_mdev->kvm',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm: struct kvm *kvm = matrix_mdev->kvm; if (kvm && kvm->arch.crypto.crycbd) { (read without a lock)',
      reads: [['mdev', 'kvm']],
      run: (c, t) => void (t.local.kvm = c.mdev.kvm === vmIx(t)),
      next: [{ if: named('kvm', (_c, t) => t.local.kvm === true), goto: 'down_write(pqap_hook_rwsem)' }, { goto: 'return' }],
    },
    acquire<C>(rw, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm: down_write(&kvm->arch.crypto.pqap_hook_rwsem)', sleeps: true }),
    clearHook('vfio_ap_ops.c vfio_ap_mdev_unset_kvm: kvm->arch.crypto.pqap_hook = NULL'),
    release<C>(rw, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_unset_kvm: up_write(&kvm->arch.crypto.pqap_hook_rwsem)' }),
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: if (kvm) mutex_lock(&kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    // with `work` (pqap-close-work, queue 0 only): vfio_ap_mdev_reset_queues as its ZAPQ (queue_work) and flush_work steps, the reset work a thread
    ...(work ? [...resetQueueAndFlush(0, 'vfio_ap_mdev_unset_kvm', k, answers), resetAndPut(vm, 'vfio_ap_mdev_unset_kvm', k)[1]!] : resetAndPut(vm, 'vfio_ap_mdev_unset_kvm', k)),
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: if (kvm) mutex_unlock(&kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->guests_lock)' }),
  ]), k, { ...mdevKvmPosts, ...resetWorkPosts }, RESET_TABLE);
}

/** `pqap_hook = &matrix_mdev->pqap_hook`: the matrix mdev region follows the hook. */
const setHook = (at: string, cite: string, extra: { reads?: Path[]; writes?: Path[]; run?: (c: C, t: ThreadView) => void } = {}): Step<C> => ({
  at,
  cite,
  reads: extra.reads ?? [],
  writes: [HOOK, ...(extra.writes ?? [])],
  raises: [mdevSettle.type],
  run: (c, t, fx) => {
    c.mdev.hook = vmIx(t);
    extra.run?.(c, t);
    fx.raise(mdevSettle);
  },
});

/** kvm_get_kvm(kvm) and (with `pointer`) matrix_mdev->kvm = kvm, in one step under the era's driver lock. */
const getAndStore = (vm: number, at: string, cite: string, pointer: boolean, busy?: boolean): Step<C> => ({
  at,
  cite,
  reads: [['vms', vm, 'users']],
  writes: [['mdev', 'kvmRef'], ['vms', vm, 'users'], ...(pointer ? [['mdev', 'kvm'] as Path] : []), ...(busy !== undefined ? [KVM_BUSY] : [])],
  run: (c, t) => {
    c.mdev.kvmRef = true;
    c.vms[vmIx(t)]!.users += 1; // kvm_get_kvm
    if (pointer) c.mdev.kvm = vmIx(t);
    if (busy !== undefined) c.mdev.kvmBusy = busy;
  },
});

/**
 * QEMU's open of the mdev for VM vm: vfio_ap_mdev_set_kvm as the era has it.
 * - upstream (v6.17-rc4, since 86956e70761b in v5.15): vfio_ap_mdev_open_device ->
 *   vfio_ap_mdev_set_kvm: the hook stored under pqap_hook_rwsem (write), released; then
 *   get_update_locks_for_kvm (guests_lock, kvm->lock, mdevs_lock), the -EPERM scan of
 *   mdev_list (one mdev here: it passes), kvm_get_kvm, matrix_mdev->kvm = kvm,
 *   vfio_ap_mdev_update_guest_apcb (the APCB is not modelled), release_update_locks_for_kvm.
 *   Between up_write and mutex_lock(mdevs_lock) the hook is set and matrix_mdev->kvm is NULL.
 * - v5.13 (0cc00c8d4050, v5.13..v5.14): vfio_ap_mdev_group_notifier(VFIO_GROUP_NOTIFY_SET_KVM)
 *   takes matrix_dev->lock; set_kvm scans mdev_list, kvm_get_kvm, kvm_busy = true, drops the
 *   lock for kvm_arch_crypto_set_masks (which takes kvm->lock: the circular lockdep the commit
 *   fixes; the APCB is not modelled, so that call is no step), takes it again, stores the hook
 *   and matrix_mdev->kvm, kvm_busy = false, wake_up_all(&wait_for_kvm); the notifier unlocks.
 *   (Read from 1e753732bda6's diff, which moved the pointer store before the unlock and the
 *   hook store under the new rwsem.)
 * - v5.3 (ec89b55e3bce, v5.3..v5.12): under matrix_dev->lock the mdev_list scan,
 *   matrix_mdev->kvm = kvm, kvm_get_kvm, the hook; the notifier then sets the masks unlocked.
 */
export function set_kvm(vm: number, k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_set_kvm')): F {
  if (k.replaced.has('vfio_ap_mdev_set_kvm')) throw new SpecError('a variant that replaces vfio_ap_mdev_set_kvm is coarse only: the fine-grained configuration splits it into steps');
  if (era === 'v5.3') {
    return kfunction('vfio_ap_mdev_set_kvm', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_set_kvm, v5.3..v5.12', [
      acquire<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.3) / vfio_ap_mdev_group_notifier (v5.10..v5.12): mutex_lock(&matrix_dev->lock)', sleeps: true }),
      setHook(
        'matrix_mdev->kvm = kvm; kvm_get_kvm(kvm); pqap_hook = &matrix_mdev->pqap_hook',
        'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.3..v5.12): list_for_each_entry(m, &matrix_dev->mdev_list, node) -EPERM scan; matrix_mdev->kvm = kvm; kvm_get_kvm(kvm); kvm->arch.crypto.pqap_hook = &matrix_mdev->pqap_hook (all under matrix_dev->lock)',
        { reads: [['vms', vm, 'users']], writes: [['mdev', 'kvm'], ['mdev', 'kvmRef'], ['vms', vm, 'users']], run: (c, t) => Object.assign(c.mdev, { kvm: vmIx(t), kvmRef: true }, void (c.vms[vmIx(t)]!.users += 1)) },
      ),
      release<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.3..v5.12): mutex_unlock(&matrix_dev->lock); kvm_arch_crypto_set_masks follows in the notifier, unlocked (the APCB is not modelled)' }),
    ]);
  }
  if (era === 'v5.13') {
    return kfunction('vfio_ap_mdev_set_kvm', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_group_notifier -> vfio_ap_mdev_set_kvm, v5.13..v5.14', [
      acquire<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_group_notifier (v5.13): mutex_lock(&matrix_dev->lock); vfio_ap_mdev_set_kvm(matrix_mdev, data)', sleeps: true }),
      getAndStore(vm, 'kvm_get_kvm(kvm); kvm_busy = true', 'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.13): if (kvm->arch.crypto.crycbd) { mdev_list -EPERM scan; kvm_get_kvm(kvm); matrix_mdev->kvm_busy = true;', false, true),
      release<C>(matrix_dev_lock, 'write', { at: 'mutex_unlock(matrix_dev->lock) for set_masks', cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.13): mutex_unlock(&matrix_dev->lock); kvm_arch_crypto_set_masks(kvm, apm, aqm, adm) (takes kvm->lock; the APCB is not modelled)' }),
      acquire<C>(matrix_dev_lock, 'write', { at: 'mutex_lock(matrix_dev->lock) after set_masks', cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.13): mutex_lock(&matrix_dev->lock)', sleeps: true }),
      setHook(
        'pqap_hook = &matrix_mdev->pqap_hook; matrix_mdev->kvm = kvm; kvm_busy = false',
        'vfio_ap_ops.c vfio_ap_mdev_set_kvm (v5.13): kvm->arch.crypto.pqap_hook = &matrix_mdev->pqap_hook; matrix_mdev->kvm = kvm; matrix_mdev->kvm_busy = false; wake_up_all(&matrix_mdev->wait_for_kvm)',
        { writes: [['mdev', 'kvm'], KVM_BUSY], run: (c, t) => Object.assign(c.mdev, { kvm: vmIx(t), kvmBusy: false }) },
      ),
      release<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_group_notifier (v5.13): mutex_unlock(&matrix_dev->lock)' }),
    ]);
  }
  const rw = pqap_hook_rwsem(vm);
  return checkedApSteps(kfunction('vfio_ap_mdev_set_kvm', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm', [
    acquire<C>(rw, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: if (kvm->arch.crypto.crycbd) { down_write(&kvm->arch.crypto.pqap_hook_rwsem)', sleeps: true }),
    setHook('pqap_hook = &matrix_mdev->pqap_hook', 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: kvm->arch.crypto.pqap_hook = &matrix_mdev->pqap_hook'),
    release<C>(rw, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: up_write(&kvm->arch.crypto.pqap_hook_rwsem)' }),
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: if (kvm) mutex_lock(&kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    getAndStore(
      vm,
      'kvm_get_kvm(kvm); matrix_mdev->kvm = kvm',
      'vfio_ap_ops.c vfio_ap_mdev_set_kvm: list_for_each_entry(m, &matrix_dev->mdev_list, node) -EPERM scan (one mdev: passes); kvm_get_kvm(kvm); matrix_mdev->kvm = kvm; vfio_ap_mdev_update_guest_apcb(matrix_mdev)',
      true,
    ),
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: if (kvm) mutex_unlock(&kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->guests_lock)' }),
  ]), k, mdevKvmPosts);
}

/** The two threads of `pqap-open`: the guest's PQAP(AQIC) on VM 0 for queue 0, and QEMU opening the mdev for VM 0; the era from the design unless given. */
export function pqapOpenThreads(k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_set_kvm')): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [set_kvm(0, k, era)] },
  ];
}

/**
 * Planted (pqap-open): upstream's vfio_ap_mdev_set_kvm publishing matrix_mdev->kvm before it
 * takes the locks and the reference (`matrix_mdev->kvm = kvm` first, kvm_get_kvm left where it was).
 */
export function pointerBeforeReference(f: F): F {
  const both = 'kvm_get_kvm(kvm); matrix_mdev->kvm = kvm';
  const i = f.steps.findIndex((s) => s.at === both);
  if (i < 0 || f.steps[0]!.at !== 'down_write(pqap_hook_rwsem)') throw new Error('pointerBeforeReference: the set_kvm steps moved');
  const early: Step<C> = {
    at: 'matrix_mdev->kvm = kvm',
    cite: 'planted: matrix_mdev->kvm = kvm before down_write(&kvm->arch.crypto.pqap_hook_rwsem) and without a reference',
    writes: [['mdev', 'kvm']],
    run: (c, t) => void (c.mdev.kvm = vmIx(t)),
    next: f.steps[0]!.at,
  };
  const get = { ...getAndStore(0, 'kvm_get_kvm(kvm)', 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: kvm_get_kvm(kvm) (the pointer already stored)', false), next: f.steps[i + 1]!.at };
  return { ...f, steps: [early, ...f.steps.slice(0, i), get, ...f.steps.slice(i + 1)] };
}

/** The two threads of `pqap-close`: the guest's PQAP(AQIC) on VM 0 for queue 0, and QEMU closing the mdev. */
export function pqapCloseThreads(k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_unset_kvm')): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [unset_kvm(0, k, era)] },
  ];
}

// Edits of the vcpu thread's handle_pqap for the planted races (machines/system/system.variants.ts).

/** vfio_ap's handle_pqap (upstream) with the lookup before mutex_lock(mdevs_lock): check, then lock; the lookup's failure returns from the hook at once, its success takes the lock. */
export function lookupBeforeLock(f: F): F {
  const lock = 'vfio_ap:handle_pqap@mutex_lock(matrix_dev->mdevs_lock)';
  const lookup = 'vfio_ap:handle_pqap@vfio_ap_mdev_get_queue';
  const i = f.steps.findIndex((s) => s.at === lock);
  const [l, q] = [f.steps[i]!, f.steps[i + 1]!];
  if (q.at !== lookup || typeof q.next !== 'object') throw new Error('lookupBeforeLock: the hook\'s steps moved');
  const found = q.next[0]!;
  // jumps to the lock now reach the lookup; the lookup's success takes the lock, its failure returns
  const retarget = (st: Step<C>): Step<C> =>
    typeof st.next === 'object' ? { ...st, next: st.next.map((b) => (b.goto === lock ? { ...b, goto: lookup } : b)) } : st.next === lock ? { ...st, next: lookup } : st;
  // the failure returns from the hook: where the hook's unlock goes (priv.c's up_read, module_put or return)
  const unlock = f.steps.find((s) => s.at === 'vfio_ap:handle_pqap@mutex_unlock(matrix_dev->mdevs_lock)')!;
  // the step ghost's lock rule fails on the moved lookup: movedApStep declares its store of the ghost bit
  const moved = movedApStep({ ...q, next: [{ ...found, goto: lock }, { goto: typeof unlock.next === 'string' ? unlock.next : 'return' }] });
  return { ...f, steps: [...f.steps.slice(0, i).map(retarget), moved, { ...l, next: found.goto }, ...f.steps.slice(i + 2)] };
}

/** priv.c handle_pqap without its pqap_hook_rwsem read side: the down_read and both up_reads gone, their branches returning. */
export function withoutHookRwsem(f: F): F {
  const gone = new Set(['down_read(pqap_hook_rwsem)', 'up_read(pqap_hook_rwsem)']);
  return {
    ...f,
    steps: f.steps
      .filter((s) => !gone.has(s.at))
      .map((s) => (typeof s.next === 'object' ? { ...s, next: s.next.map((b) => (gone.has(b.goto) ? { ...b, goto: 'return' } : b)) } : s.next && gone.has(s.next) ? { ...s, next: 'return' } : s)),
  };
}

/**
 * The AP bus removing queue q from vfio_ap (the host unbinds the APQN, or the device goes away):
 * vfio_ap_mdev_remove_queue (v6.17-rc4) for a queue assigned to the mdev, the mdev open for VM vm.
 * get_update_locks_for_queue takes guests_lock, then tests q->matrix_mdev->kvm (a field
 * set_kvm/unset_kvm write holding guests_lock: stable here) for kvm->lock, then mdevs_lock.
 * Under all three: the queue is in the guest's shadow APCB (the mdev is attached), so the adapter is
 * unplugged (the APCB is not modelled) and reset_queues_for_apid resets it (ZAPQ, flush_work of the
 * reset work, vfio_ap_free_aqic_resources); vfio_ap_unlink_queue_fr_mdev (hash_del from the
 * qtable handle_pqap searches), kfree(q). One step, `vfio_ap_mdev_remove_queue`: every other user
 * of the queue (handle_pqap, the close, the reset work's flush) holds mdevs_lock. Then
 * release_update_locks_for_mdev tests matrix_mdev->kvm again for the kvm->lock unlock.
 */
export function remove_queue(vm: number, q: number, k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_remove_queue')): F {
  if (k.replaced.has('vfio_ap_mdev_remove_queue')) throw new SpecError('a variant that replaces vfio_ap_mdev_remove_queue is coarse only: the fine-grained configuration splits it into steps');
  const removeStep = (cite: string): Step<C> => ({
    at: 'vfio_ap_mdev_remove_queue',
    cite,
    reads: [['queues', q], ['mdev', 'kvm'], ['vms', vm, 'freed'], ['vms', vm, 'gisa'], ['gib', 'list']],
    writes: [['queues', q], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'iam']],
    raises: [qSettle(q).type],
    run: (c, _t, fx) => {
      k.vfio_ap_mdev_remove_queue(c, q);
      fx.raise(qSettle(q)); // the queue region follows kfree(q) to removed
    },
  });
  if (era !== 'upstream') {
    // v5.3..v5.10 (vfio_ap_drv.c vfio_ap_queue_dev_remove; v5.13..v5.14 the same under matrix_dev->lock)
    return kfunction('vfio_ap_queue_dev_remove', 'drivers/s390/crypto/vfio_ap_drv.c vfio_ap_queue_dev_remove, v5.3..v5.10 (AP bus remove)', [
      acquire<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_drv.c vfio_ap_queue_dev_remove (v5.3): mutex_lock(&matrix_dev->lock)', sleeps: true }),
      removeStep('vfio_ap_drv.c vfio_ap_queue_dev_remove (v5.3): q = dev_get_drvdata(&apdev->device); dev_set_drvdata(&apdev->device, NULL); vfio_ap_mdev_reset_queue(apid, apqi, 1); vfio_ap_irq_disable(q); kfree(q) (handle_pqap\'s vfio_ap_get_queue finds the queue device through the driver, under the same lock)'),
      release<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_drv.c vfio_ap_queue_dev_remove (v5.3): mutex_unlock(&matrix_dev->lock)' }),
    ]);
  }
  const kvmTest = (at: string, cite: string, then: string, otherwise: string): Step<C> => ({
    at,
    cite,
    reads: [['mdev', 'kvm']],
    run: (c, t) => void (t.local.kvm = c.mdev.kvm === vm),
    next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: then }, { goto: otherwise }],
  });
  return checkedApSteps(kfunction('vfio_ap_mdev_remove_queue', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove_queue (AP bus remove)', [
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_queue: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    kvmTest(
      'if (q->matrix_mdev->kvm)',
      'vfio_ap_ops.c get_update_locks_for_queue: if (q->matrix_mdev && q->matrix_mdev->kvm) (under guests_lock only: set_kvm/unset_kvm write the pointer holding guests_lock)',
      'mutex_lock(kvm->lock)',
      'mutex_lock(matrix_dev->mdevs_lock)',
    ),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_queue: mutex_lock(&q->matrix_mdev->kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_queue: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    removeStep('vfio_ap_ops.c vfio_ap_mdev_remove_queue: matrix_mdev = q->matrix_mdev; in the shadow APCB: clear_bit_inv(apid, shadow_apcb.apm), vfio_ap_mdev_update_guest_apcb, reset_queues_for_apid (ZAPQ, flush_work, vfio_ap_free_aqic_resources); vfio_ap_unlink_queue_fr_mdev(q); dev_set_drvdata(NULL); kfree(q)'),
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    kvmTest(
      'release: if (matrix_mdev->kvm)',
      'vfio_ap_ops.c release_update_locks_for_mdev: if (matrix_mdev && matrix_mdev->kvm) (loaded again, still under guests_lock)',
      'mutex_unlock(kvm->lock)',
      'mutex_unlock(matrix_dev->guests_lock)',
    ),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_mdev->kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->guests_lock)' }),
  ]), k, queueBindPosts, RESET_TABLE);
}

/** The two threads of `pqap-remove-queue`: the guest's PQAP(AQIC) on VM 0 for queue 0, and the AP bus removing queue 0 from vfio_ap; the era from the design (v5.3: matrix_dev->lock only). */
export function pqapRemoveQueueThreads(k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_remove_queue')): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era)] },
    { name: 'host', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [remove_queue(0, 0, k, era)] },
  ];
}

/**
 * Planted (pqap-remove-queue): vfio_ap_mdev_remove_queue resetting the queue before
 * get_update_locks_for_queue (the reset outside mdevs_lock), the unlink and kfree left under it.
 */
export const resetBeforeLocks = (k: Kernel) => (f: F): F => {
  const i = f.steps.findIndex((s) => s.at === 'vfio_ap_mdev_remove_queue');
  if (i < 0 || f.steps[0]!.at !== 'mutex_lock(matrix_dev->guests_lock)') throw new Error('resetBeforeLocks: the remove_queue steps moved');
  const x = f.steps[i]!;
  const reset: Step<C> = {
    at: 'vfio_ap_mdev_reset_queue unlocked',
    cite: 'planted: vfio_ap_mdev_reset_queue(q); flush_work(&q->reset_work) before get_update_locks_for_queue',
    reads: x.reads ?? [],
    writes: x.writes ?? [],
    raises: x.raises ?? [],
    run: (c, t, fx) => {
      k.vfio_ap_mdev_reset_queue(c, qIx(t));
      fx.raise(qSettle(qIx(t)));
    },
    next: f.steps[0]!.at,
  };
  const free: Step<C> = {
    ...x,
    at: 'vfio_ap_unlink_queue_fr_mdev; kfree(q)',
    cite: 'planted: under the locks only vfio_ap_unlink_queue_fr_mdev(q); kfree(q)',
    run: (c, t, fx) => {
      c.queues[qIx(t)]!.freed = true;
      fx.raise(qSettle(qIx(t)));
    },
  };
  return { ...f, steps: [reset, ...f.steps.slice(0, i), free, ...f.steps.slice(i + 1)] };
};

/** The reset of every queue of the mdev in one step under the era's driver lock (as in the close), the queue regions following. */
const resetQueuesStep = (vm: number, at: string, cite: string, k: Kernel): Step<C> => ({
  at,
  cite,
  reads: [['mdev', 'kvm'], ['queues'], ['vms', vm, 'freed'], ['vms', vm, 'gisa'], ['gib', 'list']],
  writes: [['queues'], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'iam']],
  raises: ['settle.q0', 'settle.q1', 'settle.q2'],
  run: (c, _t, fx) => {
    k.vfio_ap_mdev_reset_queues(c);
    for (let q = 0; q < c.queues.length; q++) fx.raise(qSettle(q));
  },
});

/** The last reference to the struct ap_matrix_mdev dropped: the memory the hook pointed into is gone. */
const freeMdev = (at: string, cite: string): Step<C> => ({ at, cite, writes: [MDEV_FREED], run: (c) => void (c.mdev.freed = true) });

/**
 * Userspace removing the mdev (echo 1 > .../remove): vfio_ap_mdev_remove as the era has it, after
 * QEMU's close (`after`: vfio_unregister_group_dev, v5.3 vfio_del_group_dev, returns only when the
 * device's last user closed it; the vfio core asks QEMU through vfio_ap_mdev_request).
 * - upstream (v6.17-rc4): guests_lock, mdevs_lock; vfio_ap_mdev_reset_queues,
 *   vfio_ap_mdev_unlink_fr_queues (q->matrix_mdev = NULL), list_del (one step: every reader of these
 *   holds mdevs_lock); unlock both; vfio_put_device drops the last reference: the mdev is freed.
 * - v5.3 (ec89b55e3bce..v5.10): `if (matrix_mdev->kvm) return -EBUSY` (no lock), matrix_dev->lock,
 *   vfio_ap_mdev_reset_queues, list_del, unlock, kfree(matrix_mdev).
 */
export function mdev_remove(vm: number, k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_remove')): F {
  if (era !== 'upstream') {
    return kfunction('vfio_ap_mdev_remove', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove, v5.3..v5.10 (mdev core remove after vfio_del_group_dev)', [
      { at: 'vfio_del_group_dev', cite: 'drivers/vfio/mdev/vfio_mdev.c vfio_mdev_remove -> vfio_del_group_dev: waits until the device is released (vfio_ap_mdev_release, QEMU\'s close), then the parent\'s remove', after: ['qemu'] },
      {
        at: 'if (matrix_mdev->kvm) return -EBUSY',
        cite: 'vfio_ap_ops.c vfio_ap_mdev_remove (v5.3): if (matrix_mdev->kvm) return -EBUSY (read without a lock)',
        reads: [['mdev', 'kvm']],
        run: (c, t) => void (t.local.kvm = c.mdev.kvm === vm),
        next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: 'return' }, { goto: `mutex_lock(${matrix_dev_lock.short})` }],
      },
      acquire<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove (v5.3): mutex_lock(&matrix_dev->lock)', sleeps: true }),
      resetQueuesStep(vm, 'vfio_ap_mdev_reset_queues; list_del', 'vfio_ap_ops.c vfio_ap_mdev_remove (v5.3): vfio_ap_mdev_reset_queues(mdev); list_del(&matrix_mdev->node)', k),
      release<C>(matrix_dev_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove (v5.3): mutex_unlock(&matrix_dev->lock)' }),
      freeMdev('kfree(matrix_mdev)', 'vfio_ap_ops.c vfio_ap_mdev_remove (v5.3): kfree(matrix_mdev); mdev_set_drvdata(mdev, NULL)'),
    ]);
  }
  return kfunction('vfio_ap_mdev_remove', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove (mdev core remove)', [
    { at: 'vfio_unregister_group_dev', cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_unregister_group_dev(&matrix_mdev->vdev): waits (vfio_ap_mdev_request asks userspace) until the last close, vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm, returned', after: ['qemu'] },
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    resetQueuesStep(vm, 'vfio_ap_mdev_reset_queues; unlink; list_del', 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_ap_mdev_reset_queues(matrix_mdev); vfio_ap_mdev_unlink_fr_queues(matrix_mdev) (q->matrix_mdev = NULL); list_del(&matrix_mdev->node)', k),
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_unlock(&matrix_dev->guests_lock)' }),
    freeMdev('vfio_put_device', 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_put_device(&matrix_mdev->vdev): the last reference, the ap_matrix_mdev (with its pqap_hook) freed'),
  ]);
}

/** The three threads of `pqap-mdev-remove`: the guest's PQAP(AQIC), QEMU's close, the mdev's removal (after the close); the era from the design. */
export function pqapMdevRemoveThreads(k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_remove')): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era, true)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [unset_kvm(0, k, era)] },
    { name: 'remove', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [mdev_remove(0, k, era)] },
  ];
}

/** Planted (pqap-mdev-remove): vfio_ap_mdev_remove not waiting for the close (vfio_unregister_group_dev returning at once). */
export function removeWithoutClose(f: F): F {
  if (f.steps[0]!.at !== 'vfio_unregister_group_dev') throw new Error('removeWithoutClose: the remove steps moved');
  const { after: _after, ...first } = f.steps[0]!;
  return { ...f, steps: [{ ...first, cite: 'planted: vfio_unregister_group_dev returns without waiting for the device\'s last close' }, ...f.steps.slice(1)] };
}

// Issue 11 (apconc4): the queue appearing in the matrix while a PQAP runs, and the reset work as its own thread.

const LINKED = (q: number): Path => ['queues', q, 'linked'];
const SAVED_ISC = (q: number): Path => ['queues', q, 'isc'];

/**
 * The AP bus probing queue q into vfio_ap (the host binds the APQN, or an AP bus scan finds it)
 * while the APQN is already assigned to the mdev, which is open for VM vm: vfio_ap_mdev_probe_queue
 * as the era has it.
 * - upstream (v6.17-rc4): kzalloc(q), q->saved_isc = VFIO_AP_ISC_INVALID, INIT_WORK (q private to the
 *   probe: one step); get_update_locks_by_apqn: guests_lock, the mdev_list scan finds the mdev whose
 *   matrix holds the APQN and tests matrix_mdev->kvm (written by set_kvm/unset_kvm under guests_lock:
 *   stable here) for kvm->lock, then mdevs_lock; under all three vfio_ap_mdev_link_queue (hash_add into
 *   the qtable handle_pqap searches), the filter and the APCB update (not modelled; the new queue makes its
 *   adapter passable, so reset_queues_for_apids has no filtered APID to reset), dev_set_drvdata: one step
 *   (every reader of the qtable holds mdevs_lock); release_update_locks_for_mdev tests matrix_mdev->kvm again.
 * - v5.3 (ec89b55e3bce, vfio_ap_drv.c vfio_ap_queue_dev_probe, up to v5.10 without a lock, v5.11..v5.14 under
 *   matrix_dev->lock): kzalloc, dev_set_drvdata, q->apqn, q->saved_isc = VFIO_AP_ISC_INVALID; handle_pqap's
 *   vfio_ap_get_queue finds q through driver_find_device, which walks the driver's klist the device joins in
 *   driver_bound() after the probe returned (drivers/base/dd.c): one step, the queue findable at its end.
 * kzalloc'd saved_isc is 0, not VFIO_AP_ISC_INVALID: the context starts the queue at ISC_INVALID, so a PQAP
 * reaching q before the store (planted only) skips the kernel's kvm_s390_gisc_unregister(kvm, 0), which
 * answers -EINVAL (ref_count[0] is 0) and changes nothing modelled.
 */
export function probe_queue(vm: number, q: number, k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_probe_queue')): F {
  if (era !== 'upstream') {
    return kfunction('vfio_ap_queue_dev_probe', 'drivers/s390/crypto/vfio_ap_drv.c vfio_ap_queue_dev_probe, v5.3..v5.10 (AP bus probe)', [
      {
        at: 'vfio_ap_queue_dev_probe',
        cite: 'vfio_ap_drv.c vfio_ap_queue_dev_probe (v5.3): q = kzalloc(); dev_set_drvdata(&apdev->device, q); q->apqn = qid; q->saved_isc = VFIO_AP_ISC_INVALID; return 0; then drivers/base/dd.c driver_bound() adds the device to the driver\'s klist, which handle_pqap\'s vfio_ap_get_queue (driver_find_device) walks',
        writes: [SAVED_ISC(q), LINKED(q)],
        run: (c) => {
          c.queues[q]!.isc = ISC_INVALID;
          c.queues[q]!.linked = true;
        },
      },
    ]);
  }
  const kvmTest = (at: string, cite: string, then: string, otherwise: string): Step<C> => ({
    at,
    cite,
    reads: [['mdev', 'kvm']],
    run: (c, t) => void (t.local.kvm = c.mdev.kvm === vm),
    next: [{ if: named('matrix_mdev->kvm', (_c, t) => t.local.kvm === true), goto: then }, { goto: otherwise }],
  });
  return checkedApSteps(kfunction('vfio_ap_mdev_probe_queue', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_probe_queue (AP bus probe)', [
    {
      at: 'kzalloc(q); q->saved_isc = VFIO_AP_ISC_INVALID',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_probe_queue: sysfs_create_group; q = kzalloc(sizeof(*q)); q->apqn = qid; q->saved_isc = VFIO_AP_ISC_INVALID; memset(&q->reset_status, 0, ...); INIT_WORK(&q->reset_work, apq_reset_check) (q not yet reachable)',
      writes: [SAVED_ISC(q)],
      run: (c) => void (c.queues[q]!.isc = ISC_INVALID),
    },
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_by_apqn: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    kvmTest(
      'if (matrix_mdev->kvm)',
      'vfio_ap_ops.c get_update_locks_by_apqn: list_for_each_entry(matrix_mdev, &matrix_dev->mdev_list, node) the mdev whose apm/aqm hold the APQN; if (matrix_mdev->kvm) (under guests_lock, which the pointer\'s writers hold)',
      'mutex_lock(kvm->lock)',
      'mutex_lock(matrix_dev->mdevs_lock)',
    ),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_by_apqn: mutex_lock(&matrix_mdev->kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_by_apqn: mutex_lock(&matrix_dev->mdevs_lock); return matrix_mdev', sleeps: true }),
    {
      at: 'vfio_ap_mdev_link_queue; dev_set_drvdata',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_probe_queue: vfio_ap_mdev_link_queue(matrix_mdev, q) (q->matrix_mdev = matrix_mdev; hash_add(qtable)); no apm_add/aqm_add pending: vfio_ap_mdev_filter_matrix, vfio_ap_mdev_update_guest_apcb, reset_queues_for_apids(apm_filtered: none, the new queue makes its adapter passable); done: dev_set_drvdata(&apdev->device, q)',
      // the filter (vfio_ap_mdev_filter_matrix -> _queue_passable) reads what makes the queue passable, where the APCB is state
      reads: [['queues', q, 'inApcb'], ['queues', q, 'apid'], ['queues', q, 'apqi'], ['queues', q, 'freed'], ['queues', q, 'resetStatus'], ['queues', q, 'siblingUnbound']],
      writes: [LINKED(q), ['queues', q, 'inApcb']],
      run: (c) => {
        c.queues[q]!.linked = true;
        // issue 12 (apassign): where the guest's APCB is state, vfio_ap_mdev_filter_matrix (apm_add/aqm_add empty: no AP bus scan in progress) puts the new queue's APID in it; it makes its adapter passable, so nothing is filtered out to reset
        if (c.queues[q]!.inApcb !== undefined) vfio_ap_mdev_filter_matrix(c, q);
      },
    },
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    kvmTest(
      'release: if (matrix_mdev->kvm)',
      'vfio_ap_ops.c release_update_locks_for_mdev: if (matrix_mdev && matrix_mdev->kvm) (loaded again, still under guests_lock)',
      'mutex_unlock(kvm->lock)',
      'mutex_unlock(matrix_dev->guests_lock)',
    ),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_mdev->kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_mdev: mutex_unlock(&matrix_dev->guests_lock); return ret' }),
  ]), k, queueBindPosts);
}

/** The two threads of `pqap-probe-queue`: the guest's PQAP(AQIC) on VM 0 for queue 0, and the AP bus probing queue 0 (its APQN assigned to the open mdev); the era from the design. */
export function pqapProbeQueueThreads(k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_probe_queue')): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era)] },
    { name: 'host', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [probe_queue(0, 0, k, era)] },
  ];
}

/**
 * Planted (pqap-probe-queue): vfio_ap_mdev_probe_queue initialising q->saved_isc after it published q
 * (the store moved after release_update_locks_for_mdev): a PQAP that enabled interruptions in between has
 * its saved ISC overwritten, so nothing will unregister the GISC.
 */
export function initAfterPublish(f: F): F {
  const init = 'kzalloc(q); q->saved_isc = VFIO_AP_ISC_INVALID';
  if (f.steps[0]!.at !== init) throw new Error('initAfterPublish: the probe_queue steps moved');
  const [first, ...rest] = f.steps;
  const alloc: Step<C> = { at: 'kzalloc(q)', cite: 'planted: q = kzalloc(sizeof(*q)); INIT_WORK, without the saved_isc store' };
  const last = rest.at(-1)!;
  const late: Step<C> = { ...first!, at: 'q->saved_isc = VFIO_AP_ISC_INVALID', cite: 'planted: q->saved_isc = VFIO_AP_ISC_INVALID after release_update_locks_for_mdev', next: 'return' };
  return { ...f, steps: [alloc, ...rest.slice(0, -1), { ...last, next: late.at }, late] };
}

/**
 * The AP's reset of queue q completing: ZAPQ accepted, the reset done before the reset work's first
 * TAPQ (msleep(AP_RESET_INTERVAL) first); the AP holds no interruption for q from here. A later AQIC
 * then finds a reset queue and may enable again.
 */
function zapqCompleted(c: C, q: number): void {
  const x = c.queues[q]!;
  x.irq = false;
  x.hwGisa = -1;
  x.hwIsc = ISC_INVALID;
}

const WORK = (q: number): Path => ['queues', q, 'work'];

/**
 * The AP's answers a fine-grained reset is explored with (issue 12: pqap-reset-work-answers, pqap-close-work-answers),
 * in the coarse machine's vocabulary: ZAPQ's by the branch vfio_ap_mdev_reset_queue takes (ZapqAnswer: NORMAL;
 * IN_PROGRESS for RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS; DECONFIGURED for it and CHECKSTOPPED; INVALID for
 * any other code), TAPQ's by apq_status_check's return (TapqAnswer: BUSY -EBUSY, DONE 0, ASSOC -EAGAIN, INVALID -EIO).
 * Without them the reset answers NORMAL and completes before the work's first TAPQ (pqap-reset-work, pqap-close-work).
 */
export interface ResetAnswers {
  zapq: readonly ZapqAnswer[];
  tapq: readonly TapqAnswer[];
}

const EIO = 5;
/** What vfio_ap_free_aqic_resources reads and writes through q->matrix_mdev->kvm (VM 0's GISA). */
const FREE_READS: Path[] = [['mdev', 'kvm'], ['vms', 0, 'freed'], ['vms', 0, 'gisa'], ['gib', 'list']];
const FREE_WRITES: Path[] = [['vms', 0, 'gisa', 'ref'], ['vms', 0, 'gisa', 'mask'], ['vms', 0, 'gisa', 'iam']];

/**
 * vfio_ap_mdev_reset_queues(matrix_mdev) (v6.17-rc4) of the one queue q, the caller holding mdevs_lock:
 * vfio_ap_mdev_reset_queue (ap_zapq answers NORMAL: reset_status stored, queue_work(system_long_wq,
 * &q->reset_work)), then flush_work(&q->reset_work) (waits until the work is neither queued nor running)
 * and `if (q->reset_status.response_code) ret = -EIO` (NORMAL here: 0). With `answers` ZAPQ answers
 * each of answers.zapq (the switch of vfio_ap_mdev_reset_queue; the AP keeps its interruptions until the
 * work's TAPQ sees the reset done); with `ret` (VFIO_DEVICE_RESET, which returns it; the close drops it) flush_work's
 * step keeps ret in the thread's locals.
 */
function resetQueueAndFlush(q: number, fn: string, k: Kernel, answers?: ResetAnswers, ret = false): Step<C>[] {
  // the NORMAL-only step first (mutation/triage.json names its mutants by their order in this function)
  const zapq: Step<C> = !answers
    ? {
        at: 'vfio_ap_mdev_reset_queue',
        cite: `vfio_ap_ops.c ${fn} -> vfio_ap_mdev_reset_queues: vfio_ap_mdev_reset_queue(q): status = ap_zapq(q->apqn, 0) (NORMAL); memcpy(&q->reset_status, &status); queue_work(system_long_wq, &q->reset_work)`,
        reads: [['queues', q]],
        writes: [['queues', q, 'work'], ['queues', q, 'irq'], ['queues', q, 'hwGisa'], ['queues', q, 'hwIsc']],
        raises: [qSettle(q).type],
        run: (c, _t, fx) => {
          k.vfio_ap_mdev_reset_queue(c, q, 'NORMAL'); // the work queued
          zapqCompleted(c, q);
          fx.raise(qSettle(q));
        },
      }
    : {
        at: 'vfio_ap_mdev_reset_queue',
        cite: `vfio_ap_ops.c ${fn} -> vfio_ap_mdev_reset_queues: vfio_ap_mdev_reset_queue(q): status = ap_zapq(q->apqn, 0); memcpy(&q->reset_status, &status); switch: NORMAL, RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS: queue_work(system_long_wq, &q->reset_work); DECONFIGURED, CHECKSTOPPED: vfio_ap_free_aqic_resources(q); default: WARN "PQAP/ZAPQ for %02x.%04x failed with invalid rc=%u" (nothing queued, nothing freed)`,
        answers: answers.zapq,
        reads: [['queues', q], ...FREE_READS],
        writes: [['queues', q], ...FREE_WRITES],
        raises: [qSettle(q).type],
        run: (c, t, fx) => {
          k.vfio_ap_mdev_reset_queue(c, q, t.answer as ZapqAnswer);
          fx.raise(qSettle(q)); // DECONFIGURED freed the saved ISC
        },
      };
  return [
    zapq,
    {
      at: 'flush_work(&q->reset_work)',
      cite: `vfio_ap_ops.c ${fn} -> vfio_ap_mdev_reset_queues: flush_work(&q->reset_work) (waits for apq_reset_check to return); if (q->reset_status.response_code) ret = -EIO${answers ? '' : ' (NORMAL: 0)'}`,
      sleeps: true,
      reads: ret ? [WORK(q), RESET_STATUS(q)] : [WORK(q)],
      when: (c) => c.queues[q]!.work === 'idle',
      waitsFor: ['work'],
      ...(ret ? { run: (c: C, t: ThreadView) => void (t.local.ret = c.queues[q]!.resetStatus !== 'NORMAL' ? -EIO : 0) } : {}),
    },
  ];
}

const RESET_STATUS = (q: number): Path => ['queues', q, 'resetStatus'];

/**
 * QEMU's VFIO_DEVICE_RESET on the mdev fd (QEMU's vfio_ap_reset at a guest reset): vfio_ap_mdev_ioctl
 * takes mdevs_lock for every command; VFIO_DEVICE_RESET calls vfio_ap_mdev_reset_queues and returns its
 * result (0: every stored reset_status NORMAL). The KVM reference and the hook stay (the device stays open).
 */
export function device_reset(q: number, k: Kernel, era: PqapEra = eraOf(k, 'vfio_ap_mdev_ioctl'), answers?: ResetAnswers): F {
  if (era !== 'upstream') throw new SpecError('the fine-grained VFIO_DEVICE_RESET transcribes v6.17-rc4\'s reset work (apq_reset_check on system_long_wq); before v6.6 the reset polled in place (vfio_ap_mdev_reset_queue with its retry loop): coarse only');
  return checkedApSteps(kfunction('vfio_ap_mdev_ioctl', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_ioctl (VFIO_DEVICE_RESET)', [
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_ioctl: mutex_lock(&matrix_dev->mdevs_lock); case VFIO_DEVICE_RESET: ret = vfio_ap_mdev_reset_queues(matrix_mdev)', sleeps: true }),
    ...resetQueueAndFlush(q, 'vfio_ap_mdev_ioctl', k, answers, !!answers),
    release<C>(mdevs_lock, 'write', {
      cite: 'vfio_ap_ops.c vfio_ap_mdev_ioctl: mutex_unlock(&matrix_dev->mdevs_lock); return ret (vfio_device_fops_unl_ioctl hands it to userspace)',
      // with answers: the return code is state (mdev.resetRc), and a 0 for a reset not done is recorded (resetReported, harness)
      ...(answers
        ? { reads: [['queues']], writes: [['mdev', 'resetRc'], ['queues', q, 'faults']], run: (c: C, t: ThreadView) => resetReported(c, (c.mdev.resetRc = t.local.ret as number)) }
        : {}),
    }),
  ]), k, resetWorkPosts, RESET_TABLE);
}

const TAPQ = 'msleep; ap_tapq';
const ZAPQ_AGAIN = 'ap_zapq; memcpy(&q->reset_status)';
const FREE = 'vfio_ap_free_aqic_resources';
/** The answers of apq_status_check that end the loop's -EBUSY wait and its -EIO return. */
const tapqIs = (a: TapqAnswer) => named(a === 'INVALID' ? '-EIO' : a === 'BUSY' ? '-EBUSY' : a, (_c: C, t: ThreadView) => t.answer === a);

/**
 * q->reset_work: apq_reset_check on system_long_wq (v6.17-rc4), a thread that takes no lock. It runs once
 * queued: msleep(AP_RESET_INTERVAL), ap_tapq (NORMAL: the reset completed), apq_status_check 0, the stored
 * reset_status NORMAL (no ZAPQ again); then `if (q->saved_isc != VFIO_AP_ISC_INVALID)
 * vfio_ap_free_aqic_resources(q)` and break: the test and the free are one step (both read q->saved_isc
 * unlocked; the queuer's mdevs_lock, held across flush_work, is what keeps handle_pqap out).
 * With `answers` the loop as the C has it: TAPQ answers each of answers.tapq (-EIO returns with nothing freed,
 * -EBUSY sleeps and asks again, without a budget), the stored in-progress status or -EAGAIN issues ZAPQ again
 * (answers.zapq; the status stored, no switch) and loops; q->reset_status is written only by the queuer, which holds
 * mdevs_lock in flush_work, so its test is part of the TAPQ step.
 */
export function reset_work(q: number, k: Kernel, answers?: ResetAnswers): F {
  const queued = (c: C) => c.queues[q]!.work !== undefined && c.queues[q]!.work !== 'idle';
  const tapq: Step<C>[] = answers
    ? [
        {
          at: 'msleep; ap_tapq',
          cite: 'vfio_ap_ops.c apq_reset_check: while (true) { msleep(AP_RESET_INTERVAL); status = ap_tapq(q->apqn, NULL); ret = apq_status_check(q->apqn, &status): NORMAL, DECONFIGURED, CHECKSTOPPED 0 (the reset completed: the AP holds no interruption for q); RESET_IN_PROGRESS, BUSY -EBUSY (pr_notice_ratelimited, loop: no time limit since dd174833e44e); ASSOC_SECRET_NOT_UNIQUE, ASSOC_FAILED -EAGAIN; default WARN "failed to verify reset", -EIO: return (q->reset_status as the ZAPQ left it); else if (q->reset_status.response_code is RESET_IN_PROGRESS, BUSY or STATE_CHANGE_IN_PROGRESS || ret == -EAGAIN) ZAPQ again',
          answers: answers.tapq,
          reads: [WORK(q)],
          writes: [WORK(q), ['queues', q, 'irq'], ['queues', q, 'hwGisa'], ['queues', q, 'hwIsc']],
          when: queued,
          run: (c, t) => {
            if (t.answer === 'DONE') zapqCompleted(c, q);
            if (t.answer === 'INVALID') c.queues[q]!.work = 'idle'; // the work returns: flush_work may return
          },
          next: [
            { if: tapqIs('INVALID'), goto: 'return' },
            { if: tapqIs('BUSY'), goto: TAPQ },
            { if: named('reset_status in progress || -EAGAIN', (c: C, t: ThreadView) => t.answer === 'ASSOC' || c.queues[q]!.work === 'in-progress'), goto: ZAPQ_AGAIN },
            { goto: FREE },
          ],
        },
        {
          at: 'ap_zapq; memcpy(&q->reset_status)',
          cite: 'vfio_ap_ops.c apq_reset_check: status = ap_zapq(q->apqn, 0); memcpy(&q->reset_status, &status, sizeof(status)); continue (no switch on this answer: the next TAPQ tells)',
          answers: answers.zapq,
          reads: [['queues', q]],
          writes: [WORK(q), RESET_STATUS(q), ['queues', q, 'irq'], ['queues', q, 'hwGisa'], ['queues', q, 'hwIsc']],
          run: (c, t) => ap_zapq_answered(c.queues[q]!, t.answer as ZapqAnswer),
          next: TAPQ,
        },
      ]
    : [
        {
          at: 'msleep; ap_tapq',
          cite: 'vfio_ap_ops.c apq_reset_check: memcpy(&status, &q->reset_status); while (true) { msleep(AP_RESET_INTERVAL); status = ap_tapq(q->apqn, NULL); ret = apq_status_check(q->apqn, &status) (NORMAL: 0); q->reset_status not in progress: no ZAPQ again',
          reads: [WORK(q)],
          when: queued,
        },
      ];
  return checkedApSteps(kfunction('apq_reset_check', 'drivers/s390/crypto/vfio_ap_ops.c apq_reset_check (q->reset_work on system_long_wq)', [
    ...tapq,
    {
      at: 'vfio_ap_free_aqic_resources',
      cite: 'vfio_ap_ops.c apq_reset_check: if (q->saved_isc != VFIO_AP_ISC_INVALID) vfio_ap_free_aqic_resources(q) (kvm_s390_gisc_unregister through q->matrix_mdev->kvm, vfio_unpin_pages); break (the work returns: flush_work may return)',
      reads: [['queues', q], ...FREE_READS],
      writes: [['queues', q], ...FREE_WRITES],
      raises: [qSettle(q).type],
      run: (c, _t, fx) => {
        if (c.queues[q]!.isc !== ISC_INVALID) k.vfio_ap_free_aqic_resources(c, q);
        c.queues[q]!.work = 'idle';
        fx.raise(qSettle(q));
      },
    },
  ]), k, resetWorkPosts, RESET_TABLE);
}

/** The three threads of `pqap-reset-work`: the guest's PQAP(AQIC) on VM 0 for queue 0, QEMU's VFIO_DEVICE_RESET, the reset work of queue 0. */
export function pqapResetWorkThreads(k: Kernel, answers?: ResetAnswers): ThreadDef<C>[] {
  const era = eraOf(k, 'apq_reset_check');
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [device_reset(0, k, era, answers)] },
    { name: 'work', actor: 'kernel', ix: { q: 0 }, fns: [reset_work(0, k, answers)] },
  ];
}

/**
 * Planted (pqap-reset-work): vfio_ap_mdev_ioctl's VFIO_DEVICE_RESET releasing mdevs_lock before it waits
 * for the reset work (flush_work after mutex_unlock): a PQAP(AQIC) gets mdevs_lock between the ZAPQ and the
 * work, enables interruptions on the reset queue, and the work then frees what it set up.
 */
export function flushAfterUnlock(f: F): F {
  const flush = f.steps.findIndex((s) => s.at === 'flush_work(&q->reset_work)');
  const unlock = f.steps.findIndex((s) => s.at === 'mutex_unlock(matrix_dev->mdevs_lock)');
  if (flush < 0 || unlock !== flush + 1) throw new Error('flushAfterUnlock: the VFIO_DEVICE_RESET steps moved');
  return swapStatements(f, 'flush_work(&q->reset_work)', 'mutex_unlock(matrix_dev->mdevs_lock)');
}

/** The three threads of `pqap-close-work`: the guest's PQAP(AQIC) on VM 0 for queue 0, QEMU's close with the reset of queue 0 split (ZAPQ, flush_work), the reset work of queue 0. */
export function pqapCloseWorkThreads(k: Kernel, answers?: ResetAnswers): ThreadDef<C>[] {
  const era = eraOf(k, 'apq_reset_check');
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k, era)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [unset_kvm(0, k, era, true, answers)] },
    { name: 'work', actor: 'kernel', ix: { q: 0 }, fns: [reset_work(0, k, answers)] },
  ];
}

/**
 * Planted (pqap-close-work): vfio_ap_mdev_unset_kvm dropping the KVM reference and clearing
 * matrix_mdev->kvm before it waits for the reset work (kvm_put_kvm before flush_work): apq_reset_check's
 * vfio_ap_free_aqic_resources then finds matrix_mdev->kvm NULL, WARNs and skips the unregister.
 */
export function putBeforeFlush(f: F): F {
  return swapStatements(f, 'flush_work(&q->reset_work)', 'kvm_put_kvm(kvm)');
}

/**
 * Planted (pqap-reset-work-answers): apq_reset_check taking TAPQ's -EBUSY (RESET_IN_PROGRESS, BUSY) for a completed
 * reset: it frees the AQIC resources (GISC unregistered, NIB unpinned) and returns while the AP, still resetting, may
 * interrupt through them, and VFIO_DEVICE_RESET reports the reset done.
 */
export function freeOnBusy(f: F): F {
  const i = f.steps.findIndex((s) => s.at === TAPQ && s.answers?.includes('BUSY'));
  if (i < 0) throw new Error('freeOnBusy: apq_reset_check has no TAPQ step with the AP\'s answers');
  const st = f.steps[i]!;
  const next = (st.next as readonly Branch<C>[]).map((b) => (b.goto === TAPQ ? { ...b, goto: FREE } : b));
  const steps = [...f.steps];
  steps[i] = movedApStep({ ...st, cite: 'planted: apq_reset_check: if (ret == -EBUSY) treated as 0 (no msleep and TAPQ again)', next });
  return { ...f, steps };
}
