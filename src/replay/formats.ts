// The log formats replay reads: NDJSON (one event per line, any machine) and the kernel's own
// text as a host captures it: s390dbf sprintf views (kvm-<pid>, kvm-trace, vfio_ap,
// vfio_ccw_msg) and ftrace's trace text, the line prefixes parsed (lines.ts), every message
// looked up in the catalogue (catalogue.ts) and routed to its VM, vcpu, queue or subchannel
// (route.ts). A format is a parser (line -> record) and a printer (machine step -> the records
// the kernel prints for it).
//
// The text format reads a log twice. The first pass (scan) learns which messages the log holds
// and whose per-VM views: a message the log never shows was not captured (filtered out, below
// the view's level, its tracepoint not enabled), so the steps that print only it are unlogged.
// The second pass (parse) turns each line into a record; lines no mapping explains are skipped
// and counted (skipped(): what `--show-unmapped` lists), or fatal with `strict`.
import type { EventObject } from 'xstate';
import type { Model } from '../spec.ts';
import { CATALOGUE, ccwEnums, FieldError, type Identity, type LineCtx, type Mapped, type Message, type View } from './catalogue.ts';
import { formatPrefix, splitLine, type Prefix, type SplitLine } from './lines.ts';
import { MalformedLogError, type LogRecord, type Printer } from './replay.ts';
import { RouteError, Router, type Limits, type Where } from './route.ts';

export type FormatId = 'ndjson' | 'text';
export const FORMATS: readonly FormatId[] = ['ndjson', 'text'];

/** Lines a format skipped, by message (or, for lines no catalogue entry knows, by their shape). */
export interface SkipGroup {
  /** The catalogue entry, when the message is known. */
  message?: Message;
  /** The line's shape, for unknown messages. */
  shape: string;
  reason: string;
  count: number;
  /** The first few line numbers. */
  lines: number[];
}

export interface Format {
  id: FormatId;
  /** The unlogged steps worth taking before a record (replay's `related`). */
  related?: (record: LogRecord) => { key: string; filter: (event: EventObject) => boolean } | undefined;
  /** First pass over the log (text): learns which messages and per-VM views it holds. */
  scan?(text: string, line: number): void;
  parse(text: string, line: number): LogRecord | null;
  printer: Printer;
  /** Lines skipped so far, by message; and how many were creation lines (the initial state). */
  skipped(): { groups: SkipGroup[]; total: number; creations: number };
}

export interface FormatOptions {
  /** NDJSON: event types the log leaves out, besides millicode, hardware and timer events. */
  hidden?: readonly string[];
  /** Text: an unmapped line is an error. */
  strict?: boolean;
  /** Text: whether `--set` can give the machine more objects (for the advice in a routing error). */
  settable?: boolean;
}

/** NDJSON when the first non-blank line opens a JSON object, else the kernel's text. */
export function detectFormat(firstLine: string): FormatId {
  return stripBom(firstLine).trimStart().startsWith('{') ? 'ndjson' : 'text';
}

export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

export function makeFormat(id: FormatId, model: Model, options: FormatOptions = {}): Format {
  return id === 'ndjson' ? ndjson(model, options.hidden ?? []) : text(model, options);
}

/** Actors whose events no log shows. */
const UNLOGGED_ACTORS = new Set(['millicode', 'hardware', 'timer']);

// ---------------------------------------------------------------------------------------------
// NDJSON: {"event": "kvm_s390_gisc_register", "vm": 0, "isc": 3}. Every enumerated event whose
// actor is guest, userspace or kernel is logged, except the types in `hidden`; fields left out
// of a line match any value (PQAP_AQIC's outcome, for instance).

