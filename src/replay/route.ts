// Which VM, vcpu, queue or subchannel of the configuration a kernel line speaks of. A log names
// its objects by what the kernel prints: the pid of a kvm-<pid> s390dbf view (QEMU's pid, which
// kvm-trace's "vm 0x%p created by pid %u" links to the struct kvm pointer), the tgid of an ftrace
// line (the record-tgid option), the GISA and struct kvm pointers (%p: hashed, but stable within a
// boot), the vcpu id of VCPU_EVENT and the vcpu tracepoints, the APQN of vfio_ap, the schid of
// vfio-ccw. The first line that names an object binds it to the next unused index of its kind;
// the objects of a configuration are interchangeable until a line names them, so the order of
// binding loses nothing. Lines of an s390dbf view whose file is not named, and ftrace lines
// without a tgid, belong to one unnamed guest.
import type { Prefix } from './lines.ts';

/** What the configuration has: a line naming more objects than this is an error that says so. */
export interface Limits {
  machine: string;
  configuration: string;
  vms: number;
  vcpus: number;
  queues: number;
  /** `check --set` keys the machine takes (for the advice in the error). */
  settable: boolean;
}

/** How a line names its VM. */
export type VmRef = { line: true } | { gisa: string } | { kvm: string; pid?: number };

/** The objects a record or a creation line names, before routing. */
export interface Who {
  vm?: VmRef;
  vcpu?: number;
  /** APQN as printed, e.g. 0xa03 or 0a.0003. */
  q?: string;
  /** schid as printed, x.x.xxxx. */
  sch?: string;
  /** The struct kvm_vcpu pointer a vcpu's creation line prints. */
  vcpuAt?: string;
}

/** Routed indices of a line. */
export interface Where {
  vm?: number;
  vcpu?: number;
  q?: number;
}

export class RouteError extends Error {
  override name = 'RouteError';
}

export class Router {
  private keys = new Map<string, number>();
  private dead = new Set<string>();
  private vms = 0;
  private gisaOf = new Map<number, string>();
  private queues = new Map<string, number>();
  private sch: string | undefined;
  private active = new Set<string>();
  /** vm/vcpu -> the struct kvm_vcpu pointer its creation line printed. */
  private vcpuAt = new Map<string, string>();
  private anyRecord = false;
  /** The view keys whose per-VM s390dbf lines the log holds (filled as lines are read). */
  readonly perVmViews = new Set<string>();

  constructor(private limits: Limits) {}

  /** The key of the guest a line belongs to by its view alone. */
  lineKey(p: Prefix): string {
    if (p.kind === 'ftrace') return p.tgid !== undefined ? `pid:${p.tgid}` : 'unnamed';
    const m = p.view ? /^kvm-(\d+)$/.exec(p.view) : null;
    return m ? `pid:${m[1]}` : 'unnamed';
  }

  /** The VM a key is bound to, if any. */
  bound(key: string): number | undefined {
    return this.keys.get(key);
  }

  private allocate(what: string): number {
    if (this.vms >= this.limits.vms) {
      const advice = this.limits.settable ? `pass --set vms=${this.vms + 1}` : 'the machine models no more';
      throw new RouteError(`names ${what}, a VM more than configuration ${this.limits.configuration} of ${this.limits.machine} has (${this.limits.vms}); ${advice}`);
    }
    return this.vms++;
  }

  private bind(key: string, vm: number): void {
    this.keys.set(key, vm);
    this.dead.delete(key);
  }

  private describe(key: string): string {
    if (key === 'unnamed') return 'the unnamed guest (lines of a kvm-<pid> view whose file is not named, or ftrace lines without a tgid)';
    const [kind, v] = key.split(/:(.*)/);
    return kind === 'pid' ? `the guest of pid ${v}` : kind === 'kvm' ? `struct kvm 0x${v}` : `GISA 0x${v}`;
  }

  /** The VM of a key, bound now if the key is new. */
  private vmOfKey(key: string): number {
    const vm = this.keys.get(key);
    if (vm !== undefined) return vm;
    const fresh = this.allocate(this.describe(key));
    this.bind(key, fresh);
    return fresh;
  }

