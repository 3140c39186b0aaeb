// npm run bench:page — the page's speed on the shipped model, in headless Chromium:
// per keystroke (median, p95) at 32, 128 and the maximum tokens in the default view
// (arcs) and the heatmap, and at 128 tokens in every other view: the main thread's
// own work (script, and script + raster), the key-to-painted-frame latency, and the
// worker's compute time for the run (the model runs in a Web Worker: async-engine.js),
// next to the same measurement on an empty page; time to the first drawn heatmap
// after load; and the bytes the page transfers (raw, gzip).
// Then the same at 128 tokens with the page's CPU slowed 4× (DevTools protocol
// Emulation.setCPUThrottlingRate), with the main-thread tasks over 50 ms (long
// tasks) while typing, switching views and loading a model. The protocol throttles
// the page's main thread only, not its worker, so the worker's compute time is
// reported unthrottled beside the throttled main-thread figures.
// Prints tables and writes build/bench/page.json. Figures, not pass/fail.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { launch, serveDist, root } from '../browser/harness.js';

const KEYSTROKES = 60;
const SLOWDOWN = 4;
const VIEWS = ['tokens', 'qkv', 'arcs', 'heatmap', 'scaling', 'multihead', 'grid', 'predictions', 'compare'];

// One table of keystroke figures: the main thread's work (script, script + raster),
// the painted frame, the worker's compute, and the long tasks while typing.
function printTable(title, rows, floor) {
  const ms = (x) => (x === null || x === undefined ? '     – ' : `${x.toFixed(1).padStart(5)} ms`);
  const pair = (x) => (x ? `${ms(x.median)} ${ms(x.p95)}` : `${ms(null)}  ${ms(null)}`);
  console.log(`\n${title}`);
  console.log('                                   main thread:          main thread:          key -> painted        engine worker: painting worker: tasks');
  console.log('                                   script                script + raster       frame                 the run        the drawing     > 50 ms');
  console.log('  view                   tokens    median     p95        median     p95        median     p95        median  p95    median  p95     (longest)');
  const two = (x) => (x ? `${x.median.toFixed(1).padStart(5)} ${x.p95.toFixed(1).padStart(5)}` : '    –     –');
  const row = (t) => console.log(`  ${(t.mode ? `${t.view}, ${t.mode}` : t.view).padEnd(22)} ${String(t.tokens).padStart(6)}   ${pair(t.main)}   ${pair(t.rasterised)}   ${pair(t.painted)}   ${two(t.worker)}    ${two(t.paint)}     ${t.long_tasks.count} (${t.long_tasks.max.toFixed(0)})`);
  for (const t of rows) row(t);
  row(floor);
  console.log(`  (${KEYSTROKES} keystrokes each. "painted" adds the wait for the display's next frame; the empty`);
  console.log('   page, whose script does nothing, shows that wait alone)');
}

function quantile(sorted, q) { return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]; }

// Text of n tokens for the shipped model, BOS included: words that its 512-token BPE
// keeps whole (with their leading space), after a first word that is one token too.
function textOfTokens(n) {
  const words = [' sat', ' on', ' mat', ' and', ' a', ' to', ' with', ' red', ' he', ' she', ' was', ' big', ' little', ' went', ' saw'];
  return 'he' + Array.from({ length: Math.max(0, n - 2) }, (_, i) => words[i % words.length]).join('');
}

