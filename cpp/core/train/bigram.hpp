// The baseline a trained model must beat: a bigram model over the same tokens,
// P(next | prev) = (count(prev, next) + k) / (count(prev) + k·V)  (add-k smoothing).
// Counts come from consecutive pairs of the training stream. A sequence's first
// target follows BOS, which the stream does not contain; since a training sequence
// starts anywhere, the BOS row is the unigram counts of the stream.
#pragma once
#include <cstdint>
#include <vector>

namespace llmsim {

class BigramModel {
 public:
  // vocab_size at most 16384 (the counts are a dense V×V table).
  BigramModel(const std::vector<int>& stream, int vocab_size, int bos_id);

  double probability(int prev, int next, double k) const;
  // Mean −log P(targets[i] | inputs[i]) over the pairs: the same (input, target)
  // pairs the GPT is scored on (consecutive_sequences in train.hpp).
  double mean_loss(const std::vector<int>& inputs, const std::vector<int>& targets,
                   double k) const;

 private:
  int V_;
  std::vector<uint32_t> counts_;   // [V, V], row = previous token
  std::vector<uint64_t> row_sums_;  // [V]
};

}  // namespace llmsim
