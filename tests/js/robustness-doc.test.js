// docs/ROBUSTNESS.md's bad-input tables, run: every `llmsim` row against the native CLI
// (in a shell, with $M a fresh copy of web/models/tinygpt the row may damage), every
// `engine.` row against the real WASM module, and every page row's named browser test
// must exist. A row whose answer changes fails here, so the page cannot drift.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../web/src/engine.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = fs.readFileSync(path.join(root, 'docs/ROBUSTNESS.md'), 'utf8');

// The table rows of the doc: cells split on pipes that are not escaped as \|.
function tableRows(markdown) {
  return markdown.split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .map((line) => line.slice(2, -2).split(/ \| /).map((cell) => cell.replaceAll('\\|', '|').trim()))
    .filter(([first]) => first !== 'input class');
}
const code = (cell) => (cell.startsWith('`') && cell.endsWith('`') ? cell.slice(1, -1) : null);

// The bad-input tables: everything before the threads figures.
const rows = tableRows(doc.split('\n## Threads')[0]).map(([what, input, answer]) => ({ what, input: code(input) ?? input, answer: code(answer) ?? answer }));
const cliRows = rows.filter((r) => r.input.includes('llmsim '));
const engineRows = rows.filter((r) => r.input.startsWith('engine.'));
const pageRows = rows.filter((r) => !cliRows.includes(r) && !engineRows.includes(r));

let engine;
before(async () => { engine = await createEngine(); });

test('the doc has its tables (a parse that found nothing would check nothing)', () => {
  assert.ok(cliRows.length >= 25, `${cliRows.length} CLI rows`);
  assert.ok(engineRows.length >= 12, `${engineRows.length} engine rows`);
  assert.ok(pageRows.length >= 5, `${pageRows.length} page rows`);
});

test('every CLI row answers as the doc says', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-doc-'));
  fs.symlinkSync(path.join(root, 'build/native/llmsim'), path.join(bin, 'llmsim'));
  try {
    for (const row of cliRows) {
      const [, status, text] = row.answer.match(/^exit (\d+): (.*)$/s) ?? assert.fail(`${row.what}: "${row.answer}" is not "exit N: TEXT"`);
      const model = path.join(bin, 'm');
      fs.rmSync(model, { recursive: true, force: true });
      fs.cpSync(path.join(root, 'web/models/tinygpt'), model, { recursive: true });
      const r = spawnSync('sh', ['-c', row.input], {
        cwd: root, encoding: 'utf8', maxBuffer: 1 << 28,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, M: model },
      });
      assert.equal(r.status, Number(status), `${row.what}: exit ${r.status}\n${r.stderr}`);
      assert.ok((r.stdout + r.stderr).includes(text), `${row.what}: the output lacks "${text}":\n${r.stderr}${r.stdout.slice(0, 500)}`);
    }
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('every engine row answers as the doc says', () => {
  for (const row of engineRows) {
    const call = new Function('engine', `return ${row.input};`);
    const [, kind, text] = row.answer.match(/^(ok|Error): (.*)$/s) ?? assert.fail(`${row.what}: "${row.answer}" is not "ok: TEXT" or "Error: TEXT"`);
    if (kind === 'ok') {
      const summary = JSON.stringify(call(engine));
      assert.ok(summary.includes(text), `${row.what}: the summary lacks ${text}:\n${summary.slice(0, 500)}`);
    } else {
      assert.throws(() => call(engine), (e) => e instanceof Error && e.message.startsWith(text), row.what);
    }
  }
});

test('every page row names a browser test that exists', () => {
  const dir = path.join(root, 'tests/browser');
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  for (const row of pageRows) {
    assert.ok(sources.includes(`test('${row.answer}`), `${row.what}: no browser test is titled "${row.answer}..."`);
  }
});
