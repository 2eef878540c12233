// Regression numbers: reachable states, transitions, depth and edge-covering test paths of
// every machine in every configuration (baseline variant) and of every variant in its own
// configuration (a configuration that opts in to symmetry reduction counts orbits, one that
// opts in to partial-order reduction the states of the reduced exploration).
// `npm run manifest` writes manifest.json; a test compares it with fresh runs.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { specs } from '../machines/index.ts';
import { explore } from './check/explore.ts';
import { edgeCoverCount } from './paths/cover.ts';
import type { MachineSpec } from './spec.ts';

export interface ManifestEntry {
  machine: string;
  variant: string;
  configuration: string;
}

export interface Numbers {
  states: number;
  transitions: number;
  depth: number;
  /** Edge-covering test paths; null in a symmetry-reduced configuration (its edges join orbits, not states) and a partial-order-reduced one (its edges are one interleaving of many). */
  paths: number | null;
}

export const manifestKey = (e: ManifestEntry): string => `${e.machine}/${e.variant}/${e.configuration}`;

export function entriesOf(spec: MachineSpec): ManifestEntry[] {
  const base = spec.variants[0]!;
  const out: ManifestEntry[] = spec.configurations.map((c) => ({ machine: spec.id, variant: base.id, configuration: c.id }));
  for (const v of spec.variants.slice(1)) {
    out.push({ machine: spec.id, variant: v.id, configuration: v.configuration ?? spec.configurations[0]!.id });
  }
  return out;
}

export function measure(spec: MachineSpec, e: ManifestEntry): Numbers {
  const model = spec.model(e.variant, e.configuration);
  const x = explore(model);
  return { states: x.states.length, transitions: x.transitions, depth: x.maxDepth, paths: x.symmetry || x.por?.reduced ? null : edgeCoverCount(x) };
}

export function buildManifest(): Record<string, Numbers> {
  const out: Record<string, Numbers> = {};
  for (const spec of specs) for (const e of entriesOf(spec)) out[manifestKey(e)] = measure(spec, e);
  return out;
}

/** Writes the file whole or not at all. */
export function writeJsonAtomic(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeJsonAtomic('manifest.json', buildManifest());
  process.stdout.write('wrote manifest.json\n');
}
