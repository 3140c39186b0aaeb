// The only file that touches the WASM module. It loads the module, turns the core's
// error results into JS Errors, hands out copies of the Trace's matrices as
// Float32Arrays (copies, because a view into WASM memory detaches when it grows), and
// owns which trained models are installed in the module (ensureModel).
//
// This engine is synchronous: Node, the tests and the engine's host use it. The page
// does not call it directly: it talks to async-engine.js, whose host (engine-host.js)
// runs this engine in a Web Worker, so the WASM does not block the page (or, where a
// page's Content-Security-Policy refuses the worker, on the page's main thread).
//
// Where models come from: in Node (tests) from web/models and web/probes; in a
// browser from the scripts model-scripts.js loads (the worker gets the same data by
// message, installModelData).
import createLlmsim from '../../build/wasm/llmsim.js';
import { MANIFEST, manifestEntry, modelList, modelOptions, RANDOM_MODEL } from './manifest.js';
import { loadModelScript } from './model-scripts.js';

// A Trace's matrices, by name, and whether they belong to one head or a whole layer.
const HEAD_MATRICES = ['q', 'k', 'v', 'scores', 'scaled', 'weights', 'output', 'contributions', 'value_norms'];
const LAYER_MATRICES = ['input', 'concat', 'layer_output'];

export class Engine {
  constructor(module) {
    this.module = module;
    this.simulator = new module.Simulator();
    this.maxTokens = module.maxTokens;
    this.summary = null;
    this.defaultModel = MANIFEST.default;
    this.headReports = new Map();
  }

  // The models this engine can run, in the dropdown's order: the manifest's (installed
  // or not yet), any other model installed by hand (tests), and random weights last.
  get models() { return modelList(JSON.parse(this.module.listModels())); }

  modelTitle(name) {
    const model = this.models.find((m) => m.name === name);
    return model ? model.title : name;
  }

  // Whether `run` can use the model now (random weights always can).
  isInstalled(name) { return name === RANDOM_MODEL.name || installedModels(this.module).has(name); }

  // Resolves once the model is installed (loading its script the first time).
  ensureModel(name) { return ensureModel(this.module, name); }

  // Run options for the page's state: the model, its predictions, switched-off heads.
  modelOptions(state) { return modelOptions(state); }

  // Measured scores and labels of every head of a trained model, or null for random
  // weights: the report shipped with the model (web/models/<name>/heads.json, what
  // `llmsim heads` prints; a test holds it equal to the core's), else computed in C++
  // on the first call (tens of seconds for the English model in WASM), then kept.
  headLabels(model) {
    if (!this.models.some((m) => m.name === model && m.trained) || !this.isInstalled(model)) return null;
    if (!this.headReports.has(model)) {
      const shipped = shippedHeadReports(this.module).get(model);
      const result = shipped || JSON.parse(this.module.headReport(model));
      if (result.error) throw new Error(result.error);
      this.headReports.set(model, result);
    }
    return this.headReports.get(model);
  }

  // Runs the model on `text` and returns the Trace summary: tokens, spans (UTF-8 byte
  // offsets and UTF-16 offsets into `text`), the model's shape and any warning.
  run(text, options = {}) {
    const wellFormed = wellFormedText(text);
    const result = JSON.parse(this.simulator.run(wellFormed, JSON.stringify(options)));
    if (result.error) throw new Error(result.error);
    result.charSpans = utf16Spans(wellFormed, result.spans);
    this.summary = result;
    this.lastRun = { text, options };
    return result;
  }

  // One matrix of the last run as { data: Float32Array (a copy), rows, cols }.
  matrix(name, layer, head = 0) {
    if (!this.summary) throw new Error('run() the model before reading its matrices');
    if (!HEAD_MATRICES.includes(name) && !LAYER_MATRICES.includes(name))
      throw new Error(`no matrix named "${name}"`);
    // Embind turns NaN, 1.5 or "2" into some int (NaN became layer 0): check here.
    if (!Number.isInteger(layer) || !Number.isInteger(head))
      throw new Error(`layer and head must be integers, got ${String(layer)}.${String(head)}`);
    const view = this.simulator.matrix(name, layer, head);
    if (view.error) throw new Error(view.error);
    const data = view.slice();
    const T = this.summary.tokens.length;
    const { d_model: dModel, d_k: dK } = this.summary;
    const cols = ['scores', 'scaled', 'weights', 'contributions'].includes(name) ? T
      : name === 'value_norms' ? 1 : LAYER_MATRICES.includes(name) ? dModel : dK;
    return { data, rows: T, cols };
  }

  // One attention weight matrix of the last run's model as { data, rows, cols }:
  // "w_q", "w_k", "w_v" or "w_o" of `layer`, [d_model, d_model], rows are inputs (q = x·W_Q;
  // head h's queries are columns h·d_k .. (h+1)·d_k − 1).
  weight(name, layer) {
    if (!this.summary) throw new Error('run() the model before reading its weights');
    if (!Number.isInteger(layer)) throw new Error(`layer must be an integer, got ${String(layer)}`);
    const view = this.simulator.weight(name, layer);
    if (view.error) throw new Error(view.error);
    const n = this.summary.d_model;
    return { data: view.slice(), rows: n, cols: n };
  }

