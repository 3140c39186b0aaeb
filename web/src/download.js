import { canvasLike, pixelRatio, prepareCanvas } from './views/canvas.js';

// Saves a Blob as a file through a temporary link (works from file:// too).
export function downloadBlob(blob, filename) {
  if (!blob) return;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// What an exported figure says about itself, two lines: what it shows (view, model,
// layer and head, and any switch that is not as the model was trained), and the text.
export function exportCaption(state, { viewTitle, modelTitle }) {
  const what = [`Attention, computed · ${viewTitle}`, modelTitle];
  if (state.view !== 'grid') what.push(`layer ${state.layer}, head ${state.head}`);  // the grid is every head
  if (state.ablate.length) what.push(`heads off: ${state.ablate.join(', ')}`);
  if (!state.scale) what.push('without √dₖ scaling');
  if (!state.causal) what.push('without the causal mask');
  return [what.join(' · '), `“${state.text}”`];
}

// `canvas` with the caption's lines above it, on the theme's background, at the
// canvas's own pixel scale; the text line is cut with … to the canvas's width. Given
// an SVG export's recording canvas it returns another: the caption is text there and
// the figure stays vector (export/svg-context.js).
export function captionedCanvas(canvas, lines, theme) {
  const ratio = pixelRatio(canvas);
  const pad = 10, line = 18;  // CSS pixels
  const width = canvas.width / ratio;
  const out = canvasLike(canvas);
  const ctx = prepareCanvas(out, width, canvas.height / ratio + 2 * pad + lines.length * line);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width / ratio, out.height / ratio);
  ctx.textBaseline = 'top';
  lines.forEach((text, i) => {
    ctx.font = `${i === 0 ? 600 : 400} 13px system-ui, sans-serif`;
    ctx.fillStyle = i === 0 ? theme.text : theme.muted;
    let shown = text;
    const room = width - 2 * pad;
    if (ctx.measureText(shown).width > room) {
      const chars = Array.from(text);
      let n = chars.length;
      while (n > 1 && ctx.measureText(`${chars.slice(0, n).join('')}…`).width > room) n = Math.floor(n * 0.9);
      shown = `${chars.slice(0, n).join('')}…`;
    }
    ctx.fillText(shown, pad, pad + i * line);
  });
  ctx.setTransform(1, 0, 0, 1, 0, 0);  // the figure at its own pixels, under the caption
  ctx.drawImage(canvas, 0, out.height - canvas.height);
  return out;
}
