// The s390 floating interrupt controller (FLIC) of one VM: the KVM device of type
// KVM_DEV_TYPE_FLIC (kvm->arch.flic, kvm_flic_ops), the kvm_s390_float_interrupt it
// operates on (the per-ISC adapter-interruption-suppression masks simm/nimm, the floating
// I/O interruption list, the GISA IPM that adapter interruptions are made pending in), the
// I/O adapters kvm->arch.adapters[] (struct s390_io_adapter), and the two VM ioctls that
// gate it: KVM_ENABLE_CAP(KVM_CAP_S390_AIS) (facility 72) and KVM_CHECK_EXTENSION.
//
// Models: every attribute group of flic_set_attr / flic_get_attr / flic_has_attr with the
// return codes the kernel gives (kept in context.last.rc), flic_create's one-per-VM rule,
// register_io_adapter's limits, masking, and the AIS mode of each bounded ISC, abstracted
// from the (simm, nimm) bit pair to ALL (0,0), SINGLE (1,0), NO (1,1) and NIMM (0,1), the
// combination only KVM_DEV_FLIC_AISM_ALL can write (see README: the model keeps it as the
// kernel does, suppressing like NO). Adapter interruptions go to the GISA (the machine
// assumes css_general_characteristics.aiv, so gi->origin != NULL): pending is one IPM bit
// per ISC. Classic I/O interruptions are counted for one subchannel.
//
// Ignores: service signals, machine checks, virtio and pfault interruptions in the list
// (only their absence matters to GET_ALL_IRQS here); the KVM_S390_VM_CPU_MODEL attributes
// that could clear facility 72 again from fac_list; the irq routing table (set_adapter_int
// is driven per adapter id with the guest's summary indicator as a payload); delivery to
// vcpus; protected (PV) guests; the -EBUSY of __inject_io at KVM_S390_MAX_FLOAT_IRQS.
//
// Kernel files: arch/s390/kvm/interrupt.c, arch/s390/kvm/kvm-s390.c, virt/kvm/kvm_main.c
// (kvm_ioctl_create_device), Documentation/virt/kvm/devices/s390_flic.rst.
// Pinned: torvalds/linux interrupt.c blob of commit 002c6ca75289 and kvm-s390.c of
// 005467e06b16, a v6.0..v6.4 tree (kvm_s390_gisa_enable exists; get_user_pages_remote
// still takes vmas). The FLIC functions are unchanged since v5.7 ("do not pin adapter
// interrupt pages").
import { assign, setup } from 'xstate';
import {
  E,
  GROUP,
  KVM_S390_AIS_MODE_ALL,
  KVM_S390_AIS_MODE_SINGLE,
  MAX_ISC,
  MAX_S390_IO_ADAPTERS,
  SCHID,
  type FlicEvent,
  type FlicParams,
} from './kvm_s390_float_interrupt.bounds.ts';

/** AIS mode of one ISC: the (simm, nimm) bit pair of fi->simm / fi->nimm. */
export type Mode = 'ALL' | 'SINGLE' | 'NO' | 'NIMM';
export const MODES: readonly Mode[] = ['ALL', 'SINGLE', 'NO', 'NIMM'];

export const modeOf = (simm: boolean, nimm: boolean): Mode => (simm ? (nimm ? 'NO' : 'SINGLE') : nimm ? 'NIMM' : 'ALL');
export const simmOf = (m: Mode): boolean => m === 'SINGLE' || m === 'NO';
/** The bit kvm_s390_inject_airq tests: suppression happens iff nimm is set. */
export const nimmOf = (m: Mode): boolean => m === 'NO' || m === 'NIMM';
/** AIS_MODE_MASK(isc) = 0x80 >> isc. */
export const iscBit = (isc: number): number => (isc >= 0 && isc <= MAX_ISC ? 0x80 >> isc : 0);

/** struct s390_io_adapter, as far as the FLIC reads it. */
export interface Adapter {
  isc: number;
  maskable: boolean;
  masked: boolean;
  suppressible: boolean;
}

