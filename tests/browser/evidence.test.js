// Evidence for every label (issue 19), on the head grid: a head's label opens the
// snippets of its report where it does what the label says, with the keyboard too,
// and its tokens are shown as text, never as markup. Real Chromium on the built page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serveDist, openPage, screenshot } from './harness.js';
import { readModel } from '../../web/src/node-models.js';
import { MANIFEST } from '../../web/src/manifest.js';

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

// The evidence panel as shown: its title, and each snippet's numbers and tokens.
function shownEvidence(page) {
  return page.$eval('#grid-evidence', (panel) => ({
    hidden: panel.hidden,
    title: panel.querySelector('.evidence-title')?.textContent,
    snippets: Array.from(panel.querySelectorAll('.evidence-snippet'), (li) => ({
      query: Number(li.dataset.query),
      key: Number(li.dataset.key),
      weight: li.querySelector('.evidence-weight').textContent,
      tokens: Array.from(li.querySelectorAll('[data-position]'), (t) => t.textContent),
      positions: Array.from(li.querySelectorAll('[data-position]'), (t) => Number(t.dataset.position)),
      keyMarked: Array.from(li.querySelectorAll('mark.evidence-key'), (t) => Number(t.dataset.position)),
      queryMarked: Array.from(li.querySelectorAll('mark.evidence-query'), (t) => Number(t.dataset.position)),
    })),
  }));
}

const focusedId = (page) => page.evaluate(() => document.activeElement.className + (document.activeElement.dataset.evidence ? `:${document.activeElement.dataset.evidence}` : ''));

test('grid: the previous-token head\'s label opens its evidence, each snippet a query looking at the token before it, as the report has it', async () => {
  const report = JSON.parse(readModel(MANIFEST.default).heads);
  const previous = report.find((h) => h.label === 'previous-token');
  assert.ok(previous, 'the default model has a previous-token head');
  const id = `${previous.layer}.${previous.head}`;
  const { page, errors } = await openPage(browser.context, `${site.url}?view=grid`);
  const label = `#grid [data-evidence="${id}"]`;
  await page.waitForFunction((sel) => !document.querySelector(sel).disabled, label);
  assert.equal(await page.textContent(label), 'previous-token');
  assert.equal(await page.$eval('#grid-evidence', (p) => p.hidden), true, 'closed until asked');

  await page.click(label);
  await page.waitForFunction(() => !document.getElementById('grid-evidence').hidden);
  const shown = await shownEvidence(page);
  assert.equal(shown.title, `L${previous.layer} H${previous.head} · previous-token`);
  assert.equal(shown.snippets.length, previous.evidence.length);
  shown.snippets.forEach((s, i) => {
    const e = previous.evidence[i];
    assert.equal(s.key, s.query - 1, `snippet ${i}: the key is right before the query`);
    assert.deepEqual([s.query, s.key], [e.query, e.key]);
    assert.deepEqual(s.tokens, e.tokens, `snippet ${i}: the report's tokens, in order`);
    assert.deepEqual(s.positions, e.positions);
    assert.deepEqual(s.keyMarked, [e.key]);
    assert.deepEqual(s.queryMarked, [e.query]);
    assert.equal(s.weight, e.weight.toFixed(3));
  });
  assert.equal(await page.$eval(label, (b) => b.getAttribute('aria-expanded')), 'true');
  assert.equal(await focusedId(page), 'evidence-title', 'focus moves to the evidence');
  await page.$eval('#grid-evidence', (p) => p.scrollIntoView({ block: 'center' }));
  await screenshot(page, 'grid-evidence');

  // Keyboard: Escape closes it and gives focus back to the label; Enter opens it again;
  // the close button closes it.
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.getElementById('grid-evidence').hidden);
  assert.equal(await focusedId(page), `head-label:${id}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.getElementById('grid-evidence').hidden);
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(page), 'evidence-close');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('grid-evidence').hidden);
  assert.equal(await focusedId(page), `head-label:${id}`);

  // Another head's label shows that head's evidence in its place.
  const other = report.find((h) => h.label !== 'previous-token' && h.evidence.length);
  await page.click(`#grid [data-evidence="${other.layer}.${other.head}"]`);
  await page.waitForFunction((t) => document.querySelector('#grid-evidence .evidence-title')?.textContent.startsWith(t), `L${other.layer} H${other.head}`);
  assert.deepEqual((await shownEvidence(page)).snippets.map((s) => s.tokens), other.evidence.map((e) => e.tokens));
  assert.deepEqual(errors, []);
  await page.close();
});

test('grid: evidence tokens are text, never markup', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=grid`);
  await page.waitForFunction(() => !document.querySelector('#grid [data-evidence="0.0"]').disabled);
  const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';
  // A report whose tokens and reason carry markup, as a hostile model's files could.
  await page.evaluate((h) => {
    const s = window.__llmsim, key = `heads:${s.state.model}`;
    const report = structuredClone(s.answers.get(key));
    report[0].reason = h;
    report[0].evidence[0].tokens = report[0].evidence[0].tokens.map(() => h);
    s.answers.set(key, report);
    s.render();
  }, hostile);
  await page.click('#grid [data-evidence="0.0"]');
  await page.waitForFunction(() => !document.getElementById('grid-evidence').hidden);
  const { text, elements } = await page.$eval('#grid-evidence', (p) => ({ text: p.textContent, elements: p.querySelectorAll('img, script').length }));
  assert.equal(elements, 0);
  assert.ok(text.includes(hostile));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(errors, []);
  await page.close();
});
