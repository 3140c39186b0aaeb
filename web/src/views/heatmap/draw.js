// Heatmap view: the query × key matrix of one head's attention weights. Rows are
// queries (the token doing the looking), columns are keys (the tokens looked at).
// Zoom and pan show a square window of the matrix, so even the longest text can be
// read cell by cell with its labels. Pure drawing: (canvas, data, options) -> pixels,
// plus hit-testing on the layout it returns.
import { diverging, viridis, parseColor } from '../colormap.js';
import { blankCanvas, canvasLike, colourBar, divergingColours, drawCellGrid, isVector, packColor, prepareCanvas, tokenLabel } from '../canvas.js';

const LEGEND_HEIGHT = 48, LABEL_MARGIN = 84, MIN_LABEL_CELL = 10, MAX_CELL = 36;

// The cell size that fits all T tokens into `size` pixels.
export function fitCell(T, size) { return T === 0 ? 0 : Math.max(0.25, Math.min(MAX_CELL, size / T)); }

// Where everything goes. `zoom`: { cell, row0, col0 } or null to fit the whole matrix.
export function heatmapLayout(T, width, zoom) {
  const room = Math.max(120, Math.min(width, 900) - 16);
  let cell = zoom ? zoom.cell : fitCell(T, room - LABEL_MARGIN);
  // Every token is labelled when its cell is tall enough; otherwise every n-th one
  // (labelEvery), so a long text keeps its landmarks without zooming. Cells under
  // 2 px (hundreds of tokens on a phone) give the labels' room to the matrix.
  const showLabels = cell >= 2;
  const labelEvery = Math.max(1, Math.ceil(MIN_LABEL_CELL / cell));
  const margin = showLabels ? LABEL_MARGIN : 8;
  if (!zoom) cell = fitCell(T, room - margin);
  // cells per side (the epsilon: at fit, (room − margin) / cell is T up to rounding)
  const count = Math.max(1, Math.min(T, Math.floor((room - margin) / cell + 1e-6)));
  const clampStart = (s) => Math.max(0, Math.min(Math.max(0, T - count), Math.round(s || 0)));
  const row0 = zoom ? clampStart(zoom.row0) : 0, col0 = zoom ? clampStart(zoom.col0) : 0;
  const side = count * cell;
  return { T, cell, count, row0, col0, left: margin, top: margin, showLabels, labelEvery,
    width: Math.max(width, margin + side + 8), height: margin + side + LEGEND_HEIGHT + 12 };
}

// The cell under (x, y) in CSS pixels, or null.
export function heatmapCellAt(layout, x, y) {
  const r = Math.floor((y - layout.top) / layout.cell), c = Math.floor((x - layout.left) / layout.cell);
  if (!(layout.cell > 0) || r < 0 || c < 0 || r >= layout.count || c >= layout.count) return null;
  const query = layout.row0 + r, key = layout.col0 + c;
  return query < layout.T && key < layout.T ? { query, key } : null;
}

// Centre of a cell in CSS pixels (for tests and keyboard focus), or null if off-window.
export function heatmapCellCentre(layout, query, key) {
  const r = query - layout.row0, c = key - layout.col0;
  if (r < 0 || c < 0 || r >= layout.count || c >= layout.count) return null;
  return { x: layout.left + (c + 0.5) * layout.cell, y: layout.top + (r + 0.5) * layout.cell };
}

// data: { tokens, weights: Float32Array [T*T] row-major, causal }
// options: { width, theme: { background, text, muted, masked }, hover: { query, key } | null,
//            selected: token index | null, zoom: { cell, row0, col0 } | null,
//            legend: the colour bar's name ('weight'), hiddenColumn: a key painted as hidden | null,
//            signed: a limit L for a signed matrix (a difference of two heads), drawn on the
//            diverging scale from −L to +L, or null for weights (0..1, viridis) }
export function drawHeatmap(canvas, data, options) {
  const { tokens, weights, causal } = data;
  const { theme } = options;
  const T = tokens.length;
  const layout = heatmapLayout(T, options.width, options.zoom || null);
  const ctx = prepareCanvas(canvas, layout.width, layout.height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, layout.width, layout.height);
  const { cell, left, top, row0, col0 } = layout;
  const rows = Math.min(layout.count, T - row0), cols = Math.min(layout.count, T - col0);

  drawCells(ctx, weights, T, layout, rows, cols, causal, theme, options.hiddenColumn ?? null, options.signed ?? null);
  if (layout.showLabels) drawLabels(ctx, tokens, layout, theme, options.selected);
  if (options.selected !== null && options.selected !== undefined) drawRowOutline(ctx, options.selected, layout, theme, 1);
  if (options.hover) drawHoverOutline(ctx, options.hover, layout, theme);
  drawLegend(ctx, layout, theme, causal, options.legend || 'weight', options.signed ?? null);
  return layout;
}

