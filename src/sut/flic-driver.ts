// Drives the FLIC transcription (src/sut/flic.ts) with the machine's events: each event
// becomes the ioctl arguments userspace would pass (a kvm_device_attr and the user memory
// it points to, with faults and allocation failures where the payload asks for them), and
// the kernel's state is projected back onto the machine's vocabulary for comparison.
import type { EventObject } from 'xstate';
import type { AbstractState } from '../spec.ts';
import type { Conformance, SystemUnderTest } from '../paths/cover.ts';
import { SUBCHANNELS, type FlicEvent, type FlicParams, type Irq, type Subchannel } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import { modeOf, pendingOf, type FlicContext, type Mode } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
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
  KVM_S390_INT_IO_AI_MASK,
  KVM_S390_INT_IO_MAX,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_MCHK,
  KVM_S390_IO_ADAPTER_MAP,
  KVM_S390_IO_ADAPTER_MASK,
  KVM_S390_IO_ADAPTER_UNMAP,
  KVM_S390_PROGRAM_INT,
  Kvm,
  SIZEOF_KVM_S390_IRQ,
  UserMemory,
  Vcpu,
  type IoInfo,
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
  /** async page faults queued whose work has not run */
  apf: number;
  adapters: ({ isc: number; maskable: boolean; masked: boolean; suppressible: boolean } | null)[];
  ais: Mode[];
  ipm: number;
  /** every pending floating interruption, in GET_ALL_IRQS order */
  pending: Irq[];
  /** fi->lists[] in the machine's names, the service signal and the floating machine check pending */
  list: Irq[];
  service: boolean;
  mchk: boolean;
  rc: number;
  suppressed: boolean;
  /** AISM_ALL get: the modes copied out; GET_ALL_IRQS with rc >= 0: the interruptions copied out */
  out: Mode[] | null;
  got: Irq[] | null;
  /** a WARN_ON fired */
  warned: boolean;
}

/** A subchannel-identification word as the machine names it. */
function subchannelOf(io: IoInfo): Subchannel | '?' {
  const schid = ((io.subchannel_id << 16) | io.subchannel_nr) >>> 0;
  return (Object.keys(SUBCHANNELS) as Subchannel[]).find((k) => SUBCHANNELS[k] === schid) ?? '?';
}
const iscOf = (io: IoInfo): number => (io.io_int_word & 0x38000000) >>> 27;
/** A struct kvm_s390_irq (or kvm_s390_interrupt_info) as the machine names it. */
export function irqName(irq: { type: number; io?: IoInfo }): Irq {
  const t = irq.type >>> 0;
  if (t === KVM_S390_INT_SERVICE) return 'service';
  if (t === KVM_S390_MCHK) return 'mchk';
  if (t === KVM_S390_INT_VIRTIO) return 'virtio';
  if (t === KVM_S390_INT_PFAULT_DONE) return 'pfault';
  if (t <= KVM_S390_INT_IO_MAX && irq.io) return t & KVM_S390_INT_IO_AI_MASK ? `ai:${iscOf(irq.io)}` : `io:${subchannelOf(irq.io)}:${iscOf(irq.io)}`;
  return `?${t}`;
}
const ALL_ISCS = (0xff << 24) >>> 0;

export class FlicSut implements SystemUnderTest {
  readonly kvm: Kvm;
  readonly vcpu: Vcpu;
  rc = 0;
  out: Mode[] | null = null;
  got: Irq[] | null = null;
  /** The user memory of the last event: what a GET copied out is at ADDR. */
  user = new UserMemory();
  constructor(readonly params: FlicParams) {
    this.kvm = new Kvm({ gisa: params.gisa });
    this.vcpu = new Vcpu(this.kvm);
  }

