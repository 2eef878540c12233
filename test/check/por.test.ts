// Partial-order reduction: on every fine-grained configuration shipped (picked up from the
// registry: any model with `por`) and on random concurrent machines, the reduced exploration
// finds exactly the invariant violations of the full one, each reported trace replays through
// xstate to a violating state, and every verdict of `check` is the same; leaving out a proviso
// breaks that (so the comparison has teeth). The declared footprints are verified on every
// shipped fine-grained configuration and variant, and a wrong declaration is caught.
import { describe, expect, it } from 'vitest';
import { setup, type AnyStateMachine } from 'xstate';
import { specs } from '../../machines/index.ts';
import { initialThreads, kfunction, lockInvariants, locksOf, threadEventInfo, threadEvents, threadRegion, type KContext, type Step, type ThreadDef } from '../../machines/kthread.ts';
import { checkModel, pathTo, replay } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { FootprintError } from '../../src/check/footprint.ts';
import { entriesOf } from '../../src/manifest.ts';
import type { Invariant, Model } from '../../src/spec.ts';
import { randomConcurrent } from './random-concurrent.ts';
import { readFileSync } from 'node:fs';

/** Full and reduced exploration of one model agree; returns the two state counts. */
function sameViolations(m: Model): { full: number; reduced: number } {
  const full = explore(m, { por: false });
  const red = explore(m, { por: true });
  expect(red.por?.reduced, red.por?.note).toBe(true);
  expect([...red.violations.keys()].sort(), `${m.machineId}/${m.variantId}/${m.configurationId}`).toEqual([...full.violations.keys()].sort());
  for (const [name, i] of red.violations) {
    const inv = m.invariants.find((x) => x.name === name)!;
    const { last } = replay(m, pathTo(red, i).events);
    expect(inv.holds(last), `${name}: the reduced trace replays to a violating state`).toBe(false);
  }
  expect(red.states.length).toBeLessThanOrEqual(full.states.length);
  return { full: full.states.length, reduced: red.states.length };
}

/** Every shipped (machine, variant, configuration) of a fine-grained configuration: each configuration with its base variant, each variant in its own. */
const fineEntries = specs.flatMap((spec) => entriesOf(spec).map((e) => ({ spec, e }))).filter(({ spec, e }) => spec.model(e.variant, e.configuration).por);

