// The benchmark's layer as an ONNX model, written byte by byte (no Python here, and
// no protobuf library needed): field numbers from onnx.proto.
//
// Graph (opset 17), one causal multi-head attention layer without biases:
//   q, k, v = x·W_Q, x·W_K, x·W_V                        MatMul        [T, d]
//   heads: Reshape [T, H, dk], Transpose -> [H, T, dk] (k: [H, dk, T])
//   scores = q·kᵀ [H, T, T]; · 1/sqrt(dk); + causal mask (0 / -inf) [T, T]; Softmax(-1)
//   o = weights·v [H, T, dk] -> Transpose [T, H, dk] -> Reshape [T, d]; y = o·W_O
//
// `fused: true` instead uses onnxruntime's contrib op com.microsoft.Attention
// (unidirectional = causal), which takes W_Q|W_K|W_V as one [d, 3d] matrix and needs a
// zero bias; its output then goes through MatMul W_O.
//
// buildGpt2BlockModel: one GPT-2 block around the same attention (gpt2-block.js), and
// buildProjectionsModel: that block's six projection products alone.

// ---- protobuf wire format ----
class Writer {
  constructor() { this.bytes = []; }
  varint(value) {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;  // negative int64: two's complement, 10 bytes
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.bytes.push(byte);
    } while (v > 0n);
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  int(field, value) { return this.tag(field, 0).varint(value); }
  float(field, value) {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([value]).buffer);
    this.bytes.push(...b);
    return this;
  }
  raw(field, data) {  // length-delimited: Uint8Array
    this.tag(field, 2).varint(data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
    return this;
  }
  string(field, s) { return this.raw(field, new TextEncoder().encode(s)); }
  message(field, writer) { return this.raw(field, writer.finish()); }
  finish() { return Uint8Array.from(this.bytes); }
}

// Large tensors: concatenating chunks beats pushing millions of bytes one by one.
function concatBytes(chunks) {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}
function lengthDelimited(field, payload) {
  const head = new Writer().tag(field, 2).varint(payload.length).finish();
  return concatBytes([head, payload]);
}

const FLOAT = 1, INT64 = 7;

// TensorProto: dims 1, data_type 2, name 8, raw_data 9
function tensor(name, dims, dataType, data) {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, dataType).string(8, name);
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return concatBytes([w.finish(), lengthDelimited(9, raw)]);
}

// AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
function attribute(name, value) {
  const w = new Writer().string(1, name);
  if (typeof value === 'string') w.string(4, value).int(20, 3);
  else if (Array.isArray(value)) { for (const v of value) w.int(8, v); w.int(20, 7); }
  else if (Number.isInteger(value)) w.int(3, value).int(20, 2);
  else w.float(2, value).int(20, 1);
  return w;
}

// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
function node(op, inputs, outputs, attributes = {}, domain = '') {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${op}_${outputs[0]}`).string(4, op);
  for (const [name, value] of Object.entries(attributes)) w.message(5, attribute(name, value));
  if (domain) w.string(7, domain);
  return w.finish();
}

// ValueInfoProto: name 1, type 2 -> TypeProto.tensor_type 1 -> elem_type 1, shape 2 -> dim 1 -> dim_value 1
function valueInfo(name, dims) {
  const shape = new Writer();
  for (const d of dims) shape.message(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).message(2, shape);
  const type = new Writer().message(1, tensorType);
  return new Writer().string(1, name).message(2, type).finish();
}

const int64s = (values) => BigInt64Array.from(values.map(BigInt));

// The causal heads of the plain graph: q, k, v [T, d] in, o [T, d] (heads
// concatenated, before W_O) out. Pushes its nodes and constants.
function causalHeadNodes({ T, d, H }, nodes, inits, [q, k, v], o) {
  const dk = d / H;
  const mask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -Infinity;
  inits.push(tensor('mask', [T, T], FLOAT, mask),
    tensor('scale', [], FLOAT, new Float32Array([1 / Math.sqrt(dk)])),
    tensor('shape_heads', [3], INT64, int64s([T, H, dk])),
    tensor('shape_2d', [2], INT64, int64s([T, d])));
  for (const [n, name] of [['q', q], ['k', k], ['v', v]]) {
    nodes.push(node('Reshape', [name, 'shape_heads'], [`${n}_3`]));
    nodes.push(node('Transpose', [`${n}_3`], [`${n}_h`], { perm: n === 'k' ? [1, 2, 0] : [1, 0, 2] }));
  }
  nodes.push(node('MatMul', ['q_h', 'k_h'], ['scores']));
  nodes.push(node('Mul', ['scores', 'scale'], ['scaled']));
  nodes.push(node('Add', ['scaled', 'mask'], ['masked']));
  nodes.push(node('Softmax', ['masked'], ['weights'], { axis: -1 }));
  nodes.push(node('MatMul', ['weights', 'v_h'], ['o_h']));
  nodes.push(node('Transpose', ['o_h'], ['o_3'], { perm: [1, 0, 2] }));
  nodes.push(node('Reshape', ['o_3', 'shape_2d'], [o]));
}

// com.microsoft.Attention (unidirectional = causal) on x [T, d] with W_Q|W_K|W_V as
// one [d, 3d] matrix and its bias [3d]: o [T, d], heads concatenated, before W_O.
function fusedAttentionNodes({ T, d, H }, nodes, inits, x, o) {
  inits.push(tensor('shape_3d', [3], INT64, int64s([1, T, d])),
    tensor('shape_2d', [2], INT64, int64s([T, d])));
  nodes.push(node('Reshape', [x, 'shape_3d'], [`${x}_3`]));
  nodes.push(node('Attention', [`${x}_3`, 'w_qkv', 'b_qkv'], ['att'],
    { num_heads: H, unidirectional: 1 }, 'com.microsoft'));
  nodes.push(node('Reshape', ['att', 'shape_2d'], [o]));
}

// [W_Q | W_K | W_V] row by row: [d, 3d], as GPT-2's c_attn stores them.
function concatColumns(d, matrices) {
  const out = new Float32Array(d * d * matrices.length);
  for (let r = 0; r < d; r++)
    matrices.forEach((m, i) => out.set(m.subarray(r * d, (r + 1) * d), (r * matrices.length + i) * d));
  return out;
}

// ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2).
// GraphProto: node 1, name 2, initializer 5, input 11, output 12.
function modelBytes(name, nodes, inits, inputs, outputs, { opset = 17, contrib = false } = {}) {
  const graph = concatBytes([
    ...nodes.map((n) => lengthDelimited(1, n)),
    new Writer().string(2, name).finish(),
    ...inits.map((t) => lengthDelimited(5, t)),
    ...inputs.map(([n, dims]) => lengthDelimited(11, valueInfo(n, dims))),
    ...outputs.map(([n, dims]) => lengthDelimited(12, valueInfo(n, dims))),
  ]);
  const header = new Writer().int(1, 8).string(2, 'llmsim-bench');
  header.message(8, new Writer().string(1, '').int(2, opset));
  if (contrib) header.message(8, new Writer().string(1, 'com.microsoft').int(2, 1));
  return concatBytes([header.finish(), lengthDelimited(7, graph)]);
}

export function buildAttentionModel({ T, d, H }, { wq, wk, wv, wo }, { fused = false } = {}) {
  const nodes = [], inits = [tensor('w_o', [d, d], FLOAT, wo)];
  if (fused) {
    inits.push(tensor('w_qkv', [d, 3 * d], FLOAT, concatColumns(d, [wq, wk, wv])),
      tensor('b_qkv', [3 * d], FLOAT, new Float32Array(3 * d)));
    fusedAttentionNodes({ T, d, H }, nodes, inits, 'x', 'o');
  } else {
    inits.push(tensor('w_q', [d, d], FLOAT, wq), tensor('w_k', [d, d], FLOAT, wk), tensor('w_v', [d, d], FLOAT, wv));
    for (const n of ['q', 'k', 'v']) nodes.push(node('MatMul', ['x', `w_${n}`], [n]));
    causalHeadNodes({ T, d, H }, nodes, inits, ['q', 'k', 'v'], 'o');
  }
  nodes.push(node('MatMul', ['o', 'w_o'], ['y']));
  return modelBytes('causal_mha', nodes, inits, [['x', [T, d]]], [['y', [T, d]]], { contrib: fused });
}

// One GPT-2 block (pre-LayerNorm, biases everywhere, GELU in its tanh form; opset 20
// for Gelu's `approximate`), x [T, d] -> y [T, d]:
//   ln1 = LN(x); o = heads(ln1·[W_Q|W_K|W_V] + b_qkv); res2 = x + o·W_O + b_O
//   y = res2 + GELU(LN(res2)·W_fc + b_fc)·W_proj + b_proj
// w: the BlockBench's tensors (x, ln1_weight, ..., proj_bias). `fused` puts
// com.microsoft.Attention in place of the plain heads.
export function buildGpt2BlockModel({ T, d, H, F }, w, { fused = false } = {}) {
  const nodes = [], inits = [];
  const add = (name, dims, data) => inits.push(tensor(name, dims, FLOAT, data));
  add('ln1_w', [d], w.ln1_weight); add('ln1_b', [d], w.ln1_bias);
  add('w_qkv', [d, 3 * d], concatColumns(d, [w.w_q, w.w_k, w.w_v]));
  const bqkv = new Float32Array(3 * d);
  bqkv.set(w.b_q, 0); bqkv.set(w.b_k, d); bqkv.set(w.b_v, 2 * d);
  add('b_qkv', [3 * d], bqkv);
  add('w_o', [d, d], w.w_o); add('b_o', [d], w.b_o);
  add('ln2_w', [d], w.ln2_weight); add('ln2_b', [d], w.ln2_bias);
  add('w_fc', [d, F], w.fc_weight); add('b_fc', [F], w.fc_bias);
  add('w_proj', [F, d], w.proj_weight); add('b_proj', [d], w.proj_bias);
  const layerNorm = (x, g, b, y) => nodes.push(node('LayerNormalization', [x, g, b], [y], { axis: -1, epsilon: 1e-5 }));
  const linear = (x, weight, bias, y) => {
    nodes.push(node('MatMul', [x, weight], [`${y}_mm`]));
    nodes.push(node('Add', [`${y}_mm`, bias], [y]));
  };
  layerNorm('x', 'ln1_w', 'ln1_b', 'ln1');
  if (fused) {
    fusedAttentionNodes({ T, d, H }, nodes, inits, 'ln1', 'o');
  } else {
    linear('ln1', 'w_qkv', 'b_qkv', 'qkv');
    inits.push(tensor('split_qkv', [3], INT64, int64s([d, d, d])));
    nodes.push(node('Split', ['qkv', 'split_qkv'], ['q', 'k', 'v'], { axis: 1 }));
    causalHeadNodes({ T, d, H }, nodes, inits, ['q', 'k', 'v'], 'o');
  }
  linear('o', 'w_o', 'b_o', 'attproj');
  nodes.push(node('Add', ['x', 'attproj'], ['res2']));
  layerNorm('res2', 'ln2_w', 'ln2_b', 'ln2');
  linear('ln2', 'w_fc', 'b_fc', 'fch');
  nodes.push(node('Gelu', ['fch'], ['fch_gelu'], { approximate: 'tanh' }));
  linear('fch_gelu', 'w_proj', 'b_proj', 'fcproj');
  nodes.push(node('Add', ['res2', 'fcproj'], ['y']));
  return modelBytes('gpt2_block', nodes, inits, [['x', [T, d]]], [['y', [T, d]]], { opset: 20, contrib: fused });
}

// The block's six projections alone, as one graph: x [T, d]·[W_Q|W_K|W_V], x·W_O,
// x·W_fc and h [T, F]·W_proj (the GEMMs of gpt2-block.js's "projections" row).
export function buildProjectionsModel({ T, d, F }, w) {
  const inits = [tensor('w_qkv', [d, 3 * d], FLOAT, concatColumns(d, [w.w_q, w.w_k, w.w_v])),
    tensor('w_o', [d, d], FLOAT, w.w_o), tensor('w_fc', [d, F], FLOAT, w.fc_weight),
    tensor('w_proj', [F, d], FLOAT, w.proj_weight)];
  const nodes = [node('MatMul', ['x', 'w_qkv'], ['qkv']), node('MatMul', ['x', 'w_o'], ['o']),
    node('MatMul', ['x', 'w_fc'], ['fc']), node('MatMul', ['h', 'w_proj'], ['proj'])];
  return modelBytes('projections', nodes, inits, [['x', [T, d]], ['h', [T, F]]],
    [['qkv', [T, 3 * d]], ['o', [T, d]], ['fc', [T, F]], ['proj', [T, d]]]);
}
