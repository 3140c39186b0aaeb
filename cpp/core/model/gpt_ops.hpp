// The operations of the GPT in cpp/core/model/gpt.hpp, each as a forward and a backward
// function, in the style of llm.c: one idea per function, shapes in the comments,
// N = rows (B·T in training, T in inference), C = d_model, F = d_ff, V = vocab.
//
// The inference forward (gpt.cpp) and the trainer (train.cpp) call the same forward
// functions, so the model the page runs is the model that was trained.
//
// Conventions of the backward functions (as in llm.c): they ACCUMULATE (+=) into
// every gradient they write, parameter gradients and input gradients alike, so a
// tensor read by two ops (the residual stream) collects both contributions; the
// caller zeroes the gradients before a backward pass.
//
// Parallel loops (OpenMP in the native build) only ever split work whose results
// land in disjoint places; every sum over rows runs in a fixed order, so the
// results do not depend on how threads are scheduled.
#pragma once
#include <vector>

#include "matrix.hpp"
#include "model/attention.hpp"

namespace llmsim {

using MatrixRef = Eigen::Ref<Matrix>;
using ConstMatrixRef = Eigen::Ref<const Matrix>;

// LayerNorm's ε, GPT-2's and the project's own models' (GptConfig::layer_norm_eps).
constexpr float kLayerNormEps = 1e-5f;

// ---- which GEMMs run on the SIMD128 kernels in the WASM build -----------------------
// Eigen 3.4 has no WASM packet math, so in the WASM build the ops below that multiply
// matrices hand their products to gpt_ops_simd.hpp (kernels.hpp; the figures are in
// docs/PERFORMANCE.md, "Training step"). The native build always runs Eigen and ignores this setting: native training
// is bit-for-bit reproducible and the shipped model depends on Eigen's summation order.
//   all           every product, forward and backward (the default)
//   forward_only  matmul_forward and unembedding_forward only (as before issue 20)
//   none          Eigen everywhere
// For the benchmark, which measures all three in one WASM instance.
enum class WasmGemms { all, forward_only, none };
WasmGemms& wasm_gemms();

// ---- embedding: out[b·T + t] = wte[ids[b·T + t]] + wpe[t] ---------------------------
// ids [B·T], wte [V, C], wpe [context, C], out [B·T, C]
void embedding_forward(const int* ids, int B, int T, const ConstMatrixRef& wte,
                       const ConstMatrixRef& wpe, MatrixRef out);
void embedding_backward(const int* ids, int B, int T, const ConstMatrixRef& dout,
                        MatrixRef dwte, MatrixRef dwpe);

// ---- LayerNorm over each row: out = gain ⊙ (x − mean)·rstd + bias ----------------------
// x, out [N, C]; gain, bias [C]; mean, rstd [N] are kept for the backward (which
// needs no ε: rstd carries it). rstd = 1/sqrt(var + eps).
void layernorm_forward(const ConstMatrixRef& x, const float* gain, const float* bias,
                       MatrixRef out, float* mean, float* rstd, float eps = kLayerNormEps);
void layernorm_backward(const ConstMatrixRef& dout, const ConstMatrixRef& x, const float* gain,
                        const float* mean, const float* rstd, MatrixRef dx, float* dgain,
                        float* dbias);

// ---- matmul with optional bias: out = inp · w (+ bias) ---------------------------------
// inp [N, in], w [in, out], bias [out] or nullptr, out [N, out]
void matmul_forward(const ConstMatrixRef& inp, const ConstMatrixRef& w, const float* bias,
                    MatrixRef out);
void matmul_backward(const ConstMatrixRef& dout, const ConstMatrixRef& inp,
                     const ConstMatrixRef& w, MatrixRef dinp, MatrixRef dw, float* dbias);

// ---- a weight packed once: the SIMD GEMM's right-hand side, kept instead of W -------
// matmul_forward on the SIMD kernels packs w [in, out] into panels on every call: at
// GPT-2's size ~230 MB of copying per run for the MLP alone, three times the memory
// traffic of the product when few rows are new (a keystroke). A model that only runs
// forward packs its MLP matrices once and keeps only the panels (the same floats, out
// rounded up to a multiple of 8), so memory does not grow.
struct PackedWeight {
  int rows = 0, cols = 0;     // w's shape [in, out]
  std::vector<float> panels;  // kernels::pack_b(w), kernels::packed_size(in, out) floats
  bool empty() const { return panels.empty(); }
};
PackedWeight pack_weight(const ConstMatrixRef& w);
Matrix unpack_weight(const PackedWeight& w);  // w [in, out] again, bit for bit
// out [N, out] = inp [N, in] · w (+ bias), on the kernels in every build: the same
// bits as matmul_forward_simd on the unpacked w.
void matmul_forward(const ConstMatrixRef& inp, const PackedWeight& w, const float* bias,
                    MatrixRef out);

// ---- unembedding tied to the token embedding: logits = x · wteᵀ -----------------------
// x [N, C], wte [V, C], logits [N, V]. wte gets gradient from here and from the
// embedding lookup.
void unembedding_forward(const ConstMatrixRef& x, const ConstMatrixRef& wte, MatrixRef logits);
void unembedding_backward(const ConstMatrixRef& dlogits, const ConstMatrixRef& x,
                          const ConstMatrixRef& wte, MatrixRef dx, MatrixRef dwte);

// ---- GELU, tanh form (as GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) -----------
void gelu_forward(const ConstMatrixRef& x, MatrixRef out);
void gelu_backward(const ConstMatrixRef& dout, const ConstMatrixRef& x, MatrixRef dx);

// ---- residual: out = a + b ---------------------------------------------------------
void residual_forward(const ConstMatrixRef& a, const ConstMatrixRef& b, MatrixRef out);
void residual_backward(const ConstMatrixRef& dout, MatrixRef da, MatrixRef db);

// ---- batched multi-head self-attention on a fused qkv --------------------------------
// The same mathematics as attention_forward (attention.hpp), laid out for a batch:
// qkv [B·T, 3C] holds q | k | v side by side (head h uses columns h·d_k..(h+1)·d_k of
// each), out [B·T, C] the heads' outputs side by side (the concat, before W_O).
// att [B·H·T, T] keeps each head's softmax weights for the backward; row
// ((b·H + h)·T + i) is query i of head h of sequence b. Masked entries are exactly 0.
struct AttentionScratch {
  std::vector<Matrix> per_thread;  // [T, T] each; sized on first use
};
void batched_attention_forward(const ConstMatrixRef& qkv, int B, int T, int n_head,
                               const AttentionOptions& options, MatrixRef att, MatrixRef out,
                               AttentionScratch& scratch);
void batched_attention_backward(const ConstMatrixRef& dout, const ConstMatrixRef& qkv,
                                const ConstMatrixRef& att, int B, int T, int n_head,
                                const AttentionOptions& options, MatrixRef dqkv,
                                AttentionScratch& scratch);

// ---- softmax + cross-entropy over the vocabulary -----------------------------------
// logits, probs [N, V]; targets [N]; losses [N] = −log probs[n, targets[n]].
// Returns the mean loss (summed in double, in row order).
double cross_entropy_forward(const ConstMatrixRef& logits, const int* targets, MatrixRef probs,
                             float* losses);
// dlogits += (probs − onehot(targets)) · dloss, with dloss the weight of each row's
// loss in the objective (1/N for a mean).
void cross_entropy_backward(const ConstMatrixRef& probs, const int* targets, float dloss,
                            MatrixRef dlogits);

}  // namespace llmsim
