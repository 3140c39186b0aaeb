// Predictions panel: the top-k next tokens, a temperature, and step-by-step generation.
import { fillTable } from '../alt-table.js';
import { quoted } from '../canvas.js';
import { svgFigure } from '../../export/svg-context.js';
import { clearCanvas, figure as figureOf, figureCanvas, paint } from '../../paint/painter.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <label>temperature <input type="range" id="temperature" min="0.05" max="3" step="0.05" value="1"> <output id="temperature-value">1.00</output></label>
      <button type="button" id="append-top">Append the top token</button>
    </div>
    <p id="predictions-note" class="explain"></p>
    <canvas id="predictions-canvas" role="img" aria-label="Next-token probabilities" aria-describedby="predictions-table"></canvas>
    <details class="alt"><summary>As a table</summary><table id="predictions-table"></table></details>
  </div>
  <aside class="guide">
    <h2>What comes next</h2>
    <p>After the last layer, the model scores every token in its vocabulary as the next one;
      a softmax turns the scores into probabilities. Temperature divides the scores first:
      low makes the model sure of itself, high makes it adventurous.</p>
    <p>Append the top token and the whole computation runs again — that is how text is generated,
      one token at a time.</p>
    <p class="look">Look at the top bar, then press Append a few times: the text grows one token at a time, as the model writes it.</p>
  </aside>
`;

export const view = { name: 'predictions', title: 'Next token', markup: MARKUP, mount: mountPredictions };

export function mountPredictions(section, session) {
  const canvas = section.querySelector('#predictions-canvas');
  const temperature = section.querySelector('#temperature');
  const temperatureValue = section.querySelector('#temperature-value');
  const append = section.querySelector('#append-top');
  const note = section.querySelector('#predictions-note');
  const table = section.querySelector('#predictions-table');
  let figure = null;  // the last drawing, as a function of its canvas: Export SVG draws it again

  temperature.addEventListener('input', () => session.set({ temperature: Number(temperature.value) }, { rerun: true }));
  append.addEventListener('click', () => {
    const top = session.summary && session.summary.top_k[0];
    // raw: the token's own text (a newline), not its display form (the two characters \n)
    if (top) session.set({ text: session.state.text + top.raw, token: null }, { rerun: true, push: true });
  });

  return {
    predicts: true,
    exportCanvas: () => figure && figureCanvas(figure), exportSvg: () => figure && svgFigure(figure),
    render() {
      const width = canvas.parentElement.clientWidth;  // read before anything is written (qkv/panel.js)
      const summary = session.summary;
      temperature.value = String(session.state.temperature);
      temperatureValue.textContent = session.state.temperature.toFixed(2);
      const predictions = summary ? summary.top_k : [];
      append.disabled = predictions.length === 0;
      temperature.disabled = !summary || !summary.has_vocabulary;
      if (!summary) {
        note.textContent = '';  // loading a model, or the run failed (the status says which)
      } else if (!summary.has_vocabulary) {
        note.textContent = 'The random model has no vocabulary, so it cannot predict a next token. Choose a trained model.';
      } else if (predictions.length === 0) {
        note.textContent = 'Type some text to see what the model expects next.';
      } else {
        note.textContent = `After ${quoted(summary.tokens[summary.tokens.length - 1])}, the model expects:`;
      }
      if (predictions.length === 0) { figure = null; clearCanvas(canvas); table.replaceChildren(); return; }
      const options = { width, theme: session.theme() };
      figure = figureOf('predictions', { predictions }, options);
      paint(canvas, 'predictions', { predictions }, options);
      fillTable(table, `Top ${predictions.length} next tokens at temperature ${session.state.temperature}`,
        [['token', 'id', 'probability'], ...predictions.map((p) => [quoted(p.text), String(p.id), p.probability.toFixed(4)])]);
    },
  };
}
