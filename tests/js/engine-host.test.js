// The engine's host (web/src/engine-host.js), the program the page's worker runs, in
// Node over a real MessageChannel with the real WASM module: what a run sends back is
// what the synchronous engine computes; matrices of a run that a newer run replaced
// are refused; each page engine keeps its own simulator; errors come back as errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../web/src/engine-host.js';
import { createEngine } from '../../web/src/engine.js';
import { readModel } from '../../web/src/node-models.js';
import { MANIFEST } from '../../web/src/manifest.js';

// The page's side of the protocol, as async-engine.js speaks it: { id, op, ... } in,
// { id, result } or { id, error } out, after one { type: 'ready' }.
function connect() {
  const { port1, port2 } = new MessageChannel();
  serve(port2);
  const pending = new Map();
  let nextId = 1, onReady;
  const ready = new Promise((resolve) => { onReady = resolve; });
  port1.on('message', (m) => {
    if (m.type === 'ready') return onReady(m);
    const waiting = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) waiting.reject(new Error(m.error)); else waiting.resolve(m.result);
  });
  const request = (op, args = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    port1.postMessage({ id, op, ...args });
  });
  return { ready, request, close: () => { port1.close(); port2.close(); } };
}

const MODEL = MANIFEST.default;
const weightsOf = (layer, head) => ({ matrix: ['weights', layer, head] });
let host, reference;
before(async () => {
  host = connect();
  const { maxTokens } = await host.ready;
  assert.ok(maxTokens > 0);
  await host.request('install', { name: MODEL, data: readModel(MODEL) });
  await host.request('open', { engine: 1 });
  await host.request('open', { engine: 2 });
  reference = await createEngine();
});
after(() => { host.close(); reference.dispose(); });

test('a run sends back the summary and exactly the matrices asked for, equal to the synchronous engine\'s', async () => {
  const text = 'The cat sat on the mat.';
  const options = { model: MODEL, top_k: 5 };
  const reply = await host.request('run', { engine: 1, text, options, needs: [weightsOf(1, 2), { weight: ['w_o', 0] }] });
  const summary = reference.run(text, options);
  assert.deepEqual(reply.summary.tokens, summary.tokens);
  assert.deepEqual(reply.summary.charSpans, summary.charSpans);
  assert.equal(reply.matrices.length, 2);
  assert.deepEqual(reply.matrices[0].need, weightsOf(1, 2));
  assert.deepEqual(Array.from(reply.matrices[0].data), Array.from(reference.matrix('weights', 1, 2).data));
  assert.deepEqual(Array.from(reply.matrices[1].data), Array.from(reference.weight('w_o', 0).data));
  assert.ok(reply.ms > 0, 'the host times its own run');
});

test('a rollout need travels like a matrix, with the run and on request: the synchronous engine\'s rollout of that layer', async () => {
  const text = 'She opened the door and walked in.';
  const options = { model: MODEL };
  const reply = await host.request('run', { engine: 1, text, options, needs: [{ rollout: [2] }] });
  const more = await host.request('matrices', { engine: 1, run: reply.run, needs: [{ rollout: [0] }] });
  reference.run(text, options);
  assert.deepEqual(reply.matrices[0].need, { rollout: [2] });
  assert.deepEqual(Array.from(reply.matrices[0].data), Array.from(reference.rollout(2).data));
  assert.deepEqual(Array.from(more.matrices[0].data), Array.from(reference.rollout(0).data));
  assert.notDeepEqual(Array.from(more.matrices[0].data), Array.from(reply.matrices[0].data));
});

test('matrices of the last run come on request; those of a run a newer one replaced are refused', async () => {
  const first = await host.request('run', { engine: 1, text: 'One two three.', options: { model: MODEL }, needs: [] });
  const more = await host.request('matrices', { engine: 1, run: first.run, needs: [{ matrix: ['scores', 0, 1] }] });
  reference.run('One two three.', { model: MODEL });
  assert.deepEqual(Array.from(more.matrices[0].data), Array.from(reference.matrix('scores', 0, 1).data));
  const second = await host.request('run', { engine: 1, text: 'One two three four.', options: { model: MODEL }, needs: [] });
  assert.equal(second.run, first.run + 1);
  assert.deepEqual(await host.request('matrices', { engine: 1, run: first.run, needs: [weightsOf(0, 0)] }), { stale: true });
});

test('each page engine has its own simulator: one engine\'s run does not replace another\'s', async () => {
  const a = await host.request('run', { engine: 1, text: 'Alpha beta.', options: { model: MODEL }, needs: [] });
  await host.request('run', { engine: 2, text: 'Something else entirely.', options: { model: MODEL }, needs: [] });
  const more = await host.request('matrices', { engine: 1, run: a.run, needs: [weightsOf(0, 0)] });
  assert.equal(more.matrices[0].rows, a.summary.tokens.length);
});

test('the core\'s errors, and unknown operations, come back as errors; the host keeps serving', async () => {
  await assert.rejects(host.request('run', { engine: 1, text: 'x', options: { model: MODEL }, needs: [weightsOf(99, 0)] }), /layer|range|exist/i);
  await assert.rejects(host.request('nonsense'), /unknown operation/);
  await assert.rejects(host.request('run', { engine: 42, text: 'x', options: {}, needs: [] }), /no engine 42/);
  const labels = await host.request('headLabels', { model: MODEL });
  assert.ok(Array.isArray(labels) && labels.length > 0);
  const reply = await host.request('run', { engine: 1, text: 'Still here.', options: { model: MODEL }, needs: [] });
  assert.ok(reply.summary.tokens.length > 1);
});
