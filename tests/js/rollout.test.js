// Rollout as the page asks for it (issue 19): the engine's rollout need (needs.js,
// engine.js need()) on the real WASM module equals attention rollout computed here
// with plain loops from the same run's own attention weights, as
// cpp/core/heads/rollout.hpp defines it: R_l = (A_l + I)/2 · R_{l−1}, A_l the mean of
// layer l's heads, R_{−1} = I.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../web/src/engine.js';
import { rolloutNeed, needKey } from '../../web/src/needs.js';
import { MANIFEST } from '../../web/src/manifest.js';

let engine;
before(async () => { engine = await createEngine(); });
after(() => engine.dispose());

// Rollout through layers 0..last of the engine's last run, from its weights alone.
// Returns one [T][T] array per layer.
function referenceRollouts(summary) {
  const T = summary.tokens.length, H = summary.n_head;
  let r = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (i === j ? 1 : 0)));
  const out = [];
  for (let layer = 0; layer < summary.n_layer; layer++) {
    const heads = Array.from({ length: H }, (_, h) => engine.matrix('weights', layer, h).data);
    const mixed = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, k) => {
      let mean = 0;
      for (const w of heads) mean += w[i * T + k];
      return (mean / H + (i === k ? 1 : 0)) / 2;
    }));
    const next = Array.from({ length: T }, () => new Array(T).fill(0));
    for (let i = 0; i < T; i++)
      for (let k = 0; k < T; k++)
        for (let j = 0; j < T; j++) next[i][j] += mixed[i][k] * r[k][j];
    out.push(next);
    r = next;
  }
  return out;
}

function assertClose(got, expected, where) {
  const T = expected.length;
  assert.equal(got.rows, T, `${where}: rows`);
  assert.equal(got.cols, T, `${where}: cols`);
  for (let i = 0; i < T; i++)
    for (let j = 0; j < T; j++)
      assert.ok(Math.abs(got.data[i * T + j] - expected[i][j]) < 1e-5, `${where} [${i}, ${j}]: ${got.data[i * T + j]} vs ${expected[i][j]}`);
}

for (const [name, text, options] of [
  ['the default trained model', 'The cat sat on the mat because it was tired.', { model: MANIFEST.default }],
  ['random weights, no causal mask', 'every token sees every other token here', { model: 'random', causal: false, seed: 3 }],
]) {
  test(`the rollout need of every layer equals the plain-loop rollout of the run's weights: ${name}`, () => {
    const summary = engine.run(text, options);
    assert.ok(summary.n_layer >= 2, 'a model with layers to chain');
    const expected = referenceRollouts(summary);
    for (let layer = 0; layer < summary.n_layer; layer++) {
      const got = engine.need(rolloutNeed(layer));
      assertClose(got, expected[layer], `layer ${layer}`);
      // Each row of a rollout sums to 1: every (A + I)/2 is row-stochastic.
      for (let i = 0; i < summary.tokens.length; i++) {
        const row = got.data.subarray(i * got.cols, (i + 1) * got.cols).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(row - 1) < 1e-4, `layer ${layer} row ${i} sums to ${row}`);
      }
    }
  });
}

test('a rollout need has its own key, and a layer the model lacks is an error', () => {
  assert.equal(needKey(rolloutNeed(2)), 'rollout:2');
  assert.notEqual(needKey(rolloutNeed(0)), needKey({ matrix: ['weights', 0, 0] }));
  const summary = engine.run('One more.', { model: MANIFEST.default });
  assert.throws(() => engine.need(rolloutNeed(summary.n_layer)), /does not exist/);
  assert.throws(() => engine.need(rolloutNeed(0.5)), /integer/);
  assert.throws(() => engine.need({ nonsense: [0] }), /a need is/);
});
