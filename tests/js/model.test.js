// The shipped models in the real WASM module, against the native CLI on the same files:
// same tokens, same attention, same predictions, same head labels; and each model's
// heads against the claims web/models/README.md makes. Golden output is produced by
// build/native/llmsim in this run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getModule, Engine, installModel } from '../../web/src/engine.js';
import { MANIFEST, modelList } from '../../web/src/manifest.js';

// english (the default, ordinary English) and tinygpt (the story world).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/llmsim');
const MODELS = ['english', 'tinygpt'];
const dirOf = (name) => path.join(root, 'web/models', name);
const modelDir = dirOf('tinygpt');
const native = (args) => JSON.parse(execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 28 }));
const nativeHeads = {};  // `llmsim heads` on a shipped model takes seconds: run it once each
const shippedHeads = (name) => (nativeHeads[name] ??= native(['heads', '--model', dirOf(name)]));

let module, engine;
before(async () => {
  module = await getModule();  // with the manifest's default model installed
  engine = new Engine(module);
  await engine.ensureModel('tinygpt');  // in Node, from web/models/tinygpt and web/probes/stories
});

function maxAbsDiff(a, b) {
  let m = 0;
  a.forEach((row, i) => row.forEach((x, j) => { m = Math.max(m, Math.abs(x - b[i][j])); }));
  return m;
}

test('the models are the manifest\'s, in its order, then random; the default is installed at start, the others on demand', async () => {
  assert.deepEqual(engine.models.map((m) => m.name), [...MANIFEST.models.map((m) => m.name), 'random']);
  assert.deepEqual(engine.models.slice(0, -1).map((m) => m.title), MANIFEST.models.map((m) => m.title));
  const fresh = new Engine(module);
  try {
    assert.equal(fresh.isInstalled(MANIFEST.default), true);
    assert.equal(fresh.isInstalled('tinygpt'), true);  // installed by before(), shared by every engine on the module
    assert.equal(fresh.run('Hi', { model: MANIFEST.default }).model_name, MANIFEST.default);
    await assert.rejects(fresh.ensureModel('nope'), /no model "nope"/);
  } finally {
    fresh.dispose();
  }
});

