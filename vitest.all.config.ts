import { defineConfig } from 'vitest/config';
import { sequencer } from './vitest.sequencer.ts';
import { shared } from './vitest.config.ts';

/**
 * `npm run test:all` (CI): the tests of `npm test` and of `npm run test:slow` in one vitest run,
 * but those tagged `merge` (vitest.config.ts).
 * Both suites' files then share the two workers once: one start-up and one module load per
 * worker instead of two, and one tail at the end (a worker idle while the other finishes its
 * last file) instead of one per suite. A slow test keeps its tag's timeout (vitest.config.ts).
 */
export default defineConfig({
  test: {
    ...shared,
    testTimeout: 60_000,
    // the longest files first, by their seconds in both suites (vitest.sequencer.ts)
    sequence: { sequencer: sequencer('all') },
    // but the checks tagged merge, which npm run test:slow and check --configuration all make at a merge
    ...({ tagsFilter: ['!merge'] } as object),
  },
});
