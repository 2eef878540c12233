// The mutation report: the two score tables, the survivors with their diffs and where they
// ran, and the triage problems; as text (the command), Markdown (the README) and the JSON
// document `mutate --out` writes and the review page reads.
import type { Attempt, MutantResult, RunResult } from './run.ts';
import { scores, type Judged, type ScoreRow, type TriageProblems } from './triage.ts';

export const SCORE_TITLES = {
  property: 'Property strength: machine mutants a `check` finds (a property the baseline holds is violated)',
  paths: 'Path-test power: transcription mutants the generated path tests find (the SUT disagrees with the machine)',
} as const;

/** A mutant in the report: what it is and what happened to it (survivors carry their diff in `survivors`). */
export interface ReportedMutant {
  id: string;
  kind: 'machine' | 'sut';
  area: string;
  op: string;
  line: number;
  outcome: MutantResult['outcome'];
  /** Where it ran, smallest target first; the last attempt decided. */
  attempts: Attempt[];
}

/** The JSON document of a run: the raw results, the scores after triage, the triage problems. */
export interface MutationReport extends Omit<RunResult, 'mutants'> {
  mutants: ReportedMutant[];
  scores: { property: ScoreRow[]; paths: ScoreRow[] };
  /** Every mutant not killed, after triage, with its diff and where it ran. */
  survivors: Survivor[];
  triageProblems: { stale: { id: string; why: string }[]; wrong: { id: string; why: string }[]; untriaged: string[] };
}

export interface Survivor {
  id: string;
  kind: 'machine' | 'sut';
  area: string;
  final: Judged['final'];
  line: number;
  orig: string;
  repl: string;
  diff: string;
  /** The targets it ran on (empty: not reached). */
  ranIn: Attempt[];
  triage?: { status: string; reason: string };
}

export function buildReport(run: RunResult, judged: readonly Judged[], problems: TriageProblems): MutationReport {
  return {
    ...run,
    mutants: run.mutants.map((m) => ({ id: m.id, kind: m.kind, area: m.area, op: m.op, line: m.line, outcome: m.outcome, attempts: m.attempts })),
    scores: { property: scores(judged, 'machine'), paths: scores(judged, 'sut') },
    survivors: judged
      .filter((j) => j.final !== 'killed')
      .map((j) => ({
        id: j.mutant.id, kind: j.mutant.kind, area: j.mutant.area, final: j.final, line: j.mutant.line, orig: j.mutant.orig, repl: j.mutant.repl, diff: j.mutant.diff, ranIn: j.mutant.attempts,
        ...(j.triage ? { triage: { status: j.triage.status, reason: j.triage.reason } } : {}),
      })),
    triageProblems: {
      stale: problems.stale.map((s) => ({ id: s.entry.id, why: s.why })),
      wrong: problems.wrong.map((s) => ({ id: s.entry.id, why: s.why })),
      untriaged: problems.untriaged.map((m) => m.id),
    },
  };
}

/** The report as a file: indented, but one line per mutant and per survivor, so a rerun's diff reads per mutant. */
export function serializeReport(r: MutationReport): string {
  const { mutants, survivors, ...rest } = r;
  const head = JSON.stringify(rest, null, 1).replace(/\n}$/, '');
  const list = (xs: readonly unknown[]) => (xs.length ? `[\n${xs.map((x) => '  ' + JSON.stringify(x)).join(',\n')}\n ]` : '[]');
  return `${head},\n "mutants": ${list(mutants)},\n "survivors": ${list(survivors)}\n}\n`;
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const COLUMNS: [string, (r: ScoreRow) => string][] = [
  ['area', (r) => r.area],
  ['mutants', (r) => String(r.mutants)],
  ['killed', (r) => String(r.killed)],
  ['(crashed)', (r) => String(r.crashed)],
  ['equivalent', (r) => String(r.equivalent)],
  ['survived', (r) => String(r.survived)],
  ['timeout', (r) => String(r.timeout)],
  ['not reached', (r) => (r.unreachable ? `${r.notReached}+${r.unreachable}` : String(r.notReached))],
  ['score', (r) => pct(r.score)],
];

export function textTable(rows: readonly ScoreRow[]): string {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const w = COLUMNS.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ')).join('\n');
}

export function markdownTable(rows: readonly ScoreRow[]): string {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const sep = `|${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  return [head, sep, ...rows.map((r) => `| ${COLUMNS.map(([, f]) => (f(r) === 'all' ? '**all**' : f(r))).join(' | ')} |`)].join('\n');
}

export function where(s: Survivor): string {
  if (!s.ranIn.length) return 'not reached by any configuration or suite';
  return s.ranIn.map((a) => `${a.target} (${a.status}${a.message ? `: ${a.message}` : ''})`).join(', ');
}

/** The command's text output. `diffs`: every survivor with its diff, or only the untriaged ones. */
export function textReport(r: MutationReport, opts: { diffs: 'all' | 'untriaged' | 'none' }): string {
  const out: string[] = [];
  const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
  out.push(`mutation analysis of ${r.commit}, ${r.date.slice(0, 16).replace('T', ' ')} UTC: ${r.mutants.length} mutants in ${minutes(r.millis.total)} on ${r.machineInfo.jobs} worker(s), ${r.machineInfo.cores} cores, load average ${r.machineInfo.loadBefore[0]} before, ${r.machineInfo.loadAfter[0]} after`);
  for (const [k, title] of Object.entries(SCORE_TITLES) as [keyof typeof SCORE_TITLES, string][]) {
    const rows = r.scores[k];
    if (!rows.length) continue;
    out.push('', title, textTable(rows));
  }
  out.push('', 'not reached: untriaged (count as surviving)+triaged unreachable (left out of the score); score: killed / (mutants - equivalent - triaged unreachable)');
  const untriaged = new Set(r.triageProblems.untriaged);
  const shown = r.survivors.filter((s) => s.final !== 'equivalent' && s.final !== 'unreachable');
  if (shown.length) {
    out.push('', `Survivors (${shown.length}; equivalent and unreachable ones are in the JSON):`);
    for (const s of shown) {
      const tag = untriaged.has(s.id) ? 'UNTRIAGED' : `${s.triage!.status}: ${s.triage!.reason}`;
      out.push(`  ${s.id}  [${s.final}]  ${tag}`, `      ran in: ${where(s)}`);
      if (opts.diffs === 'all' || (opts.diffs === 'untriaged' && untriaged.has(s.id))) out.push(s.diff.replace(/^/gm, '      '));
    }
  }
  const p = r.triageProblems;
  if (p.stale.length || p.wrong.length || p.untriaged.length) {
    out.push('', `Triage problems (mutation/triage.json; see README, "Mutation analysis"):`);
    for (const s of p.stale) out.push(`  stale: ${s.id}: ${s.why}`);
    for (const s of p.wrong) out.push(`  wrong: ${s.id}: ${s.why}`);
    if (p.untriaged.length) out.push(`  untriaged: ${p.untriaged.length} mutants neither killed nor triaged (listed above as UNTRIAGED)`);
  } else out.push('', 'Triage: every mutant not killed is triaged, and no triaged one was killed.');
  return out.join('\n') + '\n';
}
