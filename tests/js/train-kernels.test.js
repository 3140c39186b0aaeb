// The training step's products on the SIMD128 kernels, in the real WASM build
// (build/wasm/llmsim_bench.js): its loss and gradients against the same step with
// every product on Eigen, compiled into the same module (setWasmGemms), at a shape
// that leaves partial tiles everywhere; and the same bits on every run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { maxAbsDiff } from '../bench/inputs.js';

const require = createRequire(import.meta.url);
let module;
before(async () => { module = await require('../../build/wasm/llmsim_bench.js')(); });
after(() => module.setWasmGemms('all'));

// d_k 8, d_ff 40, T 19: no dimension a multiple of the 5-row tile, some not of 8.
const CONFIG = JSON.stringify({ vocab_size: 67, d_model: 24, n_layer: 2, n_head: 3, context: 19, d_ff: 40 });

function forwardBackward(mode) {
  assert.ok(module.setWasmGemms(mode), mode);
  const bench = new module.TrainBench(CONFIG, 2, 19);
  try {
    const loss = bench.forwardBackward();
    return { loss, gradients: bench.gradients().slice() };
  } finally {
    bench.delete();
  }
}

const maxAbs = (a) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

test('the SIMD128 training step gives Eigen\'s loss and gradients within float rounding', () => {
  const eigen = forwardBackward('none');
  for (const mode of ['forward_only', 'all']) {
    const simd = forwardBackward(mode);
    assert.ok(Math.abs(simd.loss - eigen.loss) < 1e-5, `${mode}: loss ${simd.loss} vs ${eigen.loss}`);
    assert.equal(simd.gradients.length, eigen.gradients.length);
    const diff = maxAbsDiff(simd.gradients, eigen.gradients);
    assert.ok(diff < 1e-4 * maxAbs(eigen.gradients), `${mode}: max |Δ gradient| ${diff}`);
  }
  assert.ok(maxAbs(eigen.gradients) > 1e-3, 'the gradients are not all zero');
});

test('the SIMD128 training step is deterministic: the same bits on every run', () => {
  const a = forwardBackward('all'), b = forwardBackward('all');
  assert.equal(a.loss, b.loss);
  assert.deepEqual(a.gradients, b.gradients);
});

test('setWasmGemms refuses an unknown choice', () => {
  assert.equal(module.setWasmGemms('fast'), false);
});
