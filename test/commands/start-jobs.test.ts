// npm start on worker threads (src/start.ts, check --jobs with the page's coverage handed over):
// the workers measure each design's coverage from its check's graph, and it is the coverage the
// page measures itself, and compute each counterexample's violation mark as the page would; the
// designs whose check reduces the graph are the ones left to the pool.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { main } from '../../src/cli.ts';
import { plan, reducedDesigns } from '../../src/commands/check.ts';
import { reductions } from '../../src/check/check.ts';
import { run } from '../../src/commands/pool-worker.ts';
import type { CheckWithCoverage } from '../../src/commands/pool.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { designCoverage, designKey, markKey, markOf, pageDesigns, type DesignCoverage } from '../../src/export/page.ts';
import { isCounterexample, parseResults } from '../../src/export/results.ts';
import type { SequenceMark } from '../../src/export/sequence.ts';
import { pick } from '../../src/spec.ts';

const comparable = (c: DesignCoverage) => ({ ...c, nodes: [...c.nodes].sort() });
const GISA = 'kvm_s390_gisa_interrupt';

describe('npm start: the page coverage from the check workers', () => {
  it("is the page's own coverage of every design (kvm_vcpu: a check per variant, none reduced), and the workers' violation marks are the page's own", async () => {
    const pageCoverage = new Map<string, DesignCoverage>();
    const pageMarks = new Map<string, SequenceMark>();
    let out = '';
    const io = { out: (s: string) => void (out += s), err: () => {}, errIsTTY: false };
    const dir = mkdtempSync(join(tmpdir(), 'start-jobs-'));
    expect(await main(['check', '--machine', 'kvm_vcpu', '--jobs', '2', '--report', dir], io, { pageCoverage, pageMarks })).toBe(0);
    // every counterexample's mark, as the page computes it from results.json in its own thread
    const results = parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    rmSync(dir, { recursive: true, force: true });
    const expected = new Map(results.flatMap((r) => r.results.flatMap((p, i) => (isCounterexample(p) ? [[markKey(r, i), markOf(specs.find((s) => s.id === r.machine), r, p)] as const] : []))));
    // kvm_vcpu's planted bugs give counterexamples (machines/vcpu/README.md)
    expect(expected.size).toBeGreaterThan(0);
    expect(new Map([...pageMarks].sort())).toEqual(new Map([...expected].sort()));
    const spec = pick('machine', 'test', specs, 'kvm_vcpu');
    const designs = pageDesigns(specs).filter((d) => d.machine === 'kvm_vcpu');
    // one coverage per variant (4, machines/vcpu), each measured by a worker from its check's graph
    expect(designs.length).toBe(spec.variants.length);
    expect([...pageCoverage.keys()].sort()).toEqual(designs.map((d) => designKey(d.machine, d.variant)).sort());
    for (const d of designs) expect(comparable(pageCoverage.get(designKey(d.machine, d.variant))!), d.variant).toEqual(comparable(designCoverage(spec.model(d.variant, d.configuration), undefined)));
    expect(out).toMatch(new RegExp(`${designs.length} checks: every result matches its expectation\\n$`));
  });

  it("explores a design again in the check's worker where the check reduces it (a POR-by-default GISA design), and it is the page's own coverage", async () => {
    const variant = 'reset-under-kvm-lock';
    // the worker's job, run in this thread (a worker would load every source again through tsx: seconds)
    const got = (await run({ kind: 'check', flags: { machine: GISA, variant }, job: 0, maxStates: 1_000_000, coverage: true })) as CheckWithCoverage;
    expect(got.result.results.every((p) => p.holds === p.expected)).toBe(true);
    const spec = pick('machine', 'test', specs, GISA);
    const [design] = pageDesigns(specs).filter((d) => d.machine === GISA && d.variant === variant);
    const model = spec.model(variant, design!.configuration);
    // its check is POR-reduced, so its graph is not the page's (fullGraph): the coverage came from the worker's second exploration
    expect(reductions(model, {}).por).toBe(true);
    expect(got.result.por?.reduced).toBe(true);
    expect(comparable({ ...got.coverage!, nodes: new Set(got.coverage!.nodes) })).toEqual(comparable(designCoverage(model, undefined)));
  });

  it('leaves to the pool exactly the designs whose check is partial-order or symmetry reduced', async () => {
    const spec = pick('machine', 'test', specs, GISA);
    // the fine-grained kicker configurations opt in to POR (as test/commands/start.test.ts counts them)
    const por = pageDesigns(specs).filter((d) => d.machine === GISA && spec.model(d.variant, d.configuration).por?.byDefault);
    expect(por.length).toBeGreaterThan(3);
    expect(reducedDesigns(await plan({ machine: GISA }, { typeCheck: false }))).toEqual(por);
    expect(reducedDesigns(await plan({ machine: 'kvm_vcpu' }, { typeCheck: false }))).toEqual([]);
  });
});
