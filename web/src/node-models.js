// Node only (tests, scripts/pack-data.js): a model's files as the engine installs
// them, read from web/models/<name>/ and its probe set from web/probes/<set>/. The
// page never loads this file; it gets the same data from the scripts pack-data.js
// writes (llmsim-data.js, models/<name>.js).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifestEntry } from './manifest.js';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROBE_PARTS = ['syntax', 'semantic', 'validation', 'repeated'];

// The probe texts of a probe set; a part the set lacks is "" (stories has no repeated.txt).
export function readProbes(set) {
  const dir = path.join(webDir, 'probes', set);
  if (!fs.existsSync(dir)) throw new Error(`no probe set "${set}" (${path.relative(webDir, dir)} is missing)`);
  const probes = {};
  for (const part of PROBE_PARTS) {
    const file = path.join(dir, `${part}.txt`);
    probes[part] = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }
  return probes;
}

// { config, tokenizer (JSON text), weights (Uint8Array of model.safetensors), probes, heads }
// of a model the manifest lists.
export function readModel(name) {
  const entry = manifestEntry(name);
  if (!entry) throw new Error(`web/models/models.json lists no model "${name}"`);
  const dir = path.join(webDir, 'models', name);
  const file = (f) => {
    const p = path.join(dir, f);
    if (!fs.existsSync(p)) throw new Error(`model "${name}": ${path.relative(webDir, p)} is missing`);
    return fs.readFileSync(p);
  };
  return {
    config: file('config.json').toString('utf8'),
    tokenizer: file('tokenizer.json').toString('utf8'),
    weights: new Uint8Array(file('model.safetensors')),
    probes: readProbes(entry.probes),
    // The head report `llmsim heads` printed for these weights, if shipped: the page
    // shows it instead of computing it again (tests/js/model.test.js holds it current).
    heads: fs.existsSync(path.join(dir, 'heads.json')) ? fs.readFileSync(path.join(dir, 'heads.json'), 'utf8') : null,
  };
}
