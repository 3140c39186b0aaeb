// The accessible table's "strongest keys" against a plain sort, on random and tied weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topWeightsRows } from '../../web/src/views/alt-table.js';

function reference(tokens, weights, perQuery) {
  const T = tokens.length;
  return tokens.map((_, i) => Array.from({ length: T }, (_, j) => j)
    .filter((j) => weights[i * T + j] > 0)
    .sort((a, b) => weights[i * T + b] - weights[i * T + a] || a - b)
    .slice(0, perQuery)
    .map((j) => `${j} “${tokens[j]}” (${weights[i * T + j].toFixed(3)})`).join(', '));
}

test('topWeightsRows lists each query\'s strongest keys, largest first, earlier key on ties', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const T of [1, 2, 5, 17, 64]) {
    const tokens = Array.from({ length: T }, (_, i) => `t${i}`);
    const weights = new Float32Array(T * T).map((_, at) => (at % T <= Math.floor(at / T) ? Math.round(random() * 8) / 8 : 0));
    for (const perQuery of [1, 3, 5]) {
      const rows = topWeightsRows(tokens, weights, perQuery);
      assert.deepEqual(rows[0], ['query', 'strongest keys (weight)']);
      assert.deepEqual(rows.slice(1).map((r) => r[1]), reference(tokens, weights, perQuery));
    }
  }
});
