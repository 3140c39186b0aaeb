// Issue 19 in the page: the heatmap shows either the attention weights or what each
// key moves (the Trace's contributions), and can hide the first token as a marked
// view transform. Real Chromium on the built page; numbers read back through the
// hover read-out and checked against the session's own matrices.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serveDist, openPage, screenshot } from './harness.js';

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

async function hoverCell(page, query, key) {
  const { x, y } = await page.evaluate(([q, k]) => {
    const canvas = document.getElementById('heatmap-canvas');
    canvas.scrollIntoView({ block: 'center' });
    const l = window.__llmsimHeatmapLayout, r = canvas.getBoundingClientRect();
    return { x: r.left + l.left + (k - l.col0 + 0.5) * l.cell, y: r.top + l.top + (q - l.row0 + 0.5) * l.cell };
  }, [query, key]);
  await page.mouse.move(x, y);
  await page.waitForFunction(([q, k]) => {
    const d = document.getElementById('readout').dataset;
    return d.query === String(q) && d.key === String(k);
  }, [query, key]);
  return page.$eval('#readout', (r) => ({ ...r.dataset, text: r.textContent }));
}

test('heatmap: "what moves" draws the contributions, "hide the first token" renormalises the rest, both in the URL', async () => {
  const text = 'She opened the door and walked into the quiet garden.';
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&layer=1&head=0&text=${encodeURIComponent(text)}`);
  await page.waitForFunction(() => window.__llmsimHeatmapLayout);
  const q = 6;
  // The session's own matrices for this head (what the worker sent).
  const { weights, contributions, T } = await page.evaluate(() => ({
    weights: Array.from(window.__llmsim.matrix('weights').data),
    contributions: Array.from(window.__llmsim.matrix('contributions').data),
    T: window.__llmsim.summary.tokens.length,
  }));
  let cell = await hoverCell(page, q, 0);
  assert.ok(Math.abs(Number(cell.shown) - weights[q * T]) < 1e-6, 'by default the weight is drawn');
  assert.match(cell.text, /moves .* of the row/);

  await page.selectOption('#measure', 'contribution');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('measure') === 'contribution');
  cell = await hoverCell(page, q, 1);
  assert.ok(Math.abs(Number(cell.shown) - contributions[q * T + 1]) < 1e-6, 'contributions drawn');

  await page.check('#hidefirst');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('hidefirst') === '1');
  assert.equal(await page.$eval('#transform-note', (n) => n.hidden), false, 'the transform is marked');
  let rest = 0;
  for (let k = 1; k <= q; k++) rest += contributions[q * T + k];
  for (const k of [0, 1, 3]) {
    cell = await hoverCell(page, q, k);
    const expected = k === 0 ? 0 : contributions[q * T + k] / rest;
    assert.ok(Math.abs(Number(cell.shown) - expected) < 1e-5, `key ${k}: shown ${cell.shown}, expected ${expected}`);
  }
  assert.match(cell.text, /first token hidden/);
  await screenshot(page, 'heatmap-contribution-hidefirst');

  // The link reopens the same picture.
  const { page: again } = await openPage(browser.context, page.url());
  await again.waitForFunction(() => window.__llmsimHeatmapLayout);
  assert.equal(await again.$eval('#measure', (s) => s.value), 'contribution');
  assert.equal(await again.$eval('#hidefirst', (c) => c.checked), true);
  assert.deepEqual(errors, []);
  await page.close();
  await again.close();
});

test('arcs and the head grid follow the same switch: the grid redraws its thumbnails from the contributions', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=grid&text=${encodeURIComponent('The cat sat on the mat because it was warm.')}`);
  const pixels = () => page.evaluate(() => Array.from(document.querySelectorAll('section[data-view="grid"] canvas'))
    .map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).reduce((a, b) => (a * 31 + b) >>> 0, 7)));
  await page.waitForFunction(() => document.querySelectorAll('section[data-view="grid"] canvas').length > 0);
  await page.waitForTimeout(300);  // the other thumbnails draw when idle
  const before = await pixels();
  await page.selectOption('#measure', 'contribution');
  await page.waitForTimeout(600);
  const after = await pixels();
  const changed = before.filter((p, i) => p !== after[i]).length;
  assert.ok(changed >= before.length - 1, `${changed} of ${before.length} thumbnails redrawn`);
  await screenshot(page, 'grid-contribution');
  await page.click('#tab-arcs');
  await page.waitForFunction(() => document.querySelector('section[data-view="arcs"]').hidden === false);
  await page.hover('#text');  // no token hovered: the readout follows the selection or asks
  await page.evaluate(() => window.__llmsim.set({ token: 5 }));
  await page.waitForFunction(() => document.querySelector('section[data-view="arcs"] .readout')?.textContent.includes('what moves'));
  assert.deepEqual(errors, []);
  await page.close();
});
