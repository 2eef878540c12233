// The mutation analysis: generate the mutants, run the baseline of every check target and path
// suite once (recording which mutation sites each executes), then run each mutant on the
// targets that reach it, smallest first, until one kills it.
//
// Property strength (machine mutants): killed when `check` finds a property violated in a
// configuration of the baseline design where the baseline holds that property.
// Path-test power (SUT mutants): killed when a generated path test sees the transcription
// disagree with the machine. A crash of the mutated code is a kill too (a kernel oops is
// noticed; both scores show crashes apart), and so is a transcription that loops on a generated
// path (attemptOutcome: the path test fails by its timeout). A mutant no target executes is "not
// reached". A machine mutant's endless loop, a job past its deadline, or a state space past its
// limit with no violation first, in every target that reaches it, is a "timeout", reported apart.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MachineSpec } from '../spec.ts';
import { instrument, transpile, type Mutant } from './instrument.ts';
import type { Job, JobResult } from './jobs.ts';
import { Pool, tsxLoader, type PoolResult } from './pool.ts';
import { scopedFiles, type MutantKind } from './scope.ts';
import { checkTargets, harnessReaches, pathSuites, type CheckTarget, type PathSuite } from './targets.ts';

export interface RunOptions {
  /** The package root (machines/ and src/sut/ under it). */
  root: string;
  specs: readonly MachineSpec[];
  /** Worker processes (default: the core count). */
  jobs?: number;
  /** Only mutants of this area's files. */
  area?: string;
  /** Only this machine's area, measured in this machine's configurations and path suites only. */
  machine?: string;
  /** Only these mutant ids. */
  mutants?: readonly string[];
  /** A fixed pseudo-random sample of this many mutants (the same ids every run). */
  sample?: number;
  /**
   * Run every mutant on every target that reaches it, the large ones included (LARGE_TRANSITIONS,
   * LARGE_STEPS). Default: a large target runs only mutants no smaller one reaches.
   */
  thorough?: boolean;
  onProgress?: (line: string) => void;
}

/** What happened to a mutant (before triage). */
export type Outcome = 'killed' | 'crashed' | 'survived' | 'not-reached' | 'timeout';

export interface Attempt {
  /** The check target or path suite key. */
  target: string;
  status: PoolResult['status'];
  /** The property violated, or the path step that disagreed. */
  by?: string;
  message?: string;
  millis: number;
}

export interface MutantResult extends Mutant {
  outcome: Outcome;
  /** Every target it ran on, in order; the last one decided. */
  attempts: Attempt[];
}

export interface TargetBaseline {
  key: string;
  kind: MutantKind;
  /** Check: reachable states; paths: steps of the suite. */
  size: number;
  millis: number;
  /** Check: the properties the baseline holds (the ones a mutant is killed by). */
  held?: string[];
  /** Mutants whose site it executes. */
  reaches: number;
  /** Why the target is not used (a baseline that already fails). */
  skipped?: string;
  /** Used only for mutants no smaller target reaches (unless --thorough). */
  large?: boolean;
  /** Paths: the steps of the transition-pair paths run after the edge paths and probes (not in `size`). */
  pairSteps?: number;
}

export interface RunResult {
  schemaVersion: 1;
  date: string;
  commit: string;
  options: { area?: string; machine?: string; sample?: number; mutants?: number; thorough?: boolean };
  machineInfo: { cores: number; jobs: number; loadBefore: number[]; loadAfter: number[] };
  millis: { total: number; instrument: number; baseline: number; mutants: number };
  workerRestarts: number;
  baselines: TargetBaseline[];
  mutants: MutantResult[];
}

/** A check target above this many transitions (manifest.json) is large: two-queues and smp of the composed guest. */
export const LARGE_TRANSITIONS = 100_000;
/** A path suite above this many steps is large: the composed guest's default configuration. */
export const LARGE_STEPS = 50_000;

export class RunError extends Error {
  override name = 'RunError';
}

