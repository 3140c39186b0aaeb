// Every view of the page, in tab order: the one list. Each view is a folder of its own,
// views/NAME/{draw.js, panel.js}: draw.js paints a canvas from plain data (no page, no
// engine); panel.js holds the view's markup and mounts it on a Session, and exports
// the view's entry, { name, title, markup, mount }. Adding a view is one folder and
// one line here. `name` is the view's data-view and its URL value (?view=NAME).
import { view as tokens } from './tokens/panel.js';
import { view as arcs } from './arcs/panel.js';
import { view as heatmap } from './heatmap/panel.js';
import { view as grid } from './grid/panel.js';
import { view as qkv } from './qkv/panel.js';
import { view as multihead } from './multihead/panel.js';
import { view as scaling } from './scaling/panel.js';
import { view as predictions } from './predictions/panel.js';
import { view as compare } from './compare/panel.js';
import { view as train } from './train/panel.js';
import { handOverWhenIdle } from '../paint/painter.js';

// The guide's order of ideas: tokens, then query/key/value, the scaled dot product and
// its softmax (arcs, heatmap), why √dₖ, many heads, what the heads learn, what comes next,
// two matrices side by side, and, last, a model trained here, its heads forming.
export const VIEWS = [tokens, qkv, arcs, heatmap, scaling, multihead, grid, predictions, compare, train];
export const VIEW_NAMES = VIEWS.map((v) => v.name);
const BY_NAME = new Map(VIEWS.map((v) => [v.name, v]));

export function viewNamed(name) {
  const view = BY_NAME.get(name);
  if (!view) throw new Error(`unknown view "${String(name).slice(0, 40)}"`);
  return view;
}

// A view's <section>, its markup in place, put into the page by `place(section)` and
// then mounted on `session` (placed first: a panel may measure its layout). Returns
// { section, render }. The page and the embeddable <llm-attention> element both build
// their views here, so a view looks and behaves the same wherever it is shown.
export function mountView(name, session, place) {
  const view = viewNamed(name);
  const section = document.createElement('section');
  section.className = 'panel view';
  section.dataset.view = name;
  section.id = `view-${name}`;
  section.setAttribute('role', 'tabpanel');
  section.innerHTML = view.markup;  // constant markup (panel.js), never user text
  place(section);
  const mounted = view.mount(section, session);
  // The view's canvases go to the painting worker before the view first draws (one
  // per idle moment), except those a view draws itself on the main thread.
  if (!view.mainThreadCanvases) handOverWhenIdle(section.querySelectorAll('canvas'));
  return { section, ...mounted };
}
