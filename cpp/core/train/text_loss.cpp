#include "train/text_loss.hpp"

#include <cmath>

#include "error.hpp"
#include "model/softmax.hpp"

namespace llmsim {

double TextLoss::bits_per_byte() const {
  return bytes ? nats / std::log(2.0) / double(bytes) : 0;
}

size_t count_words(const std::string& text) {
  size_t words = 0;
  bool in_word = false;
  for (unsigned char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

namespace {

std::vector<int> text_tokens(const Tokenizer& tokenizer, const std::string& text) {
  std::vector<int> stream = tokenizer.encode(text, /*add_bos=*/false).ids;
  if (stream.empty()) throw Error("the text has no tokens");
  return stream;
}

TextLoss empty_loss_of(const std::string& text) {
  TextLoss loss;
  loss.bytes = text.size();
  loss.words = count_words(text);
  return loss;
}

}  // namespace

TextLoss gpt_text_loss(const Gpt& model, const std::string& text) {
  TextLoss loss = empty_loss_of(text);
  const std::vector<int> stream = text_tokens(model.tokenizer(), text);
  ModelRun run;
  run.attention.store_head_matrices = false;  // only the logits are read: no [T, T] per head
  for (const std::vector<int>& ids :
       split_into_sequences(stream, model.tokenizer().bos_id(), model.config().context)) {
    Trace trace;
    gpt_forward(model.config(), model.weights(), ids, run, trace);
    const int64_t predicted = int64_t(ids.size()) - 1;
    loss.nats += next_token_loss(trace.logits, ids) * double(predicted);
    loss.tokens += predicted;
  }
  return loss;
}

TextLoss ngram_text_loss(const BigramModel& bigram, const Tokenizer& tokenizer, int context,
                         const std::string& text, double k, bool unigram) {
  TextLoss loss = empty_loss_of(text);
  const std::vector<int> stream = text_tokens(tokenizer, text);
  for (const std::vector<int>& ids : split_into_sequences(stream, tokenizer.bos_id(), context))
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
      const int prev = unigram ? tokenizer.bos_id() : ids[t];
      loss.nats -= std::log(bigram.probability(prev, ids[t + 1], k));
      ++loss.tokens;
    }
  return loss;
}

}  // namespace llmsim
