// Where mutants are measured. Property strength: every shipped configuration of every machine,
// in the machine's baseline design (its first variant: upstream, baseline, v6.2). Path-test
// power: the model-based path tests the suite runs, each a machine design with the
// transcription of the same kernel (as test/sut/core-paths.test.ts, test/flic-ais,
// test/dirty-log and test/sut/vfio_ccw.test.ts list them).
import type { MachineSpec, Model } from '../spec.ts';
import type { Conformance } from '../paths/cover.ts';

export interface CheckTarget {
  /** `<machine>/<variant>/<configuration>` */
  key: string;
  machine: string;
  area: string;
  variant: string;
  configuration: string;
}

/** Every configuration of every machine, in the baseline design. */
export function checkTargets(specs: readonly MachineSpec[]): CheckTarget[] {
  return specs.flatMap((s) =>
    s.configurations.map((c) => ({ key: `${s.id}/${s.variants[0]!.id}/${c.id}`, machine: s.id, area: s.area, variant: s.variants[0]!.id, configuration: c.id })),
  );
}

export type Harness = 'core' | 'flic' | 'dirty-log' | 'vfio-ccw';

/** The transcription files each harness loads (their imports stay within these sets), so a SUT mutant of one can be reached only by that harness's suites. */
const HARNESS_FILES: Readonly<Record<Harness, RegExp>> = {
  core: /^src\/sut\/(core|core\.conformance|gisa|kvm|lifetime|vcpu|vfio_ap)\.ts$/,
  flic: /^src\/sut\/flic(-driver)?\.ts$/,
  'dirty-log': /^src\/sut\/dirty_log(\.conformance)?\.ts$/,
  'vfio-ccw': /^src\/sut\/vfio_ccw\.ts$/,
};

/** Whether a suite of this harness can reach a mutant of `file` (an unknown file: yes). */
export function harnessReaches(harness: Harness, file: string): boolean {
  const owner = (Object.keys(HARNESS_FILES) as Harness[]).find((h) => HARNESS_FILES[h].test(file));
  return owner === undefined || owner === harness;
}

export interface PathSuite {
  /** `<machine>/<variant>/<configuration>` */
  key: string;
  machine: string;
  variant: string;
  configuration?: string;
  harness: Harness;
  /**
   * Runs every mutant that reaches it, whatever its size (run.ts: a suite above LARGE_STEPS
   * otherwise only gets mutants no smaller suite reaches). An area whose own suites are all
   * above the limit marks the ones its transcription's designs need, or its mutants run only in
   * the one small suite (vfio-ccw: v5.14 one-writer; dirty-log: the legacy log).
   */
  small?: boolean;
  /** Design switches over the variant's (ModelOptions.design): a kernel design no variant of this machine names; the key's variant part shows them. */
  design?: Readonly<Record<string, string>>;
  /**
   * Also runs the transition-pair paths (src/paths/generate.ts pairCoverPaths) after the edge
   * paths and probes: about 8x the steps, so only where a survivor pays them.
   */
  pairs?: boolean;
  /**
   * Its refusal probes tell states apart by the observation too (src/paths/refusals.ts ProbeOptions.distinguish): one
   * probe per refused event, state value, enabled events and observation, so a refusal that depends on data the state
   * value does not show is probed (about 5x the probes).
   */
  probeByObservation?: boolean;
}

const suite = (harness: Harness, machine: string, variant: string, configuration?: string, extra?: 'small' | Record<string, string>): Omit<PathSuite, 'key'> => ({
  harness,
  machine,
  variant,
  ...(configuration ? { configuration } : {}),
  ...(extra === 'small' ? { small: true } : {}),
  ...(extra && extra !== 'small' ? { design: extra } : {}),
});

