// "Open a model…": a model folder from the reader's disk (no upload: the files are
// read in the page and handed to the engine's worker). The folder is the project's
// own format, as `llmsim train` and the Train view's Download write it:
// config.json, tokenizer.json and model.safetensors.
const FILES = ['config.json', 'tokenizer.json', 'model.safetensors'];
const MAX_WEIGHT_BYTES = 200 * 1024 * 1024;  // well inside the 2 GB of WASM memory, weights and a run

// The three files among `files` (a FileList or an array of File), read: { config,
// tokenizer (text), weights (Uint8Array), folder (a name to show) }. An Error that says
// what is missing or wrong, before anything is read when it can.
export async function readModelFolder(files) {
  const byName = new Map();
  for (const file of files) byName.set(file.name, file);
  const missing = FILES.filter((name) => !byName.has(name));
  if (missing.length) {
    const got = [...byName.keys()].slice(0, 5).map((n) => `“${n.slice(0, 60)}”`).join(', ') || 'nothing';
    throw new Error(`A model folder has ${FILES.join(', ')}; ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing (chosen: ${got}). Choose all three files of the folder.`);
  }
  const weights = byName.get('model.safetensors');
  if (weights.size > MAX_WEIGHT_BYTES)
    throw new Error(`model.safetensors is ${(weights.size / 1048576).toFixed(0)} MB; the page opens models of up to ${MAX_WEIGHT_BYTES / 1048576} MB.`);
  const [config, tokenizer, bytes] = await Promise.all([
    byName.get('config.json').text(), byName.get('tokenizer.json').text(), weights.arrayBuffer(),
  ]);
  const path = weights.webkitRelativePath || '';
  return { config, tokenizer, weights: new Uint8Array(bytes), folder: path.includes('/') ? path.split('/').at(-2) : '' };
}
