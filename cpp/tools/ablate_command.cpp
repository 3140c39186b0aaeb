// llmsim ablate --model DIR --text TEXT --heads 0.1,2.3 [--mode zero|mean] [--top-k K]
//               [--probes DIR]
// Switches the listed heads (LAYER.HEAD, 0-based) off and prints the next-token loss
// on TEXT and the top-k next tokens after it, before and after, as JSON
// (heads/ablation.hpp: ablation_to_json). Mean ablation replaces a head's output by
// its mean over the probe texts, so it needs the probes.
#include <iostream>

#include "commands.hpp"
#include "error.hpp"
#include "heads/analysis.hpp"
#include "heads/gpt_head_model.hpp"
#include "simulator/run_options.hpp"  // kMaxTopK, kMaxTokens

namespace llmsim::cli {

int ablate_command(const Args& args) {
  std::string model_dir, text, heads, probes_dir, mode = "zero";
  bool have_text = false, have_heads = false;
  int top_k = 5;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--model") model_dir = option_value(args, i);
    else if (a == "--text") text = option_value(args, i), have_text = true;
    else if (a == "--heads") heads = option_value(args, i), have_heads = true;
    else if (a == "--mode") mode = option_value(args, i);
    else if (a == "--top-k") top_k = parse_int(a, option_value(args, i), 1, kMaxTopK);
    else if (a == "--probes") probes_dir = option_value(args, i);
    else throw Error("unknown argument \"" + a + "\" for ablate");
  }
  if (model_dir.empty() || !have_text || !have_heads)
    throw Error("ablate needs --model DIR, --text TEXT and --heads LAYER.HEAD[,...]");
  // An empty list would "ablate" nothing and report before == after as if it had.
  if (heads.empty()) throw Error("--heads names no head: give LAYER.HEAD[,...], like 0.1,2.3");
  const AblationMode ablation_mode = parse_ablation_mode(mode);
  const Gpt gpt = Gpt::load(model_dir);
  const HeadModel model = gpt_head_model(gpt);
  const std::vector<HeadId> ids = parse_head_list(heads, model.n_layer, model.n_head);
  HeadMeans means;
  if (ablation_mode == AblationMode::mean)
    means = head_mean_outputs(model, probe_texts(load_probes(find_probes_dir(probes_dir, model_dir))));
  const AblationResult result = run_ablation(model, text, ids, ablation_mode, &means, top_k);
  std::cout << json_text(ablation_to_json(result), 1) << "\n";
  return 0;
}

}  // namespace llmsim::cli
