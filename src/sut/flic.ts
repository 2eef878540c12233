// A transcription into TypeScript of the FLIC code of the pinned kernel (v6.17-rc4,
// Kingxukai/linux 9b44fff655e2; first written from the torvalds/linux interrupt.c blob of
// 002c6ca75289, the same code): arch/s390/kvm/interrupt.c, the parts of kvm-s390.c
// (enable_cap, check_extension, the async page fault hooks), priv.c (handle_tpi,
// handle_tsch), kvm_main.c (kvm_ioctl_create_device) and virt/kvm/async_pf.c it relies on:
// the bit masks fi->simm/fi->nimm, the GISA IPM byte (or no GISA), the FIRQ lists with their
// counters and pending bits, the service signal and floating machine check, kvm->arch.adapters[64],
// one running vcpu's async page fault queue, and userspace memory that copy_from_user and
// copy_to_user can fault on. Allocation failures are injected per call (kzalloc, vzalloc).
// Not transcribed: locks (single-threaded here), vcpu kicks, the guest lowcore writes of the
// deliveries (they succeed), tracepoints, PV guests, the routing table (set_adapter_int takes
// its adapter id directly), user-controlled VMs.

export const EINVAL = 22;
export const EFAULT = 14;
export const ENOMEM = 12;
export const ENOBUFS = 105;
export const EBUSY = 16;
export const EOPNOTSUPP = 95;
export const ENXIO = 6;
export const ENODEV = 19;

// include/uapi/linux/kvm.h
export const KVM_S390_MCHK = 0xfffe1000;
export const KVM_S390_PROGRAM_INT = 0xfffe0001;
export const KVM_S390_INT_PFAULT_INIT = 0xfffe0004;
export const KVM_S390_INT_PFAULT_DONE = 0xfffe0005;
export const KVM_S390_INT_SERVICE = 0xffff2401;
export const KVM_S390_INT_VIRTIO = 0xffff2603;
export const KVM_S390_INT_IO_MIN = 0x00000000;
export const KVM_S390_INT_IO_MAX = 0xfffdffff;
export const KVM_S390_INT_IO_AI_MASK = 0x04000000;
export const KVM_S390_INT_IO = (ai: number, cssid: number, ssid: number, schid: number): number =>
  (schid | (ssid << 16) | (cssid << 18) | (ai << 26)) >>> 0;
export const KVM_CREATE_DEVICE_TEST = 1;
export const KVM_DEV_TYPE_FLIC = 6;
// arch/s390/include/uapi/asm/kvm.h
export const KVM_DEV_FLIC_GET_ALL_IRQS = 1;
export const KVM_DEV_FLIC_ENQUEUE = 2;
export const KVM_DEV_FLIC_CLEAR_IRQS = 3;
export const KVM_DEV_FLIC_APF_ENABLE = 4;
export const KVM_DEV_FLIC_APF_DISABLE_WAIT = 5;
export const KVM_DEV_FLIC_ADAPTER_REGISTER = 6;
export const KVM_DEV_FLIC_ADAPTER_MODIFY = 7;
export const KVM_DEV_FLIC_CLEAR_IO_IRQ = 8;
export const KVM_DEV_FLIC_AISM = 9;
export const KVM_DEV_FLIC_AIRQ_INJECT = 10;
export const KVM_DEV_FLIC_AISM_ALL = 11;
export const KVM_S390_MAX_FLOAT_IRQS = 266250;
export const KVM_S390_FLIC_MAX_BUFFER = 0x2000000;
export const KVM_S390_ADAPTER_SUPPRESSIBLE = 0x01;
export const KVM_S390_IO_ADAPTER_MASK = 1;
export const KVM_S390_IO_ADAPTER_MAP = 2;
export const KVM_S390_IO_ADAPTER_UNMAP = 3;
export const SIZEOF_KVM_S390_IRQ = 72;
// arch/s390/include/asm/kvm_host.h, isc.h
export const MAX_ISC = 7;
export const MAX_S390_IO_ADAPTERS = (MAX_ISC + 1) * 8;
export const KVM_S390_AIS_MODE_ALL = 0;
export const KVM_S390_AIS_MODE_SINGLE = 1;
export const AIS_MODE_MASK = (isc: number): number => (0x80 >> isc) & 0xff;
export const KVM_CAP_S390_AIS = 'KVM_CAP_S390_AIS';
export const KVM_CAP_S390_AIS_MIGRATION = 'KVM_CAP_S390_AIS_MIGRATION';

