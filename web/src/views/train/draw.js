// Train view: the loss curve of a run training in the page, and the timeline of every
// head's scores as it trains. Pure drawing: (canvas, data, options) -> pixels.
import { headColor } from '../colormap.js';
import { prepareCanvas } from '../canvas.js';
import { grouped } from '../../format.js';

const PAD = { left: 46, right: 12, top: 22, bottom: 34 };

// For the panel too: grouped(1234567) is "1,234,567".
export { grouped };

// The score kinds the timeline shows, in its order: fields of the trainer's head
// scores (live_trainer.hpp). Previous-token attention is read on the probes the
// induction score reads (random tokens said twice), where a head that looks one token
// back has nothing else to go by; on the held-out stories ('prev_token', in the table)
// the same head scores lower, as the stories' words pull attention elsewhere.
export const SCORES = [
  { key: 'prev_token_random', title: 'previous-token' },
  { key: 'first_token', title: 'first-token (sink)' },
  { key: 'induction', title: 'induction' },
];
// Everything the table beside the charts lists.
export const TABLE_SCORES = [...SCORES, { key: 'prev_token', title: 'previous-token on the stories' }];
export const THRESHOLD = 0.5;  // a head "appears" when its score crosses this

// A layer's heads share its dash pattern, a head number its colour (as in the grid).
const DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3]];
const dashOf = (layer) => DASHES[layer % DASHES.length];

// Plot area of a panel `w` × `h` at (x, y), with step and value scales.
function frame(x, y, w, h, maxStep, [lo, hi]) {
  const inner = { x: x + PAD.left, y: y + PAD.top, w: w - PAD.left - PAD.right, h: h - PAD.top - PAD.bottom };
  return {
    ...inner,
    sx: (step) => inner.x + (step / Math.max(1, maxStep)) * inner.w,
    sy: (v) => inner.y + inner.h - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * inner.h,
  };
}

function axes(ctx, f, { title, yTicks, maxStep, tokensPerStep }, theme) {
  ctx.strokeStyle = theme.line;
  ctx.lineWidth = 1;
  ctx.strokeRect(f.x - 0.5, f.y - 0.5, f.w + 1, f.h + 1);
  ctx.fillStyle = theme.text;
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(title, f.x, f.y - 6);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = theme.muted;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of yTicks) ctx.fillText(String(v), f.x - 5, f.sy(v));
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText('step 0', f.x, f.y + f.h + 4);
  ctx.textAlign = 'right';
  const tokens = tokensPerStep ? ` · ${(maxStep * tokensPerStep / 1e6).toFixed(2)} M tokens` : '';
  ctx.fillText(`${grouped(maxStep)}${tokens}`, f.x + f.w, f.y + f.h + 4);
}

