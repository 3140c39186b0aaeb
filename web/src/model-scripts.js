// The page's model data, loaded as classic scripts beside the page's own scripts:
// llmsim-data.js (the default model, which index.html already loads) and
// models/<name>.js (every other model, loaded the first time it is chosen). Each
// registers its model on globalThis.LLMSIM_MODELS (scripts/pack-data.js). Scripts,
// not fetch(): a page opened from file:// may not fetch() files beside it, and a
// classic script also loads under the strict CSP and from an embed's host page.
import { MANIFEST } from './manifest.js';

// Where this bundle's script lives (read while it runs: document.currentScript is null
// afterwards): the data scripts sit beside it. Without it (the source loaded as an ES
// module, or in a worker), URLs resolve against the page.
export const scriptBase = typeof document !== 'undefined' && document.currentScript && document.currentScript.src
  ? new URL('.', document.currentScript.src).href : '';

// The script that registers a model: the default one is in llmsim-data.js.
export function modelScriptUrl(name) {
  return `${scriptBase}${name === MANIFEST.default ? 'llmsim-data.js' : `models/${name}.js`}`;
}

export function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => { script.remove(); reject(new Error(`${url} did not load`)); };
    document.head.append(script);
  });
}

// The page's own <script> element for `url` while the page is still being parsed, or
// null. index.html lists llmsim-data.js after app.js, so that the engine's worker
// starts while the browser parses the model's data; the engine waits for that element
// rather than load the script a second time.
function scriptStillLoading(url) {
  if (document.readyState !== 'loading') return null;  // parser scripts have run by now
  return [...document.scripts].find((s) => s.src === url) || null;
}

function scriptElementLoaded(script) {
  return new Promise((resolve, reject) => {
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => reject(new Error(`${script.src} did not load`)));
  });
}

// Whether the page has the model's script already, or is loading it (index.html's
// default model): then it is read from the page, not loaded a second time.
export function modelScriptOnPage(name) {
  return Boolean(globalThis.LLMSIM_MODELS && globalThis.LLMSIM_MODELS[name]) || Boolean(scriptStillLoading(modelScriptUrl(name)));
}

// A model's data as its script registers it: { config, tokenizer, weights (base64),
// probes, heads (JSON text of the shipped head report, or null) }.
export async function loadModelScript(name) {
  const registered = () => globalThis.LLMSIM_MODELS && globalThis.LLMSIM_MODELS[name];
  if (registered()) return registered();
  const url = modelScriptUrl(name);
  const pending = scriptStillLoading(url);
  await (pending ? scriptElementLoaded(pending) : loadScript(url));
  if (!registered()) throw new Error(`${url} loaded but holds no model "${name}"`);
  return registered();
}
