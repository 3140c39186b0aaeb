// llmsim heads --model DIR [--text TEXT | --text-file F] [--probes DIR] [--controls N]
//              [--induction-length N] [--repeats N] [--seed N] [--markdown]
// Measures and labels every head (cpp/core/heads/analysis.hpp): pattern scores on the
// text, syntax and semantics on the probes, induction on repeated random tokens,
// importance by mean ablation on the validation stories. Prints a JSON array, one
// object per head (heads/labels.hpp: head_report_to_json); with --markdown, the table
// of web/models/HEADS.md instead.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "error.hpp"
#include "heads/analysis.hpp"
#include "heads/gpt_head_model.hpp"
#include "simulator/run_options.hpp"  // kMaxTopK, kMaxTokens

namespace llmsim::cli {

static std::string number(double x, const char* format = "%.2f") {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, format, x);
  return buffer;
}

// One row per head, the reference scores (the ones the labels read).
static void print_markdown(const std::vector<HeadReport>& reports) {
  std::cout << "| head | prev | first | self | entropy | induction | induction (text)"
               " | syntax (acc / offset / weight) | semantic (ratio, share / control, z)"
               " | loss change | rank | label |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const HeadReport& r : reports) {
    const PatternScores& s = r.reference;
    std::cout << "| " << r.layer << "." << r.head << " | " << number(s.prev_token) << " | "
              << number(s.first_token) << " | " << number(s.self) << " | " << number(s.entropy)
              << " | " << number(r.induction) << " | "
              << (r.induction_text ? number(*r.induction_text) : std::string("–")) << " | "
              << r.syntactic_relation << " "
              << number(r.syntactic_accuracy) << " / " << number(r.syntactic_baseline) << " / "
              << number(r.syntactic_weight) << " | " << number(r.semantic) << "x, "
              << number(r.semantic_share) << " / " << number(r.semantic_control) << ", "
              << number(r.semantic_z, "%.1f") << " | "
              << number(100 * r.importance_relative, "%+.1f") << "% | " << r.importance_rank
              << " | " << r.label;
    for (const std::string& other : r.also) std::cout << " + " << other;
    std::cout << " |\n";
  }
}

int heads_command(const Args& args) {
  std::string model_dir, text, probes_dir;
  HeadAnalysisOptions options;
  bool markdown = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--model") model_dir = option_value(args, i);
    else if (a == "--text") text = option_value(args, i);
    else if (a == "--text-file") text = read_whole_file(option_value(args, i));
    else if (a == "--probes") probes_dir = option_value(args, i);
    else if (a == "--controls") options.semantic_controls = parse_int(a, option_value(args, i), 1, 1000);
    else if (a == "--induction-length") options.induction.induction_length = parse_int(a, option_value(args, i), 1, kMaxTokens);
    else if (a == "--repeats") options.induction.induction_repeats = parse_int(a, option_value(args, i), 1, 1000);
    else if (a == "--seed") options.induction.seed = parse_u64(a, option_value(args, i));
    else if (a == "--markdown") markdown = true;
    else throw Error("unknown argument \"" + a + "\" for heads");
  }
  if (model_dir.empty()) throw Error("heads needs --model DIR");
  const Gpt gpt = Gpt::load(model_dir);
  const Probes probes = load_probes(find_probes_dir(probes_dir, model_dir));
  const auto reports = analyse_heads(gpt_head_model(gpt), probes, text, options);
  if (markdown) print_markdown(reports);
  else std::cout << json_text(head_reports_to_json(reports), 1) << "\n";
  return 0;
}

}  // namespace llmsim::cli
