// The options JSON a page may send: Simulator::run's options and the √d_k lab's request.
// The input is an options string, a NUL byte, then a text. Options the parser accepts
// run the random model on the text: one token per span, every attention row a
// distribution (heads switched off may be refused with an Error: mean ablation needs
// a trained model's probes, and the head must exist). A request the lab's parser accepts has its fields in range.
#include <cmath>

#include "fuzz_check.hpp"
#include "../../cpp/core/error.hpp"
#include "../../cpp/core/simulator/scaling_lab.hpp"
#include "../../cpp/core/simulator/simulator.hpp"

using namespace llmsim;

namespace {

void run_options(const std::string& options_json, const std::string& text) {
  RunOptions options;
  try {
    options = parse_run_options(options_json);
  } catch (const Error&) {
    return;
  }
  if (options.model != "random") return;  // no trained model is loaded here
  static Simulator simulator;             // one instance, as the page keeps one
  // Random weights have no probe texts for mean ablation, and a head outside the shape
  // does not exist: both are clear errors, and only those may be thrown.
  const bool may_refuse = !options.ablate.empty();
  Trace trace;
  try {
    trace = simulator.run(text, options);
  } catch (const Error&) {
    fuzz::check(may_refuse, "options the parser accepts run, unless they switch heads off");
    return;
  }
  fuzz::check(trace.tokens.size() == trace.spans.size(), "one span per token");
  fuzz::check(trace.tokens.size() <= size_t(kMaxTokens), "at most kMaxTokens tokens");
  for (const LayerTrace& layer : trace.layers)
    for (const HeadTrace& head : layer.heads)
      for (int i = 0; i < head.weights.rows(); ++i) {
        const double sum = head.weights.row(i).sum();
        fuzz::check(std::abs(sum - 1.0) < 1e-3, "every attention row sums to 1");
      }
}

void scaling_request(const std::string& request_json) {
  try {
    const ScalingRequest r = parse_scaling_request(request_json);
    fuzz::check(r.n_keys >= 2 && r.draws >= 1 && !r.d_ks.empty(), "an accepted request is in range");
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = fuzz::as_string(data, size);
  const size_t nul = input.find('\0');
  const std::string options = input.substr(0, nul);
  const std::string text = nul == std::string::npos ? std::string("The cat sat.") : input.substr(nul + 1);
  run_options(options, text);
  scaling_request(options);
  return 0;
}