const FIRQ_LIST_IO_ISC_0 = 0;
const FIRQ_LIST_PFAULT = 8;
const FIRQ_LIST_VIRTIO = 9;
const FIRQ_LIST_COUNT = 10;
const FIRQ_CNTR_IO = 0;
const FIRQ_CNTR_VIRTIO = 2;
const FIRQ_CNTR_PFAULT = 3;
const FIRQ_MAX_COUNT = 4;
// enum irq_types (arch/s390/include/asm/kvm_host_types.h): bit numbers of pending_irqs
const IRQ_PEND_IO_ISC_0 = 10;
const IRQ_PEND_VIRTIO = 11;
const IRQ_PEND_PFAULT_DONE = 12;
const IRQ_PEND_EXT_SERVICE = 15;
const IRQ_PEND_EXT_SERVICE_EV = 16;
const IRQ_PEND_MCHK_REP = 24;
// async_pf.c / kvm_host.h
const ASYNC_PF_PER_VCPU = 64;
const KVM_MAX_VCPUS = 255;
const SCCB_EVENT_PENDING = 0x3;
const SCCB_MASK = 0xfffffff8;

export interface IoInfo {
  subchannel_id: number;
  subchannel_nr: number;
  io_int_parm: number;
  io_int_word: number;
}
/** struct kvm_s390_irq as userspace lays it out (72 bytes; the union kept as its members). */
export interface KvmS390Irq {
  type: number;
  io?: IoInfo;
  ext?: { ext_params: number; ext_params2: number };
  mchk?: { cr14: number; mcic: number };
}
/** struct kvm_s390_interrupt_info */
interface Inti {
  type: number;
  io: IoInfo;
  ext: { ext_params: number; ext_params2: number };
  mchk: { cr14: number; mcic: number };
}
/** struct s390_io_adapter */
export interface S390IoAdapter {
  id: number;
  isc: number;
  maskable: boolean;
  masked: boolean;
  swap: number;
  suppressible: boolean;
}
/** struct kvm_device_attr */
export interface KvmDeviceAttr {
  flags: number;
  group: number;
  attr: number;
  addr: number;
}

/** Userspace memory: objects at addresses; an unmapped address faults. */
export class UserMemory {
  private readonly m = new Map<number, unknown>();
  put(addr: number, value: unknown): void {
    this.m.set(addr, value);
  }
  /** copy_from_user / get_user: undefined means -EFAULT. */
  read<T>(addr: number): T | undefined {
    return this.m.get(addr) as T | undefined;
  }
  /** copy_to_user: false means -EFAULT. */
  write(addr: number, value: unknown): boolean {
    if (!this.m.has(addr)) return false;
    this.m.set(addr, value);
    return true;
  }
}

/** kzalloc/vzalloc with injectable failures: `failAt` counts calls from 0. */
export class Allocator {
  private calls = 0;
  constructor(private readonly failAt = -1) {}
  alloc(): boolean {
    return this.calls++ !== this.failAt;
  }
}

const isc_to_int_word = (isc: number): number => ((isc << 27) | 0x80000000) >>> 0;
const int_word_to_isc = (w: number): number => (w & 0x38000000) >>> 27;
const isc_to_irq_type = (isc: number): number => IRQ_PEND_IO_ISC_0 - isc;
const isc_to_isc_bits = (isc: number): number => (0x80 >> isc) << 24;
const isIo = (t: number): boolean => t >= KVM_S390_INT_IO_MIN && t <= KVM_S390_INT_IO_MAX;
const emptyInti = (): Inti => ({
  type: 0,
  io: { subchannel_id: 0, subchannel_nr: 0, io_int_parm: 0, io_int_word: 0 },
  ext: { ext_params: 0, ext_params2: 0 },
  mchk: { cr14: 0, mcic: 0 },
});

/** struct kvm_async_pf: queued on vcpu->async_pf.queue; its work (async_pf_execute) runs once. */
interface KvmAsyncPf {
  executed: boolean;
  token: number;
}

/** struct kvm with the s390 parts the FLIC touches, and the FLIC's kvm_device_ops. */
export class Kvm {
  /** gi->origin set (css_general_characteristics.aiv): adapter interruptions go to the GISA IPM. */
  constructor(opts: { gisa?: boolean } = {}) {
    this.gisa = opts.gisa === false ? null : { ipm: 0 };
  }
  created_vcpus = 0;
  /** kvm->arch.model.fac_mask / fac_list, bit 72 only */
  fac_mask_72 = false;
  fac_list_72 = false;
  /** kvm->arch.flic */
  flic: object | null = null;
  adapters: (S390IoAdapter | null)[] = Array.from({ length: MAX_S390_IO_ADAPTERS }, () => null);
  readonly fi = {
    simm: 0,
    nimm: 0,
    pending_irqs: 0,
    masked_irqs: 0,
    lists: Array.from({ length: FIRQ_LIST_COUNT }, (): Inti[] => []),
    counters: Array.from({ length: FIRQ_MAX_COUNT }, () => 0),
    srv_signal: { ext_params: 0, ext_params2: 0 },
    mchk: { cr14: 0, mcic: 0 },
  };
  /** gi->origin, or null without a GISA; only the IPM byte is used. */
  readonly gisa: { ipm: number } | null;
  readonly gmap = { pfault_enabled: 0 };
  /** The vcpu the guest runs on, as far as async page faults go: vcpu->async_pf.queue. */
  readonly vcpu = { async_pf: { queue: [] as KvmAsyncPf[] } };
  /** Allocation failures for the next call: set by the harness before each entry point. */
  mem: Allocator = new Allocator();

