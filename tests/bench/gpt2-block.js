// node tests/bench/gpt2-block.js — one GPT-2 small block (d_model 768, 12 heads, d_ff
// 3,072, biases, GELU in its tanh form) on the same weights in our WASM module and in
// onnxruntime-web (WASM, SIMD, 1 thread), side by side in one run (issue 21):
//   block        block_forward as the model runs it (every head's matrices kept, the
//                MLP packed once) against ORT's plain graph and its fused Attention op
//   projections  the block's six projection products alone (our packed SIMD128 GEMM
//                against ORT's MatMul, its MLAS kernels)
// at T = 128 (a reader's text) and T = 1 (a keystroke's new row; ORT has no KV cache,
// so only the projections compare there). Each time is the median of paired samples,
// the order flipped every round; GFLOP/s also as a share of the SIMD128 mul+add peak
// measured in the same run. Before timing, ORT's block output must equal ours.
// Also part of `npm run bench:gpt2`; writes build/bench/gpt2-block.json.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildGpt2BlockModel, buildProjectionsModel } from './onnx.js';
import { maxAbsDiff, median, peakRates } from './inputs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BLOCK = { d: 768, H: 12, F: 3072 };
const TENSORS = ['x', 'ln1_weight', 'ln1_bias', 'w_q', 'w_k', 'w_v', 'b_q', 'b_k', 'b_v', 'w_o', 'b_o',
  'ln2_weight', 'ln2_bias', 'fc_weight', 'fc_bias', 'proj_weight', 'proj_bias'];

// Multiply-adds ×2: the six projections, and q·kᵀ and weights·v over the causally
// visible pairs (LayerNorm, softmax, GELU and the biases not counted).
const projectionFlops = ({ d, F }, T) => 2 * T * (4 * d * d + 2 * d * F);
const blockFlops = (shape, T) => projectionFlops(shape, T) + 2 * shape.d * T * (T + 1);

// ms per call of each timer, paired: a, b, b, a, a, b ... so neither side always runs
// on a warmer cache. Returns each timer's median.
async function paired(timers, rounds) {
  const names = Object.keys(timers), times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++)
    for (const n of r % 2 ? [...names].reverse() : names) times[n].push(await timers[n]());
  return Object.fromEntries(names.map((n) => [n, median(times[n])]));
}

async function timeReps(run, minMs = 30) {
  let start = performance.now();
  await run();
  const once = performance.now() - start;
  const reps = Math.max(1, Math.ceil(minMs / once));
  return async () => {
    start = performance.now();
    for (let r = 0; r < reps; r++) await run();
    return (performance.now() - start) / reps;
  };
}

export async function benchGpt2Block({ module, ort, peakGflops = null, rounds = 11, log = () => {} }) {
  if (peakGflops === null) {
    peakRates(module, 2e5, 5);  // warm-up
    peakGflops = median(peakRates(module, 2e5, 40));
  }
  const results = { peak_gflops: peakGflops, shape: BLOCK, runs: [] };
  const session = (bytes) => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  for (const T of [128, 1]) {
    const bench = new module.BlockBench(T, BLOCK.d, BLOCK.H, BLOCK.F);
    const w = Object.fromEntries(TENSORS.map((n) => [n, bench.tensor(n).slice()]));
    const shape = { T, ...BLOCK };
    const x = new ort.Tensor('float32', w.x, [T, BLOCK.d]);
    const h = new ort.Tensor('float32', new Float32Array(T * BLOCK.F).map((_, i) => Math.sin(i) * 0.5), [T, BLOCK.F]);
    const ortRun = (s, feeds) => async () => { const out = await s.run(feeds); for (const t of Object.values(out)) t.dispose?.(); };

    // The block: the same output first, then the times.
    bench.run(1);
    const ours = bench.output().slice();
    const timers = { ours: await timeReps(() => bench.run(1)) };
    if (T > 1) {
      for (const fused of [false, true]) {
        const s = await session(buildGpt2BlockModel(shape, w, { fused }));
        const y = (await s.run({ x })).y.data;
        const diff = maxAbsDiff(ours, y);
        if (!(diff < 2e-3)) throw new Error(`T=${T}: ORT's block (${fused ? 'Attention op' : 'graph'}) differs from ours by ${diff}`);
        log(`  T=${T}: ORT ${fused ? 'Attention op' : 'graph'} matches ours within ${diff.toExponential(1)}`);
        timers[fused ? 'ort_fused' : 'ort'] = await timeReps(ortRun(s, { x }));
      }
      const block = await paired(timers, rounds);
      const flops = blockFlops(BLOCK, T);
      results.runs.push({ what: 'block', T, flops, ...rate(block, flops, peakGflops) });
      log(`  block T=${T}: ours ${block.ours.toFixed(2)} ms, ORT ${block.ort.toFixed(2)} / ${block.ort_fused.toFixed(2)} ms`);
    }

    // The six projections.
    const s = await session(buildProjectionsModel(shape, w));
    const projections = await paired({
      ours: await timeReps(() => { if (!benchProjections(module, T)) throw new Error('PackingBench'); }),
      ort: await timeReps(ortRun(s, { x, h })),
    }, rounds);
    const flops = projectionFlops(BLOCK, T);
    results.runs.push({ what: 'projections', T, flops, ...rate(projections, flops, peakGflops) });
    log(`  projections T=${T}: ours ${projections.ours.toFixed(2)} ms, ORT ${projections.ort.toFixed(2)} ms`);
    bench.delete();
  }
  if (packing) { packing.delete(); packing = null; }
  return results;
}

