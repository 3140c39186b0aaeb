// Test support: finite-difference checks of analytic gradients, for the backward
// functions of gpt_ops.hpp and gpt_ops_simd.hpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>

#include "matrix.hpp"

namespace llmsim {

inline double dot_sum(const Matrix& a, const Matrix& r) {
  double s = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) s += double(a.data()[i]) * r.data()[i];
  return s;
}

struct GradCheck {
  double worst_error = 0;  // max of |fd − analytic| / (atol + rtol·max(|fd|, |analytic|))
  int checked = 0;
};

// Compares analytic[i] with (f(x + eps·e_i) − f(x − eps·e_i)) / 2eps for every i (or
// every `stride`-th), perturbing values[i] in place and restoring it.
inline GradCheck check_gradient(float* values, const float* analytic, size_t n,
                                const std::function<double()>& f, double eps = 1e-2,
                                double atol = 2e-3, double rtol = 2e-2, size_t stride = 1) {
  GradCheck result;
  for (size_t i = 0; i < n; i += stride) {
    const float saved = values[i];
    values[i] = float(saved + eps);
    const double up = f();
    values[i] = float(saved - eps);
    const double down = f();
    values[i] = saved;
    const double fd = (up - down) / (2 * eps);
    const double a = analytic[i];
    const double error = std::abs(fd - a) / (atol + rtol * std::max(std::abs(fd), std::abs(a)));
    result.worst_error = std::max(result.worst_error, error);
    ++result.checked;
  }
  return result;
}

}  // namespace llmsim
