// What the mutation analysis mutates: the kernel functions the machines mirror (their guard
// and action implementations and the helpers those call) and the transcriptions of the kernel
// C code in src/sut/. Everything else (invariants, bounds, variants, audits, observers, the
// region builders, the context-copying wrappers, the SUT drivers) is left alone: a bug there is
// not a kernel bug. A new file in src/sut/ must be classified here, or the analysis refuses to run.
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type MutantKind = 'machine' | 'sut';

export interface ScopedFile {
  /** Path relative to the package root, with forward slashes. */
  path: string;
  kind: MutantKind;
  area: string;
}

/**
 * Machine files: every `machines/<area>/*.machine.ts`, `*.kernel.ts` (kernel-function tables,
 * issue 15) and `*.threads.ts` (the kernel functions at the kernel's own granularity, issue 11:
 * the steps of the fine-grained configurations).
 */
const MACHINE_FILE = /^machines\/([^/]+)\/[^/]+\.(machine|kernel|threads)\.ts$/;

/**
 * The areas whose thread files are mutated, each with its triage entries: gisa and vcpu (branch
 * gisacomp), dirty-log (branch mutio) and vfio-ap (branch apconc3), every thread file since 2026-12-05.
 */
export const THREADS_AREAS: readonly string[] = ['gisa', 'vcpu', 'dirty-log', 'vfio-ap'];

/**
 * Thread files (machines/kthread.ts): a kernel function is a list of steps, each one C statement
 * another CPU can see apart. What is kernel code there is the step bodies, so they are the roots of
 * the call graph: a step's `run` (what the statement does), its branch conditions (`if:`, and
 * every function wrapped in `named(...)`, the condition a `next` entry tests), and the helpers
 * they call by name (`derefOrigin`, `cutOff`, `snapshot`). Left alone, as harness: the builders
 * that assemble steps into a KFunction or a ThreadDef (any function with a step body inside it:
 * `gisaVcpuKicker`, `kickSingleVcpu`, `setIam`, `handle_pqap`, `getDirtyLog`, `dirtyThreads`), the
 * step wrappers that rewrite another function's steps for a planted variant (`pointerBeforeReference`,
 * `withoutHookRwsem`) and the steps that run a variant's replacement of a whole function
 * (inside `replacedAsOneStep(...)`, or with a `cite` beginning `planted`), and everything a step declares beside its body (`at`, `cite`, `reads`,
 * `writes`, `raises`, `goto`: the footprints the partial-order reduction trusts and the program
 * counter, which a mutant would turn into a harness bug, not a kernel bug). A builder runs
 * once when the model is built, before any mutant is active, so a mutant there would not even run.
 */
const THREADS_FILE = /^machines\/[^/]+\/[^/]+\.threads\.ts$/;
/** A call that runs a variant's replacement of a whole kernel function as one step (`replacedAsOneStep`): its step body is the variant's code path, not the kernel's. */
export const STEP_REPLACEMENT_CALL = /^replacedAsOneStep$/;
export const isThreadsFile = (path: string): boolean => THREADS_FILE.test(path);
/** The property names of a step whose function value is a step body (a root in a thread file). */
export const STEP_BODY = /^(run|if)$/;
/** The helper whose function argument is a branch condition of a step (`named('pending_mask', (c, t) => ...)`). */
export const STEP_CONDITION_CALL = 'named';

/** The transcriptions in src/sut/, by area. */
export const SUT_FILES: Readonly<Record<string, string>> = {
  'src/sut/gisa.ts': 'gisa',
  'src/sut/vcpu.ts': 'vcpu',
  'src/sut/vfio_ap.ts': 'vfio-ap',
  'src/sut/kvm.ts': 'system',
  'src/sut/lifetime.ts': 'system',
  'src/sut/flic.ts': 'flic-ais',
  'src/sut/vfio_ccw.ts': 'vfio-ccw',
  'src/sut/dirty_log.ts': 'dirty-log',
};

/** Files in src/sut/ that are not transcriptions, and why they are not mutated. */
export const SUT_NOT_MUTATED: Readonly<Record<string, string>> = {
  'src/sut/core.ts': 'the event driver of the core SUT (which kernel function an event calls, when the kernel accepts it) and its observation',
  'src/sut/core.conformance.ts': 'the projection of machine and SUT onto one observation',
  'src/sut/flic-driver.ts': 'the FLIC event driver (ioctl arguments in user memory) and its observation',
  'src/sut/dirty_log.conformance.ts': 'the dirty-log event driver and its observation',
};