/** The path-test suites (a kernel design each, with its transcription); keys get the configuration once a model names it. */
export const PATH_SUITES: readonly Omit<PathSuite, 'key'>[] = [
  // test/sut/core-paths.test.ts: the kernel designs the core SUT transcribes
  suite('core', 'kvm_s390_gib', 'upstream'),
  suite('core', 'kvm_s390_gisa_interrupt', 'upstream'),
  suite('core', 'kvm_s390_gisa_interrupt', 'gisa-destroy-v5.2'),
  suite('core', 'kvm_s390_gisa_interrupt', 'gib-v3'),
  suite('core', 'kvm_vcpu', 'upstream'),
  // issue 14: ISCs 0 and 7 (the ends of every priority scan: get_top_gisa_isc, the delivery order, MAX_ISC) and the guest's TPI
  suite('core', 'kvm_vcpu', 'upstream', 'two-iscs'),
  // issue 12: the guest's STNSM and LCTL of CR6, userspace's initial reset
  suite('core', 'kvm_vcpu', 'upstream', 'guest-masks'),
  // issue 12: a protected vcpu: the injection through iictl, the PSW fence of PV intercepts and at start
  suite('core', 'kvm_vcpu', 'upstream', 'pv-delivery'),
  suite('core', 'vfio_ap_queue', 'upstream'),
  suite('core', 'vfio_ap_queue', 'v5.3'),
  // the AQIC design as first posted on one queue (the composed guest's aqic-v4 is 43,000 paths)
  suite('core', 'vfio_ap_queue', 'upstream', 'one-queue', { aqic: 'aqic-v4' }),
  // the AP's answers (ZAPQ, TAPQ, AQIC ir=0) as payloads
  suite('core', 'vfio_ap_queue', 'upstream', 'ap-answers'),
  suite('core', 'vfio_ap_queue', 'upstream', 'aqic-off-warn'),
  suite('core', 'vfio_ap_queue', 'upstream', 'remove-host-gone'),
  suite('core', 'vfio_ap_queue', 'upstream', 'reset-warn'),
  // the ISC kept by the close's WARN path, unregistered on the VM the mdev is reopened for (-EINVAL; the NIB's registration stays on the first VM)
  suite('core', 'vfio_ap_queue', 'upstream', 'reset-warn-two-vms'),
  // issue 12/14: VFIO_DEVICE_RESET's return code and q->reset_status; ZAPQ BUSY, STATE_CHANGE_IN_PROGRESS and CHECKSTOPPED
  suite('core', 'vfio_ap_queue', 'upstream', 'device-reset'),
  suite('core', 'vfio_ap_queue', 'upstream', 'device-reset-warn'),
  // issue 12: the guest's own ZAPQ (the AP resetting until AP_RESET_COMPLETE, AQIC answered RESET_IN_PROGRESS meanwhile) and the guest's GR1
  suite('core', 'vfio_ap_queue', 'upstream', 'guest-zapq'),
  // issue 12 (appqap): PQAP(AQIC)'s refusals as the guest reads GR1, the APIE switch, ensure_nib_shared
  suite('core', 'vfio_ap_queue', 'upstream', 'pqap-refusals'),
  suite('core', 'vfio_ap_queue', 'upstream', 'pqap-no-fac65'),
  suite('core', 'ap_matrix_mdev', 'upstream'),
  suite('core', 'ap_matrix_mdev', 'aqic-v4'),
  // issue 14: a VM torn down while the mdev is open for the other one (aqic-v4: the NULL notification reaches only its own VM's groups)
  suite('core', 'ap_matrix_mdev', 'aqic-v4', 'two-vms'),
  suite('core', 'kvm', 'upstream'),
  suite('core', 'system', 'gib-upstream'),
  suite('core', 'system', 'gib-v2'),
  suite('core', 'system', 'gib-v3'),
  suite('core', 'system', 'gib-v4'),
  suite('core', 'system', 'gib-v5'),
  suite('core', 'system', 'upstream'),
  // issue 14: software injection (kvm_s390_inject_vm: __inject_io, __floating_irq_kick) and the guest's TPI (handle_tpi's reinject and kzalloc failure)
  suite('core', 'system', 'upstream', 'inject'),
  suite('core', 'system', 'upstream', 'tpi'),
  // issue 12: zPCI adapter-event forwarding (aen_host_forward: the IPM bit, the kicker restarted, no alert)
  suite('core', 'system', 'upstream', 'aen'),
  // issue 14: aqic-v4 tears the VM down under the open mdev (no KVM reference): the release through the NULL
  // matrix_mdev->kvm the group notifier left, the hook left on the freed VM (refusal probes of PQAP after the teardown)
  suite('core', 'system', 'aqic-v4', 'teardown'),
  // test/flic-ais/kvm_s390_float_interrupt.test.ts
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'ais'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'errors'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'irqs'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'mask'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'attr'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'types'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'apf'),
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'nogisa'),
  // issue 14: ISCs 0 and 7 (the ends of every ISC scan), subchannel 0.0.0000 (I/O type 0), a plain SCCB address
  suite('flic', 'kvm_s390_float_interrupt', 'baseline', 'iscs'),
  // test/dirty-log/kvm_memory_slot.test.ts; all but the legacy ones are above LARGE_STEPS, and
  // each reaches code the legacy log does not (CLEAR, INITIALLY_SET, the refusals, s390's GET)
  suite('dirty-log', 'kvm_memory_slot', 'baseline', 'manual', 'small'),
  suite('dirty-log', 'kvm_memory_slot', 'baseline', 'initially-set', 'small'),
  suite('dirty-log', 'kvm_memory_slot', 'baseline', 'legacy'),
  suite('dirty-log', 'kvm_memory_slot', 'baseline', 'faults', 'small'),
  suite('dirty-log', 'kvm_memory_slot', 's390', 'faults', 'small'),
  suite('dirty-log', 'kvm_memory_slot', 's390', 'legacy', 'small'),
  suite('dirty-log', 'kvm_memory_slot', 'v5.0', 'manual', 'small'),
  suite('dirty-log', 'kvm_memory_slot', 'write-guest-without-mark', 'legacy'),
  // test/sut/vfio_ccw.test.ts: every version, one writer, the IRB kinds (irbs), and two writers
  // racing for io_mutex (-EAGAIN, a second write while the first is in fsm_io_request). All but
  // v5.14 one-writer are above LARGE_STEPS: one-writer of every kernel and v6.2's irbs and
  // two-writers run every mutant that reaches them (each kernel's own branches run only there),
  // and v4.19's irbs (70,036 steps): the io_todo of v4.19, v5.0 and morel-v3 meets intermediate
  // status only there (its is_final tests)
  ...['v6.2', 'v6-notoper-work', 'v4.19', 'v5.0', 'v5.2', 'v5.14', 'morel-v3'].flatMap((v) =>
    ['one-writer', 'irbs', 'two-writers'].map((c) => suite('vfio-ccw', 'vfio_ccw_private', v, c, c === 'one-writer' || v === 'v6.2' || (v === 'v4.19' && c === 'irbs') ? 'small' : undefined)),
  ),
  // every hardware outcome against an orderly userspace (ssch cc1/cc3 and cp_prefetch, hsch cc1-cc3, csch cc3, a failed
  // enable, the subchannel gone): the branches of fsm_io_helper, fsm_do_halt/fsm_do_clear and fsm_close no other suite reaches
  suite('vfio-ccw', 'vfio_ccw_private', 'v6.2', 'orderly-hw', 'small'),
  // every request kind (transport mode, a halt function, a chain too long) and cc 3 with and without a path left: the
  // branches of fsm_io_request, ccwchain_calc_length and fsm_io_helper's lpm masking no other suite reaches (36 states)
  suite('vfio-ccw', 'vfio_ccw_private', 'v6.2', 'errors', 'small'),
];

