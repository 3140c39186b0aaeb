// What a head moves (issue 19): the contribution norms and rollout of the real WASM
// module, checked against numbers this test computes itself from the Trace's own
// exported matrices (V, the weights) and the model's exported W_O.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import createLlmsim from '../../build/wasm/llmsim.js';
import { readModel } from '../../web/src/node-models.js';
import { installModel } from '../../web/src/engine.js';

let module, sim;
before(async () => {
  module = await createLlmsim();
  const m = readModel('english');
  installModel(module, { name: 'english', title: 'English', config: m.config, tokenizer: m.tokenizer, weights: m.weights });
  sim = new module.Simulator();
});

// A typed-array view, copied (views detach when WASM memory grows), or a thrown error.
function read(view) {
  if (view.error) throw new Error(view.error);
  return Float32Array.from(view);
}

test('contribution norms and contributions equal ‖v·W_O^h‖ and α ⊙ norms, per row normalised', () => {
  const summary = JSON.parse(sim.run('The cat sat on the mat because it was warm.', JSON.stringify({ model: 'english' })));
  const T = summary.tokens.length, D = summary.d_model, dK = summary.d_k;
  let checked = 0;
  for (let layer = 0; layer < summary.n_layer; layer++) {
    const wO = read(sim.weight('w_o', layer));
    for (let head = 0; head < summary.n_head; head++) {
      const v = read(sim.matrix('v', layer, head));
      const weights = read(sim.matrix('weights', layer, head));
      const norms = read(sim.matrix('value_norms', layer, head));
      const contributions = read(sim.matrix('contributions', layer, head));
      assert.equal(norms.length, T);
      assert.equal(contributions.length, T * T);
      const expectedNorms = [];
      for (let j = 0; j < T; j++) {
        let sq = 0;  // ‖v_j · W_O[head rows]‖, written out
        for (let c = 0; c < D; c++) {
          let f = 0;
          for (let k = 0; k < dK; k++) f += v[j * dK + k] * wO[(head * dK + k) * D + c];
          sq += f * f;
        }
        expectedNorms.push(Math.sqrt(sq));
        assert.ok(Math.abs(norms[j] - expectedNorms[j]) <= 1e-4 * Math.max(1, expectedNorms[j]), `norm ${layer}.${head} token ${j}`);
      }
      for (let i = 0; i < T; i++) {
        let sum = 0;
        for (let j = 0; j < T; j++) sum += weights[i * T + j] * expectedNorms[j];
        for (let j = 0; j < T; j++) {
          const expected = weights[i * T + j] * expectedNorms[j] / sum;
          assert.ok(Math.abs(contributions[i * T + j] - expected) < 1e-5, `contribution ${layer}.${head} [${i}, ${j}]`);
          checked++;
        }
      }
    }
  }
  assert.equal(checked, summary.n_layer * summary.n_head * T * T);
});

test('the sink head puts almost all its weight on the first token, whose vector is tiny', () => {
  // The shipped English model's head 1.0 is its first-token sink (HEADS.md). What it
  // moves for a query is Σ_j α_ij·f(x_j); with nearly all weight on token 0 that is
  // about f(x_0), far shorter than what the other tokens would carry through it
  // (measured: 0.46 against a mean of 12.3 on this sentence). So each row's
  // contributions, normalised, still point at token 0, but the amount is small.
  const summary = JSON.parse(sim.run('She opened the door and walked into the quiet garden behind the house.', JSON.stringify({ model: 'english' })));
  const T = summary.tokens.length;
  const weights = read(sim.matrix('weights', 1, 0));
  const norms = read(sim.matrix('value_norms', 1, 0));
  let weightOnFirst = 0;
  for (let i = 1; i < T; i++) weightOnFirst += weights[i * T] / (T - 1);
  const others = norms.slice(1).reduce((a, b) => a + b, 0) / (T - 1);
  assert.ok(weightOnFirst > 0.9, `mean weight on the first token ${weightOnFirst}`);
  assert.ok(norms[0] < 0.1 * others, `‖f(x_0)‖ ${norms[0].toFixed(3)} against the others' mean ${others.toFixed(3)}`);
  // A head that is not a sink (2.0, the determiner head) carries token 0 like any other.
  const det = read(sim.matrix('value_norms', 2, 0));
  const detOthers = det.slice(1).reduce((a, b) => a + b, 0) / (T - 1);
  assert.ok(det[0] > 0.5 * detOthers, `head 2.0: ‖f(x_0)‖ ${det[0]} against ${detOthers}`);
});

