// View transforms: what a view may do to a head's matrix before drawing it, never what
// the model computed. The Trace's matrices are not touched.
import { matrixNeed, rolloutNeed } from '../needs.js';

// The matrix a view draws for a head (`needs`: what to ask the engine for, needs.js;
// `from`: the matrix made of them, when it is not the first as it is): its attention
// weights; what each key moves (the Trace's contributions: α_ij·‖v_j·W_O^h‖, rows
// normalised), which shows where a row's output comes from; how much moves
// (α_ij·‖v_j·W_O^h‖ against the text's largest ‖v·W_O^h‖ in that head, not
// normalised), which shows that a first-token sink's large weight moves almost
// nothing: its value vector is short; or attention rollout through layers 0..layer
// (Abnar & Zuidema 2020, computed by the core: cpp/core/heads/rollout.hpp), which
// mixes every head of every layer so far and so is the same for each head of a layer
// (`acrossLayers`; issue 19).
export const MEASURES = {
  weight: { needs: (layer, head) => [matrixNeed('weights', layer, head)], legend: 'weight', title: 'attention weight' },
  contribution: { needs: (layer, head) => [matrixNeed('contributions', layer, head)], legend: 'share moved', title: 'what moves, each row\'s shares (‖α·v·W_O‖)' },
  amount: {
    needs: (layer, head) => [matrixNeed('weights', layer, head), matrixNeed('value_norms', layer, head)],
    from: ([weights, norms]) => amountMoved(weights, norms), legend: 'moved, of the largest', title: 'how much moves (α·‖v·W_O‖)',
  },
  rollout: { needs: (layer) => [rolloutNeed(layer)], legend: 'drawn from', title: 'through all layers (rollout)', acrossLayers: true },
};

// α_ij·‖v_j·W_O‖ / max_k ‖v_k·W_O‖: what key j adds to query i's output through the
// head, against the longest vector any key of the text offers (1: all of a query's
// weight on that key). weights: [T, T] row-major, norms: [T].
export function amountMoved(weights, norms) {
  const T = norms.length;
  let longest = 0;
  for (const n of norms) longest = Math.max(longest, n);
  const out = new Float32Array(T * T);
  if (!(longest > 0)) return out;
  for (let i = 0; i < T; i++)
    for (let j = 0; j < T; j++) out[i * T + j] = (weights[i * T + j] * norms[j]) / longest;
  return out;
}

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

// A measure's matrix from its needs' data (in the order of `needs`).
export function measureMatrix(measure, data) {
  const { from } = MEASURES[measure];
  return from ? from(data) : data[0];
}

// What the head views (arcs, heatmap, grid) draw for one head: `measure` (the state's
// unless given), with the first token hidden if the state says so. Kept per source
// array, so a view that checks "is this what I drew?" sees the same array until the
// run changes.
const made = new WeakMap();    // first source Float32Array -> Map(measure -> its matrix)
const hidden = new WeakMap();  // a matrix -> its first-token-hidden copy
export function shownMatrix(session, layer = session.state.layer, head = session.state.head, measure = session.state.measure) {
  const sources = MEASURES[measure].needs(layer, head).map((need) => session.fetched(need).data);
  if (!made.has(sources[0])) made.set(sources[0], new Map());
  const byMeasure = made.get(sources[0]);
  if (!byMeasure.has(measure)) byMeasure.set(measure, measureMatrix(measure, sources));
  const data = byMeasure.get(measure);
  if (!session.state.hidefirst) return data;
  if (!hidden.has(data)) hidden.set(data, hideFirstToken(data, session.summary.tokens.length));
  return hidden.get(data);
}

// The needs behind shownMatrix (needs.js).
export function shownNeeds(session, layer = session.state.layer, head = session.state.head, measure = session.state.measure) {
  return MEASURES[measure].needs(layer, head);
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
