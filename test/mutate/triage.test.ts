// The triage file and how a run is judged against it: malformed files are refused in one line,
// stale entries (a rewritten function) are recognised, a triaged mutant that is killed and a
// survivor that is not triaged are both problems, and the scores count what they say.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRIAGE, UNREVIEWED } from '../../src/commands/mutate.ts';
import type { Mutant } from '../../src/mutate/instrument.ts';
import { type MutantResult, type Outcome, type RunResult } from '../../src/mutate/run.ts';
import { judge, loadTriage, parseTriage, scores, serializeTriage, TriageError, type TriageEntry } from '../../src/mutate/triage.ts';

const mutant = (id: string, outcome: Outcome, over: Partial<Mutant> = {}): MutantResult => ({
  id, kind: 'machine', area: 'gisa', file: id.split(':')[0]!, fn: 'f', op: 'delete', ordinal: 0, line: 1, orig: `orig ${id}`, repl: 'repl', diff: '',
  outcome, attempts: outcome === 'not-reached' ? [] : [{ target: 't/upstream/c', status: outcome === 'timeout' ? 'timeout' : outcome, millis: 1, ...(outcome === 'killed' ? { by: 'SomeInvariant' } : {}) }],
  ...over,
});
const run = (mutants: MutantResult[], options: RunResult['options'] = {}): RunResult => ({
  schemaVersion: 1, date: '', commit: '', options, machineInfo: { cores: 2, jobs: 2, loadBefore: [], loadAfter: [] },
  millis: { total: 0, instrument: 0, baseline: 0, mutants: 0 }, workerRestarts: 0, baselines: [], mutants,
});
const entry = (id: string, status: TriageEntry['status'], orig = `orig ${id}`): TriageEntry => ({ id, status, orig, repl: 'repl', reason: 'because' });

describe('the triage file format', () => {
  it.each([
    [{}, /expected \{ "schemaVersion": 1/],
    [{ schemaVersion: 1, entries: [{ id: 'a', status: 'maybe', orig: '', repl: '', reason: 'r' }] }, /status must be one of/],
    [{ schemaVersion: 1, entries: [{ id: 'a', status: 'survivor', orig: '', repl: '', reason: ' ' }] }, /give a one-line reason/],
    [{ schemaVersion: 1, entries: [{ id: 'a', status: 'survivor', orig: '', repl: '' }] }, /'reason' must be a string/],
    [{ schemaVersion: 1, entries: [entry('a', 'survivor'), entry('a', 'equivalent')] }, /listed twice/],
  ])('%j is refused: %s', (raw, message) => {
    expect(() => parseTriage(raw)).toThrow(TriageError);
    expect(() => parseTriage(raw)).toThrow(message);
  });

  it('serialises one entry a line, sorted by id, and reads back the same', () => {
    const es = [entry('b:x:delete#0', 'survivor'), entry('a:y:negate#1', 'equivalent')];
    const text = serializeTriage(es);
    expect(text.split('\n').filter((l) => l.startsWith('    {')).map((l) => JSON.parse(l.replace(/,$/, '')).id)).toEqual(['a:y:negate#1', 'b:x:delete#0']);
    expect(parseTriage(JSON.parse(text))).toEqual([...es].reverse());
  });
});

describe('judging a run against the triage', () => {
  const all: Mutant[] = ['f.ts:a', 'f.ts:b', 'f.ts:c', 'f.ts:d', 'f.ts:e', 'f.ts:g'].map((id) => mutant(id, 'survived'));
  const r = run([mutant('f.ts:a', 'killed'), mutant('f.ts:b', 'survived'), mutant('f.ts:c', 'killed'), mutant('f.ts:d', 'survived'), mutant('f.ts:e', 'not-reached'), mutant('f.ts:g', 'crashed')]);
  const entries = [entry('f.ts:b', 'equivalent'), entry('f.ts:c', 'survivor'), entry('f.ts:e', 'not-reached'), entry('f.ts:gone', 'survivor'), entry('f.ts:d', 'survivor', 'old text')];
  const { judged, problems } = judge(r, entries, all);

  it('a killed triaged mutant is wrong, an untriaged survivor is reported, stale entries are named', () => {
    expect(problems.wrong.map((w) => [w.entry.id, w.why])).toEqual([['f.ts:c', 'killed in t/upstream/c by SomeInvariant: remove the entry']]);
    expect(problems.untriaged.map((m) => m.id)).toEqual(['f.ts:d']); // its entry is stale, so it is untriaged
    expect(problems.stale.map((s) => s.entry.id)).toEqual(['f.ts:gone', 'f.ts:d']);
    expect(problems.stale[1]!.why).toMatch(/the code changed: now `orig f.ts:d`/);
  });

  it('finals and scores: equivalent and triaged unreachable leave the denominator, crashes count as killed', () => {
    expect(judged.map((j) => j.final)).toEqual(['killed', 'equivalent', 'killed', 'survived', 'unreachable', 'killed']);
    const [gisa] = scores(judged, 'machine');
    expect(gisa).toMatchObject({ area: 'gisa', mutants: 6, killed: 3, crashed: 1, equivalent: 1, survived: 1, unreachable: 1, notReached: 0 });
    expect(gisa!.score).toBe(3 / 4);
  });

  it('a partial run leaves entries of files it did not select alone', () => {
    const partial = run([mutant('f.ts:a', 'killed')], { area: 'gisa' });
    expect(judge(partial, [entry('other.ts:x', 'survivor')], all).problems.stale).toEqual([]);
    expect(judge(partial, [entry('f.ts:gone', 'survivor')], all).problems.stale.map((s) => s.entry.id)).toEqual(['f.ts:gone']);
  });
});

describe('mutation/triage.json', () => {
  const entries = loadTriage(DEFAULT_TRIAGE);
  it('is well formed, sorted as --write-triage writes it, and every reason was written by a person', () => {
    expect(entries.length).toBeGreaterThan(0);
    expect(readFileSync(DEFAULT_TRIAGE, 'utf8')).toBe(serializeTriage(entries));
    expect(entries.filter((e) => e.reason.startsWith(UNREVIEWED)).map((e) => e.id)).toEqual([]);
  });
});
