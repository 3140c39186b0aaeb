// What a view needs from a run, named the same way everywhere: the views list their
// needs, the session asks the engine for them with the run, and the engine's host
// copies exactly these out of WASM memory. A need is { matrix: [name, layer, head] }
// (a Trace matrix), { weight: [name, layer] } (an attention weight of the model) or
// { rollout: [layer] } (attention rollout through layers 0..layer, the mean of each
// layer's heads: one matrix per layer, not per head).
export const matrixNeed = (name, layer, head) => ({ matrix: [name, layer, head] });
export const weightNeed = (name, layer) => ({ weight: [name, layer] });
export const rolloutNeed = (layer) => ({ rollout: [layer] });

// The key a need's result is kept under, per run.
export function needKey(need) {
  if (need.matrix) return need.matrix.join('/');
  return need.weight ? `weight:${need.weight.join('/')}` : `rollout:${need.rollout.join('/')}`;
}

// Whether a need key is of a model weight (the same for every text).
export const isWeightKey = (key) => key.startsWith('weight:');
