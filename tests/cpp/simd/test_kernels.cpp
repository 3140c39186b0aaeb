// The SIMD128 kernels (run here on simd128.hpp's lane-exact stand-in) against plain
// loops, at sizes that leave partial tiles on every edge.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "error.hpp"
#include "model/attention.hpp"
#include "model/attention_simd.hpp"
#include "model/softmax.hpp"
#include "rng.hpp"
#include "simd/kernels.hpp"

using namespace llmsim;
namespace k = llmsim::kernels;

namespace {

// Restores the blocking after a test changes it.
struct ConfigGuard {
  k::GemmConfig saved = k::gemm_config();
  ~ConfigGuard() { k::gemm_config() = saved; }
};

std::vector<float> random_floats(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(rng.normal());
  return v;
}

// C = A·B by the textbook triple loop, in double.
std::vector<float> reference_gemm(int M, int N, int K, const float* A, int lda, const float* B,
                                  int ldb) {
  std::vector<float> C(size_t(M) * N);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double sum = 0;
      for (int p = 0; p < K; ++p) sum += double(A[i * lda + p]) * B[p * ldb + j];
      C[i * N + j] = float(sum);
    }
  return C;
}

}  // namespace

TEST_CASE("gemm_packed equals the triple loop for every tile height, blocking and edge") {
  ConfigGuard guard;
  const int M = 23, N = 37, K = 45, lda = 50, ldb = 41, ldc = 39;
  const auto A = random_floats(size_t(M) * lda, 1);
  const auto B = random_floats(size_t(K) * ldb, 2);
  const auto expected = reference_gemm(M, N, K, A.data(), lda, B.data(), ldb);
  for (int mr = 1; mr <= 6; ++mr)
    for (int mc : {1, 7, 64})
      for (int kc : {1, 16, 256}) {
        k::gemm_config() = {mr, mc, kc};
        std::vector<float> C(size_t(M) * ldc, 12345.0f);  // padding must stay untouched
        k::gemm(M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc);
        float worst = 0;
        for (int i = 0; i < M; ++i)
          for (int j = 0; j < ldc; ++j) {
            if (j < N)
              worst = std::max(worst, std::abs(C[i * ldc + j] - expected[i * N + j]));
            else
              REQUIRE(C[i * ldc + j] == 12345.0f);
          }
        INFO("mr " << mr << " mc " << mc << " kc " << kc);
        CHECK(worst < 1e-4f);
      }
}

TEST_CASE("pack_bt packs the transpose: A·Btᵀ") {
  const int M = 9, N = 13, K = 11;
  const auto A = random_floats(size_t(M) * K, 3);
  const auto Bt = random_floats(size_t(N) * K, 4);  // [N, K]
  std::vector<float> B(size_t(K) * N);
  for (int j = 0; j < N; ++j)
    for (int p = 0; p < K; ++p) B[p * N + j] = Bt[j * K + p];
  std::vector<float> packed(k::packed_size(K, N)), C(size_t(M) * N);
  k::pack_bt(Bt.data(), K, K, N, packed.data());
  k::gemm_packed(M, N, K, A.data(), K, packed.data(), C.data(), N);
  const auto expected = reference_gemm(M, N, K, A.data(), K, B.data(), N);
  for (size_t i = 0; i < C.size(); ++i) CHECK(C[i] == Approx(expected[i]).margin(1e-5));
}

