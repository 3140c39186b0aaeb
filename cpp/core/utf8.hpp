// UTF-8 facts the tokenizer and the page need: where a character starts and ends,
// whether bytes form a valid character, and how byte offsets map to the UTF-16
// code-unit offsets that JavaScript strings use.
//
// "Valid" is the strict definition of RFC 3629 / the WHATWG Encoding Standard: no
// overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF. Invalid
// bytes are grouped the way the WHATWG decoder (JS TextDecoder) groups them: each
// "maximal subpart" of an ill-formed sequence becomes one U+FFFD, so offsets
// computed here agree with what the page sees after decoding the same bytes.
#pragma once
#include <string>
#include <vector>

#include "trace.hpp"

namespace llmsim {

struct Utf8Sequence {
  int length = 1;     // bytes consumed: the whole character, or the maximal subpart
  bool valid = false;  // true when those bytes are one well-formed character
  int utf16_units = 1; // code units it decodes to (2 for U+10000 and above)
};

// The character (or ill-formed piece) starting at byte `i` of `text`; i < size.
Utf8Sequence utf8_sequence_at(const std::string& text, size_t i);

// For every byte offset 0..size (inclusive), the UTF-16 code-unit offset of the
// same place in the decoded string. An offset inside a multi-byte character maps
// to the start of that character (rounds down), so a token holding only part of a
// character covers no UTF-16 units of it; the token holding its last byte covers it.
std::vector<int> utf16_offsets(const std::string& text);

// Byte spans [begin, end) into `text` re-expressed as UTF-16 code-unit spans, for
// JavaScript's String.prototype.slice. Throws llmsim::Error on spans out of range.
std::vector<TokenSpan> spans_to_utf16(const std::string& text,
                                      const std::vector<TokenSpan>& byte_spans);

// `text` as a message quotes it: unchanged if it has at most `max_bytes` bytes, else
// its first characters that fit in `max_bytes` followed by "...". The cut falls on a
// character boundary, so a message never ends in half a character (which turned a
// clear error into a UTF-8 failure of its own).
std::string utf8_cut(const std::string& text, size_t max_bytes);

}  // namespace llmsim
