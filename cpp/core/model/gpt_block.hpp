// One transformer block, wired once: the inference pass (gpt_forward, gpt.cpp) and
// the trainer (GptTrainer::forward, train/train.cpp) both run this function, so the
// block the page runs is the block that was trained. Pre-LayerNorm, as GPT-2
// (N rows, C = d_model, F = d_ff):
//
//   ln1      = LN1(x)                          [N, C]
//   attproj  = attention(ln1)                  [N, C]   the heads, concat, W_O
//   res2     = x + attproj                     [N, C]
//   ln2      = LN2(res2)                       [N, C]
//   fch      = ln2·W_fc + b_fc                 [N, F]
//   fch_gelu = GELU(fch)                       [N, F]
//   fcproj   = fch_gelu·W_proj + b_proj        [N, C]
//   res3     = res2 + fcproj                   [N, C]   the block's output
//
// The attention is passed in because the two callers compute it differently: the
// page's attention_forward fills a LayerTrace head by head (with the KV cache and
// head ablation), the trainer's batched attention keeps what its backward needs.
#pragma once
#include <vector>

#include "model/gpt_ops.hpp"
#include "model/gpt_weights.hpp"

namespace llmsim {

// A block's parameters wherever they are stored (GptBlock, or the trainer's buffer).
struct BlockParameters {
  const float *ln1_weight, *ln1_bias;        // [C]
  const float *ln2_weight, *ln2_bias;        // [C]
  ConstMatrixRef fc_weight;                  // [C, F]
  const float* fc_bias;                      // [F]
  ConstMatrixRef proj_weight;                // [F, C]
  const float* proj_bias;                    // [C]
  float layer_norm_eps = kLayerNormEps;      // GptConfig::layer_norm_eps
  // The same two matrices packed once (GptBlock::fc_packed, pack_mlp_weights), read
  // instead of fc_weight / proj_weight when given; the trainer, whose weights change
  // every step, gives none.
  const PackedWeight* fc_packed = nullptr;
  const PackedWeight* proj_packed = nullptr;
};

// A model's block as block_forward reads it: the MLP's panels where the block keeps
// them packed (pack_mlp_weights), else its plain matrices.
inline BlockParameters block_parameters(const GptBlock& b, float layer_norm_eps) {
  return {b.ln1_weight.data(), b.ln1_bias.data(), b.ln2_weight.data(), b.ln2_bias.data(),
          b.fc_weight,         b.fc_bias.data(),  b.proj_weight,       b.proj_bias.data(),
          layer_norm_eps,      b.fc_packed.empty() ? nullptr : &b.fc_packed,
          b.proj_packed.empty() ? nullptr : &b.proj_packed};
}

// out = inp · W (+ bias), with W as the block holds it: packed, or plain.
inline void block_matmul(const ConstMatrixRef& inp, const ConstMatrixRef& w,
                         const PackedWeight* packed, const float* bias, MatrixRef out) {
  if (packed) matmul_forward(inp, *packed, bias, out);
  else matmul_forward(inp, w, bias, out);
}

// Everything block_forward computes, kept for a backward pass (or reused as scratch).
struct BlockActivations {
  Matrix ln1;                             // [N, C]
  std::vector<float> ln1_mean, ln1_rstd;  // [N]
  Matrix attproj;                         // [N, C]
  Matrix res2;                            // [N, C]
  Matrix ln2;                             // [N, C]
  std::vector<float> ln2_mean, ln2_rstd;  // [N]
  Matrix fch, fch_gelu;                   // [N, F]
  Matrix fcproj;                          // [N, C]
  Matrix res3;                            // [N, C]

  void resize(int N, int C, int F) {
    for (Matrix* m : {&ln1, &attproj, &res2, &ln2, &fcproj, &res3}) m->resize(N, C);
    for (Matrix* m : {&fch, &fch_gelu}) m->resize(N, F);
    for (std::vector<float>* v : {&ln1_mean, &ln1_rstd, &ln2_mean, &ln2_rstd}) v->resize(size_t(N));
  }
};

// x [N, C] -> a.res3 [N, C]. attention(const Matrix& ln1, Matrix& attproj) writes the
// attention sublayer's output, W_O applied, into attproj [N, C].
template <class Attention>
void block_forward(const ConstMatrixRef& x, const BlockParameters& w, BlockActivations& a,
                   Attention&& attention) {
  const int N = int(x.rows()), C = int(x.cols());
  const int F = w.fc_packed ? w.fc_packed->cols : int(w.fc_weight.cols());
  a.resize(N, C, F);
  // 1. x + attention(LN1(x))
  layernorm_forward(x, w.ln1_weight, w.ln1_bias, a.ln1, a.ln1_mean.data(), a.ln1_rstd.data(),
                    w.layer_norm_eps);
  attention(a.ln1, a.attproj);
  residual_forward(x, a.attproj, a.res2);
  // 2. res2 + MLP(LN2(res2))
  layernorm_forward(a.res2, w.ln2_weight, w.ln2_bias, a.ln2, a.ln2_mean.data(), a.ln2_rstd.data(),
                    w.layer_norm_eps);
  block_matmul(a.ln2, w.fc_weight, w.fc_packed, w.fc_bias, a.fch);                  // [N, F]
  gelu_forward(a.fch, a.fch_gelu);                                                   // [N, F]
  block_matmul(a.fch_gelu, w.proj_weight, w.proj_packed, w.proj_bias, a.fcproj);  // [N, C]
  residual_forward(a.res2, a.fcproj, a.res3);
}

}  // namespace llmsim
