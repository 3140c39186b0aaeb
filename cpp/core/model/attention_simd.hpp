// The attention forward pass on the SIMD128 kernels (kernels.hpp): what
// attention_forward runs in the WASM build. Natively it runs on simd128.hpp's
// stand-in, for the tests only; the native product keeps Eigen's kernels.
#pragma once
#include <vector>

#include "model/attention.hpp"

namespace llmsim {

// Which of the optimisations to use, so the benchmark can measure what each buys.
// The defaults are what attention_forward uses.
struct SimdAttentionConfig {
  bool packed_gemm = true;     // projections on the packed SIMD128 GEMM, else Eigen
  bool causal_skip = true;     // q·kᵀ and weights·v skip the masked half by row blocks
  bool fused_softmax = true;   // scale + mask + softmax in one SIMD pass, else the scalar path
  int row_block = 40;          // rows of one head's scores computed, softmaxed and used together
};

// Whether a projection of `rows` rows onto `cols` columns of a weight reads the weight
// in place (kernels::gemm_b_in_place) rather than packing it first. The attention's
// weights are read by the views, contributions and ablation too, so they stay plain;
// a keystroke's few new rows must not pay for copying them, while many rows amortise
// the packing. The same bits either way.
bool projection_reads_weight_in_place(int rows, int cols);

// Same contract as attention_forward (arguments already validated by it, `reuse`
// included), plus `store_matrices`: false leaves each head's q, k, v, scores, scaled
// and weights empty (only output, and the layer's input, concat and output, are
// kept), for callers that need the result and not the picture.
void attention_forward_simd(const Matrix& x, const AttentionWeights& w, int n_head, float scale,
                            bool causal, LayerTrace& trace,
                            const std::vector<HeadAblation>* ablation, bool store_matrices = true,
                            const SimdAttentionConfig& config = SimdAttentionConfig{},
                            int reuse = 0);

}  // namespace llmsim
