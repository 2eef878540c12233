// The review page's mutation section: both score tables and every mutant not killed, from the
// report `npm run mutate` writes; the page is left as it is when there is no report.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMutationSection, withMutationSection } from '../../src/export/mutation.ts';
import { buildReport, serializeReport } from '../../src/mutate/report.ts';
import type { MutantResult, RunResult } from '../../src/mutate/run.ts';
import { judge } from '../../src/mutate/triage.ts';

const m = (id: string, kind: 'machine' | 'sut', outcome: MutantResult['outcome']): MutantResult => ({
  id, kind, area: 'gisa', file: id.split(':')[0]!, fn: 'f', op: 'delete', ordinal: 0, line: 3, orig: 'k.gisa.timer = false;', repl: '(nothing)',
  diff: '@@ x.ts:3\n-   k.gisa.timer = false;\n+   ', outcome, attempts: outcome === 'not-reached' ? [] : [{ target: 'kvm_s390_gisa_interrupt/upstream/one-isc', status: outcome, millis: 5 }],
});
const run: RunResult = {
  schemaVersion: 1, date: '2026-12-04T12:00:00.000Z', commit: 'abc123', options: {}, machineInfo: { cores: 2, jobs: 2, loadBefore: [1], loadAfter: [1] },
  millis: { total: 1, instrument: 1, baseline: 1, mutants: 1 }, workerRestarts: 0, baselines: [],
  mutants: [m('a.ts:f:delete#0', 'machine', 'killed'), m('a.ts:f:delete#1', 'machine', 'survived'), m('b.ts:g:delete#0', 'sut', 'killed'), m('b.ts:g:delete#1', 'sut', 'not-reached')],
};
const { judged, problems } = judge(run, [{ id: 'a.ts:f:delete#1', status: 'survivor', orig: 'k.gisa.timer = false;', repl: '(nothing)', reason: 'no property reads the timer after destroy' }], run.mutants);
const report = buildReport(run, judged, problems);

describe('the report file', () => {
  it('reads back as the report, with one line per mutant and per survivor', () => {
    const text = serializeReport(report);
    expect(JSON.parse(text)).toEqual(report);
    expect(text.split('\n').filter((l) => l.startsWith('  {"id":')).length).toBe(report.mutants.length + report.survivors.length);
  });
});

describe('the mutation section of the review page', () => {
  const html = renderMutationSection(report);
  it('shows both tables with their scores', () => {
    expect(html).toMatch(/<tr class="total" data-area="all"><td>all<\/td><td>2<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>50\.0%<\/td><\/tr>/);
    expect(html).toMatch(/<tr class="total" data-area="all"><td>all<\/td><td>2<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>0<\/td><td>0<\/td><td>1<\/td><td>50\.0%<\/td><\/tr>/);
  });
  it('lists every mutant not killed with its triage, where it ran and its diff; killed ones not at all', () => {
    expect(html).toContain('<code>a.ts:f:delete#1</code> <span class="muted">survived: no property reads the timer after destroy</span>');
    expect(html).toContain('ran in: kvm_s390_gisa_interrupt/upstream/one-isc (survived)');
    expect(html).toContain('-   k.gisa.timer = false;');
    expect(html).toContain('<code>b.ts:g:delete#1</code> <span class="bad">not-reached (untriaged)</span>');
    expect(html).not.toContain('a.ts:f:delete#0');
  });
  it('goes before </body>, and a page without a report file is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mutation-page-'));
    const file = join(dir, 'results.json');
    writeFileSync(file, JSON.stringify(report));
    const page = '<html><body><p>page</p></body></html>';
    expect(await withMutationSection(page, file)).toBe(`<html><body><p>page</p>${html}\n</body></html>`);
    expect(await withMutationSection(page, join(dir, 'none.json'))).toBe(page);
  });
});
