// Symmetry reduction: the reduced exploration finds the same invariant violations as the full
// one on the shipped variants, each with a concrete trace that replays to a violating state;
// for an exact group the reduced state count is the number of orbits of the full state set;
// verifySymmetry proves the queue groups exact and refutes the vcpu groups (lowest vcpu_idx wins).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { compile } from '../../src/check/compile.ts';
import { explore, exploreCompiled } from '../../src/check/explore.ts';
import { Canonicaliser, compareValues, SymmetryError } from '../../src/check/symmetry.ts';
import { verifySymmetry } from '../../src/check/symmetry-verify.ts';
import type { Model } from '../../src/spec.ts';
import { main } from '../../src/cli.ts';

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (s) => void (stdout += s), err: (s) => void (stderr += s), errIsTTY: false });
  return { code, stdout, stderr };
}

const spec = (id: string) => specs.find((s) => s.id === id)!;
const model = (id: string, variant: string, params: Record<string, unknown>) => spec(id).model(variant, undefined, { params });

const violated = (r: CheckResult) => r.results.filter((x) => x.kind === 'invariant' && x.holds === false).map((x) => x.property).sort();

/** Checks a model with and without reduction: same verdicts for invariants (and alwaysReachable), fewer states, replayable traces. */
function sameVerdicts(m: Model): { full: CheckResult; reduced: CheckResult } {
  const full = checkModel(m, { symmetry: false });
  const reduced = checkModel(m, { symmetry: true });
  expect(reduced.symmetry, 'the reduction was applied').toBeDefined();
  expect(full.symmetry).toBeUndefined();
  expect(reduced.states).toBeLessThan(full.states);
  expect(violated(reduced)).toEqual(violated(full));
  // checkModel sets holds to null when a concrete trace does not replay to a violation
  for (const r of reduced.results) if (r.kind === 'invariant') expect(r.holds, `${r.property}: ${r.note}`).not.toBeNull();
  const reach = (r: CheckResult) => r.results.filter((x) => x.kind === 'liveness' && x.holds !== null).map((x) => [x.property, x.holds]);
  for (const [name, holds] of reach(reduced)) expect(reach(full)).toContainEqual([name, holds]);
  return { full, reduced };
}

describe('symmetry reduction finds what the full exploration finds', () => {
  // queues (exact): every variant of the composed guest but aqic-v4 with two queues and no vcpu
  for (const v of ['upstream', 'upstream-fixed', 'v5.3', 'planted-no-reset-on-close']) {
    it(`system ${v}, 2 queues`, { tags: ['slow'] }, () => {
      sameVerdicts(model('system', v, { vcpus: 0, queues: 2 }));
    });
  }
  it('vfio_ap_queue, every variant, 2 queues', () => {
    for (const v of spec('vfio_ap_queue').variants) sameVerdicts(model('vfio_ap_queue', v.id, { queues: 2 }));
  });
  // vcpus (approximate): every variant, GIB ones in airq, with three vcpus of one CR6
  it('system, every variant, 3 vcpus alike', { tags: ['slow'] }, () => {
    // the fine-grained ones (pqap-close: symmetry and partial-order reduction are not combined) are checked in test/check/por.test.ts;
    // airq's and aen's configurations give each vcpu its own CR6 (aen: ISC 5, ISC 3): one CR6 for all three here
    for (const v of spec('system').variants.filter((v) => !spec('system').model(v.id).por)) sameVerdicts(spec('system').model(v.id, undefined, { params: { vcpus: 3, queues: 0, ...(v.configuration === 'airq' || v.configuration === 'aen' ? { cr6: [0x14, 0x14, 0x14] } : {}) } }));
  });
  it('kvm_vcpu, every variant, 2 vcpus', () => {
    for (const v of spec('kvm_vcpu').variants) sameVerdicts(model('kvm_vcpu', v.id, { vcpus: 2 }));
  });
  it('the AQIC v4 hazard, 2 vcpus and a queue: the same thirteen invariants broken, traces replayed', { tags: ['slow'] }, () => {
    const { reduced } = sameVerdicts(model('system', 'aqic-v4', { vcpus: 2, queues: 1 }));
    // eleven before issue 14's ApInterruptsIntoSavedGisc (the AP keeps interrupting into the destroyed GISA) and DestroyedGisaHasNoAlertMask (v5.2's destroy keeps alert.mask)
    expect(violated(reduced)).toHaveLength(13);
    expect(violated(reduced)).toEqual(expect.arrayContaining(['ApInterruptsIntoSavedGisc', 'DestroyedGisaHasNoAlertMask']));
    const hazard = reduced.results.find((r) => r.property === 'AqicResourcesFreedBeforeGisaDestroy')!;
    expect(hazard.trace.map((s) => s.event.type)).toContain('kvm_vm_release');
  });
});

