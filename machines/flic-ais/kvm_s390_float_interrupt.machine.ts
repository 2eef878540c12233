// The s390 floating interrupt controller (FLIC) of one VM: the KVM device of type
// KVM_DEV_TYPE_FLIC (kvm->arch.flic, kvm_flic_ops), the kvm_s390_float_interrupt it
// operates on (the per-ISC adapter-interruption-suppression masks simm/nimm, the floating
// interruption lists fi->lists[] with the coalesced service signal and machine check, the
// GISA IPM that adapter interruptions are made pending in when the VM has a GISA), the I/O
// adapters kvm->arch.adapters[] (struct s390_io_adapter), the async page faults that
// KVM_DEV_FLIC_APF_DISABLE_WAIT waits for, and the two VM ioctls that gate it:
// KVM_ENABLE_CAP(KVM_CAP_S390_AIS) (facility 72) and KVM_CHECK_EXTENSION.
//
// Models: every attribute group of flic_set_attr / flic_get_attr / flic_has_attr with the
// return codes the kernel gives; the pending floating interruptions by identity (classic I/O
// of two subchannels, adapter I/O per ISC, service signal, floating machine check, virtio,
// PFAULT_DONE) in the kernel's list order, so GET_ALL_IRQS, CLEAR_IO_IRQ and the guest's
// delivery, TPI and TSCH take the interruption the kernel takes; the AIS mode of each bounded
// ISC, abstracted from the (simm, nimm) bit pair to ALL (0,0), SINGLE (1,0), NO (1,1) and NIMM
// (0,1), the combination only KVM_DEV_FLIC_AISM_ALL can write (README); adapters with their
// maskable/masked/suppressible flags; async page faults in flight. `last` records what the
// last step returned (rc, the irqs GET_ALL_IRQS copied out, the AIS masks AISM_ALL copied
// out) and changed (interruptions added and removed, other fields changed).
//
// Ignores: delivery to a particular vcpu and __floating_irq_kick (the guest events stand for
// a vcpu enabled for the interruption), masked_irqs (protected guests), the KVM_S390_VM_CPU_MODEL
// attributes that could clear facility 72 again, the irq routing table (set_adapter_int is
// driven per adapter id with the guest's summary indicator as a payload), the per-list caps
// (KVM_S390_MAX_FLOAT_IRQS ...: -EBUSY), user-controlled VMs (-EINVAL for APF), PV guests.
//
// Kernel files: arch/s390/kvm/interrupt.c, arch/s390/kvm/kvm-s390.c, arch/s390/kvm/priv.c
// (handle_tpi, handle_tsch), virt/kvm/kvm_main.c (kvm_ioctl_create_device), virt/kvm/async_pf.c,
// Documentation/virt/kvm/devices/s390_flic.rst, Documentation/virt/kvm/api.rst.
// Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2); the FLIC functions read the same as the
// torvalds/linux interrupt.c blob of 002c6ca75289 (v6.0..v6.4) the machine was first written
// from, except the APF groups' kvm_is_ucontrol check (user-controlled VMs are not modelled).
import { assign, setup } from 'xstate';
import {
  E,
  GROUP,
  KVM_S390_AIS_MODE_ALL,
  KVM_S390_AIS_MODE_SINGLE,
  MAX_ISC,
  MAX_S390_IO_ADAPTERS,
  SUBCHANNELS,
  aiIrq,
  ioIrq,
  type FlicEvent,
  type FlicParams,
  type Irq,
  type Subchannel,
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

/** The parts of the last request the properties read (one value per class of request, not per payload). */
export interface FlicRequest {
  /** KVM_CREATE_DEVICE: KVM_CREATE_DEVICE_TEST; a FLIC existed before */
  test?: boolean;
  hadFlic?: boolean;
  /** attribute group of HAS/SET/GET_DEVICE_ATTR */
  group?: number;
  /** GET_ALL_IRQS: the length passed the checks; vzalloc fails; copy_to_user faults */
  lenOk?: boolean;
  allocFail?: boolean;
  fault?: boolean;
  /** CLEAR_IO_IRQ: the subchannel id */
  schid?: number;
  /** ADAPTER_REGISTER: the slot was taken; unknown flag bits; the flags' suppressible bit */
  existed?: boolean;
  unknownFlags?: boolean;
  suppressible?: boolean;
  /** ADAPTER_MODIFY MASK: the requested value */
  mask?: boolean;
  /** AISM_ALL set: the masks */
  simm?: number;
  nimm?: number;
  /** AIRQ_INJECT / set_adapter_int: kzalloc of the interruption succeeds */
  allocOk?: boolean;
  /** APF_DISABLE_WAIT: async page faults in flight before */
  inflight?: number;
  /** the request itself (the ioctl's arguments and the payloads the environment chose), for the properties that judge its outcome */
  ev?: FlicEvent;
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
  /** kvm_s390_inject_airq was called */
  airq: boolean;
  /** kvm_s390_inject_vm made an adapter interruption pending. */
  injected: boolean;
  /** trace_kvm_s390_airq_suppressed fired. */
  suppressed: boolean;
  /** KVM_DEV_FLIC_AISM: req.mode, -1 otherwise. */
  req: number;
  /** KVM_DEV_FLIC_GET_ALL_IRQS: interruptions pending before, buffer size in irqs (-1: no slots payload). */
  need: number;
  room: number;
  /** KVM_DEV_FLIC_GET_ALL_IRQS with rc >= 0: the interruptions copied to userspace, in the kernel's order */
  got: Irq[] | null;
  /** KVM_DEV_FLIC_AISM_ALL get: the modes copied to userspace. */
  out: Mode[] | null;
  /** interruptions this step made pending, and removed (delivered, cleared, consumed) */
  added: Irq[];
  removed: Irq[];
  /** other fields this step changed: flic, vcpus, fac72, pfault, apf, adapters, ais */
  changed: string[];
  /** the request, as far as the properties read it */
  arg: FlicRequest;
}

export interface FlicContext {
  /** kvm->arch.flic is set (the machine's state value says it too) */
  /** kvm->created_vcpus */
  vcpus: number;
  /** test_kvm_facility(kvm, 72): KVM_CAP_S390_AIS enabled */
  fac72: boolean;
  /** what KVM_CHECK_EXTENSION(KVM_CAP_S390_AIS_MIGRATION) answers (1 since da9a1446d2) */
  aisMigrationCap: boolean;
  /** kvm->arch.gmap->pfault_enabled */
  pfault: boolean;
  /** async page faults whose PFAULT_INIT was delivered and whose completion is not yet injected */
  apf: number;
  /** kvm->arch.adapters[id] for the bounded ids */
  adapters: (Adapter | null)[];
  /** AIS mode of each bounded ISC (params.iscs order) */
  ais: Mode[];
  /** GISA IPM (0x80 >> isc): adapter interruptions pending in the GISA */
  ipm: number;
  /** fi->lists[], in the kernel's order: I/O ISC 0..7 (classic, and adapter without a GISA), PFAULT, VIRTIO */
  list: Irq[];
  /** IRQ_PEND_EXT_SERVICE(_EV): fi->srv_signal pending (coalesced) */
  service: boolean;
  /** IRQ_PEND_MCHK_REP in fi->pending_irqs: a floating machine check pending (coalesced) */
  mchk: boolean;
  last: Last;
}

export function initialLast(ais: readonly Mode[]): Last {
  return {
    op: '',
    rc: 0,
    isc: -1,
    id: -1,
    from: [...ais],
    airq: false,
    injected: false,
    suppressed: false,
    req: -1,
    need: 0,
    room: 0,
    got: null,
    out: null,
    added: [],
    removed: [],
    changed: [],
    arg: {},
  };
}

export function initialContext(p: FlicParams, opts: { aisMigrationCap?: boolean } = {}): FlicContext {
  const ais = p.iscs.map((): Mode => 'ALL');
  return {
    vcpus: 0,
    fac72: false,
    aisMigrationCap: opts.aisMigrationCap ?? true,
    pfault: false,
    apf: 0,
    adapters: Array.from({ length: p.adapters }, () => null),
    ais,
    ipm: 0,
    list: [],
    service: false,
    mchk: false,
    last: initialLast(ais),
  };
}

/** A kernel entry point as the machine abstracts it: mutates a copy of the context, returns rc. */
export type KernelFn = (c: FlicContext, e: FlicEvent, p: FlicParams, k: FlicKernel) => number;

const aisIndex = (p: FlicParams, isc: number): number => p.iscs.indexOf(isc);
function adapterOf(c: FlicContext, id: number): Adapter | null {
  return id >= 0 && id < MAX_S390_IO_ADAPTERS ? (c.adapters[id] ?? null) : null;
}

/** The ISC of an irq in the I/O lists, 8 for PFAULT, 9 for VIRTIO: fi->lists[] index. */
export function listIndex(irq: Irq): number {
  if (irq === 'pfault') return 8;
  if (irq === 'virtio') return 9;
  return Number(irq.split(':').pop());
}
/** The subchannel of a classic I/O irq, or null. */
export function subchannelOf(irq: Irq): Subchannel | null {
  return irq.startsWith('io:') ? (irq.split(':')[1] as Subchannel) : null;
}
/** The subchannel-identification word an irq carries (0 for adapter and non-I/O ones). */
export function schidOf(irq: Irq): number {
  const s = subchannelOf(irq);
  return s ? SUBCHANNELS[s] : 0;
}
/** list_add_tail on fi->lists[listIndex(irq)]. */
export function listAdd(list: Irq[], irq: Irq): Irq[] {
  const k = listIndex(irq);
  let at = list.length;
  while (at > 0 && listIndex(list[at - 1]!) > k) at--;
  return [...list.slice(0, at), irq, ...list.slice(at)];
}

/** Every pending floating interruption, in GET_ALL_IRQS order: GISA ISCs, the lists, service, machine check. */
export function pendingOf(c: FlicContext): Irq[] {
  const out: Irq[] = [];
  for (let isc = 0; isc <= MAX_ISC; isc++) if (c.ipm & iscBit(isc)) out.push(aiIrq(isc));
  out.push(...c.list);
  if (c.service) out.push('service');
  if (c.mchk) out.push('mchk');
  return out;
}

/** Multiset difference a \ b. */
export function minus(a: readonly Irq[], b: readonly Irq[]): Irq[] {
  const rest = [...b];
  return a.filter((x) => {
    const i = rest.indexOf(x);
    if (i < 0) return true;
    rest.splice(i, 1);
    return false;
  });
}

/** __inject_vm (interrupt.c) for one floating interruption: the list, the GISA IPM, or the coalesced signals. */
function __inject_vm(c: FlicContext, irq: Irq, p: FlicParams): number {
  if (irq === 'service') c.service = true;
  else if (irq === 'mchk') c.mchk = true;
  else if (irq.startsWith('ai:') && p.gisa) c.ipm |= iscBit(listIndex(irq));
  else c.list = listAdd(c.list, irq);
  return 0;
}

/** kvm_s390_inject_vm of an adapter interruption: kzalloc, then __inject_io (GISA IPM bit, or the list without a GISA). */
export function kvm_s390_inject_vm(c: FlicContext, isc: number, alloc: 'ok' | 'fail', p: FlicParams, k: FlicKernel): number {
  if (alloc === 'fail') return E.ENOMEM;
  const rc = k.__inject_vm(c, aiIrq(isc), p);
  if (!rc) c.last.injected = true;
  return rc;
}

/** kvm_s390_inject_airq (interrupt.c): AIS applies to suppressible adapters once facility 72 is on. */
export const kvm_s390_inject_airq = (c: FlicContext, a: Adapter, alloc: 'ok' | 'fail', p: FlicParams, k: FlicKernel): number => {
  c.last.airq = true;
  if (!c.fac72 || !a.suppressible) return kvm_s390_inject_vm(c, a.isc, alloc, p, k);
  const at = aisIndex(p, a.isc);
  // an ISC outside the bounds (or >= 8: AIS_MODE_MASK is 0) reads as ALL
  const mode = at >= 0 ? c.ais[at]! : 'ALL';
  if (nimmOf(mode)) {
    c.last.suppressed = true;
    return 0;
  }
  const ret = kvm_s390_inject_vm(c, a.isc, alloc, p, k);
  if (!ret && simmOf(mode)) c.ais[at] = 'NO';
  return ret;
};

/** The kernel functions a variant may replace. */
export interface FlicKernel {
  kvm_s390_inject_airq: (c: FlicContext, a: Adapter, alloc: 'ok' | 'fail', p: FlicParams, k: FlicKernel) => number;
  /** __inject_vm (interrupt.c): one floating interruption into the list, the GISA IPM or the coalesced signals */
  __inject_vm: (c: FlicContext, irq: Irq, p: FlicParams) => number;
  /** kvm_arch_async_page_present (kvm-s390.c): the completion's PFAULT_DONE, WARN_ON_ONCE if kvm_s390_inject_vm fails */
  kvm_arch_async_page_present: KernelFn;
  modify_ais_mode: KernelFn;
  get_all_floating_irqs: KernelFn;
  flic_create: KernelFn;
  /** kvm_ioctl_create_device with KVM_CREATE_DEVICE_TEST: returns 0 before ops->create */
  kvm_create_device_test: KernelFn;
  flic_has_attr: KernelFn;
  flic_attr_default: KernelFn;
  enqueue_floating_irq: KernelFn;
  kvm_s390_clear_float_irqs: KernelFn;
  clear_io_irq: KernelFn;
  register_io_adapter: KernelFn;
  modify_io_adapter: KernelFn;
  flic_ais_mode_set_all: KernelFn;
  flic_ais_mode_get_all: KernelFn;
  flic_inject_airq: KernelFn;
  /** set_adapter_int (interrupt.c): the irqfd path of a KVM_IRQ_ROUTING_S390_ADAPTER route */
  set_adapter_int: KernelFn;
  /** flic_set_attr KVM_DEV_FLIC_APF_DISABLE_WAIT: pfault_enabled = 0, synchronize_srcu, kvm_clear_async_pf_completion_queue per vcpu */
  kvm_dev_flic_apf_disable_wait: KernelFn;
  /** kvm_vm_ioctl_enable_cap KVM_CAP_S390_AIS (kvm-s390.c) */
  kvm_vm_ioctl_enable_cap: KernelFn;
  /** kvm_s390_get_io_int (interrupt.c), from clear_io_irq and the TPI/TSCH intercepts */
  kvm_s390_get_io_int: (c: FlicContext, schid: number, p: FlicParams) => Irq | null;
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
 * then the lists, the service signal and the floating machine check. The buffer check
 * precedes every ISC 0..7 of the GISA loop, so it fires once the buffer is full even when no
 * further ISC is pending (unless the last one is 7).
 */
export const get_all_floating_irqs: KernelFn = (c, e, p) => {
  if (e.type !== 'KVM_DEV_FLIC_GET_ALL_IRQS') return E.EINVAL;
  if (e.len === 'zero' || e.len === 'too_big') return E.EINVAL;
  if (e.alloc === 'fail') return E.ENOBUFS;
  const max = e.slots ?? 0;
  const buf: Irq[] = [];
  if (p.gisa && c.ipm) {
    for (let isc = 0; isc <= MAX_ISC; isc++) {
      if (buf.length === max) return E.ENOMEM;
      if (c.ipm & iscBit(isc)) {
        c.ipm &= ~iscBit(isc);
        buf.push(aiIrq(isc));
      }
    }
  }
  for (const irq of [...c.list, ...(c.service ? ['service'] : []), ...(c.mchk ? ['mchk'] : [])]) {
    if (buf.length === max) return E.ENOMEM;
    buf.push(irq);
  }
  // copy_to_user runs only when something was collected
  if (e.copy === 'fault' && buf.length > 0) return E.EFAULT;
  c.last.got = buf;
  return buf.length;
};

/** The elements of an ENQUEUE payload as irqs (the failing one included). */
export function enqueueIrqs(e: Extract<FlicEvent, { type: 'KVM_DEV_FLIC_ENQUEUE' }>): Irq[] {
  const kind = e.irq ?? 'io';
  const one = kind === 'io' ? ioIrq(e.schid ?? 'A', e.isc ?? 3) : kind === 'ai' ? aiIrq(e.isc ?? 3) : kind;
  return Array.from({ length: e.count ?? 0 }, () => one);
}

/** enqueue_floating_irq (interrupt.c): length checks, then element by element; earlier elements stay. */
const enqueue_floating_irq: KernelFn = (c, e, p, k) => {
  if (e.type !== 'KVM_DEV_FLIC_ENQUEUE') return E.EINVAL;
  if (e.len) return E.EINVAL;
  for (const [i, irq] of enqueueIrqs(e).entries()) {
    if (e.failAt === i) return E[e.err ?? 'EFAULT'];
    const r = k.__inject_vm(c, irq, p);
    if (r) return r;
  }
  return 0;
};

/**
 * kvm_s390_get_io_int (interrupt.c): the first interruption of the lowest ISC list matching
 * schid (any with schid 0), then the top GISA ISC (only for schid 0); a classic one of a
 * higher-priority or equal ISC wins and the GISA bit is set again, otherwise the classic one
 * is re-injected at the tail of its list and the adapter one is returned.
 */
export function get_io_int(c: FlicContext, schid: number, p: FlicParams): Irq | null {
  let inti: Irq | null = null;
  for (let isc = 0; isc <= MAX_ISC && !inti; isc++) {
    const at = c.list.findIndex((x) => listIndex(x) === isc && (x.startsWith('io:') || x.startsWith('ai:')) && (!schid || schidOf(x) === schid));
    if (at >= 0) {
      inti = c.list[at]!;
      c.list = [...c.list.slice(0, at), ...c.list.slice(at + 1)];
    }
  }
  let gisc = -1;
  if (!schid && p.gisa) {
    for (let isc = 0; isc <= MAX_ISC && gisc < 0; isc++) {
      if (c.ipm & iscBit(isc)) {
        c.ipm &= ~iscBit(isc);
        gisc = isc;
      }
    }
  }
  if (gisc < 0) return inti;
  if (inti && listIndex(inti) <= gisc) {
    c.ipm |= iscBit(gisc);
    return inti;
  }
  if (inti) c.list = listAdd(c.list, inti);
  return aiIrq(gisc);
}

/** clear_io_irq (interrupt.c): flags, size, copy, schid 0; then kvm_s390_get_io_int for that subchannel. */
const clear_io_irq: KernelFn = (c, e, p, k) => {
  if (e.type !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ') return E.EINVAL;
  if (e.flags) return E.EINVAL;
  if ((e.size ?? 4) !== 4) return E.EINVAL;
  if (e.fault) return E.EFAULT;
  if (!e.schid) return E.EINVAL;
  k.kvm_s390_get_io_int(c, e.schid, p);
  return 0;
};

/** register_io_adapter (interrupt.c): id < MAX_S390_IO_ADAPTERS, free slot; isc is not checked; unknown flag bits ignored. */
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

/** modify_io_adapter + kvm_s390_mask_adapter (interrupt.c): MAP and UNMAP are no-ops since v5.7; MASK returns the old value, mapped to 0. */
const modify_io_adapter: KernelFn = (c, e) => {
  if (e.type !== 'KVM_DEV_FLIC_ADAPTER_MODIFY') return E.EINVAL;
  if (e.fault) return E.EFAULT;
  const a = adapterOf(c, e.id);
  if (!a) return E.EINVAL;
  c.last.id = e.id;
  if (e.req === 'MAP' || e.req === 'UNMAP') return 0;
  if (e.req !== 'MASK') return E.EINVAL;
  if (!a.maskable) return E.EINVAL;
  const old = a.masked ? 1 : 0;
  a.masked = !!e.mask;
  return old > 0 ? 0 : old;
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
const flic_inject_airq: KernelFn = (c, e, p, k) => {
  if (e.type !== 'KVM_DEV_FLIC_AIRQ_INJECT') return E.EINVAL;
  const a = adapterOf(c, e.id);
  if (!a) return E.EINVAL;
  c.last.id = e.id;
  c.last.isc = a.isc;
  return k.kvm_s390_inject_airq(c, a, e.alloc, p, k);
};

/** set_adapter_int (interrupt.c): irqfd path; injects only on a newly set summary bit of an unmasked adapter. */
const set_adapter_int: KernelFn = (c, e, p, k) => {
  if (e.type !== 'set_adapter_int') return -1;
  const a = adapterOf(c, e.id);
  if (!a) return -1;
  c.last.id = e.id;
  c.last.isc = a.isc;
  if (e.summary === 'fault') return -1;
  if (e.summary === 'set') return 0;
  if (a.masked) return 1;
  const ret = k.kvm_s390_inject_airq(c, a, e.alloc, p, k);
  return ret === 0 ? 1 : ret;
};

/** kvm_s390_clear_float_irqs (interrupt.c): lists, counters, service, machine check and the GISA IPM cleared; simm/nimm stay. */
const kvm_s390_clear_float_irqs: KernelFn = (c) => {
  c.list = [];
  c.service = false;
  c.mchk = false;
  c.ipm = 0;
  return 0;
};

/** flic_set_attr KVM_DEV_FLIC_APF_DISABLE_WAIT: with KVM_ASYNC_PF_SYNC, each queued async fault is flushed, which injects its PFAULT_DONE. */
const kvm_dev_flic_apf_disable_wait: KernelFn = (c, e, p, k) => {
  c.pfault = false;
  while (c.apf > 0) k.kvm_arch_async_page_present(c, e, p, k);
  return 0;
};

/** async_pf_execute -> kvm_arch_async_page_present (KVM_ASYNC_PF_SYNC): WARN_ON_ONCE(kvm_s390_inject_vm(PFAULT_DONE)); the fault is done. */
const kvm_arch_async_page_present: KernelFn = (c, _e, p, k) => {
  c.apf--;
  return k.__inject_vm(c, 'pfault', p);
};

/** kvm_ioctl_create_device -> flic_create: "Only one FLIC instance may be instantiated". */
const flic_create: KernelFn = (c, e) => {
  if (e.type !== 'KVM_CREATE_DEVICE' || e.test) return 0;
  return c.last.arg.hadFlic ? E.EINVAL : 0;
};

/** flic_has_attr (interrupt.c): groups 1..11 exist; -ENXIO otherwise. */
const flic_has_attr: KernelFn = (_c, e) =>
  e.type === 'KVM_HAS_DEVICE_ATTR' && e.group >= GROUP.KVM_DEV_FLIC_GET_ALL_IRQS && e.group <= GROUP.KVM_DEV_FLIC_AISM_ALL ? 0 : E.ENXIO;

/** The default cases of flic_set_attr / flic_get_attr: -EINVAL, not -ENXIO (s390_flic.rst). */
const flic_attr_default: KernelFn = () => E.EINVAL;

/** kvm_vm_ioctl_enable_cap, KVM_CAP_S390_AIS (kvm-s390.c): refused once a vcpu was created. */
const kvm_vm_ioctl_enable_cap: KernelFn = (c) => {
  if (c.vcpus > 0) return E.EBUSY;
  c.fac72 = true;
  return 0;
};

export const baselineKernel: FlicKernel = {
  kvm_s390_inject_airq,
  __inject_vm,
  kvm_arch_async_page_present,
  modify_ais_mode,
  get_all_floating_irqs,
  flic_create,
  kvm_create_device_test: () => 0,
  flic_has_attr,
  flic_attr_default,
  enqueue_floating_irq,
  kvm_s390_clear_float_irqs,
  clear_io_irq,
  register_io_adapter,
  modify_io_adapter,
  flic_ais_mode_set_all,
  flic_ais_mode_get_all,
  flic_inject_airq,
  set_adapter_int,
  kvm_dev_flic_apf_disable_wait,
  kvm_vm_ioctl_enable_cap,
  kvm_s390_get_io_int: get_io_int,
};

/** kvm_vm_ioctl_check_extension (kvm-s390.c). */
const kvm_vm_ioctl_check_extension: KernelFn = (c, e) => {
  if (e.type !== 'KVM_CHECK_EXTENSION') return 0;
  return e.cap === 'KVM_CAP_S390_AIS' || c.aisMigrationCap ? 1 : 0;
};

/** The request of an event, reduced to what the properties read. */
function requestOf(e: FlicEvent, c: FlicContext, state: string): FlicRequest {
  switch (e.type) {
    case 'KVM_CREATE_DEVICE':
      return { test: e.test, hadFlic: state === 'flic' };
    case 'KVM_HAS_DEVICE_ATTR':
    case 'KVM_SET_DEVICE_ATTR':
    case 'KVM_GET_DEVICE_ATTR':
      return { group: e.group };
    case 'KVM_DEV_FLIC_GET_ALL_IRQS':
      return { lenOk: !e.len, allocFail: e.alloc === 'fail', fault: e.copy === 'fault' };
    case 'KVM_DEV_FLIC_CLEAR_IO_IRQ':
      return { schid: e.schid };
    case 'KVM_DEV_FLIC_ADAPTER_REGISTER':
      return { existed: !!adapterOf(c, e.id), unknownFlags: !!e.unknownFlags, suppressible: e.suppressible };
    case 'KVM_DEV_FLIC_ADAPTER_MODIFY':
      return e.req === 'MASK' ? { mask: !!e.mask } : {};
    case 'KVM_DEV_FLIC_AISM_ALL':
      return e.dir === 'set' ? { simm: e.simm, nimm: e.nimm } : {};
    case 'KVM_DEV_FLIC_AIRQ_INJECT':
    case 'set_adapter_int':
      return { allocOk: e.alloc === 'ok' };
    case 'KVM_DEV_FLIC_APF_DISABLE_WAIT':
      return { inflight: c.apf };
    default:
      return {};
  }
}

const FIELDS = ['vcpus', 'fac72', 'pfault', 'apf', 'adapters', 'ais'] as const;

/** Structural equality of the small values FIELDS name (primitives, arrays of primitives, arrays of flat objects or null). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (!x || !y || typeof x !== 'object' || typeof y !== 'object') return false;
    for (const k of Object.keys(x)) if ((x as Record<string, unknown>)[k] !== (y as Record<string, unknown>)[k]) return false;
  }
  return true;
}

/** The same JSON for the flat values `call` copies (an adapter or null, a mode, an irq): same keys in the same order, equal primitive values. */
function sameFlat(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (!x || !y || typeof x !== 'object' || typeof y !== 'object') return false;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  for (let i = 0; i < kx.length; i++) if (kx[i] !== ky[i] || (x as Record<string, unknown>)[kx[i]!] !== (y as Record<string, unknown>)[kx[i]!]) return false;
  return true;
}
/** `b` (the step's copy) with the elements equal to `a`'s (the parent's) replaced by `a`'s, or `a` itself when every one is: the same JSON, so the checker's interning compares and hashes the shared parts by reference. */
function reshare<T>(a: T[], b: T[]): T[] {
  let all = a.length === b.length;
  for (let i = 0; i < b.length; i++) {
    if (i < a.length && sameFlat(a[i], b[i])) b[i] = a[i]!;
    else all = false;
  }
  return all ? a : b;
}

/** Runs a kernel function on a copy of the context and records what it returned and changed. */
function call(fn: KernelFn, p: FlicParams, k: FlicKernel) {
  return assign<FlicContext, FlicEvent, { state: string } | undefined, FlicEvent, never>(({ context, event }, params) => {
    const state = params?.state ?? 'flic';
    const c: FlicContext = {
      ...context,
      adapters: context.adapters.map((a) => (a ? { ...a } : null)),
      ais: [...context.ais],
      list: [...context.list],
      last: initialLast(context.ais),
    };
    c.last.op = event.type;
    c.last.arg = { ...requestOf(event, context, state), ev: event };
    const before = pendingOf(context);
    c.last.rc = fn(c, event, p, k);
    const after = pendingOf(c);
    c.last.added = minus(after, before);
    c.last.removed = minus(before, after);
    c.last.changed = FIELDS.filter((f) => !same(context[f], c[f]));
    if (event.type === 'KVM_DEV_FLIC_GET_ALL_IRQS') {
      c.last.need = before.length;
      c.last.room = event.slots ?? -1;
    }
    c.adapters = reshare(context.adapters, c.adapters);
    c.ais = reshare(context.ais, c.ais);
    c.list = reshare(context.list, c.list);
    c.last.from = reshare(context.ais, c.last.from);
    return c;
  });
}

export interface FlicMachineOptions {
  kernel?: Partial<FlicKernel>;
  aisMigrationCap?: boolean;
}

export function createFlicMachine(p: FlicParams, opts: FlicMachineOptions = {}) {
  const k: FlicKernel = { ...baselineKernel, ...opts.kernel };
  const u = { meta: { actor: 'userspace' as const } };
  const g = { meta: { actor: 'guest' as const } };
  const kern = { meta: { actor: 'kernel' as const } };
  const fn = (f: KernelFn) => call(f, p, k);
  const pend = (c: FlicContext, f: (irq: Irq) => boolean) => pendingOf(c).some(f);
  return setup({
    types: {} as { context: FlicContext; events: FlicEvent },
    guards: {
      // KVM_CREATE_DEVICE_TEST: kvm_ioctl_create_device returns 0 before calling flic_create
      kvm_create_device_test: ({ event }) => event.type === 'KVM_CREATE_DEVICE' && event.test,
      // KVM_SET_DEVICE_ATTR reaches flic_set_attr, KVM_GET_DEVICE_ATTR flic_get_attr
      kvm_set_device_attr: ({ event }) => event.type === 'KVM_DEV_FLIC_AISM_ALL' && event.dir === 'set',
      // exploration bound on kvm->created_vcpus (not a kernel check)
      vcpu_bound: ({ context }) => context.vcpus < p.vcpus,
      // exploration bound on the interrupt list length, the completions of faults in flight counted (not a kernel check)
      list_bound: ({ context, event }) => {
        if (event.type !== 'KVM_DEV_FLIC_ENQUEUE' || event.len) return true;
        const listed = enqueueIrqs(event).filter((x) => !(x.startsWith('ai:') && p.gisa) && x !== 'service' && x !== 'mchk').length;
        return context.list.length + context.apf + listed <= p.io;
      },
      // the guest is enabled for and reaches an I/O interruption of this ISC (list or GISA)
      io_deliverable: ({ context, event }) => event.type === '__deliver_io' && pend(context, (x) => (x.startsWith('io:') || x.startsWith('ai:')) && listIndex(x) === event.isc),
      service_pending: ({ context }) => context.service,
      mchk_pending: ({ context }) => context.mchk,
      virtio_pending: ({ context }) => context.list.includes('virtio'),
      pfault_done_pending: ({ context }) => context.list.includes('pfault'),
      // TPI: some I/O interruption pending; TSCH: one of that subchannel
      io_pending: ({ context }) => pend(context, (x) => x.startsWith('io:') || x.startsWith('ai:')),
      subchannel_io_pending: ({ context, event }) => event.type === 'handle_tsch' && context.list.some((x) => schidOf(x) === event.schid),
      // kvm_arch_setup_async_pf: pfault enabled (and the bound on faults in flight)
      async_pf_possible: ({ context }) => context.pfault && context.apf < p.apf && context.list.length + context.apf < p.io,
      async_pf_in_flight: ({ context }) => context.apf > 0,
    },
    actions: {
      // kvm_ioctl_create_device -> flic_create: kvm->arch.flic = dev, or -EINVAL for a second one
      flic_create: fn(k.flic_create),
      kvm_create_device_test: fn(k.kvm_create_device_test),
      // kvm_vm_ioctl_create_vcpu: created_vcpus++ under kvm->lock
      kvm_vm_ioctl_create_vcpu: fn((c) => {
        c.vcpus++;
        return 0;
      }),
      kvm_vm_ioctl_enable_cap: fn(k.kvm_vm_ioctl_enable_cap),
      kvm_vm_ioctl_check_extension: fn(kvm_vm_ioctl_check_extension),
      flic_has_attr: fn(k.flic_has_attr),
      flic_attr_default: fn(k.flic_attr_default),
      // flic_set_attr KVM_DEV_FLIC_APF_ENABLE / _DISABLE_WAIT: gmap->pfault_enabled
      kvm_dev_flic_apf_enable: fn((c) => {
        c.pfault = true;
        return 0;
      }),
      kvm_dev_flic_apf_disable_wait: fn(k.kvm_dev_flic_apf_disable_wait),
      kvm_s390_clear_float_irqs: fn(k.kvm_s390_clear_float_irqs),
      enqueue_floating_irq: fn(k.enqueue_floating_irq),
      get_all_floating_irqs: fn(k.get_all_floating_irqs),
      clear_io_irq: fn(k.clear_io_irq),
      register_io_adapter: fn(k.register_io_adapter),
      modify_io_adapter: fn(k.modify_io_adapter),
      modify_ais_mode: fn(k.modify_ais_mode),
      flic_inject_airq: fn(k.flic_inject_airq),
      set_adapter_int: fn(k.set_adapter_int),
      flic_ais_mode_set_all: fn(k.flic_ais_mode_set_all),
      flic_ais_mode_get_all: fn(k.flic_ais_mode_get_all),
      // __deliver_io (interrupt.c): the first interruption of that ISC's list, else its GISA IPM bit (test-and-clear)
      __deliver_io: fn((c, e) => {
        if (e.type !== '__deliver_io') return 0;
        const at = c.list.findIndex((x) => listIndex(x) === e.isc && (x.startsWith('io:') || x.startsWith('ai:')));
        if (at >= 0) c.list = [...c.list.slice(0, at), ...c.list.slice(at + 1)];
        else c.ipm &= ~iscBit(e.isc);
        return 0;
      }),
      // __deliver_service: srv_signal and both service bits cleared
      __deliver_service: fn((c) => {
        c.service = false;
        return 0;
      }),
      // __deliver_machine_check: test_and_clear_bit(IRQ_PEND_MCHK_REP, &fi->pending_irqs), fi->mchk zeroed
      __deliver_machine_check: fn((c) => {
        c.mchk = false;
        return 0;
      }),
      // __deliver_virtio / __deliver_pfault_done: the first entry of FIRQ_LIST_VIRTIO / FIRQ_LIST_PFAULT
      __deliver_virtio: fn((c) => {
        c.list = minus(c.list, ['virtio']);
        return 0;
      }),
      __deliver_pfault_done: fn((c) => {
        c.list = minus(c.list, ['pfault']);
        return 0;
      }),
      // priv.c handle_tpi / handle_tsch: kvm_s390_get_io_int(kvm, isc_mask, schid)
      kvm_s390_get_io_int: fn((c, e) => {
        k.kvm_s390_get_io_int(c, e.type === 'handle_tsch' ? e.schid : 0, p);
        return 0;
      }),
      // kvm_arch_async_page_not_present: PFAULT_INIT to the vcpu (local), the fault is in flight
      kvm_arch_async_page_not_present: fn((c) => {
        c.apf++;
        return 0;
      }),
      // async_pf_execute -> kvm_arch_async_page_present: kvm_s390_inject_vm(PFAULT_DONE)
      kvm_arch_async_page_present: fn(k.kvm_arch_async_page_present),
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
            { guard: 'kvm_create_device_test', actions: { type: 'kvm_create_device_test', params: { state: 'no_flic' } }, ...u },
            { target: 'flic', actions: { type: 'flic_create', params: { state: 'no_flic' } }, ...u },
          ],
        },
      },
      flic: {
        on: {
          KVM_CREATE_DEVICE: [
            { guard: 'kvm_create_device_test', actions: { type: 'kvm_create_device_test', params: { state: 'flic' } }, ...u },
            { actions: { type: 'flic_create', params: { state: 'flic' } }, ...u },
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
          set_adapter_int: { actions: 'set_adapter_int', ...kern },
          __deliver_io: { guard: 'io_deliverable', actions: '__deliver_io', ...g },
          __deliver_service: { guard: 'service_pending', actions: '__deliver_service', ...g },
          __deliver_machine_check: { guard: 'mchk_pending', actions: '__deliver_machine_check', ...g },
          __deliver_virtio: { guard: 'virtio_pending', actions: '__deliver_virtio', ...g },
          __deliver_pfault_done: { guard: 'pfault_done_pending', actions: '__deliver_pfault_done', ...g },
          handle_tpi: { guard: 'io_pending', actions: 'kvm_s390_get_io_int', ...g },
          handle_tsch: { guard: 'subchannel_io_pending', actions: 'kvm_s390_get_io_int', ...g },
          kvm_arch_async_page_not_present: { guard: 'async_pf_possible', actions: 'kvm_arch_async_page_not_present', ...kern },
          kvm_arch_async_page_present: { guard: 'async_pf_in_flight', actions: 'kvm_arch_async_page_present', ...kern },
        },
      },
    },
  });
}