/**
 * The suites that also run their transition-pair paths (PathSuite.pairs). None: measured on
 * 0b931ab with pairs on every core suite but system upstream default and every FLIC suite but
 * errors and irqs (steps edge cover -> pairs: gisa upstream one-isc 5,385 -> 50,536, system
 * gib-upstream airq 35,108 -> 194,505, FLIC ais 9,309 -> 151,790), they killed none of the
 * triaged SUT survivors of gisa, vcpu, vfio-ap and flic-ais (the unmutated transcription agrees
 * on every pair path): a suite joins here when a survivor needs its pairs.
 */
const PAIRS: ReadonlySet<string> = new Set<string>([]);

/**
 * The suites whose refusal probes tell states apart by the observation (PathSuite.probeByObservation): the vfio-ap
 * ones, whose per-object regions show neither the assignment of a removed queue nor the VM the mdev is open for
 * (measured 2026-12-05: main's 11 vfio_ap_queue and ap_matrix_mdev suites grow from 18,544 to 57,718
 * steps, paths and probes; a PQAP for a queue removed after its assignment is probed only so).
 */
const PROBE_BY_OBSERVATION = (key: string): boolean => /^(vfio_ap_queue|ap_matrix_mdev)\/|^system\/aqic-v4\/teardown$/.test(key);

