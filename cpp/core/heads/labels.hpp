// One label per head, from measured numbers and fixed, documented thresholds, with a
// one-line reason that quotes the numbers. A label is given only where its numbers
// clear its thresholds; a head that clears none gets "broad/positional", or "idle"
// when switching it off also barely changes the loss.
//
// The rules, tried in this order (the first that holds names the head). The specific
// behaviours come first: a head that rests on the first token whenever its pattern
// does not apply is still, say, an induction head. Every other rule a head clears is
// listed in `also` (e.g. "first-token sink") and quoted in its reason.
// They cannot be won by position alone: syntax must beat the fixed-offset baseline
// and semantics the shuffled control, which a previous-token head does not.
//   induction          induction >= 0.30   (weight on the token after the previous
//                      occurrence of the current token, on repeated random tokens)
//   syntactic          best relation accuracy >= 0.50, at least 0.15 above the best
//                      fixed-offset baseline for that relation, and mean weight on
//                      the annotated word >= 0.25 (a near-uniform head can win an
//                      argmax by a hair; that is not a head that looks at its word)
//   semantic           semantic ratio >= 1.5, same-category share >= 0.10, and the
//                      paired z-score over the probe's queries >= 3 (not noise)
//   previous-token     prev_token >= 0.50  (mean weight on the token just before)
//   first-token sink   first_token >= 0.50 (mean weight on the first token, BOS)
//   idle               none of the above, self < 0.50 (no pattern stands out), and
//                      the loss changes by less than 1% when the head alone is
//                      mean-ablated
//   broad/positional   none of the above (the reason gives entropy, self and the rest)
// prev_token, first_token, self and entropy used here are the reference scores (on
// the validation text), so a head's label does not change with the text the reader
// types.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "heads/evidence.hpp"

namespace llmsim {

struct LabelThresholds {
  float induction = 0.30f;
  float prev_token = 0.50f;
  float first_token = 0.50f;
  float syntactic_accuracy = 0.50f;
  float syntactic_margin = 0.15f;  // over the fixed-offset baseline
  float syntactic_weight = 0.25f;  // mean weight on the annotated word
  float semantic_ratio = 1.5f;
  float semantic_share = 0.10f;
  float semantic_z = 3.0f;
  float idle_self = 0.50f;         // a head this diagonal has a visible pattern
  float idle_loss_change = 0.01f;  // relative: 1%
};

struct PatternScores {
  float prev_token = 0, first_token = 0, self = 0;  // over queries i >= 4 (heads/pattern_scores.hpp)
  float entropy = 0;                                // over queries i >= 1
  long queries = 0;  // queries behind prev/first/self; 0 (text too short): JSON null
};

struct HeadReport {
  int layer = 0, head = 0;
  PatternScores text;       // on the text the reader gave (or the validation text)
  PatternScores reference;  // on the validation text: what the label reads
  float induction = 0;              // on repeated random tokens
  std::optional<float> induction_text;  // on repeated passages of text; none: no passages
  std::string syntactic_relation;  // the relation with the largest margin over baseline
  float syntactic_accuracy = 0;
  float syntactic_baseline = 0;    // best fixed-offset accuracy for that relation
  float syntactic_weight = 0;      // mean weight on the annotated word, that relation
  float semantic = 0;              // same-category share / control share
  float semantic_share = 0;        // weight on earlier same-category words
  float semantic_control = 0;      // weight on those positions in the shuffled controls
  float semantic_z = 0;            // paired z-score of share - control over the queries
  float importance = 0;            // loss increase (nats), this head alone mean-ablated
  float importance_relative = 0;   // importance / loss with every head on
  int importance_rank = 0;         // 1 = the most important head
  float importance_zero = 0;       // loss increase (nats), this head alone zero-ablated
  std::string label, reason;
  std::vector<std::string> also;   // further specific rules it clears (after `label`)
  std::vector<EvidenceSnippet> evidence;  // where the label shows most, on the validation text
};

// Sets report.label and report.reason from the other fields.
void label_head(HeadReport& report, const LabelThresholds& thresholds = {});

// The JSON for one head: {"layer", "head", "prev_token", "first_token", "self",
// "induction", "entropy", "syntactic": {"relation", "accuracy", "baseline", "weight"},
// "semantic", "semantic_share", "semantic_control", "semantic_z", "importance",
// "importance_relative", "importance_rank", "importance_zero", "label", "also", "reason",
// "reference": {"prev_token", "first_token", "self", "entropy"}, "evidence": [{"sequence",
// "query", "key", "weight", "positions", "tokens"}]}. Numbers are rounded
// to 4 decimals so that the output is stable to read and to diff.
nlohmann::ordered_json head_report_to_json(const HeadReport& report);
nlohmann::ordered_json head_reports_to_json(const std::vector<HeadReport>& reports);

}  // namespace llmsim
