// Configurations of the FLIC machine and the event payloads each one enumerates: the
// userspace arguments (struct kvm_device_attr, kvm_s390_io_adapter, kvm_s390_ais_req,
// kvm_s390_ais_all) and the outcomes the kernel cannot choose (a failing kzalloc or vzalloc,
// a faulting copy_from_user, the guest's summary indicator).
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
/** The one subchannel whose classic I/O interruptions the bounds enqueue (schid 0.0.0001, ssid 0). */
export const SCHID = 0x00010001;
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
} as const;
export type Errno = keyof typeof E;

export interface FlicParams {
  /** Guest ISCs the bounds use (0..7); each has its own AIS mode. */
  iscs: readonly number[];
  /** Adapter ids 0..adapters-1 may be registered (id 64 is enumerated too, to be refused). */
  adapters: number;
  /** KVM_CREATE_VCPU may run this many times. */
  vcpus: number;
  /** Classic I/O interruptions pending for SCHID, at most (an exploration bound). */
  io: number;
  /** Which event families the configuration enumerates. */
  families: readonly Family[];
}

/** Event families, so a configuration can focus on AIS, on refusals or on the interrupt list. */
export type Family = 'vm' | 'attr' | 'apf' | 'irqs' | 'adapter' | 'adapter-errors' | 'ais' | 'ais-errors';

