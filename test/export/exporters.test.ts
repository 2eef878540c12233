import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { chartOf, machineCounts } from '../../src/export/chart.ts';
import { countDot, guardLegend, toDot } from '../../src/export/dot.ts';
import { countMermaid, toMermaid } from '../../src/export/mermaid.ts';
import { renderSpec } from '../../src/export/files.ts';
import { toScxml } from '../../src/export/scxml.ts';
import { toStatelyJson } from '../../src/export/json.ts';
import { scxmlShape, machineShape } from './shape.ts';
import { toyCounterSpec, toyQueueSpec } from './toys.ts';

const queue = toyQueueSpec.model().machine;
const qChart = chartOf(queue, 'toy_queue');

describe('the machine walk', () => {
  it('counts the toy queue by hand: 10 state nodes (root included), 7 transition definitions', () => {
    // root, queue{reset, enabled{idle, busy}, removed}, gisa{alive, destroyed}
    expect(machineCounts(queue)).toEqual({ states: 10, transitions: 7 });
    expect(qChart.nodes.length).toBe(10);
    expect(qChart.transitions.length).toBe(7);
  });

  it('labels guards by name, with params, with a params function, and combinators', () => {
    const labels = qChart.transitions.map((t) => t.guard).filter(Boolean);
    expect(labels).toEqual(['irEquals(ir=1)', 'and(pinned, !stateIn(toy_queue.gisa.destroyed))', 'below(params)']);
    const conds = qChart.transitions.map((t) => t.cond).filter(Boolean);
    expect(conds).toContain('(pinned() && !(In("toy_queue.gisa.destroyed")))');
    expect(conds).toContain('irEquals({"ir":1})');
  });
});

