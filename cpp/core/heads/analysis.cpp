#include "heads/analysis.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cctype>
#include <set>
#include <sstream>

#include "error.hpp"
#include "model/gpt.hpp"  // split_into_sequences
#include "rng.hpp"

namespace llmsim {

template <typename T>
static PerHead<T> per_head(const HeadModel& model, const T& value) {
  return PerHead<T>(model.n_layer, std::vector<T>(model.n_head, value));
}

// The token sequences the model reads `texts` as: each text on its own, BOS first, a
// text longer than the context in pieces (split_into_sequences).
static std::vector<std::vector<int>> reading_sequences(const HeadModel& model,
                                                       const std::vector<std::string>& texts) {
  std::vector<std::vector<int>> sequences;
  for (const std::string& text : texts) {
    const std::vector<int> ids = model.encode(text).ids;  // BOS first
    if (int(ids.size()) <= model.context) {
      sequences.push_back(ids);
      continue;
    }
    for (auto& piece : split_into_sequences({ids.begin() + 1, ids.end()}, model.bos_id, model.context))
      sequences.push_back(std::move(piece));
  }
  return sequences;
}

PerHead<PatternScores> pattern_scores(const HeadModel& model,
                                      const std::vector<std::string>& texts) {
  // Sums over queries, divided by the query counts at the end, so long texts weigh more.
  PerHead<std::array<double, 4>> sums = per_head(model, std::array<double, 4>{0, 0, 0, 0});
  long scored = 0, rows = 0;  // queries i >= kFirstScoredQuery, and i >= 1
  Trace trace;
  for (const std::vector<int>& ids : reading_sequences(model, texts)) {
    const int T = int(ids.size());
    if (T < 2) continue;
    model.forward(ids, {}, trace);
    const int n_scored = std::max(0, T - kFirstScoredQuery);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h) {
        const Matrix& w = trace.layers.at(l).heads.at(h).weights;  // [T, T]
        auto& s = sums[l][h];
        if (n_scored > 0) {
          s[0] += double(previous_token_score(w)) * n_scored;
          s[1] += double(first_token_score(w)) * n_scored;
          s[2] += double(self_score(w)) * n_scored;
        }
        s[3] += double(normalised_entropy(w)) * (T - 1);
      }
    scored += n_scored;
    rows += T - 1;
  }
  PerHead<PatternScores> scores = per_head(model, PatternScores{});
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) {
      const auto& s = sums[l][h];
      PatternScores& p = scores[l][h];
      p.queries = scored;
      if (scored > 0) {
        p.prev_token = float(s[0] / scored);
        p.first_token = float(s[1] / scored);
        p.self = float(s[2] / scored);
      }
      if (rows > 0) p.entropy = float(s[3] / rows);
    }
  return scores;
}

PerHead<float> induction_scores(const HeadModel& model, const HeadScoreOptions& options) {
  return random_probe_scores(model, options).induction;
}

RandomProbeScores random_probe_scores(const HeadModel& model, const HeadScoreOptions& options) {
  const int n = options.induction_length;
  if (2 * n + 1 > model.context)
    throw Error("induction: the probe of 2·" + std::to_string(n) +
                " + 1 tokens does not fit the context of " + std::to_string(model.context));
  if (options.induction_repeats < 1) throw Error("induction: needs at least one probe");
  PerHead<double> induction = per_head(model, 0.0), prev_token = per_head(model, 0.0);
  Rng rng(options.seed);
  Trace trace;
  for (int r = 0; r < options.induction_repeats; ++r) {
    const std::vector<int> probe = induction_probe(n, model.vocab_size, model.bos_id, rng);
    model.forward(probe, {}, trace);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h) {
        const Matrix& weights = trace.layers.at(l).heads.at(h).weights;
        induction[l][h] += induction_score(weights, n);
        prev_token[l][h] += previous_token_score(weights);
      }
  }
  RandomProbeScores scores{per_head(model, 0.0f), per_head(model, 0.0f)};
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) {
      scores.induction[l][h] = float(induction[l][h] / options.induction_repeats);
      scores.prev_token[l][h] = float(prev_token[l][h] / options.induction_repeats);
    }
  return scores;
}

