// Tokens panel: the token chips with ids; pressing one selects it everywhere.
import { drawTokens } from './draw.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div id="token-chips" class="tokens large" aria-label="Tokens; press a token to select it"></div>
  </div>
  <aside class="guide">
    <h2>Tokens</h2>
    <p>A model never sees letters. A tokenizer cuts the text into pieces it learned from its
      training text — common words whole, rare ones in fragments — and each piece becomes a
      number, its id. The first token, <code>&lt;bos&gt;</code>, marks the beginning.</p>
    <p>Press a token to follow it through every other view. The arrow keys move the selection.</p>
    <p class="look">Look at the small number under each chip: that is the id the model reads. A word cut into several chips is one the tokenizer rarely saw whole.</p>
  </aside>
`;

export const view = { name: 'tokens', title: 'Tokens', markup: MARKUP, mount: mountTokens };

export function mountTokens(section, session) {
  const chips = section.querySelector('#token-chips');
  chips.addEventListener('click', (event) => {
    const chip = event.target.closest('[data-index]');
    if (chip) session.set({ token: Number(chip.dataset.index) });
  });
  return {
    render() {
      const summary = session.summary;
      if (!summary) return chips.replaceChildren();
      // The chips are redrawn; keep the keyboard where it was: on the selected chip.
      const hadFocus = chips.contains(document.activeElement);
      drawTokens(chips, summary, { selected: session.state.token, showIds: true });
      if (hadFocus) {
        const chip = chips.querySelector(`[data-index="${session.focusToken()}"]`);
        if (chip) chip.focus();
      }
    },
  };
}
