// Every view of the page in real Chromium: it draws and follows the input, its
// read-outs match the engine's numbers, its controls live in the URL, and
// screenshots of each view (1280 and 390 px wide, light and dark) are written to
// build/screenshots/ for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serveDist, openPage, screenshot } from './harness.js';

const VIEWS = ['tokens', 'qkv', 'arcs', 'heatmap', 'scaling', 'multihead', 'grid', 'predictions', 'compare', 'train'];  // the tab order

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

// A fingerprint of what a view shows: its canvases' pixels and its text.
async function viewFingerprint(page, view) {
  return page.evaluate(async (name) => {
    const section = document.querySelector(`section[data-view="${name}"]`);
    let h = 2166136261;
    const mix = (x) => { h = Math.imul(h ^ x, 16777619); };
    for (const c of section.querySelectorAll('canvas')) {
      if (c.width === 0 || c.height === 0) continue;
      const d = (await window.__llmsimPixels(c)).data;  // drawn in the page's painting worker
      for (let i = 0; i < d.length; i += 11) mix(d[i]);
    }
    for (const ch of section.textContent) mix(ch.charCodeAt(0));
    return h >>> 0;
  }, view);
}

const params = (page) => new URL(page.url()).searchParams;

for (const view of VIEWS) {
  test(`${view}: draws, and changes when the text changes`, async () => {
    const { page, errors } = await openPage(browser.context, `${site.url}?view=${view}`);
    assert.equal(await page.$eval(`section[data-view="${view}"]`, (s) => s.hidden), false);
    const before = await viewFingerprint(page, view);
    await page.fill('#text', 'A dog ran after the red ball in the park.');
    await page.waitForFunction(() => window.__llmsim.summary && window.__llmsim.summary.tokens.join('').includes('A dog ran after'));
    await page.waitForTimeout(50);
    // The √dₖ lab measures random vectors and the Train view trains a model of its own,
    // not on the text: each must have drawn, and stays.
    const ownCanvas = { scaling: '#scaling-canvas', train: '#train-loss' }[view];
    if (ownCanvas) assert.ok(await page.$eval(ownCanvas, (c) => c.width > 100 && c.height > 100));
    else assert.notEqual(await viewFingerprint(page, view), before);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('arcs: hovering a token reads out its strongest key with the engine\'s exact weight', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=arcs&layer=1&head=1`);
  const box = await page.$eval('#arcs-canvas', (c) => { const r = c.getBoundingClientRect(); return { x: r.left, y: r.top, h: r.height }; });
  // Walk the mouse along the token row until the readout names token 5.
  for (let x = box.x + 5; x < box.x + 1200; x += 6) {
    await page.mouse.move(x, box.y + box.h - 20);
    const q = await page.$eval('#arcs-readout', (r) => r.dataset.query);
    if (q === '5') break;
  }
  const readout = await page.$eval('#arcs-readout', (r) => ({ q: r.dataset.query, k: r.dataset.key, w: Number(r.dataset.weight), text: r.textContent }));
  assert.equal(readout.q, '5');
  const expected = await page.evaluate(() => {
    const app = window.__llmsim;
    const { data, cols } = app.matrix('weights', 1, 1);  // as the engine sent it for this run
    const row = Array.from(data.slice(5 * cols, 6 * cols));
    const best = row.indexOf(Math.max(...row));
    return { key: best, weight: row[best] };
  });
  assert.equal(Number(readout.k), expected.key);
  assert.equal(readout.w, expected.weight);
  assert.ok(readout.text.includes(expected.weight.toFixed(3)), readout.text);  // three decimals for people; data-weight is exact
  await page.close();
});

test('arcs: a row wider than the view says "more" at the edge it continues past', async () => {
  const text = 'The quick brown fox jumps over the lazy dog while the cat sat on the mat and watched the birds fly over the old stone wall.';
  const { page } = await openPage(browser.context, `${site.url}?view=arcs&text=${encodeURIComponent(text)}`);
  const cue = () => page.$eval('section[data-view="arcs"] .scroll-wrap', (w) => ({
    before: getComputedStyle(w.querySelector('.more-left')).display !== 'none',
    after: getComputedStyle(w.querySelector('.more-right')).display !== 'none' }));
  assert.deepEqual(await cue(), { before: false, after: true });
  await page.$eval('.arcs-scroll', (s) => { s.scrollLeft = s.scrollWidth; });
  await page.waitForFunction(() => document.querySelector('section[data-view="arcs"] .scroll-wrap').classList.contains('more-before'));
  assert.deepEqual(await cue(), { before: true, after: false });
  await page.goto(`${site.url}?view=arcs&text=${encodeURIComponent('A short one.')}`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.deepEqual(await cue(), { before: false, after: false });
  await page.close();
});

test('arcs on a long text: the canvas draws the stretch in view, hover and arrow keys follow the scroll, the PNG has the whole row', async () => {
  const words = [' the', ' cat', ' sat', ' on', ' mat', ' and', ' a', ' dog', ' ran', ' to'];
  const text = 'Once' + Array.from({ length: 80 }, (_, i) => words[i % words.length]).join('');
  const { page, errors } = await openPage(browser.context, `${site.url}?view=arcs&text=${encodeURIComponent(text)}`);
  const sizes = await page.evaluate(() => {
    const scroller = document.querySelector('.arcs-scroll'), canvas = document.getElementById('arcs-canvas');
    return { row: scroller.scrollWidth, view: scroller.clientWidth, canvas: canvas.getBoundingClientRect().width };
  });
  assert.ok(sizes.row > 3 * sizes.view, JSON.stringify(sizes));  // the row is far wider than the view
  assert.equal(Math.round(sizes.canvas), sizes.view);             // the canvas is not

  // Scrolling redraws: the pixels change, and the token under the mouse is the one
  // whose box is there in whole-row coordinates.
  const before = await viewFingerprint(page, 'arcs');
  await page.$eval('.arcs-scroll', (s) => { s.scrollLeft = 2000; });
  await page.waitForFunction(() => document.querySelector('.arcs-scroll').scrollLeft === 2000);
  await page.waitForTimeout(100);
  assert.notEqual(await viewFingerprint(page, 'arcs'), before);
  const box = await page.$eval('#arcs-canvas', (c) => { const r = c.getBoundingClientRect(); return { x: r.left, y: r.top, h: r.height }; });
  await page.mouse.move(box.x + 300, box.y + box.h - 20);
  const hovered = Number(await page.$eval('#arcs-readout', (r) => r.dataset.query));
  const expected = await page.evaluate(() => {
    // Token boxes as the view lays them out: 14 px system-ui labels, 6 px padding, 10 px gaps.
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = '14px system-ui, sans-serif';
    const tokens = window.__llmsim.summary.tokens;
    const label = (t) => String(t).replace(/ /g, '·');
    let x = 12;
    for (let i = 0; i < tokens.length; i++) {
      const w = Math.max(18, ctx.measureText(label(tokens[i]).slice(0, 16)).width + 12);
      if (2000 + 300 < x + w + 5) return i;
      x += w + 10;
    }
    return -1;
  });
  assert.equal(hovered, expected);
  await page.mouse.move(0, 0);

  // Arrow keys past the right edge scroll the selected token into view.
  await page.goto(`${site.url}?view=arcs&token=1&text=${encodeURIComponent(text)}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.focus('#arcs-canvas');
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('token') === '41');
  assert.ok(await page.$eval('.arcs-scroll', (s) => s.scrollLeft > 0));

  // Export PNG draws the whole row, not the window.
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const bytes = await (await import('node:fs')).promises.readFile(await png.path());
  const pngWidth = bytes.readUInt32BE(16);  // IHDR width
  const dpr = await page.evaluate(() => window.devicePixelRatio);
  assert.ok(Math.abs(pngWidth - sizes.row * dpr) <= 2 * dpr, `${pngWidth} vs row ${sizes.row}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('qkv: the softmax weights sum to 1 and match the heatmap row of the same token', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=qkv&layer=1&head=2&token=6`);
  await page.waitForSelector('#qkv-table tbody tr', { state: 'attached' });  // filled when the page is idle
  const weights = await page.$$eval('#qkv-table tbody tr', (rows) => rows.map((r) => Number(r.cells[3].textContent)));
  assert.equal(weights.length, 7);  // token 6 sees keys 0..6
  const sum = weights.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, `softmax weights sum to ${sum}`);
  // The same row, read through the heatmap's hover read-out.
  await page.click('#tab-heatmap');
  await page.waitForFunction(() => window.__llmsimHeatmapLayout && document.querySelector('section[data-view="heatmap"]').hidden === false);
  for (let key = 0; key < 7; key++) {
    const { x, y } = await page.evaluate(([q, k]) => {
      const canvas = document.getElementById('heatmap-canvas');
      canvas.scrollIntoView({ block: 'center' });
      const l = window.__llmsimHeatmapLayout, r = canvas.getBoundingClientRect();
      return { x: r.left + l.left + (k - l.col0 + 0.5) * l.cell, y: r.top + l.top + (q - l.row0 + 0.5) * l.cell };
    }, [6, key]);
    await page.mouse.move(x, y);
    await page.waitForFunction((k) => document.getElementById('readout').dataset.key === String(k), key);
    const w = Number(await page.$eval('#readout', (r) => r.dataset.weight));
    assert.ok(Math.abs(w - weights[key]) < 5e-6, `key ${key}: heatmap ${w}, qkv ${weights[key]}`);
  }
  await page.close();
});

