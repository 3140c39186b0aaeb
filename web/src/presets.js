// Example sentences for each trained model, each with the head that shows a role most
// clearly on it: web/models/presets.json, written by scripts/choose-presets.mjs from
// the model's own attention weights (not picked by hand), bundled at build time.
import presets from '../models/presets.json' with { type: 'json' };

export function presetsFor(model) { return presets[model] || []; }

// What a preset's button says when you point at it.
export function presetTitle(p) {
  const how = p.why || `scores ${p.score.toFixed(2)} on this text`;
  return `Layer ${p.layer}, head ${p.head}: ${how}. Opens ${p.view === 'heatmap' ? 'the heatmap' : 'the arcs'}.`;
}
