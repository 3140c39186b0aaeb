// The simplest tokenizer that shows what tokens are: runs of letters and digits,
// and single punctuation marks; whitespace and control characters separate tokens.
// Any byte of 0x80 and above (non-ASCII UTF-8) counts as a letter, so words in
// any script, emoji and combining marks stay whole and spans never split a
// multi-byte character.
#pragma once
#include <string>
#include <vector>

#include "trace.hpp"

namespace llmsim {

std::vector<TokenSpan> split_words(const std::string& text);

}  // namespace llmsim
