// What a head moves (model/contributions.hpp), on a head small enough to work out by
// hand, and on real runs: the contributions of a model's run follow from its own
// values and W_O, and typing (the KV cache) gives the same rows as a full pass.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "model/contributions.hpp"
#include "random_gpt.hpp"

using namespace llmsim;

TEST_CASE("contributions by hand: a big weight on a short value moves little") {
  // One layer of 2 heads, d_model 2 (d_k 1), 2 tokens. Head 0: token 0's value is
  // 0.1, token 1's is 2; W_O's row for head 0 is (3, 4), length 5, so
  //   ‖f(x_0)‖ = 0.1·5 = 0.5, ‖f(x_1)‖ = 2·5 = 10.
  // Query 1 gives weight 0.9 to token 0 and 0.1 to token 1: raw contributions
  //   0.9·0.5 = 0.45 and 0.1·10 = 1, normalised 0.45/1.45 and 1/1.45.
  LayerTrace layer;
  layer.heads.resize(2);
  for (HeadTrace& h : layer.heads) {
    h.v.resize(2, 1);
    h.weights.resize(2, 2);
  }
  layer.heads[0].v << 0.1f, 2.0f;
  layer.heads[0].weights << 1.0f, 0.0f, 0.9f, 0.1f;
  layer.heads[1].v << -1.0f, 0.0f;  // token 1 carries nothing through head 1
  layer.heads[1].weights << 1.0f, 0.0f, 0.5f, 0.5f;
  Matrix w_o(2, 2);
  w_o << 3.0f, 4.0f,   // head 0's row
         0.0f, 2.0f;   // head 1's row
  contribution_forward(w_o, layer);
  const HeadTrace& h0 = layer.heads[0];
  CHECK(h0.value_norms(0) == Approx(0.5f));
  CHECK(h0.value_norms(1) == Approx(10.0f));
  CHECK(h0.contributions(0, 0) == Approx(1.0f));
  CHECK(h0.contributions(0, 1) == 0.0f);
  CHECK(h0.contributions(1, 0) == Approx(0.45f / 1.45f));
  CHECK(h0.contributions(1, 1) == Approx(1.0f / 1.45f));
  const HeadTrace& h1 = layer.heads[1];
  CHECK(h1.value_norms(0) == Approx(2.0f));
  CHECK(h1.value_norms(1) == 0.0f);
  CHECK(h1.contributions(1, 0) == Approx(1.0f));  // half the weight, all of what moves
  CHECK(h1.contributions(1, 1) == 0.0f);
}

TEST_CASE("a model's contributions follow from its own values and W_O, and typing keeps them") {
  const Gpt gpt = random_gpt(5);  // 2 layers × 4 heads, d_model 16
  const int d_k = gpt.config().d_model / gpt.config().n_head;
  Trace typed;
  gpt.run_into("the cat sat", {}, typed, false);
  gpt.run_into("the cat sat on", {}, typed, /*incremental=*/true);  // keeps the shared rows
  const Trace full = gpt.run("the cat sat on");
  for (int l = 0; l < gpt.config().n_layer; ++l)
    for (int h = 0; h < gpt.config().n_head; ++h) {
      INFO("head " << l << "." << h);
      const HeadTrace& head = full.layers[l].heads[h];
      const Matrix& w_o = gpt.weights().blocks[l].attn.w_o;
      const int T = int(head.weights.rows());
      // Independently, in double, with plain loops: ‖v_j · W_O^h‖, then α ⊙ norms per row.
      std::vector<double> norms(T);
      for (int j = 0; j < T; ++j) {
        double sq = 0;
        for (int c = 0; c < w_o.cols(); ++c) {
          double f = 0;
          for (int k = 0; k < d_k; ++k) f += double(head.v(j, k)) * w_o(h * d_k + k, c);
          sq += f * f;
        }
        norms[j] = std::sqrt(sq);
        CHECK(head.value_norms(j) == Approx(norms[j]).epsilon(1e-5));
      }
      for (int i = 0; i < T; ++i) {
        double sum = 0;
        for (int j = 0; j < T; ++j) sum += head.weights(i, j) * norms[j];
        for (int j = 0; j < T; ++j)
          CHECK(head.contributions(i, j) == Approx(head.weights(i, j) * norms[j] / sum).margin(1e-6));
      }
      const HeadTrace& kept = typed.layers[l].heads[h];
      CHECK((kept.contributions - head.contributions).cwiseAbs().maxCoeff() < 1e-5f);
      CHECK((kept.value_norms - head.value_norms).cwiseAbs().maxCoeff() < 1e-5f);
    }
}
