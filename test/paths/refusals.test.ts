// Refusal probes (src/paths/refusals.ts): events the machine refuses, sent to the transcription,
// which must leave the observation unchanged; the mutation analysis runs them after the paths.
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { getInitialSnapshot, getNextSnapshot } from 'xstate';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { explore, stateKey, abstractState } from '../../src/check/explore.ts';
import { runPathTests, type Conformance } from '../../src/paths/cover.ts';
import { agreeing, expectation, refusalProbes, runProbe } from '../../src/paths/refusals.ts';
import { coreConformance } from '../../src/sut/core.conformance.ts';
import { observeCore, type CoreSut } from '../../src/sut/core.ts';

const model = vcpuSpec.model('upstream');
const x = explore(model, { por: false });
const type = (e: number) => (model.events[e] as EventObject).type;

describe('refusal probes of kvm_vcpu upstream (one vcpu)', () => {
  const probes = refusalProbes(x, model.events.length);

  it('each probe sends, at the end of its prefix, an event the machine refuses there', () => {
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) {
      let snap = getInitialSnapshot(model.machine) as AnyMachineSnapshot;
      for (const e of p.prefix) snap = getNextSnapshot(model.machine, snap, model.events[e]!);
      expect(stateKey(abstractState(snap))).toBe(x.keys[p.state]);
      expect(getNextSnapshot(model.machine, snap, model.events[p.event]!)).toBe(snap);
    }
  });

  it('one probe per event, state value and set of enabled events; the shortest prefix', () => {
    const kinds = probes.map((p) => `${p.event}|${JSON.stringify(x.states[p.state]!.value)}|${[...new Set(edgesFrom(p.state))].sort().join(',')}`);
    expect(new Set(kinds).size).toBe(probes.length);
    for (const p of probes) expect(p.prefix.length).toBe(x.depth[p.state]);
  });

  it('the initial state (vcpu stopped) refuses a second stop, a run, an intercept and a wakeup', () => {
    // kvm-s390.c kvm_s390_vcpu_stop returns early on a stopped vcpu (is_vcpu_stopped); the others need a running vcpu
    const first = probes.filter((p) => p.state === 0).map((p) => type(p.event));
    expect(first).toEqual(['kvm_s390_vcpu_stop', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'STOSM_IO', 'kvm_s390_vcpu_wakeup', 'kvm_vcpu_check_block']);
  });

  it('the vcpu transcription passes every probe (nothing set aside)', () => {
    const c = coreConformance(model) as Conformance;
    const { kept, setAside } = agreeing(model, c, x, probes, expectation(c, x));
    expect(setAside).toEqual([]);
    expect(kept).toHaveLength(probes.length);
  });

  it('a stop that forgets is_vcpu_stopped: the edge-cover paths pass, a probe fails', async () => {
    const base = coreConformance(model);
    // planted: a second KVM_S390_STOP on a stopped vcpu marks it idle (a store without the early return)
    const planted: Conformance<CoreSut> = {
      ...base,
      create: (m) => {
        const sut = base.create(m);
        const apply = sut.apply.bind(sut);
        sut.apply = (event: EventObject) => {
          const stopped = observeCore(sut, { gib: false }).vms[0]!.vcpus[0]!.where === 'stopped';
          apply(event);
          if (event.type === 'kvm_s390_vcpu_stop' && stopped) sut.kvms[0]!.arch.idle_mask |= 1;
        };
        return sut;
      },
    };
    expect((await runPathTests(model, planted, x)).failures).toEqual([]);
    const probe = probes.find((p) => p.state === 0 && type(p.event) === 'kvm_s390_vcpu_stop')!;
    const r = runProbe(model, planted as Conformance, x, probe, expectation(planted as Conformance, x));
    expect(JSON.parse(r.want).vms[0].vcpus[0].idle).toBe(false);
    expect(JSON.parse(r.got).vms[0].vcpus[0].idle).toBe(true);
  });

  it('a reduced exploration gives no probes (a missing edge is not a refusal there)', () => {
    expect(refusalProbes({ ...x, por: { reduced: true, full: 0, ampleStates: 0 } }, model.events.length)).toEqual([]);
  });
});

function edgesFrom(s: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.edges.length; i += 3) if (x.edges[i] === s) out.push(x.edges[i + 1]!);
  return out;
}

describe('refusal probes of the FLIC attr configuration', () => {
  it('set aside only the second KVM_CREATE_VCPU: the bounds stop at one vcpu, the kernel creates another', async () => {
    const { specs } = await import('../../machines/index.ts');
    const { flicConformance } = await import('../../src/sut/flic-driver.ts');
    const { CONFIGURATIONS } = await import('../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts');
    const m = specs.find((s) => s.id === 'kvm_s390_float_interrupt')!.model('baseline', 'attr');
    const fx = explore(m, { por: false });
    const c = flicConformance(CONFIGURATIONS.find((k) => k.id === 'attr')!.params) as Conformance;
    const { kept, setAside } = agreeing(m, c, fx, refusalProbes(fx, m.events.length), expectation(c, fx));
    expect(kept.length).toBeGreaterThan(0);
    expect(setAside.length).toBeGreaterThan(0);
    expect(new Set(setAside.map((p) => (m.events[p.event] as EventObject).type))).toEqual(new Set(['KVM_CREATE_VCPU']));
    // each after a vcpu was created (the machine refuses the second), not in a state without one
    for (const p of setAside) expect(p.prefix.map((e) => (m.events[e] as EventObject).type)).toContain('KVM_CREATE_VCPU');
  });
});

