// The contract every machine of the package fulfils: what a machine is, who causes its
// events, which properties it must keep, and which variants (patch-series versions,
// planted bugs) it has with the result the checker is expected to find.
import type { AnyStateMachine, EventObject, StateValue } from 'xstate';
import type { KernelAudit } from './audit.ts';

/** Who causes an event, so a trace reads like a sequence diagram. */
export type Actor = 'guest' | 'userspace' | 'kernel' | 'millicode' | 'hardware' | 'timer';
export const ACTORS: readonly Actor[] = ['guest', 'userspace', 'kernel', 'millicode', 'hardware', 'timer'];

/** What the checker sees of a snapshot. */
export interface AbstractState<C> {
  value: StateValue;
  context: C;
}

/** One event type of a machine, recorded in each transition's `meta` too. */
export interface EventInfo {
  actor: Actor;
  /** The kernel entry point this event mirrors: file and function, ioctl or instruction. */
  cite: string;
  /**
   * Weak fairness: the kernel (or hardware) guarantees this event happens while it stays
   * enabled: the kicker timer fires, the host takes a GAL interruption, a runnable vcpu runs.
   */
  fair?: boolean;
}

/** A path into a context or a state value: keys and array indices; '*' matches any one key. */
export type Path = readonly (string | number)[];

/** What an invariant reads: context paths and state-value paths (regions). */
export type InvariantReads = { context?: readonly Path[]; value?: readonly Path[] };

/** A named safety predicate over one reachable state. */
export interface Invariant<C> {
  name: string;
  /** The kernel rule the predicate encodes. */
  cite: string;
  holds(state: AbstractState<C>): boolean;
  /**
   * What `holds` reads: context paths and state-value paths (regions). Partial-order reduction
   * treats a step as visible when it writes any of them; an invariant without `reads` reads
   * everything (no step is invisible). Checked by the footprint verification. A function gives
   * the reads per configuration: it is called once with the configuration's initial state (an
   * invariant over `q0..q<n-1>` names the regions the configuration has).
   */
  reads?: InvariantReads | ((initial: AbstractState<C>) => InvariantReads);
  /**
   * Once violated, violated for good: every step out of a violating state leads to a violating
   * state (a fault or finding bit that is set and never cleared). Partial-order reduction then
   * needs no step to be visible to it (src/check/por.ts); the footprint verification checks it
   * on every edge.
   */
  stable?: boolean;
  /**
   * The invariant as a conjunction of parts that each read less (one per VM): `holds` is true
   * iff every conjunct holds. Partial-order reduction applies the visibility condition per
   * conjunct (src/check/por.ts), so a step of one VM is not visible to another VM's part; the
   * footprint verification checks each conjunct's reads and, in every state, that `holds`
   * agrees with the conjunction. Called once with the configuration's initial state.
   */
  conjuncts?: (initial: AbstractState<C>) => readonly Conjunct<C>[];
}

/** One part of an invariant that is a conjunction (Invariant.conjuncts). */
export interface Conjunct<C> {
  /** Its name in messages, e.g. 'vm1'. */
  name: string;
  holds(state: AbstractState<C>): boolean;
  reads: InvariantReads;
}

/**
 * A liveness property, checked on the explored graph (issue: checker).
 * `leadsTo`: whenever `p` holds, `q` eventually holds, under weak fairness of fair events.
 * `alwaysReachable`: from every reachable state a state satisfying `q` can be reached.
 */
export interface LivenessProperty<C> {
  name: string;
  cite: string;
  kind: 'leadsTo' | 'alwaysReachable';
  /**
   * For a property stated per object ("... or that vcpu leaves idle"): the objects, read from
   * the initial state, e.g. `[{ vm: 0, vcpu: 0 }, { vm: 0, vcpu: 1 }]`. The checker checks p and
   * q for each instance separately and names the instance of a violation.
   */
  instances?: (initial: AbstractState<C>) => readonly Instance[];
  p?: (state: AbstractState<C>, instance: Instance) => boolean;
  q: (state: AbstractState<C>, instance: Instance) => boolean;
}

/** One object a per-object liveness property speaks of: index fields as in event payloads. */
export type Instance = Readonly<Record<string, number>>;

/** A machine as the checker, the path generator and the exporters use it. */
/** A model's dead variables: `reset` returns the context with every dead field at its canonical value (the same object when none changes; never mutates its argument). */
export interface DeadVariables<C = unknown> {
  /** What is dead where, and why (the kernel's reason), one line. */
  note: string;
  reset(context: C): C;
}

