// Every variant states the configurations it belongs to (VariantInfo.configuration and
// .configurations), and in each it finds exactly what it records (expectedViolations, or
// expectedViolationsIn for that configuration): what `check --configuration all` runs, one check each.
// The checks themselves run in the per-area files (test/support/variants.ts describeVariants), beside
// the manifest entries whose explorations they reuse; here, that those files check every machine's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { variantConfigurations, type VariantInfo } from '../../src/spec.ts';
import { AREAS, jobs, MERGE_ONLY } from '../support/variants.ts';

describe('every variant in every configuration it states', () => {
  it('covers every variant of every machine, in its own configuration first', () => {
    const own = jobs.filter((j, i) => i === 0 || jobs[i - 1]!.model.variantId !== j.model.variantId || jobs[i - 1]!.spec !== j.spec);
    expect(own.map((j) => `${j.spec.id}/${j.model.variantId}/${j.model.configurationId}`)).toEqual(
      specs.flatMap((s) => s.variants.map((v) => `${s.id}/${v.id}/${variantConfigurations(s, v)[0]}`)),
    );
  });

  it('the per-area files check every job: together they describe every machine, each once', () => {
    const described = Object.values(AREAS).flat().map((s) => s.id);
    expect([...described].sort()).toEqual(specs.map((s) => s.id).sort());
    expect(new Set(described).size).toBe(described.length);
    // and each file calls describeVariants on its own list
    for (const [file, list] of Object.entries(AREAS)) {
      expect(list.length).toBeGreaterThan(0);
      expect(readFileSync(file, 'utf8')).toContain(`for (const spec of AREAS['${file}']) describeVariants(spec);`);
    }
  });
});

describe('membership: a variant belongs to the configurations it states', () => {
  const machine = { configurations: [{ id: 'a', description: '' }, { id: 'b', description: '' }, { id: 'c', description: '' }] };
  const v = (extra: Partial<VariantInfo>): VariantInfo => ({ id: 'v', description: '', cite: '', expectedViolations: [], ...extra });
  it('its own configuration first: configuration, else the first it lists, else the machine\'s first', () => {
    expect(variantConfigurations(machine, v({}))).toEqual(['a']);
    expect(variantConfigurations(machine, v({ configuration: 'b' }))).toEqual(['b']);
    expect(variantConfigurations(machine, v({ configurations: ['c', 'a'] }))).toEqual(['c', 'a']);
    expect(variantConfigurations(machine, v({ configuration: 'b', configurations: ['a', 'b'] }))).toEqual(['b', 'a']);
  });
  it('a configuration with its own expectation (expectedViolationsIn) is one it belongs to', () => {
    expect(variantConfigurations(machine, v({ expectedViolationsIn: { c: ['P'] } }))).toEqual(['a', 'c']);
    expect(variantConfigurations(machine, v({ configurations: ['b'], expectedViolationsIn: { b: [], c: [] } }))).toEqual(['b', 'c']);
  });
  it('every configuration a shipped variant names is one of its machine\'s (a misspelt id would make it belong nowhere)', () => {
    const unknown = specs.flatMap((s) =>
      s.variants.flatMap((x) => variantConfigurations(s, x).filter((c) => !s.configurations.some((k) => k.id === c)).map((c) => `${s.id}/${x.id}: ${c}`)),
    );
    expect(unknown).toEqual([]);
  });
  it('the checks CI leaves to npm run test:slow (tag merge) are checks of --configuration all in the slow-tagged system area', () => {
    const planned = jobs.map((j) => `${j.spec.id}/${j.model.variantId}/${j.model.configurationId}`);
    // a renamed variant or configuration would otherwise leave its check in CI unnoticed
    for (const key of MERGE_ONLY) expect(planned, key).toContain(key);
    expect(MERGE_ONLY.every((k) => k.startsWith('system/'))).toBe(true);
    expect(readFileSync('vitest.all.config.ts', 'utf8')).toContain("tagsFilter: ['!merge']");
  });
  it('--configuration all checks each variant once in each configuration it belongs to, and nowhere else', () => {
    const planned = jobs.map((j) => `${j.spec.id}/${j.model.variantId}/${j.model.configurationId}`);
    expect(planned).toEqual(specs.flatMap((s) => s.variants.flatMap((x) => variantConfigurations(s, x).map((c) => `${s.id}/${x.id}/${c}`))));
    expect(new Set(planned).size).toBe(planned.length);
  });
  it('a configuration\'s own expectation replaces the variant\'s there (vfio-ccw v4.19 in two-writers also breaks OneRequestInProcessing)', () => {
    const job = (c: string) => jobs.find((j) => j.spec.id === 'vfio_ccw_private' && j.model.variantId === 'v4.19' && j.model.configurationId === c)!.model;
    // v4.19's own list (machines/vfio-ccw/vfio_ccw_private.variants.ts `v4`): the lifetime races, the -EACCES pre-check, the one IRB buffer, stale IRBs
    const v4 = ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing', 'IoEaccesMeansPathsGone', 'IoSuccessMeansStarted', 'EveryIrbReachesRegion', 'NoCpWithoutIo', 'IrbEndsOnlyItsOwnProgram', 'CpFreedOnlyWhenIoDone'];
    expect(job('one-writer').expectedViolations).toEqual(v4);
    expect(job('two-writers').expectedViolations).toEqual([...v4, 'OneRequestInProcessing']);
    // and a kernel without VFIO_DEVICE_RESET has no reset-race job
    expect(jobs.some((j) => j.spec.id === 'vfio_ccw_private' && j.model.variantId === 'v4.19' && j.model.configurationId === 'reset-race')).toBe(false);
  });
});

describe('the README example', () => {
  const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
  it('check --machine system --configuration smp checks the variants of smp, not all ten', () => {
    const smp = jobs.filter((j) => j.spec.id === 'system' && j.model.configurationId === 'smp').map((j) => j.model.variantId);
    expect(smp).toEqual(['upstream', 'upstream-fixed', 'v5.3', 'planted-no-reset-on-close']);
    expect(readme).toContain(`smp\` alone checks the four variants of smp: ${smp.slice(0, -1).join(', ')} and ${smp.at(-1)}`);
  });
  it('its figure is for --variant upstream, in orbits, as manifest.json records it (which the system test explores)', () => {
    const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as Record<string, { states: number }>;
    const orbits = manifest['system/upstream/smp']!.states.toLocaleString('en');
    expect(readme).toContain(`\`check --machine system --variant upstream --configuration smp\`: ${orbits} orbits`);
  });
});
