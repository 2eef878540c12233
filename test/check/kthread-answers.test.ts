// machines/kthread.ts Step.answers: a step the hardware answers is one event per answer; the
// explorer fires each, `run` and the branch conditions see the one fired, the trace names it;
// every answer shares the step's transitions, so the partial-order reduction (which keys its
// dependence on the transitions' footprints) finds what the full exploration finds. A toy of two
// threads: `a` asks the hardware (answers OK, BUSY, ERR: BUSY asks again, ERR returns with y = 2,
// OK writes x = 1) and `b` writes z, independent of it.
import { describe, expect, it } from 'vitest';
import { setup, type AnyStateMachine } from 'xstate';
import { initialThreads, kfunction, locksOf, named, threadEventInfo, threadEvents, threadRegion, threadWorld, type KContext, type ThreadDef } from '../../machines/kthread.ts';
import { checkModel } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

interface T extends KContext {
  x: number;
  y: number;
  z: number;
}

const threads: ThreadDef<T>[] = [
  {
    name: 'a',
    actor: 'kernel',
    once: true,
    fns: [
      kfunction('f', 'toy', [
        {
          at: 'ask',
          answers: ['OK', 'BUSY', 'ERR'],
          writes: [['y']],
          run: (c, t) => void (t.answer === 'ERR' && (c.y = 2)),
          next: [
            { if: named('ERR', (_c, t) => t.answer === 'ERR'), goto: 'return' },
            { if: named('BUSY', (_c, t) => t.answer === 'BUSY'), goto: 'ask' },
            { goto: 'x = 1' },
          ],
        },
        { at: 'x = 1', writes: [['x']], run: (c) => void (c.x = 1) },
      ]),
    ],
  },
  { name: 'b', actor: 'kernel', once: true, fns: [kfunction('g', 'toy', [{ at: 'z = 1', writes: [['z']], run: (c) => void (c.z = 1) }])] },
];

function toy(): Model<T> {
  const world = threadWorld(threads);
  const states = Object.fromEntries(threads.map((t) => [t.name, threadRegion(t, world)]));
  const machine = setup({}).createMachine({ id: 'toy', type: 'parallel', context: { x: 0, y: 0, z: 0, threads: initialThreads(threads, locksOf(threads)) }, states } as never) as unknown as AnyStateMachine;
  return {
    machineId: 'toy', variantId: 'baseline', configurationId: 'default', machine, events: threadEvents(threads), eventInfo: threadEventInfo(threads),
    // violated only on the ERR answer's branch
    invariants: [{ name: 'NoErr', cite: 'toy', reads: { context: [['y']] }, holds: ({ context }) => context.y !== 2 }],
    liveness: [], expectedViolations: [],
  };
}

describe('kthread steps with the hardware\'s answers', () => {
  it('one event per answer, the others one each', () => {
    expect(threadEvents(threads)).toEqual([
      { type: 'f@ask', thread: 'a', answer: 'OK' },
      { type: 'f@ask', thread: 'a', answer: 'BUSY' },
      { type: 'f@ask', thread: 'a', answer: 'ERR' },
      { type: 'f@x = 1', thread: 'a' },
      { type: 'g@z = 1', thread: 'b' },
    ]);
  });

  it('each answer takes its branch; the trace names the answer; the reduction finds the same', () => {
    const m = toy();
    const full = explore(m, { por: false });
    // by hand: a idle / back at ask after BUSY (its own state: a step jumps to it) / at x = 1 / done with x = 1 / done with y = 2
    // (5), times b before or after its step (2); a second BUSY loops in place
    expect(full.states.length).toBe(10);
    const ends = full.states.filter((s) => (s.value as Record<string, string>).a === 'done').map((s) => [s.context.x, s.context.y]);
    expect(new Set(ends.map((e) => e.join()))).toEqual(new Set(['1,0', '0,2']));
    const red = explore(m, { por: true });
    expect(red.por?.reduced).toBe(true);
    expect(red.states.length).toBeLessThan(full.states.length);
    expect([...red.violations.keys()]).toEqual([...full.violations.keys()]);
    const r = checkModel(m, { por: true });
    const err = r.results.find((x) => x.property === 'NoErr')!;
    expect(err.holds).toBe(false);
    expect(err.trace.map((s) => s.event)).toEqual([{ type: 'f@ask', thread: 'a', answer: 'ERR' }]);
  });
});
