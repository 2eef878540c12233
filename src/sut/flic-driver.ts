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
  /**
   * What a delivery, TPI or TSCH gave the guest (null for any other event or when nothing was
   * taken): the interruption the step removed; for an I/O interruption the subchannel id and
   * number, interruption parameter and word TPI / TSCH / the I/O new PSW store (PoP), for the
   * others the type.
   */
  delivered: KvmS390Irq | null;
  /**
   * The struct kvm_s390_irq of every pending floating interruption in fi->lists[] and, after a
   * GET_ALL_IRQS with rc > 0, of every one copied out: the payload userspace enqueued (or the
   * kernel injected, PFAULT_DONE's token) must come back unchanged (s390_flic.rst: ENQUEUE
   * "injects" the kvm_s390_irq, GET_ALL_IRQS "copies all floating interrupts" into the buffer).
   */
  listed: KvmS390Irq[];
  copied: KvmS390Irq[] | null;
  /** fi->srv_signal and fi->mchk: the coalesced payloads, zero when nothing of the kind is pending */
  signals: { srv: number; srv2: number; cr14: number; mcic: number };
  /**
   * The kernel's bookkeeping the pending interruptions determine (interrupt.c): fi->counters[]
   * (FIRQ_CNTR_IO/SERVICE/VIRTIO/PFAULT: the elements of the lists, checked against
   * KVM_S390_MAX_FLOAT_IRQS and friends) and fi->pending_irqs (one irq_types bit per nonempty
   * list, the service and machine-check bits): a drifting counter or a lost bit is a later
   * -EBUSY or an interruption never delivered.
   */
  counters: number[];
  pending_irqs: number;
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
  copied: KvmS390Irq[] | null = null;
  delivered: KvmS390Irq | null = null;
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
    this.copied = null;
    this.delivered = null;
    const took = (d: { type: number; io?: IoInfo } | null) => {
      this.delivered = d ? (d.io ? layout(d) : { type: d.type >>> 0 }) : null;
      this.rc = 0;
    };
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
          const irq: KvmS390Irq = ev.failAt === i && ev.err === 'EINVAL' ? { type: KVM_S390_PROGRAM_INT } : enqueued(ev, this.params);
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
        if (this.rc > 0) this.copied = (u.read<KvmS390Irq[]>(ADDR) ?? []).map(layout);
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
        return took(this.vcpu.__deliver_io(ev.isc));
      case '__deliver_service':
        return took(this.vcpu.__deliver_service());
      case '__deliver_machine_check':
        return took(this.vcpu.__deliver_machine_check());
      case '__deliver_virtio':
        return took(this.vcpu.__deliver_virtio());
      case '__deliver_pfault_done':
        return took(this.vcpu.__deliver_pfault_done());
      case 'handle_tpi':
        return took(this.vcpu.handle_tpi(ALL_ISCS));
      case 'handle_tsch':
        return took(this.vcpu.handle_tsch(ALL_ISCS, ev.schid));
      case 'kvm_arch_async_page_not_present':
        k.kvm_arch_setup_async_pf(APF_TOKEN);
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
    const service = (fi.pending_irqs & ((1 << PEND.EXT_SERVICE) | (1 << PEND.EXT_SERVICE_EV))) !== 0;
    const mchk = (fi.pending_irqs & (1 << PEND.MCHK_REP)) !== 0;
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
      delivered: this.delivered,
      listed: fi.lists.flat().map(layout),
      copied: this.copied,
      signals: { srv: fi.srv_signal.ext_params >>> 0, srv2: fi.srv_signal.ext_params2 >>> 0, cr14: fi.mchk.cr14 >>> 0, mcic: fi.mchk.mcic >>> 0 },
      counters: [...fi.counters],
      pending_irqs: fi.pending_irqs >>> 0,
    };
  }
}

/**
 * A struct kvm_s390_irq (or the kernel's kvm_s390_interrupt_info) as userspace sees it: the type
 * and the union member the type selects (inti_to_irq: ext for VIRTIO, PFAULT_*, SERVICE; io for
 * I/O; mchk for a machine check), fields in the uapi order.
 */
