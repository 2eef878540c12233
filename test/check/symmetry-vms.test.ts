// Symmetry between VMs: a VM's index appears in its regions and its vms[] element, in its GISA's
// bit of the GIB alert list, in the mdev's KVM pointer and PQAP hook, and in the GISA origin
// each queue's AP was given; permuting VMs renames all of them, and moves the VM's vcpus with
// it. verifySymmetry proves the VM group exact per configuration (every event commutes with
// swapping two VMs in every reachable state); with the exact groups (VMs, queues) the reduced
// explorer keeps exactly one state per orbit, counted here by applying every group element;
// and the reduced check finds the violations of the full one, each with a concrete trace.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { compile } from '../../src/check/compile.ts';
import { explore, exploreCompiled, type Exploration } from '../../src/check/explore.ts';
import { exploreScaled } from '../../src/check/scaled.ts';
import { Canonicaliser, compareStates } from '../../src/check/symmetry.ts';
import { verifySymmetry } from '../../src/check/symmetry-verify.ts';
import type { Model } from '../../src/spec.ts';

const spec = (id: string) => specs.find((s) => s.id === id)!;
const model = (id: string, variant: string | undefined, params: Record<string, unknown>) => spec(id).model(variant, undefined, { params });
const violated = (r: CheckResult) => r.results.filter((x) => x.kind === 'invariant' && x.holds === false).map((x) => x.property).sort();