TEST_CASE("gemm_packed_ct writes gemm_packed's product transposed, bit for bit, on odd shapes") {
  // Cᵀ = A·B as logitsᵀ = wte·xᵀ: M plays V (45: groups of 16 rows, of 4 and one row
  // left over for N = 1's own path), N the tokens (1, 7, 12, 37: one partial panel, or
  // several; 1 and 12 end on a panel of at most 4 columns, the half-width tile), K
  // deeper than one depth block for some kc (6: blocks that are not a multiple of 4).
  // A keystroke's one or two columns (N = 1, 2: a path of their own) must have the bits
  // the same columns have in a full run's many: Bt's first rows are the same for every N
  // (the same seed), so N = 1's and 2's logits are checked against the first rows of
  // every larger N's.
  ConfigGuard guard;
  const int M = 45, K = 70, lda = 73;
  const auto A = random_floats(size_t(M) * lda, 21);
  std::map<std::pair<int, int>, std::vector<float>> one_column, two_columns;  // (mr, kc) -> Ct
  for (int N : {1, 2, 7, 12, 37}) {
    const int ldct = M + 3;  // Ct [N, M] with padding that must stay untouched
    const auto Bt = random_floats(size_t(N) * K, 22);  // B = Btᵀ [K, N], packed by pack_bt
    std::vector<float> packed(k::packed_size(K, N));
    k::pack_bt(Bt.data(), K, K, N, packed.data());
    for (int mr = 1; mr <= 6; ++mr)
      for (int kc : {6, 16, 256}) {
        k::gemm_config() = {mr, 16, kc};
        std::vector<float> C(size_t(M) * N), Ct(size_t(N) * ldct, 12345.0f);
        k::gemm_packed(M, N, K, A.data(), lda, packed.data(), C.data(), N);
        k::gemm_packed_ct(M, N, K, A.data(), lda, packed.data(), Ct.data(), ldct);
        INFO("N " << N << " mr " << mr << " kc " << kc);
        for (int j = 0; j < N; ++j)
          for (int i = 0; i < ldct; ++i)
            REQUIRE(Ct[size_t(j) * ldct + i] == (i < M ? C[size_t(i) * N + j] : 12345.0f));
        if (N == 1) one_column[{mr, kc}] = Ct;
        if (N == 2) two_columns[{mr, kc}] = Ct;
        REQUIRE(std::equal(Ct.begin(), Ct.begin() + ldct, one_column.at({mr, kc}).begin()));
        if (N >= 2)
          REQUIRE(std::equal(Ct.begin(), Ct.begin() + 2 * ldct, two_columns.at({mr, kc}).begin()));
      }
  }
}

TEST_CASE("gemm_b_in_place gives gemm's bits without packing B; a width not of whole panels is refused") {
  ConfigGuard guard;
  const int K = 70, lda = 71, ldb = 45;  // B [K, 40] inside rows of 45: a strided view
  const auto B = random_floats(size_t(K) * ldb, 23);
  for (int M : {1, 7, 37})
    for (int N : {8, 40})
      for (int mr : {1, 5, 6})
        for (int kc : {16, 256}) {
          k::gemm_config() = {mr, 16, kc};
          const auto A = random_floats(size_t(M) * lda, 24);
          const int ldc = N + 2;
          std::vector<float> expected(size_t(M) * ldc, 12345.0f), C(size_t(M) * ldc, 12345.0f);
          k::gemm(M, N, K, A.data(), lda, B.data(), ldb, expected.data(), ldc);
          k::gemm_b_in_place(M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc);
          INFO("M " << M << " N " << N << " mr " << mr << " kc " << kc);
          REQUIRE(C == expected);  // the padding columns too
        }
  std::vector<float> C(7 * 12);
  CHECK_THROWS_AS(k::gemm_b_in_place(7, 12, K, B.data(), ldb, B.data(), ldb, C.data(), 12), Error);
}

