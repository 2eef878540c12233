// The names the fine-grained pqap-mdev-eperm and pqap-dma-unmap configurations add
// (machines/vfio-ap/vfio_ap_mdev.threads.ts, issue 12 apmdev): vfio_ap_mdev_set_kvm's -EPERM with a
// second mdev, its removal, and vfio_ap_mdev_dma_unmap, by the branch of the C each step executes.
// Composed into the system audit like pqapCloseAudit (vfio_ap_ops.threads.audit.ts); the branches
// these threads do not run keep the marks of the per-object audits.
import type { KernelAudit } from '../../src/audit.ts';
import { entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

const byOthers: Mark = ignored('not run by the pqap-mdev-eperm or pqap-dma-unmap threads: see the vfio_ap_queue and ap_matrix_mdev audits and the other thread audits');
const SET = 'vfio_ap_mdev_set_kvm@';
const DMA = 'vfio_ap_mdev_dma_unmap@';

export const pqapMdevLifeAudit: KernelAudit = {
  machine: 'system (pqap-mdev-eperm, pqap-dma-unmap threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.priv, FILE.apOps],
  modelledFields: [F.hook, F.mdevKvm, F.savedIsc, F.savedIova, F.apIrq, F.pin],
  entries: [
    entry(K.vfio_ap_mdev_set_kvm, {
      noCrycb: byOthers,
      hook: byOthers,
      eperm: modelledAs(
        'pqap-mdev-eperm: a second mdev opened for VM 0 while mdev 0 is attached: down_write, the store (VM 0\'s one hook pointer moves to mdev 1: MdevContext.hook -1, SecondMdevContext.hook 0), up_write, get_update_locks_for_kvm as steps, the mdev_list scan finding mdev 0 (SecondMdevContext.refused), release_update_locks_for_kvm, return -EPERM with the hook left (finding: MdevTypeOK, RefusedOpenLeavesNoHook, NoMatrixMdevUseAfterFree after the removal). The proposed fix (upstream-set-kvm-hook-checked) tests the hook under the rwsem and returns -EPERM before the store',
        `${SET}down_write(pqap_hook_rwsem)`, `${SET}pqap_hook = &matrix_mdev->pqap_hook`, `${SET}up_write(pqap_hook_rwsem)`,
        `${SET}mutex_lock(matrix_dev->guests_lock)`, `${SET}mutex_lock(kvm->lock)`, `${SET}mutex_lock(matrix_dev->mdevs_lock)`,
        `${SET}list_for_each_entry(m, &matrix_dev->mdev_list, node): -EPERM`,
        `${SET}mutex_unlock(matrix_dev->mdevs_lock)`, `${SET}mutex_unlock(kvm->lock)`, `${SET}mutex_unlock(matrix_dev->guests_lock)`,
      ),
      attach: byOthers,
    }),
    entry(K.vfio_ap_mdev_dma_unmap, {
      hit: modelledAs(
        'pqap-dma-unmap: after the guest\'s PQAP(AQIC) returned (`after`; both hold mdevs_lock, and an unmap first makes the pin fail), mutex_lock, unmap_iova\'s vfio_ap_irq_disable of queue 0 (its saved NIB is in the range) as one step, mutex_unlock (NoNibAfterDmaUnmap); v6.0..v6.1 (dma-unmap-v6.0): vfio_unpin_pages of the IOVA only, no lock',
        `${DMA}mutex_lock(matrix_dev->mdevs_lock)`, `${DMA}unmap_iova: vfio_ap_irq_disable`, `${DMA}mutex_unlock(matrix_dev->mdevs_lock)`,
        `${DMA}vfio_unpin_pages(&matrix_mdev->vdev, iova, 1)`,
      ),
      miss: byOthers,
    }),
  ],
};
