// Which model loads when, in real Chromium over the real HTTP server (and from disk):
// the page starts with the manifest's default model from llmsim-data.js and fetches
// nothing else; another model's script, models/<name>.js, is loaded only when that
// model is chosen (the dropdown, a link, an embed); a model script that is missing
// gives a visible error and the page keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, serveDist, openPage, root, distDir } from './harness.js';
import { startServer } from '../../scripts/serve.js';
import { MANIFEST } from '../../web/src/manifest.js';

const OTHER = 'tinygpt';  // a model that is not the default, so it is loaded on demand
const otherTitle = MANIFEST.models.find((m) => m.name === OTHER).title;
const defaultTitle = MANIFEST.models.find((m) => m.name === MANIFEST.default).title;
const TEXT = 'Once upon a time, a little fox found a red ball.';

function nativeTokens(model, text) {
  const cli = path.join(root, 'build/native/llmsim');
  return JSON.parse(execFileSync(cli, ['trace', '--model', path.join(root, 'web/models', model), '--text', text],
    { encoding: 'utf8', maxBuffer: 1 << 28 })).tokens;
}

const modelScripts = (paths) => paths.filter((p) => p.includes('/models/'));
const summaryOf = (page) => page.evaluate(() => {
  const s = window.__llmsim.summary;
  return s && { model: s.model_name, tokens: s.tokens };
});

let browser, site;
before(async () => {
  assert.notEqual(MANIFEST.default, OTHER, 'these tests need a second model besides the default');
  browser = await launch();
  site = await serveDist();
});
after(async () => { await browser.close(); site.server.close(); });

test('first load requests llmsim-data.js (the default model) and no other model script; the dropdown lists every model', async () => {
  const from = site.requests.length;
  const { page, errors } = await openPage(browser.context, site.url);
  const requested = site.requests.slice(from);
  assert.ok(requested.includes('/llmsim-data.js'), requested.join(' '));
  assert.deepEqual(modelScripts(requested), []);
  assert.equal((await summaryOf(page)).model, MANIFEST.default);
  const options = await page.$$eval('#model option', (os) => os.map((o) => o.textContent));
  assert.deepEqual(options, [...MANIFEST.models.map((m) => m.title), 'Random weights']);
  assert.equal(await page.$eval('#model', (s) => s.selectedOptions[0].textContent), defaultTitle);
  assert.deepEqual(errors, []);
  await page.close();
});

