// Tokens view: the input text cut into its tokens, each with its id, so the reader
// sees where the model's boundaries fall (spaces belong to the token after them).
// Pure DOM drawing: (container, data, options) -> elements. Text only, never HTML.
import { tokenLabel, quoted } from '../canvas.js';

// data: { tokens, ids } ; options: { selected: index or null, showIds }
// The chips are updated in place: typing changes the last token or two, and making
// every chip again on each keystroke (with its style and layout) cost the main thread
// far more than the few that changed.
export function drawTokens(container, data, options) {
  const { tokens, ids } = data;
  while (container.children.length > tokens.length) container.lastElementChild.remove();
  for (let i = 0; i < tokens.length; i++) {
    const chip = container.children[i] || container.appendChild(document.createElement('button'));
    showChip(chip, i, tokens[i], ids && ids[i] >= 0 ? ids[i] : null, i === options.selected, options.showIds);
  }
}

// One chip: token i's text, its id, whether it is selected; untouched if it shows that already.
function showChip(chip, i, token, id, selected, showIds) {
  const shown = [token, id, selected, showIds].join('\u0000');
  if (chip.shown === shown) return;
  chip.shown = shown;
  chip.type = 'button';
  chip.className = 'token' + (selected ? ' selected' : '');
  chip.dataset.index = String(i);
  chip.setAttribute('aria-pressed', String(selected));
  const text = document.createElement('span');
  text.className = 'token-text';
  text.textContent = tokenLabel(token, 24);
  chip.replaceChildren(text);
  if (showIds && id !== null) {
    const idText = document.createElement('span');
    idText.className = 'token-id';
    idText.textContent = String(id);
    chip.append(idText);
  }
  chip.title = `token ${i}${id !== null ? `, id ${id}` : ''}: ${quoted(token)}`;
}
