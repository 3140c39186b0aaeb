// llmsim heads --model DIR --text-file F [--induction-length N] [--repeats N] [--seed N]
// Scores every head of the model (cpp/core/heads.hpp): previous-token and first-token
// sink on the text, induction on random repeated probes. Prints JSON:
// {"layers": [[{"previous_token": x, "first_token": x, "induction": x}, ...], ...]}
#include <iostream>

#include <nlohmann/json.hpp>

#include "../core/error.hpp"
#include "../core/heads.hpp"
#include "commands.hpp"

namespace llmsim::cli {

int heads_command(const Args& args) {
  std::string model_dir, text_file;
  HeadScoreOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--model") model_dir = option_value(args, i);
    else if (a == "--text-file") text_file = option_value(args, i);
    else if (a == "--induction-length") options.induction_length = int(parse_u64(a, option_value(args, i)));
    else if (a == "--repeats") options.induction_repeats = int(parse_u64(a, option_value(args, i)));
    else if (a == "--seed") options.seed = parse_u64(a, option_value(args, i));
    else throw Error("unknown argument \"" + a + "\" for heads");
  }
  if (model_dir.empty() || text_file.empty()) throw Error("heads needs --model DIR and --text-file F");
  const Gpt model = Gpt::load(model_dir);
  const ModelHeadScores scores = score_heads(model, read_text_file(text_file), options);
  nlohmann::json layers = nlohmann::json::array();
  for (int l = 0; l < scores.n_layer; ++l) {
    nlohmann::json heads = nlohmann::json::array();
    for (int h = 0; h < scores.n_head; ++h) {
      const HeadScores& s = scores.at(l, h);
      heads.push_back({{"previous_token", s.previous_token}, {"first_token", s.first_token},
                       {"induction", s.induction}});
    }
    layers.push_back(heads);
  }
  std::cout << nlohmann::json{{"layers", layers}}.dump() << "\n";
  return 0;
}

}  // namespace llmsim::cli
