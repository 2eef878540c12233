// Building kernel audits (src/audit.ts) from the facts transcribed once in audit-kernel.ts:
// each machine's <object>.audit.ts marks every branch of the functions that touch what it
// models; the composed guest's audit merges the per-object audits.
import type { AuditEntry, AuditMark, AuditPath, EntryKind, KernelAudit } from '../src/audit.ts';

/** One branch, error return or outcome of a kernel function, as read in the C. */
export interface PathFact {
  path: string;
  writes: readonly string[];
  returns?: string;
}

/** One kernel function or entry point, transcribed from the pinned source. */
export interface Fact {
  fn: string;
  file: string;
  kind: EntryKind;
  callers?: readonly string[];
  locks: readonly string[];
  reads: readonly string[];
  writes: readonly string[];
  unlocked?: readonly string[];
  /** Branches keyed by a short name the audits mark; a fact without branches is marked whole. */
  paths?: Readonly<Record<string, PathFact>>;
}

export type Mark =
  | { mark: 'modelled'; by: readonly string[]; reason?: string }
  | { mark: 'abstracted' | 'ignored' | 'missing'; reason: string };

/** An event, guard or action of the machine mirrors it. */
export const modelled = (...by: string[]): Mark => ({ mark: 'modelled', by });
/** Modelled, with a note on how (one atomic step, a payload ...). */
export const modelledAs = (reason: string, ...by: string[]): Mark => ({ mark: 'modelled', by, reason });
export const abstracted = (reason: string): Mark => ({ mark: 'abstracted', reason });
export const ignored = (reason: string): Mark => ({ mark: 'ignored', reason });
export const missing = (reason: string): Mark => ({ mark: 'missing', reason });

export function fact(f: Fact): Fact {
  return f;
}

const union = (...lists: (readonly string[] | undefined)[]): string[] => [...new Set(lists.flatMap((l) => l ?? []))];

/** The priority of marks when audits are merged: the composed machine models what any part models. */
const RANK: Record<AuditMark, number> = { modelled: 3, abstracted: 2, missing: 1, ignored: 0 };

function summary(paths: readonly AuditPath[]): { mark: AuditMark; by?: string[]; reason?: string } {
  const best = paths.reduce<AuditMark>((m, p) => (RANK[p.mark] > RANK[m] ? p.mark : m), 'ignored');
  if (best === 'modelled') return { mark: 'modelled', by: union(...paths.map((p) => p.by)) };
  const counts = (['abstracted', 'missing', 'ignored'] as const).map((m) => [m, paths.filter((p) => p.mark === m).length] as const);
  return { mark: best, reason: 'per path: ' + counts.filter(([, n]) => n).map(([m, n]) => `${n} ${m}`).join(', ') };
}

function pathOf(p: PathFact, m: Mark): AuditPath {
  const out: { -readonly [K in keyof AuditPath]: AuditPath[K] } = { path: p.path, writes: p.writes, mark: m.mark };
  if (p.returns !== undefined) out.returns = p.returns;
  if (m.mark === 'modelled') out.by = m.by;
  if (m.reason !== undefined) out.reason = m.reason;
  return out;
}

/**
 * The audit entry of `f` for one machine. A fact with branches takes a mark per branch key
 * (every key, no other); a fact without branches takes one mark. Throws on a key mismatch, so
 * an audit cannot silently skip a branch.
 */
