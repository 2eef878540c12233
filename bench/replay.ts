// The replay section of `npm run bench`: lines per second on a conforming log of a million lines,
// generated while it is read (a random walk of the machine that prints each step as the format
// would; never held in memory), for NDJSON on the composed system and the kernel's text on vfio-ccw.
import { findSpec } from '../machines/index.ts';
import { explore } from '../src/check/explore.ts';
import { makeFormat, type FormatId } from '../src/replay/formats.ts';
import { replay, StepGraph, type LogRecord } from '../src/replay/replay.ts';
import type { Model } from '../src/spec.ts';

/** xorshift32: a reproducible walk. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/**
 * Walks the machine at random inside the states from which the initial state is reachable again
 * (so the walk never ends in a teardown), with at most `maxHidden` unlogged steps in a row, and
 * yields `lines` log lines.
 */
export function walkLog(model: Model, format: FormatId, lines: number, toLine: (r: LogRecord) => string, maxHidden = 8, seed = 1): Generator<string> {
  const f = makeFormat(format, model);
  const graph = new StepGraph(model, f.printer, maxHidden);
  const live = liveStates(model, graph);
  return walk(graph, live, lines, toLine, maxHidden, random(seed));
}

function* walk(graph: StepGraph, live: Set<number>, lines: number, toLine: (r: LogRecord) => string, maxHidden: number, rnd: () => number): Generator<string> {
  const model = graph.model;
  let id = graph.initial;
  let hidden = 0;
  for (let n = 0; n < lines; ) {
    const steps = graph.stepsFrom(id).filter((s) => live.has(s.to) && (hidden < maxHidden || s.records.length));
    if (!steps.length) throw new Error(`the walk of ${model.machineId} is stuck in state ${id}`);
    const s = steps[Math.floor(rnd() * steps.length)]!;
    hidden = s.records.length ? 0 : hidden + 1;
    for (const r of s.records) {
      yield toLine(r);
      n++;
    }
    id = s.to;
  }
}

/** The graph ids of the states from which the initial state can be reached. */
function liveStates(model: Model, graph: StepGraph): Set<number> {
  const x = explore(model);
  const back: number[][] = x.states.map(() => []);
  for (let i = 0; i < x.edges.length; i += 3) back[x.edges[i + 2]!]!.push(x.edges[i]!);
  const seen = new Set([0]);
  const queue = [0];
  while (queue.length) for (const p of back[queue.shift()!]!) if (!seen.has(p)) (seen.add(p), queue.push(p));
  // map exploration indices to graph ids by walking the same snapshots through the graph
  const ids = new Set<number>();
  const byKey = new Map(x.keys.map((k, i) => [k, i]));
  const stack = [graph.initial];
  const visited = new Set(stack);
  while (stack.length) {
    const id = stack.pop()!;
    const snap = graph.snapshot(id);
    const i = byKey.get(JSON.stringify([snap.value, snap.context]));
    if (i !== undefined && seen.has(i)) ids.add(id);
    for (const s of graph.stepsFrom(id)) if (!visited.has(s.to)) (visited.add(s.to), stack.push(s.to));
  }
  return ids;
}

export const ndjsonLine = (r: LogRecord) => JSON.stringify({ event: r.event, ...r.fields });

/** The vfio_ccw_fsm_event TP_printk line for a record, with an ftrace prefix. */
export function ccwLine(): (r: LogRecord) => string {
  const states = ['NOT_OPER', 'STANDBY', 'IDLE', 'CP_PROCESSING', 'CP_PENDING'];
  const events = ['NOT_OPER', 'IO_REQ', 'INTERRUPT', 'ASYNC_REQ', 'OPEN', 'CLOSE'];
  return (r) => `qemu-kvm-2301 [001] ..... 102.118801: vfio_ccw_fsm_event: schid=0.0.0313 state=${states.indexOf(String(r.fields.state))} event=${events.indexOf(r.event.replace('VFIO_CCW_EVENT_', ''))}`;
}

export async function replayBench(lines = 1_000_000): Promise<string[]> {
  const out = ['', `replay: a generated conforming log of ${lines.toLocaleString('en')} lines, streamed`, '', 'machine | format | lines | time | lines/s | heap after', '--- | --- | ---: | ---: | ---: | ---:'];
  const cases: [string, FormatId, (m: Model) => (r: LogRecord) => string][] = [
    ['system', 'ndjson', () => ndjsonLine],
    ['vfio_ccw_private', 'text', ccwLine],
  ];
  for (const [id, format, line] of cases) {
    const model = findSpec(id)!.model();
    const f = makeFormat(format, model);
    const log = walkLog(model, format, lines, line(model));
    const t = performance.now();
    const r = await replay(model, log, { parse: f.parse, printer: f.printer });
    const ms = performance.now() - t;
    if (!r.ok) throw new Error(`the generated ${id} log does not conform at line ${r.line}: ${r.text}`);
    const heap = `${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`;
    out.push([`${model.machineId}/${model.variantId}/${model.configurationId}`, format, r.lines.toLocaleString('en'), `${(ms / 1000).toFixed(1)} s`, Math.round(r.lines / (ms / 1000)).toLocaleString('en'), heap].join(' | '));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--lines');
  for (const l of await replayBench(i > 0 ? Number(process.argv[i + 1]) : undefined)) console.log(l);
}
