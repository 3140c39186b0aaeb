// The page's engine: asynchronous, with the WASM module and every model run in a Web
// Worker, so the page's main thread never waits for a run (the views draw in another
// worker, paint/painter.js). `await engine.run(text, options,
// needs)` resolves with the run's summary and, as transferred Float32Arrays, the
// matrices the visible view needs; `engine.matrices(run, needs)` asks for more of the
// same run. The synchronous engine (engine.js) stays for Node and the tests; the
// worker runs it (engine-host.js).
//
// The worker is a blob: worker whose whole source is built into this bundle as a
// string (./build.sh dist makes build/engine/llmsim-engine.js first): a page opened
// from file:// may not start a worker from a script file, and a blob: worker needs no
// file beside the page. A SharedArrayBuffer would allow a synchronous path, but it is
// not available from file://, so everything here is a message and a promise.
//
// If the page's Content-Security-Policy refuses blob: workers (the web component runs
// under its host page's policy), the same host runs on the main thread instead, from
// the classic script llmsim-engine.js beside this bundle, behind a MessageChannel:
// the engine behaves the same, but a long run then delays typing. The console says so.
import ENGINE_SOURCE from '../../build/engine/llmsim-engine.js' with { type: 'text' };
import { MANIFEST, manifestEntry, modelList, modelOptions, RANDOM_MODEL } from './manifest.js';
import { loadModelScript, loadScript, modelScriptOnPage, modelScriptUrl, scriptBase } from './model-scripts.js';
import { needKey } from './needs.js';

// Messages to the host and their answers, matched by id.
class HostConnection {
  constructor(port, where, maxTokens) {
    this.port = port;
    this.where = where;  // 'worker' or 'main thread'
    this.maxTokens = maxTokens;
    this.nextId = 1;
    this.pending = new Map();    // id -> { resolve, reject }
    this.installed = new Set();  // trained models the host has
    this.givenModels = [];       // { name, title, context, token_cap } of the models given as files: trained in the page, or opened (installFiles)
    this.installing = new Map(); // name -> Promise
    port.onmessage = ({ data }) => this.receive(data);
  }

  // `transfer`: buffers of args handed over rather than copied (a model's weights).
  request(op, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ id, op, ...args }, transfer);
    });
  }

  receive({ id, result, error }) {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if (error !== undefined) waiting.reject(new Error(error));
    else waiting.resolve(result);
  }

  // A worker that died (out of memory, say) answers nothing more: say so to everyone waiting.
  failAll(message) {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
  }

  // Makes sure the host has the trained model `name`. Over http(s) the worker loads its
  // script itself (importScripts), so the page's main thread never parses it; from
  // file://, where a worker cannot load it, and for a script the page already has
  // (the default model's, in index.html), it is loaded here as a classic script and
  // its data sent over. One load per model; a failed load stays failed until the page
  // is reloaded.
  ensureModel(name) {
    if (name === RANDOM_MODEL.name || this.installed.has(name)) return Promise.resolve();
    if (!this.installing.has(name)) {
      this.installing.set(name, (async () => {
        const entry = manifestEntry(name);
        if (!entry) throw new Error(`There is no model "${String(name).slice(0, 40)}" here.`);
        try {
          if (!(await this.installInWorker(name))) await this.request('install', { name, data: await loadModelScript(name) });
          this.installed.add(name);
        } catch (error) {
          throw new Error(`The model “${entry.title}” could not be loaded: ${error.message}. Choose another model, or reload the page to try again.`);
        }
      })());
    }
    return this.installing.get(name);
  }

  // Has the worker load the model's script itself: true if it did.
  async installInWorker(name) {
    const url = new URL(modelScriptUrl(name), location.href);
    if (this.where !== 'worker' || !/^https?:$/.test(url.protocol) || modelScriptOnPage(name)) return false;
    try {
      await this.request('installScript', { name, url: url.href });
      return true;
    } catch {
      return false;  // (a policy that refuses it, say): the page loads it instead
    }
  }
}

// Resolves with the host's ready message on `port`, or rejects with why it failed.
function hostReady(port) {
  return new Promise((resolve, reject) => {
    port.onmessage = ({ data }) => {
      if (data && data.type === 'ready') resolve(data);
      else if (data && data.type === 'failed') reject(new Error(data.error));
    };
  });
}

function startWorker() {
  const url = URL.createObjectURL(new Blob([ENGINE_SOURCE], { type: 'text/javascript' }));
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { name: 'llmsim-engine' });  // throws where the CSP refuses blob: workers
    const refused = (event) => { event.preventDefault(); reject(new Error(event.message || 'the worker did not start')); };
    worker.addEventListener('error', refused);
    hostReady(worker).then((ready) => {
      worker.removeEventListener('error', refused);
      const connection = new HostConnection(worker, 'worker', ready.maxTokens);
      worker.addEventListener('error', (event) => connection.failAll(`The simulator stopped: ${event.message || 'its worker failed'}. Reload the page.`));
      resolve(connection);
    }, reject);
  }).finally(() => URL.revokeObjectURL(url));
}

async function startOnMainThread() {
  if (!globalThis.LLMSIM_ENGINE_HOST) await loadScript(`${scriptBase}llmsim-engine.js`);
  const { port1, port2 } = new MessageChannel();
  globalThis.LLMSIM_ENGINE_HOST.serve(port2);
  const ready = await hostReady(port1);
  return new HostConnection(port1, 'main thread', ready.maxTokens);
}

