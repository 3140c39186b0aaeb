// The page's example sentences are chosen by measurement: web/models/presets.json must be
// what scripts/choose-presets.mjs computes from the shipped weights now, and each one
// must show its role on its head (the scores are the engine's, recomputed here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { choosePresets, PRESETS_FILE } from '../../scripts/choose-presets.mjs';
import { MANIFEST } from '../../web/src/manifest.js';

test('presets.json is the current choice for every model, one per role', async () => {
  const shipped = JSON.parse(fs.readFileSync(PRESETS_FILE, 'utf8'));
  const computed = await choosePresets();
  assert.deepEqual(shipped, computed, 'presets.json is stale: rerun `node scripts/choose-presets.mjs`');
  for (const { name } of MANIFEST.models) {
    const roles = shipped[name].map((p) => p.role.replace(/ \(.*/, ''));
    assert.deepEqual(roles, ['previous-token', 'first-token sink', 'induction', 'syntactic'], name);
  }
  // The default model's sink and previous-token presets are clear on their heads.
  const english = Object.fromEntries(shipped[MANIFEST.default].map((p) => [p.role.replace(/ \(.*/, ''), p]));
  assert.ok(english['first-token sink'].score >= 0.5, JSON.stringify(english['first-token sink']));
  assert.ok(english['previous-token'].score >= 0.5, JSON.stringify(english['previous-token']));
  assert.ok(english.induction.text.length > 40 && english.induction.text.split('. ').length >= 2, 'induction is shown on a repeated sentence');
});
