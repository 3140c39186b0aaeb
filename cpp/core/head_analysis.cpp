#include "head_analysis.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

#include "error.hpp"
#include "rng.hpp"

namespace llmsim {

template <typename T>
static PerHead<T> per_head(const HeadModel& model, const T& value) {
  return PerHead<T>(model.n_layer, std::vector<T>(model.n_head, value));
}

PerHead<PatternScores> pattern_scores(const HeadModel& model,
                                      const std::vector<std::string>& texts) {
  // Sums over queries, divided by the query counts at the end, so long texts weigh more.
  PerHead<std::array<double, 4>> sums = per_head(model, std::array<double, 4>{0, 0, 0, 0});
  long scored = 0, rows = 0;  // queries i >= kFirstScoredQuery, and i >= 1
  Trace trace;
  std::vector<std::vector<int>> sequences;  // a text longer than the context is read in pieces
  for (const std::string& text : texts) {
    const std::vector<int> ids = model.encode(text).ids;  // BOS first
    if (int(ids.size()) <= model.context) {
      sequences.push_back(ids);
      continue;
    }
    for (auto& piece : split_into_sequences({ids.begin() + 1, ids.end()}, model.bos_id, model.context))
      sequences.push_back(std::move(piece));
  }
  for (const std::vector<int>& ids : sequences) {
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
  const int n = options.induction_length;
  if (2 * n + 1 > model.context)
    throw Error("induction: the probe of 2·" + std::to_string(n) +
                " + 1 tokens does not fit the context of " + std::to_string(model.context));
  if (options.induction_repeats < 1) throw Error("induction: needs at least one probe");
  PerHead<double> sums = per_head(model, 0.0);
  Rng rng(options.seed);
  Trace trace;
  for (int r = 0; r < options.induction_repeats; ++r) {
    const std::vector<int> probe = induction_probe(n, model.vocab_size, model.bos_id, rng);
    model.forward(probe, {}, trace);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h)
        sums[l][h] += induction_score(trace.layers.at(l).heads.at(h).weights, n);
  }
  PerHead<float> scores = per_head(model, 0.0f);
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h)
      scores[l][h] = float(sums[l][h] / options.induction_repeats);
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
  SemanticResult r;
  r.share = per_head(model, 0.0f);
  r.control = per_head(model, 0.0f);
  PerHead<double> share = per_head(model, 0.0), control = per_head(model, 0.0);
  Rng rng(seed);
  Trace trace, control_trace;
  // Adds the weight from the query word to the key words, for every head.
  auto add_shares = [&](const Trace& t, const EncodedText& e, const std::vector<ProbeWord>& words,
                        int query_word, const std::vector<int>& key_words, PerHead<double>& into) {
    const int query = token_of_word(e.spans, words[query_word]);
    std::vector<int> keys;
    for (int k : key_words) keys.push_back(token_of_word(e.spans, words[k]));
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h)
        into[l][h] += attention_share(t.layers.at(l).heads.at(h).weights, query, keys);
  };
  for (const SemanticSentence& s : probe.sentences) {
    const EncodedText e = encode_within_context(model, s.text);
    model.forward(e.ids, {}, trace);
    for (size_t q = 0; q < s.marks.size(); ++q) {
      std::vector<int> same;  // earlier words of q's category
      for (size_t k = 0; k < q; ++k)
        if (s.marks[k].category == s.marks[q].category) same.push_back(s.marks[k].word);
      if (same.empty()) continue;
      ++r.n_queries;
      add_shares(trace, e, s.words, s.marks[q].word, same, share);
      const std::vector<std::string> pool = control_words(probe, s.marks[q].category);
      if (pool.empty())
        throw Error("semantic probe: no words outside category \"" + s.marks[q].category + "\"");
      for (int c = 0; c < n_controls; ++c) {
        std::vector<std::string> by;
        for (size_t k = 0; k < same.size(); ++k) by.push_back(pool[rng.next_u64() % pool.size()]);
        const std::string text = replace_words(s.text, s.words, same, by);
        const std::vector<ProbeWord> words = probe_words(text);
        const EncodedText ce = encode_within_context(model, text);
        model.forward(ce.ids, {}, control_trace);
        add_shares(control_trace, ce, words, s.marks[q].word, same, control);
      }
    }
  }
  if (r.n_queries == 0)
    throw Error("semantic probe: no word has an earlier word of its category");
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h) {
      r.share[l][h] = float(share[l][h] / r.n_queries);
      r.control[l][h] = float(control[l][h] / (double(r.n_queries) * n_controls));
    }
  return r;
}