/** What the last event returned and did: the observable result plus what invariants need. */
export interface Last {
  /** Event type of the last event ('' initially). */
  op: string;
  /** Its return value: 0, a count (GET_ALL_IRQS), 1 (check_extension, set_adapter_int), or -errno. */
  rc: number;
  /** ISC acted on (adapter's ISC, or AISM's req.isc), -1 if none. */
  isc: number;
  /** Adapter id acted on, -1 if none. */
  id: number;
  /** AIS mode of every bounded ISC before the event. */
  from: Mode[];
  /** kvm_s390_inject_vm made an adapter interruption pending. */
  injected: boolean;
  /** trace_kvm_s390_airq_suppressed fired. */
  suppressed: boolean;
  /** KVM_DEV_FLIC_AISM: req.mode, -1 otherwise. */
  req: number;
  /** KVM_DEV_FLIC_GET_ALL_IRQS: IPM bits it cleared, interruptions pending before, buffer size in irqs. */
  taken: number;
  need: number;
  room: number;
  /** KVM_DEV_FLIC_AISM_ALL get: the modes copied to userspace. */
  out: Mode[] | null;
}

export interface FlicContext {
  /** kvm->created_vcpus */
  vcpus: number;
  /** test_kvm_facility(kvm, 72): KVM_CAP_S390_AIS enabled */
  fac72: boolean;
  /** what KVM_CHECK_EXTENSION(KVM_CAP_S390_AIS_MIGRATION) answers (1 since da9a1446d2) */
  aisMigrationCap: boolean;
  /** kvm->arch.gmap->pfault_enabled */
  pfault: boolean;
  /** kvm->arch.adapters[id] for the bounded ids */
  adapters: (Adapter | null)[];
  /** AIS mode of each bounded ISC (params.iscs order) */
  ais: Mode[];
  /** GISA IPM bits (0x80 >> isc) of the bounded ISCs: adapter interruptions pending */
  ipm: number;
  /** classic I/O interruptions pending in fi->lists for SCHID */
  io: number;
  last: Last;
}

export function initialLast(ais: readonly Mode[]): Last {
  return { op: '', rc: 0, isc: -1, id: -1, from: [...ais], injected: false, suppressed: false, req: -1, taken: 0, need: 0, room: 0, out: null };
}

export function initialContext(p: FlicParams, opts: { aisMigrationCap?: boolean } = {}): FlicContext {
  const ais = p.iscs.map((): Mode => 'ALL');
  return {
    vcpus: 0,
    fac72: false,
    aisMigrationCap: opts.aisMigrationCap ?? true,
    pfault: false,
    adapters: Array.from({ length: p.adapters }, () => null),
    ais,
    ipm: 0,
    io: 0,
    last: initialLast(ais),
  };
}

/** A kernel entry point as the machine abstracts it: mutates a copy of the context, returns rc. */
export type KernelFn = (c: FlicContext, e: FlicEvent, p: FlicParams) => number;

const popcount = (m: number): number => {
  let n = 0;
  for (let x = m; x; x &= x - 1) n++;
  return n;
};
const aisIndex = (p: FlicParams, isc: number): number => p.iscs.indexOf(isc);
function adapterOf(c: FlicContext, id: number): Adapter | null {
  return id >= 0 && id < MAX_S390_IO_ADAPTERS ? (c.adapters[id] ?? null) : null;
}

/** kvm_s390_inject_vm of an adapter interruption: __inject_io sets the GISA IPM bit, or kzalloc fails. */
export function kvm_s390_inject_vm(c: FlicContext, isc: number, alloc: 'ok' | 'fail'): number {
  if (alloc === 'fail') return E.ENOMEM;
  c.ipm |= iscBit(isc);
  c.last.injected = true;
  return 0;
}

/** kvm_s390_inject_airq (interrupt.c): AIS applies to suppressible adapters once facility 72 is on. */
export const kvm_s390_inject_airq = (c: FlicContext, a: Adapter, alloc: 'ok' | 'fail', p: FlicParams): number => {
  if (!c.fac72 || !a.suppressible) return kvm_s390_inject_vm(c, a.isc, alloc);
  const k = aisIndex(p, a.isc);
  // an ISC outside the bounds (or >= 8: AIS_MODE_MASK is 0) reads as ALL
  const mode = k >= 0 ? c.ais[k]! : 'ALL';
  if (nimmOf(mode)) {
    c.last.suppressed = true;
    return 0;
  }
  const ret = kvm_s390_inject_vm(c, a.isc, alloc);
  if (!ret && simmOf(mode)) c.ais[k] = 'NO';
  return ret;
};

