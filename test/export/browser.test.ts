// Opens the review page in Debian's chromium (driven by playwright-core; no browser download)
// from a file:// URL and measures what a reviewer sees:
// - every statechart is drawn, fits the page's width at its default zoom with text at a legible
//   size, and no two text boxes of a chart overlap (Graphviz edge labels used to pile up);
//   the large ones zoom (CSS only) to twice their size;
// - no id is used twice on the page;
// - the composed system's aqic-v4 counterexample shows AQIC enabled, then kvm_s390_gisa_destroy,
//   before any AQIC disable; its picture marks the violating state (the property, the objects
//   and the values it read) and draws the connectors between steps dark enough to see.
// Screenshots go to test-results/export/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { renderPage, writePageFiles } from '../../src/export/page.ts';
import { explorerResult, fixtureResults } from './fixture.ts';
import { toySpecs } from './toys.ts';

// browser globals inside the functions playwright runs in the page (the package compiles without the DOM library)
declare const document: { querySelectorAll(selector: string): Iterable<{ id: string }> };
declare function getComputedStyle(element: unknown): { stroke: string; strokeWidth: string; backgroundColor: string };
type SVGGraphicsElement = { getScreenCTM(): { a: number } | null };

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = resolve('test-results/export');

/** Pairs of text boxes of one chart that overlap by more than half a pixel each way. */
async function overlaps(tab: Page, figure: string): Promise<string[]> {
  return tab.locator(figure).evaluate((fig) => {
    const boxes = [...fig.querySelectorAll('svg text')]
      .filter((t) => (t.textContent ?? '').trim() !== '')
      .map((t) => ({ text: t.textContent!, r: t.getBoundingClientRect() }));
    const bad: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!.r;
        const b = boxes[j]!.r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0.5 && h > 0.5) bad.push(`'${boxes[i]!.text}' over '${boxes[j]!.text}' (${w.toFixed(1)} x ${h.toFixed(1)} px)`);
      }
    }
    return bad;
  });
}

/** Relative luminance contrast of two CSS colours (WCAG). */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((x) => Number(x) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

describe('the review page in chromium', () => {
  it('draws every chart legibly at the page width, uses no id twice, and marks the aqic-v4 violation', async (ctx) => {
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
    await writePageFiles(page, await renderPage(registry, [aqic, ...fixtureResults()], { coverageMaxStates: 50 }), []);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // offline: any request that is not the page itself fails the test
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      expect(requests).toEqual([pathToFileURL(page).href]);

      // no id twice (sections used to share their id with the chart's Graphviz group)
      const dup = await tab.evaluate(() => {
        const seen = new Map<string, number>();
        for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
        return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      });
      expect(dup, 'ids used more than once').toEqual([]);

      const diagrams = tab.locator('figure.diagram');
      expect(await diagrams.count()).toBe(registry.length);
      for (let i = 0; i < registry.length; i++) {
        const id = registry[i]!.id;
        const fig = `figure.diagram[data-machine="${id}"]`;
        const svg = tab.locator(`${fig} svg`).first();
        await expect.poll(() => svg.isVisible()).toBe(true);
        const [box, figBox] = [await svg.boundingBox(), await tab.locator(fig).boundingBox()];
        expect(box!.width, `chart ${id}`).toBeGreaterThan(20);
        expect(box!.height, `chart ${id}`).toBeGreaterThan(20);
        // at its default zoom the chart fits the page's width ...
        expect(box!.width, `chart ${id} fits the page`).toBeLessThanOrEqual(figBox!.width);
        // ... and its smallest text is drawn at 11 px or more
        const smallest = await tab.locator(fig).evaluate((f) =>
          Math.min(...[...f.querySelectorAll('svg text')].map((t) => Number(t.getAttribute('font-size')) * (t as SVGGraphicsElement).getScreenCTM()!.a)),
        );
        expect(smallest, `smallest text of ${id} in px`).toBeGreaterThanOrEqual(11);
        expect(await overlaps(tab, fig), `overlapping labels in ${id}`).toEqual([]);
      }

      if (system) {
        // the large chart zooms without a script: 200% draws it twice as wide as its natural size
        const fig = tab.locator('figure.diagram[data-machine="system"]');
        const natural = Number((await fig.getAttribute('style'))!.match(/--w:(\d+)px/)![1]);
        await fig.locator('label', { hasText: '200%' }).click();
        expect(Math.round((await fig.locator('svg').first().boundingBox())!.width)).toBe(2 * natural);
        expect(await overlaps(tab, 'figure.diagram[data-machine="system"]'), 'overlapping labels at 200%').toEqual([]);
        await fig.locator('label', { hasText: '100%' }).click();
        await fig.screenshot({ path: resolve(OUT, 'system-chart.png') });
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

      // the violating state: the last step's box outlined, below the steps a box naming the
      // property, the objects and the values it read there
      const mark = cx.locator('svg.sequence g.violation');
      expect(await mark.getAttribute('data-property')).toBe(property);
      expect(Number(await mark.getAttribute('data-step'))).toBe(steps.length);
      expect(await cx.locator(`svg.sequence g.step.violating`).getAttribute('data-step')).toBe(String(steps.length));
      const markText = (await mark.locator('text').allTextContents()).join('\n');
      expect(markText).toContain(`✗ ${property} violated after step ${steps.length}`);
      if (system) {
        // the GISA of vm 0 is gone (origin false) while queue 0 still has interruptions enabled into it
        expect(markText).toMatch(/^vms\[0\]: .*gisa\.origin = false/m);
        expect(markText).toMatch(/^queues\[0\]: .*irq = true.*hwGisa = 0/m);
      }
      const lastStep = (await cx.locator('svg.sequence g.step').last().boundingBox())!;
      const markBox = (await mark.locator('rect').boundingBox())!;
      expect(markBox.y).toBeGreaterThan(lastStep.y + lastStep.height);
      expect(await overlaps(tab, `.counterexample[data-machine="${aqic.machine}"][data-variant="aqic-v4"][data-property="${property}"] .seq`), 'overlapping text in the picture').toEqual([]);

      // the connectors between steps: dark enough on the picture's background, and not hairlines
      const line = cx.locator('svg.sequence line.order').first();
      const [stroke, width, background] = await line.evaluate((l) => {
        const s = getComputedStyle(l);
        return [s.stroke, parseFloat(s.strokeWidth), getComputedStyle(l.closest('.counterexample')!).backgroundColor];
      });
      expect(contrast(stroke, background), `connector ${stroke} on ${background}`).toBeGreaterThanOrEqual(4.5);
      expect(width).toBeGreaterThanOrEqual(1.5);

      await cx.screenshot({ path: resolve(OUT, 'aqic-v4-counterexample.png') });
      await tab.evaluate('window.scrollTo(0, 0)');
      await tab.screenshot({ path: resolve(OUT, 'review-page.png') });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
