#include "train/bigram.hpp"

#include <cmath>
#include <string>

#include "error.hpp"

namespace llmsim {

BigramModel::BigramModel(const std::vector<int>& stream, int vocab_size, int bos_id)
    : V_(vocab_size) {
  if (vocab_size < 1 || vocab_size > 16384)
    throw Error("bigram: vocabulary size must be between 1 and 16384, got " +
                std::to_string(vocab_size));
  counts_.assign(size_t(V_) * V_, 0);
  row_sums_.assign(size_t(V_), 0);
  auto check = [&](int id) {
    if (id < 0 || id >= V_)
      throw Error("bigram: token id " + std::to_string(id) + " is outside the vocabulary");
  };
  for (size_t i = 0; i < stream.size(); ++i) {
    check(stream[i]);
    ++counts_[size_t(bos_id) * V_ + stream[i]];  // BOS row: unigram counts
    ++row_sums_[size_t(bos_id)];
    if (i + 1 < stream.size()) {
      ++counts_[size_t(stream[i]) * V_ + stream[i + 1]];
      ++row_sums_[size_t(stream[i])];
    }
  }
}

double BigramModel::probability(int prev, int next, double k) const {
  return (counts_[size_t(prev) * V_ + next] + k) / (double(row_sums_[size_t(prev)]) + k * V_);
}

double BigramModel::mean_loss(const std::vector<int>& inputs, const std::vector<int>& targets,
                              double k) const {
  if (inputs.size() != targets.size() || inputs.empty())
    throw Error("bigram: need as many inputs as targets, and at least one");
  double total = 0;
  for (size_t i = 0; i < inputs.size(); ++i) total -= std::log(probability(inputs[i], targets[i], k));
  return total / double(inputs.size());
}

}  // namespace llmsim
