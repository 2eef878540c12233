import { describe, expect, it } from 'vitest';
import { createMachine, assign, type EventObject } from 'xstate';
import { explore } from '../../src/check/explore.ts';
import { edgeCoverCount, edgeCoverPaths, runPathTests, type Conformance } from '../../src/paths/cover.ts';
import type { Exploration } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

// A lock with a use count: LOCK/UNLOCK move between states, GET/PUT count 0..2 while locked.
const lock = createMachine({
  id: 'lock',
  initial: 'unlocked',
  context: { users: 0 },
  states: {
    unlocked: { on: { LOCK: 'locked' } },
    locked: {
      on: {
        UNLOCK: { guard: ({ context }) => context.users === 0, target: 'unlocked' },
        GET: { guard: ({ context }) => context.users < 2, actions: assign({ users: ({ context }) => context.users + 1 }) },
        PUT: { guard: ({ context }) => context.users > 0, actions: assign({ users: ({ context }) => context.users - 1 }) },
      },
    },
  },
});
const model: Model = {
  machineId: 'lock', variantId: 'baseline', configurationId: 'default', machine: lock,
  events: [{ type: 'LOCK' }, { type: 'UNLOCK' }, { type: 'GET' }, { type: 'PUT' }],
  eventInfo: { LOCK: { actor: 'kernel', cite: '' }, UNLOCK: { actor: 'kernel', cite: '' }, GET: { actor: 'kernel', cite: '' }, PUT: { actor: 'kernel', cite: '' } },
  invariants: [], liveness: [], expectedViolations: [],
};

class LockSut {
  locked = false;
  users = 0;
  constructor(private readonly bug: boolean) {}
  apply(e: EventObject) {
    if (e.type === 'LOCK') this.locked = true;
    if (e.type === 'UNLOCK' && this.users === 0) this.locked = false;
    if (e.type === 'GET') this.users++;
    if (e.type === 'PUT') this.users -= this.bug && this.users === 2 ? 2 : 1;
  }
}
const conformance = (bug: boolean): Conformance<LockSut> => ({
  create: () => new LockSut(bug),
  observe: (s) => ({ locked: s.locked, users: s.users }),
  expect: (st) => ({ locked: st.value === 'locked', users: (st.context as { users: number }).users }),
});

describe('edge-covering path tests', () => {
  it('covers the 4 states and 6 transitions counted by hand', async () => {
    // states: unlocked, locked/0, locked/1, locked/2; edges: LOCK, UNLOCK (users 0), GET x2, PUT x2 = 6
    const x = explore(model);
    expect(x.states.length).toBe(4);
    expect(x.transitions).toBe(6);
    const paths = edgeCoverPaths(x);
    const taken = new Set(paths.flatMap((p) => p.edges));
    expect(taken.size).toBe(6);
    const r = await runPathTests(model, conformance(false), x);
    expect(r.failures).toEqual([]);
    expect(r.transitionsCovered).toBe(6);
    expect(r.statesCovered).toBe(4);
  });

  it('fails with the path when the SUT disagrees', async () => {
    const r = await runPathTests(model, conformance(true));
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]!.message).toMatch(/SUT disagrees/);
    expect(r.failures[0]!.trace.map((t) => t.event.type)).toContain('PUT');
  });
});

/** A random reachable graph as the explorer lays one out: states in BFS order, each state's edges in event order, parent = first reacher. */
function randomGraph(seed: number): Exploration {
  let r = seed * 2654435761 + 1;
  const rand = (n: number) => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0), r % n);
  const size = 2 + rand(40);
  const succ = Array.from({ length: size }, () => Array.from({ length: rand(5) }, () => [rand(4), rand(size)] as const));
  const index = new Map<number, number>([[0, 0]]);
  const parent = [-1], parentEvent = [-1], depth = [0], edges: number[] = [];
  for (let head = 0, order = [0]; head < order.length; head++) {
    const s = order[head]!;
    for (const [ev, t] of succ[s]!.sort((a, b) => a[0] - b[0]).filter((x, i, a) => !i || a[i - 1]![0] !== x[0])) {
      if (!index.has(t)) {
        index.set(t, order.length);
        order.push(t);
        parent.push(head);
        parentEvent.push(ev);
        depth.push(depth[head]! + 1);
      }
      edges.push(head, ev, index.get(t)!);
    }
  }
  return { states: parent.map(() => ({ value: 'x', context: {} })), parent: Int32Array.from(parent), parentEvent: Int32Array.from(parentEvent), depth: Int32Array.from(depth), edges: Int32Array.from(edges) } as unknown as Exploration;
}

describe('edgeCoverCount', () => {
  it('counts the paths edgeCoverPaths builds, and those take every edge (what the page reports, export/page.ts coverageOf)', () => {
    // 100 random graphs of up to 41 states and 4 events, each at four path length limits (2 cuts most paths)
    for (let seed = 0; seed < 100; seed++) {
      const x = randomGraph(seed);
      for (const max of [2, 3, 7, 64]) {
        const paths = edgeCoverPaths(x, max);
        expect(edgeCoverCount(x, max), `seed ${seed}, max ${max}`).toBe(paths.length);
        expect(new Set(paths.flatMap((p) => p.edges)).size, `seed ${seed}, max ${max}`).toBe(x.edges.length / 3);
      }
    }
    // an explorer's graph too: the lock above
    const x = explore(model);
    expect(edgeCoverCount(x)).toBe(edgeCoverPaths(x).length);
  });

  it("gives the same cover for the same graph with its edges listed out of the explorer's order (the index's general case)", () => {
    for (let seed = 0; seed < 100; seed++) {
      const x = randomGraph(seed);
      const n = x.edges.length / 3;
      // the edges listed deepest source first, in their order within a depth: sources no longer ascend, but the index's
      // sorts (out-edges by source, edges by depth, both stable) give back the explorer's order
      const depthOf = (e: number) => x.depth[x.edges[3 * e]!]!;
      const moved = Array.from({ length: n }, (_, e) => e).sort((a, b) => depthOf(b) - depthOf(a) || a - b);
      if (moved.every((e, k) => e === k)) continue;
      const y = { ...x, edges: Int32Array.from(moved.flatMap((e) => [x.edges[3 * e]!, x.edges[3 * e + 1]!, x.edges[3 * e + 2]!])) } as Exploration;
      for (const max of [2, 7, 64]) {
        expect(edgeCoverCount(y, max), `seed ${seed}, max ${max}`).toBe(edgeCoverCount(x, max));
        // the same paths, edge y[k] being edge x[moved[k]]
        expect(edgeCoverPaths(y, max).map((p) => p.edges.map((k) => moved[k]!)), `seed ${seed}, max ${max}`).toEqual(edgeCoverPaths(x, max).map((p) => p.edges));
      }
    }
  });
});
