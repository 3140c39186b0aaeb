#include "model/token_cap.hpp"

#include <algorithm>

namespace llmsim {

uint64_t trace_bytes(const GptConfig& config, int T) {
  const uint64_t t = uint64_t(std::max(T, 0)), L = uint64_t(config.n_layer), H = uint64_t(config.n_head);
  const uint64_t C = uint64_t(config.d_model), F = uint64_t(config.d_ff), V = uint64_t(config.vocab_size);
  const uint64_t per_layer = 4 * H * t * t  // scores, scaled, weights, contributions [T, T] a head
                             + 4 * t * C     // q, k, v, output [T, d_k] a head: [T, C] each in all
                             + 3 * t * C;    // input, concat, output [T, C]
  const uint64_t logits = t * V;                  // [T, V]
  const uint64_t activations = 6 * t * C + 2 * t * F;  // BlockActivations, one block's
  return sizeof(float) * (L * per_layer + logits + activations);
}

int token_cap(const GptConfig& config, uint64_t budget) {
  if (trace_bytes(config, config.context) <= budget) return config.context;
  int cap = 64;  // a floor even a model too big for the budget keeps: a sentence or two
  while (cap + 64 < config.context && trace_bytes(config, cap + 64) <= budget) cap += 64;
  return std::min(cap, config.context);
}

}  // namespace llmsim