// The token cap (model/token_cap.hpp): the shipped models read their whole context;
// a model whose runs read fewer tokens (GPT-2's size) is listed with a note saying so.
test('the shipped models read their whole context; a capped model says how many tokens it reads', () => {
  const listed = JSON.parse(module.listModels());
  assert.deepEqual(listed.map((m) => m.name).sort(), [...MODELS].sort());
  for (const m of listed) assert.equal(m.token_cap, m.context, `${m.name}: cap ${m.token_cap}, context ${m.context}`);
  const [whole, capped] = modelList([{ name: 'a', title: 'A', context: 96, token_cap: 96 }, { name: 'b', title: 'B', context: 1024, token_cap: 384 }]).slice(-3, -1);
  assert.equal(whole.about, '');
  assert.match(capped.about, /at most 384 tokens a run, not its context's 1024/);
});

for (const name of MODELS) for (const text of ['The cat sat on the mat.', 'Once upon a time, there was a little fox named Pip. 🦊 ünïcode']) {
  test(`WASM and native agree on ${name}: ${JSON.stringify(text)}`, () => {
    const golden = native(['trace', '--model', dirOf(name), '--text', text, '--top-k', '5']);
    const s = engine.run(text, { model: name, top_k: 5 });
    assert.deepEqual(s.tokens, golden.tokens);
    assert.deepEqual(s.ids, golden.ids);
    assert.equal(s.tokens[0], '<bos>');
    const wasm = engine.traceJson();
    let worst = 0;
    golden.layers.forEach((layer, l) => layer.heads.forEach((head, h) => {
      worst = Math.max(worst, maxAbsDiff(wasm.layers[l].heads[h].weights, head.weights));
    }));
    assert.ok(worst <= 1e-5, `attention weights differ by ${worst}`);
    assert.deepEqual(s.top_k.map((p) => p.text), golden.top_k.map((p) => p.text));
    s.top_k.forEach((p, i) => assert.ok(Math.abs(p.probability - golden.top_k[i].probability) < 1e-4));
    assert.ok(Math.abs(s.loss - golden.loss) < 1e-4, `${s.loss} vs ${golden.loss}`);
  });
}

// While the reader types, each run reuses the rows of the tokens the text still shares
// with the previous run (the KV cache), and so does the every-head-on run behind a run
// with heads switched off. Those rows must be exactly what a fresh run computes: the
// summary (baseline loss and top-k included) and the whole trace, serialised, are
// compared with a new Simulator's.
test('typing reuses earlier tokens and gives the same bits as a fresh run, with heads on or off', () => {
  const typed = new Engine(module);
  const text = 'Once upon a time, the cat sat on the mat. 🦊';
  const edits = [];
  for (let i = 1; i <= text.length; i += 3) edits.push(text.slice(0, i));
  edits.push(text, text.slice(0, 20), 'Once upon a dog', '', 'The end.');
  const settings = [{}, { ablate: ['0.3', '2.1'] }, { ablate: ['1.2'], ablate_mode: 'mean' }];
  try {
    for (const setting of settings) for (const edit of edits) {
      const options = { model: 'tinygpt', top_k: 5, ...setting };
      const summary = typed.run(edit, options);
      const fresh = new Engine(module);
      try {
        const expected = fresh.run(edit, options);
        assert.equal(Boolean(summary.baseline), Boolean(setting.ablate) && summary.tokens.length > 0, JSON.stringify(edit));
        assert.deepEqual(summary, expected, JSON.stringify(edit));
        assert.equal(typed.simulator.traceJson(), fresh.simulator.traceJson(), JSON.stringify(edit));
      } finally {
        fresh.dispose();
      }
    }
  } finally {
    typed.dispose();
  }
});

// The page types with predictions off in the views that show none (`predict: false`:
// no logits, the largest product of a keystroke at GPT-2's size) and runs the same text
// with them on when a view that shows them opens. That run must compute the logits of
// every row the typing skipped: the same bits as a fresh run.
test('typing without predictions skips them, and the next run with them has a fresh run\'s bits', () => {
  const typed = new Engine(module);
  const text = 'Once upon a time, the cat sat on the mat.';
  try {
    typed.run(text.slice(0, 9), { model: 'tinygpt', top_k: 5 });
    for (let i = 10; i <= text.length; i += 4) {
      const quiet = typed.run(text.slice(0, i), { model: 'tinygpt', top_k: 5, predict: false });
      assert.deepEqual(quiet.top_k, []);
      assert.equal(quiet.loss, null);
    }
    for (const edit of [text, `${text} The`]) {
      const options = { model: 'tinygpt', top_k: 5 };
      const summary = typed.run(edit, options);
      const fresh = new Engine(module);
      try {
        assert.deepEqual(summary, fresh.run(edit, options), JSON.stringify(edit));
        assert.equal(typed.simulator.traceJson(), fresh.simulator.traceJson(), JSON.stringify(edit));
      } finally {
        fresh.dispose();
      }
    }
    // Export JSON after a run without predictions has them all the same.
    typed.run(`${text} The end`, { model: 'tinygpt', top_k: 5, predict: false });
    const exported = typed.traceJson();
    const fresh = new Engine(module);
    try {
      fresh.run(`${text} The end`, { model: 'tinygpt', top_k: 5 });
      assert.deepEqual(exported, fresh.traceJson());
      assert.equal(exported.top_k.length, 5);
    } finally {
      fresh.dispose();
    }
  } finally {
    typed.dispose();
  }
});

test('switching heads off changes the loss and reports the baseline; errors are clear', () => {
  const text = 'The little cat sat on the mat and the little dog sat on the rug.';
  const plain = engine.run(text, { model: 'tinygpt' });
  const off = engine.run(text, { model: 'tinygpt', ablate: ['0.0', '0.1', '0.2', '0.3'] });
  assert.equal(off.baseline.loss, plain.loss);
  assert.notEqual(off.loss, plain.loss);
  const golden = native(['ablate', '--model', modelDir, '--text', text, '--heads', '0.0,0.1,0.2,0.3', '--mode', 'zero']);
  assert.ok(Math.abs(off.loss - golden.loss_after) < 1e-4, `${off.loss} vs native ${golden.loss_after}`);
  assert.throws(() => engine.run(text, { model: 'tinygpt', ablate: ['9.9'] }), /head 9\.9 does not exist/);
  assert.throws(() => engine.run(text, { model: 'tinygpt', ablate: ['x'] }), /layer\.head/);
  assert.throws(() => engine.run(text, { model: 'nope' }), /no model named "nope"/);
});

for (const name of MODELS) {
  test(`mean ablation runs in WASM and matches the native CLI: ${name}`, () => {
    const text = 'Tom saw a big red ball in the park.';
    const s = engine.run(text, { model: name, ablate: ['1.2'], ablate_mode: 'mean' });
    const golden = native(['ablate', '--model', dirOf(name), '--text', text, '--heads', '1.2', '--mode', 'mean']);
    assert.ok(Math.abs(s.loss - golden.loss_after) < 1e-3, `${s.loss} vs native ${golden.loss_after}`);
  });

  // Each model on its own probe set (web/models/models.json): the page and the CLI
  // must read the same files. (module.headReport computes in WASM; engine.headLabels
  // would give the shipped heads.json, checked against the CLI below.)
  test(`head labels computed in WASM equal the native CLI's: ${name}`, () => {
    const wasm = JSON.parse(module.headReport(name));
    const golden = shippedHeads(name);
    assert.equal(wasm.length, golden.length);
    wasm.forEach((h, i) => {
      assert.equal(h.label, golden[i].label, `L${h.layer}H${h.head}`);
      assert.deepEqual(h.also, golden[i].also, `L${h.layer}H${h.head}`);
      assert.ok(Math.abs(h.prev_token - golden[i].prev_token) < 1e-4);
      assert.equal(h.induction_text === null, golden[i].induction_text === null);
      if (h.induction_text !== null) assert.ok(Math.abs(h.induction_text - golden[i].induction_text) < 1e-4);
    });
  });
}

// What web/models/README.md claims for `english`, measured on ordinary English it was
// not trained on (web/probes/english): the bars (a previous-token head >= 0.6, a
// first-token sink >= 0.5, an induction head >= 0.5 on a repeated English passage, the
// most important head costing >= 5 % of the held-out loss when switched off, idle heads
// under 1 %), and a determiner head well above the fixed-offset baseline.
test('the English model has the heads its README claims, on English text', () => {
  const heads = shippedHeads('english');
  const best = (key) => Math.max(...heads.map((h) => h[key]));
  assert.ok(best('prev_token') >= 0.6, `best previous-token score ${best('prev_token')}`);
  assert.ok(best('first_token') >= 0.5, `best first-token score ${best('first_token')}`);
  assert.ok(best('induction') >= 0.5, `best induction score ${best('induction')}`);
  assert.ok(best('induction_text') >= 0.5, `best induction score on repeated English ${best('induction_text')}`);
  assert.ok(best('importance_relative') >= 0.05, `the most important head costs ${best('importance_relative')}`);
  const syntactic = heads.filter((h) => h.label === 'syntactic' || h.also.includes('syntactic'));
  assert.ok(syntactic.some((h) => h.syntactic.accuracy >= 0.65 && h.syntactic.accuracy - h.syntactic.baseline >= 0.25),
    `no syntactic head 0.25 above its baseline: ${JSON.stringify(syntactic.map((h) => h.syntactic))}`);
  for (const h of heads.filter((x) => x.label === 'idle'))
    assert.ok(Math.abs(h.importance_relative) < 0.01, `idle head ${h.layer}.${h.head} costs ${h.importance_relative}`);
  const labels = new Set(heads.flatMap((h) => [h.label, ...h.also]));
  for (const kind of ['previous-token', 'induction', 'syntactic', 'idle']) assert.ok(labels.has(kind), `no ${kind} head: ${[...labels]}`);
});

// The kinds web/models/README.md says tinygpt has, on its story probes: previous-token,
// first-token sink, induction, syntactic, semantic (as a head's label or as a rule it
// also clears) and idle.
test('tinygpt has the heads its README claims, on story text', () => {
  const heads = shippedHeads('tinygpt');
  const best = (key) => Math.max(...heads.map((h) => h[key]));
  assert.ok(best('prev_token') >= 0.6, `best previous-token score ${best('prev_token')}`);
  assert.ok(best('first_token') >= 0.6, `best first-token score ${best('first_token')}`);
  assert.ok(best('induction') >= 0.5, `best induction score ${best('induction')}`);
  const labels = new Set(heads.flatMap((h) => [h.label, ...h.also]));
  for (const kind of ['previous-token', 'induction', 'syntactic', 'semantic', 'idle']) assert.ok(labels.has(kind), `no ${kind} head: ${[...labels]}`);
});

// HEADS.md is the table the README points readers to: for each model, under its own
// heading, it must be what the CLI prints for the shipped weights now, and its label
// column must carry every rule a head clears.
for (const name of MODELS) test(`web/models/HEADS.md holds the current \`llmsim heads --markdown\` of ${name}`, () => {
  const printed = execFileSync(cli, ['heads', '--model', dirOf(name), '--markdown'], { encoding: 'utf8' });
  const committed = fs.readFileSync(path.join(root, 'web/models/HEADS.md'), 'utf8');
  const section = committed.split(/^## /m).find((part) => part.startsWith(`\`${name}\``));
  assert.ok(section, `HEADS.md has no "## \`${name}\`" section`);
  assert.ok(section.includes(printed), `HEADS.md is stale: rerun \`llmsim heads --model web/models/${name} --markdown\``);
  const rows = printed.trim().split('\n').slice(2).map((line) => line.split('|').map((c) => c.trim()));
  const heads = shippedHeads(name);
  assert.equal(rows.length, heads.length);
  rows.forEach((cells, i) => {
    assert.equal(cells[1], `${heads[i].layer}.${heads[i].head}`);
    assert.equal(cells[12], [heads[i].label, ...heads[i].also].join(' + '));
  });
});

// The page shows web/models/<name>/heads.json rather than spending tens of seconds of
// WASM on it: it must be what the CLI prints for the weights now, and what the engine gives.
for (const name of MODELS) test(`web/models/${name}/heads.json is the current \`llmsim heads\`, and the engine shows it`, () => {
  const shipped = JSON.parse(fs.readFileSync(path.join(dirOf(name), 'heads.json'), 'utf8'));
  assert.deepEqual(shipped, shippedHeads(name), `heads.json is stale: rerun \`llmsim heads --model web/models/${name} > web/models/${name}/heads.json\``);
  assert.deepEqual(engine.headLabels(name), shipped);
});

test('a broken weight file is a clear error, and the module keeps working', () => {
  const read = (f) => fs.readFileSync(path.join(modelDir, f));
  const weights = new Uint8Array(read('model.safetensors'));
  assert.throws(() => installModel(module, { name: 'broken', title: 'x', config: read('config.json').toString(), tokenizer: read('tokenizer.json').toString(), weights: weights.slice(0, 1000) }),
    /model\.safetensors/);
  assert.throws(() => installModel(module, { name: 'broken', title: 'x', config: '{"vocab_size": 3}', tokenizer: read('tokenizer.json').toString(), weights }), /config/);
  assert.equal(engine.run('still fine', { model: 'tinygpt' }).tokens[0], '<bos>');
});

test('llmsim train --help lists the options, with the shipped model\'s shape as the default', () => {
  const help = execFileSync(cli, ['train', '--help'], { encoding: 'utf8' });
  assert.match(help, /^usage: llmsim train --out DIR/);
  for (const option of ['--out', '--log-dir', '--seed', '--threads', '--vocab', '--d-model', '--layers', '--heads',
    '--context', '--d-ff', '--steps', '--batch', '--lr', '--min-lr', '--warmup', '--weight-decay',
    '--repeat-fraction', '--train-bytes', '--val-bytes', '--tokenizer-bytes', '--eval-every', '--print-every'])
    assert.ok(help.includes(option), `${option} is missing from the help`);
  const c = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
  assert.ok(help.includes(`model shape (default ${c.d_model}, ${c.n_layer}, ${c.n_head}, ${c.context}, ${c.d_ff})`), help);
  assert.ok(help.includes(`BOS included (default ${c.vocab_size})`), help);
});
