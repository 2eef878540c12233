// Differential tests of the compiled explorer against xstate's transition function: the same
// states in the same order (same keys), the same edges, the same parent links (hence the same
// shortest traces) and the same first violations, on every shipped machine and configuration,
// on a sample of variants, and on machines generated at random.
import { describe, expect, it } from 'vitest';
import { and, assign, createMachine, enqueueActions, not, or, raise, setup, stateIn, type AnyStateMachine, type EventObject } from 'xstate';
import { specs } from '../../machines/index.ts';
import { compile, Unsupported } from '../../src/check/compile.ts';
import { ContextTable } from '../../src/check/contexts.ts';
import { explore, traceTo, type Exploration } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

function same(m: Model, maxStates?: number): { a: Exploration; b: Exploration } {
  // symmetry and partial-order reduction (which configurations may opt in to) are tested in symmetry.test.ts and por.test.ts
  const limit = { ...(maxStates === undefined ? {} : { maxStates }), symmetry: false, por: false };
  const a = explore(m, { engine: 'xstate', ...limit });
  const b = explore(m, limit);
  expect(b.engine, b.refused).toBe('compiled');
  expect(b.states.length).toBe(a.states.length);
  expect(b.transitions).toBe(a.transitions);
  expect(b.limitReached).toBe(a.limitReached);
  expect(b.keys).toEqual(a.keys);
  expect(b.edges).toEqual(a.edges);
  expect([...b.parent]).toEqual([...a.parent]);
  expect([...b.parentEvent]).toEqual([...a.parentEvent]);
  expect([...b.violations]).toEqual([...a.violations]);
  const last = a.states.length - 1;
  expect(traceTo(m, b, last)).toEqual(traceTo(m, a, last));
  return { a, b };
}

/** Machines whose differential runs take a second or more each. */
const LARGE = ['system', 'kvm_s390_gisa_interrupt', 'kvm_s390_float_interrupt', 'vfio_ccw_private'];

/**
 * The configuration of each large machine compared on 4,000 states; its others on the first 600
 * (the claim is about the compiled step, which each configuration's first states already run
 * through its regions and context shape): the most objects (system smp: two vcpus, two queues),
 * threads of two VMs (the GISA machine), the reset as kthread steps (vfio-ccw), the FLIC's
 * interrupt queues (irqs: its 371 states in full either way).
 */
const DEEP: Record<string, string> = { system: 'smp', kvm_s390_gisa_interrupt: 'two-vms-kicker-destroy', kvm_s390_float_interrupt: 'irqs', vfio_ccw_private: 'reset-race' };

describe('compiled exploration = xstate exploration on the shipped machines', () => {
  for (const spec of specs) {
    for (const c of spec.configurations) {
      // the larger machines are the slow ones (both engines): npm run test:slow
      const large = LARGE.includes(spec.id);
      it(`${spec.id} (${c.id}), baseline`, { tags: large ? ['slow'] : [] }, () => same(spec.model(undefined, c.id), !large || DEEP[spec.id] === c.id ? 4000 : 600));
    }
    // variants replace guards and actions: every one, on the first 600 states of its configuration
    it(`${spec.id}: every variant, first 600 states`, { tags: LARGE.includes(spec.id) ? ['slow'] : [] }, () => {
      for (const v of spec.variants) same(spec.model(v.id, v.configuration), 600);
    });
  }

  it('the lazily built snapshots are the states xstate reaches', () => {
    const m = specs.find((s) => s.id === 'vfio_ap_queue')!.model();
    const { a, b } = same(m);
    for (let i = 0; i < a.states.length; i++) {
      expect(b.snapshots[i]!.value).toEqual(a.snapshots[i]!.value);
      expect(b.snapshots[i]!.context).toEqual(a.snapshots[i]!.context);
    }
  });
});

/** A small seeded PRNG (mulberry32), so a failing machine can be regenerated from its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T,>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const EVENTS = ['A', 'B', 'C', 'D'];
const INTERNAL = ['I0', 'I1'];

/**
 * A random machine: a parallel root of 1-3 regions, compound and parallel states nested up
 * to depth 3, guarded transitions (named guards with params, and/or/not, stateIn) to
 * siblings, to descendants and to states elsewhere in the region (by id), context counters
 * assigned directly or through enqueueActions, and raised internal events; with `entryExit`,
 * counter updates as entry and exit actions too (the compiled step's general path).
 */
