// The real WASM module, through web/src/engine.js, against the native CLI.
// The golden Traces are produced by build/native/llmsim in this run, not checked in.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createEngine, Engine, utf16Spans } from '../../web/src/engine.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/llmsim');

function nativeTrace(text, args = []) {
  return JSON.parse(execFileSync(cli, ['trace', '--text', text, ...args], { encoding: 'utf8' }));
}

let engine;
before(async () => { engine = await createEngine(); });

function maxAbsDiff(a, b, where) {
  assert.equal(a.length, b.length, `${where}: row count`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i].length, b[i].length, `${where}: row ${i} length`);
    for (let j = 0; j < a[i].length; j++) max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
  }
  return max;
}

const cases = [
  { text: 'The cat sat on the mat because it was tired.', args: [], options: {} },
  { text: 'Attention is all you need', args: ['--seed', '7'], options: { seed: 7 } },
  { text: 'no scaling here, just raw dot products', args: ['--no-scale'], options: { scale: false } },
  { text: 'every token sees every other token', args: ['--no-causal'], options: { causal: false } },
  { text: 'naïve café 🙂 שלום e\u0301 \u0007 end', args: [], options: {} },
];

for (const { text, args, options } of cases) {
  test(`WASM Trace equals the native CLI's within 1e-5: ${JSON.stringify(text).slice(0, 40)} ${args.join(' ')}`, () => {
    const golden = nativeTrace(text, args);
    engine.run(text, options);
    const wasm = engine.traceJson();
    assert.deepEqual(wasm.tokens, golden.tokens);
    assert.deepEqual(wasm.spans, golden.spans);
    assert.equal(wasm.layers.length, golden.layers.length);
    let worst = 0;
    golden.layers.forEach((layer, l) => {
      layer.heads.forEach((head, h) => {
        for (const key of ['q', 'k', 'v', 'scores', 'scaled', 'weights', 'output'])
          worst = Math.max(worst, maxAbsDiff(wasm.layers[l].heads[h][key], head[key], `L${l}H${h}.${key}`));
      });
      worst = Math.max(worst, maxAbsDiff(wasm.layers[l].output, layer.output, `L${l}.output`));
    });
    assert.ok(worst <= 1e-5, `max abs difference ${worst} exceeds 1e-5`);
  });
}

test('matrix() copies agree with the JSON Trace and have the documented shapes', () => {
  const summary = engine.run('one two three four', {});
  const json = engine.traceJson();
  const w = engine.matrix('weights', 1, 3);
  assert.deepEqual([w.rows, w.cols], [4, 4]);
  assert.deepEqual(Array.from(w.data), json.layers[1].heads[3].weights.flat().map(Math.fround));
  const q = engine.matrix('q', 0, 0);
  assert.deepEqual([q.rows, q.cols], [4, summary.d_k]);
  const concat = engine.matrix('concat', 0);
  assert.deepEqual([concat.rows, concat.cols], [4, summary.d_model]);
});

test('an error thrown in C++ arrives as a JS Error with its message', () => {
  assert.throws(() => engine.run('x', { n_head: 0 }),
    (e) => e instanceof Error && e.message === 'option "n_head" must be between 1 and 16, got 0');
  assert.throws(() => engine.run('x', { scale: 'yes' }),
    (e) => e instanceof Error && /"scale" must be true or false/.test(e.message));
  engine.run('a b', {});
  assert.throws(() => engine.matrix('weights', 9, 0),
    (e) => e instanceof Error && e.message === 'layer 9 does not exist (the model has 2 layers)');
  assert.throws(() => engine.matrix('weights', 0, -1), /head -1 does not exist/);
  // The instance is still usable after errors.
  assert.equal(engine.run('still alive', {}).tokens.length, 2);
});

test('1,000 runs with .delete() do not grow the WASM heap', () => {
  const once = () => {
    const e = new Engine(engine.module);
    e.run('The quick brown fox jumps over the lazy dog. '.repeat(3), { seed: 3 });
    e.matrix('weights', 1, 2);
    e.dispose();
  };
  for (let i = 0; i < 20; i++) once();  // warm up allocator free lists
  const before = engine.heapInUse();
  for (let i = 0; i < 1000; i++) once();
  const after = engine.heapInUse();
  assert.equal(after, before, `heap in use grew from ${before} to ${after} bytes`);
});

test('heap accounting is real: an undeleted simulator shows up as growth', () => {
  const before = engine.heapInUse();
  const leaked = new Engine(engine.module);
  leaked.run('this one is not deleted yet', {});
  assert.ok(engine.heapInUse() > before);
  leaked.dispose();
  assert.equal(engine.heapInUse(), before);
});

test('empty and whitespace-only text give an empty trace, not an error', () => {
  for (const text of ['', '   \n\t ']) {
    const s = engine.run(text, {});
    assert.deepEqual(s.tokens, []);
    assert.equal(s.warning, '');
    assert.equal(s.n_layer, 2);
  }
});

test('text over the token limit is cut, with a message naming the limit', () => {
  const words = Array.from({ length: engine.maxTokens + 5 }, (_, i) => `w${i}`);
  const s = engine.run(words.join(' '), {});
  assert.equal(s.tokens.length, engine.maxTokens);
  assert.equal(s.n_input_tokens, engine.maxTokens + 5);
  assert.match(s.warning, new RegExp(`limit is ${engine.maxTokens}`));
});

