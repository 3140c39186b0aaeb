// Light and dark themes: follow the system unless the reader picks one. The choice
// is kept in localStorage (when the browser allows it) and set as data-theme on <html>.
const MODES = ['auto', 'light', 'dark'];
const LABELS = { auto: '◐ Auto', light: '☀ Light', dark: '☾ Dark' };

function storedMode() {
  try { return MODES.includes(localStorage.getItem('llmsim-theme')) ? localStorage.getItem('llmsim-theme') : 'auto'; } catch { return 'auto'; }
}

function applyMode(mode) {
  if (mode === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = mode;
}

export function initThemeToggle(button, onChange) {
  let mode = storedMode();
  const show = () => {
    button.textContent = LABELS[mode];
    button.setAttribute('aria-label', `Colour theme: ${mode === 'auto' ? 'follows the system' : mode}. Press to change.`);
  };
  applyMode(mode);
  show();
  button.addEventListener('click', () => {
    mode = MODES[(MODES.indexOf(mode) + 1) % MODES.length];
    try { localStorage.setItem('llmsim-theme', mode); } catch { /* private mode: not kept */ }
    applyMode(mode);
    show();
    onChange();
  });
}

// The colours the canvas views draw with, read from the CSS custom properties as
// they apply to `element` (the page's root, or an embedded element's host).
export function readTheme(element = document.documentElement) {
  const css = getComputedStyle(element);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    background: v('--surface'), text: v('--text'), muted: v('--muted'), line: v('--line'),
    accent: v('--accent'), second: v('--second'), tokenFill: v('--token'), masked: v('--masked'),
  };
}
