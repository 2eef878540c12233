import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartOf } from '../../src/export/chart.ts';
import { checkPageDestination, counterexampleFiles, designCoverage, GENERATOR_META, markOf, renderPage } from '../../src/export/page.ts';
import { objectOf, parseConfiguration, readsOf } from '../../src/export/violation.ts';
import { checkModel } from '../../src/check/check.ts';
import { toySpec } from '../fixtures/toy-spec.ts';
import { specs } from '../../machines/index.ts';
import { esc, laneOf, lanesOf, traceToMermaid, traceToSvg } from '../../src/export/sequence.ts';
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

describe('coverage per design', () => {
  it('as the path tests measure it: every state and transition of the graph, and the definitions taken', () => {
    const q = toyQueueSpec.model();
    const qc = designCoverage(q, chartOf(q.machine, 'toy_queue'), undefined, true);
    expect([qc.definitions!.size, qc.ownTaken, qc.ownTotal]).toEqual([7, 7, 7]);
    const c = toyCounterSpec.model();
    const cc = designCoverage(c, chartOf(c.machine, 'toy_counter'), undefined, true);
    // off -GO-> on(n=0) -INC-> on(1) -INC-> on(2): 4 states, 3 transitions, one path takes them all
    expect([cc.states, cc.transitions, cc.paths, cc.statesCovered, cc.transitionsCovered]).toEqual([4, 3, 1, 4, 3]);
    // `broken` is unreachable: its FIX definition is never taken and its node never active
    expect([cc.definitions!.size, cc.ownTotal]).toEqual([2, 3]);
    // not asked: not measured
    expect(designCoverage(c, chartOf(c.machine, 'toy_counter')).definitions).toBeUndefined();
    expect([...cc.nodes].sort()).toEqual(['toy_counter', 'toy_counter.off', 'toy_counter.on']);
  });
});

describe('definitions taken, raised events included', () => {
  it('counts the transitions of events raised inside a step (gisa_alert is only ever raised)', () => {
    const gisa = specs.find((x) => x.id === 'kvm_s390_gisa_interrupt')!;
    const m = gisa.model('upstream');
    const chart = chartOf(m.machine, gisa.id);
    expect(m.events.some((e) => e.type === 'gisa_alert')).toBe(false);
    const d = designCoverage(m, chart, undefined, true);
    expect(chart.transitions.filter((t) => t.event === 'gisa_alert' && d.definitions!.has(t.index)).length).toBeGreaterThan(0);
  });
});

