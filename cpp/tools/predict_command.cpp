// llmsim predict --model DIR --text TEXT [--top-k K] [--temperature X]
// The model's most probable next tokens after TEXT, as JSON:
// {"tokens": [...], "top_k": [{"id", "text", "raw", "probability"}, ...]}
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "error.hpp"
#include "io/trace_json.hpp"
#include "model/gpt.hpp"
#include "simulator/run_options.hpp"  // kMaxTopK, kMaxTokens

namespace llmsim::cli {

int predict_command(const Args& args) {
  std::string model_dir, text;
  bool have_text = false;
  ModelRun options;
  options.top_k = 5;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--model") model_dir = option_value(args, i);
    else if (a == "--text") text = option_value(args, i), have_text = true;
    else if (a == "--top-k") options.top_k = parse_int(a, option_value(args, i), 1, kMaxTopK);
    else if (a == "--temperature") options.temperature = float(parse_double(a, option_value(args, i), kMinTemperature, kMaxTemperature));
    else throw Error("unknown argument \"" + a + "\" for predict");
  }
  if (model_dir.empty() || !have_text) throw Error("predict needs --model DIR and --text TEXT");
  const Trace trace = Gpt::load(model_dir).run(text, options);
  std::cout << json_text(nlohmann::json{{"tokens", trace.tokens},
                                       {"top_k", predictions_to_json<nlohmann::json>(trace.top_k)}})
            << "\n";
  return 0;
}

}  // namespace llmsim::cli
