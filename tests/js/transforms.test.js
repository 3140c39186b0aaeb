// View transforms (web/src/views/transforms.js) on numbers worked out by hand, and
// the measures' place in links and notes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hideFirstToken, MEASURES, perHeadMeasure, transformNote } from '../../web/src/views/transforms.js';
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
  assert.deepEqual(Object.keys(MEASURES).map(perHeadMeasure), ['weight', 'contribution', 'weight']);
  assert.equal(transformNote(DEFAULT_STATE), '');
  assert.match(transformNote({ ...DEFAULT_STATE, measure: 'rollout', layer: 2 }), /across layers.*layers 0–2/);
  assert.match(transformNote({ ...DEFAULT_STATE, hidefirst: true }), /view transform/);
});
