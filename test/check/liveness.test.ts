import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { explore } from '../../src/check/explore.ts';
import { checkAlwaysReachable, checkLeadsTo } from '../../src/check/liveness.ts';
import type { AbstractState, LivenessProperty, Model } from '../../src/spec.ts';

type Machine = Parameters<typeof createMachine>[0];
const model = (config: Machine, events: string[], fair: string[]): Model => ({
  machineId: 'toy',
  variantId: 'baseline',
  configurationId: 'default',
  machine: createMachine(config),
  events: events.map((type) => ({ type })),
  eventInfo: Object.fromEntries(events.map((t) => [t, fair.includes(t) ? { actor: 'kernel', cite: 'toy', fair: true } : { actor: 'guest', cite: 'toy' }])),
  invariants: [],
  liveness: [],
  expectedViolations: [],
});
const is = (name: string) => (s: AbstractState<unknown>) => JSON.stringify(s.value).includes(name);
const delivered: LivenessProperty<unknown> = { name: 'Delivered', cite: 'toy', kind: 'leadsTo', p: is('pending'), q: is('delivered') };
const names = (m: Model, events: number[]) => events.map((e) => m.events[e]!.type);

// idle -PEND-> pending -DELIVER-> delivered -RESET-> idle, and pending -NOOP-> pending.
const wakeup: Machine = {
  initial: 'idle',
  states: {
    idle: { on: { PEND: 'pending' } },
    pending: { on: { DELIVER: 'delivered', NOOP: 'pending' } },
    delivered: { on: { RESET: 'idle' } },
  },
};

describe('leadsTo under weak fairness', () => {
  it('is violated when DELIVER is not fair: the run may stop after PEND', () => {
    const m = model(wakeup, ['PEND', 'DELIVER', 'NOOP', 'RESET'], []);
    const v = checkLeadsTo(m, explore(m), delivered);
    expect(v).toBeDefined();
    expect(names(m, v!.prefix.events)).toEqual(['PEND']);
    expect(v!.trigger).toBe(1);
    expect(v!.cycle).toBeUndefined();
  });

  it('holds once DELIVER is fair (NOOP changes nothing, so it is no transition)', () => {
    const m = model(wakeup, ['PEND', 'DELIVER', 'NOOP', 'RESET'], ['DELIVER']);
    expect(checkLeadsTo(m, explore(m), delivered)).toBeUndefined();
  });

  // pending.a <-POLL(fair)-> pending.b; only GIVEUP (unfair) reaches delivered
  const polling: Machine = {
    initial: 'idle',
    states: {
      idle: { on: { PEND: 'pending' } },
      pending: { initial: 'a', states: { a: { on: { POLL: 'b' } }, b: { on: { POLL: 'a' } } }, on: { GIVEUP: 'delivered' } },
      delivered: {},
    },
  };

  it('is violated when only an unfair event leads out of a loop of fair ones: lasso PEND, then POLL forever', () => {
    const m = model(polling, ['PEND', 'POLL', 'GIVEUP'], ['POLL']);
    const v = checkLeadsTo(m, explore(m), delivered);
    expect(names(m, v!.prefix.events)).toEqual(['PEND']);
    expect(names(m, v!.cycle!.events)).toEqual(['POLL', 'POLL']);
  });

  it('holds when the way out is fair too: GIVEUP stays enabled all around the POLL loop', () => {
    const m = model(polling, ['PEND', 'POLL', 'GIVEUP'], ['POLL', 'GIVEUP']);
    expect(checkLeadsTo(m, explore(m), delivered)).toBeUndefined();
  });

  it('weak fairness does not force an event that the cycle disables every other step', () => {
    // pending.a -TICK-> pending.b -TICK-> pending.a; DELIVER (fair) only from pending.a
    const m = model(
      {
        initial: 'idle',
        states: {
          idle: { on: { PEND: 'pending' } },
          pending: { initial: 'a', states: { a: { on: { TICK: 'b', DELIVER: '#done' } }, b: { on: { TICK: 'a' } } } },
          delivered: { id: 'done' },
        },
      },
      ['PEND', 'TICK', 'DELIVER'],
      ['TICK', 'DELIVER'],
    );
    const v = checkLeadsTo(m, explore(m), delivered);
    expect(v).toBeDefined();
    expect(names(m, v!.prefix.events)).toEqual(['PEND']);
    expect(names(m, v!.cycle!.events)).toEqual(['TICK', 'TICK']);
    // with DELIVER enabled in b too, it is continuously enabled, so the property holds
    const m2 = model(
      {
        initial: 'idle',
        states: {
          idle: { on: { PEND: 'pending' } },
          pending: { initial: 'a', states: { a: { on: { TICK: 'b', DELIVER: '#done2' } }, b: { on: { TICK: 'a', DELIVER: '#done2' } } } },
          delivered: { id: 'done2' },
        },
      },
      ['PEND', 'TICK', 'DELIVER'],
      ['TICK', 'DELIVER'],
    );
    expect(checkLeadsTo(m2, explore(m2), delivered)).toBeUndefined();
  });

  it('reports a deadlock where p holds and q does not, with no cycle (the run stops)', () => {
    const m = model({ initial: 'idle', states: { idle: { on: { PEND: 'pending' } }, pending: { on: { DROP: 'stuck' } }, stuck: {} } }, ['PEND', 'DROP'], ['DROP']);
    const v = checkLeadsTo(m, explore(m), delivered);
    expect(names(m, v!.prefix.events)).toEqual(['PEND', 'DROP']);
    expect(v!.trigger).toBe(1);
    expect(v!.cycle).toBeUndefined();
  });

  it('the cycle takes every fair event that is enabled all around it', () => {
    // x and y swap on A (unfair) and on F (fair): the cycle found first by A must take F too
    const m = model(
      { initial: 'idle', states: { idle: { on: { PEND: 'x' } }, x: { on: { A: 'y', F: 'y' } }, y: { on: { A: 'x', F: 'x' } } } },
      ['PEND', 'A', 'F'],
      ['F'],
    );
    const p: LivenessProperty<unknown> = { ...delivered, p: (s) => s.value === 'x' };
    const v = checkLeadsTo(m, explore(m), p);
    expect(names(m, v!.cycle!.events)).toContain('F');
    expect(v!.cycle!.states[0]).toBe(v!.cycle!.states[v!.cycle!.states.length - 1]);
  });
});

describe('alwaysReachable', () => {
  const idle: LivenessProperty<unknown> = { name: 'IdleReachable', cite: 'toy', kind: 'alwaysReachable', q: (s) => s.value === 'idle' };
  it('finds the shallowest state from which idle is unreachable: START, BREAK', () => {
    const m = model({ initial: 'idle', states: { idle: { on: { START: 'busy' } }, busy: { on: { STOP: 'idle', BREAK: 'broken' } }, broken: { on: { POKE: 'broken' } } } }, ['START', 'STOP', 'BREAK', 'POKE'], []);
    const x = explore(m);
    const bad = checkAlwaysReachable(x, idle);
    expect(x.states[bad!]!.value).toBe('broken');
    expect(x.depth[bad!]).toBe(2);
  });
  it('holds when every state can go back to idle', () => {
    const m = model({ initial: 'idle', states: { idle: { on: { START: 'busy' } }, busy: { on: { STOP: 'idle', BREAK: 'broken' } }, broken: { on: { FIX: 'idle' } } } }, ['START', 'STOP', 'BREAK', 'FIX'], []);
    expect(checkAlwaysReachable(explore(m), idle)).toBeUndefined();
  });
});