// Time to the first drawn heatmap of one fresh load. Nothing else listens meanwhile:
// reading the responses' bodies through the DevTools protocol (bytesTransferred) slowed
// the load itself by about 0.2 s on this machine (1,150 ms against 927, medians of 8).
async function firstHeatmap(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}?view=heatmap`);
  await page.waitForSelector('body[data-ready="true"]');
  const [ms, engineReady, modelReady] = await page.evaluate(() => ['first-draw', 'engine-ready', 'model-ready'].map((name) => {
    const mark = performance.getEntriesByName(`llmsim:${name}`)[0];
    return mark ? mark.startTime : NaN;
  }));
  await page.waitForTimeout(300);
  await page.close();
  return { ms, engineReady, modelReady };
}

// What a first load transfers: every response's body, raw and gzipped, on a load of
// its own (not timed).
async function bytesTransferred(context, url) {
  const page = await context.newPage();
  const bytes = [];
  page.on('response', async (r) => { try { bytes.push({ url: r.url(), body: await r.body() }); } catch { /* redirects */ } });
  await page.goto(`${url}?view=heatmap`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForTimeout(300);
  await page.close();
  const raw = bytes.reduce((s, b) => s + b.body.length, 0);
  const gzip = bytes.reduce((s, b) => s + zlib.gzipSync(b.body, { level: 9 }).length, 0);
  return { raw, gzip, files: bytes.map((b) => `${path.basename(new URL(b.url).pathname) || 'index.html'} ${b.body.length}`) };
}

// Installs, in the page, a probe that times each keystroke: `drawn` when the page has
// drawn the keystroke's text (its run came back from the worker and the view is
// drawn), `painted` when the frame after that has been rendered (the next animation
// frame, then a message task, which runs after that frame's style, layout and
// paint), `main` the main thread's own work for it (the input handler, and the
// handling of the run's result: `markDrawn(ms)` passes that), `worker` the worker's
// compute time for the run. On the empty page the input handler itself is the work.
// Every main-thread task over 50 ms meanwhile is kept (a long-task observer).
function installProbe(selector) {
  window.__latencies = [];
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
  }).observe({ type: 'longtask' });
  let keyTime = null;
  const channel = new MessageChannel();
  let pending = null;
  channel.port1.onmessage = () => { pending.painted = performance.now() - pending.key; window.__latencies.push(pending); };
  document.querySelector(selector).addEventListener('keydown', (e) => { keyTime = e.timeStamp; }, true);
  // The input handler's time: from a capturing listener on the document (first) to a
  // bubbling one on the window (last).
  let inputStart = 0;
  window.__inputMs = 0;
  document.addEventListener('input', () => { inputStart = performance.now(); }, true);
  window.addEventListener('input', () => { window.__inputMs += performance.now() - inputStart; });
  window.__markDrawn = (resultMs = 0, workerMs = null, paintMs = null) => {
    if (keyTime === null) return;
    const sample = { key: keyTime, drawn: performance.now() - keyTime, main: window.__inputMs + resultMs, worker: workerMs, paint: paintMs };
    keyTime = null;
    window.__inputMs = 0;
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
  const longTasks = await page.evaluate(() => window.__longTasks);
  const stats = (key) => {
    const sorted = samples.map((s) => s[key]).filter((x) => x !== null).sort((a, b) => a - b);
    return sorted.length ? { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) } : null;
  };
  return { drawn: stats('drawn'), main: stats('main'), worker: stats('worker'), paint: stats('paint'), frame: stats('frame'), painted: stats('painted'),
    n: samples.length, long_tasks: { count: longTasks.length, max: Math.max(0, ...longTasks) } };
}

// Types KEYSTROKES characters at the end of a text of `tokens` tokens in `view`, twice:
// once as a reader would, and once reading a pixel of every canvas in view right after
// the page draws. Chromium only records canvas commands when the script runs and
// rasterises them in the next frame; the read forces that work into the keystroke, so
// the second pass times the main thread's script + rasterising, free of the wait for
// the frame. `slowdown`: the page's CPU throttled that many times.
async function keystrokeLatency(context, url, view, tokens, slowdown = 1, measure = null) {
  const asReader = await typeInView(context, url, view, tokens, false, slowdown, measure);
  const rasterised = await typeInView(context, url, view, tokens, true, slowdown, measure);
  return { ...asReader, rasterised: rasterised.main, ...(measure ? { mode: measure } : {}) };
}

async function throttle(context, page, rate) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  return cdp;
}

async function typeInView(context, url, view, tokens, rasterise, slowdown, measure) {
  const page = await context.newPage();
  await page.goto(`${url}?view=${view}${measure ? `&measure=${measure}` : ''}&text=${encodeURIComponent(textOfTokens(tokens))}`);
  await page.waitForSelector('body[data-ready="true"]');
  const actual = await page.evaluate(() => window.__llmsim.summary.tokens.length);
  await page.evaluate(installProbe, '#text');
  // The handling of a run's result (session.show: the views drawn), timed.
  await page.evaluate((rasterise) => {
    const session = window.__llmsim;
    const show = session.show.bind(session);
    session.show = (...args) => {
      const start = performance.now();
      const before = window.__llmsimDrawing.ms;
      show(...args);
      if (rasterise) {
        for (const c of document.querySelectorAll('section[data-view]:not([hidden]) canvas')) {
          try {
            if (c.width && c.height) c.getContext('2d').getImageData(0, 0, 1, 1);
          } catch { /* drawn (and rasterised) in the painting worker: no context here */ }
        }
      }
      const mainMs = performance.now() - start;
      // Drawn once the painting worker has drawn what the run asked for.
      window.__llmsimPainted().then(() => window.__markDrawn(mainMs, session.runMs, window.__llmsimDrawing.ms - before));
    };
  }, rasterise);
  if (slowdown > 1) await throttle(context, page, slowdown);
  const result = await typeAndCollect(page, '#text');
  await page.close();
  return { view, tokens: actual, ...result };
}

// Main-thread tasks over 50 ms while `act(page)` runs on a page slowed `slowdown`×.
async function longTasksWhile(context, url, slowdown, act) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask' });
  });
  await throttle(context, page, slowdown);
  await act(page);
  await page.waitForTimeout(300);
  const tasks = await page.evaluate(() => window.__longTasks);
  await page.close();
  return { count: tasks.length, max: Math.max(0, ...tasks) };
}

// Every tab once, each drawn before the next. A mouse click at the tab's centre, not
// page.click: Playwright's click verifies its target with listeners in the page that
// force style and layout inside the click's task, work no reader's click makes.
async function switchViews(page) {
  for (const view of [...VIEWS.slice(1), VIEWS[0]]) {
    const centre = await page.$eval(`#tab-${view}`, (tab) => { const r = tab.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; });
    await page.mouse.click(centre.x, centre.y);
    await page.waitForFunction((v) => document.body.dataset.view === v && !window.__llmsim.inFlight, view);
    await page.waitForTimeout(100);
  }
}

