// Variants of the FLIC machine: the pinned kernel, a historical version, designs the
// documentation describes and the code does not follow, and planted bugs, each the baseline
// with kernel functions of FlicKernel replaced (a factory option), with the properties each
// must violate in each configuration and the configuration `check` runs it in.
import type { VariantInfo } from '../../src/spec.ts';
import { E, GROUP, KVM_S390_AIS_MODE_ALL, KVM_S390_AIS_MODE_SINGLE, MAX_ISC } from './kvm_s390_float_interrupt.bounds.ts';
import {
  baselineKernel,
  iscBit,
  kvm_s390_inject_vm,
  modeOf,
  nimmOf,
  pendingOf,
  simmOf,
  type FlicKernel,
  type FlicMachineOptions,
  type KernelFn,
  type Mode,
} from './kvm_s390_float_interrupt.machine.ts';

export type FlicConfigId = 'ais' | 'mask' | 'errors' | 'attr' | 'irqs' | 'types' | 'apf' | 'nogisa' | 'iscs';
const CONFIG_IDS: readonly FlicConfigId[] = ['ais', 'mask', 'errors', 'attr', 'irqs', 'types', 'apf', 'nogisa', 'iscs'];

const B = baselineKernel;

/** GET_ALL_IRQS as s390_flic.rst describes it: IPM bits are read, not cleared, and -ENOMEM only for a short buffer. */
const get_all_floating_irqs_documented: KernelFn = (c, e, p, k) => {
  if (e.type !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || e.len || e.alloc) return B.get_all_floating_irqs(c, e, p, k);
  const all = pendingOf(c);
  if (all.length > (e.slots ?? 0)) return E.ENOMEM;
  if (e.copy === 'fault' && all.length > 0) return E.EFAULT;
  c.last.got = all;
  return all.length;
};

/** kvm_s390_inject_airq with the places a planted bug changes: the suppressing test, whether NO needs success, what suppression does to the mode. */
function injectAirqWith(
  suppresses: (m: Mode) => boolean,
  noNeedsSuccess: boolean,
  onSuppress: (m: Mode) => Mode = (m) => m,
): FlicKernel['kvm_s390_inject_airq'] {
  return (c, a, alloc, p, k) => {
    c.last.airq = true;
    const at = p.iscs.indexOf(a.isc);
    if (!c.fac72 || !a.suppressible || at < 0) return kvm_s390_inject_vm(c, a.isc, alloc, p, k);
    const mode = c.ais[at]!;
    if (suppresses(mode)) {
      c.last.suppressed = true;
      c.ais[at] = onSuppress(mode);
      return 0;
    }
    const ret = kvm_s390_inject_vm(c, a.isc, alloc, p, k);
    if ((!ret || !noNeedsSuccess) && simmOf(mode)) c.ais[at] = 'NO';
    return ret;
  };
}

/** Planted: modify_ais_mode SINGLE sets simm but forgets to clear nimm, so re-arming a NO ISC does nothing. */
const modify_ais_mode_keeps_nimm: KernelFn = (c, e, p, k) => {
  if (e.type !== 'KVM_DEV_FLIC_AISM' || e.mode !== KVM_S390_AIS_MODE_SINGLE) return B.modify_ais_mode(c, e, p, k);
  const at = p.iscs.indexOf(e.isc);
  const before = at >= 0 ? c.ais[at]! : 'ALL';
  const rc = B.modify_ais_mode(c, e, p, k);
  if (rc === 0 && at >= 0 && nimmOf(before)) c.ais[at] = 'NO';
  return rc;
};

/** The documented error codes: -EEXIST for a second FLIC (api.rst 4.79), -ENXIO where AIS "hardware support is missing" (api.rst 4.80). */
const notOpen = (fn: KernelFn): KernelFn => (c, e, p, k) => {
  const rc = fn(c, e, p, k);
  return rc === E.EOPNOTSUPP ? E.ENXIO : rc;
};

export interface FlicVariant extends VariantInfo {
  options: FlicMachineOptions;
  /** Expected violations per configuration it is checked in (`configurations`); `expectedViolations` is their union. */
  expected: Readonly<Partial<Record<FlicConfigId, readonly string[]>>>;
}

