// llmsim eval --model DIR --text-file F
// Mean loss per token of the model on a text: the text's tokens are read in pieces
// of BOS + up to context − 1 tokens, and every token is predicted once, from the
// tokens before it in its piece. Prints {"tokens": N, "mean_loss": x} (nats per
// token), then the same loss in bits per byte of the text (which compares across
// tokenizers), the text's bytes and words, tokens per word (text_loss.hpp) and the
// threads it ran on (--threads, llmsim.cpp).
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "error.hpp"
#include "model/gpt.hpp"
#include "parallel.hpp"
#include "train/text_loss.hpp"

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
  const std::string text = read_whole_file(text_file);  // its errors name the file
  const TextLoss loss = [&] {
    try {
      return gpt_text_loss(model, text);
    } catch (const Error& e) {
      throw Error(text_file + ": " + e.what());
    }
  }();
  std::cout << json_text(nlohmann::json{{"tokens", loss.tokens},
                              {"mean_loss", loss.nats_per_token()},
                              {"bytes", loss.bytes},
                              {"bits_per_byte", loss.bits_per_byte()},
                              {"words", loss.words},
                              {"tokens_per_word", loss.tokens_per_word()},
                              {"threads", max_threads()}}) << "\n";
  return 0;
}

}  // namespace llmsim::cli
