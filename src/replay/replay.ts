// Trace conformance: stream a kernel event log and search for a path of a machine that prints
// exactly the logged lines, with unlogged steps (millicode, hardware, timers, kernel steps the
// format never prints) in between.
//
// The search keeps a frontier (state key -> one back-pointer) after each line. A step of the
// machine is (state, enumerated event); what the kernel would print for it is computed by the
// format's printer from the step's observations (the event and every event raised inside the
// macrostep, seen through xstate's microstep inspection). A step that prints nothing is
// unlogged; at most `maxHidden` of them may precede a logged line.
//
// Memory: the frontier is bounded by the machine's reachable states; the step and closure caches
// are keyed by state, so they are bounded by the reachable state space too, never by the log.
// Back-pointers form a shared linked list that the garbage collector prunes as branches die;
// every `keep` lines the list is cut `keep` lines behind the current one, so the reconstructed
// path covers at most the last `keep` lines (default 10,000) and earlier steps are only counted.
import { getInitialSnapshot, type AnyActorScope, type AnyMachineSnapshot, type EventObject } from 'xstate';
import type { Model } from '../spec.ts';
import { abstractState, inertScope, stateKey } from '../check/explore.ts';

/** One line as the kernel printed it, reduced to an event name and the fields it shows. */
export interface LogRecord {
  event: string;
  fields: Readonly<Record<string, string | number>>;
}

/** An event seen inside a step (the step's own event or one raised by it) and the snapshot before it. */
export interface Observation {
  event: EventObject;
  before: AnyMachineSnapshot;
}

export interface Step {
  before: AnyMachineSnapshot;
  event: EventObject;
  after: AnyMachineSnapshot;
  observations: readonly Observation[];
}

/** What the kernel prints for one step of the machine, in order; [] for an unlogged step. */
export type Printer = (step: Step) => LogRecord[];

export interface ReplayOptions {
  printer: Printer;
  /** Parses one line; null skips it (blank lines, comments). Throws MalformedLogError for bad input. */
  parse: (text: string, line: number) => LogRecord | null;
  /** Unlogged steps allowed before each logged line (default 8). */
  maxHidden?: number;
  /** Lines of path kept for the reconstruction (default 10,000; Infinity keeps all). */
  keep?: number;
}

export class MalformedLogError extends Error {
  override name = 'MalformedLogError';
  constructor(
    readonly line: number,
    what: string,
  ) {
    super(`line ${line}: ${what}`);
  }
}

export interface PathStep {
  /** 1-based over the whole run, counting steps dropped by `keep`. */
  step: number;
  event: EventObject;
  actor: string;
  /** The log lines this step printed (empty for an unlogged step). */
  lines: number[];
}

export interface StateView {
  value: unknown;
  context: unknown;
}

export type ReplayResult =
  | {
      ok: true;
      lines: number;
      steps: number;
      hidden: number;
      /** Steps before `path[0]` that `keep` dropped. */
      dropped: number;
      path: PathStep[];
    }
  | {
      ok: false;
      /** The first line no path explains. */
      line: number;
      text: string;
      record: LogRecord;
      /** Lines explained before it. */
      explained: number;
      /** What the model would have printed next, from any frontier state, with the machine events whose steps print it. */
      accepted: { record: LogRecord; by: EventObject[] }[];
      /** The frontier states (at most 3). */
      states: StateView[];
      frontier: number;
      dropped: number;
      /** A path to the first frontier state. */
      path: PathStep[];
    };

interface CachedStep {
  event: number;
  to: number;
  records: LogRecord[];
}

interface ClosureEntry {
  id: number;
  parent: number;
  step: CachedStep | undefined;
}

interface PathNode {
  prev: PathNode | null;
  /** Index into model.events, or -1 when the line was printed by the step before. */
  event: number;
  line: number;
  /** Whether this step printed line `line` (else it is an unlogged step before it). */
  logged: boolean;
  /** Steps, and unlogged steps, from the start of the run to this one (kept when `keep` cuts the list). */
  n: number;
  h: number;
}

interface Item {
  id: number;
  /** Records the last step printed that the next lines must show. */
  pend: LogRecord[];
  back: PathNode | null;
}

