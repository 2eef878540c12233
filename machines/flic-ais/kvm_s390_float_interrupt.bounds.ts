// Configurations of the FLIC machine and the event payloads each one enumerates: the
// userspace arguments (struct kvm_device_attr, kvm_s390_irq, kvm_s390_io_adapter,
// kvm_s390_ais_req, kvm_s390_ais_all), the guest's deliveries and I/O instructions, and the
// outcomes the kernel cannot choose (a failing kzalloc or vzalloc, a faulting copy from or to
// userspace, the guest's summary indicator).
import type { ConfigurationInfo } from '../../src/spec.ts';

/** KVM_DEV_FLIC_* attribute groups, arch/s390/include/uapi/asm/kvm.h. */
export const GROUP = {
  KVM_DEV_FLIC_GET_ALL_IRQS: 1,
  KVM_DEV_FLIC_ENQUEUE: 2,
  KVM_DEV_FLIC_CLEAR_IRQS: 3,
  KVM_DEV_FLIC_APF_ENABLE: 4,
  KVM_DEV_FLIC_APF_DISABLE_WAIT: 5,
  KVM_DEV_FLIC_ADAPTER_REGISTER: 6,
  KVM_DEV_FLIC_ADAPTER_MODIFY: 7,
  KVM_DEV_FLIC_CLEAR_IO_IRQ: 8,
  KVM_DEV_FLIC_AISM: 9,
  KVM_DEV_FLIC_AIRQ_INJECT: 10,
  KVM_DEV_FLIC_AISM_ALL: 11,
} as const;
/** A group number no FLIC handler knows. */
export const UNKNOWN_GROUP = 12;
/** MAX_S390_IO_ADAPTERS = (MAX_ISC + 1) * 8, arch/s390/include/asm/kvm_host.h. */
export const MAX_S390_IO_ADAPTERS = 64;
/** MAX_ISC, arch/s390/include/asm/isc.h. */
export const MAX_ISC = 7;
/** KVM_S390_AIS_MODE_ALL / _SINGLE, arch/s390/include/asm/kvm_host.h. */
export const KVM_S390_AIS_MODE_ALL = 0;
export const KVM_S390_AIS_MODE_SINGLE = 1;
/** sizeof(struct kvm_s390_irq). */
export const KVM_S390_IRQ_SIZE = 72;
/** KVM_S390_FLIC_MAX_BUFFER, uapi. */
export const KVM_S390_FLIC_MAX_BUFFER = 0x2000000;
/** KVM_S390_ADAPTER_SUPPRESSIBLE, uapi; any other bit of kvm_s390_io_adapter.flags is unknown. */
export const KVM_S390_ADAPTER_SUPPRESSIBLE = 0x01;
/**
 * The subchannels whose classic I/O interruptions the bounds enqueue: the subsystem-identification
 * words of 0.0.0001 and 0.0.0002, and 0.0.0000 (`Z`, configuration `iscs`), whose I/O interruption
 * type KVM_S390_INT_IO(0, 0, 0, 0) is 0, the first value of the I/O type range.
 */
export const SUBCHANNELS = { A: 0x00010001, B: 0x00010002, Z: 0x00010000 } as const;
export type Subchannel = keyof typeof SUBCHANNELS;
/** The subchannel 0.0.0001 of the first version of this machine. */
export const SCHID = SUBCHANNELS.A;
/**
 * A subchannel for which nothing is ever pending: 0.1.0001, the number of A in subchannel set 1
 * (the high halfword differs), so get_io_int must compare both halves of the word.
 */
export const OTHER_SCHID = 0x00030001;
/** KVM_S390_IO_ADAPTER_MASK / _MAP / _UNMAP, uapi. */
export const KVM_S390_IO_ADAPTER_MASK = 1;
export const KVM_S390_IO_ADAPTER_MAP = 2;
export const KVM_S390_IO_ADAPTER_UNMAP = 3;

/** errno values as the kernel returns them (negated). */
export const E = {
  EFAULT: -14,
  EINVAL: -22,
  ENOMEM: -12,
  ENOBUFS: -105,
  EBUSY: -16,
  EOPNOTSUPP: -95,
  ENXIO: -6,
  EEXIST: -17,
  EPERM: -1,
  ENODEV: -19,
} as const;
export type Errno = keyof typeof E;

