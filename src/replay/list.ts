// `list --formats`: what replay reads of the kernel's text, from the catalogue: every mapped
// message with its source and the machine events that print it, every creation line with the
// function that creates its object, every unmapped message with the reason.
import { CATALOGUE, PIN, VIEWS, type Message, type View } from './catalogue.ts';

export interface FormatRow {
  id: string;
  view: View;
  /** ftrace: the tracepoint. */
  event?: string;
  level?: number;
  format: string;
  call: string;
  source: string;
  pin: string;
  kind: 'mapped' | 'creation' | 'unmapped';
  /** mapped: the machine events whose steps print it. */
  printedBy?: readonly string[];
  /** mapped: what it is on a machine with none of printedBy. */
  otherwise?: string;
  /** creation: the kernel function that creates the object. */
  creates?: string;
  /** unmapped: why no step prints it. */
  reason?: string;
}

function row(m: Message): FormatRow {
  const base = { id: m.id, view: m.view, ...(m.event ? { event: m.event } : {}), ...(m.level !== undefined ? { level: m.level } : {}), format: m.format, call: m.call, source: m.source, pin: m.pin };
  const mean = m.meaning;
  if (mean.kind === 'unmapped') return { ...base, kind: 'unmapped', reason: mean.reason };
  if (mean.kind === 'identity') return { ...base, kind: 'creation', creates: mean.creates };
  const otherwise = mean.otherwise ? (mean.otherwise.kind === 'identity' ? `a creation line (${mean.otherwise.creates})` : `unmapped: ${mean.otherwise.reason}`) : undefined;
  return { ...base, kind: 'mapped', printedBy: mean.printedBy, ...(otherwise ? { otherwise } : {}) };
}

/** `list --formats --json`. */
export function formatsListing(): FormatRow[] {
  return CATALOGUE.map(row);
}

/** `list --formats`: by view, mapped first, then creation lines, then unmapped. */
export function formatFormats(): string {
  const rows = formatsListing();
  const count = (k: FormatRow['kind']) => rows.filter((r) => r.kind === k).length;
  let out =
    `the kernel's text replay reads, pinned to ${PIN}: ${rows.length} messages, ${count('mapped')} mapped, ` +
    `${count('creation')} creation lines (the machines' initial state), ${count('unmapped')} unmapped; NDJSON is read for any machine\n`;
  for (const view of Object.keys(VIEWS) as View[]) {
    const of = rows.filter((r) => r.view === view);
    if (!of.length) continue;
    out += `\n${VIEWS[view]}\n`;
    for (const kind of ['mapped', 'creation', 'unmapped'] as const) {
      for (const r of of.filter((x) => x.kind === kind)) {
        const text = `${r.event ? `${r.event}: ` : ''}${r.format}`;
        out += `  ${kind.padEnd(8)} ${text}\n    ${r.source}${r.pin !== PIN ? ` (${r.pin})` : ''}\n`;
        if (r.kind === 'mapped') out += `    printed by ${r.printedBy!.join(' or ')}${r.otherwise ? `; elsewhere ${r.otherwise}` : ''}\n`;
        if (r.kind === 'creation') out += `    the initial state: ${r.creates} created the object before the log starts\n`;
        if (r.kind === 'unmapped') out += `    ${r.reason}\n`;
      }
    }
  }
  return out;
}
