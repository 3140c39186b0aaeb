// The page: the input panel, the view tabs, the status line and the URL around one
// Session. All numbers come from the engine (the C++ core, in a Web Worker: see
// async-engine.js); panels draw them.
import { createAsyncEngine } from './async-engine.js';
import { onScreen, painterWhere } from './paint/painter.js';
import { setText } from './dom.js';
import { startPainting } from './paint/start.js';
import { linkParams, linkParts } from './link.js';
import { DEFAULT_STATE, parseState, serializeState } from './state.js';
import { initThemeToggle } from './theme.js';
import { Session } from './session.js';
import { mountView, VIEW_NAMES, viewNamed } from './views/index.js';
import { afterNextFrame } from './views/idle.js';
import { captionedCanvas, downloadBlob, exportCaption } from './download.js';
import { presetsFor, presetTitle } from './presets.js';
import { embedSnippets } from './embed-code.js';
import { MEASURES, transformNote } from './views/transforms.js';
import { checkpointUrl, fetchModelFolder, readModelFolder } from './open-model.js';
import { grouped } from './format.js';
import { MANIFEST } from './manifest.js';

const $ = (id) => document.getElementById(id);

function statusLine(summary, text) {
  if (summary.warning) return summary.warning;
  const T = summary.tokens.length;
  if (T === 0 || text.trim() === '') return 'Type some text above to see how its tokens attend to each other.';
  return `${T} token${T === 1 ? '' : 's'} · ${summary.model_name} · ${summary.n_layer} layers × ${summary.n_head} heads · d_model ${summary.d_model}, dₖ ${summary.d_k}`;
}

function showStatus(message, isWarning) {
  setText($('status'), message);
  $('status').classList.toggle('warning', isWarning);
}

function showNotices(notices) {
  if (notices.length === 0 && !$('notices').firstChild) return;
  $('notices').replaceChildren(...notices.map((text) => {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  }));
}

// The URL follows the state, so a link reproduces the view. Discrete choices push a
// history entry at once. Typing and sliders replace the entry many times a second,
// and each history update costs the main thread a few milliseconds with a long text
// in the URL (about 25 ms with the page's CPU slowed 4×, a profile of typing showed),
// so those are coalesced: the URL is written once typing pauses for URL_DELAY_MS, and
// at least every URL_MAX_WAIT_MS while it goes on (at once before a push), so a
// reload in that moment can miss the last keystrokes.
const URL_DELAY_MS = 400, URL_MAX_WAIT_MS = 2000;
let pendingUrl = null, urlTimer = 0, pendingSince = 0;

function currentUrl() { return `${location.pathname}${location.search}${location.hash}`; }

function flushUrl() {
  clearTimeout(urlTimer);
  urlTimer = 0;
  const url = pendingUrl;
  pendingUrl = null;
  if (url === null || url === currentUrl()) return;
  try {
    history.replaceState(null, '', url);
  } catch {
    // Some browsers refuse history changes on file:// pages; the page still works.
  }
}

