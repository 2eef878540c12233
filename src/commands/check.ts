// `check [--machine ID] [--variant ID | --variant-file F] [--configuration ID|all] [--set k=v ...]
// [--json] [--report DIR] [--max-states N]`: explore, evaluate every property, compare with
// the expectations. Exit 0 when every result matches, 1 when any does not, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { reductions, type CheckOptions, type CheckResult, type CheckStep, type PropertyResult } from '../check/check.ts';
import { runJob } from '../check/checking.ts';
import type { Exploration } from '../check/explore.ts';
import { perDepthText } from '../check/growth.ts';
import { growthLines } from '../check/leak.ts';
import { DEFAULT_STEP_SECONDS, runInWorker, StepFailureError } from '../check/watchdog.ts';
import { applyVariant, checkVariantUse, fileConfigurations, loadVariantFile, variantModelOptions, variantOf, releaseVariant, type LoadedVariant, type LoadOptions, type OverrideUse } from '../check/variant-file.ts';
import { pick, SpecError, variantConfigurations, type MachineSpec, type Model, type VariantInfo } from '../spec.ts';
import { ensureDir } from '../export/files.ts';
import { checkOurs, NotOursError, probeWritable, writeMarker } from '../export/owned.ts';
import { checkScaled } from '../check/check-scaled.ts';
import { Growth } from '../check/progress.ts';
import { recipeOf } from '../check/recipe.ts';
import { packageRoot } from '../check/variant-loader.ts';
import { swarmCheck, SWARM_DEPTH, SWARM_STATES } from './swarm.ts';
import { PoolError, runPool, type CheckWithCoverage, type PoolTask } from './pool.ts';
import type { DesignCoverage } from '../export/page.ts';
import type { SequenceMark } from '../export/sequence.ts';
import { UsageError, type Io } from './io.ts';

/** The machines the package ships (a worker can import them); tests may put others in `specs`. */
const shipped = [...specs];

export interface CheckFlags {
  machine?: string;
  variant?: string;
  variantFile?: string;
  configuration?: string;
  set?: string[];
  json?: boolean;
  report?: string;
  maxStates?: number;
  symmetry?: boolean;
  /** --dead-variables */
  deadVariables?: boolean;
  workers?: number;
  swarm?: number;
  seed?: number;
  swarmDepth?: number;
  por?: boolean;
  earlyStop?: boolean;
  /** Seconds one check may run (variant code runs in a worker the watchdog can stop). */
  timeout?: number;
  /** Seconds one step may take (default 10, or --timeout when smaller). */
  stepTimeout?: number;
  /** With a failing step: print the trace to it. */
  verbose?: boolean;
  /** Run the checks on this many worker threads (pool.ts); results print in the plan's order. */
  jobs?: number;
  /** Not a flag: each check's explored graph, when it runs in this thread (npm start's page coverage, src/start.ts). */
  onGraph?: (model: Model, x: Exploration) => void;
  /**
   * Not a flag: with --jobs, where the page's coverage of each design goes (npm start, src/start.ts):
   * the workers measure it from each check's graph where that is the page's graph
   * (coverageFromCheck), else explore the design again after its check.
   */
  pageCoverage?: Map<string, DesignCoverage>;
  /** Not a flag: with pageCoverage, where the workers put the page's violation mark of each counterexample (markOf, by markKey). */
  pageMarks?: Map<string, SequenceMark>;
  /** Not a flag: with --jobs, called once the worker threads have their first jobs (npm start renders the export in this thread meanwhile, src/start.ts). */
  whileChecking?: () => void;
}

const DEFAULT_MAX_STATES = 1_000_000;

/** What npm start hands the check besides its flags (src/start.ts): the graph hook, or the worker threads and where the page's coverage goes. */
export type CheckHandover = Pick<CheckFlags, 'onGraph' | 'pageCoverage' | 'pageMarks' | 'whileChecking'> & { jobs?: number };

