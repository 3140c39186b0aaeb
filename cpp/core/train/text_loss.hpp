// How well a model predicts a whole text, in units that compare across tokenizers.
// Nats per token depend on how long the tokens are; bits per byte do not: a model
// with longer tokens predicts fewer, harder tokens, and the same text costs the same
// number of bits whichever way it is cut. Tokens per word says how the tokenizer
// cuts ordinary text (a word is a run of non-whitespace characters).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/gpt.hpp"
#include "train/bigram.hpp"

namespace llmsim {

struct TextLoss {
  double nats = 0;      // summed −log p over every predicted token
  int64_t tokens = 0;   // predicted tokens: every token of the text, BOS not counted
  size_t bytes = 0;     // UTF-8 bytes of the text
  size_t words = 0;     // whitespace-separated words of the text
  double nats_per_token() const { return tokens ? nats / double(tokens) : 0; }
  double bits_per_byte() const;
  double tokens_per_word() const { return words ? double(tokens) / double(words) : 0; }
};

size_t count_words(const std::string& text);

// The text's tokens read in pieces of BOS + up to context − 1 tokens
// (split_into_sequences); each token is predicted once, from those before it in its
// piece. Throws Error when the text has no tokens.
TextLoss gpt_text_loss(const Gpt& model, const std::string& text);

// The same pieces scored by a bigram model (add-k), or with `unigram` by its BOS row
// alone (the stream's token frequencies), for baselines on the same tokens.
TextLoss ngram_text_loss(const BigramModel& bigram, const Tokenizer& tokenizer, int context,
                         const std::string& text, double k, bool unigram);

}  // namespace llmsim