export function randomMachine(seed: number, entryExit = false): Model {
  const r = rng(seed);
  const ids: string[] = [];
  let counter = 0;
  const guard = (): unknown => {
    const leaf = (): any => (r.next() < 0.2 && ids.length ? stateIn('#' + r.pick(ids)) : { type: 'below', params: { k: r.pick(['x', 'y']), max: 1 + r.int(2) } });
    switch (r.int(6)) {
      case 0:
        return and([leaf(), leaf()]);
      case 1:
        return or([leaf(), leaf()]);
      case 2:
        return not(leaf());
      case 3:
      case 4:
        return leaf();
      default:
        return undefined;
    }
  };
  const actions = (internal: boolean): unknown[] => {
    const out: unknown[] = [];
    const k = r.pick(['x', 'y']);
    switch (r.int(5)) {
      case 0:
        out.push({ type: 'bump', params: { k } });
        break;
      case 1:
        out.push('reset');
        break;
      case 2:
        if (!internal) out.push(raise({ type: r.pick(INTERNAL) }));
        break;
      case 3:
        out.push({ type: internal ? 'bump' : 'bumpAndRaise', params: { k } });
        break;
    }
    return out;
  };
  // a region: a compound state whose descendants may target each other
  const region = (depth: number, name: string): Record<string, unknown> => {
    const n = 2 + r.int(2);
    const names = Array.from({ length: n }, (_, i) => `${name}_${i}`);
    const local: string[] = [];
    const start = ids.length;
    const states: Record<string, any> = {};
    for (const s of names) {
      const id = `${s}_${counter++}`;
      ids.push(id);
      local.push(id);
      const kind = depth < 3 ? r.int(5) : 0;
      if (kind === 3) states[s] = { id, ...region(depth + 1, s) };
      else if (kind === 4) states[s] = { id, type: 'parallel', states: { [`${s}L`]: region(depth + 1, `${s}L`), [`${s}R`]: region(depth + 1, `${s}R`) } };
      else states[s] = { id };
      if (entryExit) Object.assign(states[s], { entry: actions(true), exit: actions(true) });
    }
    for (const s of names) {
      const on: Record<string, unknown[]> = {};
      for (const e of [...EVENTS, ...INTERNAL]) {
        if (r.next() < 0.45) continue;
        const internal = INTERNAL.includes(e);
        on[e] = Array.from({ length: 1 + r.int(2) }, () => {
          const t = r.int(4);
          const target = t === 0 ? undefined : t === 1 ? r.pick(names) : t === 2 ? '#' + r.pick(local) : '#' + r.pick(ids.slice(start));
          return { guard: guard(), target, actions: actions(internal) };
        });
      }
      states[s].on = on;
    }
    return { initial: r.pick(names), states };
  };
  const regions = 1 + r.int(3);
  const machine = setup({
    guards: { below: ({ context }: { context: any }, p: { k: string; max: number }) => context[p.k] < p.max },
    actions: {
      bump: assign(({ context }: { context: any }, p: { k: string }) => ({ [p.k]: (context[p.k] + 1) % 3 })),
      reset: assign({ x: 0, y: 0 }),
      bumpAndRaise: enqueueActions(({ enqueue, context }: any, p: { k: string }) => {
        enqueue.assign({ [p.k]: (context[p.k] + 2) % 3 });
        enqueue.raise({ type: 'I1' });
      }),
    },
  } as never).createMachine({
    id: `random${seed}`,
    type: 'parallel',
    context: { x: 0, y: 0 },
    states: Object.fromEntries(Array.from({ length: regions }, (_, i) => [`r${i}`, region(1, `r${i}`)])),
  } as never) as unknown as AnyStateMachine;
  const events: EventObject[] = EVENTS.map((type) => ({ type }));
  return {
    machineId: `random${seed}`,
    variantId: 'baseline',
    configurationId: 'default',
    machine,
    events,
    eventInfo: Object.fromEntries(EVENTS.map((e) => [e, { actor: 'kernel', cite: 'random' }])),
    invariants: [{ name: 'NotBothTwo', cite: 'random', holds: (s) => !((s.context as any).x === 2 && (s.context as any).y === 2) }],
    liveness: [],
    expectedViolations: [],
  };
}

