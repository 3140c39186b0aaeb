// Scaling view: why attention divides by sqrt(d_k). Four small plots against d_k
// (log scale), each with the unscaled and the scaled curve, measured in C++.
// Pure drawing: (canvas, data, options) -> pixels.
import { prepareCanvas } from '../canvas.js';

// The four measurements, in the order they are drawn, with what each shows.
export const SCALING_PLOTS = [
  { key: 'score_variance', title: 'Variance of q·k', log: true,
    caption: 'Without scaling the spread of the scores grows with dₖ; divided by √dₖ it stays near 1.' },
  { key: 'max_weight', title: 'Largest softmax weight', log: false,
    caption: 'Unscaled, one key takes nearly all the weight once dₖ is large: the softmax has saturated.' },
  { key: 'entropy', title: 'Softmax entropy (normalised)', log: false,
    caption: 'Entropy falls towards 0 without scaling — attention stops mixing and just picks one key.' },
  { key: 'jacobian_norm', title: 'Softmax Jacobian norm', log: false,
    caption: 'The gradient through a saturated softmax vanishes, so an unscaled model struggles to learn.' },
];

const PLOT_H = 150, PAD = { left: 44, right: 12, top: 26, bottom: 28 };

// data: { points: [{ d_k, unscaled: {...}, scaled: {...} }], dK, scaled }
// options: { width, theme: { background, text, muted, accent, second, line } }
export function drawScaling(canvas, data, options) {
  const { width, theme } = options;
  const columns = width >= 640 ? 2 : 1;
  const plotW = Math.floor(width / columns);
  const rows = Math.ceil(SCALING_PLOTS.length / columns);
  const ctx = prepareCanvas(canvas, width, rows * PLOT_H);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, rows * PLOT_H);
  SCALING_PLOTS.forEach((plot, i) => {
    const x0 = (i % columns) * plotW, y0 = Math.floor(i / columns) * PLOT_H;
    drawPlot(ctx, plot, data, { x0, y0, w: plotW, h: PLOT_H }, theme);
  });
}

function drawPlot(ctx, plot, data, box, theme) {
  const { points, dK, scaled } = data;
  const xs = points.map((p) => Math.log2(p.d_k));
  const values = points.flatMap((p) => [p.unscaled[plot.key], p.scaled[plot.key]]);
  const transform = plot.log ? (v) => Math.log10(Math.max(v, 1e-3)) : (v) => v;
  const yMin = plot.log ? Math.min(...values.map(transform)) : 0;
  const yMax = plot.log ? Math.max(...values.map(transform)) : Math.max(1, ...values);
  const left = box.x0 + PAD.left, right = box.x0 + box.w - PAD.right;
  const top = box.y0 + PAD.top, bottom = box.y0 + box.h - PAD.bottom;
  const X = (x) => left + ((x - xs[0]) / (xs[xs.length - 1] - xs[0] || 1)) * (right - left);
  const Y = (v) => bottom - ((transform(v) - yMin) / (yMax - yMin || 1)) * (bottom - top);

  ctx.fillStyle = theme.text;
  ctx.font = '600 13px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(plot.title, left, box.y0 + 16);

  ctx.strokeStyle = theme.line;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, top);
  ctx.lineTo(left, bottom);
  ctx.lineTo(right, bottom);
  ctx.stroke();

  ctx.fillStyle = theme.muted;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const p of points) {
    if (Math.log2(p.d_k) % 2 === 0 || p.d_k === points[points.length - 1].d_k)
      ctx.fillText(String(p.d_k), X(Math.log2(p.d_k)), bottom + 14);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const ticks = plot.log ? [yMin, yMax].map((t) => 10 ** t) : [0, yMax / 2, yMax];
  for (const t of ticks) ctx.fillText(formatTick(t), left - 6, Y(t));

  // The selected d_k.
  const xSel = X(Math.log2(dK));
  ctx.strokeStyle = theme.muted;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(xSel, top);
  ctx.lineTo(xSel, bottom);
  ctx.stroke();
  ctx.setLineDash([]);

  for (const [series, colour, on] of [['unscaled', theme.accent, !scaled], ['scaled', theme.second, scaled]]) {
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.globalAlpha = on ? 1 : 0.45;
    ctx.lineWidth = on ? 2.5 : 1.5;
    ctx.beginPath();
    points.forEach((p, i) => {
      const x = X(xs[i]), y = Y(p[series][plot.key]);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
}

function formatTick(v) {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

// The point nearest to d_k (the measured d_ks are powers of two).
export function nearestPoint(points, dK) {
  return points.reduce((best, p) => (Math.abs(Math.log2(p.d_k) - Math.log2(dK)) < Math.abs(Math.log2(best.d_k) - Math.log2(dK)) ? p : best));
}
