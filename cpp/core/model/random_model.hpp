// A model with random weights, drawn from a seed: it has no vocabulary and has
// learned nothing, so its attention shows the mechanics without any meaning.
// A token's embedding is drawn from a generator seeded by the token's text, so
// the same word always gets the same vector; positions add a sinusoidal code.
//   x_0 = embed(token) + position(t)                   [T, d_model]
//   x_{l+1} = x_l + attention_l(x_l)                   [T, d_model]
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/attention.hpp"

namespace llmsim {

struct RandomModelConfig {
  int d_model = 32;
  int n_head = 4;
  int n_layer = 2;
  uint64_t seed = 1;
};

class RandomModel {
 public:
  explicit RandomModel(const RandomModelConfig& config);
  const RandomModelConfig& config() const { return config_; }
  const AttentionWeights& layer(int l) const { return layers_.at(l); }

  Matrix embed(const std::vector<std::string>& tokens) const;  // [T, d_model]
  // Runs every layer on `tokens`, filling trace.layers.
  void forward(const std::vector<std::string>& tokens, const AttentionOptions& options,
               Trace& trace) const;

 private:
  RandomModelConfig config_;
  std::vector<AttentionWeights> layers_;
};

}  // namespace llmsim
