import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order the two workers take the test files in: the longest first (so that neither is left
 * with a long file while the other idles at the end), by the seconds each file's tests take in
 * each suite: vitest's per-file durations in the clean-clone CI run of main f9f3e9f (`.ci/run`,
 * 2 workers), rounded; only the order matters. A file not listed (under a second there) runs
 * after those listed, larger first. Vitest's own order is no good here: a clean clone has no
 * results cache, so npm test takes the files by size (at 1df8ab8 the small
 * configurations.test.ts, one of the longest, started when most others were done, and the run
 * ended with it and seed-areas.test.ts alone), and test:slow then reads npm test's durations, in
 * which a file whose tests are all tagged slow (pack.test.ts) took no time.
 */
export const SECONDS: Record<'fast' | 'slow', Readonly<Record<string, number>>> = {
  fast: {
    'test/dirty-log/kvm_memory_slot.test.ts': 38,
    'test/machines/seed-areas.test.ts': 37,
    'test/check/variant-checking.test.ts': 31,
    'test/check/footprints.test.ts': 29,
    'test/examples.test.ts': 20,
    'test/check/symmetry-vms.test.ts': 17,
    'test/check/por.test.ts': 15,
    'test/system/system.test.ts': 12,
    'test/machines/kernel.test.ts': 11,
    'test/paths/json.test.ts': 10,
    'test/system/projection.test.ts': 9,
    'test/check/compile.test.ts': 9,
    'test/export/browser.test.ts': 9,
    'test/commands/jobs.test.ts': 8,
    'test/export/cli.test.ts': 8,
    'test/flic-ais/kvm_s390_float_interrupt.test.ts': 8,
    'test/replay/replay.test.ts': 7,
    'test/check/symmetry.test.ts': 7,
    'test/sut/vfio_ccw.test.ts': 5,
    'test/machines/objects.test.ts': 4,
    'test/mutate/sample.test.ts': 4,
    'test/dirty-log/kvm_memory_slot.threads.test.ts': 4,
    'test/paths/kselftest.test.ts': 4,
    'test/machines/gisa-thread-steps.test.ts': 4,
    'test/check/dead.test.ts': 4,
    'test/commands/start.test.ts': 3,
    'test/mutate/instrument.test.ts': 3,
    'test/commands/check.test.ts': 3,
    'test/machines/mutation-properties.test.ts': 3,
    'test/vfio-ccw/vfio_ccw_private.test.ts': 3,
    'test/system/kick-wait.test.ts': 3,
    'test/machines/gisc-concurrency.test.ts': 2,
    'test/sut/core-paths.test.ts': 2,
    'test/check/swarm.test.ts': 2,
    'test/commands/start-jobs.test.ts': 2,
    'test/check/scaled.test.ts': 1,
    'test/check/por-modal.test.ts': 1,
  },
  slow: {
    'test/system/system.test.ts': 101,
    'test/package/pack.test.ts': 52,
    'test/check/scaled.test.ts': 51,
    'test/check/footprints.test.ts': 46,
    'test/check/symmetry-vms.test.ts': 40,
    'test/check/symmetry.test.ts': 39,
    'test/check/compile.test.ts': 38,
    'test/check/variant-checking.test.ts': 36,
    'test/check/por.test.ts': 21,
    'test/sut/vfio_ccw.test.ts': 20,
    'test/check/swarm.test.ts': 19,
    'test/paths/kselftest.test.ts': 16,
    'test/check/variant-loader.test.ts': 15,
    'test/paths/json.test.ts': 10,
    'test/sut/core-paths.test.ts': 8,
    'test/check/dead.test.ts': 7,
    'test/examples.test.ts': 5,
    'test/commands/check.test.ts': 5,
    'test/system/kick-wait.test.ts': 4,
  },
};

export function sequencer(suite: 'fast' | 'slow') {
  const seconds = SECONDS[suite];
  return class LongestFirst extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
      const key = (f: TestSpecification) => relative(f.project.config.root, f.moduleId).split('\\').join('/');
      const sized = await super.sort(files); // vitest's order (by size in a clean clone) breaks ties
      const at = new Map(sized.map((f, i) => [f, i]));
      return [...files].sort((a, b) => (seconds[key(b)] ?? -1) - (seconds[key(a)] ?? -1) || at.get(a)! - at.get(b)!);
    }
  };
}