describe('orbits', () => {
  it('with exact groups, the reduced explorer keeps exactly one state per orbit of the full state set', { tags: ['slow'] }, () => {
    const m = model('system', 'upstream', { vcpus: 0, queues: 3 });
    const compiled = compile(m.machine);
    const full = exploreCompiled(m, compiled, { keepEdges: false });
    const canon = new Canonicaliser(compiled, m.symmetry!.groups);
    const orbits = new Set<string>();
    for (let i = 0; i < full.states.length; i++) {
      canon.apply(full.encoding!(i), full.states[i]!.context);
      orbits.add(JSON.stringify([[...canon.cfg], canon.context]));
    }
    const reduced = explore(m, { symmetry: true, keepEdges: false });
    expect(reduced.states.length).toBe(orbits.size);
    // three interchangeable queues: at least full/3! orbits, and far fewer than the full set
    expect(orbits.size).toBeGreaterThanOrEqual(full.states.length / 6);
    expect(orbits.size).toBeLessThan(full.states.length / 3);
  });

  it('orders member states totally', () => {
    expect(compareValues({ a: 1, b: [true, 2] }, { a: 1, b: [true, 2] })).toBe(0);
    expect(compareValues({ a: 1, b: [false, 9] }, { a: 1, b: [true, 0] })).toBeLessThan(0);
    expect(compareValues({ a: 2 }, { a: 1 })).toBeGreaterThan(0);
    expect(compareValues([1, 2], [1, 2, 0])).toBeLessThan(0);
  });
});

describe('verifySymmetry', () => {
  it('proves the queue group exact, as declared', () => {
    for (const m of [model('system', 'upstream', { vcpus: 0, queues: 2 }), model('vfio_ap_queue', 'upstream', { queues: 2 })]) {
      const groups = m.symmetry!.groups;
      expect(groups.map((g) => [g.field, g.exact])).toEqual([['q', true]]);
      expect([...verifySymmetry(m).values()]).toEqual([undefined]);
    }
  });

  it('refutes the vcpu group, as declared: the vcpu in SIE that takes a GISA interruption is the lowest one', { tags: ['slow'] }, () => {
    const m = model('system', 'upstream', { vcpus: 2, queues: 1 });
    const vcpus = m.symmetry!.groups.find((g) => g.field === 'vcpu')!;
    expect(vcpus.exact).toBe(false);
    const b = verifySymmetry(m).get(vcpus.name)!;
    expect(b).toBeDefined();
    expect(b.why).toBe('different successors');
    expect(b.event.type).toBe('AP_ADAPTER_INTERRUPTION');
    const v = (b.state.context as { vms: { vcpus: { inSie: boolean }[] }[] }).vms[0]!.vcpus;
    expect(v.map((x) => x.inSie)).toEqual([true, true]);
  });

  it('refutes the vcpu group without queues too: the kicker scans idle_mask in vcpu_idx order', () => {
    const m = spec('system').model('gib-upstream', 'airq', { params: { cr6: [0x14, 0x14] } });
    const b = verifySymmetry(m).get(m.symmetry!.groups[0]!.name)!;
    expect(b).toBeDefined();
    expect(['gisa_vcpu_kicker', 'GISA_ADAPTER_INTERRUPTION', 'gib_alert_irq_handler', 'process_gib_alert_list']).toContain(b.event.type);
  });
});

describe('opt-in', () => {
  it('only configurations that opt in reduce by default; vcpus of different CR6 are not interchangeable', () => {
    expect(spec('system').model('upstream', 'default').symmetry!.byDefault).toBe(false);
    expect(spec('system').model('upstream', 'two-queues').symmetry!.byDefault).toBe(true);
    expect(spec('system').model('gib-upstream', 'airq').symmetry!.groups).toEqual([]);
  });

  it('refuses the xstate engine', () => {
    expect(() => explore(spec('system').model('upstream', 'two-queues'), { engine: 'xstate' })).toThrow(SymmetryError);
  });

  it('check: --symmetry and --no-symmetry override the configuration', { tags: ['slow'] }, async () => {
    // the text and, through --report, the JSON of one run: three checks, not five
    const dir = mkdtempSync(join(tmpdir(), 'symmetry-cli-'));
    const withReport = async (argv: string[], name: string) => {
      const r = await runCli([...argv, '--report', join(dir, name)]);
      const { checks } = JSON.parse(readFileSync(join(dir, name, 'results.json'), 'utf8')) as { checks: CheckResult[] };
      return { ...r, json: checks };
    };
    try {
      const args = ['check', '--machine', 'system', '--variant', 'upstream', '--configuration', 'two-queues'];
      const on = await withReport(args, 'on');
      expect(on.code).toBe(0);
      expect(on.stdout).toContain('symmetry-reduced (one state per orbit): queues 0,1 (exact)');
      const [off] = JSON.parse((await runCli([...args, '--no-symmetry', '--json'])).stdout) as CheckResult[];
      expect(off!.symmetry).toBeUndefined();
      // the 1 vcpu x 2 queues configuration explored in full (as `--set queues=2` on default)
      expect(off!.states).toBe(60_842);
      const [reduced] = on.json;
      expect(reduced!.states).toBeLessThan(off!.states);
      expect(reduced!.states).toBeGreaterThanOrEqual(off!.states / 2);
      // and on where the configuration does not opt in
      const forced = await withReport(['check', '--machine', 'system', '--variant', 'upstream', '--set', 'queues=2', '--symmetry'], 'forced');
      expect(forced.json[0]!.states).toBe(reduced!.states);
      // there the per-vcpu NoLostWakeup (leadsTo) is left undecided, with the reason on its own line
      expect(forced.code).toBe(1);
      expect(forced.stdout).toMatch(/NoLostWakeup\s+liveness\s+holds\s+unknown\s+MISMATCH/);
      expect(forced.stdout).toContain('  NoLostWakeup not decided: not checked under symmetry reduction');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
