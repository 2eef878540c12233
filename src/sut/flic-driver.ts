// Drives the FLIC transcription (src/sut/flic.ts) with the machine's events: each event
// becomes the ioctl arguments userspace would pass (a kvm_device_attr and the user memory
// it points to, with faults and allocation failures where the payload asks for them), and
// the kernel's state is projected back onto the machine's vocabulary for comparison.
import type { EventObject } from 'xstate';
import type { AbstractState } from '../spec.ts';
import type { Conformance, SystemUnderTest } from '../paths/cover.ts';
import { SCHID, type FlicEvent, type FlicParams } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import { modeOf, type FlicContext, type Mode } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
import {
  AIS_MODE_MASK,
  Allocator,
  KVM_CREATE_DEVICE_TEST,
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AIRQ_INJECT,
  KVM_DEV_FLIC_AISM,
  KVM_DEV_FLIC_AISM_ALL,
  KVM_DEV_FLIC_APF_DISABLE_WAIT,
  KVM_DEV_FLIC_APF_ENABLE,
  KVM_DEV_FLIC_CLEAR_IO_IRQ,
  KVM_DEV_FLIC_CLEAR_IRQS,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  KVM_DEV_TYPE_FLIC,
  KVM_S390_ADAPTER_SUPPRESSIBLE,
  KVM_S390_FLIC_MAX_BUFFER,
  KVM_S390_INT_IO,
  KVM_S390_IO_ADAPTER_MAP,
  KVM_S390_IO_ADAPTER_MASK,
  KVM_S390_IO_ADAPTER_UNMAP,
  KVM_S390_PROGRAM_INT,
  Kvm,
  SIZEOF_KVM_S390_IRQ,
  UserMemory,
  type KvmDeviceAttr,
  type KvmS390Irq,
} from './flic.ts';

/** Where the driver puts the user buffer of every attribute (kvm_device_attr.addr). */
export const ADDR = 0x1000;
const attr = (group: number, a: number, flags = 0): KvmDeviceAttr => ({ flags, group, attr: a, addr: ADDR });

/** The bounded kernel state in the machine's terms. */
export interface FlicObservation {
  value: string;
  vcpus: number;
  fac72: boolean;
  pfault: boolean;
  adapters: ({ isc: number; maskable: boolean; masked: boolean; suppressible: boolean } | null)[];
  ais: Mode[];
  ipm: number;
  io: number;
  rc: number;
  suppressed: boolean;
  out: Mode[] | null;
}

export class FlicSut implements SystemUnderTest {
  readonly kvm = new Kvm();
  rc = 0;
  out: Mode[] | null = null;
  /** The user memory of the last event: what a GET copied out is at ADDR. */
  user = new UserMemory();
  constructor(readonly params: FlicParams) {}

