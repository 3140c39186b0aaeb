// One simulator session: an engine, a state, the run on screen and its matrices. The
// page has one; each embedded <llm-attention> element has its own. Panels talk to it:
// read `summary` and `state`, read `matrix()` (what their `needs()` listed), and change
// things with `set()`.
//
// The engine is asynchronous (async-engine.js: the model runs in a worker), so:
// - latest input wins: at most one run is on its way; input that arrives meanwhile
//   marks the state dirty, and when the run comes back one new run starts with the
//   state as it is then. Keystrokes in between never queue up.
// - runs come back in the order they were sent, so a result on screen is only ever
//   replaced by a newer one; matrices fetched later for a run that a newer one has
//   replaced are refused by the engine, never drawn.
// - a view draws only once what it needs has arrived: its needs go with the run, and
//   what a redraw needs beyond them (another tab, another head) is fetched first.
// - a model's weights do not change with the text: those on hand stay from run to run
//   of the same model (not asked for, not copied again), and a view may cache what it
//   draws from them by the array's identity.
// - predictions (the next-token logits, top-k and loss) are computed only for a view
//   that shows them (hooks.predicts()): at GPT-2's size the logits are a keystroke's
//   largest product. Opening such a view on a run without them runs again; the model
//   then computes the logits the earlier runs skipped (ModelRun::predict).
import { clampToModel } from './state.js';
import { readTheme } from './theme.js';
import { isWeightKey, matrixNeed, needKey, rolloutNeed, weightNeed } from './needs.js';

export class Session {
  // host: the element whose CSS custom properties give the theme colours.
  // hooks: { onState(state, push), onLoading(title), onRun(summary, error), onRender(),
  //          needs() (what the visible view needs of a run), predicts() (whether it
  //          shows the model's predictions; without the hook, always) }
  constructor(engine, state, host, hooks = {}) {
    this.engine = engine;
    this.state = state;
    this.host = host;
    this.hooks = hooks;
    this.summary = null;
    this.summaryText = null;    // the text it is of
    this.runNumber = 0;         // the engine's number of the run on screen
    this.runMs = null;          // the engine's compute time for it (worker time)
    this.predicted = false;     // it has the predictions (top_k, loss)
    this.matrices = new Map();  // of the run on screen: need key -> { data, rows, cols }
    this.fetching = new Set();  // need keys on their way for the run on screen
    this.answers = new Map();   // engine answers that do not depend on the text
    this.notices = [];
    this.inFlight = false;      // a run is on its way
    this.dirty = false;         // the state changed since that run was sent
    this.loading = null;        // the model whose data is on its way, or null
  }

  theme() { return readTheme(this.host); }

  // A matrix of the run on screen; the view must have listed it in needs().
  matrix(name, layer = this.state.layer, head = this.state.head) {
    return this.fetched(matrixNeed(name, layer, head));
  }

  // A weight matrix of the run's model ("w_q", "w_k", "w_v", "w_o" of a layer).
  weight(name, layer = this.state.layer) {
    return this.fetched(weightNeed(name, layer));
  }

  // Attention rollout through layers 0..layer (the mean of each layer's heads).
  rollout(layer = this.state.layer) {
    return this.fetched(rolloutNeed(layer));
  }

  fetched(need) {
    const m = this.matrices.get(needKey(need));
    if (!m) throw new Error(`${needKey(need)} was not fetched: list it in the view's needs()`);
    return m;
  }

  // The token the views follow: the selected one, else the last.
  focusToken() {
    const T = this.summary ? this.summary.tokens.length : 0;
    if (T === 0) return null;
    return this.state.token !== null && this.state.token < T ? this.state.token : T - 1;
  }

  // Changes state. `rerun`: the model must run again; `push`: a history entry
  // (discrete choices) rather than a replacement (typing, sliders).
  set(patch, { rerun = false, push = false } = {}) {
    Object.assign(this.state, patch);
    if (this.hooks.onState) this.hooks.onState(this.state, push);
    if (rerun) this.run(); else this.render();
  }

  // Runs the model on the state: now, or, if a run is on its way, once it is back
  // (with the state as it is then: the latest input wins).
  run() {
    this.dirty = true;
    if (!this.inFlight) this.runNow();
  }

  // Sends the state's run to the engine and shows what comes back. A model whose
  // data is not loaded yet is loaded first (engine.ensureModel): meanwhile the views
  // are empty and onLoading says so; then the run follows with the state by then.
  async runNow() {
    this.dirty = false;
    const { engine } = this;
    const models = engine.models;
    if (!models.some((m) => m.name === this.state.model)) {
      const fallback = models.some((m) => m.name === engine.defaultModel) ? engine.defaultModel : models[0].name;
      this.notices.push(`There is no model "${this.state.model.slice(0, 40)}" here. Using ${fallback}.`);
      this.state.model = fallback;
    }
    if (!engine.isInstalled(this.state.model)) {
      this.load(this.state.model);
      return;
    }
    this.loading = null;
    this.inFlight = true;
    const text = this.state.text;
    let reply = null, error = null;
    const kept = this.weightsFor(this.state.model);
    const predict = this.predicts();
    try {
      reply = await engine.run(text, {
        scale: this.state.scale, causal: this.state.causal, ...engine.modelOptions(this.state), predict,
      }, this.viewNeeds().filter((n) => !kept.has(needKey(n))));
    } catch (e) {
      error = e;
    }
    this.inFlight = false;
    if (this.dirty) this.runNow();  // the engine starts on the newer input while this one is drawn
    if (!this.loading) this.show(text, reply, error, kept, predict);  // unless that newer input is another model, on its way
  }

