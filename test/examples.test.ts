// The example variant file of the README works as shown: it imports the package by name,
// replaces one kernel function of the composed guest, and its expectation is what the
// checker proves (the AQIC hazard back when unset_kvm skips the reset).
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';

describe('examples/no-reset-on-close.ts', () => {
  it('check --variant-file matches its expectation and shows the hazard as a numbered trace', async () => {
    let out = '';
    let err = '';
    const code = await main(['check', '--variant-file', 'examples/no-reset-on-close.ts'], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      errIsTTY: false,
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/AqicResourcesFreedBeforeGisaDestroy\s+invariant\s+violated\s+violated\s+ok/);
    expect(out).toContain('[userspace] vfio_ap_mdev_close_device');
  });
});
