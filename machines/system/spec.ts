// Builds the MachineSpec of a core machine (per-object or composed) from its parts,
// configurations, variants and properties.
import type { AnyStateMachine } from 'xstate';
import type { KernelAudit } from '../../src/audit.ts';
import { pick, SpecError, type StateFootprints, type Invariant, type LivenessProperty, type MachineSpec, type Model, type ModelOptions, type ParamInfo, type VariantInfo } from '../../src/spec.ts';
import { lockInvariants, threadEventInfo, threadEvents, type ThreadDef } from '../kthread.ts';
import { vcpuIdOf, type Params, type SystemContext } from '../context.ts';
import { DESIGN_CHOICES, PINNED, UPSTREAM, type Design } from '../design.ts';
import { KERNEL_NAMES, kernelNames, kernelTable, type Kernel, type KernelOverrides } from '../kernel.ts';
import { EVENTS, enumerateEvents, type Bounds } from './events.ts';
import { observeCoreModel } from './observe.ts';
import { symmetryGroups } from './symmetry.ts';
import { closedVmVcpus } from './dead.ts';
import { range } from '../lib.ts';
import { composeMachine, contextFor, type FineParts, type Parts } from './system.machine.ts';

export interface CoreConfiguration {
  id: string;
  description: string;
  params: Params;
  bounds: Bounds;
  /** Liveness properties checked in this configuration (default: the machine's). */
  liveness?: readonly LivenessProperty<SystemContext>[];
  /** The configuration opts in to symmetry reduction over its interchangeable vcpus and queues. */
  symmetry?: boolean;
  /**
   * A fine-grained configuration (machines/kthread.ts: its header and types are the API): the threads
   * whose steps replace atomic kernel functions, and how the regions change around them.
   * Its model checks the locking rules (`lockInvariants`) too, and opts in to partial-order
   * reduction unless `por` is false. The steps call kernel functions through `k`, the model's
   * kernel table (a variant's replacement reaches them too; `k.design` is the design).
   */
  fine?: (params: Params, k: Kernel) => FineParts;
  por?: boolean;
  /**
   * Steps (event types) that no reachable state of this configuration enables, with the reason
   * (Model.por.neverEnabled); dropped when `check --set` changes the parameters or a variant file
   * the design or kernel functions (the fact is checked for the shipped variants only).
   */
  neverEnabled?: { types: readonly string[]; why: string };
  /**
   * Invariants checked in this configuration only, besides the machine's (the fine-grained
   * windows' properties). One with the name of a machine invariant takes its place: the same
   * property in the configuration's own form (reading a thread's program counter where the
   * coarse form reads a region).
   */
  invariants?: readonly Invariant<SystemContext>[];
}

export interface CoreVariant extends VariantInfo {
  /** Factory options that differ from upstream. */
  design?: Partial<Design>;
  /** Kernel functions replaced in the machine's kernel table: every caller sees the replacement. */
  kernel?: KernelOverrides;
  /** Named guards or actions replaced with machine.provide() (for what is not a kernel function). */
  provide?: (d: Design) => Parameters<AnyStateMachine['provide']>[0];
  /** In a fine-grained configuration: the threads as this variant has them (a step moved, a lock dropped: a race). */
  threads?: (threads: ThreadDef<SystemContext>[], k: Kernel) => ThreadDef<SystemContext>[];
}

export interface CoreSpecDef {
  id: string;
  area: string;
  kernelObject: string;
  parts: Parts;
  configurations: readonly CoreConfiguration[];
  variants: readonly CoreVariant[];
  invariants: readonly Invariant<SystemContext>[];
  liveness?: readonly LivenessProperty<SystemContext>[];
  /** The kernel audit of the machine (machines/<area>/<object>.audit.ts). */
  audit?: KernelAudit;
  /** State-dependent footprints of the coarse configurations' events (issue 19: src/check/por-modal.ts). */
  stateFootprints?: (p: Params, d: Design) => StateFootprints<SystemContext>;
}

/** The events raised inside a step (never enumerated from outside, but named in traces). */
const INTERNAL = ['gisa_alert', 'kvm_s390_vcpu_wakeup', 'kvm_destroy_vm'];