export function registerCheck(p: Command, io: Io, done: (code: number) => void, handover: CheckHandover = {}): void {
  p.command('check')
    .description('explore every reachable state; check every invariant and liveness property against the expectations')
    .option('--machine <id>', 'only this machine')
    .addOption(new Option('--variant <id>', 'only this variant').conflicts('variantFile'))
    .option('--variant-file <file>', 'a TypeScript module exporting guard, action and kernel function overrides (see VariantFile)')
    .option('--configuration <id>', "check the variants that belong to this configuration, or 'all': each variant in each of its configurations (default: each variant in its own)")
    .option('--set <key=value>', 'override a configuration parameter (repeatable; value parsed as JSON if it can be)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the results as JSON on stdout')
    .option('--report <dir>', 'also write <dir>/results.json')
    .option('--max-states <n>', `stop exploring after n states (default ${DEFAULT_MAX_STATES})`, positiveInt)
    .option('--symmetry', 'reduce by symmetry: one state per permutation of interchangeable vcpus and queues (default: as the configuration says)')
    .option('--no-symmetry', 'explore every state, even where the configuration opts in to symmetry reduction')
    .option('--dead-variables', "reduce by the model's dead variables (fields no later step or property reads, reset; the composed guest: a closed VM's vcpus' PSW I/O mask and kicked_mask bit); not with --por")
    .option('--swarm <n>', `not exhaustive: n bounded random-order searches with hash-compacted visited sets (--max-states per search, default ${SWARM_STATES}); --report DIR writes a file for merge`, positiveInt)
    .option('--seed <s>', 'first seed of --swarm (search k uses s + k; default 0)', nonNegativeSeed)
    .option('--swarm-depth <d>', `depth bound of each --swarm search (default ${SWARM_DEPTH})`, positiveInt)
    .option('--workers <n>', 'explore in n worker threads, states collapse-compressed, a line per BFS level on stderr (0: compressed, this thread)', nonNegativeInt)
    .option('--por', 'partial-order reduction: steps of different threads that touch disjoint context are explored in one order (default: as the configuration says)')
    .option('--no-por', 'explore every interleaving, even where the configuration opts in to partial-order reduction')
    .option('--no-early-stop', 'explore up to --max-states even when the growth per BFS level shows the limit will be reached (default: stop when it is more than 30 s away)')
    .option('--timeout <seconds>', 'stop a check that runs longer (its properties are undecided: a mismatch); a check then runs in a worker thread', positiveNumber)
    .option('--step-timeout <seconds>', `a step of a variant file's code that takes longer is an error (default ${DEFAULT_STEP_SECONDS}, or --timeout if smaller)`, positiveNumber)
    .option('--verbose', 'with an error in a step of a variant file: print the trace to it')
    .option('--jobs <n>', 'run the checks on n worker threads at once, each check in one thread (default 1: this thread); results print in the usual order', jobsInt)
    .action(async (flags: CheckFlags) => done(await runCheck({ ...flags, ...handover, ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}) }, io)));
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function nonNegativeSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31) throw new InvalidArgumentError('expected an integer from 0 to 2^31');
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('expected an integer from 0 to 64');
  return n;
}

export function jobsInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected an integer from 1 to 64 (worker threads)');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** The reductions and the early stop the flags ask of checkModel (the command's thread and the watchdog's worker alike). */
export function flagOptions(flags: CheckFlags): CheckOptions {
  return {
    ...(flags.symmetry !== undefined ? { symmetry: flags.symmetry } : {}),
    ...(flags.por !== undefined ? { por: flags.por } : {}),
    ...(flags.deadVariables ? { dead: true } : {}),
    ...(flags.earlyStop === false ? { earlyStopSeconds: Infinity } : {}),
  };
}

interface Job {
  spec: MachineSpec;
  model: Model;
  /** The check's machine/variant/configuration, known without building the model (a lazy plan's model is built when read). */
  key: string;
}

