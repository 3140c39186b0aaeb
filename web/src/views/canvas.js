// Sizing a canvas for crisp drawing: its backing store is devicePixelRatio times its
// CSS size, and the context is scaled so views draw in CSS pixels.
export function prepareCanvas(canvas, cssWidth, cssHeight) {
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.max(1, Math.round(cssWidth * ratio));
  canvas.height = Math.max(1, Math.round(cssHeight * ratio));
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Token text for a label: visible whitespace, at most `max` characters.
export function tokenLabel(token, max = 12) {
  const shown = String(token).replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·');
  const chars = Array.from(shown);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : shown;
}
