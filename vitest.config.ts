import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs every test but those tagged `slow` (exhaustive checks of large configurations);
 * `npm run test:slow` (vitest.slow.config.ts) runs exactly those, and CI runs both.
 */
export const tags = [{ name: 'slow', description: 'an exhaustive check that takes tens of seconds: run by `npm run test:slow` (and CI), not by `npm test`', timeout: 600_000 }];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    tags,
    // read from the config as from --tags-filter (vitest 4.1), though its type lists it for the CLI only
    ...({ tagsFilter: ['!slow'] } as object),
  },
});
