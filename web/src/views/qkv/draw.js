// Q/K/V view: attention as a soft dictionary lookup, for one query token in one head.
// A row per key the query can see: the key vector, q·k, q·k/√d_k, the softmax
// weight, and the value vector. Steps reveal the columns one at a time:
//   0 the query   1 every key   2 dot products   3 ÷ √d_k   4 softmax   5 weighted sum of values
// Pure drawing: (canvas, data, options) -> pixels.
import { maxAbs, parseColor, typicalScale } from '../colormap.js';
import { divergingColours, divergingLegend, drawUnchangingCellGrid, drawValueGrid, prepareCanvas, tokenLabel } from '../canvas.js';

export const QKV_STEPS = [
  { title: 'The query', text: 'The selected token turns its vector into a query q: what it is looking for.' },
  { title: 'Every key', text: 'Every token it can see offers a key k: what it has to offer. (Future tokens are masked.)' },
  { title: 'Dot products', text: 'q·k measures how well each key matches the query: large when they point the same way.' },
  { title: 'Divide by √dₖ', text: 'Dividing by √dₖ keeps the scores in a range where the softmax stays soft.' },
  { title: 'Softmax', text: 'Softmax turns the scores into weights that are positive and sum to 1.' },
  { title: 'Weighted sum of values', text: 'The output is the values v, mixed in proportion to the weights: a soft lookup.' },
];

const ROW = 22, LABEL_W = 90, BAR_W = 110, GAP = 14, MAX_ROWS = 24, LEGEND_H = 36;

// The keys to show: all visible ones, or the MAX_ROWS with the largest weights.
export function qkvRows(weights, query, T, causal) {
  const visible = causal ? query + 1 : T;
  const keys = Array.from({ length: visible }, (_, j) => j);
  if (keys.length <= MAX_ROWS) return { keys, hidden: 0 };
  const top = keys.sort((a, b) => weights[query * T + b] - weights[query * T + a]).slice(0, MAX_ROWS);
  return { keys: top.sort((a, b) => a - b), hidden: visible - MAX_ROWS };
}

// data: { tokens, query, dK, q, k, v, scores, scaled, weights, output (Float32Arrays,
//         row-major as the engine returns them), causal, scale }
// options: { width, step (0..5), theme: { background, text, muted, accent, line, tokenFill } }
export function drawQkv(canvas, data, options) {
  const { tokens, query, dK, dModel, input, head, wq, wk, wv, q, k, v, scores, scaled, weights, output, causal } = data;
  const { theme, step } = options;
  const T = tokens.length;
  const { keys, hidden } = qkvRows(weights, query, T, causal);
  const cellW = Math.max(2, Math.min(10, Math.floor((options.width - LABEL_W - 3 * BAR_W - 4 * GAP) / (2 * dK))));
  const vecW = cellW * dK;
  const xCell = Math.max(1, Math.min(cellW, Math.floor((options.width - LABEL_W) / dModel)));
  const wRowH = 2, wH = wRowH * dK;  // W_Q's block: one 2 px row per query dimension
  const height = 12 + ROW * (4 + keys.length + 1.5) + 3 * (wH + 8) + (hidden ? ROW : 0) + LEGEND_H;
  const ctx = prepareCanvas(canvas, options.width, height);
  const zero = parseColor(theme.background);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, options.width, height);

  const cols = { label: 0, key: LABEL_W, score: LABEL_W + vecW + GAP, scaled: LABEL_W + vecW + GAP + BAR_W + GAP };
  cols.weight = cols.scaled + BAR_W + GAP;
  cols.value = cols.weight + BAR_W + GAP;
  const vecLimit = Math.max(maxAbs(q), maxAbs(k), maxAbs(v));
  const scoreLimit = maxAbs(keys.map((j) => scores[query * T + j]));

  const header = (text, x) => { ctx.fillStyle = theme.muted; ctx.font = '12px system-ui, sans-serif'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle'; ctx.fillText(text, x, headerY); };
  let y = 8;
  // The token's vector x (this layer's input, d_model wide), and its query q = x·W_Q.
  label(ctx, `x ${tokenLabel(tokens[query], 10)}`, 0, y, theme.text);
  strip(ctx, input, query * dModel, dModel, cols.key, y, xCell, maxAbs(input.subarray(query * dModel, (query + 1) * dModel)), zero);
  note(ctx, `the vector attention reads, x [${dModel}]; each head multiplies it by its own W_Q, W_K, W_V`, cols.key, y + ROW, theme);
  y += ROW * 2;
  // This head's slices of W_Q, W_K and W_V, each turned on its side so every column sits
  // under the entry of x it multiplies: q's j-th entry is Σ_i x_i · W_Q[i, head·d_k + j],
  // row j of the first block. Every token's k and v come from its own x the same way.
  // Each block appears at the step that uses it; its room is kept so nothing jumps.
  for (const [name, w, from, what] of [['W_Q', wq, 0, '→ q'], ['W_K', wk, 1, '→ each k'], ['W_V', wv, 5, '→ each v']]) {
    if (step >= from) {
      label(ctx, `× ${name}`, 0, y + wH / 2 - ROW / 2 - 4, theme.text);
      note(ctx, what, 0, y + wH / 2 - 2, theme);
      weightBlock(ctx, w, dModel, head * dK, dK, cols.key, y, xCell, wRowH, zero);
    }
    y += wH + 8;
  }
  label(ctx, 'query q', 0, y, theme.accent);
  strip(ctx, q, query * dK, dK, cols.key, y, cellW, vecLimit, zero);
  note(ctx, `q = x·W_Q [${dK}]: what this token is looking for`, cols.key + vecW + GAP, y + 2, theme);
  y += ROW * 2;

  const headerY = y - ROW / 2;
  const wide = vecW >= 110;  // room for the formula in the column's header
  if (step >= 1) header(wide ? 'keys k = x·W_K' : 'keys k', cols.key);
  if (step >= 2) header('q·k', cols.score);
  if (step >= 3) header('÷ √dₖ', cols.scaled);
  if (step >= 4) header('softmax weight', cols.weight);
  if (step >= 5) header(wide ? 'values v = x·W_V' : 'values v', cols.value);

  for (const j of keys) {
    if (step < 1) break;
    const at = query * T + j;
    label(ctx, tokenLabel(tokens[j], 10), 0, y, theme.text);
    strip(ctx, k, j * dK, dK, cols.key, y, cellW, vecLimit, zero);
    if (step >= 2) bar(ctx, scores[at], scoreLimit, cols.score, y, theme.accent, theme);
    if (step >= 3) bar(ctx, scaled[at], scoreLimit, cols.scaled, y, theme.accent, theme);
    if (step >= 4) bar(ctx, weights[at], 1, cols.weight, y, theme.second, theme, true);
    if (step >= 5) strip(ctx, v, j * dK, dK, cols.value, y, cellW, vecLimit, zero);
    y += ROW;
  }
  if (hidden) {
    ctx.fillStyle = theme.muted;
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText(`… and ${hidden} more keys with smaller weights`, 0, y + 14);
    y += ROW;
  }
  if (step >= 5) {
    // The output is a weighted average of the values, so it is smaller than any of
    // them: drawn on its own scale, or it would fade into the background.
    y += ROW / 2;
    label(ctx, 'output', 0, y, theme.accent);
    strip(ctx, output, query * dK, dK, cols.value, y, cellW, maxAbs(output.subarray(query * dK, (query + 1) * dK)), zero);
    note(ctx, 'Σ weight × v, its own colour scale', cols.value - 200, y + 2, theme, 190);
    y += ROW;
  }
  divergingLegend(ctx, cols.key, y + 10, zero, theme, 'vector entries, coloured by sign and size');
}

