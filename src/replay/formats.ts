// The log formats replay reads: NDJSON (one event per line, any machine) and the text the
// kernel prints, each text mapping citing its format string. A format is a parser (line ->
// record) and a printer (machine step -> the records the kernel prints for it).
import type { EventObject } from 'xstate';
import type { Model } from '../spec.ts';
import { variants as ccwVariants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';
import { CONFIGURATIONS as FLIC_CONFIGURATIONS } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import type { FlicContext, Mode } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
import { MalformedLogError, type LogRecord, type Printer, type Step } from './replay.ts';

export type FormatId = 'ndjson' | 'text';
export const FORMATS: readonly FormatId[] = ['ndjson', 'text'];

export interface Format {
  id: FormatId;
  parse(text: string, line: number): LogRecord | null;
  printer: Printer;
}

/** NDJSON when the first non-blank line opens a JSON object, else the kernel's text. */
export function detectFormat(firstLine: string): FormatId {
  return firstLine.trimStart().startsWith('{') ? 'ndjson' : 'text';
}

export function makeFormat(id: FormatId, model: Model, options: { hidden?: readonly string[] } = {}): Format {
  return id === 'ndjson' ? ndjson(model, options.hidden ?? []) : text(model);
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
    parse(text, line) {
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
  };
}

// ---------------------------------------------------------------------------------------------
// Text: what the kernel prints, read from the s390dbf views and the ftrace buffer. Any prefix
// (dbf timestamp and level, ftrace task/cpu/timestamp) is accepted before the message.

interface TextMapping {
  /** Where the format string is and what it is. */
  cite: string;
  /** Recognises a line of this mapping (even a broken one). */
  claims: RegExp;
  /** The whole message; a claimed line that does not match is truncated or has a bad field. */
  full: RegExp;
  expected: string;
  /** Machine events whose steps print it: a machine with none of them cannot replay the line. */
  printedBy: readonly string[];
  toRecord(m: RegExpMatchArray, model: Model, line: number): LogRecord;
  /** The records this mapping predicts for one step. */
  print(step: Step, model: Model): LogRecord[];
}

interface GisaOrigin {
  vms?: { gisa?: { origin?: boolean } }[];
}

/** kvm_s390_gisa_clear and _destroy return early when gi->origin is NULL: only then is nothing printed. */
function gisaPrint(type: 'kvm_s390_gisa_clear' | 'kvm_s390_gisa_destroy') {
  return (step: Step): LogRecord[] =>
    step.observations
      .filter((o) => o.event.type === type && (o.before.context as GisaOrigin).vms?.[(o.event as { vm?: number }).vm ?? 0]?.gisa?.origin === true)
      .map(() => ({ event: type, fields: {} }));
}

function gisaMapping(verb: 'cleared' | 'destroyed', type: 'kvm_s390_gisa_clear' | 'kvm_s390_gisa_destroy', fn: string): TextMapping {
  return {
    cite: `arch/s390/kvm/interrupt.c ${fn}: VM_EVENT(kvm, 3, "gisa 0x%p ${verb}", ...) (s390dbf kvm-<pid> view)`,
    claims: new RegExp(`\\bgisa\\b.*\\b${verb.slice(0, 4)}`),
    full: new RegExp(`\\bgisa 0x[0-9a-fA-F]+ ${verb}\\s*$`),
    expected: `gisa 0x%p ${verb}`,
    printedBy: [type],
    // the GISA pointer names the VM; replay binds no pointer to a VM index, so vm matches any
    toRecord: () => ({ event: type, fields: {} }),
    print: gisaPrint(type),
  };
}

/**
 * enum vfio_ccw_event in the kernel's order (vfio_ccw_private.h at 008a011d: NOT_OPER, IO_REQ,
 * INTERRUPT, ASYNC_REQ, OPEN, CLOSE); older kernels have a prefix of it. The machine's
 * `version.events` lists ASYNC_REQ before INTERRUPT, so the order is taken from here.
 */
const CCW_EVENT_ORDER = ['NOT_OPER', 'IO_REQ', 'INTERRUPT', 'ASYNC_REQ', 'OPEN', 'CLOSE'];

/** enum vfio_ccw_state (the variant's, in order) and enum vfio_ccw_event of the variant being replayed. */
function ccwEnums(model: Model): { states: readonly string[]; events: readonly string[] } | undefined {
  if (model.machineId !== 'vfio_ccw_private') return undefined;
  const v = ccwVariants.find((x) => x.id === model.variantId)?.version;
  return v && { states: v.states, events: CCW_EVENT_ORDER.filter((e) => (v.events as readonly string[]).includes(e)) };
}

const FSM_PREFIX = 'VFIO_CCW_EVENT_';

const MAPPINGS: TextMapping[] = [
  gisaMapping('cleared', 'kvm_s390_gisa_clear', 'kvm_s390_gisa_clear'),
  gisaMapping('destroyed', 'kvm_s390_gisa_destroy', 'kvm_s390_gisa_destroy'),
  {
    cite: 'drivers/s390/cio/vfio_ccw_trace.h TRACE_EVENT(vfio_ccw_fsm_event): TP_printk("schid=%x.%x.%04x state=%d event=%d"), fired by vfio_ccw_fsm_event() in vfio_ccw_private.h with private->state before the handler',
    claims: /\bvfio_ccw_fsm_event:/,
    full: /\bvfio_ccw_fsm_event: schid=[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]{4} state=(-?\d+) event=(-?\d+)\s*$/,
    expected: 'vfio_ccw_fsm_event: schid=%x.%x.%04x state=%d event=%d',
    printedBy: ['vfio_ccw_mdev_write', 'vfio_ccw_sch_irq'],
    toRecord(m, model, line) {
      const enums = ccwEnums(model);
      if (!enums) throw new MalformedLogError(line, `vfio_ccw_fsm_event lines replay against --machine vfio_ccw_private, not ${model.machineId}`);
      const state = enums.states[Number(m[1])];
      const event = enums.events[Number(m[2])];
      if (state === undefined) throw new MalformedLogError(line, `bad field state=${m[1]}: enum vfio_ccw_state of ${model.variantId} has ${enums.states.length} values (${enums.states.join(', ')})`);
      if (event === undefined) throw new MalformedLogError(line, `bad field event=${m[2]}: enum vfio_ccw_event of ${model.variantId} has ${enums.events.length} values (${enums.events.join(', ')})`);
      return { event: FSM_PREFIX + event, fields: { state } };
    },
    print: (step) =>
      step.observations.filter((o) => o.event.type.startsWith(FSM_PREFIX)).map((o) => ({ event: o.event.type, fields: { state: String(o.before.value) } })),
  },
];

// The FLIC's AIS tracepoints (trace-s390.h). The mode names are the TP_printk's strings; the
// kernel computes `from` as simm ? (nimm ? 2 : SINGLE) : ALL, so the NIMM pair (0,1) prints as ALL.
const AIS_TEXT = { ALL: 'ALL-Interruptions Mode', SINGLE: 'Single-Interruption Mode', NO: 'No-Interruptions Mode' } as const;
type AisText = keyof typeof AIS_TEXT;
const aisFrom = (m: Mode | undefined): AisText => (m === 'SINGLE' || m === 'NO' ? m : 'ALL');
/** The `to` argument: KVM_S390_AIS_MODE_ALL (0), _SINGLE (1), anything else prints as No-Interruptions. */
const aisTo = (mode: number): AisText => (mode === 0 ? 'ALL' : mode === 1 ? 'SINGLE' : 'NO');
const AIS_NAME = new Map<string, AisText>(Object.entries(AIS_TEXT).map(([k, v]) => [v, k as AisText]));
const AIS_ALT = Object.values(AIS_TEXT).join('|');

function flicIscs(model: Model): readonly number[] {
  return FLIC_CONFIGURATIONS.find((c) => c.id === model.configurationId)?.params.iscs ?? [];
}

MAPPINGS.push(
  {
    cite: 'arch/s390/kvm/trace-s390.h TRACE_EVENT(kvm_s390_modify_ais_mode): TP_printk("for isc %x, modifying interruption mode from %s to %s"); fired by interrupt.c modify_ais_mode (KVM_DEV_FLIC_AISM, after the facility, copy and ISC checks) and by kvm_s390_inject_airq (SINGLE to 2 after an injection)',
    claims: /\bkvm_s390_modify_ais_mode:/,
    full: new RegExp(`\\bkvm_s390_modify_ais_mode: for isc ([0-9a-f]+), modifying interruption mode from (${AIS_ALT}) to (${AIS_ALT})\\s*$`),
    expected: 'kvm_s390_modify_ais_mode: for isc %x, modifying interruption mode from %s to %s',
    printedBy: ['KVM_DEV_FLIC_AISM'],
    toRecord: (m) => ({ event: 'kvm_s390_modify_ais_mode', fields: { isc: parseInt(m[1]!, 16), from: AIS_NAME.get(m[2]!)!, to: AIS_NAME.get(m[3]!)! } }),
    print(step, model) {
      const before = step.before.context as FlicContext;
      const after = step.after.context as FlicContext;
      if (!Array.isArray(after?.ais)) return [];
      const iscs = flicIscs(model);
      const e = step.event as { type: string; isc?: number; mode?: number };
      if (e.type === 'KVM_DEV_FLIC_AISM') {
        // modify_ais_mode traces once req.isc passed the range check: the machine records req.mode then
        if (after.last.req === -1) return [];
        return [{ event: 'kvm_s390_modify_ais_mode', fields: { isc: e.isc!, from: aisFrom(before.ais[iscs.indexOf(e.isc!)]), to: aisTo(e.mode!) } }];
      }
      if (e.type === 'KVM_DEV_FLIC_AISM_ALL') return []; // flic_ais_mode_set_all writes simm/nimm without a trace
      // kvm_s390_inject_airq: an injection in SINGLE sets nimm and traces SINGLE -> 2
      return iscs.flatMap((isc, k) => (before.ais[k] === 'SINGLE' && after.ais[k] === 'NO' ? [{ event: 'kvm_s390_modify_ais_mode', fields: { isc, from: 'SINGLE', to: 'NO' } }] : []));
    },
  },
  {
    cite: 'arch/s390/kvm/trace-s390.h TRACE_EVENT(kvm_s390_airq_suppressed): TP_printk("adapter I/O interrupt suppressed (id:%x isc:%x)"); fired by interrupt.c kvm_s390_inject_airq when nimm is set for the adapter\'s ISC',
    claims: /\bkvm_s390_airq_suppressed:/,
    full: /\bkvm_s390_airq_suppressed: adapter I\/O interrupt suppressed \(id:([0-9a-f]+) isc:([0-9a-f]+)\)\s*$/,
    expected: 'kvm_s390_airq_suppressed: adapter I/O interrupt suppressed (id:%x isc:%x)',
    printedBy: ['KVM_DEV_FLIC_AIRQ_INJECT', 'set_adapter_int'],
    toRecord: (m) => ({ event: 'kvm_s390_airq_suppressed', fields: { id: parseInt(m[1]!, 16), isc: parseInt(m[2]!, 16) } }),
    print(step) {
      const after = step.after.context as FlicContext;
      return after?.last?.suppressed ? [{ event: 'kvm_s390_airq_suppressed', fields: { id: after.last.id, isc: after.last.isc } }] : [];
    },
  },
);

/**
 * interrupt.c kvm_s390_gisa_init: VM_EVENT(kvm, 3, "gisa 0x%p initialized", gi->origin), printed
 * by kvm_arch_init_vm. The GISA machines start with the GISA initialized, so the line is taken as
 * the start of the log: before any other record it is skipped, after one it cannot be replayed.
 */
const GISA_INIT = { claims: /\bgisa\b.*\binit/, full: /\bgisa 0x[0-9a-fA-F]+ initialized\s*$/, expected: 'gisa 0x%p initialized' };

function text(model: Model): Format {
  let records = 0;
  return {
    id: 'text',
    parse(line, n) {
      if (!line.trim() || line.startsWith('#')) return null;
      if (GISA_INIT.claims.test(line)) {
        if (!GISA_INIT.full.test(line)) throw new MalformedLogError(n, `truncated line or bad field; expected '${GISA_INIT.expected}'`);
        if (!model.eventInfo.kvm_s390_gisa_destroy) throw new MalformedLogError(n, `'${GISA_INIT.expected}' is printed when a VM is created, which machine ${model.machineId} does not model`);
        if (records) throw new MalformedLogError(n, `'${GISA_INIT.expected}' after other lines: machine ${model.machineId} starts with the GISA initialized and models no second kvm_s390_gisa_init`);
        return null;
      }
      const mapping = MAPPINGS.find((m) => m.claims.test(line));
      if (!mapping) throw new MalformedLogError(n, `no mapped kernel message; expected one of: ${[GISA_INIT, ...MAPPINGS].map((m) => `'${m.expected}'`).join(', ')}`);
      const m = line.match(mapping.full);
      if (!m) throw new MalformedLogError(n, `truncated line or bad field; expected '${mapping.expected}'`);
      const record = mapping.toRecord(m, model, n);
      if (!mapping.printedBy.some((t) => model.eventInfo[t])) throw new MalformedLogError(n, `'${mapping.expected}' is printed by ${mapping.printedBy.join(' or ')}, which machine ${model.machineId} does not model`);
      records++;
      return record;
    },
    printer: (step) => MAPPINGS.flatMap((m) => m.print(step, model)),
  };
}

/** The text mappings with their citations, for the README and `replay --help`. */
export function textMappings(): { expected: string; cite: string }[] {
  return [{ expected: GISA_INIT.expected, cite: 'arch/s390/kvm/interrupt.c kvm_s390_gisa_init: VM_EVENT(kvm, 3, "gisa 0x%p initialized", gi->origin); the start of the log' }, ...MAPPINGS.map((m) => ({ expected: m.expected, cite: m.cite }))];
}
