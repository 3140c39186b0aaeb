// npm run bench:train: the training step (GptTrainer's forward, backward, gradient
// clipping and AdamW on one fixed batch; cpp/tools/bench_train_step.hpp) at issue 20's
// recipe size, natively and in WASM (Node), side by side in the same run:
//   native                 our native build (Eigen, -march=native), 1 thread
//   WASM, Eigen            setWasmGemms('none'): every product on Eigen -msimd128
//   WASM before            setWasmGemms('forward_only'): the forward's matmuls and
//                          unembedding on SIMD128, the rest on Eigen (before issue 20)
//   WASM after             setWasmGemms('all'): every product, forward and backward,
//                          on the SIMD128 kernels
//   WASM after, products   the step's products alone (StepProducts), to set their time
//                          against their FLOPs without the rest of the step
// and the SIMD128 mul+add peak (kernels::peak_mul_add). Every round takes one sample of
// each, in an order that rotates from round to round; figures are medians. It prints
// figures and never asserts a time. Writes build/bench/train.json.
//
//   node tests/bench/train.js [--rounds N] [--sample-ms MS] [--out FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median } from './inputs.js';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const benchDir = path.join(root, 'build/bench');

const argv = process.argv.slice(2);
const value = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const rounds = Number(value('--rounds', 9));
const sampleMs = Number(value('--sample-ms', 400));
const outFile = path.resolve(value('--out', path.join(benchDir, 'train.json')));
const log = (...args) => console.error(...args);

// Issue 20's recipe (docs/ISSUE-20-RECIPE.md): the model the page's trainer trains.
const CONFIG = { vocab_size: 512, d_model: 64, n_layer: 2, n_head: 4, context: 128, d_ff: 128 };
const B = 8, T = 128;

const exe = path.join(root, 'build/native/llmsim_bench_native');
const modulePath = path.join(root, 'build/wasm/llmsim_bench.js');
for (const file of [exe, modulePath])
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run ./build.sh native and ./build.sh wasm`);

const module = await require(modulePath)();
fs.mkdirSync(benchDir, { recursive: true });
const configFile = path.join(benchDir, 'train-config.json');
fs.writeFileSync(configFile, JSON.stringify(CONFIG));
const bench = new module.TrainBench(JSON.stringify(CONFIG), B, T);
const tokensPerStep = bench.tokensPerStep();
const productFlops = bench.productFlops();

// Times `work(reps)` in WASM: wall and CPU milliseconds per repetition.
function timeWasm(work, reps) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  work(reps);
  const wall = (performance.now() - start) / reps;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 / reps };
}

// Repetitions that make a sample last about sampleMs.
function repsFor(work) {
  work(1);  // warm-up: sizes scratch, tiers up
  const once = timeWasm(work, 1).wall;
  return Math.max(1, Math.round(sampleMs / Math.max(once, 1e-3)));
}

// WASM samples switch the kernels first; setWasmGemms is global to the module.
const wasmSampler = (mode, work) => {
  if (!module.setWasmGemms(mode)) throw new Error(`unknown kernel choice ${mode}`);
  const reps = repsFor(work);
  return () => {
    module.setWasmGemms(mode);
    return timeWasm(work, reps);
  };
};

const steps = (reps) => bench.step(reps);
const firstLoss = {};
const lossOf = (mode) => {
  module.setWasmGemms(mode);
  return new module.TrainBench(JSON.stringify(CONFIG), B, T).step(1);
};

// The native step: a fresh process per sample (init and a warm-up step are not timed).
let nativeSteps = 10;
async function nativeSample() {
  const { stdout } = await run(exe, ['train', configFile, String(B), String(T), String(nativeSteps)],
    { env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const [wall, cpu, loss] = stdout.trim().split(/\s+/).map(Number);
  firstLoss.native = loss;
  return { wall, cpu };
}

const peakIterations = 2e6;
const peakSample = () => {
  const start = performance.now();
  module.peakMulAdd(peakIterations);
  return { gflops: peakIterations * module.peakFlopsPerIteration / (performance.now() - start) / 1e6 };
};

const loadBefore = os.loadavg();
log(`training step: ${JSON.stringify(CONFIG)}, batch ${B} × ${T} tokens; ` +
  `${(productFlops / 1e6).toFixed(1)} MFLOP of products per step; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
