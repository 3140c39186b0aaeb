// Matrix types shared by the core: row-major float, so a [T, d] matrix is T rows
// laid out one after another, the layout the page reads through typed arrays.
#pragma once
#include <algorithm>

#include <Eigen/Dense>

namespace llmsim {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// Resizes m to rows × cols, keeping the entries of its first `keep` rows that are
// still inside (an incremental forward pass extends a Trace's matrices this way).
// Every other entry is 0, so a kept row's new columns read as masked.
inline void resize_keeping_rows(Matrix& m, int keep, int rows, int cols) {
  const int old_cols = int(m.cols());
  keep = std::min(keep, int(m.rows()));
  if (keep == 0) {
    m.setZero(rows, cols);
    return;
  }
  m.conservativeResize(rows, cols);
  if (cols > old_cols) m.topRightCorner(keep, cols - old_cols).setZero();
  m.bottomRows(rows - keep).setZero();
}

}  // namespace llmsim