// Columns [col0, col0 + n) of a [rows, rows] weight matrix, transposed: block row j is
// weight column col0 + j, block column i is weight row i. One small image
// (drawUnchangingCellGrid): as a fillRect per cell, W_Q, W_K and W_V cost ~37,000 fills
// a redraw; as an image made once per weight matrix and head, a scaled copy.
function weightBlock(ctx, w, rows, col0, n, x, y, cellW, cellH, zero) {
  drawUnchangingCellGrid(ctx, w, `columns ${col0}+${n} on ${zero}`, n, rows, x, y, cellW, cellH, () => {
    const colourOf = divergingColours(typicalScale(w), zero);  // 3 × RMS, as the multi-head view's W_O
    return (j, i) => colourOf(w[i * rows + col0 + j]);
  });
  ctx.strokeStyle = 'rgba(128, 128, 128, 0.6)';
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 0.5, y - 0.5, rows * cellW + 1, n * cellH + 1);
}

// A small grey line of explanation; right-aligned within `room` when given.
function note(ctx, text, x, y, theme, room) {
  ctx.fillStyle = theme.muted;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = room ? 'right' : 'left';
  ctx.fillText(text, room ? x + room : x, y + ROW / 2 - 2);
}

function label(ctx, text, x, y, colour) {
  ctx.fillStyle = colour;
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, x, y + ROW / 2 - 2);
}

// A vector as a row of coloured cells: one small image (drawValueGrid), not a
// fillRect per entry (some 3,000 of them a redraw with 24 keys and values).
function strip(ctx, data, offset, n, x, y, cellW, limit, zero) {
  drawValueGrid(ctx, data.subarray(offset, offset + n), 1, n, x, y + 2, cellW, ROW - 6, divergingColours(limit, zero));
  ctx.strokeStyle = 'rgba(128, 128, 128, 0.6)';  // the strip's extent, even where it is pale
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 0.5, y + 1.5, n * cellW + 1, ROW - 5);
}

// A signed bar from a centre line (or from the left edge for weights), with its value.
function bar(ctx, value, limit, x, y, colour, theme, fromLeft = false) {
  const half = BAR_W / 2;
  ctx.fillStyle = colour;
  if (fromLeft) {
    ctx.fillRect(x, y + 4, Math.max(1, (value / limit) * (BAR_W - 40)), ROW - 10);
  } else {
    const w = (Math.abs(value) / limit) * (half - 4);
    ctx.fillRect(value < 0 ? x + half - w : x + half, y + 4, Math.max(1, w), ROW - 10);
    ctx.fillStyle = theme.line;
    ctx.fillRect(x + half, y + 2, 1, ROW - 6);
  }
  ctx.fillStyle = theme.text;
  ctx.font = '11px ui-monospace, Menlo, monospace';
  ctx.textAlign = fromLeft ? 'right' : value < 0 ? 'left' : 'right';
  // Signed bars print their value on the empty side of the centre line.
  const textX = fromLeft ? x + BAR_W : value < 0 ? x + half + 4 : x + half - 4;
  ctx.fillText(value.toFixed(fromLeft ? 3 : 2), textX, y + ROW / 2 - 2);
}
