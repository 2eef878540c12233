// The kernel audit of a machine: every function of the pinned kernel files that reads or
// writes a field the machine models, with its branches, error returns, fields and locks,
// each marked modelled (by which event, guard or action), abstracted (how) or ignored (why).
// It is the machine's scope statement; `auditProblems` is the rule a test enforces.
import type { AnyStateMachine } from 'xstate';
import type { Model } from './spec.ts';

/**
 * modelled: an event, guard or action mirrors it; abstracted: folded into another step or
 * value (say how); ignored: it changes no modelled field (say why); missing: it does change
 * a modelled field or is an entry point of the object, and the machine does not model it
 * yet (the open gap list: `auditGaps`; a finished audit has none).
 */
export type AuditMark = 'modelled' | 'abstracted' | 'ignored' | 'missing';

/** How the kernel reaches a function: its entry-point kind, or `helper` for a callee. */
export type EntryKind =
  | 'ioctl'
  | 'device-attr'
  | 'intercept'
  | 'instruction'
  | 'notifier'
  | 'sysfs'
  | 'probe'
  | 'remove'
  | 'release'
  | 'open'
  | 'timer'
  | 'irq'
  | 'work'
  | 'init'
  | 'exit'
  | 'exported'
  | 'hardware'
  | 'helper';

/** One branch, error return or outcome of a function. */
export interface AuditPath {
  /** The condition and what happens, in the C's words: "gisc > MAX_ISC: return -ERANGE". */
  path: string;
  /** Kernel fields this path writes, as the C names them (`gi->alert.mask`, `q->saved_isc`). */
  writes: readonly string[];
  /** What the path returns to its caller, when it returns: "-ENODEV", "0", "AP_RESPONSE_NORMAL". */
  returns?: string;
  mark: AuditMark;
  /** modelled: the machine's event, guard or action names that mirror the path. */
  by?: readonly string[];
  /** abstracted: how; ignored: why (an ignored path must write no modelled field). */
  reason?: string;
}

/** One kernel function or entry point (ioctl, device attribute, intercepted instruction). */
export interface AuditEntry {
  /** The kernel's name: function, ioctl or attribute (`kvm_s390_gisc_register`, `KVM_DEV_FLIC_AISM`). */
  fn: string;
  /** Source file in the kernel tree. */
  file: string;
  kind: EntryKind;
  /** Who calls it (for helpers: the functions; for entry points: the syscall, IRQ or timer). */
  callers?: readonly string[];
  /** Locks taken, in order, as the C names them; [] when none. */
  locks: readonly string[];
  reads: readonly string[];
  writes: readonly string[];
  /**
   * Fields this function reads or writes without the lock that orders them against the
   * other writers (plain loads, READ_ONCE, atomic bitops, cmpxchg loops): where other CPUs
   * interleave, for the concurrency work. Optional: absent means not recorded.
   */
  unlocked?: readonly string[];
  mark: AuditMark;
  by?: readonly string[];
  reason?: string;
  /** Branches and error returns; without them the entry's own mark covers the whole function. */
  paths?: readonly AuditPath[];
}

export interface KernelAudit {
  /** Machine id (`vfio_ap_queue`, `kvm_s390_float_interrupt`). */
  machine: string;
  /** Kernel version the entries were read from. */
  pinned: string;
  /** The kernel files audited: every function in them that touches a modelled field is an entry. */
  files: readonly string[];
  /** The kernel fields the machine models, with the C names the entries use. */
  modelledFields: readonly string[];
  /**
   * Names the machine uses that are not kernel functions or entry points (hardware and
   * millicode events, model bounds, the lifetime tracker), each with what it stands for.
   */
  nonKernel?: Readonly<Record<string, string>>;
  entries: readonly AuditEntry[];
}

/** The model's own bookkeeping (machines/lib.ts settle: a region follows the context a kernel function left), not kernel names. */
export const MODEL_INTERNAL = /^settle(\.|$)/;

