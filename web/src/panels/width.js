// An element's width without forcing a layout on every redraw. Reading clientWidth
// right after the page changed (new status text, a new table) makes the browser lay
// the page out there and then, which cost more than drawing the heatmap itself; a
// ResizeObserver hands over the width whenever it changes instead.
export function trackedWidth(element) {
  let width = 0;
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => { width = element.clientWidth; }).observe(element);
  }
  // 0 until the first observation, or while the element is hidden: read it directly.
  return () => width || element.clientWidth;
}