// the entries above 10,000 states (manifest.json) run with test:slow: each differential explores them twice in full
const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as Record<string, { states: number }>;
const heavy = (e: { machine: string; variant: string; configuration: string }) => ((manifest[`${e.machine}/${e.variant}/${e.configuration}`]?.states ?? Infinity) > 10_000 ? { tags: ['slow'] } : {});

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
    // KVM_PV_ENABLE against the reset work's unregister and the PQAP intercept (issue 12, pvswitch): upstream, the proposed fix, both planted reorders
    for (const [c, v] of [['pv-enable-unregister', 'upstream'], ['pv-enable-unregister', 'reset-under-kvm-lock'], ['pv-enable-pqap', 'upstream'], ['pv-enable-pqap', 'planted-gisa-disable-without-vcpu-mutex'], ['pv-enable-pqap', 'planted-gisa-destroy-before-aiv-clear'], ['pv-disable-unregister', 'upstream']]) {
      expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`kvm_s390_gisa_interrupt/${v}/${c}`);
    }
    // two callers of process_gib_alert_list: the GAL handler against the destroy, two VMs' destroys (galdestroy)
    for (const e of ['upstream/gal-destroy', 'proposed-gib-walk-lock/gal-destroy', 'planted-gal-single-pass/gal-destroy', 'upstream/two-vms-destroy']) expect(fineEntries.map(({ e }) => `${e.machine}/${e.variant}/${e.configuration}`)).toContain(`kvm_s390_gisa_interrupt/${e}`);
  });
  for (const { spec, e } of fineEntries) {
    it(`${e.machine}/${e.variant}/${e.configuration}: the same violations, replayed traces, the same verdicts`, heavy(e), () => {
      const m = spec.model(e.variant, e.configuration);
      sameViolations(m);
      const a = checkModel(m, { por: false });
      const b = checkModel(m, { por: true });
      // a configuration with liveness properties (kick-wait: WokenFromSchedule) is checked in full; the invariants' reduction is compared above
      expect(b.por?.reduced).toBe(m.liveness.length === 0);
      if (m.liveness.length) expect(b.por?.note).toMatch(/needs every interleaving/);
      expect(a.por).toEqual({ reduced: false, note: 'turned off (--no-por)' });
      expect(b.results.map((r) => [r.property, r.holds])).toEqual(a.results.map((r) => [r.property, r.holds]));
      // counterexamples as short as the full breadth-first search's (check.ts re-searches them up to the reduced trace's depth)
      expect(b.results.map((r) => [r.property, r.trace.length])).toEqual(a.results.map((r) => [r.property, r.trace.length]));
      expect(b.matches, 'the variant finds exactly what it expects').toBe(true);
    });
    it(`${e.machine}/${e.variant}/${e.configuration}: every step stays within its declared footprint`, heavy(e), () => {
      const x = explore(spec.model(e.variant, e.configuration), { verifyFootprints: true });
      expect(x.states.length).toBeGreaterThan(10);
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
      const m = randomConcurrent(seed);
      try {
        const r = sameViolations(m);
        full += r.full;
        reduced += r.reduced;
        if (r.reduced < r.full) fewer++;
        if (explore(m, { por: true }).violations.size) violated++;
      } catch (e) {
        throw new Error(`random concurrent machine of seed ${seed}: ${(e as Error).message}`);
      }
    }
    expect(full).toBeGreaterThan(5000); // the machines are not trivial
    expect(fewer).toBeGreaterThan(40); // and the reduction does reduce
    expect(reduced).toBeLessThan(full);
    expect(violated).toBeGreaterThan(20); // and there are violations to find
  });

  it('their declared footprints are exact (the footprint verification passes)', () => {
    for (const seed of seeds.slice(0, 60)) expect(() => explore(randomConcurrent(seed), { verifyFootprints: true }), `seed ${seed}`).not.toThrow();
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

interface T extends KContext {
  x: number;
  y: number;
}

/** One thread of one function of the given steps, with an invariant reading x. */
function toy(steps: Step<T>[], inv?: Partial<Invariant<T>>): Model<T> {
  const threads: ThreadDef<T>[] = [{ name: 'a', actor: 'kernel', once: true, fns: [kfunction('f', 'toy', steps)] }];
  const machine = setup({}).createMachine({ id: 'toy', type: 'parallel', context: { x: 0, y: 0, threads: initialThreads(threads, locksOf(threads)) }, states: { a: threadRegion(threads[0]!) } } as never) as unknown as AnyStateMachine;
  return {
    machineId: 'toy', variantId: 'baseline', configurationId: 'default', machine, events: threadEvents(threads), eventInfo: threadEventInfo(threads),
    invariants: [{ name: 'XSmall', cite: 'toy', reads: { context: [['x']] }, holds: ({ context }) => context.x < 5, ...inv }, ...(lockInvariants as readonly Invariant<T>[])],
    liveness: [], expectedViolations: [],
  };
}

describe('the footprint verification catches a wrong declaration', () => {
  const fails = (m: Model<T>, message: RegExp) => expect(() => explore(m, { verifyFootprints: true })).toThrow(message);
  it('an undeclared read', () => fails(toy([{ at: 'READ_ONCE(y)', run: (c, t) => void (t.local.v = c.y) }]), /f@READ_ONCE\(y\).*reads y, outside its declared reads/));
  it('an undeclared write', () => fails(toy([{ at: 'x = 1', reads: [['x']], run: (c) => void (c.x = 1) }]), /f@x = 1.*writes x, outside its declared writes/));
  it('a read in `when` not declared where the step is enabled', () => fails(toy([{ at: 'wait', when: (c) => c.y === 0 }]), /reads y to decide whether it is enabled/));
  it('a branch that writes what it says it does not', () =>
    fails(toy([{ at: 'x++', reads: [['x']], writes: [['x']], run: (c) => void (c.x += 1), next: [{ goto: 'return', writes: [] }] }]), /writes x, outside its declared writes/));
  it('an invariant reading outside its declared reads', () => fails(toy([{ at: 'nop' }], { reads: { context: [['y']] } }), /invariant XSmall reads context x, outside its declared reads \[y\]/));
  it('an invariant declared stable that a step repairs', () =>
    fails(toy([{ at: 'x = 5', writes: [['x']], run: (c) => void (c.x = 5) }, { at: 'x = 0', writes: [['x']], run: (c) => void (c.x = 0) }], { stable: true }), /invariant XSmall declares stable .* leads from state \d+, which violates it, to state \d+, where it holds/));
  it('the same declarations, made right, pass', () => {
    const m = toy([{ at: 'READ_ONCE(y)', reads: [['y']], run: (c, t) => void (t.local.v = c.y) }, { at: 'x = 1', writes: [['x']], run: (c) => void (c.x = 1) }]);
    expect(explore(m, { verifyFootprints: true }).states.length).toBe(3);
  });
});

describe('the weaker visibility conditions (por.ts: stable invariants, Valmari\'s V per invariant) and per-configuration reads', () => {
  it('on 120 random concurrent machines: the same violations as the full exploration and as plain C2, fewer states in total and on some', () => {
    let plain = 0;
    let weak = 0;
    let fewer = 0;
    let viaV = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const m = randomConcurrent(seed);
      const full = [...explore(m, { por: false }).violations.keys()].sort();
      const a = explore(m, { por: true, porWeakVisibility: false });
      const b = explore(m, { por: true });
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
    expect(r).toEqual({ full: 62, reduced: 48 });
    const q = m.invariants.find((i) => i.name === 'QueueTypeOK')!;
    const reads = (s: ReturnType<typeof explore>['states'][number]) => (typeof q.reads === 'function' ? q.reads(s as never) : q.reads)!.value;
    expect(reads(explore(m, { por: false, maxStates: 1 }).states[0]!)).toEqual([['q0']]);
    const kw = system.model(undefined, 'kick-wait');
    expect(reads(explore(kw, { por: false, maxStates: 1 }).states[0]!)).toEqual([]);
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
  it('the composed guest in a coarse multi-VM configuration is explored in full under --por, and says why (issue 19: machines/system/README.md)', () => {
    // 2 VMs x 1 vcpu x 0 queues (144 states), its liveness left out so that the footprints are the reason given
    const m = system.model('upstream-fixed', undefined, { params: { vms: 2, vcpus: 1, queues: 0 } });
    m.liveness = [];
    const r = checkModel(m, { por: true });
    expect(r.por).toEqual({ reduced: false, note: expect.stringMatching(/no transition declares a footprint/) });
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
