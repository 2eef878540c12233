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
 *   v5.12, dropped matrix_dev->lock around the mask updates with a kvm_busy wait, and did not
 *   touch priv.c).
 * The AQIC series as first posted (aqic-v4) is coarse only: building it here is a SpecError.
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
import { FAULT, type SystemContext } from '../context.ts';
import { SpecError } from '../../src/spec.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent, type Effects } from '../lib.ts';
import { mdevSettle } from './ap_matrix_mdev.machine.ts';
import { acquire, kfunction, mutex, named, release, rwsem, type KFunction, type Lock, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';

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
const oopsed = named('NULL pqap_hook', (_c: C, t: ThreadView) => t.local.oops === true);
/** The branch taken when the hook was NULL at a dereference: the only one that reports. */
const oops = { if: oopsed, goto: 'return', writes: [] as Path[], reports: true };

/** A re-load of the hook pointer that dereferences it (`pqap_hook->owner`, `pqap_hook->hook`, `*pqap_hook`). */
function deref(at: string, cite: string, next: string): Step<C> {
  return {
    at,
    cite,
    reads: [HOOK],
    reports: true,
    run: (c, t) => void (t.local.oops = !derefHook(c, t)),
    next: [oops, { goto: next, writes: [] }],
  };
}

/**
 * vfio_ap's handle_pqap (the hook), inlined: under the driver lock, re-test the hook (and, since
 * v5.12, matrix_mdev->kvm), find the queue, vfio_ap_irq_enable. `lock` is the era's driver lock.
 */
function vfioApHandlePqap(vm: number, q: number, lock: Lock, k: Kernel, after: string): Step<C>[] {
  const at = (s: string) => `vfio_ap:handle_pqap@${s}`;
  return [
    acquire<C>(lock, 'write', { at: at(`mutex_lock(${lock.short})`), cite: `vfio_ap_ops.c handle_pqap: mutex_lock(&${lock.c})`, sleeps: true }),
    {
      at: at('vfio_ap_mdev_get_queue'),
      cite: 'vfio_ap_ops.c handle_pqap: if (!vcpu->kvm->arch.crypto.pqap_hook) goto out_unlock; matrix_mdev = container_of(...); if (!matrix_mdev->kvm) goto out_unlock (v5.12+); q = vfio_ap_mdev_get_queue(matrix_mdev, apqn) (rc 01 unless all hold)',
      reads: [HOOK, ['mdev', 'kvm'], ['queues', q, 'apid'], ['queues', q, 'apqi']],
      run: (c, t) => {
        const x = c.queues[qIx(t)]!;
        t.local.found = c.mdev.hook === vmIx(t) && (k.design.aqic !== 'upstream' || c.mdev.kvm === vmIx(t)) && x.apid && x.apqi;
      },
      next: [{ if: named('q', (_c, t) => t.local.found === true), goto: at('vfio_ap_irq_enable') }, { goto: at(`mutex_unlock(${lock.short})`) }],
    },
    {
      at: at('vfio_ap_irq_enable'),
      cite: 'vfio_ap_ops.c handle_pqap: IR bit set: vfio_ap_irq_enable(q, gr1 & 7, vcpu): vfio_ap_validate_nib, vfio_pin_pages, kvm_s390_gisc_register, ap_aqic (NORMAL)',
      reads: [['mdev', 'kvm'], ['queues', q], ['vms', vm, 'freed'], ['vms', vm, 'gisa'], ['gib', 'list']],
      writes: [['queues', q], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'iam']],
      raises: [qSettle(q).type],
      run: (c, t, fx) => {
        k.vfio_ap_irq_enable(c, qIx(t), PQAP_ISC, 'NORMAL');
        fx.raise(qSettle(qIx(t))); // the queue region follows q->saved_isc
      },
    },
    release<C>(lock, 'write', { at: at(`mutex_unlock(${lock.short})`), cite: `vfio_ap_ops.c handle_pqap: out_unlock: mutex_unlock(&${lock.c}); return 0`, next: after }),
  ];
}

