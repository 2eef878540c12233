// A reviewer's own variant: a TypeScript module that default-exports, on top of a shipped
// variant, replacements of named guards, actions and (core machines) kernel functions, design
// switches, parameters, extra invariants and liveness properties, extra payload choices for
// events (outcomes the hardware can return), the configurations to check with what each must
// show, and another variant file it extends. It is type-checked against the package's
// exported types, loaded by variant-loader.ts (from any folder and any kind of project), and
// every name it uses must be one the machine uses in the configurations checked; a
// replacement that no explored step ran is reported, and is a mismatch unless the file
// expects it (`expectUnexecuted`).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import type { DirtyKernel, SlotContext } from '../../machines/dirty-log/kvm_memory_slot.machine.ts';
import type { FlicContext, FlicKernel } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
import type { gibImplementations } from '../../machines/gisa/kvm_s390_gib.machine.ts';
import type { gisaImplementations } from '../../machines/gisa/kvm_s390_gisa_interrupt.machine.ts';
import type { KernelOverrides } from '../../machines/kernel.ts';
import { isCoreAction, type CoreAction, type CoreGuard } from '../../machines/lib.ts';
import type { SystemContext } from '../../machines/context.ts';
import type { Design } from '../../machines/design.ts';
import type { kvmImplementations } from '../../machines/system/kvm.machine.ts';
import type { vcpuImplementations } from '../../machines/vcpu/kvm_vcpu.machine.ts';
import type { mdevImplementations } from '../../machines/vfio-ap/ap_matrix_mdev.machine.ts';
import type { queueImplementations } from '../../machines/vfio-ap/vfio_ap_queue.machine.ts';
import type { CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import type { Invariant, LivenessProperty, MachineSpec, Model, ModelOptions } from '../spec.ts';
import { pathToFileURL } from 'node:url';
import { rmSync } from 'node:fs';
import { compileVariantModule, typeCheckVariant } from './variant-loader.ts';
import { watch } from './watch.ts';

/** A guard implementation, as in `setup({ guards })`: `({ context, event }, params) => boolean`. */
export type GuardImpl = (args: { context: any; event: any }, params: any) => boolean;
/**
 * An action implementation, as in `setup({ actions })`: `assign(...)`, `enqueueActions(...)`,
 * `raise(...)`, or the package's `kernel(fn)` / `update(fn)`. Kept a plain function type so
 * type-checking a variant file does not instantiate xstate's machine generics. (A plain
 * function that is none of these changes nothing the checker sees, and is refused.)
 */
export type ActionImpl = (args: any, params: any) => void;

/**
 * An action over context C: the package's kernel()/update() (core machines), or xstate's
 * assign/enqueueActions/raise. Its argument is checked both ways (a method signature), so
 * xstate's actions, whose argument also carries `self` and `system`, are accepted.
 */
export type ActionOver<C> = { bivariant(args: { context: C; event: any }, params: any): void }['bivariant'];

/** A value an event payload field can take. */
export type PayloadValue = string | number | boolean;

interface VariantFileBase {
  /** The shipped variant to start from (default: the machine's first, the baseline). */
  base?: string;
  description?: string;
  /**
   * Another variant file this one builds on, relative to this file (`'./other.ts'`): its
   * settings apply first, this file's on top (replacements and parameters by name, properties
   * and payloads added, expectations and configurations replaced when this file gives them).
   */
  extends?: string;
  /** Properties this variant must violate; everything else must hold (default: none). In every configuration without an entry in `expectedViolationsIn`. */
  expectedViolations?: readonly string[];
  /** Per configuration id: the properties the variant must violate there (as `VariantInfo.expectedViolationsIn`). */
  expectedViolationsIn?: Readonly<Record<string, readonly string[]>>;
  /**
   * The configurations to check when `check` is given no `--configuration` (as
   * `VariantInfo.configurations`). Default: every configuration of the machine the base variant
   * can be built in.
   */
  configurations?: readonly string[];
  /** Replacements (guards, actions, kernel functions) that may run in no explored step of a configuration without that being a mismatch. */
  expectUnexecuted?: readonly string[];
  /** Configuration parameters, as `--set key=value` gives them. */
  params?: Readonly<Record<string, unknown>>;
  /**
   * More payload choices for an event the configuration enumerates, per event type and field:
   * `{ PQAP_AQIC: { outcome: ['DECONFIGURED'] } }` adds, for every enumerated PQAP_AQIC event
   * that has an `outcome`, a copy with each new value (an outcome the hardware can return).
   */
  payloads?: Readonly<Record<string, Readonly<Record<string, readonly PayloadValue[]>>>>;
}

/** What a variant file default-exports (any machine; `defineVariant` types it by the machine it names). */
export interface VariantFile extends VariantFileBase {
  /** Machine id; `--machine` may give it instead. */
  machine?: string;
  guards?: Readonly<Record<string, GuardImpl>>;
  actions?: Readonly<Record<string, ActionImpl>>;
  /** Kernel functions replaced in the machine's kernel table (core machines, see CoreVariantFile; kvm_memory_slot, see SlotVariantFile). */
  kernel?: Readonly<Record<string, (this: any, ...args: any[]) => unknown>>;
  /** Design switches of machines/design.ts (core machines). */
  design?: Readonly<Record<string, string>>;
  /** Invariants checked in every reachable state besides the machine's own. */
  invariants?: readonly Invariant<any>[];
  /** Liveness properties checked besides the machine's own. */
  liveness?: readonly LivenessProperty<any>[];
}

/** The machines of the composed guest's family: their context is SystemContext and their kernel functions sit in a kernel table. */
export type CoreMachineId = 'kvm_s390_gib' | 'kvm_s390_gisa_interrupt' | 'kvm_vcpu' | 'vfio_ap_queue' | 'ap_matrix_mdev' | 'kvm' | 'system';

const CORE_MACHINE_IDS: readonly string[] = ['kvm_s390_gib', 'kvm_s390_gisa_interrupt', 'kvm_vcpu', 'vfio_ap_queue', 'ap_matrix_mdev', 'kvm', 'system'] satisfies CoreMachineId[];

type CoreImplementations =
  | ReturnType<typeof gibImplementations>
  | ReturnType<typeof gisaImplementations>
  | ReturnType<typeof vcpuImplementations>
  | ReturnType<typeof kvmImplementations>
  | ReturnType<typeof mdevImplementations>
  | ReturnType<typeof queueImplementations>;
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** Every named guard of the core machines: a misspelt name in a variant file does not type-check. */
export type CoreGuardName = KeysOfUnion<CoreImplementations['guards']>;
/** Every named action of the core machines (`settle` raises a region's settle event). */
export type CoreActionName = KeysOfUnion<CoreImplementations['actions']> | 'settle';

/** A variant file for a core machine: guards and actions over SystemContext (`kernel`, `update`), kernel function replacements, design switches. */
export interface CoreVariantFile<M extends CoreMachineId = CoreMachineId> extends VariantFileBase {
  machine: M;
  guards?: Partial<Record<CoreGuardName, CoreGuard>>;
  actions?: Partial<Record<CoreActionName, CoreAction | ActionOver<SystemContext>>>;
  /**
   * Kernel functions replaced in the machine's table: every caller, action or kernel function,
   * calls the replacement. `this` is the table (`this.kvm_s390_gisc_register(...)`,
   * `this.design`); the package's `gisa`, `vcpu`, `kvm`, `vfioAp` hold the originals.
   */
  kernel?: KernelOverrides;
  /** Design switches (machines/design.ts) over the base variant's: `{ aqic: 'v5.3' }`. */
  design?: Partial<Design>;
  invariants?: readonly Invariant<SystemContext>[];
  liveness?: readonly LivenessProperty<SystemContext>[];
}

/** A variant file for a machine with a context of its own: its guards, actions and properties take that context (a core `kernel(...)` does not type-check). */
export interface OwnContextVariantFile<M extends string, C> extends VariantFileBase {
  machine: M;
  guards?: Readonly<Record<string, (args: { context: C; event: any }, params: any) => boolean>>;
  actions?: Readonly<Record<string, ActionOver<C>>>;
  invariants?: readonly Invariant<C>[];
  liveness?: readonly LivenessProperty<C>[];
}

/**
 * A variant file for the dirty-log machine: besides its own-context guards and actions, its
 * DirtyKernel functions (`kvm_arch_commit_memory_region`, the GET and CLEAR paths, ...) may be
 * replaced; every caller, the machine's actions and the other kernel functions (through their
 * `k` argument), calls the replacement.
 */
export interface SlotVariantFile extends OwnContextVariantFile<'kvm_memory_slot', SlotContext> {
  kernel?: Partial<DirtyKernel>;
}

/**
 * A variant file for the FLIC machine: besides its own-context guards and actions, its FlicKernel
 * functions (`kvm_vm_ioctl_enable_cap`, `modify_ais_mode`, `kvm_s390_inject_airq`, ...) may be
 * replaced; every caller, the machine's actions and the other kernel functions (through their `k`
 * argument), calls the replacement.
 */
export interface FlicVariantFile extends OwnContextVariantFile<'kvm_s390_float_interrupt', FlicContext> {
  kernel?: Partial<FlicKernel>;
}

/** The variant file type for machine `M`. */
export type VariantFileFor<M extends string> = M extends CoreMachineId
  ? CoreVariantFile<M>
  : M extends 'kvm_s390_float_interrupt'
    ? FlicVariantFile
    : M extends 'vfio_ccw_private'
      ? OwnContextVariantFile<M, CcwContext>
      : M extends 'kvm_memory_slot'
        ? SlotVariantFile
        : VariantFile;

/**
 * Identity, for type inference in a variant file: `export default defineVariant({ machine: 'system', ... })`
 * types guards, actions, kernel functions and properties by the machine named.
 */
export function defineVariant<const M extends string = string>(v: { machine?: M } & VariantFileFor<M>): VariantFile {
  return v as VariantFile;
}

/** A variant file that cannot be used; the message is one line. */
export class VariantFileError extends Error {
  override name = 'VariantFileError';
}

/** Type-checks one file with the package's compiler options; returns the first diagnostic as `file:line: message`. */
export const typeCheck = typeCheckVariant;

export interface LoadedVariant {
  /** The variant id the checker reports: the file name without `.ts`. */
  id: string;
  path: string;
  /** The file's settings merged over those of the files it extends. */
  file: VariantFile;
  /** This file and every file it extends, this one first (stack frames in them are the variant's). */
  files: readonly string[];
  /** The configurations `check` chose for it, and why (set by the command's plan). */
  checked?: VariantConfigurations;
  /** Loaded with `keep`: each file's transpiled module (a worker imports these), and the folders to remove when done (`releaseVariant`). */
  compiled?: Readonly<Record<string, string>>;
  dirs?: readonly string[];
}

export interface LoadOptions {
  /** Type-check the file and what it extends (default true). */
  typeCheck?: boolean;
  /** Keep the transpiled modules until `releaseVariant` (a worker imports them). */
  keep?: boolean;
  /** Transpiled modules by file, from a `keep` load in another thread: imported instead of transpiling again. */
  compiled?: Readonly<Record<string, string>>;
}

/** Removes the transpiled modules a `keep` load left. */
export function releaseVariant(v: LoadedVariant | undefined): void {
  for (const d of v?.dirs ?? []) rmSync(d, { recursive: true, force: true });
}

const FILE_KEYS: readonly (keyof VariantFile)[] = [
  'machine', 'base', 'description', 'extends', 'expectedViolations', 'expectedViolationsIn', 'configurations', 'expectUnexecuted',
  'params', 'payloads', 'guards', 'actions', 'kernel', 'design', 'invariants', 'liveness',
];

/**
 * Reads, type-checks and imports a variant file and the files it extends; every failure is a
 * VariantFileError with one line. `typeCheck: false` skips the type check (a worker re-loading
 * a file the command already checked).
 */
export async function loadVariantFile(path: string, options: LoadOptions = {}): Promise<LoadedVariant> {
  const compiled: Record<string, string> = {};
  const dirs: string[] = [];
  try {
    const v = await load(path, options, [], compiled, dirs);
    return options.keep ? { ...v, compiled, dirs } : v;
  } finally {
    if (!options.keep) for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function load(path: string, options: LoadOptions, chain: readonly string[], compiled: Record<string, string>, dirs: string[]): Promise<LoadedVariant> {
  const check = options.typeCheck ?? true;
  const file = resolve(path);
  const shown = chain.length ? relative(process.cwd(), file) || file : path;
  if (!existsSync(file)) throw new VariantFileError(chain.length ? `variant file ${rel(chain[0]!)} extends ${shown}, which does not exist` : `variant file ${path} does not exist`);
  // a variant file is a module the loader transpiles (CommonJS ones it refuses itself); anything else would only fail as "cannot be read"
  if (!['.ts', '.mts', '.js', '.mjs', '.cts', '.cjs'].includes(extname(file)))
    throw new VariantFileError(`variant file ${shown} is not a TypeScript module: give a .ts file that does \`export default defineVariant({ ... })\``);
  try {
    readFileSync(file);
  } catch (e) {
    throw new VariantFileError(`cannot read variant file ${shown}: ${(e as Error).message}`);
  }
  if (chain.includes(file)) throw new VariantFileError(`variant file ${rel(chain[0]!)} extends itself: ${[...chain, file].map(rel).join(' -> ')}`);
  if (check) {
    const problem = await typeCheck(file);
    if (problem) throw new VariantFileError(`variant file does not type-check: ${problem}`);
  }
  let mod: { default?: unknown };
  try {
    let entry = options.compiled?.[file];
    if (!entry) {
      const c = await compileVariantModule(file);
      dirs.push(c.dir);
      entry = c.entry;
    }
    compiled[file] = entry;
    process.setSourceMapsEnabled(true);
    mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (e) {
    const first = String((e as Error).message ?? e).split('\n')[0];
    throw new VariantFileError(`variant file ${shown} does not load: ${first}`);
  }
  const v = mod.default;
  if (!v || typeof v !== 'object') throw new VariantFileError(`variant file ${shown} has no default export; export default defineVariant({ ... })`);
  const own = v as VariantFile;
  const unknown = Object.keys(own).filter((k) => !(FILE_KEYS as string[]).includes(k));
  if (unknown.length) throw new VariantFileError(`variant file ${shown}: unknown setting '${unknown[0]}'; a variant file sets ${FILE_KEYS.join(', ')}`);
  const id = basename(file).replace(/\.[cm]?tsx?$/, '');
  if (own.extends === undefined) return { id, path: file, file: own, files: [file] };
  if (typeof own.extends !== 'string') throw new VariantFileError(`variant file ${shown}: extends must be a path like './other.ts'`);
  const parent = await load(resolve(dirname(file), own.extends), options, [...chain, file], compiled, dirs);
  if (own.machine && parent.file.machine && own.machine !== parent.file.machine) {
    throw new VariantFileError(`variant file ${shown} is for machine ${own.machine}, but it extends ${rel(parent.path)}, which is for ${parent.file.machine}`);
  }
  return { id, path: file, file: merge(parent.file, own), files: [file, ...parent.files] };
}

const rel = (f: string) => relative(process.cwd(), f) || f;

/** `child` over `parent`: replacements, parameters, design and payloads by name; properties added (a name redefined replaces); expectations and configurations replaced. */
function merge(parent: VariantFile, child: VariantFile): VariantFile {
  const byName = <T extends { name: string }>(a: readonly T[] = [], b: readonly T[] = []) => [...a.filter((x) => !b.some((y) => y.name === x.name)), ...b];
  const payloads: Record<string, Record<string, PayloadValue[]>> = {};
  for (const p of [parent.payloads, child.payloads]) {
    for (const [type, fields] of Object.entries(p ?? {})) {
      for (const [field, values] of Object.entries(fields)) {
        const into = ((payloads[type] ??= {})[field] ??= []);
        for (const v of values) if (!into.includes(v)) into.push(v);
      }
    }
  }
  const out: VariantFile = {
    ...parent,
    ...child,
    guards: { ...parent.guards, ...child.guards },
    actions: { ...parent.actions, ...child.actions },
    kernel: { ...parent.kernel, ...child.kernel },
    design: { ...parent.design, ...child.design },
    params: { ...parent.params, ...child.params },
    expectedViolationsIn: { ...parent.expectedViolationsIn, ...child.expectedViolationsIn },
    expectUnexecuted: [...new Set([...(parent.expectUnexecuted ?? []), ...(child.expectUnexecuted ?? [])])],
    invariants: byName(parent.invariants, child.invariants),
    liveness: byName(parent.liveness, child.liveness),
    payloads,
  };
  delete out.extends;
  return out;
}

/** The settings that only the core machines take, present in the file. */
const nonEmpty = (o: object | undefined): boolean => !!o && Object.keys(o).length > 0;

/** The configurations checked, and why those. */
export interface VariantConfigurations {
  ids: readonly string[];
  /** `the file lists them`, `--configuration`, or `every configuration base 'x' can be built in`. */
  why: string;
}

/**
 * The configurations a variant file is checked in: `--configuration` (an id, or `all`: every
 * one the base variant can be built in), else the file's `configurations`, else every
 * configuration of the machine the base variant can be built in (its `configurations`, else
 * all). Never silently the first one.
 */
export function fileConfigurations(spec: MachineSpec, v: LoadedVariant, flag?: string): VariantConfigurations {
  const base = spec.variants.find((x) => x.id === (v.file.base ?? spec.variants[0]?.id));
  const known = spec.configurations.map((c) => c.id);
  const buildable = base?.configurations ?? known;
  const ofBase = `every configuration ${base ? `base '${base.id}'` : 'of the machine'} can be built in`;
  const check = (ids: readonly string[], what: string) => {
    for (const id of ids) {
      if (!known.includes(id)) throw new VariantFileError(`variant file ${basename(v.path)}: ${what} names configuration '${id}', which ${spec.id} does not have; known: ${known.join(', ')}`);
      if (!buildable.includes(id)) throw new VariantFileError(`variant file ${basename(v.path)}: ${what} names configuration '${id}', but base '${base!.id}' exists only in ${buildable.join(', ')}`);
    }
  };
  for (const id of Object.keys(v.file.expectedViolationsIn ?? {})) check([id], 'expectedViolationsIn');
  if (flag === 'all') return { ids: buildable, why: `--configuration all: ${ofBase}` };
  if (flag !== undefined) {
    check([flag], '--configuration');
    return { ids: [flag], why: '--configuration' };
  }
  if (v.file.configurations) {
    if (!v.file.configurations.length) throw new VariantFileError(`variant file ${basename(v.path)}: configurations is empty; list at least one of ${buildable.join(', ')}`);
    check(v.file.configurations, 'configurations');
    return { ids: v.file.configurations, why: 'the configurations the file lists' };
  }
  return { ids: buildable, why: `${ofBase}; list configurations in the file to check fewer` };
}

/** The ModelOptions a variant file asks of `spec.model`: its kernel replacements and design switches, and call counting when it replaces kernel functions. */
export function variantModelOptions(v: LoadedVariant): ModelOptions {
  const kernel = v.file.kernel && nonEmpty(v.file.kernel) ? watchedKernel(v.file.kernel) : undefined;
  return {
    ...(kernel ? { kernel, countKernelCalls: true } : {}),
    ...(nonEmpty(v.file.design) ? { design: v.file.design! } : {}),
  };
}

/** Kernel replacements that tell the watchdog while they run (a loop in one is a hung step, not a slow check). */
function watchedKernel(kernel: NonNullable<VariantFile['kernel']>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(kernel)) {
    if (typeof f !== 'function') {
      out[name] = f;
      continue;
    }
    out[name] = function (this: unknown, ...args: unknown[]) {
      watch.enter(name);
      try {
        return f.apply(this, args);
      } finally {
        watch.leave();
      }
    };
  }
  return out;
}

/** What a check of one model ran of a variant file's replacements. */
export interface OverrideUse {
  name: string;
  kind: 'guard' | 'action' | 'kernel';
  /** How often it ran in the exploration (guards: evaluations; actions: executions; kernel functions: calls). */
  calls: number;
  /** The file lists it in expectUnexecuted. */
  expectedUnexecuted: boolean;
}

interface Applied {
  file: LoadedVariant;
  guards: Map<string, number>;
  actions: Map<string, number>;
  /** Names the machine's transitions use (guards, actions), for the never-used check across configurations. */
  referenced: { guards: Set<string>; actions: Set<string> };
  /** Payload additions this configuration had no event for, and values already enumerated. */
  payloads: { missing: string[]; known: string[] };
}
const applied = new WeakMap<Model, Applied>();

/**
 * The model with the file applied: guards and actions provided (counted, and watched while
 * they run), properties and payload choices added, and the expectation of this
 * configuration. Names the machine does not have are an error naming the close ones; so are
 * expected violations naming no property. Whether a name is used in none of the
 * configurations checked is `checkVariantUse`'s to say, over all of them.
 */
export function applyVariant(model: Model, v: LoadedVariant): Model {
  const where = `variant file ${basename(v.path)}`;
  const impl = model.machine.implementations;
  for (const kind of ['guards', 'actions'] as const) {
    const known = Object.keys(impl[kind] ?? {});
    for (const name of Object.keys(v.file[kind] ?? {})) {
      if (!known.includes(name)) {
        const close = closeNames(name, known);
        const hint = close.length ? `did you mean ${close.join(', ')}?` : `it has ${known.length ? known.join(', ') : 'none'}`;
        throw new VariantFileError(`${where}: machine ${model.machineId} has no ${kind.slice(0, -1)} '${name}'; ${hint}`);
      }
    }
  }
  for (const [name, action] of Object.entries(v.file.actions ?? {})) {
    if (typeof action !== 'function' || !('type' in action)) {
      throw new VariantFileError(`${where}: action '${name}' is a plain function, which changes nothing the checker sees (it explores the context); write it with assign(...), enqueueActions(...), raise(...) or the package's kernel(...)/update(...)`);
    }
  }
  // the machine named by --machine, not the file, may have a context of its own: core actions would crash there
  if (!CORE_MACHINE_IDS.includes(model.machineId)) {
    const core = Object.keys(v.file.actions ?? {}).find((n) => isCoreAction(v.file.actions![n]));
    if (core) throw new VariantFileError(`${where}: action '${core}' is made with kernel()/update(), which work on the core machines' SystemContext; machine ${model.machineId} has a context of its own`);
    if (nonEmpty(v.file.design)) throw new VariantFileError(`${where}: machine ${model.machineId} has no design switches; design applies to the core machines (machines/design.ts)`);
  }
  if (!model.kernelFunctions && nonEmpty(v.file.kernel)) {
    throw new VariantFileError(`${where}: machine ${model.machineId} has no kernel table; kernel replacements apply to the core machines (kvm_s390_gib, kvm_s390_gisa_interrupt, kvm_vcpu, vfio_ap_queue, ap_matrix_mdev, kvm, system) kvm_memory_slot (DirtyKernel) and kvm_s390_float_interrupt (FlicKernel)`);
  }
  const replaced = [...Object.keys(v.file.guards ?? {}), ...Object.keys(v.file.actions ?? {}), ...Object.keys(v.file.kernel ?? {})];
  for (const name of v.file.expectUnexecuted ?? []) {
    if (!replaced.includes(name)) throw new VariantFileError(`${where}: expectUnexecuted names '${name}', which the file does not replace; it replaces ${replaced.length ? replaced.join(', ') : 'nothing'}`);
  }

  // properties: the machine's, then the file's (a name may not be taken twice)
  const invariants = [...model.invariants];
  const liveness = [...model.liveness];
  const names = () => [...invariants.map((i) => i.name), ...liveness.map((l) => l.name)];
  for (const inv of v.file.invariants ?? []) {
    if (!inv || typeof inv.name !== 'string' || typeof inv.holds !== 'function') throw new VariantFileError(`${where}: an invariant needs a name and holds(state)`);
    if (names().includes(inv.name)) throw new VariantFileError(`${where}: invariant '${inv.name}' is already a property of ${model.machineId}; give it another name`);
    invariants.push({ ...inv, holds: watched(`invariant ${inv.name}`, inv.holds) });
  }
  for (const l of v.file.liveness ?? []) {
    if (!l || typeof l.name !== 'string' || typeof l.q !== 'function' || (l.kind !== 'leadsTo' && l.kind !== 'alwaysReachable')) {
      throw new VariantFileError(`${where}: a liveness property needs a name, kind 'leadsTo' or 'alwaysReachable', and q(state)`);
    }
    if (l.kind === 'leadsTo' && typeof l.p !== 'function') throw new VariantFileError(`${where}: leadsTo property '${l.name}' needs p(state)`);
    if (names().includes(l.name)) throw new VariantFileError(`${where}: liveness property '${l.name}' is already a property of ${model.machineId}; give it another name`);
    liveness.push({ ...l, q: watched(`liveness ${l.name} q`, l.q), ...(l.p ? { p: watched(`liveness ${l.name} p`, l.p) } : {}) });
  }
  const base = model.configurationId.replace(/\[.*$/, '');
  const expected = v.file.expectedViolationsIn?.[base] ?? v.file.expectedViolations ?? [];
  const what = v.file.expectedViolationsIn?.[base] ? `expectedViolationsIn.${base}` : 'expectedViolations';
  for (const name of expected) {
    if (!names().includes(name)) {
      throw new VariantFileError(`${where}: ${what} names '${name}', not a property of ${model.machineId} in ${model.configurationId}; known: ${names().join(', ')}`);
    }
  }

  const { events, missing, known } = addPayloads(model, v.file.payloads ?? {}, where);
  const guards = new Map<string, number>();
  const actions = new Map<string, number>();
  const provided: { guards?: Record<string, unknown>; actions?: Record<string, unknown> } = {};
  if (nonEmpty(v.file.guards)) provided.guards = Object.fromEntries(Object.entries(v.file.guards!).map(([n, g]) => [n, countGuard(n, g, guards)]));
  if (nonEmpty(v.file.actions)) provided.actions = Object.fromEntries(Object.entries(v.file.actions!).map(([n, a]) => [n, countAction(n, a, actions)]));
  const machine = provided.guards || provided.actions ? model.machine.provide(provided as never) : model.machine;
  const out: Model = { ...model, machine, variantId: v.id, expectedViolations: [...expected], invariants, liveness, events };
  applied.set(out, { file: v, guards, actions, referenced: referencedNames(machine), payloads: { missing, known } });
  return out;
}

/** A property function of the file, watched while it runs. */
function watched<A extends unknown[], R>(name: string, f: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    watch.enter(name);
    try {
      return f(...args);
    } finally {
      watch.leave();
    }
  };
}

function countGuard(name: string, g: unknown, calls: Map<string, number>): unknown {
  if (typeof g !== 'function') return g;
  calls.set(name, 0);
  return (args: unknown, params: unknown) => {
    calls.set(name, calls.get(name)! + 1);
    watch.enter(name);
    try {
      return (g as GuardImpl)(args as never, params);
    } finally {
      watch.leave();
    }
  };
}

/**
 * An xstate built-in action (assign, enqueueActions, raise) with the function inside it
 * counted and watched: a copy of the action object, so both the compiled explorer (which
 * reads `assignment`, `collect`, `event`) and xstate's `resolve` run the counted function.
 */
function countAction(name: string, a: unknown, calls: Map<string, number>): unknown {
  calls.set(name, 0);
  const wrap = <F extends (...args: any[]) => unknown>(f: F): F =>
    ((...args: unknown[]) => {
      calls.set(name, calls.get(name)! + 1);
      watch.enter(name);
      try {
        return f(...args);
      } finally {
        watch.leave();
      }
    }) as F;
  const src = a as ((...args: unknown[]) => void) & { type?: string; assignment?: unknown; collect?: unknown; event?: unknown };
  const copy = Object.assign(function (this: unknown, ...args: unknown[]) {
    return src.apply(this, args);
  }, src);
  switch (src.type) {
    case 'xstate.assign':
      if (typeof src.assignment === 'function') copy.assignment = wrap(src.assignment as (...args: unknown[]) => unknown);
      else if (src.assignment && typeof src.assignment === 'object') {
        // a property assigner: counted once per execution (on its first key), each function watched
        const keys = Object.keys(src.assignment);
        copy.assignment = Object.fromEntries(
          keys.map((k, i) => {
            const f = (src.assignment as Record<string, unknown>)[k];
            if (i === 0) return [k, typeof f === 'function' ? wrap(f as (...args: unknown[]) => unknown) : wrap(() => f)];
            return [k, f];
          }),
        );
      }
      break;
    case 'xstate.enqueueActions':
      copy.collect = wrap(src.collect as (...args: unknown[]) => unknown);
      break;
    case 'xstate.raise': {
      const e = src.event;
      copy.event = wrap(typeof e === 'function' ? (e as (...args: unknown[]) => unknown) : () => e);
      break;
    }
    default:
      calls.delete(name); // an action the checker does not run (log, ...): not counted
  }
  return copy;
}

/** The payload choices a file adds to the events a configuration enumerates. */
function addPayloads(model: Model, payloads: NonNullable<VariantFile['payloads']>, where: string): { events: Model['events']; missing: string[]; known: string[] } {
  const missing: string[] = [];
  const known: string[] = [];
  if (!nonEmpty(payloads)) return { events: model.events, missing, known };
  const events = [...model.events];
  const keys = new Set(events.map((e) => JSON.stringify(e)));
  for (const [type, fields] of Object.entries(payloads)) {
    if (!model.eventInfo[type]) throw new VariantFileError(`${where}: payloads names event '${type}', which machine ${model.machineId} does not have; known: ${Object.keys(model.eventInfo).join(', ')}`);
    for (const [field, values] of Object.entries(fields)) {
      if (field === 'type') throw new VariantFileError(`${where}: payloads.${type}: 'type' is the event's name, not a payload field`);
      const carriers = model.events.filter((e) => e.type === type && (e as Record<string, unknown>)[field] !== undefined);
      if (!carriers.length) {
        missing.push(`${type}.${field}`);
        continue;
      }
      for (const value of values) {
        let added = false;
        for (const e of carriers) {
          const copy = { ...e, [field]: value };
          const key = JSON.stringify(copy);
          if (keys.has(key)) continue;
          keys.add(key);
          events.push(copy);
          added = true;
        }
        if (!added) known.push(`${type}.${field}=${JSON.stringify(value)}`);
      }
    }
  }
  return { events, missing, known };
}

/**
 * Across every model of a file's check (one per configuration): a replaced guard or action
 * that no transition of the machine uses in any of them, or a payload choice no configuration
 * has an event for or already enumerates, is a usage error. (Kernel functions the machine
 * never calls are refused when the model is built.)
 */
export function checkVariantUse(models: readonly Model[]): void {
  const uses = models.map((m) => applied.get(m)).filter((a): a is Applied => !!a);
  const first = uses[0];
  if (!first) return;
  const where = `variant file ${basename(first.file.path)}`;
  const ids = models.map((m) => m.configurationId).join(', ');
  const machineId = models[0]!.machineId;
  for (const kind of ['guards', 'actions'] as const) {
    for (const name of Object.keys(first.file.file[kind] ?? {})) {
      if (!uses.some((u) => u.referenced[kind].has(name))) {
        throw new VariantFileError(`${where}: machine ${machineId} has ${kind === 'guards' ? 'a guard' : 'an action'} '${name}' but no transition uses it in ${models.length > 1 ? 'the configurations' : 'configuration'} ${ids}, so the replacement would never run; replace what the transitions use (list --machine ${machineId} --json shows the machine)`);
      }
    }
  }
  const missing = first.payloads.missing.filter((p) => uses.every((u) => u.payloads.missing.includes(p)));
  if (missing.length) {
    const [type, field] = missing[0]!.split('.');
    throw new VariantFileError(`${where}: payloads adds to ${type}.${field}, but no ${type} event has a '${field}' field in ${ids}`);
  }
  const known = first.payloads.known.filter((p) => uses.every((u) => u.payloads.known.includes(p)));
  if (known.length) throw new VariantFileError(`${where}: payloads adds ${known[0]}, which the configurations already enumerate (${ids})`);
}

/** What the check of `model` (built by applyVariant, explored since) ran of the file's replacements; undefined for a model without a variant file. */
export function overrideUse(model: Model): OverrideUse[] | undefined {
  const a = applied.get(model);
  if (!a) return undefined;
  const expected = new Set(a.file.file.expectUnexecuted ?? []);
  const out: OverrideUse[] = [];
  for (const [name, calls] of a.guards) out.push({ name, kind: 'guard', calls, expectedUnexecuted: expected.has(name) });
  for (const [name, calls] of a.actions) out.push({ name, kind: 'action', calls, expectedUnexecuted: expected.has(name) });
  const kernelNames = Object.keys(a.file.file.kernel ?? {});
  if (kernelNames.length && model.kernelFunctions?.counted) {
    const calls = model.kernelFunctions.calls();
    for (const name of kernelNames) out.push({ name, kind: 'kernel', calls: calls.get(name) ?? 0, expectedUnexecuted: expected.has(name) });
  }
  return out;
}

/** Clears the counts of a model's replacements (before a second exploration of the same model). */
export function resetOverrideUse(model: Model): void {
  const a = applied.get(model);
  if (!a) return;
  for (const m of [a.guards, a.actions]) for (const k of m.keys()) m.set(k, 0);
  if (model.kernelFunctions?.counted) model.kernelFunctions.reset();
}

/** The loaded file a model was built from (applyVariant), if any. */
export const variantOf = (model: Model): LoadedVariant | undefined => applied.get(model)?.file;

/**
 * The guard and action names the machine's states and transitions use (entry, exit, initial
 * and transition actions; guards inside and/or/not), so a replacement no transition can run
 * is caught before the check.
 */
export function referencedNames(machine: Model['machine']): { guards: Set<string>; actions: Set<string> } {
  const guards = new Set<string>();
  const actions = new Set<string>();
  const guard = (g: any): void => {
    if (!g) return;
    if (typeof g === 'string') guards.add(g);
    else if (typeof g === 'function') for (const x of g.guards ?? []) guard(x);
    else if (typeof g === 'object' && typeof g.type === 'string') guards.add(g.type);
  };
  const action = (a: any): void => {
    if (typeof a === 'string') actions.add(a);
    else if (a && typeof a === 'object' && typeof a.type === 'string') actions.add(a.type);
  };
  const walk = (node: any): void => {
    for (const a of node.entry ?? []) action(a);
    for (const a of node.exit ?? []) action(a);
    for (const a of node.initial?.actions ?? []) action(a);
    for (const ts of (node.transitions as Map<string, any[]> | undefined)?.values() ?? []) {
      for (const t of ts) {
        guard(t.guard);
        for (const a of t.actions ?? []) action(a);
      }
    }
    for (const t of node.always ?? []) {
      guard(t.guard);
      for (const a of t.actions ?? []) action(a);
    }
    for (const child of Object.values(node.states ?? {})) walk(child);
  };
  walk(machine.root);
  return { guards, actions };
}

/** Up to three names within a small edit distance of `name`, or containing it, closest first. */
export function closeNames(name: string, known: readonly string[]): string[] {
  const lower = name.toLowerCase();
  return known
    .map((k) => ({ k, d: distance(lower, k.toLowerCase()) }))
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(name.length / 3)) || k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase()))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ k }) => k);
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
