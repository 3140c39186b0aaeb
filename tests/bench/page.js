// npm run bench:page — the page's speed on the shipped model, in headless Chromium:
// keystroke-to-frame latency (median, p95) at 32, 128 and the maximum tokens in the
// default view (arcs) and the heatmap, and at 128 tokens in every other view, split
// into the script's own work and the painted frame, next to the same measurement on an
// empty page; time to the first drawn heatmap after load; and the bytes the page
// transfers (raw, gzip).
// Prints a table and writes build/bench/page.json. Figures, not pass/fail.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { launch, serveDist, root } from '../browser/harness.js';

const KEYSTROKES = 60;

function quantile(sorted, q) { return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]; }

// Text of n tokens for the shipped model, BOS included: words that its 512-token BPE
// keeps whole (with their leading space), after a first word that is one token too.
function textOfTokens(n) {
  const words = [' sat', ' on', ' mat', ' and', ' a', ' to', ' with', ' red', ' he', ' she', ' was', ' big', ' little', ' went', ' saw'];
  return 'he' + Array.from({ length: Math.max(0, n - 2) }, (_, i) => words[i % words.length]).join('');
}

async function firstHeatmap(context, url) {
  const page = await context.newPage();
  const bytes = [];
  page.on('response', async (r) => { try { bytes.push({ url: r.url(), body: await r.body() }); } catch { /* redirects */ } });
  await page.goto(`${url}?view=heatmap`);
  await page.waitForSelector('body[data-ready="true"]');
  const ms = await page.evaluate(() => {
    const mark = performance.getEntriesByName('llmsim:first-draw')[0];
    return mark ? mark.startTime : NaN;
  });
  await page.waitForTimeout(300);
  await page.close();
  const raw = bytes.reduce((s, b) => s + b.body.length, 0);
  const gzip = bytes.reduce((s, b) => s + zlib.gzipSync(b.body, { level: 9 }).length, 0);
  return { ms, raw, gzip, files: bytes.map((b) => `${path.basename(new URL(b.url).pathname) || 'index.html'} ${b.body.length}`) };
}

// Installs, in the page, a probe that times each keystroke: `drawn` when the page's
// synchronous work for it (model run, canvas, DOM) is done, `painted` when the frame
// after that has been rendered (the next animation frame, then a message task, which
// runs after that frame's style, layout and paint). `markDrawn` is called by the page
// when its work is done; on the empty page that is the input handler itself.
function installProbe(selector) {
  window.__latencies = [];
  let keyTime = null;
  const channel = new MessageChannel();
  let pending = null;
  channel.port1.onmessage = () => { pending.painted = performance.now() - pending.key; window.__latencies.push(pending); };
  document.querySelector(selector).addEventListener('keydown', (e) => { keyTime = e.timeStamp; }, true);
  window.__markDrawn = () => {
    if (keyTime === null) return;
    const sample = { key: keyTime, drawn: performance.now() - keyTime };
    keyTime = null;
    requestAnimationFrame(() => { sample.frame = performance.now() - sample.key; pending = sample; channel.port2.postMessage(0); });
  };
}

async function typeAndCollect(page, selector) {
  await page.focus(selector);
  await page.keyboard.press('End');
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.keyboard.type(i % 2 ? 'a' : ' ');  // alternate: a new token, then a longer one
    // Poll on a timer, not on animation frames (Playwright's default), and pause a
    // varying time, so that keystrokes land at every phase of the display's frame.
    await page.waitForFunction((n) => window.__latencies.length >= n, i + 1, { timeout: 10000, polling: 5 });
    await page.waitForTimeout(20 + (i * 7) % 17);
  }
  const samples = await page.evaluate(() => window.__latencies);
  const stats = (key) => {
    const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
    return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
  };
  return { drawn: stats('drawn'), frame: stats('frame'), painted: stats('painted'), n: samples.length };
}

// Types KEYSTROKES characters at the end of a text of `tokens` tokens in `view`, twice:
// once as a reader would, and once reading a pixel of every canvas in view right after
// the page draws. Chromium only records canvas commands when the script runs and
// rasterises them in the next frame; the read forces that work into the keystroke, so
// the second pass times script + rasterising, free of the wait for the frame.
async function keystrokeLatency(context, url, view, tokens) {
  const asReader = await typeInView(context, url, view, tokens, false);
  const rasterised = await typeInView(context, url, view, tokens, true);
  return { ...asReader, rasterised: rasterised.drawn };
}

