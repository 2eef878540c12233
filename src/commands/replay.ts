// `replay --machine ID [--variant ID] [--configuration ID] [--format ndjson|text] [--max-hidden N]
// [--hidden TYPE,...] [--keep N] LOG`: check a kernel event log against a machine. Exit 0 when a
// path explains every line (the path is printed), 1 at the first line none explains, 2 on
// malformed input or a usage error.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { detectFormat, FORMATS, makeFormat, type FormatId } from '../replay/formats.ts';
import type { EventObject } from 'xstate';
import { formatPath, formatRecord, MalformedLogError, replay, type LogRecord, type ReplayResult } from '../replay/replay.ts';
import { pick, type Model } from '../spec.ts';
import { UsageError, type Io } from './io.ts';

export interface ReplayFlags {
  machine: string;
  variant?: string;
  configuration?: string;
  format?: FormatId;
  maxHidden?: number;
  hidden?: string;
  keep?: number;
}

export function registerReplay(p: Command, io: Io, done: (code: number) => void): void {
  p.command('replay')
    .description('check a kernel event log (NDJSON or the kernel\'s trace/debug text) against a machine, allowing unlogged steps in between')
    .argument('<log>', 'the log file')
    .requiredOption('--machine <id>', 'the machine to replay against')
    .option('--variant <id>', "the variant (default: the machine's first)")
    .option('--configuration <id>', "the configuration (default: the variant's)")
    .addOption(new Option('--format <format>', 'log format (default: detected from the first line)').choices(FORMATS))
    .option('--max-hidden <n>', 'unlogged steps allowed before each logged line (default 8)', nonNegativeInt)
    .option('--hidden <types>', 'NDJSON: comma-separated event types the log leaves out, besides millicode, hardware and timer events')
    .option('--keep <n>', 'lines of path kept for the reconstruction (default 10000)', positiveInt)
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

/** The first line that is neither blank nor a comment, read without loading the file. */
function firstLine(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n).split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '';
  } catch (e) {
    throw new UsageError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function runReplay(log: string, flags: ReplayFlags, io: Io): Promise<number> {
  const spec = pick('machine', 's390-kvm-spec', specs, flags.machine);
  const model: Model = spec.model(flags.variant, flags.configuration);
  const formatId = flags.format ?? detectFormat(firstLine(log));
  const label = `${model.machineId}/${model.variantId}/${model.configurationId}`;
  let result: ReplayResult;
  try {
    const format = makeFormat(formatId, model, { hidden: flags.hidden ? flags.hidden.split(',').filter(Boolean) : [] });
    const lines = createInterface({ input: createReadStream(log), crlfDelay: Infinity });
    result = await replay(model, lines, { parse: format.parse, printer: format.printer, ...(flags.maxHidden !== undefined ? { maxHidden: flags.maxHidden } : {}), ...(flags.keep ? { keep: flags.keep } : {}) });
  } catch (e) {
    if (e instanceof MalformedLogError) throw new UsageError(e.line > 0 ? `${log}: ${e.message}` : e.message.replace(/^line 0: /, ''));
    if ((e as NodeJS.ErrnoException).code) throw new UsageError(`cannot read ${log} (${(e as NodeJS.ErrnoException).code})`);
    throw e;
  }
  io.out(report(result, label, formatId, flags.maxHidden ?? 8).join('\n') + '\n');
  return result.ok ? 0 : 1;
}

export function report(r: ReplayResult, label: string, format: string, maxHidden: number): string[] {
  const dropped = r.dropped ? [`  (${r.dropped.toLocaleString('en')} earlier steps not kept; raise --keep to see them)`] : [];
  if (r.ok) {
    return [
      `${label}: the log conforms (${format}): ${plural(r.lines, 'line')} explained by ${plural(r.steps, 'step')}, ${r.hidden.toLocaleString('en')} of them unlogged`,
      ...dropped,
      ...formatPath(r.path),
    ];
  }
  const states = r.states.map((s) => `  ${JSON.stringify(s.value)} ${JSON.stringify(s.context)}`);
  return [
    `${label}: line ${r.line} cannot be explained (${format}): ${formatRecord(r.record)}`,
    `  ${r.text.trim()}`,
    `after ${plural(r.explained, 'conforming line')}, allowing up to ${plural(maxHidden, 'unlogged step')} before it (--max-hidden), the model would print ${r.accepted.length ? 'next:' : 'nothing next'}`,
    ...r.accepted.map((a) => `  ${accepted(a)}`),
    `state${r.frontier === 1 ? '' : `s (${r.frontier}, the first ${r.states.length} shown)`} it was in:`,
    ...states,
    `path to the first of them:`,
    ...dropped,
    ...(r.path.length ? formatPath(r.path) : ['  (the initial state)']),
  ];
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
