// The simulator as the page and the CLI use it: text and options in, a Trace out.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/random_model.hpp"
#include "trace.hpp"

namespace llmsim {

// Longest input the simulator runs, in tokens. Longer text is cut to this many
// tokens and the Trace says so. The limit keeps the per-head [T, T] matrices of
// every layer well inside a browser tab's memory.
constexpr int kMaxTokens = 512;
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
  std::vector<std::pair<int, int>> ablate;  // heads switched off, as (layer, head)
  std::string ablate_mode = "zero";         // "zero" or "mean"
};

// Parses options from JSON such as {"seed": 3, "scale": false}. Missing keys keep
// their defaults; unknown keys, wrong types and out-of-range values are errors.
RunOptions parse_run_options(const std::string& json);

// "layer.head" such as "2.3" -> {2, 3}; throws Error on anything else.
std::pair<int, int> parse_head_id(const std::string& id);

class Simulator {
 public:
  // Runs the model on `text`. The returned Trace stays valid until the next run.
  // A trained model's run keeps the rows of the previous run that the new text
  // shares with it (same options, causal): typing at the end computes only the new
  // tokens, as an LLM's KV cache does.
  // With heads switched off, the run with every head on (trace().baseline) keeps its
  // own rows the same way.
  const Trace& run(const std::string& text, const RunOptions& options);
  const Trace& trace() const { return trace_; }
  // The every-head-on run behind the last run with heads switched off.
  const Trace& baseline_trace() const { return baseline_trace_; }
  // W_Q, W_K, W_V, W_O of one layer of the model of the last run ([d_model, d_model],
  // x·W convention), for views that show what multiplies the vectors. Error before the
  // first run, for a layer the model lacks, or if that model has since been replaced.
  const AttentionWeights& attention_weights(int layer) const;

 private:
  std::unique_ptr<RandomModel> model_;
  std::string last_model_;       // the model of the last run ("random" or a registry name)
  uint64_t last_weights_id_ = 0;  // its LoadedModel::id(), so replaced weights are never shown
  Trace trace_, baseline_trace_;
  std::optional<RunOptions> last_run_;      // the options trace_ was computed with, if it is whole
  std::optional<RunOptions> baseline_run_;  // the same for baseline_trace_
  uint64_t last_model_id_ = 0, baseline_model_id_ = 0;  // LoadedModel::id() of those runs
};

}  // namespace llmsim