export interface Model<C = any> {
  /** Machine id, e.g. `kvm_s390_gisa_interrupt` or `system`. */
  machineId: string;
  variantId: string;
  configurationId: string;
  machine: AnyStateMachine;
  /** Every event, with each payload the bounds enumerate; events a state ignores are skipped. */
  events: readonly EventObject[];
  eventInfo: Readonly<Record<string, EventInfo>>;
  invariants: readonly Invariant<C>[];
  liveness: readonly LivenessProperty<C>[];
  /** Names of the properties (invariants and liveness) this variant must violate; all others must hold. */
  expectedViolations: readonly string[];
  /** The factory options the machine was built with (parameters, design), for systems under test. */
  options?: Readonly<Record<string, unknown>>;
  /**
   * Interchangeable objects of this configuration, for symmetry reduction; `byDefault`: the
   * configuration opts in, so `check` reduces unless told `--no-symmetry`.
   */
  symmetry?: { groups: readonly SymmetryGroup[]; byDefault: boolean };
  /**
   * Dead-variable reduction (SPIN's dead variable elimination, issue 19): fields no later step,
   * property or observation reads, reset to a canonical value. `check --dead-variables` applies
   * it; verifyDead (src/check/dead.ts) proves it exact per configuration.
   */
  dead?: DeadVariables<C>;
  /** The kernel functions the machine calls through its kernel table (core machines), with a count of the calls made. */
  kernelFunctions?: KernelFunctionsInfo;
  /**
   * Partial-order reduction (machines/kthread.ts configurations): `byDefault`, the
   * configuration opts in, so `check` reduces unless told `--no-por`.
   */
  por?: {
    byDefault: boolean;
    /**
     * Event types that no reachable state enables (a fact of the configuration: with no GISA ever
     * listed, a destroy's gisa_set_iam never answers -EBUSY, so its process_gib_alert_list step never
     * runs). The reduction leaves them out of every dependence and enabling set (src/check/por.ts);
     * the footprint verification checks the fact on the full exploration, and a reduced exploration
     * that finds one enabled fails.
     */
    neverEnabled?: readonly string[];
  };
  /**
   * State-dependent footprints of the events (coarse configurations, issue 19): the
   * partial-order reduction of src/check/por-modal.ts uses them where no transition declares a
   * footprint of its own (`check --por`, or `explore(..., { por: true })`).
   */
  stateFootprints?: StateFootprints<C>;
  /**
   * What the model predicts a harness outside the package observes after a step (`event`) or
   * in the initial state (no event): read from the machine's state, never recomputed
   * (`paths --format json`, `paths --format kselftest`).
   */
  observe?: (state: AbstractState<C>, event?: EventObject) => Observation;
}

/**
 * Footprints that are functions of the state (src/check/por-modal.ts): each event has `modes`
 * modes, the state decides which one (`mode`, reading only what every mode's footprint reads),
 * and each mode has a footprint that holds in every state where the event is in that mode.
 * Paths are context paths, or a region of the machine as ['@', region, ...].
 */
export interface StateFootprints<C> {
  modes(e: EventObject): number;
  mode(c: C, e: EventObject): number;
  /** What `mode` reads (a step changing none of it keeps the event's mode). */
  decides(e: EventObject): readonly Path[];
  footprint(e: EventObject, mode: number): { reads: readonly Path[]; writes: readonly Path[]; enables?: readonly Path[] };
}

/**
 * The observable outcome of a step as the model predicts it (schema/paths.schema.json).
 * A machine fills what it models; everything is in the machine's vocabulary.
 */
export interface Observation {
  /** The state the object is in, as a harness can tell (`flic` / `no_flic`, `logging`). */
  state?: string;
  /** What the step returned: 0, a count or another value, or -errno. Absent when it returns nothing. */
  rc?: number;
  /** The errno name of a negative rc (`EINVAL`). */
  errno?: string;
  /** What a GET or read returned, in the machine's terms. */
  returns?: unknown;
  /** Fields of the object after the step, in the machine's terms. */
  fields?: Readonly<Record<string, unknown>>;
}

/**
 * Objects the machine treats alike (the vcpus of a VM with the same CR6, the AP queues):
 * permuting them maps reachable states to reachable states, so the checker may keep one
 * state per orbit. Member i is a region of the machine, element `index` of the context array
 * at `array`, and the events whose payload field `field` equals `index` (and match `where`).
 */
export interface SymmetryGroup {
  name: string;
  members: readonly { region: string; index: number }[];
  array: readonly (string | number)[];
  field: string;
  where?: Readonly<Record<string, number>>;
  /**
   * Whether permuting the members is an automorphism of the transition relation (checked by
   * a test with verifySymmetry); when not, the reduction is approximate and `note` says why.
   */
  exact: boolean;
  note?: string;
  /**
   * Other places in the context that name a member by its `index`: a number (-1 or any value
   * that is no member's index: none) or a bit mask (bit `index`: that member). A path may hold
   * '*' for every element of an array (`['queues', '*', 'hwGisa']`). Permuting the members
   * renames these too. At most one group of a model may have refs; a group whose context array
   * lies inside one of its members' elements (the vcpus of a VM) moves with that member.
   */
  refs?: readonly SymmetryRef[];
}

