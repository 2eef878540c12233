// Every variant states the configurations it belongs to (VariantInfo.configuration and
// .configurations), and in each it finds exactly what it records (expectedViolations, or
// expectedViolationsIn for that configuration): what `check --configuration all` runs, one check each.
// The composed guest's checks (two-queues and smp take minutes) are slow: npm run test:slow.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel } from '../../src/check/check.ts';
import { plan } from '../../src/commands/check.ts';
import { variantConfigurations } from '../../src/spec.ts';

const jobs = await plan({ configuration: 'all' });

describe('every variant in every configuration it states', () => {
  it('covers every variant of every machine, in its own configuration first', () => {
    const own = jobs.filter((j, i) => i === 0 || jobs[i - 1]!.model.variantId !== j.model.variantId || jobs[i - 1]!.spec !== j.spec);
    expect(own.map((j) => `${j.spec.id}/${j.model.variantId}/${j.model.configurationId}`)).toEqual(
      specs.flatMap((s) => s.variants.map((v) => `${s.id}/${v.id}/${variantConfigurations(s, v)[0]}`)),
    );
  });

  for (const { spec, model } of jobs) {
    const slow = spec.id === 'system';
    it(`${spec.id} ${model.variantId} in ${model.configurationId}: finds exactly what it records`, { tags: slow ? ['slow'] : [] }, () => {
      const r = checkModel(model);
      expect(r.limitReached, 'the exploration is complete').toBe(false);
      const differ = r.results.filter((x) => x.holds !== x.expected).map((x) => `${x.property}: expected ${x.expected ? 'holds' : 'violated'}, found ${x.holds}`);
      expect(differ).toEqual([]);
    });
  }
});

describe('the README example', () => {
  it('check --machine system --configuration smp checks the variants of smp, not all ten', () => {
    const smp = jobs.filter((j) => j.spec.id === 'system' && j.model.configurationId === 'smp').map((j) => j.model.variantId);
    expect(smp).toEqual(['upstream', 'upstream-fixed', 'v5.3', 'planted-no-reset-on-close']);
  });
});