// The training loss, its running mean, the held-out loss, and the moments the heads
// appeared, marked with a line and what appeared.
// data: { losses: number[] (step s at index s − 1), validation: [{ step, loss }],
//         marks: [{ step, label }], tokensPerStep, ceiling (ln vocab: chance) }
// options: { width, height, theme }
export function drawLossCurve(canvas, data, options) {
  const { width, height, theme } = options;
  const { losses, validation, marks, tokensPerStep, ceiling } = data;
  const ctx = prepareCanvas(canvas, width, height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  const maxStep = Math.max(losses.length, 10);
  // Whole nats, in steps of 2, from 0 to above chance and the first losses.
  const top = 2 * Math.ceil(Math.max(ceiling || 0, ...validation.map((v) => v.loss), losses.length ? Math.min(12, losses[0]) : 1) / 2);
  const f = frame(0, 0, width, height, maxStep, [0, top]);
  axes(ctx, f, { title: 'Loss (nats per token)', yTicks: Array.from({ length: top / 2 + 1 }, (_, i) => 2 * i), maxStep, tokensPerStep }, theme);
  if (ceiling) {  // a model that knows nothing: ln(vocabulary)
    ctx.setLineDash([2, 4]);
    ctx.strokeStyle = theme.muted;
    line(ctx, [[f.x, f.sy(ceiling)], [f.x + f.w, f.sy(ceiling)]]);
    ctx.setLineDash([]);
    ctx.fillStyle = theme.muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText('chance: ln(vocabulary)', f.x + f.w - 4, f.sy(ceiling) + 3);
  }
  // Each step's loss, faint: a column of pixels shows the range of its steps.
  const perPixel = Math.max(1, losses.length / f.w);
  ctx.fillStyle = theme.muted;
  ctx.globalAlpha = 0.35;
  for (let px = 0; px * perPixel < losses.length; px++) {
    let lo = Infinity, hi = -Infinity;
    for (let s = Math.floor(px * perPixel); s < Math.min(losses.length, Math.floor((px + 1) * perPixel)); s++) {
      lo = Math.min(lo, losses[s]);
      hi = Math.max(hi, losses[s]);
    }
    if (lo <= hi) ctx.fillRect(f.sx(px * perPixel + 1) - 0.5, f.sy(hi), 1, Math.max(1, f.sy(lo) - f.sy(hi)));
  }
  ctx.globalAlpha = 1;
  // Its running mean (the last 50 steps), the curve to read.
  ctx.strokeStyle = theme.accent;
  ctx.lineWidth = 2;
  line(ctx, runningMean(losses, 50, perPixel).map(([s, v]) => [f.sx(s), f.sy(v)]));
  // Held-out text: the model on stories it never trained on.
  ctx.strokeStyle = theme.second;
  ctx.fillStyle = theme.second;
  ctx.lineWidth = 1.5;
  line(ctx, validation.map((v) => [f.sx(v.step), f.sy(v.loss)]));
  // Its points marked while they are far enough apart to be told apart.
  if (validation.length < f.w / 8) for (const v of validation) ctx.fillRect(f.sx(v.step) - 2, f.sy(v.loss) - 2, 4, 4);
  drawMarks(ctx, f, marks, theme);
  legend(ctx, f, [['stories + runs (mean of 50)', theme.accent], ['held-out stories', theme.second]], theme);
}

// Mean of the last `window` losses at every step, one point per pixel column.
export function runningMean(losses, window, perPixel = 1) {
  const points = [];
  let sum = 0;
  for (let s = 0; s < losses.length; s++) {
    sum += losses[s];
    if (s >= window) sum -= losses[s - window];
    if ((s + 1) % Math.max(1, Math.floor(perPixel)) === 0 || s === losses.length - 1)
      points.push([s + 1, sum / Math.min(s + 1, window)]);
  }
  return points;
}

function drawMarks(ctx, f, marks, theme) {
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  marks.forEach((mark, i) => {
    const x = Math.round(f.sx(mark.step)) + 0.5;
    ctx.strokeStyle = theme.text;
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1;
    line(ctx, [[x, f.y], [x, f.y + f.h]]);
    ctx.setLineDash([]);
    ctx.fillStyle = theme.text;
    const right = x > f.x + f.w * 0.6;  // near the right edge the label goes left of its line
    ctx.textAlign = right ? 'right' : 'left';
    ctx.fillText(mark.label, right ? x - 4 : x + 4, f.y + 4 + i * 14);
  });
}

function legend(ctx, f, entries, theme) {
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  let x = f.x + f.w;
  for (const [label, colour] of [...entries].reverse()) {
    ctx.fillStyle = theme.muted;
    ctx.fillText(label, x, f.y - 12);
    x -= ctx.measureText(label).width + 6;
    ctx.fillStyle = colour;
    ctx.fillRect(x - 12, f.y - 13, 12, 3);
    x -= 22;
  }
}

function line(ctx, points) {
  if (points.length < 2) return;
  ctx.beginPath();
  ctx.moveTo(points[0][0], points[0][1]);
  for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
  ctx.stroke();
}

// Every head's three scores against the step, one panel per score: a line per head,
// coloured by head and dashed by layer, and the 0.5 a head must pass to appear.
// data: { measures: [{ step, heads: { prev_token, first_token, induction: [layer][head] } }],
//         layers, heads, maxStep }
// options: { width, height, theme }
export function drawHeadTimeline(canvas, data, options) {
  const { width, height, theme } = options;
  const { measures, layers, heads } = data;
  const ctx = prepareCanvas(canvas, width, height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  const maxStep = Math.max(data.maxStep || 0, 10);
  const keyH = 22;
  const panelW = width / SCORES.length;
  SCORES.forEach(({ key, title }, i) => {
    const f = frame(i * panelW, 0, panelW, height - keyH, maxStep, [0, 1]);
    axes(ctx, f, { title, yTicks: [0, THRESHOLD, 1], maxStep }, theme);
    ctx.setLineDash([2, 4]);
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = 1;
    line(ctx, [[f.x, f.sy(THRESHOLD)], [f.x + f.w, f.sy(THRESHOLD)]]);
    for (let l = 0; l < layers; l++) {
      for (let h = 0; h < heads; h++) {
        ctx.strokeStyle = headColor(h);
        ctx.lineWidth = 1.5;
        ctx.setLineDash(dashOf(l));
        line(ctx, measures.map((m) => [f.sx(m.step), f.sy(m.heads[key][l][h])]));
      }
    }
    ctx.setLineDash([]);
  });
  // The key: which line is which head.
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  const y = height - keyH / 2;
  ctx.fillStyle = theme.muted;
  ctx.fillText('layer.head', PAD.left, y);
  let x = PAD.left + ctx.measureText('layer.head').width + 12;
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      ctx.strokeStyle = headColor(h);
      ctx.lineWidth = 2;
      ctx.setLineDash(dashOf(l));
      line(ctx, [[x, y], [x + 18, y]]);
      ctx.setLineDash([]);
      ctx.fillStyle = theme.muted;
      ctx.fillText(`${l}.${h}`, x + 21, y);
      x += 50;
    }
  }
}

// The first measurement at which some head's `key` score reached THRESHOLD: { step,
// layer, head, score }, or null.
export function firstCrossing(measures, key) {
  for (const m of measures) {
    const rows = m.heads[key];
    let best = null;
    rows.forEach((row, layer) => row.forEach((score, head) => {
      if (score >= THRESHOLD && (!best || score > best.score)) best = { step: m.step, layer, head, score };
    }));
    if (best) return best;
  }
  return null;
}
