/**
 * The matrix mdev's own lifecycle against the PQAP(AQIC) intercept, at the kernel's granularity
 * (machines/kthread.ts), for two fine-grained configurations of the composed guest (issue 12):
 *
 * - `pqap-mdev-eperm` (3 threads, two mdevs): mdev 0 is open for VM 0 (its hook, reference and
 *   pointer) with queue 0 assigned; QEMU (or any VMM holding VM 0's fd) opens a second mdev, mdev 1
 *   (no queues), for the same VM: vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm stores VM 0's
 *   kvm->arch.crypto.pqap_hook = &mdev1->pqap_hook under pqap_hook_rwsem *before* it takes
 *   get_update_locks_for_kvm and finds mdev 0 attached to the VM (mdev_list scan: -EPERM). The
 *   -EPERM path only releases the locks: the hook stays on mdev 1 (mdev 0's is lost), and the VFIO
 *   core calls no close_device after a failed open_device (drivers/vfio/vfio_main.c
 *   vfio_df_device_first_open: err_unuse_iommu; group.c vfio_df_group_open: out_put_kvm), so nothing
 *   clears it. Userspace then removes mdev 1 (vfio_ap_mdev_remove: vfio_unregister_group_dev returns,
 *   the device never opened; vfio_put_device frees the ap_matrix_mdev), and the guest's next
 *   PQAP(AQIC) loads `*pqap_hook` from the freed mdev (priv.c handle_pqap) and calls through it.
 *   Only mdev 0's close (unset_kvm's pqap_hook = NULL) ends it.
 * - `pqap-dma-unmap` (2 threads): the guest's PQAP(AQIC) enables queue 0's interruptions, then
 *   userspace unmaps the IOVA range holding the NIB (VFIO_IOMMU_UNMAP_DMA, or the iommufd unmap):
 *   the VFIO core calls vfio_ap_mdev_dma_unmap, which under mdevs_lock runs vfio_ap_irq_disable for
 *   every queue of the qtable whose saved_iova lies in the range (unmap_iova): AQIC ir=0 first, then
 *   vfio_ap_free_aqic_resources (GISC unregistered, NIB unpinned). v6.0..v6.1 (ce4b4657ff18 "vfio:
 *   Replace the DMA unmapping notifier with a callback" up to 2a54e347d990 "vfio/ap: validate iova
 *   during dma_unmap and trigger irq disable", v6.2) only unpinned the IOVA: the AP kept its
 *   interruptions and wrote a NIB no longer pinned, and q->saved_iova stayed for a second unpin.
 *
 * Stays atomic, with the reason: vfio_ap_irq_enable and vfio_ap_irq_disable (as in
 * vfio_ap_ops.threads.ts: every user of the queue's fields holds mdevs_lock); the remove's
 * vfio_ap_mdev_reset_queues, vfio_ap_mdev_unlink_fr_queues and list_del (mdev 1 has no queue: its
 * qtable and matrix are empty, so the step changes nothing but is kept for its locks); the -EPERM
 * scan of mdev_list (one step under the three locks that every writer of matrix_mdev->kvm holds).
 * The dma_unmap runs after the PQAP returned (`after`): the two serialise on mdevs_lock, and an unmap
 * before the PQAP makes its vfio_pin_pages fail (the IOVA no longer mapped: rc 06, nothing set up),
 * which the model, without the IOMMU mapping as state, would not see.
 *
 * Kernel: v6.17-rc4 (Kingxukai/linux 9b44fff655e2) drivers/s390/crypto/vfio_ap_ops.c
 * vfio_ap_mdev_set_kvm, vfio_ap_mdev_remove, vfio_ap_mdev_dma_unmap, unmap_iova, handle_pqap;
 * arch/s390/kvm/priv.c handle_pqap; drivers/vfio/vfio_main.c vfio_df_device_first_open. The
 * hook-before-scan order came with 86956e70761b "s390/vfio-ap: replace open coded locks for
 * VFIO_GROUP_NOTIFY_SET_KVM notification" (v5.15); up to v5.14 the scan came first.
 */