/** The kernel functions a variant may replace. */
export interface FlicKernel {
  kvm_s390_inject_airq: (c: FlicContext, a: Adapter, alloc: 'ok' | 'fail', p: FlicParams) => number;
  modify_ais_mode: KernelFn;
  get_all_floating_irqs: KernelFn;
}

/** modify_ais_mode (interrupt.c): facility, copy, ISC range, then the mode. */
export const modify_ais_mode: KernelFn = (c, e, p) => {
  if (e.type !== 'KVM_DEV_FLIC_AISM') return E.EINVAL;
  if (!c.fac72) return E.EOPNOTSUPP;
  if (e.fault) return E.EFAULT;
  if (e.isc > MAX_ISC) return E.EINVAL;
  c.last.isc = e.isc;
  c.last.req = e.mode;
  const k = aisIndex(p, e.isc);
  if (e.mode === KVM_S390_AIS_MODE_ALL) {
    if (k >= 0) c.ais[k] = 'ALL';
  } else if (e.mode === KVM_S390_AIS_MODE_SINGLE) {
    if (k >= 0) c.ais[k] = 'SINGLE';
  } else return E.EINVAL;
  return 0;
};

/**
 * get_all_floating_irqs (interrupt.c): GISA ISCs first (test-and-clear of each IPM bit),
 * then the list. The buffer check precedes every ISC 0..7 of the GISA loop, so it fires
 * once the buffer is full even when no further ISC is pending (unless the last one is 7).
 */
export const get_all_floating_irqs: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_GET_ALL_IRQS') return E.EINVAL;
  if (e.len === 'zero' || e.len === 'too_big') return E.EINVAL;
  if (e.alloc === 'fail') return E.ENOBUFS;
  const max = e.slots ?? 0;
  let n = 0;
  if (c.ipm) {
    const checked = popcount(c.ipm & ~iscBit(MAX_ISC));
    if (max <= checked) {
      c.ipm = takeLowest(c.ipm, max);
      return E.ENOMEM;
    }
    n = popcount(c.ipm);
    c.ipm = 0;
  }
  if (n + c.io > max) return E.ENOMEM;
  // copy_to_user runs only when something was collected
  if (e.copy === 'fault' && n + c.io > 0) return E.EFAULT;
  return n + c.io;
};

/** Clears the `k` lowest ISCs (highest IPM bits) of `ipm`. */
function takeLowest(ipm: number, k: number): number {
  let m = ipm;
  for (let isc = 0; isc <= MAX_ISC && k > 0; isc++) {
    if (m & iscBit(isc)) {
      m &= ~iscBit(isc);
      k--;
    }
  }
  return m;
}

/** enqueue_floating_irq (interrupt.c): length checks, then element by element; earlier elements stay. */
const enqueue_floating_irq: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_ENQUEUE') return E.EINVAL;
  if (e.len) return E.EINVAL;
  for (let i = 0; i < (e.count ?? 0); i++) {
    if (e.failAt === i) return E[e.err ?? 'EFAULT'];
    if (e.irq === 'ai') c.ipm |= iscBit(e.isc ?? 0);
    else c.io++;
  }
  return 0;
};

/** clear_io_irq (interrupt.c): flags, size, copy, schid 0; then removes one I/O interruption of schid. */
const clear_io_irq: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ') return E.EINVAL;
  if (e.flags) return E.EINVAL;
  if ((e.size ?? 4) !== 4) return E.EINVAL;
  if (e.fault) return E.EFAULT;
  if (!e.schid) return E.EINVAL;
  if (e.schid === SCHID && c.io > 0) c.io--;
  return 0;
};

