import { AREAS, describeVariants } from '../support/variants.ts';

for (const spec of AREAS['test/machines/objects.test.ts']) describeVariants(spec);
