// Head scores on hand-built attention patterns whose scores are known exactly, and
// on a model whose attention is uniform by construction.
#include <catch2/catch.hpp>
#include <vector>

#include "error.hpp"
#include "heads/analysis.hpp"
#include "heads/gpt_head_model.hpp"
#include "heads/pattern_scores.hpp"
#include "random_gpt.hpp"
#include "rng.hpp"
#include "text/bpe_tokenizer.hpp"

using namespace llmsim;

namespace {

Matrix previous_token_pattern(int T) {  // every query on the token before it
  Matrix a = Matrix::Zero(T, T);
  a(0, 0) = 1;
  for (int i = 1; i < T; ++i) a(i, i - 1) = 1;
  return a;
}

Matrix sink_pattern(int T) {  // every query on BOS
  Matrix a = Matrix::Zero(T, T);
  a.col(0).setOnes();
  return a;
}

Matrix uniform_causal(int T) {  // query i spreads 1/(i+1) over keys 0..i
  Matrix a = Matrix::Zero(T, T);
  for (int i = 0; i < T; ++i) a.row(i).head(i + 1).setConstant(1.0f / float(i + 1));
  return a;
}

double mean_inverse(int from, int to) {  // mean of 1/(i+1) for i in [from, to)
  double s = 0;
  for (int i = from; i < to; ++i) s += 1.0 / (i + 1);
  return s / (to - from);
}

}  // namespace

TEST_CASE("exact patterns score 1 on their own measure and 0 on the others") {
  const int n = 20, T = 2 * n + 1;
  CHECK(previous_token_score(previous_token_pattern(T)) == 1.0f);
  CHECK(first_token_score(previous_token_pattern(T)) == 0.0f);
  CHECK(induction_score(previous_token_pattern(T), n) == 0.0f);

  CHECK(first_token_score(sink_pattern(T)) == 1.0f);
  CHECK(previous_token_score(sink_pattern(T)) == 0.0f);
  CHECK(induction_score(sink_pattern(T), n) == 0.0f);

  Matrix induction = previous_token_pattern(T);  // the first copy: previous token
  for (int i = n + 1; i <= 2 * n; ++i) {
    induction.row(i).setZero();
    induction(i, i - n + 1) = 1;  // the token after this one's first occurrence
  }
  CHECK(induction_score(induction, n) == 1.0f);
  // Half the second copy's weight on the right key gives 0.5.
  for (int i = n + 1; i <= 2 * n; ++i) {
    induction(i, i - n + 1) = 0.5f;
    induction(i, 0) = 0.5f;
  }
  CHECK(induction_score(induction, n) == Approx(0.5f));
}

TEST_CASE("uniform attention scores the mean of 1/(i+1), counted from query 4") {
  const int T = 12;
  CHECK(previous_token_score(uniform_causal(T)) == Approx(mean_inverse(4, T)).epsilon(1e-6));
  CHECK(first_token_score(uniform_causal(T)) == Approx(mean_inverse(4, T)).epsilon(1e-6));
  // Queries 0..3 do not count: changing them changes nothing.
  Matrix a = uniform_causal(T);
  a.topRows(4).setZero();
  CHECK(previous_token_score(a) == Approx(mean_inverse(4, T)).epsilon(1e-6));
  CHECK(induction_score(uniform_causal(2 * 5 + 1), 5) ==
        Approx(mean_inverse(6, 11)).epsilon(1e-6));
}

TEST_CASE("scores reject matrices they cannot read") {
  CHECK_THROWS_AS(previous_token_score(Matrix::Zero(4, 4)), Error);  // no query ≥ 4
  CHECK_THROWS_AS(first_token_score(Matrix::Zero(6, 5)), Error);
  CHECK_THROWS_AS(induction_score(Matrix::Zero(20, 20), 10), Error);  // needs 21
}

TEST_CASE("the induction probe is BOS, then R twice, R drawn without BOS") {
  Rng rng(5);
  const std::vector<int> probe = induction_probe(25, 7, 3, rng);
  REQUIRE(probe.size() == 51);
  CHECK(probe[0] == 3);
  std::vector<int> seen(7, 0);
  for (int j = 0; j < 25; ++j) {
    CHECK(probe[1 + j] == probe[26 + j]);
    CHECK(probe[1 + j] != 3);
    CHECK(probe[1 + j] >= 0);
    CHECK(probe[1 + j] < 7);
    seen[probe[1 + j]] = 1;
  }
  CHECK(seen[0] + seen[1] + seen[2] + seen[4] + seen[5] + seen[6] >= 5);  // not one token
  Rng other(6);
  CHECK(induction_probe(25, 7, 3, other) != probe);
}

TEST_CASE("scoring a model: zero query weights give uniform attention in every head") {
  // With W_Q = 0 every score q·k is 0, so each head attends uniformly over its prefix
  // and every score is the uniform pattern's, whatever the rest of the model. Run
  // through the analysis's own path: the GPT as a HeadModel, texts pooled by query.
  const Gpt random = random_gpt(9);  // one token per byte, and BOS; context 96
  GptWeights w = random.weights();
  for (GptBlock& b : w.blocks) b.attn.w_q.setZero();
  const Gpt gpt(random.config(), w, BpeTokenizer::from_merges({}));
  const HeadModel model = gpt_head_model(gpt);

  // BOS + 9 tokens (6 scored queries), BOS + 5 (2 queries), BOS + 2 (none)
  const PerHead<PatternScores> s = pattern_scores(model, {"abcdefghi", "eeeee", "ab"});
  HeadScoreOptions o;
  o.induction_length = 8;
  o.induction_repeats = 3;
  const PerHead<float> induction = induction_scores(model, o);
  // pooled over the 8 scored queries: 1/5..1/10 from the first, 1/5 and 1/6 from the second
  const double pooled = (mean_inverse(4, 10) * 6 + mean_inverse(4, 6) * 2) / 8;
  REQUIRE(s.size() == 2);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h) {
      CHECK(s[l][h].queries == 8);
      CHECK(s[l][h].prev_token == Approx(pooled).epsilon(1e-5));
      CHECK(s[l][h].first_token == Approx(pooled).epsilon(1e-5));
      CHECK(s[l][h].self == Approx(pooled).epsilon(1e-5));
      CHECK(induction[l][h] == Approx(mean_inverse(9, 17)).epsilon(1e-5));
    }
  o.induction_length = 48;  // 97 tokens > context 96
  CHECK_THROWS_AS(induction_scores(model, o), Error);
}
