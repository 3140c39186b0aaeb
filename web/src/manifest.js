// The model manifest, web/models/models.json: which trained models the page lists (in
// dropdown order), their titles, their probe sets, and the default. It is bundled into
// the page's scripts at build time (and imported as is by Node), so the page knows
// every model's name and title before any model's data has loaded. The random model is
// not in it: it is built into the core, and the engine lists it last.
import manifest from '../models/models.json' with { type: 'json' };

export const MANIFEST = manifest;

export function manifestEntry(name) {
  return MANIFEST.models.find((m) => m.name === name) || null;
}
