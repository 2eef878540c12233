import { describe, expect, it } from 'vitest';
import { createMachine, assign, type EventObject } from 'xstate';
import { explore } from '../../src/check/explore.ts';
import { edgeCoverPaths, runPathTests, type Conformance } from '../../src/paths/cover.ts';
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
