// The collapse-compressed explorer against the compiled one: the same states in the same order,
// the same parents, edges, depths and first violations, on every shipped variant in its
// configuration (on a BFS prefix; each area's baseline in a large configuration in full); the worker-thread explorer against both: the same states, transitions, states
// per depth and violations at the same depth, every parent link a real transition one level up,
// with and without symmetry reduction; `check --workers` gives the same verdicts and traces of
// the same length as `check`; contexts that leave their shape are refused, never stored wrongly.
import { describe, expect, it } from 'vitest';
import { createMachine, assign } from 'xstate';
import { specs } from '../../machines/index.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { checkScaled } from '../../src/check/check-scaled.ts';
import { compile } from '../../src/check/compile.ts';
import { explore, type Exploration } from '../../src/check/explore.ts';
import { exploreParallel, WorkerError } from '../../src/check/parallel.ts';
import { recipeOf } from '../../src/check/recipe.ts';
import { exploreScaled } from '../../src/check/scaled.ts';
import { ShapeError } from '../../src/check/vector.ts';
import type { Model } from '../../src/spec.ts';
import { main } from '../../src/cli.ts';

const spec = (id: string) => specs.find((s) => s.id === id)!;
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => x === b[i]);
const depths = (x: Exploration) => {
  const out: number[] = [];
  for (let i = 0; i < x.states.length; i++) out[x.depth[i]!] = (out[x.depth[i]!] ?? 0) + 1;
  return out;
};

/** Every parent link is a transition of the machine from a state one level up. */
function parentsAreTransitions(m: Model, x: Exploration): void {
  const compiled = compile(m.machine);
  for (let i = 1; i < x.states.length; i++) {
    const p = x.parent[i]!;
    expect(x.depth[p]).toBe(x.depth[i]! - 1);
    const next = compiled.step(x.encoding!(p), x.states[p]!.context, m.events[x.parentEvent[i]!]!);
    expect(next, `state ${i}`).toBeDefined();
    if (!x.symmetry) {
      expect([...next!]).toEqual([...x.encoding!(i)]);
      expect(JSON.stringify(compiled.context)).toBe(JSON.stringify(x.states[i]!.context));
    }
  }
}

/**
 * The explorers compared in full: each area's baseline in one large configuration of its own.
 * The claim is about the encoding, not the variants, so every variant is compared on a BFS prefix
 * (PREFIX states of its own configuration: every configuration's context shape) and these in full,
 * chosen to hold every context shape the explorer encodes (contexts are plain data: vector.ts
 * refuses class instances, so no Set or Map): the composed guest's arrays of records of arrays
 * (vms, vcpus, queues; ghost fields) with liveness edges (system default: three liveness
 * properties), kthread threads and locks (records and arrays that grow, dictionary-coded) in the
 * composed guest (kick-wait), in the GISA machine with two VMs, in vfio-ccw's reset race and in
 * the dirty log's clear race (bitmap arrays, ghost since/stale), and the FLIC's queues (irqs).
 * A fault planted in vector.ts (an id table that keeps 2 of its 3 bytes; a dictionary leaf coded
 * by the first 40 characters of its JSON) failed this test as it failed the every-variant one.
 */
const FULL: readonly [string, string, string][] = [
  ['system', 'upstream', 'default'],
  ['system', 'upstream', 'kick-wait'],
  ['kvm_s390_gisa_interrupt', 'upstream', 'two-vms-kicker-destroy'],
  ['vfio_ccw_private', 'v6.2', 'reset-race'],
  ['kvm_memory_slot', 'baseline', 'clear-race'],
  ['kvm_s390_float_interrupt', 'baseline', 'irqs'],
];
const PREFIX = 500;

describe('collapse-compressed explorer, one thread', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it('numbers, links and judges the states as exploreCompiled does: every shipped variant on a prefix, a large configuration of each area in full', () => {
    let prefixes = 0;
    const runs = [
      ...specs.flatMap((s) => s.variants.map((v) => ({ m: s.model(v.id), maxStates: PREFIX as number | undefined }))),
      ...FULL.map(([id, v, c]) => ({ m: spec(id).model(v, c), maxStates: undefined })),
    ];
    for (const { m, maxStates } of runs) {
      // in full: the collapse-compressed explorer does not do partial-order reduction (check falls back to explore for it)
      const limit = { symmetry: false, ...(maxStates ? { maxStates } : {}) };
      const a = explore(m, { ...limit, por: false });
      if (a.engine !== 'compiled') continue;
      const b = exploreScaled(m, limit);
      const what = `${m.machineId}/${m.variantId}/${m.configurationId}`;
      if (maxStates === undefined) expect(a.limitReached, what).toBe(false);
      else if (a.limitReached) prefixes++;
      expect(b.limitReached, what).toBe(a.limitReached);
      expect(b.states.length, what).toBe(a.states.length);
      expect(b.transitions, what).toBe(a.transitions);
      expect(same(b.parent, a.parent) && same(b.parentEvent, a.parentEvent) && same(b.depth, a.depth) && same(b.edges, a.edges), what).toBe(true);
      expect([...b.violations], what).toEqual([...a.violations]);
      expect(b.keys, what).toEqual(a.keys);
    }
    // the prefix cuts the larger variants short: 87 of the 181 at 639b7c5 (their full explorations counted one by one)
    expect(prefixes).toBeGreaterThan(50);
  }, 120_000);

  // with symmetry reduction (VMs and queues), the same orbits as exploreCompiled: test/check/symmetry-vms.test.ts, on the
  // reduced exploration its orbit count makes of the same configuration (explored once there, not once in each file)

  it('stops at the state limit as exploreCompiled does', () => {
    const m = spec('system').model('upstream', 'two-queues');
    const a = explore(m, { symmetry: false, maxStates: 5000 });
    const b = exploreScaled(m, { symmetry: false, maxStates: 5000 });
    expect(b.limitReached).toBe(true);
    expect([b.states.length, b.transitions, b.maxDepth]).toEqual([a.states.length, a.transitions, a.maxDepth]);
  });

  it('stores fewer bytes per state than objects would, and fewer per state as objects are added', () => {
    const small = exploreScaled(spec('system').model('upstream', 'default'), { keepEdges: false });
    const large = exploreScaled(spec('system').model('upstream', 'two-queues'), { keepEdges: false, symmetry: false });
    // vectors of 3-byte ids, their hash table, two parent arrays, the component tables
    expect(large.bytes / large.states.length).toBeLessThan(120);
    expect(large.bytes / large.states.length).toBeLessThan(small.bytes / small.states.length);
  });
});

