// A check that would not finish says so early: the frontier's growth per BFS level projects
// when the state limit is reached; a run whose limit is certain and far away stops, saying why.
import { describe, expect, it } from 'vitest';
import { assign, setup, type AnyStateMachine } from 'xstate';
import { checkModel } from '../../src/check/check.ts';
import { project } from '../../src/check/growth.ts';
import { formatResult } from '../../src/commands/check.ts';
import type { Model } from '../../src/spec.ts';

describe('project', () => {
  const geometric = (ratio: number, levels: number) => Array.from({ length: levels }, (_, d) => Math.round(ratio ** d));
  it('a frontier that keeps doubling reaches a limit: the depth and the time at the rate so far', () => {
    const perDepth = geometric(2, 15); // 1 .. 16,384 states per level
    const states = perDepth.reduce((a, b) => a + b, 0);
    const g = project(perDepth, 14, states, 1_000_000, 2000);
    expect(g.ratio).toBeCloseTo(2, 2);
    // 32,767 so far; the next levels add 32,768, 65,536, ...: past a million at depth 19
    expect(g.depthAtLimit).toBe(19);
    expect(g.secondsToLimit).toBeCloseTo((1_000_000 - states) / (states / 2), 0);
  });
  it('growth that slows down as it did is projected to go on slowing: no limit in sight', () => {
    // ratios 2.3, 1.9, 1.6: projected 1.4, 1.3, then under 1.3, where certainty ends short of a million
    const perDepth = [1, 16, 121, 582, 2030, 5554, 12597, 24000, 39000];
    expect(project(perDepth, 8, perDepth.reduce((a, b) => a + b, 0), 1_000_000, 5000).depthAtLimit).toBe(-1);
    // the same growth, with a limit it passes while still growing fast enough
    expect(project(perDepth, 8, perDepth.reduce((a, b) => a + b, 0), 200_000, 5000).depthAtLimit).toBe(10);
  });
  it('says nothing from small levels, few levels or a flat frontier', () => {
    expect(project([1, 3, 9, 27, 81], 4, 121, 1000, 10).depthAtLimit).toBe(-1);
    expect(project([1, 20000], 1, 20001, 30000, 10).depthAtLimit).toBe(-1);
    expect(project([1, 10000, 11000, 12000, 13000], 4, 47001, 100000, 10).depthAtLimit).toBe(-1);
  });
});

/** Two events, each appending a bit up to `bits` bits: level k holds 2^k states. */
function binaryTree(bits = 40): Model {
  type C = { n: number; d: number };
  const below = ({ context }: { context: C }) => context.d < bits;
  const machine = setup({}).createMachine({
    id: 'tree',
    context: { n: 1, d: 0 },
    on: {
      ZERO: { guard: below, actions: assign(({ context }: { context: C }) => ({ n: context.n * 2, d: context.d + 1 })) },
      ONE: { guard: below, actions: assign(({ context }: { context: C }) => ({ n: context.n * 2 + 1, d: context.d + 1 })) },
    },
  } as never) as unknown as AnyStateMachine;
  return {
    machineId: 'tree', variantId: 'baseline', configurationId: 'default', machine, events: [{ type: 'ZERO' }, { type: 'ONE' }],
    eventInfo: { ZERO: { actor: 'kernel', cite: 'test' }, ONE: { actor: 'kernel', cite: 'test' } },
    invariants: [{ name: 'Small', cite: 'test', holds: ({ context }) => (context as { n: number }).n < 2 ** 45 }],
    liveness: [], expectedViolations: [],
  };
}

describe('check stops a run whose limit is certain', () => {
  it('stops early, before the limit, with the growth it saw; the verdicts are undecided, with that reason', () => {
    const r = checkModel(binaryTree(), { maxStates: 200_000, earlyStopSeconds: 0 });
    expect(r.limitReached).toBe(true);
    expect(r.states).toBeLessThan(70_000);
    expect(r.stopped).toMatch(/^stopped at depth 1[56] after [\d.]+ s: the frontier grows x2\.0 per level \(states per depth 1, 2, 4, \.\.\., [\d, ]+\), so the 200,000-state limit is certain near depth 17/);
    expect(r.perDepth!.slice(0, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(r.results[0]).toMatchObject({ holds: null, note: `not decided: ${r.stopped}` });
    expect(formatResult(r)).toContain(`  ${r.stopped}`);
  });
  it('with no early stop it runs to the limit and prints the states per depth', () => {
    const r = checkModel(binaryTree(), { maxStates: 70_000, earlyStopSeconds: Infinity });
    expect(r.stopped).toBeUndefined();
    expect(r.limitReached).toBe(true);
    expect(r.states).toBeGreaterThanOrEqual(70_000);
    expect(formatResult(r)).toMatch(/states per BFS depth: 1, 2, 4, \.\.\., /);
  });
  it('a run that finishes is not stopped and reports no growth', () => {
    const r = checkModel(binaryTree(), { maxStates: 10, earlyStopSeconds: 0 });
    expect(r.stopped).toBeUndefined();
    const small = checkModel(binaryTree(8), { earlyStopSeconds: 0, maxStates: 1000 });
    expect(small.limitReached).toBe(false);
    expect(small.perDepth).toBeUndefined();
  });
});
