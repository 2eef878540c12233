// Shared by the per-area tests: explore each manifest entry once, then check the recorded
// numbers and, for each variant, exactly the invariant violations it records; and check each
// variant in each configuration it states (what `check --configuration all` runs), the checks
// of the manifest entries on the exploration made for the numbers, in the same file (so the
// same worker) rather than again in test/commands/configurations.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gibSpec, gisaSpec } from '../../machines/gisa/index.ts';
import { kvmMemorySlotSpec } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import { flicSpec } from '../../machines/flic-ais/index.ts';
import { kvmSpec, systemSpec } from '../../machines/system/index.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import { mdevSpec, queueSpec } from '../../machines/vfio-ap/index.ts';
import { checkModel } from '../../src/check/check.ts';
import { explore, formatTrace, reduces, reducesPor, traceTo, type Exploration, type ExploreOptions } from '../../src/check/explore.ts';
import { plan } from '../../src/commands/check.ts';
import { entriesOf, manifestKey, type Numbers } from '../../src/manifest.ts';
import { edgeCoverCount } from '../../src/paths/cover.ts';
import type { MachineSpec, Model } from '../../src/spec.ts';

const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as Record<string, Numbers>;

/** The machines of each per-area file that calls describeVariants; test/commands/configurations.test.ts checks that they are all the machines. */
export const AREAS = {
  'test/machines/objects.test.ts': [gibSpec, gisaSpec, vcpuSpec, queueSpec, mdevSpec, kvmSpec],
  'test/machines/seed-areas.test.ts': [flicSpec, vfioCcwPrivate, kvmMemorySlotSpec],
  'test/system/system.test.ts': [systemSpec],
} as const satisfies Record<string, readonly MachineSpec[]>;

/**
 * The checks of `check --configuration all` that CI leaves to `npm run test:slow` and to
 * `check --configuration all` itself (both run at every merge; tag `merge`, vitest.all.config.ts):
 * a variant in a guest-lifetime configuration beyond its own whose exploration is over 200,000
 * orbits, each 26 to 30 s of CPU on the build machine (bench/ci-jobs.ts; system.test in test:all
 * 150 -> 56 s of CPU), of CI's 960. Each finds there what it finds in its own configuration (machines/system/system.variants.ts
 * `alsoIn`); no other test asserts these three pairs, so they are moved, not dropped.
 */
export const MERGE_ONLY: readonly string[] = ['system/aqic-v4/two-queues', 'system/v5.3/smp', 'system/planted-no-reset-on-close/smp'];

/** Every check of `check --configuration all`. */
export const jobs = await plan({ configuration: 'all' });

const explored = new Map<string, { model: Model; x: Exploration }>();

/** One exploration per machine, variant and configuration within a worker (test files share it: vitest.config.ts isolate false). */
export function exploreOnce(spec: MachineSpec, variant: string, configuration?: string): Exploration {
  const model = spec.model(variant, configuration);
  const key = `${spec.id}/${model.variantId}/${model.configurationId}`;
  let made = explored.get(key);
  if (!made) explored.set(key, (made = { model, x: explore(model) }));
  return made.x;
}

/**
 * checkModel of a job. Where the check's exploration is explore's default one (the same
 * reductions: not a kick-wait model, whose liveness turns the reduction off) and exploreOnce
 * made it, the check reads that one (the explorer is deterministic, and its onLevel never stops
 * a check without --max-states); the re-search of a POR check's shortest traces is made anew.
 */
function checkJob(spec: MachineSpec, model: Model) {
  const made = explored.get(`${spec.id}/${model.variantId}/${model.configurationId}`);
  if (!made) return checkModel(model);
  let first = true;
  const explorer = (m: Model, o: ExploreOptions) => {
    const same = first && o.maxStates === undefined && !!o.symmetry === reduces(m) && !!o.por === reducesPor(m);
    first = false;
    return same ? made.x : explore(m, o);
  };
  // the job's model is spec.model of the same variant and configuration, with the configuration's expectation
  return checkModel({ ...made.model, expectedViolations: model.expectedViolations }, { explorer });
}

export function describeVariants(spec: MachineSpec): void {
  describe(`${spec.id}: variants and manifest`, () => {
    for (const e of entriesOf(spec)) {
      // the configurations that opt in to symmetry reduction are the large ones: npm run test:slow
      const slow = !!spec.model(e.variant, e.configuration).symmetry?.byDefault;
      it(`${e.variant} in ${e.configuration}: numbers as recorded and exactly the expected invariant violations`, { tags: slow ? ['slow'] : [] }, () => {
        const model = spec.model(e.variant, e.configuration);
        const x = exploreOnce(spec, e.variant, e.configuration);
        const got: Numbers = { states: x.states.length, transitions: x.transitions, depth: x.maxDepth, paths: x.symmetry || x.por?.reduced ? null : edgeCoverCount(x) };
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

  // every variant in every configuration it states finds exactly what it records (expectedViolations,
  // or expectedViolationsIn for that configuration); the composed guest's (two-queues and smp take minutes) are slow,
  // and the largest of them (MERGE_ONLY) run in npm run test:slow only, not in CI's test:all
  describe('every variant in every configuration it states', () => {
    for (const { spec: s, model } of jobs.filter((j) => j.spec === spec)) {
      const merge = MERGE_ONLY.includes(`${s.id}/${model.variantId}/${model.configurationId}`);
      it(`${s.id} ${model.variantId} in ${model.configurationId}: finds exactly what it records`, { tags: s.id === 'system' ? ['slow', ...(merge ? ['merge'] : [])] : [] }, () => {
        const r = checkJob(s, model);
        expect(r.limitReached, 'the exploration is complete').toBe(false);
        const differ = r.results.filter((x) => x.holds !== x.expected).map((x) => `${x.property}: expected ${x.expected ? 'holds' : 'violated'}, found ${x.holds}`);
        expect(differ).toEqual([]);
      });
    }
  });
}
