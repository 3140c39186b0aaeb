// Test support: a small GPT with random weights, for tests that need a real model
// without a trained one (ablation, text losses, weight files, the head analysis).
#pragma once
#include "model/gpt.hpp"
#include "model/gpt_weights.hpp"
#include "text/bpe_tokenizer.hpp"

namespace llmsim {

// 2 layers of 4 heads, d_model 16, context 96, with weights large enough (spread 0.5)
// that every head and layer matters. Its tokenizer has no merges: one token per
// byte, plus BOS (vocab 257).
inline Gpt random_gpt(uint64_t seed) {
  GptConfig c;
  c.vocab_size = 257;
  c.d_model = 16;
  c.n_layer = 2;
  c.n_head = 4;
  c.context = 96;
  c.d_ff = 32;
  return Gpt(c, random_gpt_weights(c, seed, 0.5f), BpeTokenizer::from_merges({}));
}

}  // namespace llmsim