TEST_CASE("a few rows alone (a keystroke's) have the bits they have inside a many-row product") {
  // The KV cache computes a keystroke's new rows (one to a few) alone where a full run
  // computed them in tiles of several rows: the two must agree bit for bit, packed or in place,
  // overwriting or accumulating, with whole groups of panels, a partial panel and a
  // half-width one, and depth in one block or several.
  ConfigGuard guard;
  const int M = 11, K = 70, lda = 73;
  const auto A = random_floats(size_t(M) * lda, 31);
  for (int N : {8, 40, 64, 72, 77, 100})
    for (int mr : {1, 5, 6})
      for (int kc : {16, 256}) {
        k::gemm_config() = {mr, 64, kc};
        const int ldb = N + 3, ldc = N + 2;
        const auto B = random_floats(size_t(K) * ldb, 32);
        std::vector<float> packed(k::packed_size(K, N));
        k::pack_b(B.data(), ldb, K, N, packed.data());
        const auto C0 = random_floats(size_t(M) * ldc, 33);
        for (k::Store store : {k::Store::overwrite, k::Store::accumulate}) {
          auto all = C0;
          k::gemm_packed(M, N, K, A.data(), lda, packed.data(), all.data(), ldc, k::Causal::none, 0, store);
          for (int rows : {1, 2, 3, 4})
            for (int i : {0, 4, M - rows}) {
              INFO("N " << N << " mr " << mr << " kc " << kc << " rows " << i << "+" << rows
                        << " accumulate " << (store == k::Store::accumulate));
              std::vector<float> few(C0.begin() + i * ldc, C0.begin() + (i + rows) * ldc);
              k::gemm_packed(rows, N, K, A.data() + i * lda, lda, packed.data(), few.data(), ldc,
                             k::Causal::none, 0, store);
              REQUIRE(std::equal(few.begin(), few.end(), all.begin() + i * ldc));  // padding too
              if (N % k::kPanelWidth == 0 && store == k::Store::overwrite) {
                std::vector<float> in_place(C0.begin() + i * ldc, C0.begin() + (i + rows) * ldc);
                k::gemm_b_in_place(rows, N, K, A.data() + i * lda, lda, B.data(), ldb, in_place.data(), ldc);
                REQUIRE(in_place == few);
              }
            }
        }
      }
}

TEST_CASE("causal limits: limit_n fills every column up to the diagonal, limit_k is exact") {
  ConfigGuard guard;
  const int T = 29, K = 10;
  for (int mr : {1, 4, 5}) {
    k::gemm_config() = {mr, 8, 4};
    const auto A = random_floats(size_t(T) * K, 5);
    const auto Bt = random_floats(size_t(T) * K, 6);
    std::vector<float> packed(k::packed_size(K, T)), C(size_t(T) * T, 0.0f);
    k::pack_bt(Bt.data(), K, K, T, packed.data());
    // Two row blocks, the second starting at global row 13.
    k::gemm_packed(13, T, K, A.data(), K, packed.data(), C.data(), T, k::Causal::limit_n, 0);
    k::gemm_packed(T - 13, T, K, A.data() + 13 * K, K, packed.data(), C.data() + 13 * T, T,
                   k::Causal::limit_n, 13);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) {
        double dot = 0;
        for (int p = 0; p < K; ++p) dot += double(A[i * K + p]) * Bt[j * K + p];
        REQUIRE(C[i * T + j] == Approx(dot).margin(1e-5));
      }

    // limit_k: a lower-triangular A times B, only the visible depth read.
    auto L = random_floats(size_t(T) * T, 7);
    for (int i = 0; i < T; ++i)
      for (int j = i + 1; j < T; ++j) L[i * T + j] = 0;
    const auto V = random_floats(size_t(T) * K, 8);
    std::vector<float> packed_v(k::packed_size(T, K)), out(size_t(T) * K);
    k::pack_b(V.data(), K, T, K, packed_v.data());
    k::gemm_packed(T, K, T, L.data(), T, packed_v.data(), out.data(), K, k::Causal::limit_k, 0);
    const auto expected = reference_gemm(T, K, T, L.data(), T, V.data(), K);
    for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == Approx(expected[i]).margin(1e-5));
  }
}

namespace {

// The [rows, cols] transpose of a [cols, rows] matrix with row stride ld.
std::vector<float> transposed(const std::vector<float>& m, int rows, int cols, int ld) {
  std::vector<float> t(size_t(rows) * cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) t[size_t(i) * cols + j] = m[size_t(j) * ld + i];
  return t;
}

// Shapes that leave partial tiles, panels and depth blocks, and the degenerate ones.
struct Shape {
  int M, N, K;
};
const Shape kAwkwardShapes[] = {{23, 37, 45}, {1, 9, 7}, {13, 1, 5}, {6, 8, 1},
                                {5, 17, 300}, {7, 3, 0}, {64, 16, 128}};

}  // namespace

