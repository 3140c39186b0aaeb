// npm run bench:gpt2 — the simulator at GPT-2 small's size (issue 21), on random
// weights of its exact shape (12 layers of 12 heads, d_model 768, d_ff 3,072, 50,257
// tokens, context 1,024: 124 M parameters; the time depends on the shape only), in
// the WASM build under Node (the V8 and the module the page's worker runs), one
// thread. Figures, not pass/fail, each beside the SIMD128 mul+add peak measured in the
// same run (machines of this kind differ by 2× in it):
//   load       a 498 MB F32 checkpoint in Hugging Face's layout (written here, once,
//              into build/bench/gpt2-random/) read by Gpt::from_bytes, as the page's
//              worker reads an opened folder: the bytes handed in, the weights decoded
//   forward    gpt_forward with the full Trace at T = 128 (every head's matrices kept)
//   keystroke  one more token after 128, the first 128 rows reused (the KV cache)
//   memory     the WASM memory after a run at the token cap (model/token_cap.hpp)
//   one block  against onnxruntime-web on the same weights (gpt2-block.js)
// Writes build/bench/gpt2.json.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from '../browser/harness.js';
import { median, peakRates } from './inputs.js';
import { SHAPE, gpt2Checkpoint, gpt2TokenizerJson, hfConfig, randomCheckpoint } from './gpt2-checkpoint.js';
import { benchGpt2Block, printGpt2Block } from './gpt2-block.js';

const require = createRequire(import.meta.url);
const C = SHAPE.n_embd, F = 4 * C, V = SHAPE.vocab_size, L = SHAPE.n_layer, H = SHAPE.n_head;
const CONFIG = { vocab_size: V, d_model: C, n_layer: L, n_head: H, context: SHAPE.n_positions, d_ff: F };
const TOKEN_CAP = 384;  // the core's token_cap for this shape: checked against the module's listing below
const log = (...a) => console.log(...a);
const MB = (b) => `${(b / 1e6).toFixed(0)} MB`;

// Multiply-adds ×2 of one forward pass on T tokens, computing rows [from, T): the
// projections (Q, K, V, O, the MLP's two), attention (q·kᵀ and weights·v over the
// visible keys) and the unembedding.
function forwardFlops(T, from = 0) {
  const rows = T - from;
  const projections = 2 * rows * (4 * C * C + 2 * C * F);
  let visible = 0;
  for (let t = from; t < T; t++) visible += t + 1;
  const attention = 2 * 2 * visible * C;
  return L * (projections + attention) + 2 * rows * C * V;
}

const createModule = require(path.join(root, 'build/wasm/llmsim_bench.js'));
const module = await createModule();
const peak = () => {  // GFLOP/s of the mul+add loop, median of 15 (after a warm-up call)
  peakRates(module, 2e5, 1);
  return median(peakRates(module, 2e6, 15));
};
const peakBefore = peak();
log(`SIMD128 mul+add peak (Node, 1 thread): ${peakBefore.toFixed(1)} GFLOP/s`);

// Load.
const dir = gpt2Checkpoint(log);
const tokenizer = gpt2TokenizerJson();
const configJson = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
const weights = new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors')));
const gpt = new module.GptBench(module.defaultGptConfig());  // small: load() puts GPT-2's shape in
const loadStart = performance.now();
const error = gpt.load(configJson, tokenizer, weights);
const loadMs = performance.now() - loadStart;
if (error) throw new Error(`loading: ${error}`);
log(`load: ${(loadMs / 1000).toFixed(2)} s for ${MB(weights.length)} (the bytes into the module and the weights decoded)`);

// The forward pass at T = 128 with the full Trace, and a keystroke after it.
const check = (e) => { if (e) throw new Error(e); };
check(gpt.run(128, 1));  // warm-up
const full = [];
for (let r = 0; r < 5; r++) { const s = performance.now(); check(gpt.run(128, 1)); full.push(performance.now() - s); }
const keys = [];
for (let r = 0; r < 5; r++) keys.push(gpt.keystroke(128));
const peakAfter = peak();
const peakMean = (peakBefore + peakAfter) / 2;
const fwdFlops = forwardFlops(128), keyFlops = forwardFlops(129, 128);
const share = (flops, ms) => flops / (ms * 1e6) / peakMean;

