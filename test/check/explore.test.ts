import { describe, expect, it } from 'vitest';
import { createMachine, assign } from 'xstate';
import { explore, formatTrace, traceTo } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

// Two parallel regions: a 2-state toggle and a 3-state counter modulo 3 (reached by INC).
// By hand: 2 x 3 = 6 states; each state has exactly 2 enabled events (TOGGLE, INC): 12 transitions.
const toy = createMachine({
  id: 'toy',
  type: 'parallel',
  context: { n: 0 },
  states: {
    sw: { initial: 'off', states: { off: { on: { TOGGLE: 'on' } }, on: { on: { TOGGLE: 'off' } } } },
    ctr: { on: { INC: { actions: assign({ n: ({ context }) => (context.n + 1) % 3 }) } } },
  },
});

const model = (invariants: Model['invariants'] = []): Model => ({
  machineId: 'toy',
  variantId: 'baseline',
  configurationId: 'default',
  machine: toy,
  events: [{ type: 'TOGGLE' }, { type: 'INC' }, { type: 'IGNORED' }],
  eventInfo: { TOGGLE: { actor: 'guest', cite: 'toy' }, INC: { actor: 'timer', cite: 'toy' }, IGNORED: { actor: 'kernel', cite: 'toy' } },
  invariants,
  liveness: [],
  expectedViolations: [],
});

describe('explore', () => {
  it('finds the 6 states and 12 transitions of 2 x 3 by hand', () => {
    const x = explore(model());
    expect(x.states.length).toBe(6);
    expect(x.transitions).toBe(12);
    expect(x.maxDepth).toBe(3); // (on, n=2) needs TOGGLE + INC + INC
    expect(x.limitReached).toBe(false);
  });

  it('reports the shortest trace to the first violating state', () => {
    const m = model([{ name: 'NotTwoOn', cite: 'toy', holds: (s) => !((s.value as any).sw === 'on' && (s.context as any).n === 2) }]);
    const x = explore(m);
    const bad = x.violations.get('NotTwoOn');
    expect(bad).toBeDefined();
    const trace = traceTo(m, x, bad!);
    expect(trace.map((t) => t.event.type).sort()).toEqual(['INC', 'INC', 'TOGGLE']);
    expect(formatTrace(trace)).toMatch(/^1\. \[(guest|timer)\] (TOGGLE|INC)\n2\. /);
  });

  it('stops at the state limit with a clear result instead of throwing', () => {
    const x = explore(model(), { maxStates: 4 });
    expect(x.limitReached).toBe(true);
    expect(x.states.length).toBeGreaterThanOrEqual(4);
  });
});

// A ring of 5 states, NEXT going round one way and PREV the other. By hand: 5 states, 10
// transitions, and the shortest way to s3 is PREV, PREV (not NEXT x3); s2 and s3 are at depth 2.
const ring = createMachine({
  id: 'ring',
  initial: 's0',
  states: Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`s${i}`, { on: { NEXT: `s${(i + 1) % 5}`, PREV: `s${(i + 4) % 5}` } }])),
});

describe('explore on a ring', () => {
  const m: Model = { ...model(), machineId: 'ring', machine: ring, events: [{ type: 'NEXT' }, { type: 'PREV' }], eventInfo: { NEXT: { actor: 'kernel', cite: 'ring' }, PREV: { actor: 'guest', cite: 'ring' } } };
  it('counts 5 states and 10 transitions, depth 2', () => {
    const x = explore(m);
    expect([x.states.length, x.transitions, x.maxDepth]).toEqual([5, 10, 2]);
  });
  it('takes the shorter way round to s3', () => {
    const x = explore(m);
    const s3 = x.states.findIndex((s) => s.value === 's3');
    expect(formatTrace(traceTo(m, x, s3))).toBe('1. [guest] PREV\n2. [guest] PREV');
  });
});