  /** The VM a line names. */
  vm(ref: VmRef, p: Prefix): number {
    if ('line' in ref) return this.vmOfKey(this.lineKey(p));
    if ('gisa' in ref) {
      const key = `gisa:${ref.gisa}`;
      const lineKey = this.lineKey(p);
      const byGisa = this.keys.get(key);
      if (byGisa !== undefined) {
        const byLine = this.keys.get(lineKey);
        if (lineKey !== 'unnamed' && byLine !== undefined && byLine !== byGisa) {
          throw new RouteError(`GISA 0x${ref.gisa} belongs to ${this.describe(this.keyOf(byGisa))}, but the line is of ${this.describe(lineKey)}`);
        }
        return byGisa;
      }
      const vm = this.vmOfKey(lineKey);
      const other = this.gisaOf.get(vm);
      if (other !== undefined && other !== ref.gisa && !this.dead.has(`gisa:${other}`)) {
        throw new RouteError(
          `names a second GISA (0x${ref.gisa}) for ${this.describe(lineKey)}, whose GISA is 0x${other}: lines of several kvm-<pid> views need the views' names (grep -H, or the ==> headers of tail -n +1) to be routed`,
        );
      }
      this.bind(key, vm);
      this.gisaOf.set(vm, ref.gisa);
      return vm;
    }
    const kvmKey = `kvm:${ref.kvm}`;
    const pidKey = ref.pid !== undefined ? `pid:${ref.pid}` : undefined;
    let vm = this.keys.get(kvmKey);
    if (vm === undefined && pidKey !== undefined) vm = this.keys.get(pidKey);
    if (vm === undefined) vm = this.allocate(pidKey ? this.describe(pidKey) : this.describe(kvmKey));
    this.bind(kvmKey, vm);
    if (pidKey) this.bind(pidKey, vm);
    return vm;
  }

  private keyOf(vm: number): string {
    for (const [k, v] of this.keys) if (v === vm && (k.startsWith('pid:') || k === 'unnamed')) return k;
    for (const [k, v] of this.keys) if (v === vm) return k;
    return `vm${vm}`;
  }

  /** Whether a VM a line would name is bound and has no creation line ahead of it (it was destroyed). */
  isFreshCreation(ref: VmRef, p: Prefix): boolean {
    const key = 'line' in ref ? this.lineKey(p) : 'gisa' in ref ? `gisa:${ref.gisa}` : `kvm:${ref.kvm}`;
    return !this.keys.has(key) || this.dead.has(key);
  }

  /** The VM a creation line names: a key the log already destroyed starts a new VM. */
  createVm(ref: VmRef, p: Prefix): number {
    const keys = 'line' in ref ? [this.lineKey(p)] : 'gisa' in ref ? [`gisa:${ref.gisa}`] : [`kvm:${ref.kvm}`, ...(ref.pid !== undefined ? [`pid:${ref.pid}`] : [])];
    if (keys.every((k) => this.dead.has(k) || !this.keys.has(k))) for (const k of keys) this.keys.delete(k);
    return this.vm(ref, p);
  }

  /** A creation line for a GISA the log destroyed: the pointer may name a new guest's GISA. */
  forgetDeadGisa(gisa: string): void {
    const key = `gisa:${gisa}`;
    if (this.dead.has(key)) {
      this.keys.delete(key);
      this.dead.delete(key);
    }
  }

  /** The teardown of a VM is logged: its names may be used again by a new guest after a creation line. */
  destroyed(vm: number): void {
    for (const [k, v] of this.keys) if (v === vm) this.dead.add(k);
    for (const k of [...this.vcpuAt.keys()]) if (k.startsWith(`${vm}/`)) this.vcpuAt.delete(k);
  }

  /**
   * A vcpu's creation line: KVM creates a vcpu id once per VM (kvm_vm_ioctl_create_vcpu answers
   * -EEXIST before kvm_arch_vcpu_create), so a second struct kvm_vcpu for the same id is another
   * guest's, in lines that do not say which guest they are of.
   */
  vcpuCreated(w: Where, at: string, p: Prefix): void {
    const key = `${w.vm}/${w.vcpu}`;
    const old = this.vcpuAt.get(key);
    if (old === undefined) this.vcpuAt.set(key, at);
    else if (old !== at) {
      const how =
        p.kind === 'ftrace'
          ? 'ftrace lines of several guests need their thread group (echo 1 > /sys/kernel/tracing/options/record-tgid) to be routed'
          : "lines of several kvm-<pid> views need the views' names (grep -H, or the ==> headers of tail -n +1) to be routed";
      throw new RouteError(`creates vcpu ${w.vcpu} again (struct kvm_vcpu 0x${at}) for ${this.describe(this.lineKey(p))}, whose vcpu ${w.vcpu} is 0x${old}: ${how}`);
    }
  }

