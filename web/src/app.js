// The page: state, controls, and wiring the views to the engine. All numbers come
// from the engine (the C++ core); the views only draw them.
import { createEngine } from './engine.js';
import { drawHeatmap, heatmapCellAt } from './views/heatmap.js';
import { drawArcs, arcsTokenAt } from './views/arcs.js';

const DEFAULT_TEXT = 'The cat sat on the mat because it was tired.';

const $ = (id) => document.getElementById(id);
const ui = {
  text: $('text'), layer: $('layer'), head: $('head'), scale: $('scale'), causal: $('causal'),
  seed: $('seed'), status: $('status'), tokens: $('tokens'),
  arcs: $('arcs-canvas'), heatmap: $('heatmap-canvas'), readout: $('readout'),
  threshold: $('threshold'), thresholdValue: $('threshold-value'),
};

const state = { layer: 0, head: 0, focus: null, hover: null };
let engine = null;
let summary = null;
let current = null;  // { weights, scores, scaled } of the selected head
let layouts = {};

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    background: v('--surface'), text: v('--text'), muted: v('--muted'),
    accent: v('--accent'), tokenFill: v('--token'), masked: v('--masked'),
  };
}

function options() {
  const seed = Number.parseInt(ui.seed.value, 10);
  return { scale: ui.scale.checked, causal: ui.causal.checked, seed: Number.isFinite(seed) && seed >= 0 ? seed : 1 };
}

// Re-runs the model and redraws; called at most once per animation frame.
function update() {
  try {
    summary = engine.run(ui.text.value, options());
  } catch (error) {
    showStatus(error.message, true);
    return;
  }
  fillSelect(ui.layer, summary.n_layer, 'Layer', state.layer);
  fillSelect(ui.head, summary.n_head, 'Head', state.head);
  state.layer = Number(ui.layer.value);
  state.head = Number(ui.head.value);
  const T = summary.tokens.length;
  if (state.focus !== null && state.focus >= T) state.focus = null;
  showTokens();
  if (T === 0) {
    current = null;
    showStatus('Type some text above to see how its tokens attend to each other.', false);
    clearViews();
    return;
  }
  current = {
    weights: engine.matrix('weights', state.layer, state.head).data,
    scores: engine.matrix('scores', state.layer, state.head).data,
    scaled: engine.matrix('scaled', state.layer, state.head).data,
  };
  showStatus(summary.warning || `${T} token${T === 1 ? '' : 's'} · ${summary.n_layer} layers × ${summary.n_head} heads · d_model ${summary.d_model}, d_k ${summary.d_k}`, Boolean(summary.warning));
  draw();
}

function draw() {
  if (!current) return;
  const t = theme();
  const data = { tokens: summary.tokens, weights: current.weights, causal: summary.causal };
  const width = ui.heatmap.parentElement.clientWidth;
  layouts.heatmap = drawHeatmap(ui.heatmap, data, { width, theme: t, hover: state.hover });
  layouts.arcs = drawArcs(ui.arcs, data, {
    theme: t, threshold: Number(ui.threshold.value), focus: state.focus,
    minWidth: ui.arcs.parentElement.clientWidth,
  });
  window.__llmsimLayouts = layouts;  // read by the browser tests to find cells
}

function clearViews() {
  for (const canvas of [ui.arcs, ui.heatmap]) {
    canvas.width = canvas.width;  // clears
    canvas.style.height = '0px';
  }
  ui.readout.textContent = '';
}

function fillSelect(select, count, label, wanted) {
  if (select.options.length !== count) {
    select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(`${label} ${i}`, String(i))));
  }
  select.value = String(Math.min(Math.max(0, wanted), count - 1));
}

function showStatus(message, isWarning) {
  ui.status.textContent = message;
  ui.status.classList.toggle('warning', isWarning);
}

// The text with its token boundaries: one chip per token, text only (never HTML).
function showTokens() {
  const chips = summary.tokens.map((token, i) => {
    const chip = document.createElement('span');
    chip.className = 'token' + (i === state.focus ? ' focused' : '');
    chip.textContent = token;
    chip.title = `token ${i}`;
    chip.dataset.index = String(i);
    return chip;
  });
  ui.tokens.replaceChildren(...chips);
}

function format(x) { return Number(x).toPrecision(6); }

function showReadout(query, key) {
  const T = summary.tokens.length;
  const at = query * T + key;
  const masked = summary.causal && key > query;
  const q = JSON.stringify(summary.tokens[query]), k = JSON.stringify(summary.tokens[key]);
  ui.readout.dataset.query = String(query);
  ui.readout.dataset.key = String(key);
  ui.readout.dataset.weight = String(current.weights[at]);
  ui.readout.textContent = masked
    ? `Query ${q} (#${query}) cannot see key ${k} (#${key}): it comes later, so the causal mask hides it.`
    : `Query ${q} (#${query}) → key ${k} (#${key}): weight ${format(current.weights[at])} · raw q·k ${format(current.scores[at])} · scaled ${format(current.scaled[at])}`;
}

let pending = false;
function scheduleUpdate() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; update(); });
}

function wire() {
  for (const el of [ui.text, ui.seed]) el.addEventListener('input', scheduleUpdate);
  for (const el of [ui.scale, ui.causal]) el.addEventListener('change', scheduleUpdate);
  ui.layer.addEventListener('change', () => { state.layer = Number(ui.layer.value); update(); });
  ui.head.addEventListener('change', () => { state.head = Number(ui.head.value); update(); });
  ui.threshold.addEventListener('input', () => {
    ui.thresholdValue.textContent = Number(ui.threshold.value).toFixed(2);
    draw();
  });
  ui.heatmap.addEventListener('mousemove', (event) => {
    if (!current) return;
    const rect = ui.heatmap.getBoundingClientRect();
    const cell = heatmapCellAt(layouts.heatmap, event.clientX - rect.left, event.clientY - rect.top);
    state.hover = cell;
    if (cell) showReadout(cell.query, cell.key);
    draw();
  });
  ui.heatmap.addEventListener('mouseleave', () => { state.hover = null; draw(); });
  ui.arcs.addEventListener('mousemove', (event) => {
    if (!current) return;
    const rect = ui.arcs.getBoundingClientRect();
    const focus = arcsTokenAt(layouts.arcs, event.clientX - rect.left);
    if (focus !== state.focus) { state.focus = focus; showTokens(); draw(); }
  });
  ui.arcs.addEventListener('mouseleave', () => { state.focus = null; showTokens(); draw(); });
  ui.tokens.addEventListener('mouseover', (event) => {
    const index = event.target.dataset && event.target.dataset.index;
    if (index !== undefined) { state.focus = Number(index); showTokens(); draw(); }
  });
  window.addEventListener('resize', draw);
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', draw);
}

async function main() {
  ui.text.value = DEFAULT_TEXT;
  showStatus('Loading the simulator…', false);
  try {
    engine = await createEngine();
  } catch (error) {
    showStatus(`The simulator could not start: ${error.message}`, true);
    return;
  }
  wire();
  update();
  document.body.dataset.ready = 'true';
}

main();
