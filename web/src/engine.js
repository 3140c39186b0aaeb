// The only file that touches the WASM module. It loads the module, turns the core's
// error results into JS Errors, and hands out copies of the Trace's matrices as
// Float32Arrays (copies, because a view into WASM memory detaches when it grows).
import createLlmsim from '../../build/wasm/llmsim.js';

// A Trace's matrices, by name, and whether they belong to one head or a whole layer.
const HEAD_MATRICES = ['q', 'k', 'v', 'scores', 'scaled', 'weights', 'output'];
const LAYER_MATRICES = ['input', 'concat', 'layer_output'];

export class Engine {
  constructor(module) {
    this.module = module;
    this.simulator = new module.Simulator();
    this.maxTokens = module.maxTokens;
    this.summary = null;
    // The models this engine can run, the default (the first trained one) first.
    const trained = JSON.parse(module.listModels()).map((m) => ({ ...m, title: `${m.title} (trained)`, trained: true }));
    this.models = [...trained, { name: 'random', title: 'Random weights', trained: false }];
    this.headReports = new Map();
  }

  // Run options for the page's state: the model, its predictions, switched-off heads.
  modelOptions(state) {
    return { model: state.model, top_k: 8, temperature: state.temperature, ablate: state.ablate };
  }

  // Measured scores and labels of every head of a trained model (computed in C++ on
  // the first call, then kept), or null for random weights.
  headLabels(model) {
    if (!this.models.some((m) => m.name === model && m.trained)) return null;
    if (!this.headReports.has(model)) {
      const result = JSON.parse(this.module.headReport(model));
      if (result.error) throw new Error(result.error);
      this.headReports.set(model, result);
    }
    return this.headReports.get(model);
  }

  // Runs the model on `text` and returns the Trace summary: tokens, spans (UTF-8 byte
  // offsets and UTF-16 offsets into `text`), the model's shape and any warning.
  run(text, options = {}) {
    const result = JSON.parse(this.simulator.run(String(text), JSON.stringify(options)));
    if (result.error) throw new Error(result.error);
    result.charSpans = utf16Spans(String(text), result.spans);
    this.summary = result;
    return result;
  }

  // One matrix of the last run as { data: Float32Array (a copy), rows, cols }.
  matrix(name, layer, head = 0) {
    if (!this.summary) throw new Error('run() the model before reading its matrices');
    if (!HEAD_MATRICES.includes(name) && !LAYER_MATRICES.includes(name))
      throw new Error(`no matrix named "${name}"`);
    const view = this.simulator.matrix(name, layer, head);
    if (view.error) throw new Error(view.error);
    const data = view.slice();
    const T = this.summary.tokens.length;
    const { d_model: dModel, d_k: dK } = this.summary;
    const cols = ['scores', 'scaled', 'weights'].includes(name) ? T
      : LAYER_MATRICES.includes(name) ? dModel : dK;
    return { data, rows: T, cols };
  }

  // The whole last Trace as an object (the same JSON as `llmsim trace`).
  traceJson() {
    const result = JSON.parse(this.simulator.traceJson());
    if (result.error) throw new Error(result.error);
    return result;
  }

  // The sqrt(d_k) lab, measured in C++: for each d_k, statistics of q·k and of the
  // softmax over n_keys keys, with and without scaling (see cpp/core/scaling_lab.hpp).
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

// Converts UTF-8 byte spans into UTF-16 index spans of the same JS string.
export function utf16Spans(text, byteSpans) {
  const byteToIndex = new Map([[0, 0]]);
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i);
    const units = code > 0xffff ? 2 : 1;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    i += units;
    byteToIndex.set(bytes, i);
  }
  const at = (b) => {
    if (!byteToIndex.has(b)) throw new Error(`token boundary ${b} falls inside a character`);
    return byteToIndex.get(b);
  };
  return byteSpans.map(([begin, end]) => [at(begin), at(end)]);
}

function check(result) {
  if (result) throw new Error(JSON.parse(result).error);
}

export function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// Loads a trained model into the module: { name, title, config, tokenizer (JSON text),
// weights (Uint8Array of model.safetensors) }. Every engine on the module can run it.
export function installModel(module, { name, title, config, tokenizer, weights }) {
  check(module.loadModel(name, title, config, tokenizer, weights));
}

// The head-analysis probes: { syntax, semantic, validation } (web/probes/*.txt).
export function installProbes(module, { syntax, semantic, validation }) {
  check(module.setProbes(syntax, semantic, validation));
}

// The models and probes that llmsim-data.js (built by scripts/pack-data.js) put on
// globalThis, with the weights as base64.
function installBundledData(module, data) {
  if (!data) return;
  if (data.probes) installProbes(module, data.probes);
  for (const [name, m] of Object.entries(data.models || {}))
    installModel(module, { name, title: m.title, config: m.config, tokenizer: m.tokenizer, weights: base64ToBytes(m.weights) });
}

// The WASM module, loaded once per page however many engines use it (it is embedded
// in the script, so this also works from file://), with the bundled models in it.
// `loadData` may first fetch llmsim-data.js (the web component does).
let modulePromise = null;
export function getModule(loadData = async () => {}) {
  if (!modulePromise) {
    modulePromise = Promise.all([createLlmsim({}), loadData()]).then(([module]) => {
      installBundledData(module, globalThis.LLMSIM_DATA);
      return module;
    });
  }
  return modulePromise;
}

// An engine with its own simulator on the shared module.
export async function createEngine() {
  return new Engine(await getModule());
}
