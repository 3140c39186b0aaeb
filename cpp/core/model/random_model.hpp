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
#include "model/model.hpp"

namespace llmsim {

struct RandomModelConfig {
  int d_model = 32;
  int n_head = 4;
  int n_layer = 2;
  uint64_t seed = 1;
  bool operator==(const RandomModelConfig& o) const {
    return d_model == o.d_model && n_head == o.n_head && n_layer == o.n_layer && seed == o.seed;
  }
};

class RandomModel : public Model {
 public:
  explicit RandomModel(const RandomModelConfig& config);
  const RandomModelConfig& config() const { return config_; }

  // The Model interface. run_into splits `text` into words and punctuation (it has no
  // vocabulary: ids are −1 and there are no predictions), cuts it to kMaxTokens and
  // runs every layer; it computes every row again whatever `incremental` says.
  int n_layer() const override { return config_.n_layer; }
  int n_head() const override { return config_.n_head; }
  void run_into(const std::string& text, const ModelRun& run, Trace& trace,
                bool incremental) const override;
  const AttentionWeights& attention_weights(int layer) const override;

  Matrix embed(const std::vector<std::string>& tokens) const;  // [T, d_model]

 private:
  RandomModelConfig config_;
  std::vector<AttentionWeights> layers_;
};

}  // namespace llmsim
