// Multi-head view: H heads run side by side, each producing a [T, d_k] output; the
// outputs are concatenated into [T, d_model] and multiplied by W_O [d_model, d_model]
// to give the layer's attention output [T, d_model]. Each matrix is drawn as a small
// heatmap (blue negative, orange positive) with its shape; the selected token's row
// is outlined throughout, so one row can be followed from the heads to the output.
// Pure drawing: (canvas, data, options) -> pixels.
import { maxAbs, parseColor, headColor, typicalScale } from '../colormap.js';
import { divergingColours, divergingLegend, drawUnchangingCellGrid, drawValueGrid, prepareCanvas, tokenLabel } from '../canvas.js';

const CAPTION = 40, GAP = 16, MIN_BLOCK = 96, MAX_CELL = 14, TITLE = 26, LEGEND = 34;
const LABEL_W = 64, MIN_LABEL_ROW = 9;  // token labels beside the rows, when rows are tall enough

// data: { T, dK, dModel, layer, tokens, heads: [Float32Array [T*dK]], concat, output
//         (Float32Array [T*dModel]), wo (W_O, Float32Array [dModel*dModel], optional),
//         selected: token index or null }
// options: { width, theme }
export function drawMultihead(canvas, data, options) {
  const { T, dK, dModel, heads, concat, output, selected, tokens, layer, wo } = data;
  const { width, theme } = options;
  const H = heads.length;
  const zero = parseColor(theme.background);
  const rowH = Math.max(1, Math.min(MAX_CELL, Math.floor(240 / Math.max(T, 1))));
  const labels = tokens && rowH >= MIN_LABEL_ROW && width >= 480;  // narrow screens keep the room
  const x0 = labels ? LABEL_W : 2;  // every matrix starts right of the labels (or of its outline)
  const room = width - x0;
  // Cell sizes: the heads' row must fit the width, and so must the wide matrices.
  // Heads wrap on a narrow screen: as many per row as fit at their smallest, then the
  // cells grow to fill that row.
  const cellFor = (n) => Math.max(1, Math.min(MAX_CELL, Math.floor((room - GAP * (n - 1)) / (n * dK))));
  const blockFor = (cell) => Math.max(MIN_BLOCK, dK * cell) + GAP;
  const perRow = Math.max(1, Math.min(H, Math.floor((room + GAP) / blockFor(cellFor(H)))));
  const headCell = cellFor(perRow);
  const block = blockFor(headCell);
  const headRows = Math.ceil(H / perRow);
  const wideCell = Math.max(1, Math.min(MAX_CELL, Math.floor(room / dModel)));
  const matrixH = rowH * T;
  const woSide = wo ? Math.min(dModel * wideCell, 192) : 0;  // W_O, drawn as a square
  const height = TITLE + (headRows + 2) * (CAPTION + matrixH) + (headRows + 1) * GAP + LEGEND + (wo ? CAPTION + woSide + GAP : 0);
  // The canvas grows in steps of 64 px, not with every token (a matrix row is a pixel
  // or more): each new size reallocates its backing store, which cost more than the
  // drawing itself at 128 tokens.
  const canvasHeight = Math.ceil(height / 64) * 64;
  const ctx = prepareCanvas(canvas, width, canvasHeight);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, canvasHeight);
  const limit = Math.max(...heads.map(maxAbs));
  const outLimit = maxAbs(output);

  // The layer this is, and what each row is.
  ctx.fillStyle = theme.text;
  ctx.font = '600 13px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(width >= 480 ? `Layer ${layer}: ${H} heads of dₖ = ${dK}, one row per token` : `Layer ${layer}: ${H} heads, dₖ ${dK}`, 0, 11);

  let y = TITLE;
  heads.forEach((h, i) => {
    const x = x0 + (i % perRow) * block, top = y + Math.floor(i / perRow) * (CAPTION + matrixH + GAP);
    caption(ctx, [`head ${i}`, `[${T} × ${dK}]`], x, top, headColor(i), theme);
    matrix(ctx, h, T, dK, x, top + CAPTION, headCell, rowH, limit, zero);
    outline(ctx, x, top + CAPTION, dK * headCell, rowH, selected, theme);
    if (labels && i % perRow === 0) rowLabels(ctx, tokens, top + CAPTION, rowH, selected, theme);
  });
  y += headRows * (CAPTION + matrixH + GAP);
  caption(ctx, ['concatenate', `[${T} × ${H}·${dK} = ${dModel}]`], x0, y, theme.text, theme);
  matrix(ctx, concat, T, dModel, x0, y + CAPTION, wideCell, rowH, limit, zero);
  for (let i = 0; i < H; i++) {  // colour bands: which columns came from which head
    ctx.fillStyle = headColor(i);
    ctx.fillRect(x0 + i * dK * wideCell, y + CAPTION - 5, dK * wideCell, 3);
  }
  outline(ctx, x0, y + CAPTION, dModel * wideCell, rowH, selected, theme);
  if (labels) rowLabels(ctx, tokens, y + CAPTION, rowH, selected, theme);
  y += CAPTION + matrixH + GAP;
  if (wo) {  // the mixing matrix itself: row i says how concat's column i feeds each output column
    caption(ctx, [`× W_O${width >= 480 ? ': mixes the heads back together' : ''}`, `[${dModel} × ${dModel}]`], x0, y, theme.text, theme);
    // Made into pixels once per W_O (the session keeps weights from run to run); its
    // colour limit is 3 × RMS: the largest entry would wash the rest out.
    drawUnchangingCellGrid(ctx, wo, `W_O on ${zero}`, dModel, dModel, x0, y + CAPTION, woSide / dModel, woSide / dModel, () => {
      const colourOf = divergingColours(typicalScale(wo), zero);
      return (r, c) => colourOf(wo[r * dModel + c]);
    });
    for (let i = 0; i < H; i++) {  // which rows of W_O read which head's columns
      ctx.fillStyle = headColor(i);
      ctx.fillRect(x0 - 5, y + CAPTION + (i * dK * woSide) / dModel, 3, (dK * woSide) / dModel);
    }
    y += CAPTION + woSide + GAP;
  }
  caption(ctx, [wo ? '= attention output' : `× W_O [${dModel} × ${dModel}]${width >= 480 ? ': mixes the heads back together' : ''}`, `${wo ? '' : '= attention output '}[${T} × ${dModel}]`], x0, y, theme.text, theme);
  matrix(ctx, output, T, dModel, x0, y + CAPTION, wideCell, rowH, outLimit, zero);
  outline(ctx, x0, y + CAPTION, dModel * wideCell, rowH, selected, theme);
  if (labels) rowLabels(ctx, tokens, y + CAPTION, rowH, selected, theme);
  divergingLegend(ctx, x0, y + CAPTION + matrixH + 10, zero, theme, 'each value of a row, coloured by sign and size');
}

