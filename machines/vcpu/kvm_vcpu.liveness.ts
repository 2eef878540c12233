// Liveness of the vcpu wake-up path, checked on the explored graph.
import type { LivenessProperty } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';
import { deliverableIpm } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';

/**
 * vcpu `vcpu` of VM `vm` is idle and its PSW and CR6 would take a pending GISA interruption
 * on a registered ISC (alert.mask): the GIB alert and the kicker exist for those; an ISC whose
 * driver unregistered is left to the guest's own timers.
 */
export function idleWithDeliverableOn(context: SystemContext, vm: number, vcpu: number): boolean {
  const k = context.vms[vm];
  const v = k?.vcpus[vcpu];
  return !!k && !!v && k.gisa.origin && v.idle && (deliverableIpm(context, vm, { ...v, pswIo: true }) & k.gisa.mask) !== 0;
}

/** Some vcpu is idle with a deliverable GISA interruption. */
export function idleWithDeliverable(context: SystemContext): boolean {
  return context.vms.some((k, vm) => k.vcpus.some((_, vcpu) => idleWithDeliverableOn(context, vm, vcpu)));
}

export const NoLostWakeup: LivenessProperty<SystemContext> = {
  name: 'NoLostWakeup',
  cite: 'GIB series (Michael Mueller): a pending adapter interruption an idle vcpu is open for is delivered, or the vcpu leaves idle; gisa_vcpu_kicker re-arms until the IPM is clean',
  kind: 'leadsTo',
  // per vcpu, as the property is worded: vcpus taking turns being idle is no lost wake-up
  instances: ({ context }) => context.vms.flatMap((k, vm) => k.vcpus.map((_, vcpu) => ({ vm, vcpu }))),
  p: ({ context }, { vm, vcpu }) => idleWithDeliverableOn(context, vm!, vcpu!),
  q: ({ context }, { vm, vcpu }) => !idleWithDeliverableOn(context, vm!, vcpu!),
};

// Issue 14 (mutation analysis): properties the mutants showed missing.

/**
 * vcpu `vcpu` of VM `vm` is halted (idle, its idle_mask bit set), or it can never run again:
 * stopped with the VM fd closed (kvm_vm_release needs every vcpu stopped, and
 * kvm_s390_vcpu_start an open fd) or its VM freed.
 */
export function haltedOrGone(context: SystemContext, vm: number, vcpu: number): boolean {
  const k = context.vms[vm];
  const v = k?.vcpus[vcpu];
  return !k || !v || k.freed || v.idle || (v.stopped && !k.fd);
}

export const VcpuCanHalt: LivenessProperty<SystemContext> = {
  name: 'VcpuCanHalt',
  cite: 'interrupt.c kvm_s390_handle_wait: an enabled wait with nothing the vcpu could take (kvm_arch_vcpu_runnable false, gisa_get_ipm_or_restore_iam & CR6 clean) sets CPUSTAT_WAIT and the idle_mask bit (__set_cpu_idle) and halts in kvm_vcpu_halt, and kvm_main.c kvm_vcpu_block sleeps again while kvm_vcpu_check_block finds nothing: a running vcpu can always take what is pending and halt, rather than spin through SIE entry and the wait intercept',
  kind: 'alwaysReachable',
  instances: ({ context }) => context.vms.flatMap((k, vm) => k.vcpus.map((_, vcpu) => ({ vm, vcpu }))),
  q: ({ context }, { vm, vcpu }) => haltedOrGone(context, vm!, vcpu!),
};

export const vcpuLiveness = [VcpuCanHalt];
