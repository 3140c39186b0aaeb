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
// not yet), `extra` models installed by hand or opened ({ name, title }, with the
// module's listing of it when known: context, token_cap), random weights last.
export function modelList(extra = []) {
  const listed = MANIFEST.models.map(({ name, title, about }) => ({ name, title, about: about || '', trained: true }));
  const others = extra.filter((m) => !manifestEntry(m.name)).map(({ name, title, context, token_cap }) =>
    ({ name, title, about: tokenCapNote(context, token_cap), trained: true }));
  return [...listed, ...others, RANDOM_MODEL];
}

// What the page says of a model whose runs read fewer tokens than its context (the
// core's token_cap, model/token_cap.hpp: models of GPT-2's size), else nothing.
export function tokenCapNote(context, tokenCap) {
  if (!(tokenCap > 0 && context > tokenCap)) return '';
  return `It reads at most ${tokenCap} tokens a run, not its context's ${context}: at its size every head's ` +
    'token-by-token matrices for a longer text would not fit in the tab\'s memory.';
}

// What a run asks of the model for the page's state: the model, its predictions, the
// switched-off heads. Both engines (engine.js, async-engine.js) hand this out.
export function modelOptions(state) {
  return { model: state.model, top_k: 8, temperature: state.temperature, ablate: state.ablate };
}
