// A canvas that records 2D drawing as SVG, for "Export SVG": a view's own draw code
// runs into it unchanged, so the figure is the screen's, but as shapes and text a
// journal or an editor can scale and change. It implements the part of
// CanvasRenderingContext2D the views use (state, transforms, paths, rectangles, text,
// patterns, images); anything else is missing and throws, so a view drawing something
// this context does not know fails loudly instead of exporting a figure with a hole.
//
// Geometry is written in the canvas's CSS pixels: the canvas says `pixelRatio` 1, so
// prepareCanvas (views/canvas.js) sizes it 1:1. Paths are stored already transformed
// (as a canvas does); rectangles stay <rect> while the transform keeps them upright;
// text keeps its own transform attribute when rotated. Every text is escaped (token
// text is the reader's input).
import { measuringContext } from '../views/canvas.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const ROOT_FONT = 'system-ui, sans-serif';  // the views' font; a <text> names another only when it differs
let nextId = 0;  // ids of patterns, unique across every recording canvas of the page

// A number as SVG text: three decimals at most (a thousandth of a pixel), no -0.
export function num(x) {
  const r = Math.round(x * 1000) / 1000;
  return String(r === 0 ? 0 : r);
}

// Text and attribute values as XML: markup characters escaped, and characters XML 1.0
// cannot hold at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF) replaced by
// U+FFFD, so the file always parses.
export function escapeXml(text) {
  return String(text)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));
}

// A CSS colour -> { color, opacity }: rgb()/rgba()/#hex become #rrggbb plus an
// opacity (SVG 1.1 has no rgba(), and editors read hex); anything else passes through.
export function svgPaint(css) {
  const s = String(css).trim();
  let m = s.match(/^#([0-9a-f]{3,8})$/i);
  if (m && [3, 4, 6, 8].includes(m[1].length)) {
    const h = m[1].length <= 4 ? [...m[1]].map((c) => c + c).join('') : m[1];
    const channel = (i) => parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return { color: `#${h.slice(0, 6).toLowerCase()}`, opacity: h.length === 8 ? channel(3) / 255 : 1 };
  }
  m = s.match(/^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[,/]\s*([\d.]+)(%?))?\s*\)$/i);
  if (m) {
    const hex = [m[1], m[2], m[3]].map((v) => Math.max(0, Math.min(255, Math.round(Number(v)))).toString(16).padStart(2, '0')).join('');
    const alpha = m[4] === undefined ? 1 : Number(m[4]) / (m[5] ? 100 : 1);
    return { color: `#${hex}`, opacity: Math.max(0, Math.min(1, alpha)) };
  }
  return { color: s, opacity: 1 };
}

// A canvas font shorthand ('italic 600 13px system-ui, sans-serif') -> its parts, or
// null when it is not one (a canvas ignores such an assignment; so does this context).
export function parseFont(font) {
  const m = String(font).match(/^\s*((?:(?:normal|italic|oblique|small-caps|bold|bolder|lighter|[1-9]00)\s+)*)(\d*\.?\d+)px(?:\/\S+)?\s+(.+?)\s*$/i);
  if (!m) return null;
  const words = m[1].trim().split(/\s+/).filter(Boolean);
  const weight = (words.find((w) => /^(bold|bolder|lighter|[1-9]00)$/i.test(w)) || 'normal').replace(/^400$/, 'normal');
  const style = words.find((w) => /^(italic|oblique)$/i.test(w)) || 'normal';
  return { style, weight, size: Number(m[2]), family: m[3] };
}