  apply(e: EventObject): void {
    const ev = e as FlicEvent;
    const k = this.kvm;
    const u = (this.user = new UserMemory());
    k.mem = new Allocator();
    k.airq_suppressed = false;
    this.out = null;
    this.got = null;
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
          const irq: KvmS390Irq = ev.failAt === i && ev.err === 'EINVAL' ? { type: KVM_S390_PROGRAM_INT } : enqueued(ev);
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
        if (this.rc >= 0) this.got = this.rc > 0 ? (u.read<KvmS390Irq[]>(ADDR) ?? []).map(irqName) : [];
        return;
      }
      case 'KVM_DEV_FLIC_CLEAR_IO_IRQ':
        if (!ev.fault) u.put(ADDR, ev.schid);
        this.rc = k.flic_set_attr(u, attr(KVM_DEV_FLIC_CLEAR_IO_IRQ, ev.size ?? 4, ev.flags ?? 0));
        return;
      case 'KVM_DEV_FLIC_ADAPTER_REGISTER':
        if (!ev.fault) u.put(ADDR, { id: ev.id, isc: ev.isc, maskable: ev.maskable ? 1 : 0, swap: 0, flags: (ev.suppressible ? KVM_S390_ADAPTER_SUPPRESSIBLE : 0) | (ev.unknownFlags ? 0x80 : 0) });
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
      // a vcpu enabled for the interruption delivers it (kvm_s390_deliver_pending_interrupts picks it)
      case '__deliver_io':
        this.vcpu.__deliver_io(ev.isc);
        this.rc = 0;
        return;
      case '__deliver_service':
        this.vcpu.__deliver_service();
        this.rc = 0;
        return;
      case '__deliver_machine_check':
        this.vcpu.__deliver_machine_check();
        this.rc = 0;
        return;
      case '__deliver_virtio':
        this.vcpu.__deliver_virtio();
        this.rc = 0;
        return;
      case '__deliver_pfault_done':
        this.vcpu.__deliver_pfault_done();
        this.rc = 0;
        return;
      case 'handle_tpi':
        this.vcpu.handle_tpi(ALL_ISCS);
        this.rc = 0;
        return;
      case 'handle_tsch':
        this.vcpu.handle_tsch(ALL_ISCS, ev.schid);
        this.rc = 0;
        return;
      case 'kvm_arch_async_page_not_present':
        k.kvm_arch_setup_async_pf(0x1000);
        this.rc = 0;
        return;
      case 'kvm_arch_async_page_present': {
        const work = k.vcpu.async_pf.queue.find((w) => !w.executed);
        this.rc = work ? k.async_pf_execute(work) : 0;
        return;
      }
    }
  }

  private modes(simm: number, nimm: number): Mode[] {
    return this.params.iscs.map((isc) => modeOf(!!(simm & AIS_MODE_MASK(isc)), !!(nimm & AIS_MODE_MASK(isc))));
  }

  observe(): FlicObservation {
    const k = this.kvm;
    const fi = k.fi;
    const gisa: Irq[] = [];
    for (let isc = 0; isc <= 7; isc++) if (k.gisa && k.gisa.ipm & AIS_MODE_MASK(isc)) gisa.push(`ai:${isc}`);
    const service = (fi.pending_irqs & ((1 << 13) | (1 << 14))) !== 0;
    const mchk = (fi.pending_irqs & (1 << 15)) !== 0;
    return {
      value: k.flic ? 'flic' : 'no_flic',
      vcpus: k.created_vcpus,
      fac72: k.test_kvm_facility(72),
      pfault: k.gmap.pfault_enabled === 1,
      apf: k.vcpu.async_pf.queue.filter((w) => !w.executed).length,
      adapters: Array.from({ length: this.params.adapters }, (_, id) => {
        const a = k.adapters[id];
        return a ? { isc: a.isc, maskable: a.maskable, masked: a.masked, suppressible: a.suppressible } : null;
      }),
      ais: this.modes(fi.simm, fi.nimm),
      ipm: k.gisa?.ipm ?? 0,
      pending: [...gisa, ...fi.lists.flat().map(irqName), ...(service ? ['service'] : []), ...(mchk ? ['mchk'] : [])],
      list: fi.lists.flat().map(irqName),
      service,
      mchk,
      rc: this.rc,
      suppressed: k.airq_suppressed,
      out: this.out,
      got: this.got,
      warned: k.warnings.length > 0,
    };
  }
}

/** The struct kvm_s390_irq userspace enqueues for an ENQUEUE payload's element. */
function enqueued(ev: Extract<FlicEvent, { type: 'KVM_DEV_FLIC_ENQUEUE' }>): KvmS390Irq {
  const word = (isc: number) => ((isc << 27) | 0x80000000) >>> 0;
  switch (ev.irq ?? 'io') {
    case 'ai':
      return { type: KVM_S390_INT_IO(1, 0, 0, 0), io: { subchannel_id: 0, subchannel_nr: 0, io_int_parm: 0, io_int_word: word(ev.isc ?? 3) } };
    case 'service':
      // an SCCB address (SCCB_MASK bits): IRQ_PEND_EXT_SERVICE
      return { type: KVM_S390_INT_SERVICE, ext: { ext_params: 0x7000, ext_params2: 0 } };
    case 'mchk':
      return { type: KVM_S390_MCHK, mchk: { cr14: 1 << 28, mcic: 0x40000000 } };
    case 'virtio':
      return { type: KVM_S390_INT_VIRTIO, ext: { ext_params: 0, ext_params2: 0x1234 } };
    case 'pfault':
      return { type: KVM_S390_INT_PFAULT_DONE, ext: { ext_params: 0, ext_params2: 0x1000 } };
    default: {
      const schid = SUBCHANNELS[ev.schid ?? 'A'];
      return { type: KVM_S390_INT_IO(0, 0, 0, schid & 0xffff), io: { subchannel_id: schid >>> 16, subchannel_nr: schid & 0xffff, io_int_parm: 0, io_int_word: word(3) } };
    }
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
    apf: c.apf,
    adapters: c.adapters.map((a) => (a ? { ...a } : null)),
    ais: [...c.ais],
    ipm: c.ipm,
    pending: pendingOf(c),
    list: [...c.list],
    service: c.service,
    mchk: c.mchk,
    rc: c.last.rc,
    suppressed: c.last.suppressed,
    out: c.last.out ? [...c.last.out] : null,
    got: c.last.got ? [...c.last.got] : null,
    warned: false,
  };
}

export function flicConformance(params: FlicParams): Conformance<FlicSut> {
  return {
    create: () => new FlicSut(params),
    observe: (s) => s.observe(),
    expect: (st) => expectFlic(st as AbstractState<FlicContext>),
  };
}
