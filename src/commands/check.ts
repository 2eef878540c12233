// `check [--machine ID] [--variant ID | --variant-file F] [--configuration ID|all] [--set k=v ...]
// [--json] [--report DIR] [--max-states N]`: explore, evaluate every property, compare with
// the expectations. Exit 0 when every result matches, 1 when any does not, 2 on a usage error.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult, type CheckStep, type PropertyResult } from '../check/check.ts';
import { checkScaled } from '../check/check-scaled.ts';
import { perDepthText } from '../check/growth.ts';
import { Growth } from '../check/progress.ts';
import { recipeOf } from '../check/recipe.ts';
import { swarmCheck, SWARM_DEPTH, SWARM_STATES } from './swarm.ts';
import { applyVariant, loadVariantFile, type LoadedVariant } from '../check/variant-file.ts';
import { pick, SpecError, type MachineSpec, type Model } from '../spec.ts';
import { UsageError, type Io } from './io.ts';

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
  workers?: number;
  swarm?: number;
  seed?: number;
  swarmDepth?: number;
  por?: boolean;
  earlyStop?: boolean;
}

const DEFAULT_MAX_STATES = 1_000_000;

export function registerCheck(p: Command, io: Io, done: (code: number) => void): void {
  p.command('check')
    .description('explore every reachable state; check every invariant and liveness property against the expectations')
    .option('--machine <id>', 'only this machine')
    .addOption(new Option('--variant <id>', 'only this variant').conflicts('variantFile'))
    .option('--variant-file <file>', 'a TypeScript module exporting guard, action and kernel function overrides (see VariantFile)')
    .option('--configuration <id>', "configuration to check, or 'all' (default: each machine's first)")
    .option('--set <key=value>', 'override a configuration parameter (repeatable; value parsed as JSON if it can be)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the results as JSON on stdout')
    .option('--report <dir>', 'also write <dir>/results.json')
    .option('--max-states <n>', `stop exploring after n states (default ${DEFAULT_MAX_STATES})`, positiveInt)
    .option('--symmetry', 'reduce by symmetry: one state per permutation of interchangeable vcpus and queues (default: as the configuration says)')
    .option('--no-symmetry', 'explore every state, even where the configuration opts in to symmetry reduction')
    .option('--swarm <n>', `not exhaustive: n bounded random-order searches with hash-compacted visited sets (--max-states per search, default ${SWARM_STATES}); --report DIR writes a file for merge`, positiveInt)
    .option('--seed <s>', 'first seed of --swarm (search k uses s + k; default 0)', nonNegativeSeed)
    .option('--swarm-depth <d>', `depth bound of each --swarm search (default ${SWARM_DEPTH})`, positiveInt)
    .option('--workers <n>', 'explore in n worker threads, states collapse-compressed, a line per BFS level on stderr (0: compressed, this thread)', nonNegativeInt)
    .option('--por', 'partial-order reduction: steps of different threads that touch disjoint context are explored in one order (default: as the configuration says)')
    .option('--no-por', 'explore every interleaving, even where the configuration opts in to partial-order reduction')
    .option('--no-early-stop', 'explore up to --max-states even when the growth per BFS level shows the limit will be reached (default: stop when it is more than 30 s away)')
    .action(async (flags: CheckFlags) => done(await runCheck(flags, io)));
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

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

interface Job {
  spec: MachineSpec;
  model: Model;
}

/** Parses `key=value`; the value as JSON when it parses (numbers, arrays), else the string. */
export function parseSet(items: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
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
    out[item.slice(0, eq)] = value;
  }
  return out;
}

