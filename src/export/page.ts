// The review page: one self-contained HTML file (inline CSS and SVG, no script, no font, no
// network) with, per machine, its statechart, states, transitions, coverage, the checker's
// results per property and variant, and every counterexample as a lane picture and a list.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AnyMachineSnapshot } from 'xstate';
import { explore, inertScope, type Exploration } from '../check/explore.ts';
import { edgeCoverCount } from '../paths/cover.ts';
import { variantConfigurations, type AbstractState, type EventInfo, type MachineSpec, type Model } from '../spec.ts';
import { chartOf, type Chart } from './chart.ts';
import { guardLegend, toDot } from './dot.ts';
import { isCounterexample, type CheckResult, type PropertyResult } from './results.ts';
import { esc, eventText, laneOf, traceToMermaid, traceToSvg, type SequenceMark } from './sequence.ts';
import { violationMark } from './violation.ts';
import { dotToSvg, inlineSvg } from './svg.ts';
import { ensureDir, type ExportFile } from './files.ts';
import { checkOurs, markerFiles, NotOursError, removeOurs, writeMarker } from './owned.ts';

export interface PageOptions {
  /** States explored per design to measure coverage (default 200000; beyond it the row says so). */
  coverageMaxStates?: number;
  /** Also find which transition definitions each design takes (every transition replayed through xstate: slower). */
  definitions?: boolean;
  title?: string;
  /** Each design's coverage computed beforehand (page --jobs: on worker threads), by machine and variant; the rest is computed here. */
  coverage?: ReadonlyMap<string, DesignCoverage>;
  /** Counterexamples' violation marks computed beforehand (npm start: by the check's workers, markOf of the same result), by markKey; the rest are computed here. */
  marks?: ReadonlyMap<string, SequenceMark>;
}

/** The key of a counterexample's mark in PageOptions.marks: its check and the property's index among the check's results. */
export const markKey = (r: CheckResult, index: number) => `${r.machine}/${r.variant}/${r.configuration}#${index}`;

/** The key of a design in PageOptions.coverage. */
export const designKey = (machine: string, variant: string) => `${machine}/${variant}`;

/** The designs the page measures: each variant of each machine, in its own (first) configuration. */
export function pageDesigns(specs: readonly MachineSpec[]): { machine: string; variant: string; configuration: string }[] {
  return specs.flatMap((spec) => spec.variants.map((v) => ({ machine: spec.id, variant: v.id, configuration: variantConfigurations(spec, v)[0]! })));
}

/**
 * Coverage of one design (a variant in its own configuration) as the path tests measure it
 * (src/paths/cover.ts, test/sut/*-paths.test.ts): the edge-covering paths generated from its
 * explored graph, and how many of the graph's states and transitions they take; the state
 * nodes some state has active; and, when asked, which of the statechart's transition
 * definitions (each entry of an `on` list) some transition of the graph takes, raised
 * events included.
 */
export interface DesignCoverage {
  variant: string;
  configuration: string;
  states: number;
  transitions: number;
  paths: number;
  statesCovered: number;
  transitionsCovered: number;
  limitReached: boolean;
  nodes: Set<string>;
  /** Definitions taken, as indices of the page's chart (the default design's), matched by source, event, guard and targets. */
  definitions?: Set<number>;
  /** Definitions of this design's own chart (variants may differ in their statechart), and how many it takes. */
  ownTotal?: number;
  ownTaken?: number;
}

const signature = (t: { source: string; event: string; guard?: string | undefined; targets: string[] }) => `${t.source}|${t.event}|${t.guard ?? ''}|${t.targets.join(',')}`;

/** States explored per design to measure its coverage, unless the page is told otherwise. */
export const COVERAGE_MAX_STATES = 200_000;

export function designCoverage(model: Model, chart: Chart | undefined, maxStates = COVERAGE_MAX_STATES, definitions = false): DesignCoverage {
  // the graph alone: no invariant is evaluated (the checker did that), a quarter of the time saved
  return coverageOf(model, explore({ ...model, invariants: [] }, { maxStates, symmetry: false, por: false }), chart, definitions);
}

/**
 * Whether a check's exploration is the graph designCoverage explores, edge for edge: no symmetry
 * quotient, not the POR explorer (even where it reduces nothing it stores the edges in another
 * order, so the edge cover differs in its number of paths), complete, and within the coverage's
 * state limit. Invariants do not prune: a violating state is expanded as any other.
 */
