// Scores of one head's attention pattern, computed from the weights alone, so each
// can be checked on a hand-built matrix. `w` is a head's weights [T, T]: row i is
// query i's distribution over keys 0..i (causal; entries above the diagonal are 0).
// The fixed patterns (previous token, first token, self, entropy, induction) are
// heads/pattern_scores.hpp's; these score a head against the annotated probes:
// syntax and semantics.
#pragma once
#include <string>
#include <vector>

#include "heads/probes.hpp"
#include "matrix.hpp"

namespace llmsim {

// ---- Syntax (Clark et al. 2019, "What does BERT look at?") ----
// One annotated pair mapped onto tokens: does token `query` look hardest at `key`?
struct TokenPair {
  int relation = 0;  // index into syntax_relations()
  int query = 0;     // the later word's last token
  int key = 0;       // the earlier word's last token; key < query
};

// Maps a sentence's annotated word pairs onto its tokens (token_of_word).
std::vector<TokenPair> syntax_token_pairs(const SyntaxSentence& sentence,
                                          const std::vector<TokenSpan>& spans);

// The key the query looks at hardest among keys first_key..query, or -1 when that
// largest weight is shared (a head that gives every word the same weight, or none,
// names no word; with ties broken by position it would "find" whatever word is first).
// first_key = 1 skips a BOS token: it is not a word, and a head that parks its spare
// weight there may still prefer one word among the rest (Clark et al. likewise leave
// out [CLS]/[SEP] when they read a head as a parser).
int most_attended_key(const Matrix& w, int query, int first_key);

// Hits, totals and the weight on the annotated word per relation, summed over sentences.
struct RelationCounts {
  std::vector<int> hits, total;  // [relation]
  std::vector<double> weight;    // [relation] sum of w(query, key)
  RelationCounts()
      : hits(syntax_relations().size(), 0),
        total(syntax_relations().size(), 0),
        weight(syntax_relations().size(), 0.0) {}
  float accuracy(int relation) const {
    return total[relation] ? float(hits[relation]) / float(total[relation]) : 0.0f;
  }
  // Mean weight on the annotated word: an argmax can be won by a hair in a head that
  // spreads its weight evenly, so the label also asks for real weight.
  float mean_weight(int relation) const {
    return total[relation] ? float(weight[relation] / total[relation]) : 0.0f;
  }
};

// Adds one sentence's pairs to `counts`: a hit when most_attended_key(...) == key.
void count_syntax_hits(const Matrix& w, const std::vector<TokenPair>& pairs, int first_key,
                       RelationCounts& counts);

// The position-only baseline: for each relation, the best accuracy of "the query looks
// at the token k positions back", over k = 1..max_offset. A head must beat this to count
// as syntactic rather than positional (det pairs are mostly adjacent, so a previous-token
// head scores high on det without knowing any syntax).
struct OffsetBaseline {
  std::vector<float> accuracy;  // [relation]
  std::vector<int> offset;      // [relation] the k that achieves it
};
OffsetBaseline syntax_offset_baseline(const std::vector<std::vector<TokenPair>>& pairs,
                                      int max_offset = 8);

// ---- Semantics ----
// Weight that row `query` puts on the listed keys.
float attention_share(const Matrix& w, int query, const std::vector<int>& keys);

}  // namespace llmsim
