// The benchmark's workload: sizes, seeded inputs and the FLOP count, shared by Node
// and the Chromium page so every engine computes on bit-identical inputs.

// One causal multi-head attention layer, no biases: [T tokens, d_model, n_head].
export const SIZES = [
  { T: 64, d: 128, H: 4 },
  { T: 256, d: 256, H: 8 },
  { T: 1024, d: 768, H: 12 },
];

export const label = ({ T, d, H }) => `T=${T} d=${d} H=${H}`;

// FLOPs counted for one forward pass (multiply and add count as 2; softmax, scaling
// and the mask are not counted): the four projections, 4 · 2·T·d², plus q·kᵀ and
// weights·v over the causally visible pairs only, 2 · 2·d·T(T+1)/2 = 2·d·T(T+1).
// Every engine is credited the same count, whatever it computes internally.
export const flops = ({ T, d }) => 8 * T * d * d + 2 * d * T * (T + 1);

// mulberry32, then Box-Muller: cheap, seeded, identical in Node and Chromium.
function normals(n, seed, stddev) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - uniform(), v = uniform();
    const r = Math.sqrt(-2 * Math.log(u)) * stddev;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

// x ~ N(0, 1) [T, d]; W_Q, W_K, W_V, W_O ~ N(0, 1/d) [d, d], row-major, x·W convention.
export function makeInputs({ T, d }, seed = 1) {
  const s = 1 / Math.sqrt(d);
  return {
    x: normals(T * d, seed * 7919 + 1, 1),
    wq: normals(d * d, seed * 7919 + 2, s),
    wk: normals(d * d, seed * 7919 + 3, s),
    wv: normals(d * d, seed * 7919 + 4, s),
    wo: normals(d * d, seed * 7919 + 5, s),
  };
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= max)) max = Number.isNaN(diff) ? Infinity : diff;
  }
  return max;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return n === 0 ? NaN : n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// GFLOP/s of the benchmark module's SIMD128 mul+add loop (Module.peakMulAdd), one
// rate per call of `iterations`: the ceiling every benchmark states its figures
// against. The first calls of a run also warm the loop up (tier-up).
export function peakRates(module, iterations, calls) {
  const rates = [];
  for (let c = 0; c < calls; c++) {
    const start = performance.now();
    module.peakMulAdd(iterations);
    rates.push(iterations * module.peakFlopsPerIteration / (performance.now() - start) / 1e6);
  }
  return rates;
}
