// Small DOM writes that leave the page alone when nothing changed.

// Sets an element's text only when it differs: every keystroke syncs the controls and
// the views' captions, and an unchanged write still costs the browser a layout.
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