test('rollout: the module\'s matrix equals the product of (mean heads + I)/2 computed here', () => {
  const summary = JSON.parse(sim.run('Once upon a time there was a little cat.', JSON.stringify({ model: 'english' })));
  const T = summary.tokens.length, H = summary.n_head;
  let r = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (i === j ? 1 : 0)));
  for (let layer = 0; layer < summary.n_layer; layer++) {
    const heads = Array.from({ length: H }, (_, h) => read(sim.matrix('weights', layer, h)));
    const next = Array.from({ length: T }, () => new Array(T).fill(0));
    for (let i = 0; i < T; i++)
      for (let k = 0; k < T; k++) {
        let a = 0;
        for (const w of heads) a += w[i * T + k] / H;
        const m = 0.5 * a + (i === k ? 0.5 : 0);
        for (let j = 0; j < T; j++) next[i][j] += m * r[k][j];
      }
    r = next;
    const got = read(sim.rollout(layer, ''));
    for (let i = 0; i < T; i++)
      for (let j = 0; j < T; j++) assert.ok(Math.abs(got[i * T + j] - r[i][j]) < 1e-5, `layer ${layer} [${i}, ${j}]`);
  }
  assert.throws(() => read(sim.rollout(summary.n_layer, '')), /does not exist/);
  assert.throws(() => read(sim.rollout(0, '{"a": 1}')), /JSON list of heads/);
  const path = read(sim.rollout(1, '[2, -1]'));
  assert.equal(path.length, T * T);
});

// The validation paragraphs as the head analysis reads them (heads/probes.cpp,
// parse_validation_texts): blank lines separate texts, '#' lines are comments.
function validationTexts(contents) {
  const texts = [];
  let current = [];
  for (let line of contents.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('#')) continue;
    if (line.trim() === '') { if (current.length) texts.push(current.join('\n')); current = []; continue; }
    current.push(line);
  }
  if (current.length) texts.push(current.join('\n'));
  return texts;
}

test('evidence: every snippet of the English previous-token head is a query looking at the token before it, read back', () => {
  const heads = JSON.parse(readModel('english').heads);
  const texts = validationTexts(readModel('english').probes.validation);
  const previous = heads.filter((h) => h.label === 'previous-token');
  assert.ok(previous.length >= 1, 'the English model has a previous-token head');
  for (const head of previous) {
    assert.ok(head.evidence.length >= 5, `head ${head.layer}.${head.head} has evidence`);
    for (const e of head.evidence) {
      assert.equal(e.key, e.query - 1, `head ${head.layer}.${head.head}: query ${e.query} looks at ${e.key}`);
      assert.equal(e.tokens.length, e.positions.length);
      assert.equal(e.positions.at(-1), e.query);
      // Run the paragraph the snippet came from (each fits the context, so sequence =
      // paragraph) and read the same tokens and the same weight back.
      const summary = JSON.parse(sim.run(texts[e.sequence], JSON.stringify({ model: 'english' })));
      e.positions.forEach((p, k) => assert.equal(summary.tokens[p], e.tokens[k], `token at ${p}`));
      const T = summary.tokens.length;
      const w = read(sim.matrix('weights', head.layer, head.head));
      assert.ok(Math.abs(w[e.query * T + e.key] - e.weight) < 2e-3, `weight ${w[e.query * T + e.key]} vs ${e.weight}`);
      assert.ok(e.weight > 0.5);
    }
  }
});
