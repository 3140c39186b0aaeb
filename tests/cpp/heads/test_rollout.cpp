// Attention rollout (heads/rollout.hpp) against a plain-loop reference and a case
// worked out by hand.
#include <catch2/catch.hpp>
#include <vector>

#include "error.hpp"
#include "heads/rollout.hpp"
#include "rng.hpp"

using namespace llmsim;

namespace {

// A causal trace of n_layer × n_head heads on T tokens with random row-stochastic weights.
Trace random_trace(int n_layer, int n_head, int T, uint64_t seed) {
  Rng rng(seed);
  Trace trace;
  trace.tokens.assign(size_t(T), "x");
  trace.layers.resize(size_t(n_layer));
  for (LayerTrace& layer : trace.layers) {
    layer.heads.resize(size_t(n_head));
    for (HeadTrace& h : layer.heads) {
      h.weights = Matrix::Zero(T, T);
      for (int i = 0; i < T; ++i) {
        double sum = 0;
        for (int j = 0; j <= i; ++j) sum += h.weights(i, j) = float(rng.uniform() + 0.01);
        for (int j = 0; j <= i; ++j) h.weights(i, j) = float(h.weights(i, j) / sum);
      }
    }
  }
  return trace;
}

// The reference: plain loops, doubles, the definition written out.
std::vector<std::vector<double>> reference_rollout(const Trace& trace, int layer, const std::vector<int>& path) {
  const int T = int(trace.tokens.size());
  std::vector<std::vector<double>> r(T, std::vector<double>(T, 0.0));
  for (int i = 0; i < T; ++i) r[i][i] = 1;
  for (int l = 0; l <= layer; ++l) {
    const auto& heads = trace.layers[l].heads;
    std::vector<std::vector<double>> a(T, std::vector<double>(T, 0.0));
    for (int h = 0; h < int(heads.size()); ++h) {
      if (!path.empty() && path[l] >= 0 && path[l] != h) continue;
      const double share = (path.empty() || path[l] < 0) ? 1.0 / heads.size() : 1.0;
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) a[i][j] += share * heads[h].weights(i, j);
    }
    std::vector<std::vector<double>> next(T, std::vector<double>(T, 0.0));
    for (int i = 0; i < T; ++i)
      for (int k = 0; k < T; ++k) {
        const double m = 0.5 * a[i][k] + (i == k ? 0.5 : 0.0);
        for (int j = 0; j < T; ++j) next[i][j] += m * r[k][j];
      }
    r = next;
  }
  return r;
}

}  // namespace

TEST_CASE("rollout by hand: one layer, two tokens") {
  // Head weights [[1, 0], [0.6, 0.4]]: Â = [[1, 0], [0.3, 0.7]].
  Trace trace;
  trace.tokens = {"a", "b"};
  trace.layers.resize(1);
  trace.layers[0].heads.resize(1);
  trace.layers[0].heads[0].weights.resize(2, 2);
  trace.layers[0].heads[0].weights << 1.0f, 0.0f, 0.6f, 0.4f;
  const Matrix r = attention_rollout(trace, 0);
  CHECK(r(0, 0) == Approx(1.0));
  CHECK(r(0, 1) == 0.0f);
  CHECK(r(1, 0) == Approx(0.3));
  CHECK(r(1, 1) == Approx(0.7));
}

TEST_CASE("rollout equals a plain-loop reference, averaged over heads and along a path") {
  const Trace trace = random_trace(3, 4, 6, 17);
  for (const std::vector<int>& path : {std::vector<int>{}, std::vector<int>{2, -1, 0}}) {
    const Matrix r = attention_rollout(trace, 2, path);
    const auto expected = reference_rollout(trace, 2, path);
    for (int i = 0; i < 6; ++i) {
      CHECK(r.row(i).sum() == Approx(1.0).epsilon(1e-5));  // each row a distribution
      for (int j = 0; j < 6; ++j) CHECK(r(i, j) == Approx(expected[i][j]).margin(1e-6));
    }
  }
  CHECK_THROWS_AS(attention_rollout(trace, 3), Error);
  CHECK_THROWS_AS(attention_rollout(trace, 1, {4, 0}), Error);
  CHECK_THROWS_AS(attention_rollout(trace, 1, {0}), Error);
}