// What the pinned kernel violates in each configuration (README, findings):
// - GET_ALL_IRQS takes the GISA IPM bits out while copying (lost on -ENOMEM and -EFAULT, and the
//   buffer check before every ISC gives -ENOMEM for an exactly sized buffer);
// - a second FLIC is -EINVAL, not api.rst's -EEXIST; AISM, AISM_ALL without KVM_CAP_S390_AIS are
//   -EOPNOTSUPP, which no document names;
// - KVM_DEV_FLIC_AIRQ_INJECT injects on a masked adapter.
const GET_ALL_IRQS = ['GetAllIrqsKeepsPending', 'GetAllIrqsFailureLosesNothing', 'GetAllIrqsEnomemOnlyWhenTooSmall'];
const ERRNO = ['SecondCreateEexist', 'FlicErrnoDocumented'];
const MASKED = ['MaskedAdapterNotInjected'];
export const BASELINE: Readonly<Record<FlicConfigId, readonly string[]>> = {
  ais: ERRNO,
  mask: [...ERRNO, ...MASKED],
  errors: ERRNO,
  attr: ERRNO,
  irqs: [...ERRNO, ...GET_ALL_IRQS],
  types: [...ERRNO, ...GET_ALL_IRQS],
  apf: ERRNO,
  nogisa: ERRNO,
  // a buffer of two fills in the GISA loop only after ISC 7, its last ISC: no -ENOMEM with room to spare
  iscs: [...ERRNO, 'GetAllIrqsKeepsPending', 'GetAllIrqsFailureLosesNothing'],
};

/** The baseline's expectations with `add` added in the given configurations and `drop` removed everywhere. */
function onBaseline(
  add: Partial<Record<FlicConfigId, readonly string[]>>,
  drop: readonly string[] | Partial<Record<FlicConfigId, readonly string[]>> = [],
): Record<FlicConfigId, readonly string[]> {
  const out = {} as Record<FlicConfigId, readonly string[]>;
  for (const id of CONFIG_IDS) {
    const gone = Array.isArray(drop) ? drop : ((drop as Partial<Record<FlicConfigId, readonly string[]>>)[id] ?? []);
    out[id] = [...new Set([...BASELINE[id].filter((n) => !gone.includes(n)), ...(add[id] ?? [])])];
  }
  return out;
}

function variant(v: Omit<FlicVariant, 'expectedViolations' | 'status'>): FlicVariant {
  const union = new Set(Object.values(v.expected).flat());
  return { ...v, status: 'asserted', expectedViolations: [...union], configurations: Object.keys(v.expected) };
}
/** A planted bug in one kernel function: the baseline plus what it breaks, checked by default in `home`. */
function planted(
  id: string,
  home: FlicConfigId,
  description: string,
  cite: string,
  kernel: Partial<FlicKernel>,
  breaks: Partial<Record<FlicConfigId, readonly string[]>>,
  /** baseline violations the bug happens to remove, per configuration */
  hides: Partial<Record<FlicConfigId, readonly string[]>> = {},
  /** checked in `home` only (the smallest configuration that shows it; keeps the test time down) */
  homeOnly = false,
): FlicVariant {
  const all = onBaseline(breaks, hides);
  const expected = homeOnly ? { [home]: all[home] } : all;
  return variant({ id, description: `planted: ${description}`, cite: `planted bug in ${cite}`, configuration: home, expected, options: { kernel } });
}

