import { describe, expect, it } from 'vitest';
import { chartOf } from '../../src/export/chart.ts';
import { counterexampleFiles, renderPage, transitionCoverage } from '../../src/export/page.ts';
import { laneOf, lanesOf, traceToMermaid, traceToSvg } from '../../src/export/sequence.ts';
import { fixtureReport, fixtureResults } from './fixture.ts';
import { parseResults } from '../../src/export/results.ts';
import { toyCounterSpec, toyQueueSpec, toySpecs } from './toys.ts';

const aqic = fixtureResults()[1]!.results[1]!;

describe('counterexamples as pictures', () => {
  it('a Mermaid sequenceDiagram with one lane per actor, vfio_ap kernel events in their own lane', () => {
    const info = toyQueueSpec.model().eventInfo;
    expect(laneOf(aqic.trace![2]!, info)).toBe('vfio_ap');
    expect(laneOf(aqic.trace![1]!, info)).toBe('kernel');
    expect(traceToMermaid(aqic.trace!, [], info)).toBe(
      [
        'sequenceDiagram',
        '  participant guest',
        '  participant kernel',
        '  participant vfio_ap',
        '  Note over guest: 1. PQAP_AQIC ir=1',
        '  Note over kernel: 2. kvm_s390_gisa_destroy',
        '  Note over vfio_ap: 3. vfio_ap_irq_disable',
        '',
      ].join('\n'),
    );
  });

  it('a liveness cycle is a loop block, and lanes follow guest, userspace, kernel, ..., timer', () => {
    const live = fixtureResults()[2]!.results[0]!;
    expect(lanesOf([...live.trace!, ...live.cycle!])).toEqual(['kernel', 'timer']);
    expect(traceToMermaid(live.trace!, live.cycle!)).toContain('  loop cycle: repeats forever\n    Note over kernel: 2. INC\n    Note over kernel: 3. INC\n  end\n');
    const svg = traceToSvg(live.trace!, live.cycle!);
    expect(svg.match(/<g class="step cycle"/g)?.length).toBe(2);
    expect(svg.match(/<g class="lane"/g)?.length).toBe(2);
  });
});

describe('coverage', () => {
  it('counts the transition definitions exploration takes: all 7 of the queue, 2 of 3 of the counter', () => {
    const q = toyQueueSpec.model();
    const qc = transitionCoverage(q, chartOf(q.machine, 'toy_queue'));
    expect([qc.covered.size, qc.total]).toEqual([7, 7]);
    const c = toyCounterSpec.model();
    const cc = transitionCoverage(c, chartOf(c.machine, 'toy_counter'));
    // `broken` is unreachable: its FIX transition is never taken and its node never active
    expect([cc.covered.size, cc.total]).toEqual([2, 3]);
    expect([...cc.visitedNodes].sort()).toEqual(['toy_counter', 'toy_counter.off', 'toy_counter.on']);
  });
});

describe('counterexample files', () => {
  it('one Mermaid sequenceDiagram per violated property with a trace', () => {
    const files = counterexampleFiles(toySpecs, fixtureResults());
    expect(files.map((f) => f.path)).toEqual([
      'counterexamples/toy_queue/aqic-v4.default.GisaDestroyAfterAqicDisable.mmd',
      'counterexamples/toy_counter/baseline.default.CounterReachesTwo.mmd',
    ]);
    expect(files[0]!.content).toMatch(/^%% toy_queue aqic-v4 default: GisaDestroyAfterAqicDisable \(invariant\) violated\nsequenceDiagram\n/);
    expect(files[0]!.content).toContain('  Note over vfio_ap: 3. vfio_ap_irq_disable\n');
  });
});

describe('variants table', () => {
  it('takes each check\'s expectation from its results: a configuration without the property expects nothing', async () => {
    const noGisa = { machine: 'toy_queue', variant: 'aqic-v4', configuration: 'no-gisa', states: 3, transitions: 2, depth: 1, millis: 0, limitReached: false,
      results: [{ property: 'TypeOK', kind: 'invariant' as const, holds: true, expected: true, trace: [] }] };
    const html = await renderPage([toyQueueSpec], [noGisa], { coverageMaxStates: 10 });
    expect(html).toMatch(/<tr data-variant="aqic-v4">.*<td><code>no-gisa<\/code><\/td><td>none<\/td><td>none<\/td><td><span class="ok">match<\/span>/);
  });

  it('says when a check counted orbits (symmetry reduction) and whether the group is exact', async () => {
    const reduced = { machine: 'toy_queue', variant: 'aqic-v4', configuration: 'no-gisa', states: 3, transitions: 2, depth: 1, millis: 0, limitReached: false,
      results: [], symmetry: [{ group: 'queues 0,1', exact: true }, { group: 'vcpus 0,1 of vm0', exact: false }] };
    const html = await renderPage([toyQueueSpec], [reduced], { coverageMaxStates: 10 });
    expect(html).toContain('complete, one state per orbit of queues 0,1 (exact); vcpus 0,1 of vm0 (approximate)</td>');
    const { symmetry: _, ...unreduced } = reduced;
    const plain = await renderPage([toyQueueSpec], [unreduced], { coverageMaxStates: 10 });
    expect(plain).not.toContain('one state per orbit');
  });
});

describe('results.json', () => {
  it('is read as the checker\'s report object or as a bare array, and rejected with a reason otherwise', () => {
    expect(parseResults(fixtureReport())).toEqual(fixtureResults());
    expect(parseResults(fixtureResults())).toEqual(fixtureResults());
    expect(() => parseResults({ checks: [{ machine: 'x' }] })).toThrow('check 0 lacks machine, variant or results');
    expect(() => parseResults('nope')).toThrow(/^expected a JSON array of checks/);
  });
});

describe('the review page', () => {
  it('is one self-contained file: inline SVG per machine, no script, no external resource', async () => {
    const html = await renderPage(toySpecs, fixtureResults());
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href="http/i);
    expect(html.match(/<figure class="diagram"[^>]*>\s*<svg/g)?.length).toBe(2);
    expect(html).toContain('2 of 3 transition definitions (66.7%)');
    // the variants table: aqic-v4 expected and found the same violation
    expect(html).toMatch(/<tr data-variant="baseline">.*<td>none<\/td><td>none<\/td><td><span class="ok">match<\/span>/);
    // the counter's liveness result is a failure nobody expected: flagged
    expect(html).toContain('<span class="bad">NOT as expected</span>');
    // a property the exploration could not decide is neither a match nor a mismatch
    expect(html).toContain('<span class="muted">not decided</span> (not decided: explored 14 states, limit reached)');
    expect(html).toMatch(/<tr data-variant="aqic-v4">.*<span class="muted">\(not decided: NoLostWakeup\)<\/span><\/td><td><span class="muted">undecided<\/span>/);
    // what each step changed, from the checker's `after`
    expect(html).toContain('<code>kvm_s390_gisa_destroy</code> <span class="after">→ state.gisa = destroyed</span>');
    const cx = html.slice(html.indexOf('data-variant="aqic-v4" data-configuration'));
    expect(cx.indexOf('data-event="kvm_s390_gisa_destroy"')).toBeLessThan(cx.indexOf('data-event="vfio_ap_irq_disable"'));
  });
});
