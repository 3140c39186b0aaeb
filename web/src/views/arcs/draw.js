// Arcs view: tokens in a row, and an arc from each query token to every key it
// attends to, thicker and more opaque for larger weights. Under a causal mask every
// arc points back to an earlier token (or loops onto the token itself), so the
// arrowheads all face left: the direction information flows in is visible.
// Pure drawing: (canvas, data, options) -> pixels, plus hit-testing on the layout.
import { blankCanvas, isVector, prepareCanvas, tokenLabel } from '../canvas.js';

const GAP = 10, PAD = 6, ROW = 26, MAX_ARC = 170;

// x-position of every token box, and the canvas size.
export function arcsLayout(ctx, tokens) {
  ctx.font = '14px system-ui, sans-serif';
  const boxes = [];
  let x = 12;
  for (const t of tokens) {
    const w = Math.max(18, ctx.measureText(tokenLabel(t, 16)).width + 2 * PAD);
    boxes.push({ x, w, centre: x + w / 2 });
    x += w + GAP;
  }
  const span = boxes.length > 1 ? boxes[boxes.length - 1].centre - boxes[0].centre : 0;
  const arcRoom = Math.min(MAX_ARC, span / 2) + 24;
  return { boxes, width: x + 2, height: arcRoom + ROW + 14, baseline: arcRoom };
}

// The stretch of the row a drawing with `options` shows: the row's width (at least
// options.minWidth), and the window's width and left edge in it.
export function arcsWindow(layout, options) {
  const rowWidth = Math.max(layout.width, options.minWidth || 0);
  const width = options.window ? Math.min(rowWidth, options.window.width) : rowWidth;
  const x0 = options.window ? Math.max(0, Math.min(rowWidth - width, options.window.x)) : 0;
  return { rowWidth, width, x0 };
}

// The token under (x, y) in CSS pixels, or null: anywhere in its column counts.
export function arcsTokenAt(layout, x) {
  const i = layout.boxes.findIndex((b) => x >= b.x - GAP / 2 && x < b.x + b.w + GAP / 2);
  return i < 0 ? null : i;
}

// data: { tokens, heads: [{ weights: Float32Array [T*T] row-major, color }] }
//   several heads overlay, each in its own colour
// options: { theme: { background, text, muted, accent, tokenFill }, threshold, focus,
//            minWidth, window }
//   focus: a token index to show only that query's arcs, or null for all.
//   window: { x, width } in CSS pixels: draw only that stretch of the row (the panel
//   scrolls it), so a long text costs what is on screen; omitted: the whole row.
// Returns the layout, in whole-row coordinates, with the window's left edge `windowX`.
export function drawArcs(canvas, data, options) {
  const { tokens, heads } = data;
  const { theme, threshold = 0.02, focus = null } = options;
  const T = tokens.length;
  const layout = arcsLayout(canvas.getContext('2d'), tokens);
  const { rowWidth, width, x0 } = arcsWindow(layout, options);
  const ctx = prepareCanvas(canvas, width, layout.height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, layout.height);
  ctx.translate(-x0, 0);
  // A span [a, b] of the row shows if it meets the window (with room for line widths,
  // arrowheads and self-loops).
  const shows = (a, b) => b >= x0 - 16 && a <= x0 + width + 16;
  // The faintest arc's opacity. With every query's arcs drawn, it shrinks with the
  // number of queries: on a long text hundreds of faint arcs would otherwise merge
  // into one solid mass and hide the strong ones. It steps every 16 tokens and stops
  // shrinking at 128, so that typing a token seldom changes every arc (drawKeptArcs
  // keeps the arcs that did not change).
  const queries = Math.min(128, 16 * Math.ceil(Math.max(1, T) / 16));
  const faint = focus !== null ? 0.15 : 0.15 * Math.min(1, 24 / queries);
  const arcs = { layout, T, threshold, faint, shows };

  if (focus === null && heads.length === 1) {
    drawKeptArcs(ctx, canvas, tokens, heads[0], arcs, `${x0} ${threshold} ${faint} ${theme.background}`);
  } else {
    for (const { weights, color } of heads) {
      if (focus !== null) drawQueryArcs(ctx, arcs, weights, color, focus, focus + 1, 0, T);
      else drawQueryArcs(ctx, arcs, weights, color, 0, T, 0, T);
    }
  }
  drawTokens(ctx, layout, tokens, theme, focus, shows);
  return { ...layout, width: rowWidth, windowX: x0 };
}

// The arcs of queries [q0, q1) to keys [k0, k1) above the threshold that show.
function drawQueryArcs(ctx, { layout, T, threshold, faint, shows }, weights, color, q0, q1, k0, k1) {
  for (let i = q0; i < q1; i++) {
    for (let j = k0; j < k1; j++) {
      const w = weights[i * T + j];
      if (w >= threshold && shows(layout.boxes[Math.min(i, j)].centre, layout.boxes[Math.max(i, j)].centre))
        drawArc(ctx, layout, i, j, w, color, faint);
    }
  }
}

