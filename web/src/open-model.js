// "Open a model…": a model folder from the reader's disk (no upload: the files are
// read in the page and handed to the engine's worker). Two layouts are read:
//   - the project's own, as `llmsim train` and the Train view's Download write it:
//     config.json, tokenizer.json and model.safetensors;
//   - a Hugging Face GPT-2 checkpoint: config.json, model.safetensors, and GPT-2's
//     tokenizer as tokenizer.json or as vocab.json + merges.txt.
// Which one a folder is, and whether its files are right, is the core's to say
// (model/hf_gpt2.hpp, text/gpt2_tokenizer.hpp): the page only gathers the files.
import { grouped } from './format.js';

const TOKENIZER_FILES = 'tokenizer.json, or vocab.json and merges.txt';
// What the WASM memory (2 GB) holds while a model loads: the file's bytes, the weights
// being made from them, and room for a run after.
const MAX_PEAK_BYTES = 1536 * 1024 * 1024;
const MB = 1024 * 1024;

// The files among `files` (a FileList or an array of File) by name, and an Error that
// says what is missing, before anything is read.
export function modelFolderFiles(files) {
  const byName = new Map();
  for (const file of files) byName.set(file.name, file);
  const missing = ['config.json', 'model.safetensors'].filter((name) => !byName.has(name));
  const tokenizer = byName.has('tokenizer.json') ? ['tokenizer.json']
    : byName.has('vocab.json') && byName.has('merges.txt') ? ['vocab.json', 'merges.txt'] : null;
  if (!tokenizer) missing.push(TOKENIZER_FILES);
  if (missing.length) {
    const got = [...byName.keys()].slice(0, 5).map((n) => `“${n.slice(0, 60)}”`).join(', ') || 'nothing';
    throw new Error(`A model folder has config.json, model.safetensors and ${TOKENIZER_FILES}; missing: ${missing.join('; ')} (chosen: ${got}). Choose all the files of the folder.`);
  }
  return { config: byName.get('config.json'), weights: byName.get('model.safetensors'), tokenizer: tokenizer.map((name) => byName.get(name)) };
}

// GPT-2's vocab.json and merges.txt as the Hugging Face tokenizer.json they make
// ({"model": {"type": "BPE", "vocab", "merges"}}), the one form the core reads a
// GPT-2 tokenizer from text in. vocab.json goes in as its text, unparsed.
export function tokenizerJsonOf(vocabJson, mergesTxt) {
  const merges = mergesTxt.split('\n').map((line) => line.replace(/\r$/, ''))
    .filter((line, i) => line && !(i === 0 && line.startsWith('#version')));
  return `{"model":{"type":"BPE","vocab":${vocabJson},"merges":${JSON.stringify(merges)}}}`;
}

// The first bytes of a safetensors file: its 8-byte header length and the header.
export async function safetensorsHeader(file) {
  if (file.size < 8) throw new Error(`${file.name} is ${file.size} bytes: too short for a safetensors file.`);
  const length = new DataView(await file.slice(0, 8).arrayBuffer()).getBigUint64(0, true);
  if (length > 100n * BigInt(MB) || 8n + length > BigInt(file.size))
    throw new Error(`${file.name}: its header says ${length} bytes, which the file does not hold: not a safetensors file, or cut short.`);
  return new Uint8Array(await file.slice(0, 8 + Number(length)).arrayBuffer());
}

// A file's bytes, read in pieces so `onProgress(bytesRead)` can show how far it is.
export async function readWithProgress(file, onProgress) {
  const bytes = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > bytes.length) throw new Error(`${file.name} changed while it was read.`);
    bytes.set(value, offset);
    offset += value.length;
    onProgress(offset);
  }
  if (offset !== bytes.length) throw new Error(`${file.name} changed while it was read.`);
  return bytes;
}

