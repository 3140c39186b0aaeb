// The engines the benchmark compares, one interface for all, usable in Node and in
// the Chromium page alike (each gets its library handed in, so nothing here imports
// a path that differs between the two):
//   await engine.setup(size, inputs)   build what the engine needs for one size
//   await engine.run(reps)             one forward pass, reps times (this is timed)
//   await engine.output()              the last output [T, d] as a Float32Array copy
//   engine.dispose()
import { buildAttentionModel } from './onnx.js';
import { JsAttention } from './reference.js';

// Our WASM module (build/wasm/llmsim_bench.js). mode: 'full' (attention_forward with
// the full Trace, as the page runs it), 'lean' (store_head_matrices = false), or one
// of the bench bindings' ablation modes ('eigen', 'no_packed_gemm', ...).
export function oursEngine(module, mode = 'full') {
  let bench = null;
  return {
    async setup({ T, d, H }, inputs) {
      this.dispose();
      bench = new module.AttentionBench(T, d, H);
      // Views detach when the heap grows: take each one just before filling it.
      for (const [name, data] of [['x', inputs.x], ['w_q', inputs.wq], ['w_k', inputs.wk],
        ['w_v', inputs.wv], ['w_o', inputs.wo]]) bench.input(name).set(data);
    },
    run(reps) {
      if (!bench.run(reps, mode)) throw new Error(`unknown mode ${mode}`);
    },
    output() { return bench.output().slice(); },
    stage(name, reps) {
      if (!bench.stage(name, reps)) throw new Error(`stage ${name} failed`);
    },
    dispose() { if (bench) bench.delete(); bench = null; },
  };
}

// onnxruntime-web, WASM backend; the caller sets ort.env.wasm (1 thread, SIMD, paths).
export function ortEngine(ort, { fused = false } = {}) {
  let session = null, feeds = null, last = null;
  return {
    async setup(size, inputs) {
      this.dispose();
      const model = buildAttentionModel(size, inputs, { fused });
      session = await ort.InferenceSession.create(model, {
        executionProviders: ['wasm'], graphOptimizationLevel: 'all',
      });
      feeds = { x: new ort.Tensor('float32', inputs.x, [size.T, size.d]) };
    },
    async run(reps) {
      for (let r = 0; r < reps; r++) {
        const result = await session.run(feeds);
        last = result.y;
        if (r + 1 < reps) last.dispose?.();
      }
    },
    output() { return Float32Array.from(last.data); },
    dispose() {
      if (session) session.release();
      session = null;
    },
  };
}

// @tensorflow/tfjs with the wasm backend, per-head 2-D matMuls (its fastest form here:
// tf's batched matMul on [H, T, dk] was slower).
export function tfjsEngine(tf) {
  let vars = null, last = null;
  const forward = () => tf.tidy(() => {
    const { x, wq, wk, wv, wo, mask, T, H, dk, scale } = vars;
    const q = tf.matMul(x, wq), k = tf.matMul(x, wk), v = tf.matMul(x, wv);
    const heads = [];
    for (let h = 0; h < H; h++) {
      const qh = tf.slice(q, [0, h * dk], [T, dk]);
      const kh = tf.slice(k, [0, h * dk], [T, dk]);
      const vh = tf.slice(v, [0, h * dk], [T, dk]);
      const scores = tf.add(tf.mul(tf.matMul(qh, kh, false, true), scale), mask);
      heads.push(tf.matMul(tf.softmax(scores), vh));
    }
    return tf.matMul(tf.concat(heads, 1), wo);
  });
  return {
    async setup({ T, d, H }, inputs) {
      this.dispose();
      const mask = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -Infinity;
      vars = {
        x: tf.tensor2d(inputs.x, [T, d]), wq: tf.tensor2d(inputs.wq, [d, d]),
        wk: tf.tensor2d(inputs.wk, [d, d]), wv: tf.tensor2d(inputs.wv, [d, d]),
        wo: tf.tensor2d(inputs.wo, [d, d]), mask: tf.tensor2d(mask, [T, T]),
        scale: tf.scalar(1 / Math.sqrt(d / H)), T, H, dk: d / H,
      };
    },
    run(reps) {
      for (let r = 0; r < reps; r++) {
        if (last) last.dispose();
        last = forward();
        last.dataSync();  // the wasm backend computes eagerly; this reads the result back
      }
    },
    output() { return Float32Array.from(last.dataSync()); },
    dispose() {
      if (last) last.dispose();
      last = null;
      if (vars) for (const t of Object.values(vars)) if (t && t.dispose) t.dispose();
      vars = null;
    },
  };
}

// The hand-written JS layer (reference.js).
export function jsEngine() {
  let layer = null, inputs = null, last = null;
  return {
    async setup(size, data) {
      layer = new JsAttention(size);
      inputs = data;
    },
    run(reps) { for (let r = 0; r < reps; r++) last = layer.forward(inputs); },
    output() { return last.slice(); },
    dispose() { layer = null; },
  };
}
