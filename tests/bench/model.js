// The whole model's forward pass (gpt_forward with the full Trace) at T = 32, 128 and
// the context, native and WASM (Node): time, and peak memory (the WASM heap's peak
// footprint; the native process's peak RSS). Each T runs in a fresh WASM instance and
// a fresh native process, so each peak is that run's own.
//
// The model is web/models/tinygpt (config.json, tokenizer.json, model.safetensors)
// when it is there; otherwise random weights of the default GptConfig's shape (the
// timing depends on the shape only), and the result says so.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { maxAbsDiff, median } from './inputs.js';

const run = promisify(execFile);

// Loads web/models/tinygpt into a GptBench. The weights go in as bytes (a Uint8Array):
// a 'latin1' string arrived UTF-8-encoded in C++ ("header is not valid JSON").
export function loadShipped(gpt, modelDir, configJson) {
  const error = gpt.load(configJson, fs.readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8'),
    new Uint8Array(fs.readFileSync(path.join(modelDir, 'model.safetensors'))));
  if (error) throw new Error(`loading the shipped model in WASM: ${error}`);
}

export async function benchModel({ root, createModule, rounds = 7, log = () => {} }) {
  const modelDir = path.join(root, 'web/models/tinygpt');
  const shipped = ['config.json', 'tokenizer.json', 'model.safetensors']
    .every((f) => fs.existsSync(path.join(modelDir, f)));
  const probe = await createModule();
  const configJson = shipped ? fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8') : probe.defaultGptConfig();
  const config = JSON.parse(configJson);
  const benchDir = path.join(root, 'build/bench');
  fs.mkdirSync(benchDir, { recursive: true });
  const configFile = path.join(benchDir, 'gpt-config.json');
  fs.writeFileSync(configFile, configJson);
  const nativeModel = shipped ? modelDir : configFile;
  const exe = path.join(root, 'build/native/llmsim_bench_native');

  const Ts = [...new Set([32, 128, config.context].filter((T) => T <= config.context))];
  const results = { model: shipped ? 'web/models/tinygpt' : 'random weights, default GptConfig shape (web/models/tinygpt not present)',
    config, runs: [] };
  for (const T of Ts) {
    const module = await createModule();  // a fresh WASM memory for this T
    const gpt = new module.GptBench(configJson);
    if (shipped) loadShipped(gpt, modelDir, configJson);
    const heapBefore = module.heapPeak();
    const check = (e) => { if (e) throw new Error(`gpt_forward in WASM: ${e}`); };
    check(gpt.run(T, 1));
    const once = (() => { const s = performance.now(); check(gpt.run(T, 1)); return performance.now() - s; })();
    const reps = Math.max(1, Math.ceil(25 / Math.max(once, 1e-3)));
    const wasm = { wall: [], cpu: [] }, native = { wall: [], cpu: [], rss: [] };
    const logitsFile = path.join(benchDir, `gpt-logits-${T}.bin`);
    for (let r = 0; r < rounds; r++) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      check(gpt.run(T, reps));
      wasm.wall.push((performance.now() - start) / reps);
      const used = process.cpuUsage(cpu);
      wasm.cpu.push((used.user + used.system) / 1000 / reps);
      const { stdout } = await run(exe, ['gpt', nativeModel, String(T), String(reps), logitsFile],
        { env: { ...process.env, OMP_NUM_THREADS: '1' } });
      const [wall, cpuMs, rssKb] = stdout.trim().split(/\s+/).map(Number);
      native.wall.push(wall);
      native.cpu.push(cpuMs);
      native.rss.push(rssKb);
    }
    const bytes = fs.readFileSync(logitsFile);
    const nativeLogits = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const diff = maxAbsDiff(gpt.logits().slice(), nativeLogits);
    results.runs.push({
      T,
      wasm: { median_ms: median(wasm.wall), median_cpu_ms: median(wasm.cpu),
        heap_peak_bytes: module.heapPeak(), heap_peak_before_run_bytes: heapBefore,
        wasm_memory_bytes: module.HEAPU8.length },
      native: { median_ms: median(native.wall), median_cpu_ms: median(native.cpu),
        peak_rss_bytes: 1024 * Math.max(...native.rss) },
      max_abs_diff_logits: diff,
    });
    log(`  model T=${T}: WASM ${median(wasm.wall).toFixed(3)} ms, native ${median(native.wall).toFixed(3)} ms`);
    gpt.delete();
  }
  return results;
}
