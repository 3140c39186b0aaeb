// Tokens panel: the token chips with ids; pressing one selects it everywhere.
import { drawTokens } from '../views/tokens.js';

export function mountTokens(section, app) {
  const chips = section.querySelector('#token-chips');
  chips.addEventListener('click', (event) => {
    const chip = event.target.closest('[data-index]');
    if (chip) app.set({ token: Number(chip.dataset.index) });
  });
  return {
    render() {
      const summary = app.summary;
      if (!summary) return chips.replaceChildren();
      drawTokens(chips, summary, { selected: app.state.token, showIds: true });
    },
  };
}
