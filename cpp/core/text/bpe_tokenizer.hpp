// Byte-level BPE (as in GPT-2), trained by this project on its own corpus.
//
// Token ids:
//   0..255               the single bytes; always present, so any byte string
//                        encodes and decode(encode(s)) == s for every s
//   256..256+M-1         merge r (0-based) makes token 256 + r from two earlier tokens
//   256+M                BOS, the beginning-of-sequence token; it has no bytes and
//                        text never encodes to it (the text "<bos>" is five bytes)
// vocab_size() = 257 + M.
//
// Text is first split by pretokenize() (pretokenizer.hpp); merges never cross
// pre-token boundaries, so tokens are words with their leading space (" cat"),
// numbers, punctuation runs and whitespace runs, or pieces of those.
//
// JSON format (version 1), as written by save() and read by load():
//   {
//     "type": "byte-bpe",
//     "version": 1,
//     "bos": "<bos>",                 // how BOS is displayed; any string
//     "merges": [[32, 116], [256, 104], ...]
//   }
// Merge r = [a, b] is token 256 + r, whose bytes are those of a then b; a and b
// must be ids below 256 + r (bytes or earlier merges), no pair may appear twice,
// and no token may be longer than kMaxTokenBytes. Version 1 also fixes the
// pre-tokenizer: the rules in pretokenizer.hpp. Other keys are ignored, so a file
// may carry notes (e.g. what it was trained on).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/bpe_merge.hpp"
#include "text/tokens.hpp"

namespace llmsim {

// The longest token, in bytes. Training never merges past it.
constexpr int kMaxTokenBytes = 256;

class BpeTokenizer : public Tokenizer {
 public:
  // Learns vocab_size - 257 merges from `corpus` (vocab_size counts the 256 bytes
  // and BOS). Ties between equally frequent pairs go to the smaller pair (first
  // id, then second id), so training is deterministic. Stops early, with a smaller
  // vocabulary, when no pair occurs at least twice.
  static BpeTokenizer train(const std::string& corpus, int vocab_size);
  // Throws llmsim::Error with a clear message on malformed data.
  static BpeTokenizer from_json(const nlohmann::json& j);
  // Reads a JSON file; the Error message names the file.
  static BpeTokenizer load(const std::string& path);
  // Builds a tokenizer from merges directly (validated like from_json).
  static BpeTokenizer from_merges(const std::vector<std::pair<int, int>>& merges,
                                  const std::string& bos_text = "<bos>");

  nlohmann::json to_json() const;
  // The JSON of to_json() as text, one merge per line so files diff well; save() writes it.
  std::string to_text() const;
  void save(const std::string& path) const;

  Encoding encode(const std::string& text, bool add_bos = true) const override;

  // The raw bytes of a token (may be part of a UTF-8 character; "" for BOS).
  const std::string& token_bytes(int id) const override;
  // A printable, valid UTF-8 form for the page: display_token_bytes() (tokens.hpp),
  // BOS as its bos text ("<bos>").
  std::string token_display(int id) const override;
  // The id of the token with exactly these bytes, or -1 (e.g. find_token(" cat")).
  int find_token(const std::string& bytes) const override;

  int vocab_size() const override { return int(token_bytes_.size()); }
  int bos_id() const override { return vocab_size() - 1; }
  const std::vector<std::pair<int, int>>& merges() const { return merges_; }

 private:
  BpeTokenizer() = default;

  std::vector<std::pair<int, int>> merges_;
  BpeMergeTable merge_table_;                         // (left, right) -> merge r, token 256 + r
  std::unordered_map<std::string, int> id_of_bytes_;  // every token but BOS
  std::vector<std::string> token_bytes_;              // by id; BOS is ""
  std::string bos_text_;
};

}  // namespace llmsim
