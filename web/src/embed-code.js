// The two embed snippets for the page's current state: an <iframe> of embed.html
// (with the script that sizes it) and the <llm-attention> element.
import { linkParts } from './link.js';
import { serializeState } from './state.js';
import { EMBED_FIELDS } from './embed-fields.js';

function escapeAttribute(value) {
  return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function embedSnippets(state, pageUrl) {
  const params = new URLSearchParams(serializeState(state));
  for (const key of [...params.keys()]) if (!EMBED_FIELDS.includes(key)) params.delete(key);
  if (!params.has('view')) params.set('view', state.view);
  const base = new URL('.', pageUrl).href;
  const { query, fragment } = linkParts(params);
  const src = `${base}embed.html?${query}${fragment ? `#${fragment}` : ''}`;
  const iframe = `<iframe src="${escapeAttribute(src)}" title="Attention simulator: ${escapeAttribute(state.view)}" style="width:100%;border:0" loading="lazy"></iframe>
<script>addEventListener('message',function(e){var d=e.data;if(!d||d.type!=='llm-attention:height'||typeof d.height!=='number')return;document.querySelectorAll('iframe').forEach(function(f){if(f.contentWindow===e.source)f.style.height=Math.min(d.height,5000)+'px';});});</script>`;
  const attributes = [...params].map(([k, v]) => `${k}="${escapeAttribute(v)}"`).join(' ');
  const component = `<script src="${escapeAttribute(`${base}llm-attention.js`)}"></script>
<llm-attention ${attributes}></llm-attention>`;
  return { iframe, component };
}
