// The page in real headless Chromium over real HTTP: it loads cleanly, draws real
// attention, follows typing, and its pixels and read-out match the native core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { launch, serveDist, openPage, screenshot, root, viridisInverse } from './harness.js';
import { MANIFEST } from '../../web/src/manifest.js';

function nativeTrace(text) {
  const cli = path.join(root, 'build/native/llmsim');
  const model = path.join(root, 'web/models', MANIFEST.default);  // the page's default model
  return JSON.parse(execFileSync(cli, ['trace', '--model', model, '--text', text], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

const DEFAULT_TEXT = 'The cat sat on the mat because it was tired.';
// The status line's token count for a text, as the native core tokenises it.
const tokenCount = (text) => `${nativeTrace(text).tokens.length} tokens`;

// Pixels of a canvas as a short fingerprint, to tell whether a drawing changed.
async function canvasFingerprint(page, selector) {
  return page.$eval(selector, async (c) => {
    const d = (await window.__llmsimPixels(c)).data;  // drawn in the page's painting worker
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i], 16777619);
    return `${c.width}x${c.height}:${h >>> 0}`;
  });
}

// CSS-pixel centre of heatmap cell (query, key), from the page's own layout numbers.
async function cellCentre(page, query, key) {
  return page.evaluate(([q, k]) => {
    const canvas = document.getElementById('heatmap-canvas');
    canvas.scrollIntoView({ block: 'center' });
    const layout = window.__llmsimHeatmapLayout;
    const rect = canvas.getBoundingClientRect();
    return { x: rect.left + layout.left + (k + 0.5) * layout.cell, y: rect.top + layout.top + (q + 0.5) * layout.cell,
      localX: layout.left + (k + 0.5) * layout.cell, localY: layout.top + (q + 0.5) * layout.cell };
  }, [query, key]);
}

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

test('the page loads with no console error and draws real attention', async () => {
  const { page, errors } = await openPage(browser.context, site.url);
  const status = await page.textContent('#status');
  assert.ok(status.startsWith(tokenCount(DEFAULT_TEXT)), status);
  const tokens = await page.evaluate(() => window.__llmsim.summary.tokens);
  assert.deepEqual(tokens, nativeTrace('The cat sat on the mat because it was tired.').tokens);
  await screenshot(page, 'foundation-1280-light');
  assert.deepEqual(errors, []);
  await page.close();
});

test('typing changes the drawing', async () => {
  for (const view of ['arcs', 'heatmap']) {
    const { page } = await openPage(browser.context, `${site.url}?view=${view}`);
    const before = await canvasFingerprint(page, `#${view}-canvas`);
    await page.focus('#text');
    await page.keyboard.press('End');
    await page.keyboard.type(' Then it slept.');
    const expected = tokenCount(`${DEFAULT_TEXT} Then it slept.`);
    await page.waitForFunction((e) => document.getElementById('status').textContent.startsWith(e), expected);
    assert.notEqual(await canvasFingerprint(page, `#${view}-canvas`), before, `${view} did not change`);
    await page.close();
  }
});

test('each heatmap cell has the colour of its weight, as the native core computes it', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=heatmap`);
  const ratio = await page.evaluate(() => window.devicePixelRatio);
  const checkCells = async (cells) => {
    const golden = nativeTrace(await page.inputValue('#text')).layers[0].heads[0].weights;
    for (const [q, k] of cells) {
      const { localX, localY } = await cellCentre(page, q, k);
      const rgb = await page.$eval('#heatmap-canvas', async (c, [x, y]) =>
        Array.from((await window.__llmsimPixels(c, x, y, 1, 1)).data.slice(0, 3)), [Math.round(localX * ratio), Math.round(localY * ratio)]);
      const { t, d } = viridisInverse(rgb);
      assert.ok(d < 4, `cell (${q},${k}) colour ${rgb} is not on the viridis curve (distance ${d})`);
      assert.ok(Math.abs(t - golden[q][k]) < 0.01, `cell (${q},${k}) shows weight ${t}, native core says ${golden[q][k]}`);
    }
  };
  const last = () => page.evaluate(() => window.__llmsim.summary.tokens.length - 1);
  let T1 = await last();
  await checkCells([[0, 0], [3, 0], [5, 4], [10, 2], [10, 10], [7, 7], [T1, 0], [T1, 3], [T1, T1]]);
  // Typed on: the matrix grows by rows into the pixels the last drawing left (the
  // scratch image is reused from draw to draw), and its new last row is right too.
  await page.focus('#text');
  await page.keyboard.press('End');
  await page.keyboard.type(' Then it slept');
  await page.waitForFunction((n) => window.__llmsim.summary.tokens.length > n && !window.__llmsim.inFlight, T1 + 1);
  T1 = await last();
  await checkCells([[T1 - 1, 1], [T1, 0], [T1, 2], [T1, T1 - 1], [T1, T1]]);
  // A masked (future) cell is not coloured as a weight.
  const { localX, localY } = await cellCentre(page, 2, 9);
  const masked = await page.$eval('#heatmap-canvas', async (c, [x, y]) =>
    Array.from((await window.__llmsimPixels(c, x, y, 1, 1)).data.slice(0, 3)), [Math.round(localX * ratio), Math.round(localY * ratio)]);
  assert.ok(viridisInverse(masked).d > 20, `masked cell looks like a weight colour: ${masked}`);
  await page.close();
});

test('hovering a heatmap cell reads out the exact weight', async () => {
  const { page } = await openPage(browser.context, `${site.url}?view=heatmap`);
  await page.selectOption('#layer', '1');
  await page.selectOption('#head', '2');
  const text = await page.inputValue('#text');
  const golden = nativeTrace(text).layers[1].heads[2];
  for (const [q, k] of [[6, 1], [9, 9], [10, 0]]) {
    const { x, y } = await cellCentre(page, q, k);
    await page.mouse.move(x, y);
    await page.waitForFunction(([qq, kk]) => {
      const r = document.getElementById('readout');
      return r.dataset.query === String(qq) && r.dataset.key === String(kk);
    }, [q, k]);
    const readout = await page.$eval('#readout', (r) => ({ text: r.textContent, weight: Number(r.dataset.weight) }));
    assert.ok(Math.abs(readout.weight - golden.weights[q][k]) <= 1e-6, `${readout.weight} vs ${golden.weights[q][k]}`);
    // The text shows 6 digits: WASM (SIMD128 GEMM) and native (AVX) round the sums
    // differently, so the last digit may differ.
    const shown = Number(/weight (\S+)/.exec(readout.text)[1]);
    assert.ok(Math.abs(shown - golden.weights[q][k]) <= 1e-6, readout.text);
    const raw = Number(/raw q·k (\S+)/.exec(readout.text)[1]);
    assert.ok(Math.abs(raw - golden.scores[q][k]) <= 1e-4 * Math.max(1, Math.abs(raw)), readout.text);
  }
  await page.close();
});

test('empty text shows a friendly empty state, not an error', async () => {
  const { page, errors } = await openPage(browser.context, site.url);
  await page.fill('#text', '');
  await page.waitForFunction(() => /Type some text/.test(document.getElementById('status').textContent));
  // Nothing but the trained model's BOS token.
  assert.deepEqual(await page.evaluate(() => window.__llmsim.summary.tokens), ['<bos>']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('text over the token limit names the limit and still shows the first tokens', async () => {
  // The random model: its limit is the core's 512 tokens (the trained model's is its context).
  const { page, errors } = await openPage(browser.context, `${site.url}?model=random`);
  const limit = 512;
  await page.fill('#text', Array.from({ length: limit + 40 }, (_, i) => `w${i}`).join(' '));
  await page.waitForFunction(() => /limit is/.test(document.getElementById('status').textContent));
  const status = await page.textContent('#status');
  assert.match(status, new RegExp(`${limit + 40} tokens; the limit is ${limit}`));
  const tokens = await page.evaluate(() => window.__llmsim.summary.tokens);
  assert.equal(tokens.length, limit);
  assert.equal(tokens[0], 'w0');
  await screenshot(page, 'foundation-token-limit');
  assert.deepEqual(errors, []);
  await page.close();
});

test('any UTF-8 is shown as text: no crash, no markup injected', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=tokens&model=random`);
  await page.evaluate(() => { window.__injected = false; });
  const hostile = '<img src=x onerror="window.__injected=true"> <script>window.__injected=true</script> 🙂 مرحبا e\u0301 \u0000\u0007 "quotes" &amp;';
  await page.fill('#text', hostile);
  // The run is in the engine's worker: wait until the drawing is of this text.
  await page.waitForFunction(() => window.__llmsim.summaryText === document.getElementById('text').value && !window.__llmsim.inFlight);
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__injected), false);
  assert.equal(await page.$$eval('main img, main script', (els) => els.length), 0);
  const tokens = await page.$$eval('#token-chips .token-text', (els) => els.map((e) => e.textContent));
  assert.ok(tokens.includes('<'));
  assert.ok(tokens.includes('🙂'));
  // The page still works afterwards.
  await page.fill('#text', 'still working');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('2 tokens'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a shared link carries the longest text the page accepts, in any script (a long text travels in the fragment, never sent to the server)', async () => {
  // 20,000 characters, most of them 3 UTF-8 bytes (9 characters once percent-encoded):
  // about 150 KB in a query, which the server would refuse (HTTP 431).
  const text = Array.from({ length: 5000 }, (_, i) => (i % 2 ? '猫と犬' : 'cat ')).join('').slice(0, 20000);
  const { page, errors } = await openPage(browser.context, `${site.url}?view=tokens&model=random`);
  await page.fill('#text', text);
  await page.waitForFunction(() => location.hash.startsWith('#text='));
  const link = new URL(page.url());
  assert.equal(link.searchParams.get('view'), 'tokens');   // the short fields stay in the query
  assert.equal(link.searchParams.has('text'), false);
  const shared = await browser.context.newPage();
  const response = await shared.goto(link.href);
  assert.equal(response.status(), 200);
  await shared.waitForSelector('body[data-ready="true"]');
  assert.equal(await shared.inputValue('#text'), text);
  assert.equal(await shared.evaluate(() => window.__llmsim.state.view), 'tokens');
  // The embed snippet for that state opens too, with the same text.
  await page.click('#embed-open');
  const src = (await page.inputValue('#embed-iframe')).match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
  assert.match(src, /embed\.html\?[^#]*view=tokens[^#]*#text=/);
  const embedResponse = await shared.goto(src);
  assert.equal(embedResponse.status(), 200);
  await shared.waitForSelector('llm-attention[data-ready="true"]');
  assert.equal(await shared.$eval('llm-attention', (e) => e.getAttribute('text')), text);
  // A short text stays in the query, where the README documents it.
  await page.keyboard.press('Escape');  // closes the embed dialog
  await page.fill('#text', 'short again');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('text') === 'short again' && location.hash === '');
  assert.deepEqual(errors, []);
  await shared.close();
  await page.close();
});

test('dist/index.html opened from file:// draws too (the WASM is embedded in the script)', async () => {
  const { page, errors } = await openPage(browser.context, `file://${path.join(root, 'dist/index.html')}`);
  assert.ok((await page.textContent('#status')).startsWith(tokenCount(DEFAULT_TEXT)));
  const painted = await page.$eval('#arcs-canvas', (c) => c.width > 100 && c.height > 100);
  assert.ok(painted);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page draws attention on load (the time taken is printed, not asserted)', async () => {
  const page = await browser.context.newPage();
  const start = Date.now();
  await page.goto(site.url);
  await page.waitForSelector('body[data-ready="true"]');
  const elapsed = Date.now() - start;
  console.log(`# load to first drawing: ${elapsed} ms`);
  assert.ok(await page.$eval('#arcs-canvas', (c) => c.height > 100));
  await page.close();
});
