// What each attention head of a trained model does, measured rather than asserted.
//
// Every score reads one head's attention weights A [T, T] (row i: how query token i
// spreads its attention over keys 0..i), with BOS at position 0:
//   previous-token:   mean over queries i ≥ 4 of A[i, i−1]
//   first-token sink: mean over queries i ≥ 4 of A[i, 0]
//   self:             mean over queries i ≥ 4 of A[i, i]
//   entropy:          mean over i ≥ 1 of H(A[i, 0..i]) / log(i + 1): 1 for uniform
//                     attention over the visible prefix, 0 for one key (broad heads)
//   induction:        on the probe [BOS, R, R] (R: n random tokens), mean over the
//                     queries of the second copy, i = n+1..2n, of A[i, i−n+1]: the
//                     token that followed this token's earlier occurrence, which an
//                     induction head copies forward.
// Queries before position 4 are left out of the first three: in a short prefix every
// pattern puts much of its weight on the first tokens, whatever the head does.
// Each score is between 0 and 1; 1 means all the attention goes where the pattern says.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "matrix.hpp"
#include "rng.hpp"

namespace llmsim {

constexpr int kFirstScoredQuery = 4;

// One head's weights [T, T] -> its score. The first two need T > 4; induction_score
// needs T = 2n + 1 (the probe's length). Anything else throws llmsim::Error.
float previous_token_score(const Matrix& weights);
float first_token_score(const Matrix& weights);
float self_score(const Matrix& weights);
// Natural log, 0·log 0 = 0; a pattern with fewer than 2 rows scores 0.
float normalised_entropy(const Matrix& weights);
float induction_score(const Matrix& weights, int n);

// The probe [BOS, R, R]: R is n tokens drawn uniformly from the vocabulary without BOS.
std::vector<int> induction_probe(int n, int vocab_size, int bos_id, Rng& rng);

struct HeadScoreOptions {
  int induction_length = 30;  // n; the probe has 2n + 1 tokens, at most the context
  int induction_repeats = 10;  // probes averaged, each with a fresh R
  uint64_t seed = 1;           // the probes' random tokens
};

}  // namespace llmsim
