// The compare view on the real page: two matrices that share the text and their
// difference, each checked against matrices the page computed on its own (another
// head of the same run; a page opened with √dₖ off), and its state in the URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, serveDist, openPage, screenshot } from './harness.js';

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

const TEXT = 'The cat sat on the mat because it was tired.';

// Waits until the compare view has drawn its difference (or said why not).
function drawn(page) {
  return page.waitForFunction(() => {
    const s = window.__llmsim;
    return s.summary && !s.inFlight && document.querySelector('#compare-summary').textContent !== '';
  }, null, { timeout: 20000 });
}

// Mean |B − A| over the cells a causal model lets a query see.
function meanAbsDifference(a, b, T) {
  let sum = 0, cells = 0;
  for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) { sum += Math.abs(b[i * T + j] - a[i * T + j]); cells++; }
  return sum / cells;
}

// The colour of the difference map's cell (query, key), read from its canvas.
function cellColour(page, query, key) {
  return page.evaluate(async ([q, k]) => {
    const canvas = document.querySelector('#compare-diff');
    await window.__llmsimPainted();
    const { left, top, cell } = window.__llmsimCompareLayout;
    const ratio = window.devicePixelRatio;
    const p = (await window.__llmsimPixels(canvas, Math.floor((left + (k + 0.5) * cell) * ratio), Math.floor((top + (q + 0.5) * cell) * ratio), 1, 1)).data;
    return [p[0], p[1], p[2]];
  }, [query, key]);
}

test('compare: another head — the difference is that head minus the selected one, the largest cell is orange', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=compare&layer=0&head=0&cmplayer=0&cmphead=1&text=${encodeURIComponent(TEXT)}`);
  await drawn(page);
  const figures = await page.evaluate(() => {
    const s = window.__llmsim;
    return { a: Array.from(s.matrix('weights', 0, 0).data), b: Array.from(s.matrix('weights', 0, 1).data), T: s.summary.tokens.length,
      shown: Number(document.querySelector('#compare-summary').dataset.meanAbs), line: document.querySelector('#compare-summary').textContent };
  });
  const expected = meanAbsDifference(figures.a, figures.b, figures.T);
  assert.ok(expected > 0.01, 'two different heads');
  assert.ok(Math.abs(figures.shown - expected) < 1e-6, `${figures.shown} vs ${expected}`);
  // The largest cell, found here, is named in the read-out and drawn orange (B attends more).
  let best = { d: 0 };
  for (let i = 0; i < figures.T; i++) for (let j = 0; j <= i; j++) {
    const d = figures.b[i * figures.T + j] - figures.a[i * figures.T + j];
    if (Math.abs(d) > Math.abs(best.d)) best = { i, j, d };
  }
  assert.match(figures.line, new RegExp(`\\(#${best.i}\\) → key .*\\(#${best.j}\\), ${best.d > 0 ? '\\+' : '−'}`));
  const [r, , b] = await cellColour(page, best.i, best.j);
  if (best.d > 0) assert.ok(r > b + 60, `orange expected, got rgb ${r},?,${b}`);
  else assert.ok(b > r + 60, `blue expected, got rgb ${r},?,${b}`);
  await screenshot(page, 'compare-heads');
  assert.deepEqual(errors, []);
  await page.close();
});

