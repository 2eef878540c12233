// Counterexamples as pictures: a trace (steps with their actor) as a Mermaid sequenceDiagram
// and as an inline SVG with one lane per actor, for the review page (no mermaid.js there).
// A step of a thread (machines/kthread.ts, its event carries `thread`) goes to that thread's
// lane, so an interleaving of fine-grained kernel functions reads as one lane per CPU.
import type { ResultStep } from './results.ts';
import type { EventInfo } from '../spec.ts';
import { mermaidText } from './mermaid.ts';

/** Lanes in the order a reader expects them: who starts things, down to hardware and timers. */
export const LANES = ['guest', 'userspace', 'kernel', 'vfio_ap', 'millicode', 'hardware', 'timer'] as const;

/** The lane of a step: its thread, else its actor, except kernel events of the vfio_ap driver get their own lane. */
export function laneOf(step: ResultStep, eventInfo?: Readonly<Record<string, EventInfo>>): string {
  if (typeof step.event.thread === 'string') return step.event.thread;
  if (step.actor === 'kernel') {
    const cite = eventInfo?.[step.event.type]?.cite ?? '';
    if (/vfio_ap|vfio-ap/i.test(step.event.type) || /vfio_ap/.test(cite)) return 'vfio_ap';
  }
  return step.actor;
}

export function lanesOf(steps: readonly ResultStep[], eventInfo?: Readonly<Record<string, EventInfo>>): string[] {
  const used = new Set(steps.map((s) => laneOf(s, eventInfo)));
  const known = LANES.filter((l) => used.has(l));
  return [...known, ...[...used].filter((l) => !(LANES as readonly string[]).includes(l))];
}

/** `PQAP_AQIC ir=1 q=0`; a thread's step is its program counter alone (the lane names the thread). */
export function eventText(event: ResultStep['event']): string {
  const { type, thread: _thread, ...payload } = event;
  const args = Object.entries(payload).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [type, ...args].join(' ');
}

export function traceToMermaid(trace: readonly ResultStep[], cycle: readonly ResultStep[] = [], eventInfo?: Readonly<Record<string, EventInfo>>): string {
  const lines = ['sequenceDiagram'];
  for (const lane of lanesOf([...trace, ...cycle], eventInfo)) lines.push(`  participant ${lane}`);
  const note = (s: ResultStep, pad: string) => lines.push(`${pad}Note over ${laneOf(s, eventInfo)}: ${s.step}. ${mermaidText(eventText(s.event))}`);
  for (const s of trace) note(s, '  ');
  if (cycle.length) {
    lines.push('  loop cycle: repeats forever');
    for (const s of cycle) note(s, '    ');
    lines.push('  end');
  }
  return lines.join('\n') + '\n';
}

const ESCAPED: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** `s` with &, <, > and " as entities: one pass, and none for a string without them (most; the page escapes thousands). */
export function esc(s: string): string {
  return /[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ESCAPED[c]!) : s;
}

const CHAR = 6.8;
const ROW = 26;
const HEAD = 30;
const MAXCHARS = 44;

/** What the picture marks as the violating state (see violation.ts): a header line, then one line per object. */
export interface SequenceMark {
  /** The step after which the state is violating (0: the initial state). */
  step: number;
  property: string;
  title: string;
  lines: readonly string[];
}

const MARK_LINE = 15;
const MARK_CHARS = 110;

/** An arrowhead at (x2, y2) pointing along the line from (x1, y1). */
function arrowhead(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  const len = Math.hypot(x2 - x1, y2 - y1) || 1;
  const [ux, uy] = [(x2 - x1) / len, (y2 - y1) / len];
  const [bx, by] = [x2 - ux * 7, y2 - uy * 7];
  const pts = [[x2, y2], [bx - uy * 3.5, by + ux * 3.5], [bx + uy * 3.5, by - ux * 3.5]].map(([x, y]) => `${x!.toFixed(1)},${y!.toFixed(1)}`).join(' ');
  return `<polygon points="${pts}" class="${cls}"/>`;
}

/**
 * The same picture as an SVG: lane headers, lifelines, one box per step, arrows in step order,
 * and, with `mark`, the violating state: its step's box outlined and, below the steps, a box
 * naming the property and the values of each object it read.
 */
