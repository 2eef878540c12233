import { AREAS, describeVariants } from '../support/variants.ts';

for (const spec of AREAS['test/machines/seed-areas.test.ts']) describeVariants(spec);