describe('Mermaid', () => {
  const mmd = toMermaid(qChart);
  it('draws hierarchy, the two parallel regions, initial states and `event [guard]` labels', () => {
    expect(mmd.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(mmd).toMatch(/state "toy_queue" as toy_queue \{\n/);
    // the regions queue and gisa are separated by `--` inside the parallel root
    expect(mmd).toMatch(/\n {4}}\n {4}--\n {4}state "gisa" as toy_queue_gisa \{/);
    expect(mmd).toContain('[*] --> toy_queue_queue_reset');
    expect(mmd).toContain('[*] --> toy_queue_queue_enabled_idle');
    expect(mmd).toContain('toy_queue_queue_reset --> toy_queue_queue_enabled : PQAP_AQIC [irEquals(ir=1)]');
    expect(mmd).toContain('toy_queue_gisa_destroyed --> [*]');
    // braces would open a Mermaid block: params are written k=v, never as JSON
    expect(mmd.split('\n').filter((l) => l.includes(' : ')).join('\n')).not.toMatch(/[{};#"]| : .*:/);
  });
  it('reads back the machine counts', () => {
    expect(countMermaid(mmd)).toEqual(machineCounts(queue));
  });
  it('is deterministic', () => {
    expect(toMermaid(chartOf(toyQueueSpec.model().machine, 'toy_queue'))).toBe(mmd);
  });
});

describe('DOT and SVG', () => {
  it('draws compound states as clusters, the parallel root dashed, and renders to SVG offline', async () => {
    const dot = toDot(qChart);
    expect(dot).toContain('subgraph "cluster_toy_queue.queue.enabled" {');
    expect(dot).toMatch(/id="toy_queue:state:toy_queue", class="state parallel", label="toy_queue \(parallel\)", style="dashed,rounded"/);
    expect(countDot(dot, 'toy_queue')).toEqual({ states: 10, transitions: 7 });
    const [svg] = await renderSpec(toyQueueSpec, ['svg']);
    expect(svg!.content).toMatch(/<svg width="\d+pt" height="\d+pt"/);
    // Graphviz kept every state and transition id: nothing was dropped by the layout
    expect(countDot(svg!.content, 'toy_queue')).toEqual({ states: 10, transitions: 7 });
    const [again] = await renderSpec(toyQueueSpec, ['svg']);
    expect(again!.content).toBe(svg!.content);
  });
});

describe('DOT layout for review', () => {
  const dot = toDot(qChart);
  const ranks = new Map<string, number>();
  for (const m of dot.matchAll(/\{ rank=same; "rank:(\d+)"; ([^}]*) \}/g)) for (const n of m[2]!.matchAll(/"([^"]+)"/g)) ranks.set(n[1]!, Number(m[1]));

  it('labels transitions with their event and a guard reference, spelled out in the legend', () => {
    expect([...guardLegend(qChart)]).toEqual([['irEquals(ir=1)', 'g1'], ['and(pinned, !stateIn(toy_queue.gisa.destroyed))', 'g2'], ['below(params)', 'g3']]);
    const labels = [...dot.matchAll(/<FONT POINT-SIZE="9">([^<]*)<\/FONT>/g)].map((m) => m[1]);
    expect(labels.sort()).toEqual(['PIN [g3]', 'PQAP_AQIC', 'PQAP_AQIC [g1]', 'PQAP_AQIC [g2]', 'REMOVE', 'RESET', 'kvm_s390_gisa_destroy']);
    // the full guard is the row's tooltip
    expect(dot).toContain('TOOLTIP="PQAP_AQIC [and(pinned, !stateIn(toy_queue.gisa.destroyed))] (guest)"');
    // no Graphviz edge label at all: labels are nodes, which the layout keeps apart
    expect(dot).not.toMatch(/->[^\n]*\blabel=/);
  });

  it('draws a transition that stays in its state as a row of the state\'s box, not a self-loop', () => {
    const counter = toDot(chartOf(toyCounterSpec.model().machine, 'toy_counter'));
    expect(counter).toMatch(/"toy_counter\.on" \[id="toy_counter:state:toy_counter\.on", class="state atomic", label=<<TABLE[^\n]*<TD[^>]*>on<\/TD>[^\n]*ID="toy_counter:transition:1"[^\n]*INC \[g1\]/);
    expect(counter).not.toMatch(/"toy_counter\.on" -> "toy_counter\.on"/);
  });

  it('stacks the regions of a parallel state: every rank of gisa below every rank of queue', () => {
    const queue = [...ranks].filter(([n]) => n.startsWith('toy_queue.queue')).map(([, r]) => r);
    const gisa = [...ranks].filter(([n]) => n.startsWith('toy_queue.gisa')).map(([, r]) => r);
    expect(queue.length).toBeGreaterThan(5);
    expect(Math.min(...gisa)).toBeGreaterThan(Math.max(...queue));
    // and a transition's label sits between its source and its target
    const label = [...ranks.keys()].find((n) => n.startsWith('toy_queue.queue.reset:label:'))!;
    expect(ranks.get('toy_queue.queue.reset')!).toBeLessThan(ranks.get(label)!);
    expect(ranks.get(label)!).toBeLessThan(ranks.get('toy_queue.queue.enabled:anchor')!);
  });

  it('names the graph <machine>:statechart, so a page holding it can use the machine id', () => {
    expect(dot).toMatch(/graph \[id="toy_queue:statechart"/);
  });
});

describe('SCXML', () => {
  it('has <parallel>, <state initial>, <transition event cond target>, <datamodel> with the initial context', () => {
    const x = toScxml(qChart);
    expect(x).toContain('<parallel id="toy_queue"');
    expect(x).toContain('<state id="toy_queue.queue.enabled" initial="toy_queue.queue.enabled.idle"');
    expect(x).toContain('<transition event="PQAP_AQIC" cond="irEquals({&quot;ir&quot;:1})" target="toy_queue.queue.enabled"');
    expect(x).toContain('<data id="pins" expr="0"/>');
    expect(x).toContain('<final id="toy_queue.gisa.destroyed"/>');
  });
  it('round-trips: parsed back, the states and transitions are the machine\'s', () => {
    for (const spec of [toyQueueSpec, toyCounterSpec]) {
      const m = spec.model().machine;
      const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: () => true }).parse(toScxml(chartOf(m, spec.id)));
      expect(scxmlShape(parsed)).toEqual(machineShape(m));
    }
  });
});

describe('Stately JSON', () => {
  it('is the machine config with descriptions and meta, functions replaced by names, a context factory by its value', () => {
    const q = JSON.parse(toStatelyJson(queue, qChart));
    expect(q.description).toBe('A toy AP queue with a GISA beside it');
    expect(q.states.queue.states.reset.on.PQAP_AQIC).toEqual({ guard: { type: 'irEquals', params: { ir: 1 } }, target: 'enabled', meta: { actor: 'guest' } });
    expect(q.states.queue.states.enabled.on.PQAP_AQIC[0].guard).toBe('and(pinned, !stateIn(toy_queue.gisa.destroyed))');
    const cm = toyCounterSpec.model().machine;
    const c = JSON.parse(toStatelyJson(cm, chartOf(cm, 'toy_counter')));
    expect(c.context).toEqual({ n: 0 });
    expect(c.states.on.on.INC.actions).toBe('xstate.assign');
  });
});
