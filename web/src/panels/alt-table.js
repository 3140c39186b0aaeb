// The text alternative of a canvas: a table a screen reader (or anyone) can read.
// Rows are given as arrays of cell texts; the first row is the header.
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
    const order = Array.from({ length: T }, (_, j) => j)
      .filter((j) => weights[i * T + j] > 0)
      .sort((a, b) => weights[i * T + b] - weights[i * T + a])
      .slice(0, perQuery);
    rows.push([`${i} ${JSON.stringify(tokens[i])}`,
      order.map((j) => `${j} ${JSON.stringify(tokens[j])} (${weights[i * T + j].toFixed(3)})`).join(', ')]);
  }
  return rows;
}