function ndjson(model: Model, hidden: readonly string[]): Format {
  const byType = new Map<string, EventObject[]>();
  for (const e of model.events) byType.set(e.type, [...(byType.get(e.type) ?? []), e]);
  for (const h of hidden) if (!byType.has(h)) throw new MalformedLogError(0, `--hidden ${h} is not an event of ${model.machineId}; its events: ${[...byType.keys()].join(', ')}`);
  const logged = new Set([...byType.keys()].filter((t) => !UNLOGGED_ACTORS.has(model.eventInfo[t]?.actor ?? '') && !hidden.includes(t)));
  const fieldsOf = (t: string) => [...new Set(byType.get(t)!.flatMap((e) => Object.keys(e).filter((k) => k !== 'type')))];
  return {
    id: 'ndjson',
    parse(raw, line) {
      const text = line === 1 ? stripBom(raw) : raw;
      if (!text.trim()) return null;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        throw new MalformedLogError(line, `truncated or invalid JSON; expected one object per line such as {"event": "${[...logged][0] ?? 'name'}", ...}`);
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedLogError(line, 'expected a JSON object with an "event" field');
      const { event, ...rest } = v as Record<string, unknown>;
      if (typeof event !== 'string') throw new MalformedLogError(line, 'missing "event" (a string naming the event)');
      if (!byType.has(event)) {
        const raised = model.eventInfo[event] ? ' (it is raised inside another step: log that step)' : '';
        throw new MalformedLogError(line, `unknown event '${event}' for machine ${model.machineId}${raised}; its events: ${[...byType.keys()].join(', ')}`);
      }
      if (!logged.has(event)) throw new MalformedLogError(line, `event '${event}' is unlogged (actor ${model.eventInfo[event]?.actor}${hidden.includes(event) ? ', --hidden' : ''}); drop the line or the --hidden entry`);
      const known = fieldsOf(event);
      const fields: Record<string, string | number> = {};
      for (const [k, x] of Object.entries(rest)) {
        if (!known.includes(k)) throw new MalformedLogError(line, `bad field '${k}' for ${event}; its fields: ${known.join(', ') || 'none'}`);
        if (typeof x !== 'number' && typeof x !== 'string') throw new MalformedLogError(line, `bad field '${k}' for ${event}: expected a number or a string, got ${JSON.stringify(x)}`);
        fields[k] = x;
      }
      const record = { event, fields };
      if (!byType.get(event)!.some((e) => Object.entries(fields).every(([k, x]) => (e as Record<string, unknown>)[k] === x))) {
        const values = known.map((k) => `${k} in {${[...new Set(byType.get(event)!.map((e) => JSON.stringify((e as Record<string, unknown>)[k])))].join(', ')}}`);
        throw new MalformedLogError(line, `bad field: ${event} ${JSON.stringify(fields)} is outside configuration ${model.configurationId} (${values.join('; ')})`);
      }
      return record;
    },
    printer: (step) => {
      const { type, ...payload } = step.event;
      return logged.has(type) ? [{ event: type, fields: payload as Record<string, string | number> }] : [];
    },
    skipped: () => ({ groups: [], total: 0, creations: 0 }),
  };
}

// ---------------------------------------------------------------------------------------------
// The kernel's text.

/** VCPU_EVENT's and VCPU_TP_PRINTK's "%02d[%016lx-%016lx]: ": vcpu_id, guest PSW mask and address. */
const VCPU_PREFIX = /^(\d{2,})\[([0-9a-f]{16})-([0-9a-f]{16})\]: (.*)$/;
const BARE_TRACEPOINT = /^([a-z0-9_]+): (.*)$/;

/** The catalogue indexed for look-up: tracepoints by name, s390dbf messages by their first four characters. */
const BY_EVENT = new Map<string, Message[]>();
const DBF_BY_START = new Map<string, Message[]>();
const DBF_WILD: Message[] = [];
for (const m of CATALOGUE) {
  if (m.view === 'ftrace') BY_EVENT.set(m.event!, [...(BY_EVENT.get(m.event!) ?? []), m]);
  else {
    const start = m.format.slice(0, 4);
    if (m.re.source.startsWith('^') && !start.includes('%') && m.format.length >= 4 && !m.format.includes(' / ') && !m.format.endsWith('...')) {
      DBF_BY_START.set(start, [...(DBF_BY_START.get(start) ?? []), m]);
    } else DBF_WILD.push(m);
  }
}

/** The s390dbf view a file name stands for. */
function viewOf(file: string | undefined): View | undefined {
  if (!file) return undefined;
  if (/^kvm-\d+$/.test(file)) return 'kvm';
  return (['kvm-trace', 'kvm-uv', 'vfio_ap', 'vfio_ccw_msg', 'vfio_ccw_trace'] as const).find((v) => v === file);
}

interface Found {
  message: Message;
  groups: string[];
  vcpuId?: number;
}

type LookUp = { found: Found } | { claimed: Message[] } | { unknown: string } | { foreign: true };

