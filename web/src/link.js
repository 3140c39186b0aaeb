// Where a link carries the state: the documented query parameters
// (?view=heatmap&text=…), with a long text moved to the fragment (#text=…).

// A link's query travels to the server in the request line, and servers refuse long
// ones (Node answers 431 past 16 KB of headers, nginx 414 past 8 KB, some hosts
// less); a link's fragment is never sent. So when the text would make the query
// longer than this, the text travels in the fragment: short links stay readable,
// long ones (up to state.js's MAX_TEXT_CHARS, in any script) still open.
export const MAX_QUERY_CHARS = 2000;

// The parameters that hold free text (the text, the compare view's second text): the
// ones moved to the fragment, in this order, while the query is too long.
const TEXT_PARAMS = ['text', 'cmptext'];

// Splits URL parameters into a link's query and fragment (both without '?' / '#').
export function linkParts(params) {
  const query = new URLSearchParams(params);
  const fragment = new URLSearchParams();
  for (const name of TEXT_PARAMS) {
    if (query.toString().length <= MAX_QUERY_CHARS) break;
    if (!query.has(name)) continue;
    fragment.set(name, query.get(name));
    query.delete(name);
  }
  return { query: query.toString(), fragment: fragment.toString() };
}

// The parameters of a link: the documented query ones, then any in the fragment,
// which win (a fragment that is not parameters, like "#top", adds nothing known).
export function linkParams(search, hash) {
  const params = new URLSearchParams(search);
  for (const [name, value] of new URLSearchParams(hash.replace(/^#/, ''))) params.set(name, value);
  return params;
}