std::optional<PerHead<float>> passage_induction_scores(const HeadModel& model,
                                                       const std::vector<std::string>& passages) {
  PerHead<double> sums = per_head(model, 0.0);
  int used = 0;
  Trace trace;
  for (const std::string& passage : passages) {
    const EncodedText once = model.encode(" " + passage);  // [BOS, P]
    const int n = int(once.ids.size()) - 1;
    const std::set<int> distinct(once.ids.begin() + 1, once.ids.end());
    if (n < 2 || int(distinct.size()) != n || 2 * n + 1 > model.context) continue;
    std::vector<int> probe = once.ids;                           // [BOS, P]
    probe.insert(probe.end(), once.ids.begin() + 1, once.ids.end());  // [BOS, P, P]
    model.forward(probe, {}, trace);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h)
        sums[l][h] += induction_score(trace.layers.at(l).heads.at(h).weights, n);
    ++used;
  }
  if (used == 0) return std::nullopt;
  PerHead<float> scores = per_head(model, 0.0f);
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) scores[l][h] = float(sums[l][h] / used);
  return scores;
}

SyntaxResult syntax_scores(const HeadModel& model, const std::vector<SyntaxSentence>& probe) {
  SyntaxResult result;
  result.counts = per_head(model, RelationCounts{});
  std::vector<std::vector<TokenPair>> all_pairs;
  Trace trace;
  for (const SyntaxSentence& sentence : probe) {
    const EncodedText e = encode_within_context(model, sentence.text);
    const std::vector<TokenPair> pairs = syntax_token_pairs(sentence, e.spans);
    all_pairs.push_back(pairs);
    model.forward(e.ids, {}, trace);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h)
        count_syntax_hits(trace.layers.at(l).heads.at(h).weights, pairs, /*first_key=*/1,
                          result.counts[l][h]);
  }
  result.baseline = syntax_offset_baseline(all_pairs);
  return result;
}

float semantic_ratio(float share, float control) { return (share + 1e-3f) / (control + 1e-3f); }

static std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Words a control may put in place of a word related to `category`: the pool of
// every other category, minus anything that is also a word of `category`.
static std::vector<std::string> control_words(const SemanticProbe& probe,
                                              const std::string& category) {
  std::vector<std::string> own;
  for (size_t c = 0; c < probe.categories.size(); ++c)
    if (probe.categories[c] == category)
      for (const std::string& w : probe.pool[c]) own.push_back(lower(w));
  std::vector<std::string> words;
  for (size_t c = 0; c < probe.categories.size(); ++c)
    if (probe.categories[c] != category)
      for (const std::string& w : probe.pool[c])
        if (std::find(own.begin(), own.end(), lower(w)) == own.end()) words.push_back(w);
  return words;
}

