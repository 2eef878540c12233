import { defineConfig } from 'vitest/config';
import { sequencer } from './vitest.sequencer.ts';
import { shared } from './vitest.config.ts';

/** `npm run test:slow`: only the tests tagged `slow` (see vitest.config.ts). */
export default defineConfig({
  test: {
    ...shared,
    testTimeout: 600_000,
    // the longest files first (vitest.sequencer.ts)
    sequence: { sequencer: sequencer('slow') },
    ...({ tagsFilter: ['slow'] } as object),
  },
});