TEST_CASE("Store::accumulate adds A·B to C (both operand layouts, awkward sizes, every blocking)") {
  ConfigGuard guard;
  for (const Shape& s : kAwkwardShapes)
    for (bool transposed_a : {false, true})
      for (int mr : {1, 5, 6})
        for (int kc : {1, 16, 256}) {
          k::gemm_config() = {mr, 7 * mr, kc};
          const int lda = transposed_a ? s.M + 3 : s.K + 2, ldb = s.N + 1, ldc = s.N + 5;
          // A [M, K], or At [K, M] with row stride lda
          const auto a = random_floats(size_t(transposed_a ? s.K : s.M) * lda + 1, 21);
          const auto B = random_floats(size_t(s.K) * ldb + 1, 22);
          const auto A = transposed_a ? transposed(a, s.M, s.K, lda) : a;
          const int lda_plain = transposed_a ? s.K : lda;
          const auto product = reference_gemm(s.M, s.N, s.K, A.data(), lda_plain, B.data(), ldb);
          const auto C0 = random_floats(size_t(s.M) * ldc, 23);
          std::vector<float> packed(k::packed_size(s.K, s.N) + 1);
          k::pack_b(B.data(), ldb, s.K, s.N, packed.data());
          for (k::Store store : {k::Store::overwrite, k::Store::accumulate}) {
            auto C = C0;
            if (transposed_a)
              k::gemm_packed_at(s.M, s.N, s.K, a.data(), lda, packed.data(), C.data(), ldc,
                                k::Causal::none, 0, store);
            else
              k::gemm_packed(s.M, s.N, s.K, a.data(), lda, packed.data(), C.data(), ldc,
                             k::Causal::none, 0, store);
            INFO("M " << s.M << " N " << s.N << " K " << s.K << " transposed A " << transposed_a
                      << " mr " << mr << " kc " << kc << " accumulate "
                      << (store == k::Store::accumulate));
            float worst = 0;
            for (int i = 0; i < s.M; ++i)
              for (int j = 0; j < ldc; ++j) {
                const float c = C[size_t(i) * ldc + j], c0 = C0[size_t(i) * ldc + j];
                if (j >= s.N) {
                  REQUIRE(c == c0);  // padding untouched
                  continue;
                }
                const float base = store == k::Store::accumulate ? c0 : 0.0f;
                worst = std::max(worst, std::abs(c - (base + product[size_t(i) * s.N + j])));
              }
            CHECK(worst < 1e-4f * std::max(1, s.K / 16));
          }
        }
}

TEST_CASE("causal depth limits with a transposed or accumulated left operand are exact") {
  ConfigGuard guard;
  const int T = 29, D = 10;
  // L [T, T] lower-triangular (a causal weights matrix), V [T, D]
  auto L = random_floats(size_t(T) * T, 24);
  for (int i = 0; i < T; ++i)
    for (int j = i + 1; j < T; ++j) L[size_t(i) * T + j] = 0;
  const auto V = random_floats(size_t(T) * D, 25);
  std::vector<float> packed(k::packed_size(T, D));
  k::pack_b(V.data(), D, T, D, packed.data());
  const auto Lt = transposed(L, T, T, T);  // upper-triangular
  const auto lower = reference_gemm(T, D, T, L.data(), T, V.data(), D);
  const auto upper = reference_gemm(T, D, T, Lt.data(), T, V.data(), D);
  for (int mr : {1, 4, 5})
    for (int kc : {3, 256}) {
      k::gemm_config() = {mr, 8, kc};
      const auto C0 = random_floats(size_t(T) * D, 26);
      // Lᵀ·V from L in place, depth from each tile's first row (from_k), in two row
      // blocks the second of which starts at row 13; overwrite and accumulate.
      for (k::Store store : {k::Store::overwrite, k::Store::accumulate}) {
        auto C = C0;
        k::gemm_packed_at(13, D, T, L.data(), T, packed.data(), C.data(), D, k::Causal::from_k, 0,
                          store);
        k::gemm_packed_at(T - 13, D, T, L.data() + 13, T, packed.data(), C.data() + 13 * D, D,
                          k::Causal::from_k, 13, store);
        const bool add = store == k::Store::accumulate;
        for (size_t i = 0; i < C.size(); ++i)
          REQUIRE(C[i] == Approx((add ? C0[i] : 0.0f) + upper[i]).margin(1e-5));
      }
      // L·V accumulated, depth up to each tile's last row (limit_k).
      auto C = C0;
      k::gemm_packed(T, D, T, L.data(), T, packed.data(), C.data(), D, k::Causal::limit_k, 0,
                     k::Store::accumulate);
      for (size_t i = 0; i < C.size(); ++i) REQUIRE(C[i] == Approx(C0[i] + lower[i]).margin(1e-5));
    }
}

