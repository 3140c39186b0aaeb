#include "model/attention_simd.hpp"

#include <algorithm>
#include <vector>

#include "model/softmax.hpp"
#include "simd/kernels.hpp"

namespace llmsim {

namespace {

// Scratch memory reused across calls, so a forward pass allocates only the Trace.
struct Scratch {
  std::vector<float> packed_w, packed_kt, packed_v;  // right-hand sides, packed
  std::vector<float> q, k, v;                        // [T, d_k] when not stored
  std::vector<float> qkv_all;                        // [3, n, d]: every head's, a keystroke's rows
  std::vector<float> scores, weights;                // [row_block, T] when not stored
  float* get(std::vector<float>& buffer, size_t n) {
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
  }
};

Scratch& scratch() {
  thread_local Scratch s;  // per thread: native callers may run layers in parallel
  return s;
}

// out [T, d_k] = x · W[:, h·d_k : (h+1)·d_k] (+ bias[h·d_k : (h+1)·d_k]). all_heads:
// x · W of every head already, [T, d_model] (a keystroke's rows: a_few_rows below).
void project(const Matrix& x, const Matrix& W, const RowVector& bias, int h, int d_k, float* out,
             bool packed, Scratch& s, const float* all_heads = nullptr) {
  const int T = int(x.rows()), d = int(x.cols());
  if (all_heads) {
    for (int i = 0; i < T; ++i)
      std::copy_n(all_heads + size_t(i) * d + h * d_k, d_k, out + size_t(i) * d_k);
  } else if (packed && projection_reads_weight_in_place(T, d_k)) {
    kernels::gemm_b_in_place(T, d_k, d, x.data(), d, W.data() + h * d_k, d, out, d_k);
  } else if (packed) {
    float* panel = s.get(s.packed_w, kernels::packed_size(d, d_k));
    kernels::pack_b(W.data() + h * d_k, d, d, d_k, panel);
    kernels::gemm_packed(T, d_k, d, x.data(), d, panel, out, d_k);
  } else {
    Eigen::Map<Matrix>(out, T, d_k).noalias() = x * W.middleCols(h * d_k, d_k);
  }
  if (bias.size() != 0 && T > 0) Eigen::Map<Matrix>(out, T, d_k).rowwise() += bias.segment(h * d_k, d_k);
}

// The unfused softmax, for measuring what fusing buys: the scalar softmax_row of
// softmax.cpp on a separately scaled copy, masked scores zeroed on their own pass.
void unfused_softmax_rows(float* scores, float* scaled, float* weights, int ld, int rows, int row0,
                          int cols, float scale, bool causal) {
  thread_local std::vector<float> row;  // softmax_row cannot work in place
  row.resize(size_t(cols));
  for (int i = 0; i < rows; ++i) {
    const int visible = causal ? std::min(row0 + i + 1, cols) : cols;
    float* s = scores + size_t(i) * ld;
    float* w = weights + size_t(i) * ld;
    std::fill(s + visible, s + cols, 0.0f);
    float* sc = scaled ? scaled + size_t(i) * ld : row.data();
    for (int j = 0; j < cols; ++j) sc[j] = scale * s[j];
    softmax_row(sc, w, cols, visible);
  }
}

}  // namespace

// Up to 32 rows, in place: d_model 768, 12 heads, WASM in Node: one layer's q, k or v
// for 1 row 0.095 ms in place vs 0.173 packing; 32 rows 0.97 vs 1.03; 64 rows even;
// at 128 rows packing wins (3.2 vs 4.6 ms for all four matrices).
bool projection_reads_weight_in_place(int rows, int cols) {
  return rows <= 32 && cols % kernels::kPanelWidth == 0;
}

void attention_forward_simd(const Matrix& x, const AttentionWeights& w, int n_head, float scale,
                            bool causal, LayerTrace& trace,
                            const std::vector<HeadAblation>* ablation, bool store_matrices,
                            const SimdAttentionConfig& config, int reuse) {
  const int n = int(x.rows()), d = int(x.cols()), T = reuse + n;  // n new rows of T
  const int d_k = d / n_head;
  const int block = std::max(1, config.row_block);
  Scratch& s = scratch();

  resize_keeping_rows(trace.input, reuse, T, d);
  trace.input.bottomRows(n) = x;
  resize_keeping_rows(trace.concat, reuse, T, d);
  trace.heads.resize(n_head);
  // One to three new rows (a keystroke): q, k and v of every head in one product each,
  // which reads each row of W whole and in order (kernels::gemm_b_in_place); per head
  // it read a d_k-wide strip of every row. Each head then takes its columns: the same
  // sums, the same bits.
  const bool a_few_rows = config.packed_gemm && n >= 1 && n <= kernels::kFewRows &&
                          d % kernels::kPanelWidth == 0;
  const float* all_heads[3] = {nullptr, nullptr, nullptr};
  if (a_few_rows) {
    float* all = s.get(s.qkv_all, size_t(3) * n * d);
    const Matrix* weights[3] = {&w.w_q, &w.w_k, &w.w_v};
    for (int m = 0; m < 3; ++m) {
      kernels::gemm_b_in_place(n, d, d, x.data(), d, weights[m]->data(), d, all + size_t(m) * n * d, d);
      all_heads[m] = all + size_t(m) * n * d;
    }
  }
  for (int h = 0; h < n_head; ++h) {
    HeadTrace& head = trace.heads[h];
    float *q, *k, *v, *scores, *scaled, *weights;
    if (store_matrices) {
      for (Matrix* m : {&head.q, &head.k, &head.v}) resize_keeping_rows(*m, reuse, T, d_k);
      for (Matrix* m : {&head.scores, &head.scaled, &head.weights}) resize_keeping_rows(*m, reuse, T, T);
      q = head.q.data(), k = head.k.data(), v = head.v.data();
      scores = head.scores.data(), scaled = head.scaled.data(), weights = head.weights.data();
    } else {  // reuse is 0 here (attention_forward checks)
      for (Matrix* m : {&head.q, &head.k, &head.v, &head.scores, &head.scaled, &head.weights})
        m->resize(0, 0);
      const size_t all = size_t(T) * d_k, rows = size_t(std::min(block, T)) * T;
      q = s.get(s.q, all), k = s.get(s.k, all), v = s.get(s.v, all);
      scores = s.get(s.scores, rows), weights = s.get(s.weights, rows), scaled = nullptr;
    }
    const size_t first = size_t(reuse) * d_k;  // where the new rows go
    project(x, w.w_q, w.b_q, h, d_k, q + first, config.packed_gemm, s, all_heads[0]);  // [n, d_k]
    project(x, w.w_k, w.b_k, h, d_k, k + first, config.packed_gemm, s, all_heads[1]);  // [n, d_k]
    project(x, w.w_v, w.b_v, h, d_k, v + first, config.packed_gemm, s, all_heads[2]);  // [n, d_k]
    resize_keeping_rows(head.output, reuse, T, d_k);

    // kᵀ and v packed once per head (all T rows); then the new rows block by block:
    // scores, softmax and weights·v while the block's rows are still in cache.
    float* packed_kt = s.get(s.packed_kt, kernels::packed_size(d_k, T));
    float* packed_v = s.get(s.packed_v, kernels::packed_size(T, d_k));
    kernels::pack_bt(k, d_k, d_k, T, packed_kt);
    kernels::pack_b(v, d_k, T, d_k, packed_v);
    const bool skip = causal && config.causal_skip;
    for (int i0 = reuse; i0 < T; i0 += block) {
      const int rows = std::min(block, T - i0);
      const size_t at = store_matrices ? size_t(i0) * T : 0;
      float* s_rows = scores + at;
      float* sc_rows = scaled ? scaled + at : nullptr;
      float* w_rows = weights + at;
      kernels::gemm_packed(rows, T, d_k, q + size_t(i0) * d_k, d_k, packed_kt, s_rows, T,
                           skip ? kernels::Causal::limit_n : kernels::Causal::none, i0);
      if (config.fused_softmax)
        kernels::scale_softmax_rows(s_rows, T, sc_rows, T, w_rows, T, rows, i0, T, scale, causal);
      else
        unfused_softmax_rows(s_rows, sc_rows, w_rows, T, rows, i0, T, scale, causal);
      kernels::gemm_packed(rows, d_k, T, w_rows, T, packed_v, head.output.data() + size_t(i0) * d_k,
                           d_k, skip ? kernels::Causal::limit_k : kernels::Causal::none, i0);
    }
    if (ablation) apply_head_ablation((*ablation)[h], head.output.bottomRows(n));
    // A column offset into an empty (null) concat is undefined behaviour (clang's UBSan).
    if (n > 0) trace.concat.block(reuse, h * d_k, n, d_k) = head.output.bottomRows(n);
  }
  resize_keeping_rows(trace.output, reuse, T, d);
  float* out = trace.output.data() + size_t(reuse) * d;
  const float* concat = trace.concat.data() + size_t(reuse) * d;
  if (config.packed_gemm && projection_reads_weight_in_place(n, d))
    kernels::gemm_b_in_place(n, d, d, concat, d, w.w_o.data(), d, out, d);
  else if (config.packed_gemm)
    kernels::gemm(n, d, d, concat, d, w.w_o.data(), d, out, d);
  else
    Eigen::Map<Matrix>(out, n, d).noalias() = Eigen::Map<const Matrix>(concat, n, d) * w.w_o;
  add_bias(Eigen::Map<Matrix>(out, n, d), w.b_o);
}

}  // namespace llmsim
