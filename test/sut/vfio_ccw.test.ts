import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.ts';
import { runPathTests, type Conformance } from '../../src/paths/cover.ts';
import { observeCcwModel, VfioCcwSut, type CcwKernel } from '../../src/sut/vfio_ccw.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import type { CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import { variants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';
import { configurations } from '../../machines/vfio-ccw/vfio_ccw_private.bounds.ts';

const conformance = (k: CcwKernel, writers: number): Conformance<VfioCcwSut> => ({
  create: () => new VfioCcwSut(k, writers),
  observe: (s) => s.observe(),
  expect: ({ value, context }) => observeCcwModel(value, context),
});

describe('model-based tests against the transcription of the kernel code', () => {
  const kernels = variants.filter((v) => v.sut).map((v) => [v.id, v.sut!] as const);
  // the four largest graphs (2,000 to 3,900 states) go to npm run test:slow
  const heavy: readonly string[] = ['v5.2', 'v6-notoper-work', 'v5.14', 'v4.19'];
  // as the mutation path suites (src/mutate/targets.ts): two-writers reaches the -EAGAIN of a
  // second write and the interleavings of two writes with the IRBs
  // and v6.2 in orderly-hw: every hardware outcome (ssch cc1/cc3, cp_prefetch, hsch cc1-cc3, csch cc3, a failed enable, the subchannel gone)
  const cases = [...kernels.flatMap(([id, k]) => (['one-writer', 'irbs', 'two-writers'] as const).map((c) => [id, k, c] as const)), ['v6.2', 'v6.2', 'orderly-hw'] as const];
  const modelBased = async (id: string, k: CcwKernel, config: string) => {
    const m = vfioCcwPrivate.model(id, config);
    const x = explore(m);
    expect(x.limitReached).toBe(false);
    expect([...x.violations.keys()].sort()).toEqual([...m.expectedViolations].sort());
    // io_mutex is held across fsm_io_request, so fsm_io_retry and fsm_async_retry never run
    expect(x.states.filter((s) => s.value === 'CP_PROCESSING' && (s.context as CcwContext).mutex === -1)).toEqual([]);
    const r = await runPathTests(m, conformance(k, configurations.find((c) => c.id === config)!.bounds.writers), x);
    expect(r.failures.slice(0, 1)).toEqual([]);
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

