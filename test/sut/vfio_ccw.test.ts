import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.ts';
import { runPathTests, type Conformance } from '../../src/paths/cover.ts';
import { observeCcwModel, VfioCcwSut, type CcwKernel } from '../../src/sut/vfio_ccw.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import type { CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import { variants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';
import { configurations } from '../../machines/vfio-ccw/vfio_ccw_private.bounds.ts';

const conformance = (k: CcwKernel, writers: number, broken?: Set<string>): Conformance<VfioCcwSut> => ({
  create: () => new VfioCcwSut(k, writers),
  observe: (s) => {
    if (broken) for (const name of trackerInvariants(s)) broken.add(name);
    return s.observe();
  },
  expect: ({ value, context }) => observeCcwModel(value, context),
});

/**
 * The transcription's own bookkeeping, which mutation/triage.json's equivalent vfio_ccw.ts
 * mutants rest on ("checked along the path tests"): the names of those that do not hold now.
 */
function trackerInvariants(s: VfioCcwSut): string[] {
  const p = s.p;
  const { chains, initialized } = p.cp;
  const { fnPending, startedChain, fnChain } = p.sch;
  const out: string[] = [];
  if (!chains.every((c) => p.allocated.has(c))) out.push('cp.chains is a subset of allocated');
  if (initialized !== chains.length > 0) out.push('cp.initialized exactly when cp.chains is not empty');
  if (startedChain !== undefined && !fnPending) out.push('startedChain only while fnPending');
  if (fnChain !== undefined && !fnPending) out.push('fnChain only while fnPending');
  if (fnPending && chains.length > 0 && p.inRequest.size === 0 && !chains.includes(fnChain!)) out.push('a pending function with a program and no writer in fsm_io_request is that program\'s');
  if (p.inRequest.size > 0 && chains.length === 0 && !p.freedWhileProcessing) out.push('a writer inside fsm_io_request has its program, or freedWhileProcessing is set');
  if ((s.k === 'v5.2' || s.k === 'v5.14') && p.state === 'CP_PENDING' && !p.mdev) out.push('CP_PENDING only with the mdev (v5.2, v5.14)');
  if (p.completion) out.push('private->completion never set');
  if ((s.k === 'v4.19' || s.k === 'v5.0') && p.io_mutex !== -1) out.push('no io_mutex before v5.2');
  return out;
}

describe('model-based tests against the transcription of the kernel code', () => {
  const kernels = variants.filter((v) => v.sut).map((v) => [v.id, v.sut!] as const);
  // the four largest graphs (2,000 to 3,900 states) go to npm run test:slow
  const heavy: readonly string[] = ['v5.2', 'v6-notoper-work', 'v5.14', 'v4.19'];
  // as the mutation path suites (src/mutate/targets.ts): two-writers reaches the -EAGAIN of a
  // second write and the interleavings of two writes with the IRBs
  // and v6.2 in orderly-hw: every hardware outcome (ssch cc1/cc3, cp_prefetch, hsch cc1-cc3, csch cc3, a failed enable, the subchannel gone)
  // and in errors (36 states): every request kind (transport mode, a halt function, a chain too long) and cc 3 with and without a path left
  const cases = [...kernels.flatMap(([id, k]) => (['one-writer', 'irbs', 'two-writers'] as const).map((c) => [id, k, c] as const)), ['v6.2', 'v6.2', 'orderly-hw'] as const, ['v6.2', 'v6.2', 'errors'] as const];
  const modelBased = async (id: string, k: CcwKernel, config: string) => {
    const m = vfioCcwPrivate.model(id, config);
    const x = explore(m);
    expect(x.limitReached).toBe(false);
    expect([...x.violations.keys()].sort()).toEqual([...m.expectedViolations].sort());
    // io_mutex is held across fsm_io_request, so fsm_io_retry and fsm_async_retry never run
    expect(x.states.filter((s) => s.value === 'CP_PROCESSING' && (s.context as CcwContext).mutex === -1)).toEqual([]);
    const broken = new Set<string>();
    const r = await runPathTests(m, conformance(k, configurations.find((c) => c.id === config)!.bounds.writers, broken), x);
    expect(r.failures.slice(0, 1)).toEqual([]);
    // the bookkeeping the triage's equivalence arguments rest on, after every step of every path
    expect([...broken]).toEqual([]);
    expect(r.statesCovered).toBe(r.states);
    expect(r.transitionsCovered).toBe(r.transitions);
  };
  const name = '%s (%s, %s): exactly the expected violations; every state and transition covered, SUT agrees after every step';
  // two-writers (60,000 to 306,000 steps) in npm test only for v6.2, the design the others are compared with
  const slow = ([id, , c]: readonly [string, CcwKernel, string]) => heavy.includes(id) || (c === 'two-writers' && id !== 'v6.2');
  it.each(cases.filter((x) => !slow(x)))(name, modelBased);
  it.each(cases.filter((x) => slow(x)))(name, { tags: ['slow'] }, modelBased);
});

describe('the model-based tests can fail', () => {
  it('the v5.2 transcription disagrees with the v5.14 machine (the write handler still resets IDLE)', async () => {
    const m = vfioCcwPrivate.model('v5.14', 'one-writer');
    const r = await runPathTests(m, conformance('v5.2', 1));
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]!.message).toMatch(/SUT disagrees/);
  });
});

