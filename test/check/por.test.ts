// Partial-order reduction: on every fine-grained configuration shipped (picked up from the
// registry: any model with `por`) and on random concurrent machines, the reduced exploration
// finds exactly the invariant violations of the full one, each reported trace replays through
// xstate to a violating state, and every verdict of `check` is the same; leaving out a proviso
// breaks that (so the comparison has teeth). The declared footprints are verified in
// test/check/footprints.test.ts (its instrumented runs slow every later exploration of a worker).
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, pathTo, replay } from '../../src/check/check.ts';
import { explore, type Exploration } from '../../src/check/explore.ts';
import { compile } from '../../src/check/compile.ts';
import type { Model } from '../../src/spec.ts';
import { randomConcurrent } from './random-concurrent.ts';
import { fineEntries, heavy } from '../support/fine.ts';

/** Full and reduced exploration of one model agree (given, or explored here); returns the two state counts. */
function sameViolations(m: Model, made: { full?: Exploration; reduced?: Exploration } = {}): { full: number; reduced: number; violated: number } {
  const full = made.full ?? explore(m, { por: false });
  const red = made.reduced ?? explore(m, { por: true });
  expect(red.por?.reduced, red.por?.note).toBe(true);
  expect([...red.violations.keys()].sort(), `${m.machineId}/${m.variantId}/${m.configurationId}`).toEqual([...full.violations.keys()].sort());
  for (const [name, i] of red.violations) {
    const inv = m.invariants.find((x) => x.name === name)!;
    const { last } = replay(m, pathTo(red, i).events);
    expect(inv.holds(last), `${name}: the reduced trace replays to a violating state`).toBe(false);
  }
  expect(red.states.length).toBeLessThanOrEqual(full.states.length);
  return { full: full.states.length, reduced: red.states.length, violated: red.violations.size };
}

/** The full and the (default) reduced exploration of each random machine, made once for the tests below that compare them. */
const randomMade = new Map<number, { m: Model; full: Exploration; reduced: Exploration }>();
function randomExplored(seed: number): { m: Model; full: Exploration; reduced: Exploration } {
  let r = randomMade.get(seed);
  if (!r) {
    const m = randomConcurrent(seed);
    randomMade.set(seed, (r = { m, full: explore(m, { por: false }), reduced: explore(m, { por: true }) }));
  }
  return r;
}

