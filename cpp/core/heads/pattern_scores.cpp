#include "heads/pattern_scores.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace llmsim {

static void check_square(const Matrix& weights, const char* what) {
  if (weights.rows() != weights.cols())
    throw Error(std::string(what) + ": attention weights must be square [T, T], got [" +
                std::to_string(weights.rows()) + ", " + std::to_string(weights.cols()) + "]");
}

// Sum of A[i, key(i)] over queries i ≥ kFirstScoredQuery: the numerator of a mean,
// so scores can pool queries over several sequences.
template <class KeyOf>
static double sum_over_scored_queries(const Matrix& weights, KeyOf key_of) {
  double sum = 0;
  for (int i = kFirstScoredQuery; i < weights.rows(); ++i) sum += weights(i, key_of(i));
  return sum;
}

static int scored_queries(const Matrix& weights) {
  return std::max(0, int(weights.rows()) - kFirstScoredQuery);
}

static void check_scorable(const Matrix& weights, const char* what) {
  check_square(weights, what);
  if (scored_queries(weights) == 0)
    throw Error(std::string(what) + ": needs more than " + std::to_string(kFirstScoredQuery) +
                " tokens, got " + std::to_string(weights.rows()));
}

float previous_token_score(const Matrix& weights) {
  check_scorable(weights, "previous-token score");
  return float(sum_over_scored_queries(weights, [](int i) { return i - 1; }) /
               scored_queries(weights));
}

float first_token_score(const Matrix& weights) {
  check_scorable(weights, "first-token score");
  return float(sum_over_scored_queries(weights, [](int) { return 0; }) / scored_queries(weights));
}

float self_score(const Matrix& weights) {
  check_scorable(weights, "self score");
  return float(sum_over_scored_queries(weights, [](int i) { return i; }) / scored_queries(weights));
}

float normalised_entropy(const Matrix& weights) {
  const int T = int(weights.rows());
  if (T < 2) return 0.0f;
  double sum = 0;
  for (int i = 1; i < T; ++i) {
    double h = 0;  // in nats
    for (int j = 0; j <= i; ++j) {
      const double p = weights(i, j);
      if (p > 0) h -= p * std::log(p);
    }
    sum += h / std::log(double(i + 1));  // log(i+1) = entropy of uniform over i+1 keys
  }
  return float(sum / (T - 1));
}

float induction_score(const Matrix& weights, int n) {
  check_square(weights, "induction score");
  if (n < 2 || weights.rows() != 2 * n + 1)
    throw Error("induction score: weights of [BOS, R, R] with |R| = " + std::to_string(n) +
                " must be [" + std::to_string(2 * n + 1) + ", " + std::to_string(2 * n + 1) +
                "], got [" + std::to_string(weights.rows()) + ", " + std::to_string(weights.cols()) + "]");
  // Position i = n + 1 + j holds R[j]; its earlier occurrence is at 1 + j = i − n,
  // and the token that followed it at i − n + 1.
  double sum = 0;
  for (int i = n + 1; i <= 2 * n; ++i) sum += weights(i, i - n + 1);
  return float(sum / n);
}

std::vector<int> induction_probe(int n, int vocab_size, int bos_id, Rng& rng) {
  if (n < 2 || vocab_size < 2)
    throw Error("induction probe: need n ≥ 2 and a vocabulary of at least 2 tokens");
  std::vector<int> probe(size_t(2 * n + 1));
  probe[0] = bos_id;
  for (int j = 0; j < n; ++j) {
    int id;  // uniform over the vocabulary without BOS
    do id = int(rng.next_u64() % uint64_t(vocab_size));
    while (id == bos_id);
    probe[1 + j] = probe[1 + n + j] = id;
  }
  return probe;
}

}  // namespace llmsim
