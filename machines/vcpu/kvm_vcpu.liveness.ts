// Liveness of the vcpu wake-up path, checked on the explored graph.
import type { LivenessProperty } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';
import { deliverableIpm } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import { asleepInThread } from './kvm_vcpu.threads.ts';

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

// Issue 11 (gisconc2): the lost wake-up of the kick/wait threads as a liveness property.

/**
 * vcpu `vcpu` of VM `vm` sleeps in kvm_vcpu_block's schedule() (its thread's pc, still
 * TASK_INTERRUPTIBLE: no wake-up since set_current_state) while its GISA holds a pending
 * interruption on a registered ISC that its wait PSW (I/O enabled) and CR6 would take.
 */
export function asleepWithDeliverable(state: { value: unknown; context: SystemContext }, vm: number, vcpu: number): boolean {
  const c = state.context;
  const k = c.vms[vm];
  const v = k?.vcpus[vcpu];
  return !!k && !!v && asleepInThread(state.value, c, vm, vcpu) && (deliverableIpm(c, vm, { ...v, pswIo: true }) & k.gisa.mask) !== 0;
}

/**
 * NoLostWakeup for the fine-grained kick/wait threads (the vcpu's KVM_RUN loop and the
 * gisa_vcpu_kicker hrtimer): a vcpu asleep in schedule() with a deliverable interruption
 * pending leaves schedule() (a wake-up made it runnable) or the interruption stops being
 * pending (delivered elsewhere, cleared by KVM_DEV_FLIC_CLEAR_IRQS). Weak fairness: every
 * thread step and the GAL handler's passes are fair; the adapter interruptions and QEMU's
 * clear are not. Stronger than the safety form NoLostWakeupAtSleep (kvm_vcpu.invariants.ts),
 * which only asks that a wake-up be on its way (the kicker armed with the kicked_mask bit
 * clear): a kicker that re-arms forever without ever picking the vcpu holds that and breaks this.
 */
export const WokenFromSchedule: LivenessProperty<SystemContext> = {
  name: 'WokenFromSchedule',
  cite: 'kvm_main.c kvm_vcpu_block (set_current_state(TASK_INTERRUPTIBLE); kvm_vcpu_check_block; schedule()), interrupt.c kvm_s390_handle_wait (gisa_get_ipm_or_restore_iam, __set_cpu_idle), gisa_vcpu_kicker -> __airqs_kick_single_vcpu (idle_mask scan, test_and_set_bit(kicked_mask), kvm_s390_vcpu_wakeup), process_gib_alert_list (hrtimer_start of the kicker); v6.17-rc4',
  kind: 'leadsTo',
  instances: ({ context }) => context.vms.flatMap((k, vm) => k.vcpus.map((_, vcpu) => ({ vm, vcpu }))),
  p: (s, { vm, vcpu }) => asleepWithDeliverable(s, vm!, vcpu!),
  q: (s, { vm, vcpu }) => !asleepWithDeliverable(s, vm!, vcpu!),
};
