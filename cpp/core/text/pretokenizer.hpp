// Splits text into pre-tokens, the pieces BPE merges never cross, so that tokens
// come out as readable words with their leading space (" cat"), numbers and
// punctuation runs. It follows GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// written by hand over bytes (no regex library, identical in native and WASM):
//   - letters are ASCII letters and every byte >= 0x80, so any non-ASCII
//     character (any script, emoji, combining marks, invalid bytes) is a letter
//     and no pre-token boundary falls inside a multi-byte character;
//   - digits are 0-9; whitespace is space, \t, \n, \v, \f, \r; all else is "other"
//     (ASCII punctuation and control characters such as NUL);
//   - one space directly before a letter, digit or other run joins that run;
//   - the contractions 's 't 're 've 'm 'll 'd (lowercase, as in GPT-2) stand alone;
//   - a whitespace run stays whole (so "\n\n" is one pre-token) except that a
//     final space in front of a non-space leaves it to start the next pre-token.
//     This last rule differs from GPT-2, which would split "\n\nHi" as
//     "\n" "\n" "Hi"; here it is "\n\n" "Hi". (GPT-2's own rules, exactly, are
//     gpt2_pretokenizer.hpp's, for GPT-2's vocabulary.)
// The pre-tokens cover the text exactly, in order, without gaps.
#pragma once
#include <string>
#include <vector>

#include "trace.hpp"

namespace llmsim {

std::vector<TokenSpan> pretokenize(const std::string& text);

// The length of GPT-2's contraction ('s 't 're 've 'm 'll 'd, lowercase only) that
// starts at byte i of `text`, or 0. Also used by gpt2_pretokenizer.hpp.
size_t contraction_length(const std::string& text, size_t i);

}  // namespace llmsim