/** Every permutation of 0..n-1. */
function perms(n: number): number[][] {
  if (n === 0) return [[]];
  return perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** Every element of the product of the groups' symmetric groups, as flat permutations for `permute`. */
function groupElements(canon: Canonicaliser): Int32Array[] {
  let out: number[][] = [[]];
  for (const g of canon.groups) out = out.flatMap((p) => perms(g.members.length).map((q) => [...p, ...q]));
  return out.map((p) => Int32Array.from(p));
}

describe('VM symmetry: the group', () => {
  it('is declared for composed configurations with two or more VMs, with every place a VM index appears', () => {
    const g = model('system', 'upstream', { vms: 2, vcpus: 2, queues: 2 }).symmetry!.groups;
    expect(g.map((x) => x.name)).toEqual(['vcpus 0,1 of vm0', 'vcpus 0,1 of vm1', 'vms 0,1', 'queues 0,1']);
    const vms = g.find((x) => x.field === 'vm')!;
    expect(vms.exact).toBe(true);
    expect(vms.refs!.map((r) => r.path.join('.'))).toEqual(['gib.list', 'mdev.kvm', 'mdev.hook', 'queues.*.hwGisa']);
    expect(model('system', 'upstream', { vms: 1 }).symmetry!.groups.some((x) => x.field === 'vm')).toBe(false);
  });

  it('swapping two VMs renames the alert-list bits, the mdev pointers, the queues hwGisa, and moves the regions', () => {
    const m = model('system', 'upstream', { vms: 2, vcpus: 1, queues: 2 });
    const compiled = compile(m.machine);
    const canon = new Canonicaliser(compiled, m.symmetry!.groups.filter((g) => g.field === 'vm'));
    const c0 = compiled.initial.context as any;
    const ctx = {
      ...c0,
      gib: { ...c0.gib, list: 0b01 },
      vms: [{ ...c0.vms[0], users: 2 }, c0.vms[1]],
      mdev: { kvm: 0, kvmRef: true, hook: 0 },
      queues: [{ ...c0.queues[0], hwGisa: 0 }, { ...c0.queues[1], hwGisa: -1 }],
    };
    const cfg = compiled.initial.cfg.slice();
    const vm0 = compiled.subtree('system.vm0')!;
    const vm1 = compiled.subtree('system.vm1')!;
    cfg[vm0.start] = 1; // vm0's first slot (its kvm region) differs from vm1's
    const [pcfg, pctx] = canon.permute(cfg, ctx, canon.transposition(0, 0)) as [Uint8Array, any];
    expect(pctx.gib.list).toBe(0b10);
    expect(pctx.mdev).toEqual({ kvm: 1, kvmRef: true, hook: 1 });
    expect(pctx.queues.map((q: { hwGisa: number }) => q.hwGisa)).toEqual([1, -1]);
    expect(pctx.vms.map((k: { users: number }) => k.users)).toEqual([1, 2]);
    expect(pcfg[vm1.start]).toBe(1);
    expect(pcfg[vm0.start]).toBe(cfg[vm1.start]);
    // the inputs are not changed
    expect(ctx.gib.list).toBe(0b01);
  });

  it('verifySymmetry proves the VM group exact: composed guest with a queue, with vcpus, GIB variants, and the kvm and GISA machines', () => {
    const cases: Model[] = [
      model('system', 'upstream-fixed', { vms: 2, vcpus: 0, queues: 1 }),
      model('system', 'upstream', { vms: 2, vcpus: 1, queues: 0 }),
      spec('system').model('gib-upstream', 'airq', { params: { vms: 2, vcpus: 1, cr6: [0x14] } }),
      spec('system').model('gib-v3', 'airq', { params: { vms: 2, vcpus: 1, cr6: [0x14] } }),
      model('kvm', undefined, { vms: 2 }),
      model('kvm_s390_gisa_interrupt', undefined, { vms: 2 }),
    ];
    for (const m of cases) {
      const vms = m.symmetry!.groups.filter((g) => g.field === 'vm');
      expect(vms, `${m.machineId}/${m.variantId}/${m.configurationId}`).toHaveLength(1);
      expect(verifySymmetry(m, vms).get(vms[0]!.name), `${m.machineId}/${m.variantId}/${m.configurationId}`).toBeUndefined();
    }
  }, 300_000);
});

/** The fixed design with two VMs and two queues, symmetry-reduced: explored once for the file (the orbit count and the collapse-compressed explorer's differential read it). */
let twoByTwo: { m: Model; reduced: Exploration } | undefined;
function reducedTwoByTwo(): { m: Model; reduced: Exploration } {
  if (!twoByTwo) {
    const m = model('system', 'upstream-fixed', { vms: 2, vcpus: 0, queues: 2 });
    twoByTwo = { m, reduced: explore(m, { symmetry: true, keepEdges: false }) };
  }
  return twoByTwo;
}

describe('VM symmetry: the reduction', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it('keeps exactly one state per orbit under the exact groups (VMs, queues), orbits counted by applying every group element', () => {
    const { m, reduced } = reducedTwoByTwo();
    const compiled = compile(m.machine);
    const full = exploreCompiled(m, compiled, { keepEdges: false });
    const canon = new Canonicaliser(compiled, m.symmetry!.groups);
    const elements = groupElements(canon);
    expect(elements).toHaveLength(4);
    const orbits = new Set<string>();
    for (let i = 0; i < full.states.length; i++) {
      let best: [Uint8Array, unknown] | undefined;
      for (const g of elements) {
        const img = canon.permute(full.encoding!(i), full.states[i]!.context, g);
        if (!best || compareStates(img[0], img[1], best[0], best[1]) < 0) best = img;
      }
      orbits.add(JSON.stringify([[...best![0]], best![1]]));
    }
    expect(reduced.states.length).toBe(orbits.size);
    expect(orbits.size).toBeLessThan(full.states.length / 3);
  }, 120_000);

  // the collapse-compressed explorer (test/check/scaled.test.ts compares it without symmetry) on the same reduced exploration
  it('the collapse-compressed explorer keeps the same orbits as exploreCompiled, in the same order, with the same first violations', () => {
    const { m, reduced } = reducedTwoByTwo();
    const b = exploreScaled(m, { symmetry: true, keepEdges: false });
    expect(b.states.length).toBe(reduced.states.length);
    expect(b.keys).toEqual(reduced.keys);
    expect([...b.violations]).toEqual([...reduced.violations]);
  }, 120_000);

  it('gives every state of an orbit the same canonical form, vcpu groups inside the VMs included', () => {
    const m = model('system', 'upstream', { vms: 2, vcpus: 2, queues: 1 });
    const compiled = compile(m.machine);
    const full = exploreCompiled(m, compiled, { keepEdges: false, maxStates: 3000 });
    const canon = new Canonicaliser(compiled, m.symmetry!.groups);
    const elements = groupElements(canon);
    expect(elements).toHaveLength(8);
    for (let i = 0; i < full.states.length; i += 7) {
      canon.apply(full.encoding!(i), full.states[i]!.context);
      const want = JSON.stringify([[...canon.cfg], canon.context]);
      for (const g of elements) {
        const [c, x] = canon.permute(full.encoding!(i), full.states[i]!.context, g);
        canon.apply(c, x);
        expect(JSON.stringify([[...canon.cfg], canon.context]), `state ${i}`).toBe(want);
      }
    }
  }, 120_000);

  // three variants, not all ten: with two VMs the full explorations of every variant take over 15 min on the shared build machine (aqic-v4 alone over 10 min)
  it('finds the violations of the full exploration, with concrete traces: upstream, the fixed design, a GIB variant, with two VMs', () => {
    for (const v of spec('system').variants.filter((x) => ['upstream', 'upstream-fixed', 'gib-v3'].includes(x.id))) {
      const params = v.configuration === 'airq' ? { vms: 2, vcpus: 1, cr6: [0x14] } : { vms: 2, vcpus: 0, queues: 1 };
      const m = spec('system').model(v.id, undefined, { params });
      const full = checkModel(m, { symmetry: false });
      const reduced = checkModel(m, { symmetry: true });
      const what = `${v.id} ${JSON.stringify(params)}`;
      expect(reduced.states, what).toBeLessThan(full.states);
      expect(violated(reduced), what).toEqual(violated(full));
      for (const r of reduced.results) if (r.kind === 'invariant') expect(r.holds, `${what} ${r.property}: ${r.note}`).not.toBeNull();
      for (const r of reduced.results.filter((x) => x.holds === false && x.kind === 'invariant')) {
        const f = full.results.find((x) => x.property === r.property)!;
        expect(r.trace.length, `${what} ${r.property}: as short as the full exploration's`).toBe(f.trace.length);
      }
    }
  }, 300_000);
});
