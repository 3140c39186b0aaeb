// The views' drawing functions that may run in the painting worker, by name: each is
// draw(canvas, data, options) -> its layout (plain data, or nothing), pure drawing
// from plain data (views/NAME/draw.js). The worker (host.js) and the page's fallback
// (painter.js) look them up here, so both draw with the same code.
import { drawArcs } from '../views/arcs/draw.js';
import { drawHeatmap } from '../views/heatmap/draw.js';
import { drawThumbnail } from '../views/grid/draw.js';
import { drawMultihead } from '../views/multihead/draw.js';
import { drawPredictions } from '../views/predictions/draw.js';
import { drawQkv } from '../views/qkv/draw.js';
import { drawScaling } from '../views/scaling/draw.js';

export const DRAWS = {
  arcs: drawArcs,
  heatmap: drawHeatmap,
  multihead: drawMultihead,
  predictions: drawPredictions,
  qkv: drawQkv,
  scaling: drawScaling,
  thumbnail: drawThumbnail,
};

export function drawNamed(name) {
  const draw = DRAWS[name];
  if (!draw) throw new Error(`no drawing named "${String(name).slice(0, 40)}"`);
  return draw;
}
