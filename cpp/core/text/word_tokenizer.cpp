#include "text/word_tokenizer.hpp"

namespace llmsim {

static bool is_word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_separator(unsigned char c) { return c <= 0x20 || c == 0x7f; }

std::vector<TokenSpan> split_words(const std::string& text) {
  std::vector<TokenSpan> spans;
  const int n = int(text.size());
  int i = 0;
  while (i < n) {
    const unsigned char c = text[i];
    if (is_separator(c)) {
      ++i;
    } else if (is_word_byte(c)) {
      const int begin = i;
      while (i < n && is_word_byte(text[i])) ++i;
      spans.push_back({begin, i});
    } else {  // one ASCII punctuation mark
      spans.push_back({i, i + 1});
      ++i;
    }
  }
  return spans;
}

}  // namespace llmsim
