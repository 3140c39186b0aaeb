#include "text/gpt2_pretokenizer.hpp"

#include <algorithm>
#include <iterator>

#include "text/pretokenizer.hpp"
#include "text/unicode_tables.hpp"
#include "utf8.hpp"

namespace llmsim {

template <size_t N>
static bool in_ranges(const CodePointRange (&ranges)[N], uint32_t cp) {
  // The first range whose last code point is >= cp; cp is in the table if it starts there.
  const CodePointRange* it = std::lower_bound(
      std::begin(ranges), std::end(ranges), cp,
      [](const CodePointRange& r, uint32_t value) { return r.last < value; });
  return it != std::end(ranges) && it->first <= cp;
}

Gpt2CharClass gpt2_char_class(uint32_t cp) {
  if (in_ranges(kSpaceRanges, cp)) return Gpt2CharClass::Space;
  if (in_ranges(kLetterRanges, cp)) return Gpt2CharClass::Letter;
  if (in_ranges(kNumberRanges, cp)) return Gpt2CharClass::Number;
  return Gpt2CharClass::Other;
}

namespace {

// One character of the text: where its bytes start, its class, and whether it is
// U+0020, the only character the pattern's " ?" takes.
struct Char {
  int begin;
  Gpt2CharClass cls;
  bool is_space_0x20;
};

uint32_t decode_code_point(const std::string& text, size_t i, int length) {
  const unsigned char lead = text[i];
  if (length == 1) return lead;
  uint32_t cp = lead & (0x7F >> length);  // the lead byte's payload bits
  for (int k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return cp;
}

// Every character of the text, in order, with one more entry at the end whose begin
// is the text's size, so a run [a, b) of characters has bytes [chars[a].begin, chars[b].begin).
std::vector<Char> split_chars(const std::string& text) {
  // ASCII is most text: its classes come from a table instead of three binary searches.
  static const auto ascii = [] {
    std::vector<Gpt2CharClass> table(128);
    for (uint32_t c = 0; c < 128; ++c) table[c] = gpt2_char_class(c);
    return table;
  }();
  std::vector<Char> chars;
  chars.reserve(text.size() + 1);
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = text[i];
    if (c < 0x80) {
      chars.push_back({int(i), ascii[c], c == ' '});
      ++i;
      continue;
    }
    const Utf8Sequence seq = utf8_sequence_at(text, i);
    const Gpt2CharClass cls =
        seq.valid ? gpt2_char_class(decode_code_point(text, i, seq.length)) : Gpt2CharClass::Other;
    chars.push_back({int(i), cls, false});
    i += size_t(seq.length);
  }
  chars.push_back({int(text.size()), Gpt2CharClass::Other, false});
  return chars;
}

// The end of the run of characters of class `cls` that starts at `a`.
size_t run_end(const std::vector<Char>& chars, size_t a, Gpt2CharClass cls) {
  const size_t n = chars.size() - 1;
  while (a < n && chars[a].cls == cls) ++a;
  return a;
}

// The end (a character index) of the pre-token that starts at character `a`: the
// pattern's alternatives, in its order.
size_t pretoken_end(const std::string& text, const std::vector<Char>& chars, size_t a) {
  const size_t n = chars.size() - 1;
  // 1. 's 't 're 've 'm 'll 'd: ASCII, so its length in bytes is its length in characters.
  if (const size_t length = contraction_length(text, size_t(chars[a].begin))) return a + length;
  // 2-4. " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a space joins a following run.
  if (chars[a].is_space_0x20 && a + 1 < n && chars[a + 1].cls != Gpt2CharClass::Space)
    return run_end(chars, a + 1, chars[a + 1].cls);
  if (chars[a].cls != Gpt2CharClass::Space) return run_end(chars, a, chars[a].cls);
  // 5. "\s+(?!\S)": the greedy run backs off until what follows is not a non-space:
  // the end of the text, or (giving back one character) the run's own last character.
  const size_t end = run_end(chars, a, Gpt2CharClass::Space);
  if (end == n) return end;
  if (end - a >= 2) return end - 1;
  // 6. "\s+": one whitespace character before a non-space.
  return end;
}

}  // namespace

std::vector<TokenSpan> gpt2_pretokenize(const std::string& text) {
  const std::vector<Char> chars = split_chars(text);
  const size_t n = chars.size() - 1;
  std::vector<TokenSpan> spans;
  for (size_t a = 0; a < n;) {
    const size_t b = pretoken_end(text, chars, a);
    spans.push_back({chars[a].begin, chars[b].begin});
    a = b;
  }
  return spans;
}

}  // namespace llmsim
