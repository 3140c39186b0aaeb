// The text alternative of a canvas: a table a screen reader (or anyone) can read.
// Rows are given as arrays of cell texts; the first row is the header.
import { quoted } from './canvas.js';
import { whenIdle, cancelIdle } from './idle.js';

export function fillTable(table, caption, rows) {
  const [header, ...body] = rows;
  const tbody = document.createElement('tbody');
  for (const row of body) tbody.append(tableRow(row));
  table.replaceChildren(tableCaption(caption), tableHead(header), tbody);
}

function tableCaption(text) {
  const cap = document.createElement('caption');
  cap.textContent = text;
  return cap;
}

function tableHead(header) {
  const thead = document.createElement('thead');
  const hr = document.createElement('tr');
  for (const h of header) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    hr.append(th);
  }
  thead.append(hr);
  return thead;
}

function tableRow(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

// The same, filled when the browser is idle, a few rows at a time: a table of every
// token, rebuilt on each keystroke in one go, cost more of the main thread than the
// drawing it describes. `rows()` makes the rows when the fill starts; the table shows
// the previous rows until the new ones are all made; a newer call replaces a fill still
// under way. A table already made from the same `source` (the matrix it describes) and
// caption is left as it is: hovering redraws a view, not its data.
const waitingFills = new WeakMap();  // table -> idle job
const filledFrom = new WeakMap();    // table -> { source, caption }
export function fillTableWhenIdle(table, caption, source, rows) {
  const filled = filledFrom.get(table);
  if (filled && filled.source === source && filled.caption === caption) return;
  filledFrom.set(table, { source, caption });
  cancelIdle(waitingFills.get(table));
  let body = null, tbody = null, header = null;
  const fillSome = (deadline) => {
    if (!body) {
      [header, ...body] = rows();
      tbody = document.createElement('tbody');
    }
    do if (body.length) tbody.append(tableRow(body.shift()));
    while (body.length && deadline.timeRemaining() > 2);
    if (body.length) { waitingFills.set(table, whenIdle(fillSome)); return; }
    waitingFills.delete(table);
    table.replaceChildren(tableCaption(caption), tableHead(header), tbody);
  };
  waitingFills.set(table, whenIdle(fillSome));
}

// An empty table, and no fill still waiting for it.
export function clearTable(table) {
  cancelIdle(waitingFills.get(table));
  waitingFills.delete(table);
  filledFrom.delete(table);
  table.replaceChildren();
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