/** Parses `key=value` pairs, in order; the value as JSON when it parses (numbers, arrays), else the string. */
export function parseSet(items: readonly string[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value, got '${item}'`);
    const raw = item.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare word stays a string
    }
    // kept as pairs, never as properties of an object: a key such as __proto__ is just an unknown parameter
    out.push([item.slice(0, eq), value]);
  }
  return out;
}

const paramKeys = (s: MachineSpec) => (s.params ?? []).map((x) => x.key);

/** Every (machine, variant, configuration) the flags select, with models built; usage errors throw before any check runs. `lazy`: each model is built when first read (a --jobs worker builds only the models of its own jobs, the main thread has built them all). */
export async function plan(flags: CheckFlags, load: LoadOptions = {}, lazy = false): Promise<Job[]> {
  if (flags.variantFile === '') throw new UsageError('--variant-file needs a file name, got an empty string');
  if (flags.deadVariables && flags.por === true) throw new UsageError('--dead-variables and --por cannot be combined (the reset writes fields no step footprint declares); give one of them');
  if (flags.deadVariables && flags.variantFile !== undefined) throw new UsageError('--dead-variables is proved for the shipped variants only (test/check/dead.test.ts): a variant file may read the fields it resets; drop one of them');
  if (flags.symmetry === true && flags.por === true) throw new UsageError('--symmetry and --por cannot be combined (symmetry and partial-order reduction are not proved to compose); give one of them');
  let file: LoadedVariant | undefined;
  if (flags.variantFile !== undefined) file = await loadVariantFile(flags.variantFile, load);
  const machineId = flags.machine ?? file?.file.machine;
  if (file && machineId === undefined) throw new UsageError(`variant file ${flags.variantFile} names no machine; add machine: '<id>' to it or pass --machine`);
  if (file?.file.machine && flags.machine !== undefined && file.file.machine !== flags.machine) {
    throw new UsageError(`variant file is for machine ${file.file.machine}, but --machine ${flags.machine} was given`);
  }
  let selected = machineId === undefined ? specs : [pick('machine', 's390-kvm-spec', specs, machineId)];
  if (selected.length === 0) throw new UsageError('no machines are registered in machines/index.ts');
  const known = (what: string, ids: (s: MachineSpec) => string[]) => specs.map((s) => `${s.id}: ${ids(s).join(', ') || 'none'}`).join('; ');
  if (machineId === undefined && flags.variant !== undefined) {
    // --variant without --machine: the machines that have that variant
    const variant = flags.variant;
    selected = selected.filter((s) => s.variants.some((v) => v.id === variant));
    if (!selected.length) throw new UsageError(`no machine has a variant '${variant}'; known: ${[...new Set(specs.flatMap((s) => s.variants.map((v) => v.id)))].join(', ')}`);
  }
  const configuration = flags.configuration;
  if (machineId === undefined && configuration !== undefined && configuration !== 'all') {
    // --configuration without --machine: the machines that have that configuration
    selected = selected.filter((s) => s.configurations.some((c) => c.id === configuration));
    if (!selected.length) throw new UsageError(`no machine${flags.variant !== undefined ? ` with variant '${flags.variant}'` : ''} has a configuration '${configuration}'; known: ${known('configuration', (s) => s.configurations.map((c) => c.id))}`);
  }
  const params = new Map<string, unknown>([...Object.entries(file?.file.params ?? {}), ...parseSet(flags.set ?? [])]);
  const keys = [...params.keys()];
  if (keys.length && machineId === undefined) {
    // --set without --machine: the machines that have every parameter named
    selected = selected.filter((s) => keys.every((k) => paramKeys(s).includes(k)));
    if (!selected.length) {
      const among = flags.variant !== undefined || configuration !== undefined ? ' of those selected' : '';
      throw new UsageError(`no machine${among} has the parameter${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}; known: ${known('parameter', paramKeys)}`);
    }
  }
  const jobs: Job[] = [];
  for (const spec of selected) {
    for (const key of keys) {
      if (!paramKeys(spec).includes(key)) throw new UsageError(`machine ${spec.id} has no parameter '${key}'; known: ${paramKeys(spec).join(', ') || 'none'}`);
    }
    // a variant file's kernel replacements go into the machine's kernel table (core machines), its design switches over the base's
    const fromFile = file ? variantModelOptions(file) : {};
    const options = keys.length || Object.keys(fromFile).length ? { ...(keys.length ? { params: Object.fromEntries(params) } : {}), ...fromFile } : undefined;
    const variants: VariantInfo[] = file ? [pick('variant', spec.id, spec.variants, file.file.base)] : flags.variant !== undefined ? [pick('variant', spec.id, spec.variants, flags.variant)] : [...spec.variants];
    // which configurations each variant is checked in: its own by default, each of its own with
    // 'all', and with one named, the variants that belong to it; a variant file where it lists,
    // else wherever its base can be built (fileConfigurations)
    const pairs: [VariantInfo, string][] = [];
    if (file) {
      for (const c of (file.checked = fileConfigurations(spec, file, configuration)).ids) pairs.push([variants[0]!, c]);
    } else if (configuration === undefined) {
      for (const v of variants) pairs.push([v, variantConfigurations(spec, v)[0]!]);
    } else if (configuration === 'all') {
      for (const v of variants) for (const c of variantConfigurations(spec, v)) pairs.push([v, c]);
    } else {
      const c = pick('configuration', spec.id, spec.configurations, configuration).id;
      for (const v of variants) {
        const mine = variantConfigurations(spec, v);
        if (mine.includes(c)) pairs.push([v, c]);
        else if (flags.variant !== undefined) {
          spec.model(v.id, c, options); // a variant that cannot be built there says so itself (SpecError)
          throw new UsageError(`variant ${v.id} of ${spec.id} does not belong to configuration ${c}, so nothing says what it must find there; it belongs to ${mine.join(', ')} (or check your own expectation with --variant-file)`);
        }
      }
      if (!pairs.length) throw new UsageError(`no variant of ${spec.id} belongs to configuration ${c}`);
    }
    for (const [v, c] of pairs) {
      const build = (): Model => {
        let model: Model;
        try {
          model = spec.model(v.id, c, options);
        } catch (e) {
          if (e instanceof SpecError || !options?.params) throw e;
          throw new UsageError(`machine ${spec.id} rejects the parameters ${JSON.stringify(options.params)}: ${String((e as Error).message).split('\n')[0]}`);
        }
        const expected = v.expectedViolationsIn?.[c];
        if (expected) model = { ...model, expectedViolations: expected };
        return file ? applyVariant(model, file) : model;
      };
      if (lazy) {
        let built: Model | undefined;
        jobs.push({ spec, key: `${spec.id}/${v.id}/${c}`, get model() { return (built ??= build()); } });
      } else jobs.push({ spec, key: `${spec.id}/${v.id}/${c}`, model: build() });
    }
  }
  if (file) checkVariantUse(jobs.map((j) => j.model));
  return jobs;
}

/** What `check --report` writes into its folder, and the page beside it (for folders from before the marker). */
export function isReportFile(file: string): boolean {
  return file === 'results.json' || file === 'index.html' || /^counterexamples\/[^/]+\/[^/]+\.mmd$/.test(file);
}

export async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  // --jobs without parameters or a variant file: the workers build the models, this thread only names them (a shipped
  // variant builds in its configurations, test/registry; a model that does not is the worker's one-line error)
  const jobs = await plan(flags, { keep: true }, (flags.jobs ?? 1) > 1 && !flags.set?.length && flags.variantFile === undefined);
  try {
    if (flags.swarm !== undefined) {
      if (flags.workers !== undefined) throw new UsageError('--swarm and --workers are not combined: start more swarm processes instead');
      if (flags.deadVariables) throw new UsageError('--swarm and --dead-variables are not combined (the swarm searches do not reset dead fields): drop one of them');
      if ((flags.jobs ?? 1) > 1) throw new UsageError('--swarm and --jobs are not combined: start more swarm processes instead');
      if (flags.por === true) throw new UsageError('--swarm searches every interleaving (no partial-order reduction): drop --por');
      return await swarmCheck(jobs, flags, io);
    }
    if (flags.seed !== undefined || flags.swarmDepth !== undefined) throw new UsageError('--seed and --swarm-depth go with --swarm N');
    if (flags.workers !== undefined && (flags.variantFile !== undefined || flags.timeout !== undefined)) throw new UsageError('--workers is not combined with --variant-file or --timeout (a variant file runs under the watchdog in one worker): drop --workers');
    if ((flags.jobs ?? 1) > 1) {
      // --jobs runs whole checks side by side; the other modes have their own threads or watchdog
      const other = flags.workers !== undefined ? '--workers (one check over several threads)' : flags.variantFile !== undefined ? '--variant-file (its code runs under the watchdog)' : flags.timeout !== undefined ? '--timeout (its checks run under the watchdog)' : undefined;
      if (other) throw new UsageError(`--jobs is not combined with ${other}: drop --jobs`);
      if (!jobs.every((j) => shipped.includes(j.spec))) throw new UsageError('--jobs runs the machines the package ships; this one was added at run time: drop --jobs');
    }
    // the report's folder is checked (and a write tried) before exploring, which can take minutes
    const reportBefore = flags.report === undefined ? undefined : await prepareReport(flags.report);
    return await checkJobs(flags, jobs, io, reportBefore);
  } finally {
    releaseVariant(jobs[0] ? variantOf(jobs[0].model) : undefined);
  }
}

async function checkJobs(flags: CheckFlags, jobs: Job[], io: Io, reportBefore: Awaited<ReturnType<typeof prepareReport>> | undefined): Promise<number> {
  const progress = !flags.json && io.errIsTTY ? new Progress(io) : undefined;
  const results: CheckResult[] = [];
  const file = jobs[0] ? variantOf(jobs[0].model) : undefined;
  if (file?.checked && !flags.json) io.out(`${file.id}: ${jobs[0]!.model.machineId} from variant ${jobs[0]!.spec.variants.find((v) => v.id === (file.file.base ?? jobs[0]!.spec.variants[0]!.id))!.id}, checked in ${file.checked.ids.join(', ')} (${file.checked.why})\n\n`);
  const maxStates = flags.maxStates ?? DEFAULT_MAX_STATES;
  const done = (r: CheckResult) => {
    progress?.stop();
    results.push(r);
    if (!flags.json) io.out(formatResult(r));
  };
  // a variant file's code (and any check with --timeout) runs in a worker the watchdog can stop; specs added at run time (tests) run here
  if ((file || flags.timeout !== undefined) && jobs.every((j) => shipped.includes(j.spec))) {
    const stepSeconds = Math.min(flags.stepTimeout ?? DEFAULT_STEP_SECONDS, flags.timeout ?? Infinity);
    try {
      await runInWorker(flags, file?.compiled ?? {}, jobs.map((j) => j.model), { start: (_, label) => progress?.start(label), progress: (s, q) => progress?.update(s, q), result: (_, r) => done(r) }, { ...(flags.timeout !== undefined ? { checkMs: flags.timeout * 1000 } : {}), stepMs: stepSeconds * 1000, verbose: !!flags.verbose }, maxStates);
    } catch (e) {
      progress?.stop();
      if (e instanceof StepFailureError) throw new UsageError(e.message);
      throw e;
    }
  } else if ((flags.jobs ?? 1) > 1) {
    // side by side on worker threads, printed in the plan's order as soon as the ones before are in
    const got: (CheckResult | undefined)[] = jobs.map(() => undefined);
    let printed = 0;
    // what a worker is told: the flags alone (a hook or a map is no flag: the worker builds the plan from the flags)
    const { onGraph: _onGraph, pageCoverage, pageMarks, whileChecking, ...posted } = flags;
    const coverage = !!pageCoverage;
    // npm start: each check's worker also measures its design's page coverage (from the check's graph, or explored
    // again where the check reduces it: symmetry, POR) and marks its counterexamples (pool-worker.ts)
    const tasks = jobs.map((_, job): PoolTask => ({ kind: 'check', flags: posted, job, maxStates, ...(coverage ? { coverage } : {}) }));
    // the costliest first, so that no long check starts last while the other threads run out of work
    const order = longestFirst(jobs.map((j) => j.key), recordedTransitions());
    try {
      const pool = runPool<CheckResult | CheckWithCoverage>(tasks, flags.jobs!, (i, r) => {
        if (coverage) {
          const w = r as CheckWithCoverage;
          if (w.coverage) pageCoverage!.set(designKeyOf(jobs[i]!.spec.id, w.coverage.variant), { ...w.coverage, nodes: new Set(w.coverage.nodes) });
          // the same key as export/page.ts markKey
          w.marks?.forEach((m, k) => m && pageMarks?.set(`${w.result.machine}/${w.result.variant}/${w.result.configuration}#${k}`, m));
          got[i] = w.result;
        } else got[i] = r as CheckResult;
        for (; printed < got.length && got[printed]; printed++) done(got[printed]!);
      }, order);
      // the workers have their first jobs (runPool posts them before it returns)
      whileChecking?.();
      await pool;
    } catch (e) {
      if (e instanceof PoolError) throw new UsageError(`check --jobs: ${e.message}; run without --jobs to see the check that fails`);
      throw e;
    }
  } else {
    for (const job of jobs) {
      const label = `${job.model.machineId}/${job.model.variantId}/${job.model.configurationId}`;
      progress?.start(label);
      if (flags.workers !== undefined) {
        // collapse-compressed, partitioned over worker threads (src/check/scaled.ts)
        done(await checkScaled(job.model, { maxStates, ...(progress ? { onProgress: progress.update, onGrowth: progress.level } : {}), ...flagOptions(flags), workers: flags.workers, recipe: recipeOf(job.model), ...(flags.json ? {} : { onLevel: levelLines(io, label) }) }));
        continue;
      }
      const outcome = runJob(job.spec, job.model, { checking: !!file, maxStates, ...(progress ? { onProgress: progress.update, onGrowth: progress.level } : {}), ...flagOptions(flags), ...(flags.onGraph ? { onGraph: (x: Exploration) => flags.onGraph!(job.model, x) } : {}) });
      if ('failure' in outcome) {
        progress?.stop();
        throw new UsageError([outcome.failure.line, ...(flags.verbose ? outcome.failure.trace : [])].join('\n'));
      }
      done(outcome.result);
    }
  }
  const matches = results.every((r) => r.matches);
  if (flags.report !== undefined) await writeReport(flags.report, results, reportBefore ?? []);
  if (flags.json) io.out(JSON.stringify(results, null, 2) + '\n');
  else io.out(summary(results));
  return matches ? 0 : 1;
}

