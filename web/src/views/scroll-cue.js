// A canvas wider than its view scrolls sideways; the view says so with "‹ more" and
// "more ›" at the edges it continues past (markup: SCROLL_WRAP, CSS: .scroll-wrap).
export const MORE_CUES = '<span class="more more-left" aria-hidden="true">‹ more</span><span class="more more-right" aria-hidden="true">more ›</span>';

// scroller: the .scroll element inside a .scroll-wrap; contentWidth in CSS pixels.
export function updateScrollCue(scroller, contentWidth) {
  const wrap = scroller.parentElement;
  wrap.classList.toggle('more-before', scroller.scrollLeft > 1);
  wrap.classList.toggle('more-after', scroller.scrollLeft + scroller.clientWidth < contentWidth - 1);
}