// Our six projections: PackingBench's "now" (the attention's weights read as the model
// reads them, the MLP's packed once), the same products packing.js times.
let packing = null;
function benchProjections(module, T) {
  if (!packing || packing.T !== T) {
    if (packing) packing.delete();
    packing = new module.PackingBench(8, BLOCK.d, BLOCK.H, T);  // a vocabulary of 8: the unembedding is not timed here
    packing.T = T;
  }
  return packing.run('projections', 'now', 1);
}

function rate(times, flops, peak) {
  const row = (ms) => ms === undefined ? undefined : { ms, gflops: flops / ms / 1e6, share_of_peak: flops / ms / 1e6 / peak };
  return { ours: row(times.ours), ort: row(times.ort), ort_fused: row(times.ort_fused), ort_over_ours: times.ort / times.ours };
}

export function printGpt2Block(results, fmt = (x, d = 1) => x.toFixed(d)) {
  console.log(`\nOne GPT-2 small block (d ${BLOCK.d}, ${BLOCK.H} heads, d_ff ${BLOCK.F}), ours against onnxruntime-web ` +
    `(WASM, SIMD, 1 thread), the same weights, WASM in Node. Medians of paired samples; % of the SIMD128 ` +
    `mul+add peak (${fmt(results.peak_gflops)} GFLOP/s).`);
  const pad = (s, n) => String(s).padEnd(n);
  const cell = (r) => r ? `${fmt(r.ms, 2)} ms ${fmt(100 * r.share_of_peak)}%` : '–';
  console.log(`  ${pad('what', 13)}${pad('T', 5)}${pad('GFLOP', 7)}${pad('ours', 19)}${pad('ORT graph', 19)}${pad('ORT Attention op', 19)}ORT ÷ ours`);
  for (const r of results.runs)
    console.log(`  ${pad(r.what, 13)}${pad(r.T, 5)}${pad(fmt(r.flops / 1e9, 3), 7)}${pad(cell(r.ours), 19)}` +
      `${pad(cell(r.ort), 19)}${pad(cell(r.ort_fused), 19)}${fmt(r.ort_over_ours, 2)}×`);
}

// Run alone: node tests/bench/gpt2-block.js
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const require = createRequire(import.meta.url);
  const module = await require(path.join(root, 'build/wasm/llmsim_bench.js'))();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = path.join(root, 'node_modules/onnxruntime-web/dist') + path.sep;
  const results = await benchGpt2Block({ module, ort, log: (...a) => console.error(...a) });
  printGpt2Block(results);
  fs.mkdirSync(path.join(root, 'build/bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build/bench/gpt2-block.json'), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2));
}
