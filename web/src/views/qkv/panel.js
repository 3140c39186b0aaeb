// Q/K/V panel: the soft dictionary lookup for the selected token, step by step.
import { QKV_STEPS } from './draw.js';
import { clearTable, fillTableWhenIdle } from '../alt-table.js';
import { quoted } from '../canvas.js';
import { MORE_CUES, updateScrollCue } from '../scroll-cue.js';
import { matrixNeed, weightNeed } from '../../needs.js';
import { svgFigure } from '../../export/svg-context.js';
import { clearCanvas, figure as figureOf, figureCanvas, paint } from '../../paint/painter.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <button type="button" id="qkv-back">← Back</button>
      <span id="qkv-step" class="step" aria-live="polite"></span>
      <button type="button" id="qkv-next">Next →</button>
    </div>
    <p id="qkv-explain" class="explain"></p>
    <div class="scroll-wrap"><div class="scroll qkv-scroll">
      <canvas id="qkv-canvas" role="img" aria-label="Query, keys, scores, softmax and values for the selected token" aria-describedby="qkv-table"></canvas>
    </div>${MORE_CUES}</div>
    <details class="alt"><summary>As a table</summary><table id="qkv-table"></table></details>
  </div>
  <aside class="guide">
    <h2>A soft dictionary lookup</h2>
    <p>A dictionary finds the one key equal to your query and returns its value. Attention
      compares the query with <em>every</em> key, turns the match scores into weights, and returns
      a blend of all the values.</p>
    <p>Step through it for the selected token: query, keys, dot products, the division by √dₖ,
      the softmax and the weighted sum.</p>
    <p class="look">Look at the orange q·k bars shrinking by one factor at ÷ √dₖ, the blue softmax bars that add up to 1, and the output row: the values mixed in those proportions.</p>
  </aside>
`;

const MIN_WIDTH = 620;

export const view = { name: 'qkv', title: 'Q · K · V', markup: MARKUP, mount: mountQkv };

export function mountQkv(section, session) {
  const canvas = section.querySelector('#qkv-canvas');
  const stepLabel = section.querySelector('#qkv-step');
  const explain = section.querySelector('#qkv-explain');
  const back = section.querySelector('#qkv-back');
  const next = section.querySelector('#qkv-next');
  const table = section.querySelector('#qkv-table');
  canvas.parentElement.addEventListener('scroll', () => updateScrollCue(canvas.parentElement, canvas.clientWidth));
  let step = 0;  // a learner starts at the query and presses Next
  let figure = null;  // the last drawing, as a function of its canvas: Export SVG draws it again

  back.addEventListener('click', () => { step = Math.max(0, step - 1); render(); });
  next.addEventListener('click', () => { step = Math.min(QKV_STEPS.length - 1, step + 1); render(); });

  function render() {
    // The width is read before anything is written: read after, it made the browser lay
    // out the view inside this task (15 ms of a 55 ms switch with the page slowed 4×).
    const scroller = canvas.parentElement, width = Math.max(MIN_WIDTH, scroller.clientWidth);
    const summary = session.summary;
    stepLabel.textContent = `Step ${step + 1} of ${QKV_STEPS.length}: ${QKV_STEPS[step].title}`;
    back.disabled = step === 0;
    next.disabled = step === QKV_STEPS.length - 1;
    if (!summary || summary.tokens.length === 0) { figure = null; clearCanvas(canvas); explain.textContent = ''; clearTable(table); return; }
    const query = session.focusToken();
    const m = (name) => session.matrix(name).data;
    const data = {
      tokens: summary.tokens, query, dK: summary.d_k, dModel: summary.d_model, input: m('input'), head: session.state.head, wq: session.weight('w_q').data, wk: session.weight('w_k').data, wv: session.weight('w_v').data, causal: summary.causal,
      q: m('q'), k: m('k'), v: m('v'), scores: m('scores'), scaled: m('scaled'), weights: m('weights'), output: m('output'),
    };
    explain.textContent = `${QKV_STEPS[step].text} Query: token ${query} ${quoted(summary.tokens[query])}, layer ${session.state.layer}, head ${session.state.head}, dₖ = ${summary.d_k}.`;
    // Its five columns need about 620 px; a narrower screen scrolls them, and says so.
    const options = { width, step, theme: session.theme() };
    figure = figureOf('qkv', data, options);
    paint(canvas, 'qkv', data, options);
    updateScrollCue(scroller, width);
    fillTableWhenIdle(table, `Token ${query} looks up every key it can see`, data.weights, () => lookupRows(summary, data, query));
  }
  // The layer's input, every step's matrices of the head, and the head's projections.
  function needs() {
    const { layer, head } = session.state;
    return [...['input', 'q', 'k', 'v', 'scores', 'scaled', 'weights', 'output'].map((name) => matrixNeed(name, layer, head)),
      ...['w_q', 'w_k', 'w_v'].map((name) => weightNeed(name, layer))];
  }
  return { render, needs, exportCanvas: () => figure && figureCanvas(figure), exportSvg: () => figure && svgFigure(figure) };
}

// The table behind the canvas: every key the query sees, with its three numbers.
function lookupRows(summary, data, query) {
  const T = summary.tokens.length;
  const visible = summary.causal ? query + 1 : T;
  const rows = [['key', 'q·k', `÷ √dₖ (× ${summary.scale.toPrecision(4)})`, 'softmax weight']];
  for (let j = 0; j < visible; j++) {
    const at = query * T + j;
    rows.push([`${j} ${quoted(summary.tokens[j])}`, data.scores[at].toPrecision(6), data.scaled[at].toPrecision(6), data.weights[at].toPrecision(6)]);
  }
  return rows;
}
