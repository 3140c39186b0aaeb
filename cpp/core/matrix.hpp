// Matrix types shared by the core: row-major float, so a [T, d] matrix is T rows
// laid out one after another, the layout the page reads through typed arrays.
#pragma once
#include <algorithm>

#include <Eigen/Dense>

namespace llmsim {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// Copies n floats with a plain loop, never a call to memcpy: Emscripten 3.1.6's memcpy
// hands every copy of 512 bytes or more to JavaScript (emscripten_memcpy_big), a round
// trip that costs more than a row of a few hundred floats takes to copy. (So the loop
// must not be turned back into memcpy by the compiler either; clang vectorises it.)
#if defined(__clang__)
__attribute__((no_builtin("memcpy")))
#endif
inline void copy_floats(const float* from, size_t n, float* to) {
  for (size_t i = 0; i < n; ++i) to[i] = from[i];
}

// Resizes m to rows × cols, keeping the entries of its first `keep` rows that are
// still inside (an incremental forward pass extends a Trace's matrices this way).
// Every other entry is 0, so a kept row's new columns read as masked.
inline void resize_keeping_rows(Matrix& m, int keep, int rows, int cols) {
  const int old_cols = int(m.cols());
  keep = std::min({keep, int(m.rows()), rows});
  if (keep == 0) {
    m.resize(rows, cols);
    std::fill(m.data(), m.data() + m.size(), 0.0f);
    return;
  }
  if (cols == old_cols) {
    m.conservativeResize(rows, cols);  // the same rows, more or fewer of them: a realloc
  } else {
    // Every kept row moves to the new stride: a keystroke that adds a token moves every
    // head's three [T, T] matrices (432 of them, 28 MB, at GPT-2's size and 128 tokens).
    // Eigen's block copy called memcpy per row (copy_floats says why that is slow).
    Matrix grown(rows, cols);
    const int common = std::min(cols, old_cols);
    for (int i = 0; i < keep; ++i) {
      float* row = grown.data() + size_t(i) * cols;
      copy_floats(m.data() + size_t(i) * old_cols, size_t(common), row);
      std::fill(row + common, row + cols, 0.0f);
    }
    m.swap(grown);
  }
  std::fill(m.data() + size_t(keep) * cols, m.data() + m.size(), 0.0f);
}

}  // namespace llmsim