// 2-D affine matrices [a, b, c, d, e, f], as a canvas's: x' = a·x + c·y + e, y' = b·x + d·y + f.
const IDENTITY = [1, 0, 0, 1, 0, 0];
function multiply([a1, b1, c1, d1, e1, f1], [a2, b2, c2, d2, e2, f2]) {
  return [a1 * a2 + c1 * b2, b1 * a2 + d1 * b2, a1 * c2 + c1 * d2, b1 * c2 + d1 * d2,
    a1 * e2 + c1 * f2 + e1, b1 * e2 + d1 * f2 + f1];
}
function apply([a, b, c, d, e, f], x, y) { return [a * x + c * y + e, b * x + d * y + f]; }
function invert([a, b, c, d, e, f]) {
  const det = a * d - b * c;
  if (!det) return null;
  return [d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det];
}
// A transform attribute: a plain move reads as one.
const matrixAttr = (m) => (m[0] === 1 && m[1] === 0 && m[2] === 0 && m[3] === 1
  ? `translate(${num(m[4])} ${num(m[5])})` : `matrix(${m.map(num).join(' ')})`);
const isIdentity = (m) => m.every((v, i) => v === IDENTITY[i]);
const fromInit = (m) => (Array.isArray(m) ? m : [m.a ?? 1, m.b ?? 0, m.c ?? 0, m.d ?? 1, m.e ?? 0, m.f ?? 0]);

// Attributes from an object, in its order, skipping undefined ones.
function attrs(object) {
  return Object.entries(object).filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? num(v) : v)}"`).join('');
}

// Text metrics come from a real canvas when there is one (the browser): widths, and
// where each textBaseline sits against the alphabetic one, so the SVG's text (all on
// its alphabetic baseline, which every SVG renderer and editor reads alike) lands
// where the canvas put it. Without one (Node), rough figures in ems.
function defaultMeasure() { return measuringContext(); }
const EM_BASELINE = { alphabetic: 0, top: 0.8, hanging: 0.75, middle: 0.32, ideographic: -0.2, bottom: -0.2 };

// An arc of the ellipse centred (cx, cy), radii rx, ry, turned by `rotation`, from
// angle a0 through `sweep` radians, as cubic Béziers in the ellipse's own space (each
// at most a quarter turn): exact under any later affine transform, within 0.03 %.
function arcBeziers(cx, cy, rx, ry, rotation, a0, sweep) {
  const n = Math.max(1, Math.ceil(Math.abs(sweep) / (Math.PI / 2) - 1e-9));
  const step = sweep / n, k = (4 / 3) * Math.tan(step / 4);
  const cos = Math.cos(rotation), sin = Math.sin(rotation);
  const at = (x, y) => [cx + x * cos - y * sin, cy + x * sin + y * cos];
  const curves = [];
  for (let i = 0; i < n; i++) {
    const t0 = a0 + i * step, t1 = t0 + step;
    const [x0, y0, x1, y1] = [Math.cos(t0), Math.sin(t0), Math.cos(t1), Math.sin(t1)];
    curves.push([...at(rx * (x0 - k * y0), ry * (y0 + k * x0)), ...at(rx * (x1 + k * y1), ry * (y1 - k * x1)), ...at(rx * x1, ry * y1)]);
  }
  return { start: at(rx * Math.cos(a0), ry * Math.sin(a0)), curves };
}

// A canvas's pattern, recorded: its tile (a recording canvas keeps it vector; a real
// canvas becomes an image) and its own transform.
class SvgPattern {
  constructor(image) {
    this.image = image;
    this.matrix = IDENTITY;
  }

  setTransform(m) { this.matrix = m ? fromInit(m) : IDENTITY; }
}

// The drawing state a canvas's save()/restore() keep.
function initialState() {
  return {
    matrix: IDENTITY, fillStyle: '#000000', strokeStyle: '#000000', lineWidth: 1, lineDash: [], lineDashOffset: 0,
    lineCap: 'butt', lineJoin: 'miter', globalAlpha: 1, font: '10px sans-serif', textAlign: 'start',
    textBaseline: 'alphabetic', imageSmoothingEnabled: true,
  };
}

class SvgContext {
  constructor(canvas, measure) {
    this.canvas = canvas;
    this.measure = measure;
    this.shifts = new Map();  // font + textBaseline -> baselineShift()
    this.reset();
  }

  // Everything drawn goes, and every setting returns to its default (as a resize would).
  reset() {
    this.elements = [];
    this.defs = [];
    this.patternIds = new Map();  // tile + transform -> the id of its <pattern>
    this.state = initialState();
    this.stack = [];
    this.groups = 0;
    this.beginPath();
  }

