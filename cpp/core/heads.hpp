// What each attention head of a trained model does, measured rather than asserted.
//
// Every score reads one head's attention weights A [T, T] (row i: how query token i
// spreads its attention over keys 0..i), with BOS at position 0:
//   previous-token:   mean over queries i ≥ 4 of A[i, i−1]
//   first-token sink: mean over queries i ≥ 4 of A[i, 0]
//   induction:        on the probe [BOS, R, R] (R: n random tokens), mean over the
//                     queries of the second copy, i = n+1..2n, of A[i, i−n+1]: the
//                     token that followed this token's earlier occurrence, which an
//                     induction head copies forward.
// Queries before position 4 are left out of the first two: in a short prefix every
// pattern puts much of its weight on the first tokens, whatever the head does.
// Each score is between 0 and 1; 1 means all the attention goes where the pattern says.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gpt.hpp"
#include "matrix.hpp"
#include "rng.hpp"

namespace llmsim {

constexpr int kFirstScoredQuery = 4;

// One head's weights [T, T] -> its score. The first two need T > 4; induction_score
// needs T = 2n + 1 (the probe's length). Anything else throws llmsim::Error.
float previous_token_score(const Matrix& weights);
float first_token_score(const Matrix& weights);
float induction_score(const Matrix& weights, int n);

// The probe [BOS, R, R]: R is n tokens drawn uniformly from the vocabulary without BOS.
std::vector<int> induction_probe(int n, int vocab_size, int bos_id, Rng& rng);

struct HeadScores {
  float previous_token = 0;
  float first_token = 0;
  float induction = 0;
};

struct HeadScoreOptions {
  int induction_length = 30;  // n; the probe has 2n + 1 tokens, at most the context
  int induction_repeats = 10;  // probes averaged, each with a fresh R
  uint64_t seed = 1;           // the probes' random tokens
};

struct ModelHeadScores {
  int n_layer = 0, n_head = 0;
  std::vector<HeadScores> heads;  // layer-major: heads[l · n_head + h]
  const HeadScores& at(int layer, int head) const { return heads.at(size_t(layer) * n_head + head); }
};

// Scores every head: previous-token and sink on `sequences` (token ids, each starting
// with BOS, each at most the context; pooled over all their scored queries, so a
// longer sequence counts more), induction on the probes.
ModelHeadScores score_heads(const GptConfig& config, const GptWeights& weights,
                            const std::vector<std::vector<int>>& sequences, int bos_id,
                            const HeadScoreOptions& options = {});
// The same on a text: tokenised, cut into sequences of BOS + up to context − 1 tokens.
ModelHeadScores score_heads(const Gpt& model, const std::string& text,
                            const HeadScoreOptions& options = {});

}  // namespace llmsim
