// View transforms: what a view may do to a head's matrix before drawing it, never what
// the model computed. The Trace's matrices are not touched.
import { matrixNeed, rolloutNeed } from '../needs.js';

// The matrix a view draws for a head (`need`: what to ask the engine for; needs.js):
// its attention weights, what each key moves (the Trace's contributions:
// α_ij·‖v_j·W_O^h‖, rows normalised), or attention rollout through layers 0..layer
// (Abnar & Zuidema 2020, computed by the core: cpp/core/heads/rollout.hpp), which
// mixes every head of every layer so far and so is the same for each head of a layer
// (`acrossLayers`; issue 19).
export const MEASURES = {
  weight: { need: (layer, head) => matrixNeed('weights', layer, head), legend: 'weight', title: 'attention weight' },
  contribution: { need: (layer, head) => matrixNeed('contributions', layer, head), legend: 'share moved', title: 'what moves (‖α·v·W_O‖)' },
  rollout: { need: (layer) => rolloutNeed(layer), legend: 'drawn from', title: 'through all layers (rollout)', acrossLayers: true },
};

// The measure a view of single heads (the grid) draws: the state's, unless that one
// mixes the heads (rollout), where every thumbnail of a layer would be the same.
export function perHeadMeasure(measure) {
  return MEASURES[measure].acrossLayers ? 'weight' : measure;
}

// The first token's column hidden and every other row renormalised over its other keys,
// so the structure a first-token sink hides shows. Row 0 (which sees only the first
// token) and rows with nothing left are all zero. weights: [T, T] row-major.
export function hideFirstToken(weights, T) {
  const out = new Float32Array(weights.length);
  for (let i = 0; i < T; i++) {
    let sum = 0;
    for (let j = 1; j < T; j++) sum += weights[i * T + j];
    if (sum > 0) for (let j = 1; j < T; j++) out[i * T + j] = weights[i * T + j] / sum;
  }
  return out;
}

// What the head views (arcs, heatmap, grid) draw for one head: `measure` (the state's
// unless given), with the first token hidden if the state says so. Kept per source
// array, so a view that checks "is this what I drew?" sees the same array until the
// run changes.
const hidden = new WeakMap();  // source Float32Array -> its first-token-hidden copy
export function shownMatrix(session, layer = session.state.layer, head = session.state.head, measure = session.state.measure) {
  const data = session.fetched(MEASURES[measure].need(layer, head)).data;
  if (!session.state.hidefirst) return data;
  if (!hidden.has(data)) hidden.set(data, hideFirstToken(data, session.summary.tokens.length));
  return hidden.get(data);
}

// The need behind shownMatrix (needs.js).
export function shownNeed(session, layer = session.state.layer, head = session.state.head, measure = session.state.measure) {
  return MEASURES[measure].need(layer, head);
}

// The note beside the controls that marks what is not the plain attention of one
// head: a measure across layers, a hidden first token. '' when there is none.
export function transformNote(state) {
  const notes = [];
  if (MEASURES[state.measure].acrossLayers)
    notes.push(`Rollout is a measure across layers, not one head's attention: layers 0–${state.layer} chained, ` +
      'each layer\'s heads averaged and half of its mixing taken as the residual stream passing through ' +
      '(Abnar & Zuidema 2020: the product of (A + I)/2). It is the same for every head of a layer and ignores the MLPs and what the values carry.');
  if (state.hidefirst)
    notes.push('Hiding the first token is a view transform, not the model\'s computation: its column is left out and every row ' +
      'renormalised over the other keys, so what a first-token sink hides shows.');
  return notes.join(' ');
}

// What a head view's matrix is, for captions and text alternatives.
export function shownTitle(state, head = state.head) {
  return MEASURES[state.measure].acrossLayers
    ? `Rollout through layers 0–${state.layer} (each layer's heads averaged)` : `Layer ${state.layer}, head ${head}`;
}