// Each row's token, right-aligned against the matrices; the selected one in the accent.
function rowLabels(ctx, tokens, y, rowH, selected, theme) {
  ctx.font = `${Math.min(12, rowH)}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  tokens.forEach((token, r) => {
    ctx.fillStyle = r === selected ? theme.accent : theme.muted;
    ctx.fillText(tokenLabel(token, 8), LABEL_W - 6, y + r * rowH + rowH / 2);
  });
}

// A title with a colour key, and the matrix's shape below it.
function caption(ctx, [title, shape], x, y, colour, theme) {
  ctx.fillStyle = colour;
  ctx.fillRect(x, y + 6, 10, 10);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = theme.text;
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.fillText(title, x + 16, y + 11);
  ctx.fillStyle = theme.muted;
  ctx.font = '12px ui-monospace, Menlo, monospace';
  ctx.fillText(shape, x, y + 28);
}

// (T × d_model cells: 16,384 at 128 tokens for each wide matrix.)
function matrix(ctx, data, rows, cols, x, y, cellW, cellH, limit, zero) {
  drawValueGrid(ctx, data, rows, cols, x, y, cellW, cellH, divergingColours(limit, zero));
}

function outline(ctx, x, y, w, rowH, selected, theme) {
  if (selected === null || selected === undefined) return;
  ctx.strokeStyle = theme.text;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x - 1, y + selected * rowH - 1, w + 2, rowH + 2);
}
