// Compare panel: the selected head beside a second matrix that shares its text, and
// their difference. The second is another head of the same run, the same head with
// √dₖ scaling switched, or the same head on a second text (by default the text typed
// twice, where an induction head's second copy differs). The two runs that need the
// model again (scaling, text) go to a second engine (Session.sideRun), so typing keeps
// the first engine's KV cache. It compares heads, so under rollout (one matrix per
// layer) it draws the heads' weights, as the grid does.
import { drawHeatmap } from '../heatmap/draw.js';
import { canvasLike, prepareCanvas, quoted } from '../canvas.js';
import { svgFigure } from '../../export/svg-context.js';
import { clearCanvas, figureCanvas, paint } from '../../paint/painter.js';
import { MEASURES, hideFirstToken, measureMatrix, perHeadMeasure, shownMatrix, shownNeeds } from '../transforms.js';
import { differenceOf, sharedPrefix } from './differences.js';
import { cancelIdle, whenIdle } from '../idle.js';

// The view's controls, canvases, read-out and guide: constant, trusted markup (no user
// text ever goes in here; titles are set with textContent).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <label>Beside the selected head, show <select id="compare-mode">
        <option value="head">another head</option>
        <option value="unscaled">itself with √dₖ switched</option>
        <option value="text">itself on a second text</option>
      </select></label>
      <span id="compare-head-controls" class="view-controls-group">
        <label>Layer <select id="compare-layer"></select></label>
        <label>Head <select id="compare-head"></select></label>
      </span>
      <label id="compare-text-controls" class="compare-text">Second text
        <input id="compare-text" type="text" spellcheck="false" autocomplete="off" placeholder="empty: the text typed twice"></label>
    </div>
    <div class="compare-pair">
      <figure><figcaption id="compare-a-title"></figcaption><canvas id="compare-a" role="img" aria-label="The selected head's matrix"></canvas></figure>
      <figure><figcaption id="compare-b-title"></figcaption><canvas id="compare-b" role="img" aria-label="The matrix it is compared with"></canvas></figure>
    </div>
    <figure class="compare-difference"><figcaption id="compare-diff-title"></figcaption>
      <canvas id="compare-diff" role="img" aria-label="Their difference, right minus left" aria-describedby="compare-summary"></canvas></figure>
    <output id="compare-summary" class="readout" aria-live="polite"></output>
  </div>
  <aside class="guide">
    <h2>Side by side</h2>
    <p>The left matrix is the selected head (the page's layer, head and measure); the right one
      is what you choose to set beside it; below, right minus left: orange where the right one
      attends more, blue where it attends less.</p>
    <p>Switch √dₖ to see what the scaling does to one trained head, or compare a sentence with
      itself typed twice.</p>
    <p class="look">Look, on the text typed twice, at the second copy's rows: an induction head attends
      to the token after the earlier copy of the current one. The first copy's rows do not change at
      all: a causal model cannot see what comes later.</p>
  </aside>
`;

export const view = { name: 'compare', title: 'Compare', markup: MARKUP, mount: mountCompare };

const GAP = 16;
// The difference map's smallest colour limit: two equal matrices (a causal model's first
// copy of a repeated text) show as equal, not as rounding noise stretched to full colour.
const MIN_LIMIT = 0.01;

export function mountCompare(section, session) {
  const $ = (id) => section.querySelector(`#${id}`);
  const mode = $('compare-mode'), layerSelect = $('compare-layer'), headSelect = $('compare-head');
  const textInput = $('compare-text');
  const canvases = { a: $('compare-a'), b: $('compare-b'), diff: $('compare-diff') };
  const titles = { a: $('compare-a-title'), b: $('compare-b-title'), diff: $('compare-diff-title') };
  const summaryLine = $('compare-summary');
  canvases.b.width = canvases.diff.width = 0;  // drawn in idle time: no blank 300 × 150 box before that
  let side = { key: null, reply: null, error: null };  // the second run on hand, and what it was of
  let drawings = [];  // what is on screen: { key, data, options } of a heatmap each
  let idleJob = 0, pending = null;  // the other matrix or the difference, waiting for idle time

  mode.addEventListener('change', () => session.set({ compare: mode.value }, { push: true }));
  layerSelect.addEventListener('change', () => session.set({ cmplayer: Number(layerSelect.value) }, { push: true }));
  headSelect.addEventListener('change', () => session.set({ cmphead: Number(headSelect.value) }, { push: true }));
  textInput.addEventListener('input', () => session.set({ cmptext: textInput.value }));

  // The second head of the 'head' comparison, kept inside the model.
  function otherHead() {
    const { n_layer: nLayer, n_head: nHead } = session.summary;
    return { layer: Math.min(session.state.cmplayer, nLayer - 1), head: Math.min(session.state.cmphead, nHead - 1) };
  }

  // The second run the state asks for ({ key, text, options, needs }), or null when the
  // comparison is within the run on screen (another head).
  function sideRequest() {
    const { state } = session;
    if (state.compare === 'head') return null;
    const text = state.compare === 'text' ? (state.cmptext || `${state.text} ${state.text}`) : state.text;
    const scale = state.compare === 'unscaled' ? !state.scale : state.scale;
    const options = { scale, causal: state.causal, ...session.engine.modelOptions(state), predict: false };
    const needs = MEASURES[perHeadMeasure(state.measure)].needs(state.layer, state.head);
    return { key: JSON.stringify([text, options, needs]), text, options, needs };
  }

  function fetchSide(request) {
    side = { key: request.key, reply: null, error: null };
    session.sideRun(request.text, request.options, request.needs).then((reply) => {
      if (reply === null || side.key !== request.key) return;  // a newer request replaced it
      side.reply = reply;
      render();
    }, (error) => {
      if (side.key !== request.key) return;
      side.error = error;
      render();
    });
  }

  // The right-hand matrix: { tokens, data, title } or a string saying why there is none yet.
  function right(request) {
    const { state, summary } = session;
    const measure = MEASURES[perHeadMeasure(state.measure)].title;
    if (!request) {
      const { layer, head } = otherHead();
      return { tokens: summary.tokens, data: shownMatrix(session, layer, head, perHeadMeasure(state.measure)), title: `layer ${layer}, head ${head} · ${measure}` };
    }
    if (side.key !== request.key) fetchSide(request);
    if (side.error) return `The second run failed: ${side.error.message}`;
    if (!side.reply) return 'Running the model on the second configuration…';
    const tokens = side.reply.summary.tokens;
    let data = measureMatrix(perHeadMeasure(state.measure), [...side.reply.matrices.values()].map((m) => m.data));
    if (state.hidefirst) data = hideFirstToken(data, tokens.length);
    const what = state.compare === 'unscaled' ? (request.options.scale ? 'with √dₖ' : 'without √dₖ') : `on the second text (${tokens.length} tokens)`;
    return { tokens, data, title: `layer ${state.layer}, head ${state.head} ${what} · ${measure}` };
  }

  function syncControls() {
    const { state, summary } = session;
    if (mode.value !== state.compare) mode.value = state.compare;
    $('compare-head-controls').hidden = state.compare !== 'head';
    $('compare-text-controls').hidden = state.compare !== 'text';
    fill(layerSelect, summary.n_layer, 'Layer', otherHead().layer);
    fill(headSelect, summary.n_head, 'Head', otherHead().head);
    if (textInput.value !== state.cmptext) textInput.value = state.cmptext;
  }

  function render() {
    const { state, summary } = session;
    if (!summary || summary.tokens.length === 0) {
      cancelIdle(idleJob);
      pending = null;
      drawings = [];
      for (const c of Object.values(canvases)) clearCanvas(c);
      summaryLine.textContent = '';
      return;
    }
    // The width is read before the controls are written (see qkv/panel.js).
    const half = Math.max(200, Math.floor((section.querySelector('.view-main').clientWidth - GAP) / 2));
    syncControls();
    const theme = session.theme();
    const hiddenColumn = state.hidefirst ? 0 : null;
    drawings = [];
    const measure = perHeadMeasure(state.measure);
    const frame = { summary, half, theme, hiddenColumn, measure, legend: MEASURES[measure].legend,
      left: { tokens: summary.tokens, data: shownMatrix(session, state.layer, state.head, measure) } };
    titles.a.textContent = `Selected: layer ${state.layer}, head ${state.head}${state.scale ? '' : ' without √dₖ'} · ${MEASURES[measure].title}`;
    show('a', { tokens: frame.left.tokens, weights: frame.left.data, causal: summary.causal },
      { width: half, theme, selected: state.token, legend: frame.legend, hiddenColumn });
    // The selected head at once; the other matrix, then the difference, when the
    // browser is idle, each a task of its own: a keystroke waits for one matrix, not three.
    later(() => drawOther(frame));
  }

  // Runs `work` when the browser is idle, in place of any work still waiting.
  function later(work) {
    cancelIdle(idleJob);
    pending = work;
    idleJob = whenIdle(() => { pending = null; work(); });
  }

  // Does the waiting work now (an export must show all three).
  function finish() {
    while (pending) {
      cancelIdle(idleJob);
      const work = pending;
      pending = null;
      work();
    }
  }

  function drawOther(frame) {
    const { summary, half, theme, hiddenColumn, legend } = frame;
    const other = right(sideRequest());
    if (typeof other === 'string') {
      titles.b.textContent = other;
      clearCanvas(canvases.b);
      clearCanvas(canvases.diff);
      titles.diff.textContent = '';
      summaryLine.textContent = '';
      return;
    }
    titles.b.textContent = other.title;
    show('b', { tokens: other.tokens, weights: other.data, causal: summary.causal },
      { width: half, theme, selected: session.state.token, legend, hiddenColumn });
    later(() => drawDifference(frame, other));
  }

  function drawDifference({ summary, half, theme, hiddenColumn, left }, other) {
    const n = sharedPrefix(left.tokens, other.tokens);
    if (n === 0) {
      clearCanvas(canvases.diff);
      titles.diff.textContent = 'No difference map: the two texts share no leading tokens.';
      summaryLine.textContent = '';
      return;
    }
    const diff = differenceOf(left.data, left.tokens.length, other.data, other.tokens.length, n, summary.causal);
    const over = n < Math.max(left.tokens.length, other.tokens.length) ? ` over the ${n === 1 ? 'one token' : `${n} tokens`} both texts begin with` : '';
    titles.diff.textContent = `Right − left${over}: orange where the right attends more, blue where it attends less`;
    show('diff', { tokens: left.tokens.slice(0, n), weights: diff.data, causal: summary.causal },
      { width: half, theme, selected: session.state.token, hiddenColumn, signed: Math.max(diff.limit, MIN_LIMIT) })
      .then((layout) => { if (layout) window.__llmsimCompareLayout = layout; });  // (the browser tests find cells by it)
    summaryLine.textContent = diff.largest
      ? `Largest difference: query ${quoted(left.tokens[diff.largest.query])} (#${diff.largest.query}) → key ${quoted(left.tokens[diff.largest.key])} (#${diff.largest.key}), ${signed(diff.largest.value)} · mean |difference| ${diff.meanAbs.toPrecision(3)}`
      : 'The two matrices are the same here.';
    summaryLine.dataset.meanAbs = String(diff.meanAbs);
  }

  // Draws one of the three on screen (in the painting worker), and keeps how, for the
  // exported figure.
  function show(key, data, options) {
    drawings.push({ key, data, options });
    return paint(canvases[key], 'heatmap', data, options);
  }

  // The exported figure (PNG or SVG, by `canvas`'s kind): what is on screen, each
  // matrix under its title, the pair side by side and their difference below.
  function drawFigure(canvas) {
    finish();
    if (!drawings.length) return false;
    const theme = session.theme(), TITLE = 22;
    const parts = drawings.map(({ key, data, options }) => {
      const target = canvasLike(canvas);
      const layout = drawHeatmap(target, data, options);
      return { key, target, width: layout.width, height: layout.height };
    });
    const place = { a: [0, 0], b: [1, 0], diff: [0, 1] };
    const colW = Math.max(...parts.map((p) => p.width)), rowH = Math.max(...parts.map((p) => p.height)) + TITLE;
    const rows = parts.some((p) => p.key === 'diff') ? 2 : 1, cols = parts.some((p) => p.key === 'b') ? 2 : 1;
    const ctx = prepareCanvas(canvas, cols * colW + (cols - 1) * GAP, rows * rowH);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, cols * colW + (cols - 1) * GAP, rows * rowH);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    for (const part of parts) {
      const [c, r] = place[part.key], x = c * (colW + GAP), y = r * rowH;
      ctx.fillStyle = theme.muted;
      ctx.fillText(titles[part.key].textContent, x, y + 4, (part.key === 'diff' ? 2 * colW + GAP : colW) - 4);
      ctx.drawImage(part.target, x, y + TITLE, part.width, part.height);
    }
    return true;
  }

  function needs() {
    const measure = perHeadMeasure(session.state.measure);
    const list = shownNeeds(session, session.state.layer, session.state.head, measure);
    if (session.state.compare === 'head' && session.summary) {
      const { layer, head } = otherHead();
      list.push(...shownNeeds(session, layer, head, measure));
    }
    return list;
  }
  return {
    render, needs,
    exportCanvas: () => figureCanvas(drawFigure),
    exportSvg: () => svgFigure(drawFigure),
  };
}

function fill(select, count, label, current) {
  if (select.options.length !== count)
    select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(`${label} ${i}`, String(i))));
  if (select.value !== String(current)) select.value = String(current);
}

function signed(x) { return `${x >= 0 ? '+' : '−'}${Math.abs(x).toPrecision(3)}`; }