  test_kvm_facility(nr: number): boolean {
    return nr === 72 && this.fac_mask_72 && this.fac_list_72;
  }

  // ---- kvm_main.c ----

  /** kvm_ioctl_create_device for KVM_DEV_TYPE_FLIC (kvm_device_ops_table holds kvm_flic_ops). */
  kvm_ioctl_create_device(type: number, flags: number): number {
    if (type !== KVM_DEV_TYPE_FLIC) return -ENODEV;
    if (flags & KVM_CREATE_DEVICE_TEST) return 0;
    if (!this.mem.alloc()) return -ENOMEM;
    const dev = { kvm: this };
    const ret = this.flic_create(dev);
    if (ret < 0) return ret;
    return 0;
  }

  /** kvm_vm_ioctl_create_vcpu: the part that counts (kvm->created_vcpus++ under kvm->lock). */
  kvm_vm_ioctl_create_vcpu(): number {
    this.created_vcpus++;
    return 0;
  }

  // ---- kvm-s390.c ----

  /** kvm_vm_ioctl_enable_cap, case KVM_CAP_S390_AIS. */
  kvm_vm_ioctl_enable_cap(cap: string): number {
    if (cap !== KVM_CAP_S390_AIS) return -EINVAL;
    let r: number;
    if (this.created_vcpus) {
      r = -EBUSY;
    } else {
      this.fac_mask_72 = true;
      this.fac_list_72 = true;
      r = 0;
    }
    return r;
  }

  /** kvm_vm_ioctl_check_extension: KVM_CAP_S390_AIS and KVM_CAP_S390_AIS_MIGRATION give 1. */
  kvm_vm_ioctl_check_extension(ext: string): number {
    switch (ext) {
      case KVM_CAP_S390_AIS:
      case KVM_CAP_S390_AIS_MIGRATION:
        return 1;
      default:
        return 0;
    }
  }

  // ---- interrupt.c: device ops ----

  flic_create(dev: object | null): number {
    if (!dev) return -EINVAL;
    if (this.flic) return -EINVAL;
    this.flic = dev;
    return 0;
  }