/**
 * A floating interruption as GET_ALL_IRQS reports it: `io:<subchannel>:<isc>` (classic I/O),
 * `ai:<isc>` (adapter I/O, from the GISA IPM or, without a GISA, from the list), `service`,
 * `mchk` (floating machine check), `virtio`, `pfault` (PFAULT_DONE).
 */
export type Irq = string;
export const ioIrq = (sch: Subchannel, isc: number): Irq => `io:${sch}:${isc}`;
export const aiIrq = (isc: number): Irq => `ai:${isc}`;

/** The kinds of element userspace enqueues. */
export type IrqKind = 'io' | 'ai' | 'service' | 'mchk' | 'virtio' | 'pfault';

export interface FlicParams {
  /** Guest ISCs the bounds use (0..7); each has its own AIS mode. */
  iscs: readonly number[];
  /** Adapter ids 0..adapters-1 may be registered (id 64 is enumerated too, to be refused). */
  adapters: number;
  /** KVM_CREATE_VCPU may run this many times. */
  vcpus: number;
  /** Elements in the floating interrupt lists, at most (an exploration bound). */
  io: number;
  /** gi->origin is set (css_general_characteristics.aiv): adapter interruptions go to the GISA IPM */
  gisa: boolean;
  /** Async page faults in flight, at most (an exploration bound). */
  apf: number;
  /** Which event families the configuration enumerates. */
  families: readonly Family[];
  /**
   * The SCCB word of the service signals the path driver enqueues (src/sut/flic-driver.ts): an
   * address with an event pending (default), which sets IRQ_PEND_EXT_SERVICE and _EV, or a plain
   * address, which sets IRQ_PEND_EXT_SERVICE only. The machine's coalesced service flag is the same for both.
   */
  sccb?: 'event' | 'plain';
}

/** Event families, so a configuration can focus on AIS, on refusals or on the interrupt list. */
export type Family =
  | 'vm'
  | 'attr'
  | 'apf'
  | 'irqs'
  | 'types'
  | 'deliver'
  | 'adapter'
  | 'adapter-errors'
  | 'ais'
  | 'mask'
  | 'ais-errors'
  | 'iscs'
  | 'service';

export const CONFIGURATIONS: readonly (ConfigurationInfo & { params: FlicParams })[] = [
  {
    id: 'ais',
    description: 'AIS on ISC 3 with one adapter: KVM_CAP_S390_AIS, AISM, AIRQ_INJECT, set_adapter_int, AISM_ALL',
    params: { iscs: [3], adapters: 1, vcpus: 0, io: 0, gisa: true, apf: 0, families: ['vm', 'adapter', 'ais'] },
  },
  {
    id: 'mask',
    description: 'adapter masking on ISC 3: a maskable and an unmaskable registration, ADAPTER_MODIFY MASK, AIRQ_INJECT and set_adapter_int on a masked adapter',
    params: { iscs: [3], adapters: 1, vcpus: 0, io: 0, gisa: true, apf: 0, families: ['vm', 'adapter', 'mask'] },
  },
  {
    id: 'errors',
    description: 'the refusals of the adapter and AIS groups: unknown ids, faults, failed allocations, bad ISC and mode, unknown adapter flags, an unmaskable adapter, AIS without the capability',
    params: { iscs: [3], adapters: 1, vcpus: 0, io: 0, gisa: true, apf: 0, families: ['vm', 'adapter-errors', 'ais-errors'] },
  },
  {
    id: 'attr',
    description: 'the device and its attributes: KVM_CREATE_DEVICE (TEST, a second FLIC), HAS/SET/GET_DEVICE_ATTR of known and unknown groups, KVM_CHECK_EXTENSION, -EBUSY for KVM_CAP_S390_AIS after a vcpu',
    params: { iscs: [3], adapters: 0, vcpus: 1, io: 0, gisa: true, apf: 0, families: ['vm', 'attr'] },
  },
  {
    id: 'irqs',
    description: 'classic I/O interruptions of subchannels 0.0.0001 and 0.0.0002 and adapter interruptions in the GISA on ISC 3: ENQUEUE, GET_ALL_IRQS, CLEAR_IRQS, CLEAR_IO_IRQ and their refusals, delivery, TPI, TSCH',
    params: { iscs: [3], adapters: 0, vcpus: 0, io: 2, gisa: true, apf: 0, families: ['irqs', 'deliver'] },
  },
  {
    id: 'types',
    description: 'service signal, floating machine check, virtio and PFAULT_DONE interruptions beside an adapter one: ENQUEUE, GET_ALL_IRQS, CLEAR_IRQS, delivery',
    params: { iscs: [3], adapters: 0, vcpus: 0, io: 1, gisa: true, apf: 0, families: ['types', 'deliver'] },
  },
  {
    id: 'apf',
    description:
      'async page faults: APF_ENABLE, a fault in flight, its completion (PFAULT_DONE) injected by the kernel or flushed by APF_DISABLE_WAIT, beside a service signal with a plain SCCB address; GET_ALL_IRQS, CLEAR_IRQS, delivery',
    params: { iscs: [3], adapters: 0, vcpus: 0, io: 1, gisa: true, apf: 1, families: ['apf', 'service'], sccb: 'plain' },
  },
  {
    id: 'iscs',
    description:
      'the ends of every ISC scan: classic I/O of subchannels 0.0.0000 on ISC 0 and 0.0.0002 on ISC 7, adapter I/O in the GISA on ISCs 0 and 7; ENQUEUE, GET_ALL_IRQS, CLEAR_IRQS, CLEAR_IO_IRQ, TPI',
    params: { iscs: [0, 7], adapters: 0, vcpus: 0, io: 1, gisa: true, apf: 0, families: ['iscs'] },
  },
  {
    id: 'nogisa',
    description: 'no GISA (gi->origin NULL): adapter interruptions go to the ISC 3 list beside the classic ones; ENQUEUE, GET_ALL_IRQS, CLEAR_IRQS, CLEAR_IO_IRQ, delivery, TPI, TSCH',
    params: { iscs: [3], adapters: 0, vcpus: 0, io: 2, gisa: false, apf: 0, families: ['irqs', 'deliver'] },
  },
];