test('qkv on a phone: the five columns scroll sideways, and the view says so', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`${site.url}?view=qkv`);
  await page.waitForSelector('body[data-ready="true"]');
  for (let i = 0; i < 5; i++) await page.click('#qkv-next');  // the last step: every column
  const wrap = 'section[data-view="qkv"] .scroll-wrap';
  assert.ok(await page.$eval('#qkv-canvas', (c) => c.clientWidth >= 620));  // not squeezed into 300 px
  assert.deepEqual(await page.$eval(wrap, (w) => [...w.classList].filter((c) => c.startsWith('more'))), ['more-after']);
  await page.$eval('.qkv-scroll', (s) => { s.scrollLeft = s.scrollWidth; });
  await page.waitForFunction((sel) => document.querySelector(sel).classList.contains('more-before'), wrap);
  assert.equal(await page.$eval(wrap, (w) => w.classList.contains('more-after')), false);
  await page.close();
});

test('qkv: Next and Back step through the lookup', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=qkv`);
  // It opens at the first step, Back disabled, so Next is what a learner sees to press.
  assert.match(await page.textContent('#qkv-step'), /Step 1 of 6: The query/);
  assert.equal(await page.isDisabled('#qkv-back'), true);
  assert.equal(await page.isDisabled('#qkv-next'), false);
  for (let i = 0; i < 5; i++) await page.click('#qkv-next');
  assert.match(await page.textContent('#qkv-step'), /Step 6 of 6/);
  assert.equal(await page.isDisabled('#qkv-next'), true);
  await page.click('#qkv-back');
  await page.click('#qkv-back');
  assert.match(await page.textContent('#qkv-step'), /Step 4 of 6: Divide by √dₖ/);
  await page.click('#qkv-next');
  assert.match(await page.textContent('#qkv-step'), /Step 5 of 6: Softmax/);
  await page.close();
});

test('scaling: unscaled variance grows with d_k while the scaled one stays near 1', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=scaling`);
  await page.waitForSelector('#scaling-table tbody tr', { state: 'attached' });  // filled when the page is idle
  const rows = await page.$$eval('#scaling-table tbody tr', (trs) => trs.map((r) => Array.from(r.cells, (c) => Number(c.textContent))));
  assert.equal(rows.length, 11);  // d_k = 1, 2, 4, ..., 1024
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i][1] > rows[i - 1][1], `unscaled variance must grow: ${rows[i - 1][1]} -> ${rows[i][1]}`);
  for (const r of rows) {
    assert.ok(Math.abs(r[1] / r[0] - 1) < 0.2, `Var(q·k) ${r[1]} should be near d_k ${r[0]}`);
    assert.ok(Math.abs(r[2] - 1) < 0.2, `scaled variance ${r[2]} should be near 1`);
  }
  // The slider picks the d_k whose numbers are spelled out.
  await page.$eval('#dk', (el) => { el.value = '10'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.waitForFunction(() => document.getElementById('scaling-numbers').dataset.dk === '1024');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('dk') === '1024');  // the URL follows within 150 ms
  await page.close();
});

