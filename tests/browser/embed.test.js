// Hosting and embedding, in real Chromium: dist/ from disk, from a sub-path and under
// its Content-Security-Policy; the example post's iframes; several <llm-attention>
// elements on one page; hostile parameters; and no request ever leaves the site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { launch, serveDist, openPage, screenshot, root, distDir, viridisInverse } from './harness.js';
import { CONTENT_SECURITY_POLICY, startServer } from '../../scripts/serve.js';
import { VIEW_NAMES as VIEWS } from '../../web/src/views/index.js';

const INJECTION = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>"\'><svg onload=window.__pwned=1>';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

// Records every request a page makes, to check none leaves `allowedPrefix`.
function recordRequests(page) {
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}
const outside = (urls, prefix) => urls.filter((u) => !u.startsWith(prefix) && !u.startsWith('data:') && !u.startsWith('blob:'));

async function fingerprint(handle) {
  return handle.evaluate(async (el) => {
    const root = el.shadowRoot || el;
    let h = 2166136261;
    for (const c of root.querySelectorAll('canvas')) {
      if (!c.width || !c.height) continue;
      const d = (await window.__llmsimPixels(c)).data;  // drawn in the page's painting worker
      for (let i = 0; i < d.length; i += 13) h = Math.imul(h ^ d[i], 16777619);
    }
    return h >>> 0;
  });
}

test('dist/ served from a sub-path draws, and requests nothing outside it', async () => {
  const site = await startServer(distDir, { base: '/blog/sim/' });
  const page = await browser.context.newPage();
  const urls = recordRequests(page);
  await page.goto(`${site.url}?view=heatmap`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.ok(await page.$eval('#heatmap-canvas', (c) => c.width > 100));
  assert.deepEqual(outside(urls, site.url), []);
  assert.ok(site.requests.every((p) => p.startsWith('/blog/sim/')), site.requests.join(' '));
  await page.close();
  site.server.close();
});

test('dist/index.html and dist/embed.html work opened from disk (file://)', async () => {
  for (const file of ['index.html', 'embed.html?view=heatmap&text=from%20disk']) {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const urls = recordRequests(page);
    await page.goto(`file://${path.join(distDir, file)}`);
    if (file.startsWith('index')) await page.waitForSelector('body[data-ready="true"]');
    else await page.waitForSelector('llm-attention[data-ready="true"]');
    assert.deepEqual(errors, []);
    assert.deepEqual(outside(urls, `file://${distDir}/`), []);
    await page.close();
  }
});

test('the example post shows three working embeds whose iframes fit their content', async () => {
  const site = await startServer(root);  // serves docs/ and dist/ side by side
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 900, height: 900 });
  const urls = recordRequests(page);
  await page.goto(`${site.url}docs/example-post.html`);
  const ids = ['embed-arcs', 'embed-heatmap', 'embed-scaling'];
  for (const id of ids) {
    await page.$eval(`#${id}`, (f) => f.scrollIntoView());
    const frame = await (await page.$(`#${id}`)).contentFrame();
    await frame.waitForSelector('llm-attention[data-ready="true"]', { timeout: 15000 });
    await page.waitForFunction((fid) => {
      const f = document.getElementById(fid);
      const inner = f.contentDocument.documentElement.getBoundingClientRect().height;
      return Math.abs(f.getBoundingClientRect().height - Math.ceil(inner)) <= 2 && inner > 150;
    }, id, { timeout: 10000 });
    const element = await frame.$('llm-attention');
    assert.notEqual(await fingerprint(element), 2166136261, `${id} drew nothing`);
  }
  const views = await Promise.all(ids.map(async (id) => (await (await page.$(`#${id}`)).contentFrame()).$eval('llm-attention', (e) => e.shadowRoot.querySelector('section').dataset.view)));
  assert.deepEqual(views, ['arcs', 'heatmap', 'scaling']);
  await screenshot(page, 'embed-example-post');
  assert.deepEqual(outside(urls, site.url), []);
  await page.close();
  site.server.close();
});

