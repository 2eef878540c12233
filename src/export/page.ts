// The review page: one self-contained HTML file (inline CSS and SVG, no script, no font, no
// network) with, per machine, its statechart, states, transitions, coverage, the checker's
// results per property and variant, and every counterexample as a lane picture and a list.
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { explore } from '../check/explore.ts';
import type { EventInfo, MachineSpec, Model } from '../spec.ts';
import { chartOf, type Chart } from './chart.ts';
import { toDot } from './dot.ts';
import { isCounterexample, type CheckResult, type PropertyResult } from './results.ts';
import { esc, eventText, laneOf, traceToMermaid, traceToSvg } from './sequence.ts';
import { dotToSvg, inlineSvg } from './svg.ts';
import { ensureDir, type ExportFile } from './files.ts';

export interface PageOptions {
  /** States explored per machine to measure transition coverage (default 20000). */
  coverageMaxStates?: number;
  title?: string;
}

/**
 * Transition coverage: the share of the statechart's transition definitions (each entry of an
 * `on` list, the root's included) that some edge of the breadth-first exploration of the
 * default variant and configuration takes. A definition never taken is dead or needs a
 * larger configuration; the page lists those.
 */
export interface Coverage {
  variant: string;
  configuration: string;
  reachable: number;
  limitReached: boolean;
  covered: Set<number>;
  total: number;
  /** State nodes active in at least one reachable state. */
  visitedNodes: Set<string>;
}

