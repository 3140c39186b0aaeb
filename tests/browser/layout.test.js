// The page's promises about screens and looks, in real Chromium: every view fits from
// 360 px to 2560 px wide, canvases are crisp on a 2× screen, the theme switch recolours
// the drawing and is remembered, and the heatmap's zoom and pan make the longest text
// readable cell by cell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serveDist, openPage, screenshot } from './harness.js';

const VIEWS = ['tokens', 'arcs', 'heatmap', 'grid', 'qkv', 'multihead', 'scaling', 'predictions', 'compare', 'train'];

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

async function showView(page, view) {
  await page.click(`#tab-${view}`);
  await page.waitForFunction((v) => document.body.dataset.view === v, view);
}

test('every view fits the page from 360 px to 2560 px wide', async () => {
  for (const width of [360, 2560]) {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height: 1000 });
    await page.goto(`${site.url}?token=4`);
    await page.waitForSelector('body[data-ready="true"]');
    for (const view of VIEWS) {
      await showView(page, view);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${view} at ${width}px overflows the page by ${overflow}px`);
      if (width === 2560 && (view === 'arcs' || view === 'heatmap')) await screenshot(page, `view-${view}-2560-light`);
    }
    await page.close();
  }
});

test('on a 2× screen every canvas in view has two pixels per CSS pixel', async () => {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 2, mobile: false });
  await page.goto(`${site.url}?token=4`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.evaluate(() => window.devicePixelRatio), 2);
  for (const view of VIEWS) {
    await showView(page, view);
    const canvases = await page.$$eval(`section[data-view="${view}"] canvas`, (cs) => cs
      .filter((c) => c.getBoundingClientRect().width > 0)
      .map((c) => ({ id: c.id, css: c.getBoundingClientRect().width, px: c.width })));
    for (const c of canvases) assert.ok(Math.abs(c.px - 2 * c.css) <= 2, `${view} ${c.id}: ${c.px} px for ${c.css} CSS px`);
  }
  await page.close();
});

test('the theme switch goes auto → light → dark, recolours the canvases, and is kept on reload', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap`);
  const corner = () => page.$eval('#heatmap-canvas', async (c) => Array.from((await window.__llmsimPixels(c, 1, 1, 1, 1)).data.slice(0, 3)));
  const brightness = (rgb) => rgb[0] + rgb[1] + rgb[2];
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);  // auto
  await page.click('#theme-toggle');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  const light = await corner();
  await page.click('#theme-toggle');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  const dark = await corner();
  assert.ok(brightness(dark) < brightness(light) - 300, `light ${light}, dark ${dark}`);
  assert.match(await page.getAttribute('#theme-toggle', 'aria-label'), /dark/);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.deepEqual(await corner(), dark);
  await page.click('#theme-toggle');  // back to auto, for the other tests
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
  assert.deepEqual(errors, []);
  await page.close();
});

test('heatmap on a short text: the zoom buttons that would do nothing are disabled', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=heatmap`);  // 12 tokens: cells at their largest
  assert.equal((await page.evaluate(() => window.__llmsimHeatmapLayout)).cell, 36);
  assert.deepEqual(await page.$$eval('#zoom-in, #zoom-out, #zoom-fit', (bs) => bs.map((b) => b.disabled)), [true, true, true]);
  await page.close();
});

test('heatmap at the token limit: zoom brings the labels back, drag pans, and the read-out stays exact', async () => {
  const words = [' the', ' cat', ' sat', ' on', ' mat', ' and', ' a', ' dog', ' ran', ' to'];
  const text = 'Once' + Array.from({ length: 200 }, (_, i) => words[i % words.length]).join('');
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&text=${encodeURIComponent(text)}`);
  const layout = () => page.evaluate(() => window.__llmsimHeatmapLayout);
  const fit = await layout();
  assert.equal(fit.count, fit.T);           // the whole matrix...
  assert.ok(fit.showLabels && fit.labelEvery > 1, JSON.stringify(fit));  // ...every n-th token labelled
  // at fit there is nothing to zoom out to
  assert.deepEqual(await page.$$eval('#zoom-in, #zoom-out, #zoom-fit', (bs) => bs.map((b) => b.disabled)), [false, true, true]);
  await page.click('#zoom-in');
  await page.click('#zoom-in');
  const zoomed = await layout();
  assert.deepEqual(await page.$$eval('#zoom-out, #zoom-fit', (bs) => bs.map((b) => b.disabled)), [false, false]);
  assert.ok(zoomed.showLabels && zoomed.cell >= 10 && zoomed.labelEvery === 1, JSON.stringify(zoomed));  // every token
  assert.ok(zoomed.count < zoomed.T);

  // Drag up and to the left: the window moves towards later queries and keys.
  const box = await page.$eval('#heatmap-canvas', (c) => { const r = c.getBoundingClientRect(); return { x: r.left, y: r.top }; });
  const start = { x: box.x + zoomed.left + 5 * zoomed.cell, y: box.y + zoomed.top + 5 * zoomed.cell };
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(start.x - 3 * zoomed.cell, start.y - 4 * zoomed.cell, { steps: 4 });
  await page.mouse.up();
  const panned = await layout();
  assert.equal(panned.col0 - zoomed.col0, 3);
  assert.equal(panned.row0 - zoomed.row0, 4);

  // Hover a cell in the panned window: the read-out is the engine's weight there.
  const query = panned.row0 + 6, key = panned.row0 + 2;
  assert.ok(key >= panned.col0 && key < panned.col0 + panned.count, JSON.stringify(panned));
  await page.mouse.move(box.x + panned.left + (key - panned.col0 + 0.5) * panned.cell, box.y + panned.top + (query - panned.row0 + 0.5) * panned.cell);
  const readout = await page.textContent('#readout');
  const weight = await page.evaluate(([q, k]) => {
    const m = window.__llmsim.matrix('weights');  // the run on screen, as the engine sent it
    return m.data[q * m.cols + k];
  }, [query, key]);
  assert.ok(readout.includes(`(#${query}) → key`) && readout.includes(`(#${key})`), readout);
  assert.ok(readout.includes(`weight ${weight.toPrecision(6)}`), `${readout} vs ${weight}`);
  assert.deepEqual(errors, []);
  await page.close();
});
