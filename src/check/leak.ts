// Why an exploration does not finish: the context fields that keep growing. At the state
// limit, `growingFields` reads the deepest BFS levels and the shortest path to the deepest
// state and names each numeric field whose largest value rose level after level, with the
// events that raised it and a bound to put on it. While a variant file's check runs,
// `GrowthWatch` samples the stored contexts and stops the run early when one integer field
// has taken more values than any bounded field of the machines can (a counter that leaks),
// so the report comes in seconds rather than after a minute at the limit.
// (conc's src/check/growth.ts projects the frontier's growth; this names the fields.)
import type { EventObject } from 'xstate';
import type { Model } from '../spec.ts';
import type { Exploration } from './explore.ts';

/** A context field that kept growing along the deepest paths. */
export interface GrowingField {
  /** `ctx.vms.0.users`; an array's length is `ctx.list.length`. */
  path: string;
  /** Its values along the shortest path to the deepest state, first and last few. */
  along: string;
  /** Its largest value at each of the last depths explored. */
  maxPerDepth: number[];
  /** The events whose steps raised it along that path, most frequent first. */
  raisedBy: string[];
  /** What to do about it, in one sentence. */
  suggestion: string;
}

/** More distinct values than a byte-wide mask can take: only a field that grows without bound gets there. */
export const LEAK_VALUES = 256;

/** Every numeric leaf of a context (and the length of every array), by path. */
export function numericLeaves(v: unknown, at = 'ctx', out = new Map<string, number>()): Map<string, number> {
  if (typeof v === 'number') out.set(at, v);
  else if (Array.isArray(v)) {
    out.set(`${at}.length`, v.length);
    v.forEach((x, i) => numericLeaves(x, `${at}.${i}`, out));
  } else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'params') numericLeaves(x, `${at}.${k}`, out);
  return out;
}

/** Thrown by GrowthWatch to stop an exploration early. */
export class GrowthStop extends Error {
  override name = 'GrowthStop';
  constructor(
    readonly path: string,
    readonly min: number,
    readonly max: number,
    readonly states: number,
  ) {
    super(`${path} has taken more than ${LEAK_VALUES} values (${min}..${max}) in ${states.toLocaleString('en')} states and keeps growing`);
  }
}

/** Samples every `every`-th stored context; throws GrowthStop once an integer field has more than LEAK_VALUES distinct values. */
export class GrowthWatch {
  private seen = new Map<string, Set<number>>();
  private n = 0;
  constructor(private readonly every = 16) {}
  observe(context: unknown): void {
    if (this.n++ % this.every !== 0) return;
    for (const [path, v] of numericLeaves(context)) {
      if (!Number.isInteger(v)) continue;
      let s = this.seen.get(path);
      if (!s) this.seen.set(path, (s = new Set()));
      if (s.size > LEAK_VALUES) continue;
      s.add(v);
      if (s.size > LEAK_VALUES) throw new GrowthStop(path, Math.min(...s), Math.max(...s), this.n);
    }
  }
}

/** How many of the last depths are read (states sampled per depth). */
const DEPTHS = 12;
const SAMPLE = 400;

/**
 * The numeric context fields whose largest value rose at most of the last depths of an
 * exploration that reached its limit, and rose along the shortest path to the deepest state.
 */
export function growingFields(model: Model, x: Exploration): GrowingField[] {
  const n = x.states.length;
  if (n < 2) return [];
  // states are in BFS order: each depth is a contiguous range
  const first = new Map<number, number>();
  for (let i = n - 1; i >= 0; i--) first.set(x.depth[i]!, i);
  const deepest = x.depth[n - 1]!;
  const depths = [...first.keys()].filter((d) => d > deepest - DEPTHS).sort((a, b) => a - b);
  if (depths.length < 4) return [];
  const maxAt = new Map<string, number[]>();
  depths.forEach((d, k) => {
    const from = first.get(d)!;
    const to = first.get(d + 1) ?? n;
    const step = Math.max(1, Math.floor((to - from) / SAMPLE));
    for (let i = from; i < to; i += step) {
      for (const [path, v] of numericLeaves(x.states[i]!.context)) {
        let m = maxAt.get(path);
        if (!m) maxAt.set(path, (m = new Array(depths.length).fill(-Infinity)));
        if (v > m[k]!) m[k] = v;
      }
    }
  });
  // the shortest path to the deepest state, and each field's values along it
  const path: number[] = [];
  for (let s = n - 1; s >= 0; s = x.parent[s]!) {
    path.push(s);
    if (x.parent[s]! < 0) break;
  }
  path.reverse();
  const leaves = path.map((s) => numericLeaves(x.states[s]!.context));
  const out: GrowingField[] = [];
  for (const [p, m] of maxAt) {
    const rises = m.slice(1).filter((v, k) => v > m[k]!).length;
    if (rises < Math.ceil((depths.length - 1) / 2)) continue;
    const along = leaves.map((l) => l.get(p));
    const a0 = along[0], aN = along[along.length - 1];
    if (a0 === undefined || aN === undefined || !(aN > a0)) continue;
    const raised = new Map<string, number>();
    for (let k = 1; k < path.length; k++) {
      const before = along[k - 1], after = along[k];
      if (before !== undefined && after !== undefined && after > before) {
        const e = model.events[x.parentEvent[path[k]!]!] as EventObject;
        raised.set(e.type, (raised.get(e.type) ?? 0) + 1);
      }
    }
    const raisedBy = [...raised].sort((a, b) => b[1] - a[1]).map(([t, c]) => `${t} (${c}x)`);
    out.push({ path: p, along: valuesText(along), maxPerDepth: m.filter((v) => v > -Infinity), raisedBy, suggestion: suggestion(p, aN, raisedBy) });
  }
  return out.sort((a, b) => b.raisedBy.length - a.raisedBy.length || a.path.localeCompare(b.path));
}

function valuesText(vs: readonly (number | undefined)[]): string {
  const xs = vs.map((v) => (v === undefined ? '-' : String(v)));
  return xs.length > 10 ? `${xs.slice(0, 4).join(', ')}, ..., ${xs.slice(-4).join(', ')}` : xs.join(', ');
}

function suggestion(path: string, last: number, raisedBy: readonly string[]): string {
  const by = raisedBy.length ? ` in ${raisedBy.map((r) => r.replace(/ \(.*$/, '')).slice(0, 3).join(', ')}` : '';
  const field = path.replace(/^ctx/, 'context').replace(/\.(\d+)(?=\.|$)/g, '[$1]!');
  return `if it must stay bounded, it leaks (something raises it that nothing lowers); else bound the exploration with a guard${by} such as ${field} < ${Math.max(3, Math.min(last, 8))} (the core machines cap such counts at COUNT_CAP = 3)`;
}

/** The report's lines for the growing fields (indented two spaces). */
export function growthLines(fields: readonly GrowingField[]): string[] {
  if (!fields.length) return [];
  return [
    '  fields that kept growing along the deepest paths:',
    ...fields.slice(0, 5).flatMap((f) => [
      `    ${f.path}: ${f.along} along the shortest path to the deepest state; largest per depth ${f.maxPerDepth.join(', ')}${f.raisedBy.length ? `; raised by ${f.raisedBy.join(', ')}` : ''}`,
      `      ${f.suggestion}`,
    ]),
  ];
}