  save() { this.stack.push({ ...this.state }); }
  restore() { if (this.stack.length) this.state = this.stack.pop(); }

  // --- settings: plain properties, as on a canvas ---
  get fillStyle() { return this.state.fillStyle; }
  set fillStyle(v) { this.state.fillStyle = v instanceof SvgPattern ? v : String(v); }
  get strokeStyle() { return this.state.strokeStyle; }
  set strokeStyle(v) { this.state.strokeStyle = v instanceof SvgPattern ? v : String(v); }
  get lineWidth() { return this.state.lineWidth; }
  set lineWidth(v) { if (Number.isFinite(v) && v > 0) this.state.lineWidth = v; }
  get lineCap() { return this.state.lineCap; }
  set lineCap(v) { this.state.lineCap = v; }
  get lineJoin() { return this.state.lineJoin; }
  set lineJoin(v) { this.state.lineJoin = v; }
  get lineDashOffset() { return this.state.lineDashOffset; }
  set lineDashOffset(v) { if (Number.isFinite(v)) this.state.lineDashOffset = v; }
  get globalAlpha() { return this.state.globalAlpha; }
  set globalAlpha(v) { if (Number.isFinite(v) && v >= 0 && v <= 1) this.state.globalAlpha = v; }
  get font() { return this.state.font; }
  set font(v) { if (parseFont(v)) this.state.font = String(v); }
  get textAlign() { return this.state.textAlign; }
  set textAlign(v) { this.state.textAlign = v; }
  get textBaseline() { return this.state.textBaseline; }
  set textBaseline(v) { this.state.textBaseline = v; }
  get imageSmoothingEnabled() { return this.state.imageSmoothingEnabled; }
  set imageSmoothingEnabled(v) { this.state.imageSmoothingEnabled = Boolean(v); }
  setLineDash(segments) {
    if (segments.some((s) => !Number.isFinite(s) || s < 0)) return;
    this.state.lineDash = segments.length % 2 ? [...segments, ...segments] : [...segments];
  }
  getLineDash() { return [...this.state.lineDash]; }

  // --- transforms ---
  setTransform(a, b, c, d, e, f) {
    this.state.matrix = typeof a === 'object' ? fromInit(a) : a === undefined ? IDENTITY : [a, b, c, d, e, f];
  }
  resetTransform() { this.state.matrix = IDENTITY; }
  getTransform() {
    const [a, b, c, d, e, f] = this.state.matrix;
    return { a, b, c, d, e, f };
  }
  transform(a, b, c, d, e, f) { this.state.matrix = multiply(this.state.matrix, [a, b, c, d, e, f]); }
  translate(x, y) { this.transform(1, 0, 0, 1, x, y); }
  scale(x, y) { this.transform(x, 0, 0, y, 0, 0); }
  rotate(angle) { this.transform(Math.cos(angle), Math.sin(angle), -Math.sin(angle), Math.cos(angle), 0, 0); }

