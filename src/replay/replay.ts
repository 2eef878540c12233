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

/** A field value a printed record allows: one value, any of several, or any ('*'). */
export type Allowed = string | number | readonly (string | number)[];

/**
 * One line as the kernel printed it, reduced to an event name and the fields it shows; or what a
 * step prints, whose fields may allow several values (a vcpu of several in SIE, any response code).
 */
export interface LogRecord {
  event: string;
  fields: Readonly<Record<string, Allowed>>;
  /** The line's prefix as the kernel printed it (s390dbf view header, ftrace context), kept for the output. */
  where?: string;
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
  /**
   * The unlogged steps worth taking before a line: those of the objects it speaks of. Steps of
   * other objects commute with them and are taken before those objects' own lines instead, so
   * the search does not multiply the guests of a log. Returns a key (the closure cache's) and
   * the filter, or undefined for every step.
   */
  related?: (record: LogRecord) => { key: string; filter: (event: EventObject) => boolean } | undefined;
  /**
   * Search with the fewest unlogged steps first: before each line, take only as many unlogged
   * steps as the nearest step that prints it needs. A path found this way is a real path (the
   * log conforms); a failure is not final, since a line further on may have needed more unlogged
   * steps earlier: the caller then replays the log again without it (the exhaustive search, the
   * default). On a log of several guests and queues it keeps the frontier to the states that
   * differ in what the log shows, instead of every interleaving of the others' unlogged steps.
   */
  fewestHidden?: boolean;
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
  /** The prefix of each of those lines (empty string where a line has none). */
  at: string[];
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
  /** The entry this one was reached from, -1 for a start. */
  parent: number;
  step: CachedStep | undefined;
  /** For a start: which of the starts (reach's `ids`) it is. */
  src: number;
  /** Unlogged steps from the start. */
  depth: number;
}

type Related = { key: string; filter: (event: EventObject) => boolean };

interface PathNode {
  prev: PathNode | null;
  /** Index into model.events, or -1 when the line was printed by the step before. */
  event: number;
  line: number;
  /** Whether this step printed line `line` (else it is an unlogged step before it). */
  logged: boolean;
  /** The prefix of line `line`, for a logged step. */
  where: string;
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
  private closures = new Map<string, ClosureEntry[]>();
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

  /** Every state reachable by at most maxHidden unlogged steps (of the events `related` lets through), breadth first (fewest steps first). */
  closure(id: number, related?: Related): ClosureEntry[] {
    const cacheKey = related ? `${id}:${related.key}` : String(id);
    const cached = this.closures.get(cacheKey);
    if (cached) return cached;
    const out = this.bfs([id], related);
    this.closures.set(cacheKey, out);
    return out;
  }

  /**
   * The states within maxHidden unlogged steps of any of `ids` (the frontier's states): one
   * breadth-first search from all of them, so states their closures share are visited once.
   */
  reach(ids: readonly number[], related?: Related): ClosureEntry[] {
    return ids.length === 1 ? this.closure(ids[0]!, related) : this.bfs(ids, related);
  }

  /**
   * Like reach, level by level: `level(entries, from, to)` sees the entries of each depth as it
   * is completed and stops the search by returning true. A single start's closure comes from the
   * cache when it is there.
   */
  reachLevels(ids: readonly number[], related: Related | undefined, level: (out: readonly ClosureEntry[], from: number, to: number) => boolean): ClosureEntry[] {
    const cached = ids.length === 1 ? this.closures.get(related ? `${ids[0]}:${related.key}` : String(ids[0])) : undefined;
    if (cached) {
      for (let from = 0; from < cached.length; ) {
        let to = from;
        while (to < cached.length && cached[to]!.depth === cached[from]!.depth) to++;
        if (level(cached, from, to)) break;
        from = to;
      }
      return cached;
    }
    return this.bfs(ids, related, level);
  }

  private bfs(ids: readonly number[], related: Related | undefined, level?: (out: readonly ClosureEntry[], from: number, to: number) => boolean): ClosureEntry[] {
    const out: ClosureEntry[] = ids.map((id, src) => ({ id, parent: -1, step: undefined, src, depth: 0 }));
    const seen = new Set(ids);
    let from = 0;
    if (level?.(out, 0, out.length)) return out;
    for (let depth = 0; depth < this.maxHidden; depth++) {
      const to = out.length;
      for (let i = from; i < to; i++) {
        for (const s of this.stepsFrom(out[i]!.id)) {
          if (s.records.length || seen.has(s.to)) continue;
          if (related && !related.filter(this.model.events[s.event]!)) continue;
          seen.add(s.to);
          out.push({ id: s.to, parent: i, step: s, src: out[i]!.src, depth: depth + 1 });
        }
      }
      if (out.length === to) break;
      if (level?.(out, to, out.length)) break;
      from = to;
    }
    return out;
  }
}

/** Any value of a field, in a printed record. */
export const ANY_VALUE = '*';

