// Safety properties of the FLIC: each reads one state, including context.last (what the last
// step returned, added, removed and changed, and the AIS modes before it). Every sentence of
// Documentation/virt/kvm/devices/s390_flic.rst that promises something is one property citing
// it, as are the api.rst sentences on the device ioctls and capabilities, and the kernel rules
// AIS follows (a8920950131b, 519783935451).
import type { AbstractState, Invariant } from '../../src/spec.ts';
import {
  E,
  GROUP,
  KVM_S390_AIS_MODE_ALL,
  KVM_S390_AIS_MODE_SINGLE,
  MAX_ISC,
  MAX_S390_IO_ADAPTERS,
  SUBCHANNELS,
  aiIrq,
  type FlicEvent,
  type FlicParams,
  type Irq,
} from './kvm_s390_float_interrupt.bounds.ts';
import { MODES, minus, type FlicContext, type Mode } from './kvm_s390_float_interrupt.machine.ts';

// The documentation's encodings, written here apart from the machine's helpers (modeOf, iscBit, nimmOf, pendingOf,
// schidOf), so that a wrong helper in the machine is a violation and not a shared mistake.
/** s390_flic.rst AISM_ALL: "MSB0 bit 0 to ISC 0 and so on" */
const iscBit = (isc: number): number => 0x80 >> isc;
/** s390_flic.rst AISM_ALL: "The combination of simm bit and nimm bit presents AIS mode for a ISC" (README: the four pairs) */
const modeOf = (simm: boolean, nimm: boolean): Mode => (simm && nimm ? 'NO' : simm ? 'SINGLE' : nimm ? 'NIMM' : 'ALL');
/** kvm_s390_inject_airq suppresses iff the ISC's nimm bit is set */
const nimmOf = (m: Mode): boolean => m === 'NO' || m === 'NIMM';
/** Every pending floating interruption: the GISA IPM's ISCs, the lists, the service signal, the machine check. */
function pendingOf(c: FlicContext): Irq[] {
  const out: Irq[] = [];
  for (let isc = 0; isc <= MAX_ISC; isc++) if (c.ipm & iscBit(isc)) out.push(aiIrq(isc));
  return [...out, ...c.list, ...(c.service ? ['service'] : []), ...(c.mchk ? ['mchk'] : [])];
}
/** The subsystem-identification word of a classic I/O interruption `io:<subchannel>:<isc>`, 0 for every other kind. */
const schidOf = (irq: Irq): number => (irq.startsWith('io:') ? (SUBCHANNELS[irq.split(':')[1] as keyof typeof SUBCHANNELS] ?? -1) : 0);
/** The ISC of an I/O interruption (classic or adapter), -1 for other kinds. */
const iscOf = (irq: Irq): number => (irq.startsWith('io:') || irq.startsWith('ai:') ? Number(irq.split(':').pop()) : -1);
/** AIS applies to this adapter's injection (facility 72 and KVM_S390_ADAPTER_SUPPRESSIBLE), with the mode before. */
function aisModeBefore(p: FlicParams, s: AbstractState<FlicContext>, id: number): Mode | null {
  const a = s.context.adapters[id];
  const k = a ? p.iscs.indexOf(a.isc) : -1;
  return a && s.context.fac72 && a.suppressible && k >= 0 ? s.context.last.from[k]! : null;
}
/** The AIS groups without KVM_CAP_S390_AIS: the kernel's -EOPNOTSUPP, or the -ENXIO variant documented-errno uses. */
const NOCAP = [E.EOPNOTSUPP, E.ENXIO];

/** A defect of the request: `codes` when `cond` (module level, not a closure per call: esbuild's keepNames names each closure with a defineProperty). */
function when(d: number[][], cond: unknown, codes: number | number[]): void {
  if (cond) d.push(Array.isArray(codes) ? codes : [codes]);
}

/**
 * The outcome a request calls for, from its arguments and what it found: the error codes its defects call for (any
 * of them, as the checks' order decides; none: it must succeed), or null where another property judges it. Each
 * defect is one of the kernel's checks, with the errno its standard meaning names (api.rst: EFAULT for a bad
 * address, EINVAL for an invalid argument, ENOMEM for a failed allocation).
 */
