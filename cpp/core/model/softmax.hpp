// Numerically stable softmax over the visible prefix of a row, and its partner in
// training and evaluation: the next-token cross-entropy, via log-sum-exp.
#pragma once
#include <vector>

#include "matrix.hpp"

namespace llmsim {

// out[j] = exp(in[j] - max) / sum over the first `visible` entries; entries at
// j >= visible, and entries equal to -inf, are masked and get exactly 0. A row
// with nothing visible gives all zeros, never NaN.
void softmax_row(const float* in, float* out, int n, int visible);

// Mean next-token cross-entropy in nats: position t predicts ids[t + 1], t = 0..T-2.
// logits: [T, V]. Error when T < 2 (nothing to predict).
double next_token_loss(const Matrix& logits, const std::vector<int>& ids);
// The same from each row's log-sum-exp (Trace::log_sum_exp), already computed.
double next_token_loss(const Matrix& logits, const std::vector<double>& log_sum_exp,
                       const std::vector<int>& ids);
// log Σ exp(row), in double, shifted by the row's maximum so it cannot overflow.
double row_log_sum_exp(const Eigen::Ref<const RowVector>& row);

}  // namespace llmsim