ImportanceResult head_importance(const HeadModel& model, const std::vector<std::string>& texts,
                                 const HeadMeans& means) {
  ImportanceResult r;
  r.base_loss = mean_loss(model, texts, {});
  r.loss_increase = per_head(model, 0.0);
  for (int l = 0; l < model.n_layer; ++l)
    for (int h = 0; h < model.n_head; ++h)
      r.loss_increase[l][h] =
          mean_loss(model, texts, make_ablations(model, {{l, h}}, AblationMode::mean, &means)) -
          r.base_loss;
  return r;
}

HeadModel gpt_head_model(const Gpt& gpt) {
  HeadModel m;
  m.n_layer = gpt.config().n_layer;
  m.n_head = gpt.config().n_head;
  m.context = gpt.config().context;
  m.vocab_size = gpt.config().vocab_size;
  m.bos_id = gpt.tokenizer().bos_id();
  m.encode = [&gpt](const std::string& text) {
    Encoding e = gpt.tokenizer().encode(text, /*add_bos=*/true);
    return EncodedText{std::move(e.ids), std::move(e.spans)};
  };
  m.forward = [&gpt](const std::vector<int>& ids, const HeadAblations& ablation, Trace& trace) {
    GptRunOptions options;
    options.ablation = ablation;
    gpt_forward(gpt.config(), gpt.weights(), ids, options, trace);
  };
  m.top_k = [&gpt](const RowVector& logits, int k) {
    return top_k_predictions(logits, k, /*temperature=*/1.0f, gpt.tokenizer());
  };
  return m;
}

std::vector<HeadReport> analyse_heads(const HeadModel& model, const Probes& probes,
                                      const std::string& text,
                                      const HeadAnalysisOptions& options) {
  const PerHead<float> induction = induction_scores(model, options.induction);
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
      const RelationCounts& counts = syntax.counts[l][h];
      // The relation this head is most syntactic about: the largest margin over the
      // position-only baseline (raw accuracy would favour det, which adjacency solves).
      auto margin = [&](int rel) { return counts.accuracy(rel) - syntax.baseline.accuracy[rel]; };
      int best = 0;  // ties: the earlier relation
      for (int rel = 1; rel < int(syntax_relations().size()); ++rel)
        if (margin(rel) > margin(best)) best = rel;
      r.syntactic_relation = syntax_relations()[best];
      r.syntactic_accuracy = counts.accuracy(best);
      r.syntactic_baseline = syntax.baseline.accuracy[best];
      r.semantic_share = semantic.share[l][h];
      r.semantic_control = semantic.control[l][h];
      r.semantic = semantic_ratio(r.semantic_share, r.semantic_control);
      r.importance = float(importance.loss_increase[l][h]);
      r.importance_relative = float(importance.loss_increase[l][h] / importance.base_loss);
      reports.push_back(r);
    }
  // Rank by importance; ties keep layer-major order.
  std::vector<int> order(reports.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return reports[a].importance > reports[b].importance; });
  for (size_t rank = 0; rank < order.size(); ++rank) reports[order[rank]].importance_rank = int(rank) + 1;
  for (HeadReport& r : reports) label_head(r, options.thresholds);
  return reports;
}

}  // namespace llmsim
