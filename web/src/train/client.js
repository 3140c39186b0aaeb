// The page's side of the trainer: loads dist/llmsim-train.js (the trainer's host and
// its WASM module as one string, train/host.js) the first time the Train view asks
// for it, starts it as a blob: worker, and hands the view its reports.
//
// A blob: worker for the same reasons as the engine's (async-engine.js): a page opened
// from file:// may not start a worker from a script file. Unlike the engine, training
// has no main-thread fallback: minutes of training there would freeze the page, so a
// page whose Content-Security-Policy refuses blob: workers gets a message instead.
import { loadScript, scriptBase } from '../model-scripts.js';

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

export class TrainerClient {
  // onReport(message): every report of the host (train/host.js lists them).
  constructor(worker, onReport) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();  // id -> { resolve, reject }
    worker.onmessage = ({ data }) => {
      if (data.id !== undefined) {
        const waiting = this.pending.get(data.id);
        this.pending.delete(data.id);
        if (waiting) (data.error !== undefined ? waiting.reject(new Error(data.error)) : waiting.resolve(data.result));
      } else {
        onReport(data);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const message = `The trainer stopped: ${event.message || 'its worker failed'}. Press Reset to start again.`;
      for (const { reject } of this.pending.values()) reject(new Error(message));
      this.pending.clear();
      onReport({ type: 'error', run: null, error: message });
    };
  }

  send(op, args = {}) { this.worker.postMessage({ op, ...args }); }

  request(op, args = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...args });
    });
  }

  start(options) { this.send('start', { options }); }
  pause() { this.send('pause'); }
  resume() { this.send('resume'); }
  reset() { this.send('reset'); }
  // The current weights as the files of a model folder: { step, safetensors (bytes), tokenizer, config }.
  exportFiles() { return this.request('export'); }
  terminate() { this.worker.terminate(); }
}

// Starts the trainer; resolves once its module is ready. The first call loads the
// script (about a megabyte), later ones reuse it.
export async function startTrainer(onReport) {
  if (!globalThis.LLMSIM_TRAINER_SOURCE) await loadScript(`${scriptBase}llmsim-train.js`);
  // The script's run, the blob of its megabyte of source and the worker's start are
  // three tasks, not one: together they kept the main thread for over 50 ms.
  await nextTask();
  const blob = new Blob([globalThis.LLMSIM_TRAINER_SOURCE], { type: 'text/javascript' });
  await nextTask();
  const url = URL.createObjectURL(blob);
  try {
    return await new Promise((resolve, reject) => {
      let worker;
      try {
        worker = new Worker(url, { name: 'llmsim-trainer' });
      } catch (error) {
        reject(new Error(`Training needs a Web Worker, which this page's Content-Security-Policy refuses (${error.message}); it would freeze the page on its main thread. A policy that allows it: worker-src blob:`));
        return;
      }
      worker.onerror = (event) => { event.preventDefault(); reject(new Error(event.message || 'the trainer did not start')); };
      worker.onmessage = ({ data }) => {
        if (data.type === 'ready') resolve(new TrainerClient(worker, onReport));
        else if (data.type === 'failed') reject(new Error(`the trainer did not load: ${data.error}`));
      };
    });
  } finally {
    URL.revokeObjectURL(url);
  }
}