  // --- paths, kept in transformed coordinates ---
  beginPath() {
    this.path = [];
    this.current = null;  // the current point, transformed
    this.subpathStart = null;
  }
  moveTo(x, y) {
    const p = apply(this.state.matrix, x, y);
    this.path.push(`M${num(p[0])} ${num(p[1])}`);
    this.current = this.subpathStart = p;
  }
  lineTo(x, y) {
    if (!this.current) { this.moveTo(x, y); return; }
    const p = apply(this.state.matrix, x, y);
    this.path.push(`L${num(p[0])} ${num(p[1])}`);
    this.current = p;
  }
  bezierCurveTo(x1, y1, x2, y2, x, y) {
    if (!this.current) this.moveTo(x1, y1);
    const pts = [apply(this.state.matrix, x1, y1), apply(this.state.matrix, x2, y2), apply(this.state.matrix, x, y)];
    this.path.push(`C${pts.map((p) => `${num(p[0])} ${num(p[1])}`).join(' ')}`);
    this.current = pts[2];
  }
  quadraticCurveTo(x1, y1, x, y) {
    if (!this.current) this.moveTo(x1, y1);
    const pts = [apply(this.state.matrix, x1, y1), apply(this.state.matrix, x, y)];
    this.path.push(`Q${pts.map((p) => `${num(p[0])} ${num(p[1])}`).join(' ')}`);
    this.current = pts[1];
  }
  closePath() {
    if (!this.current) return;
    this.path.push('Z');
    this.current = this.subpathStart;
  }
  rect(x, y, w, h) {
    this.moveTo(x, y);
    this.lineTo(x + w, y);
    this.lineTo(x + w, y + h);
    this.lineTo(x, y + h);
    this.closePath();
  }
  // The canvas's ellipse(): a line from the current point to the arc's start, then the arc.
  ellipse(x, y, rx, ry, rotation, start, end, anticlockwise = false) {
    if (rx < 0 || ry < 0) throw new RangeError('ellipse: negative radius');
    const full = 2 * Math.PI;
    let sweep = end - start;
    if (!anticlockwise && sweep >= full || anticlockwise && -sweep >= full) sweep = anticlockwise ? -full : full;
    else if (!anticlockwise) sweep = ((sweep % full) + full) % full;
    else sweep = -((((-sweep) % full) + full) % full);
    const { start: p0, curves } = arcBeziers(x, y, rx, ry, rotation, start, sweep);
    this.lineTo(...p0);
    for (const c of curves) this.bezierCurveTo(...c);
  }
  arc(x, y, r, start, end, anticlockwise = false) { this.ellipse(x, y, r, r, 0, start, end, anticlockwise); }
  // The canvas's arcTo(): the circle of radius r touching both lines through (x1, y1),
  // worked out where the path was drawn (before the transform).
  arcTo(x1, y1, x2, y2, r) {
    if (r < 0) throw new RangeError('arcTo: negative radius');
    if (!this.current) this.moveTo(x1, y1);
    const inverse = invert(this.state.matrix);
    const [x0, y0] = inverse ? apply(inverse, ...this.current) : [x1, y1];
    const v1 = [x0 - x1, y0 - y1], v2 = [x2 - x1, y2 - y1];
    const l1 = Math.hypot(...v1), l2 = Math.hypot(...v2);
    const cross = v1[0] * v2[1] - v1[1] * v2[0];
    if (r === 0 || l1 === 0 || l2 === 0 || Math.abs(cross) < 1e-9 * l1 * l2) { this.lineTo(x1, y1); return; }
    const angle = Math.acos(Math.max(-1, Math.min(1, (v1[0] * v2[0] + v1[1] * v2[1]) / (l1 * l2))));
    const along = r / Math.tan(angle / 2);  // from (x1, y1) to each tangent point
    const t1 = [x1 + (v1[0] / l1) * along, y1 + (v1[1] / l1) * along];
    const t2 = [x1 + (v2[0] / l2) * along, y1 + (v2[1] / l2) * along];
    // The centre: r from both lines, on the inside of the corner.
    const bisector = [v1[0] / l1 + v2[0] / l2, v1[1] / l1 + v2[1] / l2];
    const bl = Math.hypot(...bisector), toCentre = r / Math.sin(angle / 2);
    const c = [x1 + (bisector[0] / bl) * toCentre, y1 + (bisector[1] / bl) * toCentre];
    const a0 = Math.atan2(t1[1] - c[1], t1[0] - c[0]), a1 = Math.atan2(t2[1] - c[1], t2[0] - c[0]);
    let sweep = a1 - a0;
    if (sweep > Math.PI) sweep -= 2 * Math.PI;
    if (sweep < -Math.PI) sweep += 2 * Math.PI;
    this.lineTo(...t1);
    for (const curve of arcBeziers(c[0], c[1], r, r, 0, a0, sweep).curves) this.bezierCurveTo(...curve);
  }

