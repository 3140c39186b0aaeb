// An exploratory check behind a paragraph of web/models/README.md ("Why no semantic
// head"): the semantic score of every head with the query at three positions.
//   word    the last token of the category word (the definition `llmsim heads` uses)
//   before  the token before the word, the one that predicts it
//   clean   `before`, kept to queries whose preceding token differs from the token
//           before every earlier word of the category, so copying (induction) cannot
//           send attention there
// Share: attention from the query to the earlier words of its category; control: the
// same with those words swapped for words of other categories (20 draws, fixed seed).
// Usage: node scripts/semantic-query-positions.mjs [MODEL_DIR]   (needs build/native)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const model = process.argv[2] || 'web/models/tinygpt';
const CONTROLS = 20;  // draws of the swapped words per query: fewer leave the control noisy

// "Tom had a [red:colour] ball" -> { text, words: [{ begin, end, word, category }] } (byte offsets)
function parseProbeLine(line) {
  let text = '', last = 0;
  const words = [];
  for (const m of line.matchAll(/\[([^:\]]+):([^\]]+)\]/g)) {
    text += line.slice(last, m.index);
    const begin = Buffer.byteLength(text);
    words.push({ begin, end: begin + Buffer.byteLength(m[1]), word: m[1], category: m[2] });
    text += m[1];
    last = m.index + m[0].length;
  }
  return { text: text + line.slice(last), words };
}

const trace = (text) => JSON.parse(execFileSync('build/native/llmsim', ['trace', '--model', model, '--text', text], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const tokenAt = (spans, byte) => spans.findIndex(([b, e]) => b <= byte && byte < e);
const lastToken = (spans, w) => tokenAt(spans, w.end - 1);
const tokenBefore = (spans, w) => tokenAt(spans, w.begin) - 1;

// Per head (layer-major), the weight from token `query` to the tokens `keys`.
function sharesOf(t, query, keys) {
  return t.layers.flatMap((layer) => layer.heads.map((head) => keys.reduce((s, k) => s + head.weights[query][k], 0)));
}

// The sentence with words[i] replaced by by[i] for i in `indices`; offsets re-computed.
function replaceWords(text, words, indices, by) {
  let out = text;
  const moved = words.map((w) => ({ ...w }));
  [...indices].map((i, n) => [i, by[n]]).sort((a, b) => moved[b[0]].begin - moved[a[0]].begin).forEach(([i, word]) => {
    const w = moved[i], bytes = Buffer.from(out);
    out = Buffer.concat([bytes.subarray(0, w.begin), Buffer.from(word), bytes.subarray(w.end)]).toString();
    const delta = Buffer.byteLength(word) - (w.end - w.begin);
    for (const o of moved) if (o.begin > w.begin) { o.begin += delta; o.end += delta; }
    w.end = w.begin + Buffer.byteLength(word);
  });
  return { text: out, words: moved };
}

let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const sentences = fs.readFileSync('web/probes/semantic.txt', 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#')).map(parseProbeLine);
const pool = {};
for (const s of sentences) for (const w of s.words) (pool[w.category] ??= new Set()).add(w.word);

const modes = { word: [], before: [], clean: [] };  // per query: { share: [heads], control: [heads] }
for (const s of sentences) {
  const t = trace(s.text);
  s.words.forEach((w, q) => {
    const same = s.words.map((k, i) => i).filter((i) => i < q && s.words[i].category === w.category);
    if (same.length === 0) return;
    const others = Object.entries(pool).filter(([c]) => c !== w.category).flatMap(([, ws]) => [...ws]).filter((x) => !pool[w.category].has(x)).sort();
    const query = { word: (sp, ws) => lastToken(sp, ws[q]), before: (sp, ws) => tokenBefore(sp, ws[q]) };
    const keys = (sp, ws) => same.map((i) => lastToken(sp, ws[i]));
    const control = { word: null, before: null };
    for (let c = 0; c < CONTROLS; c++) {
      const swapped = replaceWords(s.text, s.words, same, same.map(() => others[Math.floor(random() * others.length)]));
      const ct = trace(swapped.text);
      for (const m of ['word', 'before']) {
        const v = sharesOf(ct, query[m](ct.spans, swapped.words), keys(ct.spans, swapped.words));
        control[m] = control[m] ? control[m].map((x, h) => x + v[h] / CONTROLS) : v.map((x) => x / CONTROLS);
      }
    }
    for (const m of ['word', 'before']) modes[m].push({ share: sharesOf(t, query[m](t.spans, s.words), keys(t.spans, s.words)), control: control[m] });
    const before = tokenBefore(t.spans, w);
    if (same.every((i) => t.ids[tokenBefore(t.spans, s.words[i])] !== t.ids[before])) modes.clean.push(modes.before.at(-1));
  });
}

const nHead = trace('a').n_head;
for (const [mode, queries] of Object.entries(modes)) {
  console.log(`${mode}: ${queries.length} queries`);
  const n = queries.length;
  for (let h = 0; h < queries[0].share.length; h++) {
    const share = queries.reduce((s, x) => s + x.share[h], 0) / n, control = queries.reduce((s, x) => s + x.control[h], 0) / n;
    const d = queries.map((x) => x.share[h] - x.control[h]), mean = d.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    const z = sd > 0 ? mean / (sd / Math.sqrt(n)) : 0;
    console.log(`  ${Math.floor(h / nHead)}.${h % nHead}  share ${share.toFixed(3)}  control ${control.toFixed(3)}  ratio ${((share + 1e-3) / (control + 1e-3)).toFixed(2)}  z ${z.toFixed(1)}`);
  }
}