test('UTF-8 spans map onto the JS string exactly, for every script', () => {
  const text = 'Zoë 🙂🙂 مرحبا e\u0301 <b>x</b>';
  const s = engine.run(text, {});
  const pieces = s.charSpans.map(([b, e]) => text.slice(b, e));
  assert.deepEqual(pieces, s.tokens);
  assert.deepEqual(utf16Spans('a🙂b', [[0, 1], [1, 5], [5, 6]]), [[0, 1], [1, 3], [3, 4]]);
  // A byte-level token that ends inside the emoji: the boundary rounds down to its start.
  assert.deepEqual(utf16Spans('a🙂b', [[0, 1], [1, 3], [3, 5], [5, 6]]), [[0, 1], [1, 1], [1, 3], [3, 4]]);
  assert.deepEqual(utf16Spans('é', [[0, 1], [1, 2]]), [[0, 0], [0, 1]]);
});

// Hostile input to the CLI is an error message and exit 1, or, for bytes that are not
// UTF-8, output with U+FFFD in their place: never an abort (issue 15). The exit codes
// and messages come from the real binary.
test('the CLI answers bad bytes and bad options with a message, never an abort', () => {
  const run = (args) => spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  // Node passes arguments as UTF-8, so the lone byte 0xFF goes through the shell.
  const raw = spawnSync('sh', ['-c', `"${cli}" trace --text "$(printf 'a\\377b')"`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(raw.status, 0, raw.stderr);
  assert.deepEqual(JSON.parse(raw.stdout).tokens, ['a\uFFFDb']);
  const printEvery = run(['train', '--out', path.join(os.tmpdir(), 'llmsim-never'), '--print-every', '0']);
  assert.equal(printEvery.status, 1);
  assert.match(printEvery.stderr, /--print-every must be at least 1/);
  const file = path.join(os.tmpdir(), `llmsim-a-file-${process.pid}`);
  fs.writeFileSync(file, 'x');
  try {
    const out = run(['train', '--out', file, '--steps', '1']);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /exists and is not a folder/);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('the CLI refuses options that used to wrap, run without bound or train on NaN', () => {
  const run = (args) => spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const model = path.join(root, 'web/models/tinygpt');
  const out = path.join(os.tmpdir(), 'llmsim-never');
  const cases = [
    // 2^32 wrapped to 0 predictions, exit 0
    [['predict', '--model', model, '--text', 'a', '--top-k', '4294967296'], /--top-k must be between 1 and 50/],
    [['trace', '--text', 'a', '--top-k', '51'], /--top-k must be between 0 and 50/],
    [['trace', '--text', 'a', '--temperature', 'inf'], /--temperature must be a number between 0.05 and 5/],
    // an empty list ablated nothing and reported it as done
    [['ablate', '--model', model, '--text', 'a b', '--heads', ''], /--heads names no head/],
    // trained and wrote a model that the loader then rejected
    [['train', '--out', out, '--lr', 'nan'], /--lr must be a number between 0 and 1e\+06, got "nan"/],
    [['train', '--out', out, '--lr', 'inf'], /--lr must be a number/],
    [['train', '--out', out, '--weight-decay', 'nan'], /--weight-decay must be a number/],
    [['train', '--out', out, '--steps', '4294967297'], /--steps must be between 0 and 2147483647/],
    // ran without bound
    [['heads', '--model', model, '--repeats', '1000000000'], /--repeats must be between 1 and 1000/],
    [['heads', '--model', model, '--induction-length', '2147483647'], /--induction-length must be between 1 and 512/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal(fs.existsSync(out), false, 'a refused train must not create its folder');
});

// Two threads waiting on each other at every loop's end made `eval` twice as slow as one
// on a machine whose other core was busy (docs/ROBUSTNESS.md): commands other than train
// run on one thread unless --threads asks, and the count does not change the answer.
test('the CLI runs on one thread unless --threads asks for more, with the same loss', () => {
  const evalOn = (...extra) => JSON.parse(spawnSync(cli, ['eval', '--model', path.join(root, 'web/models/tinygpt'),
    '--text-file', path.join(root, 'tests/data/english-heldout.txt'), ...extra], { encoding: 'utf8' }).stdout);
  const one = evalOn();
  const two = evalOn('--threads', '2');
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.tokens, one.tokens);
  assert.ok(Math.abs(two.mean_loss - one.mean_loss) < 1e-6, `${one.mean_loss} vs ${two.mean_loss}`);
});

test('weight(): W_Q, W_K, W_V of the last run\'s model are what made its q, k and v', () => {
  const s = engine.run('The cat sat on the mat.', { model: 'english' });
  const layer = 1, dModel = s.d_model, dK = s.d_k, T = s.tokens.length;
  const x = engine.matrix('input', layer);
  for (const [w, m] of [['w_q', 'q'], ['w_k', 'k'], ['w_v', 'v']]) {
    const W = engine.weight(w, layer);
    assert.deepEqual([W.rows, W.cols], [dModel, dModel]);
    for (const head of [0, s.n_head - 1]) {
      const expected = engine.matrix(m, layer, head);
      let worst = 0;
      for (let t = 0; t < T; t++)
        for (let j = 0; j < dK; j++) {
          let sum = 0;  // (x·W)[t, head·d_k + j], written out
          for (let i = 0; i < dModel; i++) sum += x.data[t * dModel + i] * W.data[i * dModel + head * dK + j];
          worst = Math.max(worst, Math.abs(sum - expected.data[t * dK + j]));
        }
      assert.ok(worst < 1e-3, `${m} of head ${head}: off by ${worst}`);
    }
  }
  assert.equal(engine.weight('w_o', 0).data.length, dModel * dModel);
  assert.throws(() => engine.weight('w_x', 0), /no weight named "w_x"/);
  assert.throws(() => engine.weight('w_q', 99), /layer 99 does not exist/);
  assert.throws(() => engine.weight('w_q', 1.5), /must be an integer/);
});