function defectsOf(p: FlicParams, s: AbstractState<FlicContext>): number[][] | null {
  const l = s.context.last;
  const e = l.arg.ev;
  if (!e) return null;
  const c = s.context;
  const d: number[][] = [];
  switch (e.type) {
    case 'KVM_DEV_FLIC_AISM':
      when(d, !c.fac72, NOCAP);
      when(d, e.fault, E.EFAULT);
      when(d, e.isc > MAX_ISC, E.EINVAL);
      when(d, e.mode !== KVM_S390_AIS_MODE_ALL && e.mode !== KVM_S390_AIS_MODE_SINGLE, E.EINVAL);
      return d;
    case 'KVM_DEV_FLIC_AISM_ALL':
      when(d, e.dir === 'get' && e.size < 2, E.EINVAL);
      when(d, !c.fac72, NOCAP);
      when(d, e.fault, E.EFAULT);
      return d;
    case 'KVM_DEV_FLIC_CLEAR_IO_IRQ':
      when(d, e.flags, E.EINVAL);
      when(d, (e.size ?? 4) !== 4, E.EINVAL);
      when(d, e.fault, E.EFAULT);
      // a zero schid alone is ClearIoIrqZeroSchidEinval's
      if (!d.length && !e.schid) return null;
      when(d, !e.schid, E.EINVAL);
      return d;
    case 'KVM_DEV_FLIC_ADAPTER_REGISTER':
      when(d, e.fault, E.EFAULT);
      when(d, e.id >= MAX_S390_IO_ADAPTERS, E.EINVAL);
      // a taken id alone is AdapterIdUnique's; unknown flags are RegisterIgnoresUnknownFlags'
      if (!d.length && (l.arg.existed || e.unknownFlags)) return null;
      when(d, l.arg.existed, E.EINVAL);
      when(d, e.alloc === 'fail', E.ENOMEM);
      return d;
    case 'KVM_DEV_FLIC_ADAPTER_MODIFY': {
      const a = e.id < MAX_S390_IO_ADAPTERS ? c.adapters[e.id] : null;
      when(d, e.fault, E.EFAULT);
      when(d, !a, E.EINVAL);
      when(d, e.req === 'OTHER', E.EINVAL);
      // MASK of an unmaskable adapter alone is AdapterModifyMask's
      if (!d.length && a && e.req === 'MASK' && !a.maskable) return null;
      return d;
    }
    case 'KVM_DEV_FLIC_AIRQ_INJECT': {
      const a = e.id < MAX_S390_IO_ADAPTERS ? c.adapters[e.id] : null;
      when(d, !a, E.EINVAL);
      // a failed kzalloc where AIS decides is the AIS properties' (a suppressed injection allocates nothing), on a masked
      // adapter MaskedAdapterNotInjected's
      if (a && e.alloc === 'fail' && (aisModeBefore(p, s, e.id) !== null || a.masked)) return null;
      when(d, a && e.alloc === 'fail', E.ENOMEM);
      return d;
    }
    case 'KVM_DEV_FLIC_ENQUEUE':
      when(d, e.len, E.EINVAL);
      when(d, !e.len && e.failAt !== undefined && e.failAt < (e.count ?? 0), E[e.err ?? 'EFAULT']);
      // what a well-formed ENQUEUE returns is EnqueueInjectsAll's and FloatingMchkAlwaysAccepted's
      return d.length ? d : null;
    case 'KVM_DEV_FLIC_GET_ALL_IRQS':
      if (e.len) return [[E.EINVAL]];
      // nothing pending and the buffer allocated: nothing can be too small or fault ("-EFAULT ... when copying data to
      // userspace failed"); the other buffer, allocation and copy outcomes are the GetAllIrqs* properties'
      return e.alloc !== 'fail' && l.need === 0 ? [] : null;
    case 'KVM_CREATE_VCPU':
    case 'KVM_DEV_FLIC_APF_ENABLE':
    case 'KVM_DEV_FLIC_APF_DISABLE_WAIT':
    case 'KVM_DEV_FLIC_CLEAR_IRQS':
      return [];
    default:
      return null;
  }
}

type S = AbstractState<FlicContext>;
const INJECTS = new Set(['KVM_DEV_FLIC_AIRQ_INJECT', 'set_adapter_int']);
const sorted = (a: readonly Irq[]) => [...a].sort().join(',');

/** The set-attr groups as the machine names their events. */
const SET_ATTR_OPS = new Set([
  'KVM_SET_DEVICE_ATTR',
  'KVM_DEV_FLIC_ENQUEUE',
  'KVM_DEV_FLIC_CLEAR_IRQS',
  'KVM_DEV_FLIC_APF_ENABLE',
  'KVM_DEV_FLIC_APF_DISABLE_WAIT',
  'KVM_DEV_FLIC_ADAPTER_REGISTER',
  'KVM_DEV_FLIC_ADAPTER_MODIFY',
  'KVM_DEV_FLIC_CLEAR_IO_IRQ',
  'KVM_DEV_FLIC_AISM',
  'KVM_DEV_FLIC_AIRQ_INJECT',
]);
/** Every userspace operation on the FLIC or its gating VM ioctls, with the errno values its documentation names. */
const DOCUMENTED_ERRNO: Readonly<Record<string, readonly number[]>> = (() => {
  // api.rst 4.80/4.81: ENXIO, EPERM; s390_flic.rst: EINVAL for an unknown group or attribute; EFAULT for copies to and
  // from userspace and ENOMEM for allocations (their standard meanings, "Other error conditions may be defined")
  const generic = [E.ENXIO, E.EPERM, E.EINVAL, E.EFAULT, E.ENOMEM];
  const out: Record<string, readonly number[]> = {};
  for (const op of [...SET_ATTR_OPS, 'KVM_GET_DEVICE_ATTR', 'KVM_HAS_DEVICE_ATTR', 'KVM_DEV_FLIC_AISM_ALL']) out[op] = generic;
  out.KVM_DEV_FLIC_GET_ALL_IRQS = [...generic, E.ENOBUFS];
  out.KVM_CREATE_DEVICE = [E.ENODEV, E.EEXIST, E.ENOMEM, E.EFAULT];
  out.KVM_ENABLE_CAP = [E.EBUSY, E.EINVAL];
  return out;
})();