// Memory at the token cap.
check(gpt.run(TOKEN_CAP, 1));
const memory = { wasm_memory_bytes: module.HEAPU8.length, heap_peak_bytes: module.heapPeak() };

gpt.delete();

// The page's own path: its module (llmsim.js) reads the file in 8 MiB pieces as the
// page streams it into the worker (openModelStream: the tensors decoded as they come,
// the whole file never held), then runs the text as the page runs it (a Simulator,
// the KV cache kept from run to run).
const { createModule: createPageModule, openModelStream, Engine } = await import('../../web/src/engine.js');
const page = await createPageModule();
const file = path.join(dir, 'model.safetensors');
const streamStart = performance.now();
const fd = fs.openSync(file, 'r');
const lengthBytes = Buffer.alloc(8);
fs.readSync(fd, lengthBytes, 0, 8, 0);
const head = Buffer.alloc(8 + Number(lengthBytes.readBigUInt64LE(0)));
fs.readSync(fd, head, 0, head.length, 0);
const stream = openModelStream(page, { config: configJson, tokenizer, head: new Uint8Array(head) });
const PIECE = 8 << 20;
for (let at = 0; ;) {
  const piece = new Uint8Array(PIECE);
  const n = fs.readSync(fd, piece, 0, PIECE, at);
  if (n === 0) break;
  stream.feed(n === PIECE ? piece : piece.subarray(0, n));
  at += n;
}
fs.closeSync(fd);
stream.install('gpt2', 'GPT-2 shape');
const streamMs = performance.now() - streamStart;
const listedCap = JSON.parse(page.listModels()).find((m) => m.name === 'gpt2').token_cap;
if (listedCap !== TOKEN_CAP) throw new Error(`the core caps this shape at ${listedCap} tokens, not ${TOKEN_CAP}: update TOKEN_CAP`);
const streamedMemory = page.HEAPU8.length;
log(`load, streamed as the page does (8 MiB pieces, read from disk included): ${(streamMs / 1000).toFixed(2)} s; WASM memory after: ${MB(streamedMemory)}`);
// ~128 tokens of English, then one more word, as the page runs them.
const words = 'the cat sat on the mat and looked at the small bird that sang in the old tree by the river'.split(' ');
const text = Array.from({ length: 120 }, (_, i) => words[i % words.length]).join(' ');
const engine = new Engine(page);
const first = engine.run(text, { model: 'gpt2', top_k: 8 });
// Each keystroke twice, alternating: as a view that shows the predictions runs it, and
// as every other view does (predict: false, no logits).
const pageKeys = [], quietKeys = [];
for (let r = 0; r < 5; r++) {
  for (const [predict, into] of [[true, pageKeys], [false, quietKeys]]) {
    engine.run(text, { model: 'gpt2', top_k: 8 });  // back to the 128 tokens (its rows kept)
    const s0 = performance.now();
    engine.run(`${text} now`, { model: 'gpt2', top_k: 8, predict });
    into.push(performance.now() - s0);
  }
}
log(`the page's path: ${first.tokens.length} tokens, a keystroke adding one: ${median(pageKeys).toFixed(0)} ms median of 5 ` +
  `with the predictions, ${median(quietKeys).toFixed(0)} ms without them (the views that show none); WASM memory ${MB(page.HEAPU8.length)}`);
const afterKeys = page.HEAPU8.length;
const long = engine.run(Array.from({ length: 500 }, (_, i) => words[i % words.length]).join(' '), { model: 'gpt2', top_k: 8 });
log(`the page's path on 500 words: ${long.tokens.length} tokens run (the token cap), "${long.warning}"; WASM memory ${MB(page.HEAPU8.length)}`);
engine.dispose();

