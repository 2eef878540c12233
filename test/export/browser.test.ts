// Opens the review page in Debian's chromium (driven by playwright-core; no browser download)
// from a file:// URL: every statechart is drawn with a non-zero size, and the aqic-v4
// counterexample shows kvm_s390_gisa_destroy before the AQIC disable. Screenshots go to
// test-results/export/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { renderPage, writePage } from '../../src/export/page.ts';
import { fixtureResults } from './fixture.ts';
import { toySpecs } from './toys.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = resolve('test-results/export');

describe('the review page in chromium', () => {
  it('shows every diagram and the aqic-v4 GISA destroy before the AQIC disable', async (ctx) => {
    if (!existsSync(CHROMIUM) && !process.env['CI']) {
      ctx.skip(`${CHROMIUM} is absent and CI is not set: install Debian's chromium (apt-get install chromium) to run this test; in CI it always runs`);
    }
    const registry = [...specs, ...toySpecs];
    await mkdir(OUT, { recursive: true });
    const page = resolve(OUT, 'index.html');
    await writePage(page, await renderPage(registry, fixtureResults(), { coverageMaxStates: 5_000 }));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // offline: any request that is not the page itself fails the test
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      expect(requests).toEqual([pathToFileURL(page).href]);

      const diagrams = tab.locator('figure.diagram > svg');
      expect(await diagrams.count()).toBe(registry.length);
      for (let i = 0; i < registry.length; i++) {
        const d = diagrams.nth(i);
        await expect.poll(() => d.isVisible()).toBe(true);
        const box = await d.boundingBox();
        expect(box!.width, `diagram ${registry[i]!.id}`).toBeGreaterThan(20);
        expect(box!.height, `diagram ${registry[i]!.id}`).toBeGreaterThan(20);
      }

      const cx = tab.locator('.counterexample[data-variant="aqic-v4"]').first();
      await cx.scrollIntoViewIfNeeded();
      const events = await cx.locator('ol.steps li').evaluateAll((lis) => lis.map((li) => ({ event: li.getAttribute('data-event'), text: li.textContent ?? '' })));
      const destroy = events.findIndex((e) => e.event === 'kvm_s390_gisa_destroy');
      const disable = events.findIndex((e) => /irq_disable|PQAP_AQIC ir=0/.test(e.text));
      expect(destroy, 'kvm_s390_gisa_destroy in the aqic-v4 steps').toBeGreaterThanOrEqual(0);
      if (disable >= 0) expect(destroy).toBeLessThan(disable);
      // and in the picture: the destroy box is drawn, above the disable box
      const destroyBox = await cx.locator('svg.sequence g.step[data-event="kvm_s390_gisa_destroy"]').first().boundingBox();
      expect(destroyBox!.height).toBeGreaterThan(0);
      if (disable >= 0) {
        const disableBox = await cx.locator(`svg.sequence g.step[data-step="${disable + 1}"]`).boundingBox();
        expect(destroyBox!.y).toBeLessThan(disableBox!.y);
      }
      await cx.screenshot({ path: resolve(OUT, 'aqic-v4-counterexample.png') });
      await tab.screenshot({ path: resolve(OUT, 'review-page.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
