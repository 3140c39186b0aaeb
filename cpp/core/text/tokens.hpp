// What every tokenizer of the project shares, whatever its vocabulary: the Encoding
// it returns, the bound on a vocabulary's size, and how a token is shown on the page.
// (BpeTokenizer, the project's own, and Gpt2Tokenizer, GPT-2's, both use these.)
#pragma once
#include <string>
#include <vector>

#include "trace.hpp"

namespace llmsim {

// The largest vocabulary a tokenizer file may hold; it bounds the memory a
// malicious or broken file can make us allocate. (GPT-2's has 50,257 tokens.)
constexpr int kMaxVocabSize = 65536;

struct Encoding {
  std::vector<int> ids;
  std::vector<TokenSpan> spans;  // byte offsets [begin, end) into the text; BOS is {0, 0}
};

// A token's bytes in a printable, valid UTF-8 form for the page: whole characters as
// they are, a space as a space, bytes that are not a whole valid character as <0xE2>,
// \n \t \r as those two-character escapes, other control bytes as <0x00>. (A
// tokenizer shows its BOS token by its own name; that is not a question of bytes.)
std::string display_token_bytes(const std::string& bytes);

}  // namespace llmsim
