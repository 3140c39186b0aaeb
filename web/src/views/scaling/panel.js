// Scaling panel: the sqrt(d_k) lab. The curves are measured once in C++ (for
// d_k = 1, 2, 4, ..., 1024); the slider picks the d_k whose numbers are spelled out.
import { nearestPoint, SCALING_PLOTS } from './draw.js';
import { fillTableWhenIdle } from '../alt-table.js';
import { svgFigure } from '../../export/svg-context.js';
import { clearCanvas, figure as figureOf, figureCanvas, paint } from '../../paint/painter.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <label>dₖ <input type="range" id="dk" min="0" max="10" step="1" value="6"> <output id="dk-value">64</output></label>
      <label class="check"><input type="checkbox" id="lab-scale" checked> divide by √dₖ</label>
    </div>
    <p id="scaling-numbers" class="explain" aria-live="polite"></p>
    <canvas id="scaling-canvas" role="img" aria-label="Measurements against d_k, with and without scaling" aria-describedby="scaling-table"></canvas>
    <ul id="scaling-captions" class="captions"></ul>
    <details class="alt"><summary>As a table</summary><table id="scaling-table"></table></details>
  </div>
  <aside class="guide">
    <h2>Why divide by √dₖ?</h2>
    <p>A dot product of two random vectors with dₖ unit-variance entries has variance dₖ. As dₖ grows
      the scores spread out, the softmax puts almost all weight on one key, and its gradient
      vanishes. Dividing by √dₖ brings the variance back to 1.</p>
    <p>These curves are measured live in C++ on random queries and keys: <span class="swatch unscaled"></span>
      without scaling, <span class="swatch scaled"></span> with it.</p>
    <p class="look">Look at the unscaled curves climbing with dₖ while the scaled ones stay level; slide dₖ to 1024 and untick the box to watch the largest weight reach 1.</p>
  </aside>
`;

export const view = { name: 'scaling', title: '√dₖ lab', markup: MARKUP, mount: mountScaling };

export function mountScaling(section, session) {
  const canvas = section.querySelector('#scaling-canvas');
  const slider = section.querySelector('#dk');
  const dkValue = section.querySelector('#dk-value');
  const toggle = section.querySelector('#lab-scale');
  const numbers = section.querySelector('#scaling-numbers');
  const captions = section.querySelector('#scaling-captions');
  const table = section.querySelector('#scaling-table');
  let points = null;
  let figure = null;  // the last drawing, as a function of its canvas: Export SVG draws it again

  slider.addEventListener('input', () => session.set({ dk: 2 ** Number(slider.value) }));
  // The lab's experiment is its own: it never switches scaling off for the model.
  toggle.addEventListener('change', () => session.set({ labscale: toggle.checked }, { push: true }));
  captions.replaceChildren(...SCALING_PLOTS.map((p) => {
    const li = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = `${p.title}. `;
    li.append(b, document.createTextNode(p.caption));
    return li;
  }));

  return {
    render() {
      const width = canvas.parentElement.clientWidth;  // read before anything is written (qkv/panel.js)
      const dK = session.state.dk;
      slider.value = String(Math.round(Math.log2(dK)));
      dkValue.textContent = String(dK);
      toggle.checked = session.state.labscale;
      if (!points) {
        // Measured once in the engine's worker; the view draws when it arrives.
        points = session.answer('scaling-lab', () => session.engine.scalingLab({ nKeys: 16, draws: 400, seed: 1 }));
        if (!points) { numbers.textContent = 'Measuring…'; clearCanvas(canvas); figure = null; return; }
        fillTableWhenIdle(table, 'Measured over 400 random queries against 16 random keys each', points, () => [
          ['dₖ', 'Var(q·k)', 'Var(q·k/√dₖ)', 'max weight', 'max weight (scaled)', 'entropy', 'entropy (scaled)', 'Jacobian norm', 'Jacobian norm (scaled)'],
          ...points.map((p) => [p.d_k, p.unscaled.score_variance, p.scaled.score_variance, p.unscaled.max_weight, p.scaled.max_weight,
            p.unscaled.entropy, p.scaled.entropy, p.unscaled.jacobian_norm, p.scaled.jacobian_norm].map((x, i) => (i === 0 ? String(x) : x.toFixed(3)))),
        ]);
      }
      const p = nearestPoint(points, dK);
      const s = session.state.labscale ? p.scaled : p.unscaled;
      numbers.dataset.dk = String(p.d_k);
      numbers.textContent = `At dₖ = ${p.d_k}, ${session.state.labscale ? 'with' : 'without'} scaling: Var(scores) = ${s.score_variance.toFixed(2)}, largest weight ${s.max_weight.toFixed(2)}, entropy ${s.entropy.toFixed(2)}, Jacobian norm ${s.jacobian_norm.toFixed(3)}.`;
      const data = { points, dK: p.d_k, scaled: session.state.labscale }, options = { width, theme: session.theme() };
      figure = figureOf('scaling', data, options);
      paint(canvas, 'scaling', data, options);
    },
    exportCanvas: () => figure && figureCanvas(figure), exportSvg: () => figure && svgFigure(figure),
    points: () => points,
  };
}