/** The recorded transitions of each check (manifest.json beside the sources: a checkout has it, the installed package not), by machine/variant/configuration. */
export function recordedTransitions(): Map<string, number> | undefined {
  try {
    const m = JSON.parse(readFileSync(join(packageRoot, 'manifest.json'), 'utf8')) as Record<string, { transitions?: unknown }>;
    return new Map(Object.entries(m).flatMap(([k, v]) => (typeof v?.transitions === 'number' ? [[k, v.transitions] as const] : [])));
  } catch {
    return undefined;
  }
}

/**
 * The order to hand out the tasks of these checks (machine/variant/configuration each): the most
 * recorded transitions first (the explorations' cost; a check's transitions under its reductions,
 * a design's coverage its check's), the ones not recorded last in their own order; undefined
 * without a record (the plan's order).
 */
export function longestFirst(keys: readonly string[], recorded: ReadonlyMap<string, number> | undefined): number[] | undefined {
  if (!recorded) return undefined;
  const cost = keys.map((k) => recorded.get(k) ?? -1);
  // a stable sort: equal costs keep the plan's order
  return keys.map((_, i) => i).sort((a, b) => cost[b]! - cost[a]!);
}

/** The same key as export/page.ts designKey (not imported: the page's module is not loaded by check). */
const designKeyOf = (machine: string, variant: string) => `${machine}/${variant}`;