for (const mode of ['none', 'forward_only', 'all']) firstLoss[mode] = lossOf(mode);
const calibrate = await nativeSample();
nativeSteps = Math.max(1, Math.round(sampleMs / Math.max(calibrate.wall, 1e-3)));
for (let i = 0; i < 20; i++) peakSample();  // warm-up and tier-up

const engines = [
  { key: 'native', name: 'native (Eigen, 1 thread)', sample: nativeSample },
  { key: 'wasm_eigen', name: 'WASM, Eigen everywhere', sample: wasmSampler('none', steps) },
  { key: 'wasm_before', name: 'WASM before (SIMD128 forward matmuls only)', sample: wasmSampler('forward_only', steps) },
  { key: 'wasm_after', name: 'WASM after (every product on SIMD128)', sample: wasmSampler('all', steps) },
  { key: 'wasm_products', name: 'WASM after, the products alone', sample: wasmSampler('all', (reps) => bench.products(reps)) },
  { key: 'peak', name: 'SIMD128 mul+add peak', sample: peakSample },
];
const samples = Object.fromEntries(engines.map((e) => [e.key, []]));
for (let r = 0; r < rounds; r++) {
  const order = engines.map((_, i) => engines[(i + r) % engines.length]);
  for (const e of order) samples[e.key].push(await e.sample());
  log(`  round ${r + 1}/${rounds}`);
}
module.setWasmGemms('all');
const loadAfter = os.loadavg();

const peak = median(samples.peak.map((s) => s.gflops));
const results = {
  environment: { date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
    node: process.version, load_average_before: loadBefore, load_average_after: loadAfter },
  config: CONFIG, batch: B, seq_len: T, tokens_per_step: tokensPerStep, product_flops_per_step: productFlops,
  flops: '3·(L·2N(3C² + C² + 2CF) + 2NCV) + L·B·H·6·2·(T(T+1)/2)·d_k, N = B·T (bench_train_step.hpp)',
  rounds, peak_gflops: { median: peak, max: Math.max(...samples.peak.map((s) => s.gflops)) },
  first_step_loss: firstLoss, engines: {},
};
const fmt = (x, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
log('');
log(`${'engine'.padEnd(46)} ${'ms/step'.padStart(9)} ${'CPU ms'.padStart(8)} ${'tokens/s'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'of peak'.padStart(8)}`);
for (const e of engines.filter((x) => x.key !== 'peak')) {
  const wall = median(samples[e.key].map((s) => s.wall));
  const cpu = median(samples[e.key].map((s) => s.cpu));
  const gflops = productFlops / wall / 1e6;
  const products = e.key === 'wasm_products';
  results.engines[e.key] = { name: e.name, median_ms: wall, median_cpu_ms: cpu,
    tokens_per_second: products ? null : tokensPerStep / wall * 1000, product_gflops: gflops,
    fraction_of_peak: gflops / peak, samples: samples[e.key] };
  log(`${e.name.padEnd(46)} ${fmt(wall, 2).padStart(9)} ${fmt(cpu, 2).padStart(8)} ` +
    `${(products ? '' : fmt(tokensPerStep / wall * 1000, 0)).padStart(9)} ${fmt(gflops).padStart(8)} ` +
    `${(e.key === 'native' ? '' : `${fmt(100 * gflops / peak, 0)} %`).padStart(8)}`);
}
const after = results.engines.wasm_after, before = results.engines.wasm_before;
log('');
log(`SIMD128 mul+add peak: ${fmt(peak)} GFLOP/s (median of ${rounds} samples in this run)`);
log(`WASM after vs before: ${fmt(before.median_ms / after.median_ms, 2)}× the tokens/s; ` +
  `vs Eigen everywhere ${fmt(results.engines.wasm_eigen.median_ms / after.median_ms, 2)}×; ` +
  `native / WASM after ${fmt(after.median_ms / results.engines.native.median_ms, 2)}×`);
log(`products in the whole step: ${fmt(100 * after.fraction_of_peak, 0)} % of peak; ` +
  `the products alone: ${fmt(100 * results.engines.wasm_products.fraction_of_peak, 0)} % (issue 20's target: ≥ 50 %)`);
log(`first step's loss: ${Object.entries(firstLoss).map(([k, v]) => `${k} ${v.toFixed(6)}`).join(', ')}`);
log(`load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`);
fs.writeFileSync(outFile, JSON.stringify(results, null, 2));
log(`wrote ${path.relative(root, outFile)}`);
bench.delete();