/** register_io_adapter (interrupt.c): id < MAX_S390_IO_ADAPTERS, free slot; isc is not checked. */
const register_io_adapter: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_ADAPTER_REGISTER') return E.EINVAL;
  if (e.fault) return E.EFAULT;
  if (e.id >= MAX_S390_IO_ADAPTERS) return E.EINVAL;
  if (c.adapters[e.id]) return E.EINVAL;
  if (e.alloc === 'fail') return E.ENOMEM;
  c.last.id = e.id;
  c.adapters[e.id] = { isc: e.isc, maskable: e.maskable, masked: false, suppressible: e.suppressible };
  return 0;
};

/** modify_io_adapter + kvm_s390_mask_adapter (interrupt.c): MAP and UNMAP are no-ops since v5.7. */
const modify_io_adapter: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_ADAPTER_MODIFY') return E.EINVAL;
  if (e.fault) return E.EFAULT;
  const a = adapterOf(c, e.id);
  if (!a) return E.EINVAL;
  c.last.id = e.id;
  if (e.req === 'MAP' || e.req === 'UNMAP') return 0;
  if (e.req !== 'MASK') return E.EINVAL;
  if (!a.maskable) return E.EINVAL;
  a.masked = !!e.mask;
  return 0;
};

/** flic_ais_mode_set_all (interrupt.c): facility, copy, then simm and nimm verbatim. */
const flic_ais_mode_set_all: KernelFn = (c, e, p) => {
  if (e.type !== 'KVM_DEV_FLIC_AISM_ALL' || e.dir !== 'set') return E.EINVAL;
  if (!c.fac72) return E.EOPNOTSUPP;
  if (e.fault) return E.EFAULT;
  c.ais = p.iscs.map((isc) => modeOf(!!(e.simm & iscBit(isc)), !!(e.nimm & iscBit(isc))));
  return 0;
};

/** flic_ais_mode_get_all (interrupt.c): the size check comes before the facility check. */
const flic_ais_mode_get_all: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_AISM_ALL' || e.dir !== 'get') return E.EINVAL;
  if (e.size < 2) return E.EINVAL;
  if (!c.fac72) return E.EOPNOTSUPP;
  if (e.fault) return E.EFAULT;
  c.last.out = [...c.ais];
  return 0;
};

/** flic_inject_airq (interrupt.c): unknown adapter id is -EINVAL; masking is not looked at. */
const flic_inject_airq =
  (k: FlicKernel): KernelFn =>
  (c, e, p) => {
    if (e.type !== 'KVM_DEV_FLIC_AIRQ_INJECT') return E.EINVAL;
    const a = adapterOf(c, e.id);
    if (!a) return E.EINVAL;
    c.last.id = e.id;
    c.last.isc = a.isc;
    return k.kvm_s390_inject_airq(c, a, e.alloc, p);
  };

/** set_adapter_int (interrupt.c): irqfd path; injects only on a newly set summary bit of an unmasked adapter. */
const set_adapter_int =
  (k: FlicKernel): KernelFn =>
  (c, e, p) => {
    if (e.type !== 'set_adapter_int') return -1;
    const a = adapterOf(c, e.id);
    if (!a) return -1;
    c.last.id = e.id;
    c.last.isc = a.isc;
    if (e.summary === 'fault') return -1;
    if (e.summary === 'set') return 0;
    if (a.masked) return 1;
    const ret = k.kvm_s390_inject_airq(c, a, e.alloc, p);
    return ret === 0 ? 1 : ret;
  };

/** kvm_s390_clear_float_irqs (interrupt.c): lists and IPM cleared; simm/nimm stay. */
const kvm_s390_clear_float_irqs: KernelFn = (c) => {
  c.io = 0;
  c.ipm = 0;
  return 0;
};

/** kvm_vm_ioctl_enable_cap, KVM_CAP_S390_AIS (kvm-s390.c): refused once a vcpu was created. */
const kvm_vm_ioctl_enable_cap: KernelFn = (c) => {
  if (c.vcpus > 0) return E.EBUSY;
  c.fac72 = true;
  return 0;
};

