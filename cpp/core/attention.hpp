// Multi-head causal self-attention, the way the page explains it:
//   Q = x·W_Q, K = x·W_K, V = x·W_V             split into n_head slices of d_k columns
//   per head: scores = q·kᵀ, scaled = scale·scores, weights = softmax(scaled, mask)
//             output = weights·v
//   concat = [output_0 | output_1 | ...],  result = concat·W_O
#pragma once
#include "matrix.hpp"
#include "trace.hpp"

namespace llmsim {

struct AttentionWeights {
  Matrix w_q, w_k, w_v, w_o;  // each [d_model, d_model]; x·W convention (rows are inputs)
};

struct AttentionOptions {
  bool scale = true;   // divide scores by sqrt(d_k)
  bool causal = true;  // a token sees only itself and earlier tokens
};

// x: [T, d_model] -> [T, d_model]. Fills `trace` (heads, concat, output).
Matrix attention_forward(const Matrix& x, const AttentionWeights& w, int n_head,
                         const AttentionOptions& options, LayerTrace& trace);

}  // namespace llmsim
