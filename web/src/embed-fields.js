// The state an embed carries, by name: the attributes of <llm-attention>, the URL
// parameters embed.html hands on to it, and what the page's "Copy embed code" writes.
// One view's inputs, not the page's whole state; each is read like the page's own URL
// (state.js). A file of its own so that embed.js, which only passes them on, stays small.
export const EMBED_FIELDS = ['view', 'text', 'layer', 'head', 'token', 'threshold', 'scale', 'causal', 'model',
  'dk', 'labscale', 'temperature', 'measure', 'hidefirst', 'compare', 'cmplayer', 'cmphead', 'cmptext'];
