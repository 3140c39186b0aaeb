// Example sentences for the page, chosen by measurement: for each trained model and each
// head role a learner asks about, the candidate text and the head on which that role
// shows most clearly, scored on the model's own attention weights (the WASM engine):
//   previous-token    mean A[i, i−1]                  over queries i ≥ 4
//   first-token sink  mean A[i, 0]                     over queries i ≥ 4
//   induction         mean A[i, p+1], p the last earlier position holding token i's
//                     token, over the queries of a sentence typed twice whose next token
//                     is the one that followed p (where copying forward is right)
//   syntactic         the model's best syntactic head (its head report), on the probe
//                     sentence where it finds the most annotated words of its relation
// Writes web/models/presets.json; tests/js/presets.test.js holds that file equal to what
// this computes for the shipped weights.
//   node scripts/choose-presets.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getModule, Engine } from '../web/src/engine.js';
import { MANIFEST } from '../web/src/manifest.js';
import { readProbes } from '../web/src/node-models.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PRESETS_FILE = path.join(root, 'web/models/presets.json');
const FIRST_SCORED = 4;  // as the head analysis (cpp/core/heads/pattern_scores.hpp)

// Ordinary modern English written for this purpose, none of it in the training corpus.
const ENGLISH = [
  'The cat sat on the mat because it was tired.',
  'She opened the door and looked at the quiet garden.',
  'The children built a small house from the old boxes.',
  'My brother bought a new bicycle for the long trip to the coast.',
  'After the storm, the farmers repaired the broken fence near the road.',
  'We missed the last bus, so we walked home through the park.',
  // rare names and numbers: an induction head has little else to go on, so it copies
  'Zara Okafor flew from Lagos to Oslo on flight 417 with Pedro Vasquez.',
  'Professor Lindqvist keeps 38 violins, 12 cellos and a harpsichord in Uppsala.',
];
// tinygpt knows only its story world: its candidates are its own validation stories.
const candidatesFor = (probes) => (probes.repeated
  ? ENGLISH
  : probes.validation.split('\n').filter((l) => l && !l.startsWith('#')).slice(0, 6).map((l) => l.split('. ').slice(0, 2).join('. ') + '.'));
const twice = (s) => `${s} ${s}`;  // a repeated sentence, where induction heads show

function weightsOf(engine, layer, head) {
  const { data, cols } = engine.matrix('weights', layer, head);
  return (i, j) => data[i * cols + j];
}

function meanOver(queries, f) {
  return queries.length ? queries.reduce((sum, i) => sum + f(i), 0) / queries.length : 0;
}

const ROLES = {
  'previous-token': { view: 'arcs', texts: (c) => c, score: (A, ids) => meanOver(range(FIRST_SCORED, ids.length), (i) => A(i, i - 1)) },
  'first-token sink': { view: 'heatmap', texts: (c) => c, score: (A, ids) => meanOver(range(FIRST_SCORED, ids.length), (i) => A(i, 0)) },
  induction: {
    view: 'heatmap',
    texts: (c) => c.map(twice),
    score: (A, ids) => {
      const targets = [];
      ids.forEach((id, i) => {  // only where copying what followed last time is right
        const p = ids.lastIndexOf(id, i - 1);
        if (i > 0 && p > 0 && p + 1 < i && i + 1 < ids.length && ids[p + 1] === ids[i + 1]) targets.push([i, p + 1]);
      });
      return meanOver(targets, ([i, k]) => A(i, k));
    },
  },
};

function range(from, to) { return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k); }

// The token holding the end of the n-th occurrence of `word` (whole word) in `text`.
function wordToken(summary, text, word, n = 1) {
  const re = new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g');
  let m;
  for (let k = 0; (m = re.exec(text)); ) if (++k === n) break;
  if (!m) return -1;
  const end = Buffer.byteLength(text.slice(0, m.index + word.length));
  return summary.spans.findIndex(([b, e]) => b < end && end <= e);
}

// Syntax probe lines: "SENTENCE | rel EARLIER LATER, ..." (cpp/core/heads/probes.hpp).
function syntaxSentences(probes) {
  return probes.syntax.split('\n').filter((l) => l.includes('|') && !l.startsWith('#')).map((line) => {
    const [sentence, pairs] = line.split('|').map((s) => s.trim());
    return { sentence, pairs: pairs.split(',').map((p) => p.trim().split(/\s+/)) };
  });
}

function syntacticPreset(engine, model, probes) {
  const heads = engine.headLabels(model).filter((h) => h.syntactic && (h.label === 'syntactic' || h.also.includes('syntactic')));
  if (!heads.length) return null;
  const best = heads.reduce((a, b) => (b.syntactic.accuracy > a.syntactic.accuracy ? b : a));
  const relation = best.syntactic.relation;
  let chosen = null;
  for (const { sentence, pairs } of syntaxSentences(probes)) {
    const mine = pairs.filter(([rel]) => rel === relation);
    if (mine.length === 0) continue;
    const summary = engine.run(sentence, { model });
    const A = weightsOf(engine, best.layer, best.head);
    let hits = 0, weight = 0;
    for (const [, earlier, later] of mine) {
      const [eWord, eN] = earlier.split('#'), [lWord, lN] = later.split('#');
      const q = wordToken(summary, sentence, lWord, Number(lN || 1)), k = wordToken(summary, sentence, eWord, Number(eN || 1));
      if (q < 0 || k < 0) continue;
      const row = range(1, q + 1).map((j) => A(q, j));  // BOS left out, as the analysis does
      if (row.indexOf(Math.max(...row)) + 1 === k) hits++;
      weight += A(q, k);
    }
    const score = hits / mine.length + weight / mine.length / 100;  // hits first, weight breaks ties
    if (!chosen || score > chosen.score) chosen = { text: sentence, score, hits, pairs: mine.length };
  }
  return { role: `syntactic (${relation})`, text: chosen.text, layer: best.layer, head: best.head, view: 'arcs',
    score: round(chosen.hits / chosen.pairs), why: `${chosen.hits} of its ${chosen.pairs} ${relation} words look hardest at the right word` };
}

const round = (x) => Math.round(x * 1000) / 1000;

export async function choosePresets() {
  const engine = new Engine(await getModule());
  const presets = {};
  for (const { name, probes: set } of MANIFEST.models) {
    await engine.ensureModel(name);
    const probes = readProbes(set);
    const candidates = candidatesFor(probes);
    const list = [];
    for (const [role, { view, texts, score }] of Object.entries(ROLES)) {
      let best = null;
      for (const text of texts(candidates)) {
        const summary = engine.run(text, { model: name });
        for (let layer = 0; layer < summary.n_layer; layer++)
          for (let head = 0; head < summary.n_head; head++) {
            const s = score(weightsOf(engine, layer, head), summary.ids);
            if (!best || s > best.score) best = { role, text, layer, head, view, score: round(s) };
          }
      }
      list.push(best);
    }
    const syntactic = syntacticPreset(engine, name, probes);
    if (syntactic) list.push(syntactic);
    presets[name] = list;
  }
  return presets;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const presets = await choosePresets();
  fs.writeFileSync(PRESETS_FILE, `${JSON.stringify(presets, null, 1)}\n`);
  for (const [model, list] of Object.entries(presets))
    for (const p of list) console.log(`${model}: ${p.role} — head ${p.layer}.${p.head} ${p.score} on “${p.text}”`);
}
