// Sizing a canvas for crisp drawing: its backing store is devicePixelRatio times its
// CSS size, and the context is scaled so views draw in CSS pixels.
import { diverging } from './colormap.js';

// Device pixels per CSS pixel of `canvas`: the screen's, or the canvas's own when it
// has one (the SVG export's recording canvas, export/svg-context.js, draws 1:1; a
// canvas drawn in the painting worker, paint/host.js, is told the page's).
export function pixelRatio(canvas) {
  return (canvas && canvas.pixelRatio) || (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
}

// Whether ctx records shapes (an SVG export) rather than painting pixels: drawing that
// takes a bitmap shortcut on screen (cells as one small image, arcs kept on a layer)
// draws shapes there instead, so the export has no bitmap in it.
export function isVector(ctx) { return Boolean(ctx.canvas && ctx.canvas.vector); }

// A new blank canvas of the kind `canvas` is, for a scratch tile drawn into it: a
// recording canvas makes another recording canvas, so the tile stays vector.
export function canvasLike(canvas) {
  return canvas && canvas.vector ? canvas.createCanvas() : blankCanvas(0, 0);
}

// A scratch canvas that is never shown: a page's canvas on the main thread, an
// OffscreenCanvas in the painting worker (which has no document).
export function blankCanvas(width, height) {
  if (typeof document === 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

// A 2d context that only measures text (never drawn on, so it has no backing store to
// speak of): one per page or worker; null where there is no canvas at all (Node).
let measuring;
export function measuringContext() {
  if (measuring === undefined)
    measuring = typeof document !== 'undefined' || typeof OffscreenCanvas !== 'undefined' ? blankCanvas(1, 1).getContext('2d') : null;
  return measuring;
}

export function prepareCanvas(canvas, cssWidth, cssHeight) {
  const ratio = pixelRatio(canvas);
  const width = Math.max(1, Math.round(cssWidth * ratio));
  const height = Math.max(1, Math.round(cssHeight * ratio));
  const ctx = canvas.getContext('2d');
  // Resizing reallocates the backing store (and forces a layout), so a redraw at the
  // same size only clears it: typing redraws every keystroke.
  canvas.cssSize = [cssWidth, cssHeight];  // the painting worker sends it to the page (paint/host.js)
  if (canvas.width !== width || canvas.height !== height) {
    if (canvas.style) {  // an OffscreenCanvas has none: the page sizes its placeholder
      canvas.style.width = `${cssWidth}px`;
      canvas.style.height = `${cssHeight}px`;
    }
    canvas.width = width;
    canvas.height = height;
  } else if (typeof ctx.reset === 'function') {
    ctx.reset();  // clears the bitmap and every drawing state, as a resize would
  } else {
    canvas.width = width;  // older browsers: the same reset by reallocation
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Token text for a label: visible whitespace, at most `max` characters.
export function tokenLabel(token, max = 12) {
  const shown = String(token).replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·');
  const chars = Array.from(shown);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : shown;
}

// A token quoted in running text: its display form (already escaped: a newline is the
// two characters \n) between curly quotes. Not JSON.stringify, which would escape the
// escape and show \\n.
export function quoted(token) { return `“${token}”`; }

// A grid of cells, one colour per cell, drawn as one small image (a pixel per cell)
// scaled up with smoothing off: crisp squares at a fraction of the cost of a
// fillRect or a JavaScript loop per device pixel. colourOf(r, c) -> a packed colour
// (packColor): one store per cell, no array per cell.
const cellImages = new WeakMap();  // target canvas -> Map(cols x rows -> scratch canvas)

// [r, g, b] -> the word a Uint32Array view of canvas pixels holds for it, opaque
// (canvas bytes are RGBA; browsers run little-endian, so the word reads ABGR).
export function packColor([r, g, b]) {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

// The CSS colour of a packed word (alpha included).
export function packedCss(word) {
  const r = word & 255, g = (word >>> 8) & 255, b = (word >>> 16) & 255, a = word >>> 24;
  return a === 255 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${a / 255})`;
}

export function drawCellGrid(ctx, rows, cols, x, y, cellW, cellH, colourOf) {
  if (rows <= 0 || cols <= 0) return;
  if (isVector(ctx)) { drawCellRects(ctx, rows, cols, x, y, cellW, cellH, colourOf); return; }
  // One scratch canvas per size: a view that draws matrices of several shapes (the
  // multi-head view) would otherwise reallocate it for each.
  const small = scratchFor(ctx.canvas, rows, cols);
  fillCells(small.pixels, rows, cols, colourOf);
  putCells(small, rows, cols);
  scaleCells(ctx, small, rows, cols, x, y, cellW, cellH);
}

// The same for a row-major matrix of values [rows, cols] and a colour per value
// (divergingColours, a heatmap's weight colours): the loop reads the values itself, so
// the one colour function it calls stays the same kind from cell to cell and the
// engine can inline it (a (r, c) closure per view cannot be).
export function drawValueGrid(ctx, values, rows, cols, x, y, cellW, cellH, colourOfValue) {
  if (rows <= 0 || cols <= 0) return;
  if (isVector(ctx)) { drawCellRects(ctx, rows, cols, x, y, cellW, cellH, (r, c) => colourOfValue(values[r * cols + c])); return; }
  const small = scratchFor(ctx.canvas, rows, cols);
  const pixels = small.pixels;
  for (let i = 0, n = rows * cols; i < n; i++) pixels[i] = colourOfValue(values[i]);
  putCells(small, rows, cols);
  scaleCells(ctx, small, rows, cols, x, y, cellW, cellH);
}

// The same for a matrix that does not change from draw to draw (a model's weights,
// which the session keeps from run to run): its pixels are made once per `source`
// array and `look` (a string naming the slice and colour scale), then only scaled;
// `colouring()` makes the colourOf(r, c) then, so its scale is not computed on every draw.
const unchangingImages = new WeakMap();  // source array -> Map(look -> small canvas)
export function drawUnchangingCellGrid(ctx, source, look, rows, cols, x, y, cellW, cellH, colouring) {
  if (rows <= 0 || cols <= 0) return;
  if (isVector(ctx)) { drawCellRects(ctx, rows, cols, x, y, cellW, cellH, colouring()); return; }
  let byLook = unchangingImages.get(source);
  if (!byLook) unchangingImages.set(source, byLook = new Map());
  let small = byLook.get(look);
  if (!small) {
    if (byLook.size > 16) byLook.clear();  // every head's slice, in two themes
    byLook.set(look, small = blankCanvas(cols, rows));
    const image = small.getContext('2d').createImageData(cols, rows);
    fillCells(new Uint32Array(image.data.buffer), rows, cols, colouring());
    small.getContext('2d').putImageData(image, 0, 0);
  }
  scaleCells(ctx, small, rows, cols, x, y, cellW, cellH);
}

// The scratch canvas a matrix of [rows, cols] cells is drawn into on `target`: one
// per size, and its height grows in steps of 64 rows (only `rows` of them are drawn
// from), since a matrix with a row per token would otherwise make a new scratch
// canvas, and allocate its backing store, with every token typed. It keeps its
// ImageData and a Uint32Array view of its pixels (`small.pixels`, a word per cell,
// row-major at `cols` a row) from draw to draw: a new one per draw was tens of KB of
// garbage per matrix per keystroke.
function scratchFor(target, rows, cols) {
  let bySize = cellImages.get(target);
  if (!bySize) cellImages.set(target, bySize = new Map());
  const height = Math.ceil(rows / 64) * 64;
  const key = `${cols}x${height}`;
  let small = bySize.get(key);
  if (!small) {
    if (bySize.size > 8) bySize.clear();  // the text's length changed a lot: old sizes go
    bySize.set(key, small = blankCanvas(cols, height));
    small.image = small.getContext('2d').createImageData(cols, height);
    small.pixels = new Uint32Array(small.image.data.buffer);
  }
  return small;
}

// The first `rows` rows of a scratch canvas's pixels onto its bitmap (the rest are
// never drawn from).
function putCells(small, rows, cols) {
  small.getContext('2d').putImageData(small.image, 0, 0, 0, 0, cols, rows);
}

// A pixel per cell, one store each (pixels: a word per cell, row-major).
function fillCells(pixels, rows, cols, colourOf) {
  for (let r = 0, o = 0; r < rows; r++)
    for (let c = 0; c < cols; c++, o++) pixels[o] = colourOf(r, c);
}

// The pixels scaled up to cells, unsmoothed.
function scaleCells(ctx, small, rows, cols, x, y, cellW, cellH) {
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, cols, rows, x, y, cols * cellW, rows * cellH);
  ctx.restore();
}

// The same cells for a recording context: a rectangle per run of equal colour along a
// row (a causal mask's future is one run a row), grouped, with crisp edges so that
// renderers draw no hairline seams between neighbours.
function drawCellRects(ctx, rows, cols, x, y, cellW, cellH, colourOf) {
  ctx.save();
  ctx.beginGroup({ 'shape-rendering': 'crispEdges' });
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols;) {
      const colour = colourOf(r, c);
      let end = c + 1;
      while (end < cols && colourOf(r, end) === colour) end++;
      ctx.fillStyle = packedCss(colour);
      ctx.fillRect(x + c * cellW, y + r * cellH, (end - c) * cellW, cellH);
      c = end;
    }
  }
  ctx.endGroup();
  ctx.restore();
}

// value -> the packed colour of the diverging scale (colormap.js `diverging`) for
// values in [-limit, limit], from a table of 256 steps each side of zero: not a colour
// map call (and an array) per cell of a matrix drawn with drawCellGrid.
const DIVERGING_STEPS = 256;
const divergingTables = new Map();  // background colour -> its table (one per theme)
export function divergingColours(limit, zero) {
  const key = zero.join();
  if (!divergingTables.has(key))
    divergingTables.set(key, Uint32Array.from({ length: 2 * DIVERGING_STEPS + 1 }, (_, k) => packColor(diverging((k - DIVERGING_STEPS) / DIVERGING_STEPS, 1, zero))));
  const table = divergingTables.get(key);
  const zeroColour = table[DIVERGING_STEPS];
  if (!(limit > 0 && limit < Infinity)) return () => zeroColour;  // nothing to scale by
  // Called once per cell (tens of thousands per keystroke): plain arithmetic, no calls.
  const perStep = DIVERGING_STEPS / limit;
  return (v) => {
    if (!(v - v === 0)) return zeroColour;  // NaN and ±Infinity
    const k = Math.round(v * perStep);
    return table[DIVERGING_STEPS + (k > DIVERGING_STEPS ? DIVERGING_STEPS : k < -DIVERGING_STEPS ? -DIVERGING_STEPS : k)];
  };
}

// A colour scale's key: a bar w wide, coloured by colourAt(t) for t from 0 to 1, with
// its labels under the left end, the middle (optional) and the right end.
export function colourBar(ctx, x, y, w, colourAt, [left, middle, right], theme) {
  const h = 10;
  // On screen one image a pixel high, stretched (a views redraws its key with every
  // keystroke: w fillRects, each parsing a colour string, cost more than the matrix);
  // in an SVG export a rect per step.
  drawCellGrid(ctx, 1, w, x, y, 1, h, (r, c) => packColor(colourAt(c / (w - 1))));
  ctx.strokeStyle = theme.line;
  ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
  ctx.fillStyle = theme.muted;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(left, x, y + h + 3);
  if (middle) {
    ctx.textAlign = 'center';
    ctx.fillText(middle, x + w / 2, y + h + 3);
  }
  ctx.textAlign = 'right';
  ctx.fillText(right, x + w, y + h + 3);
}

// The key of a diverging colour scale: blue below zero, the background at zero, orange
// above, with a note beside it when there is room. Shared by the views that colour
// vectors by sign and size (Q·K·V, multi-head).
export function divergingLegend(ctx, x, y, zero, theme, note) {
  const w = 160;
  colourBar(ctx, x, y, w, (t) => diverging(t * 2 - 1, 1, zero), ['negative', '0', 'positive'], theme);
  const cssWidth = ctx.canvas.width / pixelRatio(ctx.canvas);
  ctx.textAlign = 'left';
  if (note && x + w + 12 + ctx.measureText(note).width < cssWidth) ctx.fillText(note, x + w + 12, y);
}
