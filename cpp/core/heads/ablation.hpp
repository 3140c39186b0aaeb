// Knocking heads out and measuring what changes: the next-token loss on a text and
// the top-k predictions after its last token, with and without the ablation.
//
// Zero ablation replaces a head's output [T, d_k] by zeros. Mean ablation replaces it
// by the head's mean output over the probe texts (every position of every text, no
// heads off): it removes what the head says about *this* text while keeping the
// constant offset later layers are used to, so it measures the head's information
// rather than the shock of a missing input.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "heads/head_model.hpp"

namespace llmsim {

struct HeadId {
  int layer = 0, head = 0;
  bool operator==(const HeadId& o) const { return layer == o.layer && head == o.head; }
};

// "0.1,2.3" -> {{0,1},{2,3}} (LAYER.HEAD, 0-based); "" -> none. Error for anything
// malformed, out of range or repeated.
std::vector<HeadId> parse_head_list(const std::string& text, int n_layer, int n_head);

enum class AblationMode { zero, mean };
AblationMode parse_ablation_mode(const std::string& text);  // "zero" | "mean"
const char* ablation_mode_name(AblationMode mode);

using HeadMeans = std::vector<std::vector<RowVector>>;  // [layer][head] -> [d_k]

// Each head's output averaged over every position of every text (no heads off).
HeadMeans head_mean_outputs(const HeadModel& model, const std::vector<std::string>& texts);

// The per-layer ablation vectors of a model of n_layer × n_head heads for `heads`;
// mean mode needs `means`.
HeadAblations make_ablations(int n_layer, int n_head, const std::vector<HeadId>& heads,
                             AblationMode mode, const HeadMeans* means);

struct AblationResult {
  std::vector<HeadId> heads;
  AblationMode mode = AblationMode::zero;
  int n_tokens = 0;     // tokens scored, BOS included
  std::string warning;  // e.g. the text was cut to the model's context
  double loss_before = 0, loss_after = 0;
  std::vector<Prediction> top_before, top_after;
};

// Runs `text` with and without the ablation. Text longer than the context is cut.
AblationResult run_ablation(const HeadModel& model, const std::string& text,
                            const std::vector<HeadId>& heads, AblationMode mode,
                            const HeadMeans* means, int top_k = 5);

// {"heads": ["0.1", ...], "mode", "n_tokens", "loss_before", "loss_after", "loss_change",
//  "loss_change_relative", "top_k_before": [{"id", "text", "raw", "probability"}],
//  "top_k_after": [...], "warning"?}   (losses in nats per predicted token)
nlohmann::ordered_json ablation_to_json(const AblationResult& result);

// Mean next-token loss over texts (each run separately, weighted by the number of
// predicted tokens) with the given ablation.
double mean_loss(const HeadModel& model, const std::vector<std::string>& texts,
                 const HeadAblations& ablation);

// The model's token ids for `text`, cut to the context; `warning` says if it was cut.
EncodedText encode_within_context(const HeadModel& model, const std::string& text,
                                  std::string* warning = nullptr);

}  // namespace llmsim