TEST_CASE("softmax_backward_rows equals the softmax Jacobian's product, 0 past the mask") {
  const int T = 19, ld_w = 21, ld_d = 23;
  const float scale = 0.37f;
  for (bool causal : {true, false}) {
    auto w = random_floats(size_t(T) * ld_w, 27);
    for (float& x : w) x = std::abs(x);  // any weights: the formula does not need a softmax
    const auto d0 = random_floats(size_t(T) * ld_d, 28);
    auto d = d0;
    // Rows 0..6 and 7..18 as two blocks.
    k::softmax_backward_rows(w.data(), ld_w, d.data(), ld_d, 7, 0, T, scale, causal);
    k::softmax_backward_rows(w.data() + 7 * ld_w, ld_w, d.data() + 7 * ld_d, ld_d, T - 7, 7, T,
                             scale, causal);
    for (int i = 0; i < T; ++i) {
      const int visible = causal ? i + 1 : T;
      double dot = 0;
      for (int j = 0; j < visible; ++j) dot += double(w[i * ld_w + j]) * d0[i * ld_d + j];
      for (int j = 0; j < ld_d; ++j) {
        const float got = d[i * ld_d + j];
        if (j >= T)
          REQUIRE(got == d0[i * ld_d + j]);  // padding untouched
        else if (j >= visible)
          REQUIRE(got == 0.0f);
        else
          REQUIRE(got == Approx(scale * w[i * ld_w + j] * (d0[i * ld_d + j] - dot)).margin(1e-5));
      }
    }
  }
}

TEST_CASE("exp_vec is within a few ulp of std::exp and exactly 0 at -inf") {
  std::vector<float> in;
  for (float x = -90.0f; x <= 10.0f; x += 0.0137f) in.push_back(x);
  in.push_back(0.0f);
  in.push_back(-std::numeric_limits<float>::infinity());
  std::vector<float> out(in.size());
  k::exp_vec(in.data(), out.data(), int(in.size()));
  for (size_t i = 0; i < in.size(); ++i) {
    const float expected = std::exp(in[i]);
    if (in[i] < -87.0f) {
      CHECK(out[i] < 1e-37f);
      CHECK(std::isfinite(out[i]));
    } else {
      INFO("x = " << in[i]);
      CHECK(std::abs(out[i] - expected) <= 4e-7f * expected);
    }
  }
  CHECK(out[in.size() - 2] == 1.0f);
  CHECK(out.back() == 0.0f);
}

