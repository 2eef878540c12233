// Graphviz DOT of a statechart, laid out to stay legible at a page's width:
// - compound states are clusters (rounded), parallel states dashed clusters whose regions are
//   stacked one below the other (so a composed machine grows down, not across), a black dot
//   marks each initial state;
// - a transition that leaves its state is drawn through a small label node between source
//   and target, listing the event of every transition between the same states (one row
//   each): Graphviz keeps nodes apart, where its own edge labels pile up on each other;
// - a transition that stays in its state (no target, or its own state without reentry) is a
//   row of the state's box, as UML writes internal transitions (a dashed box inside the
//   cluster of a compound state), so no self-loop strikes through its own label;
// - a guard is a reference `[g3]`, spelled out in the legend (`guardLegend`, shown under the
//   chart on the review page) and in the row's tooltip;
// - ranks are assigned here (longest path per container, cycles broken depth-first) and
//   pinned with `rank=same`, every transition edge being `constraint=false`, so regions stack
//   and no edge drags a region sideways;
// - text is Courier: Graphviz measures it as 0.6 em per character, which every monospace
//   font a browser falls back to matches, where a proportional fallback would overflow.
// Every element carries an id that survives into the SVG and is unique on a page holding
// several charts: `<machine>:state:<node id>`, `<machine>:transition:<index>` (Graphviz
// prefixes table cells with `a_`), `<machine>:statechart` for the graph itself.
import type { Chart, ChartNode, ChartTransition } from './chart.ts';

export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Text inside a Graphviz HTML-like label. */
export function dotHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const composite = (n: ChartNode) => n.type === 'compound' || n.type === 'parallel';

/** Each distinct guard of the chart, numbered in transition order: guard label -> `g1`, `g2`, ... */
export function guardLegend(chart: Chart): Map<string, string> {
  const legend = new Map<string, string>();
  for (const t of chart.transitions) if (t.guard !== undefined && !legend.has(t.guard)) legend.set(t.guard, `g${legend.size + 1}`);
  return legend;
}

/** The short label of a transition: its event, and `[gN]` when it is guarded. */
export function shortLabel(t: ChartTransition, legend: ReadonlyMap<string, string>): string {
  const ev = t.event === '' ? 'always' : t.event;
  return t.guard === undefined ? ev : `${ev} [${legend.get(t.guard)}]`;
}

/** Whether a transition stays in its state: no target, or its own state without reentry. */
export function staysInState(t: ChartTransition): boolean {
  return t.targets.length === 0 || (t.targets.length === 1 && t.targets[0] === t.source && !t.reenter);
}

const LABEL_FONT = 9;

interface Group {
  key: number;
  source: string;
  targets: string[];
  transitions: ChartTransition[];
  /** The deepest state holding source and targets, none of them itself; undefined: outside the root. */
  place: string | undefined;
}

