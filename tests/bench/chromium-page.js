// The attention benchmark's Chromium side (tests/bench/chromium-page.html, served
// by bench.js): the same engines as in Node, timed inside the page. performance.now()
// is coarsened to 100 µs here, so bench.js asks for enough repetitions per sample to
// make that negligible.
import * as ort from '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs';
import { SIZES, makeInputs, peakRates } from './inputs.js';
import { oursEngine, ortEngine, jsEngine } from './engines.js';

ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';

const module = await globalThis.createLlmsimBench();
const engines = {
  ours: oursEngine(module, 'full'),
  'ours-lean': oursEngine(module, 'lean'),
  ort: ortEngine(ort),
  js: jsEngine(),
};
const inputsBySize = new Map();

function inputsFor(sizeIndex) {
  if (!inputsBySize.has(sizeIndex)) inputsBySize.set(sizeIndex, makeInputs(SIZES[sizeIndex]));
  return inputsBySize.get(sizeIndex);
}

globalThis.bench = {
  engines: Object.keys(engines),
  async setup(name, sizeIndex) {
    await engines[name].setup(SIZES[sizeIndex], inputsFor(sizeIndex));
  },
  async sample(name, reps) {
    const start = performance.now();
    await engines[name].run(reps);
    return (performance.now() - start) / reps;
  },
  async output(name) { return Array.from(await engines[name].output()); },
  stage(stage, reps) {
    const start = performance.now();
    engines.ours.stage(stage, reps);
    return (performance.now() - start) / reps;
  },
  // GFLOP/s of each of `calls` calls of the SIMD128 mul+add loop.
  peak(iterations, calls) { return peakRates(module, iterations, calls); },
  dispose(name) { engines[name].dispose(); },
};
document.body.dataset.ready = 'true';
