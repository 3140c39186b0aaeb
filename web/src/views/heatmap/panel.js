// Heatmap panel: the selected head's weights with hover read-out, zoom (buttons,
// wheel), pan (drag) and keyboard navigation of cells. In rollout mode (a measure
// across layers) the selected head's own weights are drawn smaller beside it, for
// contrast.
import { heatmapCellAt, heatmapLayout, fitCell } from './draw.js';
import { clearCanvas, figureCanvas, paint, figure as figureOf } from '../../paint/painter.js';
import { clearTable, fillTableWhenIdle, topWeightsRows } from '../alt-table.js';
import { quoted } from '../canvas.js';
import { matrixNeed } from '../../needs.js';
import { MEASURES, measureMatrix, shownMatrix, shownNeeds, shownTitle } from '../transforms.js';
import { svgFigure } from '../../export/svg-context.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <button type="button" id="zoom-in" aria-label="Zoom in">+</button>
      <button type="button" id="zoom-out" aria-label="Zoom out">−</button>
      <button type="button" id="zoom-fit">Fit</button>
      <span class="hint">drag to pan · arrow keys move the cell</span>
    </div>

    <div class="heatmap-pair">
      <canvas id="heatmap-canvas" tabindex="0" role="img" aria-label="Attention weights, query by key" aria-describedby="heatmap-table"></canvas>
      <figure id="heatmap-contrast" class="heatmap-contrast" hidden>
        <canvas id="heatmap-contrast-canvas" role="img" aria-label="The selected head's own attention weights, for contrast"></canvas>
        <figcaption id="heatmap-contrast-caption"></figcaption>
      </figure>
    </div>
    <output id="readout" class="readout" aria-live="polite"></output>
    <details class="alt"><summary>As a table</summary><table id="heatmap-table"></table></details>
  </div>
  <aside class="guide">
    <h2>The attention matrix</h2>
    <p>Row <i>i</i> is token <i>i</i> asking; column <i>j</i> is token <i>j</i> answering; the colour
      is how much of <i>j</i>'s value flows into <i>i</i>. Each row is a softmax, so it sums to 1.</p>
    <p>Hatched cells lie in the future: the causal mask hides them. Hover a cell for its raw score,
      its scaled score and its weight.</p>
    <p>“What moves” weighs each cell by the length of what that key's value adds through
      this head (‖v·W_O‖) and shows each row's shares. “How much moves” does not renormalise
      the rows: each cell is α·‖v·W_O‖ against the longest ‖v·W_O‖ of the text, so a sink head's
      big weight on the first token, whose vector is short, shows how little it moves.</p>
    <p>“Through all layers (rollout)” follows attention back through every layer up to the
      chosen one: each layer's heads averaged, half of each layer's mixing left to the residual
      stream, the layers multiplied. A row shows which input tokens that position draws on
      by then. The chosen head's own weights are drawn smaller beside it (below it on a narrow screen).</p>
    <p class="look">Look for a bright first column (a head resting on the first token), a bright line just under the diagonal (the previous token), and, on a sentence typed twice, a stripe one sentence-length below it (an induction head).</p>
  </aside>
