#include "utf8.hpp"

#include "error.hpp"

namespace llmsim {

static bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the sequence a lead byte announces, and the allowed range of the
// second byte (narrower than 80..BF for E0, ED, F0, F4: that is what rules out
// overlong forms, surrogates and code points above U+10FFFF). 0 = not a lead byte.
static int lead_length(unsigned char c, unsigned char* second_lo, unsigned char* second_hi) {
  *second_lo = 0x80;
  *second_hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) {
    if (c == 0xE0) *second_lo = 0xA0;
    if (c == 0xED) *second_hi = 0x9F;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (c == 0xF0) *second_lo = 0x90;
    if (c == 0xF4) *second_hi = 0x8F;
    return 4;
  }
  return 0;
}

Utf8Sequence utf8_sequence_at(const std::string& text, size_t i) {
  const unsigned char lead = text[i];
  if (lead < 0x80) return {1, true, 1};
  unsigned char lo, hi;
  const int need = lead_length(lead, &lo, &hi);
  if (need == 0) return {1, false, 1};
  int have = 1;
  while (have < need && i + have < text.size()) {
    const unsigned char c = text[i + have];
    const bool ok = have == 1 ? (c >= lo && c <= hi) : is_continuation(c);
    if (!ok) break;
    ++have;
  }
  if (have < need) return {have, false, 1};  // maximal subpart -> one U+FFFD
  return {need, true, need == 4 ? 2 : 1};
}

std::vector<int> utf16_offsets(const std::string& text) {
  std::vector<int> offsets(text.size() + 1);
  int units = 0;
  size_t i = 0;
  while (i < text.size()) {
    const Utf8Sequence seq = utf8_sequence_at(text, i);
    for (int k = 0; k < seq.length; ++k) offsets[i + k] = units;
    units += seq.utf16_units;
    i += seq.length;
  }
  offsets[text.size()] = units;
  return offsets;
}

std::vector<TokenSpan> spans_to_utf16(const std::string& text,
                                      const std::vector<TokenSpan>& byte_spans) {
  const std::vector<int> offsets = utf16_offsets(text);
  const int n = int(text.size());
  std::vector<TokenSpan> out;
  out.reserve(byte_spans.size());
  for (const TokenSpan& s : byte_spans) {
    if (s.begin < 0 || s.end < s.begin || s.end > n)
      throw Error("token span [" + std::to_string(s.begin) + ", " + std::to_string(s.end) +
                  ") does not fit a text of " + std::to_string(n) + " bytes");
    out.push_back({offsets[s.begin], offsets[s.end]});
  }
  return out;
}

std::string utf8_cut(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = 0;
  while (end < text.size()) {
    const size_t next = end + size_t(utf8_sequence_at(text, end).length);
    if (next > max_bytes) break;
    end = next;
  }
  return text.substr(0, end) + "...";
}

}  // namespace llmsim
