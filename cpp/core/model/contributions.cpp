#include "model/contributions.hpp"

#include "error.hpp"

namespace llmsim {

void contribution_forward(const Matrix& w_o, LayerTrace& layer, int reuse) {
  const int n_head = int(layer.heads.size()), d_model = int(w_o.rows());
  if (n_head == 0) return;
  const int d_k = d_model / n_head;
  for (int h = 0; h < n_head; ++h) {
    HeadTrace& head = layer.heads[h];
    const int T = int(head.weights.rows());
    if (head.v.rows() != T || head.v.cols() != d_k || reuse > T)
      throw Error("contributions: the trace does not hold this head's values and weights");
    // rows kept only if an earlier pass left them (else all are computed)
    const int kept = head.value_norms.size() >= reuse && head.contributions.rows() >= reuse ? reuse : 0;
    const int n = T - kept;  // n new rows of T
    // 1. f(x_j) = v_j · W_O^h for the new keys, and its length   [n, d_model] -> [n]
    head.value_norms.conservativeResize(T);
    if (n > 0)
      head.value_norms.tail(n) = (head.v.bottomRows(n) * w_o.middleRows(h * d_k, d_k)).rowwise().norm();
    // 2. contribution_ij = α_ij · ‖f(x_j)‖, each new row normalised to sum 1   [n, T]
    resize_keeping_rows(head.contributions, kept, T, T);
    for (int i = kept; i < T; ++i) {
      auto row = head.contributions.row(i);
      row = head.weights.row(i).cwiseProduct(head.value_norms.transpose());
      const float sum = row.sum();
      if (sum > 0) row /= sum;
    }
  }
}

}  // namespace llmsim
