#include "heads/labels.hpp"

#include <cmath>
#include <cstdio>

namespace llmsim {

static std::string fixed2(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", x);
  return buffer;
}

static std::string fixed1(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", x);
  return buffer;
}

static std::string percent(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.1f%%", std::abs(x) < 5e-4 ? 0.0 : 100.0 * x);
  return buffer;
}

// What switching the head off does, appended to every reason.
static std::string loss_clause(const HeadReport& r) {
  return "; mean-ablating it changes the loss by " + percent(r.importance_relative);
}

// The three specific behaviours, each as a test and as a clause that quotes its numbers.
static bool is_induction(const HeadReport& r, const LabelThresholds& t) {
  return r.induction >= t.induction;
}

static bool is_syntactic(const HeadReport& r, const LabelThresholds& t) {
  return !r.syntactic_relation.empty() && r.syntactic_accuracy >= t.syntactic_accuracy &&
         r.syntactic_accuracy - r.syntactic_baseline >= t.syntactic_margin &&
         r.syntactic_weight >= t.syntactic_weight;
}

static bool is_semantic(const HeadReport& r, const LabelThresholds& t) {
  return r.semantic >= t.semantic_ratio && r.semantic_share >= t.semantic_share &&
         r.semantic_z >= t.semantic_z;
}

static std::string induction_clause(const HeadReport& r, const LabelThresholds& t) {
  return "induction score " + fixed2(r.induction) + " (>= " + fixed2(t.induction) +
         "): on repeated tokens it looks at what followed the last occurrence";
}

static std::string syntactic_clause(const HeadReport& r, const LabelThresholds& t) {
  return r.syntactic_relation + ": looks hardest at the right word in " +
         fixed2(r.syntactic_accuracy) + " of pairs (>= " + fixed2(t.syntactic_accuracy) +
         "; the best fixed offset gets " + fixed2(r.syntactic_baseline) + "), with mean weight " +
         fixed2(r.syntactic_weight) + " on it";
}

static std::string semantic_clause(const HeadReport& r, const LabelThresholds& t) {
  return fixed2(r.semantic_share) + " of its attention goes to earlier words of the same " +
         "category, " + fixed2(r.semantic) + "x the " + fixed2(r.semantic_control) +
         " it gives those positions when the words are swapped (>= " + fixed2(t.semantic_ratio) +
         "x; z = " + fixed1(r.semantic_z) + ")";
}

void label_head(HeadReport& r, const LabelThresholds& t) {
  const PatternScores& s = r.reference;
  // A head can clear more than one rule (a head that sends objects to their verbs may
  // also send words to earlier words of their kind; an induction head may rest on the
  // first token when nothing repeats). The first rule that holds names it; every other
  // one it clears is listed in `also` and quoted in the reason, so none is hidden.
  struct Behaviour {
    const char* label;
    bool holds;
    std::string clause;
  };
  const Behaviour rules[] = {
      {"induction", is_induction(r, t), induction_clause(r, t)},
      {"syntactic", is_syntactic(r, t), syntactic_clause(r, t)},
      {"semantic", is_semantic(r, t), semantic_clause(r, t)},
      {"previous-token", s.prev_token >= t.prev_token,
       fixed2(s.prev_token) + " of its attention goes to the previous token (>= " + fixed2(t.prev_token) + ")"},
      {"first-token sink", s.first_token >= t.first_token,
       fixed2(s.first_token) + " of its attention goes to the first token (>= " + fixed2(t.first_token) + ")"},
  };
  r.label.clear();
  r.also.clear();
  for (const Behaviour& b : rules) {
    if (!b.holds) continue;
    if (r.label.empty()) {
      r.label = b.label;
      r.reason = b.clause;
    } else {
      r.also.push_back(b.label);
      r.reason += "; it is also " + std::string(b.label) + ": " + b.clause;
    }
  }
  if (r.label.empty() && s.self < t.idle_self && std::abs(r.importance_relative) < t.idle_loss_change) {
    r.label = "idle";
    r.reason = "no score clears its threshold (prev " + fixed2(s.prev_token) + ", first " +
               fixed2(s.first_token) + ", self " + fixed2(s.self) + ", induction " +
               fixed2(r.induction) + ") and the loss moves by under " +
               percent(t.idle_loss_change).substr(1);
  } else if (r.label.empty()) {
    r.label = "broad/positional";
    r.reason = "no pattern clears its threshold; entropy " + fixed2(s.entropy) + ", self " +
               fixed2(s.self) + ", prev " + fixed2(s.prev_token) + ", first " +
               fixed2(s.first_token);
  }
  r.reason += loss_clause(r);
}

static double round4(double x) {
  const double r = std::round(x * 1e4) / 1e4;
  return r == 0 ? 0.0 : r;  // never print -0
}

// A score of a text too short to have one is null, not a misleading 0.
static nlohmann::ordered_json scored(const PatternScores& s, float value) {
  return s.queries > 0 ? nlohmann::ordered_json(round4(value)) : nlohmann::ordered_json(nullptr);
}

static nlohmann::ordered_json pattern_to_json(const PatternScores& s) {
  return {{"prev_token", scored(s, s.prev_token)},
          {"first_token", scored(s, s.first_token)},
          {"self", scored(s, s.self)},
          {"entropy", round4(s.entropy)}};
}

nlohmann::ordered_json head_report_to_json(const HeadReport& r) {
  nlohmann::ordered_json j = {
      {"layer", r.layer},
      {"head", r.head},
      {"prev_token", scored(r.text, r.text.prev_token)},
      {"first_token", scored(r.text, r.text.first_token)},
      {"self", scored(r.text, r.text.self)},
      {"induction", round4(r.induction)},
      {"induction_text", r.induction_text ? nlohmann::ordered_json(round4(*r.induction_text)) : nullptr},
      {"entropy", round4(r.text.entropy)},
      {"syntactic",
       {{"relation", r.syntactic_relation},
        {"accuracy", round4(r.syntactic_accuracy)},
        {"baseline", round4(r.syntactic_baseline)},
        {"weight", round4(r.syntactic_weight)}}},
      {"semantic", round4(r.semantic)},
      {"semantic_share", round4(r.semantic_share)},
      {"semantic_control", round4(r.semantic_control)},
      {"semantic_z", round4(r.semantic_z)},
      {"importance", round4(r.importance)},
      {"importance_relative", round4(r.importance_relative)},
      {"importance_rank", r.importance_rank},
      {"importance_zero", round4(r.importance_zero)},
      {"label", r.label},
      {"also", r.also},
      {"reason", r.reason},
      {"reference", pattern_to_json(r.reference)}};
  nlohmann::ordered_json evidence = nlohmann::ordered_json::array();
  for (const EvidenceSnippet& e : r.evidence)
    evidence.push_back({{"sequence", e.sequence}, {"query", e.query}, {"key", e.key},
                        {"weight", round4(e.weight)}, {"positions", e.positions}, {"tokens", e.tokens}});
  j["evidence"] = evidence;
  return j;
}

nlohmann::ordered_json head_reports_to_json(const std::vector<HeadReport>& reports) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const HeadReport& r : reports) list.push_back(head_report_to_json(r));
  return list;
}

}  // namespace llmsim
