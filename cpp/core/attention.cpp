#include "attention.hpp"

#include <cmath>

#include "attention_simd.hpp"
#include "error.hpp"
#include "softmax.hpp"

namespace llmsim {

// Raw scores q·kᵀ for one head, computing only what the mask lets through.
static Matrix head_scores(const Matrix& q, const Matrix& k, bool causal) {
  Matrix scores = q * k.transpose();  // [T, T]
  if (causal) scores.triangularView<Eigen::StrictlyUpper>().setZero();
  return scores;
}

// Replaces an ablated head's output [T, d_k] in place.
void apply_head_ablation(const HeadAblation& ablation, Matrix& output) {
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
                             const std::vector<HeadAblation>* ablation, bool store_matrices) {
  const int T = int(x.rows()), d_model = int(x.cols());
  const int d_k = d_model / n_head;
  const Matrix q_all = x * w.w_q;  // [T, d_model]
  const Matrix k_all = x * w.w_k;  // [T, d_model]
  const Matrix v_all = x * w.w_v;  // [T, d_model]

  trace.input = x;
  trace.concat.resize(T, d_model);
  trace.heads.resize(n_head);
  for (int h = 0; h < n_head; ++h) {
    HeadTrace& head = trace.heads[h];
    head.q = q_all.middleCols(h * d_k, d_k);  // [T, d_k]
    head.k = k_all.middleCols(h * d_k, d_k);  // [T, d_k]
    head.v = v_all.middleCols(h * d_k, d_k);  // [T, d_k]
    head.scores = head_scores(head.q, head.k, causal);  // [T, T]
    head.scaled = scale * head.scores;                  // [T, T]
    head.weights = masked_softmax(head.scaled, causal);  // [T, T]
    head.output = head.weights * head.v;                // [T, d_k]
    if (ablation) apply_head_ablation((*ablation)[h], head.output);
    trace.concat.middleCols(h * d_k, d_k) = head.output;
    if (!store_matrices)
      for (Matrix* m : {&head.q, &head.k, &head.v, &head.scores, &head.scaled, &head.weights})
        m->resize(0, 0);
  }
  trace.output = trace.concat * w.w_o;  // [T, d_model]
}

Matrix attention_forward(const Matrix& x, const AttentionWeights& w, int n_head,
                         const AttentionOptions& options, LayerTrace& trace,
                         const std::vector<HeadAblation>* ablation) {
  const int d_model = int(x.cols());
  if (n_head <= 0 || d_model % n_head != 0)
    throw Error("attention: d_model " + std::to_string(d_model) +
                " is not divisible by n_head " + std::to_string(n_head));
  const int d_k = d_model / n_head;
  const float scale = options.scale ? 1.0f / std::sqrt(float(d_k)) : 1.0f;
  if (ablation && int(ablation->size()) != n_head)
    throw Error("ablation: " + std::to_string(ablation->size()) + " entries for " +
                std::to_string(n_head) + " heads");

#ifdef __wasm_simd128__
  // In the browser: hand-written SIMD128 kernels (Eigen 3.4 has no WASM packet math).
  attention_forward_simd(x, w, n_head, scale, options.causal, trace, ablation,
                         options.store_head_matrices);
#else
  // Natively: Eigen's own kernels.
  attention_forward_eigen(x, w, n_head, scale, options.causal, trace, ablation,
                          options.store_head_matrices);
#endif
  return trace.output;
}

}  // namespace llmsim
