// Arcs panel: one head, or several overlaid in their own colours; a threshold; hover
// or select a token to see only its arcs. The row scrolls sideways; the canvas draws
// only the stretch in view, so a long text costs what is on screen.
import { arcsLayout, arcsTokenAt, arcsWindow, drawArcs } from './draw.js';
import { headColor } from '../colormap.js';
import { clearTable, fillTableWhenIdle, topWeightsRows } from '../alt-table.js';
import { MORE_CUES, updateScrollCue } from '../scroll-cue.js';
import { measuringContext, quoted } from '../canvas.js';
import { MEASURES, shownMatrix, shownNeeds, shownTitle } from '../transforms.js';
import { svgFigure } from '../../export/svg-context.js';
import { clearCanvas, figureCanvas, paint } from '../../paint/painter.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <fieldset class="head-picks"><legend>Overlay heads</legend><span id="arcs-heads"></span><span id="arcs-mixed" class="hint" hidden>rollout mixes every head</span></fieldset>
      <label>hide weights below <input type="range" id="threshold" min="0" max="0.5" step="0.01" value="0.02"> <output id="threshold-value">0.02</output></label>
    </div>
    <div class="scroll-wrap">
      <div class="scroll arcs-scroll"><div class="arcs-row"><canvas id="arcs-canvas" tabindex="0" role="img" aria-label="Attention arcs between tokens" aria-describedby="arcs-table"></canvas></div></div>
      ${MORE_CUES}
    </div>
    <output id="arcs-readout" class="readout" aria-live="polite"></output>
    <details class="alt"><summary>As a table</summary><table id="arcs-table"></table></details>
  </div>
  <aside class="guide">
    <h2>Who looks at whom</h2>
    <p>Each token asks a question — its <em>query</em> — and every token it can see answers with a
      <em>key</em>. An arc runs from the asking token to each token it draws from; the thicker the
      arc, the more that token's value counts.</p>
    <p>Arrows point back in time: under the causal mask a token can only look at itself and
      what came before. Hover or select a token to see only its arcs; tick more heads to compare them.</p>
    <p class="look">Look for thick arcs from every token back to <code>&lt;bos&gt;</code>: a head parks its attention there when nothing else is useful. Arcs that all hop one token left are a previous-token head.</p>
  </aside>
