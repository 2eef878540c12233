// The footprint verifications of test/check/footprints.test.ts, run by footprint-worker.ts in a
// worker thread: a shipped fine-grained entry, a random concurrent machine, or a toy whose
// declaration is wrong (or right) in one way.
import { assign, setup, type AnyStateMachine } from 'xstate';
import { specs } from '../../machines/index.ts';
import { initialThreads, kfunction, lockInvariants, locksOf, threadEventInfo, threadEvents, threadRegion, threadWorld, type KContext, type Step, type ThreadDef } from '../../machines/kthread.ts';
import { explore } from '../../src/check/explore.ts';
import type { Invariant, Model, Path } from '../../src/spec.ts';
import { probe, PROBED } from '../../src/check/probe.ts';
import { randomConcurrent } from './random-concurrent.ts';

interface T extends KContext {
  x: number;
  y: number;
}

/** One thread of one function of the given steps (and a thread b of `other`'s steps), with an invariant reading x. */
function toy(steps: Step<T>[], inv?: Partial<Invariant<T>>, other?: Step<T>[]): Model<T> {
  const threads: ThreadDef<T>[] = [{ name: 'a', actor: 'kernel', once: true, fns: [kfunction('f', 'toy', steps)] }];
  // b returns to idle: its step changes the context, not the state value
  if (other) threads.push({ name: 'b', actor: 'kernel', fns: [kfunction('g', 'toy', other)] });
  const world = threadWorld(threads);
  const states = Object.fromEntries(threads.map((t) => [t.name, threadRegion(t, world)]));
  const machine = setup({}).createMachine({ id: 'toy', type: 'parallel', context: { x: 0, y: 0, threads: initialThreads(threads, locksOf(threads)) }, states } as never) as unknown as AnyStateMachine;
  return {
    machineId: 'toy', variantId: 'baseline', configurationId: 'default', machine, events: threadEvents(threads), eventInfo: threadEventInfo(threads),
    invariants: [{ name: 'XSmall', cite: 'toy', reads: { context: [['x']] }, holds: ({ context }) => context.x < 5, ...inv }, ...(lockInvariants as readonly Invariant<T>[])],
    liveness: [], expectedViolations: [],
  };
}

/** One coarse transition (no thread): `bump` while y is 0 and x below 2, declaring `enables`. */
function coarseToy(enables: Path[]): Model<T> {
  const guard = ({ context }: { context: T }) => context.y === 0 && context.x < 2;
  // through the probe, as machines/lib.ts update() (which copies a SystemContext) runs a kernel function
  const bump = assign(({ context }: { context: T }) => {
    const c = { ...context };
    const w = probe.wrap ? probe.wrap(c) : c;
    w.x = w.x + 1;
    return c;
  });
  (bump as unknown as Record<symbol, unknown>)[PROBED] = true;
  const machine = setup({}).createMachine({
    id: 'toy', context: { x: 0, y: 0 }, initial: 'on',
    states: { on: { on: { bump: { guard, actions: bump, meta: { footprint: { reads: [['x'], ['y']], writes: [['x']], enables } } } } } },
  } as never) as unknown as AnyStateMachine;
  return {
    machineId: 'toy', variantId: 'baseline', configurationId: 'default', machine, events: [{ type: 'bump' }], eventInfo: { bump: { actor: 'kernel', cite: 'toy' } },
    invariants: [{ name: 'XSmall', cite: 'toy', reads: { context: [['x']] }, holds: ({ context }) => context.x < 5 }], liveness: [], expectedViolations: [],
  };
}

