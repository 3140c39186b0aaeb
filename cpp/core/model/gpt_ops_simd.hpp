// The GEMM-bearing ops of gpt_ops.hpp on the SIMD128 kernels (kernels.hpp): what the
// WASM build runs for the training step (and for the inference forward's matmuls and
// unembedding), chosen by wasm_gemms() in gpt_ops.cpp. Natively they run on
// simd128.hpp's stand-in, for the tests only: the native trainer keeps Eigen, whose
// summation order the shipped model's reproducibility depends on.
//
// Each function has the contract of its Eigen namesake in gpt_ops.hpp (shapes,
// accumulation into gradients), up to float rounding: the kernels sum in another
// order than Eigen, and the attention's softmax uses kernels::exp_vec's exp. The
// order is fixed (kernels.cpp), so a run gives the same bits every time.
#pragma once
#include "model/gpt_ops.hpp"

namespace llmsim {

// out [N, out] = inp [N, in] · w [in, out] (+ bias)
void matmul_forward_simd(const ConstMatrixRef& inp, const ConstMatrixRef& w, const float* bias,
                         MatrixRef out);
// dinp += dout·wᵀ, dw += inpᵀ·dout, dbias += Σ rows of dout
void matmul_backward_simd(const ConstMatrixRef& dout, const ConstMatrixRef& inp,
                          const ConstMatrixRef& w, MatrixRef dinp, MatrixRef dw, float* dbias);

// logits [N, V] = x [N, C] · wteᵀ
void unembedding_forward_simd(const ConstMatrixRef& x, const ConstMatrixRef& wte,
                              MatrixRef logits);
// dx += dlogits·wte, dwte += dlogitsᵀ·x
void unembedding_backward_simd(const ConstMatrixRef& dlogits, const ConstMatrixRef& x,
                               const ConstMatrixRef& wte, MatrixRef dx, MatrixRef dwte);

// As batched_attention_forward / _backward, arguments already checked by them. The
// causal mask also skips work here: q·kᵀ and d_o·vᵀ stop at the diagonal, the
// products with a causal left operand stop (or start) their depth there.
void batched_attention_forward_simd(const ConstMatrixRef& qkv, int B, int T, int n_head,
                                    const AttentionOptions& options, MatrixRef att,
                                    MatrixRef out);
void batched_attention_backward_simd(const ConstMatrixRef& dout, const ConstMatrixRef& qkv,
                                     const ConstMatrixRef& att, int B, int T, int n_head,
                                     const AttentionOptions& options, MatrixRef dqkv);

}  // namespace llmsim