/** A context location holding a member index (`index`) or a mask of member bits (`mask`). */
export interface SymmetryRef {
  path: readonly (string | number)[];
  kind: 'index' | 'mask';
}

/** A patch-series version or a planted bug: the baseline with named parts replaced. */
export interface VariantInfo {
  id: string;
  description: string;
  /** Where the design comes from: a commit, a patch series, a seed document. */
  cite: string;
  expectedViolations: readonly string[];
  /** The configuration the variant is checked in by default (default: the first of `configurations`, else the machine's first). */
  configuration?: string;
  /**
   * Every configuration the variant belongs to, its own (`configuration`) included: `check
   * --configuration C` checks the variants of C, `--configuration all` each variant in each of
   * its configurations (see `variantConfigurations`). A core variant cannot be built outside
   * the list when one is given (a race variant that edits a thread exists only where that thread does).
   */
  configurations?: readonly string[];
  /**
   * Where another configuration sees more (a fine-grained one shows interleavings the atomic
   * form cannot): the properties the variant must violate there, by configuration id. The
   * variant belongs to each configuration named here.
   */
  expectedViolationsIn?: Readonly<Record<string, readonly string[]>>;
  /**
   * What the expectation rests on until the checker issue proves liveness results:
   * 'asserted' (a test checks it), 'recorded' (not yet checkable).
   */
  status?: 'asserted' | 'recorded';
}

export interface ConfigurationInfo {
  id: string;
  description: string;
}

/** A configuration parameter a spec lets `check --set key=value` override. */
export interface ParamInfo {
  key: string;
  description: string;
}

/** Optional inputs to `MachineSpec.model`: parameter overrides on top of the configuration. */
export interface ModelOptions {
  /** Values for keys listed in `MachineSpec.params`; the spec throws a SpecError for a bad value. */
  params?: Readonly<Record<string, unknown>>;
  /** Replacements for kernel functions of the machine's kernel table (core machines, kvm_memory_slot's DirtyKernel); a name it never calls is a SpecError. */
  kernel?: Readonly<Record<string, unknown>>;
  /** Count the calls of each kernel function (core machines, kvm_memory_slot; `Model.kernelFunctions.calls()`); off by default, it slows the explorer a little. */
  countKernelCalls?: boolean;
  /** Design switches over the variant's (core machines, machines/design.ts: `{ aqic: 'v5.3' }`); an unknown switch or value is a SpecError. */
  design?: Readonly<Record<string, string>>;
}

/** The kernel functions a model calls through its table (core machines), and the calls made so far. */
export interface KernelFunctionsInfo {
  /** Every kernel function the machine can call: a replacement must name one of these. */
  names: readonly string[];
  /** Whether the model counts calls (built with `countKernelCalls`). */
  counted: boolean;
  /** Calls of each kernel function since the model was built or `reset`: run `explore` to see which functions a check executed (throws unless `counted`). */
  calls(): ReadonlyMap<string, number>;
  reset(): void;
}

/** One machine of the package with its variants and configurations. */
export interface MachineSpec {
  id: string;
  /** Folder under machines/: gisa, vcpu, vfio-ap, system, ... */
  area: string;
  /** The kernel struct the machine is named after. */
  kernelObject: string;
  /** Kernel version the machine is pinned to. */
  pinned: string;
  variants: readonly VariantInfo[];
  configurations: readonly ConfigurationInfo[];
  /** Parameters `--set` may override; a spec without them takes no `--set`. */
  params?: readonly ParamInfo[];
  /** The kernel audit: every pinned kernel function touching a modelled field, and how the machine treats it (src/audit.ts). */
  audit?: KernelAudit;
  /** Builds the model of one variant in one configuration (defaults: the first of each). */
  model(variantId?: string, configurationId?: string, options?: ModelOptions): Model;
}

/** Unknown variant or configuration: the message says what exists. */
export class SpecError extends Error {
  override name = 'SpecError';
}

export function pick<T extends { id: string }>(kind: string, owner: string, list: readonly T[], id: string | undefined): T {
  const found = id === undefined ? list[0] : list.find((x) => x.id === id);
  if (!found) {
    throw new SpecError(`unknown ${kind} '${id}' for ${owner}; known: ${list.map((x) => x.id).join(', ')}`);
  }
  return found;
}

/**
 * The configurations a variant belongs to, its own first: `configuration` (or the first of
 * `configurations`, or the machine's first), then `configurations`, then those `expectedViolationsIn` names.
 */
export function variantConfigurations(spec: Pick<MachineSpec, 'configurations'>, v: VariantInfo): string[] {
  const own = v.configuration ?? v.configurations?.[0] ?? spec.configurations[0]?.id;
  return [...new Set([...(own === undefined ? [] : [own]), ...(v.configurations ?? []), ...Object.keys(v.expectedViolationsIn ?? {})])];
}