/** kvm_vm_ioctl_check_extension (kvm-s390.c). */
const kvm_vm_ioctl_check_extension: KernelFn = (c, e) => {
  if (e.type !== 'KVM_CHECK_EXTENSION') return 0;
  return e.cap === 'KVM_CAP_S390_AIS' || c.aisMigrationCap ? 1 : 0;
};

/** flic_has_attr (interrupt.c): groups 1..11 exist; -ENXIO otherwise. */
const flic_has_attr: KernelFn = (_c, e) =>
  e.type === 'KVM_HAS_DEVICE_ATTR' && e.group >= GROUP.KVM_DEV_FLIC_GET_ALL_IRQS && e.group <= GROUP.KVM_DEV_FLIC_AISM_ALL ? 0 : E.ENXIO;

/** The default cases of flic_set_attr / flic_get_attr: -EINVAL, not -ENXIO (s390_flic.rst). */
const flic_attr_default: KernelFn = () => E.EINVAL;

export const baselineKernel: FlicKernel = { kvm_s390_inject_airq, modify_ais_mode, get_all_floating_irqs };

export interface FlicMachineOptions {
  kernel?: Partial<FlicKernel>;
  aisMigrationCap?: boolean;
}

/** Runs a kernel function on a copy of the context and records what it returned and changed. */
function call(fn: KernelFn, p: FlicParams) {
  return assign<FlicContext, FlicEvent, undefined, FlicEvent, never>(({ context, event }) => {
    const c: FlicContext = {
      ...context,
      adapters: context.adapters.map((a) => (a ? { ...a } : null)),
      ais: [...context.ais],
      last: initialLast(context.ais),
    };
    c.last.op = event.type;
    const pendingBefore = popcount(context.ipm) + context.io;
    c.last.rc = fn(c, event, p);
    if (event.type === 'KVM_DEV_FLIC_GET_ALL_IRQS') {
      c.last.taken = context.ipm & ~c.ipm;
      c.last.need = pendingBefore;
      c.last.room = event.slots ?? -1;
    }
    return c;
  });
}

