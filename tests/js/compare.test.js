// The compare view's arithmetic and its URL state, against numbers written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differenceOf, sharedPrefix } from '../../web/src/views/compare/differences.js';
import { parseState, serializeState, DEFAULT_STATE } from '../../web/src/state.js';
import { linkParams, linkParts, MAX_QUERY_CHARS } from '../../web/src/link.js';

test('sharedPrefix counts the leading tokens two lists share', () => {
  assert.equal(sharedPrefix(['a', 'b', 'c'], ['a', 'b', 'c', 'a', 'b']), 3);
  assert.equal(sharedPrefix(['a', 'b'], ['a', 'x']), 1);
  assert.equal(sharedPrefix(['x'], ['a']), 0);
  assert.equal(sharedPrefix([], ['a']), 0);
});

test('differenceOf is B − A over the shared tokens, masked cells left out of the figures', () => {
  // A: 2×2, B: 3×3; their first 2 tokens are shared.
  const a = Float32Array.from([1, 0,
    0.25, 0.75]);
  const b = Float32Array.from([1, 0, 0,
    0.5, 0.5, 0,
    0.2, 0.3, 0.5]);
  const d = differenceOf(a, 2, b, 3, 2, true);
  assert.deepEqual(Array.from(d.data), [0, 0, 0.25, -0.25]);
  assert.equal(d.limit, 0.25);
  assert.deepEqual(d.largest, { query: 1, key: 0, value: 0.25 });  // the first of the two largest
  assert.equal(d.meanAbs, (0 + 0.25 + 0.25) / 3);  // 3 visible cells: (0,0), (1,0), (1,1)
  // Without the mask the cell above the diagonal counts too (its difference is 0 here).
  const open = differenceOf(a, 2, b, 3, 2, false);
  assert.equal(open.meanAbs, 0.5 / 4);
  // Equal matrices: no largest cell, the smallest limit.
  const same = differenceOf(a, 2, a, 2, 2, true);
  assert.equal(same.largest, null);
  assert.equal(same.limit, 1e-6);
  assert.equal(same.meanAbs, 0);
});

test('the compare view\'s state goes through a link and back; bad values fall back with a notice', () => {
  const state = { ...DEFAULT_STATE, view: 'compare', compare: 'text', cmplayer: 2, cmphead: 0, cmptext: 'a b a b' };
  const search = serializeState(state);
  assert.match(search, /compare=text/);
  const back = parseState(search);
  assert.deepEqual(back.notices, []);
  for (const key of ['view', 'compare', 'cmplayer', 'cmphead', 'cmptext']) assert.equal(back.state[key], state[key]);
  const bad = parseState('compare=both&cmphead=x');
  assert.equal(bad.state.compare, 'head');
  assert.equal(bad.state.cmphead, 1);
  assert.equal(bad.notices.length, 2);
});

test('long texts travel in the fragment: the text first, then the second text', () => {
  const long = 'x'.repeat(MAX_QUERY_CHARS);
  const one = linkParts(serializeState({ ...DEFAULT_STATE, text: long, cmptext: 'short' }));
  assert.equal(new URLSearchParams(one.fragment).get('text'), long);
  assert.equal(new URLSearchParams(one.query).get('cmptext'), 'short');
  const both = linkParts(serializeState({ ...DEFAULT_STATE, text: long, cmptext: long }));
  assert.ok(both.query.length <= MAX_QUERY_CHARS);
  const params = linkParams(`?${both.query}`, `#${both.fragment}`);
  assert.equal(params.get('text'), long);
  assert.equal(params.get('cmptext'), long);
});