export function layout(irq: { type: number; io?: IoInfo; ext?: { ext_params: number; ext_params2: number }; mchk?: { cr14: number; mcic: number } }): KvmS390Irq {
  const type = irq.type >>> 0;
  const name = irqName(irq);
  if (name === 'mchk') return { type, mchk: { cr14: (irq.mchk?.cr14 ?? 0) >>> 0, mcic: (irq.mchk?.mcic ?? 0) >>> 0 } };
  if (name === 'service' || name === 'virtio' || name === 'pfault') return { type, ext: { ext_params: (irq.ext?.ext_params ?? 0) >>> 0, ext_params2: (irq.ext?.ext_params2 ?? 0) >>> 0 } };
  if (irq.io && (name.startsWith('io:') || name.startsWith('ai:')))
    return { type, io: { subchannel_id: irq.io.subchannel_id >>> 0, subchannel_nr: irq.io.subchannel_nr >>> 0, io_int_parm: irq.io.io_int_parm >>> 0, io_int_word: irq.io.io_int_word >>> 0 } };
  return { type };
}

/** The token kvm_arch_async_page_not_present queues (FlicSut passes it): PFAULT_DONE carries it back in ext_params2. */
export const APF_TOKEN = 0x1000;

/**
 * The kvm_s390_irq an interruption the machine names must read back as: what this driver
 * enqueues for it (ENQUEUE's payloads), an adapter interruption from the GISA as
 * get_all_floating_irqs builds it (KVM_S390_INT_IO(1, 0, 0, 0), the ISC's interruption word),
 * PFAULT_DONE with the async fault's token.
 */
export function expectedIrq(name: Irq, p?: Pick<FlicParams, 'sccb'>): KvmS390Irq {
  return expectedIrqOf(name, p);
}
function expectedIrqOf(name: Irq, p?: Pick<FlicParams, 'sccb'>): KvmS390Irq {
  const [kind, a, b] = name.split(':');
  const ev = (x: object) => ({ type: 'KVM_DEV_FLIC_ENQUEUE', count: 1, ...x }) as Extract<FlicEvent, { type: 'KVM_DEV_FLIC_ENQUEUE' }>;
  if (kind === 'io') {
    const irq = enqueued(ev({ irq: 'io', schid: a as Subchannel }));
    return layout({ ...irq, io: { ...irq.io!, io_int_word: (((Number(b) << 27) | 0x80000000) >>> 0) } });
  }
  if (kind === 'ai') return layout(enqueued(ev({ irq: 'ai', isc: Number(a) })));
  if (kind === 'pfault') return { type: KVM_S390_INT_PFAULT_DONE, ext: { ext_params: 0, ext_params2: APF_TOKEN } };
  return layout(enqueued(ev({ irq: kind as 'service' | 'mchk' | 'virtio' }), p));
}

// enum irq_types, arch/s390/include/asm/kvm_host_types.h (v6.17-rc4): the floating bits
const PEND = { IO_ISC_0: 10, VIRTIO: 11, PFAULT_DONE: 12, EXT_SERVICE: 15, EXT_SERVICE_EV: 16, MCHK_REP: 24 } as const;
// enum firq_cntr / firq_lists, the same header
const CNTR = { IO: 0, SERVICE: 1, VIRTIO: 2, PFAULT: 3 } as const;

/** fi->pending_irqs and fi->counters[] as the pending interruptions determine them. */
function bookkeeping(c: FlicContext, p?: Pick<FlicParams, 'sccb'>): { counters: number[]; pending_irqs: number } {
  const counters = [0, 0, 0, 0];
  let bits = 0;
  for (const x of c.list) {
    if (x === 'virtio') {
      counters[CNTR.VIRTIO]!++;
      bits |= 1 << PEND.VIRTIO;
    } else if (x === 'pfault') {
      counters[CNTR.PFAULT]!++;
      bits |= 1 << PEND.PFAULT_DONE;
    } else {
      counters[CNTR.IO]!++;
      bits |= 1 << (PEND.IO_ISC_0 - Number(x.split(':').at(-1)));
    }
  }
  // the driver's service signal carries an SCCB address and an event (__inject_service): both bits; a plain address only the first
  if (c.service) bits |= (1 << PEND.EXT_SERVICE) | (p?.sccb === 'plain' ? 0 : 1 << PEND.EXT_SERVICE_EV);
  if (c.mchk) bits |= 1 << PEND.MCHK_REP;
  return { counters, pending_irqs: bits >>> 0 };
}

/** The SCCB word of a service signal the driver enqueues (FlicParams.sccb). */
const sccbOf = (p?: Pick<FlicParams, 'sccb'>): number => (p?.sccb === 'plain' ? 0x7000 : 0x7001);