  // Attention rollout through layers 0..layer of the last run, the mean of each
  // layer's heads (cpp/core/heads/rollout.hpp: R = Π (A_l + I)/2), as { data, rows, cols },
  // [T, T]: row i is how much position i after `layer` draws on each input token.
  rollout(layer) {
    if (!this.summary) throw new Error('run() the model before reading its rollout');
    if (!Number.isInteger(layer)) throw new Error(`layer must be an integer, got ${String(layer)}`);
    const view = this.simulator.rollout(layer, '');  // '': every layer's mean of heads
    if (view.error) throw new Error(view.error);
    const T = this.summary.tokens.length;
    return { data: view.slice(), rows: T, cols: T };
  }

  // What one need (needs.js) names, read from the last run.
  need(need) {
    if (need && Array.isArray(need.matrix)) return this.matrix(...need.matrix);
    if (need && Array.isArray(need.weight)) return this.weight(...need.weight);
    if (need && Array.isArray(need.rollout)) return this.rollout(...need.rollout);
    throw new Error('a need is { matrix }, { weight } or { rollout }');
  }

  // The whole last Trace as an object (the same JSON as `llmsim trace`), its
  // predictions and loss included: a run without them (`predict: false`) is run again
  // with them first (the same text: only the logits are computed).
  traceJson() {
    if (this.lastRun && this.lastRun.options.predict === false)
      this.run(this.lastRun.text, { ...this.lastRun.options, predict: true });
    const result = JSON.parse(this.simulator.traceJson());
    if (result.error) throw new Error(result.error);
    return result;
  }

  // The sqrt(d_k) lab, measured in C++: for each d_k, statistics of q·k and of the
  // softmax over n_keys keys, with and without scaling (see cpp/core/simulator/scaling_lab.hpp).
  scalingLab({ dKs, nKeys = 16, draws = 200, seed = 1 } = {}) {
    const request = { n_keys: nKeys, draws, seed };
    if (dKs) request.d_ks = dKs;
    const result = JSON.parse(this.module.scalingLab(JSON.stringify(request)));
    if (result.error) throw new Error(result.error);
    return result.points;
  }

  heapInUse() { return this.module.heapInUse(); }

  // Frees the C++ side. The engine cannot be used afterwards.
  dispose() {
    if (this.simulator) this.simulator.delete();
    this.simulator = null;
  }
}

// Converts UTF-8 byte spans into UTF-16 index spans of the same JS string. A byte-level
// tokenizer may cut inside a character (an emoji's four bytes can be two tokens): an
// offset inside a character rounds down to the character's start.
export function utf16Spans(text, byteSpans) {
  const index = [0];  // index[b] = UTF-16 index of the character holding byte b
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i);
    const bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let k = 1; k < bytes; k++) index.push(i);
    i += code > 0xffff ? 2 : 1;
    index.push(i);
  }
  const at = (b) => index[Math.max(0, Math.min(index.length - 1, b))];
  return byteSpans.map(([begin, end]) => [at(begin), at(end)]);
}

// `text` as a string C++ can take: each lone UTF-16 surrogate (half of an emoji, cut
// by a paste or a script) becomes U+FFFD. Embind's string conversion would otherwise
// encode it as three bytes that silently swallow the next character. One unit in, one
// unit out, so offsets into the result are offsets into `text`.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export function wellFormedText(text) {
  return String(text).replace(LONE_SURROGATE, '\uFFFD');
}

function check(result) {
  if (result) throw new Error(JSON.parse(result).error);
}

export function base64ToBytes(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);  // native: a model's megabytes in a few ms
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// The head reports shipped with the installed models, by module and model name.
const shippedReports = new WeakMap();
function shippedHeadReports(module) {
  if (!shippedReports.has(module)) shippedReports.set(module, new Map());
  return shippedReports.get(module);
}

// The names of the trained models installed in each module.
const installed = new WeakMap();
function installedModels(module) {
  if (!installed.has(module)) installed.set(module, new Set());
  return installed.get(module);
}

// Loads a trained model into the module: { name, title, config, tokenizer (JSON text),
// weights (Uint8Array of model.safetensors) }. Every engine on the module can run it.
export function installModel(module, { name, title, config, tokenizer, weights }) {
  // Into the module's memory with one HEAPU8.set, not as an argument that Embind copies
  // with a loop over every byte: `english` installs in 109-129 ms in Node against
  // 119-148 that way (five of each, alternating; modelInbox in bindings.cpp).
  const bytes = weights instanceof Uint8Array ? weights : new Uint8Array(weights);
  const at = module.modelInbox(bytes.length);
  if (!at && bytes.length) throw new Error(`the weights (${bytes.length} bytes) do not fit in the module's memory`);
  module.HEAPU8.set(bytes, at);  // read HEAPU8 after modelInbox(): it may have grown the memory
  check(module.loadModelInbox(name, title, config, tokenizer));
  installedModels(module).add(name);
}

