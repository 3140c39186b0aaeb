// A head's evidence, beside the grid: the places in the model's validation text where
// the head does what its label says most strongly (the head report's `evidence`,
// cpp/core/heads/evidence.hpp), each a few tokens with the query and the key it
// attends to marked, in the spirit of CircuitsVis and Neuroscope. Tokens come from a
// model's files, so they are untrusted: every text goes in with textContent.

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

// A token as running text: spaces kept (the snippet reads as the text did), line
// breaks and tabs shown as marks so a snippet stays on its line.
const asText = (token) => String(token).replace(/\n/g, '↵').replace(/\t/g, '⇥');

// One snippet: its weight, then its tokens in order, "…" where positions skip
// (a far key's context, then the query's), the key and the query marked.
function snippetItem(snippet) {
  const item = el('li', 'evidence-snippet');
  item.dataset.query = String(snippet.query);
  item.dataset.key = String(snippet.key);
  item.dataset.weight = String(snippet.weight);
  const text = el('span', 'evidence-text');
  snippet.positions.forEach((position, k) => {
    if (k > 0 && position !== snippet.positions[k - 1] + 1) text.append(el('span', 'evidence-gap', ' … '));
    // A head that attends to the query itself marks its token as both.
    const marks = [position === snippet.query && 'evidence-query', position === snippet.key && 'evidence-key'].filter(Boolean);
    const token = el(marks.length ? 'mark' : 'span', marks.join(' ') || 'evidence-token', asText(snippet.tokens[k]));
    token.dataset.position = String(position);
    text.append(token);
  });
  item.append(el('span', 'evidence-weight', snippet.weight.toFixed(3)), text);
  return item;
}

// Fills `panel` with the evidence of head `info` (an entry of the head report) and
// shows it. `label`: the head's label as the grid shows it.
export function showEvidence(panel, info, label) {
  const title = el('h3', 'evidence-title', `L${info.layer} H${info.head} · ${label}`);
  title.id = `${panel.id}-title`;
  title.tabIndex = -1;  // focus lands here when the panel opens
  const close = el('button', 'evidence-close', '×');
  close.type = 'button';
  close.dataset.evidenceClose = '';
  close.setAttribute('aria-label', 'Close the evidence');
  const head = el('div', 'evidence-head');
  head.append(title, close);
  const snippets = info.evidence || [];
  const legend = el('p', 'evidence-legend');
  legend.append('Where it does this most, on the model\'s validation text: ',
    el('mark', 'evidence-query', 'query'), ' looks at ', el('mark', 'evidence-key', 'key'), ' with the weight on the left.');
  const list = el('ol', 'evidence-list');
  list.append(...snippets.map(snippetItem));
  panel.replaceChildren(head, el('p', 'evidence-reason', info.reason || ''),
    ...(snippets.length ? [legend, list] : [el('p', 'evidence-legend', 'This report has no snippets for this head.')]));
  panel.setAttribute('aria-labelledby', title.id);
  panel.dataset.head = `${info.layer}.${info.head}`;
  panel.hidden = false;
  return title;
}

export function hideEvidence(panel) {
  panel.hidden = true;
  panel.replaceChildren();
  delete panel.dataset.head;
}
