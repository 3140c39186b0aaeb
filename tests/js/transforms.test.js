// View transforms (web/src/views/transforms.js) on numbers worked out by hand, and
// the measures' place in links and notes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amountMoved, hideFirstToken, measureMatrix, MEASURES, perHeadMeasure, transformNote } from '../../web/src/views/transforms.js';
import { parseState, DEFAULT_STATE } from '../../web/src/state.js';

test('hiding the first token renormalises each row over the other keys', () => {
  // Row 1: [0.8, 0.2] -> [0, 1]; row 2: [0.5, 0.3, 0.2] -> [0, 0.6, 0.4]; row 0 -> zeros.
  const w = Float32Array.from([1, 0, 0, 0.8, 0.2, 0, 0.5, 0.3, 0.2]);
  const out = hideFirstToken(w, 3);
  const expected = [0, 0, 0, 0, 1, 0, 0, 0.6, 0.4];
  expected.forEach((x, k) => assert.ok(Math.abs(out[k] - x) < 1e-6, `${k}: ${out[k]} vs ${x}`));
  assert.equal(w[3], Float32Array.from([0.8])[0], 'the input is not changed');
});

test('rollout is a measure across layers: links name it, the grid of single heads keeps to weights, the note says so', () => {
  assert.equal(parseState('measure=rollout').state.measure, 'rollout');
  assert.equal(parseState('measure=nonsense').state.measure, 'weight');
  assert.deepEqual(Object.keys(MEASURES).map(perHeadMeasure), ['weight', 'contribution', 'amount', 'weight']);
  assert.equal(transformNote(DEFAULT_STATE), '');
  assert.match(transformNote({ ...DEFAULT_STATE, measure: 'rollout', layer: 2 }), /across layers.*layers 0–2/);
  assert.match(transformNote({ ...DEFAULT_STATE, hidefirst: true }), /view transform/);
});

test('how much moves: α·‖v·W_O‖ against the longest ‖v·W_O‖, not renormalised per row', () => {
  // A sink: query 1 puts 0.9 of its weight on key 0, whose vector is short (0.5); key 1's
  // is the longest (10). Row 1: [0.9·0.5, 0.1·10] / 10 = [0.045, 0.1]: the big weight
  // moves less than the small one, which each row's shares (0.31, 0.69) only hint at.
  const weights = Float32Array.from([1, 0, 0.9, 0.1]);
  const norms = Float32Array.from([0.5, 10]);
  const out = amountMoved(weights, norms);
  [0.05, 0, 0.045, 0.1].forEach((x, k) => assert.ok(Math.abs(out[k] - x) < 1e-7, `${k}: ${out[k]} vs ${x}`));
  assert.deepEqual(Array.from(measureMatrix('amount', [weights, norms])), Array.from(out));
  assert.equal(measureMatrix('weight', [weights]), weights, 'a stored matrix is drawn as it is');
  assert.deepEqual(Array.from(amountMoved(weights, new Float32Array(2))), [0, 0, 0, 0], 'no vectors: nothing moves');
  assert.deepEqual(MEASURES.amount.needs(1, 2), [{ matrix: ['weights', 1, 2] }, { matrix: ['value_norms', 1, 2] }]);
});