// Each control writes its state into the URL, and a reload restores it.
const CONTROL_CASES = [
  { view: 'arcs', param: 'threshold', value: '0.2',
    act: (p) => p.$eval('#threshold', (el) => { el.value = '0.2'; el.dispatchEvent(new Event('input', { bubbles: true })); }),
    read: (p) => p.inputValue('#threshold') },
  { view: 'heatmap', param: 'head', value: '2', act: (p) => p.selectOption('#head', '2'), read: (p) => p.inputValue('#head') },
  { view: 'heatmap', param: 'layer', value: '1', act: (p) => p.selectOption('#layer', '1'), read: (p) => p.inputValue('#layer') },
  { view: 'qkv', param: 'scale', value: '0', act: (p) => p.uncheck('#scale'), read: async (p) => ((await p.isChecked('#scale')) ? '1' : '0') },
  { view: 'arcs', param: 'causal', value: '0', act: (p) => p.uncheck('#causal'), read: async (p) => ((await p.isChecked('#causal')) ? '1' : '0') },
  { view: 'tokens', param: 'token', value: '2', act: (p) => p.click('#token-chips .token[data-index="2"]'),
    read: (p) => p.$eval('#token-chips .token.selected', (el) => el.dataset.index) },
  { view: 'scaling', param: 'dk', value: '8',
    act: (p) => p.$eval('#dk', (el) => { el.value = '3'; el.dispatchEvent(new Event('input', { bubbles: true })); }),
    read: (p) => p.textContent('#dk-value') },
  { view: 'predictions', param: 'temperature', value: '2',
    act: (p) => p.$eval('#temperature', (el) => { el.value = '2'; el.dispatchEvent(new Event('input', { bubbles: true })); }),
    read: async (p) => String(Number(await p.inputValue('#temperature'))) },
  { view: 'multihead', param: 'view', value: 'multihead', act: async () => {}, read: (p) => p.evaluate(() => document.body.dataset.view) },
];

