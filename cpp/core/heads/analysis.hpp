// What every head does, measured: pattern scores on a text, syntax and semantics on
// the shipped probes, importance by ablation, and a label (heads/labels.hpp).
//
// The probes (web/probes/, formats in probes.hpp):
//   syntax.txt      annotated word pairs; per head and relation, the fraction of pairs
//                   whose later word looks hardest at the earlier word (Clark et al.
//                   2019), against a fixed-offset baseline.
//   semantic.txt    sentences with words of categories (colours, animals, ...).
//   validation.txt  held-out stories, one per paragraph: the reference text for the
//                   pattern scores the labels read, and the text importance is
//                   measured on.
//
// Semantic score. For each marked word q with earlier words E of its own category:
//   share   = weight from q's last token to the last tokens of E.
//   control = the same, after each word of E is replaced by a word of another category
//             (drawn from the probe's pool with a fixed seed), n_controls times.
// The query word and every position stay the same (the replacements are single
// words; if one is several tokens the measurement follows its last token), so
// position, distance and the query's identity are held fixed and only "same category"
// is taken away. The reported number is the ratio of the means, share / control
// (each mean over all queries; 1e-3 is added to both so a zero control stays finite).
// With it comes a paired z-score over the queries: d_q = share_q - mean control_q,
// z = mean(d) / (sd(d) / sqrt(n)); a ratio that noise could produce has a small z.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "heads/ablation.hpp"
#include "heads/head_model.hpp"
#include "heads/labels.hpp"
#include "heads/pattern_scores.hpp"
#include "heads/probe_scores.hpp"
#include "heads/probes.hpp"

namespace llmsim {

template <typename T>
using PerHead = std::vector<std::vector<T>>;  // [layer][head]

// Pattern scores of every head over texts run one by one (a text longer than the
// context in pieces of BOS + context - 1 tokens, as split_into_sequences), each score
// pooled over the queries of all texts (prev/first/self over i >= 4 as heads/pattern_scores.hpp,
// entropy over i >= 1).
PerHead<PatternScores> pattern_scores(const HeadModel& model,
                                      const std::vector<std::string>& texts);

struct SyntaxResult {
  PerHead<RelationCounts> counts;
  OffsetBaseline baseline;
};
SyntaxResult syntax_scores(const HeadModel& model, const std::vector<SyntaxSentence>& probe);

struct SemanticResult {
  PerHead<float> share, control;  // means over queries (control: over queries × controls)
  PerHead<float> z;               // paired z-score of share_q - control_q over the queries
  int n_queries = 0;
};
SemanticResult semantic_scores(const HeadModel& model, const SemanticProbe& probe,
                               int n_controls = 3, uint64_t seed = 20190611);
float semantic_ratio(float share, float control);  // (share + 1e-3) / (control + 1e-3)

struct ImportanceResult {
  double base_loss = 0;                // every head on
  PerHead<double> loss_increase;       // this head alone mean-ablated, minus base_loss
  PerHead<double> loss_increase_zero;  // the same with zero ablation
};
ImportanceResult head_importance(const HeadModel& model, const std::vector<std::string>& texts,
                                 const HeadMeans& means);

// heads/pattern_scores.hpp's induction score, averaged over options.induction_repeats probes
// [BOS, R, R] drawn with options.seed (score_heads does the same on a Gpt directly).
PerHead<float> induction_scores(const HeadModel& model, const HeadScoreOptions& options);
// The same probes' induction score, and their previous-token score (pattern_scores.hpp),
// from one forward pass each: on random tokens a previous-token head can only be
// looking one back by position, not by what the tokens say (the Train view's timeline).
struct RandomProbeScores {
  PerHead<float> induction, prev_token;
};
RandomProbeScores random_probe_scores(const HeadModel& model, const HeadScoreOptions& options);

// The induction score on ordinary text: each repeated passage P (probes.hpp) is read as
// [BOS, P, P] with P the tokens of " " + passage, and scored as the random probe is
// (heads/pattern_scores.hpp: mean A[i, i−n+1] over the second copy, n = |P|). Averaged over the
// passages whose n tokens are all different (a repeated token would give a second
// earlier occurrence) and whose 2n + 1 tokens fit the context; nullopt when none do.
std::optional<PerHead<float>> passage_induction_scores(const HeadModel& model,
                                                       const std::vector<std::string>& passages);

struct HeadAnalysisOptions {
  int semantic_controls = 3;
  HeadScoreOptions induction;  // probe length, repeats, seed (heads/pattern_scores.hpp)
  LabelThresholds thresholds;
};

// Every head's report, in layer-major order. `text` (may be empty) is the reader's
// text for the `text` pattern scores; when empty they are the reference scores.
std::vector<HeadReport> analyse_heads(const HeadModel& model, const Probes& probes,
                                      const std::string& text,
                                      const HeadAnalysisOptions& options = {});

}  // namespace llmsim
