// Work that must not hold up a keystroke or a frame: text alternatives, the grid's
// other thumbnails. `whenIdle(work)` runs work(deadline) when the browser has nothing
// more urgent to do, within a second at the latest; deadline.timeRemaining() says for
// how long. Safari has no requestIdleCallback: there it runs after the next frame.
export const whenIdle = typeof requestIdleCallback === 'function'
  ? (work) => requestIdleCallback(work, { timeout: 1000 })
  : (work) => setTimeout(() => work({ didTimeout: true, timeRemaining: () => 0 }), 16);

export const cancelIdle = typeof cancelIdleCallback === 'function' ? cancelIdleCallback : clearTimeout;
