#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "simulator/scaling_lab.hpp"

using namespace llmsim;

TEST_CASE("score variance grows like d_k without scaling and stays near 1 with it") {
  const auto points = scaling_experiment({1, 16, 256}, 16, 400, 7);
  REQUIRE(points.size() == 3);
  for (const ScalingPoint& p : points) {
    // Var(q·k) = d_k for independent unit normals; 6400 samples give ~2% error.
    CHECK(p.unscaled.score_variance == Approx(p.d_k).epsilon(0.08));
    CHECK(p.scaled.score_variance == Approx(1.0).epsilon(0.08));
  }
}

TEST_CASE("without scaling the softmax saturates and its Jacobian collapses") {
  const auto points = scaling_experiment({4, 1024}, 16, 200, 3);
  const ScalingPoint &small = points[0], &large = points[1];
  CHECK(large.unscaled.max_weight > 0.9);  // nearly one-hot
  CHECK(large.unscaled.entropy < 0.1);
  CHECK(large.unscaled.jacobian_norm < 0.25 * large.scaled.jacobian_norm);
  CHECK(large.unscaled.jacobian_norm < 0.25 * small.unscaled.jacobian_norm);
  // With scaling the statistics do not depend on d_k (same distribution of scores).
  CHECK(large.scaled.entropy == Approx(small.scaled.entropy).epsilon(0.1));
  CHECK(large.scaled.max_weight == Approx(small.scaled.max_weight).epsilon(0.1));
}

TEST_CASE("the softmax Jacobian norm matches hand-computed cases") {
  // p = (1/2, 1/2): J = [[1/4, -1/4], [-1/4, 1/4]], ||J||_F = sqrt(4/16) = 0.5
  CHECK(softmax_jacobian_norm({0.5f, 0.5f}) == Approx(0.5).epsilon(1e-12));
  // p uniform over 4: diagonal 3/16 each, off-diagonal -1/16 each:
  // ||J||² = 4·9/256 + 12·1/256 = 48/256, ||J|| = 0.4330127
  CHECK(softmax_jacobian_norm({0.25f, 0.25f, 0.25f, 0.25f}) == Approx(0.4330127).epsilon(1e-6));
  // p one-hot: J = 0, no gradient flows back through the softmax
  CHECK(softmax_jacobian_norm({0.0f, 1.0f, 0.0f}) == 0.0);
  // p = (0.7, 0.2, 0.1): J = [[.21,-.14,-.07],[-.14,.16,-.02],[-.07,-.02,.09]]
  // squares sum: .0441+.0196+.0049+.0196+.0256+.0004+.0049+.0004+.0081 = .1276
  CHECK(softmax_jacobian_norm({0.7f, 0.2f, 0.1f}) == Approx(std::sqrt(0.1276)).epsilon(1e-6));
}

TEST_CASE("bad experiment sizes are errors") {
  CHECK_THROWS(scaling_experiment({0}, 16, 10, 1));
  CHECK_THROWS(scaling_experiment({8}, 1, 10, 1));
  CHECK_THROWS(scaling_experiment({8}, 16, 0, 1));
}

TEST_CASE("a request's fields are checked for kind and range before any cast") {
  const ScalingRequest r = parse_scaling_request(R"({"d_ks": [2, 8], "n_keys": 4, "draws": 7, "seed": 3})");
  CHECK(r.d_ks == std::vector<int>{2, 8});
  CHECK(r.n_keys == 4);
  CHECK(r.draws == 7);
  CHECK(r.seed == 3);
  CHECK(parse_scaling_request("{}").d_ks.size() == 11);
  using Catch::Contains;
  // 1e99 into an int was undefined behaviour; 2^32 + 16 wrapped to 16.
  CHECK_THROWS_WITH(parse_scaling_request(R"({"draws": 1e99})"), Contains("\"draws\" must be an integer"));
  CHECK_THROWS_WITH(parse_scaling_request(R"({"n_keys": 4294967312})"), Contains("\"n_keys\" must be between 2 and 4096"));
  CHECK_THROWS_WITH(parse_scaling_request(R"({"draws": 18446744073709551615})"), Contains("between 1 and 100000"));
  CHECK_THROWS_WITH(parse_scaling_request(R"({"d_ks": [1.5]})"), Contains("d_k must be an integer"));
  CHECK_THROWS_WITH(parse_scaling_request(R"({"d_ks": []})"), Contains("1 to 64"));
  CHECK_THROWS_WITH(parse_scaling_request(R"({"seed": -1})"), Contains("non-negative"));
  CHECK_THROWS_WITH(parse_scaling_request(R"({"drawz": 1})"), Contains("unknown field \"drawz\""));
  CHECK_THROWS_WITH(parse_scaling_request("[1]"), Contains("JSON object"));
}
