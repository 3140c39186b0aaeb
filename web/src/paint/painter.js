// Drawing a view's canvas off the page's main thread. `paint(canvas, draw, data,
// options)` has the drawing function named `draw` (draws.js) draw `canvas`, and
// resolves with what it returns (the layout the panel hit-tests against), or with
// null when a newer drawing of the same canvas replaced it before it was drawn.
//
// Where the browser allows it, the drawing happens in a worker (host.js) on the
// canvas handed over to it (transferControlToOffscreen): the main thread only sends
// plain data, so a slow machine's main thread is not held up by a view's drawing,
// its rasterising or its first backing store. Like the engine's, the worker is a
// blob: worker carried in the bundle as a string (a page opened from file:// may not
// start one from a file). Where a Content-Security-Policy refuses it (an embed under
// its host page's policy), or the browser has no OffscreenCanvas, the same functions
// draw on the main thread, and the console says so.
//
// Per canvas, at most one drawing is on its way and one waits: a drawing asked for
// meanwhile replaces the waiting one (latest wins, as with the engine's runs). Typed
// arrays a canvas's previous drawing had (a model's weights) are not sent again.
//
// The worker's source comes from the page's entry point (start.js), not from here:
// Node imports the views (for their names) and cannot import a bundle as text.
import { drawNamed } from './draws.js';
import { afterNextFrame, whenIdle } from '../views/idle.js';

let connection = null;  // Promise of a Worker, or of null for drawing on the main thread
let nextSeq = 1, nextCanvas = 1, nextArray = 1;
const replies = new Map();  // seq -> resolve
const canvases = new WeakMap();  // page canvas -> its record (below)
const adopted = new Set();  // the page's canvases handed to the worker
let where = 'starting';  // painterWhere()
let busy = 0;  // drawings on their way
const drawing = { ms: 0, count: 0 };  // the worker's time drawing, and its drawings, so far (npm run bench:page reads it)
const settled = [];  // resolves of painted() waiting for busy to reach 0

// Starts the worker from its bundled `source` (once per page); the page's views then
// draw in it. Called at the start, beside the engine's worker, so that the first
// drawing does not wait for it. Without a source (or before it is called), the views
// draw on the main thread.
export function startPainter(source = null) {
  if (!connection) {
    connection = !source ? Promise.resolve(null) : startWorker(source).catch((error) => {
      console.warn(`LLM attention simulator: the views draw on the page's main thread (${error.message}). A Content-Security-Policy that allows drawing in a worker: worker-src blob:`);
      return null;
    });
    connection.then((worker) => { where = worker ? 'worker' : 'main thread'; });
  }
  return connection;
}

function startWorker(source) {
  if (typeof Worker === 'undefined' || typeof HTMLCanvasElement === 'undefined' || !HTMLCanvasElement.prototype.transferControlToOffscreen)
    return Promise.reject(new Error('this browser cannot draw a canvas in a worker'));
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { name: 'llmsim-paint' });  // throws where the CSP refuses blob: workers
    const refused = (event) => { event.preventDefault(); reject(new Error(event.message || 'its worker did not start')); };
    worker.addEventListener('error', refused);
    worker.onmessage = ({ data }) => {
      if (data.type === 'ready') {
        worker.removeEventListener('error', refused);
        // A worker that fails later (out of memory, say) answers nothing more: every
        // drawing waiting for it ends, and the console says why.
        worker.addEventListener('error', (event) => {
          console.error(`LLM attention simulator: the views' painting worker stopped (${event.message || 'it failed'}). Reload the page.`);
          for (const done of replies.values()) done({ error: 'the painting worker stopped' });
          replies.clear();
        });
        resolve(worker);
        return;
      }
      const done = replies.get(data.seq);
      replies.delete(data.seq);
      if (done) done(data);
    };
  }).finally(() => URL.revokeObjectURL(url));
}

// Where the views draw: 'worker' or 'main thread' (once known; 'starting' before).
export function painterWhere() { return where; }

function ask(worker, message, transfer = []) {
  const seq = nextSeq++;
  return new Promise((resolve) => {
    replies.set(seq, resolve);
    worker.postMessage({ seq, ...message }, transfer);
  });
}

