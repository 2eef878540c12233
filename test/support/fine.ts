// The shipped fine-grained entries, shared by test/check/por.test.ts (the reduction's differential)
// and test/check/footprints.test.ts (the footprint verification).
import { readFileSync } from 'node:fs';
import { specs } from '../../machines/index.ts';
import { entriesOf } from '../../src/manifest.ts';

/** Every shipped (machine, variant, configuration) of a fine-grained configuration: each configuration with its base variant, each variant in its own. */
export const fineEntries = specs.flatMap((spec) => entriesOf(spec).map((e) => ({ spec, e }))).filter(({ spec, e }) => spec.model(e.variant, e.configuration).por);

// the entries above 10,000 states (manifest.json) run with test:slow: each differential explores them in full
const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as Record<string, { states: number }>;
export const heavy = (e: { machine: string; variant: string; configuration: string }) => ((manifest[`${e.machine}/${e.variant}/${e.configuration}`]?.states ?? Infinity) > 10_000 ? { tags: ['slow'] } : {});
