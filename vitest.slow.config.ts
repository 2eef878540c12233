import { defineConfig } from 'vitest/config';
import { tags } from './vitest.config.ts';

/** `npm run test:slow`: only the tests tagged `slow` (see vitest.config.ts); CI runs it after `npm test`. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 600_000,
    pool: 'forks',
    tags,
    // read from the config as from --tags-filter (vitest 4.1), though its type lists it for the CLI only
    ...({ tagsFilter: ['slow'] } as object),
  },
});
