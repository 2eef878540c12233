// Safety predicates of struct kvm's lifetime.
import { FAULT } from '../context.ts';
import { inv, region, top } from '../invariant-lib.ts';

export const KvmTypeOK = inv(
  'KvmTypeOK',
  'kvm_main.c kvm_put_kvm: kvm_destroy_vm runs exactly when users_count drops to 0; the struct is freed at its end',
  ({ value, context }) =>
    context.vms.every((k, vm) => {
      const st = top(region(value, `vm${vm}`, 'kvm'));
      if (k.users < 0) return false;
      if (st === undefined) return true;
      return (st === 'alive') === k.users > 0 && (st === 'freed') === k.freed;
    }),
  { context: [['vms', '*', 'users'], ['vms', '*', 'freed'], ['vms', 'length']], value: [['*', 'kvm']] },
);

export const NoGiscCallOnFreedKvm = inv(
  'NoGiscCallOnFreedKvm',
  'interrupt.c kvm_s390_gisc_register/unregister dereference kvm->arch.gisa_int: the caller must hold a reference on the kvm',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISC_CALL_AFTER_FREE)) && context.queues.every((q) => !(q.faults & FAULT.GISC_CALL_AFTER_FREE)),
  { context: [['vms', '*', 'faults'], ['vms', 'length'], ['queues', '*', 'faults'], ['queues', 'length']] }, { stable: true },
);

export const kvmInvariants = [KvmTypeOK];
