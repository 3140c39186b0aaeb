// Head scores on hand-built attention patterns whose scores are known exactly.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "heads/pattern_scores.hpp"
#include "heads/probe_scores.hpp"
#include "heads/probes.hpp"

using namespace llmsim;

// A causal pattern [T, T] with all its weight on key(i) in row i.
template <typename Key>
static Matrix one_hot_pattern(int T, Key key) {
  Matrix w = Matrix::Zero(T, T);
  for (int i = 0; i < T; ++i) w(i, key(i)) = 1.0f;
  return w;
}

static Matrix uniform_pattern(int T) {
  Matrix w = Matrix::Zero(T, T);
  for (int i = 0; i < T; ++i) w.row(i).head(i + 1).setConstant(1.0f / float(i + 1));
  return w;
}

TEST_CASE("a diagonal pattern scores self 1; previous-token and sink patterns score self 0") {
  CHECK(self_score(one_hot_pattern(6, [](int i) { return i; })) == 1.0f);
  CHECK(self_score(one_hot_pattern(6, [](int i) { return std::max(i - 1, 0); })) == 0.0f);
  CHECK(self_score(one_hot_pattern(6, [](int) { return 0; })) == 0.0f);
  // Uniform: row i gives 1/(i+1) to itself; queries 4..6 of 7: (1/5 + 1/6 + 1/7) / 3
  CHECK(self_score(uniform_pattern(7)) == Approx((1.0 / 5 + 1.0 / 6 + 1.0 / 7) / 3));
  // Like heads/pattern_scores.hpp's scores, self reads queries i >= 4 only, so it needs T > 4.
  CHECK_THROWS_AS(self_score(uniform_pattern(4)), Error);
}

TEST_CASE("uniform attention has normalised entropy 1, one-hot 0, and a hand-worked value") {
  CHECK(normalised_entropy(uniform_pattern(9)) == Approx(1.0).epsilon(1e-6));
  CHECK(normalised_entropy(one_hot_pattern(6, [](int i) { return std::max(i - 1, 0); })) == 0.0f);
  // Row 1 = [1, 0]: H = 0. Row 2 = [0.5, 0.25, 0.25]: H = 1.5 ln 2 = 1.03972077,
  // / ln 3 = 0.94639463. Mean over rows 1 and 2: 0.47319732.
  Matrix w = Matrix::Zero(3, 3);
  w << 1, 0, 0, 1, 0, 0, 0.5f, 0.25f, 0.25f;
  CHECK(normalised_entropy(w) == Approx(0.47319732).epsilon(1e-6));
  CHECK(normalised_entropy(Matrix::Ones(1, 1)) == 0.0f);  // no row i >= 1: 0, not NaN
}

// Four pairs in an 8-token sentence: relation det (0) twice, nsubj (2), pobj (4).
static std::vector<TokenPair> sample_pairs() {
  return {{0, 2, 1}, {0, 7, 5}, {2, 3, 2}, {4, 7, 4}};
}

TEST_CASE("a pattern that always looks at the annotated word scores syntactic accuracy 1") {
  const auto pairs = sample_pairs();
  for (const TokenPair& p : pairs) {
    Matrix w = uniform_pattern(8);
    w.row(p.query).setZero();
    w(p.query, 0) = 0.6f;  // most of the weight parks on BOS, which is not a word
    w(p.query, p.key) = 0.3f;
    w(p.query, p.query) = 0.1f;
    RelationCounts counts;
    count_syntax_hits(w, {p}, /*first_key=*/1, counts);
    CHECK(counts.accuracy(p.relation) == 1.0f);
    CHECK(counts.mean_weight(p.relation) == Approx(0.3f));
    RelationCounts with_bos;  // counting BOS as a candidate, the same head misses
    count_syntax_hits(w, {p}, /*first_key=*/0, with_bos);
    CHECK(with_bos.accuracy(p.relation) == 0.0f);
  }
}

TEST_CASE("a previous-token head scores the offset-1 baseline on every relation") {
  const auto pairs = sample_pairs();
  const Matrix prev = one_hot_pattern(8, [](int i) { return std::max(i - 1, 0); });
  RelationCounts counts;
  count_syntax_hits(prev, pairs, 1, counts);
  // det: (2,1) is adjacent, (7,5) is not -> 1/2. nsubj (3,2) adjacent -> 1. pobj (7,4) -> 0.
  CHECK(counts.accuracy(0) == 0.5f);
  CHECK(counts.accuracy(2) == 1.0f);
  CHECK(counts.accuracy(4) == 0.0f);
  CHECK(counts.total[1] == 0);
  CHECK(counts.accuracy(1) == 0.0f);  // no pairs: 0, not NaN
  const OffsetBaseline baseline = syntax_offset_baseline({pairs});
  CHECK(baseline.accuracy[0] == 0.5f);  // offsets 1 and 2 tie at 1/2; the first wins
  CHECK(baseline.offset[0] == 1);
  CHECK(baseline.accuracy[2] == 1.0f);
  CHECK(baseline.accuracy[4] == 1.0f);  // (7,4) at offset 3
  CHECK(baseline.offset[4] == 3);
}

TEST_CASE("most_attended_key skips BOS on request and names no key when the top is shared") {
  Matrix w = Matrix::Zero(4, 4);
  w.row(3) << 0.4f, 0.1f, 0.3f, 0.2f;
  CHECK(most_attended_key(w, 3, 0) == 0);
  CHECK(most_attended_key(w, 3, 1) == 2);
  w.row(3) << 0.4f, 0.2f, 0.2f, 0.2f;  // the words tie
  CHECK(most_attended_key(w, 3, 0) == 0);
  CHECK(most_attended_key(w, 3, 1) == -1);
  w.row(3) << 0.1f, 0.3f, 0.3f, 0.3f;  // a shared maximum, not the first entry
  CHECK(most_attended_key(w, 3, 1) == -1);
}

TEST_CASE("a head with no weight on any word (all on BOS) gets no syntax hits") {
  const Matrix sink = one_hot_pattern(8, [](int) { return 0; });
  RelationCounts counts;
  count_syntax_hits(sink, sample_pairs(), 1, counts);
  for (int r = 0; r < 5; ++r) CHECK(counts.hits[r] == 0);
}

TEST_CASE("attention_share adds the weights of the listed keys and refuses later keys") {
  Matrix w = Matrix::Zero(4, 4);
  w.row(3) << 0.1f, 0.2f, 0.3f, 0.4f;
  CHECK(attention_share(w, 3, {0, 2}) == Approx(0.4f));
  CHECK(attention_share(w, 3, {}) == 0.0f);
  CHECK_THROWS_AS(attention_share(w, 2, {3}), Error);
}

TEST_CASE("syntax pairs map onto the last token of each word") {
  const auto sentences = parse_syntax_probe("The bigcat sat. | det The bigcat, nsubj bigcat sat\n");
  // Tokens: BOS, "The", " big", "cat", " sat", "." ("bigcat" is two pieces).
  const std::vector<TokenSpan> spans = {{0, 0}, {0, 3}, {3, 7}, {7, 10}, {10, 14}, {14, 15}};
  const auto pairs = syntax_token_pairs(sentences.at(0), spans);
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0].relation == 0);
  CHECK(pairs[0].key == 1);
  CHECK(pairs[0].query == 3);  // "cat", the last piece of "bigcat"
  CHECK(pairs[1].relation == 2);
  CHECK(pairs[1].key == 3);
  CHECK(pairs[1].query == 4);
}
