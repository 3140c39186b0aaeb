// Work that must not hold up a keystroke or a frame: text alternatives, the grid's
// other thumbnails. `whenIdle(work)` runs work(deadline) when the browser has nothing
// more urgent to do, within a second at the latest; deadline.timeRemaining() says for
// how long. Safari has no requestIdleCallback: there it runs after the next frame.
export const whenIdle = typeof requestIdleCallback === 'function'
  ? (work) => requestIdleCallback(work, { timeout: 1000 })
  : (work) => setTimeout(() => work({ didTimeout: true, timeRemaining: () => 0 }), 16);

export const cancelIdle = typeof cancelIdleCallback === 'function' ? cancelIdleCallback : clearTimeout;

// Runs work() once, in a task after the next frame (its style, layout and paint), or
// after 100 ms where no frame comes (a page in a background tab). Returns a cancel().
export function afterNextFrame(work) {
  let done = false;
  const run = () => { if (!done) { done = true; work(); } };
  const frame = requestAnimationFrame(() => setTimeout(run, 0));
  const fallback = setTimeout(run, 100);
  return () => { done = true; cancelAnimationFrame(frame); clearTimeout(fallback); };
}
