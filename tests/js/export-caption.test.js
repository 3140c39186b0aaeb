// An exported figure names what it shows: the view, the model, the layer and head,
// any switch that is off, and the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportCaption } from '../../web/src/download.js';
import { DEFAULT_STATE } from '../../web/src/state.js';

test('the caption names view, model, layer, head and text', () => {
  const lines = exportCaption({ ...DEFAULT_STATE, layer: 2, head: 3 }, { viewTitle: 'Heatmap', modelTitle: 'English (3M parameters)' });
  assert.deepEqual(lines, ['Attention, computed · Heatmap · English (3M parameters) · layer 2, head 3',
    '“The cat sat on the mat because it was tired.”']);
});

test('switches that differ from training and heads switched off are said', () => {
  const state = { ...DEFAULT_STATE, scale: false, causal: false, ablate: ['0.1', '2.3'], text: 'a\nb' };
  const [what, text] = exportCaption(state, { viewTitle: 'Arcs', modelTitle: 'tinygpt' });
  assert.equal(what, 'Attention, computed · Arcs · tinygpt · layer 0, head 0 · heads off: 0.1, 2.3 · without √dₖ scaling · without the causal mask');
  assert.equal(text, '“a\nb”');
});

test('the grid of every head names no single head', () => {
  const [what] = exportCaption({ ...DEFAULT_STATE, view: 'grid', layer: 1 }, { viewTitle: 'All heads', modelTitle: 'tinygpt' });
  assert.equal(what, 'Attention, computed · All heads · tinygpt');
});
