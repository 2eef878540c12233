// Variants of the FLIC machine: the pinned kernel, a historical version, a documented
// design the code does not follow, and planted bugs, each as the baseline with one kernel
// function replaced (a factory option), with the properties it is expected to violate.
import type { VariantInfo } from '../../src/spec.ts';
import { E, KVM_S390_AIS_MODE_SINGLE, MAX_ISC } from './kvm_s390_float_interrupt.bounds.ts';
import {
  get_all_floating_irqs,
  iscBit,
  kvm_s390_inject_vm,
  modify_ais_mode,
  nimmOf,
  simmOf,
  type FlicKernel,
  type FlicMachineOptions,
  type KernelFn,
  type Mode,
} from './kvm_s390_float_interrupt.machine.ts';

/** The GET_ALL_IRQS findings of the pinned kernel (see README), seen in the `irqs` configuration. */
const GET_ALL_IRQS_FINDINGS = ['GetAllIrqsKeepsPending', 'GetAllIrqsFailureLosesNothing', 'GetAllIrqsEnomemOnlyWhenTooSmall'];

/** GET_ALL_IRQS as s390_flic.rst describes it: IPM bits are read, not cleared, and counted like list entries. */
const get_all_floating_irqs_documented: KernelFn = (c, e, p) => {
  if (e.type !== 'KVM_DEV_FLIC_GET_ALL_IRQS' || e.slots === undefined || e.alloc || e.len) return get_all_floating_irqs(c, e, p);
  let n = 0;
  for (let isc = 0; isc <= MAX_ISC; isc++) if (c.ipm & iscBit(isc)) n++;
  if (n + c.io > e.slots) return E.ENOMEM;
  return e.copy === 'fault' && n + c.io > 0 ? E.EFAULT : n + c.io;
};

/** kvm_s390_inject_airq with the two places a planted bug changes: the suppressing bit, and whether NO needs success. */
function injectAirqWith(suppresses: (m: Mode) => boolean, noNeedsSuccess: boolean): FlicKernel['kvm_s390_inject_airq'] {
  return (c, a, alloc, p) => {
    const k = p.iscs.indexOf(a.isc);
    if (!c.fac72 || !a.suppressible || k < 0) return kvm_s390_inject_vm(c, a.isc, alloc);
    const mode = c.ais[k]!;
    if (suppresses(mode)) {
      c.last.suppressed = true;
      return 0;
    }
    const ret = kvm_s390_inject_vm(c, a.isc, alloc);
    if ((!ret || !noNeedsSuccess) && simmOf(mode)) c.ais[k] = 'NO';
    return ret;
  };
}

/** Planted: kvm_s390_inject_airq without `!ret &&`, so a failed injection in SINGLE still moves to NO. */
const inject_airq_nimm_on_error = injectAirqWith(nimmOf, false);

/** Planted: kvm_s390_inject_airq tests fi->simm where it should test fi->nimm. */
const inject_airq_tests_simm = injectAirqWith(simmOf, true);

/** Planted: modify_ais_mode SINGLE sets simm but forgets to clear nimm, so re-arming a NO ISC does nothing. */
const modify_ais_mode_keeps_nimm: KernelFn = (c, e, p) => {
  if (e.type !== 'KVM_DEV_FLIC_AISM' || e.mode !== KVM_S390_AIS_MODE_SINGLE) return modify_ais_mode(c, e, p);
  const k = p.iscs.indexOf(e.isc);
  const before = k >= 0 ? c.ais[k]! : 'ALL';
  const rc = modify_ais_mode(c, e, p);
  if (rc === 0 && k >= 0 && nimmOf(before)) c.ais[k] = 'NO';
  return rc;
};

export interface FlicVariant extends VariantInfo {
  options: FlicMachineOptions;
  /** Expected violations per configuration; `expectedViolations` is their union. */
  expected: Readonly<Record<'ais' | 'errors' | 'irqs', readonly string[]>>;
}

