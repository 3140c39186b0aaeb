// Multi-head panel: heads side by side, their concatenation and the W_O projection.
import { drawMultihead } from '../views/multihead.js';

export function mountMultihead(section, app) {
  const canvas = section.querySelector('#multihead-canvas');
  return {
    render() {
      const summary = app.summary;
      if (!summary || summary.tokens.length === 0) { canvas.width = 0; return; }
      const layer = app.state.layer;
      drawMultihead(canvas, {
        T: summary.tokens.length, dK: summary.d_k, dModel: summary.d_model,
        heads: Array.from({ length: summary.n_head }, (_, h) => app.matrix('output', layer, h).data),
        concat: app.matrix('concat', layer, 0).data,
        output: app.matrix('layer_output', layer, 0).data,
        selected: app.focusToken(),
      }, { width: canvas.parentElement.clientWidth, theme: app.theme() });
    },
  };
}
