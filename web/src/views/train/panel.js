// Train panel: trains a small GPT in the page, in a worker of its own (train/host.js),
// on the project's generated stories mixed with repeated random spans, and shows its
// loss and its heads as they form. "Use this model" hands the weights to the other
// views; "Download" saves them as a model folder the CLI and the page load again.
import { drawHeadTimeline, drawLossCurve, firstCrossing, grouped, SCORES, TABLE_SCORES } from './draw.js';
import { drawThumbnail, sizeThumbnail } from '../grid/draw.js';
import { cancelIdle, whenIdle } from '../idle.js';
import { clearTable, fillTableWhenIdle } from '../alt-table.js';
import { PRESETS, DEFAULT_PRESET, DEFAULT_SEED, presetNamed, PROBE_TEXT } from '../../train/presets.js';
import { startTrainer } from '../../train/client.js';
import { downloadBlob } from '../../download.js';

// Constant, trusted markup (no user text ever goes in here).
const MARKUP = `
  <div class="view-main">
    <div class="view-controls">
      <label>Preset <select id="train-preset"></select></label>
      <label>Seed <input type="number" id="train-seed" min="1" max="1000000" step="1" value="${DEFAULT_SEED}"></label>
      <button type="button" id="train-start">Train</button>
      <button type="button" id="train-pause" disabled>Pause</button>
      <button type="button" id="train-reset" disabled>Reset</button>
    </div>
    <p id="train-status" class="explain" aria-live="polite"></p>
    <canvas id="train-loss" role="img" aria-label="Training loss (stories and repeated runs) and held-out loss (stories) against the step" aria-describedby="train-table"></canvas>
    <canvas id="train-timeline" role="img" aria-label="Every head's previous-token, first-token and induction score against the step" aria-describedby="train-table"></canvas>
    <p class="explain">Every head's attention on <q id="train-probe"></q> (as in the grid view):</p>
    <div id="train-thumbs" class="train-thumbs"></div>
    <div class="view-controls">
      <button type="button" id="train-use" disabled>Use this model</button>
      <button type="button" id="train-download" disabled>Download</button>
      <span id="train-used" class="explain"></span>
    </div>
    <details class="alt"><summary>As a table</summary><table id="train-table"></table></details>
  </div>
  <aside class="guide">
    <h2>Watch heads form</h2>
    <p>Press Train: a small model starts from random weights and learns, here in your browser,
      from the project's generated stories, where seven sequences in ten are a random run of
      tokens said again and again.</p>
    <p>For a long while the loss falls slowly and no head does anything sharp. Then, within a few
      hundred steps, two heads form together: one in layer 0 that looks one token back
      (previous-token), and one in layer 1 that finds the earlier copy of the current token and
      looks at what came after it (induction). It can only find that token through what the first
      head wrote, so neither is of use without the other. The loss drops at that moment: the
      <em>phase change</em> Olsson et al. (2022) describe. The dashed lines mark when each kind of
      head first scores 0.5.</p>
    <p class="look">Look at the induction panel: when a line leaves the floor, the loss curve bends down at the same step, and a previous-token line climbs beside it.</p>
  </aside>
`;

// Its canvases are drawn on the main thread (mainThreadCanvases): a few drawings every
// few seconds, from the trainer's reports.
export const view = { name: 'train', title: 'Train', markup: MARKUP, mount: mountTrain, mainThreadCanvases: true };

const THUMBNAIL_SIZE = 96;  // CSS pixels

// The models "Use this model" installs are named in order: each is a snapshot.
let usedCount = 0;

