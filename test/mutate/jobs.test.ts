// A worker's jobs without a mutant active: the path runner (which stops at the first
// disagreement) agrees with runPathTests, and the baseline check reports what checkModel does.
import { describe, expect, it } from 'vitest';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { kvmSpec } from '../../machines/system/index.ts';
import { checkModel } from '../../src/check/check.ts';
import { runPathTests, type Conformance } from '../../src/paths/cover.ts';
import { agreeing, expectation, refusalProbes } from '../../src/paths/refusals.ts';
import { explore } from '../../src/check/explore.ts';
import { coreConformance } from '../../src/sut/core.conformance.ts';
import { runJob } from '../../src/mutate/jobs.ts';
import { checkTargets, harnessReaches, pathSuites, type PathSuite } from '../../src/mutate/targets.ts';
import { pairCoverPaths } from '../../src/paths/generate.ts';
import { specs } from '../../machines/index.ts';

describe('the path runner of a worker against runPathTests', () => {
  it('vcpu upstream: both pass, over the same steps plus the refusal probes', async () => {
    const suite = pathSuites(specs).find((s) => s.key === 'kvm_vcpu/upstream/one-vcpu')!;
    const mine = await runJob({ kind: 'paths', suite, mutant: -1 }, 0);
    const model = vcpuSpec.model('upstream');
    const theirs = await runPathTests(model, coreConformance(model));
    expect(theirs.failures).toEqual([]);
    // then the refusal probes (src/paths/refusals.ts), each its prefix and the refused event
    const x = explore(model);
    const c = coreConformance(model) as Conformance;
    const probes = agreeing(model, c, x, refusalProbes(x, model.events.length), expectation(c, x)).kept;
    expect(probes.length).toBeGreaterThan(0);
    expect(mine).toMatchObject({ status: 'survived', steps: theirs.steps + probes.reduce((n, p) => n + p.prefix.length + 1, 0) });
  });

  it('a planted machine bug: both fail, on the same first path', async () => {
    const suite: PathSuite = { key: 'kvm_vcpu/planted-no-delivery/one-vcpu', harness: 'core', machine: 'kvm_vcpu', variant: 'planted-no-delivery', configuration: 'one-vcpu' };
    const mine = await runJob({ kind: 'paths', suite, mutant: -1 }, 0);
    const model = vcpuSpec.model('planted-no-delivery');
    const theirs = await runPathTests(model, coreConformance(model));
    expect(mine.status).toBe('killed');
    expect(mine.by).toMatch(new RegExp(`^path ${theirs.failures[0]!.path}, step ${theirs.failures[0]!.trace.length}: `));
    expect(mine.by).toContain('vcpu_pre_run');
  });

  it('a suite with pairs: the edge paths and probes as before, then every transition-pair path, counted apart', async () => {
    const suite = pathSuites(specs).find((s) => s.key === 'kvm_vcpu/upstream/one-vcpu')!;
    const plain = await runJob({ kind: 'paths', suite: { ...suite, pairs: false }, mutant: -1 }, 0);
    const paired = await runJob({ kind: 'paths', suite: { ...suite, key: `${suite.key}+pairs`, pairs: true }, mutant: -1 }, 0);
    const pairs = pairCoverPaths(explore(vcpuSpec.model('upstream'))).paths;
    // the unmutated transcription agrees on every pair path, so none is set aside
    expect(plain.pairSteps).toBeUndefined();
    expect(paired).toMatchObject({ status: 'survived', steps: plain.steps, pairSteps: pairs.reduce((n, p) => n + p.edges.length, 0) });
    expect(paired.pairSteps).toBeGreaterThan(plain.steps!);
  });

  it('a SUT mutant is run only by the suites of the harness that loads its file', () => {
    expect(harnessReaches('core', 'src/sut/gisa.ts')).toBe(true);
    expect(harnessReaches('flic', 'src/sut/gisa.ts')).toBe(false);
    expect(harnessReaches('flic', 'src/sut/flic-driver.ts')).toBe(true);
    expect(harnessReaches('core', 'src/sut/flic.ts')).toBe(false);
    expect(harnessReaches('dirty-log', 'src/sut/dirty_log.conformance.ts')).toBe(true);
    expect(harnessReaches('vfio-ccw', 'src/sut/dirty_log.ts')).toBe(false);
    // a file no harness claims: every suite may reach it
    expect(harnessReaches('vfio-ccw', 'src/sut/new.ts')).toBe(true);
  });

  it('every suite the analysis runs names a machine, variant and configuration that exist', () => {
    for (const s of pathSuites(specs)) expect(() => specs.find((x) => x.id === s.machine)!.model(s.variant, s.configuration)).not.toThrow();
  });
});

describe('the baseline check job', () => {
  it('kvm one-vm: the states and verdicts of checkModel, and the properties held', async () => {
    const target = checkTargets(specs).find((t) => t.key === 'kvm/upstream/one-vm')!;
    const r = await runJob({ kind: 'check', target, mutant: -1 }, 0);
    const c = checkModel(kvmSpec.model('upstream', 'one-vm'));
    expect(r.states).toBe(c.states);
    expect(r.holds).toEqual(Object.fromEntries(c.results.map((x) => [x.property, x.holds])));
  });
});
