// Tokens view: the input text cut into its tokens, each with its id, so the reader
// sees where the model's boundaries fall (spaces belong to the token after them).
// Pure DOM drawing: (container, data, options) -> elements. Text only, never HTML.
import { tokenLabel, quoted } from '../canvas.js';

// data: { tokens, ids } ; options: { selected: index or null, showIds }
export function drawTokens(container, data, options) {
  const { tokens, ids } = data;
  const chips = tokens.map((token, i) => {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'token' + (i === options.selected ? ' selected' : '');
    chip.dataset.index = String(i);
    chip.setAttribute('aria-pressed', String(i === options.selected));
    const text = document.createElement('span');
    text.className = 'token-text';
    text.textContent = tokenLabel(token, 24);
    chip.append(text);
    if (options.showIds && ids && ids[i] >= 0) {
      const id = document.createElement('span');
      id.className = 'token-id';
      id.textContent = String(ids[i]);
      chip.append(id);
    }
    chip.title = `token ${i}${ids && ids[i] >= 0 ? `, id ${ids[i]}` : ''}: ${quoted(token)}`;
    return chip;
  });
  container.replaceChildren(...chips);
}
