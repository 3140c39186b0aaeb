// Grid panel: every layer × head as a thumbnail with its measured label; click to
// focus a head, toggle to switch it off (ablate) and see the loss and predictions move,
// click a label to see the evidence for it (evidence.js).
import { drawThumbnail, drawThumbnailCells, sizeThumbnail } from './draw.js';
import { blankCanvas, isVector, prepareCanvas, quoted } from '../canvas.js';
import { svgFigure } from '../../export/svg-context.js';
import { figureCanvas, paint, releaseCanvas } from '../../paint/painter.js';
import { setText } from '../../dom.js';
import { MEASURES, perHeadMeasure, shownMatrix, shownNeeds } from '../transforms.js';
import { whenIdle, cancelIdle } from '../idle.js';
import { hideEvidence, showEvidence } from './evidence.js';

// The view's controls, canvas, read-out, text alternative and guide: constant,
// trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <p id="grid-summary" class="grid-summary" aria-live="polite"></p>
    <table id="grid-next" class="grid-next" hidden></table>
    <div class="grid-and-evidence">
      <div id="grid" class="grid"></div>
      <section id="grid-evidence" class="evidence" hidden></section>
    </div>
  </div>
  <aside class="guide">
    <h2>Every head at once</h2>
    <p>Each square is one head's attention pattern on your text, labelled by what the simulator
      measured it doing: looking at the previous token, parking attention on the first token,
      completing a repeated pattern (induction), following grammar or meaning — or nothing much.</p>
    <p>Click a label to see the evidence for it: the places in the model's own validation
      text where the head does that most, with the weight it gives.</p>
    <p>Switch a head off and the model runs without it: see how much the loss and the
      predictions change. Many heads can go with little effect — redundancy.</p>
    <p class="look">Look at the labels and the loss line: untick the head whose switch costs most and watch the loss rise and the next-token guesses change.</p>
  </aside>