test('compare: √dₖ switched — the right matrix is what the page shows with scaling off', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=compare&compare=unscaled&layer=1&head=2&text=${encodeURIComponent(TEXT)}`);
  await drawn(page);
  const a = await page.evaluate(() => Array.from(window.__llmsim.matrix('weights', 1, 2).data));
  const shown = await page.evaluate(() => Number(document.querySelector('#compare-summary').dataset.meanAbs));
  assert.match(await page.textContent('#compare-b-title'), /without √dₖ/);
  // An independent run: the heatmap page with scaling off.
  const other = await openPage(browser.context, `${site.url}?view=heatmap&scale=0&layer=1&head=2&text=${encodeURIComponent(TEXT)}`);
  const b = await other.page.evaluate(() => Array.from(window.__llmsim.matrix('weights', 1, 2).data));
  const T = Math.round(Math.sqrt(a.length));
  assert.ok(Math.abs(shown - meanAbsDifference(a, b, T)) < 1e-6, `${shown} vs ${meanAbsDifference(a, b, T)}`);
  assert.ok(shown > 1e-3, 'scaling changes this head');
  await screenshot(page, 'compare-unscaled');
  assert.deepEqual([...errors, ...other.errors], []);
  await other.page.close();
  await page.close();
});

test('compare: the text typed twice — its first copy attends exactly as the text alone; the choice is in the URL', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=compare&text=${encodeURIComponent(TEXT)}`);
  await drawn(page);
  await page.selectOption('#compare-mode', 'text');
  await page.waitForFunction(() => /second text/.test(document.querySelector('#compare-b-title').textContent) && document.querySelector('#compare-summary').textContent !== '');
  const T = await page.evaluate(() => window.__llmsim.summary.tokens.length);
  const title = await page.textContent('#compare-b-title');
  const T2 = Number(/\((\d+) tokens\)/.exec(title)[1]);
  assert.ok(T2 > 2 * T - 3, `${T2} tokens for the text typed twice, ${T} once`);
  await page.waitForFunction(() => document.querySelector('#compare-summary').textContent === 'The two matrices are the same here.');
  assert.match(await page.textContent('#compare-diff-title'), new RegExp(`over the ${T} tokens both texts begin with`));
  await page.waitForFunction(() => /compare=text/.test(location.search));
  // A second text that shares only the first token, <bos>: the difference is over it alone.
  await page.fill('#compare-text', 'Zebras graze.');
  await page.waitForFunction(() => /over the one token both texts begin with/.test(document.querySelector('#compare-diff-title').textContent));
  await page.waitForFunction(() => /cmptext=Zebras/.test(location.search));
  await screenshot(page, 'compare-text');
  assert.deepEqual(errors, []);
  await page.close();
});

test('compare: Export SVG and PNG hold the three matrices under their titles, the pair side by side', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=compare&cmphead=2&text=${encodeURIComponent(TEXT)}`);
  await drawn(page);
  await page.uncheck('#export-caption');
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-svg')]);
  const svg = fs.readFileSync(await svgDownload.path(), 'utf8');
  const doc = await page.evaluate((source) => {
    const d = new DOMParser().parseFromString(source, 'image/svg+xml');
    return { error: Boolean(d.querySelector('parsererror')), width: Number(d.documentElement.getAttribute('width')),
      texts: Array.from(d.querySelectorAll('text'), (t) => t.textContent), images: d.getElementsByTagName('image').length };
  }, svg);
  assert.equal(doc.error, false);
  assert.equal(doc.images, 0, 'vector only');
  const titles = await page.$$eval('section[data-view="compare"] figcaption', (caps) => caps.map((c) => c.textContent));
  for (const title of titles) assert.ok(doc.texts.includes(title), `title "${title}" in the SVG`);
  // Every token labels the three matrices' rows and columns: six times each.
  const dot = (await page.evaluate(() => window.__llmsim.summary.tokens)).filter((t) => t === '.').length;
  assert.ok(doc.texts.filter((t) => t === '.').length >= 6 * dot);
  const pairWidth = await page.$$eval('section[data-view="compare"] canvas', (cs) => cs[0].clientWidth + cs[1].clientWidth);
  assert.ok(doc.width >= pairWidth, `${doc.width} holds the two side by side (${pairWidth})`);
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const png = fs.readFileSync(await pngDownload.path());
  const dpr = await page.evaluate(() => window.devicePixelRatio);
  assert.equal(png.readUInt32BE(16), Math.round(doc.width * dpr), 'the PNG is the same figure');
  assert.deepEqual(errors, []);
  await page.close();
});

test('compare in an embed: embed.html hands the compare fields to <llm-attention>', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${site.url}embed.html?view=compare&compare=unscaled&layer=1&head=2&text=${encodeURIComponent(TEXT)}`);
  await page.waitForSelector('llm-attention[data-ready="true"]');
  await page.waitForFunction(() => /without √dₖ/.test(document.querySelector('llm-attention').shadowRoot.querySelector('#compare-b-title').textContent), null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await page.close();
});