test(`picking ${OTHER} in the dropdown loads models/${OTHER}.js (showing that it loads), then the views show its tokens`, async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=tokens&text=${encodeURIComponent(TEXT)}`);
  const from = site.requests.length;
  // Hold the model's script back, to see the page say it is loading.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route(`**/models/${OTHER}.js`, async (route) => { await held; await route.continue(); });
  await page.selectOption('#model', { label: otherTitle });
  await page.waitForFunction(() => document.body.dataset.loading === 'true');
  assert.equal(await page.textContent('#status'), `Loading the model “${otherTitle}”…`);
  release();
  await page.waitForFunction((m) => window.__llmsim.summary && window.__llmsim.summary.model_name === m, OTHER);
  assert.deepEqual(modelScripts(site.requests.slice(from)), [`/models/${OTHER}.js`]);
  assert.equal(await page.evaluate(() => document.body.dataset.loading), undefined);
  const expected = nativeTokens(OTHER, TEXT);
  assert.deepEqual((await summaryOf(page)).tokens, expected);
  // The tokens view draws them (each chip's title holds its token's display form, quoted “…”).
  assert.deepEqual(await page.$$eval('#token-chips .token', (els) => els.map((e) => /: “(.*)”$/s.exec(e.title)[1])), expected);
  assert.match(await page.textContent('#status'), new RegExp(`^${expected.length} tokens · ${OTHER} · `));
  assert.equal(new URL(page.url()).searchParams.get('model'), OTHER);
  // Back to the default and to the model again: no second request.
  await page.selectOption('#model', { label: defaultTitle });
  await page.waitForFunction((m) => window.__llmsim.summary.model_name === m, MANIFEST.default);
  await page.selectOption('#model', { label: otherTitle });
  await page.waitForFunction((m) => window.__llmsim.summary.model_name === m, OTHER);
  assert.deepEqual(modelScripts(site.requests.slice(from)), [`/models/${OTHER}.js`]);
  assert.deepEqual(errors, []);
  await page.close();
});

test(`a link with model=${OTHER} works over HTTP and from file://`, async () => {
  const expected = nativeTokens(OTHER, TEXT);
  const query = `?model=${OTHER}&view=tokens&text=${encodeURIComponent(TEXT)}`;
  for (const url of [`${site.url}${query}`, `file://${path.join(distDir, 'index.html')}${query}`]) {
    const page = await browser.context.newPage();
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    const summary = await summaryOf(page);
    assert.equal(summary && summary.model, OTHER, url);
    assert.deepEqual(summary.tokens, expected);
    assert.ok(urls.some((u) => u.endsWith(`/models/${OTHER}.js`)), urls.join(' '));
    assert.equal(await page.$eval('#model', (s) => s.selectedOptions[0].textContent), otherTitle);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test(`an embed with model=${OTHER} loads it; one without loads no model script`, async () => {
  for (const [query, model] of [[`model=${OTHER}&view=tokens`, OTHER], ['view=tokens', MANIFEST.default]]) {
    const from = site.requests.length;
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${site.url}embed.html?${query}&text=${encodeURIComponent(TEXT)}`);
    await page.waitForSelector('llm-attention[data-ready="true"]');
    const summary = await page.$eval('llm-attention', (e) => ({ model: e.session.summary.model_name, tokens: e.session.summary.tokens }));
    assert.equal(summary.model, model);
    assert.deepEqual(summary.tokens, nativeTokens(model, TEXT));
    const requested = site.requests.slice(from);
    assert.ok(requested.includes('/llmsim-data.js'), requested.join(' '));
    assert.deepEqual(modelScripts(requested), model === OTHER ? [`/models/${OTHER}.js`] : []);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test(`under the site's Content-Security-Policy (scripts/serve.js) models/${OTHER}.js loads too`, async () => {
  const strict = await serveDist();  // sends the policy as a header; the pages carry it too
  try {
    for (const [url, ready, model] of [
      [`${strict.url}?model=${OTHER}`, 'body[data-ready="true"]', (p) => p.evaluate(() => window.__llmsim.summary.model_name)],
      [`${strict.url}embed.html?model=${OTHER}`, 'llm-attention[data-ready="true"]', (p) => p.$eval('llm-attention', (e) => e.session.summary.model_name)],
    ]) {
      const page = await browser.context.newPage();
      const violations = [];
      page.on('console', (m) => { if (/Content Security Policy|Refused/.test(m.text())) violations.push(m.text()); });
      page.on('pageerror', (e) => violations.push(String(e)));
      await page.goto(url);
      await page.waitForSelector(ready);
      assert.equal(await model(page), OTHER);
      assert.deepEqual(violations, []);
      await page.close();
    }
  } finally {
    strict.server.close();
  }
});

test('a missing model script is a clear, visible error, and the page keeps working', async () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-dist-'));
  fs.cpSync(distDir, copy, { recursive: true });
  fs.rmSync(path.join(copy, 'models', `${OTHER}.js`));
  const broken = await startServer(copy);
  try {
    // The page: pick the model whose script is gone.
    const { page, errors } = await openPage(browser.context, broken.url);
    await page.selectOption('#model', { label: otherTitle });
    await page.waitForFunction(() => /could not be loaded/.test(document.getElementById('status').textContent));
    const status = await page.$eval('#status', (s) => ({ text: s.textContent, warning: s.classList.contains('warning'), visible: s.getBoundingClientRect().height > 0 }));
    assert.ok(status.warning && status.visible, JSON.stringify(status));
    assert.ok(status.text.includes(otherTitle) && status.text.includes(`models/${OTHER}.js`), status.text);
    assert.equal(await page.evaluate(() => document.body.dataset.loading), undefined);
    // Typing does not ask for the script again, and another model still works.
    const asked = broken.requests.filter((p) => p === `/models/${OTHER}.js`).length;
    await page.fill('#text', 'Still here.');
    await page.waitForTimeout(100);
    assert.equal(broken.requests.filter((p) => p === `/models/${OTHER}.js`).length, asked);
    await page.selectOption('#model', { label: defaultTitle });
    await page.waitForFunction((m) => window.__llmsim.summary && window.__llmsim.summary.model_name === m, MANIFEST.default);
    assert.ok((await page.textContent('#status')).startsWith(`${nativeTokens(MANIFEST.default, 'Still here.').length} tokens`));
    assert.deepEqual(errors.filter((e) => !/^Failed to load resource: .* 404/.test(e)), []);  // the browser logs the 404 itself
    await page.close();

    // A link and an embed that name it say so too, once ready.
    const link = await openPage(browser.context, `${broken.url}?model=${OTHER}`);
    assert.match(await link.page.textContent('#status'), /could not be loaded/);
    await link.page.close();
    const embed = await browser.context.newPage();
    await embed.goto(`${broken.url}embed.html?model=${OTHER}`);
    await embed.waitForSelector('llm-attention[data-ready="true"]');
    const line = await embed.$eval('llm-attention', (e) => {
      const p = e.shadowRoot.querySelector('.embed-status');
      return { text: p.textContent, hidden: p.hidden };
    });
    assert.ok(!line.hidden && line.text.includes('could not be loaded') && line.text.includes(otherTitle), JSON.stringify(line));
    await embed.close();
  } finally {
    broken.server.close();
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