/** Which fields each operation may change besides the pending interruptions ("what it must leave untouched"). */
const MAY_CHANGE: Readonly<Record<string, readonly string[]>> = {
  KVM_CREATE_DEVICE: [],
  KVM_CREATE_VCPU: ['vcpus'],
  KVM_ENABLE_CAP: ['fac72'],
  KVM_CHECK_EXTENSION: [],
  KVM_HAS_DEVICE_ATTR: [],
  KVM_SET_DEVICE_ATTR: [],
  KVM_GET_DEVICE_ATTR: [],
  KVM_DEV_FLIC_GET_ALL_IRQS: [],
  KVM_DEV_FLIC_ENQUEUE: [],
  KVM_DEV_FLIC_CLEAR_IRQS: [],
  KVM_DEV_FLIC_CLEAR_IO_IRQ: [],
  KVM_DEV_FLIC_APF_ENABLE: ['pfault'],
  KVM_DEV_FLIC_APF_DISABLE_WAIT: ['pfault', 'apf'],
  KVM_DEV_FLIC_ADAPTER_REGISTER: ['adapters'],
  KVM_DEV_FLIC_ADAPTER_MODIFY: ['adapters'],
  KVM_DEV_FLIC_AISM: ['ais'],
  KVM_DEV_FLIC_AIRQ_INJECT: ['ais'],
  set_adapter_int: ['ais'],
  KVM_DEV_FLIC_AISM_ALL: ['ais'],
  __deliver_io: [],
  __deliver_service: [],
  __deliver_machine_check: [],
  __deliver_virtio: [],
  __deliver_pfault_done: [],
  handle_tpi: [],
  handle_tsch: [],
  kvm_arch_async_page_not_present: ['apf'],
  kvm_arch_async_page_present: ['apf'],
};
/** The operations that may make interruptions pending, and the ones that may remove them. */
const MAY_ADD = new Set(['KVM_DEV_FLIC_ENQUEUE', 'KVM_DEV_FLIC_AIRQ_INJECT', 'set_adapter_int', 'KVM_DEV_FLIC_APF_DISABLE_WAIT', 'kvm_arch_async_page_present']);
const MAY_REMOVE = new Set([
  'KVM_DEV_FLIC_CLEAR_IRQS',
  'KVM_DEV_FLIC_CLEAR_IO_IRQ',
  'KVM_DEV_FLIC_GET_ALL_IRQS',
  '__deliver_io',
  '__deliver_service',
  '__deliver_machine_check',
  '__deliver_virtio',
  '__deliver_pfault_done',
  'handle_tpi',
  'handle_tsch',
]);

/** The ISC index and adapter of the last injection, when AIS applied to it (facility 72, suppressible). */
function aisInjection(p: FlicParams, s: S): { k: number; from: Mode } | null {
  const l = s.context.last;
  if (!INJECTS.has(l.op) || l.id < 0 || !s.context.fac72) return null;
  const a = s.context.adapters[l.id];
  const k = p.iscs.indexOf(l.isc);
  if (!a || !a.suppressible || k < 0) return null;
  return { k, from: l.from[k]! };
}

type Ev<T extends FlicEvent['type']> = Extract<FlicEvent, { type: T }>;

/** The elements of an ENQUEUE request as interruptions, up to the failing one (struct kvm_s390_irq: io and ai on their ISC, 3 unless named). */
function enqueued(e: Ev<'KVM_DEV_FLIC_ENQUEUE'>): Irq[] {
  const kind = e.irq ?? 'io';
  const one: Irq = kind === 'io' ? `io:${e.schid ?? 'A'}:${e.isc ?? 3}` : kind === 'ai' ? aiIrq(e.isc ?? 3) : kind;
  return Array.from({ length: Math.min(e.count ?? 0, e.failAt ?? Infinity) }, () => one);
}

/** The interruptions pending before the last step. */
const pendingBefore = (s: S): Irq[] => [...minus(pendingOf(s.context), s.context.last.added), ...s.context.last.removed];