test('two <llm-attention> elements share one module, draw different texts, and keep their styles to themselves', async () => {
  const site = await serveDist();
  const page = await browser.context.newPage();
  // A host page of its own (a blog's, with inline styles: not under the site's CSP),
  // served from the site's origin.
  await page.route(`${site.url}host.html`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><head><style>
      body { font-family: serif; } canvas { border: 7px solid rgb(255, 0, 0); } p { color: rgb(0, 128, 0); }
    </style></head><body>
    <p id="host-text">Host paragraph.</p>
    <llm-attention id="a" view="heatmap" text="The cat sat on the mat." layer="1" head="2"></llm-attention>
    <llm-attention id="b" view="heatmap" text="A completely different sentence about dogs and parks." layer="1" head="2"></llm-attention>
    <script src="${site.url}llm-attention.js"></script></body></html>` }));
  await page.goto(`${site.url}host.html`);
  await page.waitForSelector('#a[data-ready="true"]');
  await page.waitForSelector('#b[data-ready="true"]');
  const a = await page.$('#a'), b = await page.$('#b');
  assert.notEqual(await fingerprint(a), await fingerprint(b));
  const tokens = (el) => el.evaluate((e) => e.session.summary.tokens);
  assert.notDeepEqual(await tokens(a), await tokens(b));
  // One engine host (a worker with one WASM module) for both, each with its own simulator.
  assert.deepEqual(await page.evaluate(() => {
    const [a, b] = ['a', 'b'].map((id) => document.getElementById(id).session.engine);
    return { shared: a.host === b.host, where: a.where, own: a.id !== b.id };
  }), { shared: true, where: 'worker', own: true });
  // Host styles do not reach in, and the element's styles do not leak out.
  const border = await a.evaluate((e) => getComputedStyle(e.shadowRoot.querySelector('canvas')).borderTopWidth);
  assert.equal(border, '0px');
  assert.equal(await page.$eval('#host-text', (p) => getComputedStyle(p).color), 'rgb(0, 128, 0)');
  assert.equal(await page.$eval('body', (p) => getComputedStyle(p).fontFamily), 'serif');
  // Attributes are live.
  const before = await fingerprint(a);
  await a.evaluate((e) => e.setAttribute('head', '0'));
  // The run is in the engine's worker: wait until it is back and drawn.
  await page.waitForFunction(() => {
    const s = document.getElementById('a').session;
    return s.state.head === 0 && !s.inFlight && !s.dirty;
  });
  await page.waitForTimeout(50);
  assert.notEqual(await fingerprint(a), before);
  await a.evaluate((e) => e.setAttribute('view', 'arcs'));
  await page.waitForFunction(() => document.getElementById('a').shadowRoot.querySelector('section').dataset.view === 'arcs');
  await page.close();
  site.server.close();
});

test('measure and hidefirst as attributes: <llm-attention measure="contribution" hidefirst> draws the contributions with the first token hidden, and says so', async () => {
  const site = await serveDist();
  const page = await browser.context.newPage();
  after(() => site.server.close());  // also when an assertion fails: an open server would hold the run
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const text = 'She opened the door and walked into the quiet garden.';
  await page.route(`${site.url}host.html`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body>
    <llm-attention id="t" view="heatmap" measure="contribution" hidefirst text="${text}" layer="1" head="0" guide="off"></llm-attention>
    <script src="${site.url}llm-attention.js"></script></body></html>` }));
  await page.goto(`${site.url}host.html`);
  await page.waitForSelector('#t[data-ready="true"]');
  const element = await page.$('#t');
  assert.deepEqual(await element.evaluate((e) => ({ measure: e.session.state.measure, hidefirst: e.session.state.hidefirst, notices: e.session.notices })),
    { measure: 'contribution', hidefirst: true, notices: [] });
  // What the element drew, read back from its pixels, against the contributions it was
  // sent, with the first column left out and each row renormalised here.
  const { contributions, T, cells } = await element.evaluate(async (e) => {
    const s = e.session, T = s.summary.tokens.length;
    const canvas = e.shadowRoot.getElementById('heatmap-canvas');
    await window.__llmsimPainted();
    const l = window.__llmsimHeatmapLayout, ratio = window.devicePixelRatio;
    const pixel = async (q, k) => Array.from((await window.__llmsimPixels(canvas, Math.round((l.left + (k + 0.5) * l.cell) * ratio), Math.round((l.top + (q + 0.5) * l.cell) * ratio), 1, 1)).data.slice(0, 3));
    const cells = [];
    for (const q of [3, 6, 9, T - 1]) for (const k of [0, 1, 2, q]) cells.push({ q, k, rgb: await pixel(q, k) });
    return { contributions: Array.from(s.matrix('contributions').data), T, cells };
  });
  for (const { q, k, rgb } of cells) {
    const { t, d } = viridisInverse(rgb);
    if (k === 0) { assert.ok(d > 20, `the hidden first column is not drawn as a value: (${q}, 0) ${rgb}`); continue; }
    let rest = 0;
    for (let j = 1; j <= q; j++) rest += contributions[q * T + j];
    const expected = contributions[q * T + k] / rest;
    assert.ok(d < 4 && Math.abs(t - expected) < 0.01, `(${q}, ${k}): drawn ${t}, expected ${expected}`);
  }
  assert.match(await element.evaluate((e) => e.shadowRoot.querySelector('.embed-note').textContent), /view transform/);
  await screenshot(page, 'embed-contribution-hidefirst');
  // embed.html hands the same parameters on to its element.
  await page.goto(`${site.url}embed.html?view=arcs&measure=rollout&hidefirst=1`);
  await page.waitForSelector('llm-attention[data-ready="true"]');
  assert.deepEqual(await page.$eval('llm-attention', (e) => [e.session.state.measure, e.session.state.hidefirst]), ['rollout', true]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('hostile attributes, URL parameters and messages are shown as text or ignored', async () => {
  const site = await serveDist();
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const q = encodeURIComponent(INJECTION);
  const names = ['view', 'text', 'layer', 'head', 'token', 'threshold', 'scale', 'causal', 'model', 'dk', 'temperature', 'measure', 'hidefirst'];
  await page.goto(`${site.url}embed.html?${names.map((n) => `${n}=${q}`).join('&')}`);
  await page.waitForSelector('llm-attention[data-ready="true"]');
  const notices = await page.$eval('llm-attention', (e) => Array.from(e.shadowRoot.querySelectorAll('.embed-notices li'), (li) => li.textContent));
  assert.ok(notices.length >= names.length - 1, notices.join('\n'));  // every bad value but the text (which is valid text)
  assert.equal(await page.$eval('llm-attention', (e) => e.shadowRoot.querySelector('section').dataset.view), 'arcs');
  assert.deepEqual(await page.$eval('llm-attention', (e) => e.shadowRoot.querySelectorAll('img, script, svg').length), 0);
  // Messages of any other shape are ignored; the two commands work.
  const post = (m) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
  await page.evaluate(() => { window.__seen = 0; });
  for (const m of [INJECTION, { type: 'llm-attention:set-text', text: 5 }, { type: 'llm-attention:set-head', layer: -1, head: 0 }, { type: 'x' }, null, [1, 2]]) await post(m);
  await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(errors, []);
  await page.close();
  site.server.close();
});

test('the parent page can set the text and the head by postMessage', async () => {
  const site = await startServer(root);
  const page = await browser.context.newPage();
  await page.goto(`${site.url}docs/example-post.html`);
  const frameHandle = await page.$('#embed-heatmap');
  await frameHandle.scrollIntoViewIfNeeded();
  const frame = await frameHandle.contentFrame();
  await frame.waitForSelector('llm-attention[data-ready="true"]');
  await page.evaluate(() => document.getElementById('embed-heatmap').contentWindow.postMessage({ type: 'llm-attention:set-text', text: 'Sent from the parent page' }, '*'));
  await frame.waitForFunction(() => document.querySelector('llm-attention').session.summary.tokens.join('').includes('Sent from the parent page'));
  await page.evaluate(() => document.getElementById('embed-heatmap').contentWindow.postMessage({ type: 'llm-attention:set-head', layer: 1, head: 2 }, '*'));
  await frame.waitForFunction(() => { const s = document.querySelector('llm-attention').session.state; return s.layer === 1 && s.head === 2; });
  await page.close();
  site.server.close();
});

test('one Content-Security-Policy: the README states it, both pages carry it, the server sends it, and no page or view logs a violation', async () => {
  assert.ok(fs.readFileSync(path.join(root, 'README.md'), 'utf8').includes(CONTENT_SECURITY_POLICY), 'README.md states the policy');
  const site = await serveDist();
  const pages = [...VIEWS.map((v) => `${site.url}?view=${v}`), ...['arcs', 'qkv', 'predictions'].map((v) => `embed.html?view=${v}`).map((u) => site.url + u)];
  for (const url of pages) {
    const page = await browser.context.newPage();
    const violations = [];
    // The DOM event catches what the console may not word the same way in every version.
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on('console', (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) violations.push(m.text()); });
    page.on('pageerror', (e) => violations.push(String(e)));
    const response = await page.goto(url);
    assert.equal(response.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content), CONTENT_SECURITY_POLICY, url);
    await page.waitForSelector(url.includes('embed') ? 'llm-attention[data-ready="true"]' : 'body[data-ready="true"]');
    await page.waitForTimeout(100);  // the favicon and late styles load after ready
    violations.push(...await page.evaluate(() => window.__violations));
    assert.deepEqual(violations, [], url);
    await page.close();
  }
  site.server.close();
});

test('the page offers both embed snippets for the current state, escaped', async () => {
  const site = await serveDist();
  const { page } = await openPage(browser.context, `${site.url}?view=heatmap&head=2`);
  await page.fill('#text', 'Quotes " and <tags>');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('text') === 'Quotes " and <tags>');
  await page.click('#embed-open');
  const iframe = await page.inputValue('#embed-iframe');
  const component = await page.inputValue('#embed-component');
  assert.match(iframe, /embed\.html\?/);
  assert.match(iframe, /view=heatmap/);
  assert.match(iframe, /head=2/);
  assert.match(component, /<llm-attention [^>]*view="heatmap"/);
  assert.match(component, /text="Quotes &quot; and &lt;tags&gt;"/);
  assert.match(component, /llm-attention\.js/);
  // The iframe snippet, pasted into a page, shows the same state.
  const src = iframe.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
  const check = await browser.context.newPage();
  await check.goto(src);
  await check.waitForSelector('llm-attention[data-ready="true"]');
  assert.equal(await check.evaluate(() => document.querySelector('llm-attention').session.state.text), 'Quotes " and <tags>');
  await check.close();
  await page.close();
  site.server.close();
});
