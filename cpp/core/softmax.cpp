#include "softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llmsim {

void softmax_row(const float* in, float* out, int n, int visible) {
  visible = std::clamp(visible, 0, n);
  float max = -std::numeric_limits<float>::infinity();
  for (int j = 0; j < visible; ++j) max = std::max(max, in[j]);
  std::fill(out, out + n, 0.0f);
  if (!(max > -std::numeric_limits<float>::infinity())) return;  // all masked (or NaN)
  double sum = 0.0;  // double: rows of a few thousand entries keep their last bits
  for (int j = 0; j < visible; ++j) {
    const float e = std::exp(in[j] - max);  // exp(-inf) is exactly 0 in scalar code
    out[j] = e;
    sum += e;
  }
  const float inv = float(1.0 / sum);  // sum >= 1: the max entry contributes exp(0)
  for (int j = 0; j < visible; ++j) out[j] *= inv;
}

}  // namespace llmsim
