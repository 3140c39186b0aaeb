// llmsim eval --model DIR --text-file F
// Mean loss per token of the model on a text: the text's tokens are read in pieces
// of BOS + up to context − 1 tokens, and every token is predicted once, from the
// tokens before it in its piece. Prints {"tokens": N, "mean_loss": x} (nats).
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "../core/error.hpp"
#include "../core/gpt.hpp"
#include "commands.hpp"

namespace llmsim::cli {

int eval_command(const Args& args) {
  std::string model_dir, text_file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--model") model_dir = option_value(args, i);
    else if (args[i] == "--text-file") text_file = option_value(args, i);
    else throw Error("unknown argument \"" + args[i] + "\" for eval");
  }
  if (model_dir.empty() || text_file.empty()) throw Error("eval needs --model DIR and --text-file F");
  const Gpt model = Gpt::load(model_dir);
  const std::string text = read_text_file(text_file);
  const std::vector<int> stream = model.tokenizer().encode(text, /*add_bos=*/false).ids;
  if (stream.empty()) throw Error(text_file + ": the text has no tokens");
  double total = 0;
  int64_t count = 0;
  for (const std::vector<int>& ids :
       split_into_sequences(stream, model.tokenizer().bos_id(), model.config().context)) {
    Trace trace;
    gpt_forward(model.config(), model.weights(), ids, GptRunOptions{}, trace);
    for (size_t j = 0; j + 1 < ids.size(); ++j) {  // position j predicts ids[j + 1]
      const auto row = trace.logits.row(Eigen::Index(j)).cast<double>();
      const double max = row.maxCoeff();
      total += max + std::log((row.array() - max).exp().sum()) - row(ids[j + 1]);
      ++count;
    }
  }
  std::cout << nlohmann::json{{"tokens", count}, {"mean_loss", total / double(count)}}.dump() << "\n";
  return 0;
}

}  // namespace llmsim::cli
