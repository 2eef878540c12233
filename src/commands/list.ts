// `list [--json]`: machines, their variants with expected results, configurations.
// `list --kernel [--json] [--machine ID]`: the kernel audits (src/audit.ts) as a table or JSON.
import type { Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { auditGaps, type AuditEntry, type AuditMark, type AuditPath, type KernelAudit } from '../audit.ts';
import { UsageError } from './io.ts';

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

const MARKS: readonly AuditMark[] = ['modelled', 'abstracted', 'ignored', 'missing'];

/** Entries, branches and marks of an audit; a branchless entry counts as one path with its own mark. */
export function auditCounts(a: KernelAudit) {
  const marks = Object.fromEntries(MARKS.map((m) => [m, 0])) as Record<AuditMark, number>;
  let paths = 0;
  for (const e of a.entries) {
    for (const p of e.paths?.length ? e.paths : [e]) {
      paths++;
      marks[p.mark]++;
    }
  }
  return { entries: a.entries.length, paths, ...marks };
}

/** The audits `list --kernel` shows: every machine that has one, or the one `--machine` names. */
export function kernelAudits(machine?: string): KernelAudit[] {
  if (machine === undefined) return specs.flatMap((s) => (s.audit ? [s.audit] : []));
  const spec = specs.find((s) => s.id === machine);
  if (!spec) throw new UsageError(`unknown machine '${machine}'; known: ${specs.map((s) => s.id).join(', ')}`);
  if (!spec.audit) throw new UsageError(`machine '${machine}' has no kernel audit yet; with one: ${specs.filter((s) => s.audit).map((s) => s.id).join(', ')}`);
  return [spec.audit];
}

/** `list --kernel --json`: each audit whole, with its gaps and counts. */
export function kernelListing(machine?: string) {
  return kernelAudits(machine).map((a) => ({ ...a, counts: auditCounts(a), gaps: auditGaps(a) }));
}

const note = (x: { mark: AuditMark; by?: readonly string[]; reason?: string }): string =>
  x.mark === 'modelled' ? (x.by ?? []).join(', ') + (x.reason ? ` (${x.reason})` : '') : (x.reason ?? '');

/** The table of one audit: a row per function, its branches indented under it. */
export function formatAudit(a: KernelAudit): string {
  const head = ['machine', 'function', 'file', 'kind', 'locks', 'mark', 'by / reason'];
  const row = (e: AuditEntry) => [a.machine, e.fn, e.file, e.kind, e.locks.length ? e.locks.join(' -> ') : '-', e.mark, note(e)];
  const rows = a.entries.map(row);
  const width = head.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < width.length ? c.padEnd(width[i]!) : c)).join('  ').trimEnd() + '\n';
  const indent = ' '.repeat(width[0]! + 2) + '  ';
  const branch = (p: AuditPath) => `${indent}- ${p.path}${p.returns ? ` => ${p.returns}` : ''}\n${indent}    ${p.mark}: ${note(p)}\n`;
  const c = auditCounts(a);
  let out = `${a.machine}: ${a.pinned}; ${c.entries} entries, ${c.paths} paths: ${MARKS.map((m) => `${c[m]} ${m}`).join(', ')}\n`;
  out += line(head);
  a.entries.forEach((e, i) => {
    out += line(rows[i]!);
    for (const p of e.paths ?? []) out += branch(p);
  });
  return out;
}

export function registerList(p: Command): void {
  p.command('list')
    .description('machines, their variants with expected results, and configurations; with --kernel the kernel audits')
    .option('--json', 'print JSON')
    .option('--kernel', 'print the kernel audit of each machine (functions, branches, locks, marks)')
    .option('--machine <id>', 'with --kernel: only this machine')
    .action((opts: { json?: boolean; kernel?: boolean; machine?: string }) => {
      if (opts.machine !== undefined && !opts.kernel) throw new UsageError('--machine needs --kernel (list --kernel --machine ID)');
      if (opts.kernel) {
        if (opts.json) process.stdout.write(JSON.stringify(kernelListing(opts.machine), null, 2) + '\n');
        else process.stdout.write(kernelAudits(opts.machine).map(formatAudit).join('\n'));
        return;
      }
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
