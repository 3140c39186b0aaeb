// Arcs panel: one head, or several overlaid in their own colours; a threshold; hover
// or select a token to see only its arcs.
import { drawArcs, arcsTokenAt } from '../views/arcs.js';
import { headColor } from '../views/colormap.js';
import { fillTable, topWeightsRows } from './alt-table.js';

export function mountArcs(section, app) {
  const canvas = section.querySelector('#arcs-canvas');
  const picks = section.querySelector('#arcs-heads');
  const threshold = section.querySelector('#threshold');
  const thresholdValue = section.querySelector('#threshold-value');
  const table = section.querySelector('#arcs-table');
  const readout = section.querySelector('#arcs-readout');
  let hover = null;
  let layout = null;
  const overlay = new Set();  // extra heads drawn with the selected one

  threshold.addEventListener('input', () => app.set({ threshold: Number(threshold.value) }));
  canvas.addEventListener('mousemove', (event) => {
    if (!layout) return;
    const rect = canvas.getBoundingClientRect();
    const token = arcsTokenAt(layout, event.clientX - rect.left);
    if (token !== hover) { hover = token; render(); }
  });
  canvas.addEventListener('mouseleave', () => { hover = null; render(); });
  canvas.addEventListener('click', () => { if (hover !== null) app.set({ token: hover }); });
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
    picks.querySelectorAll('input').forEach((box) => {
      const h = Number(box.value);
      box.checked = h === app.state.head || overlay.has(h);
      box.disabled = h === app.state.head;
    });
  }

  function render() {
    const summary = app.summary;
    threshold.value = String(app.state.threshold);
    thresholdValue.textContent = app.state.threshold.toFixed(2);
    if (!summary || summary.tokens.length === 0) {
      layout = null;
      canvas.width = 0;
      table.replaceChildren();
      return;
    }
    syncPicks(summary.n_head);
    const heads = [app.state.head, ...[...overlay].filter((h) => h !== app.state.head && h < summary.n_head)];
    const theme = app.theme();
    const data = {
      tokens: summary.tokens,
      heads: heads.map((h) => ({ weights: app.matrix('weights', app.state.layer, h).data, color: heads.length > 1 ? headColor(h) : theme.accent })),
    };
    const focus = hover !== null ? hover : app.state.token;
    layout = drawArcs(canvas, data, { theme, threshold: app.state.threshold, focus, minWidth: canvas.parentElement.clientWidth });
    showReadout(focus, data.heads[0].weights);
    fillTable(table, `Layer ${app.state.layer}, head ${app.state.head}: each token's strongest keys`,
      topWeightsRows(summary.tokens, data.heads[0].weights));
  }
  // The focused token's strongest keys in the selected head, with exact weights.
  function showReadout(focus, weights) {
    const tokens = app.summary.tokens, T = tokens.length;
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
    readout.textContent = `${JSON.stringify(tokens[focus])} (#${focus}) attends most to ` +
      keys.map((j) => `${JSON.stringify(tokens[j])} (#${j}) ${weights[focus * T + j].toPrecision(6)}`).join(', ');
  }
  return { render };
}