/** Every (machine, variant, configuration) the flags select, with models built; usage errors throw before any check runs. */
export async function plan(flags: CheckFlags): Promise<Job[]> {
  if (flags.symmetry === true && flags.por === true) throw new UsageError('--symmetry and --por cannot be combined (symmetry and partial-order reduction are not proved to compose); give one of them');
  let file: LoadedVariant | undefined;
  if (flags.variantFile) file = await loadVariantFile(flags.variantFile);
  const machineId = flags.machine ?? file?.file.machine;
  if (file && !machineId) throw new UsageError(`variant file ${flags.variantFile} names no machine; add machine: '<id>' to it or pass --machine`);
  if (file?.file.machine && flags.machine && file.file.machine !== flags.machine) {
    throw new UsageError(`variant file is for machine ${file.file.machine}, but --machine ${flags.machine} was given`);
  }
  let selected = machineId === undefined ? specs : [pick('machine', 's390-kvm-spec', specs, machineId)];
  if (selected.length === 0) throw new UsageError('no machines are registered in machines/index.ts');
  if (machineId === undefined && flags.variant) {
    // --variant without --machine: the machines that have that variant
    const variant = flags.variant;
    selected = selected.filter((s) => s.variants.some((v) => v.id === variant));
    if (!selected.length) throw new UsageError(`no machine has a variant '${variant}'; known: ${[...new Set(specs.flatMap((s) => s.variants.map((v) => v.id)))].join(', ')}`);
  }
  const params = { ...(file?.file.params ?? {}), ...parseSet(flags.set ?? []) };
  const jobs: Job[] = [];
  for (const spec of selected) {
    const known = (spec.params ?? []).map((x) => x.key);
    for (const key of Object.keys(params)) {
      if (!known.includes(key)) {
        throw new UsageError(`machine ${spec.id} has no parameter '${key}'; known: ${known.length ? known.join(', ') : 'none'}`);
      }
    }
    // a variant file's kernel replacements go into the machine's kernel table (core machines)
    const kernel = file?.file.kernel;
    const options = Object.keys(params).length || kernel ? { ...(Object.keys(params).length ? { params } : {}), ...(kernel ? { kernel } : {}) } : undefined;
    const variants = file ? [pick('variant', spec.id, spec.variants, file.file.base).id] : flags.variant ? [pick('variant', spec.id, spec.variants, flags.variant).id] : spec.variants.map((v) => v.id);
    // without --configuration each variant is checked where it says (VariantInfo.configuration), else in the first
    const configurations: (string | undefined)[] =
      flags.configuration === 'all' ? spec.configurations.map((c) => c.id) : flags.configuration ? [pick('configuration', spec.id, spec.configurations, flags.configuration).id] : [undefined];
    for (const c of configurations) {
      for (const v of variants) {
        // a variant that exists only in some configurations is skipped elsewhere, unless named
        const only = spec.variants.find((x) => x.id === v)?.configurations;
        if (only && c !== undefined && !only.includes(c) && !flags.variant && !file) continue;
        let model: Model;
        try {
          model = spec.model(v, c, options);
        } catch (e) {
          if (e instanceof SpecError || !options?.params) throw e;
          throw new UsageError(`machine ${spec.id} rejects the parameters ${JSON.stringify(params)}: ${String((e as Error).message).split('\n')[0]}`);
        }
        jobs.push({ spec, model: file ? applyVariant(model, file) : model });
      }
    }
  }
  return jobs;
}

export async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  const jobs = await plan(flags);
  if (flags.swarm !== undefined) {
    if (flags.workers !== undefined) throw new UsageError('--swarm and --workers are not combined: start more swarm processes instead');
    if (flags.por === true) throw new UsageError('--swarm searches every interleaving (no partial-order reduction): drop --por');
    return swarmCheck(jobs, flags, io);
  }
  if (flags.seed !== undefined || flags.swarmDepth !== undefined) throw new UsageError('--seed and --swarm-depth go with --swarm N');
  const progress = !flags.json && io.errIsTTY ? new Progress(io) : undefined;
  const results: CheckResult[] = [];
  for (const job of jobs) {
    const label = `${job.model.machineId}/${job.model.variantId}/${job.model.configurationId}`;
    progress?.start(label);
    const options = { maxStates: flags.maxStates ?? DEFAULT_MAX_STATES, ...(progress ? { onProgress: progress.update } : {}), ...(flags.symmetry !== undefined ? { symmetry: flags.symmetry } : {}), ...(flags.por !== undefined ? { por: flags.por } : {}), ...(flags.earlyStop === false ? { earlyStopSeconds: Infinity } : {}), ...(progress ? { onGrowth: progress.level } : {}) };
    const r = flags.workers === undefined ? checkModel(job.model, options) : await checkScaled(job.model, { ...options, workers: flags.workers, recipe: recipeOf(job.model, flags.variantFile), ...(flags.json ? {} : { onLevel: levelLines(io, label) }) });
    progress?.stop();
    results.push(r);
    if (!flags.json) io.out(formatResult(r));
  }
  const matches = results.every((r) => r.matches);
  if (flags.report) writeReport(flags.report, results);
  if (flags.json) io.out(JSON.stringify(results, null, 2) + '\n');
  else io.out(summary(results));
  return matches ? 0 : 1;
}

/** Writes `dir/results.json` through a temporary file and a rename, so no partial file is ever seen. */
export function writeReport(dir: string, results: CheckResult[]): void {
  const target = join(dir, 'results.json');
  const tmp = join(dir, `.results.json.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const body = { tool: 's390-kvm-spec', generatedAt: new Date().toISOString(), matches: results.every((r) => r.matches), checks: results };
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n');
    renameSync(tmp, target);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
    throw new UsageError(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const verdict = (holds: boolean | null) => (holds === null ? 'unknown' : holds ? 'holds' : 'violated');

export function formatResult(r: CheckResult): string {
  const secs = (r.millis / 1000).toFixed(1);
  const lines = [
    `${r.machine} / ${r.variant} / ${r.configuration}: ${r.states.toLocaleString('en')} states, ${r.transitions.toLocaleString('en')} transitions, depth ${r.depth}, ${secs} s` +
      (r.limitReached ? ` (explored ${r.states.toLocaleString('en')} states, limit reached)` : ''),
  ];
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
  for (const x of r.results) if (x.holds === false) lines.push('', ...counterexample(x));
  return lines.join('\n') + '\n\n';
}

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
  const bad = results.flatMap((r) => r.results.filter((x) => x.holds !== x.expected).map((x) => `${r.machine}/${r.variant}/${r.configuration} ${x.property}: expected ${verdict(x.expected)}, found ${verdict(x.holds)}`));
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