/** The catalogue entry of a line: found, claimed by a mapped message but malformed, of a known view but unknown, or foreign. */
function lookUp(line: SplitLine): LookUp {
  const p = line.prefix;
  if (p.kind === 'ftrace') return lookUpTracepoint(p.event, line.message) ?? { unknown: `ftrace ${p.event}` };
  const vcpu = VCPU_PREFIX.exec(line.message);
  const text = vcpu ? vcpu[4]! : line.message;
  const view = viewOf(p.view);
  const candidates = [...(DBF_BY_START.get(text.slice(0, 4)) ?? []), ...DBF_WILD].filter((m) => !!m.vcpu === !!vcpu && (!view || m.view === view));
  for (const m of candidates) {
    const g = m.re.exec(text);
    if (g) return { found: { message: m, groups: g.slice(1), ...(vcpu ? { vcpuId: Number(vcpu[1]) } : {}) } };
  }
  const claimed = candidates.filter((m) => m.claim && text.startsWith(m.claim));
  if (claimed.length) return { claimed };
  if (p.kind === 'bare') {
    const tp = BARE_TRACEPOINT.exec(line.message);
    if (tp && BY_EVENT.has(tp[1]!)) return lookUpTracepoint(tp[1]!, tp[2]!) ?? { unknown: `ftrace ${tp[1]}` };
    return vcpu || view ? { unknown: shape(p, text) } : { foreign: true };
  }
  return { unknown: shape(p, text) };
}

function lookUpTracepoint(event: string, message: string): LookUp | undefined {
  const entries = BY_EVENT.get(event);
  if (!entries) return undefined;
  for (const m of entries) {
    let text = message;
    let vcpuId: number | undefined;
    if (m.vcpu) {
      const v = VCPU_PREFIX.exec(message);
      if (!v) continue;
      text = v[4]!;
      vcpuId = Number(v[1]);
    }
    const g = m.re.exec(text);
    if (g) return { found: { message: m, groups: g.slice(1), ...(vcpuId !== undefined ? { vcpuId } : {}) } };
  }
  const mapped = entries.filter((m) => m.meaning.kind !== 'unmapped');
  // a tracepoint the model does not map is skipped whatever its text
  return mapped.length ? { claimed: mapped } : { found: { message: entries[0]!, groups: [] } };
}

/** The shape of an unknown line: its view and message with the numbers taken out. */
function shape(p: Prefix, text: string): string {
  const where = p.kind === 'dbf' ? `s390dbf${p.view ? ' ' + p.view : ''}` : p.kind === 'bare' && p.view ? p.view : 'text';
  const words = text.replace(/0x[0-9a-f]+|\b[0-9a-f]{6,}\b|\d+/gi, '#').slice(0, 60);
  return `${where}: ${words}`;
}

/** What a message is to one machine. */
type Role = { kind: 'mapped'; m: Mapped } | { kind: 'identity'; m: Identity } | { kind: 'skip'; reason: string };

function roleOf(message: Message, model: Model): Role {
  const has = (events: readonly string[]) => events.some((e) => model.eventInfo[e]);
  const mean = message.meaning;
  if (mean.kind === 'unmapped') return { kind: 'skip', reason: mean.reason };
  if (mean.kind === 'identity') return has(mean.for) ? { kind: 'identity', m: mean } : { kind: 'skip', reason: `creates ${mean.object === 'gib' ? 'the GIB' : `a ${mean.object}`}, which machine ${model.machineId} does not model` };
  if (has(mean.printedBy)) return { kind: 'mapped', m: mean };
  if (mean.otherwise) return roleOf({ ...message, meaning: mean.otherwise }, model);
  return { kind: 'skip', reason: `printed by ${mean.printedBy.join(' or ')}, which machine ${model.machineId} does not model` };
}

/** What the configuration has, for routing. */
function limitsOf(model: Model, settable: boolean): Limits {
  const p = (model.options as { params?: { vms?: number; vcpus?: number; queues?: number } } | undefined)?.params ?? {};
  return { machine: model.machineId, configuration: model.configurationId, vms: p.vms ?? 1, vcpus: p.vcpus ?? 0, queues: p.queues ?? 0, settable };
}

type Reading =
  | { kind: 'none' }
  | { kind: 'record'; record: LogRecord; message: Message }
  | { kind: 'creation' }
  | { kind: 'skip'; key: string; reason: string; message?: Message; shape: string }
  | { kind: 'foreign'; shape: string };