export function fullGraph(x: Exploration): boolean {
  return !x.symmetry && x.por === undefined && !x.limitReached && !x.stopped && x.states.length <= COVERAGE_MAX_STATES;
}

/** Whether a check's model is a design of the page: a variant of the machine in its own (first) configuration. */
export function isPageDesign(spec: MachineSpec, model: Model): boolean {
  const v = spec.variants.find((w) => w.id === model.variantId);
  return !!v && variantConfigurations(spec, v)[0] === model.configurationId;
}

/** The page's coverage of a design from its check's exploration: when the check was of the design (isPageDesign) and explored the page's graph (fullGraph); else undefined. */
export function coverageFromCheck(spec: MachineSpec, model: Model, x: Exploration): DesignCoverage | undefined {
  if (!isPageDesign(spec, model) || !fullGraph(x)) return undefined;
  return coverageOf(model, x, undefined);
}

/** Coverage of a design from its explored graph (fullGraph), e.g. the check's own exploration. */
export function coverageOf(model: Model, x: Exploration, chart: Chart | undefined, definitions = false): DesignCoverage {
  // one xstate snapshot per distinct state value, its context swapped in: resolveState is the cost
  const byValue = new Map<string, AnyMachineSnapshot>();
  const snapshot = (st: AbstractState<unknown>) => {
    const key = JSON.stringify(st.value);
    let base = byValue.get(key);
    if (!base) byValue.set(key, (base = model.machine.resolveState({ value: st.value, context: st.context } as never) as AnyMachineSnapshot));
    return base.context === st.context ? base : ({ ...base, context: st.context } as AnyMachineSnapshot);
  };
  const nodes = new Set<string>();
  // the explorer interns state values: a value object already seen is skipped without its JSON
  const seen = new Set<unknown>();
  for (const st of x.states) {
    if (seen.has(st.value)) continue;
    seen.add(st.value);
    if (byValue.has(JSON.stringify(st.value))) continue;
    for (const n of (snapshot(st) as unknown as { _nodes: { id: string }[] })._nodes) nodes.add(n.id);
  }
  // the page shows counts only: the paths counted, not built (edgeCoverCount); they take every
  // edge (edgeCoverPaths starts a path at each edge no earlier path took), so they cover each
  // edge and each edge's target, and the initial state
  const paths = edgeCoverCount(x);
  const stateSeen = new Uint8Array(x.states.length);
  const nEdges = x.edges.length / 3;
  stateSeen[0] = 1;
  let statesCovered = 1;
  for (let e = 0; e < nEdges; e++) {
    const to = x.edges[3 * e + 2]!;
    if (!stateSeen[to]) {
      stateSeen[to] = 1;
      statesCovered++;
    }
  }
  const transitionsCovered = nEdges;
  const out: DesignCoverage = {
    variant: model.variantId,
    configuration: model.configurationId,
    states: x.states.length,
    transitions: x.edges.length / 3,
    paths,
    statesCovered,
    transitionsCovered,
    limitReached: x.limitReached,
    nodes,
  };
  if (!definitions || !chart) return out;
  // every transition of the graph replayed through xstate; its inspection events name the
  // definitions of each microstep, those of raised events included
  const own = chartOf(model.machine, chart.machineId);
  const index = new Map<object, number>(own.transitions.map((t) => [t.definition, t.index]));
  const ownTaken = new Set<number>();
  const inert = inertScope(model.machine) as unknown as { system: object };
  const scope = {
    ...inert,
    system: Object.assign(Object.create(inert.system) as object, {
      _sendInspectionEvent: (e: { type: string; _transitions?: object[] }) => {
        if (e.type === '@xstate.microstep') for (const td of e._transitions ?? []) if (index.has(td)) ownTaken.add(index.get(td)!);
      },
    }),
  };
  for (let k = 0; k < x.edges.length && ownTaken.size < own.transitions.length; k += 3) {
    model.machine.transition(snapshot(x.states[x.edges[k]!]!) as never, model.events[x.edges[k + 1]!]! as never, scope as never);
  }
  const pageIndex = new Map(chart.transitions.map((t) => [signature(t), t.index]));
  const taken = new Set<number>();
  for (const i of ownTaken) {
    const j = pageIndex.get(signature(own.transitions[i]!));
    if (j !== undefined) taken.add(j);
  }
  return { ...out, definitions: taken, ownTotal: own.transitions.length, ownTaken: ownTaken.size };
}