/** Every event payload of a configuration. */
export function flicEvents(p: FlicParams): FlicEvent[] {
  const ev: FlicEvent[] = [];
  const has = (f: Family) => p.families.includes(f);
  const ids = Array.from({ length: p.adapters }, (_, i) => i);
  const isc0 = p.iscs[0] ?? 3;
  const BAD = MAX_S390_IO_ADAPTERS;
  ev.push({ type: 'KVM_CREATE_DEVICE', test: false }, { type: 'KVM_CREATE_DEVICE', test: true });
  if (has('vm')) {
    if (p.vcpus > 0) ev.push({ type: 'KVM_CREATE_VCPU' });
    ev.push({ type: 'KVM_ENABLE_CAP', cap: 'KVM_CAP_S390_AIS' });
  }
  if (has('attr')) {
    ev.push({ type: 'KVM_CHECK_EXTENSION', cap: 'KVM_CAP_S390_AIS' }, { type: 'KVM_CHECK_EXTENSION', cap: 'KVM_CAP_S390_AIS_MIGRATION' });
    ev.push({ type: 'KVM_HAS_DEVICE_ATTR', group: GROUP.KVM_DEV_FLIC_AISM_ALL }, { type: 'KVM_HAS_DEVICE_ATTR', group: UNKNOWN_GROUP });
    // both ends of flic_has_attr's range: group 0 (none) and 1 (GET_ALL_IRQS)
    ev.push({ type: 'KVM_HAS_DEVICE_ATTR', group: 0 }, { type: 'KVM_HAS_DEVICE_ATTR', group: GROUP.KVM_DEV_FLIC_GET_ALL_IRQS });
    ev.push({ type: 'KVM_SET_DEVICE_ATTR', group: GROUP.KVM_DEV_FLIC_GET_ALL_IRQS }, { type: 'KVM_SET_DEVICE_ATTR', group: UNKNOWN_GROUP });
    ev.push({ type: 'KVM_GET_DEVICE_ATTR', group: GROUP.KVM_DEV_FLIC_ENQUEUE }, { type: 'KVM_GET_DEVICE_ATTR', group: UNKNOWN_GROUP });
  }
  if (has('apf')) {
    ev.push({ type: 'KVM_DEV_FLIC_APF_ENABLE' }, { type: 'KVM_DEV_FLIC_APF_DISABLE_WAIT' });
    if (p.apf > 0) ev.push({ type: 'kvm_arch_async_page_not_present' }, { type: 'kvm_arch_async_page_present' });
    ev.push({ type: '__deliver_pfault_done' }, { type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots: 1 }, { type: 'KVM_DEV_FLIC_CLEAR_IRQS' });
  }
  if (has('irqs')) {
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IRQS' });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', len: 'unaligned' }, { type: 'KVM_DEV_FLIC_ENQUEUE', count: 0 });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io' }, { type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io', schid: 'B' });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'ai', isc: isc0 });
    if (p.gisa) {
      ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', len: 'too_big' });
      for (const err of ['EFAULT', 'EINVAL', 'ENOMEM'] as const) ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io', failAt: 0, err });
      ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 2, irq: 'ai', isc: isc0, failAt: 1, err: 'EFAULT' });
      ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 2, irq: 'io' });
      for (const len of ['zero', 'too_big'] as const) ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', len });
      ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots: 2, alloc: 'fail' }, { type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots: 2, copy: 'fault' });
      ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID, flags: 1 }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID, size: 8 });
      ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID, fault: true });
    }
    for (const slots of [0, 1, 2]) ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots });
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SUBCHANNELS.B });
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: 0 }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: OTHER_SCHID });
  }
  if (has('types')) {
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IRQS' });
    for (const irq of ['service', 'mchk', 'virtio', 'pfault'] as const) ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'ai', isc: isc0 });
    for (const slots of [1, 2]) ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots });
  }
  if (has('iscs')) {
    // issue 14: ISCs 0 and 7 are the first and last of get_all_floating_irqs' GISA loop, get_top_io_int's and
    // get_top_gisa_isc's scans and clear_io_irq's mask; an adapter interruption on ISC 0 outranks a classic one on 7 (TPI)
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io', schid: 'Z', isc: 0 }, { type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io', schid: 'B', isc: 7 });
    for (const isc of p.iscs) ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'ai', isc });
    ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots: 2 }, { type: 'KVM_DEV_FLIC_CLEAR_IRQS' });
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SUBCHANNELS.Z }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SUBCHANNELS.B });
    ev.push({ type: 'handle_tpi' });
  }
  // the service signal beside PFAULT_DONE, with the SCCB payload of the configuration (FlicParams.sccb)
  if (has('service')) ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'service' }, { type: '__deliver_service' });
  if (has('deliver')) {
    for (const isc of p.iscs) ev.push({ type: '__deliver_io', isc });
    if (has('types')) ev.push({ type: '__deliver_service' }, { type: '__deliver_machine_check' }, { type: '__deliver_virtio' }, { type: '__deliver_pfault_done' });
    if (has('irqs')) ev.push({ type: 'handle_tpi' }, { type: 'handle_tsch', schid: SCHID });
  }
  if (has('adapter')) {
    for (const id of ids) {
      ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id, isc: p.iscs[id % p.iscs.length] ?? isc0, maskable: true, suppressible: true });
      ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id, isc: p.iscs[id % p.iscs.length] ?? isc0, maskable: false, suppressible: false });
      if (id === 0 && has('mask')) for (const mask of [true, false]) ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id, req: 'MASK', mask });
    }
  }
  if (has('adapter-errors')) {
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: false, suppressible: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: true, suppressible: true, unknownFlags: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: BAD, isc: isc0, maskable: true, suppressible: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: true, suppressible: true, fault: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: true, suppressible: true, alloc: 'fail' });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'MASK', mask: true }, { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: BAD, req: 'MASK', mask: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'MAP' }, { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'UNMAP' });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'OTHER' }, { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'MASK', mask: true, fault: true });
  }
  if (has('ais') || has('mask')) {
    for (const id of ids) ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id, alloc: 'ok' });
    ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: 0, alloc: 'fail' });
    ev.push({ type: 'set_adapter_int', id: 0, summary: 'clear', alloc: 'ok' });
  }
  if (has('ais')) {
    for (const isc of p.iscs) for (const mode of [KVM_S390_AIS_MODE_ALL, KVM_S390_AIS_MODE_SINGLE]) ev.push({ type: 'KVM_DEV_FLIC_AISM', isc, mode });
    const masks = allMasks(p.iscs);
    for (const simm of masks) for (const nimm of masks) ev.push({ type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'set', simm, nimm });
    ev.push({ type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'get', size: 2 });
  }
  if (has('ais-errors')) {
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: isc0, mode: KVM_S390_AIS_MODE_SINGLE });
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: isc0, mode: 2 }, { type: 'KVM_DEV_FLIC_AISM', isc: MAX_ISC + 1, mode: KVM_S390_AIS_MODE_SINGLE });
    // the last valid ISC (modify_ais_mode's `req.isc > MAX_ISC`), outside the modelled ones: accepted, no modelled mode changes
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: MAX_ISC, mode: KVM_S390_AIS_MODE_SINGLE });
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: isc0, mode: KVM_S390_AIS_MODE_SINGLE, fault: true });
    ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: BAD, alloc: 'ok' }, { type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: 0, alloc: 'fail' });
    // an unregistered id below MAX_S390_IO_ADAPTERS, odd: flic_inject_airq looks attr->attr up as it is (1 >> 1 would be adapter 0)
    ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: 1, alloc: 'ok' });
    for (const summary of ['fault', 'clear'] as const) ev.push({ type: 'set_adapter_int', id: BAD, summary, alloc: 'ok' });
    ev.push({ type: 'set_adapter_int', id: 0, summary: 'fault', alloc: 'ok' }, { type: 'set_adapter_int', id: 0, summary: 'set', alloc: 'ok' });
    ev.push({ type: 'set_adapter_int', id: 0, summary: 'clear', alloc: 'fail' });
    ev.push({ type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'set', simm: 0, nimm: 0, fault: true });
    ev.push({ type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'get', size: 1 }, { type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'get', size: 2, fault: true });
  }
  return ev;
}

