// View transforms: what a view may do to a head's matrix before drawing it, never what
// the model computed. The Trace's matrices are not touched.
import { matrixNeed } from '../needs.js';

// The matrix a view draws for a head: its attention weights, or what each key moves
// (the Trace's contributions: α_ij·‖v_j·W_O^h‖, rows normalised; issue 19).
export const MEASURES = {
  weight: { matrix: 'weights', legend: 'weight', title: 'attention weight' },
  contribution: { matrix: 'contributions', legend: 'share moved', title: 'what moves (‖α·v·W_O‖)' },
};

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

// What the head views (arcs, heatmap, grid) draw for one head: the state's measure,
// with the first token hidden if the state says so. Kept per source array, so a view
// that checks "is this what I drew?" sees the same array until the run changes.
const hidden = new WeakMap();  // source Float32Array -> its first-token-hidden copy
export function shownMatrix(session, layer = session.state.layer, head = session.state.head) {
  const data = session.matrix(MEASURES[session.state.measure].matrix, layer, head).data;
  if (!session.state.hidefirst) return data;
  if (!hidden.has(data)) hidden.set(data, hideFirstToken(data, session.summary.tokens.length));
  return hidden.get(data);
}

// The need behind shownMatrix (needs.js).
export function shownNeed(session, layer = session.state.layer, head = session.state.head) {
  return matrixNeed(MEASURES[session.state.measure].matrix, layer, head);
}
