// The FLIC machine as the registry, the checker and the path tests use it.
import { SpecError, pick, type EventInfo, type KernelFunctionsInfo, type MachineSpec, type Model, type ModelOptions } from '../../src/spec.ts';
import { CONFIGURATIONS, flicEvents } from './kvm_s390_float_interrupt.bounds.ts';
import { flicInvariants } from './kvm_s390_float_interrupt.invariants.ts';
import { baselineKernel, createFlicMachine, type FlicKernel } from './kvm_s390_float_interrupt.machine.ts';
import { FLIC_VARIANTS } from './kvm_s390_float_interrupt.variants.ts';
import { auditKvmS390FloatInterrupt } from './kvm_s390_float_interrupt.audit.ts';
import { observeFlic } from './kvm_s390_float_interrupt.observe.ts';

const I = 'arch/s390/kvm/interrupt.c';
export const FLIC_EVENT_INFO: Readonly<Record<string, EventInfo>> = {
  KVM_CREATE_DEVICE: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_ioctl_create_device -> flic_create' },
  KVM_CREATE_VCPU: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_vm_ioctl_create_vcpu (kvm->created_vcpus)' },
  KVM_ENABLE_CAP: { actor: 'userspace', cite: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_enable_cap KVM_CAP_S390_AIS' },
  KVM_CHECK_EXTENSION: { actor: 'userspace', cite: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_check_extension' },
  KVM_HAS_DEVICE_ATTR: { actor: 'userspace', cite: `${I} flic_has_attr` },
  KVM_SET_DEVICE_ATTR: { actor: 'userspace', cite: `${I} flic_set_attr default case` },
  KVM_GET_DEVICE_ATTR: { actor: 'userspace', cite: `${I} flic_get_attr default case` },
  KVM_DEV_FLIC_GET_ALL_IRQS: { actor: 'userspace', cite: `${I} flic_get_attr -> get_all_floating_irqs` },
  KVM_DEV_FLIC_ENQUEUE: { actor: 'userspace', cite: `${I} flic_set_attr -> enqueue_floating_irq` },
  KVM_DEV_FLIC_CLEAR_IRQS: { actor: 'userspace', cite: `${I} flic_set_attr -> kvm_s390_clear_float_irqs` },
  KVM_DEV_FLIC_APF_ENABLE: { actor: 'userspace', cite: `${I} flic_set_attr (gmap->pfault_enabled = 1)` },
  KVM_DEV_FLIC_APF_DISABLE_WAIT: { actor: 'userspace', cite: `${I} flic_set_attr (pfault_enabled = 0, synchronize_srcu)` },
  KVM_DEV_FLIC_ADAPTER_REGISTER: { actor: 'userspace', cite: `${I} flic_set_attr -> register_io_adapter` },
  KVM_DEV_FLIC_ADAPTER_MODIFY: { actor: 'userspace', cite: `${I} flic_set_attr -> modify_io_adapter` },
  KVM_DEV_FLIC_CLEAR_IO_IRQ: { actor: 'userspace', cite: `${I} flic_set_attr -> clear_io_irq` },
  KVM_DEV_FLIC_AISM: { actor: 'userspace', cite: `${I} flic_set_attr -> modify_ais_mode` },
  KVM_DEV_FLIC_AIRQ_INJECT: { actor: 'userspace', cite: `${I} flic_set_attr -> flic_inject_airq -> kvm_s390_inject_airq` },
  KVM_DEV_FLIC_AISM_ALL: { actor: 'userspace', cite: `${I} flic_ais_mode_set_all / flic_ais_mode_get_all` },
  set_adapter_int: { actor: 'kernel', cite: `${I} set_adapter_int (irqfd on a KVM_IRQ_ROUTING_S390_ADAPTER route)` },
  __deliver_io: { actor: 'guest', cite: `${I} kvm_s390_deliver_pending_interrupts -> __deliver_io (a vcpu enabled for the ISC)` },
  __deliver_service: { actor: 'guest', cite: `${I} kvm_s390_deliver_pending_interrupts -> __deliver_service` },
  __deliver_machine_check: { actor: 'guest', cite: `${I} kvm_s390_deliver_pending_interrupts -> __deliver_machine_check (floating part)` },
  __deliver_virtio: { actor: 'guest', cite: `${I} kvm_s390_deliver_pending_interrupts -> __deliver_virtio` },
  __deliver_pfault_done: { actor: 'guest', cite: `${I} kvm_s390_deliver_pending_interrupts -> __deliver_pfault_done` },
  handle_tpi: { actor: 'guest', cite: 'arch/s390/kvm/priv.c handle_tpi -> kvm_s390_get_io_int(kvm, gcr[6], 0)' },
  handle_tsch: { actor: 'guest', cite: 'arch/s390/kvm/priv.c handle_tsch -> kvm_s390_get_io_int(kvm, isc_mask, gprs[1])' },
  kvm_arch_async_page_not_present: { actor: 'kernel', cite: 'arch/s390/kvm/kvm-s390.c kvm_arch_setup_async_pf -> kvm_setup_async_pf (the fault is queued, PFAULT_INIT to the vcpu)' },
  kvm_arch_async_page_present: { actor: 'kernel', cite: 'virt/kvm/async_pf.c async_pf_execute -> kvm-s390.c kvm_arch_async_page_present (PFAULT_DONE)' },
};

export const flicSpec: MachineSpec = {
  id: 'kvm_s390_float_interrupt',
  area: 'flic-ais',
  kernelObject: 'kvm_s390_float_interrupt',
  pinned: 'v6.17-rc4',
  variants: FLIC_VARIANTS,
  configurations: CONFIGURATIONS,
  audit: auditKvmS390FloatInterrupt,
  model(variantId?: string, configurationId?: string, options?: ModelOptions): Model {
    const v = pick('variant', 'kvm_s390_float_interrupt', FLIC_VARIANTS, variantId);
    const cfg = pick('configuration', 'kvm_s390_float_interrupt', CONFIGURATIONS, configurationId ?? v.configuration);
    if (options?.design && Object.keys(options.design).length) {
      throw new SpecError('kvm_s390_float_interrupt has no design switches; design applies to the core machines (machines/design.ts)');
    }
    const table = flicKernelTable({ ...v.options.kernel, ...(options?.kernel as Partial<FlicKernel> | undefined) }, options?.countKernelCalls ?? false);
    return {
      machineId: 'kvm_s390_float_interrupt',
      variantId: v.id,
      configurationId: cfg.id,
      machine: createFlicMachine(cfg.params, { ...v.options, kernel: table.kernel }),
      events: flicEvents(cfg.params),
      eventInfo: FLIC_EVENT_INFO,
      invariants: flicInvariants(cfg.params),
      liveness: [],
      expectedViolations: v.expected[cfg.id as keyof typeof v.expected] ?? v.expectedViolations,
      observe: observeFlic,
      kernelFunctions: table.info,
    };
  },
};

/** Every FlicKernel function: what a variant's `kernel` (built-in or a variant file's) may replace. */
export const FLIC_KERNEL_NAMES = Object.keys(baselineKernel) as (keyof FlicKernel)[];

/**
 * The machine's kernel: `overrides` over the baseline, names checked. With `count`, every
 * function is wrapped to count its calls; they call each other through the table they are
 * given (`k`), so a call from another kernel function (set_adapter_int -> kvm_s390_inject_airq
 * -> __inject_vm) is counted too.
 */
function flicKernelTable(overrides: Readonly<Record<string, unknown>>, count: boolean): { kernel: FlicKernel; info: KernelFunctionsInfo } {
  for (const [name, f] of Object.entries(overrides)) {
    if (!(FLIC_KERNEL_NAMES as string[]).includes(name)) {
      throw new SpecError(`unknown kernel function '${name}' for kvm_s390_float_interrupt; its FlicKernel functions are ${FLIC_KERNEL_NAMES.join(', ')}`);
    }
    if (typeof f !== 'function') throw new SpecError(`kernel function ${name} for kvm_s390_float_interrupt is not a function`);
  }
  const merged = { ...baselineKernel, ...overrides } as FlicKernel;
  const counts = new Map<string, number>();
  const kernel = count
    ? (Object.fromEntries(
        FLIC_KERNEL_NAMES.map((name) => {
          const f = merged[name] as (...args: unknown[]) => unknown;
          return [name, (...args: unknown[]) => (counts.set(name, (counts.get(name) ?? 0) + 1), f(...args))];
        }),
      ) as unknown as FlicKernel)
    : merged;
  return {
    kernel,
    info: {
      names: FLIC_KERNEL_NAMES,
      counted: count,
      calls: () => {
        if (!count) throw new Error('kernel calls are counted only in a model built with countKernelCalls');
        return new Map([...counts].filter(([, n]) => n > 0));
      },
      reset: () => counts.clear(),
    },
  };
}
