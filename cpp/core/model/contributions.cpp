#include "model/contributions.hpp"

#include "error.hpp"
#include "simd/kernels.hpp"

namespace llmsim {

void contribution_forward(const Matrix& w_o, LayerTrace& layer, int reuse) {
  const int n_head = int(layer.heads.size()), d_model = int(w_o.rows());
  if (n_head == 0) return;
  const int d_k = d_model / n_head;
#ifdef __wasm_simd128__
  Matrix f;  // f(x_j) for a head's new keys; freed on return, so no run leaves memory behind
#endif
  for (int h = 0; h < n_head; ++h) {
    HeadTrace& head = layer.heads[h];
    const int T = int(head.weights.rows());
    if (head.v.rows() != T || head.v.cols() != d_k || reuse > T)
      throw Error("contributions: the trace does not hold this head's values and weights");
    // rows kept only if an earlier pass left them (else all are computed)
    const int kept = head.value_norms.size() >= reuse && head.contributions.rows() >= reuse ? reuse : 0;
    // 1. f(x_j) = v_j · W_O^h for each new key, and its length   [d_model] -> scalar.
    // A row gets the same bits however many rows a pass computes (the KV cache must
    // match a full pass exactly): row by row in Eigen; in WASM all new rows in one
    // product on the SIMD kernel, whose rows have that property too (a keystroke's few
    // rows read W_O once instead of through Eigen's scalar loop, 2.6 ms of a GPT-2
    // small keystroke's 42).
    const auto w_o_head = w_o.middleRows(h * d_k, d_k);  // [d_k, d_model]
    head.value_norms.conservativeResize(T);
#ifdef __wasm_simd128__
    if (T > kept && d_model % kernels::kPanelWidth == 0) {
      f.resize(T - kept, d_model);  // [new keys, d_model]
      kernels::gemm_b_in_place(T - kept, d_model, d_k, head.v.data() + size_t(kept) * d_k, d_k,
                               w_o_head.data(), d_model, f.data(), d_model);
      for (int j = kept; j < T; ++j) head.value_norms(j) = f.row(j - kept).norm();
    } else
#endif
    for (int j = kept; j < T; ++j) head.value_norms(j) = (head.v.row(j) * w_o_head).norm();
    // 2. contribution_ij = α_ij · ‖f(x_j)‖, each new row normalised to sum 1   [T − kept, T]
    resize_keeping_rows(head.contributions, kept, T, T);
    for (int i = kept; i < T; ++i) {
      // in key order over the row's whole width, so the sum does not depend on T either
      float sum = 0;
      for (int j = 0; j < T; ++j) sum += head.contributions(i, j) = head.weights(i, j) * head.value_norms(j);
      if (sum > 0)
        for (int j = 0; j < T; ++j) head.contributions(i, j) /= sum;
    }
  }
}

}  // namespace llmsim
