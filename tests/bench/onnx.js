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

// AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7)
function attribute(name, value) {
  const w = new Writer().string(1, name);
  if (Array.isArray(value)) { for (const v of value) w.int(8, v); w.int(20, 7); }
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

export function buildAttentionModel({ T, d, H }, { wq, wk, wv, wo }, { fused = false } = {}) {
  const dk = d / H;
  const nodes = [], inits = [];
  if (fused) {
    // com.microsoft.Attention: weights [d, 3d] = [W_Q | W_K | W_V] row by row.
    const qkv = new Float32Array(d * 3 * d);
    for (let r = 0; r < d; r++) {
      qkv.set(wq.subarray(r * d, (r + 1) * d), r * 3 * d);
      qkv.set(wk.subarray(r * d, (r + 1) * d), r * 3 * d + d);
      qkv.set(wv.subarray(r * d, (r + 1) * d), r * 3 * d + 2 * d);
    }
    inits.push(tensor('w_qkv', [d, 3 * d], FLOAT, qkv));
    inits.push(tensor('b_qkv', [3 * d], FLOAT, new Float32Array(3 * d)));
    inits.push(tensor('w_o', [d, d], FLOAT, wo));
    inits.push(tensor('shape_3d', [3], INT64, BigInt64Array.from([1n, BigInt(T), BigInt(d)])));
    inits.push(tensor('shape_2d', [2], INT64, BigInt64Array.from([BigInt(T), BigInt(d)])));
    nodes.push(node('Reshape', ['x', 'shape_3d'], ['x3']));
    nodes.push(node('Attention', ['x3', 'w_qkv', 'b_qkv'], ['att'],
      { num_heads: H, unidirectional: 1 }, 'com.microsoft'));
    nodes.push(node('Reshape', ['att', 'shape_2d'], ['att2']));
    nodes.push(node('MatMul', ['att2', 'w_o'], ['y']));
  } else {
    const mask = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -Infinity;
    inits.push(tensor('w_q', [d, d], FLOAT, wq), tensor('w_k', [d, d], FLOAT, wk),
      tensor('w_v', [d, d], FLOAT, wv), tensor('w_o', [d, d], FLOAT, wo),
      tensor('mask', [T, T], FLOAT, mask),
      tensor('scale', [], FLOAT, new Float32Array([1 / Math.sqrt(dk)])),
      tensor('shape_heads', [3], INT64, BigInt64Array.from([BigInt(T), BigInt(H), BigInt(dk)])),
      tensor('shape_2d', [2], INT64, BigInt64Array.from([BigInt(T), BigInt(d)])));
    for (const n of ['q', 'k', 'v']) {
      nodes.push(node('MatMul', ['x', `w_${n}`], [n]));
      nodes.push(node('Reshape', [n, 'shape_heads'], [`${n}_3`]));
      nodes.push(node('Transpose', [`${n}_3`], [`${n}_h`], { perm: n === 'k' ? [1, 2, 0] : [1, 0, 2] }));
    }
    nodes.push(node('MatMul', ['q_h', 'k_h'], ['scores']));
    nodes.push(node('Mul', ['scores', 'scale'], ['scaled']));
    nodes.push(node('Add', ['scaled', 'mask'], ['masked']));
    nodes.push(node('Softmax', ['masked'], ['weights'], { axis: -1 }));
    nodes.push(node('MatMul', ['weights', 'v_h'], ['o_h']));
    nodes.push(node('Transpose', ['o_h'], ['o_3'], { perm: [1, 0, 2] }));
    nodes.push(node('Reshape', ['o_3', 'shape_2d'], ['o']));
    nodes.push(node('MatMul', ['o', 'w_o'], ['y']));
  }
  // GraphProto: node 1, name 2, initializer 5, input 11, output 12
  const graph = concatBytes([
    ...nodes.map((n) => lengthDelimited(1, n)),
    new Writer().string(2, 'causal_mha').finish(),
    ...inits.map((t) => lengthDelimited(5, t)),
    lengthDelimited(11, valueInfo('x', [T, d])),
    lengthDelimited(12, valueInfo('y', [T, d])),
  ]);
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2)
  const header = new Writer().int(1, 8).string(2, 'llmsim-bench');
  header.message(8, new Writer().string(1, '').int(2, 17));
  if (fused) header.message(8, new Writer().string(1, 'com.microsoft').int(2, 1));
  return concatBytes([header.finish(), lengthDelimited(7, graph)]);
}
