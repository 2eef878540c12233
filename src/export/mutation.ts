// The review page's mutation section, fed from the report `npm run mutate` writes
// (mutation/results.json): both score tables, then every mutant not killed with its diff and
// where it ran. A separate section spliced in before </body>, so the page's own renderer
// needs no change.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../check/variant-loader.ts';
import { SCORE_TITLES, where, type MutationReport } from '../mutate/report.ts';
import type { ScoreRow } from '../mutate/triage.ts';
import { esc } from './sequence.ts';

/** The report of the last full run, in the checkout this module is part of (its package root: npm start runs this module from .start/src/export). */
export const MUTATION_RESULTS = join(packageRoot, 'mutation', 'results.json');

/** Reads the report, or undefined when there is none (a checkout before the first run, an installed package). */
export async function readMutationReport(path: string): Promise<MutationReport | undefined> {
  try {
    const r = JSON.parse(await readFile(path, 'utf8')) as MutationReport;
    return r.schemaVersion === 1 && Array.isArray(r.survivors) && r.scores ? r : undefined;
  } catch {
    return undefined;
  }
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

function table(rows: readonly ScoreRow[]): string {
  const head = '<tr><th>area</th><th>mutants</th><th>killed</th><th>(crashed)</th><th>equivalent</th><th>survived</th><th>timeout</th><th>not reached</th><th>score</th></tr>';
  const body = rows
    .map((r) => `<tr${r.area === 'all' ? ' class="total"' : ''} data-area="${esc(r.area)}"><td>${esc(r.area)}</td><td>${r.mutants}</td><td>${r.killed}</td><td>${r.crashed}</td><td>${r.equivalent}</td><td>${r.survived}</td><td>${r.timeout}</td><td>${r.notReached}${r.unreachable ? `+${r.unreachable}` : ''}</td><td>${pct(r.score)}</td></tr>`)
    .join('\n');
  return `<table class="mutation-scores">${head}\n${body}</table>`;
}

export function renderMutationSection(r: MutationReport): string {
  const survivors = r.survivors
    .map(
      (s) => `<details class="mutant" data-id="${esc(s.id)}" data-final="${s.final}"><summary><code>${esc(s.id)}</code> <span class="${s.triage ? 'muted' : 'bad'}">${esc(s.final)}${s.triage ? `: ${esc(s.triage.reason)}` : ' (untriaged)'}</span></summary>
<p>ran in: ${esc(where(s))}</p><pre>${esc(s.diff)}</pre></details>`,
    )
    .join('\n');
  return `<section class="machine" id="mutation" data-generated-by="mutate">
<h2>Mutation analysis <small>${esc(r.commit)} · ${esc(r.date.slice(0, 10))} · ${r.mutants.length} mutants</small></h2>
<p>Mutants of the kernel functions the machines mirror and of the transcriptions in <code>src/sut/</code>: a deleted statement, two statements swapped, a condition negated, always or never taken, an operand of <code>&amp;&amp;</code>/<code>||</code> dropped, an early return, a constant or mask bit off by one, a bound off by one. Not reached: untriaged (they count as surviving) + triaged unreachable (left out). Score: killed / (mutants − equivalent − triaged unreachable). Produced by <code>npm run mutate</code>; the triage is <code>mutation/triage.json</code>.</p>
<h3>${esc(SCORE_TITLES.property)}</h3>
${table(r.scores.property)}
<h3>${esc(SCORE_TITLES.paths)}</h3>
${table(r.scores.paths)}
<h3>Mutants not killed (${r.survivors.length})</h3>
${survivors || '<p class="muted">None.</p>'}
</section>`;
}

/** The page with the mutation section added before </body> (unchanged when there is no report). */
export async function withMutationSection(html: string, resultsPath: string): Promise<string> {
  const r = await readMutationReport(resultsPath);
  if (!r) return html;
  const at = html.lastIndexOf('</body>');
  return at < 0 ? html + renderMutationSection(r) : html.slice(0, at) + renderMutationSection(r) + '\n' + html.slice(at);
}