  flic_has_attr(attr: KvmDeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_FLIC_GET_ALL_IRQS:
      case KVM_DEV_FLIC_ENQUEUE:
      case KVM_DEV_FLIC_CLEAR_IRQS:
      case KVM_DEV_FLIC_APF_ENABLE:
      case KVM_DEV_FLIC_APF_DISABLE_WAIT:
      case KVM_DEV_FLIC_ADAPTER_REGISTER:
      case KVM_DEV_FLIC_ADAPTER_MODIFY:
      case KVM_DEV_FLIC_CLEAR_IO_IRQ:
      case KVM_DEV_FLIC_AISM:
      case KVM_DEV_FLIC_AIRQ_INJECT:
      case KVM_DEV_FLIC_AISM_ALL:
        return 0;
    }
    return -ENXIO;
  }

  flic_get_attr(u: UserMemory, attr: KvmDeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_FLIC_GET_ALL_IRQS:
        return this.get_all_floating_irqs(u, attr.addr, attr.attr);
      case KVM_DEV_FLIC_AISM_ALL:
        return this.flic_ais_mode_get_all(u, attr);
      default:
        return -EINVAL;
    }
  }

  flic_set_attr(u: UserMemory, attr: KvmDeviceAttr): number {
    let r = 0;
    switch (attr.group) {
      case KVM_DEV_FLIC_ENQUEUE:
        r = this.enqueue_floating_irq(u, attr);
        break;
      case KVM_DEV_FLIC_CLEAR_IRQS:
        this.kvm_s390_clear_float_irqs();
        break;
      case KVM_DEV_FLIC_APF_ENABLE:
        this.gmap.pfault_enabled = 1;
        break;
      case KVM_DEV_FLIC_APF_DISABLE_WAIT:
        this.gmap.pfault_enabled = 0;
        // synchronize_srcu(&dev->kvm->srcu); kvm_for_each_vcpu: kvm_clear_async_pf_completion_queue
        this.kvm_clear_async_pf_completion_queue();
        break;
      case KVM_DEV_FLIC_ADAPTER_REGISTER:
        r = this.register_io_adapter(u, attr);
        break;
      case KVM_DEV_FLIC_ADAPTER_MODIFY:
        r = this.modify_io_adapter(u, attr);
        break;
      case KVM_DEV_FLIC_CLEAR_IO_IRQ:
        r = this.clear_io_irq(u, attr);
        break;
      case KVM_DEV_FLIC_AISM:
        r = this.modify_ais_mode(u, attr);
        break;
      case KVM_DEV_FLIC_AIRQ_INJECT:
        r = this.flic_inject_airq(attr);
        break;
      case KVM_DEV_FLIC_AISM_ALL:
        r = this.flic_ais_mode_set_all(u, attr);
        break;
      default:
        r = -EINVAL;
    }
    return r;
  }

  // ---- interrupt.c: the floating interrupt list ----

  private copy_irq_from_user(u: UserMemory, inti: Inti, addr: number): number {
    const irq = u.read<KvmS390Irq>(addr);
    if (!irq) return -EFAULT;
    inti.type = irq.type >>> 0;
    if (inti.type === KVM_S390_INT_PFAULT_INIT || inti.type === KVM_S390_INT_PFAULT_DONE || inti.type === KVM_S390_INT_VIRTIO || inti.type === KVM_S390_INT_SERVICE) {
      if (!irq.ext) return -EFAULT;
      inti.ext = { ...irq.ext };
    } else if (isIo(inti.type)) {
      if (!irq.io) return -EFAULT;
      inti.io = { ...irq.io };
    } else if (inti.type === KVM_S390_MCHK) {
      if (!irq.mchk) return -EFAULT;
      inti.mchk = { ...irq.mchk };
    } else {
      return -EINVAL;
    }
    return 0;
  }

  enqueue_floating_irq(u: UserMemory, attr: KvmDeviceAttr): number {
    let r = 0;
    let len = attr.attr;
    let addr = attr.addr;
    if (len % SIZEOF_KVM_S390_IRQ !== 0) return -EINVAL;
    else if (len > KVM_S390_FLIC_MAX_BUFFER) return -EINVAL;
    while (len >= SIZEOF_KVM_S390_IRQ) {
      if (!this.mem.alloc()) return -ENOMEM;
      const inti = emptyInti();
      r = this.copy_irq_from_user(u, inti, addr);
      if (r) return r;
      r = this.__inject_vm(inti);
      if (r) return r;
      len -= SIZEOF_KVM_S390_IRQ;
      addr += SIZEOF_KVM_S390_IRQ;
    }
    return r;
  }

  private __inject_io(inti: Inti): number {
    const isc = int_word_to_isc(inti.io.io_int_word);
    if (this.gisa && inti.type & KVM_S390_INT_IO_AI_MASK) {
      this.gisa_set_ipm_gisc(isc);
      return 0;
    }
    const fi = this.fi;
    if (fi.counters[FIRQ_CNTR_IO]! >= KVM_S390_MAX_FLOAT_IRQS) return -EBUSY;
    fi.counters[FIRQ_CNTR_IO]! += 1;
    fi.lists[FIRQ_LIST_IO_ISC_0 + isc]!.push(inti);
    fi.pending_irqs |= 1 << isc_to_irq_type(isc);
    return 0;
  }

  private __inject_vm(inti: Inti): number {
    const fi = this.fi;
    const type = inti.type;
    let rc: number;
    if (type === KVM_S390_MCHK) {
      fi.mchk.cr14 |= inti.mchk.cr14 & (1 << 28);
      fi.mchk.mcic |= inti.mchk.mcic;
      fi.pending_irqs |= 1 << IRQ_PEND_MCHK_REP;
      rc = 0;
    } else if (type === KVM_S390_INT_VIRTIO) {
      if (fi.counters[FIRQ_CNTR_VIRTIO]! >= 100) return -EBUSY; // KVM_S390_MAX_VIRTIO_IRQS
      fi.counters[FIRQ_CNTR_VIRTIO]! += 1;
      fi.lists[FIRQ_LIST_VIRTIO]!.push(inti);
      fi.pending_irqs |= 1 << IRQ_PEND_VIRTIO;
      rc = 0;
    } else if (type === KVM_S390_INT_SERVICE) {
      fi.srv_signal.ext_params |= inti.ext.ext_params & SCCB_EVENT_PENDING;
      if (fi.srv_signal.ext_params & SCCB_EVENT_PENDING) fi.pending_irqs |= 1 << IRQ_PEND_EXT_SERVICE_EV;
      if (!(fi.srv_signal.ext_params & SCCB_MASK)) {
        fi.srv_signal.ext_params |= inti.ext.ext_params & SCCB_MASK;
        fi.pending_irqs |= 1 << IRQ_PEND_EXT_SERVICE;
      }
      rc = 0;
    } else if (type === KVM_S390_INT_PFAULT_DONE) {
      if (fi.counters[FIRQ_CNTR_PFAULT]! >= ASYNC_PF_PER_VCPU * KVM_MAX_VCPUS) return -EBUSY;
      fi.counters[FIRQ_CNTR_PFAULT]! += 1;
      fi.lists[FIRQ_LIST_PFAULT]!.push(inti);
      fi.pending_irqs |= 1 << IRQ_PEND_PFAULT_DONE;
      rc = 0;
    } else if (isIo(type)) {
      rc = this.__inject_io(inti);
    } else {
      rc = -EINVAL;
    }
    // __floating_irq_kick: no vcpu is online in these tests
    return rc;
  }

  /** kvm_s390_inject_vm: a struct kvm_s390_interrupt (type, parm, parm64) as a floating interruption. */
  kvm_s390_inject_vm(type: number, parm: number, parm64: bigint): number {
    if (!this.mem.alloc()) return -ENOMEM;
    const inti = emptyInti();
    inti.type = type;
    if (type === KVM_S390_INT_VIRTIO) inti.ext = { ext_params: parm, ext_params2: Number(parm64) };
    else if (type === KVM_S390_INT_SERVICE) inti.ext.ext_params = parm;
    else if (type === KVM_S390_INT_PFAULT_DONE) inti.ext.ext_params2 = Number(parm64);
    else if (type === KVM_S390_MCHK) inti.mchk = { cr14: parm, mcic: Number(parm64) };
    else if (isIo(type)) {
      inti.io.subchannel_id = parm >>> 16;
      inti.io.subchannel_nr = parm & 0xffff;
      inti.io.io_int_parm = Number(parm64 >> 32n);
      inti.io.io_int_word = Number(parm64 & 0xffffffffn);
    } else return -EINVAL;
    return this.__inject_vm(inti);
  }

  get_all_floating_irqs(u: UserMemory, usrbuf: number, len: number): number {
    let ret = 0;
    let n = 0;
    if (len > KVM_S390_FLIC_MAX_BUFFER || len === 0) return -EINVAL;
    // "We are already using -ENOMEM to signal userspace it may retry with a bigger buffer"
    if (!this.mem.alloc()) return -ENOBUFS;
    const buf: KvmS390Irq[] = [];
    const max_irqs = Math.floor(len / SIZEOF_KVM_S390_IRQ);
    out: {
      if (this.gisa && this.gisa.ipm) {
        for (let i = 0; i <= MAX_ISC; i++) {
          if (n === max_irqs) {
            ret = -ENOMEM;
            break out;
          }
          if (this.gisa_tac_ipm_gisc(i)) {
            buf[n] = { type: KVM_S390_INT_IO(1, 0, 0, 0), io: { subchannel_id: 0, subchannel_nr: 0, io_int_parm: 0, io_int_word: isc_to_int_word(i) } };
            n++;
          }
        }
      }
      const fi = this.fi;
      for (let i = 0; i < FIRQ_LIST_COUNT; i++) {
        for (const inti of fi.lists[i]!) {
          if (n === max_irqs) {
            ret = -ENOMEM;
            break out;
          }
          buf[n] = inti_to_irq(inti);
          n++;
        }
      }
      if (fi.pending_irqs & ((1 << IRQ_PEND_EXT_SERVICE) | (1 << IRQ_PEND_EXT_SERVICE_EV))) {
        if (n === max_irqs) {
          ret = -ENOMEM;
          break out;
        }
        buf[n] = { type: KVM_S390_INT_SERVICE, ext: { ...fi.srv_signal } };
        n++;
      }
      if (fi.pending_irqs & (1 << IRQ_PEND_MCHK_REP)) {
        if (n === max_irqs) {
          ret = -ENOMEM;
          break out;
        }
        buf[n] = { type: KVM_S390_MCHK, mchk: { ...fi.mchk } };
        n++;
      }
    }
    if (!ret && n > 0) {
      if (!u.write(usrbuf, buf.slice(0, n))) ret = -EFAULT;
    }
    return ret < 0 ? ret : n;
  }

  private gisa_tac_ipm_gisc(gisc: number): boolean {
    const gisa = this.gisa!;
    const bit = AIS_MODE_MASK(gisc);
    const was = (gisa.ipm & bit) !== 0;
    gisa.ipm &= ~bit;
    return was;
  }

  private gisa_set_ipm_gisc(gisc: number): void {
    this.gisa!.ipm |= AIS_MODE_MASK(gisc);
  }

  kvm_s390_clear_float_irqs(): void {
    const fi = this.fi;
    fi.masked_irqs = 0;
    fi.pending_irqs = 0;
    fi.srv_signal = { ext_params: 0, ext_params2: 0 };
    fi.mchk = { cr14: 0, mcic: 0 };
    for (let i = 0; i < FIRQ_LIST_COUNT; i++) fi.lists[i] = [];
    for (let i = 0; i < FIRQ_MAX_COUNT; i++) fi.counters[i] = 0;
    // kvm_s390_gisa_clear: gisa_clear_ipm when gi->origin is set
    if (this.gisa) this.gisa.ipm = 0;
  }

  private get_io_int(isc: number, schid: number): Inti | null {
    const fi = this.fi;
    const list = fi.lists[FIRQ_LIST_IO_ISC_0 + isc]!;
    const id = (schid & 0xffff0000) >>> 16;
    const nr = schid & 0x0000ffff;
    for (let k = 0; k < list.length; k++) {
      const iter = list[k]!;
      if (schid && (id !== iter.io.subchannel_id || nr !== iter.io.subchannel_nr)) continue;
      list.splice(k, 1);
      fi.counters[FIRQ_CNTR_IO]! -= 1;
      if (list.length === 0) fi.pending_irqs &= ~(1 << isc_to_irq_type(isc));
      return iter;
    }
    return null;
  }

  private get_top_io_int(isc_mask: number, schid: number): Inti | null {
    let inti: Inti | null = null;
    for (let isc = 0; isc <= MAX_ISC && !inti; isc++) {
      if ((isc_mask & isc_to_isc_bits(isc)) >>> 0) inti = this.get_io_int(isc, schid);
    }
    return inti;
  }

  private get_top_gisa_isc(isc_mask: number, schid: number): number {
    if (schid) return -EINVAL;
    if (!this.gisa) return -EINVAL;
    let active = (isc_mask >>> 24) & this.gisa.ipm;
    while (active) {
      let isc = 0;
      while (!(active & AIS_MODE_MASK(isc))) isc++;
      if (this.gisa_tac_ipm_gisc(isc)) return isc;
      active &= ~AIS_MODE_MASK(isc);
    }
    return -EINVAL;
  }

  /** kvm_s390_get_io_int (interrupt.c). */
  kvm_s390_get_io_int(isc_mask: number, schid: number): Inti | null {
    let inti = this.get_top_io_int(isc_mask, schid);
    const isc = this.get_top_gisa_isc(isc_mask, schid);
    if (isc < 0) return inti;
    if (inti && int_word_to_isc(inti.io.io_int_word) <= isc) {
      this.gisa_set_ipm_gisc(isc);
      return inti;
    }
    if (this.mem.alloc()) {
      const tmp = emptyInti();
      tmp.type = KVM_S390_INT_IO(1, 0, 0, 0);
      tmp.io.io_int_word = isc_to_int_word(isc);
      // kvm_s390_reinject_io_int
      if (inti) this.__inject_vm(inti);
      inti = tmp;
    } else this.gisa_set_ipm_gisc(isc);
    return inti;
  }

  clear_io_irq(u: UserMemory, attr: KvmDeviceAttr): number {
    const isc_mask = (0xff << 24) >>> 0;
    if (attr.flags) return -EINVAL;
    if (attr.attr !== 4) return -EINVAL;
    const schid = u.read<number>(attr.addr);
    if (schid === undefined) return -EFAULT;
    if (!schid) return -EINVAL;
    this.kvm_s390_get_io_int(isc_mask, schid);
    return 0;
  }

  // ---- interrupt.c: adapters ----

  get_io_adapter(id: number): S390IoAdapter | null {
    if (id >= MAX_S390_IO_ADAPTERS) return null;
    return this.adapters[id] ?? null;
  }

  register_io_adapter(u: UserMemory, attr: KvmDeviceAttr): number {
    const info = u.read<{ id: number; isc: number; maskable: number; swap: number; flags: number }>(attr.addr);
    if (!info) return -EFAULT;
    if (info.id >= MAX_S390_IO_ADAPTERS) return -EINVAL;
    if (this.adapters[info.id] !== null) return -EINVAL;
    if (!this.mem.alloc()) return -ENOMEM;
    this.adapters[info.id] = {
      id: info.id,
      isc: info.isc & 0xff,
      maskable: !!info.maskable,
      masked: false,
      swap: info.swap,
      suppressible: !!(info.flags & KVM_S390_ADAPTER_SUPPRESSIBLE),
    };
    return 0;
  }

  kvm_s390_mask_adapter(id: number, masked: boolean): number {
    const adapter = this.get_io_adapter(id);
    if (!adapter || !adapter.maskable) return -EINVAL;
    const ret = adapter.masked ? 1 : 0;
    adapter.masked = masked;
    return ret;
  }

  modify_io_adapter(u: UserMemory, attr: KvmDeviceAttr): number {
    const req = u.read<{ id: number; type: number; mask: number; addr: number }>(attr.addr);
    if (!req) return -EFAULT;
    const adapter = this.get_io_adapter(req.id);
    if (!adapter) return -EINVAL;
    let ret: number;
    switch (req.type) {
      case KVM_S390_IO_ADAPTER_MASK:
        ret = this.kvm_s390_mask_adapter(req.id, !!req.mask);
        if (ret > 0) ret = 0;
        break;
      case KVM_S390_IO_ADAPTER_MAP:
      case KVM_S390_IO_ADAPTER_UNMAP:
        ret = 0;
        break;
      default:
        ret = -EINVAL;
    }
    return ret;
  }

  // ---- interrupt.c: adapter-interruption suppression ----

  modify_ais_mode(u: UserMemory, attr: KvmDeviceAttr): number {
    const fi = this.fi;
    let ret = 0;
    if (!this.test_kvm_facility(72)) return -EOPNOTSUPP;
    const req = u.read<{ isc: number; mode: number }>(attr.addr);
    if (!req) return -EFAULT;
    if (req.isc > MAX_ISC) return -EINVAL;
    switch (req.mode) {
      case KVM_S390_AIS_MODE_ALL:
        fi.simm &= ~AIS_MODE_MASK(req.isc);
        fi.nimm &= ~AIS_MODE_MASK(req.isc);
        break;
      case KVM_S390_AIS_MODE_SINGLE:
        fi.simm |= AIS_MODE_MASK(req.isc);
        fi.nimm &= ~AIS_MODE_MASK(req.isc);
        break;
      default:
        ret = -EINVAL;
    }
    return ret;
  }

  /** Set by kvm_s390_inject_airq where the kernel calls trace_kvm_s390_airq_suppressed. */
  airq_suppressed = false;

  kvm_s390_inject_airq(adapter: S390IoAdapter): number {
    const fi = this.fi;
    const type = KVM_S390_INT_IO(1, 0, 0, 0);
    const parm64 = BigInt(isc_to_int_word(adapter.isc));
    let ret = 0;
    if (!this.test_kvm_facility(72) || !adapter.suppressible) return this.kvm_s390_inject_vm(type, 0, parm64);
    if (fi.nimm & AIS_MODE_MASK(adapter.isc)) {
      this.airq_suppressed = true;
      return ret;
    }
    ret = this.kvm_s390_inject_vm(type, 0, parm64);
    if (!ret && fi.simm & AIS_MODE_MASK(adapter.isc)) fi.nimm |= AIS_MODE_MASK(adapter.isc);
    return ret;
  }

  flic_inject_airq(attr: KvmDeviceAttr): number {
    const adapter = this.get_io_adapter(attr.attr >>> 0);
    if (!adapter) return -EINVAL;
    return this.kvm_s390_inject_airq(adapter);
  }

  flic_ais_mode_set_all(u: UserMemory, attr: KvmDeviceAttr): number {
    if (!this.test_kvm_facility(72)) return -EOPNOTSUPP;
    const ais = u.read<{ simm: number; nimm: number }>(attr.addr);
    if (!ais) return -EFAULT;
    this.fi.simm = ais.simm & 0xff;
    this.fi.nimm = ais.nimm & 0xff;
    return 0;
  }

  flic_ais_mode_get_all(u: UserMemory, attr: KvmDeviceAttr): number {
    if (attr.attr < 2) return -EINVAL;
    if (!this.test_kvm_facility(72)) return -EOPNOTSUPP;
    const ais = { simm: this.fi.simm, nimm: this.fi.nimm };
    if (!u.write(attr.addr, ais)) return -EFAULT;
    return 0;
  }

  // ---- kvm-s390.c / async_pf.c: async page faults of the running vcpu ----

  /** kvm_arch_setup_async_pf -> kvm_setup_async_pf -> kvm_arch_async_page_not_present: PFAULT_INIT (local) and the work queued. */
  kvm_arch_setup_async_pf(token: number): boolean {
    if (!this.gmap.pfault_enabled) return false;
    this.vcpu.async_pf.queue.push({ executed: false, token });
    // kvm_arch_async_page_not_present: __kvm_inject_pfault_token(vcpu, true, token) is a local interruption
    return true;
  }

  /** async_pf_execute (KVM_ASYNC_PF_SYNC) -> kvm_arch_async_page_present: PFAULT_DONE floating, WARN_ON_ONCE on failure. */
  async_pf_execute(work: KvmAsyncPf): number {
    if (work.executed) return 0;
    work.executed = true;
    const rc = this.kvm_s390_inject_vm(KVM_S390_INT_PFAULT_DONE, 0, BigInt(work.token));
    if (rc) this.warnings.push('kvm_arch_async_page_present: WARN_ON_ONCE(kvm_s390_inject_vm)');
    return rc;
  }

  /** kvm_clear_async_pf_completion_queue (KVM_ASYNC_PF_SYNC): flush_work of each queued item, then the queue is emptied. */
  kvm_clear_async_pf_completion_queue(): void {
    for (const work of this.vcpu.async_pf.queue) this.async_pf_execute(work);
    this.vcpu.async_pf.queue = [];
  }

  /** WARN_ON and friends that fired. */
  warnings: string[] = [];

  /**
   * set_adapter_int for a route to adapter `id`. adapter_indicators_set is reduced to its
   * results: -1 when get_map_page fails, else whether the summary bit was already set.
   */
  set_adapter_int(id: number, level: number, indicators: 'fault' | 'summary_was_set' | 'summary_was_clear'): number {
    if (!level) return 0;
    const adapter = this.get_io_adapter(id);
    if (!adapter) return -1;
    let ret = indicators === 'fault' ? -1 : indicators === 'summary_was_set' ? 0 : 1;
    if (ret > 0 && !adapter.masked) {
      ret = this.kvm_s390_inject_airq(adapter);
      if (ret === 0) ret = 1;
    }
    return ret;
  }
}