/** Every subset of the ISC bits (0x80 >> isc) of `iscs`. */
export function allMasks(iscs: readonly number[]): number[] {
  const out = [0];
  for (const isc of iscs) for (const m of [...out]) out.push(m | (0x80 >> isc));
  return out.sort((a, b) => a - b);
}

/** The events of the FLIC machine with their payloads. */
export type FlicEvent =
  | { type: 'KVM_CREATE_DEVICE'; test: boolean }
  | { type: 'KVM_CREATE_VCPU' }
  | { type: 'KVM_ENABLE_CAP'; cap: 'KVM_CAP_S390_AIS' }
  | { type: 'KVM_CHECK_EXTENSION'; cap: 'KVM_CAP_S390_AIS' | 'KVM_CAP_S390_AIS_MIGRATION' }
  | { type: 'KVM_HAS_DEVICE_ATTR' | 'KVM_SET_DEVICE_ATTR' | 'KVM_GET_DEVICE_ATTR'; group: number }
  | { type: 'KVM_DEV_FLIC_APF_ENABLE' | 'KVM_DEV_FLIC_APF_DISABLE_WAIT' | 'KVM_DEV_FLIC_CLEAR_IRQS' }
  | {
      type: 'KVM_DEV_FLIC_ENQUEUE';
      len?: 'unaligned' | 'too_big';
      count?: number;
      irq?: IrqKind;
      /** io: the subchannel (default A) */
      schid?: Subchannel;
      /** io and ai: the ISC of the interruption word (default 3) */
      isc?: number;
      failAt?: number;
      err?: 'EFAULT' | 'EINVAL' | 'ENOMEM';
    }
  | { type: 'KVM_DEV_FLIC_GET_ALL_IRQS'; len?: 'zero' | 'too_big'; slots?: number; alloc?: 'fail'; copy?: 'fault' }
  | { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ'; schid: number; flags?: number; size?: number; fault?: boolean }
  | {
      type: 'KVM_DEV_FLIC_ADAPTER_REGISTER';
      id: number;
      isc: number;
      maskable: boolean;
      suppressible: boolean;
      /** flags carries bits other than KVM_S390_ADAPTER_SUPPRESSIBLE ("Unknown flag values are ignored") */
      unknownFlags?: boolean;
      fault?: boolean;
      alloc?: 'fail';
    }
  | { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY'; id: number; req: 'MASK' | 'MAP' | 'UNMAP' | 'OTHER'; mask?: boolean; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_AISM'; isc: number; mode: number; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_AIRQ_INJECT'; id: number; alloc: 'ok' | 'fail' }
  | { type: 'set_adapter_int'; id: number; summary: 'clear' | 'set' | 'fault'; alloc: 'ok' | 'fail' }
  | { type: 'KVM_DEV_FLIC_AISM_ALL'; dir: 'set'; simm: number; nimm: number; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_AISM_ALL'; dir: 'get'; size: number; fault?: boolean }
  | { type: '__deliver_io'; isc: number }
  | { type: '__deliver_service' | '__deliver_machine_check' | '__deliver_virtio' | '__deliver_pfault_done' }
  | { type: 'handle_tpi' }
  | { type: 'handle_tsch'; schid: number }
  | { type: 'kvm_arch_async_page_not_present' | 'kvm_arch_async_page_present' };
