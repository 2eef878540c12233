// Random concurrent machines for the partial-order reduction tests: 2-3 threads
// (machines/kthread.ts) whose steps read shared variables into locals, write and increment
// them, wait for a value, take and release locks (sometimes unbalanced, so the lock rules can
// break), branch on a local (loops included), plus an environment region whose bounded events
// bump variables with a declared footprint, and invariants over random pairs of variables (on about
// half of them one more, the conjunction of two such, given as its conjuncts).
// Every footprint is declared exactly from the operations generated, so the footprint
// verification must pass on them too.
import { assign, setup, type AnyStateMachine } from 'xstate';
import { acquire, initialThreads, kfunction, lockInvariants, locksOf, mutex, named, release, spinlock, threadEvents, threadEventInfo, threadRegion, threadWorld, type KContext, type Lock, type Step, type ThreadDef } from '../../machines/kthread.ts';
import { probe, PROBED } from '../../src/check/probe.ts';
import type { Invariant, Model } from '../../src/spec.ts';

export interface RC extends KContext {
  vars: number[];
  budget: number;
}

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number) {
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

/**
 * `scoped` (issue 11, deadlocals): every step declares the locals it uses and sets
 * (machines/kthread.ts `Step.uses` / `sets`), so a thread's dead local is dropped; the machine is
 * otherwise the same (no draw of the generator depends on it).
 */
export function randomConcurrent(seed: number, scoped = false): Model<RC> {
  const r = rng(seed);
  // the only local is `a`: read into (sets), branched on (uses), incremented (uses and sets)
  const L = (uses: string[], sets: string[] = []): Pick<Step<RC>, 'uses' | 'sets'> => (scoped ? { uses, sets } : {});
  const nVars = 2 + r.int(3);
  const locks: Lock[] = Array.from({ length: r.int(3) }, (_, i) => (r.next() < 0.5 ? spinlock('L', i) : mutex('M', i)));
  const nThreads = 2 + r.int(2);
  const threads: ThreadDef<RC>[] = [];
  for (let ti = 0; ti < nThreads; ti++) {
    const steps: Step<RC>[] = [];
    const held: Lock[] = [];
    const n = 2 + r.int(4);
    for (let k = 0; k < n; k++) {
      const v = r.int(nVars);
      const at = `s${k}`;
      const kind = r.int(9);
      if (kind === 0 && locks.length) {
        const l = r.pick(locks);
        steps.push({ ...acquire<RC>(l), at, ...L([]) });
        held.push(l);
      } else if (kind === 1 && (held.length || (locks.length && r.next() < 0.15))) {
        // mostly the last lock taken; now and then one not held (a lock rule broken)
        const l = held.length && r.next() < 0.85 ? held.pop()! : r.pick(locks);
        steps.push({ ...release<RC>(l), at, ...L([]) });
      } else if (kind === 2) {
        steps.push({ at, reads: [['vars', v]], run: (c: RC, t) => void (t.local.a = c.vars[v]!), ...L([], ['a']) });
      } else if (kind === 3) {
        const val = r.int(3);
        steps.push({ at, writes: [['vars', v]], run: (c) => void (c.vars[v] = val), ...L([]) });
      } else if (kind === 4) {
        steps.push({ at, reads: [['vars', v]], writes: [['vars', v]], run: (c) => void (c.vars[v] = (c.vars[v]! + 1) % 3), ...L([]) });
      } else if (kind === 5) {
        const val = r.int(3);
        steps.push({ at, reads: [['vars', v]], when: named(`x${v} == ${val}`, (c: RC) => c.vars[v] === val), ...L([]) });
      } else if (kind === 6 && k > 0) {
        // branch on the local: back to an earlier step (a loop) or on
        const back = `s${r.int(k)}`;
        const val = r.int(3);
        steps.push({ at, next: [{ if: named(`a == ${val}`, (_c, t) => t.local.a === val), goto: back }, { goto: k + 1 < n ? `s${k + 1}` : 'return' }], ...L(['a']) });
      } else if (kind === 7) {
        // thread-local work: no shared footprint (loops of these are what the cycle proviso is for)
        steps.push({ at, run: (_c, t) => void (t.local.a = (((t.local.a as number | undefined) ?? 0) + 1) % 3), ...L(['a'], ['a']) });
      } else {
        const w = (v + 1) % nVars;
        steps.push({ at, reads: [['vars', v]], writes: [['vars', w]], run: (c) => void (c.vars[w] = c.vars[v]!), ...L([]) });
      }
    }
    const resolved = steps;
    threads.push({ name: `t${ti}`, actor: 'kernel', once: r.next() < 0.5, fns: [kfunction(`f${ti}`, 'random', resolved)] });
  }
  // an environment region: events that bump a variable while the budget lasts
  const envVars = Array.from({ length: 1 + r.int(2) }, () => r.int(nVars));
  const bump = (v: number) => {
    const a = assign(({ context }: { context: RC }) => {
      const raw = probe.unwrap(context);
      const c = structuredClone(raw);
      const w = probe.wrap ? probe.wrap(c) : c;
      w.vars[v] = (w.vars[v]! + 1) % 3;
      w.budget -= 1;
      return { vars: c.vars, budget: c.budget };
    });
    (a as unknown as Record<symbol, unknown>)[PROBED] = true;
    return a;
  };
  const envOn = Object.fromEntries(
    envVars.map((v, i) => [
      `E${i}`,
      { guard: named('budget', ({ context }: { context: RC }) => context.budget > 0), actions: bump(v), meta: { actor: 'hardware', footprint: { reads: [['budget'], ['vars', v]], writes: [['budget'], ['vars', v]] } } },
    ]),
  );
  const world = threadWorld(threads);
  const context: RC = { vars: Array.from({ length: nVars }, () => r.int(3)), budget: r.int(3), threads: initialThreads(threads, locksOf(threads)) };
  const machine = setup({}).createMachine({
    id: `rc${seed}`,
    type: 'parallel',
    context,
    states: { env: { initial: 'on', states: { on: { on: envOn } } }, ...Object.fromEntries(threads.map((t) => [t.name, threadRegion(t, world)])) },
  } as never) as unknown as AnyStateMachine;
  const invariants: Invariant<RC>[] = Array.from({ length: 1 + r.int(2) }, (_, i) => {
    const a = r.int(nVars), b = r.int(nVars), p = r.int(3), q = r.int(3);
    return { name: `Not${i}_x${a}=${p}_x${b}=${q}`, cite: 'random', reads: { context: [['vars', a], ['vars', b]] }, holds: ({ context }) => !(context.vars[a] === p && context.vars[b] === q) };
  });
  // issue 11 (porwide): on about half the machines, a conjunction of two such constraints given as its conjuncts (Invariant.conjuncts),
  // so the differential exercises the visibility per conjunct (a stream of its own: the machines above are those of every seed before)
  const r2 = rng(seed ^ 0x5bd1e995);
  if (r2.next() < 0.5) {
    const part = (k: number) => {
      const a = r2.int(nVars), b = r2.int(nVars), p = r2.int(3), q = r2.int(3);
      return { name: `c${k}`, reads: { context: [['vars', a], ['vars', b]] }, holds: ({ context }: { context: RC }) => !(context.vars[a] === p && context.vars[b] === q), text: `x${a}=${p}_x${b}=${q}` };
    };
    const parts = [part(0), part(1)];
    invariants.push({
      name: `Both_${parts.map((c) => c.text).join('_')}`,
      cite: 'random',
      reads: { context: parts.flatMap((c) => c.reads.context) },
      holds: (st) => parts.every((c) => c.holds(st)),
      conjuncts: () => parts,
    });
  }
  const events = [...envVars.map((_, i) => ({ type: `E${i}` })), ...threadEvents(threads)];
  return {
    machineId: `rc${seed}`,
    variantId: 'baseline',
    configurationId: 'default',
    machine,
    events,
    eventInfo: { ...Object.fromEntries(envVars.map((_, i) => [`E${i}`, { actor: 'hardware' as const, cite: 'random' }])), ...threadEventInfo(threads) },
    invariants: [...invariants, ...(lockInvariants as readonly Invariant<RC>[])],
    liveness: [],
    expectedViolations: [],
    por: { byDefault: true },
  };
}
