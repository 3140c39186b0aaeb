// What every tokenizer of the project shares, whatever its vocabulary: the interface a
// model reads text through, the Encoding it returns, the bound on a vocabulary's size,
// and how a token is shown on the page. (BpeTokenizer, the project's own, and
// Gpt2Tokenizer, GPT-2's, both implement it.)
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

// A model's tokenizer as the model, the head analysis and the page see it: text to
// ids with their byte spans, ids back to bytes, and the BOS token every run starts with.
// The Error for an id outside [0, vocab_size), which every tokenizer's token_bytes gives.
void check_token_id(int id, int vocab_size);

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // The ids of `text` (BOS first unless add_bos is false) and each one's byte span.
  virtual Encoding encode(const std::string& text, bool add_bos = true) const = 0;
  // The tokens' bytes one after another: Error on an id outside [0, vocab_size()); BOS
  // decodes to "". The same for every tokenizer, so not virtual.
  std::string decode(const std::vector<int>& ids) const;
  // The raw bytes of a token (may be part of a UTF-8 character; "" for BOS).
  virtual const std::string& token_bytes(int id) const = 0;
  // display_token_bytes() of its bytes; BOS by the tokenizer's name for it.
  virtual std::string token_display(int id) const = 0;
  // The id of the token with exactly these bytes, or -1 (BOS is never found).
  virtual int find_token(const std::string& bytes) const = 0;
  virtual int vocab_size() const = 0;
  virtual int bos_id() const = 0;
};

}  // namespace llmsim