// The folder's files, read: { config, tokenizer (text), weights (Uint8Array), folder (a
// name to show), size (what the core says loading needs) }. `sizeOf(config, header)`
// asks the engine what the checkpoint needs ({ parameters, peak_bytes }); `progress`
// is told { phase, done, total, size } as it goes.
export async function readModelFolder(files, { sizeOf, progress = () => {} }) {
  const chosen = modelFolderFiles(files);
  const config = await chosen.config.text();
  const size = await sizeOf(config, await safetensorsHeader(chosen.weights));
  if (size.peak_bytes > MAX_PEAK_BYTES)
    throw new Error(`This model has ${grouped(size.parameters)} parameters; loading it needs about ${(size.peak_bytes / MB).toFixed(0)} MB, more than the page's ${MAX_PEAK_BYTES / MB} MB.`);
  const [first, second] = chosen.tokenizer;
  const tokenizer = second ? tokenizerJsonOf(await first.text(), await second.text()) : await first.text();
  const total = chosen.weights.size;
  progress({ phase: 'reading', done: 0, total, size });
  const weights = await readWithProgress(chosen.weights, (done) => progress({ phase: 'reading', done, total, size }));
  const path = chosen.weights.webkitRelativePath || '';
  return { config, tokenizer, weights, size, folder: path.includes('/') ? path.split('/').at(-2) : '' };
}

// A checkpoint a site owner put beside the site and named in the page's URL
// (?checkpoint=models/gpt2/): the folder's URL, resolved against the page's, and an
// Error for anything not on the page's own origin (nothing is fetched from elsewhere;
// a page opened from file:// cannot fetch files at all).
export function checkpointUrl(param, pageUrl) {
  const page = new URL(pageUrl);
  if (!/^https?:$/.test(page.protocol))
    throw new Error('a checkpoint named in the URL needs the site served over http(s); from a file, use Open a model… instead.');
  const url = new URL(String(param).endsWith('/') ? param : `${param}/`, page);
  if (url.origin !== page.origin)
    throw new Error(`the checkpoint must be on this site (${page.origin}), not ${url.origin.slice(0, 80)}.`);
  return url;
}

// The same folder as readModelFolder reads, fetched from `base` (checkpointUrl):
// config.json, tokenizer.json (or vocab.json + merges.txt) and model.safetensors, the
// last read in pieces with its progress, its size asked for as soon as its header is in.
export async function fetchModelFolder(base, { sizeOf, progress = () => {} }) {
  const get = async (name, optional = false) => {
    const response = await fetch(new URL(name, base), { credentials: 'same-origin' });
    if (response.ok) return response;
    if (optional && response.status === 404) return null;
    throw new Error(`${new URL(name, base).pathname.slice(0, 120)}: the site answered ${response.status}.`);
  };
  const config = await (await get('config.json')).text();
  const tokenizerFile = await get('tokenizer.json', true);
  const tokenizer = tokenizerFile ? await tokenizerFile.text()
    : tokenizerJsonOf(await (await get('vocab.json')).text(), await (await get('merges.txt')).text());
  const response = await get('model.safetensors');
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  let bytes = new Uint8Array(total || 1 << 20), length = 0, size = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.length > bytes.length) {  // no or a wrong Content-Length: grow
      const grown = new Uint8Array(Math.max(bytes.length * 2, length + value.length));
      grown.set(bytes.subarray(0, length));
      bytes = grown;
    }
    bytes.set(value, length);
    length += value.length;
    if (!size && length >= 8) {
      const headerEnd = 8 + Number(new DataView(bytes.buffer, 0, 8).getBigUint64(0, true));
      if (length >= headerEnd || headerEnd > 100 * MB) {
        size = await sizeOf(config, bytes.slice(0, Math.min(length, headerEnd)));
        if (size.peak_bytes > MAX_PEAK_BYTES) {
          reader.cancel();
          throw new Error(`This model has ${grouped(size.parameters)} parameters; loading it needs about ${(size.peak_bytes / MB).toFixed(0)} MB, more than the page's ${MAX_PEAK_BYTES / MB} MB.`);
        }
      }
    }
    if (size) progress({ phase: 'reading', done: length, total: total || length, size });
  }
  if (!size) size = await sizeOf(config, bytes.subarray(0, length));  // too short: the core says why
  const weights = length === bytes.length ? bytes : bytes.slice(0, length);
  return { config, tokenizer, weights, size, folder: decodeURIComponent(base.pathname.split('/').filter(Boolean).at(-1) || '') };
}
