// The Train view's trainer module (build/wasm/llmsim-train.js), the real WASM build,
// against the native CLI: its first steps' losses are `llmsim train`'s for the same
// options (--min-lr = --lr: the watched run holds its rate), within float rounding
// (the WASM step runs its products on SIMD128 kernels, natively Eigen: the sums run in
// another order); a seed gives the same losses bit for bit in two instances; the
// files it exports are a model folder the CLI runs, tokenising as the module does;
// bad options are errors that leave the instance working.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cli = path.join(root, 'build/native/llmsim');
let module;
before(async () => { module = await require('../../build/wasm/llmsim-train.js')(); });

// Small enough to run in a second or two, with every part of the recipe in it.
const OPTIONS = {
  vocab: 300, d_model: 16, layers: 2, heads: 2, context: 32, d_ff: 32, batch: 2, warmup: 3,
  lr: 0.003, repeat_fraction: 0.5, seed: 3, train_bytes: 40000, val_bytes: 6000, tokenizer_bytes: 20000,
};
const STEPS = 12;

const checked = (answer) => {
  if (answer && typeof answer === 'object' && answer.error !== undefined) throw new Error(answer.error);
  return answer;
};

function wasmLosses(options, steps) {
  const trainer = new module.Trainer();
  try {
    checked(trainer.start(JSON.stringify(options)));
    return Array.from(checked(trainer.train(steps)));
  } finally {
    trainer.delete();
  }
}

test('the first steps\' losses are the native trainer\'s within float rounding', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-train-'));
  try {
    const o = OPTIONS;
    execFileSync(cli, ['train', '--out', path.join(dir, 'model'), '--log-dir', path.join(dir, 'log'), '--threads', '1',
      '--checkpoint-every', '0', '--steps', String(STEPS), '--seed', String(o.seed),
      '--vocab', String(o.vocab), '--d-model', String(o.d_model), '--layers', String(o.layers), '--heads', String(o.heads),
      '--context', String(o.context), '--d-ff', String(o.d_ff), '--batch', String(o.batch), '--warmup', String(o.warmup),
      '--lr', String(o.lr), '--min-lr', String(o.lr), '--repeat-fraction', String(o.repeat_fraction),
      '--train-bytes', String(o.train_bytes), '--val-bytes', String(o.val_bytes), '--tokenizer-bytes', String(o.tokenizer_bytes)],
    { stdio: ['ignore', 'ignore', 'ignore'] });
    const native = fs.readFileSync(path.join(dir, 'log/loss.csv'), 'utf8').trim().split('\n').slice(1)
      .map((line) => Number(line.split(',')[1]));
    const wasm = wasmLosses(o, STEPS);
    assert.equal(native.length, STEPS);
    // loss.csv prints 6 significant digits (a loss near 5.7: steps of 1e-5); the sums'
    // other order adds a few 1e-7 a step, growing as the weights move apart. Measured:
    // at most 5e-6 over these 12 steps.
    const worst = Math.max(...native.map((x, i) => Math.abs(x - wasm[i])));
    assert.ok(worst < 1e-4, `max |native − WASM| = ${worst}: ${native.slice(0, 4)} vs ${wasm.slice(0, 4)}`);
    assert.ok(wasm[0] > Math.log(o.vocab) - 0.5, `the first loss ${wasm[0]} is about chance`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a seed gives the same losses bit for bit in two instances; another seed does not', () => {
  const a = wasmLosses(OPTIONS, 20), b = wasmLosses(OPTIONS, 20), c = wasmLosses({ ...OPTIONS, seed: 4 }, 20);
  assert.deepEqual(b, a);
  assert.notDeepEqual(c, a);
});

test('the exported files are a model folder the CLI runs; scores and attention have their shapes', () => {
  const trainer = new module.Trainer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-export-'));
  try {
    checked(trainer.start(JSON.stringify(OPTIONS)));
    checked(trainer.train(5));
    const state = checked(trainer.state());
    assert.equal(state.steps, 5);
    assert.equal(state.tokensPerStep, OPTIONS.batch * OPTIONS.context);
    const text = 'The little cat saw a red ball.';
    const attention = checked(trainer.attention(text));
    const T = attention.tokens.length;
    assert.equal(attention.weights.length, OPTIONS.layers * OPTIONS.heads * T * T);
    for (let row = 0; row < T; row++) {  // every head's rows are softmaxes over the visible keys
      const w = attention.weights.subarray(row * T, row * T + T);
      assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) - 1) < 1e-5);
      assert.ok(w.slice(row + 1).every((x) => x === 0), 'the future is masked');
    }
    const scores = checked(trainer.headScores());
    for (const key of ['prev_token', 'first_token', 'induction', 'prev_token_random']) {
      assert.equal(scores[key].length, OPTIONS.layers, key);
      assert.ok(scores[key].flat().every((s) => s >= 0 && s <= 1 && s.constructor === Number), key);
      assert.equal(scores[key][0].length, OPTIONS.heads, key);
    }
    const files = checked(trainer.exportFiles());
    fs.writeFileSync(path.join(dir, 'model.safetensors'), files.safetensors);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), files.tokenizer);
    fs.writeFileSync(path.join(dir, 'config.json'), files.config);
    const trace = JSON.parse(execFileSync(cli, ['trace', '--model', dir, '--text', text], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    assert.deepEqual(trace.tokens, attention.tokens);
    // The CLI's layer 1, head 1 weights are the module's (F32 files: the same weights).
    const fromCli = trace.layers[1].heads[1].weights.flat();
    const fromModule = attention.weights.subarray((1 * OPTIONS.heads + 1) * T * T, (1 * OPTIONS.heads + 2) * T * T);
    assert.ok(Math.max(...fromCli.map((x, i) => Math.abs(x - fromModule[i]))) < 1e-5);
  } finally {
    trainer.delete();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options are errors naming the option, and the instance trains afterwards', () => {
  const trainer = new module.Trainer();
  try {
    assert.match(trainer.start(JSON.stringify({ ...OPTIONS, heads: 3 })).error, /multiple of heads/);
    assert.match(trainer.start('{not json').error, /not JSON/);
    assert.match(trainer.train(1).error, /no training run/);
    assert.match(trainer.start(JSON.stringify({ ...OPTIONS, colour: 'red' })).error, /unknown option "colour"/);
    assert.equal(trainer.start(JSON.stringify(OPTIONS)), true);
    assert.equal(checked(trainer.train(2)).length, 2);
    assert.match(trainer.train(-1).error, /0 to 100000 steps/);
  } finally {
    trainer.delete();
  }
});