  fill(rule) {
    if (!this.path.length) return;
    this.emit('path', { d: this.path.join(''), ...this.fillPaint(), 'fill-rule': rule === 'evenodd' ? 'evenodd' : undefined });
  }
  stroke() {
    if (!this.path.length) return;
    this.emit('path', { d: this.path.join(''), fill: 'none', ...this.strokePaint() });
  }

  // --- rectangles: a <rect> while the transform keeps them upright, else a path ---
  fillRect(x, y, w, h) {
    if (!w || !h || ![x, y, w, h].every(Number.isFinite)) return;
    this.emit(...this.rectShape(x, y, w, h, this.fillPaint()));
  }
  strokeRect(x, y, w, h) {
    if (![x, y, w, h].every(Number.isFinite)) return;
    this.emit(...this.rectShape(x, y, w, h, { fill: 'none', ...this.strokePaint() }));
  }
  rectShape(x, y, w, h, paint) {
    const m = this.state.matrix;
    if (m[1] === 0 && m[2] === 0 && w && h) {
      const [ax, ay] = apply(m, x, y), [bx, by] = apply(m, x + w, y + h);
      return ['rect', { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax), height: Math.abs(by - ay), ...paint }];
    }
    const corners = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]].map(([px, py]) => apply(m, px, py));
    return ['path', { d: `${corners.map(([px, py], i) => `${i ? 'L' : 'M'}${num(px)} ${num(py)}`).join('')}Z`, ...paint }];
  }

  // --- text ---
  measureText(text) {
    const measure = this.measure;
    if (measure) {
      measure.font = this.state.font;
      measure.textBaseline = this.state.textBaseline;
      return measure.measureText(String(text));
    }
    return { width: 0.55 * parseFont(this.state.font).size * Array.from(String(text)).length };
  }

  // How far below the canvas's textBaseline point the alphabetic baseline lies.
  baselineShift() {
    const { font, textBaseline } = this.state;
    if (textBaseline === 'alphabetic') return 0;
    const measure = this.measure;
    if (!measure) return (EM_BASELINE[textBaseline] ?? 0) * parseFont(font).size;
    const key = `${font}\n${textBaseline}`;  // a figure has a few fonts and hundreds of labels
    if (!this.shifts.has(key)) {
      const ascent = (baseline) => {
        measure.font = font;
        measure.textBaseline = baseline;
        return measure.measureText('Hg').actualBoundingBoxAscent;
      };
      this.shifts.set(key, ascent('alphabetic') - ascent(textBaseline));
    }
    return this.shifts.get(key);
  }

  fillText(text, x, y, maxWidth) {
    const { font, textAlign, fillStyle } = this.state;
    const shown = String(text);
    if (!shown || ![x, y].every(Number.isFinite)) return;
    const f = parseFont(font);
    let m = this.state.matrix, ty = y + this.baselineShift();
    let tx = x;
    // A moved (not turned or scaled) text keeps plain coordinates; others their matrix.
    if (m[0] === 1 && m[1] === 0 && m[2] === 0 && m[3] === 1) { tx += m[4]; ty += m[5]; m = null; }
    const anchor = { left: 'start', start: 'start', center: 'middle', right: 'end', end: 'end' }[textAlign] || 'start';
    // A canvas squeezes text wider than maxWidth into it; SVG says so with textLength.
    const squeeze = maxWidth !== undefined && maxWidth > 0 && this.measureText(shown).width > maxWidth;
    this.emit('text', {
      x: tx, y: ty, transform: m ? matrixAttr(m) : undefined,
      'font-size': f.size, 'font-family': f.family === ROOT_FONT ? undefined : f.family,
      'font-weight': f.weight === 'normal' ? undefined : f.weight, 'font-style': f.style === 'normal' ? undefined : f.style,
      'text-anchor': anchor === 'start' ? undefined : anchor,
      textLength: squeeze ? maxWidth : undefined, lengthAdjust: squeeze ? 'spacingAndGlyphs' : undefined,
      ...this.paint(fillStyle, 'fill'),
    }, escapeXml(shown));
  }

  // --- patterns and images ---
  createPattern(image) { return new SvgPattern(image); }

  createImageData(width, height) {
    if (typeof ImageData !== 'undefined') return new ImageData(width, height);
    return { width, height, data: new Uint8ClampedArray(width * height * 4) };
  }

  // A recording canvas is inlined (still vector); a real canvas or image becomes an
  // <image> (the one place a bitmap enters: a view that truly draws one).
  drawImage(image, ...args) {
    const [sx, sy, sw, sh, dx, dy, dw, dh] = args.length === 8 ? args
      : args.length === 4 ? [0, 0, image.width, image.height, ...args]
        : [0, 0, image.width, image.height, args[0], args[1], image.width, image.height];
    if (!sw || !sh || !dw || !dh) return;
    const place = multiply(this.state.matrix, [dw / sw, 0, 0, dh / sh, dx - (sx * dw) / sw, dy - (sy * dh) / sh]);
    const opacity = this.state.globalAlpha < 1 ? this.state.globalAlpha : undefined;
    const cropped = sx !== 0 || sy !== 0 || sw !== image.width || sh !== image.height;
    if (image instanceof SvgCanvas) {
      const inner = cropped  // only the source rectangle shows: a nested <svg> is a clip
        ? `<svg${attrs({ x: sx, y: sy, width: sw, height: sh, viewBox: `${num(sx)} ${num(sy)} ${num(sw)} ${num(sh)}` })}>${image.content()}</svg>`
        : image.content();
      this.emit('g', { transform: isIdentity(place) ? undefined : matrixAttr(place), opacity }, inner);
      return;
    }
    this.emit('image', {
      x: sx, y: sy, width: sw, height: sh, transform: isIdentity(place) ? undefined : matrixAttr(place), opacity,
      preserveAspectRatio: 'none', style: this.state.imageSmoothingEnabled ? undefined : 'image-rendering:pixelated',
      href: rasterUrl(image, sx, sy, sw, sh),
    });
  }

  // Pixels put straight onto the canvas (no transform, no alpha), as an image.
  putImageData(imageData, dx, dy) {
    const scratch = document.createElement('canvas');
    scratch.width = imageData.width;
    scratch.height = imageData.height;
    scratch.getContext('2d').putImageData(imageData, 0, 0);
    this.emit('image', { x: dx, y: dy, width: imageData.width, height: imageData.height, style: 'image-rendering:pixelated', href: scratch.toDataURL('image/png') });
  }

  // --- not a canvas method: a group around what follows, with attributes of its own
  // (drawCellGrid keeps a matrix's cells together, edges crisp so no seams show) ---
  beginGroup(attributes = {}) {
    this.elements.push(`<g${attrs(attributes)}>`);
    this.groups++;
  }
  endGroup() {
    if (!this.groups) return;
    this.elements.push('</g>');
    this.groups--;
  }

  // --- output ---
  paint(style, kind) {
    const alpha = this.state.globalAlpha;
    if (style instanceof SvgPattern) return { [kind]: `url(#${this.patternId(style)})`, [`${kind}-opacity`]: alpha < 1 ? alpha : undefined };
    const { color, opacity } = svgPaint(style);
    return { [kind]: color, [`${kind}-opacity`]: opacity * alpha < 1 ? opacity * alpha : undefined };
  }
  fillPaint() { return this.paint(this.state.fillStyle, 'fill'); }
  strokePaint() {
    const { matrix: [a, b, c, d], lineWidth, lineDash, lineDashOffset, lineCap, lineJoin } = this.state;
    const scale = Math.sqrt(Math.abs(a * d - b * c));  // widths follow the transform (exactly when it is uniform)
    return {
      ...this.paint(this.state.strokeStyle, 'stroke'), 'stroke-width': lineWidth * scale,
      'stroke-dasharray': lineDash.length ? lineDash.map((s) => num(s * scale)).join(' ') : undefined,
      'stroke-dashoffset': lineDash.length && lineDashOffset ? lineDashOffset * scale : undefined,
      'stroke-linecap': lineCap === 'butt' ? undefined : lineCap, 'stroke-linejoin': lineJoin === 'miter' ? undefined : lineJoin,
    };
  }

  // A <pattern> for this tile under the transform in force (a canvas pattern lives in
  // the coordinates the shape is filled in), made once per tile and transform.
  patternId(pattern) {
    const { image } = pattern;
    const matrix = multiply(this.state.matrix, pattern.matrix);
    if (!image.patternKey) image.patternKey = `t${nextId++}`;
    const key = `${image.patternKey} ${matrix.join()}`;
    if (!this.patternIds.has(key)) {
      const id = `llmsim-pattern-${nextId++}`;
      const tile = image instanceof SvgCanvas ? image.content()
        : `<image${attrs({ width: image.width, height: image.height, href: rasterUrl(image, 0, 0, image.width, image.height) })}/>`;
      this.defs.push(`<pattern${attrs({ id, patternUnits: 'userSpaceOnUse', width: image.width, height: image.height, patternTransform: isIdentity(matrix) ? undefined : matrixAttr(matrix) })}>${tile}</pattern>`);
      this.patternIds.set(key, id);
    }
    return this.patternIds.get(key);
  }

  emit(tag, attributes, content) {
    this.elements.push(content === undefined ? `<${tag}${attrs(attributes)}/>` : `<${tag}${attrs(attributes)}>${content}</${tag}>`);
  }
}