describe('partial-order reduction on the shipped fine-grained configurations', () => {
  it('there are some (the gisa pilot at least)', () => {
    expect(fineEntries.map(({ e }) => `${e.machine}/${e.configuration}`)).toContain('kvm_s390_gisa_interrupt/kicker-destroy');
    // GISC register/unregister against the kicker and the GAL handler (issue 11)
    for (const c of ['register-kicker', 'register-unregister-kicker', 'register-unregister-gal']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.configuration}`)).toContain(`kvm_s390_gisa_interrupt/${c}`);
    // PQAP(AQIC) against vfio_ap_mdev_remove_queue (issue 11, vfio-ap): upstream and both planted races
    for (const v of ['upstream', 'planted-pqap-lookup-before-remove-queue', 'planted-remove-queue-reset-unlocked']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${v}/pqap-remove-queue`);
    // and against the close and vfio_ap_mdev_remove
    for (const v of ['upstream', 'planted-mdev-remove-without-close']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${v}/pqap-mdev-remove`);
    // and against vfio_ap_mdev_probe_queue, VFIO_DEVICE_RESET with the reset work, the close with the reset work, and without ECA_AIV (apconc4)
    for (const [c, planted] of [['pqap-probe-queue', 'planted-probe-init-after-publish'], ['pqap-reset-work', 'planted-device-reset-flush-unlocked'], ['pqap-close-work', 'planted-close-put-before-flush'], ['pqap-no-aiv', 'planted-pqap-ignores-aiv']]) {
      for (const v of ['upstream', planted]) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${v}/${c}`);
    }
    // a second mdev's refused open and its removal, and the NIB's dma_unmap (issue 12, apmdev): upstream, the proposed fix, the v6.0 unmap
    for (const x of ['upstream/pqap-mdev-eperm', 'upstream-set-kvm-hook-checked/pqap-mdev-eperm', 'upstream/pqap-dma-unmap', 'dma-unmap-v6.0/pqap-dma-unmap']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${x}`);
    // the assign stores into a running guest (issue 12, apassign): upstream and the three planted bugs
    for (const v of ['upstream', 'planted-assign-validate-keeps-bit', 'planted-assign-filter-keeps-unbound', 'planted-assign-filter-without-reset']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${v}/pqap-assign`);
    // the reset work and the close with every answer of the AP as step answers (issue 12, resetwork)
    for (const x of ['upstream/pqap-reset-work-answers', 'planted-reset-work-frees-on-busy/pqap-reset-work-answers', 'upstream/pqap-close-work-answers']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${x}`);
    // the hot unplug against the PQAP, and the stale q->matrix_mdev after the unplug and the mdev's removal (issue 12, apunplug)
    for (const x of ['upstream/unplug-pqap', 'planted-unplug-without-reset/unplug-pqap', 'upstream/unplug-stale', 'upstream-unplug-unlinks-filtered/unplug-stale']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${x}`);
    // KVM_PV_ENABLE against the reset work's unregister and the PQAP intercept (issue 12, pvswitch): upstream, the proposed fix, both planted reorders
    for (const [c, v] of [['pv-enable-unregister', 'upstream'], ['pv-enable-unregister', 'reset-under-kvm-lock'], ['pv-enable-pqap', 'upstream'], ['pv-enable-pqap', 'planted-gisa-disable-without-vcpu-mutex'], ['pv-enable-pqap', 'planted-gisa-destroy-before-aiv-clear'], ['pv-disable-unregister', 'upstream']]) {
      expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`kvm_s390_gisa_interrupt/${v}/${c}`);
    }
    // KVM_CREATE_VCPU against KVM_PV_ENABLE (issue 12): upstream, the proposed fix, the planted unlocked test
    for (const v of ['upstream', 'proposed-pv-enable-busy-while-creating', 'planted-pv-enable-busy-check-unlocked']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`kvm_s390_gisa_interrupt/${v}/pv-enable-create-vcpu`);
    expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain('kvm_s390_gisa_interrupt/upstream/pv-enable-create-vcpu-serialised');
    // the AP bus notifiers against the open (issue 12, apnotify): upstream and the proposed fix
    for (const v of ['upstream', 'upstream-notifier-fixed']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`system/${v}/ap-notifier`);
    expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain('system/upstream/ap-notifier-open');
    // two callers of process_gib_alert_list: the GAL handler against the destroy, two VMs' destroys (galdestroy)
    for (const e of ['upstream/gal-destroy', 'proposed-gib-walk-lock/gal-destroy', 'planted-gal-single-pass/gal-destroy', 'upstream/two-vms-destroy']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`kvm_s390_gisa_interrupt/${e}`);
  });
  for (const { spec, e } of fineEntries) {
    it(`${e.machine}/${e.variant}/${e.configuration}: the same violations, replayed traces, the same verdicts`, heavy(e), () => {
      const m = spec.model(e.variant, e.configuration);
      // the differential compares the explorations the two checks made (explore is deterministic; without
      // --max-states onLevel never stops one): the full one of --no-por, the reduced one of --por, which
      // is full where the model has liveness properties (asserted below) and is then a's, not made again
      let full: Exploration | undefined;
      let main: Exploration | undefined;
      const a = checkModel(m, { por: false, onExplored: (x) => void (full = x) });
      const b = checkModel(m, { por: true, onExplored: (x) => void (main = x), ...(m.liveness.length ? { explorer: (_, o) => (o.por || o.symmetry ? explore(m, o) : full!) } : {}) });
      sameViolations(m, { full: full!, ...(m.liveness.length ? {} : { reduced: main! }) });
      // a configuration with liveness properties (kick-wait: WokenFromSchedule) is checked in full; the invariants' reduction is compared above
      expect(b.por?.reduced).toBe(m.liveness.length === 0);
      if (m.liveness.length) expect(b.por?.note).toMatch(/needs every interleaving/);
      expect(a.por).toEqual({ reduced: false, note: 'turned off (--no-por)' });
      expect(b.results.map((r) => [r.property, r.holds])).toEqual(a.results.map((r) => [r.property, r.holds]));
      // counterexamples as short as the full breadth-first search's (check.ts re-searches them up to the reduced trace's depth)
      expect(b.results.map((r) => [r.property, r.trace.length])).toEqual(a.results.map((r) => [r.property, r.trace.length]));
      expect(b.matches, 'the variant finds exactly what it expects').toBe(true);
    });
  }
});