async function typeInView(context, url, view, tokens, rasterise) {
  const page = await context.newPage();
  await page.goto(`${url}?view=${view}&text=${encodeURIComponent(textOfTokens(tokens))}`);
  await page.waitForSelector('body[data-ready="true"]');
  const actual = await page.evaluate(() => window.__llmsim.summary.tokens.length);
  await page.evaluate(installProbe, '#text');
  await page.evaluate((rasterise) => {
    const render = window.__llmsim.hooks.onRender;
    window.__llmsim.hooks.onRender = () => {
      render();
      if (rasterise) {
        for (const c of document.querySelectorAll('section[data-view]:not([hidden]) canvas'))
          if (c.width && c.height) c.getContext('2d').getImageData(0, 0, 1, 1);
      }
      window.__markDrawn();
    };
  }, rasterise);
  const result = await typeAndCollect(page, '#text');
  await page.close();
  return { view, tokens: actual, ...result };
}

// The floor: the same probe on a page that does nothing but hold a textarea. What it
// measures is the wait for the display's next frame, which no page can shorten.
async function emptyPageLatency(context) {
  const page = await context.newPage();
  await page.setContent('<textarea id="empty" aria-label="empty"></textarea>');
  await page.evaluate(installProbe, '#empty');
  await page.evaluate(() => document.getElementById('empty').addEventListener('input', () => window.__markDrawn()));
  const result = await typeAndCollect(page, '#empty');
  await page.close();
  return { view: '(empty page)', tokens: 0, ...result, rasterised: result.drawn };
}

const browser = await launch();
const site = await serveDist();
try {
  const page = await browser.context.newPage();
  await page.goto(site.url);
  await page.waitForSelector('body[data-ready="true"]');
  const maxTokens = await page.evaluate(() => {
    const m = window.__llmsim.engine.models.find((x) => x.name === window.__llmsim.state.model);
    return m && m.context ? m.context - 1 : window.__llmsim.engine.maxTokens;
  });
  const model = await page.evaluate(() => window.__llmsim.state.model);
  await page.close();

  const load = [];
  for (let i = 0; i < 5; i++) load.push(await firstHeatmap(browser.context, site.url));
  const loadMs = load.map((l) => l.ms).sort((a, b) => a - b);
  const typing = [];
  // The default view (arcs) and the heatmap at every length; every other view at 128.
  for (const view of ['arcs', 'heatmap'])
    for (const n of [32, 128, maxTokens]) typing.push(await keystrokeLatency(browser.context, site.url, view, n));
  for (const view of ['tokens', 'grid', 'qkv', 'multihead', 'scaling', 'predictions'])
    typing.push(await keystrokeLatency(browser.context, site.url, view, 128));
  const floor = await emptyPageLatency(browser.context);

  const result = {
    date: new Date().toISOString(), cpu: os.cpus()[0].model, model,
    first_heatmap_ms: { median: quantile(loadMs, 0.5), samples: loadMs },
    bytes: { raw: load[0].raw, gzip: load[0].gzip, files: load[0].files },
    keystroke_to_frame_ms: typing,
    empty_page_floor_ms: floor,
  };
  console.log(`Page benchmark on ${result.cpu}, model ${model}, headless Chromium`);
  console.log(`first heatmap after load: median ${result.first_heatmap_ms.median.toFixed(1)} ms over ${loadMs.length} loads`);
  console.log(`bytes transferred: ${(result.bytes.raw / 1e6).toFixed(2)} MB raw, ${(result.bytes.gzip / 1e6).toFixed(2)} MB gzip (${result.bytes.files.length} files)`);
  const ms = (x) => `${x.toFixed(1).padStart(5)} ms`;
  console.log('keystroke latency        key -> drawn:         key -> drawn:         key -> painted');
  console.log('                         script                script + raster       frame');
  console.log('  view         tokens    median     p95        median     p95        median     p95');
  const pair = (x) => `${ms(x.median)} ${ms(x.p95)}`;
  const row = (t) => console.log(`  ${t.view.padEnd(12)} ${String(t.tokens).padStart(6)}   ${pair(t.drawn)}   ${pair(t.rasterised)}   ${pair(t.painted)}`);
  for (const t of typing) row(t);
  row(floor);
  console.log(`  (${KEYSTROKES} keystrokes each. "painted" adds the wait for the display's next frame; the empty`);
  console.log('   page, whose script does nothing, shows that wait alone)');
  fs.mkdirSync(path.join(root, 'build/bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build/bench/page.json'), JSON.stringify(result, null, 2));
  console.log('written build/bench/page.json');
} finally {
  await browser.close();
  site.server.close();
}
