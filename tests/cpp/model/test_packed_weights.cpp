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

TEST_CASE("a packed weight unpacks to itself, and multiplies with matmul_forward_simd's bits") {
  Rng rng(42);
  for (int out : {8, 37})
    for (int in : {13, 300})
      for (int N : {1, 7, 37}) {
        const Matrix w = rng.normal_matrix(in, out, 0.5f), inp = rng.normal_matrix(N, in, 1.0f);
        std::vector<float> bias(static_cast<size_t>(out));
        for (float& b : bias) b = float(rng.normal());
        const PackedWeight packed = pack_weight(w);
        INFO("in " << in << " out " << out << " N " << N);
        REQUIRE(same_bits(unpack_weight(packed), w));
        Matrix y_packed(N, out), y_simd(N, out), y_eigen(N, out);
        matmul_forward(inp, packed, bias.data(), y_packed);
        matmul_forward_simd(inp, w, bias.data(), y_simd);
        y_eigen.noalias() = inp * w;
        y_eigen.rowwise() += Eigen::Map<const RowVector>(bias.data(), out);
        CHECK(same_bits(y_packed, y_simd));
        CHECK(max_abs_diff(y_packed, y_eigen) < 1e-4f);
      }
  const PackedWeight packed = pack_weight(rng.normal_matrix(5, 9, 1.0f));
  Matrix y(2, 9);
  CHECK_THAT(error_of([&] { matmul_forward(rng.normal_matrix(2, 6, 1.0f), packed, nullptr, y); }),
             Catch::Contains("packed weight [5, 9]"));
}

TEST_CASE("a GPT with its MLP packed once runs as before, KV cache too, and exports the same file") {
  // d_ff 36: the packed fc weight's last panel is partial.
  const GptConfig c = gpt_config(259, 16, 2, 4, 48, 36);
  const GptWeights plain = random_gpt_weights(c, 43, 0.5f);
  GptWeights packed = plain;
  pack_mlp_weights(packed);
  REQUIRE(packed.blocks[0].fc_weight.size() == 0);  // the plain copy is gone
  REQUIRE(!packed.blocks[1].proj_packed.empty());

  std::vector<int> ids(37);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int((i * 97 + 5) % 259);
  Trace expected, got;
  gpt_forward(c, plain, ids, {}, expected);
  gpt_forward(c, packed, ids, {}, got);
  // Natively the plain MLP runs on Eigen, the packed one on the kernels: rounding apart.
  CHECK(max_abs_diff(got.logits, expected.logits) < 1e-4f);
  CHECK(max_abs_diff(got.layers[1].output, expected.layers[1].output) < 1e-5f);

  // The KV cache on packed weights: 30 tokens, then 7 more one pass (N = 7), then 1.
  Trace cached;
  const std::vector<int> first(ids.begin(), ids.begin() + 30), all_but_one(ids.begin(), ids.end() - 1);
  gpt_forward(c, packed, first, {}, cached);
  gpt_forward(c, packed, all_but_one, {}, cached, 30);
  gpt_forward(c, packed, ids, {}, cached, 36);
  CHECK(max_abs_diff(cached.logits, got.logits) < 1e-5f);

  const TensorFile from_packed = gpt_weights_to_tensors(c, packed), from_plain = gpt_weights_to_tensors(c, plain);
  REQUIRE(from_packed.tensors.size() == from_plain.tensors.size());
  for (const auto& [name, tensor] : from_plain.tensors) {
    INFO(name);
    CHECK(from_packed.tensors.at(name).shape == tensor.shape);
    CHECK(from_packed.tensors.at(name).data == tensor.data);
  }
  const std::vector<GptTensor> tensors = gpt_tensors(c);
  const GptTensor fc = *std::find_if(tensors.begin(), tensors.end(),
                                     [](const GptTensor& t) { return t.name == "blocks.0.mlp.fc.weight"; });
  CHECK_THAT(error_of([&] { tensor_in(packed, fc); }), Catch::Contains("kept packed"));
  pack_mlp_weights(packed);  // packing twice changes nothing
  CHECK(same_bits(unpack_weight(packed.blocks[0].fc_packed), plain.blocks[0].fc_weight));
}

TEST_CASE("the attention reads its weights in place for few rows: a KV-cache pass keeps the full pass's bits") {
  // d_model 40, 5 heads of 8: the full pass of 40 rows packs each weight, the cached
  // passes of 7 rows and of 1 read them in place; every row must come out the same.
  const int T = 40, d = 40, n_head = 5;
  REQUIRE(!projection_reads_weight_in_place(T, d / n_head));
  REQUIRE(projection_reads_weight_in_place(7, d / n_head));
  REQUIRE(projection_reads_weight_in_place(1, d));
  Rng rng(44);
  AttentionWeights w;
  for (Matrix* m : {&w.w_q, &w.w_k, &w.w_v, &w.w_o}) *m = rng.normal_matrix(d, d, 0.3f);
  w.b_q = rng.normal_matrix(1, d, 0.1f);
  w.b_o = rng.normal_matrix(1, d, 0.1f);
  const Matrix x = rng.normal_matrix(T, d, 1.0f);
  const float scale = attention_scale(d / n_head);
  LayerTrace full, cached;
  attention_forward_simd(x, w, n_head, scale, true, full, nullptr);
  attention_forward_simd(x.topRows(32), w, n_head, scale, true, cached, nullptr);
  attention_forward_simd(x.middleRows(32, 7), w, n_head, scale, true, cached, nullptr, true, {}, 32);
  attention_forward_simd(x.bottomRows(1), w, n_head, scale, true, cached, nullptr, true, {}, 39);
  for (int h = 0; h < n_head; ++h) {
    INFO("head " << h);
    CHECK(same_bits(cached.heads[h].q, full.heads[h].q));
    CHECK(same_bits(cached.heads[h].k, full.heads[h].k));
    CHECK(same_bits(cached.heads[h].v, full.heads[h].v));
  }
  CHECK(same_bits(cached.output, full.output));
}
