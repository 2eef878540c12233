import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.ts';
import { runPathTests, type Conformance } from '../../src/paths/cover.ts';
import { VfioCcwSut, type CcwKernel } from '../../src/sut/vfio_ccw.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import type { CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import { variants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';

const conformance = (k: CcwKernel, writers: number): Conformance<VfioCcwSut> => ({
  create: () => new VfioCcwSut(k, writers),
  observe: (s) => s.observe(),
  expect: ({ value, context }) => {
    const c = context as CcwContext;
    return {
      state: value, writers: c.writers, mutex: c.mutex, ret: c.ret, asyncRet: c.asyncRet, cp: c.cp, ena: c.ena, busy: c.busy,
      irb: c.irb, mdev: c.mdev, notoperWork: c.notoperWork, dead: c.dead, faults: c.faults,
    };
  },
});

describe('model-based tests against the transcription of the kernel code', () => {
  // the four largest graphs (2,000 to 3,900 states) go to npm run test:slow
  const heavy = ['v5.2', 'v6-notoper-work', 'v5.14', 'v4.19'];
  const modelBased = async (id: string) => {
    const m = vfioCcwPrivate.model(id, 'one-writer');
    const x = explore(m);
    expect(x.limitReached).toBe(false);
    expect([...x.violations.keys()].sort()).toEqual([...m.expectedViolations].sort());
    // io_mutex is held across fsm_io_request, so fsm_io_retry and fsm_async_retry never run
    expect(x.states.filter((s) => s.value === 'CP_PROCESSING' && (s.context as CcwContext).mutex === -1)).toEqual([]);
    const r = await runPathTests(m, conformance(id as CcwKernel, 1), x);
    expect(r.failures.slice(0, 1)).toEqual([]);
    expect(r.statesCovered).toBe(r.states);
    expect(r.transitionsCovered).toBe(r.transitions);
  };
  it.each(variants.map((v) => v.id).filter((id) => !heavy.includes(id)))('%s (one-writer): exactly the expected violations; every state and transition covered, SUT agrees after every step', modelBased);
  it.each(heavy)('%s (one-writer): exactly the expected violations; every state and transition covered, SUT agrees after every step', { tags: ['slow'] }, modelBased);
});

describe('the model-based tests can fail', () => {
  it('the v5.2 transcription disagrees with the v5.14 machine (the write handler still resets IDLE)', async () => {
    const m = vfioCcwPrivate.model('v5.14', 'one-writer');
    const r = await runPathTests(m, conformance('v5.2', 1));
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]!.message).toMatch(/SUT disagrees/);
  });
});

