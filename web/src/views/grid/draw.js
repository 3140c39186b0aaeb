// Grid view: one thumbnail per layer × head, each its attention pattern in miniature,
// so the reader can spot the kinds of head at a glance. Pure drawing of one
// thumbnail: (canvas, data, options) -> pixels; the page lays the thumbnails out.
import { viridis } from '../colormap.js';
import { drawCellGrid, pixelRatio } from '../canvas.js';

const STEPS = 1024;  // weight quantisation of the thumbnails' colour table

// Brighten small weights (sqrt) so faint patterns stay visible at this size; the
// colours come from a table of 1/1024 steps rather than a colour map call per pixel,
// built once per brightness (ablated thumbnails are dimmed). Colours are packed RGBA
// words, written through a Uint32Array view of the pixels (canvas byte order is
// RGBA, so on the little-endian machines browsers run on the word is ABGR): one store
// per pixel and no arrays made while drawing, which typing redraws 24 times a stroke.
const pack = (r, g, b, a) => ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
const palettes = new Map();
function paletteFor(dim) {
  if (!palettes.has(dim))
    palettes.set(dim, Uint32Array.from({ length: STEPS + 1 }, (_, k) => {
      const [r, g, b] = viridis(Math.sqrt(k / STEPS)).map((c) => Math.round(c * dim));
      return pack(r, g, b, 255);
    }));
  return palettes.get(dim);
}

// The colour table of the weights, and the future's faint grey, dimmed when ablated.
function thumbnailColours(ablated) {
  const dim = ablated ? 0.35 : 1;
  const grey = Math.round(128 * dim);
  return { palette: paletteFor(dim), future: pack(grey, grey, grey, 40) };
}

// A thumbnail's canvas at `size` CSS pixels (its backing store devicePixelRatio times
// that); it keeps its size between calls, so a redraw does not reallocate it. The grid
// sizes a card's canvas when it makes the card, before its first drawing, so nothing
// moves when the drawing comes. Returns the size in device pixels.
export function sizeThumbnail(canvas, size) {
  const px = Math.round(size * pixelRatio(canvas));
  canvas.cssSize = [size, size];
  if (canvas.width !== px || canvas.height !== px) {
    canvas.width = px;
    canvas.height = px;
    if (canvas.style) {
      canvas.style.width = `${size}px`;
      canvas.style.height = `${size}px`;
    }
  }
  return px;
}

// data: { weights: Float32Array [T*T], T } ; options: { size (CSS px), ablated }.
export function drawThumbnail(canvas, data, options) {
  const { weights, T } = data;
  const px = sizeThumbnail(canvas, options.size);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(px, px);
  const pixels = new Uint32Array(image.data.buffer);
  const { palette, future } = thumbnailColours(options.ablated);
  const column = new Int32Array(px);  // the key (column) each pixel column shows
  for (let x = 0; x < px; x++) column[x] = Math.min(T - 1, Math.floor((x / px) * T));
  for (let y = 0, o = 0; y < px; y++) {
    const i = Math.min(T - 1, Math.floor((y / px) * T));
    const row = i * T;
    for (let x = 0; x < px; x++, o++) {
      const j = column[x];
      pixels[o] = j > i ? future : palette[Math.round(Math.min(1, Math.max(0, weights[row + j])) * STEPS)];
    }
  }
  ctx.putImageData(image, 0, 0);
}

// The same thumbnail on a recording canvas (an SVG export), `size` CSS pixels square at
// (x, y): the bitmap samples a cell per pixel, this draws every cell (drawCellGrid) in
// the colour its pixels have.
export function drawThumbnailCells(ctx, data, options, x, y) {
  const { weights, T } = data;
  const { palette, future } = thumbnailColours(options.ablated);
  const cell = options.size / T;
  drawCellGrid(ctx, T, T, x, y, cell, cell,
    (i, j) => (j > i ? future : palette[Math.round(Math.min(1, Math.max(0, weights[i * T + j])) * STEPS)]));
}
