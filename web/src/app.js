// The page: state (mirrored in the URL), the engine, and one panel per view. All
// numbers come from the engine (the C++ core); panels turn them into drawings.
import { createEngine } from './engine.js';
import { parseState, serializeState, clampToModel, DEFAULT_STATE, VIEWS } from './state.js';
import { readTheme, initThemeToggle } from './theme.js';
import { mountTokens } from './panels/tokens.js';
import { mountArcs } from './panels/arcs.js';
import { mountHeatmap } from './panels/heatmap.js';
import { mountGrid } from './panels/grid.js';
import { mountQkv } from './panels/qkv.js';
import { mountMultihead } from './panels/multihead.js';
import { mountScaling } from './panels/scaling.js';
import { mountPredictions } from './panels/predictions.js';
import { downloadBlob } from './download.js';

const VIEW_TITLES = {
  tokens: 'Tokens', arcs: 'Arcs', heatmap: 'Heatmap', grid: 'All heads', qkv: 'Q · K · V',
  multihead: 'Multi-head', scaling: '√dₖ lab', predictions: 'Next token',
};
const MOUNTS = {
  tokens: mountTokens, arcs: mountArcs, heatmap: mountHeatmap, grid: mountGrid, qkv: mountQkv,
  multihead: mountMultihead, scaling: mountScaling, predictions: mountPredictions,
};

const $ = (id) => document.getElementById(id);

// What the panels see: the engine, the state, the last run, and ways to change them.
class App {
  constructor(engine, state) {
    this.engine = engine;
    this.state = state;
    this.summary = null;
    this.matrices = new Map();  // per run: "name/layer/head" -> { data, rows, cols }
    this.panels = {};
    this.notices = [];
    this.pendingRun = false;
  }

  theme() { return readTheme(); }

  // A matrix of the last run, fetched from the engine once per run.
  matrix(name, layer = this.state.layer, head = this.state.head) {
    const key = `${name}/${layer}/${head}`;
    if (!this.matrices.has(key)) this.matrices.set(key, this.engine.matrix(name, layer, head));
    return this.matrices.get(key);
  }

  // The token the views follow: the selected one, else the last.
  focusToken() {
    const T = this.summary ? this.summary.tokens.length : 0;
    if (T === 0) return null;
    return this.state.token !== null && this.state.token < T ? this.state.token : T - 1;
  }

  // Changes state. `rerun`: the model must run again; `push`: a history entry
  // (discrete choices), otherwise the URL is replaced (typing, sliders).
  set(patch, { rerun = false, push = false } = {}) {
    Object.assign(this.state, patch);
    writeUrl(this.state, push);
    if (rerun) this.scheduleRun(); else this.render();
  }

  scheduleRun() {
    if (this.pendingRun) return;
    this.pendingRun = true;
    requestAnimationFrame(() => { this.pendingRun = false; this.run(); });
  }

  run() {
    try {
      this.summary = this.engine.run(this.state.text, {
        scale: this.state.scale, causal: this.state.causal, ...this.engine.modelOptions(this.state),
      });
    } catch (error) {
      this.summary = null;
      showStatus(error.message, true);
      this.render();
      return;
    }
    this.matrices.clear();
    const fixed = clampToModel(this.state, this.summary.n_layer, this.summary.n_head, this.notices);
    Object.assign(this.state, fixed);
    if (this.state.token !== null && this.state.token >= this.summary.tokens.length) this.state.token = null;
    syncControls(this);
    showStatus(statusLine(this.summary), Boolean(this.summary.warning));
    this.render();
  }

  // Draws the tokens strip and the visible view.
  render() {
    showNotices(this.notices);
    for (const name of VIEWS) {
      const section = document.querySelector(`section[data-view="${name}"]`);
      section.hidden = name !== this.state.view;
      $(`tab-${name}`).setAttribute('aria-selected', String(name === this.state.view));
      $(`tab-${name}`).tabIndex = name === this.state.view ? 0 : -1;
    }
    const panel = this.panels[this.state.view];
    if (panel) panel.render();
    document.body.dataset.view = this.state.view;
  }
}

function statusLine(summary) {
  if (summary.warning) return summary.warning;
  const T = summary.tokens.length;
  if (T === 0) return 'Type some text above to see how its tokens attend to each other.';
  return `${T} token${T === 1 ? '' : 's'} · ${summary.model_name} · ${summary.n_layer} layers × ${summary.n_head} heads · d_model ${summary.d_model}, dₖ ${summary.d_k}`;
}

function showStatus(message, isWarning) {
  $('status').textContent = message;
  $('status').classList.toggle('warning', isWarning);
}

function showNotices(notices) {
  $('notices').replaceChildren(...notices.map((text) => {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  }));
}

