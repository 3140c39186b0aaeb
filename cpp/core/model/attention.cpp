#include "model/attention.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "model/attention_simd.hpp"
#include "model/softmax.hpp"

namespace llmsim {

// Raw scores q·kᵀ for rows [row0, row0 + q.rows()) of one head, masked entries 0.
static Matrix head_scores(const Matrix& q, const Matrix& k, bool causal, int row0) {
  Matrix scores = q * k.transpose();  // [n, T]
  if (causal)
    for (int r = 0; r < scores.rows(); ++r) {
      const int visible = std::min(row0 + r + 1, int(scores.cols()));
      scores.row(r).tail(scores.cols() - visible).setZero();
    }
  return scores;
}

// Replaces an ablated head's output rows [n, d_k] in place.
void apply_head_ablation(const HeadAblation& ablation, Eigen::Ref<Matrix> output) {
  if (!ablation.ablated) return;
  if (ablation.replacement.size() == 0) {
    output.setZero();
    return;
  }
  if (ablation.replacement.size() != output.cols())
    throw Error("ablation: replacement has " + std::to_string(ablation.replacement.size()) +
                " entries, the head has d_k = " + std::to_string(output.cols()));
  output.rowwise() = ablation.replacement;
}

void attention_forward_eigen(const Matrix& x, const AttentionWeights& w, int n_head, float scale,
                             bool causal, LayerTrace& trace,
                             const std::vector<HeadAblation>* ablation, bool store_matrices,
                             int reuse) {
  const int n = int(x.rows()), d_model = int(x.cols()), T = reuse + n;  // n new rows of T
  const int d_k = d_model / n_head;
  const Matrix q_new = x * w.w_q;  // [n, d_model]
  const Matrix k_new = x * w.w_k;  // [n, d_model]
  const Matrix v_new = x * w.w_v;  // [n, d_model]

  resize_keeping_rows(trace.input, reuse, T, d_model);
  trace.input.bottomRows(n) = x;
  resize_keeping_rows(trace.concat, reuse, T, d_model);
  trace.heads.resize(n_head);
  for (int h = 0; h < n_head; ++h) {
    HeadTrace& head = trace.heads[h];
    for (Matrix* m : {&head.q, &head.k, &head.v, &head.output}) resize_keeping_rows(*m, reuse, T, d_k);
    for (Matrix* m : {&head.scores, &head.scaled, &head.weights}) resize_keeping_rows(*m, reuse, T, T);
    // With no new rows there is nothing to compute, and a column offset into an empty
    // (null) block is undefined behaviour (clang's UBSan: q_new.middleCols, concat.block).
    if (n > 0) {
      head.q.bottomRows(n) = q_new.middleCols(h * d_k, d_k);  // [n, d_k]
      head.k.bottomRows(n) = k_new.middleCols(h * d_k, d_k);  // [n, d_k]
      head.v.bottomRows(n) = v_new.middleCols(h * d_k, d_k);  // [n, d_k]
      head.scores.bottomRows(n) = head_scores(head.q.bottomRows(n), head.k, causal, reuse);  // [n, T]
      head.scaled.bottomRows(n) = scale * head.scores.bottomRows(n);                          // [n, T]
      for (int i = reuse; i < T; ++i)  // row i sees keys 0..i when causal
        softmax_row(head.scaled.row(i).data(), head.weights.row(i).data(), T, causal ? i + 1 : T);
      head.output.bottomRows(n) = head.weights.bottomRows(n) * head.v;  // [n, d_k]
      if (ablation) apply_head_ablation((*ablation)[h], head.output.bottomRows(n));
      trace.concat.block(reuse, h * d_k, n, d_k) = head.output.bottomRows(n);
    }
    if (!store_matrices)
      for (Matrix* m : {&head.q, &head.k, &head.v, &head.scores, &head.scaled, &head.weights})
        m->resize(0, 0);
  }
  resize_keeping_rows(trace.output, reuse, T, d_model);
  trace.output.bottomRows(n) = trace.concat.bottomRows(n) * w.w_o;  // [n, d_model]
}

Matrix attention_forward(const Matrix& x, const AttentionWeights& w, int n_head,
                         const AttentionOptions& options, LayerTrace& trace,
                         const std::vector<HeadAblation>* ablation, int reuse) {
  const int d_model = int(x.cols());
  if (n_head <= 0 || d_model % n_head != 0)
    throw Error("attention: d_model " + std::to_string(d_model) +
                " is not divisible by n_head " + std::to_string(n_head));
  const int d_k = d_model / n_head;
  const float scale = options.scale ? 1.0f / std::sqrt(float(d_k)) : 1.0f;
  if (ablation && int(ablation->size()) != n_head)
    throw Error("ablation: " + std::to_string(ablation->size()) + " entries for " +
                std::to_string(n_head) + " heads");
  if (reuse < 0 || (reuse > 0 && !(options.causal && options.store_head_matrices &&
                                   int(trace.heads.size()) == n_head && trace.output.rows() >= reuse &&
                                   trace.output.cols() == d_model)))
    throw Error("attention: rows can be reused only from an earlier causal pass of this layer");

#ifdef __wasm_simd128__
  // In the browser: hand-written SIMD128 kernels (Eigen 3.4 has no WASM packet math).
  attention_forward_simd(x, w, n_head, scale, options.causal, trace, ablation,
                         options.store_head_matrices, SimdAttentionConfig{}, reuse);
#else
  // Natively: Eigen's own kernels.
  attention_forward_eigen(x, w, n_head, scale, options.causal, trace, ablation,
                          options.store_head_matrices, reuse);
#endif
  return trace.output.bottomRows(x.rows());
}

}  // namespace llmsim
