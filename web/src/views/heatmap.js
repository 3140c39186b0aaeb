// Heatmap view: the query × key matrix of one head's attention weights. Rows are
// queries (the token doing the looking), columns are keys (the tokens looked at).
// Pure drawing: (canvas, data, options) -> pixels, plus hit-testing on the layout.
import { viridis, cssColor } from './colormap.js';
import { prepareCanvas, tokenLabel } from './canvas.js';

const LEGEND_HEIGHT = 34;

// Where everything goes for T tokens in `width` CSS pixels.
export function heatmapLayout(tokens, width) {
  const T = tokens.length;
  const labels = T <= 64;  // past that, labels would overlap; hover tells the token
  const margin = labels ? 84 : 16;
  const cell = T === 0 ? 0 : Math.max(1, Math.min(32, Math.floor((width - margin - 8) / T)));
  const showLabels = labels && cell >= 9;
  const left = showLabels ? margin : 8;
  const top = showLabels ? margin : 8;
  return { T, cell, left, top, showLabels, width, height: top + cell * T + LEGEND_HEIGHT + 12 };
}

// The cell under (x, y) in CSS pixels, or null.
export function heatmapCellAt(layout, x, y) {
  const query = Math.floor((y - layout.top) / layout.cell);
  const key = Math.floor((x - layout.left) / layout.cell);
  if (layout.cell <= 0 || query < 0 || key < 0 || query >= layout.T || key >= layout.T) return null;
  return { query, key };
}

// data: { tokens, weights: Float32Array [T*T] row-major, causal }
// options: { width, theme: { background, text, muted, masked }, hover: { query, key } | null }
export function drawHeatmap(canvas, data, options) {
  const { tokens, weights, causal } = data;
  const { theme } = options;
  const layout = heatmapLayout(tokens, options.width);
  const ctx = prepareCanvas(canvas, layout.width, layout.height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, layout.width, layout.height);
  const { T, cell, left, top } = layout;

  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const x = left + j * cell, y = top + i * cell;
      if (causal && j > i) {
        drawMaskedCell(ctx, x, y, cell, theme.masked);
      } else {
        ctx.fillStyle = cssColor(viridis(weights[i * T + j]));
        ctx.fillRect(x, y, cell, cell);
      }
    }
  }
  if (layout.showLabels) drawLabels(ctx, tokens, layout, theme);
  if (options.hover) drawHoverOutline(ctx, options.hover, layout, theme);
  drawLegend(ctx, layout, theme, causal);
  return layout;
}

// Masked cells: the page background with a diagonal hatch, so "hidden" never reads
// as "weight 0 that the model chose".
function drawMaskedCell(ctx, x, y, size, colour) {
  ctx.fillStyle = colour;
  ctx.fillRect(x, y, size, size);
  if (size < 6) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, size, size);
  ctx.clip();
  ctx.strokeStyle = 'rgba(128, 128, 128, 0.35)';
  ctx.lineWidth = 1;
  for (let d = -size; d < size; d += 6) {
    ctx.beginPath();
    ctx.moveTo(x + d, y + size);
    ctx.lineTo(x + d + size, y);
    ctx.stroke();
  }
  ctx.restore();
}

function drawLabels(ctx, tokens, layout, theme) {
  const { cell, left, top } = layout;
  ctx.fillStyle = theme.text;
  ctx.font = `${Math.min(13, cell - 1)}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  tokens.forEach((t, i) => ctx.fillText(tokenLabel(t, 10), left - 6, top + i * cell + cell / 2));
  ctx.textAlign = 'left';
  tokens.forEach((t, j) => {
    ctx.save();
    ctx.translate(left + j * cell + cell / 2, top - 6);
    ctx.rotate(-Math.PI / 3);
    ctx.fillText(tokenLabel(t, 10), 0, 0);
    ctx.restore();
  });
}

function drawHoverOutline(ctx, { query, key }, layout, theme) {
  const { cell, left, top, T } = layout;
  if (query < 0 || query >= T) return;
  ctx.strokeStyle = theme.text;
  ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, top + query * cell + 0.5, T * cell - 1, cell - 1);  // the query's row
  if (key >= 0 && key < T) {
    ctx.lineWidth = 2;
    ctx.strokeRect(left + key * cell + 1, top + query * cell + 1, cell - 2, cell - 2);
  }
}

function drawLegend(ctx, layout, theme, causal) {
  const y = layout.top + layout.T * layout.cell + 14;
  const x = layout.left, w = Math.min(200, layout.width - x - 8), h = 10;
  for (let i = 0; i < w; i++) {
    ctx.fillStyle = cssColor(viridis(i / (w - 1)));
    ctx.fillRect(x + i, y, 1, h);
  }
  ctx.fillStyle = theme.muted;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText('weight 0', x, y + h + 3);
  ctx.textAlign = 'right';
  ctx.fillText('1', x + w, y + h + 3);
  if (causal && x + w + 120 < layout.width) {
    drawMaskedCell(ctx, x + w + 16, y - 1, 12, theme.masked);
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'left';
    ctx.fillText('masked (future)', x + w + 34, y);
  }
}