/** The machine's step graph, built lazily from the states the replay reaches. */
export class StepGraph {
  private ids = new Map<string, number>();
  private snaps: AnyMachineSnapshot[] = [];
  private steps: (CachedStep[] | undefined)[] = [];
  private closures = new Map<number, ClosureEntry[]>();
  private scope: AnyActorScope;
  private seen: Observation[] = [];
  private current: AnyMachineSnapshot | undefined;
  readonly initial: number;

  constructor(
    readonly model: Model,
    private printer: Printer,
    readonly maxHidden: number,
  ) {
    const scope = inertScope(model.machine) as unknown as { system: Record<string, unknown> };
    const system = scope.system;
    // record every microstep's event: the step's own and each one raised inside the macrostep
    scope.system = new Proxy(system, {
      get: (t, p) =>
        p === '_sendInspectionEvent'
          ? (ev: { type: string; event: EventObject; snapshot: AnyMachineSnapshot }) => {
              if (ev.type !== '@xstate.microstep') return;
              this.seen.push({ event: ev.event, before: this.current! });
              this.current = ev.snapshot;
            }
          : t[p as string],
    });
    this.scope = scope as unknown as AnyActorScope;
    this.initial = this.intern(getInitialSnapshot(model.machine));
  }

  snapshot(id: number): AnyMachineSnapshot {
    return this.snaps[id]!;
  }

  private intern(snap: AnyMachineSnapshot): number {
    const key = stateKey(abstractState(snap));
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.snaps.length;
      this.ids.set(key, id);
      this.snaps.push(snap);
    }
    return id;
  }

  stepsFrom(id: number): CachedStep[] {
    let out = this.steps[id];
    if (out) return out;
    out = [];
    const before = this.snaps[id]!;
    const events = this.model.events;
    for (let e = 0; e < events.length; e++) {
      this.seen = [];
      this.current = before;
      const after = this.model.machine.transition(before, events[e]!, this.scope) as AnyMachineSnapshot;
      if (after === before) continue;
      const records = this.printer({ before, event: events[e]!, after, observations: this.seen });
      out.push({ event: e, to: this.intern(after), records });
    }
    this.steps[id] = out;
    return out;
  }

  /** Every state reachable by at most maxHidden unlogged steps, breadth first (fewest steps first). */
  closure(id: number): ClosureEntry[] {
    const cached = this.closures.get(id);
    if (cached) return cached;
    const out: ClosureEntry[] = [{ id, parent: -1, step: undefined }];
    const seen = new Set([id]);
    let from = 0;
    for (let depth = 0; depth < this.maxHidden; depth++) {
      const to = out.length;
      for (let i = from; i < to; i++) {
        for (const s of this.stepsFrom(out[i]!.id)) {
          if (s.records.length || seen.has(s.to)) continue;
          seen.add(s.to);
          out.push({ id: s.to, parent: i, step: s });
        }
      }
      if (out.length === to) break;
      from = to;
    }
    this.closures.set(id, out);
    return out;
  }
}

/** Whether a logged record shows what the model prints: same event, and each logged field equal. */
export function matches(logged: LogRecord, printed: LogRecord): boolean {
  if (logged.event !== printed.event) return false;
  for (const k in logged.fields) if (printed.fields[k] !== logged.fields[k]) return false;
  return true;
}

export function formatRecord(r: LogRecord): string {
  return Object.keys(r.fields).length ? `${r.event} ${JSON.stringify(r.fields)}` : r.event;
}

