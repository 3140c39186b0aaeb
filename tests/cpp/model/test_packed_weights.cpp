// The forward pass without repacking weights per run: the unembedding with wte read in
// place (logitsᵀ = wte·xᵀ, written transposed), and the MLP's matrices packed once
// (PackedWeight, pack_mlp_weights). Each must give the bits of the path it replaces
// (pack per call, then the same kernel) and Eigen's values within float rounding, at
// shapes that leave partial tiles: N = 1, 7, 37 rows, V and out no multiple of 8.
#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

#include "error_of.hpp"
#include "model/attention_simd.hpp"
#include "model/gpt.hpp"
#include "model/gpt_ops.hpp"
#include "model/gpt_ops_simd.hpp"
#include "random_gpt.hpp"
#include "rng.hpp"
#include "simd/kernels.hpp"

using namespace llmsim;
namespace k = llmsim::kernels;

namespace {

bool same_bits(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data());
}

float max_abs_diff(const Matrix& a, const Matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return a.size() ? (a - b).cwiseAbs().maxCoeff() : 0.0f;
}

// The unembedding as it was: wteᵀ packed as the right-hand side on every call.
Matrix logits_packing_wte(const Matrix& x, const Matrix& wte) {
  const int N = int(x.rows()), C = int(x.cols()), V = int(wte.rows());
  std::vector<float> packed(k::packed_size(C, V));
  k::pack_bt(wte.data(), C, C, V, packed.data());
  Matrix logits(N, V);
  k::gemm_packed(N, V, C, x.data(), C, packed.data(), logits.data(), V);
  return logits;
}

}  // namespace

TEST_CASE("the unembedding reads wte in place: the bits of packing it, Eigen's values") {
  Rng rng(41);
  for (int V : {45, 259})
    for (int C : {13, 300})  // 300: deeper than one depth block (kc 256)
      for (int N : {1, 7, 37}) {
        const Matrix x = rng.normal_matrix(N, C, 1.0f), wte = rng.normal_matrix(V, C, 0.5f);
        // logits as a view with a wider row stride: the store must honour it
        Matrix wide = Matrix::Constant(N, V + 3, 12345.0f);
        unembedding_forward_simd(x, wte, wide.leftCols(V));
        Matrix eigen(N, V);
        eigen.noalias() = x * wte.transpose();
        INFO("V " << V << " C " << C << " N " << N);
        CHECK(same_bits(wide.leftCols(V), logits_packing_wte(x, wte)));
        CHECK(max_abs_diff(wide.leftCols(V), eigen) < 1e-4f);
        CHECK((wide.rightCols(3).array() == 12345.0f).all());
      }
}