export function coreSpec(def: CoreSpecDef): MachineSpec {
  return {
    id: def.id,
    area: def.area,
    kernelObject: def.kernelObject,
    pinned: PINNED,
    variants: def.variants,
    configurations: def.configurations,
    params: PARAMS,
    ...(def.audit ? { audit: def.audit } : {}),
    model(variantId?: string, configurationId?: string, options?: ModelOptions): Model<SystemContext> {
      const variant = pick('variant', def.id, def.variants, variantId);
      const picked = pick('configuration', def.id, def.configurations, configurationId ?? variant.configuration);
      if (variant.configurations && !variant.configurations.includes(picked.id)) {
        throw new SpecError(`variant '${variant.id}' of ${def.id} exists only in configuration ${variant.configurations.join(', ')}, not '${picked.id}'`);
      }
      const configuration = options?.params ? withParams(picked, options.params) : picked;
      const design: Design = { ...UPSTREAM, ...variant.design, ...designSwitches(options?.design) };
      const callable = kernelNames(def.parts);
      const overrides = { ...variant.kernel, ...(options?.kernel as KernelOverrides | undefined) };
      for (const name of Object.keys(overrides)) {
        if (!(callable as string[]).includes(name)) {
          const where = (KERNEL_NAMES as string[]).includes(name) ? `machine ${def.id} never calls it` : 'no core machine has it';
          throw new SpecError(`unknown kernel function '${name}' for ${def.id}: ${where}; it calls ${callable.join(', ')}`);
        }
      }
      const table = kernelTable(design, overrides, options?.countKernelCalls ?? false);
      let fine = configuration.fine?.(configuration.params, table.k);
      if (fine && variant.threads) fine = { ...fine, threads: variant.threads(fine.threads, table.k) };
      let machine = composeMachine(def.id, def.parts, configuration.params, table.k, contextFor(configuration.params), fine);
      if (variant.provide) machine = machine.provide(variant.provide(design));
      const events = [...enumerateEvents(configuration.params, configuration.bounds), ...(fine ? threadEvents(fine.threads) : [])];
      const types = new Set([...configuration.bounds.types, ...INTERNAL]);
      const threads: ThreadDef<SystemContext>[] = fine?.threads ?? [];
      return {
        machineId: def.id,
        variantId: variant.id,
        configurationId: configuration.id,
        machine,
        events,
        eventInfo: { ...Object.fromEntries([...types].map((t) => [t, EVENTS[t]!])), ...threadEventInfo(threads) },
        invariants: withOverrides(def.invariants, [...(configuration.invariants ?? []), ...(fine ? (lockInvariants as readonly Invariant<SystemContext>[]) : [])]),
        liveness: configuration.liveness ?? def.liveness ?? [],
        expectedViolations: variant.expectedViolationsIn?.[picked.id] ?? variant.expectedViolations,
        options: { params: configuration.params, design, parts: def.parts, kernel: table.k },
        kernelFunctions: { names: callable, counted: table.counted, calls: table.calls, reset: table.reset },
        // a fine configuration's threads (kicker0, destroy0, ...), their locals and lock instances are named per VM and not renamed
        // by the group: verifySymmetry refutes it there (two-vms-kicker-destroy), so it is approximate, never a verdict
        symmetry: {
          groups: symmetryGroups(def.id, def.parts, configuration.params).map((g) => (fine && g.exact ? { ...g, exact: false, note: 'the threads of a fine configuration, their locals and lock instances are not renamed with the VMs' } : g)),
          byDefault: !!configuration.symmetry,
        },
        observe: observeCoreModel(def.parts),
        // issue 19: `check --dead-variables` (machines/system/dead.ts); verifyDead proves it per configuration
        ...(!fine && def.parts.kvm && def.parts.vcpus ? { dead: closedVmVcpus } : {}),
        ...(fine ? { por: { byDefault: configuration.por ?? true, ...(configuration.neverEnabled && !options?.params && !options?.kernel && !options?.design ? { neverEnabled: configuration.neverEnabled.types } : {}) } } : {}),
        ...(!fine && def.stateFootprints ? { stateFootprints: def.stateFootprints(configuration.params, design) } : {}),
      };
    },
  };
}

