// "Export SVG" on the real page: the downloaded file parses, holds the tokens as text
// (escaped: one token is markup), its cells have the canvas's colours and land where the
// canvas has them when the SVG is rendered, the caption follows its checkbox (for the
// PNG too), and a view with no figure says so. Real Chromium on the built page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, serveDist, openPage, screenshotDir } from './harness.js';
import { tokenLabel } from '../../web/src/views/canvas.js';

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

// A token of markup among ordinary words: it must come out as text, never as an element.
const TEXT = 'The cat <script>&"\' sat on the mat.';
const CAPTION_HEIGHT = 2 * 10 + 2 * 18;  // download.js: padding above and below, two lines

async function exportSvg(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-svg')]);
  return { name: download.suggestedFilename(), svg: await fs.promises.readFile(await download.path(), 'utf8') };
}

// The SVG parsed in the page: whether it parsed, its size, its texts, its elements.
function parsed(page, svg) {
  return page.evaluate((source) => {
    const doc = new DOMParser().parseFromString(source, 'image/svg+xml');
    const root = doc.documentElement;
    return {
      error: doc.querySelector('parsererror') ? doc.querySelector('parsererror').textContent : null,
      root: root.localName, width: Number(root.getAttribute('width')), height: Number(root.getAttribute('height')),
      texts: Array.from(doc.querySelectorAll('text'), (t) => t.textContent),
      scripts: doc.getElementsByTagName('script').length,
      images: doc.getElementsByTagName('image').length,
      strokedPaths: doc.querySelectorAll('path[fill="none"]').length,
      // the cells: rectangles of the cell grids, in figure coordinates
      cells: Array.from(doc.querySelectorAll('g[shape-rendering="crispEdges"] > rect'), (r) => ({
        x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')),
        w: Number(r.getAttribute('width')), h: Number(r.getAttribute('height')), fill: r.getAttribute('fill'),
      })),
    };
  }, svg);
}

// The SVG rendered by the browser as an image, in a page of its own (the site's
// Content-Security-Policy allows no data: images), screenshotted, and its pixels at
// `points` (CSS pixels) read back at `scale` device pixels per CSS pixel.
async function renderSvg(svg, points, scale, shot) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.setContent(`<body style="margin:0;background:#fff"><img id="figure" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}"></body>`);
  await page.waitForFunction(() => document.getElementById('figure').complete);
  if (shot) {
    fs.mkdirSync(screenshotDir, { recursive: true });
    await (await page.$('#figure')).screenshot({ path: path.join(screenshotDir, shot) });
  }
  const pixels = await page.evaluate(([pts, s]) => {
    const img = document.getElementById('figure');
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(img.naturalWidth * s);
    canvas.height = Math.round(img.naturalHeight * s);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return pts.map(({ x, y }) => Array.from(ctx.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data.slice(0, 3)));
  }, [points, scale]);
  await page.close();
  return pixels;
}

