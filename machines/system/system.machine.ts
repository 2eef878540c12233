/**
 * The composed guest (machine id `system`): the GIB, per VM its struct kvm lifecycle, its
 * GISA and its vcpus, the vfio_ap matrix mdev and its queues, and the AP raising adapter
 * interruptions, as parallel regions of one machine. Built by `composeMachine` from the
 * same region factories and the same guard and action implementations as the per-object
 * machines, so nothing here can contradict them (test/system/projection.test.ts checks that
 * each composed move projects onto a move of each component).
 *
 * Models what the per-object machines model, together; the cross-object steps are the
 * kernel's calls through the machine's kernel table (machines/kernel.ts: vfio_ap ->
 * kvm_s390_gisc_register, unset_kvm -> kvm_put_kvm) and three internal events raised in the
 * same step: `gisa_alert` (millicode enqueues a GISA on the GIB), `kvm_s390_vcpu_wakeup` (a
 * kick) and `kvm_destroy_vm` (the last kvm_put_kvm); regions whose state mirrors kernel data
 * follow it with their settle events (`settle.gib`, `settle.q0`, `settle.vm0.vcpu0`). QEMU's
 * interrupt reset at start and reset (KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_clear_float_irqs ->
 * kvm_s390_gisa_clear) is an event of the guest lifetime configurations, so a host's log of a
 * whole guest lifetime replays. VM and vcpu creation are the initial state.
 * Ignores: what the per-object machines ignore.
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2) for the upstream design.
 */
import { setup, type AnyStateMachine } from 'xstate';
import { initialContext, iscBit, type Params, type SystemContext } from '../context.ts';
import { gibImplementations, gibRegion, type GibFine } from '../gisa/kvm_s390_gib.machine.ts';
import { gisaImplementations, gisaRegion, type GisaFine } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import type { Kernel } from '../kernel.ts';
import { initialThreads, locksOf, threadRegion, threadWorld, type ThreadDef } from '../kthread.ts';
import { range, settleAction } from '../lib.ts';
import { kvmImplementations, kvmRegion, kvmStateId } from './kvm.machine.ts';
import { vcpuImplementations, vcpuRegion } from '../vcpu/kvm_vcpu.machine.ts';
import { mdevImplementations, mdevRegion, type MdevFine } from '../vfio-ap/ap_matrix_mdev.machine.ts';
import { queueImplementations, queueRegion, type QueueFine } from '../vfio-ap/vfio_ap_queue.machine.ts';

/** Which regions a machine has; `env` adds the events other objects cause, for per-object machines. */
export interface Parts {
  gib?: boolean;
  kvm?: boolean;
  gisa?: boolean;
  vcpus?: boolean;
  mdev?: boolean;
  queues?: boolean;
  env?: boolean;
  /** Root transitions standing in for absent objects (per-object machines). */
  rootOn?: Record<string, unknown>;
}

export const ALL_PARTS: Parts = { gib: true, kvm: true, gisa: true, vcpus: true, mdev: true, queues: true };

/**
 * A fine-grained configuration (machines/kthread.ts): the threads, each a region of its own
 * under the root, and per region factory how its region changes around them (its transitions
 * declare footprints, leave out what the threads replace, wait for a thread where the C code
 * does). Each area adds the options of its own regions here.
 */
export interface FineParts {
  threads: ThreadDef<SystemContext>[];
  /** Changes to the initial context (a timer already armed when the threads start). */
  initial?: (c: SystemContext) => void;
  gib?: GibFine;
  gisa?: (vm: number) => GisaFine;
  mdev?: MdevFine;
  queue?: (q: number) => QueueFine;
  /** The vcpus a thread runs (machines/vcpu/kvm_vcpu.threads.ts): they have no region of their own. */
  vcpuThread?: (vm: number, vcpu: number) => boolean;
}

/** Every guard and action of the core spec, named after the kernel functions; they call the kernel functions through `k`. */
export function implementations(k: Kernel) {
  const parts = [gibImplementations(k), gisaImplementations(k), vcpuImplementations(k), kvmImplementations(k), mdevImplementations(k), queueImplementations(k)];
  return {
    guards: Object.assign({}, ...parts.map((p) => p.guards)),
    actions: Object.assign({ settle: settleAction }, ...parts.map((p) => p.actions)),
  };
}

/** The initial context; in configurations without queues, `preRegistered` ISCs stand for a driver's registrations. */
export function contextFor(params: Params): SystemContext {
  const c = initialContext(params);
  for (const k of c.vms) {
    for (const isc of params.preRegistered ?? []) {
      k.gisa.ref[isc] = 1;
      k.gisa.mask |= iscBit(isc);
    }
    k.gisa.iam = k.gisa.mask;
  }
  return c;
}

/** The machine of `parts`, calling the kernel functions of the table `k` (machines/kernel.ts kernelTable); `fine` adds the threads of a fine-grained configuration. */
export function composeMachine(id: string, parts: Parts, params: Params, k: Kernel, context: SystemContext = contextFor(params), fine?: FineParts): AnyStateMachine {
  const states: Record<string, unknown> = {};
  const step = (name: string) => (parts.kvm ? (vm: number) => kvmStateId(vm, name) : undefined);
  // without a GISA region, kvm_s390_gisa_destroy's call of process_gib_alert_list is the GIB's environment
  if (parts.gib) states.gib = gibRegion(!!parts.env && !parts.gisa, fine?.gib);
  for (const vm of range(params.vms)) {
    const vmStates: Record<string, unknown> = {};
    if (parts.kvm) vmStates.kvm = kvmRegion(vm, !!parts.env);
    if (parts.gisa) vmStates.gisa = gisaRegion(vm, !!parts.env, step('kvm_arch_destroy_vm')?.(vm), fine?.gisa?.(vm), context.vms[vm]?.gisa.origin ?? true);
    if (parts.vcpus) for (const k of range(params.vcpus)) if (!fine?.vcpuThread?.(vm, k)) vmStates[`vcpu${k}`] = vcpuRegion(vm, k);
    if (Object.keys(vmStates).length) states[`vm${vm}`] = { type: 'parallel', states: vmStates };
  }
  if (parts.mdev) states.matrix_mdev = mdevRegion(params.vms, step('sie_page2_freed'), fine?.mdev);
  if (parts.queues) for (const q of range(params.queues)) states[`q${q}`] = queueRegion(q, fine?.queue?.(q));
  if (fine) {
    const world = threadWorld(fine.threads);
    for (const t of fine.threads) {
      if (states[t.name]) throw new Error(`thread ${t.name} has the name of a region of ${id}`);
      states[t.name] = threadRegion(t, world);
    }
    context = { ...structuredClone(context), threads: initialThreads(fine.threads, locksOf(fine.threads)) };
    fine.initial?.(context);
  }
  const impl = implementations(k);
  // the regions are built from data, so xstate's inferred config types do not apply here
  const config = { id, type: 'parallel', context, states, on: parts.rootOn ?? {} };
  return setup({ guards: impl.guards, actions: impl.actions } as never).createMachine(config as never) as unknown as AnyStateMachine;
}