for (const c of CONTROL_CASES) {
  test(`${c.view}: the ${c.param} control is kept in the URL and restored on reload`, async () => {
    const { page } = await openPage(browser.context, `${site.url}?view=${c.view}`);
    await c.act(page);
    await page.waitForFunction(([name, value]) => new URL(location.href).searchParams.get(name) === value, [c.param, c.value]);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForTimeout(50);
    assert.equal(await c.read(page), c.value);
    await page.close();
  });
}

test('the text is kept in the URL, and Back/Forward move between views and heads', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=heatmap`);
  await page.fill('#text', 'Back and forth');
  // At once, before the coalesced URL write for the typing has landed: the push of
  // the head choice must write it first, so Back finds the typed text.
  await page.selectOption('#head', '2');
  assert.equal(params(page).get('text'), 'Back and forth');
  await page.click('#tab-arcs');
  assert.equal(params(page).get('view'), null);  // arcs is the default view
  await page.goBack();
  await page.waitForFunction(() => document.body.dataset.view === 'heatmap');
  assert.equal(await page.inputValue('#head'), '2');
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('head').value === '0');
  assert.equal(await page.inputValue('#text'), 'Back and forth');
  await page.goForward();
  await page.waitForFunction(() => document.getElementById('head').value === '2');
  await page.close();
});

test('a hostile link falls back to defaults with visible notices, as text', async () => {
  const evil = encodeURIComponent('<img src=x onerror="window.__pwned=1">');
  const { page, errors } = await openPage(browser.context, `${site.url}?view=${evil}&layer=99999999&head=-1&threshold=NaN&dk=5000&ablate=${evil}&model=${evil}&token=1e9`);
  const notices = await page.$$eval('#notices li', (els) => els.map((e) => e.textContent));
  assert.ok(notices.length >= 6, notices.join('\n'));
  assert.ok(notices.some((n) => n.includes('view')));
  assert.equal(await page.evaluate(() => document.body.dataset.view), 'arcs');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('img', (els) => els.length), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard: tabs move with the arrow keys, arrow keys move the selected token, focus is visible', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=tokens&token=3`);
  assert.deepEqual(await page.$$eval('#tabs [role="tab"]', (tabs) => tabs.map((t) => t.id.slice(4))), VIEWS);
  await page.focus('#tab-tokens');
  await page.keyboard.press('ArrowRight');  // the guide's order: tokens, then Q·K·V, then arcs
  await page.waitForFunction(() => document.body.dataset.view === 'qkv');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.body.dataset.view === 'arcs');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-arcs');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement, ':focus-visible').outlineStyle);
  assert.notEqual(outline, 'none');
  await page.focus('#arcs-canvas');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('token') === '4');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('token') === '2');
  // The heatmap: arrow keys move a read-out cell.
  await page.click('#tab-heatmap');
  await page.focus('#heatmap-canvas');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.getElementById('readout').dataset.query === '3');
  await page.close();
});

