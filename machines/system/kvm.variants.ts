// Variants of the struct kvm machine with the result the checker must find.
import { kernel, vmOf } from '../lib.ts';
import type { CoreVariant } from './spec.ts';

export const kvmVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'kvm_put_kvm starts kvm_destroy_vm when users_count drops to 0',
    cite: 'virt/kvm/kvm_main.c kvm_put_kvm, kvm_destroy_vm',
    expectedViolations: [],
  },
  {
    id: 'planted-put-without-destroy',
    description: 'planted bug: a driver drops its reference with a bare atomic_dec instead of kvm_put_kvm, so the VM lingers with users_count 0',
    cite: 'planted: refcount_dec instead of kvm_put_kvm',
    provide: () => ({ actions: { kvm_put_kvm: kernel((c, _e, ix) => void (vmOf(c, ix.vm!).users -= 1)) } }),
    expectedViolations: ['KvmTypeOK'],
  },
];
