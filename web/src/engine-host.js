// The engine's host: the synchronous engine (engine.js) and its WASM module behind a
// message port, so that every model run happens away from the page's drawing.
//
// It runs in one of two places, with the same messages either way:
// - a Web Worker (the normal case): ./build.sh dist bundles this file on its own
//   (build/engine/llmsim-engine.js), the page's bundles carry that bundle as a string,
//   and async-engine.js starts it as a blob: worker. A blob:, because a page opened
//   from file:// may not start a worker from a script file (origin null).
// - the page's main thread, when the page's Content-Security-Policy refuses blob:
//   workers (an embed under its host page's policy): the same bundle is also
//   dist/llmsim-engine.js, a classic script that registers `serve` here, and
//   async-engine.js serves it one end of a MessageChannel.
//
// Messages in: { id, op, ...arguments }; out: { id, result } or { id, error }, and once
// { type: 'ready', maxTokens } when the module can run. Operations run one at a time
// in arrival order; each page engine owns one Simulator here (`open`), which stays
// alive between runs: the core reuses the rows of the text a run shares with the
// previous one (the KV cache), so typing costs only the new tokens.
import { Engine, checkpointSize, createModule, installModel, installModelData, installProbes, openModelStream } from './engine.js';

export function serve(port) {
  const engines = new Map();  // page engine id -> { engine, run: the number of its last run }
  let moduleEngine = null;    // an engine for the questions about the module, not a run

  // Matrices of an engine's last run, as asked (needs.js: a Trace matrix, a weight or
  // a rollout); each a fresh copy, so its buffer can be transferred.
  function fetchMatrices(engine, needs) {
    return needs.map((need) => {
      const m = engine.need(need);
      return { need, data: m.data, rows: m.rows, cols: m.cols };
    });
  }
  const buffersOf = (matrices) => matrices.map((m) => m.data.buffer);

  function session(id) {
    const entry = engines.get(id);
    if (!entry) throw new Error(`no engine ${id} (disposed?)`);
    return entry;
  }

  let stream = null;  // a model folder being streamed in (streamBegin .. streamInstall)
  const operations = {
    // A model that ships its head report never needs its probes (they serve only to
    // compute one), and installing them cost about 0.1 s of the page's start.
    install: (module, { name, data }) => {
      installModelData(module, name, data.heads ? { ...data, probes: null } : data);
      return { result: true };
    },
    // A trained model's data script read here rather than on the page's main thread,
    // where parsing its megabytes of script was a long task on a slow machine. A worker
    // may importScripts over http(s), not from file:// (the page loads it there).
    installScript: (module, { name, url }) => {
      if (typeof importScripts !== 'function') throw new Error('this host cannot load scripts');
      importScripts(url);
      const data = globalThis.LLMSIM_MODELS && globalThis.LLMSIM_MODELS[name];
      if (!data) throw new Error(`${url} holds no model "${name}"`);
      operations.install(module, { name, data });
      delete globalThis.LLMSIM_MODELS[name];  // the module has its own copy now
      return { result: true };
    },
    // A model given as a folder's files (the Train view's "Use this model", or "Open a
    // model…"), and the probes its head report is measured on (null: none).
    installFiles: (module, { name, title, config, tokenizer, weights, probes }) => {
      if (probes) installProbes(module, name, probes);
      installModel(module, { name, title, config, tokenizer, weights });
      // The module's listing of it (context, token_cap), for the model list.
      return { result: JSON.parse(module.listModels()).find((m) => m.name === name) };
    },
    // A model folder streamed in (AsyncEngine.openStream): one at a time; a new one
    // drops any unfinished.
    streamBegin: (module, { config, tokenizer, head }) => {
      if (stream) stream.dispose();
      stream = null;  // stays null if this one fails to begin
      stream = openModelStream(module, { config, tokenizer, head });
      return { result: true };
    },
    // The piece goes back to the page, which fills it again (open-model.js pump).
    streamFeed: (module, { bytes }) => {
      if (!stream) throw new Error('no model is being read');
      try { stream.feed(bytes); } catch (error) { stream = null; throw error; }
      return { result: bytes, transfer: [bytes.buffer] };
    },
    streamInstall: (module, { name, title, probes }) => {
      if (!stream) throw new Error('no model is being read');
      const finishing = stream;
      stream = null;
      if (probes) installProbes(module, name, probes);
      finishing.install(name, title);
      return { result: JSON.parse(module.listModels()).find((m) => m.name === name) };
    },
    checkpointSize: (module, { config, header }) => ({ result: checkpointSize(module, config, header) }),
    open: (module, { engine }) => { engines.set(engine, { engine: new Engine(module), run: 0 }); return { result: true }; },
    close: (module, { engine }) => {
      if (engines.has(engine)) engines.get(engine).engine.dispose();
      engines.delete(engine);
      return { result: true };
    },
    // One run and the matrices the visible view needs, timed here: `ms` is the
    // worker's own compute time (run and copies), which the page benchmark reports.
    run: (module, { engine, text, options, needs }) => {
      const entry = session(engine);
      const start = performance.now();
      const summary = entry.engine.run(text, options);
      entry.run += 1;
      const matrices = fetchMatrices(entry.engine, needs);
      return { result: { summary, run: entry.run, matrices, ms: performance.now() - start }, transfer: buffersOf(matrices) };
    },
    // More matrices of run `run`; `stale` once a newer run has replaced it.
    matrices: (module, { engine, run, needs }) => {
      const entry = session(engine);
      if (entry.run !== run) return { result: { stale: true } };
      const matrices = fetchMatrices(entry.engine, needs);
      return { result: { matrices }, transfer: buffersOf(matrices) };
    },
    traceJson: (module, { engine }) => ({ result: session(engine).engine.traceJson() }),
    headLabels: (module, { model }) => ({ result: moduleEngine.headLabels(model) }),
    scalingLab: (module, { request }) => ({ result: moduleEngine.scalingLab(request) }),
    // Whether the module lives in this host: the tests ask the worker this.
    where: () => ({ result: { worker: typeof document === 'undefined', runs: [...engines.values()].reduce((n, e) => n + e.run, 0) } }),
  };

  const ready = createModule().then((module) => {
    moduleEngine = new Engine(module);
    port.postMessage({ type: 'ready', maxTokens: module.maxTokens });
    return module;
  }, (error) => {
    port.postMessage({ type: 'failed', error: error && error.message ? error.message : String(error) });
    throw error;
  });

  port.onmessage = async ({ data: message }) => {
    const module = await ready;  // a message sent before the module was ready waits, in order
    const operation = operations[message.op];
    try {
      if (!operation) throw new Error(`unknown operation "${String(message.op).slice(0, 40)}"`);
      const { result, transfer = [] } = operation(module, message);
      port.postMessage({ id: message.id, result }, transfer);
    } catch (error) {
      port.postMessage({ id: message.id, error: error && error.message ? error.message : String(error) });
    }
  };
}

// Started as a worker: serve the page. Loaded as a classic script on a page: offer
// `serve` for async-engine.js's main-thread fallback.
if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) serve(globalThis);
else globalThis.LLMSIM_ENGINE_HOST = { serve };
