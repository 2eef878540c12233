// Safety properties of the FLIC: each reads one state, including context.last (what the
// last ioctl returned and the AIS modes before it), and cites the kernel rule it encodes.
import type { AbstractState, Invariant } from '../../src/spec.ts';
import { E, KVM_S390_AIS_MODE_ALL, KVM_S390_AIS_MODE_SINGLE, type FlicParams } from './kvm_s390_float_interrupt.bounds.ts';
import { MODES, nimmOf, type FlicContext, type Mode } from './kvm_s390_float_interrupt.machine.ts';

type S = AbstractState<FlicContext>;
const INJECTS = new Set(['KVM_DEV_FLIC_AIRQ_INJECT', 'set_adapter_int']);

/** The ISC index and adapter of the last injection, when AIS applied to it (facility 72, suppressible). */
function aisInjection(p: FlicParams, s: S): { k: number; from: Mode } | null {
  const l = s.context.last;
  if (!INJECTS.has(l.op) || l.id < 0 || !s.context.fac72) return null;
  const a = s.context.adapters[l.id];
  const k = p.iscs.indexOf(l.isc);
  if (!a || !a.suppressible || k < 0) return null;
  return { k, from: l.from[k]! };
}

export function flicInvariants(p: FlicParams): Invariant<FlicContext>[] {
  return [
    {
      name: 'TypeOK',
      cite: 'kvm_host.h: simm/nimm are u8 ISC masks; adapters[] has MAX_S390_IO_ADAPTERS slots',
      holds: (s) => {
        const c = s.context;
        return (
          (s.value === 'no_flic' || s.value === 'flic') &&
          Number.isInteger(c.vcpus) && c.vcpus >= 0 && c.vcpus <= p.vcpus &&
          c.ais.length === p.iscs.length && c.ais.every((m) => MODES.includes(m)) &&
          c.adapters.length === p.adapters &&
          c.adapters.every((a) => a === null || (p.iscs.includes(a.isc) && (a.maskable || !a.masked))) &&
          (c.ipm & ~p.iscs.reduce((m, isc) => m | (0x80 >> isc), 0)) === 0 &&
          c.io >= 0 && c.io <= p.io &&
          Number.isInteger(c.last.rc) &&
          // nothing but the device life cycle and the VM ioctls before the FLIC exists
          (s.value === 'flic' || (c.adapters.every((a) => a === null) && c.ais.every((m) => m === 'ALL') && c.ipm === 0 && c.io === 0))
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
      cite: 'a8920950131b: "after injection, if SINGLE-Interruption Mode, change it to NO-Interruptions Mode"',
      holds: (s) => {
        const x = aisInjection(p, s);
        return x === null || !s.context.last.injected || x.from !== 'SINGLE' || s.context.ais[x.k] === 'NO';
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
      name: 'NimmOnlyFromAismAll',
      cite: 'modify_ais_mode writes (0,0) or (1,0), kvm_s390_inject_airq only adds nimm to simm: only AISM_ALL set writes (0,1)',
      holds: (s) => {
        const l = s.context.last;
        return s.context.ais.every((m, k) => m !== 'NIMM' || l.from[k] === 'NIMM' || (l.op === 'KVM_DEV_FLIC_AISM_ALL' && l.rc === 0));
      },
    },
    {
      name: 'AismSetsRequestedMode',
      cite: 'modify_ais_mode: ALL clears simm and nimm, SINGLE sets simm and clears nimm (re-arms a NO ISC)',
      holds: (s) => {
        const l = s.context.last;
        if (l.op !== 'KVM_DEV_FLIC_AISM' || l.rc !== 0) return true;
        const k = p.iscs.indexOf(l.isc);
        if (k < 0) return true;
        const want: Mode | null = l.req === KVM_S390_AIS_MODE_ALL ? 'ALL' : l.req === KVM_S390_AIS_MODE_SINGLE ? 'SINGLE' : null;
        return s.context.ais[k] === want;
      },
    },
    {
      name: 'FailureKeepsAisMode',
      cite: 'modify_ais_mode, kvm_s390_inject_airq, flic_ais_mode_set_all: an error return leaves simm and nimm as they were',
      holds: (s) => s.context.last.rc >= 0 || s.context.ais.every((m, k) => m === s.context.last.from[k]),
    },
    {
      name: 'AisModesNeedCapability',
      cite: 'test_kvm_facility(kvm, 72) guards AISM, AISM_ALL and the AIS path of kvm_s390_inject_airq',
      holds: (s) => s.context.fac72 || s.context.ais.every((m) => m === 'ALL'),
    },
    {
      name: 'CapabilityOnlyBeforeVcpus',
      cite: 'kvm_vm_ioctl_enable_cap KVM_CAP_S390_AIS: -EBUSY once kvm->created_vcpus',
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
      name: 'GetAllIrqsKeepsPending',
      cite: 's390_flic.rst GET_ALL_IRQS: "All interrupts remain pending, i.e. are not deleted from the list"',
      holds: (s) => s.context.last.op !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || s.context.last.taken === 0,
    },
    {
      name: 'GetAllIrqsFailureLosesNothing',
      cite: 's390_flic.rst: -ENOMEM means "try again with a bigger buffer"; an interruption taken but not copied is lost',
      holds: (s) => s.context.last.op !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || s.context.last.rc >= 0 || s.context.last.taken === 0,
    },
    {
      name: 'GetAllIrqsEnomemOnlyWhenTooSmall',
      cite: 's390_flic.rst GET_ALL_IRQS: "When the buffer is too small it returns -ENOMEM"',
      holds: (s) => {
        const l = s.context.last;
        return l.op !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || l.rc !== E.ENOMEM || l.room < l.need;
      },
    },
  ];
}
