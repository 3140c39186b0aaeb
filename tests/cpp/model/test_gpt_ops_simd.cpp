// gpt_ops_simd.hpp, the WASM build's products, run here on simd128.hpp's lane-exact
// stand-in: each op against its Eigen namesake in gpt_ops.hpp (what the native build
// runs) on random inputs at shapes that are no multiple of the kernels' tiles, and
// the attention's backward against finite differences of its own forward.
#include <catch2/catch.hpp>
#include <algorithm>
#include <array>
#include <vector>

#include "grad_check.hpp"
#include "model/gpt_ops.hpp"
#include "model/gpt_ops_simd.hpp"
#include "rng.hpp"

using namespace llmsim;

namespace {

float max_abs_diff(const Matrix& a, const Matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return a.size() ? (a - b).cwiseAbs().maxCoeff() : 0.0f;
}

bool same_bits(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data());
}

}  // namespace

TEST_CASE("SIMD matmul forward and backward equal Eigen's, on strided views, accumulating") {
  Rng rng(31);
  for (const auto& [N, in, out] : std::vector<std::array<int, 3>>{{37, 13, 21}, {1, 8, 8}, {9, 1, 3}}) {
    // Every operand a block of a wider matrix, as the trainer's views into its buffers.
    const Matrix inp_all = rng.normal_matrix(N, in + 3, 1.0f), w_all = rng.normal_matrix(in, out + 2, 0.5f);
    const Matrix dout = rng.normal_matrix(N, out, 1.0f);
    const auto inp = inp_all.middleCols(1, in);
    const auto w = w_all.middleCols(2, out);
    std::vector<float> bias(out);
    for (float& b : bias) b = float(rng.normal());
    Matrix y_eigen(N, out), y_simd(N, out);
    matmul_forward(inp, w, bias.data(), y_eigen);
    matmul_forward_simd(inp, w, bias.data(), y_simd);
    INFO("N " << N << " in " << in << " out " << out);
    CHECK(max_abs_diff(y_simd, y_eigen) < 1e-5f);

    // Gradients start non-zero: the backward must add to them.
    const Matrix dinp0 = rng.normal_matrix(N, in + 3, 1.0f), dw0 = rng.normal_matrix(in, out, 1.0f);
    std::vector<float> dbias0(out, 0.5f);
    Matrix dinp_eigen = dinp0, dinp_simd = dinp0, dw_eigen = dw0, dw_simd = dw0;
    std::vector<float> dbias_eigen = dbias0, dbias_simd = dbias0;
    matmul_backward(dout, inp, w, dinp_eigen.middleCols(1, in), dw_eigen, dbias_eigen.data());
    matmul_backward_simd(dout, inp, w, dinp_simd.middleCols(1, in), dw_simd, dbias_simd.data());
    CHECK(max_abs_diff(dinp_simd, dinp_eigen) < 1e-5f);
    CHECK(max_abs_diff(dw_simd, dw_eigen) < 1e-4f);
    for (int j = 0; j < out; ++j) CHECK(dbias_simd[j] == Approx(dbias_eigen[j]).margin(1e-5));
    CHECK(dinp_simd.col(0) == dinp0.col(0));  // outside the view: untouched
  }
}

TEST_CASE("SIMD unembedding forward and backward equal Eigen's, accumulating") {
  Rng rng(32);
  const int N = 37, C = 13, V = 29;
  const Matrix x = rng.normal_matrix(N, C, 1.0f), wte = rng.normal_matrix(V, C, 0.5f);
  const Matrix dlogits = rng.normal_matrix(N, V, 1.0f);
  Matrix logits_eigen(N, V), logits_simd(N, V);
  unembedding_forward(x, wte, logits_eigen);
  unembedding_forward_simd(x, wte, logits_simd);
  CHECK(max_abs_diff(logits_simd, logits_eigen) < 1e-5f);
  const Matrix dx0 = rng.normal_matrix(N, C, 1.0f), dwte0 = rng.normal_matrix(V, C, 1.0f);
  Matrix dx_eigen = dx0, dx_simd = dx0, dwte_eigen = dwte0, dwte_simd = dwte0;
  unembedding_backward(dlogits, x, wte, dx_eigen, dwte_eigen);
  unembedding_backward_simd(dlogits, x, wte, dx_simd, dwte_simd);
  CHECK(max_abs_diff(dx_simd, dx_eigen) < 1e-5f);
  CHECK(max_abs_diff(dwte_simd, dwte_eigen) < 1e-4f);
}

