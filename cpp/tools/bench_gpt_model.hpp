// What the benchmarks run on besides the shipped models: reproducible token ids. When
// a shipped model is not there they time random weights of its shape
// (random_gpt_weights, gpt_weights.hpp, at GPT-2's 0.02 spread): timing does not
// depend on the values, only on the shape.
#pragma once
#include <cstdint>
#include <vector>

namespace llmsim {

// Token ids for a T-token run: BOS-free, spread over the vocabulary, reproducible.
inline std::vector<int> bench_token_ids(int T, int vocab_size) {
  std::vector<int> ids(static_cast<size_t>(T));
  for (int i = 0; i < T; ++i) ids[size_t(i)] = int((uint64_t(i) * 7919u + 13u) % uint64_t(vocab_size));
  return ids;
}

}  // namespace llmsim
