import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { sequencer } from './vitest.sequencer.ts';

/**
 * `npm test` runs every test but those tagged `slow` (exhaustive checks of large configurations);
 * `npm run test:slow` (vitest.slow.config.ts) runs exactly those, `npm run test:all`
 * (vitest.all.config.ts, what CI runs) both in one run but for the few tagged `merge`, which
 * `check --configuration all` also makes at a merge.
 */
export const tags = [
  { name: 'slow', description: 'an exhaustive check that takes tens of seconds: run by `npm run test:slow` (and CI), not by `npm test`', timeout: 600_000 },
  { name: 'merge', description: 'a slow check that `check --configuration all` makes too (test/support/variants.ts MERGE_ONLY): run by `npm run test:slow` at a merge, not by CI\'s `npm run test:all`' },
];

/** What the three suites share: every test file, the workers and their module cache, the slow tag. */
export const shared = {
  include: ['test/**/*.test.ts'],
  pool: 'forks' as const,
  // files share a worker's module cache: the machines, the compiled explorers and Graphviz load
  // once per worker, not once per file (npm test: 47 s of CPU instead of 77). A test that changes
  // shared state (the registry in test/commands/check.test.ts) puts it back in afterAll.
  isolate: false,
  // every core: vitest's default leaves one idle (1 worker on the 2-core build machine and CI)
  maxWorkers: availableParallelism(),
  // set (empty: tsx keeps its cache): the worker threads the tests start (src/check/watchdog.ts sourceWorker)
  // keep tsx's cache in the temporary folder instead of transpiling every source again each
  env: { TSX_DISABLE_CACHE: '' },
  // V8's tier-up as the CLI sets it (src/v8-tuning.ts): the workers run many short checks too
  setupFiles: ['./test/support/v8-tuning.setup.ts'],
  tags,
};

export default defineConfig({
  test: {
    ...shared,
    testTimeout: 60_000,
    // the longest files first (vitest.sequencer.ts)
    sequence: { sequencer: sequencer('fast') },
    // read from the config as from --tags-filter (vitest 4.1), though its type lists it for the CLI only
    ...({ tagsFilter: ['!slow'] } as object),
  },
});