// ---- interrupt.c: delivery to the guest (kvm_s390_deliver_pending_interrupts' callees) ----
// The guest lowcore writes (put_guest_lc, write_guest_lc) are left out: they succeed.

export interface Delivered {
  type: number;
  io?: IoInfo;
}

export class Vcpu {
  constructor(readonly kvm: Kvm) {}

  /** __deliver_io: the first entry of fi->lists[isc], else the GISA IPM bit of that ISC. */
  __deliver_io(isc: number): Delivered | null {
    const kvm = this.kvm;
    const fi = kvm.fi;
    const isc_list = fi.lists[isc]!;
    const inti = isc_list[0] ?? null;
    if (inti) {
      isc_list.shift();
      fi.counters[FIRQ_CNTR_IO]! -= 1;
    }
    if (isc_list.length === 0) fi.pending_irqs &= ~(1 << isc_to_irq_type(isc));
    if (inti) return { type: inti.type, io: { ...inti.io } };
    if (kvm.gisa && kvm.gisa.ipm & AIS_MODE_MASK(isc)) {
      kvm.gisa.ipm &= ~AIS_MODE_MASK(isc);
      return { type: KVM_S390_INT_IO(1, 0, 0, 0), io: { subchannel_id: 0, subchannel_nr: 0, io_int_parm: 0, io_int_word: isc_to_int_word(isc) } };
    }
    return null;
  }