const hex = (fill) => [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
const close = (a, b, tolerance = 2) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

test('heatmap: the SVG parses, holds every token as text, and its cells are the canvas\'s colours in the canvas\'s places', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&layer=1&head=0&text=${encodeURIComponent(TEXT)}`);
  await page.waitForFunction(() => window.__llmsimHeatmapLayout);
  const { name, svg } = await exportSvg(page);
  assert.equal(name, 'attention-heatmap.svg');
  const doc = await parsed(page, svg);
  assert.equal(doc.error, null);
  assert.equal(doc.root, 'svg');
  assert.equal(doc.scripts, 0, 'the markup token stayed text');
  assert.equal(doc.images, 0, 'no bitmap in it');

  const { tokens, layout, size, dpr } = await page.evaluate(() => {
    const c = document.getElementById('heatmap-canvas');
    return { tokens: window.__llmsim.summary.tokens, layout: window.__llmsimHeatmapLayout,
      size: [parseFloat(c.style.width), parseFloat(c.style.height)], dpr: window.devicePixelRatio };
  });
  assert.ok(tokens.some((t) => t.includes('<')), `a token holds the markup: ${JSON.stringify(tokens)}`);
  for (const token of tokens) assert.ok(doc.texts.includes(tokenLabel(token, 10)), `token ${JSON.stringify(token)} is a <text>`);
  // The caption above the figure, as text; the figure below it at the canvas's size.
  assert.match(doc.texts[0], /^Attention, computed · Heatmap · .* · layer 1, head 0$/);
  assert.equal(doc.texts[1], `“${TEXT}”`);
  assert.deepEqual([doc.width, doc.height], [size[0], size[1] + CAPTION_HEIGHT]);

  // Every visible cell (on and below the diagonal: the future is hatched): the canvas's
  // pixel at its centre against the fill of the <rect> that covers that point.
  const centres = [];
  for (let q = 0; q < layout.count && layout.row0 + q < tokens.length; q++)
    for (let k = 0; k <= q; k++) centres.push({ q, k, x: layout.left + (k + 0.5) * layout.cell, y: layout.top + (q + 0.5) * layout.cell });
  const screen = await page.evaluate(async ([points, ratio]) => {
    const image = await window.__llmsimPixels(document.getElementById('heatmap-canvas'));  // drawn in the page's painting worker
    return points.map(({ x, y }) => {
      const at = (Math.floor(y * ratio) * image.width + Math.floor(x * ratio)) * 4;
      return Array.from(image.data.slice(at, at + 3));
    });
  }, [centres, dpr]);
  assert.ok(centres.length >= 45, `${centres.length} cells checked`);
  centres.forEach(({ q, k, x, y }, i) => {
    const covering = doc.cells.filter((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
    assert.equal(covering.length, 1, `one rectangle covers cell ${q},${k}`);
    assert.ok(close(hex(covering[0].fill), screen[i]), `cell ${q},${k}: SVG ${covering[0].fill} vs canvas ${screen[i]}`);
  });

  // Rendered by the browser, the SVG's cells are where the canvas has them (below the caption).
  const rendered = await renderSvg(svg, centres.map(({ x, y }) => ({ x, y: y + CAPTION_HEIGHT })), dpr, 'export-svg-heatmap.png');
  centres.forEach(({ q, k }, i) => assert.ok(close(rendered[i], screen[i], 3), `rendered cell ${q},${k}: ${rendered[i]} vs canvas ${screen[i]}`));
  assert.deepEqual(errors, []);
  await page.close();
});

test('arcs: the whole row as paths, one stroke per arc shown, every token as text', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=arcs&layer=1&head=0&text=${encodeURIComponent(TEXT)}`);
  const { name, svg } = await exportSvg(page);
  assert.equal(name, 'attention-arcs.svg');
  const doc = await parsed(page, svg);
  assert.equal(doc.error, null);
  assert.equal(doc.scripts, 0);
  assert.equal(doc.images, 0, 'the kept-arcs layer is not pasted in as a bitmap');
  const { tokens, arcs } = await page.evaluate(() => {
    const s = window.__llmsim, w = s.matrix('weights').data;
    return { tokens: s.summary.tokens, arcs: Array.from(w).filter((x) => x >= s.state.threshold).length };
  });
  for (const token of tokens) assert.ok(doc.texts.includes(tokenLabel(token, 16)), `token ${JSON.stringify(token)} is a <text>`);
  assert.equal(doc.strokedPaths, arcs, 'a stroked path for every arc above the threshold');
  await renderSvg(svg, [], 1, 'export-svg-arcs.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the caption checkbox: on, the caption is in the SVG and the PNG; off, neither has it', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap`);
  await page.waitForFunction(() => window.__llmsimHeatmapLayout);
  assert.equal(await page.isChecked('#export-caption'), true, 'on by default');
  const size = await page.$eval('#heatmap-canvas', (c) => ({ css: [parseFloat(c.style.width), parseFloat(c.style.height)], px: [c.width, c.height] }));
  const png = async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    const bytes = await fs.promises.readFile(await download.path());
    return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];  // IHDR width, height
  };

  let doc = await parsed(page, (await exportSvg(page)).svg);
  assert.ok(doc.texts.some((t) => t.startsWith('Attention, computed')));
  assert.equal(doc.height, size.css[1] + CAPTION_HEIGHT);
  assert.ok((await png())[1] > size.px[1] + 30, 'the PNG has its caption band');

  await page.uncheck('#export-caption');
  doc = await parsed(page, (await exportSvg(page)).svg);
  assert.equal(doc.error, null);
  assert.ok(!doc.texts.some((t) => t.startsWith('Attention, computed') || t.startsWith('“')), `no caption: ${doc.texts.slice(0, 3)}`);
  assert.deepEqual([doc.width, doc.height], size.css);
  assert.deepEqual(await png(), size.px, 'the PNG is the canvas alone');
  assert.deepEqual(errors, []);
  await page.close();
});

test('every view with a figure exports a parsing SVG; the tokens view says it has none', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=tokens`);
  for (const id of ['#export-svg', '#export-png']) {
    assert.equal(await page.isDisabled(id), true, `${id} is off on the tokens view`);
    assert.match(await page.getAttribute(id, 'title'), /not drawn as a figure/);
  }
  for (const view of ['qkv', 'scaling', 'multihead', 'grid', 'predictions']) {
    await page.click(`#tab-${view}`);
    await page.waitForFunction((v) => document.body.dataset.view === v, view);
    // The √dₖ lab's curves come from the worker when it first opens.
    if (view === 'scaling') await page.waitForFunction(() => document.getElementById('scaling-numbers').dataset.dk);
    assert.equal(await page.isDisabled('#export-svg'), false, `${view} exports`);
    const { name, svg } = await exportSvg(page);
    assert.equal(name, `attention-${view}.svg`);
    const doc = await parsed(page, svg);
    assert.equal(doc.error, null, `${view}: ${doc.error}`);
    assert.equal(doc.images, 0, `${view} has no bitmap`);
    assert.ok(doc.texts.length > 2, `${view} has text beyond its caption`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