/** Replays `lines` against `model`; throws MalformedLogError on a line the format cannot read. */
export async function replay(model: Model, lines: AsyncIterable<string> | Iterable<string>, opts: ReplayOptions): Promise<ReplayResult> {
  const graph = new StepGraph(model, opts.printer, opts.maxHidden ?? 8);
  const keep = opts.keep ?? 10_000;
  let frontier = new Map<string | number, Item>([[graph.initial, { id: graph.initial, pend: [], back: null }]]);
  let lineNo = 0;
  let explained = 0;
  const node = (prev: PathNode | null, event: number, line: number, logged: boolean): PathNode => ({ prev, event, line, logged, n: (prev?.n ?? 0) + (event < 0 ? 0 : 1), h: (prev?.h ?? 0) + (logged ? 0 : 1) });
  // the back-pointers of the hidden steps leading to closure entry i
  const hiddenChain = (back: PathNode | null, closure: ClosureEntry[], i: number, line: number): PathNode | null => {
    if (i <= 0) return back;
    const c = closure[i]!;
    return node(hiddenChain(back, closure, c.parent, line), c.step!.event, line, false);
  };
  for await (const text of lines) {
    lineNo++;
    const record = opts.parse(text, lineNo);
    if (!record) continue;
    const next = new Map<string | number, Item>();
    for (const item of frontier.values()) {
      if (item.pend.length) {
        // the rest of what the last step printed must come first
        if (matches(record, item.pend[0]!)) {
          const pend = item.pend.slice(1);
          const key = pend.length ? `${item.id}:${JSON.stringify(pend)}` : item.id;
          if (!next.has(key)) next.set(key, { id: item.id, pend, back: node(item.back, -1, lineNo, true) });
        }
        continue;
      }
      const closure = graph.closure(item.id);
      for (let i = 0; i < closure.length; i++) {
        for (const s of graph.stepsFrom(closure[i]!.id)) {
          if (!s.records.length || !matches(record, s.records[0]!)) continue;
          const pend = s.records.slice(1);
          const key = pend.length ? `${s.to}:${JSON.stringify(pend)}` : s.to;
          if (next.has(key)) continue;
          next.set(key, { id: s.to, pend, back: node(hiddenChain(item.back, closure, i, lineNo), s.event, lineNo, true) });
        }
      }
    }
    if (next.size === 0) return failure(graph, frontier, lineNo, text, record, explained);
    frontier = next;
    explained++;
    if (Number.isFinite(keep) && explained % keep === 0) prune(frontier, lineNo - keep);
  }
  const end = [...frontier.values()];
  const best = end.find((i) => !i.pend.length) ?? end[0]!;
  const path = pathOf(model, best.back);
  return { ok: true, lines: explained, steps: best.back?.n ?? 0, hidden: best.back?.h ?? 0, dropped: path.length ? path[0]!.step - 1 : 0, path };

  function prune(items: Map<string | number, Item>, cutoff: number): void {
    for (const item of items.values()) {
      for (let n = item.back; n?.prev; n = n.prev) {
        if (n.prev.line <= cutoff) {
          n.prev = null;
          break;
        }
      }
    }
  }
}

function failure(graph: StepGraph, frontier: Map<string | number, Item>, line: number, text: string, record: LogRecord, explained: number): ReplayResult {
  const accepted = new Map<string, { record: LogRecord; by: EventObject[] }>();
  const accept = (record: LogRecord, event: EventObject | undefined) => {
    const key = formatRecord(record);
    const a = accepted.get(key) ?? { record, by: [] };
    if (event && !a.by.includes(event)) a.by.push(event);
    accepted.set(key, a);
  };
  for (const item of frontier.values()) {
    if (item.pend.length) accept(item.pend[0]!, undefined);
    else for (const c of graph.closure(item.id)) for (const s of graph.stepsFrom(c.id)) if (s.records.length) accept(s.records[0]!, graph.model.events[s.event]);
  }
  const items = [...frontier.values()];
  const states = items.slice(0, 3).map((i) => {
    const s = abstractState(graph.snapshot(i.id));
    return { value: s.value, context: s.context };
  });
  const path = pathOf(graph.model, items[0]!.back);
  return { ok: false, line, text, record, explained, accepted: [...accepted.values()], states, frontier: frontier.size, dropped: path.length ? path[0]!.step - 1 : 0, path };
}

function pathOf(model: Model, back: PathNode | null): PathStep[] {
  const nodes: PathNode[] = [];
  for (let n = back; n; n = n.prev) nodes.push(n);
  nodes.reverse();
  const out: PathStep[] = [];
  for (const n of nodes) {
    if (n.event < 0) {
      out[out.length - 1]?.lines.push(n.line); // a further line printed by the same step
      continue;
    }
    const event = model.events[n.event]!;
    out.push({ step: n.n, event, actor: model.eventInfo[event.type]?.actor ?? 'unknown', lines: n.logged ? [n.line] : [] });
  }
  return out;
}

/** One line per step: `3. [guest] PQAP_AQIC {"q":0,"ir":1}  <- line 2`, unlogged steps marked. */
export function formatPath(path: readonly PathStep[]): string[] {
  return path.map((s) => {
    const { type, ...payload } = s.event;
    const args = Object.keys(payload).length ? ' ' + JSON.stringify(payload) : '';
    const where = s.lines.length ? `  <- line ${s.lines.join(', ')}` : '  (unlogged)';
    return `  ${s.step}. [${s.actor}] ${type}${args}${where}`;
  });
}
