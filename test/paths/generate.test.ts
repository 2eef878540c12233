// The three coverage goals of `paths`, on a machine small enough to count by hand, and the
// edge cover equal to the one the model-based tests run (edgeCoverPaths) on shipped machines.
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { explore } from '../../src/check/explore.ts';
import { edgeCoverPaths } from '../../src/paths/cover.ts';
import { coverPaths, pairCoverPaths } from '../../src/paths/generate.ts';
import type { Model } from '../../src/spec.ts';
import { findSpec } from '../../machines/index.ts';

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
const k = { actor: 'kernel' as const, cite: '' };
const model: Model = {
  machineId: 'lock', variantId: 'baseline', configurationId: 'default', machine: lock,
  events: [{ type: 'LOCK' }, { type: 'UNLOCK' }, { type: 'GET' }, { type: 'PUT' }],
  eventInfo: { LOCK: k, UNLOCK: k, GET: k, PUT: k },
  invariants: [], liveness: [], expectedViolations: [],
};
const x = explore(model);
const types = (edges: number[]) => edges.map((e) => model.events[x.edges[3 * e + 1]!]!.type);

describe('coverPaths on the lock (4 states, 6 transitions, 4 payloads, counted by hand)', () => {
  it('edges: every transition, as edgeCoverPaths', () => {
    const r = coverPaths(x, 'edges');
    expect(r.coverage).toEqual({ states: 4, statesCovered: 4, transitions: 6, transitionsCovered: 6, payloads: 4, payloadsCovered: 4 });
    expect(r.paths).toEqual(edgeCoverPaths(x));
  });

  it('states: one path LOCK GET GET reaches all four states', () => {
    const r = coverPaths(x, 'states');
    expect(r.paths.map((p) => types(p.edges))).toEqual([['LOCK', 'GET', 'GET']]);
    expect(r.coverage.statesCovered).toBe(4);
    expect(r.coverage.transitionsCovered).toBe(3);
  });

  it('payloads: each event once, shallowest first: LOCK UNLOCK, then LOCK GET PUT', () => {
    const r = coverPaths(x, 'payloads');
    expect(r.paths.map((p) => types(p.edges))).toEqual([['LOCK', 'UNLOCK'], ['LOCK', 'GET', 'PUT']]);
    expect(r.coverage.payloadsCovered).toBe(4);
  });

  it('an edge filter keeps every path inside it and counts coverage within it', () => {
    const noGet = (e: number) => model.events[x.edges[3 * e + 1]!]!.type !== 'GET';
    const r = coverPaths(x, 'edges', { allowed: noGet });
    for (const p of r.paths) expect(types(p.edges)).not.toContain('GET');
    // without GET only unlocked <-> locked/0 is reachable: LOCK and UNLOCK
    expect(r.coverage.transitionsCovered).toBe(2);
    expect(r.coverage.statesCovered).toBe(2);
  });

  it('maxLength stops the extension, never the shortest way to a goal: with 1, one path per transition', () => {
    const r = coverPaths(x, 'edges', { maxLength: 1 });
    // LOCK from the initial state, UNLOCK and GET from locked/0, GET and PUT from locked/1, PUT from locked/2
    expect(r.paths.map((p) => p.edges.length).sort()).toEqual([1, 2, 2, 3, 3, 4]);
    expect(r.coverage.transitionsCovered).toBe(6);
  });
});

describe('the edge cover of shipped machines is the one the model-based tests run', () => {
  it.each([
    ['kvm_s390_gisa_interrupt', undefined],
    ['kvm_memory_slot', 's390'],
    ['vfio_ccw_private', undefined],
  ])('%s %s', (id, variant) => {
    const m = findSpec(id)!.model(variant);
    const y = explore(m, { symmetry: false });
    expect(coverPaths(y, 'edges').paths).toEqual(edgeCoverPaths(y));
  });
});

describe('pairCoverPaths: every pair of consecutive transitions', () => {
  it('the lock: 10 pairs (in x out per state: 1 + 2x2 + 2x2 + 1), four paths, counted by hand', () => {
    const r = pairCoverPaths(x);
    expect(r.pairs).toBe(10);
    expect(r.pairsCovered).toBe(10);
    // the shallowest pair (LOCK, UNLOCK), extended along new pairs: the re-LOCK after UNLOCK is one
    expect(r.paths.map((p) => types(p.edges))).toEqual([
      ['LOCK', 'UNLOCK', 'LOCK', 'GET', 'GET', 'PUT', 'GET'],
      ['LOCK', 'GET', 'PUT', 'UNLOCK'],
      ['LOCK', 'GET', 'PUT', 'GET'],
      ['LOCK', 'GET', 'GET', 'PUT', 'PUT'],
    ]);
  });

  it.each([
    ['kvm_vcpu', undefined],
    ['vfio_ap_queue', undefined],
  ])('%s %s: the paths are walks from the initial state taking every pair the graph has', (id, variant) => {
    const m = findSpec(id)!.model(variant);
    const y = explore(m, { symmetry: false });
    const r = pairCoverPaths(y);
    const n = y.edges.length / 3;
    const inDeg = new Array<number>(y.states.length).fill(0);
    const outDeg = new Array<number>(y.states.length).fill(0);
    for (let e = 0; e < n; e++) {
      outDeg[y.edges[3 * e]!]!++;
      inDeg[y.edges[3 * e + 2]!]!++;
    }
    expect(r.pairs).toBe(inDeg.reduce((a, d, s) => a + d * outDeg[s]!, 0));
    const seen = new Set<string>();
    for (const p of r.paths) {
      expect(y.edges[3 * p.edges[0]!]).toBe(0);
      for (let i = 1; i < p.edges.length; i++) {
        expect(y.edges[3 * p.edges[i]!]).toBe(y.edges[3 * p.edges[i - 1]! + 2]);
        seen.add(`${p.edges[i - 1]},${p.edges[i]}`);
      }
    }
    expect(seen.size).toBe(r.pairs);
    expect(r.pairsCovered).toBe(r.pairs);
  });
});