test('keyboard: on a focused token chip the arrows move from that chip, and focus follows', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=tokens&token=1`);
  await page.focus('#token-chips [data-index="5"]');  // tabbed onto chip 5, token 1 selected
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.__llmsim.state.token === 6);
  const focused = await page.evaluate(() => ({ index: document.activeElement.dataset.index, inChips: Boolean(document.activeElement.closest('#token-chips')) }));
  assert.deepEqual(focused, { index: '6', inChips: true });  // not on the page body
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => window.__llmsim.state.token === 4);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.index), '4');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');  // the ring is visible
  await page.close();
});

test('every canvas has a text alternative', async () => {
  const { page } = await openPage(browser.context, site.url);
  const missing = await page.$$eval('canvas', (cs) => cs.filter((c) => !c.getAttribute('aria-label')).map((c) => c.id));
  assert.deepEqual(missing, []);
  for (const view of ['arcs', 'heatmap', 'qkv', 'scaling']) {
    await page.click(`#tab-${view}`);
    // The √dₖ lab's numbers come from the engine's worker when the view first opens.
    await page.waitForFunction((v) => document.querySelectorAll(`section[data-view="${v}"] table tbody tr`).length > 0, view, { timeout: 5000 })
      .catch(() => assert.fail(`${view} has no table rows`));
  }
  await page.close();
});

test('export: JSON of the trace and PNG of the view download', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=heatmap`);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  assert.equal(json.suggestedFilename(), 'attention-trace.json');
  const trace = JSON.parse(await (await import('node:fs')).promises.readFile(await json.path(), 'utf8'));
  assert.deepEqual(trace.tokens, await page.evaluate(() => window.__llmsim.summary.tokens));
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  assert.equal(png.suggestedFilename(), 'attention-heatmap.png');
  const bytes = await (await import('node:fs')).promises.readFile(await png.path());
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);  // "PNG"
  // The figure carries a caption band above the view: taller than the canvas, as wide.
  const canvasSize = await page.$eval('#heatmap-canvas', (c) => [c.width, c.height]);
  assert.equal(bytes.readUInt32BE(16), canvasSize[0]);
  assert.ok(bytes.readUInt32BE(20) > canvasSize[1] + 30, `${bytes.readUInt32BE(20)} vs ${canvasSize[1]}`);
  await page.close();
});

test("export: the grid's PNG has every head's thumbnail, not only the first", async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=grid`);
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const bytes = await (await import('node:fs')).promises.readFile(await png.path());
  const { n_head: H, n_layer: L } = await page.evaluate(() => window.__llmsim.summary);
  const dpr = await page.evaluate(() => window.devicePixelRatio);
  assert.ok(bytes.readUInt32BE(16) >= H * 92 * dpr, `width ${bytes.readUInt32BE(16)} for ${H} heads`);
  assert.ok(bytes.readUInt32BE(20) >= L * 92 * dpr, `height ${bytes.readUInt32BE(20)} for ${L} layers`);
  await page.close();
});

