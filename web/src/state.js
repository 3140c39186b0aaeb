// The page's state and its URL form. Everything read from a URL is untrusted: each
// value is parsed strictly and range-checked, and a value that fails falls back to
// its default with a notice the page shows (as text).
import { MANIFEST } from './manifest.js';
import { VIEW_NAMES } from './views/index.js';
import { MEASURES } from './views/transforms.js';

export const MAX_TEXT_CHARS = 20000;

// What the compare view can set beside the selected head.
export const COMPARISONS = ['head', 'unscaled', 'text'];

export const DEFAULT_STATE = Object.freeze({
  model: MANIFEST.default,  // web/models/models.json; a link may name any other model
  text: 'The cat sat on the mat because it was tired.',
  layer: 0,
  head: 0,
  view: 'arcs',
  scale: true,
  causal: true,
  threshold: 0.02,
  ablate: [],     // heads switched off, as "layer.head" strings
  token: null,    // the selected token, or null
  dk: 64,         // the scaling lab's d_k
  labscale: true, // the lab's own "divide by √dₖ" (the model's is `scale`)
  temperature: 1,
  measure: 'weight',  // what the head views draw: 'weight', 'contribution' (what moves) or 'rollout' (views/transforms.js)
  hidefirst: false,   // hide the first token's column and renormalise (a view transform)
  // The compare view: beside the selected head, 'head' (another head: cmplayer.cmphead),
  // 'unscaled' (the same head without √dₖ) or 'text' (the same head on cmptext; empty:
  // the text typed twice).
  compare: 'head',
  cmplayer: 0,
  cmphead: 1,
  cmptext: '',
});

// Each field: how to read it from a string, and how to write it back.
const FIELDS = {
  model: { parse: (s) => (/^[a-z0-9-]{1,32}$/.test(s) ? s : fail(`"${s.slice(0, 40)}" is not a model name`)), format: String },
  text: { parse: (s) => text(s, 'text'), format: String },
  layer: { parse: (s) => integer(s, 0, 63), format: String },
  head: { parse: (s) => integer(s, 0, 63), format: String },
  view: { parse: (s) => (VIEW_NAMES.includes(s) ? s : fail(`unknown view "${s.slice(0, 40)}"`)), format: String },
  scale: { parse: boolean, format: (b) => (b ? '1' : '0') },
  causal: { parse: boolean, format: (b) => (b ? '1' : '0') },
  threshold: { parse: (s) => number(s, 0, 1), format: String },
  ablate: { parse: headList, format: (list) => list.join(',') },
  token: { parse: (s) => (s === '' ? null : integer(s, 0, 100000)), format: (t) => (t === null ? '' : String(t)) },
  dk: { parse: (s) => integer(s, 1, 1024), format: String },
  labscale: { parse: boolean, format: (b) => (b ? '1' : '0') },
  temperature: { parse: (s) => number(s, 0.05, 5), format: String },
  measure: { parse: (s) => (Object.hasOwn(MEASURES, s) ? s : fail(`"${s.slice(0, 40)}" is not one of ${Object.keys(MEASURES).join(', ')}`)), format: String },
  hidefirst: { parse: boolean, format: (b) => (b ? '1' : '0') },
  compare: { parse: (s) => (COMPARISONS.includes(s) ? s : fail(`"${s.slice(0, 40)}" is not ${COMPARISONS.join(', ')}`)), format: String },
  cmplayer: { parse: (s) => integer(s, 0, 63), format: String },
  cmphead: { parse: (s) => integer(s, 0, 63), format: String },
  cmptext: { parse: (s) => text(s, 'cmptext'), format: String },
};

// Whether a field is a switch (1 or 0): <llm-attention> reads such an attribute given
// with no value (<llm-attention hidefirst>) as on, the HTML way.
export const isSwitch = (name) => Object.hasOwn(FIELDS, name) && FIELDS[name].parse === boolean;

class BadValue extends Error {}
function fail(message) { throw new BadValue(message); }

function text(s, name) {
  return s.length <= MAX_TEXT_CHARS ? s : fail(`${name} is longer than ${MAX_TEXT_CHARS} characters`);
}

function integer(s, lo, hi) {
  if (!/^\d{1,6}$/.test(s)) fail(`"${s.slice(0, 40)}" is not a whole number`);
  const n = Number(s);
  if (n < lo || n > hi) fail(`${n} is outside ${lo}–${hi}`);
  return n;
}

function number(s, lo, hi) {
  if (!/^\d{0,3}(\.\d{1,6})?$/.test(s) || s === '' || s === '.') fail(`"${s.slice(0, 40)}" is not a number`);
  const n = Number(s);
  if (!(n >= lo && n <= hi)) fail(`${n} is outside ${lo}–${hi}`);
  return n;
}

function boolean(s) {
  if (s === '1' || s === 'true') return true;
  if (s === '0' || s === 'false') return false;
  return fail(`"${s.slice(0, 40)}" is not 0 or 1`);
}

function headList(s) {
  if (s === '') return [];
  const items = s.split(',');
  if (items.length > 256) fail('too many heads listed');
  for (const item of items) if (!/^\d{1,2}\.\d{1,2}$/.test(item)) fail(`"${item.slice(0, 40)}" is not layer.head`);
  return [...new Set(items)];
}

// Reads a state from URL search parameters. Returns { state, notices }.
export function parseState(search) {
  const params = new URLSearchParams(search);
  const state = { ...DEFAULT_STATE, ablate: [] };
  const notices = [];
  for (const [name, field] of Object.entries(FIELDS)) {
    if (!params.has(name)) continue;
    try {
      state[name] = field.parse(params.get(name));
    } catch (error) {
      if (!(error instanceof BadValue)) throw error;
      notices.push(`Ignored "${name}" from the link: ${error.message}. Using the default.`);
    }
  }
  return { state, notices };
}

// Writes the fields that differ from the defaults, in a stable order.
export function serializeState(state) {
  const params = new URLSearchParams();
  for (const [name, field] of Object.entries(FIELDS)) {
    const value = field.format(state[name]);
    if (value !== field.format(DEFAULT_STATE[name])) params.set(name, value);
  }
  return params.toString();
}

// Layer and head must also fit the model, which is known only once it is loaded.
export function clampToModel(state, nLayer, nHead, notices) {
  const fixed = { ...state };
  if (fixed.layer >= nLayer) {
    notices.push(`Layer ${fixed.layer} does not exist (the model has ${nLayer}). Showing layer 0.`);
    fixed.layer = 0;
  }
  if (fixed.head >= nHead) {
    notices.push(`Head ${fixed.head} does not exist (each layer has ${nHead}). Showing head 0.`);
    fixed.head = 0;
  }
  fixed.ablate = fixed.ablate.filter((id) => {
    const [l, h] = id.split('.').map(Number);
    return l < nLayer && h < nHead;
  });
  return fixed;
}
