import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { sequencer } from './vitest.sequencer.ts';
import { tags } from './vitest.config.ts';

/**
 * `npm run test:all` (CI): the tests of `npm test` and of `npm run test:slow` in one vitest run.
 * Both suites' files then share the two workers once: one start-up and one module load per
 * worker instead of two, and one tail at the end (a worker idle while the other finishes its
 * last file) instead of one per suite. A slow test keeps its tag's timeout (vitest.config.ts).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // as vitest.config.ts: files share a worker's module cache (a test that changes shared state puts it back in afterAll)
    isolate: false,
    maxWorkers: availableParallelism(),
    // the longest files first, by their seconds in both suites (vitest.sequencer.ts)
    sequence: { sequencer: sequencer('all') },
    env: { TSX_DISABLE_CACHE: '' },
    tags,
  },
});
