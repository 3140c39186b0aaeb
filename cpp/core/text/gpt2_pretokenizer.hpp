// GPT-2's pre-tokenisation, exactly: the pieces its BPE never crosses. GPT-2 finds
// them with the regular expression
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matched again and again from where the last match ended. This is that expression
// written by hand over UTF-8 code points (no regex library, so native and WASM agree),
// checked against the JavaScript reference (npm gpt-3-encoder, which runs it as a JS
// regex with the `u` flag) by tests/js/gpt2-tokenizer.test.js. At each position the
// first alternative that matches wins:
//   1. a contraction 's 't 're 've 'm 'll 'd (lowercase only: "'S" is not one);
//   2. an optional U+0020 space and a run of letters, 3. of numbers, 4. of "others"
//      (neither whitespace, letter nor number: punctuation, symbols, emoji, marks);
//   5. a run of whitespace that is not followed by a non-space: the whole run at the
//      end of the text, else all of it but its last character (which a letter, number
//      or other run may then take as its " ?"), if that leaves one;
//   6. otherwise a single whitespace character (a run of one before a non-space).
// Letters, numbers and whitespace are what JavaScript's \p{L}, \p{N} and \s mean
// (unicode_tables.hpp, generated from Node's regex engine): so "\u00A0x" is "\u00A0",
// "x" (JS \s has U+00A0) and "\u0085" is an other (JS \s lacks NEL).
//
// Bytes that are not valid UTF-8 are grouped as the WHATWG decoder (TextDecoder)
// groups them (utf8_sequence_at): each maximal ill-formed piece counts as one
// character of class "other", as the U+FFFD the page decodes it to would. So a
// broken character joins the punctuation run around it and never splits a word's
// bytes from one another. The pre-tokens cover the text exactly, in order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "trace.hpp"

namespace llmsim {

enum class Gpt2CharClass { Letter, Number, Space, Other };

// The class of one code point, as JavaScript's regex would test it (\s, then \p{L},
// then \p{N}; the tables are disjoint, so the order does not matter).
Gpt2CharClass gpt2_char_class(uint32_t code_point);

std::vector<TokenSpan> gpt2_pretokenize(const std::string& text);

}  // namespace llmsim
