// Test support: GPT shapes, and a small GPT with random weights, for tests that need a real model
// without a trained one (ablation, text losses, weight files, the head analysis).
#pragma once
#include "model/gpt.hpp"
#include "model/gpt_weights.hpp"
#include "text/bpe_tokenizer.hpp"

namespace llmsim {

// A GPT shape in one line: gpt_config(vocab, d_model, n_layer, n_head, context, d_ff).
inline GptConfig gpt_config(int vocab_size, int d_model, int n_layer, int n_head, int context, int d_ff) {
  GptConfig c;
  c.vocab_size = vocab_size;
  c.d_model = d_model;
  c.n_layer = n_layer;
  c.n_head = n_head;
  c.context = context;
  c.d_ff = d_ff;
  return c;
}

// 2 layers of 4 heads, d_model 16, context 96, with weights large enough (spread 0.5)
// that every head and layer matters. Its tokenizer has no merges: one token per
// byte, plus BOS (vocab 257).
inline Gpt random_gpt(uint64_t seed) {
  const GptConfig c = gpt_config(257, 16, 2, 4, 96, 32);
  return Gpt(c, random_gpt_weights(c, seed, 0.5f), BpeTokenizer::from_merges({}));
}

}  // namespace llmsim
