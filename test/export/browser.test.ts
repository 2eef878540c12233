// Opens the review page in Debian's chromium (driven by playwright-core; no browser download)
// from a file:// URL: every statechart is drawn with a non-zero size, and the composed
// system's aqic-v4 counterexample shows AQIC enabled, then kvm_s390_gisa_destroy, before any
// AQIC disable. Screenshots go to test-results/export/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { renderPage, writePage } from '../../src/export/page.ts';
import { explorerResult, fixtureResults } from './fixture.ts';
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
    // the composed system's aqic-v4 hazard, found by the explorer (index 369 of the BFS, depth 10)
    const system = specs.find((s) => s.id === 'system');
    const aqic = system ? explorerResult(system, 'aqic-v4', 1_000) : fixtureResults()[1]!;
    const property = system ? 'AqicResourcesFreedBeforeGisaDestroy' : 'GisaDestroyAfterAqicDisable';
    expect(aqic.results.find((r) => r.property === property)?.holds, `${property} violated within the first 1000 states of ${aqic.machine}/aqic-v4`).toBe(false);
    await mkdir(OUT, { recursive: true });
    const page = resolve(OUT, 'index.html');
    await writePage(page, await renderPage(registry, [aqic, ...fixtureResults()], { coverageMaxStates: 50 }));

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

      // every counterexample picture is drawn too
      const pictures = tab.locator('.counterexample svg.sequence');
      expect(await pictures.count()).toBe(await tab.locator('.counterexample').count());
      for (const box of await Promise.all((await pictures.all()).map((p) => p.boundingBox()))) expect(box!.width * box!.height).toBeGreaterThan(0);

      const cx = tab.locator(`.counterexample[data-machine="${aqic.machine}"][data-variant="aqic-v4"][data-property="${property}"]`);
      await cx.scrollIntoViewIfNeeded();
      const steps = await cx.locator('ol.steps li').evaluateAll((lis) => lis.map((li) => li.querySelector('code')?.textContent ?? ''));
      // the hazard: AQIC enabled, then the GISA destroyed before anything disables it again
      const enable = steps.findIndex((t) => /^PQAP_AQIC .*ir=1/.test(t));
      const destroy = steps.findIndex((t) => t.startsWith('kvm_s390_gisa_destroy'));
      const disable = steps.findIndex((t, i) => i > enable && /^PQAP_AQIC .*ir=0|^PQAP_ZAPQ|^vfio_ap_mdev_close_device|^vfio_ap_mdev_remove_queue|irq_disable/.test(t));
      expect(enable, `PQAP_AQIC ir=1 in ${steps.join(' | ')}`).toBeGreaterThanOrEqual(0);
      expect(destroy, `kvm_s390_gisa_destroy in ${steps.join(' | ')}`).toBeGreaterThan(enable);
      if (disable >= 0) expect(destroy).toBeLessThan(disable);
      // and in the picture: the destroy box is drawn below the enable box (and above any disable)
      const box = (step: number) => cx.locator(`svg.sequence g.step[data-step="${step + 1}"]`).boundingBox();
      const [enableBox, destroyBox] = [await box(enable), await box(destroy)];
      expect(destroyBox!.height).toBeGreaterThan(0);
      expect(enableBox!.y).toBeLessThan(destroyBox!.y);
      if (disable >= 0) expect(destroyBox!.y).toBeLessThan((await box(disable))!.y);
      await cx.screenshot({ path: resolve(OUT, 'aqic-v4-counterexample.png') });
      await tab.evaluate('window.scrollTo(0, 0)');
      await tab.screenshot({ path: resolve(OUT, 'review-page.png') });
    } finally {
      await browser.close();
    }
  });
});
