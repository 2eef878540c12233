// The triage file (mutation/triage.json): every mutant the analysis does not kill, reviewed,
// with a one-line reason. `equivalent`: it cannot change behaviour (left out of the score).
// `not-reached`: no configuration or suite can execute it, and why (left out of the score).
// `survivor`: a known survivor, with the property or path gap that would kill it (counts
// against the score; phase B of issue 14 shrinks this list). `timeout`: a known hang of a
// machine mutant, a job past its deadline or a state explosion, with no violation first (counts
// against the score; a transcription that hangs on a generated path is killed, run.ts attemptOutcome).
// Each entry keeps the mutated text, so an entry whose function was rewritten is reported as
// stale instead of being applied to different code.
import { readFileSync } from 'node:fs';
import type { Mutant } from './instrument.ts';
import type { MutantKind } from './scope.ts';
import type { MutantResult, Outcome, RunResult } from './run.ts';

export type TriageStatus = 'equivalent' | 'not-reached' | 'survivor' | 'timeout';
export const TRIAGE_STATUSES: readonly TriageStatus[] = ['equivalent', 'not-reached', 'survivor', 'timeout'];

export interface TriageEntry {
  id: string;
  status: TriageStatus;
  /** The mutated node's text before and after, as `mutate --list` shows them. */
  orig: string;
  repl: string;
  reason: string;
}

export class TriageError extends Error {
  override name = 'TriageError';
}

/** Reads and checks the triage file: a one-line error for anything malformed. */
export function loadTriage(path: string): TriageEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return [];
    throw new TriageError(`cannot read the triage file ${path}: ${err.message.split('\n')[0]}`);
  }
  return parseTriage(raw, path);
}

export function parseTriage(raw: unknown, path = 'triage'): TriageEntry[] {
  const r = raw as { schemaVersion?: unknown; entries?: unknown };
  if (!r || typeof r !== 'object' || r.schemaVersion !== 1 || !Array.isArray(r.entries)) throw new TriageError(`${path}: expected { "schemaVersion": 1, "entries": [...] }`);
  const seen = new Set<string>();
  return r.entries.map((e: unknown, i: number) => {
    const x = e as Partial<TriageEntry>;
    const where = `${path}: entry ${i}${typeof x?.id === 'string' ? ` (${x.id})` : ''}`;
    if (!x || typeof x !== 'object') throw new TriageError(`${where}: not an object`);
    for (const k of ['id', 'orig', 'repl', 'reason'] as const) if (typeof x[k] !== 'string') throw new TriageError(`${where}: '${k}' must be a string`);
    if (!TRIAGE_STATUSES.includes(x.status as TriageStatus)) throw new TriageError(`${where}: status must be one of ${TRIAGE_STATUSES.join(', ')}`);
    if (!x.reason!.trim()) throw new TriageError(`${where}: give a one-line reason (why it is equivalent, or which property or path gap would kill it)`);
    if (seen.has(x.id!)) throw new TriageError(`${where}: listed twice`);
    seen.add(x.id!);
    return { id: x.id!, status: x.status as TriageStatus, orig: x.orig!, repl: x.repl!, reason: x.reason! };
  });
}

