// The model the benchmark times when the shipped one (web/models/tinygpt) is not
// there: the same GptConfig with GPT-2-style random weights, drawn by our own Rng so
// that the native build and the WASM build get bit-identical weights. Timing does
// not depend on the values; only the shape matters.
#pragma once
#include <cstdint>

#include "model/gpt.hpp"
#include "rng.hpp"

namespace llmsim {

inline GptWeights random_gpt_weights(const GptConfig& c, uint64_t seed) {
  Rng rng(seed);
  const float s = 0.02f;
  const int C = c.d_model, F = c.d_ff;
  GptWeights w;
  w.tok_emb = rng.normal_matrix(c.vocab_size, C, s);
  w.pos_emb = rng.normal_matrix(c.context, C, s);
  for (int l = 0; l < c.n_layer; ++l) {
    GptBlock b;
    b.ln1_weight = RowVector::Ones(C);
    b.ln1_bias = RowVector::Zero(C);
    b.attn = {rng.normal_matrix(C, C, s), rng.normal_matrix(C, C, s), rng.normal_matrix(C, C, s),
              rng.normal_matrix(C, C, s)};
    b.ln2_weight = RowVector::Ones(C);
    b.ln2_bias = RowVector::Zero(C);
    b.fc_weight = rng.normal_matrix(C, F, s);
    b.fc_bias = RowVector::Zero(F);
    b.proj_weight = rng.normal_matrix(F, C, s);
    b.proj_bias = RowVector::Zero(C);
    w.blocks.push_back(std::move(b));
  }
  w.lnf_weight = RowVector::Ones(C);
  w.lnf_bias = RowVector::Zero(C);
  return w;
}

// Token ids for a T-token run: BOS-free, spread over the vocabulary, reproducible.
inline std::vector<int> bench_token_ids(int T, int vocab_size) {
  std::vector<int> ids(static_cast<size_t>(T));
  for (int i = 0; i < T; ++i) ids[size_t(i)] = int((uint64_t(i) * 7919u + 13u) % uint64_t(vocab_size));
  return ids;
}

}  // namespace llmsim