export function entry(f: Fact, marks: Mark | Readonly<Record<string, Mark>>): AuditEntry {
  const base = {
    fn: f.fn,
    file: f.file,
    kind: f.kind,
    locks: f.locks,
    reads: f.reads,
    ...(f.callers ? { callers: f.callers } : {}),
    ...(f.unlocked ? { unlocked: f.unlocked } : {}),
  };
  if (!f.paths) {
    if (!('mark' in marks) || typeof marks.mark !== 'string') throw new Error(`${f.fn}: has no branches; give one mark`);
    const m = marks as Mark;
    return { ...base, writes: f.writes, mark: m.mark, ...(m.mark === 'modelled' ? { by: m.by } : {}), ...(m.reason ? { reason: m.reason } : {}) };
  }
  const byKey = marks as Readonly<Record<string, Mark>>;
  const keys = Object.keys(f.paths);
  const extra = Object.keys(byKey).filter((k) => !keys.includes(k));
  const absent = keys.filter((k) => !(k in byKey));
  if (extra.length || absent.length) throw new Error(`${f.fn}: marks for unknown branches [${extra.join(', ')}], none for [${absent.join(', ')}]`);
  const paths = keys.map((k) => pathOf(f.paths![k]!, byKey[k]!));
  const s = summary(paths);
  return { ...base, writes: union(f.writes, ...paths.map((p) => p.writes)), mark: s.mark, ...(s.by ? { by: s.by } : {}), ...(s.reason ? { reason: s.reason } : {}), paths };
}

/** How the composed machine names what a per-object machine models with an environment event. */
export interface ComposeOptions {
  machine: string;
  pinned: string;
  /** Names only the per-object machines use (environment events and their bounds): dropped from `by`. */
  envOnly: ReadonlySet<string>;
  /** Where a dropped name's kernel function runs in the composed machine (`kvm_s390_gisc_register` inside `handle_pqap`). */
  remap: Readonly<Record<string, readonly string[]>>;
}

/**
 * One audit from several: entries with the same function are merged branch by branch, each
 * branch taking the strongest mark any part gives it (modelled > abstracted > missing >
 * ignored) and the union of the names that mirror it, with environment-only names replaced
 * by the composed machine's own.
 */
export function composeAudits(parts: readonly KernelAudit[], o: ComposeOptions): KernelAudit {
  const rename = (by: readonly string[] | undefined): string[] =>
    union(...(by ?? []).map((b) => (o.envOnly.has(b) ? (o.remap[b] ?? []) : [b])));
  const merged = new Map<string, AuditEntry>();
  const pick = <T extends { mark: AuditMark; by?: readonly string[]; reason?: string }>(xs: readonly T[]): T => {
    const best = xs.reduce((a, b) => (RANK[b.mark] > RANK[a.mark] ? b : a));
    if (best.mark !== 'modelled') return best;
    const by = rename(union(...xs.filter((x) => x.mark === 'modelled').map((x) => x.by)));
    if (!by.length) throw new Error(`composing ${o.machine}: nothing of the composed machine mirrors ${JSON.stringify(xs[0])}`);
    return { ...best, by };
  };
  const groups = new Map<string, AuditEntry[]>();
  for (const a of parts) for (const e of a.entries) groups.set(e.fn, [...(groups.get(e.fn) ?? []), e]);
  for (const [fn, es] of groups) {
    const first = es[0]!;
    const { by: _by, reason: _reason, ...rest } = first;
    if (!first.paths) {
      const m = pick(es);
      merged.set(fn, { ...rest, mark: m.mark, ...(m.by ? { by: m.by } : {}), ...(m.reason ? { reason: m.reason } : {}) });
      continue;
    }
    const paths = first.paths.map((p) => {
      const same = es.map((e) => e.paths?.find((q) => q.path === p.path)).filter((q): q is AuditPath => !!q);
      return pick(same);
    });
    const s = summary(paths);
    merged.set(fn, { ...rest, mark: s.mark, ...(s.by ? { by: s.by } : {}), ...(s.reason ? { reason: s.reason } : {}), paths });
  }
  return {
    machine: o.machine,
    pinned: o.pinned,
    files: union(...parts.map((a) => a.files)),
    modelledFields: union(...parts.map((a) => a.modelledFields)),
    nonKernel: Object.assign({}, ...parts.map((a) => a.nonKernel ?? {})),
    entries: [...merged.values()],
  };
}
