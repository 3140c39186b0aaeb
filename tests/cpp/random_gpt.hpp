// Test support: a small GPT with random weights, for tests that need a real model
// without a trained one (ablation, text losses, weight files).
#pragma once
#include "model/gpt.hpp"
#include "rng.hpp"
#include "text/bpe_tokenizer.hpp"

namespace llmsim {

// A small GPT with random weights large enough that every head and layer matters.
// Its tokenizer has no merges: one token per byte, plus BOS (vocab 257).
inline Gpt random_gpt(uint64_t seed) {
  GptConfig c;
  c.vocab_size = 257;
  c.d_model = 16;
  c.n_layer = 2;
  c.n_head = 4;
  c.context = 96;
  c.d_ff = 32;
  Rng rng(seed);
  GptWeights w;
  w.tok_emb = rng.normal_matrix(c.vocab_size, c.d_model, 1.0f);
  w.pos_emb = rng.normal_matrix(c.context, c.d_model, 0.5f);
  for (int l = 0; l < c.n_layer; ++l) {
    GptBlock b;
    b.ln1_weight = b.ln2_weight = RowVector::Ones(c.d_model);
    b.ln1_bias = rng.normal_matrix(1, c.d_model, 0.1f);
    b.ln2_bias = rng.normal_matrix(1, c.d_model, 0.1f);
    b.attn.w_q = rng.normal_matrix(c.d_model, c.d_model, 0.5f);
    b.attn.w_k = rng.normal_matrix(c.d_model, c.d_model, 0.5f);
    b.attn.w_v = rng.normal_matrix(c.d_model, c.d_model, 0.5f);
    b.attn.w_o = rng.normal_matrix(c.d_model, c.d_model, 0.5f);
    b.fc_weight = rng.normal_matrix(c.d_model, c.d_ff, 0.3f);
    b.fc_bias = RowVector::Zero(c.d_ff);
    b.proj_weight = rng.normal_matrix(c.d_ff, c.d_model, 0.3f);
    b.proj_bias = RowVector::Zero(c.d_model);
    w.blocks.push_back(b);
  }
  w.lnf_weight = RowVector::Ones(c.d_model);
  w.lnf_bias = RowVector::Zero(c.d_model);
  return Gpt(c, w, BpeTokenizer::from_merges({}));
}

}  // namespace llmsim
