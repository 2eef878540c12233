// s390-kvm-spec: list, check, export and replay logs against the machines of the package.
// Usage errors print one line and exit 2; a failed check exits 1.
import { Command, CommanderError } from 'commander';
import { SpecError } from './spec.ts';
import { registerList } from './commands/list.ts';
import { registerCheck } from './commands/check.ts';
import { processIo, UsageError, type Io } from './commands/io.ts';
import { VariantFileError } from './check/variant-file.ts';
import { SymmetryError } from './check/symmetry.ts';
import { WorkerError } from './check/parallel.ts';
import { ShapeError } from './check/vector.ts';
import { registerExport } from './commands/export.ts';
import { registerPage } from './commands/page.ts';
import { registerReplay } from './commands/replay.ts';
import { registerMerge } from './commands/merge.ts';
import { SwarmFileError } from './check/swarm.ts';
import { registerPaths } from './commands/paths.ts';
import { registerMutate } from './commands/mutate.ts';

export { UsageError, type Io } from './commands/io.ts';

export function program(io: Io = processIo, done: (code: number) => void = () => {}): Command {
  const p = new Command('s390-kvm-spec')
    .description('Statecharts of the s390 KVM interrupt and pass-through machinery: list, check, export')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true);
  registerList(p);
  registerCheck(p, io, done);
  registerExport(p);
  registerPage(p);
  registerReplay(p, io, done);
  registerMerge(p, io, done);
  registerPaths(p, io);
  registerMutate(p, io, done);
  return p;
}

/** Runs the CLI in-process; resolves to the exit code (0 ok, 1 a check differs from its expectation, 2 usage). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  try {
    await program(io, (c) => (code = c)).parseAsync(argv, { from: 'user' });
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
  main(argv).then((code) => (process.exitCode = code));
}

if (import.meta.url === `file://${process.argv[1]}`) run(process.argv.slice(2));