function writeUrl(state, push) {
  const query = serializeState(state);
  const url = `${location.pathname}${query ? `?${query}` : ''}${location.hash}`;
  if (url === `${location.pathname}${location.search}${location.hash}`) return;
  try {
    if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
  } catch {
    // file:// in some browsers refuses history changes; the page still works.
  }
}

function fillSelect(select, values, current) {
  const labels = values.map(String);
  if (Array.from(select.options, (o) => o.textContent).join('\n') !== labels.join('\n'))
    select.replaceChildren(...values.map((v, i) => new Option(String(v), String(i))));
  select.value = String(current);
}

// Controls reflect the state (after a run, or Back/Forward).
function syncControls(app) {
  const { state, summary } = app;
  $('text').value === state.text || ($('text').value = state.text);
  fillSelect($('model'), app.engine.models.map((m) => m.title), app.engine.models.findIndex((m) => m.name === state.model));
  if (summary) {
    fillSelect($('layer'), Array.from({ length: summary.n_layer }, (_, i) => `Layer ${i}`), state.layer);
    fillSelect($('head'), Array.from({ length: summary.n_head }, (_, i) => `Head ${i}`), state.head);
  }
  $('scale').checked = state.scale;
  $('causal').checked = state.causal;
}

function buildTabs(app) {
  const tabs = $('tabs');
  tabs.replaceChildren(...VIEWS.map((name) => {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.id = `tab-${name}`;
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-controls', `view-${name}`);
    tab.textContent = VIEW_TITLES[name];
    tab.addEventListener('click', () => app.set({ view: name }, { push: true }));
    return tab;
  }));
  // Arrow keys move between tabs (the ARIA tabs pattern).
  tabs.addEventListener('keydown', (event) => {
    const i = VIEWS.indexOf(app.state.view);
    const next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const view = VIEWS[(next + VIEWS.length) % VIEWS.length];
    app.set({ view }, { push: true });
    $(`tab-${view}`).focus();
  });
  for (const name of VIEWS) document.querySelector(`section[data-view="${name}"]`).id = `view-${name}`;
}

function wireInputs(app) {
  $('text').addEventListener('input', () => app.set({ text: $('text').value, token: null }, { rerun: true }));
  $('model').addEventListener('change', () => {
    app.set({ model: app.engine.models[Number($('model').value)].name, layer: 0, head: 0, ablate: [] }, { rerun: true, push: true });
  });
  $('layer').addEventListener('change', () => app.set({ layer: Number($('layer').value) }, { push: true }));
  $('head').addEventListener('change', () => app.set({ head: Number($('head').value) }, { push: true }));
  $('scale').addEventListener('change', () => app.set({ scale: $('scale').checked }, { rerun: true, push: true }));
  $('causal').addEventListener('change', () => app.set({ causal: $('causal').checked }, { rerun: true, push: true }));
  // Arrow keys move the selected token, wherever focus is but in a text field.
  document.addEventListener('keydown', (event) => {
    if (!app.summary || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest && target.closest('textarea, input, select, [role="tablist"], #heatmap-canvas')) return;
    const T = app.summary.tokens.length;
    if (T === 0 || (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight')) return;
    event.preventDefault();
    const current = app.focusToken();
    const next = Math.max(0, Math.min(T - 1, current + (event.key === 'ArrowRight' ? 1 : -1)));
    app.set({ token: next });
  });
  window.addEventListener('popstate', () => {
    const { state, notices } = parseState(location.search);
    app.notices = notices;
    app.state = { ...state };
    app.run();
  });
  let resizeFrame = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => app.render());
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => app.render());
  $('export-json').addEventListener('click', () => {
    const trace = app.engine.traceJson();
    downloadBlob(new Blob([JSON.stringify(trace)], { type: 'application/json' }), 'attention-trace.json');
  });
  $('export-png').addEventListener('click', () => {
    const canvas = document.querySelector(`section[data-view="${app.state.view}"] canvas`);
    if (canvas) canvas.toBlob((blob) => downloadBlob(blob, `attention-${app.state.view}.png`));
  });
}

async function main() {
  showStatus('Loading the simulator…', false);
  const { state, notices } = parseState(location.search);
  let engine;
  try {
    engine = await createEngine();
  } catch (error) {
    showStatus(`The simulator could not start: ${error.message}`, true);
    return;
  }
  if (!engine.models.some((m) => m.name === state.model)) {
    if (state.model !== DEFAULT_STATE.model) notices.push(`Unknown model "${state.model}". Using the default.`);
    state.model = engine.models[0].name;
  }
  const app = new App(engine, state);
  app.notices = notices;
  initThemeToggle($('theme-toggle'), () => app.render());
  buildTabs(app);
  for (const name of VIEWS) app.panels[name] = MOUNTS[name](document.querySelector(`section[data-view="${name}"]`), app);
  wireInputs(app);
  syncControls(app);
  app.run();
  document.body.dataset.ready = 'true';
  window.__llmsim = app;  // for the browser tests and the curious
}

main();
