// The kernel functions of the core machines, in one table per machine. Each function is named
// after the kernel function it mirrors, takes the mutable context copy of the step first, then
// the indices (vm, vcpu, q) and arguments the C function takes, and `fx` when it raises events;
// it calls every other kernel function through `this`, the table, and reads the design switches
// from `this.design`. Replacing a function in the table (a variant's `kernel`) therefore
// changes every caller: the actions of the machine and the other kernel functions alike. A
// table built with `count` also counts the calls of each function.
// How a variant replaces a function: README, "Variant files".
import type { Design } from './design.ts';
import { gibKernel } from './gisa/kvm_s390_gib.machine.ts';
import { gisaKernel } from './gisa/kvm_s390_gisa_interrupt.machine.ts';
import type { Parts } from './system/system.machine.ts';
import { kvmKernel } from './system/kvm.machine.ts';
import { vcpuKernel } from './vcpu/kvm_vcpu.machine.ts';
import { mdevKernel } from './vfio-ap/ap_matrix_mdev.machine.ts';
import { queueKernel } from './vfio-ap/vfio_ap_queue.machine.ts';

/** arch/s390/kvm/interrupt.c: the GISA, the GIB alert list, the kicks (kvm_s390_vcpu_wakeup), and the millicode step that alerts. */
export const gisa = { ...gisaKernel, ...gibKernel };
/** arch/s390/kvm/kvm-s390.c, interrupt.c, kvm_main.c: the vcpu run loop, wait and wake-up. */
export const vcpu = vcpuKernel;
/** virt/kvm/kvm_main.c: struct kvm's references and teardown. */
export const kvm = kvmKernel;
/** drivers/s390/crypto/vfio_ap_ops.c: queues, PQAP(AQIC), the matrix mdev's tie to a KVM. */
export const vfioAp = { ...queueKernel, ...mdevKernel };

export type KernelFunctions = typeof gisa & typeof vcpu & typeof kvm & typeof vfioAp;
/** The name of a kernel function of the core machines. */
export type KernelName = keyof KernelFunctions;

/** A machine's kernel table, as `this` inside every kernel function: the functions and the design switches. */
export interface Kernel extends KernelFunctions {
  readonly design: Design;
  /** The functions a variant replaced in this table (a fine-grained thread runs a replaced function it splits as one step). */
  readonly replaced: ReadonlySet<string>;
}

/** Replacements for kernel functions: methods whose `this` is the machine's table. */
export type KernelOverrides = Partial<KernelFunctions> & ThisType<Kernel>;

const ALL: KernelFunctions = { ...gisa, ...vcpu, ...kvm, ...vfioAp };

/** Every kernel function of the core machines. */
export const KERNEL_NAMES = Object.keys(ALL) as KernelName[];

/** The areas each part of a core machine calls into (vfio_ap calls the GISA's and struct kvm's functions, vcpus the GISA's). */
export function kernelNames(parts: Parts): KernelName[] {
  const areas: object[] = [];
  if (parts.gib || parts.gisa) areas.push(gisa);
  if (parts.vcpus) areas.push(vcpu, gisa);
  if (parts.kvm) areas.push(kvm);
  if (parts.mdev || parts.queues) areas.push(vfioAp, gisa, kvm);
  return KERNEL_NAMES.filter((n) => areas.some((a) => n in a));
}

/** A machine's kernel table and the calls made through it. */
export interface KernelTable {
  /** The table: what the machine's actions and guards call, and `this` in every kernel function. */
  readonly k: Kernel;
  /** Whether calls are counted (the table was built with `count`). */
  readonly counted: boolean;
  /** Calls of each kernel function since the table was built or reset (names never called are left out). */
  calls(): Map<KernelName, number>;
  reset(): void;
}

type AnyFn = (this: Kernel, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown) => unknown;
const MAX_ARITY = 6;

/**
 * The kernel table for `design`, with `overrides` in place of the functions they name. With
 * `count`, every call through the table is counted, so a check can tell which functions it
 * executed (an override that never ran can be reported); without, the table holds the
 * functions themselves (the counting wrapper costs the explorer several percent).
 */
export function kernelTable(design: Design, overrides: KernelOverrides = {}, count = false): KernelTable {
  const counts = new Int32Array(KERNEL_NAMES.length);
  const table: Record<string, unknown> = { design, replaced: new Set(Object.keys(overrides)) };
  KERNEL_NAMES.forEach((name, i) => {
    const f = ((overrides as Record<string, unknown>)[name] ?? ALL[name]) as AnyFn;
    if (typeof f !== 'function') throw new TypeError(`kernel function ${name} is not a function`);
    if (f.length > MAX_ARITY) throw new TypeError(`kernel function ${name} takes ${f.length} arguments; the table passes at most ${MAX_ARITY}`);
    // fixed arity: no rest array per call
    table[name] = count
      ? function (this: Kernel, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, g?: unknown): unknown {
          counts[i]!++;
          return f.call(this, a, b, c, d, e, g);
        }
      : f;
  });
  return {
    k: table as unknown as Kernel,
    counted: count,
    calls: () => {
      if (!count) throw new Error('kernel calls are counted only in a table built with count (spec.model(..., { countKernelCalls: true }))');
      return new Map(KERNEL_NAMES.flatMap((n, i) => (counts[i] ? [[n, counts[i]!] as [KernelName, number]] : [])));
    },
    reset: () => counts.fill(0),
  };
}
