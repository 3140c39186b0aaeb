// The painting worker: the views' canvases drawn off the page's main thread. The page
// hands each canvas over once (transferControlToOffscreen) and then asks for drawings
// of it by name (draws.js) with plain data; the worker draws, and the browser shows
// each finished drawing in the canvas's place on the page without the main thread.
// What the main thread kept was the slow part on a slow machine: a view's first
// drawing allocates its canvas's backing store, and every drawing rasterises.
//
// ./build.sh dist bundles this file on its own (build/engine/llmsim-paint.js); the
// page's bundles carry it as a string and start it as a blob: worker (painter.js),
// for the same reasons as the engine's worker (async-engine.js).
//
// Messages in:
//   { op: 'adopt', id, canvas }   an OffscreenCanvas, the page's canvas `id` from now on
//   { op: 'paint', seq, id, draw, data, options, ratio }
//                                 draws(canvas, data, options) at `ratio` device pixels per
//                                 CSS pixel; a value { kept: n } in data is the array the
//                                 previous drawing of this canvas had as n (weights do not
//                                 travel again with every keystroke)
//   { op: 'clear', seq, id }      blank
//   { op: 'pixels', seq, id, x, y, width, height }
//                                 its pixels in that rectangle (all without one), for the tests
//   { op: 'release', id }         the page no longer shows it
// Out: { seq, result, css: [w, h], px: [w, h], ms } (the drawing's layout, its size in CSS
// and in device pixels, and its time) or { seq, error };
// once at the start { type: 'ready' }.
import { drawNamed } from './draws.js';

const canvases = new Map();  // id -> { canvas, kept: Map(n -> array of its last drawing) }

function paint({ id, draw, data, options, ratio }) {
  const entry = canvases.get(id);
  const { canvas } = entry;
  canvas.pixelRatio = ratio;  // views/canvas.js pixelRatio: there is no window here
  const kept = new Map();
  const resolve = (value) => {
    if (!value || typeof value !== 'object') return value;
    if (value.kept !== undefined) {
      const array = entry.kept.get(value.kept);
      if (!array) throw new Error(`array ${value.kept} was not kept`);
      kept.set(value.kept, array);
      return array;
    }
    if (value.keep !== undefined) { kept.set(value.keep, value.array); return value.array; }
    return Array.isArray(value) ? value.map(resolve) : value;
  };
  const start = performance.now();
  const resolved = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, resolve(value)]));
  entry.kept = kept;
  const result = drawNamed(draw)(canvas, resolved, options);
  return { result: result === undefined ? null : result, css: canvas.cssSize || [canvas.width / ratio, canvas.height / ratio],
    px: [canvas.width, canvas.height], ms: performance.now() - start };
}

function handle(message) {
  const { op, id } = message;
  if (op === 'adopt') { canvases.set(id, { canvas: message.canvas, kept: new Map() }); return null; }
  if (op === 'release') { canvases.delete(id); return null; }
  const entry = canvases.get(id);
  if (!entry) throw new Error(`no canvas ${id}`);
  if (op === 'paint') return paint(message);
  if (op === 'clear') {
    entry.canvas.width = entry.canvas.height = 1;  // transparent, in its place on the page
    entry.kept = new Map();
    return { result: null, css: null, px: [1, 1] };
  }
  if (op === 'pixels') {
    const { canvas } = entry, { x, y } = message;
    if (!canvas.width || !canvas.height) return { result: null };
    return { result: canvas.getContext('2d').getImageData(x, y, message.width ?? canvas.width, message.height ?? canvas.height) };
  }
  throw new Error(`unknown operation "${String(op).slice(0, 40)}"`);
}

self.onmessage = ({ data: message }) => {
  let reply;
  try {
    reply = handle(message);
  } catch (error) {
    reply = { error: error.message };
  }
  if (message.seq !== undefined) self.postMessage({ seq: message.seq, ...reply });
};
self.postMessage({ type: 'ready' });
