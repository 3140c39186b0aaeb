// llmsim: the simulator's command line. One subcommand per file (commands.hpp).
#include <exception>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "error.hpp"
#include "parallel.hpp"

namespace {

const char* kUsage =
    "usage: llmsim COMMAND [options]\n"
    "  trace --text TEXT [--model DIR] [--top-k K] [--temperature T] [--seed N]\n"
    "        [--no-scale] [--no-causal]\n"
    "        run the model on TEXT and print its attention Trace as JSON\n"
    "  train --out DIR [--log-dir DIR] [--seed N] [--steps N] [--threads N] ... (--help)\n"
    "        train the GPT from scratch (corpus, tokenizer, model); see web/models/README.md\n"
    "  eval --model DIR --text-file F      loss on a text: {\"tokens\", \"mean_loss\",\n"
    "        \"bytes\", \"bits_per_byte\", \"words\", \"tokens_per_word\"}\n"
    "  heads --model DIR [--text TEXT | --text-file F] [--probes DIR] [--markdown]\n"
    "        measure and label every head: JSON array, one object per head\n"
    "  ablate --model DIR --text TEXT --heads 0.1,2.3 [--mode zero|mean] [--top-k K]\n"
    "        switch heads off: loss and top-k next tokens before/after, as JSON\n"
    "  predict --model DIR --text TEXT [--top-k K] [--temperature X]   next-token predictions\n"
    "  convert --model DIR --out DIR --dtype f16|f32|i8   rewrite the weights (i8: int8 rows\n"
    "        with per-row scales)\n"
    "  tokenize (--tokenizer FILE | --vocab vocab.json --merges merges.txt) [--no-bos] [--pretokens]\n"
    "        (--text TEXT | --text-file F | --texts-json F)   a text's token ids and byte\n"
    "        spans as JSON; FILE: the simulator's or a Hugging Face tokenizer.json (GPT-2)\n"
    "every command but train also takes --threads N (default 1; train: 2)\n";

// Every command but train runs on one thread unless --threads N asks for more. Their
// parallel loops are short, and when another process holds a core the threads wait on
// each other at every loop's end: `eval` of the held-out file took 4.6 s on 2 threads
// against 2.2 s on 1 with a training run on the other core (docs/ROBUSTNESS.md). Train
// parses its own --threads (default 2): its loops are long, and it is the job a
// machine is left to.
llmsim::cli::Args take_threads_option(const llmsim::cli::Args& args) {
  int threads = 1;
  llmsim::cli::Args rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--threads")
      threads = llmsim::cli::parse_int("--threads", llmsim::cli::option_value(args, i), 1, 256);
    else
      rest.push_back(args[i]);
  }
  llmsim::set_threads(threads);
  return rest;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace llmsim::cli;
  const std::map<std::string, int (*)(const Args&)> commands = {
      {"trace", trace_command},
      {"train", train_command},
      {"eval", eval_command},
      {"heads", heads_command},
      {"predict", predict_command},
      {"ablate", ablate_command},
      {"convert", convert_command},
      {"tokenize", tokenize_command},
  };
  Args args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const auto command = commands.find(args[0]);
  if (command == commands.end()) {
    std::cerr << "llmsim: unknown command \"" << args[0] << "\"\n" << kUsage;
    return 2;
  }
  try {
    Args rest(args.begin() + 1, args.end());
    if (args[0] != "train") rest = take_threads_option(rest);
    return command->second(rest);
  } catch (const llmsim::Error& e) {
    std::cerr << "llmsim: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // Anything the core did not turn into an Error (a filesystem or JSON library
    // failure, memory): still a message and exit 1, never an abort.
    std::cerr << "llmsim: " << e.what() << "\n";
    return 1;
  }
}