  /** __deliver_service: srv_signal taken, IRQ_PEND_EXT_SERVICE and _EV cleared. */
  __deliver_service(): Delivered | null {
    const fi = this.kvm.fi;
    if (fi.masked_irqs & (1 << IRQ_PEND_EXT_SERVICE) || !(fi.pending_irqs & (1 << IRQ_PEND_EXT_SERVICE))) return null;
    fi.srv_signal = { ext_params: 0, ext_params2: 0 };
    fi.pending_irqs &= ~(1 << IRQ_PEND_EXT_SERVICE);
    fi.pending_irqs &= ~(1 << IRQ_PEND_EXT_SERVICE_EV);
    return { type: KVM_S390_INT_SERVICE };
  }

  /** __deliver_machine_check, floating part: test_and_clear_bit(IRQ_PEND_MCHK_REP), fi->mchk merged and zeroed. */
  __deliver_machine_check(): Delivered | null {
    const fi = this.kvm.fi;
    if (!(fi.pending_irqs & (1 << IRQ_PEND_MCHK_REP))) return null;
    fi.pending_irqs &= ~(1 << IRQ_PEND_MCHK_REP);
    fi.mchk = { cr14: 0, mcic: 0 };
    return { type: KVM_S390_MCHK };
  }

  private firstOf(list: number, cntr: number, bit: number): Delivered | null {
    const fi = this.kvm.fi;
    const inti = fi.lists[list]![0] ?? null;
    if (inti) {
      fi.lists[list]!.shift();
      fi.counters[cntr]! -= 1;
    }
    if (fi.lists[list]!.length === 0) fi.pending_irqs &= ~(1 << bit);
    return inti ? { type: inti.type } : null;
  }