const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);
const anchor = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

function foundViolations(r: CheckResult): string[] {
  return r.results.filter((p) => p.holds === false).map((p) => p.property).sort();
}

function undecided(r: CheckResult): string[] {
  return r.results.filter((p) => p.holds === null).map((p) => p.property).sort();
}

function verdict(p: PropertyResult): string {
  if (p.holds === null) return `<span class="muted">not decided</span>${p.note ? ` (${esc(p.note)})` : ''}`;
  const v = p.holds ? '<span class="ok">holds</span>' : '<span class="bad">violated</span>';
  const as = p.holds === p.expected ? '<span class="ok">as expected</span>' : '<span class="bad">NOT as expected</span>';
  return `${v} (${as})`;
}

function changes(after: Record<string, unknown> | undefined): string {
  if (!after || !Object.keys(after).length) return '';
  const kv = Object.entries(after).map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return ` <span class="after">→ ${esc(kv.join(', '))}</span>`;
}

/** The violating state as the picture marks it: a title, then one line per object the property read. */
export function markOf(spec: MachineSpec | undefined, r: CheckResult, p: PropertyResult, model?: Model, graph?: Exploration): SequenceMark {
  const m = violationMark(spec, r, p, model, graph);
  const of = m.instance ? ` for ${m.instance}` : '';
  const where = m.step === 0 ? 'in the initial state' : `after step ${m.step}`;
  const title =
    p.kind === 'liveness' && p.trigger !== undefined
      ? `✗ ${m.property} violated${of}: its condition holds ${where} and its goal never does afterwards`
      : `✗ ${m.property} violated${of} ${where}${m.replayed ? '' : ' (values: what the steps set last)'}`;
  const lines = m.objects.map((o) => `${o.object}: ${o.values.map(([f, v]) => `${f} = ${v}`).join(', ')}`);
  return { step: m.step, property: m.property, title, lines };
}

function counterexample(spec: MachineSpec | undefined, r: CheckResult, p: PropertyResult, info: Readonly<Record<string, EventInfo>> | undefined, id: (base: string) => string, marks?: ReadonlyMap<string, SequenceMark>): string {
  const trace = p.trace ?? [];
  const cycle = p.cycle ?? [];
  const mark = marks?.get(markKey(r, r.results.indexOf(p))) ?? markOf(spec, r, p);
  const item = (s: (typeof trace)[number], cyc: boolean) =>
    `<li value="${s.step}" data-event="${esc(s.event.type)}"${cyc ? ' class="cycle"' : ''}><span class="actor">[${esc(laneOf(s, info))}]</span> <code>${esc(eventText(s.event))}</code>${changes(s.after)}${p.trigger === s.step ? ' <span class="trigger">(from here the property\'s condition held and its goal never does)</span>' : ''}</li>`;
  const ending = p.stuck ? '<p class="cycle-note">then no event the kernel guarantees is enabled: the run may stop here, forever.</p>' : '';
  const cid = id(anchor(`cx-${spec?.id ?? r.machine}-${r.variant}-${r.configuration}-${p.property}`));
  return `<div class="counterexample" id="${cid}" data-machine="${esc(r.machine)}" data-variant="${esc(r.variant)}" data-configuration="${esc(r.configuration)}" data-property="${esc(p.property)}">
<h4>${esc(p.property)} (${p.kind}) violated in variant <code>${esc(r.variant)}</code>, configuration <code>${esc(r.configuration)}</code>: ${trace.length} step${trace.length === 1 ? '' : 's'}${cycle.length ? `, then a cycle of ${cycle.length}` : ''}</h4>
<div class="seq">${traceToSvg(trace, cycle, info, mark)}</div>
<p class="violation"><strong>${esc(mark.title)}</strong>${mark.lines.length ? `<br>${mark.lines.map((l) => `<code>${esc(l)}</code>`).join('<br>')}` : ''}</p>
<details class="mermaid-source"><summary>Mermaid source (paste into a review comment)</summary><pre>${esc(traceToMermaid(trace, cycle, info))}</pre></details>
${p.trigger === 0 ? '<p class="trigger">The property\'s condition held initially and its goal never does.</p>' : ''}<ol class="steps">${trace.map((s) => item(s, false)).join('')}</ol>${cycle.length ? `<p class="cycle-note">then forever:</p><ol class="steps cycle">${cycle.map((s) => item(s, true)).join('')}</ol>` : ''}${ending}
</div>`;
}

