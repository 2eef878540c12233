// Partial-order reduction over state-dependent footprints (issue 19, src/check/por-modal.ts):
// the coarse composed guest's declarations (machines/system/system.footprints.ts) checked with the
// recording proxy on every state of small configurations, a wrong one caught, the reduced
// exploration finding exactly the full one's invariant violations, and the terminal-component
// search on a graph checked by hand.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { compile } from '../../src/check/compile.ts';
import { explore } from '../../src/check/explore.ts';
import { modalTables, StateFootprintError, terminalComponents, verifyStateFootprints } from '../../src/check/por-modal.ts';
import type { Model } from '../../src/spec.ts';

const system = specs.find((s) => s.id === 'system')!;
const statesOf = (m: Model) => {
  const x = explore(m, { por: false, keepEdges: false });
  return { x, states: x.states.map((s, i) => ({ cfg: x.encoding!(i), context: s.context })) };
};

// 1 VM x 1 queue on upstream: its AQIC default-response leak reached; explored once, for the verification and the differential
const leak = system.model('upstream', 'default', { params: { vms: 1, vcpus: 0, queues: 1 } });
let leakFull: ReturnType<typeof statesOf> | undefined;
const leakStates = () => (leakFull ??= statesOf(leak));

describe('state-dependent footprints of the coarse composed guest', () => {
  it('hold in every state of 2 VMs x 1 vcpu (upstream-fixed) and 1 VM x 1 queue (upstream, its AQIC leak reached): modes, guards, kernel functions, regions', () => {
    for (const [m, states] of [
      [system.model('upstream-fixed', 'default', { params: { vms: 2, vcpus: 1, queues: 0 } }), 144],
      [leak, 892],
    ] as const) {
      const { x, states: all } = m === leak ? leakStates() : statesOf(m);
      // the counts of the full explorations (144: test/check/por.test.ts, bench/independence.ts)
      expect(x.states.length).toBe(states);
      // each event in each state: 28 events in the first, 21 in the second configuration (bench/por-modal.ts prints the same step counts)
      expect(verifyStateFootprints(m, compile(m.machine), all)).toBe(states * m.events.length);
    }
  });

  it('hold in every state of pv with 1 VM x 1 queue and no vcpu (issue 12: QEMU\'s order reads every queue, the PQAP\'s ECA_AIV the GISA of the hook\'s VM)', () => {
    const m = system.model('upstream', 'pv', { params: { vcpus: 0 } });
    const { x, states } = statesOf(m);
    // 262 states (check --machine system --configuration pv --set vcpus=0 prints the same); the switch is reached both ways
    expect(x.states.length).toBe(262);
    expect(states.some((s) => s.context.vms[0]!.pv) && states.some((s) => !s.context.vms[0]!.pv && s.context.queues[0]!.irq)).toBe(true);
    // each of the 21 events in each state; the switch's footprint without the queues fails here (tried by hand: queues.0.hwGisa named)
    expect(verifyStateFootprints(m, compile(m.machine), states)).toBe(262 * m.events.length);
  });

  it('a declaration that leaves out what a step writes is caught, naming the event and the path', () => {
    const m = system.model('upstream-fixed', 'default', { params: { vms: 2, vcpus: 1, queues: 0 } });
    const fp = m.stateFootprints!;
    // vcpu_post_run leaves SIE: it writes its vcpu; declared as writing nothing, the verification must object
    m.stateFootprints = { ...fp, footprint: (e, k) => (e.type === 'vcpu_post_run' ? { ...fp.footprint(e, k), writes: [] } : fp.footprint(e, k)) };
    const { states } = statesOf(m);
    expect(() => verifyStateFootprints(m, compile(m.machine), states)).toThrow(StateFootprintError);
    expect(() => verifyStateFootprints(m, compile(m.machine), states)).toThrow(/vcpu_post_run.*vms\.\d\.vcpus\.0/);
  });

  it('the reduced exploration finds exactly the invariant violations of the full one (upstream: the AQIC default-response leak)', () => {
    const full = leakStates().x;
    const red = explore(leak, { por: true, keepEdges: false });
    expect(red.por?.reduced).toBe(true);
    // the three the README's variant table names for upstream in default, besides CleanTeardownReachable (liveness)
    expect([...full.violations.keys()].sort()).toEqual(['AlertMaskZeroAtDestroy', 'EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs']);
    expect([...red.violations.keys()].sort()).toEqual([...full.violations.keys()].sort());
  });
});

describe('necessary enabling sets over modes', () => {
  it('take only the current mode of a writer whose mode is decided by what the set is about', () => {
    const t = modalTables(leak, leak.stateFootprints!, compile(leak.machine));
    const ix = (type: string) => leak.events.findIndex((e) => e.type === type);
    const remove = ix('vfio_ap_mdev_remove_queue'), close = ix('vfio_ap_mdev_close_device'), open = ix('vfio_ap_mdev_open_device');
    const has = (b: Uint32Array, i: number) => ((b[i >>> 5]! >>> (i & 31)) & 1) === 1;
    const modes = (e: number) => Array.from({ length: t.count[e]! }, (_, m) => t.base[e]! + m);
    // what decides the queue removal's mode (matrix_mdev->kvm, the hook) is what decides the close's
    // (system.footprints.ts byMdev), and the close writes it in each of its 4 modes (1 VM: (1 + 1)^2):
    // only the close in its current mode can be the first to change it
    const w = t.modeWriters[remove]!;
    expect(t.count[close]).toBe(4);
    expect(modes(close).some((x) => has(w.fixed, x))).toBe(false);
    expect([...w.dynamic]).toContain(close);
    expect(w.masks[[...w.dynamic].indexOf(close)]).toBe(0b1111);
    // the open has one mode: it is there as it is
    expect(has(w.fixed, t.base[open]!)).toBe(true);
  });
});

describe('terminalComponents', () => {
  it('finds the components no edge leaves', () => {
    // 0 -> 1 -> 2 -> 1, 0 -> 3, 3 -> 3, 4 -> 0: components {1,2} (terminal), {3} (terminal, a self-loop), {0}, {4}
    const adj = [[1, 3], [2], [1], [3], [0]];
    const start = new Int32Array(adj.length + 1);
    adj.forEach((a, v) => (start[v + 1] = start[v]! + a.length));
    const to = Int32Array.from(adj.flat());
    const t = terminalComponents(adj.length, start, to).map((c) => [...c].sort()).sort();
    expect(t).toEqual([[1, 2], [3]]);
  });
});