function writeUrl(state, push) {
  const { query: stateQuery, fragment } = linkParts(serializeState(state));
  // A checkpoint named in the URL stays named there, so a reload opens it again.
  const checkpoint = checkpointParam();
  const query = checkpoint === null ? stateQuery : [`checkpoint=${encodeURIComponent(checkpoint)}`, stateQuery].filter(Boolean).join('&');
  const url = `${location.pathname}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
  if (!push) {
    const now = performance.now();
    if (pendingUrl === null) pendingSince = now;
    pendingUrl = url;
    clearTimeout(urlTimer);
    urlTimer = setTimeout(flushUrl, Math.max(0, Math.min(URL_DELAY_MS, pendingSince + URL_MAX_WAIT_MS - now)));
    return;
  }
  flushUrl();  // the entry being left keeps the latest typed state
  if (url === currentUrl()) return;
  try {
    history.pushState(null, '', url);
  } catch {
    // As above.
  }
}

// Opens a model folder's files as a model of the page, its head report measured on the
// default model's probes (ordinary English), and switches to it; how far it is shows
// beside the button while it reads and loads, and what went wrong, if anything, is a
// notice.
let openedCount = 0;
async function openModel(session, files) {
  return installFolder(session, (options) => readModelFolder(files, options));
}

// A checkpoint beside the site, named in the URL (?checkpoint=PATH/), fetched from this
// origin only and opened as above, as the model "checkpoint" (so a link to it names it).
const CHECKPOINT_MODEL = 'checkpoint';
function checkpointParam() { return new URLSearchParams(location.search).get('checkpoint'); }
function openCheckpoint(session, param) {
  return installFolder(session, (options) => fetchModelFolder(checkpointUrl(param, location.href), options), CHECKPOINT_MODEL);
}

async function installFolder(session, read, fixedName = '') {
  const box = $('open-model-progress'), bar = box.querySelector('progress'), label = box.querySelector('span');
  let frame = 0;
  const show = ({ phase, done, total, size }) => {
    cancelAnimationFrame(frame);  // at most one update a frame: a file arrives in many small pieces
    frame = requestAnimationFrame(() => {
      box.hidden = false;
      const needs = `${grouped(size.parameters)} parameters, about ${grouped(size.peak_bytes / 1048576)} MB of memory`;
      if (phase === 'reading') {
        bar.value = total ? done / total : 0;
        label.textContent = `Reading model.safetensors into the weights: ${grouped(done / 1048576)} of ${grouped(total / 1048576)} MB (${needs})`;
      } else {
        bar.removeAttribute('value');  // indeterminate: the worker finishes the model
        label.textContent = `Finishing the model (${needs})…`;
      }
    });
  };
  $('open-model').disabled = true;
  try {
    // The weights go to the engine's worker piece by piece as they are read, and are
    // decoded there as they come: the page never holds the whole file.
    const folder = await read({
      sizeOf: (config, header) => session.engine.checkpointSize(config, header),
      open: (config, tokenizer, head) => session.engine.openStream({ config, tokenizer, head }),
      progress: show,
    });
    show({ phase: 'loading', size: folder.size });
    openedCount += 1;
    const name = fixedName || `opened-${openedCount}`;
    const title = fixedName ? `Checkpoint: ${folder.folder || 'of this site'}` : `Opened: ${folder.folder || 'a model folder'} (#${openedCount})`;
    const data = globalThis.LLMSIM_MODELS && globalThis.LLMSIM_MODELS[MANIFEST.default];
    await session.engine.installStream({ name, title, probes: data ? data.probes : null });
    session.set({ model: name, layer: 0, head: 0, ablate: [] }, { rerun: true, push: true });
  } catch (error) {
    session.notices.push(`The model could not be opened: ${error.message}`);
    session.render();
  } finally {
    cancelAnimationFrame(frame);
    box.hidden = true;
    $('open-model').disabled = false;
  }
}

function fillSelect(select, labels, current) {
  if (Array.from(select.options, (o) => o.textContent).join('\n') !== labels.join('\n'))
    select.replaceChildren(...labels.map((label, i) => new Option(label, String(i))));
  if (select.value !== String(current)) select.value = String(current);
}

// Controls reflect the state, whatever changed it: a run, Back/Forward, a view.
function syncControls(session) {
  const { state, summary, engine } = session;
  if ($('text').value !== state.text) $('text').value = state.text;
  fillSelect($('model'), engine.models.map((m) => m.title), engine.models.findIndex((m) => m.name === state.model));
  if (summary) {
    fillSelect($('layer'), Array.from({ length: summary.n_layer }, (_, i) => `Layer ${i}`), state.layer);
    fillSelect($('head'), Array.from({ length: summary.n_head }, (_, i) => `Head ${i}`), state.head);
  }
  $('scale').checked = state.scale;
  $('causal').checked = state.causal;
  syncMeasure($('measure'), state);
  $('hidefirst').checked = state.hidefirst;
  setText($('transform-note'), transformNote(state));
  $('transform-note').hidden = !$('transform-note').textContent;
  setText($('model-about'), modelAbout(engine.models.find((m) => m.name === state.model), state));
  showPresets(session);
}

