// The SIMD128 attention layer, in the real WASM build (build/wasm/llmsim_bench.js),
// against the hand-written JS reference at sizes that leave partial tiles everywhere
// (d_k not a multiple of 4 or 8, T not a multiple of the row blocks), and against the
// Eigen path compiled into the same module.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { makeInputs, maxAbsDiff } from '../bench/inputs.js';
import { JsAttention } from '../bench/reference.js';

const require = createRequire(import.meta.url);
let module;
before(async () => { module = await require('../../build/wasm/llmsim_bench.js')(); });

function runOurs(size, inputs, mode) {
  const bench = new module.AttentionBench(size.T, size.d, size.H);
  try {
    for (const [name, data] of [['x', inputs.x], ['w_q', inputs.wq], ['w_k', inputs.wk],
      ['w_v', inputs.wv], ['w_o', inputs.wo]]) bench.input(name).set(data);
    assert.ok(bench.run(1, mode), `mode ${mode}`);
    return bench.output().slice();
  } finally {
    bench.delete();
  }
}

const SIZES = [
  { T: 37, d: 40, H: 5 },   // d_k 8, T odd
  { T: 1, d: 12, H: 3 },    // one token
  { T: 9, d: 21, H: 3 },    // d_k 7
  { T: 70, d: 30, H: 5 },   // d_k 6, T past two row blocks
  { T: 101, d: 96, H: 3 },  // d_k 32
];

for (const size of SIZES) {
  test(`WASM SIMD layer equals the JS reference within 1e-5: T ${size.T}, d ${size.d}, ${size.H} heads`, () => {
    const inputs = makeInputs(size, size.T);
    const expected = new JsAttention(size).forward(inputs);
    for (const mode of ['full', 'lean', 'eigen', 'no_packed_gemm', 'no_causal_skip', 'no_fused_softmax']) {
      const diff = maxAbsDiff(runOurs(size, inputs, mode), expected);
      assert.ok(diff <= 1e-5, `${mode}: max abs diff ${diff}`);
    }
  });
}

test('every GEMM blocking the bench may pick gives the same layer', () => {
  const size = { T: 45, d: 48, H: 4 };
  const inputs = makeInputs(size, 3);
  const expected = runOurs(size, inputs, 'eigen');
  const saved = module.gemmConfig();
  try {
    for (const mr of [1, 2, 3, 4, 5, 6])
      for (const [mc, kc] of [[1, 1], [7, 5], [64, 256], [300, 1000]]) {
        module.setGemmConfig(mr, mc, kc);
        const diff = maxAbsDiff(runOurs(size, inputs, 'full'), expected);
        assert.ok(diff <= 1e-5, `mr ${mr} mc ${mc} kc ${kc}: max abs diff ${diff}`);
      }
  } finally {
    module.setGemmConfig(saved.mr, saved.mc, saved.kc);
  }
});

test('the peak loop runs and returns a finite number', () => {
  assert.ok(Number.isFinite(module.peakMulAdd(1000)));
});

// `npm run bench` failed on a clean clone at its whole-model stage: the weights went in
// as a 'latin1' string, which Embind passes on UTF-8-encoded.
test('the bench loads the shipped model into the WASM GptBench and runs it', async () => {
  const { loadShipped } = await import('../bench/model.js');
  const fs = await import('node:fs');
  const dir = new URL('../../web/models/tinygpt/', import.meta.url).pathname;
  const configJson = fs.readFileSync(`${dir}config.json`, 'utf8');
  const gpt = new module.GptBench(configJson);
  try {
    loadShipped(gpt, dir, configJson);
    assert.equal(gpt.run(8, 1), '');
  } finally {
    gpt.delete();
  }
});