/** Natural size of a Graphviz SVG in CSS pixels (it states points). */
function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg);
  return m ? { width: Math.round((Number(m[1]) * 4) / 3), height: Math.round((Number(m[2]) * 4) / 3) } : { width: 0, height: 0 };
}

/** Charts taller or wider than this get zoom controls. */
const LARGE = 1000;
const ZOOMS = [50, 100, 150, 200] as const;

function diagram(spec: MachineSpec, model: Model, svg: string, legend: ReadonlyMap<string, string>, id: (base: string) => string): string {
  const { width, height } = svgSize(svg);
  const large = width > LARGE || height > LARGE;
  const name = id(`zoom-${spec.id}`);
  // CSS only (the page has no script): a radio button per zoom level, the chart at page width by default
  const zoom = large
    ? `<span class="zoom">zoom:</span> ${ZOOMS.map((z) => `<input type="radio" class="z${z}" name="${esc(name)}" id="${esc(`${name}-${z}`)}"${z === 100 ? ' checked' : ''}><label for="${esc(`${name}-${z}`)}">${z}%</label>`).join(' ')}`
    : '';
  const legendRows = [...legend].map(([guard, g]) => `<tr><td>${g}</td><td><code>${esc(guard)}</code></td></tr>`).join('');
  return `<figure class="diagram${large ? ' zoomable' : ''}" data-machine="${esc(spec.id)}" style="--w:${width}px">${zoom}<div class="viewport">${svg}</div>
<figcaption>Statechart of <code>${esc(spec.id)}</code> (default variant <code>${esc(model.variantId)}</code>, configuration <code>${esc(model.configurationId)}</code>): a transition that leaves its state is a label between source and target, one that stays is a row of its state's box; <code>[gN]</code> is the guard in the legend below (and in the row's tooltip). Also in <code>diagrams/${esc(spec.area)}/${esc(spec.id)}.{mmd,dot,svg,scxml,json}</code>.</figcaption></figure>
${legend.size ? `<details class="legend" open><summary>Guards (${legend.size})</summary><table class="legend">${legendRows}</table></details>` : ''}`;
}

