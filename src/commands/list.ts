// `list [--json]`: machines, their variants with expected results, configurations.
import type { Command } from 'commander';
import { specs } from '../../machines/index.ts';

export function listing() {
  return specs.map((s) => ({
    machine: s.id,
    area: s.area,
    kernelObject: s.kernelObject,
    pinned: s.pinned,
    variants: s.variants.map((v) => ({ id: v.id, description: v.description, expectedViolations: [...v.expectedViolations] })),
    configurations: s.configurations.map((c) => ({ id: c.id, description: c.description })),
  }));
}

export function registerList(p: Command): void {
  p.command('list')
    .description('machines, their variants with expected results, and configurations')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const rows = listing();
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      for (const m of rows) {
        process.stdout.write(`${m.machine}  (${m.area}, struct ${m.kernelObject}, ${m.pinned})\n`);
        for (const v of m.variants) {
          const exp = v.expectedViolations.length ? `violates ${v.expectedViolations.join(', ')}` : 'all properties hold';
          process.stdout.write(`  variant ${v.id}: ${exp}\n`);
        }
        for (const c of m.configurations) process.stdout.write(`  configuration ${c.id}: ${c.description}\n`);
      }
    });
}