`;

export const view = { name: 'heatmap', title: 'Heatmap', markup: MARKUP, mount: mountHeatmap };

const MAX_CELL = 36;

export function mountHeatmap(section, session) {
  const canvas = section.querySelector('#heatmap-canvas');
  const pair = section.querySelector('.heatmap-pair');
  const contrast = section.querySelector('#heatmap-contrast');
  const contrastCanvas = section.querySelector('#heatmap-contrast-canvas');
  const contrastCaption = section.querySelector('#heatmap-contrast-caption');
  const readout = section.querySelector('#readout');
  const table = section.querySelector('#heatmap-table');
  let layout = null;
  let hover = null;
  let zoom = null;  // null: fit the whole matrix
  let drag = null;
  let figure = null;  // the last drawing, as a function of its canvas: Export SVG draws it again

  // The main matrix's width: the whole row, or its larger part when the head's own
  // weights are drawn beside it (contrastWidth).
  const acrossLayers = () => Boolean(MEASURES[session.state.measure].acrossLayers);
  const sideBySide = () => acrossLayers() && pair.clientWidth >= SIDE_BY_SIDE;
  const width = () => (sideBySide() ? Math.floor(pair.clientWidth * 0.6) : pair.clientWidth);
  const contrastWidth = () => (sideBySide() ? pair.clientWidth - width() - PAIR_GAP : Math.min(pair.clientWidth, 420));
  const T = () => (session.summary ? session.summary.tokens.length : 0);

  function setZoom(cell, centre) {
    const fit = fitCell(T(), Math.min(width(), 900) - 100);
    if (cell <= fit * 1.01) { zoom = null; render(); return; }
    const next = heatmapLayout(T(), width(), { cell: Math.min(MAX_CELL, cell), row0: 0, col0: 0 });
    const c = centre || { query: (layout ? layout.row0 + layout.count / 2 : 0), key: (layout ? layout.col0 + layout.count / 2 : 0) };
    zoom = { cell: next.cell, row0: c.query - next.count / 2, col0: c.key - next.count / 2 };
    render();
  }

  // The matrix drawn: the page's measure, with the first token hidden if asked.
  const shown = () => shownMatrix(session);

  const zoomIn = section.querySelector('#zoom-in'), zoomOut = section.querySelector('#zoom-out');
  const zoomFit = section.querySelector('#zoom-fit');
  zoomIn.addEventListener('click', () => setZoom((layout ? layout.cell : 4) * 2, hover));
  zoomOut.addEventListener('click', () => setZoom((layout ? layout.cell : 4) / 2, hover));
  zoomFit.addEventListener('click', () => { zoom = null; render(); });
  canvas.addEventListener('wheel', (event) => {
    if (!layout || !event.ctrlKey && !event.shiftKey) return;  // plain wheel scrolls the page
    event.preventDefault();
    setZoom(layout.cell * (event.deltaY < 0 ? 1.25 : 0.8), hover);
  }, { passive: false });

  function localPoint(event) {
    const rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }
  canvas.addEventListener('mousedown', (event) => {
    if (zoom) drag = { ...localPoint(event), row0: layout.row0, col0: layout.col0 };
  });
  window.addEventListener('mouseup', () => { drag = null; });
  canvas.addEventListener('mousemove', (event) => {
    if (!layout) return;
    const p = localPoint(event);
    if (drag) {
      zoom = { ...zoom, row0: drag.row0 - (p.y - drag.y) / layout.cell, col0: drag.col0 - (p.x - drag.x) / layout.cell };
      render();
      return;
    }
    const cell = heatmapCellAt(layout, p.x, p.y);
    if (JSON.stringify(cell) !== JSON.stringify(hover)) { hover = cell; render(); }
  });
  canvas.addEventListener('click', () => { if (hover && !drag) session.set({ token: hover.query }); });
  canvas.addEventListener('keydown', (event) => {
    const n = T();
    if (n === 0) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (event.key === '+' || event.key === '=') { setZoom(layout.cell * 2, hover); return; }
    if (event.key === '-') { setZoom(layout.cell / 2, hover); return; }
    if (!moves[event.key]) return;
    event.preventDefault();
    const start = hover || { query: session.focusToken(), key: 0 };
    const [dq, dk] = moves[event.key];
    hover = { query: clamp(start.query + dq, n), key: clamp(start.key + dk, n) };
    if (zoom) keepVisible(hover);
    session.set({ token: hover.query });
  });
  canvas.addEventListener('blur', () => { hover = null; render(); });

  function keepVisible(cell) {
    const { count } = layout;
    if (cell.query < zoom.row0) zoom.row0 = cell.query;
    if (cell.query >= zoom.row0 + count) zoom.row0 = cell.query - count + 1;
    if (cell.key < zoom.col0) zoom.col0 = cell.key;
    if (cell.key >= zoom.col0 + count) zoom.col0 = cell.key - count + 1;
  }

  function showReadout() {
    const summary = session.summary;
    if (!hover || !summary) { delete readout.dataset.query; readout.textContent = 'Hover a cell (or focus the matrix and use the arrow keys) to read its numbers.'; return; }
    const { query, key } = hover;
    const n = summary.tokens.length, at = query * n + key;
    const weights = session.matrix('weights').data;
    const value = shown()[at];
    const q = quoted(summary.tokens[query]), k = quoted(summary.tokens[key]);
    readout.dataset.query = String(query);
    readout.dataset.key = String(key);
    readout.dataset.weight = String(weights[at]);
    readout.dataset.shown = String(value);
    if (summary.causal && key > query) {
      readout.textContent = `Query ${q} (#${query}) cannot see key ${k} (#${key}): it comes later, so the causal mask hides it.`;
      return;
    }
    const fmt = (x) => Number(x).toPrecision(6);
    const { layer, head } = session.state;
    const rolled = acrossLayers() ? `rollout through layers 0–${layer} ${fmt(session.rollout().data[at])} · layer ${layer} head ${head} alone: ` : '';
    const moved = `moves ${fmt(session.matrix('contributions').data[at])} of the row (‖v·W_O‖ ${fmt(session.matrix('value_norms').data[key])})`;
    const amount = session.state.measure === 'amount' ? ` · α·‖v·W_O‖ of the longest ${fmt(measureMatrix('amount', [weights, session.matrix('value_norms').data])[at])}` : '';
    const hidden = session.state.hidefirst ? ` · shown ${fmt(value)} (first token hidden)` : '';
    readout.textContent = `Query ${q} (#${query}) → key ${k} (#${key}): ${rolled}weight ${fmt(weights[at])} · ${moved} · raw q·k ${fmt(session.matrix('scores').data[at])} · scaled ${fmt(session.matrix('scaled').data[at])}${amount}${hidden}`;
  }

  function render() {
    const summary = session.summary;
    if (!summary || summary.tokens.length === 0) {
      layout = figure = null;
      clearCanvas(canvas);
      contrast.hidden = true;
      readout.textContent = '';
      clearTable(table);
      return;
    }
    if (hover && (hover.query >= summary.tokens.length || hover.key >= summary.tokens.length)) hover = null;
    const weights = shown();
    const options = {
      width: width(), theme: session.theme(), hover, selected: session.state.token, zoom,
      legend: MEASURES[session.state.measure].legend, hiddenColumn: session.state.hidefirst ? 0 : null,
    };
    const data = { tokens: summary.tokens, weights, causal: summary.causal };
    figure = figureOf('heatmap', data, options);
    // Drawn in the painting worker: until it is, the pointer meets the drawing on screen
    // (the layout it was drawn with). The layout is computed here too, from the same
    // numbers, so that zoom and the buttons follow at once.
    layout = heatmapLayout(summary.tokens.length, options.width, zoom);
    paint(canvas, 'heatmap', data, options, [layout.width, layout.height]);
    window.__llmsimHeatmapLayout = layout;  // read by the browser tests to find cells
    if (zoom) Object.assign(zoom, { row0: layout.row0, col0: layout.col0 });
    canvas.setAttribute('aria-label', `${shownTitle(session.state)}: ${MEASURES[session.state.measure].title}, query by key`);
    drawContrast(summary);
    // A button that would do nothing says so: cells already at their largest, or the
    // whole matrix already in view.
    zoomIn.disabled = layout.cell >= MAX_CELL;
    zoomOut.disabled = zoomFit.disabled = !zoom;
    showReadout();
    fillTableWhenIdle(table, `${shownTitle(session.state)}: each token's strongest keys`,
      weights, () => topWeightsRows(summary.tokens, weights));
  }

  // In rollout mode, the selected head's own weights in the last layer of the rollout,
  // as computed (no view transform), smaller: what that layer alone does, against what
  // all the layers up to it do together.
  function drawContrast(summary) {
    contrast.hidden = !acrossLayers();
    if (contrast.hidden) return;
    const { layer, head } = session.state;
    const w = contrastWidth();
    paint(contrastCanvas, 'heatmap', { tokens: summary.tokens, weights: session.matrix('weights').data, causal: summary.causal }, {
      width: w, theme: session.theme(), hover, selected: session.state.token, zoom: null, legend: 'weight',
    });
    contrast.style.width = `${w}px`;
    contrastCanvas.setAttribute('aria-label', `Layer ${layer}, head ${head} alone: its attention weights, query by key, for contrast`);
    contrastCaption.textContent = `Layer ${layer}, head ${head} alone, its raw weights. The rollout adds what the layers ` +
      'before already mixed in and the residual stream passing through (its bright diagonal).';
  }

  // The matrix it draws and the weights and contributions it quotes (and, for
  // rollout, draws beside it).
  function needs() {
    const { layer, head } = session.state;
    const own = ['weights', 'scores', 'scaled', 'contributions', 'value_norms'].map((name) => matrixNeed(name, layer, head));
    return [...own, ...shownNeeds(session)];  // (the engine asks once for a need listed twice)
  }
  return { render, needs, exportCanvas: () => figure && figureCanvas(figure), exportSvg: () => figure && svgFigure(figure) };
}

// The pair of heatmaps sits side by side from this width of the view (CSS px), else
// the head's own weights go below the rollout.
const SIDE_BY_SIDE = 640, PAIR_GAP = 16;

function clamp(i, n) { return Math.max(0, Math.min(n - 1, i)); }
