#include "text/pretokenizer.hpp"

namespace llmsim {

enum class ByteClass { Letter, Digit, Space, Other };

static ByteClass classify(unsigned char c) {
  if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return ByteClass::Letter;
  if (c >= '0' && c <= '9') return ByteClass::Digit;
  if (c == ' ' || (c >= '\t' && c <= '\r')) return ByteClass::Space;
  return ByteClass::Other;
}

size_t contraction_length(const std::string& text, size_t i) {
  if (text[i] != '\'' || i + 1 >= text.size()) return 0;
  const char a = text[i + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= text.size()) return 0;
  const char b = text[i + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

static size_t run_end(const std::string& text, size_t i, ByteClass cls) {
  while (i < text.size() && classify(text[i]) == cls) ++i;
  return i;
}

// End of the pre-token that starts at `begin`.
static size_t pretoken_end(const std::string& text, size_t begin) {
  const size_t n = text.size();
  if (const size_t len = contraction_length(text, begin)) return begin + len;
  const ByteClass cls = classify(text[begin]);
  if (cls != ByteClass::Space) return run_end(text, begin, cls);
  // A space in front of a word, number or punctuation run belongs to that run.
  if (text[begin] == ' ' && begin + 1 < n) {
    const ByteClass next = classify(text[begin + 1]);
    if (next != ByteClass::Space) return run_end(text, begin + 1, next);
  }
  size_t end = run_end(text, begin, ByteClass::Space);
  // Leave a final space that precedes a non-space to the next pre-token.
  if (end < n && end - begin > 1 && text[end - 1] == ' ') --end;
  return end;
}

std::vector<TokenSpan> pretokenize(const std::string& text) {
  std::vector<TokenSpan> spans;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = pretoken_end(text, i);
    spans.push_back({int(i), int(end)});
    i = end;
  }
  return spans;
}

}  // namespace llmsim