export function mountTrain(section, session) {
  const $ = (id) => section.querySelector(`#${id}`);
  const preset = $('train-preset'), seed = $('train-seed');
  const startButton = $('train-start'), pauseButton = $('train-pause'), resetButton = $('train-reset');
  const useButton = $('train-use'), downloadButton = $('train-download');
  const status = $('train-status'), used = $('train-used');
  const lossCanvas = $('train-loss'), timelineCanvas = $('train-timeline');
  const thumbs = $('train-thumbs'), table = $('train-table');
  $('train-probe').textContent = PROBE_TEXT;
  preset.replaceChildren(...PRESETS.map((p) => new Option(p.title, p.name)));
  preset.value = DEFAULT_PRESET;
  preset.addEventListener('change', () => { if (!run) makeCards(presetNamed(preset.value).options); });

  let client = null, loading = null;  // the trainer, and its start while it loads
  let run = null;  // what the current run has reported; null before the first Train
  let paused = false;
  let problem = '';

  function newRun(number, options) {
    return { number, options, started: false, tokensPerStep: 0, parameters: 0, losses: [], validation: [], measures: [], trainMs: 0, wallMs: 0 };
  }

  function onReport(message) {
    if (message.type === 'error') {
      problem = message.error;
      paused = true;
      refresh();
      return;
    }
    if (!run || message.run !== run.number) {
      if (message.type !== 'preparing') return;  // an older run's, after a reset
      run = newRun(message.run, message.options);
    }
    switch (message.type) {
      case 'preparing': break;
      case 'started':
        Object.assign(run, { started: true, options: message.options, tokensPerStep: message.tokensPerStep, parameters: message.parameters });
        break;
      case 'steps':
        for (const loss of message.losses) run.losses.push(loss);
        run.trainMs = message.trainMs;
        run.wallMs = message.wallMs;
        break;
      case 'measure':
        run.measures.push({ step: message.step, heads: message.heads, attention: message.attention });
        if (message.step > 0) run.validation.push({ step: message.step, loss: message.validation });
        break;
      case 'paused': break;
      default: return;
    }
    scheduleDraw();
  }

  // Reports come several times a second; the drawing follows at most once a frame.
  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; refresh(); });
  }

  async function trainer() {
    if (client) return client;
    if (!loading) loading = startTrainer(onReport).then((c) => { client = c; return c; });
    return loading;
  }

  startButton.addEventListener('click', async () => {
    problem = '';
    paused = false;
    const options = { ...presetNamed(preset.value).options, seed: Math.max(1, Math.floor(Number(seed.value) || DEFAULT_SEED)) };
    seed.value = String(options.seed);
    status.textContent = 'Loading the trainer…';
    try {
      (await trainer()).start(options);
      run = null;  // the 'preparing' report makes the new one
      status.textContent = 'Generating the stories and learning a tokenizer for them…';
    } catch (error) {
      problem = error.message;
    }
    refresh();
  });
  pauseButton.addEventListener('click', () => {
    if (!client || !run) return;
    paused = !paused;
    if (paused) client.pause(); else client.resume();
    refresh();
  });
  resetButton.addEventListener('click', () => {
    if (client) client.reset();
    run = null;
    paused = false;
    problem = '';
    refresh();
  });
  useButton.addEventListener('click', () => handOver('use'));
  downloadButton.addEventListener('click', () => handOver('download'));

  // The weights as they are now: into the page's engine as a model of its own, or to disk.
  async function handOver(how) {
    if (!client) return;
    try {
      const files = await client.exportFiles();
      if (how === 'download') {
        downloadBlob(new Blob([files.safetensors], { type: 'application/octet-stream' }), 'model.safetensors');
        downloadBlob(new Blob([files.tokenizer], { type: 'application/json' }), 'tokenizer.json');
        downloadBlob(new Blob([files.config], { type: 'application/json' }), 'config.json');
        used.textContent = `Saved step ${grouped(files.step)}: model.safetensors, tokenizer.json and config.json. Put them in one folder: llmsim trace --model FOLDER loads it.`;
        return;
      }
      usedCount += 1;
      const name = `trained-${usedCount}`;
      const title = `Trained here #${usedCount} (step ${grouped(files.step)})`;
      await session.engine.installFiles({ name, title, config: files.config, tokenizer: files.tokenizer, weights: files.safetensors, probes: files.probes });
      used.textContent = `“${title}” is now the page's model: the other views show it.`;
      session.set({ model: name, layer: 0, head: 0, ablate: [] }, { rerun: true, push: true });
    } catch (error) {
      used.textContent = `That did not work: ${error.message}`;
    }
  }

  function statusText() {
    if (problem) return problem;
    if (!run) return client ? 'Press Train to start.' : 'Press Train to load the trainer (about a megabyte) and start.';
    if (!run.started) return 'Generating the stories and learning a tokenizer for them…';
    const steps = run.losses.length;
    const tokens = steps * run.tokensPerStep;
    const perSecond = run.trainMs > 0 ? tokens / (run.trainMs / 1000) : 0;
    const elapsed = Math.round(run.wallMs / 1000);
    const clock = `${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}`;
    return `${paused ? 'Paused at' : 'Training:'} step ${grouped(steps)} · ${(tokens / 1e6).toFixed(2)} M tokens · ${grouped(Math.round(perSecond))} tokens/s · ${clock} elapsed · ${grouped(run.parameters)} parameters`;
  }

  // When each kind of head first appeared: the loss curve's marks.
  function marks() {
    if (!run) return [];
    return [[SCORES[0].key, 'previous-token head'], ['induction', 'induction head']].flatMap(([key, what]) => {
      const c = firstCrossing(run.measures, key);
      return c ? [{ step: c.step, label: `${what} ${c.layer}.${c.head} (${c.score.toFixed(2)})` }] : [];
    });
  }

  function refresh() {
    status.textContent = statusText();
    const active = Boolean(run && run.started);
    pauseButton.disabled = !active || Boolean(problem);
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    resetButton.disabled = !run;
    useButton.disabled = downloadButton.disabled = !active;
    if (section.hidden) return;  // drawn when shown
    draw();
  }

  // The loss curve follows every report; the timeline, the thumbnails and the table
  // only a new measurement (or a new width, theme or run): several times fewer
  // drawings, so a frame's work stays small while it trains.
  let drawnMeasures = '';
  function draw() {
    const theme = session.theme();
    const width = Math.max(320, lossCanvas.parentElement.clientWidth);
    const o = run && run.started ? run.options : presetNamed(preset.value).options;
    drawLossCurve(lossCanvas, {
      losses: run ? run.losses : [], validation: run ? run.validation : [], marks: marks(),
      tokensPerStep: run ? run.tokensPerStep : 0, ceiling: Math.log(o.vocab),
    }, { width, height: 220, theme });
    const measures = run ? run.measures : [];
    const key = `${run ? run.number : 0}:${measures.length}:${width}:${theme.background}:${o.layers}x${o.heads}`;
    if (key === drawnMeasures) return;
    drawnMeasures = key;
    // When the page is idle: with the loss curve in one frame they came to over 50 ms
    // on a busy machine.
    // The timeline, then the thumbnails, each a task of its own (the empty timeline
    // at once: it costs nothing, and a canvas never shows the browser's blank 300 × 150).
    cancelIdle(measuresJob);
    const timeline = () => drawHeadTimeline(timelineCanvas, { measures, layers: o.layers, heads: o.heads, maxStep: measures.length ? measures.at(-1).step : 0 }, { width, height: 200, theme });
    if (!measures.length) timeline();
    measuresJob = whenIdle(() => {
      if (measures.length) timeline();
      measuresJob = whenIdle(() => {
        drawThumbnails(measures.at(-1), o);
        const last = measures.at(-1);
        if (last) fillTableWhenIdle(table, `Every head's scores at step ${last.step}`, last, () => scoreRows(last));
        else clearTable(table);
      });
    });
  }
  let measuresJob = 0;

  // A card per head, made when the preset is chosen (not in the middle of training).
  function makeCards(o) {
    const count = o.layers * o.heads;
    if (thumbs.children.length !== count) {
      thumbs.replaceChildren(...Array.from({ length: count }, (_, i) => {
        const card = document.createElement('figure');
        const canvas = document.createElement('canvas');
        canvas.setAttribute('role', 'img');
        const caption = document.createElement('figcaption');
        caption.textContent = `${Math.floor(i / o.heads)}.${i % o.heads}`;
        canvas.setAttribute('aria-label', `Head ${caption.textContent}'s attention on the sentence`);
        card.append(canvas, caption);
        card.dataset.empty = '';  // outlined until its first measurement is drawn
        sizeThumbnail(canvas, THUMBNAIL_SIZE);
        return card;
      }));
    }
  }

  function drawThumbnails(measure, o) {
    makeCards(o);
    if (!measure) {  // before the first measurement, and after a reset: empty, outlined
      for (const card of thumbs.children) {
        const canvas = card.firstChild;
        canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
        card.dataset.empty = '';
      }
      return;
    }
    const T = measure.attention.tokens.length;
    [...thumbs.children].forEach((card, i) => {
      const weights = measure.attention.weights.subarray(i * T * T, (i + 1) * T * T);
      drawThumbnail(card.firstChild, { weights, T }, { size: THUMBNAIL_SIZE, ablated: false });
      delete card.dataset.empty;
    });
  }

  makeCards(presetNamed(preset.value).options);
  // What the run has reported so far, for the tests (as window.__llmsim is the session).
  section.trainerRun = () => run;
  return {
    needs: () => [],
    render: refresh,
  };
}

// The table behind the two charts: every head's scores at the last measurement.
function scoreRows(measure) {
  const rows = [['head', ...TABLE_SCORES.map((s) => s.title)]];
  measure.heads[SCORES[0].key].forEach((row, layer) => row.forEach((_, head) => {
    rows.push([`${layer}.${head}`, ...TABLE_SCORES.map((s) => measure.heads[s.key][layer][head].toFixed(2))]);
  }));
  return rows;
}
