import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order the two workers take the test files in: the longest first (so that neither is left
 * with a long file while the other idles at the end), by the seconds each file's tests take in
 * each suite. npm test's: measured at main 1df8ab8 (`--reporter=json`, 2 workers, under a load
 * of 25 on the shared build machine, divided by 9.7 to a load of 1; only the order matters).
 * A file not listed runs after those listed, larger first. Vitest's own order is no good here: a
 * clean clone has no results cache, so npm test takes the files by size (at 1df8ab8 the small
 * configurations.test.ts, one of the longest, started when most others were done, and the run
 * ended with it and seed-areas.test.ts alone), and test:slow then reads npm test's durations, in
 * which a file whose tests are all tagged slow (pack.test.ts) took no time.
 */
export const SECONDS: Record<'fast' | 'slow', Readonly<Record<string, number>>> = {
  fast: {
    // with the checks of every variant in every configuration (52 s, configurations.test.ts before)
    'test/machines/seed-areas.test.ts': 80,
    'test/check/symmetry-vms.test.ts': 45,
    'test/check/footprints.test.ts': 31,
    'test/check/por.test.ts': 29,
    'test/system/system.test.ts': 19,
    'test/examples.test.ts': 16,
    'test/check/variant-checking.test.ts': 13,
    'test/paths/json.test.ts': 12,
    'test/system/projection.test.ts': 12,
    'test/sut/vfio_ccw.test.ts': 10,
    'test/machines/kernel.test.ts': 9,
    'test/commands/jobs.test.ts': 9,
    'test/dirty-log/kvm_memory_slot.test.ts': 9,
    'test/mutate/sample.test.ts': 7,
    'test/check/compile.test.ts': 7,
    'test/machines/objects.test.ts': 10,
    'test/commands/start.test.ts': 6,
    'test/export/browser.test.ts': 5,
    'test/export/cli.test.ts': 5,
    'test/machines/gisc-concurrency.test.ts': 5,
    'test/dirty-log/kvm_memory_slot.threads.test.ts': 4,
    'test/replay/replay.test.ts': 4,
    'test/mutate/instrument.test.ts': 4,
    'test/check/symmetry.test.ts': 4,
    'test/check/dead.test.ts': 3,
    'test/check/swarm.test.ts': 3,
    'test/machines/gisa-thread-steps.test.ts': 3,
    'test/paths/kselftest.test.ts': 3,
    'test/flic-ais/kvm_s390_float_interrupt.test.ts': 3,
    'test/sut/core-paths.test.ts': 3,
    'test/commands/check.test.ts': 3,
    'test/machines/mutation-properties.test.ts': 2,
  },
  // test:slow: the README's totals over both suites (main 1838a52) less npm test's above; the files it does not name, estimated
  slow: {
    'test/check/scaled.test.ts': 57, // the differentials on prefixes plus one large configuration per area (110 before; estimated from runs of the file under load)
    'test/system/system.test.ts': 100, // with the composed guest's checks in every configuration (93 s, configurations.test.ts before)
    'test/check/symmetry.test.ts': 77, // the CLI test runs three checks, not five (80 before)
    'test/check/variant-checking.test.ts': 75,
    'test/package/pack.test.ts': 50,
    'test/check/compile.test.ts': 40, // the large machines' configurations on 600 states, one each on 4,000 (47 before)
    'test/check/por.test.ts': 40,
    'test/check/footprints.test.ts': 37,
    'test/check/symmetry-vms.test.ts': 25,
    'test/paths/kselftest.test.ts': 20,
    'test/check/dead.test.ts': 15,
    'test/paths/json.test.ts': 15,
    'test/examples.test.ts': 10,
    'test/check/swarm.test.ts': 10,
    'test/sut/core-paths.test.ts': 10,
    'test/sut/vfio_ccw.test.ts': 10,
    'test/system/kick-wait.test.ts': 5,
    'test/commands/check.test.ts': 5,
    'test/check/variant-loader.test.ts': 5,
  },
};

/**
 * The seconds of the tests tagged `merge`, which test:slow runs and test:all leaves out
 * (test/support/variants.ts MERGE_ONLY: three checks of 26 to 30 s of CPU each, bench/ci-jobs.ts;
 * 85 s of the file's 153 in CI at af4e41f, in the tables' units, where the file has 119: 66).
 */
const MERGE: Readonly<Record<string, number>> = { 'test/system/system.test.ts': 66 };

/** Both suites in one run (`npm run test:all`, what CI runs): a file's seconds in the two tables added, less its tests tagged merge. */
function both(): Readonly<Record<string, number>> {
  const sum: Record<string, number> = { ...SECONDS.fast };
  for (const [f, s] of Object.entries(SECONDS.slow)) sum[f] = (sum[f] ?? 0) + s;
  for (const [f, s] of Object.entries(MERGE)) sum[f] = Math.max(0, (sum[f] ?? 0) - s);
  return sum;
}

export function sequencer(suite: 'fast' | 'slow' | 'all') {
  const seconds = suite === 'all' ? both() : SECONDS[suite];
  return class LongestFirst extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
      const key = (f: TestSpecification) => relative(f.project.config.root, f.moduleId).split('\\').join('/');
      const sized = await super.sort(files); // vitest's order (by size in a clean clone) breaks ties
      const at = new Map(sized.map((f, i) => [f, i]));
      return [...files].sort((a, b) => (seconds[key(b)] ?? -1) - (seconds[key(a)] ?? -1) || at.get(a)! - at.get(b)!);
    }
  };
}