/**
 * Functions never mutated, even where the call graph reaches them. Machine files, by name: the
 * wrappers that copy a context and record effects (kernel, update, kfn, call, clone; the
 * dirty-log machine's `step`, which records what the last step returned and touched, and
 * composeMachine's `step`, which names the kvm_destroy_vm state a region waits for; `ledgered` /
 * `ghostLedger` / `gibLedgered` / `apLedgered`, the issue-14 step ledgers of the gisa, vcpu, GIB and vfio-ap actions), the
 * transition and event helpers, the builders of machine configurations (regions, machines,
 * implementation tables, initial contexts, event lists), the guards that route an event to
 * its object's region (`*_mine`: modelling, not kernel logic), the exploration bounds
 * (`bounds_*`, `*_bound`: they limit the environment, the kernel has no such check) and the
 * guards that state what the environment does (a driver puts only a reference it took, QEMU
 * closes its VM fd once the vcpus stopped, the hardware presents final status only for a
 * started function; the dirty log's migration tool enables its capability before the memslot
 * logs, copies only pages its bitmap holds and merges what a GET returned, as QEMU does; QEMU
 * resets the vfio-ap device before it switches a guest into or out of protected virtualization).
 * SUT files, by name chain: the observers and drivers, and the classes standing in for what is
 * not the kernel (user memory, the fault-injecting allocator, the migration tool as QEMU, the
 * vfio-ccw thread driver).
 */
export const NOT_KERNEL: Readonly<Record<MutantKind, RegExp>> = {
  machine:
    /^(kernel|update|kfn|fn|call|clone|cloneContext|shareUnchanged|by|ev|a|g|range|raise|events|eventInfo|tableCell|stateNode|mine|step|ledgered|ghostLedger|gibLedgered|apLedgered)$|Region$|Implementations$|^create|^compose|^initial|Id$|^contextFor$|_mine$|^bounds_|_bound$|^(driver_holds_reference|kvm_vm_release_allowed|irb_possible|userspace_enabled_dirty_log_caps|migration_bitmap_dirty|userspace_merges_bitmap|subsystem_reset_first)$/,
  sut: /^(UserMemory|Allocator|MigrationTool|VfioCcwSut)(\.|$)|(^|\.)(observe\w*|apply|whereOf|run)$/,
};

/**
 * Reads of a design switch: which patch-series version, kernel version or architecture the
 * model runs (`d.gib === 'gib-v5'`, `v.cpInitialized`, `host.design.aqic !== 'upstream'`,
 * `kvm.arch === 's390'`). No kernel has such a test, so a condition made only of them is not
 * negated, and an operand of && or || that is one is not dropped (that would run another
 * version's branch, not a kernel bug); the kernel checks around them are mutated as usual.
 */
export const DESIGN_READS: readonly RegExp[] = [
  /^(d|design|host\.design|this\.design)\.(gib|aqic|gisaDestroy) *(===|!==) *'[^']*'$/,
  // the kernel table's design (machines/kernel.ts): `k.design.gisaDestroy === 'v6.6'`, and the
  // local `const d = this.design.gib` the kernel functions compare (`d === 'gib-v4'`)
  /^k\.design\.(gib|aqic|gisaDestroy) *(===|!==) *'[^']*'$/,
  /^d *(===|!==) *'(upstream|gib-v[2-5]|aqic-v4|v5\.3)'$/,
  /^v\.(precheckIdle|resetIdleOnError|errOutIdle|cpInitialized|ioTodoNeedsMdev|schEventRevives|enabledAtProbe|asyncUnlocked|quiesceNoFlush)$/,
  /^v\.(ioMutex|ioTodo|notoper|lifecycle) *(===|!==) *'[^']*'$/,
  /^(p|this|private)\.(v6|v5_2plus|v5_14plus)$/,
  /^(kvm|k|this)\.(arch|clearRule) *(===|!==) *'[^']*'$/,
  /^\w+\(d\)$/,
];

/** Object literals whose function-valued members are guard or action implementations (the roots of the call graph). */
export const IMPLEMENTATION_OBJECT = /(guards|actions)$/i;

/** Every file the analysis mutates, found under `root`; throws on an unclassified src/sut/ file. */
export function scopedFiles(root: string): ScopedFile[] {
  const out: ScopedFile[] = [];
  for (const path of walk(join(root, 'machines')).map((p) => relative(root, p).split(sep).join('/')).sort()) {
    const m = MACHINE_FILE.exec(path);
    if (m && (m[2] !== 'threads' || THREADS_AREAS.includes(m[1]!))) out.push({ path, kind: 'machine', area: m[1]! });
  }
  for (const name of readdirSync(join(root, 'src', 'sut')).sort()) {
    if (!name.endsWith('.ts')) continue;
    const path = `src/sut/${name}`;
    const area = SUT_FILES[path];
    if (area) out.push({ path, kind: 'sut', area });
    else if (!(path in SUT_NOT_MUTATED)) throw new Error(`${path} is neither a transcription nor a driver to the mutation analysis: classify it in src/mutate/scope.ts`);
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