export const CONFIGURATIONS: readonly (ConfigurationInfo & { params: FlicParams })[] = [
  {
    id: 'ais',
    description: 'AIS on ISC 3 with one adapter: KVM_CAP_S390_AIS, AISM, AIRQ_INJECT, set_adapter_int, AISM_ALL',
    params: { iscs: [3], adapters: 1, vcpus: 0, io: 0, families: ['vm', 'adapter', 'ais'] },
  },
  {
    id: 'errors',
    description: 'every refusal: unknown groups and ids, faults, failed allocations, bad ISC and mode, before and after the capability',
    params: { iscs: [3], adapters: 1, vcpus: 1, io: 0, families: ['vm', 'attr', 'adapter-errors', 'ais-errors'] },
  },
  {
    id: 'irqs',
    description: 'the floating interrupt list and the GISA IPM on ISC 3, one subchannel: ENQUEUE, GET_ALL_IRQS, CLEAR_IRQS, CLEAR_IO_IRQ, APF',
    params: { iscs: [3], adapters: 1, vcpus: 0, io: 2, families: ['apf', 'irqs'] },
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
    ev.push({ type: 'KVM_SET_DEVICE_ATTR', group: GROUP.KVM_DEV_FLIC_GET_ALL_IRQS }, { type: 'KVM_SET_DEVICE_ATTR', group: UNKNOWN_GROUP });
    ev.push({ type: 'KVM_GET_DEVICE_ATTR', group: GROUP.KVM_DEV_FLIC_ENQUEUE }, { type: 'KVM_GET_DEVICE_ATTR', group: UNKNOWN_GROUP });
  }
  if (has('apf')) ev.push({ type: 'KVM_DEV_FLIC_APF_ENABLE' }, { type: 'KVM_DEV_FLIC_APF_DISABLE_WAIT' });
  if (has('irqs')) {
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IRQS' });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', len: 'unaligned' }, { type: 'KVM_DEV_FLIC_ENQUEUE', len: 'too_big' }, { type: 'KVM_DEV_FLIC_ENQUEUE', count: 0 });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io' }, { type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'ai', isc: isc0 });
    for (const err of ['EFAULT', 'EINVAL', 'ENOMEM'] as const) ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, irq: 'io', failAt: 0, err });
    ev.push({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 2, irq: 'ai', isc: isc0, failAt: 1, err: 'EFAULT' });
    for (const len of ['zero', 'too_big'] as const) ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', len });
    for (const slots of [0, 1, 2]) ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots });
    ev.push({ type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots: 2, alloc: 'fail' }, { type: 'KVM_DEV_FLIC_GET_ALL_IRQS', slots: 2, copy: 'fault' });
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: 0 });
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: 0x00010002 }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID, flags: 1 });
    ev.push({ type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID, size: 8 }, { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ', schid: SCHID, fault: true });
  }
  if (has('adapter')) {
    for (const id of ids) {
      ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id, isc: p.iscs[id % p.iscs.length] ?? isc0, maskable: true, suppressible: true });
      ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id, isc: p.iscs[id % p.iscs.length] ?? isc0, maskable: false, suppressible: false });
      if (id === 0) for (const mask of [true, false]) ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id, req: 'MASK', mask });
    }
  }
  if (has('adapter-errors')) {
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: false, suppressible: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: BAD, isc: isc0, maskable: true, suppressible: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: true, suppressible: true, fault: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_REGISTER', id: 0, isc: isc0, maskable: true, suppressible: true, alloc: 'fail' });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'MASK', mask: true }, { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: BAD, req: 'MASK', mask: true });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'MAP' }, { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'UNMAP' });
    ev.push({ type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'OTHER' }, { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY', id: 0, req: 'MASK', mask: true, fault: true });
  }
  if (has('ais')) {
    for (const isc of p.iscs) for (const mode of [KVM_S390_AIS_MODE_ALL, KVM_S390_AIS_MODE_SINGLE]) ev.push({ type: 'KVM_DEV_FLIC_AISM', isc, mode });
    for (const id of ids) ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id, alloc: 'ok' });
    ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: 0, alloc: 'fail' });
    ev.push({ type: 'set_adapter_int', id: 0, summary: 'clear', alloc: 'ok' });
    const masks = allMasks(p.iscs);
    for (const simm of masks) for (const nimm of masks) ev.push({ type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'set', simm, nimm });
    ev.push({ type: 'KVM_DEV_FLIC_AISM_ALL', dir: 'get', size: 2 });
  }
  if (has('ais-errors')) {
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: isc0, mode: KVM_S390_AIS_MODE_SINGLE });
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: isc0, mode: 2 }, { type: 'KVM_DEV_FLIC_AISM', isc: MAX_ISC + 1, mode: KVM_S390_AIS_MODE_SINGLE });
    ev.push({ type: 'KVM_DEV_FLIC_AISM', isc: isc0, mode: KVM_S390_AIS_MODE_SINGLE, fault: true });
    ev.push({ type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: BAD, alloc: 'ok' }, { type: 'KVM_DEV_FLIC_AIRQ_INJECT', id: 0, alloc: 'fail' });
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
      irq?: 'io' | 'ai';
      isc?: number;
      failAt?: number;
      err?: 'EFAULT' | 'EINVAL' | 'ENOMEM';
    }
  | { type: 'KVM_DEV_FLIC_GET_ALL_IRQS'; len?: 'zero' | 'too_big'; slots?: number; alloc?: 'fail'; copy?: 'fault' }
  | { type: 'KVM_DEV_FLIC_CLEAR_IO_IRQ'; schid: number; flags?: number; size?: number; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_ADAPTER_REGISTER'; id: number; isc: number; maskable: boolean; suppressible: boolean; fault?: boolean; alloc?: 'fail' }
  | { type: 'KVM_DEV_FLIC_ADAPTER_MODIFY'; id: number; req: 'MASK' | 'MAP' | 'UNMAP' | 'OTHER'; mask?: boolean; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_AISM'; isc: number; mode: number; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_AIRQ_INJECT'; id: number; alloc: 'ok' | 'fail' }
  | { type: 'set_adapter_int'; id: number; summary: 'clear' | 'set' | 'fault'; alloc: 'ok' | 'fail' }
  | { type: 'KVM_DEV_FLIC_AISM_ALL'; dir: 'set'; simm: number; nimm: number; fault?: boolean }
  | { type: 'KVM_DEV_FLIC_AISM_ALL'; dir: 'get'; size: number; fault?: boolean };