// A model folder whose model.safetensors comes in pieces (the core's GptStream: a
// checkpoint's tensors are decoded into the weights as they arrive, so the module
// never holds the whole file): { config, tokenizer (JSON text), head (the file's first
// bytes, through its header) } -> { feed(bytes), install(name, title), dispose() }.
// feed is given the whole file from byte 0, in order; an error drops the stream.
export function openModelStream(module, { config, tokenizer, head }) {
  const stream = new module.ModelStream();
  const step = (reply) => {
    if (reply) { stream.delete(); check(reply); }
  };
  step(stream.begin(config, tokenizer, head));
  return {
    // Into the stream's own buffer with one HEAPU8.set (Embind's Uint8Array → std::string
    // is a loop over every byte: ModelStream::inbox in bindings.cpp).
    feed(bytes) {
      const at = stream.inbox(bytes.length);
      module.HEAPU8.set(bytes, at);  // read HEAPU8 after inbox(): it may have grown the memory
      step(stream.feedInbox(bytes.length));
    },
    install(name, title) {
      step(stream.install(name, title));
      installedModels(module).add(name);
      stream.delete();
    },
    dispose() { if (!stream.isDeleted()) stream.delete(); },
  };
}

// What loading a checkpoint needs, from its config.json and the first bytes of its
// model.safetensors (the core's checkpoint_size): { parameters, peak_bytes, file_bytes }.
export function checkpointSize(module, config, header) {
  const reply = JSON.parse(module.checkpointSize(config, header));
  if (reply.error) throw new Error(reply.error);
  return reply;
}

// The head-analysis probes of one model: { syntax, semantic, validation, repeated }
// (its probe set's files, web/probes/<set>/*.txt; a part the set lacks is "").
export function installProbes(module, model, { syntax, semantic, validation, repeated = '' }) {
  check(module.setProbes(model, syntax, semantic, validation, repeated));
}

const isNode = typeof document === 'undefined' && typeof process !== 'undefined' && Boolean(process.versions && process.versions.node);

// A model's data: { config, tokenizer, weights (base64 or bytes), probes, heads (JSON
// text of the shipped head report, or null) }.
async function modelData(name) {
  if (isNode) {
    const nodeModels = './node-models.js';  // a variable, so the browser bundles never include it
    return (await import(nodeModels)).readModel(name);
  }
  return loadModelScript(name);
}

// Installs a trained model of the manifest from its data (as modelData gives it): its
// probes (if given: they serve only to compute a head report), its weights, and its
// shipped head report. The worker's host calls this with the data the page sends it.
export function installModelData(module, name, data) {
  const entry = manifestEntry(name);
  if (!entry) throw new Error(`There is no model "${String(name).slice(0, 40)}" here.`);
  const weights = typeof data.weights === 'string' ? base64ToBytes(data.weights) : data.weights;
  if (data.probes) installProbes(module, name, data.probes);  // first: the model counts as installed once loaded
  installModel(module, { name, title: entry.title, config: data.config, tokenizer: data.tokenizer, weights });
  if (data.heads) shippedHeadReports(module).set(name, JSON.parse(data.heads));
}

// Makes sure the module has the trained model `name` (one of the manifest's) and its
// probes, loading its data the first time; later calls share that one load. A failed
// load stays failed (no new request on every keystroke); a reload tries again.
const installing = new WeakMap();  // module -> Map(name -> Promise)
export function ensureModel(module, name) {
  if (name === RANDOM_MODEL.name || installedModels(module).has(name)) return Promise.resolve();
  if (!installing.has(module)) installing.set(module, new Map());
  const jobs = installing.get(module);
  if (!jobs.has(name)) {
    jobs.set(name, (async () => {
      const entry = manifestEntry(name);
      if (!entry) throw new Error(`There is no model "${name.slice(0, 40)}" here.`);
      try {
        installModelData(module, name, await modelData(name));
      } catch (error) {
        throw new Error(`The model “${entry.title}” could not be loaded: ${error.message}. Choose another model, or reload the page to try again.`);
      }
    })());
  }
  return jobs.get(name);
}

// The WASM module, loaded once per page however many engines use it (it is embedded
// in the script, so this also works from file://), with the default model installed
// (from llmsim-data.js, loaded here unless the page already has; in Node from
// web/models). If the default cannot load the module still starts: random weights
// work, and running the default model reports why it is missing.
let modulePromise = null;
export function getModule() {
  if (!modulePromise) {
    modulePromise = (async () => {
      const module = await createModule();
      await ensureModel(module, MANIFEST.default).catch(() => {});
      return module;
    })();
  }
  return modulePromise;
}

// A fresh WASM module with no trained model installed (the worker's host installs
// what the page sends it).
export async function createModule() {
  const created = createLlmsim({});
  return created.ready ? await created.ready : await created;
}

// An engine with its own simulator on the shared module.
export async function createEngine() {
  return new Engine(await getModule());
}