describe('compiled exploration = xstate exploration on random machines', () => {
  it('60 machines with hierarchy, parallel regions, guards, counters and raised events', { tags: ['slow'] }, () => {
    let states = 0;
    for (let seed = 1; seed <= 60; seed++) {
      try {
        states += same(randomMachine(seed), 1500).a.states.length;
      } catch (e) {
        throw new Error(`random machine of seed ${seed}: ${(e as Error).message}`);
      }
    }
    expect(states).toBeGreaterThan(600); // the machines are not trivial
  });

  it('30 machines whose states have entry and exit actions', { tags: ['slow'] }, () => {
    let states = 0;
    for (let seed = 101; seed <= 130; seed++) {
      try {
        states += same(randomMachine(seed, true), 1500).a.states.length;
      } catch (e) {
        throw new Error(`random machine of seed ${seed} with entry/exit actions: ${(e as Error).message}`);
      }
    }
    expect(states).toBeGreaterThan(300);
  });
});

describe('refused features fall back to xstate', () => {
  const cases: [string, AnyStateMachine][] = [
    ['after', createMachine({ initial: 'a', states: { a: { after: { 10: 'b' } }, b: {} } })],
    ['always', createMachine({ initial: 'a', states: { a: { always: 'b' }, b: {} } })],
    ['history', createMachine({ initial: 'a', states: { a: { initial: 'x', states: { x: {}, h: { type: 'history' } } }, b: {} } })],
    ['invoke', createMachine({ initial: 'a', states: { a: { invoke: { src: createMachine({}) } } } })],
    ['final', createMachine({ initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } })],
    ['wildcard', createMachine({ initial: 'a', states: { a: { on: { '*': 'a' } } } })],
    ['reenter', createMachine({ initial: 'a', states: { a: { on: { GO: { target: 'a', reenter: true } } } } })],
  ];
  for (const [feature, machine] of cases) {
    it(`${feature}: refused with a message naming it; explore falls back`, () => {
      expect(() => compile(machine)).toThrow(Unsupported);
      expect(() => compile(machine)).toThrow(feature);
      const m: Model = { machineId: feature, variantId: 'baseline', configurationId: 'default', machine, events: [{ type: 'GO' }], eventInfo: {}, invariants: [], liveness: [], expectedViolations: [] };
      const x = explore(m);
      expect(x.engine).toBe('xstate');
      expect(x.refused).toContain(feature);
    });
  }
});

describe('ContextTable', () => {
  it('interns contexts exactly when their JSON is equal', () => {
    const t = new ContextTable();
    const pairs: [unknown, unknown][] = [
      [{ a: 1, b: [2, 3] }, { a: 1, b: [2, 3] }],
      [{ a: 1, c: undefined }, { a: 1 }],
      [[1, undefined], [1, null]],
      [{ x: { y: true } }, { x: { y: true } }],
    ];
    for (const [a, b] of pairs) {
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(t.intern(a)).toBe(t.intern(b));
    }
    const distinct: unknown[] = [{ a: 1, b: 2 }, { b: 2, a: 1 }, { a: 2, b: 1 }, { a: 1 }, { b: 1 }, [1, 2], [2, 1], { a: [1] }, { a: [[1]] }, { a: '1' }, { a: true }, {}];
    const ids = distinct.map((c) => t.intern(c));
    expect(new Set(ids).size).toBe(distinct.length);
    // a thousand more contexts force rehashing; every one is found again
    const many = Array.from({ length: 1000 }, (_, i) => ({ n: i, m: [i % 7] }));
    const first = many.map((c) => t.intern(c));
    expect(many.map((c) => t.intern({ ...c, m: [...c.m] }))).toEqual(first);
  });

  it('stored contexts share their equal sub-objects; a read-only one is left in place', () => {
    const t = new ContextTable();
    const a = { n: 1, r: { x: [1, 2] }, s: { y: true } };
    const b = { n: 2, r: { x: [1, 2] }, s: Object.freeze({ y: true }) };
    const c = Object.freeze({ n: 3, r: { x: [1, 2] }, s: { y: false } });
    const ids = [a, b, c].map((x) => t.intern(x));
    expect(new Set(ids).size).toBe(3);
    expect(b.r).toBe(a.r);
    expect(b.s).toBe(a.s); // a frozen sub-object of a writable one is replaced
    expect(c.r).not.toBe(a.r); // c is frozen: its sub-objects stay, it is still interned by value
    expect(t.contexts.map((x) => JSON.stringify(x))).toEqual([a, b, c].map((x) => JSON.stringify(x)));
    // found again from fresh copies, shared or not
    expect(t.intern({ n: 3, r: { x: [1, 2] }, s: { y: false } })).toBe(ids[2]);
    expect(t.intern({ n: 2, r: a.r, s: { y: true } })).toBe(ids[1]);
  });
});
