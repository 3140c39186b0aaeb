// Issue 19 in the page: the heatmap shows the attention weights, what each key moves
// (the Trace's contributions) or attention rollout through the layers, and can hide
// the first token as a marked view transform. Real Chromium on the built page;
// numbers read back through the hover read-out and the pixels, and checked against
// the session's own matrices.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serveDist, openPage, screenshot, viridisInverse } from './harness.js';

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
  const pixels = () => page.evaluate(() => Promise.all(Array.from(document.querySelectorAll('section[data-view="grid"] canvas'))
    .map(async (c) => Array.from((await window.__llmsimPixels(c)).data).reduce((a, b) => (a * 31 + b) >>> 0, 7))));
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

// Rollout through layers 0..layer, computed in the page from the run's own weights
// (every head of every layer up to it, fetched from the engine for this run):
// R_l = (mean of heads + I)/2 · R_{l−1}. [T*T] row-major.
function referenceRollout(page, layer) {
  return page.evaluate(async (last) => {
    const s = window.__llmsim, T = s.summary.tokens.length, H = s.summary.n_head;
    const needs = [];
    for (let l = 0; l <= last; l++) for (let h = 0; h < H; h++) needs.push({ matrix: ['weights', l, h] });
    const got = await s.engine.matrices(s.runNumber, needs);
    let r = Array.from({ length: T * T }, (_, k) => (k % (T + 1) === 0 ? 1 : 0));
    for (let l = 0; l <= last; l++) {
      const next = new Array(T * T).fill(0);
      for (let i = 0; i < T; i++)
        for (let k = 0; k < T; k++) {
          let a = 0;
          for (let h = 0; h < H; h++) a += got.get(`weights/${l}/${h}`).data[i * T + k] / H;
          const m = (a + (i === k ? 1 : 0)) / 2;
          for (let j = 0; j < T; j++) next[i * T + j] += m * r[k * T + j];
        }
      r = next;
    }
    return r;
  }, layer);
}

// The value a heatmap cell's colour stands for, read back from its pixel.
async function drawnValue(page, query, key) {
  const rgb = await page.evaluate(async ([q, k]) => {
    await window.__llmsimPainted();
    const canvas = document.getElementById('heatmap-canvas'), l = window.__llmsimHeatmapLayout, ratio = window.devicePixelRatio;
    const x = Math.round((l.left + (k - l.col0 + 0.5) * l.cell) * ratio), y = Math.round((l.top + (q - l.row0 + 0.5) * l.cell) * ratio);
    return Array.from((await window.__llmsimPixels(canvas, x, y, 1, 1)).data.slice(0, 3));
  }, [query, key]);
  const { t, d } = viridisInverse(rgb);
  assert.ok(d < 4, `cell (${query}, ${key}) colour ${rgb} is not on the viridis curve`);
  return t;
}

