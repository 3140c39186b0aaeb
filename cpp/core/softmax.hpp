// Numerically stable softmax over the visible prefix of a row.
#pragma once
#include "matrix.hpp"

namespace llmsim {

// out[j] = exp(in[j] - max) / sum over the first `visible` entries; entries at
// j >= visible, and entries equal to -inf, are masked and get exactly 0. A row
// with nothing visible gives all zeros, never NaN.
void softmax_row(const float* in, float* out, int n, int visible);

}  // namespace llmsim