describe('partial-order reduction on random concurrent machines', () => {
  const seeds = Array.from({ length: 120 }, (_, i) => i + 1);
  it('120 machines: exactly the violations of the full exploration, with replayed traces; fewer states on many', () => {
    let full = 0;
    let reduced = 0;
    let fewer = 0;
    let violated = 0;
    for (const seed of seeds) {
      const { m, full: f, reduced: red } = randomExplored(seed);
      try {
        const r = sameViolations(m, { full: f, reduced: red });
        full += r.full;
        reduced += r.reduced;
        if (r.reduced < r.full) fewer++;
        if (r.violated) violated++;
      } catch (e) {
        throw new Error(`random concurrent machine of seed ${seed}: ${(e as Error).message}`);
      }
    }
    expect(full).toBeGreaterThan(5000); // the machines are not trivial
    expect(fewer).toBeGreaterThan(40); // and the reduction does reduce
    expect(reduced).toBeLessThan(full);
    expect(violated).toBeGreaterThan(20); // and there are violations to find
  });

  for (const proviso of ['visibility', 'cycle'] as const) {
    it(`without the ${proviso} proviso the reduction misses violations on some of them (the comparison can fail)`, () => {
      let missed = 0;
      for (let seed = 1; seed <= 200 && !missed; seed++) {
        const m = randomConcurrent(seed);
        const full = [...explore(m, { por: false }).violations.keys()].sort();
        const red = [...explore(m, { por: true, porProvisos: { [proviso]: false } }).violations.keys()].sort();
        if (JSON.stringify(full) !== JSON.stringify(red)) missed++;
      }
      expect(missed).toBeGreaterThan(0);
    });
  }
});

describe('the weaker visibility conditions (por.ts: stable invariants, Valmari\'s V per invariant) and per-configuration reads', () => {
  it('on 120 random concurrent machines: the same violations as the full exploration and as plain C2, fewer states in total and on some', () => {
    let plain = 0;
    let weak = 0;
    let fewer = 0;
    let viaV = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const { m, full: f, reduced: b } = randomExplored(seed);
      const full = [...f.violations.keys()].sort();
      const a = explore(m, { por: true, porWeakVisibility: false });
      expect([...a.violations.keys()].sort(), `seed ${seed}`).toEqual(full);
      expect([...b.violations.keys()].sort(), `seed ${seed}`).toEqual(full);
      plain += a.states.length;
      weak += b.states.length;
      viaV += b.por?.viaV ?? 0;
      if (b.states.length < a.states.length) fewer++;
    }
    expect(weak).toBeLessThan(plain);
    expect(fewer).toBeGreaterThan(5);
    expect(viaV).toBeGreaterThan(0);
  });
  it('pqap-close is reduced again: QueueTypeOK reads q0 there (and no region in kick-wait, which has no queue)', () => {
    const system = specs.find((s) => s.id === 'system')!;
    const m = system.model(undefined, 'pqap-close');
    const r = sameViolations(m);
    // 48 before the necessary enabling sets followed each region's transition graph (issue 11, porwide: a mover that cannot lead to the
    // needed program counter is left out); the violations are compared with the full exploration's above
    expect({ full: r.full, reduced: r.reduced }).toEqual({ full: 62, reduced: 37 });
    const q = m.invariants.find((i) => i.name === 'QueueTypeOK')!;
    const reads = (s: ReturnType<typeof explore>['states'][number]) => (typeof q.reads === 'function' ? q.reads(s as never) : q.reads)!.value;
    expect(reads(explore(m, { por: false, maxStates: 1 }).states[0]!)).toEqual([['q0']]);
    const kw = system.model(undefined, 'kick-wait');
    expect(reads(explore(kw, { por: false, maxStates: 1 }).states[0]!)).toEqual([]);
  });
});

