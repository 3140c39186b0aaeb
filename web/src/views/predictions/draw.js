// Predictions view: the model's top-k guesses for the next token, as bars of
// probability. Pure drawing: (canvas, data, options) -> pixels.
import { prepareCanvas, tokenLabel } from '../canvas.js';

const ROW = 30, LABEL_W = 150;

// data: { predictions: [{ text, probability }] } ; options: { width, theme }
export function drawPredictions(canvas, data, options) {
  const { predictions } = data;
  const { width, theme } = options;
  const height = Math.max(ROW, predictions.length * ROW + 8);
  const ctx = prepareCanvas(canvas, width, height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  const barMax = width - LABEL_W - 70;
  predictions.forEach((p, i) => {
    const y = i * ROW + 4;
    ctx.fillStyle = theme.text;
    ctx.font = '14px ui-monospace, Menlo, monospace';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(tokenLabel(p.text, 16), LABEL_W - 10, y + ROW / 2 - 2);
    ctx.fillStyle = i === 0 ? theme.accent : theme.second;
    ctx.fillRect(LABEL_W, y + 4, Math.max(1, p.probability * barMax), ROW - 12);
    ctx.fillStyle = theme.muted;
    ctx.font = '12px ui-monospace, Menlo, monospace';
    ctx.textAlign = 'left';
    ctx.fillText(`${(p.probability * 100).toFixed(1)}%`, LABEL_W + p.probability * barMax + 6, y + ROW / 2 - 2);
  });
}