describe('counterexample files', () => {
  it('one Mermaid sequenceDiagram per violated property with a trace', () => {
    const files = counterexampleFiles(toySpecs, fixtureResults());
    expect(files.map((f) => f.path)).toEqual([
      'toy_queue/aqic-v4.default.GisaDestroyAfterAqicDisable.mmd',
      'toy_counter/baseline.default.CounterReachesTwo.mmd',
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
    const html = await renderPage(toySpecs, fixtureResults(), { definitions: true });
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href="http/i);
    expect(html.match(/<figure class="diagram[^>]*>(?:<span class="zoom">[^]*?)?<div class="viewport"><svg/g)?.length).toBe(2);
    // coverage per design as the path tests measure it, and definitions by design
    expect(html).toContain('<tr data-design="baseline"><td><code>baseline</code></td><td><code>default</code></td><td>4</td><td>3</td><td>1</td><td><span class="ok">4 of 4</span></td><td><span class="ok">3 of 3</span></td><td>2 of 3</td></tr>');
    expect(html).toContain('taken by some design: <strong>2 of 3</strong>; taken by none: <code>FIX</code> from <code>toy_counter.broken</code> (#2).');
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

describe('ids', () => {
  it('every id on the page is unique: sections, charts (Graphviz ids), counterexamples', async () => {
    const twice = { ...fixtureResults()[1]!, configuration: 'default' };
    const html = await renderPage(toySpecs, [...fixtureResults(), twice]);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(40);
    expect(ids.filter((x, i) => ids.indexOf(x) !== i)).toEqual([]);
    // the sections are not named like the charts' own graph ids
    expect(ids).toContain('machine-toy_queue');
    expect(ids).toContain('toy_queue:statechart');
  });
});

describe('the violating state in the counterexample', () => {
  it('names the property, the object and the values it read there, after replaying the trace', async () => {
    const r = checkModel(toySpec.model('overflow'));
    const html = await renderPage([toySpec], [r]);
    // INC three times past the limit of 2: NotOverLimit reads n and limit
    expect(html).toContain('<g class="violation" data-property="NotOverLimit" data-step="3">');
    expect(html).toContain('✗ NotOverLimit violated after step 3</text>');
    expect(html).toContain('>context: n = 3, limit = 2</text>');
    expect(html).toMatch(/<g class="step violating" data-step="3" data-event="INC"/);
  });

  it('marks where a leadsTo\'s condition holds for good, for its object', async () => {
    const r = checkModel(toySpec.model('lossy'));
    const p = r.results.find((x) => x.property === 'PendingDelivered')!;
    const mark = markOf(toySpec, r, p);
    expect(mark.step).toBe(1);
    expect(mark.title).toBe('✗ PendingDelivered violated: its condition holds after step 1 and its goal never does afterwards');
    expect(mark.lines).toEqual(['state: irq = pending']);
  });

  it('falls back to what the steps set when the trace does not replay', () => {
    // the fixture's third step is not an event of the toy queue
    const r = fixtureResults()[1]!;
    const mark = markOf(toyQueueSpec, r, r.results[1]!);
    expect(mark.title).toBe('✗ GisaDestroyAfterAqicDisable violated after step 3 (values: what the steps set last)');
    expect(mark.lines).toEqual(['state: gisa = destroyed, queue = reset']);
  });

  it('reads a predicate\'s fields through a proxy, grouped by object', () => {
    const state = { value: { q0: 'enabled' }, context: { vms: [{ gisa: { origin: false, ref: [0, 1] }, vcpus: [{ idle: true }] }], queues: [{ irq: true, hwGisa: 0 }] } };
    const reads = readsOf(({ value, context }) => {
      const c = context as typeof state.context;
      return (value as { q0: string }).q0 === 'enabled' && c.vms.every((k) => k.gisa.origin || c.queues.every((q) => !q.irq) || k.gisa.ref[1] === 0 || k.vcpus[0]!.idle);
    }, state);
    expect(reads).toEqual([['state.q0', 'enabled'], ['ctx.vms.0.gisa.origin', false], ['ctx.queues.0.irq', true], ['ctx.vms.0.gisa.ref.1', 1], ['ctx.vms.0.vcpus.0.idle', true]]);
    expect(reads.map(([p]) => objectOf(p))).toEqual([['state', 'q0'], ['vms[0]', 'gisa.origin'], ['queues[0]', 'irq'], ['vms[0]', 'gisa.ref[1]'], ['vms[0].vcpus[0]', 'idle']]);
    expect(parseConfiguration('default[vcpus=1,iscs=[3,5]]')).toEqual({ base: 'default', params: { vcpus: 1, iscs: [3, 5] } });
  });
});

describe('the page in one pass (issue 11: npm start)', () => {
  it('esc gives what four replacements give, and the same string where there is nothing to escape', () => {
    // the escaping the page had, written out: & first, so an entity is not escaped twice
    const four = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    for (const s of ['', 'plain text', 'a<b>&"c"', '&amp;', '<<>>""&&', "it's x > 0 && y < 1", 'é → ✗ <ü>']) expect(esc(s)).toBe(four(s));
    expect(esc('&<>"')).toBe('&amp;&lt;&gt;&quot;');
  });

  it("finds the page's own mark beyond the first 64 KB, and refuses a folder and a foreign file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'page-dest-'));
    try {
      // a page of the package whose mark comes after 100,000 bytes: read in full, not refused
      const late = join(dir, 'late.html');
      writeFileSync(late, 'x'.repeat(100_000) + GENERATOR_META);
      expect(await checkPageDestination(late)).toEqual([]);
      const foreign = join(dir, 'foreign.html');
      writeFileSync(foreign, '<html>' + 'y'.repeat(100_000) + '</html>');
      await expect(checkPageDestination(foreign)).rejects.toThrow(/exists and is not a page s390-kvm-spec wrote/);
      mkdirSync(join(dir, 'folder.html'));
      await expect(checkPageDestination(join(dir, 'folder.html'))).rejects.toThrow(/is a folder; name the page file with --out/);
      expect(await checkPageDestination(join(dir, 'absent.html'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