describe('the per-conjunct visibility and the never-enabled steps (issue 11, porwide)', () => {
  // 30 of the machines above (their explorations reused): about half have a conjunction, half a never-enabled step; kept small for the test time
  const seeds = Array.from({ length: 30 }, (_, i) => i + 1);
  it('random machines with a conjunction given as its conjuncts: the violations of the full exploration; fewer states than without the conjuncts on some, more on none', () => {
    let machines = 0;
    let fewer = 0;
    for (const seed of seeds) {
      const { m, full, reduced } = randomExplored(seed);
      if (!m.invariants.some((i) => i.conjuncts)) continue;
      machines++;
      // the reduced exploration of the differential above (conjuncts on) finds the full one's violations there; here against the same without them
      const whole = explore({ ...m, invariants: m.invariants.map(({ conjuncts: _, ...i }) => i) }, { por: true });
      expect([...whole.violations.keys()].sort(), `seed ${seed}`).toEqual([...full.violations.keys()].sort());
      expect(reduced.states.length, `seed ${seed}`).toBeLessThanOrEqual(whole.states.length);
      if (reduced.states.length < whole.states.length) fewer++;
    }
    expect(machines).toBeGreaterThan(8);
    expect(fewer).toBeGreaterThan(0);
  });
  it('random machines with the steps no state of the full exploration enables declared never enabled: its violations, with replayed traces; fewer states on some', () => {
    let machines = 0;
    let fewer = 0;
    for (const seed of seeds) {
      const { m, full, reduced } = randomExplored(seed);
      const c = compile(m.machine);
      const never = new Set(m.events.map((e) => e.type));
      for (let i = 0; i < full.states.length && never.size; i++) for (const e of m.events) if (never.has(e.type) && c.enabled(full.encoding!(i), full.states[i]!.context, e)) never.delete(e.type);
      if (!never.size) continue;
      machines++;
      const r = sameViolations({ ...m, por: { byDefault: true, neverEnabled: [...never] } }, { full });
      if (r.reduced < reduced.states.length) fewer++;
    }
    expect(machines).toBeGreaterThan(8);
    expect(fewer).toBeGreaterThan(0);
  });
  it('a step declared never enabled that a state of the reduced exploration enables: the check fails rather than reduce unsoundly', () => {
    const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;
    const m = gisa.model('upstream', 'two-vms-kicker-destroy');
    expect(m.por?.neverEnabled).toEqual(['kvm_s390_gisa_destroy@process_gib_alert_list()']);
    // the destroys' first step is enabled in the initial state
    expect(() => explore({ ...m, por: { byDefault: true, neverEnabled: ['kvm_s390_gisa_destroy@WARN(alert_mask != 0)'] } }, { por: true })).toThrow(/declares it never enabled/);
    // check --set drops the declaration (the fact is checked for the shipped parameters only)
    expect(gisa.model('upstream', 'two-vms-kicker-destroy', { params: { vms: 2 } }).por).toEqual({ byDefault: true });
  });
});

describe('what the check does around the reduction', () => {
  const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;
  const system = specs.find((s) => s.id === 'system')!;
  it('a fine-grained configuration is reduced by default and says so; --no-por explores in full', () => {
    const m = gisa.model('upstream', 'kicker-unregister');
    const r = checkModel(m);
    expect(r.por).toMatchObject({ reduced: true });
    const f = checkModel(m, { por: false });
    expect(f.por).toEqual({ reduced: false, note: 'turned off (--no-por)' });
    expect(f.states).toBeGreaterThan(r.states);
  });
  it('a model with liveness properties is explored in full, with the reason', () => {
    const r = checkModel(system.model(undefined, 'airq'), { por: true });
    expect(r.por?.reduced).toBe(false);
    expect(r.por?.note).toMatch(/needs every interleaving/);
  });
  it('a coarse configuration has nothing to reduce, and says why', () => {
    const r = checkModel(gisa.model('upstream', 'one-isc'), { por: true });
    expect(r.por).toEqual({ reduced: false, note: expect.stringMatching(/no transition declares a footprint|declares no reads/) });
  });
  it('the composed guest in a coarse multi-VM configuration is reduced over its state-dependent footprints under --por (issue 19: src/check/por-modal.ts), and nothing is left out there', () => {
    // 2 VMs x 1 vcpu x 0 queues (144 states), its liveness left out so that the reduction runs
    const m = system.model('upstream-fixed', undefined, { params: { vms: 2, vcpus: 1, queues: 0 } });
    m.liveness = [];
    const r = checkModel(m, { por: true });
    // no state has a stubborn set smaller than its enabled events (machines/system/README.md: each closure takes in every enabled event there)
    expect(r.por).toEqual({ reduced: true, ampleStates: 0, fullStates: 0 });
    // every state: the count of the full exploration (bench/independence.ts, by its own breadth-first search over the compiled steps, finds 144 too)
    expect(r.states).toBe(144);
  });
  it('symmetry and partial-order reduction are not combined: --por switches a configuration default off, both asked for is refused', () => {
    const smp = system.model(undefined, 'smp');
    smp.liveness = [];
    const r = checkModel(smp, { por: true, maxStates: 2000 });
    expect(r.symmetry).toBeUndefined();
    expect(r.por?.note).toMatch(/symmetry reduction off/);
    expect(() => checkModel(smp, { por: true, symmetry: true })).toThrow(/not combined/);
  });
});