// A bitmap source's rectangle as a PNG data URL.
function rasterUrl(image, sx, sy, sw, sh) {
  const scratch = document.createElement('canvas');
  scratch.width = Math.max(1, Math.round(sw));
  scratch.height = Math.max(1, Math.round(sh));
  scratch.getContext('2d').drawImage(image, sx, sy, sw, sh, 0, 0, scratch.width, scratch.height);
  return scratch.toDataURL('image/png');
}

// The canvas a view draws on. Like a canvas, setting its width or height clears it.
// options.measure: a real 2D context for text metrics (default: one of the page's).
export class SvgCanvas {
  constructor(options = {}) {
    this.vector = true;   // views/canvas.js isVector(): draw cells and layers as shapes
    this.pixelRatio = 1;  // views/canvas.js pixelRatio(): coordinates in CSS pixels
    this.style = {};      // prepareCanvas sets the CSS size here, as on a canvas element
    this.measure = options.measure === undefined ? defaultMeasure() : options.measure;
    this.w = 0;
    this.h = 0;
    this.ctx = new SvgContext(this, this.measure);
  }

  get width() { return this.w; }
  set width(v) { this.w = Math.max(0, Math.floor(Number(v) || 0)); this.ctx.reset(); }
  get height() { return this.h; }
  set height(v) { this.h = Math.max(0, Math.floor(Number(v) || 0)); this.ctx.reset(); }

