import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { checkModel, stateDiff } from '../../src/check/check.ts';
import type { AbstractState, LivenessProperty, Model } from '../../src/spec.ts';
import { toySpec } from '../fixtures/toy-spec.ts';

// The toy spec by hand: n in 0..limit times irq in {idle, pending}. In each state RESET is
// enabled (at n = 0 too: assign makes a new snapshot, so it is a self-loop), INC when
// n < limit, and PEND or DELIVER: with limit 2, 6 states and 6 + 4 + 6 = 16 transitions.
describe('checkModel', () => {
  it('counts the baseline by hand and finds every property as expected', () => {
    const r = checkModel(toySpec.model('baseline'));
    expect(r).toMatchObject({ machine: 'toy', variant: 'baseline', configuration: 'default', states: 6, transitions: 16, depth: 3, limitReached: false, matches: true });
    expect(r.results.map((x) => [x.property, x.kind, x.holds, x.expected])).toEqual([
      ['NotOverLimit', 'invariant', true, true],
      ['PendingDelivered', 'liveness', true, true],
      ['ZeroReachable', 'liveness', true, true],
    ]);
  });

  it('gives the shortest trace to the planted invariant bug', () => {
    const r = checkModel(toySpec.model('overflow'));
    const inv = r.results[0]!;
    expect(inv.holds).toBe(false);
    expect(inv.trace.map((t) => [t.event.type, t.actor, t.after])).toEqual([
      ['INC', 'guest', { 'ctx.n': 1 }],
      ['INC', 'guest', { 'ctx.n': 2 }],
      ['INC', 'guest', { 'ctx.n': 3 }],
    ]);
    expect(r.matches).toBe(true);
  });

  it('gives a lasso for the lost wake-up: PEND, then INC and RESET (both fair) forever while DELIVER is never enabled', () => {
    const r = checkModel(toySpec.model('lossy'));
    const live = r.results.find((x) => x.property === 'PendingDelivered')!;
    expect(live.holds).toBe(false);
    expect(live.trace.map((t) => t.event.type)).toEqual(['PEND']);
    expect(live.trigger).toBe(1);
    expect(live.cycle!.map((t) => [t.step, t.event.type, t.after])).toEqual([
      [2, 'INC', { 'ctx.n': 1 }],
      [3, 'RESET', { 'ctx.n': 0 }],
    ]);
  });

  it('does not match when an expected violation does not happen', () => {
    const r = checkModel(toySpec.model('wrong'));
    expect(r.matches).toBe(false);
    expect(r.results.find((x) => x.property === 'ZeroReachable')).toMatchObject({ holds: true, expected: false });
  });

  it('leaves properties undecided at the state limit', () => {
    const r = checkModel(toySpec.model('baseline'), { maxStates: 2 });
    expect(r.limitReached).toBe(true);
    expect(r.results.every((x) => x.holds === null && x.note === `not decided: explored ${r.states} states, limit reached`)).toBe(true);
    expect(r.matches).toBe(false);
  });
});

describe('stateDiff', () => {
  it('names the changed leaves of the state value and the context', () => {
    const a = { value: { irq: 'idle', vm: { v0: 'run' } }, context: { n: 0, ref: [1, 0], q: { isc: 3 } } };
    const b = { value: { irq: 'pending', vm: { v0: 'run' } }, context: { n: 0, ref: [1, 1], q: { isc: 3 } } };
    expect(stateDiff(a, b)).toEqual({ 'state.irq': 'pending', 'ctx.ref': [1, 1] });
  });

  it('shows a list that fills with records by its new leaves, not as a removed key', () => {
    const a = { value: 'flic', context: { adapters: [] as { isc: number }[] } };
    const b = { value: 'flic', context: { adapters: [{ isc: 3 }] } };
    expect(stateDiff(a, b)).toEqual({ 'ctx.adapters.0.isc': 3 });
  });

  it('shows a compound state left for a simple one by the new value only', () => {
    const a = { value: { vcpu0: { idle: 'woken' } }, context: {} };
    const b = { value: { vcpu0: 'outside_sie' }, context: {} };
    expect(stateDiff(a, b)).toEqual({ 'state.vcpu0': 'outside_sie' });
  });
});

// Two interruption lines v0 and v1 (parallel regions): PEND_i (hardware) makes line i
// pending, DELIVER_i (fair) delivers it; v1's delivery can be switched off.
function lines(v1Delivers: boolean): Model {
  const line = (i: number, delivers: boolean) => ({
    initial: 'idle',
    states: { idle: { on: { [`PEND_${i}`]: 'pending' } }, pending: { on: delivers ? { [`DELIVER_${i}`]: 'idle' } : {} } },
  });
  const events = ['PEND_0', 'PEND_1', 'DELIVER_0', 'DELIVER_1'];
  return {
    machineId: 'lines',
    variantId: 'baseline',
    configurationId: 'default',
    machine: createMachine({ id: 'lines', type: 'parallel', states: { v0: line(0, true), v1: line(1, v1Delivers) } }),
    events: events.map((type) => ({ type })),
    eventInfo: Object.fromEntries(events.map((t) => [t, t.startsWith('DELIVER') ? { actor: 'kernel', cite: 'lines', fair: true } : { actor: 'hardware', cite: 'lines' }])),
    invariants: [],
    liveness: [],
    expectedViolations: [],
  };
}
const pending = (s: AbstractState<unknown>, i: number) => (s.value as Record<string, string>)[`v${i}`] === 'pending';
const some: LivenessProperty<unknown> = { name: 'Some', cite: 'lines', kind: 'leadsTo', p: (s) => pending(s, 0) || pending(s, 1), q: (s) => !pending(s, 0) && !pending(s, 1) };
const each: LivenessProperty<unknown> = { name: 'Each', cite: 'lines', kind: 'leadsTo', instances: () => [{ v: 0 }, { v: 1 }], p: (s, { v }) => pending(s, v!), q: (s, { v }) => !pending(s, v!) };

describe('per-object liveness (instances)', () => {
  it('lines taking turns to be pending violate "no line pending" but each line is delivered', () => {
    const r = checkModel({ ...lines(true), liveness: [some, each] });
    expect(r.results.map((x) => [x.property, x.holds])).toEqual([
      ['Some', false],
      ['Each', true],
    ]);
  });

  it('names the line that is never delivered', () => {
    const r = checkModel({ ...lines(false), liveness: [each] });
    const v = r.results[0]!;
    expect(v.holds).toBe(false);
    expect(v.instance).toEqual({ v: 1 });
    expect(v.trace.map((t) => t.event.type)).toEqual(['PEND_1']);
  });
});

