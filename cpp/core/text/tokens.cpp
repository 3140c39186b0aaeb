#include "text/tokens.hpp"

#include <cstdio>

#include "error.hpp"
#include "utf8.hpp"

namespace llmsim {

static std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", c);
  return buf;
}

std::string display_token_bytes(const std::string& bytes) {
  std::string shown;
  size_t i = 0;
  while (i < bytes.size()) {
    const unsigned char c = bytes[i];
    const Utf8Sequence seq = utf8_sequence_at(bytes, i);
    if (c == '\n') shown += "\\n";
    else if (c == '\t') shown += "\\t";
    else if (c == '\r') shown += "\\r";
    else if (c < 0x20 || c == 0x7f) shown += hex_byte(c);
    else if (seq.valid) shown.append(bytes, i, size_t(seq.length));
    else {
      for (int k = 0; k < seq.length; ++k) shown += hex_byte(static_cast<unsigned char>(bytes[i + k]));
    }
    i += size_t(seq.length);
  }
  return shown;
}

void check_token_id(int id, int vocab_size) {
  if (id < 0 || id >= vocab_size)
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                std::to_string(vocab_size - 1) + ")");
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string text;
  for (int id : ids) text += token_bytes(id);
  return text;
}

}  // namespace llmsim
