// The footprint verification's recording proxies (src/check/footprint.ts Recorder): what they log
// and what they hand back, including the reuse of a child proxy while its key holds the same object.
import { describe, expect, it } from 'vitest';
import { Recorder } from '../../src/check/footprint.ts';

describe('Recorder', () => {
  it('logs a nested read with its full path and hands back the live value', () => {
    const rec = new Recorder();
    const c = { vms: [{ gisa: { ipm: 4 } }] };
    const p = rec.wrap(c, 'step');
    expect(p.vms[0]!.gisa.ipm).toBe(4);
    expect(rec.reads.get('step')).toEqual([['vms', 0, 'gisa', 'ipm']]);
  });

  it('reuses the child proxy while the key holds the same object, and makes a new one when it is replaced', () => {
    const rec = new Recorder();
    const c = { gisa: { ipm: 1 } };
    const p = rec.wrap(c, 'step');
    const first = p.gisa;
    expect(p.gisa === first).toBe(true); // compared by identity: expect() would read through the proxies
    // replaced through the proxy: the next read sees the new object, not the old one's proxy
    p.gisa = { ipm: 2 };
    expect(p.gisa === first).toBe(false);
    expect(p.gisa.ipm).toBe(2);
    // replaced behind the proxy's back (another step's raw write): the same
    c.gisa = { ipm: 3 };
    expect(p.gisa.ipm).toBe(3);
    expect(rec.writes.get('step')).toEqual([['gisa']]);
    expect(rec.reads.get('step')).toEqual([['gisa', 'ipm'], ['gisa', 'ipm']]);
  });

  it('unwraps a proxy to its target, stores targets (not proxies) on write, and leaves plain objects alone', () => {
    const rec = new Recorder();
    const inner = { n: 1 };
    const c: { a: { n: number }; b?: { n: number } } = { a: inner };
    const p = rec.wrap(c, 'step');
    expect(rec.unwrap(p)).toBe(c);
    expect(rec.unwrap(p.a)).toBe(inner);
    expect(rec.unwrap(inner)).toBe(inner);
    p.b = p.a;
    expect(c.b).toBe(inner);
  });
});
