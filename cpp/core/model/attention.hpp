// Multi-head causal self-attention, the way the page explains it:
//   Q = x·W_Q, K = x·W_K, V = x·W_V             split into n_head slices of d_k columns
//   per head: scores = q·kᵀ, scaled = scale·scores, weights = softmax(scaled, mask)
//             output = weights·v
//   concat = [output_0 | output_1 | ...],  result = concat·W_O
#pragma once
#include <vector>

#include "matrix.hpp"
#include "trace.hpp"

namespace llmsim {

struct AttentionWeights {
  Matrix w_q, w_k, w_v, w_o;  // each [d_model, d_model]; x·W convention (rows are inputs)
};

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

}  // namespace llmsim
