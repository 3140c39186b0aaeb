// Multi-head causal self-attention, the way the page explains it:
//   Q = x·W_Q (+ b_Q), K = x·W_K (+ b_K), V = x·W_V (+ b_V)
//                                              split into n_head slices of d_k columns
//   per head: scores = q·kᵀ, scaled = scale·scores, weights = softmax(scaled, mask)
//             output = weights·v
//   concat = [output_0 | output_1 | ...],  result = concat·W_O (+ b_O)
//
// attention_forward is the one entry point and the one place that chooses how it is
// computed: natively the reference below (attention.cpp, written pass by pass), in the
// browser the SIMD128 kernels (attention_simd.hpp), which implement the same contract
// and are tested against the reference.
#pragma once
#include <cmath>
#include <vector>

#include "matrix.hpp"
#include "trace.hpp"

namespace llmsim {

struct AttentionWeights {
  Matrix w_q, w_k, w_v, w_o;  // each [d_model, d_model]; x·W convention (rows are inputs)
  // Optional biases, each [d_model] or empty (= none). The project's own models have
  // none (the LayerNorm before the attention already adds a bias to its input);
  // GPT-2's checkpoints have all four (c_attn's bias is b_q | b_k | b_v, c_proj's is
  // b_o). Q, K and V in the Trace include theirs: they are what the heads attend with.
  RowVector b_q, b_k, b_v, b_o;
  bool has_biases() const { return b_q.size() || b_k.size() || b_v.size() || b_o.size(); }
};

// rows += bias, on every row; nothing when the bias is empty (so a model without
// biases computes exactly what it did before they existed).
void add_bias(Eigen::Ref<Matrix> rows, const RowVector& bias);

struct AttentionOptions {
  bool scale = true;   // divide scores by sqrt(d_k)
  bool causal = true;  // a token sees only itself and earlier tokens
  // false: leave each head's q, k, v, scores, scaled and weights empty in the trace
  // (head outputs, concat and output are still filled). For callers that need the
  // result, not the picture (benchmarks, a model's later layers); the page needs true.
  bool store_head_matrices = true;
};

// Knocking a head out: its output is replaced before the concat, by zeros (zero
// ablation) or by a fixed vector such as its mean output over a probe (mean
// ablation). Its Q, K, V, scores and weights are still computed and traced, so the
// page can show what the head would have done.
struct HeadAblation {
  bool ablated = false;
  RowVector replacement;  // [d_k]; empty means zeros
};
// ablation[l][h] for every layer l and head h of a model; empty = every head on.
using HeadAblations = std::vector<std::vector<HeadAblation>>;

// Why scores are divided by sqrt(d_k): q·k sums d_k products, so its spread grows like
// sqrt(d_k); dividing keeps the softmax out of its saturated, one-hot regime whatever
// the head size (the page's √dₖ lab measures it). 1 when scaling is switched off.
inline float attention_scale(int d_k, bool scale = true) {
  return scale ? 1.0f / std::sqrt(float(d_k)) : 1.0f;
}

// x: [T, d_model] -> [T, d_model]. Fills `trace` (heads, concat, output).
// `ablation`, when given, has one entry per head of this layer.
//
// reuse > 0: the KV cache of LLM inference. x holds only the new rows, the layer's
// input at positions [reuse, reuse + n); rows [0, reuse) of `trace` must already hold
// this layer's pass on the earlier positions, with the same weights, options and
// ablation. Under the causal mask an earlier row never depends on a later token, so
// those rows are kept and only the new ones are computed, attending to the kept keys
// and values. Returns the new rows [n, d_model]. The WASM kernels give every row the
// same bits as a full pass would (a row's sums do not depend on the other rows).
// Needs options.causal and options.store_head_matrices.
Matrix attention_forward(const Matrix& x, const AttentionWeights& w, int n_head,
                         const AttentionOptions& options, LayerTrace& trace,
                         const std::vector<HeadAblation>* ablation = nullptr, int reuse = 0);

// The reference implementation behind attention_forward (arguments already checked by
// it), with `store_matrices` as AttentionOptions::store_head_matrices. Natively it is
// what attention_forward runs; in the WASM build the tests and the benchmark call it
// as the baseline the SIMD path must match.
void attention_forward_reference(const Matrix& x, const AttentionWeights& w, int n_head, float scale,
                                 bool causal, LayerTrace& trace,
                                 const std::vector<HeadAblation>* ablation, bool store_matrices = true,
                                 int reuse = 0);

// Replaces an ablated head's output rows [n, d_k] in place: zeros, or the replacement.
void apply_head_ablation(const HeadAblation& ablation, Eigen::Ref<Matrix> output);

}  // namespace llmsim