TEST_CASE("fused scale + mask + softmax equals softmax_row on the scaled row") {
  const int T = 19, ld = 23;
  const float scale = 0.37f;
  for (bool causal : {true, false}) {
    auto scores = random_floats(size_t(T) * ld, 9);
    scores[5 * ld + 2] = -std::numeric_limits<float>::infinity();  // a visible -inf
    auto original = scores;
    std::vector<float> scaled(size_t(T) * ld, 9.0f), weights(size_t(T) * ld, 9.0f);
    // Rows 0..6 and 7..18 as two blocks.
    k::scale_softmax_rows(scores.data(), ld, scaled.data(), ld, weights.data(), ld, 7, 0, T, scale,
                          causal);
    k::scale_softmax_rows(scores.data() + 7 * ld, ld, scaled.data() + 7 * ld, ld,
                          weights.data() + 7 * ld, ld, T - 7, 7, T, scale, causal);
    for (int i = 0; i < T; ++i) {
      const int visible = causal ? i + 1 : T;
      std::vector<float> row(T), expected(T);
      for (int j = 0; j < T; ++j) row[j] = scale * original[i * ld + j];
      softmax_row(row.data(), expected.data(), T, visible);
      for (int j = 0; j < T; ++j) {
        if (j < visible) {
          REQUIRE(scores[i * ld + j] == original[i * ld + j]);
          REQUIRE(scaled[i * ld + j] == row[j]);
          REQUIRE(weights[i * ld + j] == Approx(expected[j]).margin(1e-6));
        } else {
          REQUIRE(scores[i * ld + j] == 0.0f);
          REQUIRE(scaled[i * ld + j] == 0.0f);
          REQUIRE(weights[i * ld + j] == 0.0f);
        }
      }
      for (int j = T; j < ld; ++j) REQUIRE(weights[i * ld + j] == 9.0f);  // padding untouched
    }
    CHECK(weights[5 * ld + 2] == 0.0f);
  }
}

namespace {

struct Layer {
  Matrix x;
  AttentionWeights w;
};

Layer random_layer(int T, int d, uint64_t seed) {
  Rng rng(seed);
  const float s = 1.0f / std::sqrt(float(d));
  return {rng.normal_matrix(T, d, 1.0f),
          {rng.normal_matrix(d, d, s), rng.normal_matrix(d, d, s), rng.normal_matrix(d, d, s),
           rng.normal_matrix(d, d, s)}};
}

float max_abs_diff(const Matrix& a, const Matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return a.size() ? (a - b).cwiseAbs().maxCoeff() : 0.0f;
}

}  // namespace

TEST_CASE("the SIMD forward pass fills the same Trace as the Eigen one (T 37, d 40, 5 heads)") {
  ConfigGuard guard;
  const Layer L = random_layer(37, 40, 11);
  for (bool causal : {true, false})
    for (bool scale : {true, false}) {
      LayerTrace eigen;
      attention_forward(L.x, L.w, 5, AttentionOptions{scale, causal}, eigen);
      const float s = scale ? 1.0f / std::sqrt(8.0f) : 1.0f;
      for (int mr : {4, 6}) {
        k::gemm_config() = {mr, 16, 16};
        for (SimdAttentionConfig config :
             {SimdAttentionConfig{}, SimdAttentionConfig{false, false, false, 5},
              SimdAttentionConfig{true, true, true, 3}}) {
          LayerTrace simd;
          attention_forward_simd(L.x, L.w, 5, s, causal, simd, nullptr, true, config);
          INFO("causal " << causal << " scale " << scale << " mr " << mr);
          REQUIRE(simd.heads.size() == 5);
          for (int h = 0; h < 5; ++h) {
            const HeadTrace &a = simd.heads[h], &b = eigen.heads[h];
            CHECK(max_abs_diff(a.q, b.q) < 1e-5f);
            CHECK(max_abs_diff(a.k, b.k) < 1e-5f);
            CHECK(max_abs_diff(a.v, b.v) < 1e-5f);
            CHECK(max_abs_diff(a.scores, b.scores) < 1e-5f);
            CHECK(max_abs_diff(a.scaled, b.scaled) < 1e-5f);
            CHECK(max_abs_diff(a.weights, b.weights) < 1e-5f);
            CHECK(max_abs_diff(a.output, b.output) < 1e-5f);
            if (causal)  // masked entries are exactly 0, not small
              for (int i = 0; i < 37; ++i)
                for (int j = i + 1; j < 37; ++j)
                  REQUIRE((a.scores(i, j) == 0 && a.scaled(i, j) == 0 && a.weights(i, j) == 0));
          }
          CHECK(max_abs_diff(simd.input, eigen.input) == 0.0f);
          CHECK(max_abs_diff(simd.concat, eigen.concat) < 1e-5f);
          CHECK(max_abs_diff(simd.output, eigen.output) < 1e-5f);

          LayerTrace lean;
          attention_forward_simd(L.x, L.w, 5, s, causal, lean, nullptr, false, config);
          CHECK(lean.heads[2].weights.size() == 0);
          CHECK(lean.heads[2].q.size() == 0);
          CHECK(max_abs_diff(lean.output, simd.output) == 0.0f);
        }
      }
    }
}