export function flicInvariants(p: FlicParams): Invariant<FlicContext>[] {
  const op = (s: S) => s.context.last.op;
  const rc = (s: S) => s.context.last.rc;
  const arg = (s: S) => s.context.last.arg;
  return [
    {
      name: 'TypeOK',
      cite: 'kvm_host.h: simm/nimm are u8 ISC masks; adapters[] has MAX_S390_IO_ADAPTERS slots; the GISA IPM is a byte; fi->lists[] are bounded',
      holds: (s) => {
        const c = s.context;
        return (
          (s.value === 'no_flic' || s.value === 'flic') &&
          Number.isInteger(c.vcpus) && c.vcpus >= 0 && c.vcpus <= p.vcpus &&
          c.ais.length === p.iscs.length && c.ais.every((m) => MODES.includes(m)) &&
          c.adapters.length === p.adapters &&
          c.adapters.every((a) => a === null || (p.iscs.includes(a.isc) && (a.maskable || !a.masked))) &&
          c.ipm >= 0 && c.ipm <= 0xff && (p.gisa || c.ipm === 0) &&
          c.list.length <= p.io && c.apf >= 0 && c.apf <= p.apf &&
          Number.isInteger(c.last.rc) &&
          // nothing but the device life cycle and the VM ioctls before the FLIC exists
          (s.value === 'flic' || (c.adapters.every((a) => a === null) && c.ais.every((m) => m === 'ALL') && pendingOf(c).length === 0))
        );
      },
    },
    {
      name: 'SuppressedOnlyInNoMode',
      cite: 'kvm_s390_inject_airq: suppressed iff fi->nimm & AIS_MODE_MASK(isc), i.e. NO (or the NIMM pair AISM_ALL can write)',
      holds: (s) => {
        if (!s.context.last.suppressed) return true;
        const x = aisInjection(p, s);
        return x !== null && nimmOf(x.from);
      },
    },
    {
      name: 'NoModeSuppresses',
      cite: 's390_flic.rst AISM: after the single interruption "the following adapter interrupts will be suppressed"',
      holds: (s) => {
        const x = aisInjection(p, s);
        return x === null || !s.context.last.injected || !nimmOf(x.from);
      },
    },
    {
      name: 'SingleAllowsOne',
      cite: 's390_flic.rst AISM: SINGLE-Interruption Mode, "airq injection is only allowed once"; a8920950131b: "after injection, if SINGLE-Interruption Mode, change it to NO-Interruptions Mode"',
      holds: (s) => {
        const x = aisInjection(p, s);
        return x === null || !s.context.last.injected || x.from !== 'SINGLE' || s.context.ais[x.k] === 'NO';
      },
    },
    {
      name: 'AllModeInjects',
      cite: 's390_flic.rst AISM: "KVM_S390_AIS_MODE_ALL: ALL-Interruptions Mode, i.e. airq injection is always allowed"',
      holds: (s) => {
        const x = aisInjection(p, s);
        return x === null || !s.context.last.airq || x.from !== 'ALL' || !arg(s).allocOk || (s.context.last.injected && !s.context.last.suppressed);
      },
    },
    {
      name: 'NoEnteredOnlyBySingleInjection',
      cite: '519783935451: NO is reached from SINGLE by adapter interrupt injection (AISM_ALL restores a migrated state)',
      holds: (s) => {
        const l = s.context.last;
        return s.context.ais.every((m, k) => {
          if (m !== 'NO' || l.from[k] === 'NO') return true;
          if (l.op === 'KVM_DEV_FLIC_AISM_ALL' && l.rc === 0) return true;
          const x = aisInjection(p, s);
          return x !== null && x.k === k && x.from === 'SINGLE' && l.injected && l.rc >= 0;
        });
      },
    },
    {
      name: 'NoLeftOnlyByAism',
      cite: 's390_flic.rst AISM: suppressed "until the mode is set again to ALL-Interruptions or SINGLE-Interruption mode"',
      holds: (s) => {
        const l = s.context.last;
        return s.context.ais.every((m, k) => l.from[k] !== 'NO' || m === 'NO' || ((l.op === 'KVM_DEV_FLIC_AISM' || l.op === 'KVM_DEV_FLIC_AISM_ALL') && l.rc === 0));
      },
    },
    {
      name: 'NimmOnlyFromAismAll',
      cite: 'modify_ais_mode writes (0,0) or (1,0), kvm_s390_inject_airq only adds nimm to simm: only AISM_ALL set writes (0,1)',
      holds: (s) => {
        const l = s.context.last;
        return s.context.ais.every((m, k) => m !== 'NIMM' || l.from[k] === 'NIMM' || (l.op === 'KVM_DEV_FLIC_AISM_ALL' && l.rc === 0));
      },
    },
    {
      name: 'AismSetsRequestedMode',
      cite: 's390_flic.rst AISM "modify the adapter-interruption-suppression mode for a given isc"; modify_ais_mode: ALL clears simm and nimm, SINGLE sets simm and clears nimm (re-arms a NO ISC)',
      holds: (s) => {
        const l = s.context.last;
        const e = l.arg.ev;
        if (l.op !== 'KVM_DEV_FLIC_AISM' || l.rc !== 0 || e?.type !== 'KVM_DEV_FLIC_AISM') return true;
        const k = p.iscs.indexOf(e.isc);
        if (k < 0) return true;
        const want: Mode | null = e.mode === KVM_S390_AIS_MODE_ALL ? 'ALL' : e.mode === KVM_S390_AIS_MODE_SINGLE ? 'SINGLE' : null;
        return s.context.ais[k] === want && s.context.ais.every((m, j) => j === k || m === l.from[j]);
      },
    },
    {
      name: 'FailureKeepsAisMode',
      cite: 'modify_ais_mode, kvm_s390_inject_airq, flic_ais_mode_set_all: an error return leaves simm and nimm as they were',
      holds: (s) => s.context.last.rc >= 0 || s.context.ais.every((m, k) => m === s.context.last.from[k]),
    },
    {
      name: 'AisModesNeedCapability',
      cite: 's390_flic.rst: AISM "if the AIS capability is enabled"; ADAPTER_REGISTER: suppressible "only has an effect if the AIS capability is enabled"',
      holds: (s) => s.context.fac72 || s.context.ais.every((m) => m === 'ALL'),
    },
    {
      name: 'CapabilityOnlyBeforeVcpus',
      cite: 'api.rst 7.10 KVM_CAP_S390_AIS: "Returns: 0 on success; -EBUSY if a VCPU has already been created."',
      holds: (s) => {
        const l = s.context.last;
        return l.op !== 'KVM_ENABLE_CAP' || (l.rc === 0) === (s.context.vcpus === 0);
      },
    },
    {
      name: 'AismAllIndicatedByCap',
      cite: 's390_flic.rst: "KVM_DEV_FLIC_AISM_ALL is indicated by KVM_CAP_S390_AIS_MIGRATION" (da9a1446d2)',
      holds: (s) => {
        const l = s.context.last;
        return l.op !== 'KVM_DEV_FLIC_AISM_ALL' || l.rc !== 0 || s.context.aisMigrationCap;
      },
    },
    {
      name: 'AismAllSetWritesMasks',
      cite: 's390_flic.rst AISM_ALL: "Each bit in simm and nimm corresponds to an ISC (MSB0 bit 0 to ISC 0 and so on). The combination of simm bit and nimm bit presents AIS mode for a ISC."',
      holds: (s) => {
        const a = arg(s);
        if (op(s) !== 'KVM_DEV_FLIC_AISM_ALL' || rc(s) !== 0 || a.simm === undefined) return true;
        return p.iscs.every((isc, k) => s.context.ais[k] === modeOf(!!(a.simm! & iscBit(isc)), !!(a.nimm! & iscBit(isc))));
      },
    },
    {
      name: 'AismAllGetReadsMasks',
      cite: 's390_flic.rst AISM_ALL: "Gets or sets the adapter-interruption-suppression mode for all ISCs"',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_AISM_ALL' || rc(s) !== 0 || arg(s).simm !== undefined || JSON.stringify(s.context.last.out) === JSON.stringify(s.context.ais),
    },
    {
      name: 'OneFlicInstance',
      cite: 's390_flic.rst: "Only one FLIC instance may be instantiated."',
      holds: (s) => op(s) !== 'KVM_CREATE_DEVICE' || arg(s).test || !arg(s).hadFlic || rc(s) < 0,
    },
    {
      name: 'SecondCreateEexist',
      cite: 'api.rst 4.79 KVM_CREATE_DEVICE: "EEXIST  Device already created, and this type of device may not be instantiated multiple times"',
      holds: (s) => op(s) !== 'KVM_CREATE_DEVICE' || arg(s).test || !arg(s).hadFlic || rc(s) === E.EEXIST,
    },
    {
      name: 'CreateTestCreatesNothing',
      cite: 'api.rst 4.79: "If the KVM_CREATE_DEVICE_TEST flag is set, only test whether the device type is supported"',
      holds: (s) => op(s) !== 'KVM_CREATE_DEVICE' || !arg(s).test || (rc(s) === 0 && (s.value === 'flic') === !!arg(s).hadFlic),
    },
    {
      name: 'HasAttrMeansImplemented',
      cite: 'api.rst 4.81 KVM_HAS_DEVICE_ATTR: "A successful return indicates the attribute is implemented"; ENXIO "The group or attribute is unknown/unsupported"',
      holds: (s) => {
        if (op(s) !== 'KVM_HAS_DEVICE_ATTR') return true;
        const g = arg(s).group!;
        const implemented = g >= GROUP.KVM_DEV_FLIC_GET_ALL_IRQS && g <= GROUP.KVM_DEV_FLIC_AISM_ALL;
        return implemented ? rc(s) === 0 : rc(s) === E.ENXIO;
      },
    },
    {
      name: 'UnknownGroupEinval',
      cite: 's390_flic.rst: "KVM_SET_DEVICE_ATTR/KVM_GET_DEVICE_ATTR device ioctls executed on FLIC with an unknown group or attribute gives the error code EINVAL (instead of ENXIO...)"',
      holds: (s) => (op(s) !== 'KVM_SET_DEVICE_ATTR' && op(s) !== 'KVM_GET_DEVICE_ATTR') || rc(s) === E.EINVAL,
    },
    {
      name: 'SetAttrReturnsZeroOrError',
      cite: 'api.rst 4.80 KVM_SET_DEVICE_ATTR: ":Returns: 0 on success, -1 on error"',
      holds: (s) => !(SET_ATTR_OPS.has(op(s)) || (op(s) === 'KVM_DEV_FLIC_AISM_ALL' && arg(s).simm !== undefined)) || rc(s) <= 0,
    },
    {
      name: 'FlicErrnoDocumented',
      cite: 's390_flic.rst names EINVAL (unknown group, zero schid), ENOMEM, ENOBUFS, EFAULT for GET_ALL_IRQS; api.rst 4.79-4.81 ENODEV, EEXIST, ENXIO, EPERM; 7.10 EBUSY for KVM_CAP_S390_AIS; nothing else should reach userspace',
      holds: (s) => {
        const allowed = DOCUMENTED_ERRNO[op(s)];
        return !allowed || rc(s) >= 0 || allowed.includes(rc(s));
      },
    },
    {
      name: 'EnqueueInjectsAll',
      cite: 's390_flic.rst ENQUEUE: "Passes a buffer and length into the kernel which are then injected into the list of pending interrupts."',
      holds: (s) => {
        const e = arg(s).ev;
        if (op(s) !== 'KVM_DEV_FLIC_ENQUEUE' || rc(s) !== 0 || e?.type !== 'KVM_DEV_FLIC_ENQUEUE' || e.len) return true;
        // the service signal, the floating machine check and (in the GISA IPM) the adapter interruptions of one ISC are
        // coalesced: one pending entry each
        const before = pendingBefore(s);
        const coalesced = (x: Irq) => x === 'service' || x === 'mchk' || (p.gisa && x.startsWith('ai:'));
        const want = enqueued(e).filter((x, i, all) => !(coalesced(x) && (before.includes(x) || all.indexOf(x) < i)));
        return sorted(s.context.last.added) === sorted(want) && s.context.last.removed.length === 0;
      },
    },
    {
      name: 'FloatingMchkAlwaysAccepted',
      cite: 'interrupt.c kvm_s390_reinject_machine_check: WARN_ON_ONCE(rc) after __inject_vm of a floating machine check (it coalesces, it is never refused)',
      holds: (s) => {
        const e = arg(s).ev;
        if (op(s) !== 'KVM_DEV_FLIC_ENQUEUE' || e?.type !== 'KVM_DEV_FLIC_ENQUEUE' || e.len || e.failAt !== undefined) return true;
        const irqs = enqueued(e);
        return !irqs.length || !irqs.every((x) => x === 'mchk') || rc(s) === 0;
      },
    },
    {
      name: 'PfaultDoneAlwaysInjected',
      cite: 'kvm-s390.c kvm_arch_async_page_present: WARN_ON_ONCE(kvm_s390_inject_vm(vcpu->kvm, &inti)) for PFAULT_DONE; s390_flic.rst APF_DISABLE_WAIT "trigger a completion interrupt for every init interrupt"',
      holds: (s) => op(s) !== 'kvm_arch_async_page_present' || (rc(s) === 0 && s.context.last.added.includes('pfault')),
    },
    {
      name: 'GetAllIrqsCopiesAll',
      cite: 's390_flic.rst GET_ALL_IRQS: "Copies all floating interrupts into a buffer provided by userspace."',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || rc(s) < 0 || (s.context.last.got !== null && sorted(s.context.last.got) === sorted(pendingBefore(s)) && rc(s) === s.context.last.got.length),
    },
    {
      name: 'GetAllIrqsKeepsPending',
      cite: 's390_flic.rst GET_ALL_IRQS: "All interrupts remain pending, i.e. are not deleted from the list of currently pending interrupts."',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || s.context.last.removed.length === 0,
    },
    {
      name: 'GetAllIrqsFailureLosesNothing',
      cite: 's390_flic.rst: -ENOMEM "is the indication for userspace to try again with a bigger buffer"; an interruption taken but not copied is lost',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || rc(s) >= 0 || s.context.last.removed.length === 0,
    },
    {
      name: 'GetAllIrqsEnomemOnlyWhenTooSmall',
      cite: 's390_flic.rst GET_ALL_IRQS: "When the buffer is too small it returns -ENOMEM"',
      holds: (s) => {
        const l = s.context.last;
        return l.op !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || l.rc !== E.ENOMEM || l.room < l.need;
      },
    },
    {
      name: 'GetAllIrqsEnomemWhenTooSmall',
      cite: 's390_flic.rst GET_ALL_IRQS: "When the buffer is too small it returns -ENOMEM, which is the indication for userspace to try again with a bigger buffer."',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || !l.arg.lenOk || l.arg.allocFail || l.room < 0) return true;
        return l.room >= l.need || l.rc === E.ENOMEM;
      },
    },
    {
      name: 'GetAllIrqsEnobufsOnlyOnAllocFailure',
      cite: 's390_flic.rst GET_ALL_IRQS: "-ENOBUFS is returned when the allocation of a kernelspace buffer has failed."',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || (rc(s) === E.ENOBUFS) === (!!arg(s).lenOk && !!arg(s).allocFail),
    },
    {
      name: 'GetAllIrqsEfaultOnlyOnFault',
      cite: 's390_flic.rst GET_ALL_IRQS: "-EFAULT is returned when copying data to userspace failed."',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_GET_ALL_IRQS') return true;
        if (l.rc === E.EFAULT) return !!l.arg.fault;
        // a copy that had something to copy, and failed, must say so
        return !(l.arg.fault && l.arg.lenOk && !l.arg.allocFail && l.room >= l.need && l.need > 0);
      },
    },
    {
      name: 'ClearIrqsDeletesAll',
      cite: 's390_flic.rst CLEAR_IRQS: "Simply deletes all elements from the list of currently pending floating interrupts. No interrupts are injected into the guest."',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_CLEAR_IRQS' || (pendingOf(s.context).length === 0 && s.context.last.added.length === 0),
    },
    {
      name: 'ClearIoIrqDeletesOne',
      cite: 's390_flic.rst CLEAR_IO_IRQ: "Deletes one (if any) I/O interrupt for a subchannel identified by the subsystem identification word passed"',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ' || l.rc !== 0) return true;
        const schid = l.arg.schid!;
        const had = pendingBefore(s).some((x) => schidOf(x) === schid);
        return l.added.length === 0 && l.removed.length === (had ? 1 : 0) && l.removed.every((x) => schidOf(x) === schid);
      },
    },
    {
      name: 'ClearIoIrqZeroSchidEinval',
      cite: 's390_flic.rst: "The KVM_DEV_FLIC_CLEAR_IO_IRQ ioctl will return EINVAL in case a zero schid is specified."',
      holds: (s) => {
        const e = arg(s).ev;
        if (op(s) !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ' || e?.type !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ' || e.schid !== 0) return true;
        // flags, the length (attr->attr == sizeof(schid)) and the copy are checked first
        if (e.flags || (e.size ?? 4) !== 4 || e.fault) return true;
        return rc(s) === E.EINVAL && s.context.last.removed.length === 0;
      },
    },
    {
      name: 'ApfEnableDisableWait',
      cite: 's390_flic.rst: APF_ENABLE "Enables async page faults for the guest"; APF_DISABLE_WAIT "Disables async page faults for the guest and waits until already pending async page faults are done ... to trigger a completion interrupt for every init interrupt"',
      holds: (s) => {
        const l = s.context.last;
        if (l.op === 'KVM_DEV_FLIC_APF_ENABLE') return l.rc !== 0 || s.context.pfault;
        if (l.op !== 'KVM_DEV_FLIC_APF_DISABLE_WAIT' || l.rc !== 0) return true;
        return !s.context.pfault && s.context.apf === 0 && sorted(l.added) === sorted(Array(l.arg.inflight ?? 0).fill('pfault'));
      },
    },
    {
      name: 'AdapterIdUnique',
      cite: 's390_flic.rst ADAPTER_REGISTER: "id contains the unique id for the adapter"',
      holds: (s) => op(s) !== 'KVM_DEV_FLIC_ADAPTER_REGISTER' || !arg(s).existed || (rc(s) < 0 && !s.context.last.changed.includes('adapters')),
    },
    {
      name: 'RegisterIgnoresUnknownFlags',
      cite: 's390_flic.rst ADAPTER_REGISTER: "Unknown flag values are ignored."',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_ADAPTER_REGISTER' || !l.arg.unknownFlags || l.arg.existed) return true;
        const a = s.context.adapters[l.id];
        return l.rc === 0 && !!a && a.suppressible === l.arg.suppressible;
      },
    },
    {
      name: 'AdapterModifyMask',
      cite: 's390_flic.rst ADAPTER_MODIFY "of an existing I/O adapter": KVM_S390_IO_ADAPTER_MASK "mask or unmask the adapter, as specified in mask"; ADAPTER_REGISTER: "maskable whether this adapter may be masked"',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_ADAPTER_MODIFY' || l.arg.mask === undefined || l.rc !== 0) return true;
        const a = s.context.adapters[l.id];
        return !!a && a.maskable && a.masked === l.arg.mask;
      },
    },
    {
      name: 'MaskedAdapterNotInjected',
      cite: 's390_flic.rst ADAPTER_REGISTER: "maskable whether this adapter may be masked (interrupts turned off)"',
      holds: (s) => {
        const l = s.context.last;
        if (!INJECTS.has(l.op) || l.id < 0) return true;
        return !s.context.adapters[l.id]?.masked || !l.injected;
      },
    },
    {
      name: 'AirqInjectTargetsAdapter',
      cite: 's390_flic.rst AIRQ_INJECT: "Inject adapter interrupts on a specified adapter. attr->attr contains the unique id for the adapter"',
      holds: (s) => {
        const l = s.context.last;
        if (!INJECTS.has(l.op) || !l.injected) return true;
        const a = s.context.adapters[l.id];
        return !!a && sorted(l.added) === sorted([aiIrq(a.isc)].filter((x) => !pendingBefore(s).includes(x) || !p.gisa));
      },
    },
    {
      name: 'FlicGroupFrame',
      cite: 's390_flic.rst: each group does what its paragraph says (lists: ENQUEUE adds, CLEAR_IRQS/CLEAR_IO_IRQ delete; adapters: REGISTER/MODIFY; AIS: AISM/AIRQ_INJECT/AISM_ALL; APF: pfault) and leaves the rest untouched',
      holds: (s) => {
        const l = s.context.last;
        const may = MAY_CHANGE[l.op];
        if (!may) return true;
        if (!l.changed.every((f) => may.includes(f))) return false;
        if (l.added.length && !MAY_ADD.has(l.op)) return false;
        // GET_ALL_IRQS removals are GetAllIrqsKeepsPending's to report
        if (l.removed.length && !MAY_REMOVE.has(l.op)) return false;
        return true;
      },
    },
    {
      name: 'FlicRequestOutcome',
      cite: 's390_flic.rst: each group does what its paragraph says for a well-formed request (api.rst 4.80 "Returns: 0 on success"); a request the kernel must refuse gets the errno of one of its defects (api.rst: EFAULT bad address, EINVAL invalid argument, ENOMEM allocation; AIS groups without the capability: -EOPNOTSUPP, README finding 5)',
      holds: (s) => {
        const d = defectsOf(p, s);
        if (d === null) return true;
        return d.length === 0 ? rc(s) >= 0 : d.some((codes) => codes.includes(rc(s)));
      },
    },
    {
      name: 'FlicStepEffect',
      cite: 'api.rst 4.79 KVM_CREATE_DEVICE creates the device (0 on success); 4.7 KVM_CREATE_VCPU "adds a vcpu" (kvm->created_vcpus++); 7.10 KVM_CAP_S390_AIS "allows the use of adapter-interruption suppression" (facility 72); 4.4 KVM_CHECK_EXTENSION "1 ... if supported" (AIS, and AIS_MIGRATION exactly when AISM_ALL is indicated); s390_flic.rst APF_ENABLE "in case of a major page fault the host is allowed to handle this async" (only then), async_pf.c: each fault in flight is counted until its completion',
      holds: (s) => {
        const l = s.context.last;
        const c = s.context;
        switch (l.op) {
          case 'KVM_CREATE_DEVICE':
            return !!l.arg.test || !!l.arg.hadFlic || (l.rc === 0 && s.value === 'flic');
          case 'KVM_CREATE_VCPU':
            return l.rc === 0 && l.changed.includes('vcpus');
          case 'KVM_ENABLE_CAP':
            return l.rc !== 0 || c.fac72;
          case 'KVM_CHECK_EXTENSION': {
            const e = l.arg.ev as Ev<'KVM_CHECK_EXTENSION'> | undefined;
            return !e || (e.cap === 'KVM_CAP_S390_AIS' ? l.rc === 1 : l.rc === (c.aisMigrationCap ? 1 : 0));
          }
          case 'kvm_arch_async_page_not_present':
            return l.rc === 0 && c.pfault && l.changed.includes('apf');
          case 'kvm_arch_async_page_present':
            return l.changed.includes('apf');
          default:
            return true;
        }
      },
    },
    {
      name: 'AdapterInjectionContract',
      cite: 's390_flic.rst AIRQ_INJECT "Inject adapter interrupts on a specified adapter ... handle the airq injection suppression ... according to the adapter-interruption-suppression mode"; interrupt.c set_adapter_int: "only interested in the 0->1 transition" of the summary indicator, injects only for an unmasked adapter ("interrupts turned off"); irqchip.c kvm_set_irq: "< 0 Interrupt was ignored ... = 0 Interrupt was coalesced"',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_AIRQ_INJECT' && l.op !== 'set_adapter_int') return true;
        const e = l.arg.ev as Ev<'KVM_DEV_FLIC_AIRQ_INJECT' | 'set_adapter_int'> | undefined;
        if (!e) return true;
        const a = e.id < MAX_S390_IO_ADAPTERS ? s.context.adapters[e.id] : null;
        // an accepted injection makes the interruption pending or is suppressed, never both, never neither
        const accepted = l.rc >= 0 && l.airq ? l.injected !== l.suppressed : !l.injected && !l.suppressed;
        if (!accepted) return false;
        // AIRQ_INJECT on a masked adapter is MaskedAdapterNotInjected's (the kernel injects, documented-airq-inject-honours-mask does not)
        if (e.type === 'KVM_DEV_FLIC_AIRQ_INJECT') return !a ? !l.airq : a.masked || l.airq;
        if (!a || e.summary === 'fault') return l.rc < 0 && !l.airq;
        if (e.summary === 'set') return l.rc === 0 && !l.airq;
        if (a.masked) return !l.airq && l.rc > 0;
        if (!l.airq) return false;
        // where AIS decides, the AIS properties judge the outcome
        if (aisModeBefore(p, s, e.id) !== null) return true;
        return e.alloc === 'ok' ? l.rc > 0 : l.rc < 0;
      },
    },
    {
      name: 'DeliveryPresentsOne',
      cite: 'interrupt.c __deliver_io/__deliver_service/__deliver_machine_check/__deliver_virtio/__deliver_pfault_done: the delivered interruption is taken off its list or bit (PoP: an interruption, once presented, is no longer pending); priv.c handle_tpi: TPI clears the pending I/O interruption of the highest priority (lowest ISC); handle_tsch: TSCH clears one of that subchannel',
      holds: (s) => {
        const l = s.context.last;
        const e = l.arg.ev;
        if (!e) return true;
        const one = (ok: (x: Irq) => boolean) => l.rc === 0 && l.removed.length === 1 && l.added.length === 0 && ok(l.removed[0]!);
        switch (e.type) {
          case '__deliver_io':
            return one((x) => iscOf(x) === e.isc);
          case '__deliver_service':
            return one((x) => x === 'service');
          case '__deliver_machine_check':
            return one((x) => x === 'mchk');
          case '__deliver_virtio':
            return one((x) => x === 'virtio');
          case '__deliver_pfault_done':
            return one((x) => x === 'pfault');
          case 'handle_tpi': {
            const iscs = pendingBefore(s).map(iscOf).filter((i) => i >= 0);
            return one((x) => iscOf(x) >= 0 && iscOf(x) === Math.min(...iscs));
          }
          case 'handle_tsch':
            return one((x) => schidOf(x) === e.schid);
          default:
            return true;
        }
      },
    },
  ];
}
