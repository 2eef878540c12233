// The FLIC machine as the registry, the checker and the path tests use it.
import { pick, type EventInfo, type MachineSpec, type Model } from '../../src/spec.ts';
import { CONFIGURATIONS, flicEvents } from './kvm_s390_float_interrupt.bounds.ts';
import { flicInvariants } from './kvm_s390_float_interrupt.invariants.ts';
import { createFlicMachine } from './kvm_s390_float_interrupt.machine.ts';
import { FLIC_VARIANTS } from './kvm_s390_float_interrupt.variants.ts';
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
};

export const flicSpec: MachineSpec = {
  id: 'kvm_s390_float_interrupt',
  area: 'flic-ais',
  kernelObject: 'kvm_s390_float_interrupt',
  pinned: 'v6.0..v6.4 (interrupt.c @002c6ca75289)',
  variants: FLIC_VARIANTS,
  configurations: CONFIGURATIONS,
  model(variantId?: string, configurationId?: string): Model {
    const v = pick('variant', 'kvm_s390_float_interrupt', FLIC_VARIANTS, variantId);
    const cfg = pick('configuration', 'kvm_s390_float_interrupt', CONFIGURATIONS, configurationId);
    return {
      machineId: 'kvm_s390_float_interrupt',
      variantId: v.id,
      configurationId: cfg.id,
      machine: createFlicMachine(cfg.params, v.options),
      events: flicEvents(cfg.params),
      eventInfo: FLIC_EVENT_INFO,
      invariants: flicInvariants(cfg.params),
      liveness: [],
      expectedViolations: v.expected[cfg.id as keyof typeof v.expected] ?? v.expectedViolations,
      observe: observeFlic,
    };
  },
};
