// The example variant file of the README works as shown: it imports the package by name,
// replaces one kernel function in the composed guest's kernel table, and its expectation is
// what the checker proves.
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';

describe('examples/destroy-without-unlink.ts', () => {
  it('check --variant-file matches its expectation and shows the freed GISA on the alert list as a numbered trace', async () => {
    let out = '';
    let err = '';
    const code = await main(['check', '--variant-file', 'examples/destroy-without-unlink.ts'], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      errIsTTY: false,
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/FreedGisaNotInAlertList\s+invariant\s+violated\s+violated\s+ok/);
    // by hand: the AP's interruption alerts (GISA listed), the last reference goes, the destroy
    // leaves the GISA listed, and the page is freed
    expect(out).toMatch(/10\. \[hardware\] AP_ADAPTER_INTERRUPTION[^\n]*ctx\.gib\.list=1/);
    expect(out).toMatch(/13\. \[kernel\] free_page_sie_page2/);
  });
});