describe('refusals', () => {
  const toy = (grow: boolean): Model => {
    const machine = createMachine({
      id: 'toy',
      context: { items: [0] as unknown[], n: 0 },
      initial: 'a',
      states: { a: { on: { GO: { actions: assign(({ context }) => (context.n < 2 ? { n: context.n + 1, items: grow ? [...context.items, context.n] : context.items } : {})) } } } },
    });
    return { machineId: 'toy', variantId: 'v', configurationId: 'c', machine, events: [{ type: 'GO' }], eventInfo: { GO: { actor: 'kernel', cite: 'toy' } }, invariants: [], liveness: [], expectedViolations: [] };
  };
  it('a context that leaves the shape of the initial one is refused, naming where', () => {
    expect(() => exploreScaled(toy(true))).toThrow(ShapeError);
    expect(() => exploreScaled(toy(true))).toThrow(/items is no longer an array of 1/);
    expect(exploreScaled(toy(false)).states.length).toBe(explore(toy(false)).states.length);
  });
  it('a worker that cannot rebuild the model says so', async () => {
    await expect(exploreParallel(toy(false), { workers: 1 })).rejects.toThrow(WorkerError);
    await expect(exploreParallel(toy(false), { workers: 1 })).rejects.toThrow(/unknown machine 'toy'/);
  });
});

describe('worker threads', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it('two workers find the states, transitions, depths and violations of one thread; parents are transitions one level up', async () => {
    // upstream in default: violations to find at the same depth; two VMs and a queue (14,372 states, and the
    // configuration of the command test below; 73,650 with upstream's leaks, which add nothing to encode)
    const twoVms = spec('system').model('upstream-fixed', undefined, { params: { vms: 2, vcpus: 0, queues: 1 } });
    for (const [m, symmetry] of [
      [spec('system').model('upstream', 'default'), false],
      // gib.origin is a string (a dictionary leaf): each batch of rows carries the values its codes stand for
      [twoVms, true],
      [twoVms, false],
    ] as const) {
      const a = exploreScaled(m, { symmetry, keepEdges: false });
      const b = await exploreParallel(m, { workers: 2, symmetry, keepEdges: true });
      expect(b.states.length).toBe(a.states.length);
      expect(b.transitions).toBe(a.transitions);
      expect(b.edges.length / 3).toBe(a.transitions);
      expect(depths(b)).toEqual(depths(a));
      expect(new Set(b.keys)).toEqual(new Set(a.keys));
      expect([...b.violations.keys()].sort()).toEqual([...a.violations.keys()].sort());
      if (m.variantId === 'upstream') expect(a.violations.size, 'upstream leaks: violations to compare').toBeGreaterThan(0);
      for (const [name, i] of a.violations) {
        expect(b.depth[b.violations.get(name)!], name).toBe(a.depth[i]);
        expect(m.invariants.find((inv) => inv.name === name)!.holds(b.states[b.violations.get(name)!]!), name).toBe(false);
      }
      parentsAreTransitions(m, b);
    }
  }, 240_000);

  it('check --workers: the same verdicts, and traces of the same length, as check', async () => {
    const verdicts = (r: CheckResult) => r.results.map((x) => [x.property, x.holds, x.trace.length, x.cycle?.length ?? 0]);
    for (const v of ['upstream', 'aqic-v4']) {
      const m = spec('system').model(v, 'default');
      const a = checkModel(m);
      for (const workers of [0, 2]) {
        const b = await checkScaled(m, { workers, recipe: recipeOf(m) });
        expect([b.states, b.transitions, b.depth]).toEqual([a.states, a.transitions, a.depth]);
        expect(verdicts(b)).toEqual(verdicts(a));
        expect(b.matches).toBe(true);
      }
    }
  }, 240_000);

  it('the command: --workers 2 prints what check prints; a bad count exits 2', async () => {
    const run = async (argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, { out: (s) => void (stdout += s), err: (s) => void (stderr += s), errIsTTY: false });
      return { code, stdout: stdout.replace(/, [\d.]+ s\n/g, '\n'), stderr };
    };
    const args = ['check', '--machine', 'system', '--variant', 'upstream-fixed', '--set', 'vms=2', '--set', 'vcpus=0'];
    const a = await run(args);
    const b = await run([...args, '--workers', '2']);
    expect(b.code).toBe(a.code);
    expect(b.stdout).toBe(a.stdout);
    const bad = await run([...args, '--workers', 'two']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--workers/);
  }, 120_000);
});