  // Whether the visible view shows the model's predictions.
  predicts() { return this.hooks.predicts ? this.hooks.predicts() : true; }

  // The weight matrices on hand if the run on screen is of model `name`, by need key.
  weightsFor(name) {
    if (!this.summary || this.summary.model_name !== name) return new Map();
    return new Map([...this.matrices].filter(([key]) => isWeightKey(key)));
  }

  show(text, reply, error, kept = new Map(), predicted = true) {
    this.fetching.clear();
    this.summaryText = text;
    if (error) {
      this.summary = null;
      this.matrices = new Map();
    } else {
      this.summary = reply.summary;
      this.predicted = predicted;
      this.runNumber = reply.run;
      this.runMs = reply.ms;
      this.matrices = new Map([...kept, ...reply.matrices]);  // kept: only ever of the model this run is of
      Object.assign(this.state, clampToModel(this.state, this.summary.n_layer, this.summary.n_head, this.notices));
      if (this.state.token !== null && this.state.token >= this.summary.tokens.length) this.state.token = null;
    }
    this.finishRun(error);
  }

  load(name) {
    if (this.loading === name) return;  // already on its way; the run follows it
    this.loading = name;
    this.summary = null;
    this.matrices = new Map();
    if (this.hooks.onLoading) this.hooks.onLoading(this.engine.modelTitle(name));
    this.render();
    this.engine.ensureModel(name).then(() => {
      if (this.loading !== name) return;  // the reader chose something else meanwhile
      this.loading = null;
      this.run();
    }, (error) => {
      if (this.loading !== name) return;
      this.loading = null;
      this.summary = null;
      this.finishRun(error);
    });
  }

  finishRun(error) {
    if (this.hooks.onRun) this.hooks.onRun(this.summary, error);
    this.render();
  }

  // What the visible view needs, each once (two measures may share a matrix).
  viewNeeds() {
    const needs = this.hooks.needs ? this.hooks.needs() : [];
    return [...new Map(needs.map((n) => [needKey(n), n])).values()];
  }

  // A second run beside the one on screen (the compare view's: another text, or √dₖ
  // switched), on a second engine of its own, so the KV cache that makes typing cheap
  // stays with the first. Resolves with the run's reply (engine.run's), or null when a
  // newer side run was asked for meanwhile.
  async sideRun(text, options, needs) {
    if (!this.side) this.side = { engine: this.engine.sibling(), asked: 0 };
    const ticket = ++this.side.asked;
    const reply = await this.side.engine.run(text, options, needs);
    return ticket === this.side.asked ? reply : null;
  }

  // Frees the engines' simulators; the session cannot run afterwards.
  dispose() {
    if (this.side) this.side.engine.dispose();
    this.side = null;
    this.engine.dispose();
  }

  // Draws the visible view, once the run on screen has everything it needs (else
  // fetches the rest first: the arrival draws).
  render() {
    if (this.summary && !this.predicted && this.predicts()) { this.run(); return; }  // its arrival draws
    const missing = this.summary ? this.viewNeeds().filter((n) => !this.matrices.has(needKey(n))) : [];
    if (missing.length) { this.fetch(missing); return; }
    if (this.hooks.onRender) this.hooks.onRender();
  }

  async fetch(needs) {
    const asked = needs.filter((n) => !this.fetching.has(needKey(n)));
    if (asked.length === 0) return;  // on their way already
    for (const n of asked) this.fetching.add(needKey(n));
    const run = this.runNumber;
    let got;
    try {
      got = await this.engine.matrices(run, asked);
    } catch (error) {
      console.error(`The view's matrices could not be read: ${error.message}`);
      return;
    }
    if (!got || run !== this.runNumber) return;  // a newer run replaced this one: its arrival draws
    for (const [key, m] of got) { this.matrices.set(key, m); this.fetching.delete(key); }
    this.render();
  }

  // An answer of the engine that does not depend on the text (a model's head report,
  // the √dₖ lab's curves): asked once and kept. Undefined until it arrives, which
  // redraws; null if the engine could not answer (the notices say why).
  answer(key, ask) {
    if (this.answers.has(key)) return this.answers.get(key);
    this.answers.set(key, undefined);
    ask().then((value) => { this.answers.set(key, value); }, (error) => {
      this.answers.set(key, null);
      this.notices.push(error.message);
    }).then(() => this.render());
    return undefined;
  }

  // Whether an answer the views asked for is still on its way.
  waiting() { return [...this.answers.values()].some((value) => value === undefined); }

  // The measured labels of every head of a model (null for random weights).
  headLabels(model = this.state.model) {
    return this.answer(`heads:${model}`, () => this.engine.headLabels(model));
  }
}