TEST_CASE("the SIMD forward pass ablates heads like the Eigen one, and handles T = 0 and 1") {
  const Layer L = random_layer(9, 12, 12);
  std::vector<HeadAblation> knock(3);
  knock[1].ablated = true;
  knock[2].ablated = true;
  knock[2].replacement = RowVector::Constant(4, 0.5f);
  LayerTrace eigen, simd;
  attention_forward(L.x, L.w, 3, AttentionOptions{}, eigen, &knock);
  attention_forward_simd(L.x, L.w, 3, 0.5f, true, simd, &knock);
  CHECK(max_abs_diff(simd.output, eigen.output) < 1e-5f);
  CHECK(simd.heads[1].output.isZero(0));
  CHECK(simd.heads[2].output(3, 1) == 0.5f);

  for (int T : {0, 1}) {
    const Layer tiny = random_layer(T, 12, 13);
    LayerTrace a, b;
    attention_forward(tiny.x, tiny.w, 3, AttentionOptions{}, a);
    attention_forward_simd(tiny.x, tiny.w, 3, 0.5f, true, b, nullptr);
    CHECK(b.output.rows() == T);
    CHECK(max_abs_diff(a.output, b.output) < 1e-5f);
    CHECK(max_abs_diff(a.heads[0].weights, b.heads[0].weights) < 1e-6f);
  }
}

TEST_CASE("the SIMD forward pass adds the attention biases like the Eigen one, KV cache too") {
  Layer L = random_layer(23, 24, 15);
  Rng rng(16);
  for (RowVector* b : {&L.w.b_q, &L.w.b_k, &L.w.b_v, &L.w.b_o}) *b = rng.normal_matrix(1, 24, 0.5f);
  LayerTrace eigen, simd, cached;
  attention_forward_reference(L.x, L.w, 3, 0.25f, true, eigen, nullptr);
  attention_forward_simd(L.x, L.w, 3, 0.25f, true, simd, nullptr);
  for (int h = 0; h < 3; ++h) {
    CHECK(max_abs_diff(simd.heads[h].q, eigen.heads[h].q) < 1e-5f);
    CHECK(max_abs_diff(simd.heads[h].v, eigen.heads[h].v) < 1e-5f);
    CHECK(max_abs_diff(simd.heads[h].weights, eigen.heads[h].weights) < 1e-5f);
  }
  CHECK(max_abs_diff(simd.output, eigen.output) < 1e-5f);
  // the kernels give a reused row the same bits as a full pass
  attention_forward_simd(L.x.topRows(10), L.w, 3, 0.25f, true, cached, nullptr);
  attention_forward_simd(L.x.bottomRows(13), L.w, 3, 0.25f, true, cached, nullptr, true,
                         SimdAttentionConfig{}, /*reuse=*/10);
  CHECK(max_abs_diff(cached.output, simd.output) == 0.0f);
  CHECK(max_abs_diff(cached.heads[2].k, simd.heads[2].k) == 0.0f);
}

TEST_CASE("store_head_matrices = false keeps the output and drops the per-head matrices") {
  const Layer L = random_layer(11, 16, 14);
  LayerTrace full, lean;
  const Matrix a = attention_forward(L.x, L.w, 4, AttentionOptions{}, full);
  AttentionOptions options;
  options.store_head_matrices = false;
  const Matrix b = attention_forward(L.x, L.w, 4, options, lean);
  CHECK(a == b);
  CHECK(lean.heads[0].scores.size() == 0);
  CHECK(lean.heads[3].output.size() == full.heads[3].output.size());
}

TEST_CASE("peak_mul_add returns a finite value") {
  CHECK(std::isfinite(k::peak_mul_add(1000, 1.0f)));
}
