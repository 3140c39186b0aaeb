// The SVG export's recording canvas (web/src/export/svg-context.js): hand-written
// sequences of canvas calls, and the SVG elements they must give, every number worked
// out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SvgCanvas } from '../../web/src/export/svg-context.js';
import { drawCellGrid, packColor } from '../../web/src/views/canvas.js';
import { captionedCanvas } from '../../web/src/download.js';

// A canvas with no real text metrics (as in Node), or with `measure`.
function recorder(width = 200, height = 100, measure = null) {
  const svg = new SvgCanvas({ measure });
  svg.width = width;
  svg.height = height;
  return { svg, ctx: svg.getContext('2d') };
}

// The SVG's elements, one a line, without the file's head and tail.
const body = (svg) => svg.content().split('\n');

test('the file: an <svg> root sized as the canvas, in CSS pixels', () => {
  const { svg } = recorder(320, 150);
  const text = svg.toSvg();
  assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="320" height="150" viewBox="0 0 320 150" font-family="system-ui, sans-serif"/);
  assert.match(text, /<\/svg>\n$/);
});

test('rectangles keep their place, colour, transform and alpha; save/restore restore the state', () => {
  const { svg, ctx } = recorder();
  ctx.fillStyle = '#FF8000';
  ctx.fillRect(10, 20, 30, 40);
  ctx.save();
  ctx.translate(5, 6);
  ctx.scale(2, 3);
  ctx.fillStyle = 'rgb(1, 2, 3)';
  ctx.fillRect(1, 2, 3, 4);  // x 2·1 + 5 = 7, y 3·2 + 6 = 12, 6 wide, 12 high
  ctx.restore();
  ctx.fillRect(0, 0, 1, 1);  // back to orange, untransformed
  ctx.fillStyle = 'rgba(0, 0, 255, 0.5)';
  ctx.globalAlpha = 0.5;
  ctx.fillRect(-1, 0, -4, 2);  // a negative width reaches left: x from −5 to −1; opacity 0.5 × 0.5
  ctx.fillRect(3, 3, 0, 5);    // nothing to fill
  assert.deepEqual(body(svg), [
    '<rect x="10" y="20" width="30" height="40" fill="#ff8000"/>',
    '<rect x="7" y="12" width="6" height="12" fill="#010203"/>',
    '<rect x="0" y="0" width="1" height="1" fill="#ff8000"/>',
    '<rect x="-5" y="0" width="4" height="2" fill="#0000ff" fill-opacity="0.25"/>',
  ]);
});

test('a turned rectangle becomes a path through its turned corners', () => {
  const { svg, ctx } = recorder();
  ctx.rotate(Math.PI / 2);  // (x, y) -> (−y, x)
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 10, 5);  // corners (0,0) (10,0) (10,5) (0,5) -> (0,0) (0,10) (−5,10) (−5,0)
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.strokeStyle = '#123456';
  ctx.strokeRect(1.5, 2.5, 4, 3);
  assert.deepEqual(body(svg), [
    '<path d="M0 0L0 10L-5 10L-5 0Z" fill="#000000"/>',
    '<rect x="1.5" y="2.5" width="4" height="3" fill="none" stroke="#123456" stroke-width="1"/>',
  ]);
});

test('paths are stored transformed; widths and dashes follow the scale', () => {
  const { svg, ctx } = recorder();
  ctx.translate(100, 0);
  ctx.scale(2, 2);
  ctx.strokeStyle = '#00ff00';
  ctx.lineWidth = 1.5;
  ctx.setLineDash([3, 1]);
  ctx.beginPath();
  ctx.moveTo(0, 0);
  ctx.lineTo(10, 5);                              // -> 120 10
  ctx.bezierCurveTo(10, 0, 20, 0, 20, 5);         // -> 120 0, 140 0, 140 10
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = '#00f';
  ctx.beginPath();
  ctx.moveTo(1, 1);
  ctx.lineTo(2, 1);
  ctx.lineTo(2, 2);
  ctx.closePath();
  ctx.fill();
  assert.deepEqual(body(svg), [
    '<path d="M100 0L120 10C120 0 140 0 140 10" fill="none" stroke="#00ff00" stroke-width="3" stroke-dasharray="6 2"/>',
    '<path d="M102 2L104 2L104 4Z" fill="#0000ff"/>',
  ]);
});

test('arcTo rounds a corner with a quarter circle (a cubic through its tangent points)', () => {
  const { svg, ctx } = recorder();
  ctx.beginPath();
  ctx.moveTo(0, 0);
  ctx.arcTo(10, 0, 10, 10, 5);  // tangent at (5, 0) and (10, 5), centre (5, 5)
  ctx.stroke();
  // Control points 5·(4/3)·tan(π/8) = 2.761 along each tangent: (7.761, 0) and (10, 2.239).
  assert.deepEqual(body(svg), ['<path d="M0 0L5 0C7.761 0 10 2.239 10 5" fill="none" stroke="#000000" stroke-width="1"/>']);
});

test('text: escaped (a token is the reader\'s input), placed, aligned, in its font', () => {
  const { svg, ctx } = recorder();
  ctx.fillStyle = '#1d1d1f';
  ctx.font = '600 13px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText('<script>&"\'', 50, 20);
  ctx.font = '11px ui-monospace, Menlo, monospace';
  ctx.textAlign = 'right';
  ctx.translate(5, 5);
  ctx.fillText('a\u0001b', 1, 2);  // a control character XML cannot hold; moved by (5, 5)
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.font = 'italic 12px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.translate(10, 20);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('key', 0, 0);       // turned: its own matrix, cos −90° = 0, sin −90° = −1
  assert.deepEqual(body(svg), [
    '<text x="50" y="20" font-size="13" font-weight="600" text-anchor="middle" fill="#1d1d1f">&lt;script&gt;&amp;&quot;&apos;</text>',
    '<text x="6" y="7" font-size="11" font-family="ui-monospace, Menlo, monospace" text-anchor="end" fill="#1d1d1f">a\uFFFDb</text>',
    '<text x="0" y="0" transform="matrix(0 -1 1 0 10 20)" font-size="12" font-style="italic" fill="#1d1d1f">key</text>',
  ]);
  assert.ok(!svg.toSvg().includes('<script'), 'no markup from the text');
});

