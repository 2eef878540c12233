// Every kernel message replay knows, with its format string, where the kernel prints it and the
// version it is pinned to, and what it means for the machines: a record some steps print (the
// printer says which), a creation line (the machines start with their objects created: the line
// names an object, and is a step no machine takes if it comes after the object's first record),
// or unmapped, with the reason. Messages of the same views that concern no modelled object are
// listed by family. Pinned to v6.17-rc4 (Kingxukai/linux 9b44fff655e2; kvm-s390.c, pv.c,
// trace.h, vfio_ap_drv.c, vfio_ccw_ops.c and debug.c read at the blob of 0291023e7330 that the
// tree holds); vfio_ccw_trace.h and vfio_ap_debug.h, which that tree does not hold, at
// torvalds/linux (2ea352d5960a, 0e11f2076e7f).
import type { Model } from '../spec.ts';
import type { SystemContext } from '../../machines/context.ts';
import type { Design } from '../../machines/design.ts';
import { variants as ccwVariants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';
import type { CcwContext, CcwEvent, CcwVersion, FsmEventName, StateName } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import { CONFIGURATIONS as FLIC_CONFIGURATIONS } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import type { FlicContext, Mode } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
import { ANY_VALUE, type Allowed, type Step } from './replay.ts';
import type { Who } from './route.ts';

export const PIN = 'v6.17-rc4 (Kingxukai/linux 9b44fff655e2)';

/** The views a host's kernel text comes from. */
export type View = 'kvm' | 'kvm-trace' | 'kvm-uv' | 'vfio_ap' | 'vfio_ccw_msg' | 'vfio_ccw_trace' | 'ftrace';

export const VIEWS: Readonly<Record<View, string>> = {
  kvm: 's390dbf kvm-<pid>/sprintf: one VM (VM_EVENT, VCPU_EVENT; kvm_arch_init_vm registers it, kvm_arch_destroy_vm unregisters it); level 3 by default',
  'kvm-trace': 's390dbf kvm-trace/sprintf: every VM of the host (KVM_EVENT); level 3 by default',
  'kvm-uv': 's390dbf kvm-uv/sprintf: protected-virtualization calls of every VM (KVM_UV_EVENT)',
  vfio_ap: 's390dbf vfio_ap/sprintf: the vfio_ap driver (VFIO_AP_DBF_*); level DBF_WARN (4) by default',
  vfio_ccw_msg: 's390dbf vfio_ccw_msg/sprintf: the vfio_ccw driver (VFIO_CCW_MSG_EVENT); level 2 by default',
  vfio_ccw_trace: 's390dbf vfio_ccw_trace/hex_ascii: vfio_ccw text and hex events (VFIO_CCW_TRACE_EVENT, VFIO_CCW_HEX_EVENT)',
  ftrace: 'ftrace trace or trace_pipe: the tracepoints of TRACE_SYSTEM kvm (arch/s390/kvm/trace.h), kvm-s390 (trace-s390.h) and vfio_ccw (drivers/s390/cio/vfio_ccw_trace.h)',
};

const ANY = ANY_VALUE;

/** A record a step prints. `msg` is the message id, for the views a log holds. */
export interface Out {
  event: string;
  fields: Record<string, Allowed>;
  msg: string;
  /** The index of the observation (the step's event or one raised inside it) that prints it: records come in the kernel's order. */
  at?: number;
}

/** What a line of a mapped message says, before its objects are routed to indices. */
export interface LineRecord {
  event: string;
  fields: Record<string, string | number>;
  who: Who;
  /** The line ends the life of its VM (vm 0x%p destroyed) or GISA (gisa 0x%p destroyed): their names may be used again. */
  ends?: 'vm' | 'gisa';
}

export interface Skip {
  skip: string;
}

export interface LineCtx {
  /** The vcpu_id of a VCPU_EVENT or vcpu tracepoint prefix. */
  vcpuId?: number;
  model: Model;
}

export interface Mapped {
  kind: 'mapped';
  /** Machine events whose steps print the message; a machine with none of them cannot show the line. */
  printedBy: readonly string[];
  record(g: readonly string[], ctx: LineCtx): LineRecord | Skip;
  /** The records of this message one step prints, in the kernel's order. */
  print(step: Step, model: Model): Omit<Out, 'msg'>[];
  /** What the line is on a machine that has none of `printedBy`. */
  otherwise?: Identity | Unmapped;
}

export interface Identity {
  kind: 'identity';
  /** The kernel function that creates the object. */
  creates: string;
  object: 'vm' | 'vcpu' | 'gisa' | 'gib' | 'sch';
  /** Machine events of machines that have the object. */
  for: readonly string[];
  who(g: readonly string[], ctx: LineCtx): Who;
}

export interface Unmapped {
  kind: 'unmapped';
  reason: string;
}

export interface Message {
  id: string;
  view: View;
  /** ftrace: the tracepoint and its TRACE_SYSTEM. */
  event?: string;
  system?: string;
  /** VCPU_EVENT and the trace.h tracepoints print "%02d[%016lx-%016lx]: " (vcpu_id, PSW mask and address) first. */
  vcpu?: boolean;
  /** s390dbf level. */
  level?: number;
  /** The message as printed (after the vcpu prefix, for ftrace after "<event>: "); %s with a literal argument is written out. */
  format: string;
  /** The call in the source. */
  call: string;
  /** File and function. */
  source: string;
  pin: string;
  re: RegExp;
  /** The literal start a truncated line still shows. */
  claim?: string;
  meaning: Mapped | Identity | Unmapped;
}

// ---------------------------------------------------------------------------------------------
// Format strings to patterns.

const CONV = /%([-+ #0]*)(\d*)(?:\.\d+)?(hh|h|ll|l|z)?([diuxXpsc%])(ad)?/g;

/** The pattern of a printf format as vsnprintf prints it; each conversion is a group. */
export function formatPattern(format: string): RegExp {
  let out = '';
  let last = 0;
  for (const m of format.matchAll(CONV)) {
    out += escape(format.slice(last, m.index));
    last = m.index + m[0].length;
    const [, flags = '', width = '', , conv, ad] = m;
    const pad = width && !flags.includes('0') ? ' *' : '';
    switch (conv) {
      case '%':
        out += '%';
        break;
      case 'd':
      case 'i':
        out += `${pad}(-?\\d+)`;
        break;
      case 'u':
        out += `${pad}(\\d+)`;
        break;
      case 'x':
      case 'X':
        out += flags.includes('#') ? `${pad}((?:0x)?[0-9a-fA-F]+)` : `${pad}([0-9a-fA-F]+)`;
        break;
      case 'p':
        out += ad ? '(0x[0-9a-f]+)' : '([0-9a-f]+|\\(_*ptrval_*\\))';
        break;
      case 'c':
        out += '(.)';
        break;
      default:
        out += last === format.length ? '(.*)' : '(.*?)';
    }
  }
  out += escape(format.slice(last));
  return new RegExp(`^${out}$`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A readable id from a format: its words without the conversions. */
function slug(format: string): string {
  return format
    .replace(/%[-+ #0]*\d*(?:hh|h|ll|l|z)?[a-zA-Z]/g, '')
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

function claimOf(format: string): string | undefined {
  const i = format.indexOf('%');
  const lit = i < 0 ? format : format.slice(0, i);
  return lit.length >= 4 ? lit : undefined;
}

const num = (s: string | undefined): number => (s === undefined ? NaN : s.startsWith('0x') || /[a-f]/i.test(s) ? parseInt(s, 16) : Number(s));
const hex = (s: string | undefined): number => parseInt(s ?? '', 16);

// ---------------------------------------------------------------------------------------------
// Helpers for the printers.

type Core = SystemContext;
const core = (snap: { context: unknown }): Core => snap.context as Core;
const designOf = (model: Model): Design | undefined => (model.options as { design?: Design } | undefined)?.design;
const evOf = (e: unknown) => e as { type: string; vm?: number; vcpu?: number; q?: number; isc?: number; ir?: number; outcome?: string };

/** Every observation (the step's event and those raised inside it) of the given types, with its index in the step. */
function seen(step: Step, ...types: string[]) {
  return step.observations.flatMap((o, at) => (types.includes(o.event.type) ? [{ ...o, at }] : []));
}

/** The vcpus of VM `vm` in SIE before the step: the ones that can have executed a guest instruction. */
function vcpusInSie(c: Core, vm: number): Allowed {
  const k = c.vms[vm];
  if (!k || !k.vcpus.length) return ANY;
  const ids = k.vcpus.flatMap((v, i) => (v.inSie ? [i] : []));
  return ids.length ? ids : ANY;
}

const mapped = (m: Omit<Mapped, 'kind'>): Mapped => ({ kind: 'mapped', ...m });
const unmapped = (reason: string): Unmapped => ({ kind: 'unmapped', reason });
const identity = (m: Omit<Identity, 'kind'>): Identity => ({ kind: 'identity', ...m });

interface Def {
  id: string;
  view: View;
  event?: string;
  system?: string;
  vcpu?: boolean;
  level?: number;
  format: string;
  call: string;
  source: string;
  pin?: string;
  re?: RegExp;
  meaning: Mapped | Identity | Unmapped;
}

function message(d: Def): Message {
  const claim = d.view === 'ftrace' ? undefined : claimOf(d.format);
  return { pin: PIN, ...d, re: d.re ?? formatPattern(d.format), ...(claim && d.meaning.kind !== 'unmapped' ? { claim } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Reasons shared by several messages.

const NO_OBJECT = 'concerns no modelled object (VM and vcpu configuration: capabilities, CPU model, TOD clock, memory, CMMA, key wrapping)';
const PV = 'protected virtualization is not modelled (the GISA machine ignores kvm_s390_gisa_enable/disable, the vcpu machine ignores PV)';
const LOCAL_IRQ = 'per-vcpu interruptions other than GISA adapter interruptions (program, SIGP, clock comparator, CPU timer, machine check, restart, set prefix, pfault) are not modelled';
const FLOATING = 'floating interruptions other than GISA adapter interruptions (service signal, virtio, pfault, machine check, classic subchannel I/O) are not modelled';
const SIE = 'SIE entry and exit happen around every intercept, including the PQAP(AQIC) the model takes as one guest step inside SIE; the model leaves them to the steps they surround';
const SOFT_AI =
  'a software adapter interruption (KVM_S390_INTERRUPT, KVM_DEV_FLIC_ENQUEUE, an irqfd through set_adapter_int) sets the IPM bit without an alert and kicks a vcpu (__floating_irq_kick); the composed guest\'s adapter interruptions come from millicode (GISA_ADAPTER_INTERRUPTION, AP_ADAPTER_INTERRUPTION)';
const INTERCEPT = 'an intercepted instruction or interruption the model has no event for: no modelled field changes (the guest\'s CR6 is configuration)';

// ---------------------------------------------------------------------------------------------
// The core spec: arch/s390/kvm (interrupt.c, kvm-s390.c, pv.c, trace.h, trace-s390.h) and the
// kvm_arch_crypto_* calls of vfio_ap.

const VM_EVENTS_OF = ['kvm_s390_gisa_destroy', 'kvm_vm_release', 'kvm_s390_vcpu_start', 'kvm_s390_gisa_clear', 'vfio_ap_mdev_open_device'];
const VCPU_EVENTS_OF = ['kvm_s390_vcpu_start', 'vcpu_pre_run'];

/** The per-VM view and the kvm-trace view: creation, GISA, vcpus, the CRYCB masks. */
const KVM: Def[] = [
  {
    id: 'kvm.vm-created',
    view: 'kvm',
    level: 3,
    format: 'vm created with type %lu',
    call: 'VM_EVENT(kvm, 3, "vm created with type %lu", type)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_init_vm',
    meaning: identity({ creates: 'kvm_arch_init_vm', object: 'vm', for: VM_EVENTS_OF, who: () => ({ vm: { line: true } }) }),
  },
  {
    id: 'kvm-trace.vm-created',
    view: 'kvm-trace',
    level: 3,
    format: 'vm 0x%p created by pid %u',
    call: 'KVM_EVENT(3, "vm 0x%p created by pid %u", kvm, current->pid)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_init_vm',
    meaning: identity({ creates: 'kvm_arch_init_vm', object: 'vm', for: VM_EVENTS_OF, who: (g) => ({ vm: { kvm: g[0]!, pid: Number(g[1]) } }) }),
  },
  {
    id: 'kvm-trace.vm-creation-failed',
    view: 'kvm-trace',
    level: 3,
    format: 'creation of vm failed: %d',
    call: 'KVM_EVENT(3, "creation of vm failed: %d", rc)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_init_vm',
    meaning: unmapped('a VM that never existed: the machines start with their VMs created'),
  },
  {
    id: 'kvm-trace.vm-destroyed',
    view: 'kvm-trace',
    level: 3,
    format: 'vm 0x%p destroyed',
    call: 'KVM_EVENT(3, "vm 0x%p destroyed", kvm)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_destroy_vm (last line, after free_page(sie_page2) and kvm_s390_clear_float_irqs)',
    meaning: mapped({
      printedBy: ['free_page_sie_page2'],
      record: (g) => ({ event: 'kvm_arch_destroy_vm', fields: {}, who: { vm: { kvm: g[0]! } }, ends: 'vm' }),
      print: (step) => seen(step, 'free_page_sie_page2').map((o) => ({ event: 'kvm_arch_destroy_vm', fields: { vm: evOf(o.event).vm ?? 0 }, at: o.at })),
    }),
  },
  {
    id: 'kvm-trace.gib-initialized',
    view: 'kvm-trace',
    level: 3,
    format: 'gib 0x%p (nisc=%d) initialized',
    call: 'KVM_EVENT(3, "gib 0x%p (nisc=%d) initialized", gib, gib->nisc)',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_gib_init (module load)',
    meaning: identity({ creates: 'kvm_s390_gib_init', object: 'gib', for: ['gib_alert_irq_handler'], who: () => ({}) }),
  },
  {
    id: 'kvm-trace.gib-not-initialized',
    view: 'kvm-trace',
    level: 3,
    format: 'gib not initialized, no AIV facility',
    call: 'KVM_EVENT(3, "%s", "gib not initialized, no AIV facility")',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_gib_init',
    meaning: unmapped('a host without the AIV facility has no GIB and no GISA: the machines model a host with it'),
  },
  {
    id: 'kvm.gisa-initialized',
    view: 'kvm',
    level: 3,
    format: 'gisa 0x%p initialized',
    call: 'VM_EVENT(kvm, 3, "gisa 0x%p initialized", gi->origin)',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_init (kvm_arch_init_vm; kvm_s390_gisa_enable after PV)',
    meaning: identity({ creates: 'kvm_s390_gisa_init', object: 'gisa', for: ['kvm_s390_gisa_destroy', 'kvm_s390_gisa_clear', 'GISA_ADAPTER_INTERRUPTION'], who: (g) => ({ vm: { gisa: g[0]! } }) }),
  },
  {
    id: 'kvm.gisa-cleared',
    view: 'kvm',
    level: 3,
    format: 'gisa 0x%p cleared',
    call: 'VM_EVENT(kvm, 3, "gisa 0x%p cleared", gi->origin)',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_clear (KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_clear_float_irqs); nothing once gi->origin is NULL',
    meaning: mapped({
      printedBy: ['kvm_s390_gisa_clear'],
      record: (g) => ({ event: 'kvm_s390_gisa_clear', fields: {}, who: { vm: { gisa: g[0]! } } }),
      print: (step) =>
        seen(step, 'kvm_s390_gisa_clear')
          .filter((o) => core(o.before).vms[evOf(o.event).vm ?? 0]?.gisa.origin)
          .map((o) => ({ event: 'kvm_s390_gisa_clear', fields: { vm: evOf(o.event).vm ?? 0 }, at: o.at })),
    }),
  },
  {
    id: 'kvm.gisa-destroyed',
    view: 'kvm',
    level: 3,
    format: 'gisa 0x%p destroyed',
    call: 'VM_EVENT(kvm, 3, "gisa 0x%p destroyed", gisa)',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_destroy (kvm_arch_destroy_vm, kvm_s390_gisa_disable); nothing once gi->origin is NULL',
    meaning: mapped({
      printedBy: ['kvm_s390_gisa_destroy'],
      record: (g) => ({ event: 'kvm_s390_gisa_destroy', fields: {}, who: { vm: { gisa: g[0]! } }, ends: 'gisa' }),
      print: (step) =>
        seen(step, 'kvm_s390_gisa_destroy')
          .filter((o) => core(o.before).vms[evOf(o.event).vm ?? 0]?.gisa.origin)
          .map((o) => ({ event: 'kvm_s390_gisa_destroy', fields: { vm: evOf(o.event).vm ?? 0 }, at: o.at })),
    }),
  },
  {
    id: 'kvm.aiv-enabled',
    view: 'kvm',
    vcpu: true,
    level: 3,
    format: 'AIV gisa format-%u enabled for cpu %03u',
    call: 'VCPU_EVENT(vcpu, 3, "AIV gisa format-%u enabled for cpu %03u", vcpu->arch.sie_block->gd & 0x3, vcpu->vcpu_id)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_s390_vcpu_setup (kvm_arch_vcpu_create), interrupt.c kvm_s390_gisa_enable (after PV)',
    meaning: identity({ creates: 'kvm_arch_vcpu_create', object: 'vcpu', for: VCPU_EVENTS_OF, who: (g) => ({ vm: { line: true }, vcpu: Number(g[1]) }) }),
  },
  {
    id: 'kvm.aiv-disabled',
    view: 'kvm',
    vcpu: true,
    level: 3,
    format: 'AIV disabled for cpu %03u',
    call: 'VCPU_EVENT(vcpu, 3, "AIV disabled for cpu %03u", vcpu->vcpu_id)',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_disable (a PV guest whose ultravisor lacks AIV)',
    meaning: unmapped(PV),
  },
  {
    id: 'kvm.create-cpu',
    view: 'kvm',
    level: 3,
    format: 'create cpu %d at 0x%p, sie block at 0x%p',
    call: 'VM_EVENT(vcpu->kvm, 3, "create cpu %d at 0x%p, sie block at 0x%p", vcpu->vcpu_id, vcpu, vcpu->arch.sie_block)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_create',
    meaning: identity({ creates: 'kvm_arch_vcpu_create', object: 'vcpu', for: VCPU_EVENTS_OF, who: (g) => ({ vm: { line: true }, vcpu: Number(g[0]), vcpuAt: g[1]! }) }),
  },
  {
    id: 'kvm.free-cpu',
    view: 'kvm',
    vcpu: true,
    level: 3,
    format: 'free cpu',
    call: 'VCPU_EVENT(vcpu, 3, "%s", "free cpu")',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_destroy (kvm_destroy_vm -> kvm_arch_destroy_vm -> kvm_destroy_vcpus, each vcpu in order)',
    meaning: mapped({
      printedBy: ['kvm_destroy_vm'],
      record: (_g, ctx) => ({ event: 'kvm_arch_vcpu_destroy', fields: {}, who: { vm: { line: true }, vcpu: ctx.vcpuId! } }),
      print: (step) => destroyVcpus(step, 'kvm_arch_vcpu_destroy'),
    }),
  },
  {
    id: 'kvm.enabled-wait-no-timer',
    view: 'kvm',
    vcpu: true,
    level: 3,
    format: 'enabled wait w/o timer',
    call: 'VCPU_EVENT(vcpu, 3, "%s", "enabled wait w/o timer")',
    source: 'arch/s390/kvm/interrupt.c kvm_s390_handle_wait (the vcpu goes idle: __set_cpu_idle, kvm_vcpu_halt)',
    meaning: mapped({
      printedBy: ['kvm_s390_handle_wait'],
      record: (_g, ctx) => ({ event: 'kvm_s390_handle_wait', fields: {}, who: { vm: { line: true }, vcpu: ctx.vcpuId! } }),
      print: (step) =>
        seen(step, 'kvm_s390_handle_wait').flatMap((o) => {
          const { vm = 0, vcpu = 0 } = evOf(o.event);
          const before = core(o.before).vms[vm]?.vcpus[vcpu];
          const after = core(step.after).vms[vm]?.vcpus[vcpu];
          return before && after && !before.idle && after.idle ? [{ event: 'kvm_s390_handle_wait', fields: { vm, vcpu }, at: o.at }] : [];
        }),
    }),
  },
  {
    id: 'kvm.deliver-io-gisa',
    view: 'kvm',
    vcpu: true,
    level: 4,
    format: 'deliver: I/O (AI/gisa) isc %u',
    call: 'VCPU_EVENT(vcpu, 4, "%s isc %u", "deliver: I/O (AI/gisa)", isc)',
    source: 'arch/s390/kvm/interrupt.c __deliver_io (vcpu_pre_run -> kvm_s390_deliver_pending_interrupts: gisa_tac_ipm_gisc took the ISC)',
    meaning: mapped({
      printedBy: ['vcpu_pre_run', 'gisa_tac_ipm_gisc'],
      record: (g, ctx) => ({ event: '__deliver_io', fields: { isc: Number(g[0]) }, who: { vm: { line: true }, vcpu: ctx.vcpuId! } }),
      print: (step) => deliveries(step),
    }),
  },
  {
    id: 'kvm.set-crycb-apm',
    view: 'kvm',
    level: 3,
    format: 'SET CRYCB: apm %016lx %016lx %016lx %016lx',
    call: 'VM_EVENT(kvm, 3, "SET CRYCB: apm %016lx %016lx %016lx %016lx", apm[0], apm[1], apm[2], apm[3])',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_crypto_set_masks (CRYCB format 2), called by vfio_ap_ops.c vfio_ap_mdev_update_guest_apcb (vfio_ap_mdev_set_kvm at open, vfio_ap_mdev_remove_queue of a queue in the guest)',
    meaning: mapped({
      printedBy: ['vfio_ap_mdev_open_device', 'vfio_ap_mdev_remove_queue'],
      record: () => ({ event: 'kvm_arch_crypto_set_masks', fields: {}, who: { vm: { line: true } } }),
      print: (step) => setMasks(step),
    }),
  },
  {
    id: 'kvm.set-crycb-format0',
    view: 'kvm',
    level: 3,
    format: 'SET CRYCB: apm %016lx aqm %04x adm %04x',
    call: 'VM_EVENT(kvm, 3, "SET CRYCB: apm %016lx aqm %04x adm %04x", apm[0], *((unsigned short *)aqm), *((unsigned short *)adm))',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_crypto_set_masks (CRYCB format 0 and 1), called as above',
    meaning: mapped({
      printedBy: ['vfio_ap_mdev_open_device', 'vfio_ap_mdev_remove_queue'],
      record: () => ({ event: 'kvm_arch_crypto_set_masks', fields: {}, who: { vm: { line: true } } }),
      print: (step) => setMasks(step),
    }),
  },
  {
    id: 'kvm.set-crycb-aqm',
    view: 'kvm',
    level: 3,
    format: 'SET CRYCB: aqm %016lx %016lx %016lx %016lx',
    call: 'VM_EVENT(kvm, 3, "SET CRYCB: aqm %016lx %016lx %016lx %016lx", aqm[0], aqm[1], aqm[2], aqm[3])',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_crypto_set_masks (CRYCB format 2)',
    meaning: unmapped('printed right after the apm line by the same kvm_arch_crypto_set_masks call; the apm line stands for the call'),
  },
  {
    id: 'kvm.set-crycb-adm',
    view: 'kvm',
    level: 3,
    format: 'SET CRYCB: adm %016lx %016lx %016lx %016lx',
    call: 'VM_EVENT(kvm, 3, "SET CRYCB: adm %016lx %016lx %016lx %016lx", adm[0], adm[1], adm[2], adm[3])',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_crypto_set_masks (CRYCB format 2)',
    meaning: unmapped('printed right after the apm line by the same kvm_arch_crypto_set_masks call; the apm line stands for the call'),
  },
  {
    id: 'kvm.clr-crycb',
    view: 'kvm',
    level: 3,
    format: 'CLR CRYCB:',
    call: 'VM_EVENT(kvm, 3, "%s", "CLR CRYCB:")',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_crypto_clear_masks, called by vfio_ap_ops.c vfio_ap_mdev_unset_kvm (close) and vfio_ap_mdev_request',
    meaning: mapped({
      printedBy: ['vfio_ap_mdev_close_device'],
      record: () => ({ event: 'kvm_arch_crypto_clear_masks', fields: {}, who: { vm: { line: true } } }),
      print: (step) =>
        seen(step, 'vfio_ap_mdev_close_device').flatMap((o) => {
          const vm = core(o.before).mdev.kvm;
          return vm >= 0 ? [{ event: 'kvm_arch_crypto_clear_masks', fields: { vm }, at: o.at }] : [];
        }),
    }),
  },
];

/** free cpu / destroy cpu: kvm_destroy_vcpus, raised with kvm_destroy_vm by the last kvm_put_kvm. */
function destroyVcpus(step: Step, event: string): Omit<Out, 'msg'>[] {
  return seen(step, 'kvm_destroy_vm').flatMap((o) => {
    const vm = evOf(o.event).vm ?? 0;
    return (core(o.before).vms[vm]?.vcpus ?? []).map((_, vcpu) => ({ event, fields: { vm, vcpu }, at: o.at }));
  });
}

/** __deliver_io taking an ISC from the IPM: vcpu_pre_run (kernel delivery), or the GISA machine's gisa_tac_ipm_gisc. */
function deliveries(step: Step, event = '__deliver_io'): Omit<Out, 'msg'>[] {
  return seen(step, 'vcpu_pre_run', 'gisa_tac_ipm_gisc').flatMap((o) => {
    const e = evOf(o.event);
    const vm = e.vm ?? 0;
    const before = core(o.before).vms[vm]?.gisa.ipm ?? 0;
    const after = core(step.after).vms[vm]?.gisa.ipm ?? 0;
    const taken = before & ~after;
    if (!taken) return [];
    const isc = Math.clz32(taken) - 24; // bit 0x80 >> isc
    return [{ event, fields: { vm, vcpu: e.type === 'vcpu_pre_run' ? (e.vcpu ?? 0) : ANY, isc }, at: o.at }];
  });
}

/** vfio_ap_mdev_update_guest_apcb -> kvm_arch_crypto_set_masks while matrix_mdev->kvm is set. */
function setMasks(step: Step): Omit<Out, 'msg'>[] {
  return step.observations.flatMap((o, at) => {
    const c = core(o.before);
    const e = evOf(o.event);
    if (e.type === 'vfio_ap_mdev_open_device') return [{ event: 'kvm_arch_crypto_set_masks', fields: { vm: e.vm ?? 0 }, at }];
    if (e.type !== 'vfio_ap_mdev_remove_queue') return [];
    const q = c.queues[e.q ?? 0];
    // vfio_ap_mdev_remove_queue: a queue in the guest's APCB is unplugged by updating the APCB
    return q && q.apid && q.apqi && c.mdev.kvm >= 0 ? [{ event: 'kvm_arch_crypto_set_masks', fields: { vm: c.mdev.kvm }, at }] : [];
  });
}

/** The per-VM view's other messages of interrupt.c and kvm-s390.c. */
const KVM_UNMAPPED: Def[] = [
  ...(
    [
      [4, 'deliver: pfault init token 0x%llx', '__deliver_pfault_init', LOCAL_IRQ],
      [3, 'deliver: machine check mcic 0x%llx', '__deliver_machine_check', LOCAL_IRQ],
      [3, 'deliver: cpu restart', '__deliver_restart', LOCAL_IRQ],
      [4, 'deliver: sigp emerg', '__deliver_emergency_signal', LOCAL_IRQ],
      [4, 'deliver: sigp ext call', '__deliver_external_call', LOCAL_IRQ],
      [3, 'deliver: program irq code 0x%x, ilen:%d', '__deliver_prog', LOCAL_IRQ],
      [4, 'deliver: sclp parameter 0x%x', '__deliver_service', FLOATING],
      [4, 'deliver: sclp parameter event', '__deliver_service_ev', FLOATING],
      [4, 'deliver: pfault done token 0x%llx', '__deliver_pfault_done', FLOATING],
      [4, 'deliver: virtio parm: 0x%x,parm64: 0x%llx', '__deliver_virtio', FLOATING],
      [4, 'deliver: I/O (AI)', '__deliver_io', `an adapter interruption from the floating list: with a GISA (the modelled case) adapter interruptions go to the IPM instead; ${FLOATING}`],
      [4, 'deliver: I/O %x ss %x schid %04x', '__deliver_io', FLOATING],
      [3, 'disabled wait', 'kvm_s390_handle_wait', 'a disabled wait (-EOPNOTSUPP: QEMU takes over) is not modelled (kvm_vcpu.machine.ts)'],
      [4, 'enabled wait: %llu ns', 'kvm_s390_handle_wait', 'a wait with the clock comparator or CPU timer armed: the timers are not modelled (kvm_vcpu.machine.ts: an enabled wait has no timer); the model sees the vcpu in SIE until its next logged step'],
      [3, 'inject: program irq code 0x%x', '__inject_prog', LOCAL_IRQ],
      [4, 'inject: pfault init parameter block at 0x%llx', '__inject_pfault_init', LOCAL_IRQ],
      [4, 'inject: external call source-cpu:%u', '__inject_extcall', LOCAL_IRQ],
      [3, 'inject: set prefix to %x', '__inject_set_prefix', LOCAL_IRQ],
      [3, 'inject: restart int', '__inject_sigp_restart', LOCAL_IRQ],
      [4, 'inject: emergency from cpu %u', '__inject_sigp_emergency', LOCAL_IRQ],
      [3, 'inject: machine check mcic 0x%llx', '__inject_mchk', LOCAL_IRQ],
      [3, 'inject: clock comparator external', '__inject_ckc', LOCAL_IRQ],
      [3, 'inject: cpu timer external', '__inject_cpu_timer', LOCAL_IRQ],
      [3, 'set prefix of cpu %03u to 0x%x', 'kvm_s390_set_prefix (kvm-s390.h)', 'the prefix register is not modelled'],
      [2, 'gmap notifier for %lx-%lx', 'kvm_gmap_notifier (kvm-s390.c)', NO_OBJECT],
      [6, 'entering sie flags %x', 'vcpu_pre_run (kvm-s390.c)', SIE],
      [6, 'exit sie icptcode %d', 'vcpu_post_run (kvm-s390.c)', SIE],
      [3, 'machine check', 'vcpu_post_run (kvm-s390.c)', LOCAL_IRQ],
      [3, 'fault in sie instruction', 'vcpu_post_run_addressing_exception (kvm-s390.c)', 'guest memory faults are not modelled'],
      [3, 'setting cpnc to %d', 'sync_regs_fmt2 (kvm-s390.c)', NO_OBJECT],
    ] as const
  ).map(
    ([level, format, fn, reason]): Def => ({
      id: `kvm.vcpu.${slug(format)}`,
      view: 'kvm',
      vcpu: true,
      level,
      format,
      call: format.includes('%') ? `VCPU_EVENT(vcpu, ${level}, "${format}", ...)` : `VCPU_EVENT(vcpu, ${level}, "%s", "${format}")`,
      source: fn.includes('(') ? `arch/s390/kvm/${fn.replace(/^(\S+) \((\S+)\)$/, '$2 $1')}` : `arch/s390/kvm/interrupt.c ${fn}`,
      meaning: unmapped(reason),
    }),
  ),
  ...(
    [
      [4, 'inject: I/O (AI/gisa) isc %1u', '__inject_io', SOFT_AI],
      [4, 'inject: I/O (AI)', '__inject_io', `${SOFT_AI}; without a GISA it goes to the floating list`],
      [4, 'inject: I/O %x ss %x schid %04x', '__inject_io', FLOATING],
      [5, 'inject: virtio parm:%x,parm64:%llx', 'kvm_s390_inject_vm', FLOATING],
      [4, 'inject: sclp parm:%x', 'kvm_s390_inject_vm', FLOATING],
      [3, 'inject: machine check mcic 0x%llx', 'kvm_s390_inject_vm', FLOATING],
    ] as const
  ).map(
    ([level, format, fn, reason]): Def => ({
      id: `kvm.vm.${slug(format)}`,
      view: 'kvm',
      level,
      format,
      call: `VM_EVENT(kvm, ${level}, "${format}", ...)`,
      source: `arch/s390/kvm/interrupt.c ${fn}`,
      meaning: unmapped(reason),
    }),
  ),
  {
    id: 'kvm.configuration',
    view: 'kvm',
    level: 3,
    format: 'ENABLE: ... / DISABLE: ... / SET: ... / GET: ... / QUERY: ... / RESET: CMMA states / New guest asce: 0x%p / Switched to ESCA (0x%p -> 0x%p)',
    re: /^(?:(?:ENABLE|DISABLE|SET|GET|QUERY): .*|RESET: CMMA states|New guest asce: 0x[0-9a-f]+|Switched to ESCA \(0x[0-9a-f]+ -> 0x[0-9a-f]+\))$/,
    call: 'VM_EVENT(kvm, 2 or 3, ...) and VCPU_EVENT(vcpu, 3, "%s", "ENABLE: ...") (about 90 calls)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_enable_cap, kvm_s390_[gs]et_mem_control, kvm_s390_vm_set_crypto, kvm_s390_[gs]et_tod*, kvm_s390_[gs]et_processor*, kvm_s390_get_machine*, kvm_s390_[gs]et_uv_feat, sca_switch_to_extended, kvm_vcpu_ioctl_enable_cap, sync_regs_fmt2; kvm-s390.h kvm_s390_set_user_cpu_state_ctrl',
    meaning: unmapped(NO_OBJECT),
  },
  {
    id: 'kvm.configuration-vcpu',
    view: 'kvm',
    vcpu: true,
    level: 3,
    format: 'ENABLE: RI (sync_regs) / ENABLE: GS (sync_regs)',
    re: /^ENABLE: (?:RI|GS) \(sync_regs\)$/,
    call: 'VCPU_EVENT(vcpu, 3, "%s", "ENABLE: RI (sync_regs)"), ... "ENABLE: GS (sync_regs)"',
    source: 'arch/s390/kvm/kvm-s390.c sync_regs_fmt2',
    meaning: unmapped(NO_OBJECT),
  },
  {
    id: 'kvm.protvirt',
    view: 'kvm',
    level: 3,
    format: 'PROTVIRT ...',
    re: /^PROTVIRT .*$/,
    call: 'KVM_UV_EVENT(kvm, 3, "PROTVIRT ...", ...) (pv.c, kvm-s390.c)',
    source: 'arch/s390/kvm/pv.c (kvm_s390_pv_*), kvm-s390.c kvm_s390_handle_pv, kvm_s390_pv_dmp',
    meaning: unmapped(PV),
  },
  {
    id: 'kvm.protvirt-vcpu',
    view: 'kvm',
    vcpu: true,
    level: 3,
    format: 'PROTVIRT ... VCPU: rc %x rrc %x / PROTVIRT DUMP CPU %d rc %x rrc %x',
    re: /^PROTVIRT .*$/,
    call: 'VCPU_EVENT(vcpu, 3, "PROTVIRT RESET ... VCPU: rc %x rrc %x", ...), VCPU_EVENT(vcpu, 3, "PROTVIRT DUMP CPU %d rc %x rrc %x", ...)',
    source: 'arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_ioctl, kvm_s390_handle_pv_vcpu_dump',
    meaning: unmapped(PV),
  },
  {
    id: 'kvm-uv.protvirt',
    view: 'kvm-uv',
    level: 3,
    format: '%d: PROTVIRT ...',
    re: /^-?\d+: PROTVIRT .*$/,
    call: 'KVM_UV_EVENT(kvm, 3, ...): "%d: " d_string, kvm->userspace_pid',
    source: 'arch/s390/kvm/pv.c, kvm-s390.c (kvm-s390.h KVM_UV_EVENT)',
    meaning: unmapped(PV),
  },
];

// ---------------------------------------------------------------------------------------------
// Tracepoints of arch/s390/kvm: trace-s390.h (TRACE_SYSTEM kvm-s390) and trace.h (kvm, every one
// with VCPU_TP_PRINTK's "%02d[%016lx-%016lx]: " first).

const GISA_AI = 0x4000000; // KVM_S390_INT_IO(1, 0, 0, 0)

const TRACE_S390: Def[] = [
  {
    id: 'ftrace.kvm_s390_create_vm',
    view: 'ftrace',
    event: 'kvm_s390_create_vm',
    system: 'kvm-s390',
    format: 'create vm%s',
    call: 'TRACE_EVENT(kvm_s390_create_vm): TP_printk("create vm%s", ...)',
    source: 'arch/s390/kvm/trace-s390.h',
    meaning: unmapped('defined, but fired nowhere in arch/s390/kvm at v6.17-rc4 (kvm_arch_init_vm logs with VM_EVENT and KVM_EVENT)'),
  },
  {
    id: 'ftrace.kvm_s390_create_vcpu',
    view: 'ftrace',
    event: 'kvm_s390_create_vcpu',
    system: 'kvm-s390',
    format: 'create cpu %d at 0x%p, sie block at 0x%p',
    call: 'TRACE_EVENT(kvm_s390_create_vcpu): TP_printk("create cpu %d at 0x%p, sie block at 0x%p", ...)',
    source: 'arch/s390/kvm/trace-s390.h, fired by kvm-s390.c kvm_arch_vcpu_create',
    meaning: identity({ creates: 'kvm_arch_vcpu_create', object: 'vcpu', for: VCPU_EVENTS_OF, who: (g) => ({ vm: { line: true }, vcpu: Number(g[0]), vcpuAt: g[1]! }) }),
  },
  {
    id: 'ftrace.kvm_s390_destroy_vcpu',
    view: 'ftrace',
    event: 'kvm_s390_destroy_vcpu',
    system: 'kvm-s390',
    format: 'destroy cpu %d',
    call: 'TRACE_EVENT(kvm_s390_destroy_vcpu): TP_printk("destroy cpu %d", __entry->id)',
    source: 'arch/s390/kvm/trace-s390.h, fired by kvm-s390.c kvm_arch_vcpu_destroy (kvm_destroy_vcpus, each vcpu in order)',
    meaning: mapped({
      printedBy: ['kvm_destroy_vm'],
      record: (g) => ({ event: 'kvm_s390_destroy_vcpu', fields: {}, who: { vm: { line: true }, vcpu: Number(g[0]) } }),
      print: (step) => destroyVcpus(step, 'kvm_s390_destroy_vcpu'),
    }),
  },
  ...(['starting', 'stopping'] as const).map(
    (verb): Def => ({
      id: `ftrace.kvm_s390_vcpu_start_stop.${verb}`,
      view: 'ftrace',
      event: 'kvm_s390_vcpu_start_stop',
      system: 'kvm-s390',
      format: `${verb} cpu %d`,
      call: 'TRACE_EVENT(kvm_s390_vcpu_start_stop): TP_printk("%s cpu %d", __entry->state ? "starting" : "stopping", __entry->id)',
      source: `arch/s390/kvm/trace-s390.h, fired by kvm-s390.c ${verb === 'starting' ? 'kvm_s390_vcpu_start' : 'kvm_s390_vcpu_stop'} once the vcpu is not already ${verb === 'starting' ? 'started' : 'stopped'}`,
      meaning: mapped({
        printedBy: [verb === 'starting' ? 'kvm_s390_vcpu_start' : 'kvm_s390_vcpu_stop'],
        record: (g) => ({ event: verb === 'starting' ? 'kvm_s390_vcpu_start' : 'kvm_s390_vcpu_stop', fields: {}, who: { vm: { line: true }, vcpu: Number(g[0]) } }),
        print: (step) =>
          seen(step, verb === 'starting' ? 'kvm_s390_vcpu_start' : 'kvm_s390_vcpu_stop').map((o) => ({
            event: o.event.type,
            fields: { vm: evOf(o.event).vm ?? 0, vcpu: evOf(o.event).vcpu ?? 0 },
            at: o.at,
          })),
      }),
    }),
  ),
  {
    id: 'ftrace.kvm_s390_inject_vm',
    view: 'ftrace',
    event: 'kvm_s390_inject_vm',
    system: 'kvm-s390',
    format: 'inject%s: type:%x (%s) parm:%x parm64:%llx',
    call: 'TRACE_EVENT(kvm_s390_inject_vm): TP_printk("inject%s: type:%x (%s) parm:%x parm64:%llx", ...)',
    source: 'arch/s390/kvm/trace-s390.h, fired by interrupt.c kvm_s390_inject_vm',
    meaning: unmapped(`${SOFT_AI}; the FLIC machine maps the AIS tracepoints an injection changes instead`),
  },
  {
    id: 'ftrace.kvm_s390_inject_vcpu',
    view: 'ftrace',
    event: 'kvm_s390_inject_vcpu',
    system: 'kvm-s390',
    format: 'inject (vcpu %d): type:%x (%s) parm:%x parm64:%llx',
    call: 'TRACE_EVENT(kvm_s390_inject_vcpu): TP_printk("inject (vcpu %d): type:%x (%s) parm:%x parm64:%llx", ...)',
    source: 'arch/s390/kvm/trace-s390.h, fired by interrupt.c __inject_*',
    meaning: unmapped(LOCAL_IRQ),
  },
  {
    id: 'ftrace.kvm_s390_deliver_interrupt',
    view: 'ftrace',
    event: 'kvm_s390_deliver_interrupt',
    system: 'kvm-s390',
    format: 'deliver interrupt (vcpu %d): type:%x (%s) data:%08llx %016llx',
    call: 'TRACE_EVENT(kvm_s390_deliver_interrupt): TP_printk("deliver interrupt (vcpu %d): type:%x (%s) data:%08llx %016llx", ...)',
    source:
      'arch/s390/kvm/trace-s390.h, fired by interrupt.c __deliver_*; mapped for __deliver_io taking an ISC from the GISA: type KVM_S390_INT_IO(1, 0, 0, 0), data1 = isc_to_int_word(isc)',
    meaning: mapped({
      printedBy: ['vcpu_pre_run', 'gisa_tac_ipm_gisc'],
      record: (g) => {
        const type = hex(g[1]);
        const data0 = hex(g[3]);
        const word = Number(BigInt(`0x${g[4]}`) & 0xffffffffn);
        if (type !== GISA_AI || data0 !== 0) return { skip: `a delivery of type ${g[1]} (${g[2]}): ${LOCAL_IRQ}; ${FLOATING}` };
        return { event: 'kvm_s390_deliver_interrupt', fields: { isc: (word >>> 27) & 7 }, who: { vm: { line: true }, vcpu: Number(g[0]) } };
      },
      print: (step) => deliveries(step, 'kvm_s390_deliver_interrupt'),
    }),
  },
  {
    id: 'ftrace.kvm_s390_request_resets',
    view: 'ftrace',
    event: 'kvm_s390_request_resets',
    system: 'kvm-s390',
    format: 'requesting userspace resets %llx',
    call: 'TRACE_EVENT(kvm_s390_request_resets): TP_printk("requesting userspace resets %llx", __entry->resets)',
    source: 'arch/s390/kvm/trace-s390.h',
    meaning: unmapped('vcpu resets QEMU performs are not modelled; a stop they include is logged by kvm_s390_vcpu_start_stop'),
  },
  {
    id: 'ftrace.kvm_s390_stop_request',
    view: 'ftrace',
    event: 'kvm_s390_stop_request',
    system: 'kvm-s390',
    format: 'stop request, stop irq = %u, flags = %08x',
    call: 'TRACE_EVENT(kvm_s390_stop_request): TP_printk("stop request, stop irq = %u, flags = %08x", ...)',
    source: 'arch/s390/kvm/trace-s390.h, fired by intercept.c handle_stop',
    meaning: unmapped('the stop itself is logged by kvm_s390_vcpu_start_stop ("stopping cpu %d"), which is mapped'),
  },
  {
    id: 'ftrace.kvm_s390_enable_css',
    view: 'ftrace',
    event: 'kvm_s390_enable_css',
    system: 'kvm-s390',
    format: 'enabling channel I/O support (kvm @ %p)',
    call: 'TRACE_EVENT(kvm_s390_enable_css): TP_printk("enabling channel I/O support (kvm @ %p)\\n", __entry->kvm)',
    source: 'arch/s390/kvm/trace-s390.h, fired by kvm-s390.c kvm_vcpu_ioctl_enable_cap',
    meaning: unmapped(NO_OBJECT),
  },
  ...(['enabling', 'disabling'] as const).map(
    (verb): Def => ({
      id: `ftrace.kvm_s390_enable_disable_ibs.${verb}`,
      view: 'ftrace',
      event: 'kvm_s390_enable_disable_ibs',
      system: 'kvm-s390',
      format: `${verb} ibs on cpu %d`,
      call: 'TRACE_EVENT(kvm_s390_enable_disable_ibs): TP_printk("%s ibs on cpu %d", ...)',
      source: 'arch/s390/kvm/trace-s390.h, fired by kvm-s390.c kvm_s390_handle_requests',
      meaning: unmapped(NO_OBJECT),
    }),
  ),
  {
    id: 'ftrace.kvm_s390_gmap_notifier',
    view: 'ftrace',
    event: 'kvm_s390_gmap_notifier',
    system: 'kvm-s390',
    format: 'gmap notified (start:0x%lx end:0x%lx shadow:%d)',
    call: 'TRACE_EVENT(kvm_s390_gmap_notifier): TP_printk("gmap notified (start:0x%lx end:0x%lx shadow:%d)", ...)',
    source: 'arch/s390/kvm/trace-s390.h, fired by kvm-s390.c kvm_gmap_notifier',
    meaning: unmapped(NO_OBJECT),
  },
];

const TRACE_KVM: Def[] = [
  {
    id: 'ftrace.kvm_s390_intercept_instruction',
    view: 'ftrace',
    event: 'kvm_s390_intercept_instruction',
    system: 'kvm',
    vcpu: true,
    format: 'intercepted instruction %016llx (%s)',
    call: 'TRACE_EVENT(kvm_s390_intercept_instruction): VCPU_TP_PRINTK("intercepted instruction %016llx (%s)", ...)',
    source:
      'arch/s390/kvm/trace.h, fired by intercept.c handle_instruction; mapped for PQAP (ipa 0xb2af, which icpt_insn_codes has no name for, so it prints as 0xb2af): with AP interpretation only PQAP(AQIC) is intercepted (priv.c handle_pqap)',
    meaning: mapped({
      printedBy: ['PQAP_AQIC'],
      record: (g, ctx) =>
        g[0]!.toLowerCase().startsWith('b2af')
          ? { event: 'PQAP', fields: {}, who: { vm: { line: true }, vcpu: ctx.vcpuId! } }
          : { skip: `instruction ${g[0]!.slice(0, 4)} (${g[1]}): ${INTERCEPT}` },
      print: (step) =>
        seen(step, 'PQAP_AQIC').map((o) => {
          const c = core(o.before);
          return { event: 'PQAP', fields: { vm: c.mdev.hook, vcpu: vcpusInSie(c, c.mdev.hook) }, at: o.at };
        }),
    }),
  },
  ...(
    [
      ['kvm_s390_skey_related_inst', 'storage key related instruction', 'priv.c (storage key instructions)', INTERCEPT],
      ['kvm_s390_major_guest_pfault', 'major fault, maybe applicable for pfault', 'kvm-s390.c __kvm_s390_handle_dat_fault', 'guest memory faults are not modelled'],
      ['kvm_s390_pfault_init', 'init pfault token %ld', 'kvm-s390.c kvm_arch_async_page_not_present', LOCAL_IRQ],
      ['kvm_s390_pfault_done', 'done pfault token %ld', 'kvm-s390.c kvm_arch_async_page_present', FLOATING],
      ['kvm_s390_sie_enter', 'entering sie flags %x', 'kvm-s390.c vcpu_pre_run', SIE],
      ['kvm_s390_sie_fault', 'fault in sie instruction', 'kvm-s390.c vcpu_post_run_addressing_exception', 'guest memory faults are not modelled'],
      ['kvm_s390_sie_exit', 'exit sie icptcode %d (%s)', 'kvm-s390.c vcpu_post_run', SIE],
      ['kvm_s390_intercept_prog', 'intercepted program interruption %04x (%s)', 'intercept.c handle_prog', INTERCEPT],
      ['kvm_s390_intercept_validity', 'got validity intercept %04x', 'intercept.c handle_validity', INTERCEPT],
      ['kvm_s390_handle_sigp', 'handle sigp order %02x (%s), cpu address %04x, parameter %08x', 'sigp.c kvm_s390_handle_sigp', `${INTERCEPT}; a SIGP stop or start is logged by kvm_s390_vcpu_start_stop`],
      ['kvm_s390_handle_sigp_pei', 'handle sigp pei order %02x (%s), cpu address %04x', 'sigp.c kvm_s390_handle_sigp_pei', INTERCEPT],
      ['kvm_s390_handle_diag', 'handle diagnose call %04x (%s)', 'diag.c', INTERCEPT],
      ['kvm_s390_handle_lctl', '%s: loading cr %x-%x from %016llx', 'priv.c kvm_s390_handle_lctl, kvm_s390_handle_lctlg', INTERCEPT],
      ['kvm_s390_handle_stctl', '%s: storing cr %x-%x to %016llx', 'priv.c kvm_s390_handle_stctl, handle_stctg', INTERCEPT],
      ['kvm_s390_handle_prefix', '%s prefix to %08x', 'priv.c handle_set_prefix, handle_store_prefix', INTERCEPT],
      ['kvm_s390_handle_stap', 'storing cpu address to %016llx', 'priv.c handle_store_cpu_address', INTERCEPT],
      ['kvm_s390_handle_stfl', 'store facility list value %08x', 'priv.c handle_stfl', INTERCEPT],
      ['kvm_s390_handle_stsi', 'STSI %d.%d.%d information stored to %016llx', 'priv.c handle_stsi', INTERCEPT],
      ['kvm_s390_handle_operexc', 'operation exception on instruction %016llx (%s)', 'intercept.c handle_operexc', INTERCEPT],
      ['kvm_s390_handle_sthyi', 'STHYI fc: %llu addr: %016llx', 'kvm-s390.c handle_sthyi', INTERCEPT],
    ] as const
  ).map(
    ([event, format, fn, reason]): Def => ({
      id: `ftrace.${event}`,
      view: 'ftrace',
      event,
      system: 'kvm',
      vcpu: true,
      format,
      call: `TRACE_EVENT(${event}): VCPU_TP_PRINTK("${format}", ...)`,
      source: `arch/s390/kvm/trace.h, fired by ${fn}`,
      meaning: unmapped(reason),
    }),
  ),
];

// ---------------------------------------------------------------------------------------------
// The FLIC's AIS tracepoints (trace-s390.h). The mode names are the TP_printk's strings; the
// kernel computes `from` as simm ? (nimm ? 2 : SINGLE) : ALL, so the NIMM pair (0,1) prints as ALL.

const AIS_TEXT = { ALL: 'ALL-Interruptions Mode', SINGLE: 'Single-Interruption Mode', NO: 'No-Interruptions Mode' } as const;
type AisText = keyof typeof AIS_TEXT;
const aisFrom = (m: Mode | undefined): AisText => (m === 'SINGLE' || m === 'NO' ? m : 'ALL');
/** The `to` argument: KVM_S390_AIS_MODE_ALL (0), _SINGLE (1), anything else prints as No-Interruptions. */
const aisTo = (mode: number): AisText => (mode === 0 ? 'ALL' : mode === 1 ? 'SINGLE' : 'NO');
const AIS_NAME = new Map<string, AisText>(Object.entries(AIS_TEXT).map(([k, v]) => [v, k as AisText]));
const AIS_ALT = Object.values(AIS_TEXT).map(escape).join('|');

function flicIscs(model: Model): readonly number[] {
  return FLIC_CONFIGURATIONS.find((c) => c.id === model.configurationId)?.params.iscs ?? [];
}

const FLIC: Def[] = [
  {
    id: 'ftrace.kvm_s390_modify_ais_mode',
    view: 'ftrace',
    event: 'kvm_s390_modify_ais_mode',
    system: 'kvm-s390',
    format: 'for isc %x, modifying interruption mode from %s to %s',
    re: new RegExp(`^for isc ([0-9a-f]+), modifying interruption mode from (${AIS_ALT}) to (${AIS_ALT})$`),
    call: 'TRACE_EVENT(kvm_s390_modify_ais_mode): TP_printk("for isc %x, modifying interruption mode from %s to %s", ...)',
    source: 'arch/s390/kvm/trace-s390.h, fired by interrupt.c modify_ais_mode (KVM_DEV_FLIC_AISM, after the facility, copy and ISC checks) and kvm_s390_inject_airq (SINGLE to 2 after an injection)',
    meaning: mapped({
      printedBy: ['KVM_DEV_FLIC_AISM'],
      record: (g) => ({ event: 'kvm_s390_modify_ais_mode', fields: { isc: hex(g[0]), from: AIS_NAME.get(g[1]!)!, to: AIS_NAME.get(g[2]!)! }, who: {} }),
      print(step, model) {
        const before = step.before.context as FlicContext;
        const after = step.after.context as FlicContext;
        if (!Array.isArray(after?.ais)) return [];
        const iscs = flicIscs(model);
        const e = step.event as { type: string; isc?: number; mode?: number };
        if (e.type === 'KVM_DEV_FLIC_AISM') {
          // modify_ais_mode traces once req.isc passed the range check: the machine records req.mode then
          if (after.last.req === -1) return [];
          return [{ event: 'kvm_s390_modify_ais_mode', fields: { isc: e.isc!, from: aisFrom(before.ais[iscs.indexOf(e.isc!)]), to: aisTo(e.mode!) } }];
        }
        if (e.type === 'KVM_DEV_FLIC_AISM_ALL') return []; // flic_ais_mode_set_all writes simm/nimm without a trace
        // kvm_s390_inject_airq: an injection in SINGLE sets nimm and traces SINGLE -> 2
        return iscs.flatMap((isc, k) => (before.ais[k] === 'SINGLE' && after.ais[k] === 'NO' ? [{ event: 'kvm_s390_modify_ais_mode', fields: { isc, from: 'SINGLE', to: 'NO' } }] : []));
      },
    }),
  },
  {
    id: 'ftrace.kvm_s390_airq_suppressed',
    view: 'ftrace',
    event: 'kvm_s390_airq_suppressed',
    system: 'kvm-s390',
    format: 'adapter I/O interrupt suppressed (id:%x isc:%x)',
    call: 'TRACE_EVENT(kvm_s390_airq_suppressed): TP_printk("adapter I/O interrupt suppressed (id:%x isc:%x)", ...)',
    source: "arch/s390/kvm/trace-s390.h, fired by interrupt.c kvm_s390_inject_airq when nimm is set for the adapter's ISC",
    meaning: mapped({
      printedBy: ['KVM_DEV_FLIC_AIRQ_INJECT', 'set_adapter_int'],
      record: (g) => ({ event: 'kvm_s390_airq_suppressed', fields: { id: hex(g[0]), isc: hex(g[1]) }, who: {} }),
      print(step) {
        const after = step.after.context as FlicContext;
        return after?.last?.suppressed ? [{ event: 'kvm_s390_airq_suppressed', fields: { id: after.last.id, isc: after.last.isc } }] : [];
      },
    }),
  },
];

// ---------------------------------------------------------------------------------------------
// vfio_ap: the s390dbf vfio_ap view (VFIO_AP_DBF_WARN, level 4, "%s: " with __func__ first).

const APQN = '%#04x';
/** The ap_aqic responses the model's OTHER outcome stands for (vfio_ap_queue.machine.ts). */
const OTHER_RESPONSES = [1, 2, 3, 4, 5, 6, 8];

function aqic(step: Step): { q: number; isc: number; outcome: string; ir: number; c: Core; at: number }[] {
  return seen(step, 'PQAP_AQIC').map((o) => {
    const e = evOf(o.event);
    return { q: e.q ?? 0, isc: e.isc ?? -1, outcome: e.outcome ?? '', ir: e.ir ?? 0, c: core(o.before), at: o.at };
  });
}

/** kvm_s390_gisc_register fails: -ENODEV without a GISA origin, -ERANGE above MAX_ISC. */
const registerFails = (c: Core, isc: number): boolean => {
  const vm = c.mdev.kvm;
  return vm < 0 || !c.vms[vm]?.gisa.origin || isc > 7;
};

const VFIO_AP: Def[] = [
  {
    id: 'vfio_ap.invalid-nib',
    view: 'vfio_ap',
    level: 4,
    format: `vfio_ap_irq_enable: invalid NIB address: nib=%pad, apqn=${APQN}`,
    call: 'VFIO_AP_DBF_WARN("%s: invalid NIB address: nib=%pad, apqn=%#04x\\n", __func__, &nib, q->apqn)',
    source: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable (vfio_ap_validate_nib failed)',
    meaning: mapped({
      printedBy: ['PQAP_AQIC'],
      record: (g) => ({ event: 'vfio_ap_irq_enable', fields: { rc: 'invalid NIB address' }, who: { q: g[1]! } }),
      print: (step) => aqic(step).flatMap((a) => (a.ir === 1 && a.outcome === 'NIB_INVALID' ? [{ event: 'vfio_ap_irq_enable', fields: { q: a.q, rc: 'invalid NIB address' }, at: a.at }] : [])),
    }),
  },
  {
    id: 'vfio_ap.pin-failed',
    view: 'vfio_ap',
    level: 4,
    format: `vfio_ap_irq_enable: vfio_pin_pages failed: rc=%d,nib=%pad, apqn=${APQN}`,
    call: 'VFIO_AP_DBF_WARN("%s: vfio_pin_pages failed: rc=%d," "nib=%pad, apqn=%#04x\\n", __func__, ret, &nib, q->apqn)',
    source: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable',
    meaning: mapped({
      printedBy: ['PQAP_AQIC'],
      record: (g) => ({ event: 'vfio_ap_irq_enable', fields: { rc: 'vfio_pin_pages failed' }, who: { q: g[2]! } }),
      print: (step) => aqic(step).flatMap((a) => (a.ir === 1 && a.outcome === 'PIN_FAILED' ? [{ event: 'vfio_ap_irq_enable', fields: { q: a.q, rc: 'vfio_pin_pages failed' }, at: a.at }] : [])),
    }),
  },
  {
    id: 'vfio_ap.gisc-register-failed',
    view: 'vfio_ap',
    level: 4,
    format: `vfio_ap_irq_enable: gisc registration failed: nisc=%d, isc=%d, apqn=${APQN}`,
    call: 'VFIO_AP_DBF_WARN("%s: gisc registration failed: nisc=%d, isc=%d, apqn=%#04x\\n", __func__, nisc, isc, q->apqn)',
    source: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable (kvm_s390_gisc_register: -ENODEV without a GISA, -ERANGE)',
    meaning: mapped({
      printedBy: ['PQAP_AQIC'],
      record: (g) => ({ event: 'vfio_ap_irq_enable', fields: { rc: 'gisc registration failed', isc: Number(g[1]) }, who: { q: g[2]! } }),
      print: (step) =>
        aqic(step).flatMap((a) =>
          a.ir === 1 && a.outcome !== 'NIB_INVALID' && a.outcome !== 'PIN_FAILED' && registerFails(a.c, a.isc)
            ? [{ event: 'vfio_ap_irq_enable', fields: { q: a.q, rc: 'gisc registration failed', isc: a.isc }, at: a.at }]
            : [],
        ),
    }),
  },
  {
    id: 'vfio_ap.aqic-failed',
    view: 'vfio_ap',
    level: 4,
    format: `vfio_ap_irq_enable: PQAP(AQIC) failed with status=%#02x: zone=%#x, ir=%#x, gisc=%#x, f=%#x,gisa=%#x, isc=%#x, apqn=${APQN}`,
    call: 'VFIO_AP_DBF_WARN("%s: PQAP(AQIC) failed with status=%#02x: " "zone=%#x, ir=%#x, gisc=%#x, f=%#x," "gisa=%#x, isc=%#x, apqn=%#04x\\n", ...)',
    source: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable (ap_aqic answered other than AP_RESPONSE_NORMAL)',
    meaning: mapped({
      printedBy: ['PQAP_AQIC'],
      record: (g) => ({ event: 'vfio_ap_irq_enable', fields: { rc: 'PQAP(AQIC) failed', status: num(g[0]), gisc: num(g[3]) }, who: { q: g[7]! } }),
      print: (step) =>
        aqic(step).flatMap((a) => {
          if (a.ir !== 1 || (a.outcome !== 'OTHERWISE_CHANGED' && a.outcome !== 'OTHER') || registerFails(a.c, a.isc)) return [];
          const status = a.outcome === 'OTHERWISE_CHANGED' ? 7 : OTHER_RESPONSES;
          return [{ event: 'vfio_ap_irq_enable', fields: { q: a.q, rc: 'PQAP(AQIC) failed', status, gisc: a.isc }, at: a.at }];
        }),
    }),
  },
  {
    id: 'vfio_ap.gisc-unregister',
    view: 'vfio_ap',
    level: 4,
    format: `vfio_ap_irq_enable: kvm_s390_gisc_unregister: rc=%d isc=%d, apqn=${APQN}`,
    call: 'VFIO_AP_DBF_WARN("%s: kvm_s390_gisc_unregister: rc=%d isc=%d, apqn=%#04x\\n", __func__, ret, isc, q->apqn)',
    source: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_enable (AP_RESPONSE_OTHERWISE_CHANGED)',
    meaning: unmapped('kvm_s390_gisc_unregister cannot fail right after the kvm_s390_gisc_register of the same call (ref_count is at least 1, the GISA is there): no step of the model prints it'),
  },
  ...(
    [
      ['AIV facility not installed: apqn=0x%04x, eca=0x%04x', 'a guest without the AIV facility: the machines model a guest with a GISA'],
      ['PQAP(AQIC) hook not registered with the vfio_ap driver: apqn=0x%04x', "the model's PQAP_AQIC happens only while the hook is installed (guard pqap_hook); without it the instruction is answered with no modelled field changed"],
      ['mdev %08lx-%04lx-%04lx-%04lx-%04lx%08lx not in use: apqn=0x%04x', "matrix_mdev->kvm is NULL: answered without touching a queue (guard pqap_hook)"],
      ['Queue %02x.%04x not bound to the vfio_ap driver', 'an APQN outside the mdev is answered AP_RESPONSE_Q_NOT_AVAIL: no modelled field changes'],
    ] as const
  ).map(
    ([format, reason]): Def => ({
      id: `vfio_ap.handle_pqap.${slug(format)}`,
      view: 'vfio_ap',
      level: 4,
      format: `handle_pqap: ${format}`,
      call: `VFIO_AP_DBF_WARN("%s: ${format}\\n", __func__, ...)`,
      source: 'drivers/s390/crypto/vfio_ap_ops.c handle_pqap',
      meaning: unmapped(reason),
    }),
  ),
];

// ---------------------------------------------------------------------------------------------
// vfio-ccw: the vfio_ccw tracepoints and the s390dbf vfio_ccw_msg view (VFIO_CCW_MSG_EVENT).

/**
 * enum vfio_ccw_event in the kernel's order (vfio_ccw_private.h at 9b44fff655e2: NOT_OPER, IO_REQ,
 * INTERRUPT, ASYNC_REQ, OPEN, CLOSE); older kernels have a prefix of it. The machine's
 * `version.events` lists ASYNC_REQ before INTERRUPT, so the order is taken from here.
 */
const CCW_EVENT_ORDER: readonly FsmEventName[] = ['NOT_OPER', 'IO_REQ', 'INTERRUPT', 'ASYNC_REQ', 'OPEN', 'CLOSE'];
const FSM_PREFIX = 'VFIO_CCW_EVENT_';
/** VFIO_CCW_ASYNC_CMD_HSCH and _CSCH (include/uapi/linux/vfio_ccw.h). */
const ASYNC_CMD = { HSCH: 1, CSCH: 2 } as const;
const EBUSY = -16, EACCES = -13, ENODEV = -19;

/** The version of the vfio-ccw variant being replayed. */
export function ccwVersion(model: Model): CcwVersion | undefined {
  if (model.machineId !== 'vfio_ccw_private') return undefined;
  return ccwVariants.find((x) => x.id === model.variantId)?.version;
}

/** enum vfio_ccw_state (the variant's, in order) and enum vfio_ccw_event of the variant being replayed. */
export function ccwEnums(model: Model): { states: readonly StateName[]; events: readonly FsmEventName[] } | undefined {
  const v = ccwVersion(model);
  return v && { states: v.states, events: CCW_EVENT_ORDER.filter((e) => (v.events as readonly string[]).includes(e)) };
}

const SCH = '%x.%x.%04x';
const schOf = (g: readonly string[]) => `${g[0]}.${g[1]}.${g[2]}`;
const ccwCtx = (snap: { context: unknown }) => snap.context as CcwContext;
const ccwEv = (e: unknown) => e as CcwEvent;

/** Each FSM event of a step with the handler the jump table runs for it. */
function fsmEvents(step: Step, model: Model): { event: FsmEventName; state: StateName; handler: string; c: CcwContext; e: CcwEvent; at: number }[] {
  const v = ccwVersion(model);
  if (!v) return [];
  return step.observations.flatMap((o, at) => {
    if (!o.event.type.startsWith(FSM_PREFIX)) return [];
    const event = o.event.type.slice(FSM_PREFIX.length) as FsmEventName;
    const state = String(o.before.value) as StateName;
    return [{ event, state, handler: v.jumptable[state]?.[event] ?? '', c: ccwCtx(o.before), e: ccwEv(o.event), at }];
  });
}

/** What fsm_io_request's err_out reports for a step: the errstr and errno of vfio_ccw_fsm_io_request. */
function ioRequestErrors(step: Step, model: Model): { info: string; errno?: number; at: number }[] {
  const v = ccwVersion(model);
  if (!v) return [];
  const out: { info: string; errno?: number; at: number }[] = [];
  // cp_init finds a channel program still initialised (v5.14+): -EBUSY
  for (const f of fsmEvents(step, model)) if (f.event === 'IO_REQ' && f.handler === 'fsm_io_request' && v.cpInitialized && f.c.cp) out.push({ info: 'cp init', errno: EBUSY, at: f.at });
  for (const o of seen(step, 'fsm_io_helper')) {
    const e = ccwEv(o.event);
    const result = v.cpInitialized && !ccwCtx(o.before).cp ? 'cp_prefetch' : e.result;
    if (result === 'cp_prefetch') out.push({ info: 'cp prefetch', at: o.at });
    else if (result === 'cc1' || result === 'cc2') out.push({ info: 'cp fsm_io_helper', errno: EBUSY, at: o.at });
    else if (result === 'cc3') out.push({ info: 'cp fsm_io_helper', errno: EACCES, at: o.at });
  }
  return out;
}

const CCW: Def[] = [
  {
    id: 'ftrace.vfio_ccw_fsm_event',
    view: 'ftrace',
    event: 'vfio_ccw_fsm_event',
    system: 'vfio_ccw',
    format: `schid=${SCH} state=%d event=%d`,
    call: 'TRACE_EVENT(vfio_ccw_fsm_event): TP_printk("schid=%x.%x.%04x state=%d event=%d", ...)',
    source: 'drivers/s390/cio/vfio_ccw_trace.h, fired by vfio_ccw_private.h vfio_ccw_fsm_event() with private->state before the handler',
    meaning: mapped({
      printedBy: ['vfio_ccw_mdev_write', 'vfio_ccw_sch_irq'],
      record: (g, ctx) => {
        const enums = ccwEnums(ctx.model)!;
        const state = enums.states[Number(g[3])];
        const event = enums.events[Number(g[4])];
        if (state === undefined) throw new FieldError(`bad field state=${g[3]}: enum vfio_ccw_state of ${ctx.model.variantId} has ${enums.states.length} values (${enums.states.join(', ')})`);
        if (event === undefined) throw new FieldError(`bad field event=${g[4]}: enum vfio_ccw_event of ${ctx.model.variantId} has ${enums.events.length} values (${enums.events.join(', ')})`);
        return { event: FSM_PREFIX + event, fields: { state }, who: { sch: schOf(g) } };
      },
      print: (step, model) => fsmEvents(step, model).map((f) => ({ event: FSM_PREFIX + f.event, fields: { state: f.state }, at: f.at })),
    }),
  },
  {
    id: 'ftrace.vfio_ccw_fsm_io_request',
    view: 'ftrace',
    event: 'vfio_ccw_fsm_io_request',
    system: 'vfio_ccw',
    format: `schid=${SCH} fctl=0x%x errno=%d info=%s`,
    call: 'TRACE_EVENT(vfio_ccw_fsm_io_request): TP_printk("schid=%x.%x.%04x fctl=0x%x errno=%d info=%s", ...)',
    source: 'drivers/s390/cio/vfio_ccw_trace.h, fired by vfio_ccw_fsm.c fsm_io_request at err_out (errstr "cp init", "cp prefetch", "cp fsm_io_helper", "transport mode", "request")',
    meaning: mapped({
      printedBy: ['fsm_io_helper', 'copy_from_user'],
      record: (g) => {
        const info = g[5]!;
        const errno = Number(g[4]);
        if (info === 'cp prefetch') return { event: 'vfio_ccw_fsm_io_request', fields: { info }, who: { sch: schOf(g) } };
        if (info === 'cp fsm_io_helper' || (info === 'cp init' && errno === EBUSY)) return { event: 'vfio_ccw_fsm_io_request', fields: { info, errno }, who: { sch: schOf(g) } };
        return { skip: info === 'cp init' ? 'cp_init failures other than -EBUSY are not modelled (vfio_ccw_private.machine.ts)' : 'transport-mode requests and halt or clear on the io_region (-EOPNOTSUPP) are not modelled' };
      },
      print: (step, model) => ioRequestErrors(step, model).map((r) => ({ event: 'vfio_ccw_fsm_io_request', fields: r.errno === undefined ? { info: r.info } : { info: r.info, errno: r.errno }, at: r.at })),
    }),
  },
  {
    id: 'ftrace.vfio_ccw_fsm_async_request',
    view: 'ftrace',
    event: 'vfio_ccw_fsm_async_request',
    system: 'vfio_ccw',
    format: `schid=${SCH} command=0x%x errno=%d`,
    call: 'TRACE_EVENT(vfio_ccw_fsm_async_request): TP_printk("schid=%x.%x.%04x command=0x%x errno=%d", ...)',
    source: 'drivers/s390/cio/vfio_ccw_trace.h, fired by vfio_ccw_fsm.c fsm_async_request (fsm_do_halt, fsm_do_clear)',
    meaning: mapped({
      printedBy: ['vfio_ccw_async_region_write'],
      record: (g) => ({ event: 'vfio_ccw_fsm_async_request', fields: { command: hex(g[3]), errno: Number(g[4]) }, who: { sch: schOf(g) } }),
      print: (step, model) =>
        fsmEvents(step, model)
          .filter((f) => f.event === 'ASYNC_REQ' && f.handler === 'fsm_async_request')
          .map((f) => {
            const cc = f.e.cc ?? 0;
            const errno = cc === 0 ? 0 : cc === 3 ? ENODEV : f.e.cmd === 'HSCH' ? EBUSY : cc;
            return { event: 'vfio_ccw_fsm_async_request', fields: { command: ASYNC_CMD[f.e.cmd ?? 'HSCH'], errno }, at: f.at };
          }),
    }),
  },
  {
    id: 'ftrace.vfio_ccw_chp_event',
    view: 'ftrace',
    event: 'vfio_ccw_chp_event',
    system: 'vfio_ccw',
    format: `schid=${SCH} mask=0x%x event=%d`,
    call: 'TRACE_EVENT(vfio_ccw_chp_event): TP_printk("schid=%x.%x.%04x mask=0x%x event=%d", ...)',
    source: 'drivers/s390/cio/vfio_ccw_trace.h (added after the 2ea352d5960a blob), fired by vfio_ccw_drv.c vfio_ccw_chp_event',
    pin: `${PIN}: the call site; the TP_printk matches the VFIO_CCW_MSG_EVENT beside it`,
    meaning: unmapped('channel-path events: paths and lpm are not modelled (vfio_ccw_private.machine.ts)'),
  },
  {
    id: 'vfio_ccw_msg.notoper',
    view: 'vfio_ccw_msg',
    level: 2,
    format: `sch ${SCH}: notoper event %x state %x`,
    call: 'VFIO_CCW_MSG_EVENT(2, "sch %x.%x.%04x: notoper event %x state %x\\n", ..., event, private->state)',
    source: 'drivers/s390/cio/vfio_ccw_fsm.c fsm_notoper (before it sets VFIO_CCW_STATE_NOT_OPER)',
    meaning: mapped({
      printedBy: ['vfio_ccw_sch_event', 'vfio_ccw_mdev_close_device', 'vfio_ccw_mdev_open_device', 'vfio_ccw_mdev_remove'],
      record: (g, ctx) => {
        const enums = ccwEnums(ctx.model)!;
        const event = enums.events[hex(g[3])];
        const state = enums.states[hex(g[4])];
        if (event === undefined || state === undefined) throw new FieldError(`bad field: event ${g[3]} or state ${g[4]} outside enum vfio_ccw_event (${enums.events.join(', ')}) or vfio_ccw_state (${enums.states.join(', ')}) of ${ctx.model.variantId}`);
        return { event: 'fsm_notoper', fields: { fsm: event, state }, who: { sch: schOf(g) } };
      },
      print: (step, model) => fsmEvents(step, model).filter((f) => f.handler === 'fsm_notoper').map((f) => ({ event: 'fsm_notoper', fields: { fsm: f.event, state: f.state }, at: f.at })),
    }),
  },
  {
    id: 'vfio_ccw_msg.cp_init',
    view: 'vfio_ccw_msg',
    level: 2,
    format: `sch ${SCH}: cp_init=%d`,
    call: 'VFIO_CCW_MSG_EVENT(2, "sch %x.%x.%04x: cp_init=%d\\n", ..., io_region->ret_code)',
    source: 'drivers/s390/cio/vfio_ccw_fsm.c fsm_io_request',
    meaning: mapped({
      printedBy: ['copy_from_user'],
      record: (g) =>
        Number(g[3]) === EBUSY
          ? { event: 'fsm_io_request', fields: { failed: 'cp_init', errno: EBUSY }, who: { sch: schOf(g) } }
          : { skip: 'cp_init failures other than -EBUSY are not modelled (vfio_ccw_private.machine.ts)' },
      print: (step, model) => ioRequestErrors(step, model).flatMap((r) => (r.info === 'cp init' ? [{ event: 'fsm_io_request', fields: { failed: 'cp_init', errno: EBUSY }, at: r.at }] : [])),
    }),
  },
  {
    id: 'vfio_ccw_msg.cp_prefetch',
    view: 'vfio_ccw_msg',
    level: 2,
    format: `sch ${SCH}: cp_prefetch=%d`,
    call: 'VFIO_CCW_MSG_EVENT(2, "sch %x.%x.%04x: cp_prefetch=%d\\n", ..., io_region->ret_code)',
    source: 'drivers/s390/cio/vfio_ccw_fsm.c fsm_io_request',
    meaning: mapped({
      printedBy: ['fsm_io_helper'],
      record: (g) => ({ event: 'fsm_io_request', fields: { failed: 'cp_prefetch' }, who: { sch: schOf(g) } }),
      print: (step, model) => ioRequestErrors(step, model).flatMap((r) => (r.info === 'cp prefetch' ? [{ event: 'fsm_io_request', fields: { failed: 'cp_prefetch' }, at: r.at }] : [])),
    }),
  },
  {
    id: 'vfio_ccw_msg.fsm_io_helper',
    view: 'vfio_ccw_msg',
    level: 2,
    format: `sch ${SCH}: fsm_io_helper=%d`,
    call: 'VFIO_CCW_MSG_EVENT(2, "sch %x.%x.%04x: fsm_io_helper=%d\\n", ..., io_region->ret_code)',
    source: 'drivers/s390/cio/vfio_ccw_fsm.c fsm_io_request (ssch condition code 1 or 2: -EBUSY, 3: -EACCES or -ENODEV)',
    meaning: mapped({
      printedBy: ['fsm_io_helper'],
      record: (g) => ({ event: 'fsm_io_request', fields: { failed: 'fsm_io_helper', errno: Number(g[3]) }, who: { sch: schOf(g) } }),
      print: (step, model) =>
        ioRequestErrors(step, model).flatMap((r) => (r.info === 'cp fsm_io_helper' ? [{ event: 'fsm_io_request', fields: { failed: 'fsm_io_helper', errno: r.errno! }, at: r.at }] : [])),
    }),
  },
  {
    id: 'vfio_ccw_msg.create',
    view: 'vfio_ccw_msg',
    level: 2,
    format: `sch ${SCH}: create`,
    call: 'VFIO_CCW_MSG_EVENT(2, "sch %x.%x.%04x: create\\n", ...)',
    source: 'drivers/s390/cio/vfio_ccw_ops.c vfio_ccw_mdev_probe (vfio_ccw_mdev_create before v6.0)',
    meaning: mapped({
      printedBy: ['vfio_ccw_mdev_create'],
      record: (g) => ({ event: 'vfio_ccw_mdev_create', fields: {}, who: { sch: schOf(g) } }),
      print: (step) => seen(step, 'vfio_ccw_mdev_create').map((o) => ({ event: 'vfio_ccw_mdev_create', fields: {}, at: o.at })),
      otherwise: identity({ creates: 'vfio_ccw_mdev_probe', object: 'sch', for: ['vfio_ccw_sch_irq'], who: (g) => ({ sch: schOf(g) }) }),
    }),
  },
  {
    id: 'vfio_ccw_msg.remove',
    view: 'vfio_ccw_msg',
    level: 2,
    format: `sch ${SCH}: remove`,
    call: 'VFIO_CCW_MSG_EVENT(2, "sch %x.%x.%04x: remove\\n", ...)',
    source: 'drivers/s390/cio/vfio_ccw_ops.c vfio_ccw_mdev_remove',
    meaning: mapped({
      printedBy: ['vfio_ccw_mdev_remove'],
      record: (g) => ({ event: 'vfio_ccw_mdev_remove', fields: {}, who: { sch: schOf(g) } }),
      print: (step) => seen(step, 'vfio_ccw_mdev_remove').map((o) => ({ event: 'vfio_ccw_mdev_remove', fields: {}, at: o.at })),
      otherwise: unmapped('since v6.0 the mdev is removed after its last close: no modelled field changes (lifecycle open_close)'),
    }),
  },
  {
    id: 'vfio_ccw_msg.bound',
    view: 'vfio_ccw_msg',
    level: 4,
    format: `bound to subchannel ${SCH}`,
    call: 'VFIO_CCW_MSG_EVENT(4, "bound to subchannel %x.%x.%04x\\n", ...)',
    source: 'drivers/s390/cio/vfio_ccw_drv.c vfio_ccw_sch_probe',
    meaning: identity({ creates: 'vfio_ccw_sch_probe', object: 'sch', for: ['vfio_ccw_sch_irq'], who: (g) => ({ sch: schOf(g) }) }),
  },
  ...(
    [
      [4, `unbound from subchannel ${SCH}`, 'vfio_ccw_drv.c vfio_ccw_sch_remove', 'the unbinding of the subchannel ends the object the machine models; not modelled'],
      [2, `sch ${SCH}: unexpected interrupt`, 'vfio_ccw_drv.c vfio_ccw_sch_irq', 'an interruption while no private exists (no mdev): outside the machine\'s life'],
      [2, `sch ${SCH}: mask=0x%x event=%d`, 'vfio_ccw_drv.c vfio_ccw_chp_event', 'channel-path events: paths and lpm are not modelled'],
      [2, `sch ${SCH}: transport mode`, 'vfio_ccw_fsm.c fsm_io_request', 'transport-mode requests (-EOPNOTSUPP) are not modelled'],
      [2, `sch ${SCH}: halt on io_region`, 'vfio_ccw_fsm.c fsm_io_request', 'halt on the io_region (-EOPNOTSUPP) is not modelled'],
      [2, `sch ${SCH}: clear on io_region`, 'vfio_ccw_fsm.c fsm_io_request', 'clear on the io_region (-EOPNOTSUPP) is not modelled'],
    ] as const
  ).map(
    ([level, format, fn, reason]): Def => ({
      id: `vfio_ccw_msg.${slug(format)}`,
      view: 'vfio_ccw_msg',
      level,
      format,
      call: `VFIO_CCW_MSG_EVENT(${level}, "${format}\\n", ...)`,
      source: `drivers/s390/cio/${fn}`,
      meaning: unmapped(reason),
    }),
  ),
  {
    id: 'vfio_ccw_trace.events',
    view: 'vfio_ccw_trace',
    format: 'stIO / haltIO / clearIO / IRQ, the device name, the condition code (hex_ascii view)',
    re: /^(?:[0-9a-f]{2} )+\| .*$/,
    call: 'VFIO_CCW_TRACE_EVENT(5, "stIO"), VFIO_CCW_TRACE_EVENT(2, "haltIO"), ..., VFIO_CCW_HEX_EVENT(level, &ccode, sizeof(ccode))',
    source: 'drivers/s390/cio/vfio_ccw_fsm.c fsm_io_helper, fsm_do_halt, fsm_do_clear, fsm_irq',
    meaning: unmapped('text and hex events of the vfio_ccw_trace debug feature, shown in its hex_ascii view; replay reads sprintf views and ftrace'),
  },
];

/** A field of a mapped line the enums of the variant cannot hold. */
export class FieldError extends Error {
  override name = 'FieldError';
}

export const CATALOGUE: readonly Message[] = [...KVM, ...KVM_UNMAPPED, ...TRACE_S390, ...TRACE_KVM, ...FLIC, ...VFIO_AP, ...CCW].map(message);

{
  const ids = new Set<string>();
  for (const m of CATALOGUE) {
    if (ids.has(m.id)) throw new Error(`catalogue: duplicate id ${m.id}`);
    ids.add(m.id);
  }
}

/** The catalogue entry of an id. */
export function messageById(id: string): Message | undefined {
  return CATALOGUE.find((m) => m.id === id);
}
