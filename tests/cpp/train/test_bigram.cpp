#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "train/bigram.hpp"

using namespace llmsim;

TEST_CASE("bigram probabilities are add-k smoothed counts, BOS row the unigram counts") {
  // stream 1 2 1 3 1 2 over V = 4 (BOS = 0): pairs 1→2 twice, 2→1, 1→3, 3→1
  const BigramModel m({1, 2, 1, 3, 1, 2}, 4, 0);
  CHECK(m.probability(1, 2, 0) == Approx(2.0 / 3));
  CHECK(m.probability(1, 3, 0) == Approx(1.0 / 3));
  CHECK(m.probability(1, 2, 1) == Approx(3.0 / 7));  // (2 + 1) / (3 + 4)
  CHECK(m.probability(1, 0, 1) == Approx(1.0 / 7));
  CHECK(m.probability(0, 1, 0) == Approx(3.0 / 6));  // 1 is half the stream
  const double expected = -(std::log(2.0 / 3) + std::log(1.0)) / 2;  // 1→2, 3→1
  CHECK(m.mean_loss({1, 3}, {2, 1}, 0) == Approx(expected));
  CHECK(std::isinf(m.mean_loss({2}, {3}, 0)));  // unseen pair, no smoothing
  CHECK(std::isfinite(m.mean_loss({2}, {3}, 0.1)));
}