export function createFlicMachine(p: FlicParams, opts: FlicMachineOptions = {}) {
  const k: FlicKernel = { ...baselineKernel, ...opts.kernel };
  const u = { meta: { actor: 'userspace' as const } };
  const fn = (f: KernelFn) => call(f, p);
  return setup({
    types: {} as { context: FlicContext; events: FlicEvent },
    guards: {
      // KVM_CREATE_DEVICE_TEST: kvm_ioctl_create_device returns 0 before calling flic_create
      kvm_create_device_test: ({ event }) => event.type === 'KVM_CREATE_DEVICE' && event.test,
      // KVM_SET_DEVICE_ATTR reaches flic_set_attr, KVM_GET_DEVICE_ATTR flic_get_attr
      kvm_set_device_attr: ({ event }) => event.type === 'KVM_DEV_FLIC_AISM_ALL' && event.dir === 'set',
      // exploration bound on kvm->created_vcpus (not a kernel check)
      vcpu_bound: ({ context }) => context.vcpus < p.vcpus,
      // exploration bound on the interrupt list length (not a kernel check)
      list_bound: ({ context, event }) =>
        event.type !== 'KVM_DEV_FLIC_ENQUEUE' || context.io + ((event.irq === 'io' && !event.len ? event.count ?? 0 : 0)) <= p.io,
    },
    actions: {
      // flic_create: kvm->arch.flic = dev
      flic_create: fn(() => 0),
      // flic_create: "Only one FLIC instance may be instantiated"
      flic_create_refused: fn(() => E.EINVAL),
      kvm_create_device_test: fn(() => 0),
      // kvm_vm_ioctl_create_vcpu: created_vcpus++ under kvm->lock
      kvm_vm_ioctl_create_vcpu: fn((c) => {
        c.vcpus++;
        return 0;
      }),
      kvm_vm_ioctl_enable_cap: fn(kvm_vm_ioctl_enable_cap),
      kvm_vm_ioctl_check_extension: fn(kvm_vm_ioctl_check_extension),
      flic_has_attr: fn(flic_has_attr),
      flic_attr_default: fn(flic_attr_default),
      // flic_set_attr KVM_DEV_FLIC_APF_ENABLE / _DISABLE_WAIT: gmap->pfault_enabled
      kvm_dev_flic_apf_enable: fn((c) => {
        c.pfault = true;
        return 0;
      }),
      kvm_dev_flic_apf_disable_wait: fn((c) => {
        c.pfault = false;
        return 0;
      }),
      kvm_s390_clear_float_irqs: fn(kvm_s390_clear_float_irqs),
      enqueue_floating_irq: fn(enqueue_floating_irq),
      get_all_floating_irqs: fn(k.get_all_floating_irqs),
      clear_io_irq: fn(clear_io_irq),
      register_io_adapter: fn(register_io_adapter),
      modify_io_adapter: fn(modify_io_adapter),
      modify_ais_mode: fn(k.modify_ais_mode),
      flic_inject_airq: fn(flic_inject_airq(k)),
      set_adapter_int: fn(set_adapter_int(k)),
      flic_ais_mode_set_all: fn(flic_ais_mode_set_all),
      flic_ais_mode_get_all: fn(flic_ais_mode_get_all),
    },
  }).createMachine({
    id: 'kvm_s390_float_interrupt',
    context: initialContext(p, opts.aisMigrationCap === undefined ? {} : { aisMigrationCap: opts.aisMigrationCap }),
    initial: 'no_flic',
    on: {
      KVM_CREATE_VCPU: { guard: 'vcpu_bound', actions: 'kvm_vm_ioctl_create_vcpu', ...u },
      KVM_ENABLE_CAP: { actions: 'kvm_vm_ioctl_enable_cap', ...u },
      KVM_CHECK_EXTENSION: { actions: 'kvm_vm_ioctl_check_extension', ...u },
    },
    states: {
      no_flic: {
        on: {
          KVM_CREATE_DEVICE: [
            { guard: 'kvm_create_device_test', actions: 'kvm_create_device_test', ...u },
            { target: 'flic', actions: 'flic_create', ...u },
          ],
        },
      },
      flic: {
        on: {
          KVM_CREATE_DEVICE: [
            { guard: 'kvm_create_device_test', actions: 'kvm_create_device_test', ...u },
            { actions: 'flic_create_refused', ...u },
          ],
          KVM_HAS_DEVICE_ATTR: { actions: 'flic_has_attr', ...u },
          KVM_SET_DEVICE_ATTR: { actions: 'flic_attr_default', ...u },
          KVM_GET_DEVICE_ATTR: { actions: 'flic_attr_default', ...u },
          KVM_DEV_FLIC_APF_ENABLE: { actions: 'kvm_dev_flic_apf_enable', ...u },
          KVM_DEV_FLIC_APF_DISABLE_WAIT: { actions: 'kvm_dev_flic_apf_disable_wait', ...u },
          KVM_DEV_FLIC_CLEAR_IRQS: { actions: 'kvm_s390_clear_float_irqs', ...u },
          KVM_DEV_FLIC_ENQUEUE: { guard: 'list_bound', actions: 'enqueue_floating_irq', ...u },
          KVM_DEV_FLIC_GET_ALL_IRQS: { actions: 'get_all_floating_irqs', ...u },
          KVM_DEV_FLIC_CLEAR_IO_IRQ: { actions: 'clear_io_irq', ...u },
          KVM_DEV_FLIC_ADAPTER_REGISTER: { actions: 'register_io_adapter', ...u },
          KVM_DEV_FLIC_ADAPTER_MODIFY: { actions: 'modify_io_adapter', ...u },
          KVM_DEV_FLIC_AISM: { actions: 'modify_ais_mode', ...u },
          KVM_DEV_FLIC_AIRQ_INJECT: { actions: 'flic_inject_airq', ...u },
          KVM_DEV_FLIC_AISM_ALL: [
            { guard: 'kvm_set_device_attr', actions: 'flic_ais_mode_set_all', ...u },
            { actions: 'flic_ais_mode_get_all', ...u },
          ],
          set_adapter_int: { actions: 'set_adapter_int', meta: { actor: 'kernel' as const } },
        },
      },
    },
  });
}