test('text on another baseline moves to the alphabetic one by the measured distance; maxWidth squeezes', () => {
  // A stand-in for a canvas's metrics: "Hg" rises 10 px above the alphabetic baseline,
  // 4 above the middle one, 0 above the top one; every character is 7 px wide.
  const measure = {
    font: '', textBaseline: 'alphabetic',
    measureText(text) {
      return { width: 7 * text.length, actualBoundingBoxAscent: { alphabetic: 10, middle: 4, top: 0 }[this.textBaseline] };
    },
  };
  const { svg, ctx } = recorder(200, 100, measure);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText('m', 0, 20);             // 20 + (10 − 4)
  ctx.textBaseline = 'top';
  ctx.fillText('t', 0, 20);             // 20 + (10 − 0)
  ctx.fillText('abcdef', 0, 40, 30);    // 42 px wide into 30
  ctx.fillText('abc', 0, 60, 30);       // 21 px: fits as it is
  assert.equal(ctx.measureText('abcd').width, 28);
  assert.deepEqual(body(svg), [
    '<text x="0" y="26" font-size="12" fill="#000000">m</text>',
    '<text x="0" y="30" font-size="12" fill="#000000">t</text>',
    '<text x="0" y="50" font-size="12" textLength="30" lengthAdjust="spacingAndGlyphs" fill="#000000">abcdef</text>',
    '<text x="0" y="70" font-size="12" fill="#000000">abc</text>',
  ]);
});

test('a recording canvas drawn into another stays vector; a pattern of one becomes a <pattern>', () => {
  const tile = new SvgCanvas({ measure: null });
  tile.width = tile.height = 6;
  const t = tile.getContext('2d');
  t.beginPath();
  t.moveTo(0, 6);
  t.lineTo(6, 0);
  t.stroke();
  const { svg, ctx } = recorder();
  ctx.drawImage(tile, 3, 4);
  ctx.fillStyle = ctx.createPattern(tile, 'repeat');
  ctx.fillRect(0, 0, 12, 12);
  const [defs, g, rect] = body(svg);
  const id = defs.match(/<pattern id="([^"]+)"/)[1];
  assert.equal(defs, `<defs><pattern id="${id}" patternUnits="userSpaceOnUse" width="6" height="6"><path d="M0 6L6 0" fill="none" stroke="#000000" stroke-width="1"/></pattern></defs>`);
  assert.equal(g, '<g transform="translate(3 4)"><path d="M0 6L6 0" fill="none" stroke="#000000" stroke-width="1"/></g>');
  assert.equal(rect, `<rect x="0" y="0" width="12" height="12" fill="url(#${id})"/>`);
});

test('setting the size clears the drawing, as on a canvas', () => {
  const { svg, ctx } = recorder();
  ctx.fillRect(0, 0, 5, 5);
  ctx.fillStyle = '#ff0000';
  svg.width = 50;
  ctx.fillRect(1, 1, 2, 2);
  assert.deepEqual(body(svg), ['<rect x="1" y="1" width="2" height="2" fill="#000000"/>']);
});

test('a cell grid on a recording canvas is a rectangle per run of equal cells, in the cells\' colours', () => {
  const { svg, ctx } = recorder();
  const red = packColor([255, 0, 0]), blue = packColor([0, 0, 255]), green = packColor([0, 128, 0]);
  const cells = [[red, red, blue], [green, green, green]];
  drawCellGrid(ctx, 2, 3, 10, 20, 5, 4, (r, c) => cells[r][c]);  // cells 5 wide, 4 high from (10, 20)
  assert.deepEqual(body(svg), [
    '<g shape-rendering="crispEdges">',
    '<rect x="10" y="20" width="10" height="4" fill="#ff0000"/>',
    '<rect x="20" y="20" width="5" height="4" fill="#0000ff"/>',
    '<rect x="10" y="24" width="15" height="4" fill="#008000"/>',
    '</g>',
  ]);
});

test('the caption goes above a recorded figure as text; the figure stays shapes', () => {
  const { svg: figure, ctx } = recorder(200, 50);  // room for the caption (Node's estimate: 0.55 em a character)
  ctx.fillStyle = '#abcdef';
  ctx.fillRect(0, 0, 10, 10);
  const out = captionedCanvas(figure, ['View & model', '“<b>”'], { background: '#ffffff', text: '#111111', muted: '#666666' });
  assert.equal(out.width, 200);
  assert.equal(out.height, 50 + 2 * 10 + 2 * 18);  // padding above and below, 18 px a line
  const lines = body(out);
  assert.equal(lines[0], '<rect x="0" y="0" width="200" height="106" fill="#ffffff"/>');
  // Without real metrics, 'top' text sits 0.8 em (10.4 px) above its alphabetic baseline.
  assert.equal(lines[1], '<text x="10" y="20.4" font-size="13" font-weight="600" fill="#111111">View &amp; model</text>');
  assert.equal(lines[2], '<text x="10" y="38.4" font-size="13" fill="#666666">“&lt;b&gt;”</text>');
  assert.equal(lines[3], '<g transform="translate(0 56)"><rect x="0" y="0" width="10" height="10" fill="#abcdef"/></g>');
});
