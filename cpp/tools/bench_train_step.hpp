// The training step `npm run bench:train` times, natively (bench_native.cpp) and in
// WASM (bench_bindings.cpp), so both sides run the very same work: GptTrainer's
// forward, backward, gradient clipping and AdamW on one fixed batch of
// bench_token_ids, from init_weights(1). Timing depends on the shape, not the values.
#pragma once
#include <vector>

#include "bench_gpt_model.hpp"
#include "rng.hpp"
#include "train/train.hpp"

namespace llmsim {

class TrainStepBench {
 public:
  TrainStepBench(const GptConfig& config, int B, int T) : trainer_(config, B, T) {
    trainer_.init_weights(1);
    // Targets are the next id of the same spread-out sequence: a fixed, learnable batch.
    const std::vector<int> ids = bench_token_ids(B * T + 1, config.vocab_size);
    inputs_.assign(ids.begin(), ids.end() - 1);
    targets_.assign(ids.begin() + 1, ids.end());
  }

  // Forward and backward only; returns the loss (the gradients are in trainer()).
  double forward_backward() {
    const double loss = trainer_.forward(inputs_.data(), targets_.data());
    trainer_.backward();
    return loss;
  }

  // One whole training step, as train_gpt takes it; returns the step's loss.
  double step() {
    const double loss = forward_backward();
    trainer_.clip_gradients(1.0);
    trainer_.adamw_update(1e-3f, AdamWOptions{}, ++steps_);
    return loss;
  }

  GptTrainer& trainer() { return trainer_; }

 private:
  GptTrainer trainer_;
  std::vector<int> inputs_, targets_;
  int steps_ = 0;
};

// FLOPs of one training step's matrix products, 2·M·N·K per product, for N = B·T
// rows, C = d_model, F = d_ff, V = vocab, L layers, H heads of d_k = C/H:
//   forward, per layer   qkv 2·N·C·3C, W_O 2·N·C·C, fc 2·N·C·F, proj 2·N·F·C
//   forward, once        unembedding 2·N·C·V
//   backward             each of those twice (dinp = dout·wᵀ and dw = inpᵀ·dout)
//   attention, per layer and (sequence, head): forward q·kᵀ and weights·v, backward
//                        d_o·vᵀ, weightsᵀ·d_o, d_scores·k, d_scoresᵀ·q: 6 products of
//                        2·P·d_k, P = T(T+1)/2 the causally visible (query, key) pairs
//                        (credited as the attention bench credits every engine)
// Softmax, LayerNorm, GELU, cross-entropy, AdamW and the embedding are not counted.
inline double train_step_product_flops(const GptConfig& c, int B, int T) {
  const double N = double(B) * T, C = c.d_model, F = c.d_ff, V = c.vocab_size;
  const double d_k = C / c.n_head, P = double(T) * (T + 1) / 2;
  const double dense_forward = c.n_layer * 2 * N * (3 * C * C + C * C + 2 * C * F) + 2 * N * C * V;
  const double attention = c.n_layer * double(B) * c.n_head * 6 * 2 * P * d_k;
  return 3 * dense_forward + attention;
}

// The step's products alone: the ops of gpt_ops.hpp that multiply matrices, called as
// GptTrainer calls them (same shapes, same order, forward and backward) on matrices of
// random values, so their time can be set against train_step_product_flops without the
// rest of the step. One set of matrices serves every layer (the step's have their
// own; at these sizes they all stay in cache either way). The attention ops include
// their softmax and its backward, which are not products: the rate measured this way
// is a lower bound of the products' own.
class StepProducts {
 public:
  StepProducts(const GptConfig& c, int B, int T) : c_(c), B_(B), T_(T) {
    const int N = B * T, C = c.d_model, F = c.d_ff, V = c.vocab_size;
    Rng rng(2);
    auto random = [&](Matrix& m, int rows, int cols) { m = rng.normal_matrix(rows, cols, 0.1f); };
    for (Matrix* m : {&x_, &atty_, &out_c_, &d_c_, &d_x_, &d_atty_}) random(*m, N, C);
    for (Matrix* m : {&qkv_, &d_qkv_}) random(*m, N, 3 * C);
    for (Matrix* m : {&fch_, &d_fch_}) random(*m, N, F);
    for (Matrix* m : {&logits_, &d_logits_}) random(*m, N, V);
    for (Matrix* m : {&w_qkv_, &dw_qkv_}) random(*m, C, 3 * C);
    for (Matrix* m : {&w_o_, &dw_o_}) random(*m, C, C);
    for (Matrix* m : {&fc_w_, &dfc_w_}) random(*m, C, F);
    for (Matrix* m : {&proj_w_, &dproj_w_}) random(*m, F, C);
    for (Matrix* m : {&wte_, &dwte_}) random(*m, V, C);
    att_.setZero(B * c.n_head * T, T);
    fc_b_.assign(size_t(F), 0.0f);
    proj_b_.assign(size_t(C), 0.0f);
    dfc_b_ = fc_b_;
    dproj_b_ = proj_b_;
  }

  void run() {
    const AttentionOptions options;  // scaled and causal, as the trainer's
    const int H = c_.n_head;
    for (int l = 0; l < c_.n_layer; ++l) {
      matmul_forward(x_, w_qkv_, nullptr, qkv_);
      batched_attention_forward(qkv_, B_, T_, H, options, att_, atty_, scratch_);
      matmul_forward(atty_, w_o_, nullptr, out_c_);
      matmul_forward(x_, fc_w_, fc_b_.data(), fch_);
      matmul_forward(fch_, proj_w_, proj_b_.data(), out_c_);
    }
    unembedding_forward(x_, wte_, logits_);
    unembedding_backward(d_logits_, x_, wte_, d_x_, dwte_);
    for (int l = c_.n_layer - 1; l >= 0; --l) {
      matmul_backward(d_c_, fch_, proj_w_, d_fch_, dproj_w_, dproj_b_.data());
      matmul_backward(d_fch_, x_, fc_w_, d_x_, dfc_w_, dfc_b_.data());
      matmul_backward(d_c_, atty_, w_o_, d_atty_, dw_o_, nullptr);
      batched_attention_backward(d_atty_, qkv_, att_, B_, T_, H, options, d_qkv_, scratch_);
      matmul_backward(d_qkv_, x_, w_qkv_, d_x_, dw_qkv_, nullptr);
    }
  }

 private:
  GptConfig c_;
  int B_, T_;
  Matrix x_, atty_, out_c_, d_c_, d_x_, d_atty_, qkv_, d_qkv_, fch_, d_fch_, logits_, d_logits_;
  Matrix w_qkv_, dw_qkv_, w_o_, dw_o_, fc_w_, dfc_w_, proj_w_, dproj_w_, wte_, dwte_, att_;
  std::vector<float> fc_b_, proj_b_, dfc_b_, dproj_b_;
  AttentionScratch scratch_;
};

}  // namespace llmsim
