// The options of one simulator run, as the page's JSON and the CLI's flags give them.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/model.hpp"  // kMaxTokens

namespace llmsim {

// Next-token predictions a run may report, and the temperature range it accepts:
// the options JSON and the CLI's --top-k / --temperature share these.
constexpr int kMaxTopK = 50;
constexpr double kMinTemperature = 0.05, kMaxTemperature = 5.0;

struct RunOptions {
  std::string model = "random";  // "random", or the name of a loaded trained model
  uint64_t seed = 1;    // random model weights
  bool scale = true;    // divide by sqrt(d_k)
  bool causal = true;   // causal mask
  int n_layer = 2;      // random model shape
  int n_head = 4;
  int d_model = 32;
  int top_k = 8;            // next-token predictions to report (trained models)
  float temperature = 1.0f; // divides the logits before the softmax of the predictions
  bool predict = true;      // false: no logits, predictions or loss (ModelRun::predict)
  std::vector<std::pair<int, int>> ablate;  // heads switched off, as (layer, head)
  std::string ablate_mode = "zero";         // "zero" or "mean"
};

// Parses options from JSON such as {"seed": 3, "scale": false}. Missing keys keep
// their defaults; unknown keys, wrong types and out-of-range values are errors.
RunOptions parse_run_options(const std::string& json);

// "layer.head" such as "2.3" -> {2, 3}; throws Error on anything else.
std::pair<int, int> parse_head_id(const std::string& id);

}  // namespace llmsim