export function transitionCoverage(model: Model, chart: Chart, maxStates = 20_000): Coverage {
  const x = explore(model, { maxStates });
  const index = new Map<object, number>(chart.transitions.map((t) => [t.definition, t.index]));
  const covered = new Set<number>();
  const visitedNodes = new Set<string>();
  for (const snap of x.snapshots) for (const n of (snap as unknown as { _nodes: { id: string }[] })._nodes) visitedNodes.add(n.id);
  for (let k = 0; k < x.edges.length; k += 3) {
    const snap = x.snapshots[x.edges[k]!]!;
    const event = model.events[x.edges[k + 1]!]!;
    for (const td of model.machine.getTransitionData(snap as never, event)) {
      const i = index.get(td as object);
      if (i !== undefined) covered.add(i);
    }
  }
  return {
    variant: model.variantId,
    configuration: model.configurationId,
    reachable: x.states.length,
    limitReached: x.limitReached,
    covered,
    total: chart.transitions.length,
    visitedNodes,
  };
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

function counterexample(spec: MachineSpec | undefined, r: CheckResult, p: PropertyResult, info: Readonly<Record<string, EventInfo>> | undefined): string {
  const trace = p.trace ?? [];
  const cycle = p.cycle ?? [];
  const item = (s: (typeof trace)[number], cyc: boolean) =>
    `<li value="${s.step}" data-event="${esc(s.event.type)}"${cyc ? ' class="cycle"' : ''}><span class="actor">[${esc(laneOf(s, info))}]</span> <code>${esc(eventText(s.event))}</code>${changes(s.after)}${p.trigger === s.step ? ' <span class="trigger">(from here the property\'s condition held and its goal never does)</span>' : ''}</li>`;
  const ending = p.stuck ? '<p class="cycle-note">then no event the kernel guarantees is enabled: the run may stop here, forever.</p>' : '';
  const id = anchor(`cx-${spec?.id ?? r.machine}-${r.variant}-${r.configuration}-${p.property}`);
  return `<div class="counterexample" id="${id}" data-machine="${esc(r.machine)}" data-variant="${esc(r.variant)}" data-configuration="${esc(r.configuration)}" data-property="${esc(p.property)}">
<h4>${esc(p.property)} (${p.kind}) violated in variant <code>${esc(r.variant)}</code>, configuration <code>${esc(r.configuration)}</code>: ${trace.length} step${trace.length === 1 ? '' : 's'}${cycle.length ? `, then a cycle of ${cycle.length}` : ''}</h4>
<div class="seq">${traceToSvg(trace, cycle, info)}</div>
<details class="mermaid-source"><summary>Mermaid source (paste into a review comment)</summary><pre>${esc(traceToMermaid(trace, cycle, info))}</pre></details>
${p.trigger === 0 ? '<p class="trigger">The property\'s condition held initially and its goal never does.</p>' : ''}<ol class="steps">${trace.map((s) => item(s, false)).join('')}</ol>${cycle.length ? `<p class="cycle-note">then forever:</p><ol class="steps cycle">${cycle.map((s) => item(s, true)).join('')}</ol>` : ''}${ending}
</div>`;
}

async function machineSection(spec: MachineSpec, results: readonly CheckResult[], opts: PageOptions): Promise<{ html: string; row: string }> {
  const model = spec.model();
  const chart = chartOf(model.machine, spec.id);
  const svg = inlineSvg(await dotToSvg(toDot(chart)));
  const cov = transitionCoverage(model, chart, opts.coverageMaxStates);
  const mine = results.filter((r) => r.machine === spec.id);
  const info = model.eventInfo;
  const a = anchor(spec.id);

  const states = chart.nodes
    .map((n) => `<tr><td><code>${esc(n.id)}</code></td><td>${n.type}</td><td>${cov.visitedNodes.has(n.id) ? '<span class="ok">reached</span>' : '<span class="bad">not reached</span>'}</td><td>${esc(n.description ?? '')}</td></tr>`)
    .join('\n');
  const transitions = chart.transitions
    .map(
      (t) =>
        `<tr><td>${t.index}</td><td><code>${esc(t.source)}</code></td><td><code>${esc(t.event || 'always')}</code></td><td>${t.guard ? `<code>${esc(t.guard)}</code>` : ''}</td><td><code>${esc(t.targets.join(', ') || '(stays)')}</code></td><td>${esc(t.actor ?? info[t.event]?.actor ?? '')}</td><td>${cov.covered.has(t.index) ? '<span class="ok">taken</span>' : '<span class="bad">never taken</span>'}</td></tr>`,
    )
    .join('\n');

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
  const explored = mine
    .map((r) => `<tr><td><code>${esc(r.variant)}</code></td><td><code>${esc(r.configuration)}</code></td><td>${r.states}</td><td>${r.transitions}</td><td>${r.depth}</td><td>${(r.millis / 1000).toFixed(2)} s</td><td>${r.limitReached ? '<span class="bad">limit reached</span>' : 'complete'}${Array.isArray(r.symmetry) && r.symmetry.length ? `, one state per orbit of ${esc(r.symmetry.map((g) => `${g.group} (${g.exact ? 'exact' : 'approximate'})`).join('; '))}` : ''}${r.por?.reduced ? ', partial-order reduced (one order of independent steps; traces replayed)' : ''}</td></tr>`)
    .join('\n');
  const cxs = mine.flatMap((r) => r.results.filter(isCounterexample).map((p) => counterexample(spec, r, p, info)));

  const covText = `${cov.covered.size} of ${cov.total} transition definitions (${pct(cov.covered.size, cov.total)})`;
  const mismatches = variantRows.filter((r) => r.includes('MISMATCH')).length;
  const row = `<tr><td><a href="#${a}"><code>${esc(spec.id)}</code></a></td><td>${esc(spec.area)}</td><td>${chart.nodes.length}</td><td>${chart.transitions.length}</td><td>${pct(cov.covered.size, cov.total)}${cov.limitReached ? '*' : ''}</td><td>${mine.length ? (mismatches ? `<span class="bad">${mismatches} mismatch${mismatches > 1 ? 'es' : ''}</span>` : '<span class="ok">as expected</span>') : '<span class="muted">no results</span>'}</td><td>${cxs.length}</td></tr>`;
  const html = `<section class="machine" id="${a}" data-machine="${esc(spec.id)}">
<h2><code>${esc(spec.id)}</code> <small>${esc(spec.area)} · struct ${esc(spec.kernelObject)} · ${esc(spec.pinned)}</small></h2>
<p class="facts">${chart.nodes.length} state nodes · ${chart.transitions.length} transition definitions · transition coverage ${covText}</p>
<figure class="diagram" data-machine="${esc(spec.id)}">${svg}<figcaption>Statechart of <code>${esc(spec.id)}</code> (default variant <code>${esc(model.variantId)}</code>, configuration <code>${esc(model.configurationId)}</code>); also in <code>diagrams/${esc(spec.area)}/${esc(spec.id)}.{mmd,dot,svg,scxml,json}</code>.</figcaption></figure>
<h3>Coverage</h3>
<p><strong>Transition coverage</strong>: the share of the statechart's transition definitions (each entry of an <code>on</code> list) taken by at least one edge of the breadth-first exploration of variant <code>${esc(cov.variant)}</code>, configuration <code>${esc(cov.configuration)}</code>: <strong>${covText}</strong>; ${cov.reachable} reachable states${cov.limitReached ? ' (<span class="bad">exploration stopped at the state limit, so coverage is a lower bound</span>)' : ', exploration complete'}. State nodes reached: ${cov.visitedNodes.size} of ${chart.nodes.length} (${pct(cov.visitedNodes.size, chart.nodes.length)}).</p>
<h3>Variants: expected versus found</h3>
<table class="variants"><tr><th>variant</th><th>design</th><th>configuration</th><th>expected violations</th><th>found violations</th><th></th></tr>
${variantRows.join('\n')}</table>
<h3>Properties</h3>
${propertyRows ? `<table class="properties"><tr><th>variant</th><th>configuration</th><th>property</th><th>kind</th><th>result</th></tr>\n${propertyRows}</table>` : '<p class="muted">No checker results for this machine (run <code>npm start</code>).</p>'}
${explored ? `<h3>Exploration</h3><table><tr><th>variant</th><th>configuration</th><th>reachable states</th><th>transitions</th><th>depth</th><th>time</th><th></th></tr>\n${explored}</table>` : ''}
<h3>Counterexamples</h3>
${cxs.length ? cxs.join('\n') : '<p class="muted">None.</p>'}
<details><summary>States (${chart.nodes.length})</summary><table><tr><th>state node</th><th>type</th><th>exploration</th><th>description</th></tr>
${states}</table></details>
<details><summary>Transitions (${chart.transitions.length})</summary><table><tr><th>#</th><th>source</th><th>event</th><th>guard</th><th>target</th><th>actor</th><th>exploration</th></tr>
${transitions}</table></details>
</section>`;
  return { html, row };
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d1d1f}
h1{font-size:1.6em}h2{border-top:2px solid #ccc;padding-top:.8em;margin-top:2em}h2 small{font-weight:normal;color:#666;font-size:.6em}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f6}
tr.unexpected td{background:#fff0f0}
.ok{color:#17702b;font-weight:600}.bad{color:#b3261e;font-weight:600}.muted{color:#888}
figure.diagram{margin:1em 0;overflow:auto;border:1px solid #e3e3e3;padding:.5em;background:#fcfcfc}figure.diagram svg{display:block}
figcaption{color:#666;font-size:.9em}
.counterexample{border-left:4px solid #b3261e;padding:.2em 1em;margin:1em 0;background:#fffafa}
.seq{overflow:auto}svg.sequence{font:11px ui-monospace,Menlo,Consolas,monospace}
svg.sequence .lane-head{fill:#e8eef8;stroke:#5b7db1}svg.sequence .lane-name{font-weight:bold;fill:#203a63}
svg.sequence .lifeline{stroke:#9aa;stroke-dasharray:4 3}svg.sequence .order{stroke:#c9c9c9}
svg.sequence .step rect{fill:#fff;stroke:#555}svg.sequence .step.cycle rect{fill:#fff4d6;stroke:#b07d00}svg.sequence .cycle-label{fill:#b07d00}
ol.steps li.cycle{color:#7a5700}.actor{color:#555}.after{color:#666;font-size:.88em}.trigger{color:#b3261e;font-size:.9em}
details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
`;

export async function renderPage(specs: readonly MachineSpec[], results: readonly CheckResult[], opts: PageOptions = {}): Promise<string> {
  const sections: string[] = [];
  const rows: string[] = [];
  for (const s of specs) {
    const { html, row } = await machineSection(s, results, opts);
    sections.push(html);
    rows.push(row);
  }
  const orphans = results.filter((r) => !specs.some((s) => s.id === r.machine));
  const orphanHtml = orphans.length
    ? `<section class="machine" id="other-results"><h2>Results for machines not in the registry</h2>${orphans
        .flatMap((r) => r.results.filter(isCounterexample).map((p) => counterexample(undefined, r, p, undefined)))
        .join('\n')}</section>`
    : '';
  const title = opts.title ?? 's390-kvm-spec: statecharts and checker results';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>Generated by <code>s390-kvm-spec page</code> from the machines and the checker's <code>results.json</code>. Each statechart is drawn from the machine definition (Graphviz); each counterexample shows its steps in one lane per actor, kernel events of the vfio_ap driver in their own lane.</p>
<table class="summary"><tr><th>machine</th><th>area</th><th>state nodes</th><th>transition definitions</th><th>transition coverage</th><th>variants</th><th>counterexamples</th></tr>
${rows.join('\n')}</table>
${rows.some((r) => r.includes('*</td>')) ? '<p class="muted">* exploration stopped at the state limit: coverage is a lower bound.</p>' : ''}
${sections.join('\n')}
${orphanHtml}
</body></html>
`;
}

/** Every counterexample as a Mermaid sequenceDiagram: `counterexamples/<machine>/<variant>.<configuration>.<property>.mmd`. */
export function counterexampleFiles(specs: readonly MachineSpec[], results: readonly CheckResult[]): ExportFile[] {
  return results.flatMap((r) => {
    const info = specs.find((s) => s.id === r.machine)?.model().eventInfo;
    return r.results.filter(isCounterexample).map((p) => ({
      path: `counterexamples/${anchor(r.machine)}/${anchor(`${r.variant}.${r.configuration}.${p.property}`)}.mmd`,
      content: `%% ${r.machine} ${r.variant} ${r.configuration}: ${p.property} (${p.kind}) violated\n${traceToMermaid(p.trace ?? [], p.cycle ?? [], info)}`,
    }));
  });
}

/** Writes the page atomically (temporary file, then rename). */
export async function writePage(path: string, html: string): Promise<void> {
  await ensureDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, html);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}
