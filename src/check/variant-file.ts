// A reviewer's own variant: a TypeScript module that default-exports overrides of named
// guards, actions and (core machines) kernel functions, and parameters, on top of a shipped
// variant. It is type-checked against the package's exported types, loaded by
// variant-loader.ts (from any folder and any kind of project), and every name it overrides
// must exist in the machine.
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { SlotContext } from '../../machines/dirty-log/kvm_memory_slot.machine.ts';
import type { FlicContext } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
import type { KernelOverrides } from '../../machines/kernel.ts';
import { isCoreAction, type CoreAction, type CoreGuard } from '../../machines/lib.ts';
import type { CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import type { Model } from '../spec.ts';
import { importVariantModule, typeCheckVariant } from './variant-loader.ts';

/** A guard implementation, as in `setup({ guards })`: `({ context, event }, params) => boolean`. */
export type GuardImpl = (args: { context: any; event: any }, params: any) => boolean;
/**
 * An action implementation, as in `setup({ actions })`: a function, `assign(...)`,
 * `enqueueActions(...)`, or the package's `kernel(fn)` / `update(fn)`. Kept a plain function
 * type so type-checking a variant file does not instantiate xstate's machine generics.
 */
export type ActionImpl = (args: any, params: any) => void;

interface VariantFileBase {
  /** The shipped variant to start from (default: the machine's first, the baseline). */
  base?: string;
  description?: string;
  /** Properties this variant must violate; everything else must hold (default: none). */
  expectedViolations?: readonly string[];
  /** Configuration parameters, as `--set key=value` gives them. */
  params?: Readonly<Record<string, unknown>>;
}

/** What a variant file default-exports (any machine; `defineVariant` types it by the machine it names). */
export interface VariantFile extends VariantFileBase {
  /** Machine id; `--machine` may give it instead. */
  machine?: string;
  guards?: Readonly<Record<string, GuardImpl>>;
  actions?: Readonly<Record<string, ActionImpl>>;
  /** Kernel functions replaced in the machine's kernel table (core machines; see CoreVariantFile). */
  kernel?: Readonly<Record<string, (this: any, ...args: any[]) => unknown>>;
}

/** The machines of the composed guest's family: their context is SystemContext and their kernel functions sit in a kernel table. */
export type CoreMachineId = 'kvm_s390_gib' | 'kvm_s390_gisa_interrupt' | 'kvm_vcpu' | 'vfio_ap_queue' | 'ap_matrix_mdev' | 'kvm' | 'system';

/** A variant file for a core machine: guards and actions over SystemContext (`kernel`, `update`), and kernel function replacements. */
export interface CoreVariantFile<M extends CoreMachineId = CoreMachineId> extends VariantFileBase {
  machine: M;
  guards?: Readonly<Record<string, CoreGuard>>;
  actions?: Readonly<Record<string, CoreAction>>;
  /**
   * Kernel functions replaced in the machine's table: every caller, action or kernel function,
   * calls the replacement. `this` is the table (`this.kvm_s390_gisc_register(...)`,
   * `this.design`); the package's `gisa`, `vcpu`, `kvm`, `vfioAp` hold the originals.
   */
  kernel?: KernelOverrides;
}

/** A variant file for a machine with a context of its own: its guards and actions take that context (a core `kernel(...)` does not type-check). */
export interface OwnContextVariantFile<M extends string, C> extends VariantFileBase {
  machine: M;
  guards?: Readonly<Record<string, (args: { context: C; event: any }, params: any) => boolean>>;
  actions?: Readonly<Record<string, (args: { context: C; event: any }, params: any) => void>>;
}

/** The variant file type for machine `M`. */
export type VariantFileFor<M extends string> = M extends CoreMachineId
  ? CoreVariantFile<M>
  : M extends 'kvm_s390_float_interrupt'
    ? OwnContextVariantFile<M, FlicContext>
    : M extends 'vfio_ccw_private'
      ? OwnContextVariantFile<M, CcwContext>
      : M extends 'kvm_memory_slot'
        ? OwnContextVariantFile<M, SlotContext>
        : VariantFile;

/**
 * Identity, for type inference in a variant file: `export default defineVariant({ machine: 'system', ... })`
 * types guards, actions and kernel functions by the machine named.
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
  file: VariantFile;
}

/** Reads, type-checks and imports a variant file; every failure is a VariantFileError with one line. */
export async function loadVariantFile(path: string): Promise<LoadedVariant> {
  const file = resolve(path);
  if (!existsSync(file)) throw new VariantFileError(`variant file ${path} does not exist`);
  try {
    readFileSync(file);
  } catch (e) {
    throw new VariantFileError(`cannot read variant file ${path}: ${(e as Error).message}`);
  }
  const problem = await typeCheck(file);
  if (problem) throw new VariantFileError(`variant file does not type-check: ${problem}`);
  let mod: { default?: unknown };
  try {
    mod = await importVariantModule(file);
  } catch (e) {
    const first = String((e as Error).message ?? e).split('\n')[0];
    throw new VariantFileError(`variant file ${path} does not load: ${first}`);
  }
  const v = mod.default;
  if (!v || typeof v !== 'object') throw new VariantFileError(`variant file ${path} has no default export; export default defineVariant({ ... })`);
  return { id: basename(file).replace(/\.[cm]?tsx?$/, ''), path: file, file: v as VariantFile };
}

/**
 * The model with the file's guards and actions provided. Names the machine does not have
 * are an error naming the close ones; so are expected violations naming no property.
 */
export function applyVariant(model: Model, v: LoadedVariant): Model {
  const impl = model.machine.implementations;
  for (const kind of ['guards', 'actions'] as const) {
    const known = Object.keys(impl[kind] ?? {});
    for (const name of Object.keys(v.file[kind] ?? {})) {
      if (!known.includes(name)) {
        const close = closeNames(name, known);
        const hint = close.length ? `did you mean ${close.join(', ')}?` : `it has ${known.length ? known.join(', ') : 'none'}`;
        throw new VariantFileError(`variant file ${basename(v.path)}: machine ${model.machineId} has no ${kind.slice(0, -1)} '${name}'; ${hint}`);
      }
    }
  }
  // the machine named by --machine, not the file, may have a context of its own: core actions would crash there
  if (!model.kernelFunctions) {
    const core = Object.keys(v.file.actions ?? {}).find((n) => isCoreAction(v.file.actions![n]));
    if (core) throw new VariantFileError(`variant file ${basename(v.path)}: action '${core}' is made with kernel()/update(), which work on the core machines' SystemContext; machine ${model.machineId} has a context of its own`);
    if (v.file.kernel) throw new VariantFileError(`variant file ${basename(v.path)}: machine ${model.machineId} has no kernel table; kernel replacements apply to the core machines (kvm_s390_gib, kvm_s390_gisa_interrupt, kvm_vcpu, vfio_ap_queue, ap_matrix_mdev, kvm, system)`);
  }
  const properties = [...model.invariants.map((i) => i.name), ...model.liveness.map((l) => l.name)];
  for (const name of v.file.expectedViolations ?? []) {
    if (!properties.includes(name)) {
      throw new VariantFileError(`variant file ${basename(v.path)}: expectedViolations names '${name}', not a property of ${model.machineId}; known: ${properties.join(', ')}`);
    }
  }
  const machine = v.file.guards || v.file.actions ? model.machine.provide({ ...(v.file.guards ? { guards: v.file.guards } : {}), ...(v.file.actions ? { actions: v.file.actions } : {}) } as never) : model.machine;
  return { ...model, machine, variantId: v.id, expectedViolations: [...(v.file.expectedViolations ?? [])] };
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