`;

export const view = { name: 'arcs', title: 'Arcs', markup: MARKUP, mount: mountArcs };

export function mountArcs(section, session) {
  const canvas = section.querySelector('#arcs-canvas');
  const picks = section.querySelector('#arcs-heads');
  const mixedNote = section.querySelector('#arcs-mixed');
  const threshold = section.querySelector('#threshold');
  const thresholdValue = section.querySelector('#threshold-value');
  const table = section.querySelector('#arcs-table');
  const readout = section.querySelector('#arcs-readout');
  const scroller = section.querySelector('.arcs-scroll');
  const row = section.querySelector('.arcs-row');
  let hover = null;
  let layout = null;
  let drawing = null;  // the last render's data and options, for redraws on scroll
  let scrollFrame = 0;
  let revealed = null;  // the selected token last scrolled into view
  const overlay = new Set();  // extra heads drawn with the selected one

  threshold.addEventListener('input', () => session.set({ threshold: Number(threshold.value) }));
  canvas.addEventListener('mousemove', (event) => {
    if (!layout) return;
    const rect = canvas.getBoundingClientRect();
    const token = arcsTokenAt(layout, event.clientX - rect.left + layout.windowX);
    if (token !== hover) { hover = token; render(); }
  });
  canvas.addEventListener('mouseleave', () => { hover = null; render(); });
  canvas.addEventListener('click', () => { if (hover !== null) session.set({ token: hover }); });
  scroller.addEventListener('scroll', () => {
    if (!scrollFrame) scrollFrame = requestAnimationFrame(() => { scrollFrame = 0; draw(); });
  });
  picks.addEventListener('change', (event) => {
    const h = Number(event.target.value);
    if (event.target.checked) overlay.add(h); else overlay.delete(h);
    render();
  });

  function syncPicks(nHead) {
    if (picks.childElementCount !== nHead) {
      picks.replaceChildren(...Array.from({ length: nHead }, (_, h) => {
        const label = document.createElement('label');
        label.className = 'check head-pick';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.value = String(h);
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = headColor(h);
        label.append(box, swatch, document.createTextNode(`H${h}`));
        return label;
      }));
    }
    const mixed = acrossLayers();
    mixedNote.hidden = !mixed;  // one pattern for the whole layer: nothing to overlay
    picks.querySelectorAll('input').forEach((box) => {
      const h = Number(box.value);
      box.checked = !mixed && (h === session.state.head || overlay.has(h));
      box.disabled = mixed || h === session.state.head;
    });
  }

  // Whether the measure mixes the heads (rollout): then there is nothing to overlay.
  const acrossLayers = () => Boolean(MEASURES[session.state.measure].acrossLayers);

  // The selected head, then the overlaid ones the model has.
  function shownHeads() {
    if (acrossLayers()) return [session.state.head];
    const nHead = session.summary ? session.summary.n_head : Infinity;
    return [session.state.head, ...[...overlay].filter((h) => h !== session.state.head && h < nHead)];
  }

  function needs() { return shownHeads().flatMap((h) => shownNeeds(session, session.state.layer, h)); }

  function render() {
    const summary = session.summary;
    threshold.value = String(session.state.threshold);
    thresholdValue.textContent = session.state.threshold.toFixed(2);
    if (!summary || summary.tokens.length === 0) {
      layout = drawing = null;
      clearCanvas(canvas);
      clearTable(table);
      return;
    }
    syncPicks(summary.n_head);
    const heads = shownHeads();
    const theme = session.theme();
    const data = {
      tokens: summary.tokens,
      heads: heads.map((h) => ({ weights: shownMatrix(session, session.state.layer, h), color: heads.length > 1 ? headColor(h) : theme.accent })),
    };
    const focus = hover !== null ? hover : session.state.token;
    drawing = { data, options: { theme, threshold: session.state.threshold, focus } };
    draw();
    revealSelected();
    showReadout(focus, data.heads[0].weights);
    const weights = data.heads[0].weights;
    fillTableWhenIdle(table, `${shownTitle(session.state)}: each token's strongest keys`,
      weights, () => topWeightsRows(summary.tokens, weights));
  }
  // Draws the stretch of the row in view (in the painting worker); the row element
  // takes the whole row's width, which is what the scroll bar scrolls. The layout the
  // pointer and the scrolling follow is measured here, as drawArcs measures it.
  let measured = null;  // { tokens, layout } of the last text measured
  function draw() {
    if (!drawing) return;
    const inView = { x: scroller.scrollLeft, width: scroller.clientWidth };
    const options = { ...drawing.options, minWidth: inView.width, window: inView };
    const { tokens } = drawing.data;
    if (!measured || measured.tokens !== tokens) measured = { tokens, layout: arcsLayout(measuringContext(), tokens) };
    const { rowWidth, width, x0 } = arcsWindow(measured.layout, options);
    layout = { ...measured.layout, width: rowWidth, windowX: x0 };
    paint(canvas, 'arcs', drawing.data, options, [width, layout.height]);
    row.style.width = `${layout.width}px`;
    updateScrollCue(scroller, layout.width);  // a row wider than the view says so
  }

  // When the selection moves (arrow keys, another view), scroll its token into view.
  function revealSelected() {
    const token = session.state.token;
    if (token === revealed || token === null || !layout || token >= layout.boxes.length) { revealed = token; return; }
    revealed = token;
    const box = layout.boxes[token], left = scroller.scrollLeft, width = scroller.clientWidth;
    if (box.x < left || box.x + box.w > left + width) scroller.scrollLeft = Math.max(0, box.centre - width / 2);
  }

  // The whole row, not the window, for the exports (false: nothing drawn).
  function drawWholeRow(target) {
    if (!drawing) return false;
    drawArcs(target, drawing.data, { ...drawing.options, minWidth: scroller.clientWidth });
    return true;
  }

  // The focused token's strongest keys in the selected head, with exact weights.
  function showReadout(focus, weights) {
    const tokens = session.summary.tokens, T = tokens.length;
    if (focus === null || focus >= T) {
      delete readout.dataset.query;
      readout.textContent = 'Hover a token to see only its arcs and read where its attention goes.';
      return;
    }
    const keys = Array.from({ length: T }, (_, j) => j).filter((j) => weights[focus * T + j] > 0)
      .sort((a, b) => weights[focus * T + b] - weights[focus * T + a]).slice(0, 3);
    readout.dataset.query = String(focus);
    readout.dataset.key = String(keys[0]);
    readout.dataset.weight = String(weights[focus * T + keys[0]]);
    const verb = { contribution: 'takes most of what moves from', rollout: `draws most, through layers 0–${session.state.layer}, on` }[session.state.measure] || 'attends most to';
    const hidden = session.state.hidefirst ? ' (first token hidden, rows renormalised)' : '';
    readout.textContent = `${quoted(tokens[focus])} (#${focus}) ${verb}${hidden} ` +
      keys.map((j) => `${quoted(tokens[j])} (#${j}) ${weights[focus * T + j].toFixed(3)}`).join(', ');
  }
  return { render, needs, exportCanvas: () => figureCanvas(drawWholeRow), exportSvg: () => svgFigure(drawWholeRow) };
}