function variant(v: Omit<FlicVariant, 'expectedViolations'>): FlicVariant {
  const union = new Set(Object.values(v.expected).flat());
  return { ...v, expectedViolations: [...union], configurations: Object.keys(v.expected) };
}

export const FLIC_VARIANTS: readonly FlicVariant[] = [
  variant({
    id: 'baseline',
    description: 'the pinned kernel; GET_ALL_IRQS consumes GISA IPM bits (lost on -ENOMEM/-EFAULT) and reports -ENOMEM for an exactly sized buffer',
    cite: 'interrupt.c get_all_floating_irqs since 24160af6cb28 "KVM: s390: add GISA interrupts to FLIC ioctl interface"',
    expected: { ais: [], errors: [], irqs: GET_ALL_IRQS_FINDINGS },
    status: 'asserted',
    options: {},
  }),
  variant({
    id: 'documented-get-all-irqs',
    description: 'GET_ALL_IRQS as s390_flic.rst documents it: every interruption stays pending and -ENOMEM only for a short buffer',
    cite: 'Documentation/virt/kvm/devices/s390_flic.rst, KVM_DEV_FLIC_GET_ALL_IRQS',
    expected: { ais: [], errors: [], irqs: [] },
    status: 'asserted',
    options: { kernel: { get_all_floating_irqs: get_all_floating_irqs_documented } },
  }),
  variant({
    id: 'before-ais-migration-cap',
    description: 'v4.13 until da9a1446d2: AISM_ALL works but KVM_CHECK_EXTENSION(KVM_CAP_S390_AIS_MIGRATION) is 0, so userspace cannot detect it without creating a FLIC',
    cite: 'da9a1446d2 (seeds/002: "add a new KVM capability that tells userspace that AIS states can be migrated")',
    expected: { ais: ['AismAllIndicatedByCap'], errors: [], irqs: GET_ALL_IRQS_FINDINGS },
    status: 'asserted',
    options: { aisMigrationCap: false },
  }),
  variant({
    id: 'bug-inject-airq-nimm-on-error',
    description: 'planted: kvm_s390_inject_airq enters NO even when kvm_s390_inject_vm failed, so the ISC is silenced without any interruption',
    cite: 'interrupt.c kvm_s390_inject_airq, the `!ret &&` of a8920950131b removed',
    expected: {
      ais: ['NoEnteredOnlyBySingleInjection', 'FailureKeepsAisMode'],
      errors: ['NoEnteredOnlyBySingleInjection', 'FailureKeepsAisMode'],
      irqs: GET_ALL_IRQS_FINDINGS,
    },
    status: 'asserted',
    options: { kernel: { kvm_s390_inject_airq: inject_airq_nimm_on_error } },
  }),
  variant({
    id: 'bug-inject-airq-tests-simm',
    description: 'planted: kvm_s390_inject_airq tests simm instead of nimm: SINGLE suppresses its one interruption, NIMM lets interruptions through',
    cite: 'interrupt.c kvm_s390_inject_airq, fi->nimm replaced by fi->simm',
    expected: { ais: ['SuppressedOnlyInNoMode', 'NoModeSuppresses'], errors: ['SuppressedOnlyInNoMode'], irqs: GET_ALL_IRQS_FINDINGS },
    status: 'asserted',
    options: { kernel: { kvm_s390_inject_airq: inject_airq_tests_simm } },
  }),
  variant({
    id: 'bug-aism-single-keeps-nimm',
    description: 'planted: modify_ais_mode SINGLE does not clear nimm, so a guest cannot re-arm an ISC in NO mode',
    cite: 'interrupt.c modify_ais_mode, `fi->nimm &= ~AIS_MODE_MASK(req.isc)` of the SINGLE case removed',
    expected: { ais: ['NoEnteredOnlyBySingleInjection', 'AismSetsRequestedMode'], errors: [], irqs: GET_ALL_IRQS_FINDINGS },
    status: 'asserted',
    options: { kernel: { modify_ais_mode: modify_ais_mode_keeps_nimm } },
  }),
];
