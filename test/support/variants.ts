// Shared by the per-area tests: explore each manifest entry once, then check the recorded
// numbers and, for each variant, exactly the invariant violations it records.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, formatTrace, traceTo, type Exploration } from '../../src/check/explore.ts';
import { entriesOf, manifestKey, type Numbers } from '../../src/manifest.ts';
import { edgeCoverPaths } from '../../src/paths/cover.ts';
import type { MachineSpec } from '../../src/spec.ts';

const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as Record<string, Numbers>;

const explored = new Map<string, Exploration>();

/** One exploration per machine, variant and configuration within a test file. */
export function exploreOnce(spec: MachineSpec, variant: string, configuration?: string): Exploration {
  const model = spec.model(variant, configuration);
  const key = `${spec.id}/${model.variantId}/${model.configurationId}`;
  let x = explored.get(key);
  if (!x) explored.set(key, (x = explore(model)));
  return x;
}

export function describeVariants(spec: MachineSpec): void {
  describe(`${spec.id}: variants and manifest`, () => {
    for (const e of entriesOf(spec)) {
      it(`${e.variant} in ${e.configuration}: numbers as recorded and exactly the expected invariant violations`, () => {
        const model = spec.model(e.variant, e.configuration);
        const x = exploreOnce(spec, e.variant, e.configuration);
        const got: Numbers = { states: x.states.length, transitions: x.transitions, depth: x.maxDepth, paths: x.symmetry || x.por?.reduced ? null : edgeCoverPaths(x).length };
        expect(got, `manifest.json entry ${manifestKey(e)} (npm run manifest rewrites it)`).toEqual(manifest[manifestKey(e)]);
        const variant = spec.variants.find((v) => v.id === e.variant)!;
        if ((variant.configuration ?? spec.configurations[0]!.id) !== e.configuration) return;
        const names = new Set([...model.invariants.map((i) => i.name), ...model.liveness.map((l) => l.name)]);
        for (const v of model.expectedViolations) expect(names, `expected violation ${v} names no property`).toContain(v);
        const invariantNames = new Set(model.invariants.map((i) => i.name));
        const expected = model.expectedViolations.filter((n) => invariantNames.has(n)).sort();
        const found = [...x.violations.keys()].sort();
        const traces = found.map((n) => `${n}:\n${formatTrace(traceTo(model, x, x.violations.get(n)!))}`).join('\n');
        expect(found, traces).toEqual(expected);
      });
    }
  });
}
