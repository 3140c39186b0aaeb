// The text alternative of a canvas: a table a screen reader (or anyone) can read.
// Rows are given as arrays of cell texts; the first row is the header.
import { quoted } from './canvas.js';

export function fillTable(table, caption, rows) {
  const cap = document.createElement('caption');
  cap.textContent = caption;
  const [header, ...body] = rows;
  const thead = document.createElement('thead');
  const hr = document.createElement('tr');
  for (const h of header) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    hr.append(th);
  }
  thead.append(hr);
  const tbody = document.createElement('tbody');
  for (const row of body) {
    const tr = document.createElement('tr');
    for (const cell of row) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.replaceChildren(cap, thead, tbody);
}

// For each query token, its strongest keys: the table behind arcs and heatmap.
export function topWeightsRows(tokens, weights, perQuery = 3) {
  const T = tokens.length;
  const rows = [['query', 'strongest keys (weight)']];
  for (let i = 0; i < T; i++) {
    const order = strongestKeys(weights, i * T, T, perQuery);
    rows.push([`${i} ${quoted(tokens[i])}`,
      order.map((j) => `${j} ${quoted(tokens[j])} (${weights[i * T + j].toFixed(3)})`).join(', ')]);
  }
  return rows;
}

// The indices of the `count` largest positive entries of row[offset .. offset+T), largest
// first (ties: the earlier key), by insertion into a short list: this runs on every
// keystroke for every query, where sorting whole rows cost a millisecond at 128 tokens.
function strongestKeys(weights, offset, T, count) {
  const best = [];
  for (let j = 0; j < T; j++) {
    const w = weights[offset + j];
    if (!(w > 0) || (best.length === count && w <= weights[offset + best[count - 1]])) continue;
    let at = best.length;
    while (at > 0 && weights[offset + best[at - 1]] < w) at--;
    best.splice(at, 0, j);
    if (best.length > count) best.pop();
  }
  return best;
}
