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
// canvas's own pixel scale; the text line is cut with … to the canvas's width.
export function captionedCanvas(canvas, lines, theme) {
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const pad = 10 * ratio, line = 18 * ratio;
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height + Math.round(2 * pad + lines.length * line);
  const ctx = out.getContext('2d');
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.textBaseline = 'top';
  lines.forEach((text, i) => {
    ctx.font = `${i === 0 ? 600 : 400} ${13 * ratio}px system-ui, sans-serif`;
    ctx.fillStyle = i === 0 ? theme.text : theme.muted;
    let shown = text;
    const room = out.width - 2 * pad;
    if (ctx.measureText(shown).width > room) {
      const chars = Array.from(text);
      let n = chars.length;
      while (n > 1 && ctx.measureText(`${chars.slice(0, n).join('')}…`).width > room) n = Math.floor(n * 0.9);
      shown = `${chars.slice(0, n).join('')}…`;
    }
    ctx.fillText(shown, pad, pad + i * line);
  });
  ctx.drawImage(canvas, 0, out.height - canvas.height);
  return out;
}
