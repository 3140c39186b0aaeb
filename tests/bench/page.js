// npm run bench:page — the page's speed on the shipped model, in headless Chromium:
// keystroke-to-frame latency (median, p95) at 32, 128 and the maximum tokens, time to
// the first drawn heatmap after load, and the bytes the page transfers (raw, gzip).
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

// Types KEYSTROKES characters at the end of a text of `tokens` tokens and measures, for
// each, the time from the key event to the first frame after the redraw.
async function keystrokeLatency(context, url, tokens) {
  const page = await context.newPage();
  await page.goto(`${url}?view=heatmap&text=${encodeURIComponent(textOfTokens(tokens))}`);
  await page.waitForSelector('body[data-ready="true"]');
  const actual = await page.evaluate(() => window.__llmsim.summary.tokens.length);
  await page.evaluate(() => {
    window.__latencies = [];
    const session = window.__llmsim;
    const onRun = session.hooks.onRun;
    let keyTime = null;
    document.getElementById('text').addEventListener('keydown', (e) => { keyTime = e.timeStamp; }, true);
    session.hooks.onRender = ((render) => () => {
      render();
      if (keyTime === null) return;
      const t0 = keyTime;
      keyTime = null;
      requestAnimationFrame(() => window.__latencies.push(performance.now() - t0));
    })(session.hooks.onRender);
    session.hooks.onRun = onRun;
  });
  await page.focus('#text');
  await page.keyboard.press('End');
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.keyboard.type(i % 2 ? 'a' : ' ');  // alternate: a new token, then a longer one
    await page.waitForFunction((n) => window.__latencies.length >= n, i + 1, { timeout: 10000 });
  }
  const latencies = (await page.evaluate(() => window.__latencies)).sort((a, b) => a - b);
  await page.close();
  return { tokens: actual, median: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), n: latencies.length };
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
  for (const n of [32, 128, maxTokens]) typing.push(await keystrokeLatency(browser.context, site.url, n));

  const result = {
    date: new Date().toISOString(), cpu: os.cpus()[0].model, model,
    first_heatmap_ms: { median: quantile(loadMs, 0.5), samples: loadMs },
    bytes: { raw: load[0].raw, gzip: load[0].gzip, files: load[0].files },
    keystroke_to_frame_ms: typing,
  };
  console.log(`Page benchmark on ${result.cpu}, model ${model}, headless Chromium`);
  console.log(`first heatmap after load: median ${result.first_heatmap_ms.median.toFixed(1)} ms over ${loadMs.length} loads`);
  console.log(`bytes transferred: ${(result.bytes.raw / 1e6).toFixed(2)} MB raw, ${(result.bytes.gzip / 1e6).toFixed(2)} MB gzip (${result.bytes.files.length} files)`);
  console.log('keystroke to frame     median     p95   (keystrokes)');
  for (const t of typing) console.log(`  ${String(t.tokens).padStart(4)} tokens      ${t.median.toFixed(1).padStart(6)} ms ${t.p95.toFixed(1).padStart(6)} ms   (${t.n})`);
  fs.mkdirSync(path.join(root, 'build/bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build/bench/page.json'), JSON.stringify(result, null, 2));
  console.log('written build/bench/page.json');
} finally {
  await browser.close();
  site.server.close();
}
