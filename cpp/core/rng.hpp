// A seeded random number generator of our own, so that the native build and the
// WASM build draw bit-identical weights (std::normal_distribution is not specified
// bit for bit and differs between standard libraries).
//
// splitmix64 expands the seed into xoshiro256** state; normals come from the
// Marsaglia polar form of Box-Muller, which needs only log and sqrt (no cos/sin,
// whose last bit differs between libm implementations).
#pragma once
#include <cstdint>

#include "matrix.hpp"

namespace llmsim {

uint64_t splitmix64(uint64_t& state);

class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next_u64();  // xoshiro256**
  double uniform();     // in [0, 1), 53 random bits
  double normal();      // mean 0, variance 1
  // A [rows, cols] matrix of independent N(0, stddev^2) draws, row by row.
  Matrix normal_matrix(int rows, int cols, float stddev);

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace llmsim
