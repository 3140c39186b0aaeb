// Grid panel: every layer × head as a thumbnail with its measured label; click to
// focus a head, toggle to switch it off (ablate) and see the loss and predictions move.
import { drawThumbnail } from '../views/grid.js';

const THUMB = 92;

export function mountGrid(section, app) {
  const grid = section.querySelector('#grid');
  const summaryLine = section.querySelector('#grid-summary');
  const nextTable = section.querySelector('#grid-next');

  grid.addEventListener('click', (event) => {
    const focus = event.target.closest('[data-focus]');
    if (focus) {
      const [layer, head] = focus.dataset.focus.split('.').map(Number);
      app.set({ layer, head }, { push: true });
    }
  });
  grid.addEventListener('change', (event) => {
    const id = event.target.dataset.ablate;
    if (!id) return;
    const ablate = new Set(app.state.ablate);
    if (event.target.checked) ablate.delete(id); else ablate.add(id);
    app.set({ ablate: [...ablate].sort() }, { rerun: true, push: true });
  });

  // "syntactic + semantic" for a head that clears more than one specific rule.
  function labelText(info) {
    return [info.label, ...(info.also || [])].join(' + ');
  }

  function card(layer, head, labels, canAblate) {
    const id = `${layer}.${head}`;
    const off = app.state.ablate.includes(id);
    const info = labels ? labels.find((h) => h.layer === layer && h.head === head) : null;
    const el = document.createElement('div');
    el.className = 'head-card' + (layer === app.state.layer && head === app.state.head ? ' focused' : '') + (off ? ' off' : '');
    const focus = document.createElement('button');
    focus.type = 'button';
    focus.className = 'thumb';
    focus.dataset.focus = id;
    focus.setAttribute('aria-label', `Focus layer ${layer}, head ${head}${info ? `: ${labelText(info)}` : ''}`);
    const canvas = document.createElement('canvas');
    drawThumbnail(canvas, { weights: app.matrix('weights', layer, head).data, T: app.summary.tokens.length }, { size: THUMB, ablated: off });
    focus.append(canvas);
    const name = document.createElement('div');
    name.className = 'head-name';
    name.textContent = `L${layer} H${head}`;
    const label = document.createElement('div');
    label.className = 'head-label';
    label.textContent = info ? labelText(info) : '—';
    if (info) label.title = info.reason;
    const toggle = document.createElement('label');
    toggle.className = 'check head-toggle';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !off;
    box.disabled = !canAblate;
    box.dataset.ablate = id;
    toggle.append(box, document.createTextNode(' on'));
    el.append(focus, name, label, toggle);
    return el;
  }

  return {
    render() {
      const summary = app.summary;
      if (!summary || summary.tokens.length === 0) {
        grid.replaceChildren();
        summaryLine.textContent = '';
        showNextTokens(nextTable, null, []);
        return;
      }
      const labels = app.engine.headLabels(app.state.model);
      const canAblate = summary.has_vocabulary;
      grid.style.setProperty('--heads', summary.n_head);
      const cards = [];
      for (let layer = 0; layer < summary.n_layer; layer++)
        for (let head = 0; head < summary.n_head; head++) cards.push(card(layer, head, labels, canAblate));
      grid.replaceChildren(...cards);
      summaryLine.textContent = gridSummary(summary, app.state.ablate, Boolean(labels));
      showNextTokens(nextTable, summary, app.state.ablate);
    },
  };
}

// With heads off: the top next tokens with every head on, beside those without them.
const NEXT_ROWS = 3;
function showNextTokens(table, summary, ablate) {
  const base = summary && summary.baseline;
  table.hidden = !(base && ablate.length > 0);
  if (table.hidden) { table.replaceChildren(); return; }
  const cell = (tag, text) => { const c = document.createElement(tag); c.textContent = text; return c; };
  const row = (tag, texts) => { const r = document.createElement('tr'); r.append(...texts.map((t) => cell(tag, t))); return r; };
  const shown = (p) => (p ? `${JSON.stringify(p.text)} ${p.probability.toFixed(3)}` : '—');
  const caption = cell('caption', 'Next token');
  const head = document.createElement('thead');
  head.append(row('th', ['', 'all heads on', `${ablate.join(', ')} off`]));
  const body = document.createElement('tbody');
  for (let i = 0; i < NEXT_ROWS; i++) body.append(row('td', [`${i + 1}.`, shown(base.top_k[i]), shown(summary.top_k[i])]));
  table.replaceChildren(caption, head, body);
}

function gridSummary(summary, ablate, hasLabels) {
  if (!summary.has_vocabulary) return 'Random weights: no labels and no loss to compare. Choose a trained model to label and switch off heads.';
  const parts = [];
  if (summary.loss === null || summary.loss === undefined) parts.push('Type at least two tokens to measure the loss.');
  else if (ablate.length === 0) parts.push(`All heads on · loss ${summary.loss.toFixed(3)} per token. Untick a head to switch it off.`);
  else {
    const base = summary.baseline;
    const change = (summary.loss - base.loss) / base.loss * 100;
    parts.push(`${ablate.length} head${ablate.length === 1 ? '' : 's'} off · loss ${base.loss.toFixed(3)} → ${summary.loss.toFixed(3)} (${change >= 0 ? '+' : ''}${change.toFixed(1)}%)`);
  }
  if (!hasLabels) parts.push('Labels are being measured…');
  return parts.join(' · ');
}
