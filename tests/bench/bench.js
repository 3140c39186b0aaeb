// npm run bench: one causal multi-head attention layer, timed side by side and
// interleaved, in every engine:
//   ours          our WASM module (build/wasm/llmsim_bench.js), in Node and in Chromium
//   native        our native build (Eigen), build/native/llmsim_bench_native
//   onnxruntime   onnxruntime-web, WASM backend, SIMD, 1 thread (graph built in onnx.js)
//   tfjs          @tensorflow/tfjs-backend-wasm, SIMD, 1 thread, per-head 2-D matMuls
//   js            hand-written JS (reference.js)
// Every output is checked against the native one before anything is timed. Each
// competitor's samples are paired with a sample of ours taken right before or after
// it (A B A B ...; the order flips every round), and its ratio to ours is the median
// of those per-pair ratios. Prints a table; writes build/bench/bench.json.
//
// Then the whole model's forward pass (model.js), native and WASM, and weights
// repacked per run against read in place / packed once (packing.js), WASM.
//
//   node tests/bench/bench.js [--sizes 0,1,2] [--rounds N] [--no-chromium]
//                             [--no-variants] [--no-model] [--no-packing] [--out FILE]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SIZES, label, flops, makeInputs, maxAbsDiff, median, peakRates as peakRatesOf } from './inputs.js';
import { oursEngine, ortEngine, tfjsEngine, jsEngine } from './engines.js';
import { benchModel } from './model.js';
import { benchPacking, printPacking } from './packing.js';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const benchDir = path.join(root, 'build/bench');

// ---- options ----
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const sizeIndices = value('--sizes', '0,1,2').split(',').map(Number);
const roundsOverride = value('--rounds', null);
const useChromium = !flag('--no-chromium');
const useVariants = !flag('--no-variants');
const useModel = !flag('--no-model');
const usePacking = !flag('--no-packing');
const outFile = path.resolve(value('--out', path.join(benchDir, 'bench.json')));

// Rounds per size, and the per-sample time to reach with repetitions (the Chromium
// timer has 100 µs steps; Node's is fine-grained).
const ROUNDS = [15, 11, 7];
const SAMPLE_MS = { node: 25, native: 25, chromium: 60 };
// Engines too slow for every round at the largest size take part in this many.
const SLOW_ROUNDS = 3;

const log = (...args) => console.error(...args);

// ---- native: a child process speaking a line protocol (cpp/tools/bench_native.cpp) ----
function startNative() {
  const exe = path.join(root, 'build/native/llmsim_bench_native');
  if (!fs.existsSync(exe)) throw new Error(`${exe} is missing: run ./build.sh native`);
  // One thread: the native build links OpenMP, and the comparison is 1 thread each.
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
  let buffer = '';
  const waiting = [];
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      waiting.shift()(line);
    }
  });
  const ask = (line) => new Promise((resolve, reject) => {
    waiting.push((answer) => (answer.startsWith('error') ? reject(new Error(answer)) : resolve(answer)));
    child.stdin.write(`${line}\n`);
  });
  return { child, ask, close: () => { child.stdin.end('quit\n'); } };
}

function nativeEngine(native, mode) {
  let size = null;
  return {
    async setup(s, inputs) {
      size = s;
      fs.mkdirSync(benchDir, { recursive: true });
      const file = path.join(benchDir, `inputs-${s.T}-${s.d}-${s.H}.bin`);
      const parts = [inputs.x, inputs.wq, inputs.wk, inputs.wv, inputs.wo];
      fs.writeFileSync(file, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
      await native.ask(`load ${s.T} ${s.d} ${s.H} ${file}`);
    },
    async sample(reps) {
      const [wall, cpu] = (await native.ask(`run ${reps} ${mode}`)).split(' ').map(Number);
      return { wall: wall / reps, cpu: cpu / reps };
    },
    async output() {
      const file = path.join(benchDir, `output-${size.T}.bin`);
      await native.ask(`write ${file}`);
      const bytes = fs.readFileSync(file);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
    },
    dispose() {},
  };
}

// ---- Node engines: timed here ----
function nodeSampler(engine) {
  return {
    ...engine,
    setup: (s, inputs) => engine.setup(s, inputs),
    output: () => engine.output(),
    async sample(reps) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await engine.run(reps);
      const wall = (performance.now() - start) / reps;
      const used = process.cpuUsage(cpu);
      return { wall, cpu: (used.user + used.system) / 1000 / reps };
    },
  };
}