// A canvas's record: { id, worker: handed to the worker, drawing: on its way,
// waiting: { job, resolve } asked for meanwhile, sent: Map(array -> n) of its last drawing }.
function recordOf(canvas) {
  let record = canvases.get(canvas);
  if (!record) canvases.set(canvas, record = { id: nextCanvas++, worker: false, drawing: false, waiting: null, sent: new Map() });
  return record;
}

// `size`: the drawing's [width, height] in CSS pixels when the panel knows it already
// (from the layout it hit-tests against): the canvas takes it at once, so the pointer
// meets the layout's cells even before the drawing arrives. Otherwise the canvas takes
// the drawing's size when it arrives.
export function paint(canvas, draw, data, options, size = null) {
  if (size) setCssSize(canvas, size);
  return schedule(canvas, { draw, data, options });
}

function setCssSize(canvas, [w, h]) {
  if (canvas.style.width !== `${w}px`) canvas.style.width = `${w}px`;
  if (canvas.style.height !== `${h}px`) canvas.style.height = `${h}px`;
}

// Gives the canvas to the worker (once): from then on only the worker draws on it.
function handOver(worker, canvas, record) {
  const offscreen = canvas.transferControlToOffscreen();
  worker.postMessage({ op: 'adopt', id: record.id, canvas: offscreen }, [offscreen]);
  record.worker = true;
  adopted.add(canvas);
}

// Hands `canvases` to the worker ahead of their first drawing, one per idle moment:
// handing one over costs the main thread a few milliseconds (more on a slow machine),
// which would otherwise come with the first drawing of a view the reader switches to.
export function handOverWhenIdle(canvases) {
  const waiting = [...canvases];
  const next = async () => {
    const worker = await startPainter();
    if (!worker) return;  // drawing on the main thread: nothing to hand over
    whenIdle(() => {
      const canvas = waiting.shift();
      const record = recordOf(canvas);
      if (!record.worker && !record.drawing) handOver(worker, canvas, record);
      if (waiting.length) next();
    });
  };
  if (waiting.length) next();
}

// The page no longer shows the canvas (a view made new ones): the worker lets it go.
export function releaseCanvas(canvas) {
  const record = canvases.get(canvas);
  if (!record || !record.worker) return;
  canvases.delete(canvas);
  adopted.delete(canvas);
  startPainter().then((worker) => worker.postMessage({ op: 'release', id: record.id }));
}

// Blanks the canvas (a view with nothing to show).
export function clearCanvas(canvas) {
  return schedule(canvas, { clear: true });
}

function schedule(canvas, job) {
  const record = recordOf(canvas);
  busy++;
  return new Promise((resolve) => {
    const finish = (value) => {
      resolve(value);
      if (--busy === 0) for (const done of settled.splice(0)) done();
    };
    if (record.waiting) record.waiting.resolve(null);  // replaced before it was drawn
    record.waiting = { job, resolve: finish };
    if (!record.drawing) drawNext(canvas, record);
  });
}

async function drawNext(canvas, record) {
  record.drawing = true;
  const worker = await startPainter();
  while (record.waiting) {
    const { job, resolve } = record.waiting;
    record.waiting = null;
    let result = null;
    try {
      result = worker ? await drawInWorker(worker, canvas, record, job) : drawHere(canvas, job);
    } catch (error) {
      console.error(`A view could not be drawn: ${error.message}`);
    }
    resolve(result);
  }
  record.drawing = false;
}

function drawHere(canvas, job) {
  if (job.clear) { canvas.width = 0; return null; }
  return drawNamed(job.draw)(canvas, job.data, job.options);
}

async function drawInWorker(worker, canvas, record, job) {
  if (!record.worker) handOver(worker, canvas, record);
  const transfer = [];
  const reply = job.clear
    ? await ask(worker, { op: 'clear', id: record.id })
    : await ask(worker, { op: 'paint', id: record.id, draw: job.draw, data: keptArrays(record, job.data, transfer), options: job.options, ratio: globalThis.devicePixelRatio || 1 }, transfer);
  if (reply.error) throw new Error(reply.error);
  if (reply.ms !== undefined) { drawing.ms += reply.ms; drawing.count++; }
  record.px = reply.px;
  if (reply.css) setCssSize(canvas, reply.css);
  return reply.result;
}

