// `merge FILES... [--json]`: combines the result files of swarm runs of one model
// (check --swarm N --seed S --report DIR, on any number of machines): every violation with its
// shortest trace, the state visits, and the estimated coverage. Exit 0 when the violations
// found are exactly the expected ones, 1 otherwise, 2 for a file that is not a swarm result
// or files of different models.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseSwarmFile, type SwarmFile } from '../check/swarm.ts';
import { UsageError, type Io } from './io.ts';
import { mergeFiles } from './swarm.ts';

export function registerMerge(p: Command, io: Io, done: (code: number) => void): void {
  p.command('merge')
    .description('combine swarm result files (check --swarm N --seed S --report DIR) of one model: violations, visits, estimated coverage')
    .argument('<files...>', 'swarm result files')
    .option('--json', 'print the merged summary as JSON')
    .action(async (names: string[], flags: { json?: boolean }) => {
      const files: { name: string; file: SwarmFile }[] = names.map((name) => {
        let text: string;
        try {
          text = readFileSync(name, 'utf8');
        } catch (e) {
          throw new UsageError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        return { name, file: parseSwarmFile(name, text) };
      });
      done(await mergeFiles(files, io, !!flags.json));
    });
}
