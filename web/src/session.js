// One simulator session: an engine, a state, the last run and its matrices. The page
// has one; each embedded <llm-attention> element has its own. Panels talk to it:
// read `summary` and `state`, fetch `matrix()`, and change things with `set()`.
import { clampToModel } from './state.js';
import { readTheme } from './theme.js';

export class Session {
  // host: the element whose CSS custom properties give the theme colours.
  // hooks: { onState(state, push), onLoading(title), onRun(summary, error), onRender() }
  constructor(engine, state, host, hooks = {}) {
    this.engine = engine;
    this.state = state;
    this.host = host;
    this.hooks = hooks;
    this.summary = null;
    this.matrices = new Map();  // per run: "name/layer/head" -> { data, rows, cols }
    this.notices = [];
    this.pendingRun = false;
    this.frameBusy = false;
    this.loading = null;  // the model whose data is on its way, or null
  }

  theme() { return readTheme(this.host); }

  // A matrix of the last run, fetched from the engine once per run.
  matrix(name, layer = this.state.layer, head = this.state.head) {
    const key = `${name}/${layer}/${head}`;
    if (!this.matrices.has(key)) this.matrices.set(key, this.engine.matrix(name, layer, head));
    return this.matrices.get(key);
  }

  // A weight matrix of the last run's model ("w_q", "w_k", "w_v", "w_o" of a layer).
  weight(name, layer = this.state.layer) {
    const key = `weight:${name}/${layer}`;
    if (!this.matrices.has(key)) this.matrices.set(key, this.engine.weight(name, layer));
    return this.matrices.get(key);
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
    if (rerun) this.scheduleRun(); else this.render();
  }

  // Runs at once, so the frame after a keystroke already shows it; further changes
  // within the same frame are coalesced into one run at the next frame.
  scheduleRun() {
    if (this.frameBusy) { this.pendingRun = true; return; }
    this.frameBusy = true;
    this.run();
    requestAnimationFrame(() => {
      this.frameBusy = false;
      if (this.pendingRun) { this.pendingRun = false; this.scheduleRun(); }
    });
  }

  // Runs the state's model on the text. A model whose data is not loaded yet is loaded
  // first (engine.ensureModel): meanwhile the views are empty and onLoading says so;
  // then this runs again with whatever the state is by then.
  run() {
    let error = null;
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
    try {
      this.summary = engine.run(this.state.text, {
        scale: this.state.scale, causal: this.state.causal, ...engine.modelOptions(this.state),
      });
      Object.assign(this.state, clampToModel(this.state, this.summary.n_layer, this.summary.n_head, this.notices));
      if (this.state.token !== null && this.state.token >= this.summary.tokens.length) this.state.token = null;
    } catch (e) {
      error = e;
      this.summary = null;
    }
    this.finishRun(error);
  }

  load(name) {
    if (this.loading === name) return;  // already on its way; the run follows it
    this.loading = name;
    this.summary = null;
    this.matrices.clear();
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
    this.matrices.clear();
    if (this.hooks.onRun) this.hooks.onRun(this.summary, error);
    this.render();
  }

  render() { if (this.hooks.onRender) this.hooks.onRender(); }
}
