// Weights repacked on every run (before) against read in place or packed once (now),
// in WASM (Node), side by side in one run: the unembedding at GPT-2 small's size
// (wte [50257, 768]) and one d_model 768 block's six projections (W_q, W_k, W_v, W_o,
// W_fc, W_proj), at N = 1 new row (a keystroke on the KV cache) and N = 128. Each time
// is a median of paired samples (before, now, before, ...); GFLOP/s are also given as
// a share of the SIMD128 mul+add peak. Before and now must give the same bits.
//
//   node tests/bench/packing.js      (also part of `npm run bench`; --no-packing skips it)
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { median, peakRates } from './inputs.js';

const GPT2 = { V: 50257, d: 768, H: 12 };

// peakGflops: the bench's measured SIMD128 mul+add peak; measured here when not given.
export async function benchPacking({ module, peakGflops = null, rounds = 9, log = () => {} }) {
  if (peakGflops === null) {
    peakRates(module, 2e5, 5);  // warm-up
    peakGflops = median(peakRates(module, 2e5, 40));
  }
  const results = { peak_gflops: peakGflops, runs: [] };
  for (const N of [1, 128]) {
    const bench = new module.PackingBench(GPT2.V, GPT2.d, GPT2.H, N);
    for (const what of ['unembedding', 'projections']) {
      const time = (when, reps) => {
        const start = performance.now();
        if (!bench.run(what, when, reps)) throw new Error(`PackingBench.run(${what}, ${when})`);
        return (performance.now() - start) / reps;
      };
      time('before', 1);
      time('now', 1);
      if (!bench.sameBits(what)) throw new Error(`${what} at N=${N}: before and now differ`);
      const reps = Math.max(1, Math.ceil(20 / time('before', 1)));
      const before = [], now = [], ratios = [];
      for (let r = 0; r < rounds; r++) {
        // the order flips every round, so neither side always runs on a warmer cache
        let b, n;
        if (r % 2) { n = time('now', reps); b = time('before', reps); } else { b = time('before', reps); n = time('now', reps); }
        before.push(b);
        now.push(n);
        ratios.push(b / n);
      }
      const flops = bench.flops(what);
      // The weights' bytes: what one run must read at the least (GB/s = bytes / time).
      const bytes = 4 * (what === 'unembedding' ? GPT2.V * GPT2.d : 12 * GPT2.d * GPT2.d);
      const row = (ms) => ({ ms, gflops: flops / ms / 1e6, share_of_peak: flops / ms / 1e6 / peakGflops,
        weight_gb_per_s: bytes / ms / 1e6 });
      results.runs.push({ what, N, flops, weight_bytes: bytes, before: row(median(before)), now: row(median(now)),
        speedup: median(ratios), same_bits: true });
      log(`  ${what} N=${N}: before ${median(before).toFixed(3)} ms, now ${median(now).toFixed(3)} ms`);
    }
    bench.delete();
  }
  return results;
}

export function printPacking(results, fmt = (x, d = 2) => x.toFixed(d)) {
  console.log(`\nWeights repacked per run (before) vs read in place / packed once (now), WASM in Node, ` +
    `d_model ${GPT2.d}, vocab ${GPT2.V}. Medians of paired samples; % of the SIMD128 mul+add peak ` +
    `(${fmt(results.peak_gflops, 1)} GFLOP/s); GB/s = the weights' bytes over the time (one token ` +
    `cannot beat reading them once). Same bits before and now.`);
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`  ${pad('what', 12)}${pad('N', 5)}${pad('before ms', 11)}${pad('% peak', 8)}${pad('GB/s', 7)}` +
    `${pad('now ms', 9)}${pad('% peak', 8)}${pad('GB/s', 7)}speed-up`);
  for (const r of results.runs)
    console.log(`  ${pad(r.what, 12)}${pad(r.N, 5)}${pad(fmt(r.before.ms, 3), 11)}` +
      `${pad(`${fmt(100 * r.before.share_of_peak, 1)}%`, 8)}${pad(fmt(r.before.weight_gb_per_s, 1), 7)}` +
      `${pad(fmt(r.now.ms, 3), 9)}${pad(`${fmt(100 * r.now.share_of_peak, 1)}%`, 8)}` +
      `${pad(fmt(r.now.weight_gb_per_s, 1), 7)}${fmt(r.speedup, 2)}×`);
}

// Run alone: node tests/bench/packing.js
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const require = createRequire(import.meta.url);
  const module = await require(path.join(root, 'build/wasm/llmsim_bench.js'))();
  printPacking(await benchPacking({ module, log: (...a) => console.error(...a) }));
}