/** One entry a line, sorted by id, so a review diff shows exactly what changed. */
export function serializeTriage(entries: readonly TriageEntry[]): string {
  const lines = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => '    ' + JSON.stringify({ id: e.id, status: e.status, orig: e.orig, repl: e.repl, reason: e.reason }));
  return `{\n  "schemaVersion": 1,\n  "entries": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

/** What a mutant counts as after triage. */
export type Final = 'killed' | 'equivalent' | 'survived' | 'timeout' | 'not-reached' | 'unreachable';

export interface Judged {
  mutant: MutantResult;
  final: Final;
  crashed: boolean;
  triage?: TriageEntry;
}

export interface TriageProblems {
  /** Entries naming a mutant that no longer exists, or whose code changed. */
  stale: { entry: TriageEntry; why: string }[];
  /** Entries the run contradicts: killed, or an outcome other than the status says. */
  wrong: { entry: TriageEntry; why: string }[];
  /** Mutants not killed and not in the triage file. */
  untriaged: MutantResult[];
}

const FITS: Record<TriageStatus, readonly Outcome[]> = {
  equivalent: ['survived', 'not-reached', 'timeout'],
  'not-reached': ['not-reached'],
  survivor: ['survived'],
  timeout: ['timeout'],
};

/**
 * Applies the triage to a run. `all` is every mutant generated now (stale detection covers the
 * files of the run's selection); entries for mutants the run did not select are left alone.
 */
export function judge(run: RunResult, entries: readonly TriageEntry[], all: readonly Mutant[]): { judged: Judged[]; problems: TriageProblems } {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const current = new Map(all.map((m) => [m.id, m]));
  const files = new Set(run.mutants.map((m) => m.file));
  const selected = new Set(run.mutants.map((m) => m.id));
  const problems: TriageProblems = { stale: [], wrong: [], untriaged: [] };
  const o = run.options;
  const full = !o.area && !o.machine && o.sample === undefined && !o.mutants;
  for (const e of entries) {
    const m = current.get(e.id);
    const file = e.id.split(':')[0]!;
    if (!m) {
      if (full || files.has(file)) problems.stale.push({ entry: e, why: 'no such mutant now (its function, operator or ordinal changed)' });
    } else if (m.orig !== e.orig || m.repl !== e.repl) {
      if (selected.has(e.id)) problems.stale.push({ entry: e, why: `the code changed: now \`${m.orig}\` -> \`${m.repl}\`` });
    }
  }
  const staleIds = new Set(problems.stale.map((s) => s.entry.id));
  const judged = run.mutants.map((m): Judged => {
    const t = byId.get(m.id);
    const entry = t && !staleIds.has(t.id) ? t : undefined;
    const killed = m.outcome === 'killed' || m.outcome === 'crashed';
    if (entry && !FITS[entry.status].includes(m.outcome)) {
      const by = m.attempts[m.attempts.length - 1];
      problems.wrong.push({ entry, why: killed ? `killed in ${by?.target} by ${by?.by ?? by?.message}: remove the entry` : `outcome is ${m.outcome}, the entry says ${entry.status}` });
    }
    if (!entry && !killed) problems.untriaged.push(m);
    let final: Final;
    if (killed) final = 'killed';
    else if (entry?.status === 'equivalent') final = 'equivalent';
    else if (entry?.status === 'not-reached' && m.outcome === 'not-reached') final = 'unreachable';
    else final = m.outcome === 'timeout' ? 'timeout' : m.outcome === 'not-reached' ? 'not-reached' : 'survived';
    return { mutant: m, final, crashed: m.outcome === 'crashed', ...(entry ? { triage: entry } : {}) };
  });
  return { judged, problems };
}

export interface ScoreRow {
  area: string;
  mutants: number;
  killed: number;
  /** Of the killed: by a crash of the mutated code rather than a property or a disagreement. */
  crashed: number;
  equivalent: number;
  survived: number;
  timeout: number;
  /** Not reached by any target: untriaged (they count as surviving) and triaged unreachable (left out). */
  notReached: number;
  unreachable: number;
  /** killed / (mutants - equivalent - unreachable), or null when nothing is left to score. */
  score: number | null;
}

export function scores(judged: readonly Judged[], kind: MutantKind): ScoreRow[] {
  const rows = new Map<string, ScoreRow>();
  const row = (area: string) => {
    let r = rows.get(area);
    if (!r) rows.set(area, (r = { area, mutants: 0, killed: 0, crashed: 0, equivalent: 0, survived: 0, timeout: 0, notReached: 0, unreachable: 0, score: null }));
    return r;
  };
  const mine = judged.filter((j) => j.mutant.kind === kind);
  for (const j of mine) {
    for (const r of [row(j.mutant.area), row('all')]) {
      r.mutants++;
      if (j.final === 'killed') r.killed++;
      if (j.crashed) r.crashed++;
      if (j.final === 'equivalent') r.equivalent++;
      if (j.final === 'survived') r.survived++;
      if (j.final === 'timeout') r.timeout++;
      if (j.final === 'not-reached') r.notReached++;
      if (j.final === 'unreachable') r.unreachable++;
    }
  }
  const out = [...rows.values()].sort((a, b) => (a.area === 'all' ? 1 : b.area === 'all' ? -1 : a.area < b.area ? -1 : 1));
  for (const r of out) {
    const base = r.mutants - r.equivalent - r.unreachable;
    r.score = base > 0 ? r.killed / base : null;
  }
  return out;
}