TEST_CASE("SIMD batched attention equals Eigen's, forward and backward, masked entries exactly 0") {
  Rng rng(33);
  struct Case {
    int B, T, H, d_k;
  };
  for (const Case& c : {Case{2, 11, 3, 5}, Case{1, 1, 2, 4}, Case{3, 41, 2, 16}})
    for (const bool causal : {true, false})
      for (const bool scale : {true, false}) {
        const AttentionOptions options{scale, causal};
        const int C = c.H * c.d_k, N = c.B * c.T;
        const Matrix qkv = rng.normal_matrix(N, 3 * C, 1.0f), dout = rng.normal_matrix(N, C, 1.0f);
        Matrix att_eigen(c.B * c.H * c.T, c.T), att_simd(c.B * c.H * c.T, c.T);
        Matrix out_eigen(N, C), out_simd(N, C);
        AttentionScratch scratch;
        batched_attention_forward(qkv, c.B, c.T, c.H, options, att_eigen, out_eigen, scratch);
        batched_attention_forward_simd(qkv, c.B, c.T, c.H, options, att_simd, out_simd);
        INFO("B " << c.B << " T " << c.T << " H " << c.H << " causal " << causal << " scale " << scale);
        CHECK(max_abs_diff(att_simd, att_eigen) < 1e-6f);
        CHECK(max_abs_diff(out_simd, out_eigen) < 1e-5f);
        if (causal)
          for (int r = 0; r < att_simd.rows(); ++r)
            for (int j = r % c.T + 1; j < c.T; ++j) REQUIRE(att_simd(r, j) == 0.0f);

        const Matrix dqkv0 = rng.normal_matrix(N, 3 * C, 1.0f);
        Matrix dqkv_eigen = dqkv0, dqkv_simd = dqkv0;
        batched_attention_backward(dout, qkv, att_eigen, c.B, c.T, c.H, options, dqkv_eigen, scratch);
        batched_attention_backward_simd(dout, qkv, att_simd, c.B, c.T, c.H, options, dqkv_simd);
        CHECK(max_abs_diff(dqkv_simd, dqkv_eigen) < 1e-4f);

        // Deterministic: the same inputs give the same bits.
        Matrix dqkv_again = dqkv0;
        batched_attention_backward_simd(dout, qkv, att_simd, c.B, c.T, c.H, options, dqkv_again);
        CHECK(same_bits(dqkv_again, dqkv_simd));
      }
}

TEST_CASE("SIMD batched attention's backward matches finite differences of its forward") {
  Rng rng(34);
  const int B = 2, T = 7, C = 12, H = 2;
  for (const bool causal : {true, false}) {
    const AttentionOptions options{true, causal};
    Matrix qkv = rng.normal_matrix(B * T, 3 * C, 1.0f);
    const Matrix R = rng.normal_matrix(B * T, C, 1.0f);
    Matrix att(B * H * T, T), out(B * T, C);
    auto f = [&] {
      batched_attention_forward_simd(qkv, B, T, H, options, att, out);
      return dot_sum(out, R);
    };
    f();
    Matrix dqkv = Matrix::Zero(B * T, 3 * C);
    batched_attention_backward_simd(R, qkv, att, B, T, H, options, dqkv);
    const GradCheck check = check_gradient(qkv.data(), dqkv.data(), qkv.size(), f);
    CHECK(check.checked == B * T * 3 * C);
    CHECK(check.worst_error < 1);
    if (causal) CHECK(dqkv.row(0).leftCols(C).norm() == 0);  // the first query sees only itself
  }
}

TEST_CASE("SIMD matmul and unembedding backward match finite differences") {
  Rng rng(35);
  const int N = 6, in = 5, out = 11, V = 9;
  Matrix inp = rng.normal_matrix(N, in, 1.0f), w = rng.normal_matrix(in, out, 1.0f);
  const Matrix R = rng.normal_matrix(N, out, 1.0f), Rv = rng.normal_matrix(N, V, 1.0f);
  Matrix y(N, out);
  auto f = [&] {
    matmul_forward_simd(inp, w, nullptr, y);
    return dot_sum(y, R);
  };
  Matrix dinp = Matrix::Zero(N, in), dw = Matrix::Zero(in, out);
  matmul_backward_simd(R, inp, w, dinp, dw, nullptr);
  CHECK(check_gradient(inp.data(), dinp.data(), inp.size(), f).worst_error < 1);
  CHECK(check_gradient(w.data(), dw.data(), w.size(), f).worst_error < 1);

  Matrix x = rng.normal_matrix(N, in, 1.0f), wte = rng.normal_matrix(V, in, 1.0f), logits(N, V);
  auto g = [&] {
    unembedding_forward_simd(x, wte, logits);
    return dot_sum(logits, Rv);
  };
  Matrix dx = Matrix::Zero(N, in), dwte = Matrix::Zero(V, in);
  unembedding_backward_simd(Rv, x, wte, dx, dwte);
  CHECK(check_gradient(x.data(), dx.data(), x.size(), g).worst_error < 1);
  CHECK(check_gradient(wte.data(), dwte.data(), wte.size(), g).worst_error < 1);
}