// The measures the head views can draw (views/transforms.js), one option each. The
// grid draws single heads, so a measure across layers (rollout, the same for every
// head of a layer) is not offered there; the title says why.
const GRID_ONLY_PER_HEAD = 'The grid shows single heads; rollout mixes every head of a layer, so the grid draws attention weights.';
function syncMeasure(select, state) {
  if (select.options.length !== Object.keys(MEASURES).length)
    select.replaceChildren(...Object.entries(MEASURES).map(([name, m]) => new Option(m.title, name)));
  for (const option of select.options) {
    const unavailable = state.view === 'grid' && MEASURES[option.value].acrossLayers;
    option.disabled = unavailable && option.value !== state.measure;  // a link's choice stays shown
    option.title = unavailable ? GRID_ONLY_PER_HEAD : '';
  }
  select.value = state.measure;
}

// "Try:" buttons for the model's example sentences (web/models/presets.json): each sets
// the text and opens the head that shows its role, in the view where it shows.
function showPresets(session) {
  const box = $('presets');
  if (box.dataset.model === session.state.model) return;
  box.dataset.model = session.state.model;
  const list = presetsFor(session.state.model);
  box.replaceChildren(...(list.length ? [Object.assign(document.createElement('span'), { textContent: 'Try:', className: 'presets-label' })] : []),
    ...list.map((p) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = p.role;
      button.title = presetTitle(p);
      button.addEventListener('click', () => session.set({ text: p.text, layer: p.layer, head: p.head, view: p.view, token: null, ablate: [] }, { rerun: true, push: true }));
      return button;
    }));
}

// One line under the controls: what the model learned from, and, when scaling or the
// mask is off, that a trained model now runs outside what it was trained to do.
function modelAbout(model, state) {
  if (!model) return '';
  if (!model.trained || (state.scale && state.causal)) return model.about;
  const off = [!state.scale && 'without √dₖ scaling', !state.causal && 'without the causal mask'].filter(Boolean).join(' and ');
  return `${model.about} It was trained with scaling and the causal mask on; ${off} it runs outside what it learned, so what you see is an experiment, not its behaviour.`;
}

// The export buttons say when the view has no figure to export (the tokens view is
// text chips, not a drawing) instead of doing nothing.
function syncExports(panel, title) {
  const exports = { 'export-png': Boolean(panel.exportCanvas || panel.section.querySelector('canvas')), 'export-svg': Boolean(panel.exportSvg) };
  const what = { 'export-png': 'Download this view as a PNG image', 'export-svg': 'Download this view as an SVG vector drawing: shapes and text, for papers and editors' };
  for (const [id, ok] of Object.entries(exports)) {
    $(id).disabled = !ok;
    $(id).title = ok ? what[id] : `${title} is not drawn as a figure, so there is no image of it to export (Export JSON has its tokens)`;
  }
}

function buildTabs(session) {
  const tabs = $('tabs');
  tabs.replaceChildren(...VIEW_NAMES.map((name) => {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.id = `tab-${name}`;
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-controls', `view-${name}`);
    tab.textContent = viewNamed(name).title;
    tab.addEventListener('click', () => session.set({ view: name }, { push: true }));
    return tab;
  }));
  // Arrow keys move between tabs (the ARIA tabs pattern).
  tabs.addEventListener('keydown', (event) => {
    const i = VIEW_NAMES.indexOf(session.state.view);
    const next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const view = VIEW_NAMES[(next + VIEW_NAMES.length) % VIEW_NAMES.length];
    session.set({ view }, { push: true });
    $(`tab-${view}`).focus();
  });
}