const result = {
  date: new Date().toISOString(), shape: CONFIG, runtime: `Node ${process.version}, WASM SIMD128, 1 thread`,
  peak_gflops: { before: peakBefore, after: peakAfter },
  load: { ms: loadMs, bytes: weights.length },
  forward_128: { median_ms: median(full), gflop: fwdFlops / 1e9, share_of_peak: share(fwdFlops, median(full)) },
  keystroke_129: { median_ms: median(keys), gflop: keyFlops / 1e9, share_of_peak: share(keyFlops, median(keys)) },
  at_token_cap: { tokens: TOKEN_CAP, ...memory },
  page_path: { streamed_load_ms: streamMs, wasm_memory_after_load_bytes: streamedMemory, tokens: first.tokens.length,
    keystroke_median_ms: median(pageKeys), keystroke_without_predictions_median_ms: median(quietKeys),
    wasm_memory_after_keystrokes_bytes: afterKeys,
    at_token_cap: { tokens: long.tokens.length, warning: long.warning, wasm_memory_bytes: page.HEAPU8.length } },
};
log(`forward, full Trace, T=128: ${median(full).toFixed(0)} ms median of 5, ${(fwdFlops / 1e9).toFixed(1)} GFLOP: ` +
  `${(fwdFlops / median(full) / 1e6).toFixed(1)} GFLOP/s, ${(100 * result.forward_128.share_of_peak).toFixed(0)}% of the peak`);
log(`keystroke (token 129, 128 rows reused): ${median(keys).toFixed(0)} ms median of 5, ${(keyFlops / 1e9).toFixed(2)} GFLOP, ` +
  `${(100 * result.keystroke_129.share_of_peak).toFixed(0)}% of the peak (reading every weight once: memory-bound)`);
log(`memory after a run at the token cap (${TOKEN_CAP} tokens): WASM memory ${MB(memory.wasm_memory_bytes)}, malloc's peak ${MB(memory.heap_peak_bytes)} ` +
  '(the checkpoint bytes handed in, freed after loading, included)');
log(`peak after: ${peakAfter.toFixed(1)} GFLOP/s`);

// gpt2-medium's shape (24 layers of 16 heads, d_model 1,024: 355 M parameters, 1.42 GB
// in F32) streamed into a page module of its own, generated on the way (no file): what
// the 4 GB memory holds after it loads and after a run at its token cap.
{
  const MEDIUM = { n_layer: 24, n_head: 16, n_embd: 1024, n_positions: 1024, vocab_size: 50257 };
  const medium = await createPageModule();
  const started = performance.now();
  let stream = null;
  const head = [];  // the header's two pieces: the stream begins with them
  randomCheckpoint(MEDIUM, (bytes) => {
    if (stream) return stream.feed(bytes);
    head.push(bytes.slice());
    if (head.length < 2) return;
    const first = new Uint8Array(Buffer.concat(head));
    stream = openModelStream(medium, { config: hfConfig(MEDIUM), tokenizer, head: first });
    stream.feed(first);
  });
  stream.install('gpt2-medium', 'gpt2-medium shape');
  const loadedMs = performance.now() - started;
  const loadedBytes = medium.HEAPU8.length;
  const mediumEngine = new Engine(medium);
  const atCap = mediumEngine.run(Array.from({ length: 500 }, (_, i) => words[i % words.length]).join(' '), { model: 'gpt2-medium', top_k: 8 });
  result.gpt2_medium = { shape: MEDIUM, generated_and_streamed_ms: loadedMs, wasm_memory_after_load_bytes: loadedBytes,
    at_token_cap: { tokens: atCap.tokens.length, wasm_memory_bytes: medium.HEAPU8.length } };
  log(`gpt2-medium's shape (355 M parameters, F32), generated and streamed in: ${(loadedMs / 1000).toFixed(1)} s, WASM memory ${MB(loadedBytes)}; ` +
    `a run at its token cap (${atCap.tokens.length} tokens): ${MB(medium.HEAPU8.length)}`);
  mediumEngine.dispose();
}

// One block against onnxruntime-web (WASM, SIMD, 1 thread) on the same weights.
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
ort.env.wasm.wasmPaths = path.join(root, 'node_modules/onnxruntime-web/dist') + path.sep;
result.block = await benchGpt2Block({ module, ort, peakGflops: peakMean });
printGpt2Block(result.block);
fs.writeFileSync(path.join(root, 'build/bench/gpt2.json'), JSON.stringify(result, null, 2));
log('written build/bench/gpt2.json');
