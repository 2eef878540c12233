// `export [--machine ID] [--format F] [--out DIR]`: the statecharts for review, one file per
// machine and format under `<out>/<area>/<machine>.<ext>` (default out: diagrams/).
import type { Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { UsageError } from './io.ts';
import { countsFile, EXTENSION, FORMATS, isExportFile, renderAll, writeAll, type ExportFile, type Format } from '../export/files.ts';
import type { MachineSpec } from '../spec.ts';
import { checkOurs, NotOursError } from '../export/owned.ts';

export interface ExportOptions {
  machine?: string;
  format?: string;
  out?: string;
}

/** Checks the options against the registry; throws a UsageError naming what exists. */
export function selectExport(registry: readonly MachineSpec[], opts: ExportOptions): { machines: MachineSpec[]; formats: Format[] } {
  let machines = [...registry];
  if (opts.machine !== undefined) {
    machines = registry.filter((s) => s.id === opts.machine);
    if (!machines.length) throw new UsageError(`unknown machine '${opts.machine}'; known: ${registry.map((s) => s.id).join(', ') || '(none)'}`);
  }
  let formats: Format[] = [...FORMATS];
  if (opts.format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`unknown format '${opts.format}'; use one of ${FORMATS.join(', ')}`);
    formats = [opts.format as Format];
  }
  return { machines, formats };
}

/** `rendered`: the files of every machine in every format and counts.json, rendered beforehand (npm start, while the checks run); used only with those options. */
export async function runExport(registry: readonly MachineSpec[], opts: ExportOptions, rendered?: Promise<ExportFile[]>): Promise<string[]> {
  const { machines, formats } = selectExport(registry, opts);
  const out = opts.out ?? 'diagrams';
  if (out === '') throw new UsageError('--out needs a directory, got an empty string');
  // the destination first: a folder the package may not write into is refused before any rendering
  await checkOurs(out, isExportFile, 'output folder').catch((e) => {
    throw e instanceof NotOursError ? new UsageError(e.message) : new UsageError(`cannot write to output directory '${out}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable directory with --out`);
  });
  const whole = opts.machine === undefined && opts.format === undefined;
  const files = rendered && whole ? [...(await rendered)] : [...(await renderAll(machines, formats)), countsFile(registry)];
  try {
    await writeAll(out, files);
  } catch (e) {
    if (e instanceof NotOursError) throw new UsageError(e.message);
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot write to output directory '${out}' (${err.code ?? err.message}); choose a writable directory with --out`);
  }
  return files.map((f) => `${out}/${f.path}`);
}

export function registerExport(p: Command, rendered?: () => Promise<ExportFile[]> | undefined): void {
  p.command('export')
    .description(`write each machine's statechart as ${FORMATS.map((f) => `${f} (.${EXTENSION[f]})`).join(', ')} under <out>/<area>/<machine>.<ext>`)
    .option('--machine <id>', 'only this machine (default: every machine of the registry)')
    .option('--format <format>', `only this format: ${FORMATS.join('|')}`)
    .option('--out <dir>', 'output directory', 'diagrams')
    .action(async (opts: ExportOptions) => {
      const written = await runExport(specs, opts, rendered?.());
      process.stdout.write(`wrote ${written.length} files under ${opts.out ?? 'diagrams'}/\n`);
    });
}
