// Predictions panel: the top-k next tokens, a temperature, and step-by-step generation.
import { drawPredictions } from '../views/predictions.js';
import { fillTable } from './alt-table.js';

export function mountPredictions(section, app) {
  const canvas = section.querySelector('#predictions-canvas');
  const temperature = section.querySelector('#temperature');
  const temperatureValue = section.querySelector('#temperature-value');
  const append = section.querySelector('#append-top');
  const note = section.querySelector('#predictions-note');
  const table = section.querySelector('#predictions-table');

  temperature.addEventListener('input', () => app.set({ temperature: Number(temperature.value) }, { rerun: true }));
  append.addEventListener('click', () => {
    const top = app.summary && app.summary.top_k[0];
    if (top) app.set({ text: app.state.text + top.text, token: null }, { rerun: true, push: true });
  });

  return {
    render() {
      const summary = app.summary;
      temperature.value = String(app.state.temperature);
      temperatureValue.textContent = app.state.temperature.toFixed(2);
      const predictions = summary ? summary.top_k : [];
      append.disabled = predictions.length === 0;
      temperature.disabled = !summary || !summary.has_vocabulary;
      if (!summary) {
        note.textContent = '';  // loading a model, or the run failed (the status says which)
      } else if (!summary.has_vocabulary) {
        note.textContent = 'The random model has no vocabulary, so it cannot predict a next token. Choose a trained model.';
      } else if (predictions.length === 0) {
        note.textContent = 'Type some text to see what the model expects next.';
      } else {
        note.textContent = `After ${JSON.stringify(summary.tokens[summary.tokens.length - 1])}, the model expects:`;
      }
      if (predictions.length === 0) { canvas.width = 0; table.replaceChildren(); return; }
      drawPredictions(canvas, { predictions }, { width: canvas.parentElement.clientWidth, theme: app.theme() });
      fillTable(table, `Top ${predictions.length} next tokens at temperature ${app.state.temperature}`,
        [['token', 'id', 'probability'], ...predictions.map((p) => [JSON.stringify(p.text), String(p.id), p.probability.toFixed(4)])]);
    },
  };
}