function wireInputs(session, panels) {
  $('text').addEventListener('input', () => session.set({ text: $('text').value, token: null }, { rerun: true }));
  $('model').addEventListener('change', () => {
    session.set({ model: session.engine.models[Number($('model').value)].name, layer: 0, head: 0, ablate: [] }, { rerun: true, push: true });
  });
  // "Open a model…": the files of a model folder from disk, or dropped on the button.
  $('open-model').addEventListener('click', () => $('open-model-files').click());
  $('open-model-files').addEventListener('change', () => {
    openModel(session, $('open-model-files').files);
    $('open-model-files').value = '';
  });
  $('open-model').addEventListener('dragover', (event) => event.preventDefault());
  $('open-model').addEventListener('drop', (event) => {
    event.preventDefault();
    openModel(session, event.dataTransfer.files);
  });
  $('layer').addEventListener('change', () => session.set({ layer: Number($('layer').value) }, { push: true }));
  $('head').addEventListener('change', () => session.set({ head: Number($('head').value) }, { push: true }));
  $('scale').addEventListener('change', () => session.set({ scale: $('scale').checked }, { rerun: true, push: true }));
  $('causal').addEventListener('change', () => session.set({ causal: $('causal').checked }, { rerun: true, push: true }));
  // What the head views draw: view-side choices, no new run.
  $('measure').addEventListener('change', () => session.set({ measure: $('measure').value }, { push: true }));
  $('hidefirst').addEventListener('change', () => session.set({ hidefirst: $('hidefirst').checked }, { push: true }));
  // Arrow keys move the selected token, wherever focus is but in a form field; on a
  // token chip they move from that chip (the tokens view keeps focus on the selection).
  document.addEventListener('keydown', (event) => {
    const T = session.summary ? session.summary.tokens.length : 0;
    if (T === 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    if (event.target.closest && event.target.closest('textarea, input, select, [role="tablist"], #heatmap-canvas')) return;
    event.preventDefault();
    const chip = event.target.closest && event.target.closest('#token-chips [data-index]');
    const from = chip ? Number(chip.dataset.index) : session.focusToken();
    const next = Math.max(0, Math.min(T - 1, from + (event.key === 'ArrowRight' ? 1 : -1)));
    session.set({ token: next });
  });
  window.addEventListener('popstate', () => {
    // A coalesced write belongs to the entry just left; it must not land on this one.
    pendingUrl = null;
    clearTimeout(urlTimer);
    urlTimer = 0;
    const { state, notices } = parseState(linkParams(location.search, location.hash).toString());
    session.notices = notices;
    session.state = state;
    session.run();
  });
  let resizeFrame = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => session.render());
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => session.render());
  $('export-json').addEventListener('click', async () => {
    const trace = await session.engine.traceJson();
    downloadBlob(new Blob([JSON.stringify(trace)], { type: 'application/json' }), 'attention-trace.json');
  });
  $('embed-open').addEventListener('click', () => {
    const { iframe, component } = embedSnippets(session.state, location.href);
    $('embed-iframe').value = iframe;
    $('embed-component').value = component;
    $('embed-copied').textContent = '';
    $('embed-dialog').showModal();
  });
  $('embed-dialog').addEventListener('click', async (event) => {
    const id = event.target.dataset && event.target.dataset.copy;
    if (!id) return;
    $(id).select();
    try {
      await navigator.clipboard.writeText($(id).value);
      $('embed-copied').textContent = 'Copied.';
    } catch {
      $('embed-copied').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  });
  // An exported figure carries its caption (what it shows, and the text) above it,
  // unless the reader unticks "caption"; PNG and SVG alike.
  const captioned = (figure) => {
    if (!$('export-caption').checked) return figure;
    const caption = exportCaption(session.state, { viewTitle: viewNamed(session.state.view).title, modelTitle: session.engine.modelTitle(session.state.model) });
    return captionedCanvas(figure, caption, session.theme());
  };
  $('export-png').addEventListener('click', () => {
    const panel = panels[session.state.view];  // a panel that draws only what is in view exports the whole
    const canvas = panel.exportCanvas ? panel.exportCanvas() : panel.section.querySelector('canvas');
    if (!canvas) return;
    captioned(canvas).toBlob((blob) => downloadBlob(blob, `attention-${session.state.view}.png`));
  });
  // The view drawn again into a recording canvas (export/svg-context.js): shapes and text.
  $('export-svg').addEventListener('click', () => {
    const panel = panels[session.state.view];
    const figure = panel.exportSvg && panel.exportSvg();
    if (!figure) return;
    downloadBlob(new Blob([captioned(figure).toSvg()], { type: 'image/svg+xml' }), `attention-${session.state.view}.svg`);
  });
}

