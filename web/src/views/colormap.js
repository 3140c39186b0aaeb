// Viridis: perceptually uniform and readable with every common colour-vision
// deficiency, and in greyscale. Anchor colours are the published viridis values at
// t = 0, 1/8, ..., 1; between them we interpolate linearly in sRGB.
const VIRIDIS = [
  [68, 1, 84], [71, 45, 123], [59, 82, 139], [44, 114, 142], [33, 145, 140],
  [40, 174, 128], [94, 201, 98], [173, 220, 48], [253, 231, 37],
];

// t in [0, 1] (clamped) -> [r, g, b] integers.
export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((a, c) => Math.round(a + (VIRIDIS[i + 1][c] - a) * f));
}

export function cssColor([r, g, b], alpha = 1) {
  return alpha === 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

// A diverging map for signed vector entries: blue below zero, orange above, the
// background colour at zero (a colour-blind-safe pair, after ColorBrewer's PuOr).
const NEGATIVE = [33, 102, 172], POSITIVE = [214, 96, 13];

// v scaled so that |v| = limit is full colour; `zero` is [r, g, b] of the background.
export function diverging(v, limit, zero) {
  const t = Math.min(1, Math.abs(v) / (limit || 1));
  const end = v < 0 ? NEGATIVE : POSITIVE;
  return zero.map((z, c) => Math.round(z + (end[c] - z) * t));
}

// '#rrggbb' or 'rgb(r, g, b)' -> [r, g, b]
export function parseColor(css) {
  const s = String(css).trim();
  if (s.startsWith('#') && s.length === 7) return [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
  const m = s.match(/rgba?\((\d+),\s*(\d+),\s*(\d+)/);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [255, 255, 255];
}

// One colour per head when several are drawn together: the Okabe–Ito palette,
// distinguishable with every common colour-vision deficiency.
export const HEAD_COLORS = ['#E69F00', '#56B4E9', '#009E73', '#CC79A7', '#0072B2', '#D55E00', '#F0E442', '#999999'];
export function headColor(index) { return HEAD_COLORS[index % HEAD_COLORS.length]; }

// A colour limit for values drawn on a diverging scale: their largest magnitude (at
// least 1e-6, so an all-zero matrix still divides). A loop, not Math.max(...values):
// spreading a matrix of thousands of entries into arguments cost milliseconds a keystroke.
export function maxAbs(values) {
  let m = 1e-6;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m) m = a;
  }
  return m;
}

// A colour limit for a weight matrix: 3 × its RMS. Its largest entry would let a few
// outliers wash every other cell out to the background colour.
export function typicalScale(values) {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.max(1e-6, 3 * Math.sqrt(sum / Math.max(1, values.length)));
}