export const FLIC_VARIANTS: readonly FlicVariant[] = [
  variant({
    id: 'baseline',
    description:
      'the pinned kernel; GET_ALL_IRQS consumes GISA IPM bits (lost on -ENOMEM/-EFAULT) and reports -ENOMEM for an exactly sized buffer; a second FLIC is -EINVAL; AIS without the capability is -EOPNOTSUPP; AIRQ_INJECT ignores the adapter mask',
    cite: 'arch/s390/kvm/interrupt.c v6.17-rc4 (get_all_floating_irqs since 24160af6cb28 "KVM: s390: add GISA interrupts to FLIC ioctl interface")',
    expected: BASELINE,
    options: {},
  }),
  variant({
    id: 'documented-get-all-irqs',
    description: 'GET_ALL_IRQS as s390_flic.rst documents it: every interruption stays pending and -ENOMEM only for a short buffer',
    cite: 'Documentation/virt/kvm/devices/s390_flic.rst, KVM_DEV_FLIC_GET_ALL_IRQS',
    configuration: 'irqs',
    expected: onBaseline({}, GET_ALL_IRQS),
    options: { kernel: { get_all_floating_irqs: get_all_floating_irqs_documented } },
  }),
  variant({
    id: 'documented-errno',
    description: 'the error codes api.rst names: -EEXIST for a second FLIC, -ENXIO for AIS attributes without KVM_CAP_S390_AIS ("hardware support is missing")',
    cite: 'Documentation/virt/kvm/api.rst 4.79 KVM_CREATE_DEVICE and 4.80 KVM_SET_DEVICE_ATTR/KVM_GET_DEVICE_ATTR',
    configuration: 'errors',
    expected: onBaseline({}, ERRNO),
    options: {
      kernel: {
        flic_create: (c, e, p, k) => (B.flic_create(c, e, p, k) === E.EINVAL ? E.EEXIST : 0),
        modify_ais_mode: notOpen(B.modify_ais_mode),
        flic_ais_mode_set_all: notOpen(B.flic_ais_mode_set_all),
        flic_ais_mode_get_all: notOpen(B.flic_ais_mode_get_all),
      },
    },
  }),
  variant({
    id: 'documented-airq-inject-honours-mask',
    description: 'KVM_DEV_FLIC_AIRQ_INJECT leaves a masked adapter alone, as set_adapter_int does ("interrupts turned off")',
    cite: 'Documentation/virt/kvm/devices/s390_flic.rst, KVM_DEV_FLIC_ADAPTER_REGISTER "maskable"',
    configuration: 'mask',
    expected: onBaseline({}, MASKED),
    options: {
      kernel: {
        flic_inject_airq: (c, e, p, k) => {
          if (e.type === 'KVM_DEV_FLIC_AIRQ_INJECT' && c.adapters[e.id]?.masked) return 0;
          return B.flic_inject_airq(c, e, p, k);
        },
      },
    },
  }),
  variant({
    id: 'before-ais-migration-cap',
    description: 'v4.13 until da9a1446d2: AISM_ALL works but KVM_CHECK_EXTENSION(KVM_CAP_S390_AIS_MIGRATION) is 0, so userspace cannot detect it without creating a FLIC',
    cite: 'da9a1446d2 (seeds/002: "add a new KVM capability that tells userspace that AIS states can be migrated")',
    configuration: 'ais',
    expected: onBaseline({ ais: ['AismAllIndicatedByCap'] }),
    options: { aisMigrationCap: false },
  }),
  planted(
    'bug-inject-airq-nimm-on-error',
    'ais',
    'kvm_s390_inject_airq enters NO even when kvm_s390_inject_vm failed, so the ISC is silenced without any interruption',
    'interrupt.c kvm_s390_inject_airq, the `!ret &&` of a8920950131b removed',
    { kvm_s390_inject_airq: injectAirqWith(nimmOf, false) },
    { ais: ['NoEnteredOnlyBySingleInjection', 'FailureKeepsAisMode'], errors: ['NoEnteredOnlyBySingleInjection', 'FailureKeepsAisMode'] },
  ),
  planted(
    'bug-inject-airq-tests-simm',
    'ais',
    'kvm_s390_inject_airq tests simm instead of nimm: SINGLE suppresses its one interruption, NIMM lets interruptions through',
    'interrupt.c kvm_s390_inject_airq, fi->nimm replaced by fi->simm',
    { kvm_s390_inject_airq: injectAirqWith(simmOf, true) },
    { ais: ['SuppressedOnlyInNoMode', 'NoModeSuppresses'], errors: ['SuppressedOnlyInNoMode'] },
  ),
  planted(
    'bug-aism-single-keeps-nimm',
    'ais',
    'modify_ais_mode SINGLE does not clear nimm, so a guest cannot re-arm an ISC in NO mode',
    'interrupt.c modify_ais_mode, `fi->nimm &= ~AIS_MODE_MASK(req.isc)` of the SINGLE case removed',
    { modify_ais_mode: modify_ais_mode_keeps_nimm },
    { ais: ['NoEnteredOnlyBySingleInjection', 'AismSetsRequestedMode'] },
  ),
  planted(
    'bug-inject-airq-nimm-inverted',
    'ais',
    'kvm_s390_inject_airq suppresses when nimm is clear: ALL and SINGLE drop every interruption, NO lets them through',
    'interrupt.c kvm_s390_inject_airq, `if (fi->nimm & AIS_MODE_MASK(adapter->isc))` negated',
    { kvm_s390_inject_airq: injectAirqWith((m) => !nimmOf(m), true) },
    { ais: ['AllModeInjects', 'NoModeSuppresses', 'SuppressedOnlyInNoMode'], mask: ['AllModeInjects', 'SuppressedOnlyInNoMode'], errors: ['SuppressedOnlyInNoMode'] },
  ),
  planted(
    'bug-inject-airq-rearms',
    'ais',
    'kvm_s390_inject_airq re-arms an ISC in NO mode when it suppresses an interruption (clears nimm)',
    'interrupt.c kvm_s390_inject_airq, `fi->nimm &= ~AIS_MODE_MASK(isc)` added to the suppression branch',
    { kvm_s390_inject_airq: injectAirqWith(nimmOf, true, (m) => modeOf(simmOf(m), false)) },
    { ais: ['NoLeftOnlyByAism'] },
  ),
  planted(
    'bug-flic-create-twice',
    'ais',
    'flic_create does not check kvm->arch.flic, so a second FLIC replaces the first',
    'interrupt.c flic_create, `if (dev->kvm->arch.flic) return -EINVAL;` removed',
    { flic_create: () => 0 },
    Object.fromEntries(CONFIG_IDS.map((id) => [id, ['OneFlicInstance']])),
    // the second create now succeeds: its -EINVAL was these configurations' only undocumented errno
    Object.fromEntries((['mask', 'attr', 'irqs', 'types', 'apf', 'nogisa', 'iscs'] as const).map((id) => [id, ['FlicErrnoDocumented']])),
  ),
  planted(
    'bug-create-test-calls-create',
    'attr',
    'kvm_ioctl_create_device runs ops->create for KVM_CREATE_DEVICE_TEST too, so testing with a FLIC present fails',
    'virt/kvm/kvm_main.c kvm_ioctl_create_device, the `if (test) return 0;` moved after ops->create',
    { kvm_create_device_test: (c, e, p, k) => k.flic_create(c, { type: 'KVM_CREATE_DEVICE', test: false }, p, k) },
    Object.fromEntries(CONFIG_IDS.map((id) => [id, ['CreateTestCreatesNothing']])),
  ),
  planted(
    'bug-enable-cap-after-vcpu',
    'attr',
    'kvm_vm_ioctl_enable_cap enables KVM_CAP_S390_AIS after a vcpu was created',
    'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_enable_cap, the `if (kvm->created_vcpus)` test of KVM_CAP_S390_AIS removed',
    {
      kvm_vm_ioctl_enable_cap: (c) => {
        c.fac72 = true;
        return 0;
      },
    },
    { attr: ['CapabilityOnlyBeforeVcpus'] },
  ),
  planted(
    'bug-has-attr-misses-aism-all',
    'attr',
    'flic_has_attr ends its range at KVM_DEV_FLIC_AIRQ_INJECT, so AISM_ALL looks unimplemented',
    'interrupt.c flic_has_attr, the KVM_DEV_FLIC_AISM_ALL case removed',
    { flic_has_attr: (c, e, p, k) => (e.type === 'KVM_HAS_DEVICE_ATTR' && e.group === GROUP.KVM_DEV_FLIC_AISM_ALL ? E.ENXIO : B.flic_has_attr(c, e, p, k)) },
    { attr: ['HasAttrMeansImplemented'] },
  ),
  planted(
    'bug-unknown-group-enxio',
    'attr',
    'flic_set_attr and flic_get_attr answer an unknown group with -ENXIO, the generic code s390_flic.rst says the FLIC does not use',
    'interrupt.c flic_set_attr/flic_get_attr default cases',
    { flic_attr_default: () => E.ENXIO },
    { attr: ['UnknownGroupEinval'] },
  ),
  planted(
    'bug-mask-returns-old',
    'mask',
    'modify_io_adapter passes kvm_s390_mask_adapter\'s old mask state (1) to userspace',
    'interrupt.c modify_io_adapter, `if (ret > 0) ret = 0;` removed',
    {
      modify_io_adapter: (c, e, p, k) => {
        const was = e.type === 'KVM_DEV_FLIC_ADAPTER_MODIFY' && c.adapters[e.id]?.masked;
        const rc = B.modify_io_adapter(c, e, p, k);
        return rc === 0 && was && e.type === 'KVM_DEV_FLIC_ADAPTER_MODIFY' && e.req === 'MASK' ? 1 : rc;
      },
    },
    { mask: ['SetAttrReturnsZeroOrError'], errors: ['SetAttrReturnsZeroOrError'] },
  ),
  planted(
    'bug-mask-ignores-maskable',
    'errors',
    'kvm_s390_mask_adapter masks an adapter registered as not maskable',
    'interrupt.c kvm_s390_mask_adapter, `if (!adapter || !adapter->maskable) return -EINVAL;` reduced to !adapter',
    {
      modify_io_adapter: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_ADAPTER_MODIFY' || e.req !== 'MASK' || e.fault) return B.modify_io_adapter(c, e, p, k);
        const a = c.adapters[e.id];
        if (!a || a.maskable) return B.modify_io_adapter(c, e, p, k);
        c.last.id = e.id;
        a.masked = !!e.mask;
        return 0;
      },
    },
    { mask: ['AdapterModifyMask', 'TypeOK'], errors: ['AdapterModifyMask', 'TypeOK'] },
  ),
  planted(
    'bug-register-overwrites',
    'ais',
    'register_io_adapter replaces an adapter registered under the same id',
    'interrupt.c register_io_adapter, `if (dev->kvm->arch.adapters[adapter_info.id] != NULL) return -EINVAL;` removed',
    {
      register_io_adapter: (c, e, p, k) => {
        if (e.type === 'KVM_DEV_FLIC_ADAPTER_REGISTER' && e.id < c.adapters.length && !e.fault && !e.alloc) c.adapters[e.id] = null;
        return B.register_io_adapter(c, e, p, k);
      },
    },
    { ais: ['AdapterIdUnique'], mask: ['AdapterIdUnique'], errors: ['AdapterIdUnique'] },
  ),
  planted(
    'bug-register-rejects-unknown-flags',
    'errors',
    'register_io_adapter refuses flags other than KVM_S390_ADAPTER_SUPPRESSIBLE with -EINVAL',
    'interrupt.c register_io_adapter (an `if (adapter_info.flags & ~KVM_S390_ADAPTER_SUPPRESSIBLE) return -EINVAL;` added)',
    { register_io_adapter: (c, e, p, k) => (e.type === 'KVM_DEV_FLIC_ADAPTER_REGISTER' && e.unknownFlags && !e.fault ? E.EINVAL : B.register_io_adapter(c, e, p, k)) },
    { errors: ['RegisterIgnoresUnknownFlags'] },
  ),
  planted(
    'bug-aism-all-lsb0',
    'ais',
    'flic_ais_mode_set_all reads ISC i from bit 1 << i (LSB0) instead of 0x80 >> i',
    'interrupt.c flic_ais_mode_set_all (AIS_MODE_MASK)',
    {
      flic_ais_mode_set_all: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_AISM_ALL' || e.dir !== 'set') return B.flic_ais_mode_set_all(c, e, p, k);
        const rev = (m: number) => Array.from({ length: MAX_ISC + 1 }, (_, i) => ((m >> i) & 1 ? iscBit(i) : 0)).reduce((a, b) => a | b, 0);
        return B.flic_ais_mode_set_all(c, { ...e, simm: rev(e.simm), nimm: rev(e.nimm) }, p, k);
      },
    },
    { ais: ['AismAllSetWritesMasks'] },
  ),
  planted(
    'bug-aism-all-get-swapped',
    'ais',
    'flic_ais_mode_get_all copies nimm into the simm field and simm into nimm',
    'interrupt.c flic_ais_mode_get_all',
    {
      flic_ais_mode_get_all: (c, e, p, k) => {
        const rc = B.flic_ais_mode_get_all(c, e, p, k);
        if (rc === 0 && c.last.out) c.last.out = c.last.out.map((m) => modeOf(nimmOf(m), simmOf(m)));
        return rc;
      },
    },
    { ais: ['AismAllGetReadsMasks'] },
  ),
  planted(
    'bug-airq-inject-isc0',
    'ais',
    'flic_inject_airq injects on ISC 0 instead of the adapter\'s ISC',
    'interrupt.c kvm_s390_inject_airq (kvm_s390_inject_vm with an io_int_word of ISC 0)',
    {
      kvm_s390_inject_airq: (c, a, alloc, p, k) => {
        const rc = B.kvm_s390_inject_airq(c, a, alloc, p, k);
        if (c.last.injected && p.gisa) c.ipm = (c.ipm & ~iscBit(a.isc)) | iscBit(0);
        return rc;
      },
    },
    { ais: ['AirqInjectTargetsAdapter'], mask: ['AirqInjectTargetsAdapter'] },
  ),
  planted(
    'bug-enqueue-first-only',
    'irqs',
    'enqueue_floating_irq stops after the first element and returns 0',
    'interrupt.c enqueue_floating_irq (the loop over len)',
    {
      enqueue_floating_irq: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_ENQUEUE' || !e.count || e.failAt === 0) return B.enqueue_floating_irq(c, e, p, k);
        const { failAt: _, ...first } = e;
        return B.enqueue_floating_irq(c, { ...first, count: 1 }, p, k);
      },
    },
    // the failing element is dropped too, so a request that must fail returns 0
    { irqs: ['EnqueueInjectsAll', 'FlicRequestOutcome'] },
  ),
  planted(
    'bug-float-mchk-busy',
    'types',
    '__inject_float_mchk refuses a second floating machine check with -EBUSY, like the capped lists',
    'interrupt.c __inject_float_mchk (a pending IRQ_PEND_MCHK_REP treated like a full list)',
    {
      enqueue_floating_irq: (c, e, p, k) => {
        if (e.type === 'KVM_DEV_FLIC_ENQUEUE' && e.irq === 'mchk' && !e.len && c.mchk) return E.EBUSY;
        return B.enqueue_floating_irq(c, e, p, k);
      },
    },
    { types: ['FloatingMchkAlwaysAccepted', 'FlicErrnoDocumented'] },
  ),
  planted(
    'bug-pfault-done-cap-online-vcpus',
    'apf',
    '__inject_pfault_done caps the PFAULT_DONE list at ASYNC_PF_PER_VCPU * online vcpus, so without a vcpu the completion is refused with -EBUSY',
    'interrupt.c __inject_pfault_done (KVM_MAX_VCPUS replaced by atomic_read(&kvm->online_vcpus))',
    { __inject_vm: (c, irq, p) => (irq === 'pfault' && c.vcpus === 0 ? E.EBUSY : B.__inject_vm(c, irq, p)) },
    { apf: ['PfaultDoneAlwaysInjected', 'ApfEnableDisableWait'] },
  ),
  planted(
    'bug-get-all-irqs-skips-mchk',
    'types',
    'get_all_floating_irqs forgets the floating machine check',
    'interrupt.c get_all_floating_irqs, the IRQ_PEND_MCHK_REP block removed',
    {
      get_all_floating_irqs: (c, e, p, k) => {
        const mchk = c.mchk;
        c.mchk = false;
        const rc = B.get_all_floating_irqs(c, e, p, k);
        c.mchk = mchk;
        return rc;
      },
    },
    { types: ['GetAllIrqsCopiesAll', 'GetAllIrqsEnomemWhenTooSmall'] },
  ),
  planted(
    'bug-get-all-irqs-truncates',
    'irqs',
    'get_all_floating_irqs copies what fits into a short buffer and returns that count instead of -ENOMEM',
    'interrupt.c get_all_floating_irqs (`ret = -ENOMEM` replaced by a break)',
    {
      get_all_floating_irqs: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || e.len || e.alloc) return B.get_all_floating_irqs(c, e, p, k);
        const all = pendingOf(c);
        c.ipm = 0;
        const got = all.slice(0, e.slots ?? 0);
        if (e.copy === 'fault' && got.length > 0) return E.EFAULT;
        c.last.got = got;
        return got.length;
      },
    },
    {
      irqs: ['GetAllIrqsEnomemWhenTooSmall', 'GetAllIrqsCopiesAll'],
      types: ['GetAllIrqsEnomemWhenTooSmall', 'GetAllIrqsCopiesAll'],
      nogisa: ['GetAllIrqsEnomemWhenTooSmall', 'GetAllIrqsCopiesAll'],
      iscs: ['GetAllIrqsEnomemWhenTooSmall', 'GetAllIrqsCopiesAll'],
      // PFAULT_DONE and the service signal with a buffer of one
      apf: ['GetAllIrqsEnomemWhenTooSmall', 'GetAllIrqsCopiesAll'],
    },
    // no -ENOMEM any more; `types` and `iscs` have no faulting copy, the only other way to lose the IPM bits
    { irqs: ['GetAllIrqsEnomemOnlyWhenTooSmall'], types: ['GetAllIrqsEnomemOnlyWhenTooSmall', 'GetAllIrqsFailureLosesNothing'], iscs: ['GetAllIrqsFailureLosesNothing'] },
  ),
  planted(
    'bug-get-all-irqs-enomem-on-alloc',
    'irqs',
    'get_all_floating_irqs answers a failed vzalloc with -ENOMEM',
    'interrupt.c get_all_floating_irqs (`return -ENOBUFS` after vzalloc)',
    { get_all_floating_irqs: (c, e, p, k) => (e.type === 'KVM_DEV_FLIC_GET_ALL_IRQS' && e.alloc === 'fail' && !e.len ? E.ENOMEM : B.get_all_floating_irqs(c, e, p, k)) },
    { irqs: ['GetAllIrqsEnobufsOnlyOnAllocFailure', 'GetAllIrqsEnomemOnlyWhenTooSmall'] },
  ),
  planted(
    'bug-get-all-irqs-ignores-fault',
    'irqs',
    'get_all_floating_irqs ignores the result of copy_to_user',
    'interrupt.c get_all_floating_irqs (`if (copy_to_user(...)) ret = -EFAULT;` removed)',
    {
      get_all_floating_irqs: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_GET_ALL_IRQS') return B.get_all_floating_irqs(c, e, p, k);
        const { copy: _, ...copied } = e;
        return B.get_all_floating_irqs(c, copied, p, k);
      },
    },
    { irqs: ['GetAllIrqsEfaultOnlyOnFault'] },
  ),
  planted(
    'bug-clear-irqs-keeps-gisa',
    'irqs',
    'kvm_s390_clear_float_irqs leaves the GISA IPM alone',
    'interrupt.c kvm_s390_clear_float_irqs, kvm_s390_gisa_clear removed',
    {
      kvm_s390_clear_float_irqs: (c, e, p, k) => {
        const ipm = c.ipm;
        const rc = B.kvm_s390_clear_float_irqs(c, e, p, k);
        c.ipm = ipm;
        return rc;
      },
    },
    { irqs: ['ClearIrqsDeletesAll'], types: ['ClearIrqsDeletesAll'], iscs: ['ClearIrqsDeletesAll'] },
  ),
  planted(
    'bug-clear-irqs-disables-apf',
    'apf',
    'kvm_s390_clear_float_irqs also turns async page faults off',
    'interrupt.c kvm_s390_clear_float_irqs (gmap->pfault_enabled = 0 added)',
    {
      kvm_s390_clear_float_irqs: (c, e, p, k) => {
        c.pfault = false;
        return B.kvm_s390_clear_float_irqs(c, e, p, k);
      },
    },
    { apf: ['FlicGroupFrame'] },
  ),
  planted(
    'bug-clear-io-irq-any-subchannel',
    'irqs',
    'clear_io_irq deletes the first I/O interruption of any subchannel',
    'interrupt.c clear_io_irq (kvm_s390_get_io_int called with schid 0)',
    {
      clear_io_irq: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ' || !e.schid || e.flags || e.fault || (e.size ?? 4) !== 4) return B.clear_io_irq(c, e, p, k);
        k.kvm_s390_get_io_int(c, 0, p);
        return 0;
      },
    },
    { irqs: ['ClearIoIrqDeletesOne'], nogisa: ['ClearIoIrqDeletesOne'], iscs: ['ClearIoIrqDeletesOne'] },
  ),
  planted(
    'bug-clear-io-irq-zero-schid',
    'irqs',
    'clear_io_irq accepts schid 0 and deletes whatever I/O interruption kvm_s390_get_io_int finds first',
    'interrupt.c clear_io_irq, `if (!schid) return -EINVAL;` removed',
    {
      clear_io_irq: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_CLEAR_IO_IRQ' || e.schid || e.flags || e.fault || (e.size ?? 4) !== 4) return B.clear_io_irq(c, e, p, k);
        k.kvm_s390_get_io_int(c, 0, p);
        return 0;
      },
    },
    { irqs: ['ClearIoIrqZeroSchidEinval', 'ClearIoIrqDeletesOne'], nogisa: ['ClearIoIrqZeroSchidEinval', 'ClearIoIrqDeletesOne'] },
  ),
  planted(
    'bug-apf-disable-no-wait',
    'apf',
    'KVM_DEV_FLIC_APF_DISABLE_WAIT disables async page faults without flushing the ones in flight',
    'interrupt.c flic_set_attr KVM_DEV_FLIC_APF_DISABLE_WAIT, the kvm_clear_async_pf_completion_queue loop removed',
    {
      kvm_dev_flic_apf_disable_wait: (c) => {
        c.pfault = false;
        return 0;
      },
    },
    { apf: ['ApfEnableDisableWait'] },
  ),
  planted(
    'bug-aism-no-isc-check',
    'errors',
    'modify_ais_mode lacks the `req.isc > MAX_ISC` check: AISM for ISC 8 answers 0 and changes nothing (AIS_MODE_MASK(8) is 0)',
    'interrupt.c modify_ais_mode, `if (req.isc > MAX_ISC) return -EINVAL;` removed',
    {
      modify_ais_mode: (c, e, p, k) =>
        e.type === 'KVM_DEV_FLIC_AISM' && e.isc > MAX_ISC && c.fac72 && !e.fault && (e.mode === 0 || e.mode === KVM_S390_AIS_MODE_SINGLE)
          ? 0
          : B.modify_ais_mode(c, e, p, k),
    },
    { errors: ['FlicRequestOutcome'] },
  ),
  planted(
    'bug-enable-cap-ais-fac-mask-only',
    'ais',
    'kvm_vm_ioctl_enable_cap sets facility 72 in fac_mask but not in fac_list: KVM_ENABLE_CAP(KVM_CAP_S390_AIS) answers 0, test_kvm_facility(kvm, 72) stays false',
    'kvm-s390.c kvm_vm_ioctl_enable_cap, `set_kvm_facility(kvm->arch.model.fac_list, 72);` removed',
    { kvm_vm_ioctl_enable_cap: (c) => (c.vcpus > 0 ? E.EBUSY : 0) },
    { ais: ['FlicStepEffect'], mask: ['FlicStepEffect'], errors: ['FlicStepEffect'], attr: ['FlicStepEffect'] },
  ),
  planted(
    'bug-set-adapter-int-ignores-summary',
    'errors',
    'set_adapter_int injects whenever the adapter is unmasked, also when the summary indicator was already set (the guest has not yet handled the previous one: the interruption is not coalesced)',
    'interrupt.c set_adapter_int, `if ((ret > 0) && !adapter->masked)` reduced to `if (ret >= 0 && !adapter->masked)`',
    {
      set_adapter_int: (c, e, p, k) =>
        B.set_adapter_int(c, e.type === 'set_adapter_int' && e.summary === 'set' ? { ...e, summary: 'clear' } : e, p, k),
    },
    { errors: ['AdapterInjectionContract'] },
  ),
  planted(
    'bug-get-io-int-ignores-schid',
    'irqs',
    'kvm_s390_get_io_int takes the first I/O interruption of an ISC without comparing its subchannel: TSCH and CLEAR_IO_IRQ of one subchannel take another\'s',
    'interrupt.c get_io_int, the `schid && schid != inti->io.subchannel_id/nr` test removed',
    { kvm_s390_get_io_int: (c, _schid, p) => B.kvm_s390_get_io_int(c, 0, p) },
    // iscs: no TSCH; CLEAR_IO_IRQ of 0.0.0000 takes 0.0.0002's interruption
    { irqs: ['DeliveryPresentsOne', 'ClearIoIrqDeletesOne'], nogisa: ['DeliveryPresentsOne', 'ClearIoIrqDeletesOne'], iscs: ['ClearIoIrqDeletesOne'] },
  ),
  // issue 13 done-check: the three AIS properties no variant broke; each checked in `ais` only
  planted(
    'bug-inject-airq-single-stays',
    'ais',
    'kvm_s390_inject_airq does not set nimm after the injection in SINGLE mode: the ISC stays SINGLE and lets every later interruption through',
    'interrupt.c kvm_s390_inject_airq, `fi->nimm |= AIS_MODE_MASK(adapter->isc);` after a successful kvm_s390_inject_vm removed',
    {
      kvm_s390_inject_airq: (c, a, alloc, p, k) => {
        const at = p.iscs.indexOf(a.isc);
        const before = at >= 0 ? c.ais[at] : undefined;
        const rc = B.kvm_s390_inject_airq(c, a, alloc, p, k);
        if (before === 'SINGLE' && c.ais[at] === 'NO') c.ais[at] = 'SINGLE';
        return rc;
      },
    },
    { ais: ['SingleAllowsOne'] },
    {},
    true,
  ),
  planted(
    'bug-aism-all-keeps-nimm',
    'ais',
    'modify_ais_mode ALL clears simm but not nimm: an ISC in NO goes to (0,1), still suppressed, a combination only AISM_ALL may write',
    'interrupt.c modify_ais_mode, `fi->nimm &= ~AIS_MODE_MASK(req.isc)` of the KVM_S390_AIS_MODE_ALL case removed',
    {
      modify_ais_mode: (c, e, p, k) => {
        if (e.type !== 'KVM_DEV_FLIC_AISM' || e.mode !== KVM_S390_AIS_MODE_ALL) return B.modify_ais_mode(c, e, p, k);
        const at = p.iscs.indexOf(e.isc);
        const before = at >= 0 ? c.ais[at]! : 'ALL';
        const rc = B.modify_ais_mode(c, e, p, k);
        if (rc === 0 && at >= 0 && nimmOf(before)) c.ais[at] = 'NIMM';
        return rc;
      },
    },
    // the ALL request leaves NIMM, not ALL
    { ais: ['NimmOnlyFromAismAll', 'AismSetsRequestedMode'] },
    {},
    true,
  ),
  planted(
    'bug-aism-without-capability',
    'ais',
    'modify_ais_mode does not test facility 72: KVM_DEV_FLIC_AISM sets a mode before KVM_CAP_S390_AIS is enabled',
    'interrupt.c modify_ais_mode, `if (!test_kvm_facility(kvm, 72)) return -EOPNOTSUPP;` removed',
    {
      modify_ais_mode: (c, e, p, k) => {
        if (c.fac72 || e.type !== 'KVM_DEV_FLIC_AISM') return B.modify_ais_mode(c, e, p, k);
        c.fac72 = true;
        try {
          return B.modify_ais_mode(c, e, p, k);
        } finally {
          c.fac72 = false;
        }
      },
    },
    // AISM without the capability is a defective request that now succeeds
    { ais: ['AisModesNeedCapability', 'FlicRequestOutcome'] },
    {},
    true,
  ),
];
