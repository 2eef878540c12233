// Issue 11 (deadlocals): a kthread's locals go out of scope after their last use (machines/kthread.ts
// `Step.uses` / `sets`, `localsLive`, each step's action dropping the locals not live at its target).
// The dropping merges states that differ only in a value no later step reads, so a check must find
// the same: each configuration whose threads declare their locals, and random concurrent machines,
// with the dropping on and off (`localScoping.on`), find exactly the same violated properties, the
// invariants' shortest traces of the same length. The declarations themselves are verified by the
// footprint verification (test/check/footprints.test.ts: every shipped fine configuration, toys).
import { afterEach, describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { kfunction, localScoping, localsLive, SCOPED_LOCALS, type Step } from '../../machines/kthread.ts';
import { checkModel, pathTo } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import { invariantReads } from '../../src/check/footprint.ts';
import type { Model, Path } from '../../src/spec.ts';
import { fineEntries } from '../support/fine.ts';
import { randomConcurrent } from './random-concurrent.ts';

afterEach(() => void (localScoping.on = true));

describe('localsLive', () => {
  it('a local is live from its write to its last use, a loop keeps what the loop head uses, a step without uses makes all live', () => {
    const s = (at: string, uses: string[] | undefined, next?: Step<unknown>['next'], sets: string[] = []): Step<unknown> => ({ at, ...(uses ? { uses, sets } : {}), ...(next ? { next } : {}) });
    const f = kfunction<unknown>('f', 'toy', [
      s('a = 1', [], undefined, ['a']),
      s('b = a', ['a'], undefined, ['b']),
      // loop head: reads b, then on to the end or back to c = ...
      s('c = b', ['b'], undefined, ['c']),
      s('if (c) goto c = b', ['c'], [{ if: () => true, goto: 'c = b' }, { goto: 'out' }]),
      s('out', []),
    ]);
    const live = localsLive(f);
    // by hand: at `a = 1` nothing is live (a is set there); `b = a` uses a; from `c = b` on, b is live (the loop goes back to it), a is not;
    // c is set at `c = b`, so it is dead there, live only at the branch; nothing is live at `out`
    expect(Object.fromEntries([...live].map(([pc, l]) => [pc, l && [...l].sort()]))).toEqual({
      'f@a = 1': [],
      'f@b = a': ['a'],
      'f@c = b': ['b'],
      'f@if (c) goto c = b': ['b', 'c'],
      'f@out': [],
    });
    // a step that declares nothing: every local is live there and before it
    const g = kfunction<unknown>('g', 'toy', [s('x = 1', [], undefined, ['x']), s('opaque', undefined), s('use x', ['x'])]);
    const lg = localsLive(g);
    expect(lg.get('g@x = 1')).toBeUndefined();
    expect(lg.get('g@opaque')).toBeUndefined();
    expect([...lg.get('g@use x')!]).toEqual(['x']);
  });
});

/** The violated invariants of a full exploration and the length of each one's shortest trace. */
function violations(m: Model): { states: number; found: Record<string, number> } {
  const x = explore(m, { por: false });
  return { states: x.states.length, found: Object.fromEntries([...x.violations].map(([name, i]) => [name, pathTo(x, i).events.length])) };
}

describe('random concurrent machines with their locals declared', () => {
  it('find the same violations with the same shortest traces, the locals dropped or not', () => {
    let fewer = 0;
    let violated = 0;
    for (let seed = 1; seed <= 30; seed++) {
      localScoping.on = false;
      const off = violations(randomConcurrent(seed, true));
      localScoping.on = true;
      const on = violations(randomConcurrent(seed, true));
      expect(on.found, `seed ${seed}`).toEqual(off.found);
      expect(on.states, `seed ${seed}`).toBeLessThanOrEqual(off.states);
      // the scoped machine with the dropping off is the machine as generated without the declarations (on a few: each costs an exploration)
      if (seed <= 10) expect(off.states, `seed ${seed}`).toBe(explore(randomConcurrent(seed), { por: false }).states.length);
      if (on.states < off.states) fewer++;
      if (Object.keys(on.found).length) violated++;
    }
    // not vacuous: the dropping merges states on some machines, and some machines break an invariant
    expect(fewer).toBeGreaterThan(5);
    expect(violated).toBeGreaterThan(5);
  });
});

/**
 * The verdicts of a check of the entry and the length of each violated invariant's trace, and the
 * states explored.
 */
function verdicts(id: string): { states: number; matches: boolean; results: Record<string, string> } {
  const [machine, variant, configuration] = id.split('/') as [string, string, string];
  const r = checkModel(specs.find((s) => s.id === machine)!.model(variant, configuration));
  return {
    states: r.states,
    matches: r.matches,
    results: Object.fromEntries(r.results.map((p) => [p.property, p.holds ? 'holds' : p.kind === 'invariant' ? `violated in ${p.trace.length} steps` : 'violated'])),
  };
}

/** The two checks of an entry agree; the states with the dropping are fewer. */
function sameVerdicts(id: string): void {
  localScoping.on = false;
  const off = verdicts(id);
  localScoping.on = true;
  const on = verdicts(id);
  expect(on.results, id).toEqual(off.results);
  expect(on.matches && off.matches, id).toBe(true);
  expect(on.states, id).toBeLessThan(off.states);
}

// The shipped entries whose threads declare their locals (the dirty log's, the kicker's, the vcpu's; every entry whose
// manifest.json count fell when the declarations came in). In CI: one or two small ones per area, with a violation where
// there is one; the rest at a merge (tagged like check --configuration all's system checks).
const CI = [
  'kvm_memory_slot/bug-get-copy-under-mmu-lock/get-race',
  'kvm_s390_gisa_interrupt/upstream/kicker-destroy',
  'kvm_s390_gisa_interrupt/planted-unregister-no-unlock/kicker-unregister',
  'system/upstream/kick-wait-fault',
  'system/planted-tpi-no-set-again/tpi-window',
];
const MERGE = [
  'kvm_memory_slot/baseline/get-race',
  'kvm_memory_slot/race-get-protect-before-xchg/get-race',
  'kvm_memory_slot/race-get-read-without-xchg/get-race',
  'kvm_memory_slot/race-get-no-tlb-flush/get-race',
  'kvm_memory_slot/bug-get-protect-whole-word/get-race',
  'kvm_s390_gisa_interrupt/upstream/kicker-unregister',
  'kvm_s390_gisa_interrupt/upstream/two-vms-kicker-destroy',
  'kvm_s390_gisa_interrupt/upstream/destroy-registered',
  'kvm_s390_gisa_interrupt/upstream/kicker-unregister-destroy',
  'kvm_s390_gisa_interrupt/upstream/register-kicker',
  'kvm_s390_gisa_interrupt/upstream/register-unregister-kicker',
  'kvm_s390_gisa_interrupt/upstream/register-unregister-gal',
  'kvm_s390_gisa_interrupt/planted-origin-null-before-cancel/kicker-destroy',
  'kvm_s390_gisa_interrupt/planted-unregister-double-lock/kicker-unregister',
  'kvm_s390_gisa_interrupt/planted-unregister-unlock-first/kicker-unregister',
  'kvm_s390_gisa_interrupt/planted-unregister-sleeps-under-ref_lock/kicker-unregister',
  'kvm_s390_gisa_interrupt/planted-restore-mask-before-loop/register-kicker',
  'kvm_s390_gisa_interrupt/planted-register-mask-outside-lock/register-kicker',
  'kvm_s390_gisa_interrupt/planted-unregister-clears-iam-before-ref-count/register-unregister-kicker',
  'kvm_s390_gisa_interrupt/planted-gal-start-before-unlink/register-unregister-gal',
  'kvm_s390_gisa_interrupt/planted-cmpxchg-no-reload/kicker-unregister',
  'kvm_s390_gisa_interrupt/planted-destroy-before-unregister/kicker-unregister-destroy',
  'system/upstream/kick-wait',
  'system/upstream/kick-wait-2',
  'system/upstream/tpi-window',
  'system/upstream/tpi-window-gisa-first',
  'system/upstream/tpi-window-nomem-0',
  'system/planted-check-block-before-set_current_state/kick-wait',
  'system/kicked-mask-v5.2/kick-wait',
  'system/planted-kick-scan-gcr6-low-byte/kick-wait',
  'system/planted-kick-scan-ignores-gcr6/kick-wait-2',
  'system/deliverable-mask-v5.2/kick-wait-2',
  'system/planted-pre-run-keeps-kicked/kick-wait',
  'system/planted-pre-run-ignores-delivery-rc/kick-wait-fault',
  'system/proposed-tpi-decide-before-taking/tpi-window',
  'system/planted-tpi-reinject-no-kick/tpi-window-gisa-first',
];

describe('the shipped configurations whose threads declare their locals', () => {
  for (const id of CI) it(`${id}: the same verdicts and trace lengths, the locals dropped or not`, () => sameVerdicts(id));
  for (const id of MERGE) it(`${id}: the same verdicts and trace lengths, the locals dropped or not`, { tags: ['slow', 'merge'] }, () => sameVerdicts(id));
});

describe('a thread whose locals a property reads drops none of them', () => {
  // kthread.ts's header: locals an invariant reads (gisa galHeldPaths, vfio-ap's resetInUse, vcpu's
  // TPI thread) stay live everywhere, so their functions declare no `uses`; this guards the rule for
  // every shipped fine entry: no invariant's declared reads reach into a scoped thread's locals
  // (an invariant without `reads` reads everything, so no thread of its machine may be scoped).
  const scopedRegions = (node: { key: string; config: object; states: Record<string, unknown> }, out: string[] = []): string[] => {
    if ((node.config as Record<symbol, unknown>)[SCOPED_LOCALS]) out.push(node.key);
    for (const k of Object.values(node.states)) scopedRegions(k as typeof node, out);
    return out;
  };
  type Node = { key: string; config: { on?: Record<string, unknown> }; states: Record<string, unknown> };
  const footprintReads = (node: Node, out: { thread: string | undefined; reads: readonly Path[] }[] = []) => {
    for (const ts of Object.values(node.config.on ?? {})) {
      for (const t of [ts].flat() as { meta?: { thread?: string; footprint?: { reads?: readonly Path[] } } }[]) {
        if (t?.meta?.footprint?.reads) out.push({ thread: t.meta.thread, reads: t.meta.footprint.reads });
      }
    }
    for (const k of Object.values(node.states)) footprintReads(k as Node, out);
    return out;
  };
  const covers = (path: Path, thread: string) => {
    const want = ['threads', 'locals', thread];
    return want.every((k, i) => i >= path.length || path[i] === '*' || path[i] === k);
  };
  it('holds on every shipped fine entry, and at least one entry has scoped threads', () => {
    let scopedSeen = 0;
    let crossReads = 0;
    for (const { spec, e } of fineEntries) {
      const model = spec.model(e.variant, e.configuration);
      const scoped = scopedRegions(model.machine.root as never);
      // the scan sees declared reads of another thread's locals where the machines make them (unscoped threads)
      for (const { thread, reads } of footprintReads(model.machine.root as never)) if (reads.some((p) => p[0] === 'threads' && p[1] === 'locals' && p[2] !== thread)) crossReads++;
      if (!scoped.length) continue;
      scopedSeen++;
      // another thread's step (or a coarse event) that declares a read of a scoped thread's locals
      for (const { thread, reads } of footprintReads(model.machine.root as never)) {
        for (const t of scoped) if (t !== thread) expect(reads.some((p) => covers(p, t)), `${spec.id}/${e.variant}/${e.configuration}: a step of ${thread ?? 'the machine'} reads the locals of ${t}, whose steps declare uses`).toBe(false);
      }
      const initial = explore(model, { maxStates: 1, keepEdges: false }).states[0]!;
      for (const inv of model.invariants) {
        const reads = invariantReads(inv, initial);
        for (const t of scoped) {
          const bad = reads === undefined || (reads.context ?? []).some((p) => covers(p, t));
          expect(bad, `${spec.id}/${e.variant}/${e.configuration}: ${inv.name} reads the locals of ${t}, whose steps declare uses`).toBe(false);
        }
      }
    }
    // by hand: dirty-log's get-race / clear-race, the kick-wait family and the gisa kicker configurations declare uses
    expect(scopedSeen).toBeGreaterThan(5);
    // by hand: the GAL walker's steps declare reads of the destroy threads' locals (register-unregister-gal: gal reads destroy_vm's), none of them scoped
    expect(crossReads).toBeGreaterThan(0);
  });
});
