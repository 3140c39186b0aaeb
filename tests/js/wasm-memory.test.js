// The page's module grows its memory up to wasm32's 4 GB (gpt2-medium's 1.4 GB of F32
// weights and a run at its token cap need more than 2 GB). Past 2 GB, a pointer is a
// negative number to JavaScript's signed 32-bit view of it, so every way the bindings
// move bytes (strings in, JSON out, views of the module's memory, a model streamed in)
// must still read and write the right ones: here a model runs with its Trace and its
// weights above 2 GB and gives, bit for bit, what it gives below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModule, Engine, openModelStream } from '../../web/src/engine.js';
import { gpt2TokenizerJson, randomCheckpoint } from '../bench/gpt2-checkpoint.js';

const GB = 2 ** 30;
// Deep and narrow, with GPT-2's vocabulary: its Trace at the token cap is ~0.5 GB (48
// layers × 16 heads of [T, T] matrices), its weights 20 MB.
const SHAPE = { n_layer: 48, n_head: 16, n_embd: 64, n_positions: 1024, vocab_size: 50257 };

test('past 2 GB of WASM memory a model streams in and runs as it does below', async () => {
  const module = await createModule();  // a module of its own: its memory starts small
  const tokenizer = gpt2TokenizerJson();
  const pieces = [];
  const config = randomCheckpoint(SHAPE, (bytes) => pieces.push(bytes.slice()));
  const head = Buffer.concat(pieces.slice(0, 2));
  const install = (name) => {
    const stream = openModelStream(module, { config, tokenizer, head: new Uint8Array(head) });
    for (const piece of pieces) stream.feed(piece.slice());
    stream.install(name, name);
  };
  const text = 'the cat sat on the mat and looked at the bird. '.repeat(60);
  const look = (engine, name) => {
    const summary = engine.run(text, { model: name, top_k: 5 });
    return { summary, weights: engine.matrix('weights', 47, 15).data, q: engine.matrix('q', 30, 7).data };
  };

  install('below');
  const first = new Engine(module);
  const below = look(first, 'below');
  assert.ok(below.summary.tokens.length > 64 && below.summary.warning.includes('cap'), 'the text reaches the token cap');
  // Runs held alive push the memory up until it is past 2 GB ...
  const held = [];
  while (module.HEAPU8.length < 2 * GB + GB / 4 && held.length < 10) {
    held.push(new Engine(module));
    held.at(-1).run(text, { model: 'below', top_k: 5 });
  }
  assert.ok(module.HEAPU8.length > 2 * GB, `the memory grew to ${(module.HEAPU8.length / GB).toFixed(2)} GB only`);
  // ... where the same model streamed in again, and a new run's Trace, now live.
  install('above');
  const last = new Engine(module);
  const above = look(last, 'above');
  assert.ok(module.HEAPU8.length > 2 * GB);
  assert.deepEqual(above.summary.tokens, below.summary.tokens);
  assert.ok(below.summary.top_k.length === 5);
  assert.deepEqual(above.summary.top_k, below.summary.top_k);
  assert.deepEqual(above.summary.loss, below.summary.loss);
  assert.deepEqual(above.weights, below.weights);
  assert.deepEqual(above.q, below.q);
  for (const engine of [first, ...held, last]) engine.dispose();
});
