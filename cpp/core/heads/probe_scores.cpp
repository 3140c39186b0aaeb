#include "heads/probe_scores.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "heads/pattern_scores.hpp"

namespace llmsim {

std::vector<TokenPair> syntax_token_pairs(const SyntaxSentence& sentence,
                                          const std::vector<TokenSpan>& spans) {
  const auto& relations = syntax_relations();
  std::vector<TokenPair> pairs;
  for (const SyntaxPair& p : sentence.pairs) {
    TokenPair t;
    t.relation = int(std::find(relations.begin(), relations.end(), p.relation) - relations.begin());
    if (t.relation == int(relations.size())) throw Error("unknown relation \"" + p.relation + "\"");
    t.query = token_of_word(spans, sentence.words.at(p.later));
    t.key = token_of_word(spans, sentence.words.at(p.earlier));
    if (t.key >= t.query)  // two words inside one token: nothing to attend to
      throw Error("syntax probe line " + std::to_string(sentence.line) + ": \"" +
                  sentence.words[p.earlier].text + "\" and \"" + sentence.words[p.later].text +
                  "\" share a token");
    pairs.push_back(t);
  }
  return pairs;
}

int most_attended_key(const Matrix& w, int query, int first_key) {
  int best = -1;
  bool shared = false;
  for (int j = std::max(first_key, 0); j <= query; ++j) {
    if (best >= 0 && w(query, j) == w(query, best)) shared = true;
    if (best < 0 || w(query, j) > w(query, best)) {
      best = j;
      shared = false;
    }
  }
  return shared ? -1 : best;
}

void count_syntax_hits(const Matrix& w, const std::vector<TokenPair>& pairs, int first_key,
                       RelationCounts& counts) {
  for (const TokenPair& p : pairs) {
    if (p.query >= w.rows()) throw Error("syntax pair beyond the attention pattern");
    counts.total[p.relation] += 1;
    counts.weight[p.relation] += w(p.query, p.key);
    if (most_attended_key(w, p.query, first_key) == p.key) counts.hits[p.relation] += 1;
  }
}

OffsetBaseline syntax_offset_baseline(const std::vector<std::vector<TokenPair>>& pairs,
                                      int max_offset) {
  const int R = int(syntax_relations().size());
  OffsetBaseline baseline{std::vector<float>(R, 0.0f), std::vector<int>(R, 1)};
  for (int k = 1; k <= max_offset; ++k) {
    std::vector<int> hits(R, 0), total(R, 0);
    for (const auto& sentence : pairs)
      for (const TokenPair& p : sentence) {
        total[p.relation] += 1;
        if (p.query - k == p.key) hits[p.relation] += 1;
      }
    for (int r = 0; r < R; ++r) {
      const float accuracy = total[r] ? float(hits[r]) / float(total[r]) : 0.0f;
      if (accuracy > baseline.accuracy[r]) {
        baseline.accuracy[r] = accuracy;
        baseline.offset[r] = k;
      }
    }
  }
  return baseline;
}

float attention_share(const Matrix& w, int query, const std::vector<int>& keys) {
  double share = 0;
  for (int j : keys) {
    if (j > query || query >= w.rows()) throw Error("attention_share: key after the query");
    share += w(query, j);
  }
  return float(share);
}

}  // namespace llmsim
