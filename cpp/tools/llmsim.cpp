// llmsim: the simulator's command line.
//   llmsim trace --text "..." [--seed N] [--no-scale] [--no-causal]
// prints the Trace as JSON (shape in cpp/core/trace_json.hpp and the README).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/simulator.hpp"
#include "../core/trace_json.hpp"

namespace {

const char* kUsage =
    "usage: llmsim trace --text TEXT [--seed N] [--no-scale] [--no-causal]\n"
    "  trace   run the model on TEXT and print its attention Trace as JSON\n";

int usage_error(const std::string& message) {
  std::cerr << "llmsim: " << message << "\n" << kUsage;
  return 2;
}

int trace_command(const std::vector<std::string>& args) {
  std::string text;
  bool have_text = false;
  llmsim::RunOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw llmsim::Error(a + " needs a value");
      return args[++i];
    };
    if (a == "--text") {
      text = value();
      have_text = true;
    } else if (a == "--seed") {
      const std::string& v = value();
      try {
        size_t used = 0;
        options.seed = std::stoull(v, &used);
        if (used != v.size() || v[0] == '-') throw std::invalid_argument(v);
      } catch (const std::exception&) {
        throw llmsim::Error("--seed must be a non-negative integer, got \"" + v + "\"");
      }
    } else if (a == "--no-scale") {
      options.scale = false;
    } else if (a == "--no-causal") {
      options.causal = false;
    } else {
      throw llmsim::Error("unknown argument \"" + a + "\"");
    }
  }
  if (!have_text) throw llmsim::Error("trace needs --text");
  llmsim::Simulator simulator;
  const llmsim::Trace& trace = simulator.run(text, options);
  std::cout << llmsim::trace_to_json(trace).dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "trace") return trace_command(args);
    return usage_error("unknown command \"" + command + "\"");
  } catch (const llmsim::Error& e) {
    std::cerr << "llmsim: " << e.what() << "\n";
    return 1;
  }
}