  /** The GISA of a VM is gone (kvm_s390_gisa_destroy). */
  gisaDestroyed(vm: number): void {
    const g = this.gisaOf.get(vm);
    if (g !== undefined) this.dead.add(`gisa:${g}`);
  }

  vcpu(id: number): number {
    if (this.limits.vcpus > 0 && id >= this.limits.vcpus) {
      const advice = this.limits.settable ? `pass --set vcpus=${id + 1}` : 'the machine models no more';
      throw new RouteError(`names vcpu ${id}; configuration ${this.limits.configuration} of ${this.limits.machine} has ${this.limits.vcpus} vcpu${this.limits.vcpus === 1 ? '' : 's'} per VM; ${advice}`);
    }
    return id;
  }

  queue(apqn: string): number {
    const key = normaliseApqn(apqn);
    const q = this.queues.get(key);
    if (q !== undefined) return q;
    if (this.queues.size >= this.limits.queues) {
      const advice = this.limits.settable ? `pass --set queues=${this.queues.size + 1}` : 'the machine models no more';
      throw new RouteError(`names AP queue ${key}, a queue more than configuration ${this.limits.configuration} of ${this.limits.machine} has (${this.limits.queues}); ${advice}`);
    }
    this.queues.set(key, this.queues.size);
    return this.queues.size - 1;
  }

  subchannel(schid: string): void {
    if (this.sch === undefined) this.sch = schid;
    else if (this.sch !== schid) throw new RouteError(`names subchannel ${schid}, but ${this.limits.machine} models one subchannel and the log's is ${this.sch}`);
  }

  /** Routes the objects of a line. */
  route(who: Who, p: Prefix): Where {
    const out: Where = {};
    if (who.sch !== undefined) this.subchannel(who.sch);
    if (who.vm) out.vm = this.vm(who.vm, p);
    if (who.vcpu !== undefined) out.vcpu = this.vcpu(who.vcpu);
    if (who.q !== undefined) out.q = this.queue(who.q);
    return out;
  }

  /** A record names these objects: a creation line for them after this one is a step no model takes. */
  activate(w: Where): void {
    this.anyRecord = true;
    if (w.vm !== undefined) this.active.add(`vm${w.vm}`);
    if (w.vm !== undefined && w.vcpu !== undefined) this.active.add(`vm${w.vm}/vcpu${w.vcpu}`);
    if (w.q !== undefined) this.active.add(`q${w.q}`);
  }

  isActive(what: 'vm' | 'vcpu' | 'any' | 'sch', w: Where): boolean {
    if (what === 'any' || what === 'sch') return this.anyRecord;
    if (what === 'vm') return this.active.has(`vm${w.vm}`);
    return this.active.has(`vm${w.vm}/vcpu${w.vcpu}`);
  }

  /** The VMs whose per-VM s390dbf view the log holds. */
  capturedVms(): Set<number> {
    const out = new Set<number>();
    for (const k of this.perVmViews) {
      const vm = this.keys.get(k);
      if (vm !== undefined) out.add(vm);
    }
    return out;
  }
}

/** 0xa03 (vfio_ap_irq_enable's %#04x of the APQN) and 0a.0003 (handle_pqap's AP_QID_CARD.AP_QID_QUEUE) name the same queue. */
export function normaliseApqn(apqn: string): string {
  const dot = /^([0-9a-f]+)\.([0-9a-f]+)$/i.exec(apqn);
  const [card, queue] = dot ? [parseInt(dot[1]!, 16), parseInt(dot[2]!, 16)] : ((n) => [(n >> 8) & 0xff, n & 0xff])(parseInt(apqn.replace(/^0x/i, ''), 16));
  return `${card.toString(16).padStart(2, '0')}.${queue.toString(16).padStart(4, '0')}`;
}
