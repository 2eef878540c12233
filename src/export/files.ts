// What `export` writes: for each machine of the registry (default variant and configuration)
// the five formats under `<area>/<machine>.<ext>`, plus `counts.json` recording the number of
// state nodes and transition definitions each file must show. Everything is generated in
// memory first, then written to a temporary directory and renamed into place, so bad input
// or a failing disk never leaves a partial file. The output folder must be the package's
// (src/export/owned.ts): a folder holding files the package did not write is refused.
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MachineSpec } from '../spec.ts';
import { chartOf, type Chart } from './chart.ts';
import { toDot } from './dot.ts';
import { toStatelyJson } from './json.ts';
import { toMermaid } from './mermaid.ts';
import { toScxml } from './scxml.ts';
import { dotToSvg } from './svg.ts';
import { checkOurs, ensureDir, writeMarker } from './owned.ts';

export const FORMATS = ['mermaid', 'dot', 'svg', 'scxml', 'json'] as const;
export type Format = (typeof FORMATS)[number];
export const EXTENSION: Record<Format, string> = { mermaid: 'mmd', dot: 'dot', svg: 'svg', scxml: 'scxml', json: 'json' };

export interface ExportFile {
  /** Path relative to the output directory, `/`-separated. */
  path: string;
  content: string;
}

export function chartOfSpec(spec: MachineSpec): Chart {
  return chartOf(spec.model().machine, spec.id);
}

export async function renderSpec(spec: MachineSpec, formats: readonly Format[] = FORMATS): Promise<ExportFile[]> {
  const machine = spec.model().machine;
  const chart = chartOf(machine, spec.id);
  const base = `${spec.area}/${spec.id}`;
  const out: ExportFile[] = [];
  const dot = toDot(chart);
  for (const f of formats) {
    const content =
      f === 'mermaid' ? toMermaid(chart) : f === 'dot' ? dot : f === 'svg' ? await dotToSvg(dot) : f === 'scxml' ? toScxml(chart) : toStatelyJson(machine, chart);
    out.push({ path: `${base}.${EXTENSION[f]}`, content });
  }
  return out;
}

/** `counts.json`: per machine, the state nodes and transition definitions every exported file shows. */
export function countsFile(specs: readonly MachineSpec[]): ExportFile {
  const rows = specs.map((s) => {
    const c = chartOfSpec(s);
    return { machine: s.id, area: s.area, states: c.nodes.length, transitions: c.transitions.length };
  });
  return { path: 'counts.json', content: JSON.stringify(rows, null, 2) + '\n' };
}

export async function renderAll(specs: readonly MachineSpec[], formats: readonly Format[] = FORMATS): Promise<ExportFile[]> {
  const files: ExportFile[] = [];
  for (const s of specs) files.push(...(await renderSpec(s, formats)));
  return files;
}

export { ensureDir } from './owned.ts';

/** The files `export` writes: `<area>/<machine>.<ext>` and `counts.json`. */
export function isExportFile(file: string): boolean {
  return file === 'counts.json' || /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\.(mmd|dot|svg|scxml|json)$/.test(file);
}

/**
 * Writes every file or none: into a temporary directory inside `outDir`, then renamed into
 * place, and the marker updated. Refuses (NotOursError) an `outDir` holding a file the package
 * did not write, before writing anything.
 */
export async function writeAll(outDir: string, files: readonly ExportFile[], ours: (file: string) => boolean = isExportFile): Promise<void> {
  const before = await checkOurs(outDir, ours, 'output folder');
  await ensureDir(outDir);
  const tmp = await mkdtemp(join(outDir, '.export-'));
  try {
    for (const f of files) {
      const p = join(tmp, f.path);
      await ensureDir(dirname(p));
      await writeFile(p, f.content);
    }
    // every destination checked before the first rename, so a failure leaves nothing behind
    for (const f of files) {
      const dest = join(outDir, f.path);
      await ensureDir(dirname(dest));
      const existing = await stat(dest).catch(() => undefined);
      if (existing?.isDirectory()) throw Object.assign(new Error(`${dest} is a directory`), { code: 'EISDIR' });
    }
    for (const f of files) await rename(join(tmp, f.path), join(outDir, f.path));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await writeMarker(outDir, [...before, ...files.map((f) => f.path)]);
}
