// GPT-2's tokenizer, exactly: byte-level BPE over GPT-2's pre-tokens, read from the
// files a GPT-2-family checkpoint ships with. Its public surface is BpeTokenizer's
// (encode, decode, token_bytes, token_display, find_token, vocab_size, bos_id), so the
// two can share an interface.
//
// How GPT-2 encodes a text:
//   1. gpt2_pretokenize() cuts it into pre-tokens (gpt2_pretokenizer.hpp: GPT-2's
//      regular expression, by hand);
//   2. each pre-token starts as one token per byte and the merges apply to it, lowest
//      rank first (bpe_merge.hpp). Every byte has a token, so any text encodes and
//      decode(encode(s)) == s for every byte string s, valid UTF-8 or not.
// GPT-2's files spell bytes as printable characters (its "byte-to-unicode" map:
// the printable Latin-1 bytes as themselves, the other 68 as U+0100..U+0143, so a
// space is "Ġ" and a newline "Ċ"); gpt2_token_string() is that spelling.
//
// BOS. GPT-2 has no beginning-of-sequence token; it has <|endoftext|> (id 50256 in its
// vocabulary), which separated documents in training. Attention-analysis tools
// prepend it to give the model the start it saw after every document boundary, and
// so does this simulator: encode(text) puts it first unless add_bos is false. It is
// found by its string in the vocabulary (a file without it is refused). Like
// BpeTokenizer's BOS it has no bytes: decode() gives "" for it, find_token() never
// returns it, and token_display() shows "<|endoftext|>".
// Text is only ever text: the characters "<|endoftext|>" in the input encode as the
// thirteen bytes they are (e.g. "<", "|", "end", "of", "text", "|", ">"), never as
// the special token, as the reference (npm gpt-3-encoder) does. So no input can
// forge a document boundary.
//
// Files it reads:
//   - vocab.json + merges.txt, as OpenAI released GPT-2 (also encoder.json +
//     vocab.bpe): vocab.json is {"token": id, ...}; merges.txt is an optional
//     "#version" line, then one merge "left right" per line, in rank order.
//   - a Hugging Face tokenizer.json:
//       {"model": {"type": "BPE", "vocab": {"token": id, ...},
//                  "merges": ["left right", ...] or [["left", "right"], ...]}, ...}
//     Only model.vocab and model.merges are read: the rest (pre_tokenizer, decoder,
//     added_tokens) is taken to be GPT-2's, byte-level without a prefix space.
// Checked when loading (anything else is an llmsim::Error naming the file and the
// problem): at most kMaxVocabSize tokens, ids 0..N-1 each used once, every token a
// string of GPT-2's byte spelling, the 256 single bytes present, <|endoftext|>
// present, each merge two tokens of the vocabulary whose concatenation is one too,
// no merge twice.
//
// Thread safety: encode() keeps its cache for the one call, so a const tokenizer may
// be used from several threads at once.
#pragma once
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/bpe_merge.hpp"
#include "text/tokens.hpp"

namespace llmsim {

// GPT-2's spelling of raw bytes in its files: each byte as one character of its
// byte-to-unicode map, written in UTF-8 (" the" -> "Ġthe", "\n" -> "Ċ").
std::string gpt2_token_string(const std::string& bytes);

// Which tokenizer a tokenizer.json holds, decided by its structure alone:
//   - the project's own (BpeTokenizer) has "type": "byte-bpe" at its top level;
//   - a Hugging Face file has an object "model" at its top level and no top-level
//     "type" (its type is model.type, e.g. "BPE").
// Anything else is Unknown (the loaders then say what they expected).
enum class TokenizerJsonKind { ProjectByteBpe, HuggingFace, Unknown };
TokenizerJsonKind tokenizer_json_kind(const nlohmann::json& j);

class Gpt2Tokenizer : public Tokenizer {
 public:
  // One merge as the files write it: two tokens in GPT-2's spelling.
  using MergeStrings = std::pair<std::string, std::string>;

  // vocab.json and merges.txt from their contents; the names are the files' names
  // for error messages.
  static Gpt2Tokenizer from_vocab_and_merges(const std::string& vocab_json,
                                             const std::string& merges_txt,
                                             const std::string& vocab_name = "vocab.json",
                                             const std::string& merges_name = "merges.txt");
  static Gpt2Tokenizer load_vocab_and_merges(const std::string& vocab_path,
                                             const std::string& merges_path);
  // A Hugging Face tokenizer.json, parsed / from a file.
  static Gpt2Tokenizer from_hf_json(const nlohmann::json& j, const std::string& name = "tokenizer.json");
  static Gpt2Tokenizer load_hf(const std::string& path);
  // The vocabulary ({"token": id}) and the merges in rank order, already parsed; the
  // names are those of the files they came from, for error messages.
  static Gpt2Tokenizer from_vocab(const nlohmann::json& vocab, const std::vector<MergeStrings>& merges,
                                  const std::string& name, const std::string& merges_name);

  Encoding encode(const std::string& text, bool add_bos = true) const override;

  // The raw bytes of a token (may be part of a UTF-8 character; "" for BOS).
  const std::string& token_bytes(int id) const override;
  // display_token_bytes() of its bytes (tokens.hpp), BOS as "<|endoftext|>".
  std::string token_display(int id) const override;
  // The id of the token with exactly these bytes, or -1 (find_token(" the") == 262).
  int find_token(const std::string& bytes) const override;

  int vocab_size() const override { return int(token_bytes_.size()); }
  int bos_id() const override { return bos_id_; }

 private:
  Gpt2Tokenizer() = default;

  std::vector<std::string> token_bytes_;              // by id; BOS is ""
  std::unordered_map<std::string, int> id_of_bytes_;  // every token but BOS
  int byte_ids_[256] = {};                            // the token of each single byte
  BpeMergeTable merge_table_;
  int bos_id_ = -1;
};

}  // namespace llmsim