/** The event, guard and action names a machine's transitions use (walked from its state nodes), bookkeeping left out. */
export function machineNames(machine: AnyStateMachine): Set<string> {
  const names = new Set<string>();
  const addGuard = (g: any): void => {
    if (!g) return;
    if (typeof g === 'string') names.add(g);
    else if (typeof g === 'object' && typeof g.type === 'string') names.add(g.type);
    else if (typeof g === 'function' && Array.isArray(g.guards)) g.guards.forEach(addGuard);
    else if (typeof g === 'function' && g.guards) addGuard(g.guards);
  };
  const addAction = (a: any): void => {
    if (typeof a === 'string') names.add(a);
    else if (a && typeof a === 'object' && typeof a.type === 'string') names.add(a.type);
  };
  const visit = (sn: any): void => {
    for (const [type, list] of sn.transitions as Map<string, any[]>) {
      if (!type.startsWith('xstate.')) names.add(type);
      for (const t of list) {
        addGuard(t.guard);
        for (const a of t.actions ?? []) addAction(a);
      }
    }
    for (const a of [...(sn.entry ?? []), ...(sn.exit ?? [])]) addAction(a);
    for (const child of Object.values(sn.states ?? {})) visit(child);
  };
  visit(machine.root);
  for (const n of names) if (MODEL_INTERNAL.test(n)) names.delete(n);
  return names;
}

/** The kernel functions a model's kernel table holds (core machines), which an audit's `by` may name. */
export function kernelTableNames(model: Model): Set<string> {
  return new Set(model.kernelFunctions?.names ?? []);
}

/**
 * What is wrong with an audit, one line each: a name in `names` (what the machine cites) the
 * audit does not list, a `by` naming nothing in `names` or `known` (e.g. its kernel table), an ignored path that writes a modelled field, a
 * modelled entry without `by`, an abstracted or ignored one without a reason.
 */
export function auditProblems(audit: KernelAudit, names: ReadonlySet<string>, known: ReadonlySet<string> = names): string[] {
  const out: string[] = [];
  const modelled = new Set(audit.modelledFields);
  const listed = new Set<string>(Object.keys(audit.nonKernel ?? {}));
  const where = (e: AuditEntry, p?: AuditPath) => `${audit.machine}: ${e.fn}${p ? ` [${p.path}]` : ''}`;
  const checkMark = (e: AuditEntry, mark: AuditMark, by: readonly string[] | undefined, reason: string | undefined, writes: readonly string[], p?: AuditPath): void => {
    if (mark === 'modelled' && !by?.length) out.push(`${where(e, p)}: marked modelled but names no event, guard or action (by)`);
    if (mark !== 'modelled' && !reason) out.push(`${where(e, p)}: marked ${mark} without a reason`);
    for (const b of by ?? []) if (!names.has(b) && !known.has(b)) out.push(`${where(e, p)}: by '${b}', which the machine does not use`);
    if (mark === 'ignored') {
      const hit = writes.filter((w) => modelled.has(w));
      if (hit.length) out.push(`${where(e, p)}: marked ignored but writes modelled ${hit.join(', ')}`);
    }
  };
  const seen = new Set<string>();
  for (const e of audit.entries) {
    if (seen.has(e.fn)) out.push(`${audit.machine}: ${e.fn} listed twice`);
    seen.add(e.fn);
    listed.add(e.fn);
    for (const b of e.by ?? []) listed.add(b);
    for (const p of e.paths ?? []) for (const b of p.by ?? []) listed.add(b);
    // an entry with paths is judged by its paths; without, by its own mark over all its writes
    if (e.paths?.length) {
      for (const p of e.paths) checkMark(e, p.mark, p.by, p.reason, p.writes, p);
      if (e.mark !== 'modelled' && !e.reason) out.push(`${where(e)}: marked ${e.mark} without a reason`);
    } else checkMark(e, e.mark, e.by, e.reason, e.writes);
  }
  for (const n of names) if (!listed.has(n)) out.push(`${audit.machine}: the machine uses '${n}', which its audit does not list`);
  return out;
}

/** The entries and paths still marked missing, as `fn` or `fn [path]`. */
export function auditGaps(audit: KernelAudit): string[] {
  const out: string[] = [];
  for (const e of audit.entries) {
    if (e.mark === 'missing' && !e.paths?.length) out.push(e.fn);
    for (const p of e.paths ?? []) if (p.mark === 'missing') out.push(`${e.fn} [${p.path}]`);
  }
  return out;
}