/** The suites with their keys (the configuration a model picks by default filled in). */
export function pathSuites(specs: readonly MachineSpec[]): PathSuite[] {
  return PATH_SUITES.map((s) => {
    const spec = specs.find((x) => x.id === s.machine);
    if (!spec) throw new Error(`path suite names no machine ${s.machine}`);
    const variant = spec.variants.find((v) => v.id === s.variant);
    if (!variant) throw new Error(`path suite names no variant ${s.variant} of ${s.machine}`);
    const configuration = s.configuration ?? variant.configuration ?? spec.configurations[0]!.id;
    const design = s.design ? Object.entries(s.design).map(([k, v]) => `+${k}=${v}`).join('') : '';
    const key = `${s.machine}/${s.variant}${design}/${configuration}`;
    return { ...s, configuration, key, ...(PAIRS.has(key) ? { pairs: true } : {}), ...(PROBE_BY_OBSERVATION(key) ? { probeByObservation: true } : {}) };
  });
}

/** The comparison a suite runs (imported lazily: the transcriptions load only in workers). */
export async function conformanceFor(s: PathSuite, model: Model): Promise<Conformance> {
  switch (s.harness) {
    case 'core': {
      const { coreConformance } = await import('../sut/core.conformance.ts');
      return coreConformance(model) as Conformance;
    }
    case 'flic': {
      const { flicConformance } = await import('../sut/flic-driver.ts');
      const { CONFIGURATIONS } = await import('../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts');
      const c = CONFIGURATIONS.find((x) => x.id === model.configurationId);
      if (!c) throw new Error(`no FLIC configuration ${model.configurationId}`);
      return flicConformance(c.params) as Conformance;
    }
    case 'dirty-log': {
      const { dirtyLogConformance } = await import('../sut/dirty_log.conformance.ts');
      return dirtyLogConformance as Conformance;
    }
    case 'vfio-ccw': {
      const { VfioCcwSut, observeCcwModel } = await import('../sut/vfio_ccw.ts');
      const { configurations } = await import('../../machines/vfio-ccw/vfio_ccw_private.bounds.ts');
      const c = configurations.find((x) => x.id === model.configurationId);
      if (!c) throw new Error(`no vfio-ccw configuration ${model.configurationId}`);
      // the projection of test/sut/vfio_ccw.test.ts (the same function)
      return {
        create: () => new VfioCcwSut(model.variantId as never, c.bounds.writers),
        observe: (sut) => (sut as InstanceType<typeof VfioCcwSut>).observe(),
        expect: ({ value, context }) => observeCcwModel(value, context),
        // the last write's return values (src/paths/refusals.ts)
        volatile: ['ret', 'asyncRet'],
      } as Conformance;
    }
  }
}