/** FNV-1a: a stable order for `--sample`. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function commitOf(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'machines', 'src'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/** The mutants a run selects, and everything generated (for stale triage entries). */
export function generate(root: string, opts: Pick<RunOptions, 'area' | 'machine' | 'mutants' | 'sample' | 'specs'> = { specs: [] }) {
  const files = scopedFiles(root).map((f) => ({ ...f, text: readFileSync(resolve(root, f.path), 'utf8') }));
  const ins = instrument(files);
  let area = opts.area;
  if (opts.machine) {
    const spec = opts.specs.find((s) => s.id === opts.machine);
    if (!spec) throw new RunError(`unknown machine '${opts.machine}'; known: ${opts.specs.map((s) => s.id).join(', ')}`);
    if (area && area !== spec.area) throw new RunError(`machine ${spec.id} is in area ${spec.area}, not ${area}`);
    area = spec.area;
  }
  const areas = [...new Set(files.map((f) => f.area))].sort();
  if (area && !areas.includes(area)) throw new RunError(`unknown area '${area}'; known: ${areas.join(', ')}`);
  let selected = ins.mutants.filter((m) => !area || m.area === area);
  if (opts.mutants?.length) {
    const known = new Set(ins.mutants.map((m) => m.id));
    const unknown = opts.mutants.find((id) => !known.has(id));
    if (unknown) throw new RunError(`no mutant '${unknown}'; list them with --list`);
    const want = new Set(opts.mutants);
    selected = selected.filter((m) => want.has(m.id));
  }
  if (opts.sample !== undefined) selected = [...selected].sort((a, b) => hash(a.id) - hash(b.id) || (a.id < b.id ? -1 : 1)).slice(0, opts.sample);
  return { files, ins, selected, areas };
}

