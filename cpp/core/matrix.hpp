// Matrix types shared by the core: row-major float, so a [T, d] matrix is T rows
// laid out one after another, the layout the page reads through typed arrays.
#pragma once
#include <Eigen/Dense>

namespace llmsim {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

}  // namespace llmsim
