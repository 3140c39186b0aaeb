// llmsim heads --model DIR [--text TEXT | --text-file F] [--probes DIR] [--controls N]
//              [--induction-length N] [--repeats N] [--seed N]
// Measures and labels every head (cpp/core/head_analysis.hpp): pattern scores on the
// text, syntax and semantics on the probes, induction on repeated random tokens,
// importance by mean ablation on the validation stories. Prints a JSON array, one
// object per head (head_labels.hpp: head_report_to_json).
#include <iostream>

#include "../core/error.hpp"
#include "../core/head_analysis.hpp"
#include "commands.hpp"

namespace llmsim::cli {

int heads_command(const Args& args) {
  std::string model_dir, text, probes_dir;
  HeadAnalysisOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--model") model_dir = option_value(args, i);
    else if (a == "--text") text = option_value(args, i);
    else if (a == "--text-file") text = read_text_file(option_value(args, i));
    else if (a == "--probes") probes_dir = option_value(args, i);
    else if (a == "--controls") options.semantic_controls = int(parse_u64(a, option_value(args, i)));
    else if (a == "--induction-length") options.induction.induction_length = int(parse_u64(a, option_value(args, i)));
    else if (a == "--repeats") options.induction.induction_repeats = int(parse_u64(a, option_value(args, i)));
    else if (a == "--seed") options.induction.seed = parse_u64(a, option_value(args, i));
    else throw Error("unknown argument \"" + a + "\" for heads");
  }
  if (model_dir.empty()) throw Error("heads needs --model DIR");
  const Gpt gpt = Gpt::load(model_dir);
  const Probes probes = load_probes(find_probes_dir(probes_dir, model_dir));
  const auto reports = analyse_heads(gpt_head_model(gpt), probes, text, options);
  std::cout << head_reports_to_json(reports).dump(1) << "\n";
  return 0;
}

}  // namespace llmsim::cli
