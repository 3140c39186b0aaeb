// The simulator as the page and the CLI use it: text and options in, a Trace out.
// It holds models only through the Model interface (model/model.hpp) and finds them
// in a ModelRegistry; what it adds to a model's run is the same for every model:
// the KV-cache bookkeeping while the reader types, switching heads off, and the
// every-head-on run to compare an ablated run against.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "simulator/model_registry.hpp"
#include "simulator/run_options.hpp"
#include "trace.hpp"

namespace llmsim {

class Simulator {
 public:
  // Runs the models of `registry` (by default the process-wide one).
  explicit Simulator(ModelRegistry& registry = model_registry()) : registry_(registry) {}

  // Runs the model on `text`. The returned Trace stays valid until the next run.
  // A run keeps the rows of the previous run that the new text shares with it (same
  // model and options, causal), for models that can: typing at the end computes only
  // the new tokens, as an LLM's KV cache does.
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
  ModelRegistry& registry_;
  std::string last_model_;  // the name the last run asked for, and its model
  ModelHandle last_handle_;
  Trace trace_, baseline_trace_;
  std::optional<RunOptions> last_run_;      // the options trace_ was computed with, if it is whole
  std::optional<RunOptions> baseline_run_;  // the same for baseline_trace_
  uint64_t last_model_id_ = 0, baseline_model_id_ = 0;  // ModelHandle::id of those runs
};

}  // namespace llmsim
