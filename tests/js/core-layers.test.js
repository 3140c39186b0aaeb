// cpp/core/README.md's layer table is the rule for includes: a file in one folder may
// include only the folders that table lists for it. This test reads the table (so the
// README and the code cannot drift apart) and checks every #include under cpp/core/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const core = path.join(root, 'cpp/core');
const BASE = '(base)';

// | `model/` | what lives there | (base), `simd/`, `io/`, `text/` |  ->  model -> {base, simd, io, text}
export function layerRules(readme) {
  const rules = new Map();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 3 || cells[0] === 'folder' || cells[0].startsWith('---')) continue;
    const folder = (cell) => (cell === BASE ? '' : cell.replace(/^`|\/`$/g, ''));
    rules.set(folder(cells[0]), new Set(cells[2].split(',').map((c) => folder(c.trim()))));
  }
  return rules;
}

// Every project include of every file: { file, folder, included folder, line }.
export function coreIncludes(dir) {
  const found = [];
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (/\.(hpp|cpp)$/.test(entry.name)) {
        for (const m of fs.readFileSync(path.join(dir, rel), 'utf8').matchAll(/^#include "([^"]+)"/gm)) {
          found.push({ file: rel, folder: path.posix.dirname(rel).replace(/^\.$/, ''), include: m[1], target: path.posix.dirname(m[1]).replace(/^\.$/, '') });
        }
      }
    }
  };
  walk('');
  return found;
}

export function violations(rules, includes) {
  return includes.filter(({ folder, target, include }) => {
    if (!rules.has(folder)) return true;  // a folder the README does not describe
    if (!fs.existsSync(path.join(core, include))) return true;  // not a path from cpp/core/
    return target !== folder && !rules.get(folder).has(target);
  });
}

const rules = layerRules(fs.readFileSync(path.join(core, 'README.md'), 'utf8'));

test('the README table names every folder of cpp/core', () => {
  const folders = fs.readdirSync(core, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual([...rules.keys()].sort(), ['', ...folders].sort());
  assert.deepEqual([...rules.get('model')].sort(), ['', 'io', 'simd', 'text']);
});

test('no include in cpp/core runs up or sideways', () => {
  const includes = coreIncludes(core);
  assert.ok(includes.length > 100, `only ${includes.length} includes found`);
  assert.deepEqual(violations(rules, includes).map((v) => `${v.file} includes ${v.include}`), []);
});

test('the check catches an upward include, a sibling include and a bare name', () => {
  const bad = [
    { file: 'model/gpt.cpp', folder: 'model', include: 'heads/ablation.hpp', target: 'heads' },  // up
    { file: 'heads/analysis.cpp', folder: 'heads', include: 'train/train.hpp', target: 'train' },  // sibling
    { file: 'model/gpt.cpp', folder: 'model', include: 'kernels.hpp', target: '' },  // not cpp/core/kernels.hpp
    { file: 'simulator/x.cpp', folder: 'simulator', include: 'heads/analysis.hpp', target: 'heads' },  // allowed
  ];
  assert.deepEqual(violations(rules, bad).map((v) => v.include), ['heads/ablation.hpp', 'train/train.hpp', 'kernels.hpp']);
});