export function toDot(chart: Chart): string {
  const m = chart.machineId;
  const byId = new Map(chart.nodes.map((n) => [n.id, n]));
  const parent = new Map<string, string>();
  for (const n of chart.nodes) for (const c of n.children) parent.set(c.id, n.id);
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) out.push(p);
    return out;
  };
  const legend = guardLegend(chart);

  // DOT node names: a composite state is entered at its anchor (top) and left at its exit (bottom)
  const anchorOf = (id: string) => `${id}:anchor`;
  const exitOf = (id: string) => `${id}:exit`;
  const initialOf = (id: string) => `${id}:initial`;
  const internalOf = (id: string) => `${id}:internal`;
  const labelOf = (g: Group) => `${g.source}:label:${g.key}`;
  const isComposite = (id: string) => composite(byId.get(id)!);
  const tailPort = (id: string) => (isComposite(id) ? exitOf(id) : id);
  const headPort = (id: string) => (isComposite(id) ? anchorOf(id) : id);

  const internal = new Map<string, ChartTransition[]>();
  const groups: Group[] = [];
  const byEnds = new Map<string, Group>();
  for (const t of chart.transitions) {
    if (staysInState(t)) {
      internal.set(t.source, [...(internal.get(t.source) ?? []), t]);
      continue;
    }
    const ends = `${t.source}\u0000${t.targets.join('\u0000')}`;
    let g = byEnds.get(ends);
    if (!g) {
      const common = [t.source, ...t.targets].map(ancestors).reduce((a, b) => a.filter((x) => b.includes(x)));
      g = { key: groups.length, source: t.source, targets: t.targets, transitions: [], place: common[0] };
      byEnds.set(ends, g);
      groups.push(g);
    }
    g.transitions.push(t);
  }
  const labelsAt = new Map<string | undefined, Group[]>();
  for (const g of groups) labelsAt.set(g.place, [...(labelsAt.get(g.place) ?? []), g]);

  // The edges that order the items of each container (the state whose cluster holds them).
  const edgesAt = new Map<string | undefined, [string, string][]>();
  const addEdge = (at: string | undefined, a: string, b: string) => edgesAt.set(at, [...(edgesAt.get(at) ?? []), [a, b]]);
  for (const g of groups) {
    addEdge(g.place, tailPort(g.source), labelOf(g));
    for (const to of g.targets) addEdge(g.place, labelOf(g), headPort(to));
  }
  for (const n of chart.nodes) if (n.initial) addEdge(n.id, initialOf(n.id), headPort(n.initial));

  const ranks = layer(chart, {
    own: (c) => {
      const names: string[] = [];
      if (c && byId.get(c)!.initial) names.push(initialOf(c));
      if (c && internal.has(c)) names.push(internalOf(c));
      for (const g of labelsAt.get(c) ?? []) names.push(labelOf(g));
      return names;
    },
    edges: (c) => edgesAt.get(c) ?? [],
    anchorOf,
    exitOf,
  });

  const row = (t: ChartTransition, align: 'LEFT' | 'CENTER') => {
    const ev = t.event === '' ? 'always' : t.event;
    const again = t.reenter ? ' (reenter)' : '';
    const tip = `${ev}${t.guard === undefined ? '' : ` [${t.guard}]`}${t.actor ? ` (${t.actor})` : ''}`;
    return `<TR><TD ID="${dotHtml(`${m}:transition:${t.index}`)}" ALIGN="${align}" TOOLTIP="${dotHtml(tip)}"><FONT POINT-SIZE="${LABEL_FONT}">${dotHtml(shortLabel(t, legend))}${again}</FONT></TD></TR>`;
  };
  const table = (rows: readonly string[], head?: string) =>
    `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">${head === undefined ? '' : `<TR><TD${rows.length ? ' BORDER="1" SIDES="B" CELLPADDING="3"' : ''}>${head}</TD></TR>`}${rows.join('')}</TABLE>>`;
  const point = (name: string, id: string) => `${dotString(name)} [id=${dotString(id)}, shape=point, style=invis, width=0.01, height=0.01, label=""];`;

  const lines: string[] = [
    `// ${m}: generated by \`s390-kvm-spec export\` from the machine; do not edit`,
    `digraph ${dotString(m)} {`,
    `  graph [id=${dotString(`${m}:statechart`)}, compound=true, newrank=true, rankdir=TB, outputorder=edgesfirst, fontname="Courier", fontsize=12, labeljust=l, nodesep=0.18, ranksep=0.22];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#333333", fontname="Courier", fontsize=11, height=0.3];`,
    `  edge [color="#4a4a4a", arrowsize=0.6, constraint=false];`,
  ];
  const labelNode = (g: Group, pad: string) =>
    lines.push(
      `${pad}${dotString(labelOf(g))} [id=${dotString(`${m}:label:${g.key}`)}, class="label", shape=box, style=filled, fillcolor="#ffffff", penwidth=0, width=0, height=0, margin="0.03,0.01", label=${table(g.transitions.map((t) => row(t, 'CENTER')))}];`,
    );
  const render = (n: ChartNode, pad: string) => {
    const sid = dotString(`${m}:state:${n.id}`);
    const own = (internal.get(n.id) ?? []).map((t) => row(t, 'LEFT'));
    const tip = n.description ? `, tooltip=${dotString(n.description)}` : '';
    if (!composite(n)) {
      const name = n.type === 'history' ? (n.history === 'deep' ? 'H*' : 'H') : n.key;
      const shape = n.type === 'history' ? ', shape=circle' : n.type === 'final' ? ', peripheries=2' : '';
      const label = own.length ? table(own, dotHtml(name)) : dotString(name);
      lines.push(`${pad}${dotString(n.id)} [id=${sid}, class="state ${n.type}", label=${label}${shape}${tip}];`);
      return;
    }
    const style = n.type === 'parallel' ? 'dashed,rounded' : 'rounded';
    const label = n.type === 'parallel' ? `${n.key} (parallel)` : n.key;
    lines.push(`${pad}subgraph ${dotString(`cluster_${n.id}`)} {`);
    const inner = pad + '  ';
    lines.push(`${inner}graph [id=${sid}, class="state ${n.type}", label=${dotString(label)}, style=${dotString(style)}, color="#666666"${tip}];`);
    lines.push(inner + point(anchorOf(n.id), `${m}:anchor:${n.id}`));
    lines.push(inner + point(exitOf(n.id), `${m}:exit:${n.id}`));
    if (own.length) {
      lines.push(`${inner}${dotString(internalOf(n.id))} [id=${dotString(`${m}:internal:${n.id}`)}, class="internal", style="dashed,rounded", color="#888888", label=${table(own)}];`);
    }
    if (n.initial) {
      const init = byId.get(n.initial)!;
      const head = composite(init) ? `, lhead=${dotString(`cluster_${init.id}`)}` : '';
      lines.push(`${inner}${dotString(initialOf(n.id))} [id=${dotString(`${m}:initial:${n.id}`)}, shape=circle, style=filled, fillcolor="#000000", width=0.12, height=0.12, fixedsize=true, label=""];`);
      lines.push(`${inner}${dotString(initialOf(n.id))} -> ${dotString(headPort(init.id))} [id=${dotString(`${m}:initial-edge:${n.id}`)}, class="initial"${head}];`);
    }
    for (const c of n.children) render(c, inner);
    for (const g of labelsAt.get(n.id) ?? []) labelNode(g, inner);
    lines.push(`${pad}}`);
  };
  render(chart.root, '  ');
  for (const g of labelsAt.get(undefined) ?? []) labelNode(g, '  ');

  for (const g of groups) {
    const src = byId.get(g.source)!;
    const tail = [`id=${dotString(`${m}:edge:${g.key}`)}`, 'class="transition"', 'arrowhead=none'];
    if (composite(src)) tail.push(`ltail=${dotString(`cluster_${src.id}`)}`);
    lines.push(`  ${dotString(tailPort(g.source))} -> ${dotString(labelOf(g))} [${tail.join(', ')}];`);
    g.targets.forEach((to, j) => {
      const dst = byId.get(to)!;
      const head = [`id=${dotString(`${m}:edge:${g.key}.${j}`)}`, 'class="transition"'];
      if (composite(dst)) head.push(`lhead=${dotString(`cluster_${dst.id}`)}`);
      lines.push(`  ${dotString(labelOf(g))} -> ${dotString(headPort(to))} [${head.join(', ')}];`);
    });
  }

  // the ranks: an invisible spine outside the root, one point per rank, each rank pinned to it
  const byRank: string[][] = [];
  for (const [name, r] of ranks) (byRank[r] ??= []).push(name);
  for (let r = 0; r < byRank.length; r++) {
    lines.push('  ' + point(`rank:${r}`, `${m}:rank:${r}`));
    if (r > 0) lines.push(`  ${dotString(`rank:${r - 1}`)} -> ${dotString(`rank:${r}`)} [id=${dotString(`${m}:rank-edge:${r}`)}, style=invis, constraint=true];`);
    lines.push(`  { rank=same; ${[`rank:${r}`, ...(byRank[r] ?? [])].map(dotString).join('; ')}; }`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

interface LayerInput {
  /** The DOT nodes a state's cluster holds besides its child states (undefined: the top level, outside the root). */
  own(container: string | undefined): string[];
  /** The edges between those nodes and the nodes of the child states, in drawing order. */
  edges(container: string | undefined): readonly [string, string][];
  anchorOf(id: string): string;
  exitOf(id: string): string;
}

interface Item {
  key: string;
  height: number;
  /** Rank of each DOT node of the item from the item's top. */
  rel: Map<string, number>;
}

/**
 * Ranks every DOT node: inside each state, its items (child states, initial dot, label
 * nodes) get the longest-path rank of the edges between them, with cycles broken by a
 * depth-first search from the initial dot; a composite child is a block of its own height,
 * entered at its top and left at the rank of the node the edge leaves from; the regions of
 * a parallel state are stacked in definition order.
 */
function layer(chart: Chart, input: LayerInput): Map<string, number> {
  const block = (c: ChartNode | undefined): Item => {
    const children = c ? c.children : [chart.root];
    const items: Item[] = [];
    for (const name of input.own(c?.id)) items.push({ key: name, height: 1, rel: new Map([[name, 0]]) });
    for (const ch of children) items.push(composite(ch) ? { ...block(ch), key: ch.id } : { key: ch.id, height: 1, rel: new Map([[ch.id, 0]]) });
    const owner = new Map<string, Item>();
    for (const it of items) for (const name of it.rel.keys()) owner.set(name, it);
    interface Edge { u: Item; du: number; v: Item; dv: number }
    const out = new Map<Item, Edge[]>(items.map((it) => [it, []]));
    if (c?.type === 'parallel') {
      const regions = items.slice(items.length - children.length);
      for (let i = 0; i + 1 < regions.length; i++) out.get(regions[i]!)!.push({ u: regions[i]!, du: regions[i]!.height - 1, v: regions[i + 1]!, dv: 0 });
    }
    for (const [a, b] of input.edges(c?.id)) {
      const u = owner.get(a);
      const v = owner.get(b);
      if (!u || !v || u === v) continue;
      out.get(u)!.push({ u, du: u.rel.get(a)!, v, dv: v.rel.get(b)! });
    }
    // depth-first from the items in order (the initial dot first): edges back onto the stack are ignored
    const state = new Map<Item, 1 | 2>();
    const post: Item[] = [];
    const forward = new Set<Edge>();
    const visit = (it: Item) => {
      state.set(it, 1);
      for (const e of out.get(it)!) {
        const s = state.get(e.v);
        if (s === 1) continue;
        forward.add(e);
        if (s === undefined) visit(e.v);
      }
      state.set(it, 2);
      post.push(it);
    };
    for (const it of items) if (!state.has(it)) visit(it);
    const rank = new Map<Item, number>(items.map((it) => [it, 0]));
    for (const it of post.reverse()) {
      for (const e of out.get(it)!) if (forward.has(e)) rank.set(e.v, Math.max(rank.get(e.v)!, rank.get(it)! + e.du + 1 - e.dv));
    }
    const height = Math.max(1, ...items.map((it) => rank.get(it)! + it.height));
    const rel = new Map<string, number>();
    if (c) {
      rel.set(input.anchorOf(c.id), 0);
      rel.set(input.exitOf(c.id), height - 1);
    }
    for (const it of items) for (const [name, r] of it.rel) rel.set(name, rank.get(it)! + r);
    return { key: c?.id ?? '', height, rel };
  };
  return block(undefined).rel;
}

/** Counts read back from DOT (or the SVG Graphviz renders from it): distinct state and transition ids. */
export function countDot(text: string, machineId: string): { states: number; transitions: number } {
  const esc = machineId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const states = new Set(text.match(new RegExp(`id="${esc}:state:[^"]*"`, 'g')) ?? []);
  const transitions = new Set([...text.matchAll(new RegExp(`(?:id|ID)="(?:a_)?${esc}:transition:(\\d+)`, 'g'))].map((x) => x[1]));
  return { states: states.size, transitions: transitions.size };
}