test('screenshots of every view, 1280 and 390 px wide, light and dark', async () => {
  for (const scheme of ['light', 'dark']) {
    for (const width of [1280, 390]) {
      const page = await browser.context.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${site.url}?token=4`);
      await page.waitForSelector('body[data-ready="true"]');
      for (const view of VIEWS) {
        await page.click(`#tab-${view}`);
        await page.waitForFunction((v) => document.body.dataset.view === v, view);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${view} at ${width}px overflows the page by ${overflow}px`);
        await screenshot(page, `view-${view}-${width}-${scheme}`);
      }
      await page.close();
    }
  }
});

test("grid: clicking a head's thumbnail moves the Layer and Head controls with it", async () => {
  // The dropdowns must always show the state: a stale Layer 0 beside head 1.2 made
  // the next pick combine the new head with the old layer.
  const { page } = await openPage(browser.context, `${site.url}?view=grid`);
  await page.click('#grid [data-focus="1.2"]');
  await page.waitForFunction(() => window.__llmsim.state.layer === 1 && window.__llmsim.state.head === 2);
  assert.equal(await page.inputValue('#layer'), '1');
  assert.equal(await page.inputValue('#head'), '2');
  await page.selectOption('#head', '0');  // the next pick keeps the layer the grid chose
  await page.waitForFunction(() => window.__llmsim.state.head === 0);
  assert.equal(await page.evaluate(() => window.__llmsim.state.layer), 1);
  await page.close();
});

test('presets: each example sentence opens its head in its view, as presets.json says', async () => {
  const presets = JSON.parse((await import('node:fs')).readFileSync(new URL('../../web/models/presets.json', import.meta.url), 'utf8'));
  const { page } = await openPage(browser.context, `${site.url}?view=tokens`);
  const labels = await page.$$eval('#presets button', (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(labels, presets.english.map((p) => p.role));
  const induction = presets.english.find((p) => p.role === 'induction');
  await page.click('#presets button:text-is("induction")');
  await page.waitForFunction(() => window.__llmsim.state.view === 'heatmap');
  const state = await page.evaluate(() => window.__llmsim.state);
  assert.deepEqual([state.text, state.layer, state.head], [induction.text, induction.layer, induction.head]);
  assert.equal(await page.inputValue('#text'), induction.text);
  assert.equal(await page.inputValue('#head'), String(induction.head));
  // another model, its own presets
  await page.selectOption('#model', { label: 'tinygpt: the story world' });
  await page.waitForFunction((first) => document.querySelector('#presets button').title.includes(first), `head ${presets.tinygpt[0].head}`);
  await page.close();
});

test('the page names what the model learned from, and says when a switch takes it out of range', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=arcs`);
  const about = await page.textContent('#model-about');
  assert.match(about, /WordNet/);  // the default model's training text, by name
  assert.doesNotMatch(about, /outside what it learned/);
  await page.uncheck('#causal');
  await page.waitForFunction(() => document.getElementById('model-about').textContent.includes('without the causal mask it runs outside what it learned'));
  await page.selectOption('#model', { label: 'Random weights' });  // nothing learned, nothing to leave
  await page.waitForFunction(() => /Random weights drawn from a seed/.test(document.getElementById('model-about').textContent));
  assert.doesNotMatch(await page.textContent('#model-about'), /outside what it learned/);
  await page.close();
});

test('scaling: the lab\'s "divide by √dₖ" is its own, never the model\'s scaling', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=scaling`);
  await page.uncheck('#lab-scale');
  await page.waitForFunction(() => document.getElementById('scaling-numbers').textContent.includes('without scaling'));
  assert.equal(await page.evaluate(() => window.__llmsim.state.scale), true);  // the model still scales
  assert.equal(await page.isChecked('#scale'), true);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('labscale') === '0');
  assert.equal(params(page).get('scale'), null);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.isChecked('#lab-scale'), false);
  assert.equal(await page.isChecked('#scale'), true);
  // and the other way round: the model's switch leaves the lab alone
  await page.uncheck('#scale');
  await page.waitForFunction(() => window.__llmsim.state.scale === false);
  assert.equal(await page.isChecked('#lab-scale'), false);
  await page.check('#lab-scale');
  await page.waitForFunction(() => window.__llmsim.state.labscale === true);
  assert.equal(await page.evaluate(() => window.__llmsim.state.scale), false);
  await page.close();
});

test('grid: switching a head off changes the loss and the predictions, shown at once', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=grid`);
  assert.equal(await page.evaluate(() => window.__llmsim.summary.has_vocabulary), true, 'the default model must be the trained one');
  // The labels are the model's shipped head report, which the worker sends after the first run.
  await page.waitForFunction(() => document.querySelectorAll('.head-card .head-label').length > 0
    && [...document.querySelectorAll('.head-card .head-label')].every((e) => e.textContent && e.textContent !== '—'));
  const before = await page.evaluate(() => window.__llmsim.summary.top_k.map((p) => [p.text, p.probability]));
  // Switch off the head the analysis found most important.
  const id = await page.evaluate(async () => {
    const reports = await window.__llmsim.engine.headLabels(window.__llmsim.state.model);
    const best = reports.reduce((a, b) => (b.importance > a.importance ? b : a));
    return `${best.layer}.${best.head}`;
  });
  await page.uncheck(`input[data-ablate="${id}"]`);
  await page.waitForFunction((h) => new URL(location.href).searchParams.get('ablate') === h, id);
  await page.waitForFunction(() => window.__llmsim.summary.ablated === true || window.__llmsim.summary.baseline);
  const after = await page.evaluate(() => window.__llmsim.summary.top_k.map((p) => [p.text, p.probability]));
  const moved = Math.max(...after.map(([t, p], i) => Math.abs(p - (before[i] ? before[i][1] : 0))));
  assert.ok(moved > 1e-3, `predictions did not move: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`);
  const line = await page.textContent('#grid-summary');
  assert.match(line, /1 head off · loss \d+\.\d+ → \d+\.\d+/);
  const { base, loss } = await page.evaluate(() => ({ base: window.__llmsim.summary.baseline.loss, loss: window.__llmsim.summary.loss }));
  assert.ok(line.includes(base.toFixed(3)) && line.includes(loss.toFixed(3)), line);
  // Beside it, the top next tokens with every head on and with this one off.
  const table = await page.$$eval('#grid-next tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  const expected = await page.evaluate(() => {
    const s = window.__llmsim.summary, shown = (p) => `“${p.text}” ${p.probability.toFixed(3)}`;
    return [0, 1, 2].map((i) => [`${i + 1}.`, shown(s.baseline.top_k[i]), shown(s.top_k[i])]);
  });
  assert.deepEqual(table, expected);
  assert.notDeepEqual(table.map((r) => r[1]), table.map((r) => r[2]));
  assert.ok((await page.textContent('#grid-next thead')).includes(`${id} off`));
  // Reload keeps the head off.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.isChecked(`input[data-ablate="${id}"]`), false);
  // With every head back on, the comparison goes away.
  await page.check(`input[data-ablate="${id}"]`);
  await page.waitForFunction(() => document.getElementById('grid-next').hidden);
  await page.close();
});