export function traceToSvg(trace: readonly ResultStep[], cycle: readonly ResultStep[] = [], eventInfo?: Readonly<Record<string, EventInfo>>, mark?: SequenceMark): string {
  const steps = [...trace, ...cycle];
  const lanes = lanesOf(steps, eventInfo);
  const label = (s: ResultStep) => {
    const t = `${s.step}. ${eventText(s.event)}`;
    return t.length > MAXCHARS ? t.slice(0, MAXCHARS - 1) + '…' : t;
  };
  const clip = (t: string) => (t.length > MARK_CHARS ? t.slice(0, MARK_CHARS - 1) + '…' : t);
  const markLines = mark ? [clip(mark.title), ...mark.lines.map(clip)] : [];
  const width = new Map(lanes.map((l) => [l, Math.max(l.length * CHAR + 24, 90)]));
  for (const s of steps) {
    const l = laneOf(s, eventInfo);
    width.set(l, Math.max(width.get(l)!, label(s).length * CHAR + 20));
  }
  const x = new Map<string, number>();
  let acc = 10;
  for (const l of lanes) {
    x.set(l, acc + width.get(l)! / 2);
    acc += width.get(l)! + 12;
  }
  const markW = Math.max(0, ...markLines.map((t) => t.length * CHAR + 24));
  const W = Math.ceil(Math.max(acc, markW + 20));
  const stepsEnd = HEAD + 16 + steps.length * ROW + (cycle.length ? 12 : 0);
  const markTop = stepsEnd + 14;
  const markH = markLines.length * MARK_LINE + 10;
  const H = mark ? markTop + markH + 6 : stepsEnd;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="counterexample, one lane per actor">`];
  for (const l of lanes) {
    const cx = x.get(l)!;
    const w = width.get(l)!;
    out.push(`<g class="lane" data-lane="${esc(l)}"><rect x="${cx - w / 2}" y="4" width="${w}" height="22" rx="4" class="lane-head"/><text x="${cx}" y="19" text-anchor="middle" class="lane-name">${esc(l)}</text><line x1="${cx}" y1="26" x2="${cx}" y2="${stepsEnd - 4}" class="lifeline"/></g>`);
  }
  let prev: { x: number; y: number } | undefined;
  let marked: { x: number; y: number } | undefined;
  steps.forEach((s, i) => {
    const l = laneOf(s, eventInfo);
    const cx = x.get(l)!;
    const y = HEAD + 12 + i * ROW + (i >= trace.length ? 12 : 0);
    const text = label(s);
    const w = text.length * CHAR + 12;
    const inCycle = i >= trace.length;
    const violating = mark !== undefined && mark.step === s.step && i < trace.length + cycle.length;
    // the order of the steps: a dark connector with an arrowhead from each box to the next
    if (prev) out.push(`<line x1="${prev.x}" y1="${prev.y + 9}" x2="${cx}" y2="${y - 9}" class="order" stroke="#4a4a4a" stroke-width="1.5"/>${arrowhead(prev.x, prev.y + 9, cx, y - 9, 'order-head')}`);
    if (i === trace.length) out.push(`<text x="4" y="${y - 14}" class="cycle-label">cycle (repeats forever)</text>`);
    out.push(
      `<g class="step${inCycle ? ' cycle' : ''}${violating ? ' violating' : ''}" data-step="${s.step}" data-event="${esc(s.event.type)}" data-lane="${esc(l)}"><title>${esc(`${s.step}. [${s.actor}] ${eventText(s.event)}`)}</title>` +
        `<rect x="${cx - w / 2}" y="${y - 9}" width="${w}" height="18" rx="3"/><text x="${cx}" y="${y + 4}" text-anchor="middle">${esc(text)}</text></g>`,
    );
    if (violating) marked = { x: cx, y };
    prev = { x: cx, y };
  });
  if (mark) {
    // the violating state: below the steps, joined to the step after which it holds
    const from = marked ?? { x: W / 2, y: HEAD - 3 };
    out.push(`<g class="violation" data-property="${esc(mark.property)}" data-step="${mark.step}">`);
    out.push(`<line x1="${from.x}" y1="${from.y + 9}" x2="${from.x}" y2="${markTop}" class="violation-link" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    out.push(`<rect x="10" y="${markTop}" width="${W - 20}" height="${markH}" rx="4" class="violation-box"/>`);
    markLines.forEach((t, k) => out.push(`<text x="20" y="${markTop + 17 + k * MARK_LINE}" class="${k ? 'violation-value' : 'violation-title'}">${esc(t)}</text>`));
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
