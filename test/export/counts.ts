// Reads the state and transition counts back out of every exported format, independently of
// the code that wrote them, and compares them with the machine's own count.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { expect } from 'vitest';
import { machineCounts } from '../../src/export/chart.ts';
import { countDot } from '../../src/export/dot.ts';
import { countMermaid } from '../../src/export/mermaid.ts';
import type { MachineSpec } from '../../src/spec.ts';
import { machineShape, scxmlShape } from './shape.ts';

type Counts = { states: number; transitions: number };

/** Stately JSON: every config under `states` plus the root; every entry of `on` and `always`. */
export function countStatelyJson(config: Record<string, any>): Counts {
  let states = 1;
  let transitions = 0;
  const list = (x: unknown) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
  const visit = (c: Record<string, any>) => {
    for (const v of Object.values((c['on'] ?? {}) as Record<string, unknown>)) transitions += list(v).length;
    transitions += list(c['always']).length;
    for (const s of Object.values((c['states'] ?? {}) as Record<string, Record<string, any>>)) {
      states++;
      visit(s);
    }
  };
  visit(config);
  return { states, transitions };
}

/** Checks every file of every spec under `dir` against the machine and against `counts.json`. */
export async function checkCountsAndRoundTrip(dir: string, specs: readonly MachineSpec[]): Promise<Record<string, Counts>> {
  const recorded = JSON.parse(await readFile(join(dir, 'counts.json'), 'utf8')) as (Counts & { machine: string; area: string })[];
  expect(recorded.map((r) => r.machine)).toEqual(specs.map((s) => s.id));
  const seen: Record<string, Counts> = {};
  for (const spec of specs) {
    const m = spec.model().machine;
    const own = machineCounts(m);
    const base = join(dir, spec.area, spec.id);
    const read = (ext: string) => readFile(`${base}.${ext}`, 'utf8');
    const rec = recorded.find((r) => r.machine === spec.id)!;
    expect({ states: rec.states, transitions: rec.transitions }, `${spec.id}: counts.json`).toEqual(own);
    expect(countMermaid(await read('mmd')), `${spec.id}.mmd`).toEqual(own);
    expect(countDot(await read('dot'), spec.id), `${spec.id}.dot`).toEqual(own);
    expect(countDot(await read('svg'), spec.id), `${spec.id}.svg`).toEqual(own);
    expect(countStatelyJson(JSON.parse(await read('json'))), `${spec.id}.json`).toEqual(own);
    const scxml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: () => true }).parse(await read('scxml'));
    const shape = scxmlShape(scxml);
    expect(shape, `${spec.id}.scxml round trip`).toEqual(machineShape(m));
    expect({ states: shape.states.length, transitions: shape.transitions.length }).toEqual(own);
    seen[spec.id] = own;
  }
  return seen;
}
