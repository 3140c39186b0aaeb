// npm run bench:gpt2-page — GPT-2 small's shape in the page itself, in headless
// Chromium (issue 21): the random checkpoint of gpt2-checkpoint.js put beside the
// built site and named in the URL (?checkpoint=), as a site owner would. Times:
//   load       from the page's navigation to the checkpoint's first drawing (the
//              page, the worker and the default model first; then config, tokenizer
//              and the 498 MB model.safetensors streamed into the worker)
//   keystroke  a character typed at the end of a ~120-token text, in the heatmap:
//              the worker's run (Session.runMs) and key to drawn (by the harness's
//              clock, and by the page's: keydown to the session's drawing)
// Figures, not pass/fail; writes build/bench/gpt2-page.json.
import fs from 'node:fs';
import path from 'node:path';
import { launch, serveDist, root } from '../browser/harness.js';
import { median } from './inputs.js';
import { gpt2Checkpoint } from './gpt2-checkpoint.js';

const log = (...a) => console.log(...a);
const KEYS = 24;  // keystrokes typed, one character each
const folder = gpt2Checkpoint(log);
const beside = path.join(root, 'dist', 'gpt2-random');  // beside the site's files
fs.rmSync(beside, { recursive: true, force: true });
fs.mkdirSync(beside);
for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) fs.linkSync(path.join(folder, f), path.join(beside, f));

const words = 'the cat sat on the mat and looked at the small bird that sang in the old tree by the river'.split(' ');
const text = Array.from({ length: 118 }, (_, i) => words[i % words.length]).join(' ');
const browser = await launch();
const site = await serveDist();
try {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // When the progress line first shows (the checkpoint's header in) and when it says
  // the weights are all read ("Finishing"), by the page's clock.
  await page.addInitScript(() => {
    window.__phases = {};
    new MutationObserver(() => {
      const box = document.getElementById('open-model-progress');
      if (!box || box.hidden) return;
      const phase = /Finishing/.test(box.textContent) ? 'finishing' : 'reading';
      window.__phases[phase] ??= performance.now();
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const start = Date.now();
  await page.goto(`${site.url}?checkpoint=gpt2-random/&view=heatmap&text=${encodeURIComponent(text)}`);
  await page.waitForFunction(() => window.__llmsim && window.__llmsim.summary && window.__llmsim.summary.model_name === 'checkpoint' && !window.__llmsim.inFlight,
    null, { timeout: 300000, polling: 50 });
  const loadMs = Date.now() - start;
  const tokens = await page.evaluate(() => window.__llmsim.summary.tokens.length);
  const phases = await page.evaluate(() => window.__phases);
  log(`load: ${(loadMs / 1000).toFixed(2)} s from navigation to the checkpoint's first drawing (${tokens} tokens); ` +
    `the file started streaming at ${(phases.reading / 1000).toFixed(2)} s and was all read at ${(phases.finishing / 1000).toFixed(2)} s (page clock)`);

  await page.focus('#text');
  await page.keyboard.press('End');
  // By the page's clock as well: from the keydown to the moment the session has drawn
  // the run of the text as it is then (its show() returned), without the harness's
  // round trips. The harness waits on a promise the page settles when it has drawn, not
  // by polling: Playwright's polling every few ms kept both cores busy, and the worker's
  // run took 5-15 ms longer beside it.
  await page.evaluate(() => {
    const session = window.__llmsim, show = session.show.bind(session);
    window.__keys = [];
    document.addEventListener('keydown', () => { window.__keys.push({ down: performance.now(), drawn: null }); }, true);
    session.show = (text, ...rest) => {
      show(text, ...rest);
      const key = window.__keys.at(-1);
      if (key && key.drawn === null && text === document.getElementById('text').value) {
        key.drawn = performance.now();
        if (window.__onDrawn) window.__onDrawn();
      }
    };
    // Settles once the last key's text is drawn (at once if it is already).
    window.__drawn = () => new Promise((resolve) => {
      const key = window.__keys.at(-1);
      if (key && key.drawn !== null) resolve(); else window.__onDrawn = resolve;
    });
  });
  const keys = [];
  for (let i = 0; i < KEYS; i++) {  // one character each: two would be two runs, one after the other
    const t0 = Date.now();
    await page.keyboard.type(i % 2 ? 'a' : 'b');
    await page.evaluate(() => window.__drawn());
    const inPage = await page.evaluate(() => { const k = window.__keys.at(-1); return k.drawn - k.down; });
    keys.push({ drawn: Date.now() - t0, drawn_in_page: inPage, worker: await page.evaluate(() => window.__llmsim.runMs) });
  }
  // Medians of the first half and of the second: V8 compiles the module's functions
  // again, optimised, once they have run a while (dynamic tiering), so the first
  // keystrokes after a load are slower than the ones that follow.
  const medians = (samples) => ({ drawn_median_ms: median(samples.map((k) => k.drawn)),
    drawn_in_page_median_ms: median(samples.map((k) => k.drawn_in_page)), worker_median_ms: median(samples.map((k) => k.worker)) });
  const result = {
    date: new Date().toISOString(), load_ms: loadMs, phases_ms: phases, tokens,
    keystroke: { first_half: medians(keys.slice(0, KEYS / 2)), second_half: medians(keys.slice(KEYS / 2)), samples: keys },
    errors,
  };
  for (const [half, m] of [['first', result.keystroke.first_half], ['second', result.keystroke.second_half]])
    log(`keystroke at ~${tokens} tokens, the ${half} ${KEYS / 2} (one character each), medians: key to drawn ${m.drawn_median_ms.toFixed(0)} ms ` +
      `(by the harness's clock; ${m.drawn_in_page_median_ms.toFixed(0)} ms by the page's, keydown to drawn), the worker's run ${m.worker_median_ms.toFixed(0)} ms`);
  if (errors.length) log('page errors:', errors);
  fs.writeFileSync(path.join(root, 'build/bench/gpt2-page.json'), JSON.stringify(result, null, 2));
  log('written build/bench/gpt2-page.json');
} finally {
  await browser.close();
  site.server.close();
  fs.rmSync(beside, { recursive: true, force: true });
}
