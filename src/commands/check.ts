// `check [--machine ID] [--variant ID | --variant-file F] [--configuration ID|all] [--set k=v ...]
// [--json] [--report DIR] [--max-states N]`: explore, evaluate every property, compare with
// the expectations. Exit 0 when every result matches, 1 when any does not, 2 on a usage error.
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult, type CheckStep, type PropertyResult } from '../check/check.ts';
import { perDepthText } from '../check/growth.ts';
import { applyVariant, loadVariantFile, type LoadedVariant } from '../check/variant-file.ts';
import { pick, SpecError, variantConfigurations, type MachineSpec, type Model, type VariantInfo } from '../spec.ts';
import { ensureDir } from '../export/files.ts';
import { checkOurs, NotOursError, probeWritable, writeMarker } from '../export/owned.ts';
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
    .option('--configuration <id>', "check the variants that belong to this configuration, or 'all': each variant in each of its configurations (default: each variant in its own)")
    .option('--set <key=value>', 'override a configuration parameter (repeatable; value parsed as JSON if it can be)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the results as JSON on stdout')
    .option('--report <dir>', 'also write <dir>/results.json')
    .option('--max-states <n>', `stop exploring after n states (default ${DEFAULT_MAX_STATES})`, positiveInt)
    .option('--symmetry', 'reduce by symmetry: one state per permutation of interchangeable vcpus and queues (default: as the configuration says)')
    .option('--no-symmetry', 'explore every state, even where the configuration opts in to symmetry reduction')
    .option('--por', 'partial-order reduction: steps of different threads that touch disjoint context are explored in one order (default: as the configuration says)')
    .option('--no-por', 'explore every interleaving, even where the configuration opts in to partial-order reduction')
    .option('--no-early-stop', 'explore up to --max-states even when the growth per BFS level shows the limit will be reached (default: stop when it is more than 30 s away)')
    .action(async (flags: CheckFlags) => done(await runCheck(flags, io)));
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

/** Every (machine, variant, configuration) the flags select, with models built; usage errors throw before any check runs. */
export async function plan(flags: CheckFlags): Promise<Job[]> {
  if (flags.variantFile === '') throw new UsageError('--variant-file needs a file name, got an empty string');
  if (flags.symmetry === true && flags.por === true) throw new UsageError('--symmetry and --por cannot be combined (symmetry and partial-order reduction are not proved to compose); give one of them');
  let file: LoadedVariant | undefined;
  if (flags.variantFile !== undefined) file = await loadVariantFile(flags.variantFile);
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
    // a variant file's kernel replacements go into the machine's kernel table (core machines)
    const kernel = file?.file.kernel;
    const options = keys.length || kernel ? { ...(keys.length ? { params: Object.fromEntries(params) } : {}), ...(kernel ? { kernel } : {}) } : undefined;
    const variants: VariantInfo[] = file ? [pick('variant', spec.id, spec.variants, file.file.base)] : flags.variant !== undefined ? [pick('variant', spec.id, spec.variants, flags.variant)] : [...spec.variants];
    // which configurations each variant is checked in: its own by default, each of its own with
    // 'all', and with one named, the variants that belong to it (a variant file may go anywhere)
    const pairs: [VariantInfo, string][] = [];
    if (configuration === undefined) {
      for (const v of variants) pairs.push([v, variantConfigurations(spec, v)[0]!]);
    } else if (configuration === 'all') {
      // a variant file goes in every configuration its base variant can be built in
      for (const v of variants) for (const c of file && !v.configurations ? spec.configurations.map((x) => x.id) : variantConfigurations(spec, v)) pairs.push([v, c]);
    } else {
      const c = pick('configuration', spec.id, spec.configurations, configuration).id;
      for (const v of variants) {
        const mine = variantConfigurations(spec, v);
        if (file || mine.includes(c)) pairs.push([v, c]);
        else if (flags.variant !== undefined) {
          spec.model(v.id, c, options); // a variant that cannot be built there says so itself (SpecError)
          throw new UsageError(`variant ${v.id} of ${spec.id} does not belong to configuration ${c}, so nothing says what it must find there; it belongs to ${mine.join(', ')} (or check your own expectation with --variant-file)`);
        }
      }
      if (!pairs.length) throw new UsageError(`no variant of ${spec.id} belongs to configuration ${c}`);
    }
    for (const [v, c] of pairs) {
      let model: Model;
      try {
        model = spec.model(v.id, c, options);
      } catch (e) {
        if (e instanceof SpecError || !options?.params) throw e;
        throw new UsageError(`machine ${spec.id} rejects the parameters ${JSON.stringify(options.params)}: ${String((e as Error).message).split('\n')[0]}`);
      }
      const expected = v.expectedViolationsIn?.[c];
      if (expected) model = { ...model, expectedViolations: expected };
      jobs.push({ spec, model: file ? applyVariant(model, file) : model });
    }
  }
  return jobs;
}

/** What `check --report` writes into its folder, and the page beside it (for folders from before the marker). */
export function isReportFile(file: string): boolean {
  return file === 'results.json' || file === 'index.html' || /^counterexamples\/[^/]+\/[^/]+\.mmd$/.test(file);
}

export async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  const jobs = await plan(flags);
  // the report's folder is checked (and a write tried) before exploring, which can take minutes
  const reportBefore = flags.report === undefined ? undefined : await prepareReport(flags.report);
  const progress = !flags.json && io.errIsTTY ? new Progress(io) : undefined;
  const results: CheckResult[] = [];
  for (const job of jobs) {
    const label = `${job.model.machineId}/${job.model.variantId}/${job.model.configurationId}`;
    progress?.start(label);
    const r = checkModel(job.model, { maxStates: flags.maxStates ?? DEFAULT_MAX_STATES, ...(progress ? { onProgress: progress.update } : {}), ...(flags.symmetry !== undefined ? { symmetry: flags.symmetry } : {}), ...(flags.por !== undefined ? { por: flags.por } : {}), ...(flags.earlyStop === false ? { earlyStopSeconds: Infinity } : {}), ...(progress ? { onGrowth: progress.level } : {}) });
    progress?.stop();
    results.push(r);
    if (!flags.json) io.out(formatResult(r));
  }
  const matches = results.every((r) => r.matches);
  if (flags.report !== undefined) await writeReport(flags.report, results, reportBefore ?? []);
  if (flags.json) io.out(JSON.stringify(results, null, 2) + '\n');
  else io.out(summary(results));
  return matches ? 0 : 1;
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
function stepLines(trace: readonly CheckStep[]): string[] {
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
