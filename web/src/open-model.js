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
// What a model may take of the WASM memory (4 GB, wasm32's limit) while it loads: the
// weights being made from the file as it streams in (the core's peak_bytes:
// checkpoint_size). The rest is room for a run after (a Trace at the token cap is at
// most 512 MiB) and the models already there. gpt2-medium (355 M parameters, 1.6 GB)
// fits; gpt2-large (774 M, 3.3 GB) does not.
const MAX_PEAK_BYTES = 3 * 1024 * 1024 * 1024;
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

// The bytes of a model.safetensors go, as they are read, to a sink: { feed(bytes) }
// (which may return a promise: the next piece waits for it, so a reader faster than
// the engine does not pile pieces up). The engine's stream (AsyncEngine.openStream)
// decodes them into the weights as they come; gather() keeps them as one array.
const PIECE_BYTES = 8 * MB;  // pieces handed on: a few, not one per read of the stream

export function gather() {
  const pieces = [];
  return {
    feed(bytes) { pieces.push(bytes); },
    get bytes() {
      const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of pieces) { all.set(p, at); at += p.length; }
      return all;
    },
  };
}

// Reads `reader` (a stream's) to its end, handing `sink` pieces of PIECE_BYTES (the
// last shorter), each an array of its own (a worker can take it without a copy);
// `onRead(bytesSoFar)` after each read. Up to IN_FLIGHT pieces wait on the sink at
// once, so reading the next piece overlaps decoding the last (one at a time, the
// file streamed at half the speed) and no more than that piles up. A sink whose feed
// resolves with the piece it was given (the engine's worker sends it back) gets it
// again to fill: fresh memory costs a page fault per 4 KB the first time it is
// written, and 500 MB of new pieces cost Chromium about 1.2 s of a 500 MB checkpoint's
// load here. Resolves with the byte count.
const IN_FLIGHT = 2;
async function pump(reader, sink, onRead = () => {}) {
  const waiting = [], returned = [];
  const newPiece = () => returned.pop() || new Uint8Array(PIECE_BYTES);
  const hand = async (bytes) => {
    const fed = Promise.resolve(sink.feed(bytes)).then((back) => {
      if (back instanceof Uint8Array && back.length === PIECE_BYTES) returned.push(back);
    });
    fed.catch(() => {});  // handled below, when its turn comes: not an unhandled rejection meanwhile
    waiting.push(fed);
    if (waiting.length >= IN_FLIGHT) await waiting.shift();
  };
  let piece = newPiece(), filled = 0, total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let at = 0; at < value.length;) {
        const take = Math.min(value.length - at, PIECE_BYTES - filled);
        piece.set(value.subarray(at, at + take), filled);
        filled += take, at += take;
        if (filled === PIECE_BYTES) { await hand(piece); piece = newPiece(); filled = 0; }
      }
      total += value.length;
      onRead(total);
    }
    if (filled) await hand(piece.slice(0, filled));
  } finally {
    await Promise.allSettled(waiting);  // nothing left running after an error either
  }
  await Promise.all(waiting);  // the first failure, if any, is the error
  return total;
}

// The folder's files, read: { config, tokenizer (text), folder (a name to show), size
// (what the core says loading needs) }, the weights' bytes handed to the sink
// `open(config, tokenizer, header)` makes (a promise of one) as they are read.
// `sizeOf(config, header)` asks the engine what the checkpoint needs ({ parameters,
// peak_bytes }); `progress` is told { phase, done, total, size } as it goes.
export async function readModelFolder(files, { sizeOf, open = () => gather(), progress = () => {} }) {
  const chosen = modelFolderFiles(files);
  const config = await chosen.config.text();
  const header = await safetensorsHeader(chosen.weights);
  const size = await sizeOf(config, header);
  refuseTooBig(size);
  const [first, second] = chosen.tokenizer;
  const tokenizer = second ? tokenizerJsonOf(await first.text(), await second.text()) : await first.text();
  const total = chosen.weights.size;
  progress({ phase: 'reading', done: 0, total, size });
  const sink = await open(config, tokenizer, header);
  const read = await pump(chosen.weights.stream().getReader(), sink, (done) => progress({ phase: 'reading', done, total, size }));
  if (read !== total) throw new Error(`${chosen.weights.name} changed while it was read.`);
  const path = chosen.weights.webkitRelativePath || '';
  return { config, tokenizer, size, sink, folder: path.includes('/') ? path.split('/').at(-2) : '' };
}

function refuseTooBig(size) {
  if (size.peak_bytes > MAX_PEAK_BYTES)
    throw new Error(`This model has ${grouped(size.parameters)} parameters; loading it needs about ${(size.peak_bytes / MB).toFixed(0)} MB, more than the page's ${MAX_PEAK_BYTES / MB} MB.`);
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
// last streamed to the sink with its progress, its size asked for as soon as its
// header is in (before the sink is opened).
export async function fetchModelFolder(base, { sizeOf, open = () => gather(), progress = () => {} }) {
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
  // The header first (held until it is whole: sizeOf and the sink need it), then the
  // bytes straight on to the sink.
  const head = [];
  let headLength = 0, headerEnd = Infinity;
  while (headLength < headerEnd) {
    const { done, value } = await reader.read();
    if (done) break;
    head.push(value);
    headLength += value.length;
    if (headerEnd === Infinity && headLength >= 8) {
      const first8 = concat(head).subarray(0, 8);
      headerEnd = 8 + Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
      if (headerEnd > 100 * MB) break;  // not a safetensors file: the core says why
    }
  }
  const start = concat(head);
  const size = await sizeOf(config, start.subarray(0, Math.min(start.length, headerEnd)));
  if (size.peak_bytes > MAX_PEAK_BYTES) reader.cancel();
  refuseTooBig(size);
  progress({ phase: 'reading', done: start.length, total: total || start.length, size });
  const sink = await open(config, tokenizer, start.subarray(0, Math.min(start.length, headerEnd)));
  // What was read with the header goes first, then the rest of the stream.
  const rest = { first: true, read: () => (rest.first ? (rest.first = false, Promise.resolve({ done: false, value: start })) : reader.read()) };
  await pump(rest, sink, (done) => progress({ phase: 'reading', done, total: total || done, size }));
  return { config, tokenizer, size, sink, folder: decodeURIComponent(base.pathname.split('/').filter(Boolean).at(-1) || '') };
}

function concat(arrays) {
  if (arrays.length === 1) return arrays[0];
  const all = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) { all.set(a, at); at += a.length; }
  return all;
}
