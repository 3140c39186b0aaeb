// llmsim trace --text TEXT [--model DIR] [--top-k K] [--temperature T] [--seed N]
//              [--no-scale] [--no-causal]
// Runs the model (the trained one in DIR, or random weights) on TEXT and prints the
// Trace as JSON (shape: cpp/core/io/trace_json.hpp).
#include <iostream>

#include "commands.hpp"
#include "error.hpp"
#include "simulator/model_registry.hpp"
#include "simulator/simulator.hpp"
#include "io/trace_json.hpp"

namespace llmsim::cli {

std::string load_model_dir(const std::string& dir) {
  std::string name = dir;
  while (!name.empty() && name.back() == '/') name.pop_back();
  name = name.substr(name.find_last_of('/') + 1);
  model_registry().add(name, name, Gpt::load(dir));
  return name;
}

int trace_command(const Args& args) {
  std::string text;
  bool have_text = false;
  RunOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--text") {
      text = option_value(args, i);
      have_text = true;
    } else if (a == "--model") {
      options.model = load_model_dir(option_value(args, i));
    } else if (a == "--top-k") {
      options.top_k = parse_int(a, option_value(args, i), 0, kMaxTopK);
    } else if (a == "--temperature") {
      options.temperature = float(parse_double(a, option_value(args, i), kMinTemperature, kMaxTemperature));
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
  std::cout << json_text(trace_to_json(simulator.run(text, options))) << "\n";
  return 0;
}

}  // namespace llmsim::cli