test('predictions: "append the top token" adds the token itself, a newline as a newline', async () => {
  // After "The end." tinygpt's top guess is a paragraph break, shown as \n\n.
  const { page } = await openPage(browser.context, `${site.url}?view=predictions&model=tinygpt&text=${encodeURIComponent('The end.')}`);
  const top = await page.evaluate(() => window.__llmsim.summary.top_k[0]);
  assert.deepEqual([top.text, top.raw], ['\\n\\n', '\n\n']);
  assert.equal(await page.textContent('#predictions-table tbody tr td'), '“\\n\\n”');  // escaped once, not twice
  await page.click('#append-top');
  await page.waitForFunction(() => document.getElementById('text').value === 'The end.\n\n');
  assert.equal(await page.evaluate(() => window.__llmsim.state.text), 'The end.\n\n');
  await page.close();
});

test('predictions: bars match the engine, and "append the top token" generates', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=predictions&text=${encodeURIComponent('Once upon a')}`);
  const table = await page.$$eval('#predictions-table tbody tr', (rows) => rows.map((r) => [r.cells[0].textContent.slice(1, -1), Number(r.cells[2].textContent)]));
  const engine = await page.evaluate(() => window.__llmsim.summary.top_k.map((p) => [p.text, p.probability]));
  assert.equal(table.length, engine.length);
  table.forEach(([text, p], i) => { assert.equal(text, engine[i][0]); assert.ok(Math.abs(p - engine[i][1]) < 1e-4); });
  const top = engine[0][0];
  await page.click('#append-top');
  await page.waitForFunction((t) => document.getElementById('text').value === `Once upon a${t}`, top);
  await page.waitForFunction((t) => new URL(location.href).searchParams.get('text') === `Once upon a${t}`, top);
  await page.close();
});
