// s390-kvm-spec: list, check, export and replay logs against the machines of the package.
// Usage errors print one line and exit 2; a failed check exits 1.
import { Command, CommanderError } from 'commander';
import { SpecError } from './spec.ts';
import type { CheckFlags } from './commands/check.ts';
import { processIo, UsageError, type Io } from './commands/io.ts';
import { VariantFileError } from './check/variant-file.ts';
import { SymmetryError } from './check/symmetry.ts';
import { WorkerError } from './check/parallel.ts';
import { ShapeError } from './check/vector.ts';
import type { PageCommandOptions } from './commands/page.ts';
import type { ExportFile } from './export/files.ts';
import { SwarmFileError } from './check/swarm.ts';
import { tuneV8 } from './v8-tuning.ts';

export { UsageError, type Io } from './commands/io.ts';

/** What one process running several commands hands from one to the next (src/start.ts): not flags. */
export interface Handover {
  /** Each check's explored graph (check, in this thread). */
  onGraph?: CheckFlags['onGraph'];
  /** Check on this many worker threads (check --jobs) unless the flags say. */
  jobs?: number;
  /** Where the check's workers put the page's coverage of each design (with jobs). */
  pageCoverage?: CheckFlags['pageCoverage'];
  /** Designs' coverage measured beforehand (page). */
  coverage?: PageCommandOptions['coverage'];
  /** Where the check's workers put the page's violation marks (with jobs). */
  pageMarks?: CheckFlags['pageMarks'];
  /** Violation marks computed beforehand (page). */
  marks?: PageCommandOptions['marks'];
  /** Called once the check's worker threads have their first jobs (with jobs). */
  whileChecking?: CheckFlags['whileChecking'];
  /** The export's files rendered beforehand, if they were (export, its defaults: every machine, every format). */
  exportFiles?: () => Promise<ExportFile[]> | undefined;
}

type Register = (p: Command, io: Io, done: (code: number) => void, handover: Handover) => void;

/** Each command's module, loaded only when it runs (or for the help and unknown-command listings): the graph layout, XML writer, TypeScript compiler of one command are not loaded by the others. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  list: () => import('./commands/list.ts').then((m) => (p) => m.registerList(p)),
  check: () => import('./commands/check.ts').then((m) => (p, io, done, h) => m.registerCheck(p, io, done, { ...(h.onGraph ? { onGraph: h.onGraph } : {}), ...(h.jobs ? { jobs: h.jobs } : {}), ...(h.pageCoverage ? { pageCoverage: h.pageCoverage } : {}), ...(h.pageMarks ? { pageMarks: h.pageMarks } : {}), ...(h.whileChecking ? { whileChecking: h.whileChecking } : {}) })),
  export: () => import('./commands/export.ts').then((m) => (p, _io, _done, h) => m.registerExport(p, h.exportFiles)),
  page: () => import('./commands/page.ts').then((m) => (p, _io, _done, h) => m.registerPage(p, h.coverage, h.marks)),
  replay: () => import('./commands/replay.ts').then((m) => (p, io, done) => m.registerReplay(p, io, done)),
  merge: () => import('./commands/merge.ts').then((m) => (p, io, done) => m.registerMerge(p, io, done)),
  paths: () => import('./commands/paths.ts').then((m) => (p, io) => m.registerPaths(p, io)),
  mutate: () => import('./commands/mutate.ts').then((m) => (p, io, done) => m.registerMutate(p, io, done)),
};

/** The program with the command `argv` names (every command when it names none it knows: the help, an unknown command's suggestion). */
export async function program(argv: readonly string[], io: Io = processIo, done: (code: number) => void = () => {}, handover: Handover = {}): Promise<Command> {
  const p = new Command('s390-kvm-spec')
    .description('Statecharts of the s390 KVM interrupt and pass-through machinery: list, check, export')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true);
  const name = argv[0];
  const chosen = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  for (const register of await Promise.all(chosen.map((n) => COMMANDS[n]!()))) register(p, io, done, handover);
  return p;
}

/** Runs the CLI in-process; resolves to the exit code (0 ok, 1 a check differs from its expectation, 2 usage). */
export async function main(argv: string[], io: Io = processIo, handover: Handover = {}): Promise<number> {
  let code = 0;
  try {
    await (await program(argv, io, (c) => (code = c), handover)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its one-line message; help and version exit 0
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof SpecError || e instanceof VariantFileError || e instanceof SymmetryError || e instanceof WorkerError || e instanceof ShapeError || e instanceof SwarmFileError) {
      io.err(`s390-kvm-spec: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** The process entry point, for `tsx src/cli.ts` and bin/s390-kvm-spec.js. */
export function run(argv: string[]): void {
  // `check | head` closes the pipe early: stop quietly, as other command-line tools do
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
  // the process runs checks: V8's tier-up tuned for them (src/v8-tuning.ts)
  tuneV8();
  main(argv).then((code) => (process.exitCode = code));
}

if (import.meta.url === `file://${process.argv[1]}`) run(process.argv.slice(2));
