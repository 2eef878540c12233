// The names the fine-grained configuration pv-enable-create-vcpu of kvm_s390_gisa_interrupt adds
// (machines/gisa/kvm_s390_pv.threads.ts kvm_vm_ioctl_create_vcpu, kvm_s390_handle_pv_enable_create; issue 12),
// by the branch of the C each step executes. Composed into the GISA machine's audit
// after its own and the pv-enable threads': a branch marked here as modelled wins over their marks; the
// branches the create thread does not run are ignored here only so that every branch has a mark (the
// vcpu and system audits mark them).
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, modelledAs, type Mark } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { CREATE_AT, CREATE_VCPU, PV_AT } from './kvm_s390_pv.threads.ts';

const byOthers: Mark = ignored('not run by the pv-enable-create-vcpu threads: see the kvm_vcpu, kvm and kvm_s390_gisa_interrupt audits');
const pc = (at: string) => (at.includes('@') ? at : `${CREATE_VCPU}@${at}`);

export const createVcpuAudit: KernelAudit = {
  machine: 'kvm_s390_gisa_interrupt (pv-enable-create-vcpu threads)',
  pinned: PINNED_AUDIT,
  files: [FILE.kvmMain, FILE.kvmS390, FILE.interrupt],
  modelledFields: [F.origin, F.gd, F.ecaAiv, F.pvCpu, F.pvVm, F.onlineVcpus, F.createdVcpus],
  nonKernel: {
    'kvm_s390_handle_pv@if (kvm->created_vcpus != online_vcpus) -EBUSY':
      'proposed fix (variant proposed-pv-enable-busy-while-creating; before kvm->lock in planted-pv-enable-busy-check-unlocked): KVM_PV_ENABLE answers -EBUSY while a vcpu is counted but not online',
  },
  entries: [
    entry(K.kvm_vm_ioctl_create_vcpu, {
      badId: byOthers,
      nomem: byOthers,
      exists: ignored('pv-enable-create-vcpu creates one vcpu: no second vcpu_id'),
      ok: modelledAs(
        'pv-enable-create-vcpu: created_vcpus++ under kvm->lock; kvm_arch_vcpu_create outside it; the -EEXIST test, xa_insert, vcpu->mutex, create_vcpu_fd and atomic_inc(&kvm->online_vcpus) as one step under kvm->lock again (every reader of the vcpu here holds kvm->lock); vcpu_id, vcpu_idx, the fd reference and kvm_arch_vcpu_postcreate (epoch, SCA entry) write no field of the configuration',
        pc('mutex_lock(kvm->lock)'), pc('kvm->created_vcpus++'), pc('mutex_unlock(kvm->lock)'), pc('mutex_lock(kvm->lock) again'), pc(CREATE_AT.publish), pc('mutex_unlock(kvm->lock) again'),
      ),
      fdFail: byOthers,
    }),
    entry(K.kvm_arch_vcpu_create, {
      nomem: byOthers,
      setup: modelledAs(
        'pv-enable-create-vcpu: gd = kvm_s390_get_gisa_desc(kvm) (gi->origin read without kvm->lock) and kvm_s390_vcpu_setup\'s "if (gd) eca |= ECA_AIV" as one step (the sie block is the creator\'s own until it is online); kvm_s390_vcpu_setup\'s PV test under kvm->lock, kvm_s390_pv_create_cpu succeeding; cpuflags, icpua, ECA_APIE and the rest of the sie block are not modelled (ECA_APIE has the same unlocked read of kvm->arch.crypto.apie against kvm_s390_vcpu_crypto_reset_all: not modelled)',
        CREATE_AT.gd, CREATE_AT.setupLock, CREATE_AT.pvCheck, 'kvm_s390_vcpu_setup@mutex_unlock(kvm->lock)',
      ),
      pvFail: ignored('pv-enable-create-vcpu: kvm_s390_pv_create_cpu always succeeds (a failure frees the vcpu: no vcpu goes online)'),
    }),
    entry(K.kvm_s390_cpus_to_pv, {
      noAiv: modelledAs('pv-enable-create-vcpu: kvm_s390_gisa_disable\'s kvm_for_each_vcpu reaches the created vcpu only once it is online (its vcpu->mutex is free then: the creator holds it only inside kvm->lock)', 'kvm_s390_gisa_disable@if (!gi->origin)', PV_AT.aivClear),
      aiv: byOthers,
      create: modelledAs('pv-enable-create-vcpu: kvm_for_each_vcpu over the online vcpus, kvm_s390_pv_create_cpu under each vcpu->mutex, one step (kvm->lock held)', CREATE_AT.toPv),
      fail: byOthers,
    }),
    entry(K.kvm_s390_cpus_from_pv, {
      destroy: abstracted('no KVM_PV_DISABLE in pv-enable-create-vcpu: a vcpu created while kvm_s390_cpus_from_pv destroys the PV cpus and kvm_s390_gisa_enable sets gd of the online ones is the mirror window (gd read while gi->origin is NULL, online after the re-enable: gd 0 with the GISA enabled), not modelled'),
      enable: byOthers,
      noUse: byOthers,
    }),
    entry(K.kvm_s390_gisa_enable, {
      set: byOthers,
      init: byOthers,
      noDesc: byOthers,
      vcpus: abstracted('no KVM_PV_DISABLE in pv-enable-create-vcpu (see kvm_s390_cpus_from_pv): the gd and ECA_AIV of the online vcpus after the re-enable are the coarse KVM_PV_DISABLE\'s, where no vcpu has them'),
    }),
    entry(K.kvm_s390_handle_pv, {
      enable: modelledAs('pv-enable-create-vcpu: kvm->lock held across kvm_s390_pv_init_vm (the PV handle set: kvm_s390_pv_is_protected) and kvm_s390_cpus_to_pv; ESCA and the COW unsharing write no field of the configuration', 'kvm_s390_handle_pv@mutex_lock(kvm->lock)', CREATE_AT.initVm, 'kvm_s390_handle_pv@mutex_unlock(kvm->lock)'),
      enableFail: byOthers,
      prepare: byOthers,
      disable: byOthers,
      other: byOthers,
    }),
  ],
};