export const TOYS = {
  'a coarse guard reading outside its declared enables': () => coarseToy([['x']]),
  'the coarse guard, its enables made right': () => coarseToy([['x'], ['y']]),
  'an undeclared read': () => toy([{ at: 'READ_ONCE(y)', run: (c, t) => void (t.local.v = c.y) }]),
  'an undeclared write': () => toy([{ at: 'x = 1', reads: [['x']], run: (c) => void (c.x = 1) }]),
  'a read in `when` not declared where the step is enabled': () => toy([{ at: 'wait', when: (c) => c.y === 0 }]),
  'a branch that writes what it says it does not': () => toy([{ at: 'x++', reads: [['x']], writes: [['x']], run: (c) => void (c.x += 1), next: [{ goto: 'return', writes: [] }] }]),
  'an invariant reading outside its declared reads': () => toy([{ at: 'nop' }], { reads: { context: [['y']] } }),
  'an invariant declared stable that a step repairs': () => toy([{ at: 'x = 5', writes: [['x']], run: (c) => void (c.x = 5) }, { at: 'x = 0', writes: [['x']], run: (c) => void (c.x = 0) }], { stable: true }),
  // the verification runs a step's proxies once per state value and valuation of what it read (src/check/footprint.ts instrument's memo):
  // f first runs with x = 0 and reads only x; g (thread b, back to idle) stores x = 1, so f is again enabled in the same state value with
  // another value of x: verified again, it reads y
  'an undeclared read on a branch only a later state takes': () =>
    toy([{ at: 'if (x) READ_ONCE(y)', reads: [['x']], run: (c, t) => void (t.local.v = c.x ? c.y : 0) }], {}, [{ at: 'x = 1', writes: [['x']], run: (c) => void (c.x = 1) }]),
  // the same for an invariant: XSmall reads y only where x is 1
  'an invariant reading outside its declared reads in a later state': () =>
    toy([{ at: 'x = 1', writes: [['x']], run: (c) => void (c.x = 1) }], { holds: ({ context }) => context.x === 0 || context.y < 5 }),
  'the same declarations, made right': () => toy([{ at: 'READ_ONCE(y)', reads: [['y']], run: (c, t) => void (t.local.v = c.y) }, { at: 'x = 1', writes: [['x']], run: (c) => void (c.x = 1) }]),
  // issue 11 (porwide): XSmall given as the conjunction of x < 5 and y < 5, which it is not (it reads x only): the state after y = 7 tells them apart
  'an invariant whose conjuncts are not its conjunction': () =>
    toy([{ at: 'y = 7', writes: [['y']], run: (c) => void (c.y = 7) }], { conjuncts: () => [{ name: 'x', reads: { context: [['x']] }, holds: ({ context }) => context.x < 5 }, { name: 'y', reads: { context: [['y']] }, holds: ({ context }) => context.y < 5 }] }),
  // a conjunct reading outside its own reads (y), though within the invariant's
  'a conjunct reading outside its declared reads': () =>
    toy([{ at: 'nop' }], { reads: { context: [['x'], ['y']] }, holds: ({ context }) => context.x < 5 && context.y < 5, conjuncts: () => [{ name: 'both', reads: { context: [['x']] }, holds: ({ context }) => context.x < 5 && context.y < 5 }] }),
  // thread a's only step declared never enabled: the initial state enables it
  'a step declared never enabled that is enabled': () => ({ ...toy([{ at: 'x = 1', writes: [['x']], run: (c) => void (c.x = 1) }]), por: { byDefault: true, neverEnabled: ['f@x = 1'] } }),
  // thread b's step `if (x) y = 1` as two steps: the second is never reached while nothing sets x
  'a step declared never enabled, rightly': () => ({
    ...toy([{ at: 'y = 2', writes: [['y']], run: (c) => void (c.y = 2) }], {}, [{ at: 'if (x)', reads: [['x']], next: [{ if: (c) => c.x !== 0, goto: 'y = 1' }, { goto: 'return' }] }, { at: 'y = 1', writes: [['y']], run: (c) => void (c.y = 1) }]),
    por: { byDefault: true, neverEnabled: ['g@y = 1'] },
  }),
  // issue 11 (deadlocals): the locals a step reads before writing them (Step.uses) and those it always writes (Step.sets).
  // The second step reads v, which the first wrote, but declares no use of it
  'a local read outside its declared uses': () =>
    toy([{ at: 'READ_ONCE(y)', reads: [['y']], uses: [], run: (c, t) => void (t.local.v = c.y) }, { at: 'x = v', writes: [['x']], uses: [], run: (c, t) => void (c.x = t.local.v as number) }]),
  // a branch condition reading a local the step did not write (the `if` sees the state after `run`)
  'a branch on a local outside its declared uses': () =>
    toy([{ at: 'READ_ONCE(y)', reads: [['y']], uses: [], run: (c, t) => void (t.local.v = c.y) }, { at: 'if (v)', uses: [], next: [{ if: (_c, t) => t.local.v === 1, goto: 'return' }, { goto: 'return' }] }]),
  // `sets` claims a write the step makes on one branch of its code only (y is 0: it does not write)
  'a local declared set that a step leaves alone': () => toy([{ at: 'if (y) v = 1', reads: [['y']], uses: [], sets: ['v'], run: (c, t) => void (c.y && (t.local.v = 1)) }]),
  // the same made right: x = v uses v; a step's branch reads the local its own run wrote (no use). By hand: y stays 0, so x = v
  // stores 0 and the once thread's pc is all that changes: idle, f@x = v, f@if (w), done (4 states)
  'the locals declared right': () =>
    toy([
      { at: 'READ_ONCE(y)', reads: [['y']], uses: [], sets: ['v'], run: (c, t) => void (t.local.v = c.y) },
      { at: 'x = v', writes: [['x']], uses: ['v'], run: (c, t) => void (c.x = t.local.v as number) },
      { at: 'if (w)', uses: [], run: (_c, t) => void (t.local.w = 1), next: [{ if: (_c, t) => t.local.w === 1, goto: 'return' }, { goto: 'return' }] },
    ]),
} satisfies Record<string, () => Model<T>>;

export type FootprintCase = { machine: string; variant: string; configuration: string } | { seed: number; scoped?: boolean } | { toy: keyof typeof TOYS };

/** The states explored under the footprint verification, or the error it threw (its message). */
export function verify(c: FootprintCase, every = false): { states: number } | { error: string } {
  const model = 'seed' in c ? randomConcurrent(c.seed, c.scoped) : 'toy' in c ? TOYS[c.toy]() : specs.find((s) => s.id === c.machine)!.model(c.variant, c.configuration);
  try {
    return { states: explore(model as Model, { verifyFootprints: every ? 'every-step' : true }).states.length };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}
