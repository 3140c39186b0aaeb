// Hostile calls into the real WASM module: each class must come back as a JS Error (or
// an {"error"} result) with a readable message, and leave the module as it found it:
// the WASM stack pointer (stackSave()) and the heap in use back where they started.
// Before the bindings caught everything, an error message cut inside a UTF-8 character
// made the binding itself throw: JS got a bare number, 48 B of WASM stack leaked per
// call, and about 109,000 such calls killed the module.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, Engine, installModel, wellFormedText } from '../../web/src/engine.js';
import { readModel } from '../../web/src/node-models.js';
import { MANIFEST } from '../../web/src/manifest.js';

let engine;
let module;
before(async () => {
  engine = await createEngine();
  module = engine.module;
});

// A name of `ascii` ASCII bytes followed by two-byte characters: cut at byte n, the
// cut falls inside a character for every other n.
const straddling = (ascii, chars = 40) => 'a'.repeat(ascii) + 'é'.repeat(chars);

// A minimal safetensors file: an 8-byte little-endian header length, then the header.
function safetensors(header) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

const tiny = readModel('tinygpt');

// The binding's run() with a raw options string (engine.run always sends valid JSON).
function runRaw(text, options) {
  const result = JSON.parse(engine.simulator.run(text, options));
  if (result.error) throw new Error(result.error);
  return result;
}
const deep = (n) => '['.repeat(n) + ']'.repeat(n);

// Each class: calls that must fail cleanly. `message` is what the error must say.
const HOSTILE = {
  'options that are not JSON, cut at 80 bytes': {
    calls: [0, 1].map((k) => () => runRaw('x', straddling(k, 60))),
    message: /options are not valid JSON/,
  },
  'model names cut at 40 bytes, at every byte offset': {
    calls: [0, 1, 2, 3].map((k) => () => engine.run('x', { model: straddling(k) })),
    message: /no model named "a*é+\.\.\."/,
  },
  'ablate entries cut at 20 bytes': {
    calls: [0, 1].map((k) => () => engine.run('x', { model: MANIFEST.default, ablate: [straddling(k)] })),
    message: /a head is written layer\.head/,
  },
  'tensor names cut at 80 bytes': {
    calls: [0, 1].map((k) => () => installModel(module, {
      ...tiny, name: 'hostile', title: '',
      weights: safetensors({ [straddling(k, 60)]: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }),
    })),
    message: /"a*é+\.\.\."/,
  },
  'deeply nested JSON': {
    calls: [
      () => installModel(module, { ...tiny, name: 'hostile', title: '', tokenizer: deep(50000) }),
      () => installModel(module, { ...tiny, name: 'hostile', title: '', config: deep(50000) }),
      () => engine.run('x', JSON.parse(`{"ablate": ${deep(1000)}}`)),
      () => runRaw('x', `{"seed": ${deep(50000)}}`),
    ],
    message: /./,
  },
  'numbers out of range': {
    calls: [
      () => engine.scalingLab({ draws: 1e99 }),
      () => engine.scalingLab({ nKeys: 2 ** 32 + 16 }),
      () => engine.scalingLab({ dKs: [1.5] }),
      () => engine.run('x', { top_k: 1e99 }),
      () => engine.run('x', { n_head: 2 ** 32 + 2 }),
      () => engine.run('x', { seed: -1 }),
    ],
    message: /must be|integer/,
  },
  'matrix() with a layer that is not an integer': {
    calls: [NaN, 0.5, '1', Infinity].map((layer) => () => {
      engine.run('a b', {});
      return engine.matrix('weights', layer, 0);
    }),
    message: /must be integers/,
  },
};

// Where the module's stack and heap stand (after warming the allocator's free lists).
function footprint() { return { stack: module.stackSave(), heap: module.heapInUse() }; }

for (const [name, { calls, message }] of Object.entries(HOSTILE)) {
  test(`hostile: ${name} gives an Error and leaves stack and heap as they were`, () => {
    const attempt = (call) => {
      try {
        call();
      } catch (e) {
        return e;
      }
      return null;
    };
    for (const call of calls) attempt(call);  // warm-up: first-use allocations
    const start = footprint();
    for (const call of calls) {
      const error = attempt(call);
      assert.ok(error instanceof Error, `${name}: expected an Error, got ${String(error)}`);
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\uFFFD'), `cut mid-character: ${error.message}`);
    }
    assert.deepEqual(footprint(), start);
  });
}

test('hostile: 200,000 failing calls leave the module working and the stack where it was', () => {
  const calls = [...HOSTILE['model names cut at 40 bytes, at every byte offset'].calls,
    ...HOSTILE['options that are not JSON, cut at 80 bytes'].calls,
    ...HOSTILE['numbers out of range'].calls];
  for (const call of calls) assert.throws(call);
  const start = footprint();
  for (let i = 0; i < 200000; i++) {
    try {
      calls[i % calls.length]();
    } catch (e) {
      if (!(e instanceof Error)) throw new Error(`call ${i} threw a non-Error: ${String(e)}`);
    }
  }
  assert.deepEqual(footprint(), start);
  assert.equal(engine.run('still working', {}).tokens.length, 2);
});

test('lone surrogates become U+FFFD and swallow nothing', () => {
  assert.equal(wellFormedText('a\uD800b c'), 'a\uFFFDb c');
  assert.equal(wellFormedText('x\uDC00'), 'x\uFFFD');
  assert.equal(wellFormedText('ok 🙂'), 'ok 🙂');  // a whole pair stays
  const s = engine.run('a\uD800b c', {});
  // "a?b" is one word (the random model splits on spaces): its span covers all 3 units.
  assert.deepEqual(s.tokens, ['a\uFFFDb', 'c']);
  assert.deepEqual(s.charSpans, [[0, 3], [4, 5]]);
});

test('a model replaced under the same name is never run with the old rows', async () => {
  const text = 'Once upon a time there was a little girl';
  const english = readModel(MANIFEST.default);
  const fresh = new Engine(module);
  installModel(module, { ...english, name: 'swap', title: 'swap' });
  const expected = fresh.run(`${text} who`, { model: 'swap' }).loss;
  fresh.dispose();

  const e = new Engine(module);
  installModel(module, { ...tiny, name: 'swap', title: 'swap' });
  e.run(text, { model: 'swap' });  // rows computed with tinygpt
  installModel(module, { ...english, name: 'swap', title: 'swap' });
  const got = e.run(`${text} who`, { model: 'swap' }).loss;  // must not reuse them
  e.dispose();
  assert.equal(got, expected);
});
