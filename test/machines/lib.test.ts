// shareUnchanged: a kernel function's copy of the context keeps what it changed and gives back
// every record it left equal, so contexts share what a step did not touch.
import { describe, expect, it } from 'vitest';
import { initialContext } from '../../machines/context.ts';
import { cloneContext, shareUnchanged } from '../../machines/lib.ts';

const params = { vms: 2, vcpus: 2, queues: 2, iscs: [3] };

describe('shareUnchanged', () => {
  it('gives back the original context when the copy was not changed', () => {
    const c = initialContext(params);
    expect(shareUnchanged(c, cloneContext(c))).toBe(c);
  });

  it('keeps the changed path and shares every other record', () => {
    const c = initialContext(params);
    const copy = cloneContext(c);
    copy.vms[1]!.vcpus[0]!.idle = true;
    const s = shareUnchanged(c, copy);
    expect(JSON.parse(JSON.stringify(s))).toEqual(JSON.parse(JSON.stringify(copy)));
    expect(s.vms[1]!.vcpus[0]!.idle).toBe(true);
    expect(c.vms[1]!.vcpus[0]!.idle).toBe(false);
    expect(s).not.toBe(c);
    expect(s.vms[1]).not.toBe(c.vms[1]);
    expect(s.vms[0]).toBe(c.vms[0]);
    expect(s.vms[1]!.gisa).toBe(c.vms[1]!.gisa);
    expect(s.vms[1]!.vcpus[1]).toBe(c.vms[1]!.vcpus[1]);
    expect(s.gib).toBe(c.gib);
    expect(s.mdev).toBe(c.mdev);
    expect(s.queues).toBe(c.queues);
  });

  it('keeps a change inside an array (ref_count) and a field the function added', () => {
    const c = initialContext(params);
    const copy = cloneContext(c);
    copy.vms[0]!.gisa.ref[3] = 1;
    (copy.queues[1] as unknown as Record<string, unknown>).extra = 0;
    const s = shareUnchanged(c, copy);
    expect(s.vms[0]!.gisa.ref[3]).toBe(1);
    expect(c.vms[0]!.gisa.ref[3]).toBe(0);
    expect(s.vms[1]).toBe(c.vms[1]);
    expect((s.queues[1] as unknown as Record<string, unknown>).extra).toBe(0);
    expect(s.queues[0]).toBe(c.queues[0]);
  });
});
