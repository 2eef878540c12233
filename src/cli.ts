// s390-kvm-spec: list, check and export the machines of the package.
// Usage errors print one line and exit 2; a failed check exits 1.
import { Command, CommanderError } from 'commander';
import { SpecError } from './spec.ts';
import { registerList } from './commands/list.ts';
import { registerExport } from './commands/export.ts';
import { registerPage } from './commands/page.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function program(): Command {
  const p = new Command('s390-kvm-spec')
    .description('Statecharts of the s390 KVM interrupt and pass-through machinery: list, check, export')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showSuggestionAfterError(true);
  registerList(p);
  registerExport(p);
  registerPage(p);
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its one-line message; help and version exit 0
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof SpecError) {
      process.stderr.write(`s390-kvm-spec: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('s390-kvm-spec.js')) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