  /** __deliver_pfault_done: the first entry of FIRQ_LIST_PFAULT. */
  __deliver_pfault_done(): Delivered | null {
    return this.firstOf(FIRQ_LIST_PFAULT, FIRQ_CNTR_PFAULT, IRQ_PEND_PFAULT_DONE);
  }

  /** __deliver_virtio: the first entry of FIRQ_LIST_VIRTIO. */
  __deliver_virtio(): Delivered | null {
    return this.firstOf(FIRQ_LIST_VIRTIO, FIRQ_CNTR_VIRTIO, IRQ_PEND_VIRTIO);
  }

  /** priv.c handle_tpi: kvm_s390_get_io_int(kvm, gcr[6], 0); the interruption code is stored, inti freed. */
  handle_tpi(gcr6: number): Delivered | null {
    const inti = this.kvm.kvm_s390_get_io_int(gcr6, 0);
    return inti ? { type: inti.type, io: { ...inti.io } } : null;
  }

  /** priv.c handle_tsch: kvm_s390_get_io_int(kvm, isc_mask, gprs[1]) for the subchannel TSCH names; userspace gets it (KVM_EXIT_S390_TSCH). */
  handle_tsch(gcr6: number, schid: number): Delivered | null {
    const inti = this.kvm.kvm_s390_get_io_int(gcr6, schid);
    return inti ? { type: inti.type, io: { ...inti.io } } : null;
  }
}

function inti_to_irq(inti: Inti): KvmS390Irq {
  if (inti.type === KVM_S390_INT_PFAULT_INIT || inti.type === KVM_S390_INT_PFAULT_DONE || inti.type === KVM_S390_INT_VIRTIO) return { type: inti.type, ext: { ...inti.ext } };
  if (isIo(inti.type)) return { type: inti.type, io: { ...inti.io } };
  return { type: inti.type };
}