function text(model: Model, options: FormatOptions): Format {
  const limits = limitsOf(model, !!options.settable);
  const roles = new Map<string, Role>(CATALOGUE.map((m) => [m.id, roleOf(m, model)]));
  const printing = CATALOGUE.flatMap((m) => {
    const r = roles.get(m.id)!;
    return r.kind === 'mapped' ? [{ message: m, mapped: r.m }] : [];
  });

  // the views the log holds: all of them until a scan says otherwise
  let enabled: { messages: Set<string>; vms: Set<number> } | undefined;
  let scan: { router: Router; view: string | undefined; messages: Set<string>; known: number; foreign: number; firstForeign: number } | undefined;

  const router = new Router(limits);
  let view: string | undefined;
  const groups = new Map<string, SkipGroup>();
  let total = 0;
  let creations = 0;

  /** Reads one line with a router; the same calls in both passes, so both route alike. */
  function read(raw: string, n: number, r: Router, header: (v: string) => void, current: string | undefined): Reading {
    const text = (n === 1 ? stripBom(raw) : raw).replace(/\r$/, '');
    if (!text.trim() || text.startsWith('#')) return { kind: 'none' };
    const split = splitLine(text, current);
    if ('header' in split) {
      header(split.header);
      return { kind: 'none' };
    }
    const look = lookUp(split);
    if ('foreign' in look) return { kind: 'foreign', shape: split.message.slice(0, 60) };
    if ('unknown' in look) {
      notePerVmView(r, split, undefined);
      return { kind: 'skip', key: look.unknown, reason: 'no mapping for this message', shape: look.unknown };
    }
    if ('claimed' in look) {
      const expected = look.claimed.map((m) => `'${m.view === 'ftrace' ? `${m.event}: ` : ''}${m.format}'`).join(' or ');
      throw new MalformedLogError(n, `truncated line or bad field; expected ${expected}`);
    }
    const { message, groups: g, vcpuId } = look.found;
    notePerVmView(r, split, message);
    const role = roles.get(message.id)!;
    if (role.kind === 'skip') return { kind: 'skip', key: message.id, reason: role.reason, message, shape: message.format };
    const ctx: LineCtx = { model, ...(vcpuId !== undefined ? { vcpuId } : {}) };
    try {
      if (role.kind === 'identity') return create(role.m, g, ctx, split.prefix, r, message);
      const rec = role.m.record(g, ctx);
      if ('skip' in rec) return { kind: 'skip', key: `${message.id}:${rec.skip}`, reason: rec.skip, message, shape: message.format };
      const w = r.route(rec.who, split.prefix);
      r.activate(w);
      if (rec.ends === 'vm' && w.vm !== undefined) r.destroyed(w.vm);
      if (rec.ends === 'gisa' && w.vm !== undefined) r.gisaDestroyed(w.vm);
      const where = formatPrefix(split.prefix);
      return { kind: 'record', message, record: { event: rec.event, fields: { ...indices(w), ...rec.fields }, ...(where ? { where } : {}) } };
    } catch (e) {
      if (e instanceof RouteError || e instanceof FieldError) throw new MalformedLogError(n, e.message);
      throw e;
    }
  }

  /** A creation line: binds the object; after the object's first record it is a record no step prints. */
  function create(id: Identity, g: readonly string[], ctx: LineCtx, p: Prefix, r: Router, message: Message): Reading {
    const who = id.who(g, ctx);
    const where = formatPrefix(p);
    const again = (fields: Record<string, number>): Reading => ({ kind: 'record', message, record: { event: id.creates, fields, ...(where ? { where } : {}) } });
    switch (id.object) {
      case 'vm': {
        const fresh = r.isFreshCreation(who.vm!, p);
        const vm = r.createVm(who.vm!, p);
        if (!fresh && r.isActive('vm', { vm })) return again({ vm });
        return { kind: 'creation' };
      }
      case 'gisa': {
        if ('gisa' in who.vm!) r.forgetDeadGisa(who.vm.gisa);
        const vm = r.vm(who.vm!, p);
        return r.isActive('vm', { vm }) ? again({ vm }) : { kind: 'creation' };
      }
      case 'vcpu': {
        const w: Where = r.route(who, p);
        if (who.vcpuAt !== undefined) r.vcpuCreated(w, who.vcpuAt, p);
        return r.isActive('vcpu', w) ? again({ vm: w.vm!, vcpu: w.vcpu! }) : { kind: 'creation' };
      }
      case 'sch':
        r.route(who, p);
        return r.isActive('sch', {}) ? again({}) : { kind: 'creation' };
      case 'gib':
        return r.isActive('any', {}) ? again({}) : { kind: 'creation' };
    }
  }

  function notePerVmView(r: Router, split: SplitLine, message: Message | undefined): void {
    const p = split.prefix;
    if (p.kind === 'ftrace') return;
    if (message ? message.view === 'kvm' : viewOf(p.view) === 'kvm') r.perVmViews.add(r.lineKey(p));
  }

  function skip(n: number, reading: Extract<Reading, { kind: 'skip' | 'foreign' }>): void {
    const reason = reading.kind === 'foreign' ? 'not a line of an s390dbf sprintf view, ftrace, or a known kernel message' : reading.reason;
    if (options.strict) throw new MalformedLogError(n, `unmapped line (--strict): ${reason}`);
    total++;
    const key = reading.kind === 'foreign' ? 'foreign' : reading.key;
    const g = groups.get(key) ?? { ...(reading.kind === 'skip' && reading.message ? { message: reading.message } : {}), shape: reading.shape, reason, count: 0, lines: [] };
    g.count++;
    if (g.lines.length < 5) g.lines.push(n);
    groups.set(key, g);
  }

  return {
    id: 'text',
    scan(raw, n) {
      scan ??= { router: new Router(limits), view: undefined, messages: new Set(), known: 0, foreign: 0, firstForeign: 0 };
      const s = scan;
      const reading = read(raw, n, s.router, (v) => (s.view = v), s.view);
      if (reading.kind === 'foreign') {
        s.foreign++;
        s.firstForeign ||= n;
      } else if (reading.kind !== 'none') s.known++;
      if (reading.kind === 'record') s.messages.add(reading.message.id);
    },
    parse(raw, n) {
      if (scan && !enabled) {
        if (!scan.known && scan.foreign) {
          throw new MalformedLogError(
            scan.firstForeign,
            'no line of the log is an s390dbf sprintf view line, an ftrace line or a known kernel message; replay reads those (see list --formats), or NDJSON',
          );
        }
        enabled = { messages: scan.messages, vms: scan.router.capturedVms() };
      }
      const reading = read(raw, n, router, (v) => (view = v), view);
      switch (reading.kind) {
        case 'none':
          return null;
        case 'creation':
          creations++;
          return null;
        case 'record':
          return reading.record;
        default:
          skip(n, reading);
          return null;
      }
    },
    printer: (step) =>
      printing
        .flatMap(({ message, mapped }) => {
          if (enabled && !enabled.messages.has(message.id)) return [];
          const outs = mapped.print(step, model);
          return enabled && message.view === 'kvm' ? outs.filter((o) => enabled!.vms.has(o.fields.vm as number)) : outs;
        })
        // in the kernel's order: by the observation that prints each (stable within one)
        .sort((a, b) => (a.at ?? 0) - (b.at ?? 0))
        .map(({ event, fields }) => ({ event, fields })),
    skipped: () => ({ groups: [...groups.values()], total, creations }),
    related: (record) => relatedTo(record, limits),
  };
}

