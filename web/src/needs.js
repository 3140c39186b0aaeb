// What a view needs from a run, named the same way everywhere: the views list their
// needs, the session asks the engine for them with the run, and the engine's host
// copies exactly these out of WASM memory. A need is { matrix: [name, layer, head] }
// (a Trace matrix) or { weight: [name, layer] } (an attention weight of the model).
export const matrixNeed = (name, layer, head) => ({ matrix: [name, layer, head] });
export const weightNeed = (name, layer) => ({ weight: [name, layer] });

// The key a need's result is kept under, per run.
export function needKey(need) {
  return need.matrix ? `${need.matrix.join('/')}` : `weight:${need.weight.join('/')}`;
}

// Whether a need key is of a model weight (the same for every text).
export const isWeightKey = (key) => key.startsWith('weight:');
