// Multi-head panel: heads side by side, their concatenation and the W_O projection.
import { matrixNeed, weightNeed } from '../../needs.js';
import { svgFigure } from '../../export/svg-context.js';
import { clearCanvas, figure as figureOf, figureCanvas, paint } from '../../paint/painter.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <canvas id="multihead-canvas" role="img" aria-label="Head outputs, their concatenation and the output projection"></canvas>
  </div>
  <aside class="guide">
    <h2>Many heads, one output</h2>
    <p>A layer runs several heads side by side, each with its own W<sub>Q</sub>, W<sub>K</sub>,
      W<sub>V</sub> and its own small dₖ, so each can look for something different.</p>
    <p>Their outputs are laid next to each other (concatenated) and multiplied by W<sub>O</sub>,
      which mixes them back into one vector of size d<sub>model</sub> per token. The outlined row is the
      selected token.</p>
    <p class="look">Look at the coloured bands over the concatenation: they show which columns each head wrote. Follow the outlined row from the heads down to the output.</p>
  </aside>
`;

export const view = { name: 'multihead', title: 'Multi-head', markup: MARKUP, mount: mountMultihead };

export function mountMultihead(section, session) {
  const canvas = section.querySelector('#multihead-canvas');
  let figure = null;  // the last drawing, as a function of its canvas: Export SVG draws it again
  return {
    exportCanvas: () => figure && figureCanvas(figure), exportSvg: () => figure && svgFigure(figure),
    // Every head's output in the layer (as many as the last run's model has), the
    // concatenation, the layer's output and W_O.
    needs() {
      const layer = session.state.layer, nHead = session.summary ? session.summary.n_head : 0;
      return [...Array.from({ length: nHead }, (_, h) => matrixNeed('output', layer, h)),
        matrixNeed('concat', layer, 0), matrixNeed('layer_output', layer, 0), weightNeed('w_o', layer)];
    },
    render() {
      const summary = session.summary;
      if (!summary || summary.tokens.length === 0) { figure = null; clearCanvas(canvas); return; }
      const layer = session.state.layer;
      const data = {
        T: summary.tokens.length, dK: summary.d_k, dModel: summary.d_model, layer, tokens: summary.tokens,
        heads: Array.from({ length: summary.n_head }, (_, h) => session.matrix('output', layer, h).data),
        concat: session.matrix('concat', layer, 0).data,
        output: session.matrix('layer_output', layer, 0).data,
        wo: session.weight('w_o', layer).data,
        selected: session.focusToken(),
      };
      const options = { width: canvas.parentElement.clientWidth, theme: session.theme() };
      figure = figureOf('multihead', data, options);
      paint(canvas, 'multihead', data, options);
    },
  };
}