describe('refusal probes of the FLIC apf configuration: a refused delivery delivers nothing', () => {
  it('a planted __deliver_pfault_done that reports an interruption with the list empty fails a probe only through Conformance.refused', async () => {
    const { specs } = await import('../../machines/index.ts');
    const { flicConformance } = await import('../../src/sut/flic-driver.ts');
    const { CONFIGURATIONS } = await import('../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts');
    const m = specs.find((s) => s.id === 'kvm_s390_float_interrupt')!.model('baseline', 'apf');
    const fx = explore(m, { por: false });
    const base = flicConformance(CONFIGURATIONS.find((k) => k.id === 'apf')!.params);
    // planted: the first-entry test of __deliver_pfault_done gone, as if `inti` were always found: the guest gets a PFAULT_DONE
    // (type 0xfffe0005, include/uapi/linux/kvm.h) from an empty list; the state (lists, counters, pending bits) stays as it was
    const planted = {
      ...base,
      create: (mm: typeof m) => {
        const sut = base.create(mm);
        const deliver = sut.vcpu.__deliver_pfault_done.bind(sut.vcpu);
        sut.vcpu.__deliver_pfault_done = () => deliver() ?? { type: 0xfffe0005 };
        return sut;
      },
    } as Conformance;
    const probes = refusalProbes(fx, m.events.length);
    const type = (e: number) => (m.events[e] as EventObject).type;
    // the shallowest state that refuses it: the FLIC just created, nothing pending (by hand: KVM_CREATE_DEVICE first)
    const probe = probes.find((p) => type(p.event) === '__deliver_pfault_done' && p.prefix.length === 1)!;
    expect(probe.prefix.map(type)).toEqual(['KVM_CREATE_DEVICE']);
    const c = base as Conformance;
    expect(agreeing(m, c, fx, [probe], expectation(c, fx)).kept).toHaveLength(1);
    const r = runProbe(m, planted, fx, probe, expectation(planted, fx));
    expect(r.got).not.toBe(r.want);
    expect(r.got).toContain('the refused call reported delivered={"type":4294836229}');
    // without the hook the probe compares the state only, and the planted delivery passes
    const { refused: _, ...stateOnly } = planted;
    const s = runProbe(m, stateOnly as Conformance, fx, probe, expectation(stateOnly as Conformance, fx));
    expect(s.got).toBe(s.want);
  });
});

describe('refusal probes told apart by the observation (ProbeOptions.distinguish, the vfio-ap suites of the mutation analysis)', () => {
  it('a PQAP(AQIC) for a queue removed after its APQN was assigned to the open mdev is probed only so; a planted lookup that skips the removed test fails it', async () => {
    const { queueSpec } = await import('../../machines/vfio-ap/index.ts');
    // vfio_ap_queue one-queue (44 states): the region's `removed` does not show whether the queue was assigned before the remove
    const m = queueSpec.model('upstream', 'one-queue');
    const qx = explore(m, { por: false });
    const c = coreConformance(m) as Conformance;
    const want = expectation(c, qx);
    const plain = refusalProbes(qx, m.events.length);
    const fine = refusalProbes(qx, m.events.length, { distinguish: want });
    const t = (e: number) => (m.events[e] as EventObject).type;
    // by hand: assignment needs the mdev closed, so the shortest such state is both stores, the open, the remove
    const after = ['assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'vfio_ap_mdev_remove_queue'].join(' ');
    const pqapThere = (ps: typeof plain) => ps.filter((p) => t(p.event) === 'PQAP_AQIC' && p.prefix.map(t).join(' ') === after);
    expect(pqapThere(plain)).toEqual([]);
    const probes = pqapThere(fine);
    expect(probes.length).toBeGreaterThan(0);
    // every kind of the plain probes keeps a probe: the finer kinds only add
    const kind = (p: (typeof plain)[number]) => `${p.event}|${JSON.stringify(qx.states[p.state]!.value)}`;
    expect(new Set(fine.map(kind))).toEqual(new Set(plain.map(kind)));
    // vfio_ap_mdev_get_queue finds no unlinked queue (rc 01): the transcription changes nothing; without `!q.removed` in
    // queueAssigned (planted as the mutant src/sut/vfio_ap.ts:queueAssigned:drop-operand#0) it pins a NIB for the removed queue
    for (const p of probes) {
      const r = runProbe(m, c, qx, p, want);
      expect(r.got).toBe(r.want);
    }
    const planted = {
      ...c,
      create: (mm: typeof m) => {
        const sut = (c.create as (x: typeof m) => CoreSut)(mm);
        const apply = sut.apply.bind(sut);
        sut.apply = (event: EventObject) => {
          const q = sut.vfio.queues[0]!;
          const removed = q.removed;
          if (event.type === 'PQAP_AQIC') q.removed = false;
          apply(event);
          q.removed = removed;
        };
        return sut;
      },
    } as Conformance;
    const normal = probes.find((p) => (m.events[p.event] as { outcome?: string }).outcome === 'NORMAL')!;
    const r = runProbe(m, planted, qx, normal, want);
    expect(JSON.parse(r.want).queues[0].pins).toBe(0);
    expect(JSON.parse(r.got).queues[0].pins).toBe(1);
  });
});