  apply(e: EventObject): void {
    const ev = e as FlicEvent;
    const k = this.kvm;
    const u = (this.user = new UserMemory());
    k.mem = new Allocator();
    k.airq_suppressed = false;
    this.out = null;
    const failAlloc = (n = 0) => (k.mem = new Allocator(n));
    switch (ev.type) {
      case 'KVM_CREATE_DEVICE':
        this.rc = k.kvm_ioctl_create_device(KVM_DEV_TYPE_FLIC, ev.test ? KVM_CREATE_DEVICE_TEST : 0);
        return;
      case 'KVM_CREATE_VCPU':
        this.rc = k.kvm_vm_ioctl_create_vcpu();
        return;
      case 'KVM_ENABLE_CAP':
        this.rc = k.kvm_vm_ioctl_enable_cap(ev.cap);
        return;
      case 'KVM_CHECK_EXTENSION':
        this.rc = k.kvm_vm_ioctl_check_extension(ev.cap);
        return;
      case 'KVM_HAS_DEVICE_ATTR':
        this.rc = k.flic_has_attr(attr(ev.group, 0));
        return;
      case 'KVM_SET_DEVICE_ATTR':
        this.rc = k.flic_set_attr(u, attr(ev.group, 0));
        return;
      case 'KVM_GET_DEVICE_ATTR':
        this.rc = k.flic_get_attr(u, attr(ev.group, 0));
        return;
      case 'KVM_DEV_FLIC_APF_ENABLE':
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_APF_ENABLE, 0));
        return;
      case 'KVM_DEV_FLIC_APF_DISABLE_WAIT':
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_APF_DISABLE_WAIT, 0));
        return;
      case 'KVM_DEV_FLIC_CLEAR_IRQS':
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_CLEAR_IRQS, 0));
        return;
      case 'KVM_DEV_FLIC_ENQUEUE': {
        let len = (ev.count ?? 0) * SIZEOF_KVM_S390_IRQ;
        if (ev.len === 'unaligned') len = SIZEOF_KVM_S390_IRQ + 1;
        if (ev.len === 'too_big') len = (Math.floor(KVM_S390_FLIC_MAX_BUFFER / SIZEOF_KVM_S390_IRQ) + 1) * SIZEOF_KVM_S390_IRQ;
        for (let i = 0; i < (ev.count ?? 0); i++) {
          const addr = ADDR + i * SIZEOF_KVM_S390_IRQ;
          if (ev.failAt === i && ev.err === 'EFAULT') continue;
          if (ev.failAt === i && ev.err === 'ENOMEM') failAlloc(i);
          const isc = ev.isc ?? 3;
          const irq: KvmS390Irq =
            ev.failAt === i && ev.err === 'EINVAL'
              ? { type: KVM_S390_PROGRAM_INT }
              : ev.irq === 'ai'
                ? { type: KVM_S390_INT_IO(1, 0, 0, 0), io: { subchannel_id: 0, subchannel_nr: 0, io_int_parm: 0, io_int_word: ((isc << 27) | 0x80000000) >>> 0 } }
                : { type: KVM_S390_INT_IO(0, 0, 0, SCHID & 0xffff), io: { subchannel_id: SCHID >>> 16, subchannel_nr: SCHID & 0xffff, io_int_parm: 0, io_int_word: ((3 << 27) | 0x80000000) >>> 0 } };
          u.put(addr, irq);
        }
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_ENQUEUE, len));
        return;
      }
      case 'KVM_DEV_FLIC_GET_ALL_IRQS': {
        let len = (ev.slots ?? 0) * SIZEOF_KVM_S390_IRQ;
        if (ev.slots === 0) len = SIZEOF_KVM_S390_IRQ / 2;
        if (ev.len === 'zero') len = 0;
        if (ev.len === 'too_big') len = KVM_S390_FLIC_MAX_BUFFER + 1;
        if (ev.alloc === 'fail') failAlloc(0);
        if (ev.copy !== 'fault') u.put(ADDR, null);
        this.rc = k.flic_get_attr(u, attr(KVM_DEV_FLIC_GET_ALL_IRQS, len));
        return;
      }
      case 'KVM_DEV_FLIC_CLEAR_IO_IRQ':
        if (!ev.fault) u.put(ADDR, ev.schid);
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_CLEAR_IO_IRQ, ev.size ?? 4, ev.flags ?? 0));
        return;
      case 'KVM_DEV_FLIC_ADAPTER_REGISTER':
        if (!ev.fault) u.put(ADDR, { id: ev.id, isc: ev.isc, maskable: ev.maskable ? 1 : 0, swap: 0, flags: ev.suppressible ? KVM_S390_ADAPTER_SUPPRESSIBLE : 0 });
        if (ev.alloc === 'fail') failAlloc(0);
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_ADAPTER_REGISTER, 0));
        return;
      case 'KVM_DEV_FLIC_ADAPTER_MODIFY': {
        const type = { MASK: KVM_S390_IO_ADAPTER_MASK, MAP: KVM_S390_IO_ADAPTER_MAP, UNMAP: KVM_S390_IO_ADAPTER_UNMAP, OTHER: 9 }[ev.req];
        if (!ev.fault) u.put(ADDR, { id: ev.id, type, mask: ev.mask ? 1 : 0, addr: 0 });
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_ADAPTER_MODIFY, 0));
        return;
      }
      case 'KVM_DEV_FLIC_AISM':
        if (!ev.fault) u.put(ADDR, { isc: ev.isc, mode: ev.mode });
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_AISM, 0));
        return;
      case 'KVM_DEV_FLIC_AIRQ_INJECT':
        if (ev.alloc === 'fail') failAlloc(0);
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_AIRQ_INJECT, ev.id));
        return;
      case 'KVM_DEV_FLIC_AISM_ALL':
        if (ev.dir === 'set') {
          if (!ev.fault) u.put(ADDR, { simm: ev.simm, nimm: ev.nimm });
          this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_AISM_ALL, 2));
        } else {
          if (!ev.fault) u.put(ADDR, null);
          this.rc = k.flic_get_attr(u, attr(KVM_DEV_FLIC_AISM_ALL, ev.size));
          const got = u.read<{ simm: number; nimm: number }>(ADDR);
          if (this.rc === 0 && got) this.out = this.modes(got.simm, got.nimm);
        }
        return;
      case 'set_adapter_int':
        if (ev.alloc === 'fail') failAlloc(0);
        this.rc = k.set_adapter_int(ev.id, 1, ev.summary === 'fault' ? 'fault' : ev.summary === 'set' ? 'summary_was_set' : 'summary_was_clear');
        return;
    }
  }

  private modes(simm: number, nimm: number): Mode[] {
    return this.params.iscs.map((isc) => modeOf(!!(simm & AIS_MODE_MASK(isc)), !!(nimm & AIS_MODE_MASK(isc))));
  }

  observe(): FlicObservation {
    const k = this.kvm;
    const io = k.fi.lists.flat().filter((i) => ((i.io.subchannel_id << 16) | i.io.subchannel_nr) >>> 0 === SCHID).length;
    return {
      value: k.flic ? 'flic' : 'no_flic',
      vcpus: k.created_vcpus,
      fac72: k.test_kvm_facility(72),
      pfault: k.gmap.pfault_enabled === 1,
      adapters: Array.from({ length: this.params.adapters }, (_, id) => {
        const a = k.adapters[id];
        return a ? { isc: a.isc, maskable: a.maskable, masked: a.masked, suppressible: a.suppressible } : null;
      }),
      ais: this.modes(k.fi.simm, k.fi.nimm),
      ipm: k.gisa.ipm,
      io,
      rc: this.rc,
      suppressed: k.airq_suppressed,
      out: this.out,
    };
  }
}

/** The machine's state projected like FlicSut.observe. */
export function expectFlic(s: AbstractState<FlicContext>): FlicObservation {
  const c = s.context;
  return {
    value: String(s.value),
    vcpus: c.vcpus,
    fac72: c.fac72,
    pfault: c.pfault,
    adapters: c.adapters.map((a) => (a ? { ...a } : null)),
    ais: [...c.ais],
    ipm: c.ipm,
    io: c.io,
    rc: c.last.rc,
    suppressed: c.last.suppressed,
    out: c.last.out ? [...c.last.out] : null,
  };
}

export function flicConformance(params: FlicParams): Conformance<FlicSut> {
  return {
    create: () => new FlicSut(params),
    observe: (s) => s.observe(),
    expect: (st) => expectFlic(st as AbstractState<FlicContext>),
  };
}