// The cells (drawCellGrid: a pixel per cell, scaled up), then the masked triangle
// hatched on top.
// A hidden column (a view transform, e.g. the first token) is painted as masked.
function drawCells(ctx, weights, T, layout, rows, cols, causal, theme, hiddenColumn, signed) {
  const { cell, left, top, row0, col0 } = layout;
  const masked = packColor(parseColor(theme.masked));
  const colourOf = signed ? divergingColours(signed, parseColor(theme.background)) : weightColours();
  drawCellGrid(ctx, rows, cols, left, top, cell, cell, (r, c) => {
    const i = row0 + r, j = col0 + c;
    return (causal && j > i) || j === hiddenColumn ? masked : colourOf(weights[i * T + j]);
  });
  if (causal && cell >= HATCH_SPACING) hatchMaskedTriangle(ctx, layout, rows, cols);
}

// weight in [0, 1] -> its packed viridis colour, from 256 steps: finer than the eye sees.
let viridisTable = null;
function weightColours() {
  if (!viridisTable) viridisTable = Uint32Array.from({ length: 256 }, (_, k) => packColor(viridis(k / 255)));
  return (w) => viridisTable[Math.round(Math.min(1, Math.max(0, w)) * 255)];
}

// The masked (future) region — above the diagonal — hatched: one staircase polygon
// filled with a hatch pattern. (Clipping hundreds of long strokes to a path of many
// rectangles cost Chromium's rasteriser ~5 ms a frame at 128 tokens.)
function hatchMaskedTriangle(ctx, layout, rows, cols) {
  const { cell, left, top, row0, col0 } = layout;
  const firstMasked = (r) => Math.min(cols, Math.max(0, row0 + r + 1 - col0));
  ctx.beginPath();
  ctx.moveTo(left + cols * cell, top);
  for (let r = 0; r < rows; r++) {
    ctx.lineTo(left + firstMasked(r) * cell, top + r * cell);
    ctx.lineTo(left + firstMasked(r) * cell, top + (r + 1) * cell);
  }
  ctx.lineTo(left + cols * cell, top + rows * cell);
  ctx.closePath();
  ctx.fillStyle = hatchPattern(ctx);
  ctx.fill();
}

// Grey lines rising at 45°, 6 CSS pixels apart, as a repeating tile drawn at the
// canvas's device-pixel scale so the lines stay crisp on high-DPI screens. An SVG
// export's tile is recorded like the view (the same lines, as paths).
const HATCH_SPACING = 6;
const hatchTiles = new Map();  // device pixels per tile -> tile canvas
const vectorTiles = new WeakMap();  // recording canvas -> its tile (one <pattern> a figure)
function hatchPattern(ctx) {
  const scale = ctx.getTransform().a || 1;
  const size = Math.max(1, Math.round(HATCH_SPACING * scale));
  if (isVector(ctx) && !vectorTiles.has(ctx.canvas)) vectorTiles.set(ctx.canvas, drawHatchTile(canvasLike(ctx.canvas), size));
  const tile = isVector(ctx) ? vectorTiles.get(ctx.canvas) : hatchTile(size);
  const pattern = ctx.createPattern(tile, 'repeat');
  pattern.setTransform(new DOMMatrix().scale(1 / scale));  // one tile pixel per device pixel
  return pattern;
}

function hatchTile(size) {
  if (!hatchTiles.has(size)) hatchTiles.set(size, drawHatchTile(blankCanvas(size, size), size));
  return hatchTiles.get(size);
}

function drawHatchTile(tile, size) {
  tile.width = tile.height = size;
  const t = tile.getContext('2d');
  t.strokeStyle = 'rgba(128, 128, 128, 0.35)';
  t.lineWidth = size / HATCH_SPACING;  // one CSS pixel
  t.beginPath();  // the diagonal, and its neighbours' ends in two corners, so tiles join
  for (const offset of [-size, 0, size]) {
    t.moveTo(offset - 1, size + 1);
    t.lineTo(offset + size + 1, -1);
  }
  t.stroke();
  return tile;
}