// Typing changes the end of the text. Under the causal mask no earlier query's weights
// change then (the engine even reuses their rows), so neither do their arcs, and
// drawing a thousand arcs again on every keystroke cost the canvas about 9 ms of
// rasterising at 128 tokens. So the arcs among every token but the last are kept on a
// layer canvas; a redraw checks which of them still hold (same tokens, same weights),
// adds the queries that are new, and draws the rest, the last query's arcs and any
// arc to it, on top. A layer that no longer holds is drawn again whole, in the same
// order, so the pixels are the same as a first drawing's.
const layers = new WeakMap();  // view canvas -> { canvas, key, tokens, weights, T, rows }

function drawKeptArcs(ctx, canvas, tokens, { weights, color }, arcs, settings) {
  const { T } = arcs;
  const rows = Math.max(0, T - 1);  // the queries and keys the layer holds
  if (isVector(ctx)) {
    // An SVG export: the layer's arcs as paths, in the order the layer has them.
    drawQueryArcs(ctx, arcs, weights, color, 0, rows, 0, rows);
  } else {
    drawLayer(ctx, canvas, tokens, weights, color, arcs, settings, rows);
  }
  drawQueryArcs(ctx, arcs, weights, color, 0, rows, rows, T);  // arcs to the last token (no causal mask)
  drawQueryArcs(ctx, arcs, weights, color, rows, T, 0, T);     // the last query's arcs
}

// The layer canvas brought up to date with the queries before `rows`, and drawn.
function drawLayer(ctx, canvas, tokens, weights, color, arcs, settings, rows) {
  const key = `${canvas.width}x${canvas.height} ${color} ${settings}`;
  let layer = layers.get(canvas);
  if (!layer || layer.key !== key || !layerHolds(layer, tokens, weights, arcs, rows)) {
    const layerCanvas = (layer && layer.canvas) || blankCanvas(0, 0);
    layerCanvas.width = canvas.width;  // also clears it
    layerCanvas.height = canvas.height;
    layer = { canvas: layerCanvas, key, rows: 0 };
    layers.set(canvas, layer);
  }
  const layerCtx = layer.canvas.getContext('2d');
  layerCtx.setTransform(ctx.getTransform());
  for (let i = layer.rows; i < rows; i++) drawQueryArcs(layerCtx, arcs, weights, color, i, i + 1, 0, rows);
  Object.assign(layer, { tokens, weights, T: arcs.T, rows });
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(layer.canvas, 0, 0);
  ctx.restore();
}

// Whether the layer's arcs are those of this text: its tokens the same (and so their
// places), each of its queries' weights to its keys the same, and none of its queries
// with an arc to a key it is about to take in (only without the causal mask).
function layerHolds(layer, tokens, weights, { T, threshold }, rows) {
  if (rows < layer.rows) return false;
  for (let i = 0; i < layer.rows; i++) if (tokens[i] !== layer.tokens[i]) return false;
  for (let i = 0; i < layer.rows; i++) {
    for (let j = 0; j < layer.rows; j++) if (weights[i * T + j] !== layer.weights[i * layer.T + j]) return false;
    for (let j = layer.rows; j < rows; j++) if (weights[i * T + j] >= threshold) return false;
  }
  return true;
}

// One arc from query i to key j, above the token row, arrowhead at the key.
function drawArc(ctx, layout, i, j, weight, colour, faint) {
  const y = layout.baseline;
  const from = layout.boxes[i].centre, to = layout.boxes[j].centre;
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.globalAlpha = Math.min(1, faint + (1 - faint) * weight);
  ctx.lineWidth = 0.75 + 5 * weight;
  ctx.beginPath();
  if (i === j) {  // attending to itself: a small loop
    ctx.ellipse(from, y - 9, 6, 9, 0, 0, 2 * Math.PI);
    ctx.stroke();
  } else {
    const height = Math.min(MAX_ARC, Math.abs(from - to) / 2);
    ctx.moveTo(from, y);
    ctx.bezierCurveTo(from, y - height * 1.33, to, y - height * 1.33, to, y);
    ctx.stroke();
    const size = 3 + 3 * weight;  // arrowhead pointing down into the key
    ctx.beginPath();
    ctx.moveTo(to, y);
    ctx.lineTo(to - size, y - size * 1.6);
    ctx.lineTo(to + size, y - size * 1.6);
    ctx.closePath();
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

function drawTokens(ctx, layout, tokens, theme, focus, shows) {
  ctx.font = '14px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  layout.boxes.forEach((b, i) => {
    if (!shows(b.x, b.x + b.w)) return;
    const y = layout.baseline + 4;
    ctx.fillStyle = i === focus ? theme.accent : theme.tokenFill;
    roundRect(ctx, b.x, y, b.w, ROW - 4, 5);
    ctx.fill();
    ctx.fillStyle = i === focus ? theme.background : theme.text;
    ctx.fillText(tokenLabel(tokens[i], 16), b.centre, y + (ROW - 4) / 2);
  });
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