async function main() {
  showStatus('Loading the simulator…', false);
  const { state, notices } = parseState(linkParams(location.search, location.hash).toString());
  // The checkpoint is installed after the start: until then the page shows the default.
  const checkpoint = checkpointParam();
  if (checkpoint !== null && state.model === CHECKPOINT_MODEL) state.model = DEFAULT_STATE.model;
  let engine;
  try {
    startPainting();  // beside the engine's worker: the views draw in it
    engine = await createAsyncEngine();
  } catch (error) {
    showStatus(`The simulator could not start: ${error.message}`, true);
    return;
  }
  const panels = {};
  let ran = false;  // a run (or its error) has come back
  let shownView = null;  // the view whose section is shown
  let cancelSwitch = () => {};  // cancels the drawing of a view just switched to
  const session = new Session(engine, state, document.documentElement, {
    // The controls follow a change at once; the views follow when its run is back.
    onState(changed, push) {
      writeUrl(changed, push);
      syncControls(session);
    },
    needs: () => (panels[session.state.view].needs ? panels[session.state.view].needs() : []),
    predicts: () => Boolean(panels[session.state.view].predicts),
    onLoading(title) {
      // A model chosen for the first time: its script is on its way (engine.ensureModel).
      syncControls(session);
      showStatus(`Loading the model “${title}”…`, false);
      document.body.dataset.loading = 'true';
    },
    onRun(summary, error) {
      delete document.body.dataset.loading;
      syncControls(session);
      if (error) showStatus(error.message, true);
      else showStatus(statusLine(summary, session.state.text), Boolean(summary.warning));
      ran = true;
    },
    onRender() {
      syncControls(session);  // a view may change the layer or head (a grid thumbnail)
      showNotices(session.notices);
      const view = session.state.view;
      if (view !== shownView) {
        // Another view: its section shows now and the browser lays it out with the next
        // frame; the panel draws in a task after that. On a slow machine the two in one
        // task (a section's first layout, then the panel's script) were a long task.
        // (The page's first view draws at once.)
        const first = shownView === null;
        shownView = view;
        for (const name of VIEW_NAMES) {
          const visible = name === view;
          panels[name].section.hidden = !visible;
          $(`tab-${name}`).setAttribute('aria-selected', String(visible));
          $(`tab-${name}`).tabIndex = visible ? 0 : -1;
        }
        cancelSwitch();
        if (!first) {
          cancelSwitch = afterNextFrame(() => { cancelSwitch = () => {}; session.render(); });
          return;
        }
      }
      cancelSwitch();  // (this draws the switch's view, with the state as it is now)
      cancelSwitch = () => {};
      panels[view].render();
      syncExports(panels[view], viewNamed(view).title);
      // Drawn (in the painting worker) and on screen: the tests and benches wait for these.
      const whole = ran && !session.loading && !session.waiting(), drawn = Boolean(session.summary);
      onScreen().then(() => {
        if (session.state.view === view) document.body.dataset.view = view;
        if (!whole) return;
        document.body.dataset.ready = 'true';  // the first run (or its error) is on screen, whole
        document.body.dataset.engine = engine.where;  // 'worker', or 'main thread' under a CSP that refuses it
        document.body.dataset.painter = painterWhere();  // the same for the views' drawing
        if (drawn && !performance.getEntriesByName('llmsim:first-draw').length) performance.mark('llmsim:first-draw');
      });
    },
  });
  session.notices = notices;
  initThemeToggle($('theme-toggle'), () => session.render());
  buildTabs(session);
  for (const name of VIEW_NAMES) {
    panels[name] = mountView(name, session, (section) => {
      section.setAttribute('aria-labelledby', `tab-${name}`);
      $('views').append(section);
    });
  }
  wireInputs(session, panels);
  syncControls(session);
  window.__llmsim = session;  // for the browser tests and the curious
  session.run();
  if (checkpoint !== null) openCheckpoint(session, checkpoint);
}

main();