// Chooses the other trained model (its script loads, the worker installs it) and waits for its drawing.
async function loadOtherModel(page) {
  const other = await page.evaluate(() => window.__llmsim.engine.models.find((m) => m.trained && m.name !== window.__llmsim.state.model).name);
  const index = await page.evaluate((name) => window.__llmsim.engine.models.findIndex((m) => m.name === name), other);
  await page.selectOption('#model', String(index));
  await page.waitForFunction((name) => window.__llmsim.summary && window.__llmsim.summary.model_name === name, other, { timeout: 60000 });
}

// The floor: the same probe on a page that does nothing but hold a textarea. What it
// measures is the wait for the display's next frame, which no page can shorten.
async function emptyPageLatency(context, slowdown = 1) {
  const page = await context.newPage();
  await page.setContent('<textarea id="empty" aria-label="empty"></textarea>');
  await page.evaluate(installProbe, '#empty');
  await page.evaluate(() => document.getElementById('empty').addEventListener('input', () => window.__markDrawn()));
  if (slowdown > 1) await throttle(context, page, slowdown);
  const result = await typeAndCollect(page, '#empty');
  await page.close();
  return { view: '(empty page)', tokens: 0, ...result, rasterised: result.main };
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
  const bytes = await bytesTransferred(browser.context, site.url);
  const loadMs = load.map((l) => l.ms).sort((a, b) => a - b);
  const typing = [];
  // The default view (arcs) and the heatmap at every length; every other view at 128.
  for (const view of ['arcs', 'heatmap'])
    for (const n of [32, 128, maxTokens]) typing.push(await keystrokeLatency(browser.context, site.url, view, n));
  for (const view of ['tokens', 'grid', 'qkv', 'multihead', 'scaling', 'predictions', 'compare'])
    typing.push(await keystrokeLatency(browser.context, site.url, view, 128));
  // The measures beyond the weights (issue 19), in the views that draw them.
  for (const [view, measure] of [['heatmap', 'contribution'], ['heatmap', 'amount'], ['heatmap', 'rollout'], ['arcs', 'rollout']])
    typing.push(await keystrokeLatency(browser.context, site.url, view, 128, 1, measure));
  const floor = await emptyPageLatency(browser.context);
  // The page slowed 4×: every view at 128 tokens, the empty page, and the long tasks
  // of switching views and of loading the other model.
  const slowTyping = [];
  for (const view of VIEWS) slowTyping.push(await keystrokeLatency(browser.context, site.url, view, 128, SLOWDOWN));
  const slowFloor = await emptyPageLatency(browser.context, SLOWDOWN);
  const slowSwitching = await longTasksWhile(browser.context, `${site.url}?text=${encodeURIComponent(textOfTokens(128))}`, SLOWDOWN, switchViews);
  const slowLoading = await longTasksWhile(browser.context, `${site.url}?view=heatmap`, SLOWDOWN, loadOtherModel);

  const result = {
    date: new Date().toISOString(), cpu: os.cpus()[0].model, model,
    first_heatmap_ms: { median: quantile(loadMs, 0.5), samples: loadMs, engine_ready: load.map((l) => l.engineReady), model_ready: load.map((l) => l.modelReady) },
    bytes,
    keystroke_to_frame_ms: typing,  // rows with `mode`: the view drawing that measure
    empty_page_floor_ms: floor,
    slowed: { rate: SLOWDOWN, keystroke_to_frame_ms: slowTyping, empty_page_floor_ms: slowFloor,
      long_tasks_switching_views: slowSwitching, long_tasks_loading_model: slowLoading },
  };
  console.log(`Page benchmark on ${result.cpu}, model ${model}, headless Chromium`);
  console.log(`first heatmap after load: median ${result.first_heatmap_ms.median.toFixed(1)} ms over ${loadMs.length} loads` +
    ` (worker ready at ${quantile([...result.first_heatmap_ms.engine_ready].sort((a, b) => a - b), 0.5).toFixed(0)} ms, default model installed at ${quantile([...result.first_heatmap_ms.model_ready].sort((a, b) => a - b), 0.5).toFixed(0)} ms)`);
  console.log(`bytes transferred: ${(result.bytes.raw / 1e6).toFixed(2)} MB raw, ${(result.bytes.gzip / 1e6).toFixed(2)} MB gzip (${result.bytes.files.length} files)`);
  printTable('per keystroke, at full speed', typing, floor);
  printTable(`per keystroke, the page's CPU slowed ${SLOWDOWN}× (the worker's is not: the protocol cannot throttle workers)`, slowTyping, slowFloor);
  const tasks = (t) => `${t.count} (longest ${t.max.toFixed(0)} ms)`;
  console.log(`main-thread tasks over 50 ms, slowed ${SLOWDOWN}×: switching through every view ${tasks(slowSwitching)}, loading the other model ${tasks(slowLoading)}`);
  fs.mkdirSync(path.join(root, 'build/bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build/bench/page.json'), JSON.stringify(result, null, 2));
  console.log('written build/bench/page.json');
} finally {
  await browser.close();
  site.server.close();
}
