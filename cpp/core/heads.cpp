#include "heads.hpp"

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

ModelHeadScores score_heads(const GptConfig& config, const GptWeights& weights,
                            const std::vector<std::vector<int>>& sequences, int bos_id,
                            const HeadScoreOptions& options) {
  const int L = config.n_layer, H = config.n_head, n = options.induction_length;
  if (2 * n + 1 > config.context)
    throw Error("head scores: the induction probe of 2·" + std::to_string(n) +
                " + 1 tokens does not fit the context of " + std::to_string(config.context));
  ModelHeadScores result;
  result.n_layer = L;
  result.n_head = H;
  std::vector<double> previous(size_t(L) * H, 0), first(size_t(L) * H, 0),
      induction(size_t(L) * H, 0);
  int64_t queries = 0;
  for (const std::vector<int>& ids : sequences) {
    if (int(ids.size()) <= kFirstScoredQuery) continue;  // nothing to score
    Trace trace;
    gpt_forward(config, weights, ids, GptRunOptions{}, trace);
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h) {
        const Matrix& a = trace.layers[l].heads[h].weights;
        previous[size_t(l) * H + h] += sum_over_scored_queries(a, [](int i) { return i - 1; });
        first[size_t(l) * H + h] += sum_over_scored_queries(a, [](int) { return 0; });
      }
    queries += int(ids.size()) - kFirstScoredQuery;
  }
  if (queries == 0)
    throw Error("head scores: the text needs more than " + std::to_string(kFirstScoredQuery) +
                " tokens");
  Rng rng(options.seed);
  for (int r = 0; r < options.induction_repeats; ++r) {
    const std::vector<int> probe = induction_probe(n, config.vocab_size, bos_id, rng);
    Trace trace;
    gpt_forward(config, weights, probe, GptRunOptions{}, trace);
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h)
        induction[size_t(l) * H + h] += induction_score(trace.layers[l].heads[h].weights, n);
  }
  for (size_t i = 0; i < size_t(L) * H; ++i)
    result.heads.push_back(HeadScores{float(previous[i] / queries), float(first[i] / queries),
                                      float(induction[i] / std::max(1, options.induction_repeats))});
  return result;
}

ModelHeadScores score_heads(const Gpt& model, const std::string& text,
                            const HeadScoreOptions& options) {
  const std::vector<int> stream = model.tokenizer().encode(text, /*add_bos=*/false).ids;
  return score_heads(model.config(), model.weights(),
                     split_into_sequences(stream, model.tokenizer().bos_id(), model.config().context),
                     model.tokenizer().bos_id(), options);
}

}  // namespace llmsim