/**
 * The unlogged steps worth taking before a line of VM v: those of VM v and those of no VM (the
 * GIB, the mdev, the queues, the FLIC, the subchannel). The guests of a log share only those, so a
 * step of another VM commutes with VM v's and can wait for that VM's own lines.
 */
function relatedTo(record: LogRecord, limits: Limits): { key: string; filter: (event: EventObject) => boolean } | undefined {
  const vm = record.fields.vm;
  if (limits.vms < 2 || typeof vm !== 'number') return undefined;
  return { key: `vm${vm}`, filter: (e) => (e as { vm?: number }).vm === undefined || (e as { vm?: number }).vm === vm };
}

function indices(w: Where): Record<string, number> {
  const out: Record<string, number> = {};
  if (w.vm !== undefined) out.vm = w.vm;
  if (w.vcpu !== undefined) out.vcpu = w.vcpu;
  if (w.q !== undefined) out.q = w.q;
  return out;
}

/** The text mappings with their citations (README, `list --formats`). */
export function textMappings(): { expected: string; cite: string }[] {
  return CATALOGUE.filter((m) => m.meaning.kind !== 'unmapped').map((m) => ({ expected: m.view === 'ftrace' ? `${m.event}: ${m.format}` : m.format, cite: `${m.source}: ${m.call} (${m.pin})` }));
}

export { ccwEnums };