import { FAULT, ISC_INVALID, type SystemContext } from '../context.ts';
import { SpecError } from '../../src/spec.ts';
import type { Kernel } from '../kernel.ts';
import { settleEvent } from '../lib.ts';
import { acquire, kfunction, named, release, type KFunction, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';
import { guests_lock, handle_pqap, kvm_lock, mdevs_lock, PQAP_ISC, pqap_hook_rwsem } from './vfio_ap_ops.threads.ts';
import { checkedMdevSteps, dmaUnmapPosts, secondMdevPosts, twoMdevPqapPosts } from './vfio_ap_mdev.stepghost.ts';

type C = SystemContext;
type F = KFunction<C>;

const HOOK: Path = ['mdev', 'hook'];
const HOOK1: Path = ['mdev1', 'hook'];
const REFUSED1: Path = ['mdev1', 'refused'];
const FREED1: Path = ['mdev1', 'freed'];
const q0Settle = { type: settleEvent('q0').type };
const vmIx = (t: ThreadView): number => t.ix.vm!;

/** The second mdev (pqap-mdev-eperm's initial state creates it). */
const mdev1 = (c: C): NonNullable<C['mdev1']> => c.mdev1!;

/** Whether VM vm's kvm->arch.crypto.pqap_hook is set, to either mdev. */
const hookSet = (c: C, vm: number): boolean => c.mdev.hook === vm || mdev1(c).hook === vm;

/**
 * priv.c handle_pqap with the hook pointing into either of two mdevs, and vfio_ap's handle_pqap
 * inlined (v6.17-rc4): the load of `*pqap_hook` reads the ap_matrix_mdev the hook points into
 * (freed memory once vfio_ap_mdev_remove's vfio_put_device ran: an oops, the rwsem left read-held);
 * under mdevs_lock `container_of(pqap_hook)` is that mdev, whose matrix_mdev->kvm and qtable decide.
 */
export function handle_pqap_two_mdevs(vm: number, q: number, k: Kernel): F {
  const rw = pqap_hook_rwsem(vm);
  const at = (s: string) => `vfio_ap:handle_pqap@${s}`;
  const enableWrites: Path[] = [['queues', q], ['vms', vm, 'gisa', 'ref'], ['vms', vm, 'gisa', 'mask'], ['vms', vm, 'gisa', 'iam']];
  // the step postconditions of v6.17-rc4 (vfio_ap_mdev.stepghost.ts)
  return checkedMdevSteps(kfunction('handle_pqap', 'arch/s390/kvm/priv.c handle_pqap -> drivers/s390/crypto/vfio_ap_ops.c handle_pqap (two mdevs)', [
    acquire<C>(rw, 'read', { cite: 'priv.c handle_pqap: down_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem)', sleeps: true }),
    {
      at: 'if (pqap_hook)',
      cite: 'priv.c handle_pqap: if (vcpu->kvm->arch.crypto.pqap_hook) {; else up_read, response 01, cc 3',
      reads: [HOOK, HOOK1],
      next: [{ if: named('pqap_hook', (c: C, t: ThreadView) => hookSet(c, vmIx(t))), goto: 'pqap_hook = *pqap_hook' }, { goto: 'up_read(pqap_hook_rwsem)' }],
    },
    {
      at: 'pqap_hook = *pqap_hook',
      cite: 'priv.c handle_pqap: pqap_hook = *vcpu->kvm->arch.crypto.pqap_hook (a load from the ap_matrix_mdev: &matrix_mdev->pqap_hook); ret = pqap_hook(vcpu)',
      reads: [HOOK1, FREED1],
      reports: true,
      run: (c, t) => {
        const m = mdev1(c);
        t.local.uaf = m.hook === vmIx(t) && m.freed;
        if (t.local.uaf) t.report(FAULT.MDEV_USE_AFTER_FREE);
      },
      // the load from freed memory: an oops (or a call through whatever the memory now holds), the rwsem left read-held
      next: [{ if: named('freed mdev', (_c: C, t: ThreadView) => t.local.uaf === true), goto: 'return', writes: [], reports: true }, { goto: at(`mutex_lock(${mdevs_lock.short})`), writes: [] }],
    },
    acquire<C>(mdevs_lock, 'write', { at: at(`mutex_lock(${mdevs_lock.short})`), cite: 'vfio_ap_ops.c handle_pqap: mutex_lock(&matrix_dev->mdevs_lock) (ECA_AIV set: the VM has its GISA)', sleeps: true }),
    {
      at: at('vfio_ap_mdev_get_queue'),
      cite: 'vfio_ap_ops.c handle_pqap: if (!vcpu->kvm->arch.crypto.pqap_hook) goto out_unlock; matrix_mdev = container_of(vcpu->kvm->arch.crypto.pqap_hook, struct ap_matrix_mdev, pqap_hook); if (!matrix_mdev->kvm) goto out_unlock; q = vfio_ap_mdev_get_queue(matrix_mdev, apqn): mdev 1 has no kvm and an empty qtable (rc 01)',
      reads: [HOOK, HOOK1, ['mdev', 'kvm'], ['queues', q, 'apid'], ['queues', q, 'apqi']],
      run: (c, t) => {
        const x = c.queues[q]!;
        t.local.found = c.mdev.hook === vmIx(t) && c.mdev.kvm === vmIx(t) && x.apid && x.apqi;
      },
      next: [{ if: named('q', (_c: C, t: ThreadView) => t.local.found === true), goto: at('vfio_ap_irq_enable') }, { goto: at(`mutex_unlock(${mdevs_lock.short})`) }],
    },
    {
      at: at('vfio_ap_irq_enable'),
      cite: 'vfio_ap_ops.c handle_pqap: IR bit set: vfio_ap_irq_enable(q, gr1 & 7, vcpu) (ap_aqic NORMAL)',
      reads: [['mdev', 'kvm'], ['queues', q], ['vms', vm, 'freed'], ['vms', vm, 'gisa'], ['gib', 'list']],
      writes: enableWrites,
      raises: [q0Settle.type],
      run: (c, _t, fx) => {
        k.vfio_ap_irq_enable(c, q, PQAP_ISC, 'NORMAL');
        fx.raise(q0Settle);
      },
    },
    release<C>(mdevs_lock, 'write', { at: at(`mutex_unlock(${mdevs_lock.short})`), cite: 'vfio_ap_ops.c handle_pqap: out_unlock: memcpy(&gprs[1], &qstatus, ...); mutex_unlock(&matrix_dev->mdevs_lock); return 0', next: 'up_read(pqap_hook_rwsem)' }),
    release<C>(rw, 'read', { cite: 'priv.c handle_pqap: up_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem); return' }),
  ]), twoMdevPqapPosts);
}

const SET = 'vfio_ap_mdev_set_kvm';

/**
 * QEMU's open of mdev 1 for VM vm while mdev 0 is attached to it: vfio_ap_mdev_open_device ->
 * vfio_ap_mdev_set_kvm (v6.17-rc4). The hook store overwrites VM vm's only pqap_hook pointer (mdev 0's
 * is gone, the mdev region of mdev 0 is not told); the scan under the three locks finds mdev 0 with
 * m->kvm == kvm: release_update_locks_for_kvm, return -EPERM (mdev1.refused), the hook left as stored.
 * `checked` (the proposed fix): the hook is stored only if the VM has none, else up_write and -EPERM.
 */
export function set_kvm_second(vm: number, checked = false): F {
  const rw = pqap_hook_rwsem(vm);
  const at = 'pqap_hook = &matrix_mdev->pqap_hook';
  const move = (c: C, vm: number): void => {
    if (c.mdev.hook === vm) c.mdev.hook = -1; // the VM's one pointer now points at mdev 1
    mdev1(c).hook = vm;
  };
  const store: Step<C> = checked
    ? {
        at,
        cite: 'proposed fix: vfio_ap_ops.c vfio_ap_mdev_set_kvm: if (kvm->arch.crypto.pqap_hook) { up_write(&kvm->arch.crypto.pqap_hook_rwsem); return -EPERM; } kvm->arch.crypto.pqap_hook = &matrix_mdev->pqap_hook',
        reads: [HOOK, HOOK1],
        writes: [HOOK, HOOK1, REFUSED1],
        run: (c, t) => void (hookSet(c, vmIx(t)) ? (mdev1(c).refused = true) : move(c, vmIx(t))),
      }
    : { at, cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: kvm->arch.crypto.pqap_hook = &matrix_mdev->pqap_hook (before the mdev_list scan)', reads: [HOOK], writes: [HOOK, HOOK1], run: (c, t) => move(c, vmIx(t)) };
  const scan = 'list_for_each_entry(m, &matrix_dev->mdev_list, node): -EPERM';
  const f = kfunction(SET, 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm (a second mdev for the VM)', [
    acquire<C>(rw, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: if (kvm->arch.crypto.crycbd) { down_write(&kvm->arch.crypto.pqap_hook_rwsem)', sleeps: true }),
    store,
    release<C>(rw, 'write', {
      cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: up_write(&kvm->arch.crypto.pqap_hook_rwsem)',
      ...(checked ? { next: [{ if: named('-EPERM', (c: C) => mdev1(c).refused), goto: 'return', writes: [] }, { goto: 'mutex_lock(matrix_dev->guests_lock)', writes: [] }] } : {}),
      reads: checked ? [REFUSED1] : [],
    }),
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    acquire<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: if (kvm) mutex_lock(&kvm->lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c get_update_locks_for_kvm: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    {
      at: scan,
      cite: 'vfio_ap_ops.c vfio_ap_mdev_set_kvm: list_for_each_entry(m, &matrix_dev->mdev_list, node) { if (m != matrix_mdev && m->kvm == kvm) { release_update_locks_for_kvm(kvm); return -EPERM; } } (mdev 0 is attached to the VM throughout: the attach path is pqap-open\'s)',
      reads: [['mdev', 'kvm']],
      writes: [REFUSED1],
      run: (c, t) => void (mdev1(c).refused = c.mdev.kvm === vmIx(t)),
    },
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(kvm_lock(vm), 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: if (kvm) mutex_unlock(&kvm->lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c release_update_locks_for_kvm: mutex_unlock(&matrix_dev->guests_lock); return -EPERM (vfio_df_device_first_open: err_unuse_iommu, no close_device)' }),
  ]);
  // the step postconditions of v6.17-rc4 (the proposed fix is not v6.17-rc4: unchecked)
  return checked ? f : checkedMdevSteps(f, secondMdevPosts);
}

const RM = 'vfio_ap_mdev_remove';

/** Userspace removing mdev 1 after its refused open (v6.17-rc4 vfio_ap_mdev_remove): nothing to reset or unlink, vfio_put_device frees it. */
export function mdev_remove_second(): F {
  return checkedMdevSteps(kfunction(RM, 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove (mdev 1, never opened)', [
    { at: 'vfio_unregister_group_dev', cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_unregister_group_dev(&matrix_mdev->vdev): the device has no user (its open failed), returns at once; it cannot start before the failed open returned its registration reference', after: ['qemu'] },
    acquire<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_lock(&matrix_dev->guests_lock)', sleeps: true }),
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_lock(&matrix_dev->mdevs_lock)', sleeps: true }),
    {
      at: 'vfio_ap_mdev_reset_queues; unlink; list_del',
      cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_ap_mdev_reset_queues(matrix_mdev); vfio_ap_mdev_unlink_fr_queues(matrix_mdev); list_del(&matrix_mdev->node): mdev 1 has no APQN and an empty qtable, nothing is reset or unlinked; kvm->arch.crypto.pqap_hook is not looked at (matrix_mdev->kvm is NULL: nothing here could find the VM)',
      reads: [['mdev1', 'kvm']],
    },
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_unlock(&matrix_dev->mdevs_lock)' }),
    release<C>(guests_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: mutex_unlock(&matrix_dev->guests_lock)' }),
    { at: 'vfio_put_device', cite: 'vfio_ap_ops.c vfio_ap_mdev_remove: vfio_put_device(&matrix_mdev->vdev): the last reference, the ap_matrix_mdev (with its pqap_hook) freed', writes: [FREED1], run: (c) => void (mdev1(c).freed = true) },
  ]), secondMdevPosts);
}

/** The three threads of `pqap-mdev-eperm`: the guest's PQAP(AQIC) on VM 0, QEMU opening mdev 1 for VM 0, userspace removing mdev 1 after that open returned. */
export function pqapMdevEpermThreads(k: Kernel, checked = false): ThreadDef<C>[] {
  if (k.design.aqic !== 'upstream') throw new SpecError(`pqap-mdev-eperm transcribes v6.17-rc4 (the hook stored before the -EPERM scan since 86956e70761b, v5.15); design ${JSON.stringify(k.design)} is not upstream`);
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap_two_mdevs(0, 0, k)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [set_kvm_second(0, checked)] },
    { name: 'remove', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [mdev_remove_second()] },
  ];
}

/** Planted edit for the proposed fix variant: QEMU's set_kvm of mdev 1 with the hook checked before the store. */
export const setKvmHookChecked = (f: F): F => {
  if (f.name !== SET || f.steps[1]?.at !== 'pqap_hook = &matrix_mdev->pqap_hook') throw new Error('setKvmHookChecked: the set_kvm steps moved');
  return set_kvm_second(0, true);
};

const DMA = 'vfio_ap_mdev_dma_unmap';
const NIB_UNMAPPED: Path = ['mdev', 'nibUnmapped'];

/**
 * Userspace unmapping the IOVA range that holds queue q's NIB (VFIO_IOMMU_UNMAP_DMA / IOMMU_IOAS_UNMAP):
 * the VFIO core calls vfio_ap_mdev_dma_unmap, v6.17-rc4: under mdevs_lock, unmap_iova runs
 * vfio_ap_irq_disable for each queue of the qtable whose saved_iova lies in the range. `era` 'v6.0'
 * (ce4b4657ff18 .. 2a54e347d990, v6.0..v6.1): vfio_unpin_pages(&matrix_mdev->vdev, iova, 1) and nothing
 * else, with no lock (the AP's interruptions, q->saved_iova and the GISC registration left as they were).
 */
export function dma_unmap(q: number, k: Kernel, era: 'upstream' | 'v6.0' = 'upstream'): F {
  const hit = (c: C): boolean => c.queues[q]!.nib; // the range is the NIB's page: it holds saved_iova exactly when one is saved
  if (era === 'v6.0') {
    return kfunction(DMA, 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_dma_unmap, v6.0..v6.1', [
      {
        at: 'vfio_unpin_pages(&matrix_mdev->vdev, iova, 1)',
        cite: 'vfio_ap_ops.c vfio_ap_mdev_dma_unmap (v6.0..v6.1, ce4b4657ff18): vfio_unpin_pages(&matrix_mdev->vdev, iova, 1): the page unpinned, the AP\'s interruptions, q->saved_iova and the GISC registration left',
        after: ['vcpu'],
        reads: [['queues', q]],
        writes: [['queues', q, 'pins'], ['queues', q, 'faults'], NIB_UNMAPPED],
        run: (c) => {
          if (hit(c)) k.vfio_unpin_pages(c, q, c.queues[q]!.isc !== ISC_INVALID);
          c.mdev.nibUnmapped = true;
        },
      },
    ]);
  }
  const qSettle = { type: settleEvent(`q${q}`).type };
  return checkedMdevSteps(kfunction(DMA, 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_dma_unmap', [
    acquire<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_dma_unmap: mutex_lock(&matrix_dev->mdevs_lock) (after the guest\'s PQAP returned: an unmap before it makes its vfio_pin_pages fail)', sleeps: true, after: ['vcpu'] }),
    {
      at: 'unmap_iova: vfio_ap_irq_disable',
      cite: 'vfio_ap_ops.c unmap_iova: hash_for_each(qtable->queues, ...) if (q->saved_iova >= iova && q->saved_iova < iova + length) vfio_ap_irq_disable(q) (AQIC ir=0, then vfio_ap_free_aqic_resources: GISC unregistered, NIB unpinned)',
      reads: [['mdev', 'kvm'], ['queues', q], ['vms', 0, 'freed'], ['vms', 0, 'gisa'], ['gib', 'list']],
      writes: [['queues', q], ['vms', 0, 'gisa', 'ref'], ['vms', 0, 'gisa', 'mask'], ['vms', 0, 'gisa', 'iam'], NIB_UNMAPPED],
      raises: [qSettle.type],
      run: (c, _t, fx) => {
        if (hit(c)) k.vfio_ap_irq_disable(c, q);
        c.mdev.nibUnmapped = true;
        fx.raise(qSettle);
      },
    },
    release<C>(mdevs_lock, 'write', { cite: 'vfio_ap_ops.c vfio_ap_mdev_dma_unmap: mutex_unlock(&matrix_dev->mdevs_lock)' }),
  ]), dmaUnmapPosts);
}

/** The two threads of `pqap-dma-unmap`: the guest's PQAP(AQIC) enabling queue 0, then userspace unmapping the NIB's IOVA range. */
export function pqapDmaUnmapThreads(k: Kernel, era: 'upstream' | 'v6.0' = 'upstream'): ThreadDef<C>[] {
  if (k.design.aqic !== 'upstream') throw new SpecError(`pqap-dma-unmap transcribes v6.0+ (the dma_unmap callback); design ${JSON.stringify(k.design)} is not upstream`);
  return [
    { name: 'vcpu', actor: 'guest', ix: { vm: 0, q: 0 }, once: true, fns: [handle_pqap(0, 0, k)] },
    { name: 'qemu', actor: 'userspace', ix: { vm: 0, q: 0 }, once: true, fns: [dma_unmap(0, k, era)] },
  ];
}

/** Edit for the historical variant: the v6.0..v6.1 dma_unmap. */
export const dmaUnmapV60 = (k: Kernel) => (f: F): F => {
  if (f.name !== DMA) throw new Error('dmaUnmapV60: not vfio_ap_mdev_dma_unmap');
  return dma_unmap(0, k, 'v6.0');
};