`;

export const view = { name: 'grid', title: 'All heads', markup: MARKUP, mount: mountGrid };

const THUMB = 92;

export function mountGrid(section, session) {
  const grid = section.querySelector('#grid');
  const summaryLine = section.querySelector('#grid-summary');
  const nextTable = section.querySelector('#grid-next');
  const evidence = section.querySelector('#grid-evidence');
  let evidenceOf = null;  // { model, id: "layer.head" } of the evidence shown, or null

  grid.addEventListener('click', (event) => {
    const focus = event.target.closest('[data-focus]');
    if (focus) {
      const [layer, head] = focus.dataset.focus.split('.').map(Number);
      session.set({ layer, head }, { push: true });
    }
    const label = event.target.closest('[data-evidence]');
    if (label) toggleEvidence(label.dataset.evidence);
  });
  evidence.addEventListener('click', (event) => { if (event.target.closest('[data-evidence-close]')) closeEvidence(); });
  evidence.addEventListener('keydown', (event) => { if (event.key === 'Escape') closeEvidence(); });

  // Opens the evidence of head `id` ("layer.head"), or closes it if it is open.
  function toggleEvidence(id) {
    if (evidenceOf && evidenceOf.id === id) { closeEvidence(); return; }
    evidenceOf = { model: session.state.model, id };
    if (showEvidenceOf(id)) evidence.querySelector('.evidence-title').focus();
  }

  // Shows the evidence of head `id` from the model's report; false if it has none.
  function showEvidenceOf(id) {
    const labels = session.headLabels();
    const info = labels && labels.find((h) => `${h.layer}.${h.head}` === id);
    if (!info) { closeEvidence(); return false; }
    showEvidence(evidence, info, labelText(info));
    syncLabelButtons();
    return true;
  }

  // Closes the evidence; focus inside it goes back to the label that opened it.
  function closeEvidence() {
    const hadFocus = evidence.contains(evidence.getRootNode().activeElement);  // the page's, or the element's shadow root's
    const id = evidenceOf && evidenceOf.id;
    evidenceOf = null;
    hideEvidence(evidence);
    syncLabelButtons();
    const card = cards.find((c) => `${c.layer}.${c.head}` === id);
    if (hadFocus && card) card.label.focus();
  }

  function syncLabelButtons() {
    for (const card of cards) card.label.setAttribute('aria-expanded', String(Boolean(evidenceOf) && evidenceOf.id === `${card.layer}.${card.head}`));
  }
  grid.addEventListener('change', (event) => {
    const id = event.target.dataset.ablate;
    if (!id) return;
    const ablate = new Set(session.state.ablate);
    if (event.target.checked) ablate.delete(id); else ablate.add(id);
    session.set({ ablate: [...ablate].sort() }, { rerun: true, push: true });
  });

  // "induction + first-token sink": every role the head clears, its label first.
  function labelText(info) {
    return [info.label, ...(info.also || [])].join(' + ');
  }

  // One card per head, made once per model shape and then updated in place: typing
  // redraws every thumbnail, and making 24 canvases and their DOM again each stroke
  // cost more than drawing them.
  function makeCard(layer, head) {
    const el = document.createElement('div');
    const focus = document.createElement('button');
    focus.type = 'button';
    focus.className = 'thumb';
    focus.dataset.focus = `${layer}.${head}`;
    const canvas = document.createElement('canvas');
    sizeThumbnail(canvas, THUMB);  // blank until its thumbnail is drawn (drawThumbnails)
    focus.append(canvas);
    const name = document.createElement('div');
    name.className = 'head-name';
    name.textContent = `L${layer} H${head}`;
    const label = document.createElement('button');  // opens the evidence for the label
    label.type = 'button';
    label.className = 'head-label';
    label.dataset.evidence = `${layer}.${head}`;
    label.setAttribute('aria-controls', 'grid-evidence');
    label.setAttribute('aria-expanded', 'false');
    const toggle = document.createElement('label');
    toggle.className = 'check head-toggle';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.dataset.ablate = `${layer}.${head}`;
    toggle.append(box, document.createTextNode(' on'));
    el.append(focus, name, label, toggle);
    return { el, focus, canvas, label, box, layer, head };
  }

  // A card's text and switches; its thumbnail is drawn apart (drawThumbnailOf).
  function updateCard(card, labels, canAblate) {
    const { layer, head } = card;
    const off = isOff(card);
    const info = labels ? labels.find((h) => h.layer === layer && h.head === head) : null;
    card.el.className = 'head-card' + (layer === session.state.layer && head === session.state.head ? ' focused' : '') + (off ? ' off' : '');
    card.focus.setAttribute('aria-label', `Focus layer ${layer}, head ${head}${info ? `: ${labelText(info)}` : ''}`);
    setText(card.label, info ? labelText(info) : '—');
    card.label.disabled = !info;  // no report (random weights, or not yet here): no evidence
    if (info) card.label.title = `${info.reason} (click for the evidence)`; else card.label.removeAttribute('title');
    card.box.checked = !off;
    card.box.disabled = !canAblate;
  }

  const isOff = (card) => session.state.ablate.includes(`${card.layer}.${card.head}`);

  // What a thumbnail draws: the page's measure, one head at a time (rollout, which
  // mixes a layer's heads, falls back to the weights; the summary line says so).
  const thumbnailOf = (layer, head) => shownMatrix(session, layer, head, perHeadMeasure(session.state.measure));

  // Whether the card's thumbnail already shows this run's weights (dimmed if switched off).
  function isCurrent(card) {
    return card.drawn === thumbnailOf(card.layer, card.head) && card.drawnOff === isOff(card);
  }

  function drawThumbnailOf(card) {
    const weights = thumbnailOf(card.layer, card.head);
    paint(card.canvas, 'thumbnail', { weights, T: session.summary.tokens.length }, { size: THUMB, ablated: isOff(card) });
    card.drawn = weights;
    card.drawnOff = isOff(card);
    card.el.dataset.run = String(session.runNumber);  // which run it shows (the tests read it)
  }

  // The focused head's thumbnail now; the others, one or a few at a time, when the
  // browser is idle, so a keystroke never waits for every head. A thumbnail whose run
  // and switch have not changed is not drawn again.
  let idleJob = 0;
  function drawThumbnails() {
    cancelIdle(idleJob);
    const stale = cards.filter((card) => !isCurrent(card));
    const focused = stale.find((card) => card.layer === session.state.layer && card.head === session.state.head);
    if (focused) drawThumbnailOf(focused);
    const later = stale.filter((card) => card !== focused);
    // A few at a time: each is a message to the painting worker, its matrix copied
    // into it after this callback (a slow machine's main thread felt eight at once).
    const drawSome = (deadline) => {
      let n = 0;
      do drawThumbnailOf(later.shift());
      while (later.length && ++n < 3 && deadline.timeRemaining() > 3);
      if (later.length) idleJob = whenIdle(drawSome);
    };
    if (later.length) idleJob = whenIdle(drawSome);
  }

  // Before an export: every thumbnail of this run, now.
  function drawAllThumbnails() {
    cancelIdle(idleJob);
    for (const card of cards) if (!isCurrent(card)) drawThumbnailOf(card);
  }

  // The exported figure: every head's thumbnail in its grid place, with its name and
  // label, on one canvas (the view itself is many small canvases). On a real canvas the
  // thumbnails are their bitmaps; on a recording one (SVG) their cells. False if empty.
  function drawFigure(canvas) {
    if (!cards.length) return false;
    drawAllThumbnails();
    const cell = THUMB + 16, text = 34;
    const H = session.summary.n_head, L = session.summary.n_layer, T = session.summary.tokens.length;
    const ctx = prepareCanvas(canvas, H * cell, L * (cell + text));
    const theme = session.theme();
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, H * cell, L * (cell + text));
    ctx.textBaseline = 'top';
    for (const card of cards) {
      const x = card.head * cell + 8, y = card.layer * (cell + text) + 8;
      if (isVector(ctx)) drawThumbnailCells(ctx, { weights: card.drawn, T }, { size: THUMB, ablated: card.drawnOff }, x, y);
      else ctx.drawImage(thumbnailImage(card, T), x, y, THUMB, THUMB);
      ctx.fillStyle = theme.text;
      ctx.font = '600 11px system-ui, sans-serif';
      ctx.fillText(`L${card.layer} H${card.head}`, x, y + THUMB + 4);
      ctx.fillStyle = theme.muted;
      ctx.font = '10px system-ui, sans-serif';
      ctx.fillText(card.label.textContent, x, y + THUMB + 18, cell - 8);
    }
    return true;
  }

  // A card's thumbnail drawn here, for the exported figure (the card's own canvas is
  // drawn in the painting worker).
  function thumbnailImage(card, T) {
    const image = blankCanvas(0, 0);
    drawThumbnail(image, { weights: card.drawn, T }, { size: THUMB, ablated: card.drawnOff });
    return image;
  }

  let cards = [], shape = '';
  return {
    predicts: true,  // the loss with heads switched off, and the next-token table
    exportCanvas: () => figureCanvas(drawFigure),
    exportSvg: () => svgFigure(drawFigure),
    // Every head's weights: the thumbnails (copying them out of the worker costs
    // little; drawing them is what waits for idle time).
    needs() {
      const summary = session.summary;
      const measure = perHeadMeasure(session.state.measure);
      if (!summary) return shownNeeds(session, session.state.layer, session.state.head, measure);
      return Array.from({ length: summary.n_layer * summary.n_head },
        (_, i) => shownNeeds(session, Math.floor(i / summary.n_head), i % summary.n_head, measure)).flat();
    },
    render() {
      const summary = session.summary;
      if (!summary || summary.tokens.length === 0) {
        cancelIdle(idleJob);
        closeEvidence();
        grid.replaceChildren();
        cards = [];
        shape = '';
        summaryLine.textContent = '';
        showNextTokens(nextTable, null, []);
        return;
      }
      const labels = session.headLabels();  // undefined until the engine's answer arrives
      const canAblate = summary.has_vocabulary;
      if (shape !== `${summary.n_layer}x${summary.n_head}`) {
        shape = `${summary.n_layer}x${summary.n_head}`;
        grid.style.setProperty('--heads', summary.n_head);
        for (const card of cards) releaseCanvas(card.canvas);
        cards = [];
        for (let layer = 0; layer < summary.n_layer; layer++)
          for (let head = 0; head < summary.n_head; head++) cards.push(makeCard(layer, head));
        grid.replaceChildren(...cards.map((c) => c.el));
      }
      for (const card of cards) updateCard(card, labels, canAblate);
      // The evidence shown belongs to a model's report: another model closes it.
      if (evidenceOf && (evidenceOf.model !== session.state.model || !labels)) closeEvidence();
      syncLabelButtons();
      drawThumbnails();
      setText(summaryLine, gridSummary(summary, session.state, Boolean(labels)));
      showNextTokens(nextTable, summary, session.state.ablate);
    },
  };
}

// With heads off: the top next tokens with every head on, beside those without them.
const NEXT_ROWS = 3;
function showNextTokens(table, summary, ablate) {
  const base = summary && summary.baseline;
  table.hidden = !(base && ablate.length > 0);
  if (table.hidden) { table.replaceChildren(); return; }
  const cell = (tag, text) => { const c = document.createElement(tag); c.textContent = text; return c; };
  const row = (tag, texts) => { const r = document.createElement('tr'); r.append(...texts.map((t) => cell(tag, t))); return r; };
  const shown = (p) => (p ? `${quoted(p.text)} ${p.probability.toFixed(3)}` : '—');
  const caption = cell('caption', 'Next token');
  const head = document.createElement('thead');
  head.append(row('th', ['', 'all heads on', `${ablate.join(', ')} off`]));
  const body = document.createElement('tbody');
  for (let i = 0; i < NEXT_ROWS; i++) body.append(row('td', [`${i + 1}.`, shown(base.top_k[i]), shown(summary.top_k[i])]));
  table.replaceChildren(caption, head, body);
}

function gridSummary(summary, state, hasLabels) {
  const { ablate } = state;
  // A measure that mixes the heads cannot be drawn per head: say what is drawn instead.
  const parts = MEASURES[state.measure].acrossLayers
    ? ['Rollout mixes every head of a layer, so each square here shows its head\'s attention weights.'] : [];
  if (!summary.has_vocabulary) return [...parts, 'Random weights: no labels and no loss to compare. Choose a trained model to label and switch off heads.'].join(' · ');
  if (summary.loss === null || summary.loss === undefined) parts.push('Type at least two tokens to measure the loss.');
  else if (ablate.length === 0) parts.push(`All heads on · loss ${summary.loss.toFixed(3)} per token. Untick a head to switch it off.`);
  else {
    const base = summary.baseline;
    const change = (summary.loss - base.loss) / base.loss * 100;
    parts.push(`${ablate.length} head${ablate.length === 1 ? '' : 's'} off · loss ${base.loss.toFixed(3)} → ${summary.loss.toFixed(3)} (${change >= 0 ? '+' : ''}${change.toFixed(1)}%)`);
  }
  // Labels come from the model's probe texts (fixed, so a head keeps its label while
  // you type); the thumbnails and the loss are your text's.
  parts.push(hasLabels ? 'Labels: measured on the model\'s probe texts, not on yours; the patterns drawn are your text\'s.' : 'Labels are being measured…');
  return parts.join(' · ');
}
