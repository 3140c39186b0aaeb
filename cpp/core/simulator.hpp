// The simulator as the page and the CLI use it: text and options in, a Trace out.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "random_model.hpp"
#include "trace.hpp"

namespace llmsim {

// Longest input the simulator runs, in tokens. Longer text is cut to this many
// tokens and the Trace says so. The limit keeps the per-head [T, T] matrices of
// every layer well inside a browser tab's memory.
constexpr int kMaxTokens = 512;

struct RunOptions {
  uint64_t seed = 1;    // random model weights
  bool scale = true;    // divide by sqrt(d_k)
  bool causal = true;   // causal mask
  int n_layer = 2;
  int n_head = 4;
  int d_model = 32;
};

// Parses options from JSON such as {"seed": 3, "scale": false}. Missing keys keep
// their defaults; unknown keys, wrong types and out-of-range values are errors.
RunOptions parse_run_options(const std::string& json);

class Simulator {
 public:
  // Runs the model on `text`. The returned Trace stays valid until the next run.
  const Trace& run(const std::string& text, const RunOptions& options);
  const Trace& trace() const { return trace_; }

 private:
  std::unique_ptr<RandomModel> model_;
  Trace trace_;
};

}  // namespace llmsim
