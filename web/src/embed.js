// embed.html: one view of the simulator, sized for an <iframe> in a blog post.
// - Its state comes from the URL (?view=arcs&text=…&layer=…&head=…), checked like the
//   page's own URL: bad values give the defaults and a visible notice.
// - It tells the parent page its height, so the parent can size the iframe:
//     { type: "llm-attention:height", height: <px> }
// - It accepts exactly two commands from the parent window and ignores anything else:
//     { type: "llm-attention:set-text", text: "<string>" }
//     { type: "llm-attention:set-head", layer: <int>, head: <int> }
import { linkParams } from './link.js';
import { EMBED_FIELDS } from './embed-fields.js';

const element = document.getElementById('embed');
const ATTRIBUTES = [...EMBED_FIELDS, 'theme', 'guide'];  // theme and guide: the element's own looks

const params = linkParams(location.search, location.hash);  // a long text travels in the fragment
for (const name of ATTRIBUTES) if (params.has(name)) element.setAttribute(name, params.get(name));

let lastHeight = 0;
function reportHeight() {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height === lastHeight || window.parent === window) return;
  lastHeight = height;
  window.parent.postMessage({ type: 'llm-attention:height', height }, '*');
}
new ResizeObserver(reportHeight).observe(document.body);
element.addEventListener('llm-attention:render', reportHeight);

const isWholeNumber = (v) => Number.isInteger(v) && v >= 0 && v < 64;

window.addEventListener('message', (event) => {
  if (event.source !== window.parent || window.parent === window) return;
  const m = event.data;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return;
  if (m.type === 'llm-attention:set-text' && typeof m.text === 'string' && Object.keys(m).length === 2) {
    element.setAttribute('text', m.text);  // checked by the element like any attribute
  } else if (m.type === 'llm-attention:set-head' && isWholeNumber(m.layer) && isWholeNumber(m.head) && Object.keys(m).length === 3) {
    element.setAttribute('layer', String(m.layer));
    element.setAttribute('head', String(m.head));
  }
});
