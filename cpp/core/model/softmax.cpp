#include "model/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "error.hpp"

namespace llmsim {

void softmax_row(const float* in, float* out, int n, int visible) {
  visible = std::clamp(visible, 0, n);
  // pass 1: the row max, so that no exp() below can overflow
  float max = -std::numeric_limits<float>::infinity();
  for (int j = 0; j < visible; ++j) max = std::max(max, in[j]);
  std::fill(out, out + n, 0.0f);
  if (!(max > -std::numeric_limits<float>::infinity())) return;  // all masked (or NaN)
  // pass 2: exp(in − max) and their sum
  double sum = 0.0;  // double: rows of a few thousand entries keep their last bits
  for (int j = 0; j < visible; ++j) {
    const float e = std::exp(in[j] - max);  // exp(-inf) is exactly 0 in scalar code
    out[j] = e;
    sum += e;
  }
  // pass 3: normalise
  const float inv = float(1.0 / sum);  // sum >= 1: the max entry contributes exp(0)
  for (int j = 0; j < visible; ++j) out[j] *= inv;
}


double row_log_sum_exp(const Eigen::Ref<const RowVector>& row) {
  const double max = row.maxCoeff();
  double z = 0;
  for (int v = 0; v < row.size(); ++v) z += std::exp(double(row(v)) - max);
  return max + std::log(z);
}

double next_token_loss(const Matrix& logits, const std::vector<double>& log_sum_exp,
                       const std::vector<int>& ids) {
  const int T = int(ids.size());
  if (T < 2) throw Error("the loss needs at least 2 tokens: one to read, one to predict");
  if (logits.rows() != T || int(log_sum_exp.size()) != T)
    throw Error("next_token_loss: logits, their log-sum-exps and ids disagree on T");
  double sum = 0;
  // -log softmax(logits[t])[ids[t+1]], as log-sum-exp minus the target logit
  for (int t = 0; t + 1 < T; ++t) sum += log_sum_exp[size_t(t)] - double(logits(t, ids[t + 1]));
  return sum / (T - 1);
}

double next_token_loss(const Matrix& logits, const std::vector<int>& ids) {
  std::vector<double> log_sum_exp(size_t(logits.rows()));
  for (int t = 0; t < int(logits.rows()); ++t) log_sum_exp[size_t(t)] = row_log_sum_exp(logits.row(t));
  return next_token_loss(logits, log_sum_exp, ids);
}

}  // namespace llmsim
