// What the Train view can train: its presets (the model's shape and the data's mix),
// and the sentence every head's attention is shown on while it trains.
//
// "recipe" is the preset found by the native search of docs/ISSUE-20-RECIPE.md: 2
// layers of 4 heads, d_model 64, context 128 (long enough for a 48-token span and its
// repeat), 70 % of the training sequences a random span repeated (the data an
// induction head is for), learning rate 0.003 held after its warmup (a decaying one
// delayed the heads). "tiny" is for trying the controls: it trains in seconds and
// learns little.
export const PRESETS = [
  {
    name: 'recipe', title: '2 layers × 4 heads (heads emerge in minutes)',
    options: { vocab: 512, d_model: 64, layers: 2, heads: 4, context: 128, d_ff: 128, batch: 8, lr: 0.003, warmup: 100, repeat_fraction: 0.7, measure_every: 50 },
  },
  {
    name: 'tiny', title: '1 layer × 2 heads (a quick try)',
    options: { vocab: 320, d_model: 32, layers: 1, heads: 2, context: 64, d_ff: 64, batch: 4, lr: 0.003, warmup: 20, repeat_fraction: 0.5, train_bytes: 300000, val_bytes: 30000, tokenizer_bytes: 100000, measure_every: 100 },
  },
];
export const DEFAULT_PRESET = 'recipe';
export const DEFAULT_SEED = 1;

export function presetNamed(name) {
  return PRESETS.find((p) => p.name === name) || PRESETS.find((p) => p.name === DEFAULT_PRESET);
}

// Words of the generator's world (train/corpus.hpp), a sentence said twice: the second
// half is where an induction head looks back to the token after the same word's
// first occurrence, and a previous-token head one token back.
export const PROBE_TEXT = 'The little cat saw a red ball in the garden. The little cat saw a red ball in the garden.';

// A chunk of training steps lasts about this long before the worker looks at its
// messages again (a pause answers within it).
export const CHUNK_MS = 200;