/** priv.c handle_pqap of VM vm for queue q, as the design's era has it. */
export function handle_pqap(vm: number, q: number, k: Kernel): F {
  const d = k.design.aqic;
  if (k.replaced.has('handle_pqap')) throw new SpecError('a variant that replaces handle_pqap is coarse only: the fine-grained configuration splits it into steps');
  if (d === 'aqic-v4') throw new SpecError(`the fine-grained handle_pqap transcribes upstream and v5.3..v5.10; design ${JSON.stringify(k.design)} is coarse only`);
  if (d === 'v5.3') {
    return kfunction('handle_pqap', 'arch/s390/kvm/priv.c handle_pqap, v5.3..v5.10 (no pqap_hook_rwsem)', [
      {
        at: 'if (pqap_hook)',
        cite: 'priv.c handle_pqap (v5.10): if (vcpu->kvm->arch.crypto.pqap_hook) {, read without a lock; else response 01, cc 3',
        reads: [HOOK],
        run: (c, t) => void (t.local.hook = c.mdev.hook === vmIx(t)),
        next: [{ if: named('pqap_hook', (_c, t) => t.local.hook === true), goto: 'try_module_get(pqap_hook->owner)' }, { goto: 'return' }],
      },
      deref('try_module_get(pqap_hook->owner)', 'priv.c handle_pqap (v5.10): if (!try_module_get(vcpu->kvm->arch.crypto.pqap_hook->owner)) return -EOPNOTSUPP (the pointer loaded again)', 'pqap_hook->hook(vcpu)'),
      deref('pqap_hook->hook(vcpu)', 'priv.c handle_pqap (v5.10): ret = vcpu->kvm->arch.crypto.pqap_hook->hook(vcpu) (loaded again)', `vfio_ap:handle_pqap@mutex_lock(${matrix_dev_lock.short})`),
      ...vfioApHandlePqap(vm, q, matrix_dev_lock, k, 'module_put(pqap_hook->owner)'),
      deref('module_put(pqap_hook->owner)', 'priv.c handle_pqap (v5.10): module_put(vcpu->kvm->arch.crypto.pqap_hook->owner): loaded again after the call, which unset may have spanned', 'return'),
    ]);
  }
  const rw = pqap_hook_rwsem(vm);
  return kfunction('handle_pqap', 'arch/s390/kvm/priv.c handle_pqap', [
    acquire<C>(rw, 'read', { cite: 'priv.c handle_pqap: down_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem)', sleeps: true }),
    {
      at: 'if (pqap_hook)',
      cite: 'priv.c handle_pqap: if (vcpu->kvm->arch.crypto.pqap_hook) {; else up_read, response 01, cc 3',
      reads: [HOOK],
      run: (c, t) => void (t.local.hook = c.mdev.hook === vmIx(t)),
      next: [{ if: named('pqap_hook', (_c, t) => t.local.hook === true), goto: 'pqap_hook = *pqap_hook' }, { goto: 'up_read(pqap_hook_rwsem)' }],
    },
    deref('pqap_hook = *pqap_hook', 'priv.c handle_pqap: pqap_hook = *vcpu->kvm->arch.crypto.pqap_hook (loaded again); ret = pqap_hook(vcpu)', `vfio_ap:handle_pqap@mutex_lock(${mdevs_lock.short})`),
    ...vfioApHandlePqap(vm, q, mdevs_lock, k, 'up_read(pqap_hook_rwsem)'),
    release<C>(rw, 'read', { cite: 'priv.c handle_pqap: up_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem); return' }),
  ]);
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
export function unset_kvm(vm: number, k: Kernel): F {
  const d = k.design.aqic;
  if (k.replaced.has('vfio_ap_mdev_unset_kvm')) throw new SpecError('a variant that replaces vfio_ap_mdev_unset_kvm is coarse only: the fine-grained configuration splits it into steps');
  if (d === 'aqic-v4') throw new SpecError(`the fine-grained vfio_ap_mdev_unset_kvm transcribes upstream and v5.3..v5.10; design ${JSON.stringify(k.design)} is coarse only`);
  if (d === 'v5.3') {
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
  return kfunction('vfio_ap_mdev_unset_kvm', 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_unset_kvm (from vfio_ap_mdev_close_device)', [
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
    ...resetAndPut(vm, 'vfio_ap_mdev_unset_kvm', k),
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: if (kvm) mutex_unlock(&kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->guests_lock)' }),
  ]);
}

/** The two threads of `pqap-close`: the guest's PQAP(AQIC) on VM 0 for queue 0, and QEMU closing the mdev. */
export function pqapCloseThreads(k: Kernel): ThreadDef<C>[] {
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [unset_kvm(0, k)] },
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
  const moved = { ...q, next: [{ ...found, goto: lock }, { goto: typeof unlock.next === 'string' ? unlock.next : 'return' }] };
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
