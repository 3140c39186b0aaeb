#include "model/attention.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "model/attention_simd.hpp"
#include "model/softmax.hpp"

namespace llmsim {

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

void add_bias(Eigen::Ref<Matrix> rows, const RowVector& bias) {
  if (bias.size() == 0 || rows.rows() == 0) return;
  rows.rowwise() += bias;
}

// The reference attention, as llm.c writes it: for each head, three numbered passes over
// the new query rows i = reuse .. T−1 (all rows when reuse = 0), row i seeing keys 0..i.
void attention_forward_reference(const Matrix& x, const AttentionWeights& w, int n_head, float scale,
                                 bool causal, LayerTrace& trace,
                                 const std::vector<HeadAblation>* ablation, bool store_matrices,
                                 int reuse) {
  const int n = int(x.rows()), d_model = int(x.cols()), T = reuse + n;  // n new rows of T
  const int d_k = d_model / n_head;
  Matrix q_new = x * w.w_q;  // [n, d_model]: every head's queries side by side
  Matrix k_new = x * w.w_k;  // [n, d_model]
  Matrix v_new = x * w.w_v;  // [n, d_model]
  add_bias(q_new, w.b_q);
  add_bias(k_new, w.b_k);
  add_bias(v_new, w.b_v);

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
      // head h owns columns [h·d_k, (h+1)·d_k) of Q, K and V
      head.q.bottomRows(n) = q_new.middleCols(h * d_k, d_k);  // [n, d_k]
      head.k.bottomRows(n) = k_new.middleCols(h * d_k, d_k);  // [n, d_k]
      head.v.bottomRows(n) = v_new.middleCols(h * d_k, d_k);  // [n, d_k]

      // pass 1: scores = q·kᵀ [n, T], how well each query matches each key; keys after
      // the query (the causal mask) are left at 0 here and never seen by the softmax
      head.scores.bottomRows(n) = head.q.bottomRows(n) * head.k.transpose();
      if (causal)
        for (int i = reuse; i < T; ++i) head.scores.row(i).tail(T - (i + 1)).setZero();
      head.scaled.bottomRows(n) = scale * head.scores.bottomRows(n);  // [n, T]

      // pass 2: weights = softmax of each row over its visible keys [n, T], each row
      // summing to 1 (softmax_row's own passes: the row max; exp(scaled − max) and
      // their sum; each divided by the sum)
      for (int i = reuse; i < T; ++i)
        softmax_row(head.scaled.row(i).data(), head.weights.row(i).data(), T, causal ? i + 1 : T);

      // pass 3: output = weights·v [n, d_k], the weighted mix of the values it looked up
      head.output.bottomRows(n) = head.weights.bottomRows(n) * head.v;
      if (ablation) apply_head_ablation((*ablation)[h], head.output.bottomRows(n));
      trace.concat.block(reuse, h * d_k, n, d_k) = head.output.bottomRows(n);  // [T, d_model]
    }
    if (!store_matrices)
      for (Matrix* m : {&head.q, &head.k, &head.v, &head.scores, &head.scaled, &head.weights})
        m->resize(0, 0);
  }
  // the heads' outputs side by side, mixed back into the residual stream by W_O
  resize_keeping_rows(trace.output, reuse, T, d_model);
  trace.output.bottomRows(n) = trace.concat.bottomRows(n) * w.w_o;  // [n, d_model]
  add_bias(trace.output.bottomRows(n), w.b_o);
}

Matrix attention_forward(const Matrix& x, const AttentionWeights& w, int n_head,
                         const AttentionOptions& options, LayerTrace& trace,
                         const std::vector<HeadAblation>* ablation, int reuse) {
  const int d_model = int(x.cols());
  if (n_head <= 0 || d_model % n_head != 0)
    throw Error("attention: d_model " + std::to_string(d_model) +
                " is not divisible by n_head " + std::to_string(n_head));
  const int d_k = d_model / n_head;
  const float scale = attention_scale(d_k, options.scale);
  for (const RowVector* bias : {&w.b_q, &w.b_k, &w.b_v, &w.b_o})
    if (bias->size() != 0 && bias->size() != d_model)
      throw Error("attention: a bias has " + std::to_string(bias->size()) +
                  " entries, expected none or d_model = " + std::to_string(d_model));
  if (ablation && int(ablation->size()) != n_head)
    throw Error("ablation: " + std::to_string(ablation->size()) + " entries for " +
                std::to_string(n_head) + " heads");
  if (reuse < 0 || (reuse > 0 && !(options.causal && options.store_head_matrices &&
                                   int(trace.heads.size()) == n_head && trace.output.rows() >= reuse &&
                                   trace.output.cols() == d_model)))
    throw Error("attention: rows can be reused only from an earlier causal pass of this layer");

  // The one place that chooses. In the browser: hand-written SIMD128 kernels (Eigen 3.4
  // has no WASM packet math), tested against the reference.
#ifdef __wasm_simd128__
  attention_forward_simd(x, w, n_head, scale, options.causal, trace, ablation,
                         options.store_head_matrices, SimdAttentionConfig{}, reuse);
#else
  // Natively: the reference, on Eigen's own kernels.
  attention_forward_reference(x, w, n_head, scale, options.causal, trace, ablation,
                              options.store_head_matrices, reuse);
#endif
  return trace.output.bottomRows(x.rows());
}

}  // namespace llmsim
