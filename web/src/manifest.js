// The model manifest, web/models/models.json: which trained models the page lists (in
// dropdown order), their titles, their probe sets, and the default. It is bundled into
// the page's scripts at build time (and imported as is by Node), so the page knows
// every model's name and title before any model's data has loaded. The random model is
// not in it: it is built into the core, and the engines list it last.
import manifest from '../models/models.json' with { type: 'json' };

export const MANIFEST = manifest;

export const RANDOM_MODEL = { name: 'random', title: 'Random weights', trained: false,
  about: 'Random weights drawn from a seed: it has learned nothing, so its attention shows the mechanics without meaning.' };

export function manifestEntry(name) {
  return MANIFEST.models.find((m) => m.name === name) || null;
}

// The models an engine can run, in the dropdown's order: the manifest's (installed or
// not yet), `extra` models installed by hand (tests; { name, title }), random weights last.
export function modelList(extra = []) {
  const listed = MANIFEST.models.map(({ name, title, about }) => ({ name, title, about: about || '', trained: true }));
  const others = extra.filter((m) => !manifestEntry(m.name)).map(({ name, title }) => ({ name, title, about: '', trained: true }));
  return [...listed, ...others, RANDOM_MODEL];
}

// What a run asks of the model for the page's state: the model, its predictions, the
// switched-off heads. Both engines (engine.js, async-engine.js) hand this out.
export function modelOptions(state) {
  return { model: state.model, top_k: 8, temperature: state.temperature, ablate: state.ablate };
}
