// Grid view: one thumbnail per layer × head, each its attention pattern in miniature,
// so the reader can spot the kinds of head at a glance. Pure drawing of one
// thumbnail: (canvas, data, options) -> pixels; the page lays the thumbnails out.
import { viridis } from './colormap.js';

const STEPS = 1024;  // weight quantisation of the thumbnails' colour table

// Brighten small weights (sqrt) so faint patterns stay visible at this size; the
// colours come from a table of 1/1024 steps rather than a colour map call per pixel,
// built once per brightness (ablated thumbnails are dimmed).
const palettes = new Map();
function paletteFor(dim) {
  if (!palettes.has(dim)) palettes.set(dim, Array.from({ length: STEPS + 1 }, (_, k) => viridis(Math.sqrt(k / STEPS)).map((c) => c * dim)));
  return palettes.get(dim);
}

// data: { weights: Float32Array [T*T], T } ; options: { size (CSS px), ablated }
export function drawThumbnail(canvas, data, options) {
  const { weights, T } = data;
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const px = Math.round(options.size * ratio);
  canvas.width = px;
  canvas.height = px;
  canvas.style.width = `${options.size}px`;
  canvas.style.height = `${options.size}px`;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(px, px);
  const dim = options.ablated ? 0.35 : 1;
  const palette = paletteFor(dim);
  const future = [128 * dim, 128 * dim, 128 * dim];
  for (let y = 0; y < px; y++) {
    const i = Math.min(T - 1, Math.floor((y / px) * T));
    for (let x = 0; x < px; x++) {
      const j = Math.min(T - 1, Math.floor((x / px) * T));
      const [r, g, b] = j > i ? future : palette[Math.round(Math.min(1, Math.max(0, weights[i * T + j])) * STEPS)];
      const o = (y * px + x) * 4;
      image.data[o] = r;
      image.data[o + 1] = g;
      image.data[o + 2] = b;
      image.data[o + 3] = j > i ? 40 : 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}