// The page's one host, shared by every engine on the page (the page, or several
// <llm-attention> elements), with the default model on its way in: not awaited, so
// the page builds its views meanwhile; its first run waits for it (Session.load).
let hostPromise = null;
export function connectHost() {
  if (!hostPromise) {
    performance.mark('llmsim:engine-start');
    hostPromise = startWorker().catch((error) => {
      console.warn(`LLM attention simulator: no Web Worker (${error.message}). The model runs on the page's main thread instead, where a long run can delay typing. A Content-Security-Policy that allows it: worker-src blob:`);
      return startOnMainThread();
    }).then((host) => {
      performance.mark('llmsim:engine-ready');  // these marks time the page's start (npm run bench:page)
      host.ensureModel(MANIFEST.default).then(() => performance.mark('llmsim:model-ready'), () => {});  // if it fails, running it says why
      return host;
    });
  }
  return hostPromise;
}

// Results of a run, by need key.
function byKey(matrices) {
  return new Map(matrices.map(({ need, data, rows, cols }) => [needKey(need), { data, rows, cols }]));
}

let nextEngineId = 1;

export class AsyncEngine {
  constructor(host) {
    this.host = host;
    this.id = nextEngineId++;
    this.opened = host.request('open', { engine: this.id });  // its own Simulator in the host
    this.defaultModel = MANIFEST.default;
    this.maxTokens = host.maxTokens;
  }

  // Where the model runs: 'worker', or 'main thread' when the page's CSP refused the worker.
  get where() { return this.host.where; }

  get models() { return modelList(this.host.givenModels); }

  modelTitle(name) {
    const model = this.models.find((m) => m.name === name);
    return model ? model.title : name;
  }

  isInstalled(name) { return name === RANDOM_MODEL.name || this.host.installed.has(name); }

  ensureModel(name) { return this.host.ensureModel(name); }

  // Adds a model given as the files of a model folder (config and tokenizer as text,
  // the safetensors bytes, and the probes its head report is measured on, or null):
  // one trained in the page, or one the reader opened. It is installed in the host for
  // every engine of the page and joins the model list.
  // The weights' buffer is handed to the host, not copied (hundreds of MB for a big
  // checkpoint): `weights` is empty afterwards.
  async installFiles({ name, title, config, tokenizer, weights, probes }) {
    this.given(name, title, await this.host.request('installFiles', { name, title, config, tokenizer, weights, probes }, [weights.buffer]));
  }

  // The same for a folder whose model.safetensors is read in pieces (open-model.js):
  // openStream({ config, tokenizer, head }) starts it in the host and resolves with a
  // sink whose feed(bytes) hands each piece over (transferred, not copied: `bytes` is
  // empty afterwards), in order, and resolves with it again, sent back once read (to
  // be filled again); installStream then adds the model, as installFiles.
  // The host decodes the weights as the pieces come, never holding the whole file.
  async openStream({ config, tokenizer, head }) {
    await this.host.request('streamBegin', { config, tokenizer, head });
    return { feed: (bytes) => this.host.request('streamFeed', { bytes }, [bytes.buffer]) };
  }
  async installStream({ name, title, probes }) {
    this.given(name, title, await this.host.request('streamInstall', { name, title, probes }));
  }

  // A model given as files joins the list, with the host's listing of it.
  given(name, title, listed) {
    this.host.installed.add(name);
    this.host.givenModels.push({ ...listed, name, title });
  }

  // What loading a checkpoint needs ({ parameters, peak_bytes }), from its config.json
  // and the first bytes of its model.safetensors (open-model.js's safetensorsHeader).
  checkpointSize(config, header) { return this.host.request('checkpointSize', { config, header }); }

  modelOptions(state) { return modelOptions(state); }

  // Runs the model on `text` in the host. Resolves with { summary (as engine.js's run
  // returns it), run (its number, for matrices()), matrices (Map: need key ->
  // { data: Float32Array, rows, cols }, the `needs` asked for), ms (the host's own
  // compute time for the run and its copies) }.
  async run(text, options = {}, needs = []) {
    await this.opened;
    const reply = await this.host.request('run', { engine: this.id, text: String(text), options, needs });
    return { ...reply, matrices: byKey(reply.matrices) };
  }

  // More matrices of run `run`, as a Map by need key; null if a newer run replaced it.
  async matrices(run, needs) {
    const reply = await this.host.request('matrices', { engine: this.id, run, needs });
    return reply.stale ? null : byKey(reply.matrices);
  }

  // The shipped head report of a trained model (or computed in the host), null for random weights.
  headLabels(model) { return this.host.request('headLabels', { model }); }

  // The √dₖ lab's measurements (engine.js scalingLab).
  scalingLab(request = {}) { return this.host.request('scalingLab', { request }); }

  // The whole last Trace, the same JSON as `llmsim trace`.
  async traceJson() {
    await this.opened;
    return this.host.request('traceJson', { engine: this.id });
  }

  // Another engine on the same host, with its own Simulator (and its own KV cache).
  sibling() { return new AsyncEngine(this.host); }

  // Frees this engine's Simulator in the host.
  dispose() { this.host.request('close', { engine: this.id }).catch(() => {}); }
}

export async function createAsyncEngine() {
  const engine = new AsyncEngine(await connectHost());
  await engine.opened;
  return engine;
}