// `text` with the words at `indices` replaced (word indices are unchanged: every
// replacement is one word).
static std::string replace_words(const std::string& text, const std::vector<ProbeWord>& words,
                                 std::vector<int> indices, const std::vector<std::string>& by) {
  std::string out = text;
  std::vector<int> order(indices.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  // From the back, so earlier byte offsets stay valid.
  std::sort(order.begin(), order.end(), [&](int a, int b) { return indices[a] > indices[b]; });
  for (int i : order) {
    const ProbeWord& w = words[indices[i]];
    out.replace(w.begin, w.end - w.begin, by[i]);
  }
  return out;
}

SemanticResult semantic_scores(const HeadModel& model, const SemanticProbe& probe,
                               int n_controls, uint64_t seed) {
  if (n_controls < 1) throw Error("the semantic score needs at least one control");
  // Per head, one value per query: its share, and its mean share over the controls.
  PerHead<std::vector<double>> share = per_head(model, std::vector<double>{}),
                               control = per_head(model, std::vector<double>{});
  Rng rng(seed);
  Trace trace, control_trace;
  // The weight from the query word to the key words, for every head.
  auto shares = [&](const Trace& t, const EncodedText& e, const std::vector<ProbeWord>& words,
                    int query_word, const std::vector<int>& key_words) {
    const int query = token_of_word(e.spans, words[query_word]);
    std::vector<int> keys;
    for (int k : key_words) keys.push_back(token_of_word(e.spans, words[k]));
    PerHead<double> out = per_head(model, 0.0);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h)
        out[l][h] = attention_share(t.layers.at(l).heads.at(h).weights, query, keys);
    return out;
  };
  for (const SemanticSentence& s : probe.sentences) {
    const EncodedText e = encode_within_context(model, s.text);
    model.forward(e.ids, {}, trace);
    for (size_t q = 0; q < s.marks.size(); ++q) {
      std::vector<int> same;  // earlier words of q's category
      for (size_t k = 0; k < q; ++k)
        if (s.marks[k].category == s.marks[q].category) same.push_back(s.marks[k].word);
      if (same.empty()) continue;
      const PerHead<double> observed = shares(trace, e, s.words, s.marks[q].word, same);
      const std::vector<std::string> pool = control_words(probe, s.marks[q].category);
      if (pool.empty())
        throw Error("semantic probe: no words outside category \"" + s.marks[q].category + "\"");
      PerHead<double> controlled = per_head(model, 0.0);
      for (int c = 0; c < n_controls; ++c) {
        std::vector<std::string> by;
        for (size_t k = 0; k < same.size(); ++k) by.push_back(pool[rng.next_u64() % pool.size()]);
        const std::string text = replace_words(s.text, s.words, same, by);
        const EncodedText ce = encode_within_context(model, text);
        model.forward(ce.ids, {}, control_trace);
        const PerHead<double> one = shares(control_trace, ce, probe_words(text), s.marks[q].word, same);
        for (int l = 0; l < model.n_layer; ++l)
          for (int h = 0; h < model.n_head; ++h) controlled[l][h] += one[l][h] / n_controls;
      }
      for (int l = 0; l < model.n_layer; ++l)
        for (int h = 0; h < model.n_head; ++h) {
          share[l][h].push_back(observed[l][h]);
          control[l][h].push_back(controlled[l][h]);
        }
    }
  }
  SemanticResult r;
  r.n_queries = model.n_layer > 0 && model.n_head > 0 ? int(share[0][0].size()) : 0;
  if (r.n_queries == 0)
    throw Error("semantic probe: no word has an earlier word of its category");
  r.share = per_head(model, 0.0f);
  r.control = per_head(model, 0.0f);
  r.z = per_head(model, 0.0f);
  const double n = r.n_queries;
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) {
      double sum_share = 0, sum_control = 0, sum_d = 0, sum_d2 = 0;
      for (int q = 0; q < r.n_queries; ++q) {
        const double d = share[l][h][q] - control[l][h][q];
        sum_share += share[l][h][q];
        sum_control += control[l][h][q];
        sum_d += d;
        sum_d2 += d * d;
      }
      r.share[l][h] = float(sum_share / n);
      r.control[l][h] = float(sum_control / n);
      const double mean_d = sum_d / n;
      const double var_d = n > 1 ? std::max(0.0, (sum_d2 - n * mean_d * mean_d) / (n - 1)) : 0.0;
      const double se = std::sqrt(var_d / n);
      // No spread at all: any difference is certain (z large), none is no evidence.
      r.z[l][h] = float(se > 0 ? mean_d / se : (mean_d > 0 ? 1e3 : mean_d < 0 ? -1e3 : 0.0));
    }
  return r;
}

