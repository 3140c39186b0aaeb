// llmsim trace --text TEXT [--seed N] [--no-scale] [--no-causal]
// Runs the model on TEXT and prints the Trace as JSON (shape: cpp/core/trace_json.hpp).
#include <iostream>

#include "../core/error.hpp"
#include "../core/simulator.hpp"
#include "../core/trace_json.hpp"
#include "commands.hpp"

namespace llmsim::cli {

int trace_command(const Args& args) {
  std::string text;
  bool have_text = false;
  RunOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--text") {
      text = option_value(args, i);
      have_text = true;
    } else if (a == "--seed") {
      options.seed = parse_u64(a, option_value(args, i));
    } else if (a == "--no-scale") {
      options.scale = false;
    } else if (a == "--no-causal") {
      options.causal = false;
    } else {
      throw Error("unknown argument \"" + a + "\" for trace");
    }
  }
  if (!have_text) throw Error("trace needs --text");
  Simulator simulator;
  std::cout << trace_to_json(simulator.run(text, options)).dump() << "\n";
  return 0;
}

}  // namespace llmsim::cli
