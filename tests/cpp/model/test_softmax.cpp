#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "model/softmax.hpp"

using namespace llmsim;

TEST_CASE("softmax of a small row matches the hand computation") {
  // exp(0)=1, exp(1)=2.718281828, exp(2)=7.389056099; sum = 11.107337927
  const float in[3] = {1.0f, 2.0f, 3.0f};  // shift-invariant: same as {0, 1, 2}
  float out[3];
  softmax_row(in, out, 3, 3);
  CHECK(out[0] == Approx(0.0900305732).epsilon(1e-6));
  CHECK(out[1] == Approx(0.2447284711).epsilon(1e-6));
  CHECK(out[2] == Approx(0.6652409558).epsilon(1e-6));
}

TEST_CASE("logits of +-1e4 give finite weights") {
  const float in[4] = {1e4f, -1e4f, 1e4f, -1e4f};
  float out[4];
  softmax_row(in, out, 4, 4);
  for (float w : out) CHECK(std::isfinite(w));
  CHECK(out[0] == 0.5f);
  CHECK(out[1] == 0.0f);
  CHECK(out[2] == 0.5f);
}

TEST_CASE("masked entries are exactly zero and the visible ones sum to one") {
  const float in[4] = {0.3f, -1.2f, 5.0f, 7.0f};
  float out[4];
  softmax_row(in, out, 4, 2);
  CHECK(out[2] == 0.0f);
  CHECK(out[3] == 0.0f);
  CHECK(out[0] + out[1] == Approx(1.0f).epsilon(1e-7));
}

TEST_CASE("a row whose every entry is masked gives zeros, not NaN") {
  const float inf = std::numeric_limits<float>::infinity();
  const float all_inf[3] = {-inf, -inf, -inf};
  float out[3] = {9, 9, 9};
  softmax_row(all_inf, out, 3, 3);
  CHECK((out[0] == 0.0f && out[1] == 0.0f && out[2] == 0.0f));
  const float any[3] = {1, 2, 3};
  float out2[3] = {9, 9, 9};
  softmax_row(any, out2, 3, 0);  // nothing visible
  CHECK((out2[0] == 0.0f && out2[1] == 0.0f && out2[2] == 0.0f));
}

TEST_CASE("entries of -inf inside the visible range get weight exactly zero") {
  const float inf = std::numeric_limits<float>::infinity();
  const float in[3] = {-inf, 0.0f, 0.0f};
  float out[3];
  softmax_row(in, out, 3, 3);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == 0.5f);
  CHECK(out[2] == 0.5f);
}