/** The page's designs among the jobs whose check does not explore the page's full graph (a symmetry or partial-order reduction): npm start's worker explores each again after its check (pool-worker.ts). */
export function reducedDesigns(jobs: readonly Job[]): { machine: string; variant: string; configuration: string }[] {
  return jobs
    .filter((j) => variantConfigurations(j.spec, j.spec.variants.find((v) => v.id === j.model.variantId)!)[0] === j.model.configurationId)
    .filter((j) => {
      const r = reductions(j.model, {});
      return r.symmetry || r.por;
    })
    .map((j) => ({ machine: j.model.machineId, variant: j.model.variantId, configuration: j.model.configurationId }));
}

/** Checks that `dir` may hold the report and can be written; returns the package's files already there. */
async function prepareReport(dir: string): Promise<string[]> {
  if (dir === '') throw new UsageError('--report needs a directory, got an empty string');
  try {
    const before = await checkOurs(dir, isReportFile, 'report folder');
    await probeWritable(dir);
    return before;
  } catch (e) {
    if (e instanceof NotOursError) throw new UsageError(e.message);
    throw new UsageError(`cannot write ${join(dir, 'results.json')}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable folder with --report`);
  }
}

/** Writes `dir/results.json` through a temporary file and a rename, so no partial file is ever seen; then the folder's marker. */
export async function writeReport(dir: string, results: CheckResult[], before: readonly string[] = []): Promise<void> {
  const target = join(dir, 'results.json');
  const tmp = join(dir, `.results.json.${process.pid}.tmp`);
  try {
    await ensureDir(dir);
    const body = { tool: 's390-kvm-spec', generatedAt: new Date().toISOString(), matches: results.every((r) => r.matches), checks: results };
    await writeFile(tmp, JSON.stringify(body, null, 2) + '\n');
    await rename(tmp, target);
    await writeMarker(dir, [...before, 'results.json']);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new UsageError(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const verdict = (holds: boolean | null) => (holds === null ? 'unknown' : holds ? 'holds' : 'violated');

export function formatResult(r: CheckResult): string {
  const secs = (r.millis / 1000).toFixed(1);
  // under symmetry reduction the explorer keeps one state per orbit: the count is of orbits
  const unit = r.symmetry ? 'orbits' : 'states';
  const lines = [
    `${r.machine} / ${r.variant} / ${r.configuration}: ${r.states.toLocaleString('en')} ${unit}, ${r.transitions.toLocaleString('en')} transitions, depth ${r.depth}, ${secs} s` +
      (r.limitReached ? ` (explored ${r.states.toLocaleString('en')} ${unit}, limit reached)` : ''),
  ];
  if (r.dead) lines.push(`  dead-variable reduced (one state per class): ${r.dead}`);
  if (r.symmetry) lines.push(`  symmetry-reduced (one state per orbit): ${r.symmetry.map((g) => `${g.group} (${g.exact ? 'exact' : 'approximate: ' + (g.note ?? 'not an automorphism')})`).join('; ')}`);
  if (r.por?.reduced) lines.push(`  partial-order reduced: one order of independent steps explored (${plural(r.por.ampleStates ?? 0, 'state')} expanded by an ample set, ${(r.por.fullStates ?? 0).toLocaleString('en')} in full by a proviso); traces are the shortest among the explored interleavings${r.por.note ? `; ${r.por.note}` : ''}`);
  else if (r.por) lines.push(`  not partial-order reduced: ${r.por.note ?? 'not asked for'}`);
  const rows = [['property', 'kind', 'expected', 'found', ''], ...r.results.map((x) => [x.property, x.kind, verdict(x.expected), verdict(x.holds), x.holds === x.expected ? 'ok' : 'MISMATCH'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) lines.push('  ' + row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  // why a verdict is unknown, unless the state limit (said in the header) is the reason
  const undecided = r.results.filter((x) => x.holds === null && x.note && !r.limitReached);
  if (undecided.length) lines.push('', ...undecided.map((x) => `  ${x.property} not decided: ${x.note}`));
  if (r.stopped) lines.push('', `  ${r.stopped}`);
  else if (r.limitReached && r.perDepth) lines.push('', `  states per BFS depth: ${perDepthText(r.perDepth)}`);
  if (r.growth) lines.push('', ...growthLines(r.growth));
  if (r.overrides?.length) lines.push('', ...overrideLines(r.overrides));
  for (const x of r.results) if (x.holds === false) lines.push('', ...counterexample(x));
  return lines.join('\n') + '\n\n';
}

/** What ran of a variant file's replacements; one that never ran and is not expected to is a MISMATCH. */
function overrideLines(overrides: readonly OverrideUse[]): string[] {
  return [
    "  the variant file's replacements:",
    ...overrides.map((o) => {
      const what = `    ${o.kind === 'kernel' ? 'kernel function' : o.kind} ${o.name}`;
      if (o.calls > 0) return `${what}: ran ${plural(o.calls, 'time')}`;
      return o.expectedUnexecuted ? `${what}: never ran in this configuration (expected: expectUnexecuted)` : `${what}: never ran in this configuration: MISMATCH (no explored step executes it; add it to expectUnexecuted if that is right)`;
    }),
  ];
}

/** The replacements of a result that never ran without the file expecting it. */
const unexecuted = (r: CheckResult) => (r.overrides ?? []).filter((o) => o.calls === 0 && !o.expectedUnexecuted);

function counterexample(x: PropertyResult): string[] {
  const of = x.instance ? ` for ${Object.entries(x.instance).map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
  const tag = x.expected ? 'NOT EXPECTED' : 'expected';
  if (x.kind === 'invariant' || x.trigger === undefined) {
    const what = x.kind === 'invariant' ? 'shortest trace to a violating state' : 'shortest trace to a state from which it can no longer be reached';
    return [`  ${x.property} violated${of} (${tag}): ${what}, ${plural(x.trace.length, 'step')}`, ...stepLines(x.trace), ...(x.trace.length ? [] : ['    (the initial state)'])];
  }
  const when = x.trigger === 0 ? 'in the initial state' : `after step ${x.trigger}`;
  const head = `  ${x.property} violated${of} (${tag}): p holds ${when} and q never holds afterwards;`;
  if (x.stuck) return [`${head} the run can stop after step ${x.trace.length}: no fair event is enabled there`, ...stepLines(x.trace)];
  return [`${head} lasso of ${plural(x.trace.length, 'step')}, then ${plural(x.cycle!.length, 'step')} repeating forever`, ...stepLines(x.trace), '    --- repeats forever:', ...stepLines(x.cycle!)];
}

/**
 * One line per step. With threads (fine-grained configurations) the steps are laid out in
 * lanes: the lane's name (the thread, else the actor) in a column, each thread's steps
 * indented to its own column, the step's program counter as its text, so an interleaving
 * reads down the lanes; the thread's next program counter is `state.<thread>` in the changes.
 */
export function stepLines(trace: readonly CheckStep[]): string[] {
  const threads = [...new Set(trace.flatMap((t) => (t.thread ? [t.thread] : [])))];
  const width = Math.max(0, ...trace.map((t) => (t.thread ?? `[${t.actor}]`).length));
  const num = String(trace.length ? trace[trace.length - 1]!.step : 0).length;
  const lines = threads.length ? [`    ${' '.repeat(num + 2)}${'lanes:'.padEnd(width)}  ${threads.map((t, i) => ' '.repeat(i ? 2 : 0) + t).join(' |')}`] : [];
  for (const t of trace) {
    const { type, thread: _thread, ...payload } = t.event as { type: string; thread?: unknown };
    const args = Object.keys(payload).length ? ' ' + JSON.stringify(payload) : '';
    const changed = Object.entries(t.after)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    if (!threads.length) {
      lines.push(`    ${t.step}. [${t.actor}] ${type}${args}${changed ? '  -> ' + changed : ''}`);
      continue;
    }
    const lane = t.thread ?? `[${t.actor}]`;
    const indent = t.thread ? '  '.repeat(threads.indexOf(t.thread)) : '';
    lines.push(`    ${`${t.step}.`.padStart(num + 1)} ${lane.padEnd(width)}  ${indent}${type}${args}${changed ? '  -> ' + changed : ''}`);
  }
  return lines;
}

function summary(results: CheckResult[]): string {
  const bad = results.flatMap((r) => [
    ...r.results.filter((x) => x.holds !== x.expected).map((x) => `${r.machine}/${r.variant}/${r.configuration} ${x.property}: expected ${verdict(x.expected)}, found ${verdict(x.holds)}`),
    ...unexecuted(r).map((o) => `${r.machine}/${r.variant}/${r.configuration} ${o.kind === 'kernel' ? 'kernel function' : o.kind} ${o.name}: never ran`),
  ]);
  const checks = plural(results.length, 'check');
  if (!bad.length) return `${checks}: every result matches its expectation\n`;
  return `${checks}: ${bad.length === 1 ? '1 result differs' : `${bad.length} results differ`} from the expectation:\n${bad.map((b) => '  ' + b).join('\n')}\n`;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

/** States, states per second, queue length, BFS depth and the frontier's growth on one stderr line, from the first second on, at most 5 times a second. */
class Progress {
  private label = '';
  private started = 0;
  private last = 0;
  private shown = false;
  private depth = '';
  constructor(private io: Io) {}
  start(label: string): void {
    this.label = label;
    this.depth = '';
    this.started = this.last = performance.now();
  }
  level = (perDepth: readonly number[]): void => {
    const n = perDepth.length;
    const growth = n > 1 ? `, x${((perDepth[n - 1] ?? 0) / Math.max(1, perDepth[n - 2] ?? 0)).toFixed(1)} per level` : '';
    this.depth = `, depth ${n - 1}${growth}`;
  };
  update = (states: number, queued: number): void => {
    const now = performance.now();
    if (now - this.started < 1000 || now - this.last < 200) return;
    this.last = now;
    const rate = Math.round(states / ((now - this.started) / 1000));
    this.io.err(`\r\x1b[K${this.label}: ${states.toLocaleString('en')} states, ${rate.toLocaleString('en')} states/s, queue ${queued.toLocaleString('en')}${this.depth}`);
    this.shown = true;
  };
  stop(): void {
    if (this.shown) this.io.err('\r\x1b[K');
    this.shown = false;
  }
}

/** `--workers`: one stderr line per BFS level (frontier growth, states/s, a predicted total once the growth is regular). */
function levelLines(io: Io, label: string): (perDepth: readonly number[], states: number) => undefined {
  const growth = new Growth();
  const started = performance.now();
  // a check done within a second says nothing
  return (perDepth, states) => void (performance.now() - started >= 1000 && io.err(`${label}: ${growth.line(perDepth, states)}\n`));
}