test('heatmap: "through all layers (rollout)" draws the rollout of layers 0..layer, with the head\'s own weights beside it', async () => {
  const text = 'The cat sat on the mat. The cat sat on the mat.';
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&layer=2&head=1&text=${encodeURIComponent(text)}`);
  await page.waitForFunction(() => window.__llmsimHeatmapLayout);
  assert.equal(await page.$eval('#heatmap-contrast', (f) => f.hidden), true, 'no contrast heatmap for plain weights');
  await page.selectOption('#measure', 'rollout');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('measure') === 'rollout');
  await page.waitForFunction(() => !document.getElementById('heatmap-contrast').hidden);
  const note = await page.$eval('#transform-note', (n) => (n.hidden ? '' : n.textContent));
  assert.match(note, /measure across layers/);
  assert.match(note, /layers 0–2/);

  const T = await page.evaluate(() => window.__llmsim.summary.tokens.length);
  const head = await page.evaluate(() => Array.from(window.__llmsim.matrix('weights').data));
  for (const layer of [2, 1]) {
    if (layer !== 2) {
      await page.selectOption('#layer', String(layer));
      await page.waitForFunction((l) => window.__llmsim.state.layer === l && !window.__llmsim.inFlight, layer);
      await page.waitForFunction((l) => document.getElementById('transform-note').textContent.includes(`layers 0–${l}`), layer);
    }
    const expected = await referenceRollout(page, layer);
    const cells = [[3, 3], [7, 0], [10, 4], [T - 1, 5], [T - 1, T - 1], [12, 6]];
    for (const [q, k] of cells) {
      const cell = await hoverCell(page, q, k);
      assert.ok(Math.abs(Number(cell.shown) - expected[q * T + k]) < 1e-5,
        `layer ${layer} (${q}, ${k}): shown ${cell.shown}, rollout ${expected[q * T + k]}`);
      assert.match(cell.text, new RegExp(`rollout through layers 0–${layer}`));
      const t = await drawnValue(page, q, k);
      assert.ok(Math.abs(t - expected[q * T + k]) < 0.01, `layer ${layer} (${q}, ${k}): drawn ${t}, rollout ${expected[q * T + k]}`);
    }
    if (layer === 2) {
      // The read-out quotes the selected head's own weight beside the rollout.
      const cell = await hoverCell(page, 7, 0);
      assert.ok(Math.abs(Number(cell.weight) - head[7 * T]) < 1e-6);
      await screenshot(page, 'heatmap-rollout');
    }
  }
  // The contrast heatmap is the head's raw weights, a different picture.
  const caption = await page.textContent('#heatmap-contrast-caption');
  assert.match(caption, /Layer 1, head 1 alone/);
  const differ = await page.evaluate(async () => {
    const sum = async (c) => Array.from((await window.__llmsimPixels(c)).data).reduce((a, b) => (a * 31 + b) >>> 0, 7);
    return await sum(document.getElementById('heatmap-canvas')) !== await sum(document.getElementById('heatmap-contrast-canvas'));
  });
  assert.ok(differ);

  // Arcs draw the same rollout; their head overlay is off, since the heads are mixed.
  await page.click('#tab-arcs');
  await page.evaluate(() => window.__llmsim.set({ token: 10 }));
  await page.waitForFunction(() => document.getElementById('arcs-readout').textContent.includes('through layers 0–1'));
  const arcs = await page.$eval('#arcs-readout', (r) => ({ ...r.dataset }));
  const expected = await referenceRollout(page, 1);
  assert.ok(Math.abs(Number(arcs.weight) - expected[10 * T + Number(arcs.key)]) < 1e-5);
  assert.equal(await page.$$eval('#arcs-heads input', (boxes) => boxes.every((b) => b.disabled)), true);
  await screenshot(page, 'arcs-rollout');

  // The grid is of single heads: it draws weights, says so, and does not offer rollout.
  await page.click('#tab-grid');
  await page.waitForFunction(() => document.getElementById('grid-summary').textContent.includes('Rollout mixes every head'));
  await screenshot(page, 'grid-rollout');
  await page.selectOption('#measure', 'weight');
  await page.waitForFunction(() => window.__llmsim.state.measure === 'weight');
  const option = await page.$eval('#measure option[value="rollout"]', (o) => ({ disabled: o.disabled, title: o.title }));
  assert.equal(option.disabled, true);
  assert.match(option.title, /single heads/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('heatmap: "how much moves" on the sink head — a large weight on the first token moves almost nothing', async () => {
  const text = 'The cat sat on the mat because it was tired.';
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&layer=1&head=0&measure=amount&text=${encodeURIComponent(text)}`);
  await page.waitForFunction(() => window.__llmsimHeatmapLayout);
  const { weights, norms, T } = await page.evaluate(() => ({
    weights: Array.from(window.__llmsim.matrix('weights').data),
    norms: Array.from(window.__llmsim.matrix('value_norms').data),
    T: window.__llmsim.summary.tokens.length,
  }));
  const longest = Math.max(...norms);
  const q = T - 1;
  for (const k of [0, 1, q - 1]) {
    const cell = await hoverCell(page, q, k);
    const expected = (weights[q * T + k] * norms[k]) / longest;  // computed here from the session's matrices
    assert.ok(Math.abs(Number(cell.shown) - expected) < 1e-6, `key ${k}: shown ${cell.shown}, expected ${expected}`);
  }
  // The sink: most of the row's weight on the first token, whose vector is short.
  assert.ok(weights[q * T] > 0.5, `the first token's weight ${weights[q * T]}`);
  assert.ok(norms[0] < 0.2 * longest, `its ‖v·W_O‖ ${norms[0]} against ${longest}`);
  const sink = await hoverCell(page, q, 0);
  assert.ok(Number(sink.shown) < 0.2);
  const quoted = Number(/α·‖v·W_O‖ of the longest ([0-9.e-]+)/.exec(sink.text)[1]);  // the read-out says it in words
  assert.ok(Math.abs(quoted - Number(sink.shown)) < 1e-5, sink.text);
  await screenshot(page, 'heatmap-amount-sink');
  assert.deepEqual(errors, []);
  await page.close();
});
