// The Train view's read-outs on numbers worked out by hand: when a kind of head first
// appears (the loss curve's marks), and the running mean the curve draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstCrossing, grouped, runningMean, THRESHOLD } from '../../web/src/views/train/draw.js';

// Two layers of two heads; one score kind given, the others zero.
const measureAt = (step, induction, prev) => ({
  step,
  heads: { induction, prev_token: prev, first_token: [[0, 0], [0, 0]] },
});

test('a kind of head appears at the first measurement where some head reaches 0.5, the strongest head named', () => {
  assert.equal(THRESHOLD, 0.5);
  const measures = [
    measureAt(0, [[0.1, 0.0], [0.0, 0.1]], [[0.2, 0.1], [0.0, 0.0]]),
    measureAt(50, [[0.1, 0.0], [0.3, 0.49]], [[0.5, 0.3], [0.0, 0.0]]),  // 0.49 is not yet; 0.5 is
    measureAt(100, [[0.1, 0.0], [0.6, 0.7]], [[0.9, 0.1], [0.0, 0.0]]),
    measureAt(150, [[0.1, 0.0], [0.2, 0.2]], [[0.9, 0.1], [0.0, 0.0]]),  // a later dip changes nothing
  ];
  assert.deepEqual(firstCrossing(measures, 'prev_token'), { step: 50, layer: 0, head: 0, score: 0.5 });
  assert.deepEqual(firstCrossing(measures, 'induction'), { step: 100, layer: 1, head: 1, score: 0.7 });
  assert.equal(firstCrossing(measures, 'first_token'), null);
  assert.equal(firstCrossing([], 'induction'), null);
});

test('the running mean averages the last `window` losses, fewer at the start', () => {
  const losses = [4, 2, 6, 8, 0];
  // window 3: step 1 -> 4; 2 -> 3; 3 -> 4; 4 -> (2+6+8)/3 = 16/3; 5 -> (6+8+0)/3 = 14/3
  const points = runningMean(losses, 3);
  assert.deepEqual(points.map(([s]) => s), [1, 2, 3, 4, 5]);
  [4, 3, 4, 16 / 3, 14 / 3].forEach((v, i) => assert.ok(Math.abs(points[i][1] - v) < 1e-12, `step ${i + 1}: ${points[i][1]} vs ${v}`));
  // Two steps per pixel: every second step, and the last.
  assert.deepEqual(runningMean(losses, 3, 2).map(([s]) => s), [2, 4, 5]);
});

test('step and token counts are grouped by thousands', () => {
  assert.deepEqual([0, 999, 1000, 2909, 1234567, 107520.4].map(grouped), ['0', '999', '1,000', '2,909', '1,234,567', '107,520']);
});
