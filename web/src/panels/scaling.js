// Scaling panel: the sqrt(d_k) lab. The curves are measured once in C++ (for
// d_k = 1, 2, 4, ..., 1024); the slider picks the d_k whose numbers are spelled out.
import { drawScaling, nearestPoint, SCALING_PLOTS } from '../views/scaling.js';
import { fillTable } from './alt-table.js';

export function mountScaling(section, app) {
  const canvas = section.querySelector('#scaling-canvas');
  const slider = section.querySelector('#dk');
  const dkValue = section.querySelector('#dk-value');
  const toggle = section.querySelector('#lab-scale');
  const numbers = section.querySelector('#scaling-numbers');
  const captions = section.querySelector('#scaling-captions');
  const table = section.querySelector('#scaling-table');
  let points = null;

  slider.addEventListener('input', () => app.set({ dk: 2 ** Number(slider.value) }));
  toggle.addEventListener('change', () => app.set({ scale: toggle.checked }, { rerun: true, push: true }));
  captions.replaceChildren(...SCALING_PLOTS.map((p) => {
    const li = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = `${p.title}. `;
    li.append(b, document.createTextNode(p.caption));
    return li;
  }));

  return {
    render() {
      if (!points) {
        points = app.engine.scalingLab({ nKeys: 16, draws: 400, seed: 1 });
        fillTable(table, 'Measured over 400 random queries against 16 random keys each', [
          ['dₖ', 'Var(q·k)', 'Var(q·k/√dₖ)', 'max weight', 'max weight (scaled)', 'entropy', 'entropy (scaled)', 'Jacobian norm', 'Jacobian norm (scaled)'],
          ...points.map((p) => [p.d_k, p.unscaled.score_variance, p.scaled.score_variance, p.unscaled.max_weight, p.scaled.max_weight,
            p.unscaled.entropy, p.scaled.entropy, p.unscaled.jacobian_norm, p.scaled.jacobian_norm].map((x, i) => (i === 0 ? String(x) : x.toFixed(3)))),
        ]);
      }
      const dK = app.state.dk;
      slider.value = String(Math.round(Math.log2(dK)));
      dkValue.textContent = String(dK);
      toggle.checked = app.state.scale;
      const p = nearestPoint(points, dK);
      const s = app.state.scale ? p.scaled : p.unscaled;
      numbers.dataset.dk = String(p.d_k);
      numbers.textContent = `At dₖ = ${p.d_k}, ${app.state.scale ? 'with' : 'without'} scaling: Var(scores) = ${s.score_variance.toFixed(2)}, largest weight ${s.max_weight.toFixed(2)}, entropy ${s.entropy.toFixed(2)}, Jacobian norm ${s.jacobian_norm.toFixed(3)}.`;
      const width = canvas.parentElement.clientWidth;
      drawScaling(canvas, { points, dK: p.d_k, scaled: app.state.scale }, { width, theme: app.theme() });
    },
    points: () => points,
  };
}