// The drawing's data with every typed array the canvas's previous drawing had sent as
// { kept: n }, and every other one as { keep: n, array } (the worker keeps it for the
// next drawing). Looks at the data's values and the arrays among them. A new array goes
// as a copy whose buffer is added to `transfer`: copying it here and handing the copy
// over costs a fraction of what cloning it in postMessage does (the Q·K·V view's first
// drawing at 110 tokens sends 0.8 MB: 17–20 ms in postMessage with the page slowed 4×
// when cloned, 2–6 ms copied and handed over).
function keptArrays(record, data, transfer) {
  const sent = new Map(), copies = new Map();
  const mark = (value) => {
    if (ArrayBuffer.isView(value)) {
      if (!sent.has(value)) sent.set(value, record.sent.has(value) ? record.sent.get(value) : nextArray++);
      const n = sent.get(value);
      if (record.sent.has(value)) return { kept: n };
      if (!copies.has(value)) {  // (an array named twice in one drawing goes once)
        copies.set(value, value.slice());
        transfer.push(copies.get(value).buffer);
      }
      return { keep: n, array: copies.get(value) };
    }
    return Array.isArray(value) ? value.map(mark) : value;
  };
  const marked = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, mark(value)]));
  record.sent = sent;
  return marked;
}

// Resolves once every drawing asked for so far has been drawn (the tests wait on it).
export function painted() {
  return busy === 0 ? Promise.resolve() : new Promise((resolve) => settled.push(resolve));
}

// Resolves once every drawing asked for so far is on screen: drawn, and the frame
// after it begun (the browser shows a worker's drawing in its canvas's place with the
// next frame; a page in a background tab, which gets no frames, waits 100 ms instead).
// A canvas shows a new size only once its frame has come, so this also waits (up to
// 20 frames) until every canvas in view drawn in the worker has its last drawing's size.
export async function onScreen() {
  await startPainter();  // (where the views draw is known from then on)
  await painted();
  const sized = () => [...adopted].every((c) => {
    const { px } = canvases.get(c);
    return !px || (c.width === px[0] && c.height === px[1]) || c.getClientRects().length === 0;  // (a hidden one may wait for its frame)
  });
  for (let frames = 0; frames < 20 && !sized(); frames++) await nextFrame();
  await nextFrame();
}

function nextFrame() { return new Promise((resolve) => afterNextFrame(resolve)); }

// The pixels of a view's canvas in the rectangle given (the whole canvas without one),
// as an ImageData, wherever it is drawn, once every drawing asked for is done: what
// the browser tests read. Null for an empty canvas.
export async function canvasPixels(canvas, x = 0, y = 0, width = undefined, height = undefined) {
  await painted();
  const record = canvases.get(canvas);
  if (!record || !record.worker) {
    if (!canvas.width || !canvas.height) return null;
    return canvas.getContext('2d').getImageData(x, y, width ?? canvas.width, height ?? canvas.height);
  }
  const reply = await ask(await startPainter(), { op: 'pixels', id: record.id, x, y, width, height });
  if (reply.error) throw new Error(reply.error);
  return reply.result;
}

// A drawing as a function of its target canvas, drawn on the main thread: what Export
// SVG records (export/svg-context.js) and Export PNG draws, from the same data.
export function figure(draw, data, options) {
  return (target) => drawNamed(draw)(target, data, options);
}

// The figure drawn on a new canvas of the page (Export PNG); null if draw returns
// false (nothing to draw).
export function figureCanvas(draw) {
  const canvas = document.createElement('canvas');
  return draw(canvas) === false ? null : canvas;
}

// For the browser tests (and the curious): a view canvas's pixels, and the moment every
// drawing asked for is done.
if (typeof window !== 'undefined') Object.assign(window, { __llmsimPixels: canvasPixels, __llmsimPainted: painted, __llmsimDrawing: drawing });