export async function runMutation(opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const progress = opts.onProgress ?? (() => {});
  const { files, ins, selected } = generate(opts.root, opts);
  const number = new Map(ins.mutants.map((m, i) => [m.id, i]));
  const sources: Record<string, string> = {};
  // every scoped file is replaced: the selected mutants compiled in, and every loop guarded (a
  // mutant in one file can make a loop in another endless)
  const chosen = new Set(selected.map((m) => m.id));
  for (const f of files) sources[pathToFileURL(resolve(opts.root, f.path)).href] = transpile(f.path, ins.schemata(f.path, number, (id) => chosen.has(id)));
  const tInstrument = performance.now() - t0;

  const wantKinds = new Set(selected.map((m) => m.kind));
  let targets = wantKinds.has('machine') ? checkTargets(opts.specs) : [];
  let suites = wantKinds.has('sut') ? pathSuites(opts.specs) : [];
  if (opts.machine) {
    targets = targets.filter((t) => t.machine === opts.machine);
    suites = suites.filter((s) => s.machine === opts.machine);
  }
  // only the harnesses whose transcriptions hold a selected mutant (an --area or --mutant run need not run every suite's baseline)
  const sutFiles = new Set(selected.filter((m) => m.kind === 'sut').map((m) => m.file));
  suites = suites.filter((s) => [...sutFiles].some((f) => harnessReaches(s.harness, f)));
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  // the workers mutate the TypeScript sources of a checkout; an installed package has neither them nor tsx
  if (!tsxLoader()) throw new RunError('mutate runs on the TypeScript sources of a checkout through tsx (a devDependency): run it in a clone of s390-kvm-spec after npm install');
  let fatal: string | undefined;
  const pool = new Pool(Math.min(jobs, Math.max(1, selected.length)), sources, ins.mutants.length, (m) => (fatal ??= m));
  const fail = () => {
    if (fatal) throw new RunError(`a mutation worker failed: ${fatal}`);
  };
  // an interrupted run takes its workers with it
  const stop = (signal: NodeJS.Signals) => {
    pool.close();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    // baselines: what each target holds and which sites it executes; the large check targets
    // only when a selected mutant is reached by no other (or --thorough)
    const tBase = performance.now();
    const manifest = readManifest(opts.root);
    const isLarge = (t: CheckTarget) => (manifest[t.key]?.transitions ?? 0) > LARGE_TRANSITIONS;
    const hitsOf = new Map<string, Set<number>>();
    const baselines: TargetBaseline[] = [];
    const BASELINE_DEADLINE = 30 * 60_000;
    const checkBaseline = async (t: CheckTarget) => {
      const r = await pool.run({ kind: 'check', target: t, mutant: -1, coverage: true }, BASELINE_DEADLINE);
      fail();
      if (r.status !== 'survived' || !('holds' in r) || !r.holds) throw new RunError(`baseline check of ${t.key} did not complete: ${r.status} ${'message' in r ? (r.message ?? '') : ''}`);
      const hits = new Set(r.hits ?? []);
      hitsOf.set(`machine ${t.key}`, hits);
      baselines.push({ key: t.key, kind: 'machine', size: r.states ?? 0, millis: r.millis, held: Object.keys(r.holds).filter((p) => r.holds![p] === true), reaches: hits.size, ...(isLarge(t) ? { large: true } : {}) });
    };
    const small = targets.filter((t) => opts.thorough || !isLarge(t));
    progress(`baseline: ${small.length} check targets, ${suites.length} path suites`);
    await Promise.all([
      ...small.map(checkBaseline),
      ...suites.map(async (s) => {
        const r = await pool.run({ kind: 'paths', suite: s, mutant: -1, coverage: true }, BASELINE_DEADLINE);
        fail();
        const steps = ('steps' in r ? r.steps : 0) ?? 0;
        const b: TargetBaseline = { key: s.key, kind: 'sut', size: steps, millis: r.millis, reaches: 0, ...(steps > LARGE_STEPS && !s.small ? { large: true } : {}), ...('pairSteps' in r && r.pairSteps ? { pairSteps: r.pairSteps } : {}) };
        if (r.status !== 'survived') b.skipped = `the baseline already disagrees: ${r.status} ${'by' in r ? (r.by ?? '') : ''} ${'message' in r ? (r.message ?? '') : ''}`.trim();
        else {
          const hits = new Set(r.hits ?? []);
          hitsOf.set(`sut ${s.key}`, hits);
          b.reaches = hits.size;
        }
        baselines.push(b);
      }),
    ]);
    const reachedSoFar = new Set([...hitsOf.entries()].filter(([k]) => k.startsWith('machine ')).flatMap(([, h]) => [...h]));
    const unreached = selected.filter((m) => m.kind === 'machine' && !reachedSoFar.has(number.get(m.id)!));
    const large = targets.filter((t) => !small.includes(t));
    if (unreached.length && large.length) {
      progress(`baseline: ${unreached.length} machine mutants reached by no small configuration; the large ones: ${large.map((t) => t.key).join(', ')}`);
      await Promise.all(large.map(checkBaseline));
    }
    baselines.sort((a, b) => (a.kind === b.kind ? a.size - b.size : a.kind === 'machine' ? -1 : 1));
    const tBaseline = performance.now() - tBase;
    progress(`baseline done in ${(tBaseline / 1000).toFixed(1)} s: ${baselines.map((b) => `${b.kind === 'sut' ? 'paths ' : ''}${b.key} ${b.millis} ms`).join(', ')}`);

    // mutants: each on the targets that reach it, smallest first, until one kills it
    const tMut = performance.now();
    const byKey = new Map<string, { baseline: TargetBaseline; job: (mutant: number) => Job }>();
    for (const t of targets) {
      const baseline = baselines.find((b) => b.kind === 'machine' && b.key === t.key);
      if (!baseline) continue; // a large target nothing needed
      byKey.set(`machine ${t.key}`, { baseline, job: (mutant) => ({ kind: 'check', target: t, mutant, held: baseline.held!, maxStates: baseline.size * 4 + 2000 }) });
    }
    for (const s of suites) {
      const baseline = baselines.find((b) => b.kind === 'sut' && b.key === s.key)!;
      if (!baseline.skipped) byKey.set(`sut ${s.key}`, { baseline, job: (mutant) => ({ kind: 'paths', suite: s, mutant }) });
    }
    const order = [...byKey.values()].sort((a, b) => a.baseline.size - b.baseline.size);
    let done = 0;
    const counts: Record<Outcome, number> = { killed: 0, crashed: 0, survived: 0, 'not-reached': 0, timeout: 0 };
    const results = await Promise.all(
      selected.map(async (m): Promise<MutantResult> => {
        const n = number.get(m.id)!;
        const reaching = order.filter((c) => c.baseline.kind === m.kind && hitsOf.get(`${c.baseline.kind} ${c.baseline.key}`)?.has(n));
        // a large target only for what no smaller one reaches, unless --thorough
        const smallOnes = reaching.filter((c) => !c.baseline.large);
        const candidates = opts.thorough || !smallOnes.length ? reaching : smallOnes;
        const attempts: Attempt[] = [];
        let outcome: Outcome = candidates.length ? 'survived' : 'not-reached';
        for (const [i, c] of candidates.entries()) {
          const deadline = Math.max(10_000, 10 * c.baseline.millis);
          const r = await pool.run(c.job(n), deadline, i > 0);
          fail();
          attempts.push(attempt(c.baseline.key, r));
          const o = attemptOutcome(m.kind, r.status);
          if (o === 'killed' || o === 'crashed') {
            outcome = o;
            break;
          }
          // a hang or explosion here may still break a property first in another configuration
          if (o === 'timeout') outcome = 'timeout';
        }
        counts[outcome]++;
        if (++done % 50 === 0 || done === selected.length) progress(`${((performance.now() - tMut) / 1000).toFixed(0)} s, ` + `mutants: ${done}/${selected.length} (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')})`);
        return { ...m, outcome, attempts };
      }),
    );
    return {
      schemaVersion: 1,
      date: new Date().toISOString(),
      commit: commitOf(opts.root),
      options: {
        ...(opts.area ? { area: opts.area } : {}),
        ...(opts.machine ? { machine: opts.machine } : {}),
        ...(opts.sample !== undefined ? { sample: opts.sample } : {}),
        ...(opts.mutants?.length ? { mutants: opts.mutants.length } : {}),
        ...(opts.thorough ? { thorough: true } : {}),
      },
      machineInfo: { cores: availableParallelism(), jobs, loadBefore, loadAfter: loadavg().map((x) => Math.round(x * 100) / 100) },
      millis: { total: Math.round(performance.now() - t0), instrument: Math.round(tInstrument), baseline: Math.round(tBaseline), mutants: Math.round(performance.now() - tMut) },
      workerRestarts: pool.restarts,
      baselines,
      mutants: results,
    };
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    pool.close();
  }
}

