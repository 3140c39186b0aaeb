// What a head moves, not only what it asks for. An attention weight α_ij says how much
// query i looks at key j; what key j adds to query i's output is α_ij · f(x_j), with
//   f(x_j) = v_j · W_O^h                     [d_model]
// the head's value of token j carried into the residual stream by the head's own rows
// of W_O (W_O^h = rows h·d_k .. (h+1)·d_k − 1, [d_k, d_model]; the models here have no
// attention biases). Norm-based analysis (Kobayashi et al., EMNLP 2020) found that big
// weights on the first token or on punctuation often carry tiny vectors: a sink head
// asks a lot and moves almost nothing. The page shows both side by side.
#pragma once
#include "matrix.hpp"
#include "trace.hpp"

namespace llmsim {

// Fills each head's value_norms [T] = ‖f(x_j)‖ and contributions [T, T] =
// α_ij · ‖f(x_j)‖, normalised so each query row sums to 1 (a row with no weight stays
// 0), from the head's v and weights already in `layer` and the layer's W_O
// [d_model, d_model]. reuse > 0: rows [0, reuse) are kept from an earlier pass on the
// same prefix (the KV cache) and only the new ones are computed.
void contribution_forward(const Matrix& w_o, LayerTrace& layer, int reuse = 0);

}  // namespace llmsim