// The legend's masked swatch: the background with the same hatch, so "hidden" never
// reads as "weight 0 that the model chose".
function drawMaskedCell(ctx, x, y, size, colour) {
  ctx.fillStyle = colour;
  ctx.fillRect(x, y, size, size);
  if (size < HATCH_SPACING) return;
  ctx.fillStyle = hatchPattern(ctx);
  ctx.fillRect(x, y, size, size);
}

function drawLabels(ctx, tokens, layout, theme, selected) {
  const { cell, left, top, row0, col0, count, T, labelEvery } = layout;
  ctx.font = `${Math.min(13, Math.max(9, cell * labelEvery - 1))}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  // With sparse labels, the labelled tokens are the multiples of labelEvery, plus the selected one.
  const labelled = (i) => labelEvery === 1 || i % labelEvery === 0 || i === selected;
  for (let r = 0; r < count && row0 + r < T; r++) {
    if (!labelled(row0 + r)) continue;
    ctx.fillStyle = row0 + r === selected ? theme.accent : theme.text;
    ctx.textAlign = 'right';
    ctx.fillText(tokenLabel(tokens[row0 + r], 10), left - 6, top + r * cell + cell / 2);
  }
  for (let c = 0; c < count && col0 + c < T; c++) {
    if (!labelled(col0 + c)) continue;
    ctx.save();
    ctx.fillStyle = col0 + c === selected ? theme.accent : theme.text;
    ctx.translate(left + c * cell + cell / 2, top - 6);
    ctx.rotate(-Math.PI / 3);
    ctx.textAlign = 'left';
    ctx.fillText(tokenLabel(tokens[col0 + c], 10), 0, 0);
    ctx.restore();
  }
  // The axes' names, in the empty corner: rows are the tokens asking, columns the
  // tokens answering.
  ctx.fillStyle = theme.muted;
  ctx.font = 'italic 12px system-ui, sans-serif';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText('key →', left - 6, top - 26);
  ctx.fillText('query ↓', left - 6, top - 8);
}

function drawRowOutline(ctx, query, layout, theme, width) {
  const r = query - layout.row0;
  if (r < 0 || r >= layout.count) return;
  ctx.strokeStyle = theme.text;
  ctx.lineWidth = width;
  const cols = Math.min(layout.count, layout.T - layout.col0);
  ctx.strokeRect(layout.left + 0.5, layout.top + r * layout.cell + 0.5, cols * layout.cell - 1, layout.cell - 1);
}

function drawHoverOutline(ctx, { query, key }, layout, theme) {
  drawRowOutline(ctx, query, layout, theme, 1);
  const r = query - layout.row0, c = key - layout.col0;
  if (r < 0 || c < 0 || r >= layout.count || c >= layout.count) return;
  ctx.strokeStyle = theme.text;
  ctx.lineWidth = 2;
  ctx.strokeRect(layout.left + c * layout.cell + 1, layout.top + r * layout.cell + 1, layout.cell - 2, layout.cell - 2);
}

function drawLegend(ctx, layout, theme, causal, legend, signed) {
  const y = layout.top + layout.count * layout.cell + 16;
  const x = layout.left, w = Math.min(200, layout.width - x - 8), h = 10;
  if (signed) {
    const zero = parseColor(theme.background), limit = signed.toPrecision(2);
    colourBar(ctx, x, y, w, (t) => diverging(t * 2 - 1, 1, zero), [`−${limit}`, '0', `+${limit}`], theme);  // the figure's caption names it
  } else {
    colourBar(ctx, x, y, w, viridis, [`${legend} 0`, '', '1'], theme);
  }
  if (causal && x + w + 130 < layout.width) {
    drawMaskedCell(ctx, x + w + 16, y - 1, 12, theme.masked);
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'left';
    ctx.fillText('masked (future)', x + w + 34, y);
  }
  // Too small for labels: the axes are named below instead.
  const axes = layout.showLabels ? '' : 'rows: query tokens ↓ · columns: key tokens →';
  const shown = layout.count < layout.T
    ? `showing queries ${layout.row0}–${layout.row0 + layout.count - 1}, keys ${layout.col0}–${layout.col0 + layout.count - 1} of ${layout.T}` : '';
  if (axes || shown) {
    ctx.textAlign = 'left';
    ctx.fillText([axes, shown].filter(Boolean).join(' · '), x, y + h + 18);
  }
}