async function machineSection(spec: MachineSpec, results: readonly CheckResult[], opts: PageOptions, id: (base: string) => string): Promise<{ html: string; row: string }> {
  const model = spec.model();
  const chart = chartOf(model.machine, spec.id);
  const svg = inlineSvg(await dotToSvg(toDot(chart)));
  // coverage per design, as the path tests measure it: each variant in its own configuration
  const designs = spec.variants.map((v) => opts.coverage?.get(designKey(spec.id, v.id)) ?? designCoverage(spec.model(v.id, variantConfigurations(spec, v)[0]), chart, opts.coverageMaxStates, opts.definitions));
  const taken = new Map<number, string[]>();
  const reached = new Map<string, string[]>();
  const measured = designs.every((d) => d.definitions !== undefined);
  for (const d of designs) {
    for (const i of d.definitions ?? []) taken.set(i, [...(taken.get(i) ?? []), d.variant]);
    for (const n of d.nodes) reached.set(n, [...(reached.get(n) ?? []), d.variant]);
  }
  const mine = results.filter((r) => r.machine === spec.id);
  const info = model.eventInfo;
  const a = id(`machine-${anchor(spec.id)}`);
  const byDesigns = (list: string[] | undefined, yes: string, no: string) =>
    list?.length ? `<span class="ok">${yes}</span> <span class="muted">(${esc(list.length === designs.length ? 'every design' : list.join(', '))})</span>` : `<span class="bad">${no}</span>`;

  const states = chart.nodes
    .map((n) => `<tr><td><code>${esc(n.id)}</code></td><td>${n.type}</td><td>${byDesigns(reached.get(n.id), 'reached', 'reached by no design')}</td><td>${esc(n.description ?? '')}</td></tr>`)
    .join('\n');
  const legend = guardLegend(chart);
  const transitions = chart.transitions
    .map(
      (t) =>
        `<tr><td>${t.index}</td><td><code>${esc(t.source)}</code></td><td><code>${esc(t.event || 'always')}</code></td><td>${t.guard ? `${legend.get(t.guard)}: <code>${esc(t.guard)}</code>` : ''}</td><td><code>${esc(t.targets.join(', ') || '(stays)')}</code></td><td>${esc(t.actor ?? info[t.event]?.actor ?? '')}</td>${measured ? `<td>${byDesigns(taken.get(t.index), 'taken', 'taken by no design')}</td>` : ''}</tr>`,
    )
    .join('\n');
  const full = designs.every((d) => !d.limitReached && d.statesCovered === d.states && d.transitionsCovered === d.transitions);
  const coverageRows = designs
    .map(
      (d) =>
        `<tr data-design="${esc(d.variant)}"><td><code>${esc(d.variant)}</code></td><td><code>${esc(d.configuration)}</code></td><td>${d.states.toLocaleString('en')}${d.limitReached ? ' <span class="bad">(limit reached)</span>' : ''}</td><td>${d.transitions.toLocaleString('en')}</td><td>${d.paths.toLocaleString('en')}</td><td>${cov(d.statesCovered, d.states)}</td><td>${cov(d.transitionsCovered, d.transitions)}</td>${measured ? `<td>${d.ownTaken} of ${d.ownTotal}</td>` : ''}</tr>`,
    )
    .join('\n');
  const neverTaken = chart.transitions.filter((t) => !taken.has(t.index));

  const variantRows: string[] = [];
  for (const v of spec.variants) {
    const rs = mine.filter((r) => r.variant === v.id);
    const expected = [...v.expectedViolations].sort();
    if (!rs.length) {
      variantRows.push(`<tr><td><code>${esc(v.id)}</code></td><td>${esc(v.description)}</td><td>–</td><td>${esc(expected.join(', ') || 'none')}</td><td colspan="2" class="muted">not checked</td></tr>`);
      continue;
    }
    for (const r of rs) {
      // the check's own expectation: a variant's list may name properties another configuration lacks
      const expected = r.results.filter((p) => p.expected === false).map((p) => p.property).sort();
      const found = foundViolations(r);
      const open = undecided(r);
      const same = found.join() === expected.join() && !open.length;
      variantRows.push(
        `<tr data-variant="${esc(v.id)}"><td><code>${esc(v.id)}</code></td><td>${esc(v.description)}</td><td><code>${esc(r.configuration)}</code></td><td>${esc(expected.join(', ') || 'none')}</td><td>${esc(found.join(', ') || 'none')}${open.length ? ` <span class="muted">(not decided: ${esc(open.join(', '))})</span>` : ''}</td><td>${same ? '<span class="ok">match</span>' : open.length && found.every((f) => expected.includes(f)) ? '<span class="muted">undecided</span>' : '<span class="bad">MISMATCH</span>'}</td></tr>`,
      );
    }
  }
  for (const r of mine.filter((r) => !spec.variants.some((v) => v.id === r.variant))) {
    variantRows.push(`<tr><td><code>${esc(r.variant)}</code></td><td class="muted">not in the registry</td><td><code>${esc(r.configuration)}</code></td><td>–</td><td>${esc(foundViolations(r).join(', ') || 'none')}</td><td></td></tr>`);
  }

  const propertyRows = mine
    .flatMap((r) =>
      r.results.map(
        (p) => `<tr class="${p.holds === p.expected || p.holds === null ? '' : 'unexpected'}"><td><code>${esc(r.variant)}</code></td><td><code>${esc(r.configuration)}</code></td><td><code>${esc(p.property)}</code></td><td>${p.kind}</td><td>${verdict(p)}</td></tr>`,
      ),
    )
    .join('\n');
  const reduced = (r: CheckResult) => Array.isArray(r.symmetry) && r.symmetry.length > 0;
  const explored = mine
    .map((r) => `<tr><td><code>${esc(r.variant)}</code></td><td><code>${esc(r.configuration)}</code></td><td>${r.states.toLocaleString('en')}${reduced(r) ? ' orbits' : ''}</td><td>${r.transitions.toLocaleString('en')}</td><td>${r.depth}</td><td>${(r.millis / 1000).toFixed(2)} s</td><td>${r.limitReached ? '<span class="bad">limit reached</span>' : 'complete'}${reduced(r) ? `, one state per orbit of ${esc(r.symmetry!.map((g) => `${g.group} (${g.exact ? 'exact' : 'approximate'})`).join('; '))}` : ''}${r.por?.reduced ? ', partial-order reduced (one order of independent steps; traces replayed)' : ''}</td></tr>`)
    .join('\n');
  const cxs = mine.flatMap((r) => r.results.filter(isCounterexample).map((p) => counterexample(spec, r, p, info, id, opts.marks)));

  const mismatches = variantRows.filter((r) => r.includes('MISMATCH')).length;
  const defsTaken = measured ? `${taken.size} of ${chart.transitions.length}` : '–';
  const row = `<tr><td><a href="#${a}"><code>${esc(spec.id)}</code></a></td><td>${esc(spec.area)}</td><td>${chart.nodes.length}</td><td>${chart.transitions.length}</td><td>${designs.length}</td><td>${full ? '<span class="ok">every state and transition</span>' : '<span class="bad">incomplete</span>'}</td><td>${defsTaken}</td><td>${mine.length ? (mismatches ? `<span class="bad">${mismatches} mismatch${mismatches > 1 ? 'es' : ''}</span>` : '<span class="ok">as expected</span>') : '<span class="muted">no results</span>'}</td><td>${cxs.length}</td></tr>`;
  const html = `<section class="machine" id="${a}" data-machine="${esc(spec.id)}">
<h2><code>${esc(spec.id)}</code> <small>${esc(spec.area)} · struct ${esc(spec.kernelObject)} · ${esc(spec.pinned)}</small></h2>
<p class="facts">${chart.nodes.length} state nodes · ${chart.transitions.length} transition definitions · ${designs.length} design${designs.length === 1 ? '' : 's'}, ${full ? 'each fully covered by its path tests' : '<span class="bad">not every design fully covered</span>'}</p>
${diagram(spec, model, svg, legend, id)}
<h3>Coverage per design</h3>
<p>As the path tests measure it (<code>src/paths/cover.ts</code>): each design (variant, in its own configuration) is explored in full, edge-covering paths are generated from its graph, and the tests drive them until every reachable state and every transition of the graph is taken.${measured ? ' The last column counts the statechart\'s transition definitions (each entry of an <code>on</code> list) that some transition of the design takes, raised events included; a definition no design takes is shadowed, belongs to no modelled design or needs a larger configuration.' : ''}</p>
<table class="coverage"><tr><th>design</th><th>configuration</th><th>reachable states</th><th>transitions</th><th>test paths</th><th>states covered</th><th>transitions covered</th>${measured ? '<th>definitions taken</th>' : ''}</tr>
${coverageRows}</table>
${measured ? `<p class="definitions">Transition definitions of this chart taken by some design: <strong>${defsTaken}</strong>${neverTaken.length ? `; taken by none: ${neverTaken.map((t) => `<code>${esc(t.event || 'always')}</code> from <code>${esc(t.source)}</code> (#${t.index})`).join(', ')}` : ''}.</p>` : '<p class="definitions muted">Which transition definitions each design takes: <code>s390-kvm-spec page --definitions</code> (replays every transition through xstate).</p>'}
<h3>Variants: expected versus found</h3>
<table class="variants"><tr><th>variant</th><th>design</th><th>configuration</th><th>expected violations</th><th>found violations</th><th></th></tr>
${variantRows.join('\n')}</table>
<h3>Properties</h3>
${propertyRows ? `<table class="properties"><tr><th>variant</th><th>configuration</th><th>property</th><th>kind</th><th>result</th></tr>\n${propertyRows}</table>` : '<p class="muted">No checker results for this machine (run <code>npm start</code>).</p>'}
${explored ? `<h3>Exploration</h3><table><tr><th>variant</th><th>configuration</th><th>reachable states (orbits when reduced)</th><th>transitions</th><th>depth</th><th>time</th><th></th></tr>\n${explored}</table>` : ''}
<h3>Counterexamples</h3>
${cxs.length ? cxs.join('\n') : '<p class="muted">None.</p>'}
<details><summary>States (${chart.nodes.length})</summary><table><tr><th>state node</th><th>type</th><th>designs</th><th>description</th></tr>
${states}</table></details>
<details><summary>Transitions (${chart.transitions.length})</summary><table><tr><th>#</th><th>source</th><th>event</th><th>guard</th><th>target</th><th>actor</th>${measured ? '<th>designs</th>' : ''}</tr>
${transitions}</table></details>
</section>`;
  return { html, row };
}

const cov = (a: number, b: number) => `<span class="${a === b ? 'ok' : 'bad'}">${a.toLocaleString('en')} of ${b.toLocaleString('en')}</span>`;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d1d1f}
h1{font-size:1.6em}h2{border-top:2px solid #ccc;padding-top:.8em;margin-top:2em}h2 small{font-weight:normal;color:#666;font-size:.6em}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f6}
tr.unexpected td{background:#fff0f0}
.ok{color:#17702b;font-weight:600}.bad{color:#b3261e;font-weight:600}.muted{color:#888}
figure.diagram{margin:1em 0;border:1px solid #e3e3e3;padding:.5em;background:#fcfcfc}
figure.diagram .viewport{overflow:auto}figure.diagram svg{display:block;max-width:100%;height:auto}
figure.diagram .zoom{color:#666;font-size:.9em;margin-right:.3em}figure.diagram input{margin:0 .15em 0 .6em}figure.diagram label{font-size:.9em;cursor:pointer}
figure.zoomable .viewport{max-height:90vh;border-top:1px solid #e3e3e3;margin-top:.3em}
.z50:checked~.viewport svg{width:calc(var(--w) * .5);max-width:none}.z100:checked~.viewport svg{width:var(--w)}
.z150:checked~.viewport svg{width:calc(var(--w) * 1.5);max-width:none}.z200:checked~.viewport svg{width:calc(var(--w) * 2);max-width:none}
table.legend td{padding:1px 6px;font-size:.9em}
figcaption{color:#666;font-size:.9em}
.counterexample{border-left:4px solid #b3261e;padding:.2em 1em;margin:1em 0;background:#fffafa}
.seq{overflow:auto}svg.sequence{font:11px ui-monospace,Menlo,Consolas,monospace}
svg.sequence .lane-head{fill:#e8eef8;stroke:#5b7db1}svg.sequence .lane-name{font-weight:bold;fill:#203a63}
svg.sequence .lifeline{stroke:#9aa;stroke-dasharray:4 3}svg.sequence .order{stroke:#4a4a4a;stroke-width:1.5}svg.sequence .order-head{fill:#4a4a4a}
svg.sequence .step.violating rect{stroke:#b3261e;stroke-width:2.5}svg.sequence .violation-box{fill:#fff0f0;stroke:#b3261e;stroke-width:1.5}
svg.sequence .violation-title{fill:#b3261e;font-weight:bold}svg.sequence .violation-value{fill:#1d1d1f}p.violation{color:#1d1d1f}p.violation strong{color:#b3261e}
svg.sequence .step rect{fill:#fff;stroke:#555}svg.sequence .step.cycle rect{fill:#fff4d6;stroke:#b07d00}svg.sequence .cycle-label{fill:#b07d00}
ol.steps li.cycle{color:#7a5700}.actor{color:#555}.after{color:#666;font-size:.88em}.trigger{color:#b3261e;font-size:.9em}
details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
`;

/** Marks the page as the package's own, so `page` overwrites only a page it wrote. */
export const GENERATOR_META = '<meta name="generator" content="s390-kvm-spec page">';

export async function renderPage(specs: readonly MachineSpec[], results: readonly CheckResult[], opts: PageOptions = {}): Promise<string> {
  // every id on the page is unique: a second use of a base gets a suffix
  const used = new Set<string>(['other-results']);
  const id = (base: string) => {
    let x = base;
    for (let k = 2; used.has(x); k++) x = `${base}-${k}`;
    used.add(x);
    return x;
  };
  const sections: string[] = [];
  const rows: string[] = [];
  for (const s of specs) {
    const { html, row } = await machineSection(s, results, opts, id);
    sections.push(html);
    rows.push(row);
  }
  const orphans = results.filter((r) => !specs.some((s) => s.id === r.machine));
  const orphanHtml = orphans.length
    ? `<section class="machine" id="other-results"><h2>Results for machines not in the registry</h2>${orphans
        .flatMap((r) => r.results.filter(isCounterexample).map((p) => counterexample(undefined, r, p, undefined, id)))
        .join('\n')}</section>`
    : '';
  const title = opts.title ?? 's390-kvm-spec: statecharts and checker results';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${GENERATOR_META}
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>Generated by <code>s390-kvm-spec page</code> from the machines and the checker's <code>results.json</code>. Each statechart is drawn from the machine definition (Graphviz); each counterexample shows its steps in one lane per actor, kernel events of the vfio_ap driver in their own lane, and ends in the violating state with the values the property read there.</p>
<table class="summary"><tr><th>machine</th><th>area</th><th>state nodes</th><th>transition definitions</th><th>designs</th><th>path tests cover</th><th>definitions taken by some design</th><th>variants</th><th>counterexamples</th></tr>
${rows.join('\n')}</table>
${sections.join('\n')}
${orphanHtml}
</body></html>
`;
}

/** Every counterexample as a Mermaid sequenceDiagram: `<machine>/<variant>.<configuration>.<property>.mmd` (in `counterexamples/`). */
export function counterexampleFiles(specs: readonly MachineSpec[], results: readonly CheckResult[]): ExportFile[] {
  // the default model's event info, once per machine (not once per check)
  const infos = new Map<string, Readonly<Record<string, EventInfo>> | undefined>();
  return results.flatMap((r) => {
    if (!infos.has(r.machine)) infos.set(r.machine, specs.find((s) => s.id === r.machine)?.model().eventInfo);
    const info = infos.get(r.machine);
    return r.results.filter(isCounterexample).map((p) => ({
      path: `${anchor(r.machine)}/${anchor(`${r.variant}.${r.configuration}.${p.property}`)}.mmd`,
      content: `%% ${r.machine} ${r.variant} ${r.configuration}: ${p.property} (${p.kind}) violated\n${traceToMermaid(p.trace ?? [], p.cycle ?? [], info)}`,
    }));
  });
}

/** The files of the page's `counterexamples/` folder: `<machine>/<variant>.<configuration>.<property>.mmd`. */
export function isCounterexampleFile(file: string): boolean {
  return /^[^/]+\/[^/]+\.mmd$/.test(file);
}

/**
 * Refuses (NotOursError) a page path the package may not overwrite: a folder, or a file that is
 * not a page the package wrote; and a `counterexamples/` beside it holding files it did not
 * write. Returns the package's files in that folder.
 */
export async function checkPageDestination(path: string): Promise<string[]> {
  // pages written before the generator tag carry the same first paragraph
  const ours = (text: string) => text.includes(GENERATOR_META) || text.includes('<p>Generated by <code>s390-kvm-spec page</code>');
  let text: string | undefined;
  try {
    // the page's head first (the page is megabytes; both marks are in its first lines), the whole file when they are not there
    text = await readHead(path, 65_536);
    if (!ours(text)) text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new NotOursError(`page '${path}' is a folder; name the page file with --out`);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
  }
  if (text !== undefined && !ours(text)) {
    throw new NotOursError(`page '${path}' exists and is not a page s390-kvm-spec wrote; it never overwrites such a file: move it away or choose another --out`);
  }
  return checkOurs(join(dirname(path), 'counterexamples'), isCounterexampleFile, 'counterexamples folder');
}

/** The first `bytes` bytes of a file as text (a character cut at the end decodes as U+FFFD). */
async function readHead(path: string, bytes: number): Promise<string> {
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await f.read(buf, 0, bytes, 0);
    return buf.toString('utf8', 0, bytesRead);
  } finally {
    await f.close();
  }
}

/**
 * Writes the page and, beside it, `counterexamples/` (files given relative to it), all or
 * nothing: the new folder is built in a fresh temporary folder and renamed into place, the old
 * one (checked to hold only the package's files) renamed away, then exactly its files deleted.
 */
export async function writePageFiles(path: string, html: string, counterexamples: readonly ExportFile[]): Promise<void> {
  const before = await checkPageDestination(path);
  const dir = dirname(path);
  const cxDir = join(dir, 'counterexamples');
  await ensureDir(dir);
  // mkdir, not mkdtemp: the folder stays and takes the user's umask, not mode 0700
  const fresh = join(dir, `.counterexamples-${process.pid}-${Date.now()}`);
  await mkdir(fresh);
  const tmpPage = `${path}.tmp-${process.pid}`;
  let swapped = false;
  try {
    for (const f of counterexamples) {
      await ensureDir(dirname(join(fresh, f.path)));
      await writeFile(join(fresh, f.path), f.content);
    }
    await writeMarker(fresh, counterexamples.map((f) => f.path));
    await writeFile(tmpPage, html);
    const old = (await stat(cxDir).catch(() => undefined)) ? `${fresh}.old` : undefined;
    if (old) await rename(cxDir, old);
    await rename(fresh, cxDir);
    swapped = true;
    await rename(tmpPage, path);
    if (old) await removeOurs(old, before);
  } finally {
    await rm(tmpPage, { force: true });
    // the fresh folder is the package's own, made above
    if (!swapped) await rm(fresh, { recursive: true, force: true });
  }
  // a folder the package keeps a marker in (check --report) lists the page too
  const listed = await markerFiles(dir);
  if (listed && !listed.includes(basename(path))) await writeMarker(dir, [...listed, basename(path)]);
}
