// Q/K/V panel: the soft dictionary lookup for the selected token, step by step.
import { drawQkv, QKV_STEPS } from '../views/qkv.js';
import { fillTable } from './alt-table.js';

export function mountQkv(section, app) {
  const canvas = section.querySelector('#qkv-canvas');
  const stepLabel = section.querySelector('#qkv-step');
  const explain = section.querySelector('#qkv-explain');
  const back = section.querySelector('#qkv-back');
  const next = section.querySelector('#qkv-next');
  const table = section.querySelector('#qkv-table');
  let step = QKV_STEPS.length - 1;

  back.addEventListener('click', () => { step = Math.max(0, step - 1); render(); });
  next.addEventListener('click', () => { step = Math.min(QKV_STEPS.length - 1, step + 1); render(); });

  function render() {
    const summary = app.summary;
    stepLabel.textContent = `Step ${step + 1} of ${QKV_STEPS.length}: ${QKV_STEPS[step].title}`;
    back.disabled = step === 0;
    next.disabled = step === QKV_STEPS.length - 1;
    if (!summary || summary.tokens.length === 0) { canvas.width = 0; explain.textContent = ''; table.replaceChildren(); return; }
    const query = app.focusToken();
    const m = (name) => app.matrix(name).data;
    const data = {
      tokens: summary.tokens, query, dK: summary.d_k, causal: summary.causal,
      q: m('q'), k: m('k'), v: m('v'), scores: m('scores'), scaled: m('scaled'), weights: m('weights'), output: m('output'),
    };
    explain.textContent = `${QKV_STEPS[step].text} Query: token ${query} ${JSON.stringify(summary.tokens[query])}, layer ${app.state.layer}, head ${app.state.head}, dₖ = ${summary.d_k}.`;
    drawQkv(canvas, data, { width: canvas.parentElement.clientWidth, step, theme: app.theme() });
    const T = summary.tokens.length;
    const visible = summary.causal ? query + 1 : T;
    const rows = [['key', 'q·k', `÷ √dₖ (× ${summary.scale.toPrecision(4)})`, 'softmax weight']];
    for (let j = 0; j < visible; j++) {
      const at = query * T + j;
      rows.push([`${j} ${JSON.stringify(summary.tokens[j])}`, data.scores[at].toPrecision(6), data.scaled[at].toPrecision(6), data.weights[at].toPrecision(6)]);
    }
    fillTable(table, `Token ${query} looks up every key it can see`, rows);
  }
  return { render };
}
