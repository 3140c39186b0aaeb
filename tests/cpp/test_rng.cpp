// PRNG golden values. splitmix64(1234567) is the reference implementation's
// published sequence; the xoshiro256** and normal values were computed by an
// independent Python implementation of the same algorithms (integers exact,
// normals via math.log/math.sqrt, rounded to float).
#include <catch2/catch.hpp>

#include "rng.hpp"

using namespace llmsim;

TEST_CASE("splitmix64 matches the reference sequence for seed 1234567") {
  uint64_t state = 1234567;
  const uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL,
                               9817491932198370423ULL, 4593380528125082431ULL,
                               16408922859458223821ULL};
  for (uint64_t e : expected) CHECK(splitmix64(state) == e);
}

TEST_CASE("xoshiro256** seeded by splitmix64 gives the golden sequence") {
  Rng rng(42);
  CHECK(rng.next_u64() == 1546998764402558742ULL);
  CHECK(rng.next_u64() == 6990951692964543102ULL);
  CHECK(rng.next_u64() == 12544586762248559009ULL);
  CHECK(rng.next_u64() == 17057574109182124193ULL);
}

TEST_CASE("uniform draws use the top 53 bits") {
  Rng rng(7);
  CHECK(rng.uniform() == 0.7005764821796896);
  CHECK(rng.uniform() == 0.2787512294737843);
  CHECK(rng.uniform() == 0.8396274618764198);
}

TEST_CASE("normal draws (polar Box-Muller) match the golden floats bit for bit") {
  Rng rng(42);
  const Matrix m = rng.normal_matrix(2, 3, 1.0f);
  const float expected[] = {-0.726219117641449f, -0.2111969143152237f, 0.22162270545959473f,
                            0.5227717161178589f,  0.46417731046676636f, 0.7409788966178894f};
  for (int i = 0; i < 6; ++i) CHECK(m(i / 3, i % 3) == expected[i]);
}

TEST_CASE("normal draws have mean 0 and variance 1") {
  Rng rng(3);
  const int n = 200000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / n, variance = sum_sq / n - mean * mean;
  CHECK(std::abs(mean) < 0.01);  // 4.5 standard errors
  CHECK(std::abs(variance - 1.0) < 0.015);
}