/** Design switches given as ModelOptions (a variant file's `design`), each a known switch and value. */
function designSwitches(over: Readonly<Record<string, string>> | undefined): Partial<Design> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(over ?? {})) {
    const choices = (DESIGN_CHOICES as Record<string, readonly string[]>)[key];
    if (!choices) throw new SpecError(`unknown design switch '${key}'; machines/design.ts has ${Object.keys(DESIGN_CHOICES).join(', ')}`);
    if (!choices.includes(value)) throw new SpecError(`design switch ${key} takes ${choices.join(', ')}, not '${value}'`);
    out[key] = value;
  }
  return out as Partial<Design>;
}

/** The configuration parameters `check --set` may override (checker issue). */
const PARAMS: ParamInfo[] = [
  { key: 'vms', description: 'VMs (struct kvm), 1..3' },
  { key: 'vcpus', description: 'vcpus per VM, 0..3' },
  { key: 'queues', description: 'AP queues bound to vfio_ap, 0..3' },
  { key: 'iscs', description: 'guest ISCs the bounds enumerate, e.g. [3,5]' },
  { key: 'cr6', description: 'CR6 ISC mask of each vcpu, e.g. [4,16]' },
  { key: 'vcpuIds', description: 'vcpu_id of each vcpu in creation (vcpu_idx) order, distinct, 0..247, e.g. [1,0] or [0,2]' },
  { key: 'airqs', description: 'GISA_ADAPTER_INTERRUPTION events the environment sends, -1 for unbounded' },
];

function withParams(c: CoreConfiguration, over: Readonly<Record<string, unknown>>): CoreConfiguration {
  const count = (key: string, lo: number, hi: number): number | undefined => {
    const v = over[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new SpecError(`${key} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
    return v;
  };
  const list = (key: string, hi: number): number[] | undefined => {
    const v = over[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= hi)) throw new SpecError(`${key} must be a list of integers from 0 to ${hi}, got ${JSON.stringify(v)}`);
    return v as number[];
  };
  const params = { ...c.params };
  const vms = count('vms', 1, 3), vcpus = count('vcpus', 0, 3), queues = count('queues', 0, 3), iscs = list('iscs', 7), cr6 = list('cr6', 255);
  const airqs = count('airqs', -1, 9);
  if (airqs !== undefined) params.airqs = airqs;
  if (vms !== undefined) params.vms = vms;
  if (vcpus !== undefined) params.vcpus = vcpus;
  if (queues !== undefined) params.queues = queues;
  if (iscs !== undefined) params.iscs = iscs;
  if (cr6 !== undefined) params.cr6 = cr6;
  // kvm_vm_ioctl_create_vcpu: -EINVAL past the ESCA's 248 slots (sca_can_add_vcpu), -EEXIST for an id in use
  const vcpuIds = list('vcpuIds', 247);
  if (vcpuIds !== undefined) params.vcpuIds = vcpuIds;
  // a vcpu past the list keeps vcpu_id == vcpu_idx (vcpuIdOf); ids past the vcpus are not read (--set vcpus=1 on vcpu-ids)
  const ids = range(params.vcpus).map((k) => vcpuIdOf(params, k));
  if (new Set(ids).size !== ids.length) {
    throw new SpecError(`vcpuIds must give the ${params.vcpus} vcpus distinct ids (a vcpu past the list has its vcpu_idx), got ${JSON.stringify(params.vcpuIds)}`);
  }
  const changed = Object.keys(over).map((k) => `${k}=${JSON.stringify(over[k])}`).join(',');
  return { ...c, id: `${c.id}[${changed}]`, params };
}

/** The machine's invariants with those of the same name replaced by the configuration's, then the configuration's others. */
function withOverrides(base: readonly Invariant<SystemContext>[], extra: readonly Invariant<SystemContext>[]): Invariant<SystemContext>[] {
  const byName = new Map(extra.map((i) => [i.name, i]));
  return [...base.map((i) => byName.get(i.name) ?? i), ...extra.filter((i) => !base.some((b) => b.name === i.name))];
}
