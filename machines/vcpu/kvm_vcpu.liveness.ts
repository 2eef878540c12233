// Liveness of the vcpu wake-up path, checked on the explored graph.
import type { LivenessProperty } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';
import { deliverableIpm } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';

/** An idle vcpu whose PSW and CR6 would take a pending GISA interruption. */
export function idleWithDeliverable(context: SystemContext): boolean {
  return context.vms.some((k, vm) => k.gisa.origin && k.vcpus.some((v) => v.idle && deliverableIpm(context, vm, { ...v, pswIo: true }) !== 0));
}

export const NoLostWakeup: LivenessProperty<SystemContext> = {
  name: 'NoLostWakeup',
  cite: 'GIB series (Michael Mueller): a pending adapter interruption an idle vcpu is open for is delivered, or the vcpu leaves idle; gisa_vcpu_kicker re-arms until the IPM is clean',
  kind: 'leadsTo',
  p: ({ context }) => idleWithDeliverable(context),
  q: ({ context }) => !idleWithDeliverable(context),
};