  getContext(kind) { return kind === '2d' ? this.ctx : null; }

  // Another recording canvas, for a view's scratch tile (views/canvas.js canvasLike).
  createCanvas() { return new SvgCanvas({ measure: this.measure }); }

  // What it holds: its pattern definitions, then its elements in drawing order.
  content() {
    const { defs, elements } = this.ctx;
    return `${defs.length ? `<defs>${defs.join('')}</defs>\n` : ''}${elements.join('\n')}${'</g>'.repeat(this.ctx.groups)}`;
  }

  // The whole SVG file. xml:space="preserve" keeps runs of spaces as a canvas does.
  toSvg() {
    const { w, h } = this;
    return `<?xml version="1.0" encoding="UTF-8"?>\n<svg${attrs({ xmlns: SVG_NS, width: w, height: h, viewBox: `0 0 ${num(w)} ${num(h)}`,
      'font-family': ROOT_FONT, 'stroke-miterlimit': 10, 'xml:space': 'preserve' })}>\n${this.content()}\n</svg>\n`;
  }
}

// A panel's export: `draw(canvas)` recorded on a new recording canvas, which is
// returned; null if draw returns false (nothing to draw).
export function svgFigure(draw) {
  const canvas = new SvgCanvas();
  return draw(canvas) === false ? null : canvas;
}