/** Whether a logged record shows what the model prints: same event, and each logged field allowed. */
export function matches(logged: LogRecord, printed: LogRecord): boolean {
  if (logged.event !== printed.event) return false;
  for (const k in logged.fields) {
    const p = printed.fields[k];
    const v = logged.fields[k] as string | number;
    if (p === ANY_VALUE) continue;
    if (Array.isArray(p) ? !p.includes(v) : p !== v) return false;
  }
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
  const node = (prev: PathNode | null, event: number, line: number, logged: boolean, where = ''): PathNode => ({
    prev,
    event,
    line,
    logged,
    where,
    n: (prev?.n ?? 0) + (event < 0 ? 0 : 1),
    h: (prev?.h ?? 0) + (logged ? 0 : 1),
  });
  // the back-pointers of the hidden steps leading to entry i of a reach from `starts`
  const hiddenChain = (starts: readonly Item[], reach: readonly ClosureEntry[], i: number, line: number): PathNode | null => {
    const c = reach[i]!;
    if (c.parent < 0) return starts[c.src]!.back;
    return node(hiddenChain(starts, reach, c.parent, line), c.step!.event, line, false);
  };
  for await (const text of lines) {
    lineNo++;
    const record = opts.parse(text, lineNo);
    if (!record) continue;
    const related = opts.related?.(record);
    const next = new Map<string | number, Item>();
    const starts: Item[] = [];
    for (const item of frontier.values()) {
      if (!item.pend.length) {
        starts.push(item);
        continue;
      }
      // the rest of what the last step printed must come first
      if (matches(record, item.pend[0]!)) {
        const pend = item.pend.slice(1);
        const key = pend.length ? `${item.id}:${JSON.stringify(pend)}` : item.id;
        if (!next.has(key)) next.set(key, { id: item.id, pend, back: node(item.back, -1, lineNo, true, record.where) });
      }
    }
    const take = (reach: readonly ClosureEntry[], from: number, to: number): boolean => {
      for (let i = from; i < to; i++) {
        for (const s of graph.stepsFrom(reach[i]!.id)) {
          if (!s.records.length || !matches(record, s.records[0]!)) continue;
          const pend = s.records.slice(1);
          const key = pend.length ? `${s.to}:${JSON.stringify(pend)}` : s.to;
          if (next.has(key)) continue;
          next.set(key, { id: s.to, pend, back: node(hiddenChain(starts, reach, i, lineNo), s.event, lineNo, true, record.where) });
        }
      }
      return next.size > 0;
    };
    if (starts.length) {
      const ids = starts.map((i) => i.id);
      if (opts.fewestHidden) graph.reachLevels(ids, related, take);
      else {
        const reach = graph.reach(ids, related);
        take(reach, 0, reach.length);
      }
    }
    if (next.size === 0) return failure(graph, frontier, lineNo, text, record, explained, related);
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

function failure(
  graph: StepGraph,
  frontier: Map<string | number, Item>,
  line: number,
  text: string,
  record: LogRecord,
  explained: number,
  related: Related | undefined,
): ReplayResult {
  const accepted = new Map<string, { record: LogRecord; by: EventObject[] }>();
  const accept = (record: LogRecord, event: EventObject | undefined) => {
    const key = formatRecord(record);
    const a = accepted.get(key) ?? { record, by: [] };
    if (event && !a.by.includes(event)) a.by.push(event);
    accepted.set(key, a);
  };
  const starts: number[] = [];
  for (const item of frontier.values()) {
    if (item.pend.length) accept(item.pend[0]!, undefined);
    else starts.push(item.id);
  }
  if (starts.length) for (const c of graph.reach(starts, related)) for (const s of graph.stepsFrom(c.id)) if (s.records.length) accept(s.records[0]!, graph.model.events[s.event]);
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
      // a further line printed by the same step
      out[out.length - 1]?.lines.push(n.line);
      out[out.length - 1]?.at.push(n.where);
      continue;
    }
    const event = model.events[n.event]!;
    out.push({ step: n.n, event, actor: model.eventInfo[event.type]?.actor ?? 'unknown', lines: n.logged ? [n.line] : [], at: n.logged ? [n.where] : [] });
  }
  return out;
}

/**
 * One line per step: `3. [guest] PQAP_AQIC {"q":0,"ir":1}  <- line 2`, unlogged steps marked;
 * the prefix of each line the step printed follows it in brackets.
 */
export function formatPath(path: readonly PathStep[]): string[] {
  return path.map((s) => {
    const { type, ...payload } = s.event;
    const args = Object.keys(payload).length ? ' ' + JSON.stringify(payload) : '';
    const lines = s.lines.map((l, i) => (s.at[i] ? `${l} [${s.at[i]}]` : String(l)));
    const where = s.lines.length ? `  <- line ${lines.join(', ')}` : '  (unlogged)';
    return `  ${s.step}. [${s.actor}] ${type}${args}${where}`;
  });
}