/**
 * The struct kvm_s390_irq userspace enqueues for an ENQUEUE payload's element. With a GISA an
 * adapter interruption carries the last type of the I/O range, KVM_S390_INT_IO_MAX (the AI bit
 * and every cssid/ssid/schid bit set): the GISA keeps only the ISC, and is_ioirq must take it.
 */
function enqueued(ev: Extract<FlicEvent, { type: 'KVM_DEV_FLIC_ENQUEUE' }>, p?: Partial<Pick<FlicParams, 'gisa' | 'sccb'>>): KvmS390Irq {
  const word = (isc: number) => ((isc << 27) | 0x80000000) >>> 0;
  switch (ev.irq ?? 'io') {
    case 'ai':
      return { type: p?.gisa ? KVM_S390_INT_IO_MAX : KVM_S390_INT_IO(1, 0, 0, 0), io: { subchannel_id: 0, subchannel_nr: 0, io_int_parm: 0, io_int_word: word(ev.isc ?? 3) } };
    case 'service':
      // an SCCB address (SCCB_MASK bits: IRQ_PEND_EXT_SERVICE) with an event pending (SCCB_EVENT_PENDING:
      // IRQ_PEND_EXT_SERVICE_EV). One payload cannot tell every mutant: measured against the plain
      // address 0x7000, this one kills 5 mutants (the event bit's store, test and clear) and loses 3
      // (those reading the wrong one of the two bits, now both set): configuration `iscs` enqueues the plain one
      return { type: KVM_S390_INT_SERVICE, ext: { ext_params: sccbOf(p), ext_params2: 0 } };
    case 'mchk':
      return { type: KVM_S390_MCHK, mchk: { cr14: 1 << 28, mcic: 0x40000000 } };
    case 'virtio':
      return { type: KVM_S390_INT_VIRTIO, ext: { ext_params: 0, ext_params2: 0x1234 } };
    case 'pfault':
      return { type: KVM_S390_INT_PFAULT_DONE, ext: { ext_params: 0, ext_params2: 0x1000 } };
    default: {
      const schid = SUBCHANNELS[ev.schid ?? 'A'];
      return { type: KVM_S390_INT_IO(0, 0, 0, schid & 0xffff), io: { subchannel_id: schid >>> 16, subchannel_nr: schid & 0xffff, io_int_parm: 0, io_int_word: word(ev.isc ?? 3) } };
    }
  }
}

/** The machine's state projected like FlicSut.observe (`p`: the configuration's driver payloads, FlicParams.sccb). */
export function expectFlic(s: AbstractState<FlicContext>, p?: Pick<FlicParams, 'sccb'>): FlicObservation {
  const c = s.context;
  const expectedIrq = (name: Irq) => expectedIrqOf(name, p);
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
    delivered: DELIVERIES.has(c.last.op) && c.last.removed.length > 0 ? deliveredAs(expectedIrq(c.last.removed[0]!)) : null,
    listed: c.list.map(expectedIrq),
    copied: c.last.got && c.last.rc > 0 ? c.last.got.map(expectedIrq) : null,
    signals: {
      srv: c.service ? expectedIrq('service').ext!.ext_params : 0,
      srv2: c.service ? expectedIrq('service').ext!.ext_params2 : 0,
      cr14: c.mchk ? expectedIrq('mchk').mchk!.cr14 : 0,
      mcic: c.mchk ? expectedIrq('mchk').mchk!.mcic : 0,
    },
    ...bookkeeping(c, p),
  };
}

/** What the guest gets for an interruption: the I/O fields, else the type. */
function deliveredAs(irq: KvmS390Irq): KvmS390Irq {
  return irq.io ? irq : { type: irq.type };
}

/** The guest events that take an interruption (the vcpu's deliveries, TPI, TSCH). */
const DELIVERIES = new Set(['__deliver_io', '__deliver_service', '__deliver_machine_check', '__deliver_virtio', '__deliver_pfault_done', 'handle_tpi', 'handle_tsch']);

export function flicConformance(params: FlicParams): Conformance<FlicSut> {
  return {
    create: () => new FlicSut(params),
    observe: (s) => s.observe(),
    expect: (st) => expectFlic(st as AbstractState<FlicContext>, params),
    // the last ioctl's return value, what it copied out or delivered (src/paths/refusals.ts)
    volatile: ['rc', 'suppressed', 'out', 'got', 'delivered', 'copied'],
    // a delivery, TPI or TSCH the machine refuses finds nothing pending (the kernel's test-and-clear fails): the guest gets nothing
    refused: (e) => (DELIVERIES.has(e.type) ? { delivered: null } : undefined),
  };
}