// ---- Chromium: the page tests/bench/chromium-page.html over a local server ----
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json' };

function startStaticServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
    const allowed = ['tests/bench', 'build/wasm', 'node_modules/onnxruntime-web/dist']
      .some((dir) => file.startsWith(path.join(root, dir) + path.sep));
    if (!allowed || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function startChromium() {
  const { chromium } = await import('playwright-core');
  const server = await startStaticServer();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-bench-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    server.close();  // an open server would keep Node from exiting
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/bench/chromium-page.html`);
  try {
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  } catch (e) {
    throw new Error(`the benchmark page did not load: ${errors.join('; ') || e.message}`);
  }
  const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
  return {
    page, version,
    async close() {
      await context.close();
      server.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Chromium here can be taken down from outside (other jobs on the machine clean up
// browsers); a call that finds the page gone relaunches it, sets the engine up
// again and retries, a few times per run.
function resilientBrowser(start) {
  const handle = { current: null, restarts: 0, sizeOf: new Map() };
  handle.open = async () => { handle.current = await start(); return handle.current; };
  handle.call = async (name, fn) => {
    for (;;) {
      try {
        return await fn(handle.current.page);
      } catch (error) {
        if (!/closed|crash|Target/i.test(String(error)) || handle.restarts >= 3) throw error;
        handle.restarts += 1;
        log(`  Chromium went away (${String(error).split('\n')[0]}); relaunching (${handle.restarts}/3)`);
        try { await handle.current.close(); } catch { /* already gone */ }
        await handle.open();
        const index = handle.sizeOf.get(name);
        if (index !== undefined) {
          // Every engine set up in the old page must be set up again.
          for (const [other, i] of handle.sizeOf)
            await handle.current.page.evaluate(([n, j]) => globalThis.bench.setup(n, j), [other, i]);
        }
      }
    }
  };
  return handle;
}

function chromiumEngine(browser, name) {
  return {
    async setup(s) {
      const index = SIZES.indexOf(s);
      browser.sizeOf.set(name, index);
      await browser.call(name, (page) => page.evaluate(([n, i]) => globalThis.bench.setup(n, i), [name, index]));
    },
    sample: async (reps) => ({
      wall: await browser.call(name, (page) => page.evaluate(([n, r]) => globalThis.bench.sample(n, r), [name, reps])),
      cpu: null,  // a page cannot read its CPU time
    }),
    async output() {
      return Float32Array.from(await browser.call(name, (page) => page.evaluate((n) => globalThis.bench.output(n), name)));
    },
    dispose: () => browser.call(name, (page) => page.evaluate((n) => globalThis.bench.dispose(n), name)),
  };
}

// ---- the environment ----
function environment(chromiumVersion) {
  const pkg = (name) => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'))).version;
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    load_average: os.loadavg(),
    node: process.version,
    chromium: chromiumVersion,
    onnxruntime_web: pkg('onnxruntime-web'),
    tfjs_backend_wasm: pkg('@tensorflow/tfjs-backend-wasm'),
    flops: '8·T·d² + 2·d·T(T+1)  (four projections; q·kᵀ and weights·v over the causally visible pairs)',
  };
}

function fmt(x, digits = 2) {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(digits);
}

function printTable(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}

async function main() {
  const ours = require(path.join(root, 'build/wasm/llmsim_bench.js'));
  const module = await ours();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = path.join(root, 'node_modules/onnxruntime-web/dist') + path.sep;
  const tf = await import('@tensorflow/tfjs-core');
  const tfWasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // 1 thread, like everyone else
  tfWasm.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  await tf.setBackend('wasm');
  if (!tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) log('warning: tfjs runs without SIMD');

  const native = startNative();
  const MB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  let browser = useChromium ? resilientBrowser(startChromium) : null;
  if (browser) {
    try {
      await browser.open();
    } catch (error) {
      log(`warning: no Chromium columns, it did not start: ${String(error).split('\n')[0]}`);
      browser = null;
    }
  }
  const cleanup = async () => { native.close(); if (browser) await browser.current.close(); };
  process.on('SIGINT', () => { cleanup().finally(() => process.exit(130)); });

  // Engine list: who is paired with which "ours".
  const engines = [];
  const add = (name, runtime, engine, options = {}) => engines.push({ name, runtime, engine, ...options });
  add('ours (WASM, full Trace)', 'node', nodeSampler(oursEngine(module, 'full')), { ours: true });
  add('ours (WASM, lean)', 'node', nodeSampler(oursEngine(module, 'lean')), { pairWith: 'node' });
  add('ours (native Eigen, full Trace)', 'native', nativeEngine(native, 'full'), { pairWith: 'node', reference: true });
  add('ours (native Eigen, lean)', 'native', nativeEngine(native, 'lean'), { pairWith: 'node' });
  add('onnxruntime-web (graph)', 'node', nodeSampler(ortEngine(ort)), { pairWith: 'node', ort: true });
  add('onnxruntime-web (Attention op)', 'node', nodeSampler(ortEngine(ort, { fused: true })), { pairWith: 'node', ort: true });
  add('tfjs-backend-wasm', 'node', nodeSampler(tfjsEngine(tf)), { pairWith: 'node' });
  add('hand-written JS', 'node', nodeSampler(jsEngine()), { pairWith: 'node', slow: true });
  if (browser) {
    add('ours (WASM, full Trace)', 'chromium', chromiumEngine(browser, 'ours'), { ours: true, pairWith: 'node' });
    add('ours (WASM, lean)', 'chromium', chromiumEngine(browser, 'ours-lean'), { pairWith: 'chromium' });
    add('onnxruntime-web (graph)', 'chromium', chromiumEngine(browser, 'ort'), { pairWith: 'chromium', ort: true });
    add('hand-written JS', 'chromium', chromiumEngine(browser, 'js'), { pairWith: 'chromium', slow: true });
  }
  if (useVariants) {
    // What each optimisation bought: ours with one of them switched off (Node).
    for (const [mode, what] of [['eigen', 'before: Eigen -msimd128'], ['no_packed_gemm', 'without packed SIMD GEMM'],
      ['no_causal_skip', 'without causal skip'], ['no_fused_softmax', 'without fused softmax']])
      add(`ours: ${what}`, 'node', nodeSampler(oursEngine(module, mode)), { pairWith: 'node', variant: mode, slow: mode === 'eigen' });
  }
  const oursIn = { node: engines.find((e) => e.ours && e.runtime === 'node'),
    chromium: engines.find((e) => e.ours && e.runtime === 'chromium') };

  const results = { environment: environment(browser?.current.version ?? null), sizes: [], kernels: {} };

  // ---- the SIMD128 mul+add ceiling (Node and Chromium): median of many short calls ----
  const peakRates = (iterations, calls) => peakRatesOf(module, iterations, calls);
  peakRates(2e5, 20);  // warm-up and tier-up
  // Measured up front (60 short calls) and again beside every kernel-stage sample below;
  // the peak reported is the median of all of them (a busy machine, or a job on the
  // other hyperthread, can halve a short burst of samples).
  const peakNode = peakRates(2e5, 60);
  const pairedPeaks = [];
  results.kernels.peak_node_gflops = { median: median(peakNode), max: Math.max(...peakNode) };
  if (browser) {
    await browser.call('peak', (page) => page.evaluate(() => globalThis.bench.peak(2e5, 20)));
    const peakChromium = await browser.call('peak', (page) => page.evaluate(() => globalThis.bench.peak(2e6, 30)));
    results.kernels.peak_chromium_gflops = { median: median(peakChromium), max: Math.max(...peakChromium) };
  }
  log(`SIMD128 mul+add peak: ${fmt(results.kernels.peak_node_gflops.median)} GFLOP/s median in Node` +
    (browser ? `, ${fmt(results.kernels.peak_chromium_gflops.median)} in Chromium` : ''));

  for (const sizeIndex of sizeIndices) {
    const size = SIZES[sizeIndex];
    const work = flops(size);
    const inputs = makeInputs(size);
    log(`\n${label(size)}: setting up ${engines.length} engines`);
    for (const e of engines) await e.engine.setup(size, inputs);

    // Correctness first: every output against the native one.
    const reference = engines.find((e) => e.reference);
    await reference.engine.sample(1);
    const expected = await reference.engine.output();
    for (const e of engines) {
      await e.engine.sample(1);
      e.maxAbsDiff = maxAbsDiff(await e.engine.output(), expected);
      if (!(e.maxAbsDiff <= 1e-3)) throw new Error(`${e.name} (${e.runtime}) disagrees with native: max abs diff ${e.maxAbsDiff}`);
    }

    // Warm up and calibrate repetitions per sample.
    for (const e of engines) {
      const once = (await e.engine.sample(1)).wall;
      e.reps = Math.max(1, Math.min(2000, Math.ceil(SAMPLE_MS[e.runtime] / Math.max(once, 1e-3))));
      await e.engine.sample(e.reps);  // second warm-up at the sampling size
      e.samples = [];
      e.cpuSamples = [];
      e.pairs = [];
      e.cpuPairs = [];
    }

    const rounds = roundsOverride ? Number(roundsOverride) : ROUNDS[Math.min(sizeIndex, ROUNDS.length - 1)];
    const competitors = engines.filter((e) => e.pairWith);
    for (let round = 0; round < rounds; round++) {
      const order = competitors.map((_, i) => competitors[(i + round) % competitors.length]);
      for (const e of order) {
        if (e.slow && size.T >= 1024 && round >= SLOW_ROUNDS) continue;
        const base = oursIn[e.pairWith];
        let a, b;
        if (round % 2 === 0) {
          a = await base.engine.sample(base.reps);
          b = await e.engine.sample(e.reps);
        } else {
          b = await e.engine.sample(e.reps);
          a = await base.engine.sample(base.reps);
        }
        base.samples.push(a.wall);
        e.samples.push(b.wall);
        e.pairs.push(b.wall / a.wall);
        if (a.cpu !== null) base.cpuSamples.push(a.cpu);
        if (b.cpu !== null) e.cpuSamples.push(b.cpu);
        if (a.cpu !== null && b.cpu !== null) e.cpuPairs.push(b.cpu / a.cpu);
      }
      process.stderr.write(`  round ${round + 1}/${rounds}\r`);
    }

    // Kernel stages of ours (Node): GFLOP/s and share of the mul+add peak.
    const oursNode = oursIn.node.engine;
    await oursNode.setup(size, inputs);
    await oursNode.sample(1);
    const stageWork = { projections: 8 * size.T * size.d * size.d, scores: size.d * size.T * (size.T + 1),
      softmax: 0, weights_v: size.d * size.T * (size.T + 1) };
    // Each stage sample is paired with a peak-loop sample taken right before it and
    // lasting about as long, so both see the same machine load (a busy machine
    // preempts a 100 ms sample more often than a 1 ms one).
    const peakPerMs = Math.max(...peakNode) * 1e6 / module.peakFlopsPerIteration;
    const stages = {};
    const timed = (fn) => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      fn();
      const wall = performance.now() - start;
      const used = process.cpuUsage(cpu);
      return { wall, cpu: (used.user + used.system) / 1000 };
    };
    for (const stage of Object.keys(stageWork)) {
      const once = timed(() => oursNode.stage(stage, 1)).wall;
      const reps = Math.max(1, Math.ceil(SAMPLE_MS.node / Math.max(once, 1e-3)));
      const iterations = Math.max(2e5, Math.round(once * reps * peakPerMs));
      const peakWork = iterations * module.peakFlopsPerIteration;
      const times = [], cpuTimes = [], shares = [], cpuShares = [];
      for (let r = 0; r < 9; r++) {
        const peak = timed(() => module.peakMulAdd(iterations));
        pairedPeaks.push(peakWork / peak.wall / 1e6);
        const t = timed(() => oursNode.stage(stage, reps));
        times.push(t.wall / reps);
        cpuTimes.push(t.cpu / reps);
        shares.push((stageWork[stage] * reps / t.wall) / (peakWork / peak.wall));
        cpuShares.push((stageWork[stage] * reps / t.cpu) / (peakWork / peak.cpu));
      }
      const ms = median(times), cpuMs = median(cpuTimes);
      const counted = stageWork[stage] > 0;
      stages[stage] = { ms, cpu_ms: cpuMs,
        gflops: counted ? stageWork[stage] / ms / 1e6 : null,
        cpu_gflops: counted ? stageWork[stage] / cpuMs / 1e6 : null,
        share_of_peak: counted ? median(shares) : null,
        cpu_share_of_peak: counted ? median(cpuShares) : null };
    }

    const sizeResult = { size, flops: work, engines: [], stages };
    for (const e of engines) {
      const ms = median(e.samples);
      const cpuMs = e.cpuSamples.length ? median(e.cpuSamples) : null;
      const isBase = e.ours && !e.pairWith;
      sizeResult.engines.push({
        name: e.name, runtime: e.runtime, variant: e.variant ?? null, median_ms: ms, gflops: work / ms / 1e6,
        median_cpu_ms: cpuMs, cpu_gflops: cpuMs ? work / cpuMs / 1e6 : null,
        ratio_to_ours: isBase ? 1 : median(e.pairs),
        cpu_ratio_to_ours: isBase ? 1 : e.cpuPairs.length ? median(e.cpuPairs) : null,
        paired_with: e.ours && !e.pairWith ? null : `ours in ${e.pairWith}`,
        samples: e.samples.length, reps_per_sample: e.reps, max_abs_diff_vs_native: e.maxAbsDiff,
      });
    }
    results.sizes.push(sizeResult);
    log(`  done ${label(size)}            `);
  }

  if (pairedPeaks.length) {
    const all = [...peakNode, ...pairedPeaks];
    results.kernels.peak_node_gflops = { median: median(all), max: Math.max(...all), samples: all.length,
      median_up_front: median(peakNode), median_beside_stages: median(pairedPeaks) };
  }

  // ---- targets (reported, never asserted) ----
  const targets = [];
  for (const s of results.sizes) {
    const ortRuns = s.engines.filter((e) => e.runtime === 'node' && e.name.startsWith('onnxruntime'));
    const bestOrt = ortRuns.reduce((a, b) => (a.median_ms <= b.median_ms ? a : b));
    const value = 1 / bestOrt.ratio_to_ours, cpu = 1 / bestOrt.cpu_ratio_to_ours;
    const T = s.size.T;
    for (const [size, limit] of [[1024, 0.6], [256, 0.8]])
      if (T === size) targets.push({ target: `ours WASM ≤ ${limit}× onnxruntime-web at T=${T}`, value, cpu, met: value <= limit, against: bestOrt.name });
    const p = s.stages.projections;
    targets.push({ target: `projection GEMMs ≥ 85% of the mul+add peak at T=${T}`, value: p.share_of_peak, cpu: p.cpu_share_of_peak, met: p.share_of_peak >= 0.85 });
    const worst = Math.max(...s.engines.filter((e) => e.name.startsWith('ours (WASM')).map((e) => e.max_abs_diff_vs_native));
    targets.push({ target: `ours WASM within 1e-4 of native at T=${T}`, value: worst, met: worst <= 1e-4 });
  }
  results.targets = targets;
  if (useModel) {
    log('\nThe whole model (gpt_forward, full Trace):');
    results.model = await benchModel({ root, createModule: ours, log });
  }
  if (usePacking) {
    log('\nWeights repacked per run vs not (WASM):');
    results.packing = await benchPacking({ module: await ours(), peakGflops: results.kernels.peak_node_gflops.median, log });
  }
  results.environment.chromium_restarts = browser ? browser.restarts : null;
  results.environment.load_average_after = os.loadavg();

  // ---- print ----
  console.log(`\nCausal multi-head attention layer, one forward pass, 1 thread. CPU: ${results.environment.cpu}` +
    ` (${results.environment.cores} cores), Node ${process.version}` + (browser ? `, Chromium ${browser.current.version}` : '') +
    `. Medians; "× ours" = median of paired (interleaved) ratios engine/ours, >1 means ours is faster.` +
    `\nFLOPs per pass: ${results.environment.flops}.`);
  console.log(`SIMD128 mul+add peak: ${fmt(results.kernels.peak_node_gflops.median)} GFLOP/s (Node)` +
    (browser ? `, ${fmt(results.kernels.peak_chromium_gflops.median)} (Chromium)` : ''));
  for (const s of results.sizes) {
    console.log(`\n${label(s.size)}  (${fmt(s.flops / 1e9, 3)} GFLOP)`);
    printTable(s.engines.map((e) => ({
      engine: e.name, runtime: e.runtime, 'wall ms': fmt(e.median_ms, 3), 'GFLOP/s': fmt(e.gflops, 1),
      '× ours': e.paired_with ? `${fmt(e.ratio_to_ours, 2)} (vs ${e.paired_with.replace('ours in ', '')})` : '1',
      'CPU ms': e.median_cpu_ms === null ? '-' : fmt(e.median_cpu_ms, 3),
      'CPU GFLOP/s': e.cpu_gflops === null ? '-' : fmt(e.cpu_gflops, 1),
      '× ours (CPU)': e.cpu_ratio_to_ours === null ? '-' : fmt(e.cpu_ratio_to_ours, 2),
      'max |Δ| vs native': e.max_abs_diff_vs_native.toExponential(1), samples: e.samples,
    })), ['engine', 'runtime', 'wall ms', 'GFLOP/s', '× ours', 'CPU ms', 'CPU GFLOP/s', '× ours (CPU)',
      'max |Δ| vs native', 'samples']);
    console.log('  kernel stages of ours (Node), medians:\n    ' + Object.entries(s.stages).map(([k, v]) =>
      `${k} ${fmt(v.ms, 3)} ms` + (v.gflops ? ` ${fmt(v.gflops, 1)} GFLOP/s = ${fmt(100 * v.share_of_peak, 0)}% of peak` +
      ` (CPU time: ${fmt(v.cpu_gflops, 1)} GFLOP/s = ${fmt(100 * v.cpu_share_of_peak, 0)}%)` : '')).join(',\n    '));
  }
  console.log('\nTargets (reported, not asserted; judged on wall-clock medians):');
  for (const t of targets)
    console.log(`  ${t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.value < 0.01 ? t.value.toExponential(1) : fmt(t.value, 2)}` +
      (t.cpu !== undefined ? ` (by CPU time: ${fmt(t.cpu, 2)})` : '') + (t.against ? `, vs ${t.against}` : ''));

  if (results.model) {
    const m = results.model;
    console.log(`\nThe whole model's forward pass (gpt_forward, full Trace), ${m.model}: ` +
      `${m.config.n_layer} layers, d_model ${m.config.d_model}, ${m.config.n_head} heads, d_ff ${m.config.d_ff}, ` +
      `vocab ${m.config.vocab_size}, context ${m.config.context}. Medians.`);
    printTable(m.runs.map((r) => ({
      T: r.T, 'WASM ms': fmt(r.wasm.median_ms, 3), 'WASM CPU ms': fmt(r.wasm.median_cpu_ms, 3),
      'WASM heap peak': MB(r.wasm.heap_peak_bytes), 'WASM memory': MB(r.wasm.wasm_memory_bytes),
      'native ms': fmt(r.native.median_ms, 3), 'native CPU ms': fmt(r.native.median_cpu_ms, 3),
      'native peak RSS': MB(r.native.peak_rss_bytes), 'max |Δ| logits': r.max_abs_diff_logits.toExponential(1),
    })), ['T', 'WASM ms', 'WASM CPU ms', 'WASM heap peak', 'WASM memory', 'native ms', 'native CPU ms',
      'native peak RSS', 'max |Δ| logits']);
  }
  if (results.packing) printPacking(results.packing, fmt);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(results, null, 2));
  console.log(`\nWrote ${path.relative(process.cwd(), outFile)}`);
  for (const e of engines) await e.engine.dispose();
  await cleanup();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
