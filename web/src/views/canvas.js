// Sizing a canvas for crisp drawing: its backing store is devicePixelRatio times its
// CSS size, and the context is scaled so views draw in CSS pixels.
export function prepareCanvas(canvas, cssWidth, cssHeight) {
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const width = Math.max(1, Math.round(cssWidth * ratio));
  const height = Math.max(1, Math.round(cssHeight * ratio));
  const ctx = canvas.getContext('2d');
  // Resizing reallocates the backing store (and forces a layout), so a redraw at the
  // same size only clears it: typing redraws every keystroke.
  if (canvas.width !== width || canvas.height !== height) {
    canvas.style.width = `${cssWidth}px`;
    canvas.style.height = `${cssHeight}px`;
    canvas.width = width;
    canvas.height = height;
  } else if (typeof ctx.reset === 'function') {
    ctx.reset();  // clears the bitmap and every drawing state, as a resize would
  } else {
    canvas.width = width;  // older browsers: the same reset by reallocation
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Token text for a label: visible whitespace, at most `max` characters.
export function tokenLabel(token, max = 12) {
  const shown = String(token).replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·');
  const chars = Array.from(shown);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : shown;
}