ImportanceResult head_importance(const HeadModel& model, const std::vector<std::string>& texts,
                                 const HeadMeans& means) {
  ImportanceResult r;
  r.base_loss = mean_loss(model, texts, {});
  r.loss_increase = per_head(model, 0.0);
  r.loss_increase_zero = per_head(model, 0.0);
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) {
      r.loss_increase[l][h] =
          mean_loss(model, texts, make_ablations(model.n_layer, model.n_head, {{l, h}}, AblationMode::mean, &means)) -
          r.base_loss;
      r.loss_increase_zero[l][h] =
          mean_loss(model, texts, make_ablations(model.n_layer, model.n_head, {{l, h}}, AblationMode::zero, nullptr)) -
          r.base_loss;
    }
  return r;
}

std::vector<HeadReport> analyse_heads(const HeadModel& model, const Probes& probes,
                                      const std::string& text,
                                      const HeadAnalysisOptions& options) {
  const PerHead<float> induction = induction_scores(model, options.induction);
  const std::optional<PerHead<float>> induction_text =
      passage_induction_scores(model, probes.repeated);
  const PerHead<PatternScores> reference = pattern_scores(model, probes.validation);
  const PerHead<PatternScores> on_text =
      text.empty() ? reference : pattern_scores(model, {text});
  const SyntaxResult syntax = syntax_scores(model, probes.syntax);
  const SemanticResult semantic = semantic_scores(model, probes.semantic, options.semantic_controls);
  const HeadMeans means = head_mean_outputs(model, probe_texts(probes));
  const ImportanceResult importance = head_importance(model, probes.validation, means);

  std::vector<HeadReport> reports;
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) {
      HeadReport r;
      r.layer = l;
      r.head = h;
      r.text = on_text[l][h];
      r.reference = reference[l][h];
      r.induction = induction.at(l).at(h);
      if (induction_text) r.induction_text = induction_text->at(l).at(h);
      const RelationCounts& counts = syntax.counts[l][h];
      // The relation this head is most syntactic about: the largest margin over the
      // position-only baseline (raw accuracy would favour det, which adjacency solves).
      auto margin = [&](int rel) { return counts.accuracy(rel) - syntax.baseline.accuracy[rel]; };
      int best = 0;  // ties: the earlier relation
      for (int rel = 1; rel < int(syntax_relations().size()); ++rel)
        if (margin(rel) > margin(best)) best = rel;
      r.syntactic_relation = syntax_relations()[best];
      r.syntactic_accuracy = counts.accuracy(best);
      r.syntactic_weight = counts.mean_weight(best);
      r.syntactic_baseline = syntax.baseline.accuracy[best];
      r.semantic_share = semantic.share[l][h];
      r.semantic_control = semantic.control[l][h];
      r.semantic = semantic_ratio(r.semantic_share, r.semantic_control);
      r.semantic_z = semantic.z[l][h];
      r.importance = float(importance.loss_increase[l][h]);
      r.importance_relative = float(importance.loss_increase[l][h] / importance.base_loss);
      r.importance_zero = float(importance.loss_increase_zero[l][h]);
      reports.push_back(r);
    }
  // Rank by importance; ties keep layer-major order.
  std::vector<int> order(reports.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return reports[a].importance > reports[b].importance; });
  for (size_t rank = 0; rank < order.size(); ++rank) reports[order[rank]].importance_rank = int(rank) + 1;
  for (HeadReport& r : reports) label_head(r, options.thresholds);
  // Evidence for each label, on the validation text
  PerHead<EvidenceKey> keys = per_head(model, EvidenceKey::strongest);
  for (const HeadReport& r : reports) keys[r.layer][r.head] = evidence_key(r.label);
  const auto evidence = head_evidence(model, reading_sequences(model, probes.validation), keys);
  for (HeadReport& r : reports) r.evidence = evidence[r.layer][r.head];
  return reports;
}

}  // namespace llmsim