/**
 * What one attempt decides. A transcription mutant that loops (the instrumented loop guard, status
 * `hang`) on a generated path is killed, counted with the crashes: the unmutated transcription ran
 * that suite's every path to the end (its baseline), so a harness running the path test fails by its
 * timeout (vitest's testTimeout, a kselftest's alarm), as the kernel's watchdog reports such a loop
 * as a soft lockup. A job past its deadline (`timeout`) or a check past its state limit stays a
 * timeout (slowness alone is no difference), and so does a machine mutant's loop (it breaks no property).
 */
export function attemptOutcome(kind: MutantKind, status: PoolResult['status']): 'killed' | 'crashed' | 'survived' | 'timeout' {
  if (status === 'killed' || status === 'crashed' || status === 'survived') return status;
  return status === 'hang' && kind === 'sut' ? 'crashed' : 'timeout';
}

function readManifest(root: string): Record<string, { transitions?: number }> {
  try {
    return JSON.parse(readFileSync(resolve(root, 'manifest.json'), 'utf8')) as Record<string, { transitions?: number }>;
  } catch {
    return {};
  }
}

function attempt(target: string, r: PoolResult): Attempt {
  const j = r as Partial<JobResult>;
  return { target, status: r.status, millis: r.millis, ...(j.by ? { by: j.by } : {}), ...(j.message ? { message: j.message } : {}) };
}

export type { CheckTarget, PathSuite };
