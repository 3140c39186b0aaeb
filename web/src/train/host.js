// The trainer's host: the WASM trainer (cpp/wasm/train_bindings.cpp) in a Web Worker of
// its own, training in chunks of steps and reporting as it goes, so the page only
// draws. ./build.sh dist bundles this file with the trainer's module embedded and
// wraps it as dist/llmsim-train.js, a classic script the Train view loads the first
// time it opens (the page's first load does not carry it); train/client.js starts it
// as a blob: worker, as the engine's host is started (async-engine.js).
//
// Messages in:  { op: 'start', options } (a new run; any old one is dropped),
//               { op: 'pause' }, { op: 'resume' }, { op: 'reset' },
//               { id, op: 'export' } -> { id, result: { step, safetensors, tokenizer, config, probes } }
// Messages out: { type: 'ready' } once the module can train (or { type: 'failed', error }),
//               { type: 'preparing', options }  the corpus and tokenizer are being made,
//               { type: 'started', run, options, tokensPerStep, parameters },
//               { type: 'steps', run, first, losses (Float32Array), trainMs, wallMs },
//               { type: 'measure', run, step, validation, heads, attention },
//               { type: 'paused', run } / { type: 'error', run, error }.
// `run` counts starts, so the page drops what an older run says after a reset.
import createTrainerModule from '../../../build/wasm/llmsim-train.js';
import { PROBE_TEXT, CHUNK_MS } from './presets.js';
// The head-analysis probes of the generator's world (as tinygpt's): a model handed to
// the page's engine takes them along, so its head report can be measured there.
import syntax from '../../probes/stories/syntax.txt' with { type: 'text' };
import semantic from '../../probes/stories/semantic.txt' with { type: 'text' };
import validation from '../../probes/stories/validation.txt' with { type: 'text' };

export function serve(port) {
  let module = null;
  let trainer = null;      // the module's Trainer of the current run
  let steps = 0;           // steps it has taken
  let run = 0;             // the current run's number
  let running = false;
  let measureEvery = 50;   // steps between measurements (a run's option)
  let chunk = 1;           // steps per chunk, grown to about CHUNK_MS of work
  let trainMs = 0;         // time spent in train() this run
  let wallMs = 0, wallSince = 0;  // time this run has been running (pauses left out)

  const post = (message, transfer = []) => port.postMessage(message, transfer);
  const errorText = (error) => (error && error.message ? error.message : String(error));
  // The module answers { error } rather than throw (train_bindings.cpp).
  const checked = (answer) => {
    if (answer && typeof answer === 'object' && answer.error !== undefined) throw new Error(answer.error);
    return answer;
  };

  function dropTrainer() {
    running = false;
    if (trainer) trainer.delete();
    trainer = null;
    steps = 0;
  }

  // What the page shows of the heads now: the held-out loss, every head's three scores
  // on the fixed probes, and every head's attention on the probe sentence.
  function measure() {
    const validation = checked(trainer.validationLoss(4));
    const heads = checked(trainer.headScores());
    const { tokens, weights } = checked(trainer.attention(PROBE_TEXT));
    post({ type: 'measure', run, step: steps, validation, heads, attention: { tokens, weights } }, [weights.buffer]);
  }

  // One chunk of steps, then a turn of the event loop (a pause or reset gets in), then
  // the next. A chunk ends at the next measurement, so the timeline's steps are the
  // same in every run of a seed, whatever the machine's speed.
  function loop(thisRun) {
    if (!running || thisRun !== run) return;
    try {
      const first = steps + 1;
      const count = Math.max(1, Math.min(chunk, measureEvery - steps % measureEvery));
      const start = performance.now();
      const losses = checked(trainer.train(count));
      const ms = performance.now() - start;
      steps += count;
      trainMs += ms;
      chunk = Math.max(1, Math.min(1000, Math.round(count * CHUNK_MS / Math.max(ms, 1))));
      post({ type: 'steps', run, first, losses, trainMs, wallMs: wallMs + performance.now() - wallSince }, [losses.buffer]);
      if (steps % measureEvery === 0) measure();
    } catch (error) {
      running = false;
      post({ type: 'error', run, error: errorText(error) });
      return;
    }
    setTimeout(() => loop(thisRun), 0);
  }

  function start(options) {
    dropTrainer();
    run += 1;
    trainMs = 0;
    wallMs = 0;
    chunk = 1;
    measureEvery = Math.max(1, Math.floor(options.measure_every || 50));
    post({ type: 'preparing', run, options });
    const { measure_every: _, ...trainerOptions } = options;
    trainer = new module.Trainer();
    try {
      checked(trainer.start(JSON.stringify(trainerOptions)));
    } catch (error) {
      dropTrainer();
      throw error;
    }
    const state = checked(trainer.state());
    post({ type: 'started', run, options: state.options, tokensPerStep: state.tokensPerStep, parameters: state.parameters });
    measure();  // step 0: the heads before any training
    resume();
  }

  function resume() {
    if (!trainer || running) return;
    running = true;
    wallSince = performance.now();
    const thisRun = run;
    setTimeout(() => loop(thisRun), 0);
  }

  function pause() {
    if (!running) return;
    running = false;
    wallMs += performance.now() - wallSince;
    post({ type: 'paused', run });
  }

  const operations = {
    start: ({ options }) => start(options || {}),
    pause,
    resume,
    reset: () => { dropTrainer(); run += 1; },
    export: () => {
      if (!trainer) throw new Error('Nothing has been trained yet: press Train first.');
      const files = checked(trainer.exportFiles());
      const safetensors = files.safetensors;  // the module's copy: ours to transfer
      const probes = { syntax, semantic, validation, repeated: '' };
      return { result: { step: steps, safetensors, tokenizer: files.tokenizer, config: files.config, probes }, transfer: [safetensors.buffer] };
    },
  };

  let ready;
  try {
    const created = createTrainerModule({});
    ready = Promise.resolve(created.ready ? created.ready : created);
  } catch (error) {
    ready = Promise.reject(error);
  }
  ready.then((m) => { module = m; post({ type: 'ready' }); },
    (error) => post({ type: 'failed', error: errorText(error) }));

  port.onmessage = async ({ data: message }) => {
    await ready.catch(() => {});
    const operation = operations[message.op];
    try {
      if (!module) throw new Error('the trainer did not load');
      if (!operation) throw new Error(`unknown operation "${String(message.op).slice(0, 40)}"`);
      const reply = operation(message) || {};
      if (message.id !== undefined) post({ id: message.id, result: reply.result }, reply.transfer || []);
    } catch (error) {
      if (message.id !== undefined) post({ id: message.id, error: errorText(error) });
      else post({ type: 'error', run, error: errorText(error) });
    }
  };
}

if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) serve(globalThis);
