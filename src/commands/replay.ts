// `replay --machine ID [--variant ID] [--configuration ID] [--set key=value ...] [--format ndjson|text]
// [--max-hidden N] [--hidden TYPE,...] [--keep N] [--show-unmapped] [--strict] LOG|-`: check a
// kernel event log against a machine. Exit 0 when a path explains every line (the path is
// printed), 1 at the first line none explains, 2 on malformed input or a usage error.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { detectFormat, FORMATS, makeFormat, stripBom, type Format, type FormatId, type SkipGroup } from '../replay/formats.ts';
import { CATALOGUE } from '../replay/catalogue.ts';
import type { EventObject } from 'xstate';
import { formatPath, formatRecord, MalformedLogError, replay, type LogRecord, type ReplayResult } from '../replay/replay.ts';
import { pick, type Model } from '../spec.ts';
import { parseSet } from './check.ts';
import { UsageError, type Io } from './io.ts';

export interface ReplayFlags {
  machine: string;
  variant?: string;
  configuration?: string;
  set?: string[];
  format?: FormatId;
  maxHidden?: number;
  hidden?: string;
  keep?: number;
  showUnmapped?: boolean;
  strict?: boolean;
}

export function registerReplay(p: Command, io: Io, done: (code: number) => void): void {
  p.command('replay')
    .description("check a kernel log against a machine (NDJSON, or the kernel's text: s390dbf sprintf views and ftrace), allowing unlogged steps in between")
    .argument('<log>', "the log file, or '-' for standard input")
    .requiredOption('--machine <id>', 'the machine to replay against')
    .option('--variant <id>', "the variant (default: the machine's first)")
    .option('--configuration <id>', "the configuration (default: the variant's)")
    .option('--set <key=value>', 'override a configuration parameter, e.g. --set vms=2 for a log of two guests (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--format <format>', 'log format (default: detected from the first line)').choices(FORMATS))
    .option('--max-hidden <n>', 'unlogged steps allowed before each logged line (default 8)', nonNegativeInt)
    .option('--hidden <types>', 'NDJSON: comma-separated event types the log leaves out, besides millicode, hardware and timer events')
    .option('--keep <n>', 'lines of path kept for the reconstruction (default 10000)', positiveInt)
    .option('--show-unmapped', 'text: list the lines no mapping explains, by message, with the reason')
    .option('--strict', 'text: a line no mapping explains is an error')
    .action(async (log: string, flags: ReplayFlags) => done(await runReplay(log, flags, io)));
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function positiveInt(v: string): number {
  const n = nonNegativeInt(v);
  if (n === 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const isContent = (l: string) => !!l.trim() && !l.startsWith('#');

/** The first line that is neither blank nor a comment, read without loading the file. */
function firstLine(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return stripBom(buf.toString('utf8', 0, n)).split(/\r?\n/).find(isContent) ?? '';
  } catch (e) {
    throw new UsageError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The log as lines, as often as the format reads it: a file is streamed each time, standard input is read once. */
async function source(log: string, stdin: NodeJS.ReadableStream): Promise<{ lines: () => AsyncIterable<string> | Iterable<string>; first: string }> {
  if (log !== '-') return { lines: () => createInterface({ input: createReadStream(log), crlfDelay: Infinity }), first: firstLine(log) };
  let text = '';
  stdin.setEncoding?.('utf8');
  for await (const chunk of stdin) text += chunk;
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return { lines: () => lines, first: stripBom(lines.find((l, i) => isContent(i === 0 ? stripBom(l) : l)) ?? '') };
}

export async function runReplay(log: string, flags: ReplayFlags, io: Io, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const spec = pick('machine', 's390-kvm-spec', specs, flags.machine);
  const set = parseSet(flags.set ?? []);
  const known = (spec.params ?? []).map((x) => x.key);
  if (set.length && !known.length) throw new UsageError(`machine ${spec.id} takes no --set`);
  for (const [key] of set) if (!known.includes(key)) throw new UsageError(`machine ${spec.id} has no parameter '${key}'; known: ${known.join(', ')}`);
  const model: Model = spec.model(flags.variant, flags.configuration, set.length ? { params: Object.fromEntries(set) } : undefined);
  const name = log === '-' ? 'standard input' : log;
  const label = `${model.machineId}/${model.variantId}/${model.configurationId}`;
  let result: ReplayResult;
  let formatId: FormatId = flags.format ?? 'text';
  let format: Format;
  try {
    const input = await source(log, stdin);
    formatId = flags.format ?? detectFormat(input.first);
    const id = formatId;
    // the fewest unlogged steps first; a failure there is checked again by the exhaustive search
    // (a fresh format: its routing learns the log's objects as it reads), whose verdict stands
    const run = async (fewestHidden: boolean): Promise<{ result: ReplayResult; format: Format }> => {
      const format = makeFormat(id, model, {
        hidden: flags.hidden ? flags.hidden.split(',').filter(Boolean) : [],
        ...(flags.strict ? { strict: true } : {}),
        settable: !!spec.params?.length,
      });
      let content = 0;
      if (format.scan) {
        let n = 0;
        for await (const line of input.lines()) {
          n++;
          if (isContent(n === 1 ? stripBom(line) : line)) content++;
          format.scan(line, n);
        }
        if (!content) throw new UsageError(`${name} is empty: it has no line to replay (only blank lines and # comments)`);
      }
      const counted = async function* (lines: AsyncIterable<string> | Iterable<string>) {
        let n = 0;
        for await (const line of lines) {
          n++;
          if (!format.scan && isContent(n === 1 ? stripBom(line) : line)) content++;
          yield line;
        }
      };
      const result = await replay(model, counted(input.lines()), {
        parse: format.parse,
        printer: format.printer,
        ...(format.related ? { related: format.related } : {}),
        ...(flags.maxHidden !== undefined ? { maxHidden: flags.maxHidden } : {}),
        ...(flags.keep ? { keep: flags.keep } : {}),
        fewestHidden,
      });
      if (!content) throw new UsageError(`${name} is empty: it has no line to replay (only blank lines and # comments)`);
      return { result, format };
    };
    let r = await run(true);
    if (!r.result.ok) r = await run(false);
    ({ result, format } = r);
  } catch (e) {
    if (e instanceof MalformedLogError) throw new UsageError(e.line > 0 ? `${name}: ${e.message}` : e.message.replace(/^line 0: /, ''));
    if ((e as NodeJS.ErrnoException).code && !(e instanceof UsageError)) throw new UsageError(`cannot read ${name} (${(e as NodeJS.ErrnoException).code})`);
    throw e;
  }
  const skipped = format.skipped();
  const lines = report(result, label, formatId, flags.maxHidden ?? 8, skipped);
  if (result.ok && !result.lines && skipped.total) {
    const others = machinesPrinting(skipped.groups, spec.id);
    lines.splice(1, 0, `  (no line of the log is one ${spec.id} prints${others.length ? `; its skipped lines are printed by machine ${others.join(', ')}` : ''})`);
  }
  if (flags.showUnmapped) lines.push(...unmappedReport(skipped.groups));
  io.out(lines.join('\n') + '\n');
  return result.ok ? 0 : 1;
}

export function report(r: ReplayResult, label: string, format: string, maxHidden: number, skipped: { total: number; creations: number; groups: SkipGroup[] } = { total: 0, creations: 0, groups: [] }): string[] {
  const dropped = r.dropped ? [`  (${r.dropped.toLocaleString('en')} earlier steps not kept; raise --keep to see them)`] : [];
  const extra = [
    ...(skipped.creations ? [`${plural(skipped.creations, 'creation line')} (objects the machine starts with)`] : []),
    ...(skipped.total ? [`${plural(skipped.total, 'line')} no mapping explains skipped (${plural(skipped.groups.length, 'kind')}; --show-unmapped lists them)`] : []),
  ];
  const also = extra.length ? `; ${extra.join('; ')}` : '';
  if (r.ok) {
    return [
      `${label}: the log conforms (${format}): ${plural(r.lines, 'line')} explained by ${plural(r.steps, 'step')}, ${r.hidden.toLocaleString('en')} of them unlogged${also}`,
      ...dropped,
      ...formatPath(r.path),
    ];
  }
  const states = r.states.map((s) => `  ${JSON.stringify(s.value)} ${JSON.stringify(s.context)}`);
  const creation = CREATORS.has(r.record.event) ? ['  (a creation line after the object already acted: the machines start with their objects created and create none)'] : [];
  return [
    `${label}: line ${r.line} cannot be explained (${format}): ${formatRecord(r.record)}`,
    `  ${r.text.trim()}`,
    ...creation,
    `after ${plural(r.explained, 'conforming line')}${also}, allowing up to ${plural(maxHidden, 'unlogged step')} before it (--max-hidden), the model would print ${r.accepted.length ? 'next:' : 'nothing next'}`,
    ...r.accepted.map((a) => `  ${accepted(a)}`),
    `state${r.frontier === 1 ? '' : `s (${r.frontier}, the first ${r.states.length} shown)`} it was in:`,
    ...states,
    `path to the first of them:`,
    ...dropped,
    ...(r.path.length ? formatPath(r.path) : ['  (the initial state)']),
  ];
}

/** The kernel functions of creation lines: as a record, no step prints them. */
const CREATORS = new Set(CATALOGUE.flatMap((m) => (m.meaning.kind === 'identity' ? [m.meaning.creates] : m.meaning.kind === 'mapped' && m.meaning.otherwise?.kind === 'identity' ? [m.meaning.otherwise.creates] : [])));

/** The other machines that print what the log's skipped lines show. */
function machinesPrinting(groups: readonly SkipGroup[], except: string): string[] {
  const printedBy = new Set(groups.flatMap((g) => (g.message?.meaning.kind === 'mapped' ? g.message.meaning.printedBy : [])));
  if (!printedBy.size) return [];
  return specs.filter((s) => s.id !== except && [...printedBy].some((e) => s.model().eventInfo[e])).map((s) => s.id);
}

/** `--show-unmapped`: the skipped lines by message, most frequent first. */
export function unmappedReport(groups: readonly SkipGroup[]): string[] {
  if (!groups.length) return ['unmapped lines: none'];
  const out = ['unmapped lines (skipped), by message:'];
  for (const g of [...groups].sort((a, b) => b.count - a.count)) {
    const what = g.message ? `${g.message.view === 'ftrace' ? `${g.message.event}: ` : ''}${g.message.format}  [${g.message.source}]` : g.shape;
    const more = g.count > g.lines.length ? ', ...' : '';
    out.push(`  ${plural(g.count, 'line')} (${g.lines.join(', ')}${more}): ${what}`, `    ${g.reason}`);
  }
  return out;
}

/** A record the model would print, and (when the step's event is named otherwise) the events that print it. */
function accepted(a: { record: LogRecord; by: EventObject[] }): string {
  const by = a.by.filter((e) => e.type !== a.record.event).map(formatEvent);
  return formatRecord(a.record) + (by.length ? ` (by ${by.join(' or ')})` : '');
}

function formatEvent(e: EventObject): string {
  const { type, ...payload } = e;
  return Object.keys(payload).length ? `${type} ${JSON.stringify(payload)}` : type;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
